"""`mineaction hazard ID`: one hazard's history, step by step."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import app, console, context, said, state
from mineaction.services import hazards
from mineaction.services import summary as summaries


@app.command()
def hazard(
    hazard_id: str = typer.Argument(..., help="Id of the hazard"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Show a hazard's timeline: every change, with method, area and source, and its current
    polygon."""
    with context() as ctx:
        hist = hazards.history(ctx, hazard_id)
    if fmt == "json":
        console.print_json(json.dumps(hazards.as_json(hist), default=str))
        return
    h = hist.hazard
    kind, status = h.kind.value.upper(), summaries.term(h.status.value, state.locale)
    console.print(f"[bold]{escape(h.id)}[/] " + escape(
        said("cli.hazard_head_closed", kind=kind, status=status, date=h.closed_on,
             who=h.closed_by) if h.closed_on else
        said("cli.hazard_head", kind=kind, status=status)), highlight=False)
    table = Table()
    for col in ("cli.head_seq", "cli.head_date", "cli.head_change", "cli.head_kind",
                "cli.head_status", "cli.head_method", "cli.head_released_m2",
                "cli.head_remaining_m2", "cli.head_activity", "cli.head_inspection",
                "cli.head_source"):
        table.add_column(said(col), justify="right" if col in (
            "cli.head_seq", "cli.head_released_m2", "cli.head_remaining_m2") else "left")
    for v in hist.timeline.versions:
        s = hist.step_of(v)
        table.add_row(str(v.seq), str(v.valid_from or ""), v.change.value,
                      summaries.term(v.kind.value, state.locale),
                      summaries.term(v.status.value, state.locale),
                      summaries.term(s.method.value, state.locale) if s else "",
                      f"{s.area_m2:,.1f}" if s else "", f"{v.area_m2:,.1f}",
                      v.activity_id or "",
                      " ".join(x for x in (v.quality_id, v.reason) if x)
                      or (said("cli.rejected_by", id=s.rejected_by)
                          if s and s.rejected_by else ""),
                      v.source or "")
    console.print(table)
    areas = {"original": hist.original_m2, "released": hist.released_m2,
             "remaining": hist.remaining_m2}
    console.print(said("cli.hazard_areas_returned", returned=hist.returned_m2, **areas)
                  if hist.returned_m2 else said("cli.hazard_areas", **areas),
                  highlight=False, markup=False)
    if h.geometry is not None and not h.geometry.is_empty:
        console.print(said("cli.hazard_polygon", wkt=h.geometry.wkt), soft_wrap=True,
                      highlight=False, markup=False)

"""`mineaction hazard ID`: one hazard's history, step by step."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from mineaction.cli.app import app, console, context
from mineaction.services import hazards


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
    console.print(f"[bold]{h.id}[/] {h.kind.value.upper()} {h.status.value}"
                  + (f", closed {h.closed_on} by {h.closed_by}" if h.closed_on else ""))
    table = Table()
    for col in ("seq", "date", "change", "kind", "status", "method", "released m²",
                "remaining m²", "activity", "inspection", "source"):
        table.add_column(col, justify="right" if "m²" in col or col == "seq" else "left")
    for v in hist.timeline.versions:
        s = hist.step_of(v)
        table.add_row(str(v.seq), str(v.valid_from or ""), v.change.value, v.kind.value,
                      v.status.value, s.method.value if s else "",
                      f"{s.area_m2:,.1f}" if s else "", f"{v.area_m2:,.1f}",
                      v.activity_id or "",
                      " ".join(x for x in (v.quality_id, v.reason) if x)
                      or (f"rejected by {s.rejected_by}" if s and s.rejected_by else ""),
                      v.source or "")
    console.print(table)
    console.print(f"original {hist.original_m2:,.1f} m²; released {hist.released_m2:,.1f} m²; "
                  + (f"returned by failed QC inspections {hist.returned_m2:,.1f} m²; "
                     if hist.returned_m2 else "")
                  + f"remaining {hist.remaining_m2:,.1f} m²")
    if h.geometry is not None and not h.geometry.is_empty:
        console.print(f"current polygon: {h.geometry.wkt}", soft_wrap=True)

"""`mineaction hazard ID`: one hazard's history, step by step."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from mineaction.analysis.release import timeline
from mineaction.cli.app import app, console, opened
from mineaction.geo.measure import area_m2


@app.command()
def hazard(
    hazard_id: str = typer.Argument(..., help="Id of the hazard"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Show a hazard's timeline: every change, with method, area and source, and its current
    polygon."""
    with opened() as store:
        t = timeline(store, hazard_id)
    h = t.hazard
    steps = {s.id: s for s in t.steps}
    if fmt == "json":
        out = {
            "id": h.id, "kind": h.kind.value, "status": h.status.value,
            "area_m2": round(area_m2(h.geometry), 1),
            "geometry": None if h.geometry is None else h.geometry.__geo_interface__,
            "timeline": [{
                "seq": v.seq, "date": v.valid_from.isoformat() if v.valid_from else None,
                "change": v.change.value, "kind": v.kind.value, "status": v.status.value,
                "area_m2": v.area_m2, "activity_id": v.activity_id,
                "method": steps[v.step_id].method.value if v.step_id in steps else None,
                "released_m2": steps[v.step_id].area_m2 if v.step_id in steps else None,
                "source": v.source} for v in t.versions]}
        console.print_json(json.dumps(out, default=str))
        return
    console.print(f"[bold]{h.id}[/] {h.kind.value.upper()} {h.status.value}"
                  + (f", closed {h.closed_on} by {h.closed_by}" if h.closed_on else ""))
    table = Table()
    for col in ("seq", "date", "change", "kind", "status", "method", "released m²",
                "remaining m²", "activity", "source"):
        table.add_column(col, justify="right" if "m²" in col or col == "seq" else "left")
    for v in t.versions:
        s = steps.get(v.step_id or "")
        table.add_row(str(v.seq), str(v.valid_from or ""), v.change.value, v.kind.value,
                      v.status.value, s.method.value if s else "",
                      f"{s.area_m2:,.1f}" if s else "", f"{v.area_m2:,.1f}",
                      v.activity_id or "", v.source or "")
    console.print(table)
    released = sum(s.area_m2 for s in t.steps)
    console.print(f"original {t.versions[0].area_m2 if t.versions else 0:,.1f} m²; released "
                  f"{released:,.1f} m²; remaining {area_m2(h.geometry):,.1f} m²")
    if h.geometry is not None and not h.geometry.is_empty:
        console.print(f"current polygon: {h.geometry.wkt}", soft_wrap=True)

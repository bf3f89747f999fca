"""Risk surface commands: ``risk surface`` (a Cloud-Optimised GeoTIFF of the risk model's
probability per cell) and ``risk rank-hazards`` (hazards by the risk inside them)."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from mineaction.cli.app import checked_output, console, context, err_console, said, say
from mineaction.cli.evidence import _risk_app
from mineaction.errors import InvalidInput
from mineaction.services import surface as surfaces
from mineaction.services.layers import parse_date

risk_app = _risk_app()


class RankFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


class RankBy(StrEnum):
    mean = "mean"
    max = "max"


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput.of("surface.bad_bbox", value=text) from None
    return (w, s, e, n)


@risk_app.command("surface")
def surface(
    model: Path = typer.Option(..., "--model", help="Model file written by risk train"),
    output: Path = typer.Option(..., "-o", "--output", help="Cloud-Optimised GeoTIFF to "
                                "write"),
    resolution: float = typer.Option(100.0, "--resolution", help="Side of a cell, metres"),
    bbox: str = typer.Option(None, "--bbox", help="Only W,S,E,N (degrees) of the territory "
                             "(the whole box when the store holds no administrative area)"),
    before: str = typer.Option(None, "--before", help="Features from what the store knew "
                               "before this day (YYYY-MM-DD; default: everything, today)"),
    context_file: Path = typer.Option(None, "--context", help="Mapped facts (front line, "
                                      "roads, settlements, land cover) as for risk features"),
    chunk: int = typer.Option(512, "--chunk", min=16, max=4096, help="Cells per side of a "
                              "window computed at once (memory: about 0.6 kB per cell per "
                              "worker)"),
    workers: int = typer.Option(2, "--workers", min=0, help="Workers of the local Dask "
                                "cluster (0: no cluster, one process)"),
    tile: int = typer.Option(512, "--tile", min=16, max=4096, help="Side of the GeoTIFF's "
                             "tiles in cells (a multiple of 16)"),
    scheduler: str = typer.Option(None, "--scheduler", help="Address of an existing Dask "
                                  "scheduler (tcp://host:8786) instead of a local cluster"),
) -> None:
    """Write the risk model's probability per cell of a metric grid (the territory's UTM
    zone) over the store's territory as a Cloud-Optimised GeoTIFF, computed window by window
    with Dask."""
    if not resolution > 0:
        raise InvalidInput.of("surface.bad_resolution", value=resolution)
    if tile % 16:
        raise InvalidInput.of("surface.bad_tile", value=tile)
    checked_output(output)
    with context() as ctx:
        done = surfaces.surface(ctx, model, output, resolution=resolution, bbox=_bbox(bbox),
                                before=parse_date(before, "--before"),
                                context_path=str(context_file) if context_file else None,
                                chunk=chunk, workers=workers, scheduler=scheduler,
                                tile=tile)
        locale = ctx.locale
    for m in done.messages:
        err_console.print(escape(m.text(locale)), highlight=False)
    d = done.as_dict()
    mean = "-" if d["mean"] is None else f"{d['mean']:.4f}"
    say("cli.surface_written", path=str(output), width=d["width"], height=d["height"],
        resolution=d["resolution_m"], crs=d["crs"], inside=d["cells_inside"],
        count=d["windows"], mean=mean)


@risk_app.command("rank-hazards")
def rank_hazards(
    surface_file: Path = typer.Option(..., "--surface", help="Risk surface written by risk "
                                      "surface"),
    by: RankBy = typer.Option(RankBy.mean, "--by", help="Rank by the mean or the maximum"),
    every_status: bool = typer.Option(False, "--all", help="Every hazard, not only open ones"),
    limit: int = typer.Option(30, "--limit", min=0, help="Hazards listed as text (0: all)"),
    fmt: RankFormat = typer.Option(RankFormat.text, "--format"),
) -> None:
    """Hazards ranked by the mean (or maximum) risk of the surface's cells whose centre lies
    inside them (a hazard smaller than a cell: the cells it touches)."""
    with context() as ctx:
        stats = surfaces.rank_hazards(ctx, surface_file, by=by.value,
                                      every_status=every_status)
    rows = surfaces.ranked_rows(stats)
    if fmt == RankFormat.json:
        sys.stdout.write(json.dumps({"surface": str(surface_file), "by": by.value,
                                     "hazards": rows}, indent=1, default=str) + "\n")
        return
    if fmt == RankFormat.csv:
        names = list(rows[0]) if rows else ["rank", "hazard_id", "cells", "mean", "max"]
        out = csv.DictWriter(sys.stdout, fieldnames=names, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
        return
    shown = rows[:limit] if limit else rows
    for r in shown:
        mean = "-" if r["mean"] is None else f"{r['mean']:.3f}"
        top = "-" if r["max"] is None else f"{r['max']:.3f}"
        line = said("cli.rank_surface_touched" if r["touched_cells"] else "cli.rank_surface",
                    kind=r["kind"], area=r["area_m2"], mean=mean, max=top, count=r["cells"])
        console.print(f"{r['rank']:>4} [bold]{escape(r['hazard_id'])}[/] {escape(line)}",
                      highlight=False)
    if len(rows) > len(shown):
        more = said("cli.shown_of", shown=len(shown), count=len(rows))
        console.print(f"[dim]{escape(more)}[/]")

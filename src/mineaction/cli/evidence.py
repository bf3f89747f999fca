"""Evidence commands: ``hazards assess`` (evidence-weighted classification of open hazards)
and ``risk features`` (a table of features for a risk model)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from mineaction.cli.app import app, console, context, said, say
from mineaction.services import evidence
from mineaction.services.layers import parse_date

hazards_app = typer.Typer(no_args_is_help=True,
                          help="Open hazards as a whole: evidence and recommendations.")
app.add_typer(hazards_app, name="hazards")


class AssessFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


@hazards_app.command("assess")
def assess(
    weights: Path = typer.Option(None, "--weights", help="Evidence weights (TOML); default: "
                                 "the shipped file (see --show-weights)"),
    risk: Path = typer.Option(None, "--risk", help="A risk model's estimate per hazard: CSV "
                              "with columns hazard_id, probability"),
    show_weights: bool = typer.Option(False, "--show-weights", help="Print the default "
                                      "weights file and stop"),
    before: str = typer.Option(None, "--before", help="Assess as the store stood before this "
                               "day (YYYY-MM-DD): hazards then, evidence dated before it"),
    only: str = typer.Option(None, "--only", help="Only hazards with this recommendation "
                             "(confirm, keep or cancel)"),
    limit: int = typer.Option(30, "--limit", min=0, help="Hazards listed as text (0: all)"),
    fmt: AssessFormat = typer.Option(AssessFormat.text, "--format"),
) -> None:
    """Score each open hazard's direct and indirect evidence (IMAS 07.11) and recommend:
    confirm (SHA to CHA), keep, or cancel by non-technical survey, with the reasons."""
    from mineaction.risk.evidence import RECOMMENDATIONS, to_csv

    if show_weights:
        sys.stdout.write(evidence.default_weights())
        return
    text = weights.read_text(encoding="utf-8") if weights else None
    risk_text = risk.read_text(encoding="utf-8") if risk else None
    cut = parse_date(before, "--before")
    with context() as ctx:
        result = evidence.assess(ctx, weights_text=text, risk_text=risk_text,
                                 risk_where=str(risk) if risk else "risk", before=cut)
        locale = ctx.locale
    items = [a for a in result.items if only is None or a.recommendation == only]
    if fmt == AssessFormat.json:
        sys.stdout.write(json.dumps({
            "notes": [m.text(locale) for m in result.notes], "weights": result.weights,
            "hazards": [a.to_dict(locale) for a in items]}, indent=1, default=str) + "\n")
        return
    if fmt == AssessFormat.csv:
        sys.stdout.write(to_csv(result.__class__(items, result.weights), locale))
        return
    recommend = {"confirm": said("cli.recommend_confirm"), "keep": said("cli.recommend_keep"),
                 "cancel": said("cli.recommend_cancel")}
    for rec in RECOMMENDATIONS:
        group = result.by(rec)
        area = sum(a.hazard.area_m2 for a in group)
        say("cli.assess_group", recommendation=recommend.get(rec, rec),
            count=len(group), km2=area / 1e6)
    shown = items[:limit] if limit else items
    for a in shown:
        console.print(f"[bold]{escape(a.hazard.id)}[/] " + escape(said(
            "cli.assess_hazard", kind=a.hazard.kind.upper(), district=a.district,
            area=a.hazard.area_m2, recommendation=recommend.get(a.recommendation,
                                                                a.recommendation),
            direct=a.direct, indirect=a.indirect)), highlight=False)
        for m in a.reasons:
            console.print(f"  {escape(m.text(locale))}")
    if len(items) > len(shown):
        more = said("cli.shown_of", shown=len(shown), count=len(items))
        console.print(f"[dim]{escape(more)}[/]")
    for m in result.notes:
        console.print(f"[dim]{escape(m.text(locale))}[/]")


def _risk_app() -> typer.Typer:
    """The ``risk`` group: the one another module registered, or a new one."""
    for group in app.registered_groups:
        if group.name == "risk" and group.typer_instance is not None:
            return group.typer_instance
    risk_app = typer.Typer(no_args_is_help=True, help="Risk models of contamination.")
    app.add_typer(risk_app, name="risk")
    return risk_app


@_risk_app().command("features")
def features(
    output: Path = typer.Option(..., "-o", "--output", help="CSV file written"),
    cell: float = typer.Option(100.0, "--cell", min=10.0, max=10_000.0,
                               help="Side of a cell, metres"),
    before: str = typer.Option(None, "--before", help="Cut-off date (YYYY-MM-DD): only "
                               "records dated before it count (default: all)"),
    truth: Path = typer.Option(None, "--truth", help="A demo's truth file: adds the target "
                               "column (for evaluation only)"),
    context_file: Path = typer.Option(None, "--context", help="Mapped facts: a GeoPackage "
                                      "with layers front_line, roads, settlements, land_cover "
                                      "(the demo's truth file holds them)"),
    bbox: str = typer.Option(None, "--bbox", help="Only cells in W,S,E,N (degrees)"),
    points: Path = typer.Option(None, "--points", help="Instead of cells: a CSV with columns "
                                "lon, lat"),
) -> None:
    """Write a table of risk features (lon, lat, features, and with --truth a target column)
    for cells of the store's territory or for given points."""
    import csv

    import numpy as np

    from mineaction.errors import InvalidInput

    cut = parse_date(before, "--before")
    box = None
    if bbox:
        try:
            w, s, e, n = (float(v) for v in bbox.split(","))
        except ValueError:
            raise InvalidInput.of("evidence.bad_bbox", value=bbox) from None
        box = (w, s, e, n)
    pts = None
    if points:
        with points.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        try:
            pts = (np.array([float(r["lon"]) for r in rows]),
                   np.array([float(r["lat"]) for r in rows]))
        except (KeyError, TypeError, ValueError):
            raise InvalidInput.of("evidence.bad_points", where=str(points)) from None
    with context() as ctx:
        cols = evidence.features(ctx, cell_m=cell, before=cut,
                                 context_path=str(context_file) if context_file else None,
                                 truth_path=str(truth) if truth else None, bbox=box,
                                 points=pts)
    names = list(cols)
    with output.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(names)
        out.writerows(zip(*(cols[k].tolist() for k in names), strict=True))
    n = len(cols["lon"])
    say("cli.features_written", count=n,
        features=len(names) - 2 - ("target" in cols), path=output)

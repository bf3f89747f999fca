"""Commands on minefield records: import, georef, assess, show, withdraw."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import (
    app,
    checked_output,
    console,
    context,
    err_console,
    said,
    state,
    warn,
)
from mineaction.errors import Problem
from mineaction.geo.measure import area_m2
from mineaction.messages import in_locale
from mineaction.services import records
from mineaction.services.records import MAX_TOLERANCE_M

records_app = typer.Typer(no_args_is_help=True,
                          help="Minefield records: import, georeference, assess reliability.")
app.add_typer(records_app, name="records")


class AssessFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@records_app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(..., help="JSON files, each one record or an array"),
    transformation: str = typer.Option(
        None, "--transformation",
        help="Datum transformation to WGS84 for records that name none, e.g. EPSG:1808"),
) -> None:
    """Import minefield records; any invalid record and nothing is written (exit 2)."""
    documents: list[tuple[str, str]] = []
    unreadable: list[Problem] = []
    for path in files:
        try:
            documents.append((path.name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            unreadable.append(Problem.of(str(path), None, "records.unreadable", error=exc))
    with context() as ctx:
        stored, notes = records.import_documents(ctx, documents, transformation=transformation,
                                                 problems=unreadable)
    for note in notes:
        warn(note)
    console.print(f"imported {len(stored)} minefield record(s): "
                  + ", ".join(r.id for r in stored), highlight=False, markup=False)


def _say_withdrawn(withdrawn: list, what: str) -> None:  # type: ignore[type-arg]
    if withdrawn:
        err_console.print(f"{len(withdrawn)} withdrawn record(s) not {what}: "
                          + ", ".join(r.id for r in withdrawn), highlight=False, markup=False)


@records_app.command("georef")
def georef_cmd(
    ids: list[str] = typer.Option(None, "--id", help="Record id (repeat for several; all "
                                                     "when absent)"),
    transformation: str = typer.Option(
        None, "--transformation",
        help="Datum transformation to WGS84 (EPSG:1808 or part of its name); default: the "
             "record's own, else the best-ranked for its area, with a warning"),
    geojson: Path = typer.Option(None, "--geojson",
                                 help="Also write perimeters, rows and expected mines here"),
) -> None:
    """Georeference stored records again (perimeter, rows, expected mines) and save them."""
    if geojson:
        checked_output(geojson)
    with context() as ctx:
        done = records.georef(ctx, ids, transformation=transformation)
    _say_withdrawn(done.withdrawn, "georeferenced")
    table = Table("record", "crs", "transformation", "area m²", "rows", "mines", "warnings")
    for g in done.georefs:
        table.add_row(g.record_id, escape(g.src_crs), escape(g.operation or "(none: WGS84)"),
                      f"{area_m2(g.perimeter):,.0f}", str(len(g.rows)), str(len(g.mines)),
                      escape("\n".join(in_locale(w, state.locale) for w in g.warnings)))
    console.print(table)
    if geojson:
        geojson.write_text(json.dumps(done.geojson()), encoding="utf-8")
        console.print(f"wrote {geojson}")


@records_app.command("assess")
def assess_cmd(
    ids: list[str] = typer.Option(None, "--id", help="Record id (repeat; all when absent)"),
    fmt: AssessFormat = typer.Option(AssessFormat.table, "--format"),
    transformation: str = typer.Option(None, "--transformation",
                                       help="Datum transformation for the records as written"),
    datum_transformation: str = typer.Option(
        None, "--sk42-transformation",
        help="Transformation used to test 'SK-42 read as WGS84' (default: best-ranked)"),
    tolerance: float = typer.Option(3.0, "--tolerance", min=0.1, max=MAX_TOLERANCE_M,
                                    help="Metres within which a find matches a mine"),
    save: bool = typer.Option(True, "--save/--no-save",
                              help="Write the status and assessment onto each record"),
) -> None:
    """Measure each record's reliability against the finds and the covered ground (withdrawn
    records are skipped)."""
    with context() as ctx:
        done = records.assess(ctx, ids, tolerance_m=tolerance, transformation=transformation,
                              datum_transformation=datum_transformation, save=save)
    _say_withdrawn(done.withdrawn, "assessed")
    results, summary = done.results, done.aggregate
    if fmt == AssessFormat.json:
        sys.stdout.write(json.dumps(done.as_json(), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == AssessFormat.csv:
        sys.stdout.write(done.csv_text())
        return
    table = Table("record", "status", "mines", "matched", "shift E/N m", "rotation °",
                  "RMS m", "interpretation")
    for a in results:
        d = a.to_dict()
        table.add_row(a.record_id, a.status, str(a.expected_mines), str(a.matched_finds),
                      f"{d['shift_east_m']:+.1f} / {d['shift_north_m']:+.1f}",
                      f"{d['rotation_deg']:+.2f}",
                      "" if d["residual_rms_m"] is None else f"{d['residual_rms_m']:.2f}",
                      escape(a.interpretation))
    console.print(table)
    shares = ", ".join(f"{s} {c} ({(summary['share'][s] or 0):.0%})"
                       for s, c in summary["counts"].items())
    console.print(f"{summary['records']} record(s): {shares}", highlight=False)
    if summary["reliable_share_of_judged"] is not None:
        console.print(f"reliable as written: {summary['reliable_share_of_judged']:.0%} of the "
                      f"records that could be judged; usable (reliable or correctable): "
                      f"{summary['usable_share_of_judged']:.0%}. {summary['comparison']}",
                      highlight=False)


@records_app.command("show")
def show_cmd(
    record_id: str = typer.Argument(..., help="Record id"),
    figure: Path = typer.Option(None, "--figure", help="Draw the record and the finds (PNG)"),
    transformation: str = typer.Option(None, "--transformation"),
    tolerance: float = typer.Option(3.0, "--tolerance", min=0.1, max=MAX_TOLERANCE_M),
) -> None:
    """Show one record: what it says, its latest assessment, and optionally a figure. A
    withdrawn record is shown with the date and reason, and is not assessed."""
    if figure:
        checked_output(figure)
        records.check_figure(figure)
    with context() as ctx:
        shown = records.show(ctx, record_id, transformation=transformation,
                             tolerance_m=tolerance)
    if shown.record is None:
        _show_withdrawn(shown.row, figure)
        return
    row, rec, g, a = shown.row, shown.record, shown.georef, shown.assessment
    console.print(f"[bold]{escape(rec.record_id)}[/] from {escape(rec.provider)}"
                  + (f", received {rec.received_on}" if rec.received_on else "")
                  + (f", laid {rec.laid_on}" if rec.laid_on else ""), highlight=False)
    console.print(f"  document: {escape(rec.document or '-')}; source: "
                  f"{escape(rec.source or '-')}", highlight=False)
    console.print(f"  CRS {escape(g.src_crs)} to WGS84 by {escape(g.operation or '(none)')}; "
                  "bearings "
                  f"{rec.bearings.reference} in {rec.bearings.unit}"
                  + (f", declination {rec.bearings.declination_deg:+g}°"
                     if rec.bearings.declination_deg is not None else ""), highlight=False)
    console.print(f"  {len(rec.rows)} row(s), {rec.expected_mines} mine(s), perimeter "
                  f"{area_m2(g.perimeter):,.0f} m²", highlight=False)
    if row.assessment_status:
        console.print(f"  stored assessment ({row.assessed_on}): {row.assessment_status}",
                      highlight=False)
    console.print(f"  now: [bold]{a.status}[/], {a.matched_finds} of {a.expected_mines} "
                  f"matched; interpretation: {escape(a.interpretation)}", highlight=False)
    if row.decision:
        _say_decision(row)
    for line in a.evidence:
        console.print(f"    - {escape(line)}", highlight=False)
    for w in g.warnings:
        warn(w)
    if figure:
        records.draw(shown, figure)
        console.print(f"wrote {figure}")


def _show_withdrawn(row: Any, figure: Path | None) -> None:
    console.print(f"[bold]{escape(row.id)}[/] from {escape(row.provider)}: [bold]withdrawn[/] "
                  f"on {row.withdrawn_on}: {escape(row.withdrawal_reason or '')}",
                  highlight=False)
    console.print(f"  document: {escape(row.document or '-')}; source: "
                  f"{escape(row.source or '-')}", highlight=False)
    if row.assessment_status:
        console.print(f"  last assessment before it was withdrawn ({row.assessed_on}): "
                      f"{row.assessment_status}", highlight=False)
    console.print("  kept as received; no longer georeferenced or assessed", highlight=False)
    if figure:
        warn(said("cli.no_figure_withdrawn", id=row.id))


def _say_decision(row: Any) -> None:
    console.print(f"  proposed correction {row.decision} by {row.decided_by} on "
                  f"{row.decided_on}" + (f": {row.decision_note}" if row.decision_note else "")
                  + (f"; wrote {row.decision_change}" if row.decision_change else ""),
                  highlight=False, markup=False)


@records_app.command("decide")
def decide_cmd(
    record_id: str = typer.Argument(..., help="Record id"),
    accept: bool = typer.Option(..., "--accept/--reject",
                                help="Accept or reject the proposed corrected geometry"),
    note: str = typer.Option("", "--note", help="Why (required to reject; kept with the "
                             "record)"),
) -> None:
    """Accept or reject the corrected geometry a record's assessment proposes, once: accepting
    adds it to the open hazard the record lies on (a new version naming the record), else
    makes a new suspected hazardous area; for IM officers, approvers and administrators."""
    with context() as ctx:
        row = records.decide(ctx, record_id, accept=accept, note=note)
    console.print(f"minefield record {row.id}:", highlight=False, markup=False)
    _say_decision(row)


@records_app.command("withdraw")
def withdraw_cmd(
    record_id: str = typer.Argument(..., help="Record id"),
    reason: str = typer.Option(..., "--reason", help="Why the record is withdrawn (kept with "
                               "the record)"),
) -> None:
    """Withdraw a record: it is kept as received, with today's date and the reason, and is no
    longer georeferenced or assessed (nor counted in the shares of reliable records)."""
    with context() as ctx:
        row = records.withdraw(ctx, record_id, reason)
    console.print(f"withdrew minefield record {row.id} on {row.withdrawn_on}: "
                  f"{row.withdrawal_reason}", highlight=False, markup=False)

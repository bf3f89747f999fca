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
    plain,
    said,
    say,
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
    say("cli.records_imported", count=len(stored),
        ids=", ".join(r.id for r in stored))


def _say_withdrawn(withdrawn: list, code: str) -> None:  # type: ignore[type-arg]
    if withdrawn:
        err_console.print(said(code, count=len(withdrawn),
                               ids=", ".join(r.id for r in withdrawn)),
                          highlight=False, markup=False)


#: A record's assessment status as the screen says it.
STATUS = {"reliable": "cli.record_reliable", "correctable": "cli.record_correctable",
          "unreliable": "cli.record_unreliable", "unverified": "cli.record_unverified"}


def status_said(status: str | None) -> str:
    return said(STATUS[status]) if status in STATUS else str(status or "")


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
    _say_withdrawn(done.withdrawn, "cli.withdrawn_not_georeferenced")
    table = Table(*(said(c) for c in ("cli.head_record", "cli.head_crs",
                                      "cli.head_transformation", "cli.head_area",
                                      "cli.head_rows", "cli.head_mines", "cli.head_warnings")))
    for g in done.georefs:
        table.add_row(g.record_id, escape(g.src_crs),
                      escape(g.operation or said("cli.no_transformation")),
                      f"{area_m2(g.perimeter):,.0f}", str(len(g.rows)), str(len(g.mines)),
                      escape("\n".join(in_locale(w, state.locale) for w in g.warnings)))
    console.print(table)
    if geojson:
        geojson.write_text(json.dumps(done.geojson()), encoding="utf-8")
        say("cli.wrote", path=geojson)


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
    _say_withdrawn(done.withdrawn, "cli.withdrawn_not_assessed")
    results, summary = done.results, done.aggregate
    if fmt == AssessFormat.json:
        sys.stdout.write(json.dumps(done.as_json(), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == AssessFormat.csv:
        sys.stdout.write(done.csv_text())
        return
    table = Table(*(said(c) for c in ("cli.head_record", "cli.head_status", "cli.head_mines",
                                      "cli.head_matched", "cli.head_shift", "cli.head_rotation",
                                      "cli.head_rms", "cli.head_interpretation")))
    for a in results:
        d = a.to_dict()
        table.add_row(a.record_id, status_said(a.status), str(a.expected_mines),
                      str(a.matched_finds),
                      f"{d['shift_east_m']:+.1f} / {d['shift_north_m']:+.1f}",
                      f"{d['rotation_deg']:+.2f}",
                      "" if d["residual_rms_m"] is None else f"{d['residual_rms_m']:.2f}",
                      escape(in_locale(a.interpretation, state.locale)))
    console.print(table)
    shares = ", ".join(f"{status_said(s)} {c} ({(summary['share'][s] or 0):.0%})"
                       for s, c in summary["counts"].items())
    say("cli.records_shares", count=summary["records"], shares=shares)
    if summary["reliable_share_of_judged"] is not None:
        say("cli.records_reliable_share",
            reliable=summary["reliable_share_of_judged"],
            usable=summary["usable_share_of_judged"],
            comparison=summary["comparison"])


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
    said_of = [said("cli.record_from", provider=rec.provider)]
    if rec.received_on:
        said_of.append(said("cli.record_received", date=rec.received_on))
    if rec.laid_on:
        said_of.append(said("cli.record_laid", date=rec.laid_on))
    console.print(f"[bold]{escape(rec.record_id)}[/] " + escape(", ".join(said_of)),
                  highlight=False)
    plain("  " + said("cli.record_document", document=rec.document or "-",
                      source=rec.source or "-"))
    plain("  " + said("cli.record_crs", crs=g.src_crs, operation=g.operation or said("cli.none"),
                      reference=rec.bearings.reference, unit=rec.bearings.unit)
          + (", " + said("cli.record_declination", declination=rec.bearings.declination_deg)
             if rec.bearings.declination_deg is not None else ""))
    plain("  " + said("cli.record_size", rows=len(rec.rows), mines=rec.expected_mines,
                      area=area_m2(g.perimeter)))
    if row.assessment_status:
        plain("  " + said("cli.record_stored_assessment", date=row.assessed_on,
                          status=status_said(row.assessment_status)))
    plain("  " + said("cli.record_now", status=status_said(a.status), matched=a.matched_finds,
                      expected=a.expected_mines, interpretation=a.interpretation))
    if row.decision:
        _say_decision(row)
    for found in a.evidence:
        plain("    - " + in_locale(found, state.locale))
    for w in g.warnings:
        warn(w)
    if figure:
        records.draw(shown, figure, locale=state.locale, status=status_said(a.status))
        say("cli.wrote", path=figure)


def _show_withdrawn(row: Any, figure: Path | None) -> None:
    say("cli.record_withdrawn", id=row.id, provider=row.provider,
        date=row.withdrawn_on, reason=row.withdrawal_reason or "")
    plain("  " + said("cli.record_document", document=row.document or "-",
                      source=row.source or "-"))
    if row.assessment_status:
        plain("  " + said("cli.record_last_assessment", date=row.assessed_on,
                          status=status_said(row.assessment_status)))
    plain("  " + said("cli.record_kept"))
    if figure:
        warn(said("cli.no_figure_withdrawn", id=row.id))


def _say_decision(row: Any) -> None:
    said_ = said("cli.record_decision_accepted" if row.decision == "accepted" else
                 "cli.record_decision_rejected", who=row.decided_by, date=row.decided_on)
    plain("  " + said_ + (f": {row.decision_note}" if row.decision_note else "")
          + ("; " + said("cli.record_decision_wrote", change=row.decision_change)
             if row.decision_change else ""))


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
    say("cli.record_decided", id=row.id)
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
    say("cli.record_withdrew", id=row.id, date=row.withdrawn_on,
        reason=row.withdrawal_reason)

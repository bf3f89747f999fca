"""Quality management commands: sampling plans for post-clearance inspection."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import app, checked_output, console, context, err_console, said, say, state
from mineaction.quality import sampling
from mineaction.services import layers, quality, reports

qm_app = typer.Typer(no_args_is_help=True, help="Quality management of released land.")
app.add_typer(qm_app, name="qm")


class OutFormat(StrEnum):
    table = "table"
    json = "json"


@qm_app.command("plan")
def plan(
    activity_id: str = typer.Argument(None, help="Activity whose released land is the lot; "
                                       "omit to plan every activity of a period"),
    lq: float = typer.Option(sampling.DEFAULT_LQ, "--lq", help="Limiting quality: the share "
                             "of faulty sample plots a lot must be rejected at"),
    confidence: float = typer.Option(sampling.DEFAULT_CONFIDENCE, "--confidence",
                                     help="Consumer's confidence of rejecting a lot at the LQ"),
    plot_m2: float = typer.Option(sampling.DEFAULT_PLOT_M2, "--plot-m2",
                                  help="Area of one sample plot in m²"),
    operator: str = typer.Option(None, "--operator", help="Activities of this operator"),
    date_from: str = typer.Option(None, "--from", help="Activities ended on or after, "
                                  "YYYY-MM-DD"),
    date_to: str = typer.Option(None, "--to", help="Activities ended on or before, "
                                "YYYY-MM-DD"),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format"),
) -> None:
    """Sample plots to inspect in a task's released land (acceptance number zero, ISO 2859-2
    procedure A), for one activity or for a period and operator."""
    start = layers.parse_date(date_from, "--from")
    end = layers.parse_date(date_to, "--to")
    reports.period(None, start, end)  # refuses an inverted period
    with context() as ctx:
        found = quality.plans(ctx, activity_id, operator=operator, start=start, end=end,
                              lq=lq, confidence=confidence, plot_m2=plot_m2)
    if fmt == OutFormat.json:
        sys.stdout.write(json.dumps([{**asdict(p), "sample_m2": p.sample_m2,
                                      "sample_share": p.sample_share} for p in found],
                                    indent=1) + "\n")
        return
    if not found:
        say("cli.qm_nothing")
        return
    t = Table(title=said("cli.qm_title", lq=lq, confidence=confidence, plot=plot_m2))
    for h in ("cli.head_activity", "cli.head_operator", "cli.head_lot_m2", "cli.head_lot_plots",
              "cli.head_faulty", "cli.head_sample_plots", "cli.head_sample_m2",
              "cli.head_share", "cli.head_p_accept"):
        t.add_column(said(h), justify="left" if h in ("cli.head_activity", "cli.head_operator")
                     else "right")
    for p in found:
        t.add_row(escape(p.activity_id), escape(p.operator or "-"), f"{p.lot_m2:,.0f}",
                  f"{p.lot_plots:,}", f"{p.faulty_at_lq:,}", f"{p.sample_plots:,}",
                  f"{p.sample_m2:,.0f}", f"{p.sample_share:.1%}", f"{p.accept_at_lq:.4f}")
    console.print(t)
    if len(found) > 1:
        say("cli.qm_total", count=len(found),
            plots=sum(p.sample_plots for p in found),
            area=sum(p.sample_m2 for p in found))


@qm_app.command("record")
def record(
    inspection_id: str = typer.Argument(..., help="Id of the inspection or visit"),
    activity_id: str = typer.Option(None, "--activity", help="Activity inspected"),
    held_on: str = typer.Option(..., "--on", help="Date, YYYY-MM-DD"),
    result: str = typer.Option(..., "--result", help="pass, fail or observation"),
    kind: str = typer.Option("qc_inspection", "--kind", help="qc_inspection or qa_visit"),
    organisation: str = typer.Option(None, "--organisation", help="Who inspected"),
    items_found: int = typer.Option(None, "--items-found", min=0,
                                    help="Items found on released land"),
    reason: str = typer.Option(None, "--reason", help="Finding: why it failed"),
    severity: str = typer.Option(None, "--severity", help="Non-conformity: minor, major or "
                                 "critical"),
    corrective_action: str = typer.Option(None, "--corrective-action",
                                          help="Corrective action required"),
) -> None:
    """Record one QC inspection or QA visit; a failed QC inspection rejects the lot and
    returns its land to a hazard (use `mineaction import quality FILE` for many)."""
    with context() as ctx:
        messages = quality.record(ctx, [quality.event(
            ctx.today(),
            id=inspection_id, kind=kind, held_on=held_on, activity_id=activity_id,
            result=result, organisation=organisation, items_found=items_found, reason=reason,
            severity=severity, corrective_action=corrective_action)])
    say("cli.qm_recorded", id=inspection_id)
    for m in messages:
        console.print(escape(m.text(ctx.locale)))


@qm_app.command("close")
def close(
    event_id: str = typer.Argument(..., help="Id of the QA visit or QC inspection that "
                                   "raised the non-conformity"),
    closed_on: str = typer.Option(..., "--on", help="Date it was corrected, YYYY-MM-DD"),
    corrective_action: str = typer.Option(None, "--corrective-action",
                                          help="Corrective action taken (required when none "
                                          "was recorded)"),
) -> None:
    """Close a non-conformity: it was corrected on the date given. The quality report counts
    it as closed from then on."""
    with context() as ctx:
        e = quality.close(ctx, event_id, closed_on, corrective_action)
    say("cli.qm_closed", id=e.id, severity=e.severity, date=e.closed_on,
        action=e.corrective_action or "")


@qm_app.command("certificate")
def certificate(
    activity_id: str = typer.Argument(..., help="Activity whose released land is handed over"),
    output: Path = typer.Option(..., "-o", "--output", help="PDF file to write"),
) -> None:
    """Write the handover certificate of a task's released land (PDF): map, corners in
    WGS84 and UTM, area, method, depth, items found, inspections passed, parties, and the
    SHA-256 of its content."""
    from mineaction.services import certificate as certs

    checked_output(output)
    with context() as ctx:
        body, checksum = certs.write(ctx, activity_id, output)
    say("cli.qm_certificate", path=output, number=body["number"],
        checksum=checksum)


@qm_app.command("verify-certificate")
def verify_certificate(
    file: Path = typer.Argument(..., help="A copy of a handover certificate (PDF)"),
) -> None:
    """Verify a copy of a handover certificate: exit 0 when its checksum, attached content
    and printed facts agree, 1 otherwise."""
    from mineaction.services import certificate as certs

    res = certs.verify(file)
    if res.ok:
        say("cli.qm_verified", number=res.number, checksum=res.checksum)
        return
    altered = said("cli.qm_altered")
    for m in res.problems:
        err_console.print(f"[bold red]{escape(altered)}[/] {escape(m.text(state.locale))}")
    raise typer.Exit(1)


@qm_app.command("report")
def qm_report(
    year: int = typer.Option(None, "--year", min=1, max=9999, help="Calendar year"),
    date_from: str = typer.Option(None, "--from", help="First day, YYYY-MM-DD"),
    date_to: str = typer.Option(None, "--to", help="Last day, YYYY-MM-DD"),
    area: str = typer.Option(None, "--area", help="Administrative area (name or id)"),
    output: Path = typer.Option(None, "-o", "--output", help="File to write (csv, xlsx, "
                                "html, pdf, json)"),
    explain: bool = typer.Option(False, "--explain", help="List, for each cell, the filter "
                                 "and the records behind it (JSON)"),
    cell: str = typer.Option(None, "--cell", help="With --explain: TABLE/ROW/COLUMN"),
) -> None:
    """The quality report (the same as `mineaction report quality`)."""
    from mineaction.cli.report import report as report_command

    report_command(name="quality", year=year, date_from=date_from, date_to=date_to,
                   quarter=None, area=area, fmt=None, output=output, explain=explain,  # type: ignore[arg-type]
                   cell=cell, suppress_below=5, by=[])

"""Commands for reports and for importing a national victims register."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from mineaction.cli.app import (
    app,
    checked_output,
    console,
    err_console,
    opened,
    progress_bar,
    state,
)
from mineaction.errors import InvalidInput


class ReportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    html = "html"
    pdf = "pdf"
    json = "json"


def _names() -> str:
    from mineaction.reports.definitions import REPORTS

    return ", ".join(REPORTS)


def _date(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.of("cli.not_a_date", option=option, value=text) from None


@app.command()
def report(
    name: str = typer.Argument(..., help="Report: ap-release-by-district, "
                               "ap-clearance-five-year, capacity, casualties, article7, "
                               "progress"),
    year: int = typer.Option(None, "--year", min=1, max=9999, help="Calendar year"),
    date_from: str = typer.Option(None, "--from", help="First day, YYYY-MM-DD"),
    date_to: str = typer.Option(None, "--to", help="Last day, YYYY-MM-DD"),
    quarter: int = typer.Option(None, "--quarter", min=1, max=4,
                                help="Quarter of --year (progress report)"),
    area: str = typer.Option(None, "--area", help="Administrative area (name or id); areas "
                             "inside it are included"),
    fmt: ReportFormat = typer.Option(None, "--format", help="Default: from -o, else a table "
                                     "on screen"),
    output: Path = typer.Option(None, "-o", "--output", help="File to write"),
    explain: bool = typer.Option(False, "--explain", help="List, for each cell, the filter and "
                                 "the records behind it (JSON)"),
    cell: str = typer.Option(None, "--cell", help="With --explain: TABLE/ROW/COLUMN, any part "
                             "may be empty"),
    suppress_below: int = typer.Option(5, "--suppress-below", min=0,
                                       help="Hide counts of people below this (0: none)"),
) -> None:
    """Build report NAME for a period and area; render it or explain its cells."""
    from mineaction.analysis.statistics import Period, scope_for
    from mineaction.reports import Options, build
    from mineaction.reports.render import explain as explain_cells
    from mineaction.reports.render import write

    if quarter is not None and year is None:
        raise InvalidInput.of("cli.quarter_needs_year")
    if output:
        checked_output(output)
        kind = fmt.value if fmt else output.suffix.lower().lstrip(".")
        if not explain and kind not in ReportFormat.__members__:
            raise InvalidInput.of("cli.report_format_unknown", name=output.name,
                                  formats=", ".join(ReportFormat.__members__))
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    if start and end and start > end:
        raise InvalidInput.of("cli.from_after_to", start=start, end=end)
    try:
        period = Period.of(year, start, end, quarter)
    except ValueError as exc:  # a period reaching past the last date there is (9999-12-31)
        raise InvalidInput.of("cli.year_out_of_range", year=year, error=exc) from None
    with opened() as store:
        scope = scope_for(store, period, area)
        rep = build(store, name, scope, Options(suppress_below=suppress_below, quarter=quarter))
    rep.store = state.db
    if explain:
        t, r, c = ((cell or "").split("/") + ["", "", ""])[:3]
        items = explain_cells(rep, t or None, r or None, c or None)
        text = json.dumps(items, ensure_ascii=False, indent=1, default=str)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
            console.print(f"wrote the explanation of {len(items)} cell(s) to {output}")
        else:
            sys.stdout.write(text + "\n")
        return
    if output:
        paths = write(rep, output, fmt.value if fmt else None)
        for p in paths:
            console.print(f"wrote {p}")
        return
    if fmt == ReportFormat.json:
        from mineaction.reports.render import json_text

        sys.stdout.write(json_text(rep))
        return
    if fmt is not None and fmt != ReportFormat.csv:
        raise InvalidInput.of("cli.format_needs_output", format=fmt.value)
    if fmt == ReportFormat.csv:
        from mineaction.reports.render import table_csv

        for tab in rep.tables:
            if len(rep.tables) > 1:
                sys.stdout.write(f"# {tab.name}\n")
            sys.stdout.write(table_csv(tab))
        return
    _print(rep)


def _print(rep) -> None:  # type: ignore[no-untyped-def]
    from mineaction.reports.render import shown

    console.print(f"[bold]{rep.title}[/]  {escape(rep.filter_text())}")
    if rep.synthetic:
        console.print("[bold red]SYNTHETIC DATA[/]")
    for t in rep.tables:
        rt = RichTable(title=t.title)
        for c in t.columns:
            rt.add_column(c.title + (f" ({c.unit})" if c.unit else ""),
                          justify="right" if c.numeric else "left")
        # Cells hold stored text (area names): shown as it is, never read as console markup.
        for row in t.rows:
            rt.add_row(*[escape(shown(row[c.name], c, rep.suppress_below)) for c in t.columns])
        if t.total:
            rt.add_row(*[escape(shown(t.total[c.name], c, rep.suppress_below))
                         for c in t.columns], style="bold")
        console.print(rt)
        for n in t.notes:
            console.print(f"  [dim]{n}[/]")
    for s in rep.sources:
        console.print(f"[dim]source: {s}[/]")


@app.command("import-register")
def import_register(
    layer: str = typer.Argument(..., help="Layer: victims"),
    file: Path = typer.Argument(..., help="The register, a CSV file"),
    mapping: str = typer.Option(..., "--mapping", help="Mapping name (colombia-aicma) or a "
                                "TOML mapping file"),
) -> None:
    """Import a national register of victims through a column mapping."""
    from mineaction.io.victims_register import import_register as run
    from mineaction.io.victims_register import load_mapping

    if layer != "victims":
        raise InvalidInput.of("cli.register_layer", layer=layer)
    m = load_mapping(mapping)
    with opened() as store, progress_bar("importing victims", None) as advance:
        n = run(store, file, m, progress=advance)
    console.print(f"imported {n} victims record(s) from {file} with mapping {m.name}")
    if m.credit:
        err_console.print(f"[dim]source: {m.credit}[/]")

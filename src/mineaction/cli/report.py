"""Commands for reports and for importing a national victims register."""

from __future__ import annotations

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
    context,
    err_console,
    progress_bar,
    said,
    say,
)
from mineaction.errors import InvalidInput
from mineaction.services import imports, layers, reports


class ReportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    html = "html"
    pdf = "pdf"
    json = "json"


@app.command()
def report(
    name: str = typer.Argument(..., help="Report: ap-release-by-district, "
                               "ap-clearance-five-year, capacity, casualties, article7, "
                               "progress, productivity, ranked-tasks"),
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
    suppress_below: int | None = typer.Option(None, "--suppress-below", min=0,
                                              help="Hide counts of people below this (0: "
                                              "none); default: the programme's setting "
                                              "public.suppress_below, the only one allowed "
                                              "to those who do not read every victim"),
    by: list[str] = typer.Option([], "--by", help="A further breakdown: area (casualties "
                                 "by administrative area, codes of a register included), "
                                 "quarter (eore by district and quarter)"),
) -> None:
    """Build report NAME for a period and area; render it or explain its cells."""
    if quarter is not None and year is None:
        raise InvalidInput.of("cli.quarter_needs_year")  # before the output is looked at
    if output:
        checked_output(output)
        if not explain:
            reports.output_format(output, fmt.value if fmt else None)
    start = layers.parse_date(date_from, "--from")
    end = layers.parse_date(date_to, "--to")
    when = reports.period(year, start, end, quarter)
    with context() as ctx:
        rep = reports.build(ctx, name, when, area=area, quarter=quarter,
                            suppress_below=suppress_below, by=tuple(by))
    if explain:
        items = reports.explain(rep, cell)
        text = reports.explain_text(items)
        if output:
            output.write_text(text, encoding="utf-8")
            say("cli.wrote_explanation", count=len(items), path=output)
        else:
            sys.stdout.write(text)
        return
    if output:
        for p in reports.write(rep, output, fmt.value if fmt else None):
            say("cli.wrote", path=p)
        return
    if fmt == ReportFormat.json:
        sys.stdout.write(reports.json_text(rep))
        return
    if fmt is not None and fmt != ReportFormat.csv:
        raise InvalidInput.of("cli.format_needs_output", format=fmt.value)
    if fmt == ReportFormat.csv:
        sys.stdout.write(reports.csv_text(rep))
        return
    rep = reports.for_people(rep)
    w = reports.words(rep)
    console.print(f"[bold]{escape(rep.title)}[/]  {escape(rep.filter_text())}")
    if rep.synthetic:
        console.print(f"[bold red]{escape(w['synthetic'])}[/]")
    for t in reports.screen(rep):
        rt = RichTable(title=t.title)
        for header, numeric in zip(t.headers, t.numeric, strict=True):
            rt.add_column(header, justify="right" if numeric else "left")
        # Cells hold stored text (area names): shown as it is, never read as console markup.
        for row in t.rows:
            rt.add_row(*[escape(v) for v in row])
        if t.total:
            rt.add_row(*[escape(v) for v in t.total], style="bold")
        console.print(rt)
        for n in t.notes:
            console.print(f"  [dim]{n}[/]")
    for s in rep.sources:
        console.print(f"[dim]{escape(w['source'].format(source=s))}[/]")


@app.command("import-register")
def import_register(
    layer: str = typer.Argument(..., help="Layer: victims"),
    file: Path = typer.Argument(..., help="The register, a CSV file"),
    mapping: str = typer.Option(..., "--mapping", help="Mapping name (colombia-aicma) or a "
                                "TOML mapping file"),
) -> None:
    """Import a national register of victims through a column mapping."""
    from mineaction.io.victims_register import load_mapping, read_register

    if layer != "victims":
        raise InvalidInput.of("import.register_layer", layer=layer)
    m = load_mapping(mapping)
    with context() as ctx:
        if not file.exists():
            raise InvalidInput.of("file.not_found", path=file)
        rows = read_register(file, m)
        with progress_bar(said("cli.progress_importing", layer=layer), None) as advance:
            result = imports.import_register(ctx, layer, rows, m, progress=advance,
                                             source=str(file))
    from mineaction.cli.layers import show_outcome

    show_outcome(result, str(file), None, ctx.locale)
    if m.credit:
        source = said("cli.register_source", credit=m.credit)
        err_console.print(f"[dim]{escape(source)}[/]")

"""Commands on the published-figures register: import, list, conflicts, totals, compare."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import app, console, context, said, say, state
from mineaction.io.readers import read_file
from mineaction.messages import in_locale
from mineaction.services import figures, layers

figures_app = typer.Typer(no_args_is_help=True, help="The published-figures register.")
app.add_typer(figures_app, name="figures")


def num(v: float) -> str:
    """A value as people read it: thousands separators, no exponent, no trailing '.0'."""
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.6f}".rstrip("0").rstrip(".")


class OutFormat(StrEnum):
    table = "table"
    json = "json"


@figures_app.command("import")
def import_(file: Path = typer.Argument(..., help="CSV with the register's columns "
                                         "(figure_id, country, area, metric, value, unit, ...)")
            ) -> None:
    """Import published figures; every row checked, all or nothing."""
    with context() as ctx:
        n = figures.import_register(ctx, read_file(file))
    say("cli.figures_imported", count=n, file=file)


@figures_app.command("import-table")
def import_table(
    file: Path = typer.Argument(..., help="CSV with one row per area"),
    country: str = typer.Option(..., "--country"),
    area_column: str = typer.Option("district", "--area-column"),
    part_of: str = typer.Option("national", "--part-of", help="The whole the rows add up to"),
    metric: list[str] = typer.Option(..., "--metric", help="COLUMN=METRIC:UNIT, repeatable"),
    date_from: str = typer.Option(None, "--from"), date_to: str = typer.Option(None, "--to"),
    attributed_to: str = typer.Option(None, "--attributed-to"),
    publication: str = typer.Option(None, "--publication"),
) -> None:
    """Import a published breakdown table (one row per district) as figures."""
    metrics = figures.parse_metrics(metric)
    start = layers.parse_date(date_from, "--from")
    end = layers.parse_date(date_to, "--to")
    with context() as ctx:
        n = figures.import_table(ctx, read_file(file), country=country, part_of=part_of,
                                 start=start, end=end, metrics=metrics,
                                 area_column=area_column, attributed_to=attributed_to,
                                 publication=publication)
    say("cli.figures_imported_table", count=n, file=file)


@figures_app.command("list")
def list_(metric: str = typer.Option(None, "--metric"),
          country: str = typer.Option(None, "--country"),
          fmt: OutFormat = typer.Option(OutFormat.table, "--format")) -> None:
    """List published figures."""
    with context() as ctx:
        items = figures.listing(ctx, metric, country)
    if fmt == OutFormat.json:
        json.dump(figures.as_json(items), sys.stdout, ensure_ascii=False, default=str, indent=1)
        sys.stdout.write("\n")
        return
    t = Table(title=said("cli.figures_title", count=len(items)))
    for c in ("cli.head_id", "cli.head_country", "cli.head_area_word", "cli.head_metric",
              "cli.head_value", "cli.head_unit", "cli.head_period", "cli.head_source",
              "cli.head_qualifier"):
        t.add_column(said(c), justify="right" if c == "cli.head_value" else "left",
                     overflow="fold")
    for f in items:
        t.add_row(f.id, f.country, f.area, f.metric, f"{f.value:,.{f.decimals or 0}f}", f.unit,
                  f"{f.period_start or ''}–{f.period_end or ''}",
                  f"{f.attributed_to} ({f.publication})", str(f.qualifier))
    console.print(t)


@figures_app.command("conflicts")
def conflicts_(fmt: OutFormat = typer.Option(OutFormat.table, "--format"),
               metric: str = typer.Option(None, "--metric"),
               country: str = typer.Option(None, "--country")) -> None:
    """Figures of one metric, country and area, same or nested periods, that disagree."""
    with context() as ctx:
        found = figures.conflicts(ctx, metric, country)
    if fmt == OutFormat.json:
        json.dump([c.as_dict() for c in found], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    t = Table(title=said("cli.conflicts_title", count=len(found)))
    for col in ("cli.head_metric", "cli.head_area_word", "cli.head_figures", "cli.head_values",
                "cli.head_sources", "cli.head_difference"):
        t.add_column(said(col), overflow="fold")
    for c in found:
        d = c.as_dict()
        values = "\n".join(f"{f.value:,.{f.decimals or 0}f} {c.unit}" for f in c.figures)
        t.add_row(c.metric, c.area, "\n".join(d["figure_ids"]), values, "\n".join(d["sources"]),
                  f"{num(d['difference'])} {c.unit} ({d['relative_difference']:.0%})")
    console.print(t)


@figures_app.command("totals")
def totals() -> None:
    """For each published breakdown, the sum of its rows beside the published whole."""
    with context() as ctx:
        rolled = figures.totals(ctx)
    t = Table(title=said("cli.totals_title"))
    for c in ("cli.head_metric", "cli.head_whole", "cli.head_period", "cli.head_parts",
              "cli.head_sum_parts", "cli.head_published", "cli.head_agrees"):
        t.add_column(said(c), overflow="fold")
    yes, no = said("cli.yes"), said("cli.no").upper()
    for r in rolled:
        pub = "\n".join(f"{w.id}: {num(w.value)} {w.unit}" for w in r.wholes) or said(
            "cli.none")
        ok = "\n".join(yes if r.agrees(w) else no for w in r.wholes) or "-"
        places = max((p.decimals or 0) for p in r.parts)
        t.add_row(r.metric, r.whole_area, f"{r.period[0] or ''}–{r.period[1] or ''}",
                  str(len(r.parts)), f"{r.sum_of_parts:,.{places}f} {r.unit}", pub, ok)
    console.print(t)


@figures_app.command("compare")
def compare_(country: str = typer.Option(None, "--country"),
             metric: str = typer.Option(None, "--metric"),
             fmt: OutFormat = typer.Option(OutFormat.table, "--format"),
             suppress_below: int | None = typer.Option(
                 None, "--suppress-below", min=0,
                 help="Hide counts of people below this (0: none); default: the programme's "
                      "setting public.suppress_below, the only one allowed to those who do "
                      "not read every victim")) -> None:
    """The store's own figures beside published ones for the same country, area and period."""
    from mineaction.services.reports import threshold

    with context() as ctx:
        rows = figures.compare(ctx, country, metric, suppress_below=suppress_below)
        below = threshold(ctx, suppress_below)
    if fmt == OutFormat.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    t = Table(title=said("cli.compare_title"))
    for c in ("cli.head_figure", "cli.head_place", "cli.head_metric", "cli.head_period",
              "cli.head_published", "cli.head_computed", "cli.head_records", "cli.head_agrees"):
        t.add_column(said(c), overflow="fold")
    answer = {True: said("cli.yes"), False: said("cli.no"), None: "-"}
    for r in rows:
        value = r["computed"]
        shown = value if isinstance(value, str) else f"{num(value)} {r['unit']}"
        agrees = answer[r["agrees"]]
        t.add_row(r["figure_id"], f"{r['country']}, {r['area']}", r["metric"],
                  "–".join(r["period"]), f"{num(r['published'])} {r['unit']}", shown,
                  str(r["records"]), agrees)
    console.print(t)
    for line in figures.compare_notes(rows, below):
        console.print(f"  [dim]{escape(in_locale(line, state.locale))}[/]", highlight=False)


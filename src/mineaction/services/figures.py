"""The published-figures register: import (a register or a breakdown table), list,
conflicts between sources, breakdowns against their totals, the store's own figures beside
published ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mineaction.errors import InvalidInput
from mineaction.io.readers import SourceFile
from mineaction.messages import Note
from mineaction.services.context import Context

__all__ = ["as_json", "compare", "compare_notes", "conflicts", "import_register",
           "import_table", "listing", "parse_metrics", "totals"]


def import_register(ctx: Context, src: SourceFile) -> int:
    """Import published figures (the register's columns); every row checked, all or none."""
    from mineaction.analysis.figures import import_figures

    return import_figures(ctx.reader, src, today=ctx.today())


def parse_metrics(specs: list[str]) -> dict[str, tuple[str, str]]:
    """``COLUMN=METRIC:UNIT`` texts as {column: (metric, unit)}."""
    metrics = {}
    for m in specs:
        col, _, rest = m.partition("=")
        name, _, unit = rest.partition(":")
        if not (col and name and unit):
            raise InvalidInput.of("cli.metric_format", value=m)
        metrics[col] = (name, unit)
    return metrics


def import_table(ctx: Context, src: SourceFile, *, country: str, part_of: str,
                 metrics: dict[str, tuple[str, str]], area_column: str,
                 start: dt.date | None = None, end: dt.date | None = None,
                 attributed_to: str | None = None, publication: str | None = None) -> int:
    """Import a published breakdown (one row per area) as figures; an empty cell is "not
    reported", never zero. All or nothing."""
    from mineaction.analysis.figures import import_breakdown

    return import_breakdown(ctx.reader, src, country=country, part_of=part_of,
                            period_start=start, period_end=end, metrics=metrics,
                            area_column=area_column, attributed_to=attributed_to,
                            publication=publication)


def listing(ctx: Context, metric: str | None = None, country: str | None = None) -> list[Any]:
    """Published figures, of one metric and country when given."""
    from mineaction.analysis.figures import figures

    return figures(ctx.reader, metric, country)


def as_json(items: list[Any]) -> list[dict[str, Any]]:
    return [{"figure_id": f.id, "country": f.country, "area": f.area, "metric": f.metric,
             "value": f.value, "unit": f.unit, "period_start": f.period_start,
             "period_end": f.period_end, "attributed_to": f.attributed_to,
             "publication": f.publication, "qualifier": str(f.qualifier)} for f in items]


def conflicts(ctx: Context, metric: str | None = None, country: str | None = None
              ) -> list[Any]:
    """Figures of one metric, country and area, same or nested periods, that disagree beyond
    their rounding."""
    from mineaction.analysis.figures import conflicts as find
    from mineaction.analysis.figures import figures

    return find(figures(ctx.reader, metric, country))


def totals(ctx: Context) -> list[Any]:
    """Each published breakdown: the sum of its rows beside the published wholes."""
    from mineaction.analysis.figures import figures, rollups

    return rollups(figures(ctx.reader))


def compare(ctx: Context, country: str | None = None, metric: str | None = None, *,
            suppress_below: int | None = None) -> list[dict[str, Any]]:
    """The store's own figures beside published ones for the same country, area and period;
    counts of people below the threshold suppressed (the programme's, unless the actor may
    ask another: :func:`mineaction.services.reports.threshold`)."""
    from mineaction.analysis.figures import compare as run
    from mineaction.services.reports import threshold

    return run(ctx.reader, country, metric, suppress_below=threshold(ctx, suppress_below))


def no_data() -> str:
    from mineaction.analysis.figures import NO_DATA

    return NO_DATA


def compare_notes(rows: list[dict[str, Any]], threshold: int) -> list[str]:
    """What the comparison table's marks mean, and the records it could not place (Notes:
    English as text, said in the reader's language where shown)."""
    nd = no_data()
    notes: list[str] = []
    if any(r["computed"] == nd for r in rows):
        notes.append(Note("figures.note_no_data", mark=nd))
    if any(r["computed"] in (f"<{threshold}", "x") for r in rows):
        notes.append(Note("figures.note_suppressed", threshold=threshold))
    seen = set()
    for r in rows:
        key = (r["layer"], tuple(r["period"]))
        if r["left_out"] and key not in seen:
            seen.add(key)
            n, period = r["left_out"], "–".join(r["period"])
            notes.append(Note("figures.note_left_out", count=n, layer=r["layer"], period=period)
                         if isinstance(n, int) else
                         Note("figures.note_left_out_few", threshold=threshold,
                              layer=r["layer"], period=period))
    return notes


def conflicts_json(found: list[Any]) -> list[dict[str, Any]]:
    """:func:`conflicts` as JSON objects."""
    return [c.as_dict() for c in found]


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows of :func:`as_json`, :func:`conflicts_json` or :func:`compare` as CSV: one column
    per key, lists joined with ``;``."""
    import csv
    import io

    out = io.StringIO()
    if not rows:
        return ""
    names = list(rows[0])
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ";".join("" if x is None else str(x) for x in v)
                         if isinstance(v, (list, tuple)) else ("" if v is None else v)
                         for k, v in row.items()})
    return out.getvalue()

"""Reports: build one for a period and area, explain its cells, render it to text, bytes or
files. Counts of people are suppressed below the threshold the caller gives (the settings'
by default)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mineaction.errors import InvalidInput
from mineaction.reports.model import Report
from mineaction.reports.render import FORMATS
from mineaction.services.context import Context

__all__ = ["FORMATS", "Report", "ScreenTable", "build", "csv_text", "explain", "json_text",
           "for_people", "names", "output_format", "screen", "words", "write"]


def names() -> list[str]:
    """The reports there are."""
    from mineaction.reports.definitions import REPORTS

    return list(REPORTS)


def period(year: int | None = None, start: dt.date | None = None,
           end: dt.date | None = None, quarter: int | None = None) -> Any:
    """The period of a report: a year, a quarter of it, or from ``start`` to ``end``;
    InvalidInput for a quarter without a year or an inverted period."""
    from mineaction.analysis.statistics import Period

    if quarter is not None and year is None:
        raise InvalidInput.of("cli.quarter_needs_year")
    if start and end and start > end:
        raise InvalidInput.of("cli.from_after_to", start=start, end=end)
    try:
        return Period.of(year, start, end, quarter)
    except ValueError as exc:  # a period reaching past the last date there is (9999-12-31)
        raise InvalidInput.of("cli.year_out_of_range", year=year, error=exc) from None


def build(ctx: Context, name: str, when: Any, *, area: str | None = None,
          quarter: int | None = None, suppress_below: int | None = None,
          by: tuple[str, ...] = ()) -> Report:
    """Report ``name`` over the period ``when`` (:func:`period`; ``quarter`` names the
    quarter of a year's period) and an administrative area (id, or name in any
    transliteration; the areas inside it included), from the records the actor may see;
    counts of people below ``suppress_below`` (default, and for most actors the only one
    allowed: the programme's; see :func:`threshold`) suppressed. ``by``
    adds breakdowns (``area``: casualties by administrative area). InvalidInput for an
    unknown report, area or breakdown, or an ambiguous area (listing the candidates)."""
    from mineaction.analysis.statistics import scope_for
    from mineaction.reports import Options
    from mineaction.reports import build as build_report
    from mineaction.reports.definitions import BY

    for b in by:
        if name == "eore":
            if b != "quarter":
                raise InvalidInput.of("eore.breakdown_unknown", by=b, known="quarter")
        elif b not in BY or name != "casualties":
            raise InvalidInput.of("areas.breakdown_unknown", by=b, report=name,
                                  known=", ".join(BY))
    below = threshold(ctx, suppress_below)
    # every figure of one report from one state of the store: a write committed while it is
    # built (a release between the hazards and the steps) is in none of them or all
    with ctx.snapshot() as pinned:
        scope = replace(scope_for(pinned.reader, when, area), today=ctx.today())
        rep = build_report(pinned.reader, name, scope,
                           Options(suppress_below=below, quarter=quarter, by=tuple(by)))
    rep.store = ctx.store.url
    rep.locale = ctx.locale
    return rep


def output_format(path: Path, fmt: str | None) -> str:
    """The format of an output file: ``fmt``, else its suffix (InvalidInput when neither
    names one of :data:`FORMATS`)."""
    kind = fmt or path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise InvalidInput.of("cli.report_format_unknown", name=path.name,
                              formats=", ".join(FORMATS))
    return kind


def explain(report: Report, cell: str | None = None) -> list[dict[str, Any]]:
    """For every cell (or those ``TABLE/ROW/COLUMN`` names, any part empty), its value, filter
    and the records behind it; suppressed cells list no records."""
    from mineaction.reports.render import explain as explain_cells

    t, r, c = ((cell or "").split("/") + ["", "", ""])[:3]
    return explain_cells(report, t or None, r or None, c or None)


def explain_text(items: list[dict[str, Any]]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=1, default=str) + "\n"


def write(report: Report, path: Path, fmt: str | None = None) -> list[Path]:
    """Render the report to ``path`` (CSV: one file per table); the files written."""
    from mineaction.reports.render import write as write_report

    return write_report(report, path, fmt)


def json_text(report: Report) -> str:
    """Every cell in full precision, for machines."""
    from mineaction.reports.render import json_text as as_text

    return as_text(report)


def csv_text(report: Report) -> str:
    """Every table as CSV, each headed ``# name`` when there are several."""
    from mineaction.reports.render import table_csv

    parts = []
    for tab in report.tables:
        if len(report.tables) > 1:
            parts.append(f"# {tab.name}\n")
        parts.append(table_csv(tab))
    return "".join(parts)


def for_people(report: Report) -> Report:
    """The report with its title and headings in its language (the reader's)."""
    from mineaction.reports.localise import localise

    return localise(report)


def words(report: Report) -> dict[str, str]:
    """The words around a report's tables ("SYNTHETIC DATA", "source: {source}") in its
    language."""
    from mineaction.reports.localise import words as frame

    return frame(report.locale)


@dataclass
class ScreenTable:
    title: str
    headers: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    total: list[str] | None
    notes: list[str]


def screen(report: Report) -> list[ScreenTable]:
    """The report's tables as people read them, in the report's language: thousands
    separators, '<5' or 'x' for a suppressed count."""
    from mineaction.reports.localise import localise
    from mineaction.reports.render import shown

    report = localise(report)
    out = []
    for t in report.tables:
        rows = [[shown(row[c.name], c, report.suppress_below) for c in t.columns]
                for row in t.rows]
        total = ([shown(t.total[c.name], c, report.suppress_below) for c in t.columns]
                 if t.total else None)
        out.append(ScreenTable(t.title, [c.title + (f" ({c.unit})" if c.unit else "")
                                         for c in t.columns],
                               [c.numeric for c in t.columns], rows, total, list(t.notes)))
    return out


# -- for clients over the network (the HTTP API) --------------------------------------------

#: Formats a report is sent in, and their media types.
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "pdf": "application/pdf"}


def catalogue() -> list[dict[str, str]]:
    """Every report: its name, title and description."""
    from mineaction.reports.definitions import REPORTS

    return [{"name": d.name, "title": d.title, "description": d.description}
            for d in REPORTS.values()]


def threshold(ctx: Context, asked: int | None = None) -> int:
    """The suppression threshold of counts of people for the actor: the programme's
    (:attr:`Context.suppress_below`). Only an actor who reads every victim it counts (an
    administrator; the local user of a store without accounts) may ask another, lower or
    higher; anyone else asking one is refused (InvalidInput), since two thresholds over the
    same counts give away what each hides, and a lower one what the programme hides."""
    floor = ctx.suppress_below
    if asked is None or asked == floor:
        return floor
    if not reads_every_victim(ctx):
        raise InvalidInput.of("report.threshold_fixed", threshold=floor, asked=asked)
    return asked


def reads_every_victim(ctx: Context) -> bool:
    """Whether every victim the actor counts is a record they read (no grant of theirs on
    victims is of counts only: the public's, which everyone has, is)."""
    from mineaction.errors import Forbidden

    policy = getattr(ctx.reader, "policy", None)
    if policy is None:  # the store itself, unfiltered
        return True
    try:
        grants = policy.access("victims").grants
    except Forbidden:
        return False
    return not any(g.precision.kind == "counts" for g in grants)


def render(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` (:data:`MEDIA`) as bytes, without the store's location (a
    server's URL names its host and user)."""
    import copy
    import tempfile

    sent = copy.copy(report)
    sent.store = None
    if fmt == "json":
        return json_text(sent).encode("utf-8")
    if fmt == "csv":
        return csv_text(sent).encode("utf-8")
    if fmt not in MEDIA:
        raise InvalidInput.of("report.unknown_format", fmt=fmt, formats=", ".join(MEDIA))
    with tempfile.TemporaryDirectory(prefix="mineaction-report-") as folder:
        paths = write(sent, Path(folder) / f"{report.name}.{fmt}", fmt)
        return paths[0].read_bytes()

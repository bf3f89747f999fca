"""What the public Observer shows: the public versions of the reports (counts of people
suppressed), the published figures that disagree, and where every figure comes from. Every
function reads as the context's actor; the web pages only lay out what these return."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mineaction.errors import Forbidden
from mineaction.reports.model import Cell, Report
from mineaction.services import figures as figures_service
from mineaction.services import reports
from mineaction.services.context import Context

__all__ = ["Bulletin", "Headline", "bulletin", "casualties", "conflicts", "explain",
           "headlines", "latest_month", "release", "synthetic", "years"]

#: Layers whose records say whether a store holds synthetic (demonstration) data.
MARKED = ("hazards", "release-steps", "accidents")


def synthetic(ctx: Context) -> bool:
    """Whether the store holds synthetic data (demonstration records, marked as such)."""
    from mineaction.reports.definitions import synthetic as marked

    for layer in MARKED:
        try:
            if marked(ctx.reader, [layer]):
                return True
        except Forbidden:
            continue
    return False


def years(ctx: Context) -> list[int]:
    """The years with land released or casualties recorded, latest first."""
    found: set[int] = set()
    for layer, date_field in (("release-steps", "released_on"), ("victims", "occurred_on")):
        try:
            rows = ctx.reader.aggregate(layer, ["year"], date_field=date_field)
        except Forbidden:
            continue
        found.update(int(r["year"]) for r in rows if r["year"])
    return sorted(found, reverse=True)


def build(ctx: Context, name: str, year: int | None, *, start: dt.date | None = None,
          end: dt.date | None = None) -> Report:
    """Report ``name`` for ``year`` (every year when None; or from ``start`` to ``end``), as
    the actor may read it, with the actor's suppression threshold (the installation's for
    the public)."""
    return reports.build(ctx, name, reports.period(year, start, end),
                         suppress_below=reports.threshold(ctx))


def casualties(ctx: Context, year: int | None = None) -> Report:
    """The casualties report (by year, group, sex, age, device, activity), suppressed."""
    return build(ctx, "casualties", year)


def release(ctx: Context, year: int | None = None) -> Report:
    """Land released by district and method and by year and method, cancelled, reduced and
    cleared always apart; and the contamination remaining at the end of the period (table
    ``remaining``: open hazards by district and kind, as they stood that day)."""
    return build(ctx, "land-release", year)


@dataclass(frozen=True)
class Headline:
    """One headline figure: what it counts (``key``), its cell, its unit, and the report
    cell that explains it (``report``, ``cell`` as TABLE/ROW/COLUMN)."""

    key: str
    cell: Cell
    unit: str
    report: str
    source: str


def headlines(casualties_report: Report, release_report: Report) -> list[Headline]:
    """The headline figures of a period from its reports (:func:`casualties`,
    :func:`release`): people killed and injured (suppressed as in the casualties report),
    land cancelled, reduced and cleared (km², each apart)."""
    out: list[Headline] = []
    by_year = casualties_report.table("by-year")
    if by_year.total is not None:
        for col in ("killed", "injured"):
            out.append(Headline(col, by_year.total[col], "people", "casualties",
                                f"by-year/Total/{col}"))
    years_table = release_report.table("years")
    if years_table.total is not None:
        for m in ("cancelled", "reduced", "cleared"):
            out.append(Headline(m, years_table.total[f"{m}_km2"], "km2", "land-release",
                                f"years/Total/{m}_km2"))
    return out


def explain(report: Report, cell: str) -> list[dict[str, Any]]:
    """The filter and the records behind a cell of a report (none for a suppressed one, no
    victims' ids while counts are suppressed)."""
    return reports.explain(report, cell)


def conflicts(ctx: Context, country: str | None = None) -> list[Any]:
    """Published figures of the same metric, country and area that disagree."""
    return figures_service.conflicts(ctx, None, country)


# -- the monthly bulletin ------------------------------------------------------------------


def latest_month(ctx: Context) -> tuple[int, int]:
    """The month of the latest land released or casualty recorded (this month when none)."""
    days: list[dt.date] = []
    for layer, name in (("release-steps", "released_on"), ("victims", "occurred_on")):
        try:
            rows = ctx.reader.aggregate(layer, [name], date_field=name)
        except Forbidden:
            continue
        days += [r[name] for r in rows if isinstance(r[name], dt.date)]
    last = max(days) if days else ctx.today()
    return last.year, last.month


@dataclass
class Bulletin:
    """What changed in a month: casualties, land released, published figures added."""

    year: int
    month: int
    start: dt.date
    end: dt.date
    casualties: Report
    release: Report
    figures: list[Any] = field(default_factory=list)
    previous: tuple[int, int] | None = None
    next: tuple[int, int] | None = None


def bulletin(ctx: Context, year: int, month: int) -> Bulletin:
    """The bulletin of ``month`` of ``year``: the public reports over that month and the
    figures published in it (by their date)."""
    start = dt.date(year, month, 1)
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    published = [f for f in figures_service.listing(ctx)
                 if f.as_of is not None and start <= f.as_of <= end]  # type: ignore[attr-defined]
    prev = (year, month - 1) if month > 1 else (year - 1, 12)
    nxt = (year, month + 1) if month < 12 else (year + 1, 1)
    last = latest_month(ctx)
    return Bulletin(year, month, start, end,
                    build(ctx, "casualties", None, start=start, end=end),
                    build(ctx, "land-release", None, start=start, end=end), published,
                    prev, nxt if nxt <= last else None)

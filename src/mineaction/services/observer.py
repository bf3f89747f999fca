"""What the public Observer shows: the public versions of the reports (counts of people
suppressed), the published figures that disagree, and where every figure comes from. Every
function reads as the context's actor; the web pages only lay out what these return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mineaction.errors import Forbidden
from mineaction.reports.model import Cell, Report
from mineaction.services import figures as figures_service
from mineaction.services import reports
from mineaction.services.context import Context

__all__ = ["Headline", "casualties", "conflicts", "explain", "headlines", "release",
           "synthetic", "years"]

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
    for layer, field in (("release-steps", "released_on"), ("victims", "occurred_on")):
        try:
            rows = ctx.reader.aggregate(layer, ["year"], date_field=field)
        except Forbidden:
            continue
        found.update(int(r["year"]) for r in rows if r["year"])
    return sorted(found, reverse=True)


def _period(year: int | None) -> Any:
    return reports.period(year)


def build(ctx: Context, name: str, year: int | None) -> Report:
    """Report ``name`` for ``year`` (every year when None), as the actor may read it, with
    the actor's suppression threshold (the installation's for the public)."""
    return reports.build(ctx, name, _period(year), suppress_below=reports.threshold(ctx))


def casualties(ctx: Context, year: int | None = None) -> Report:
    """The casualties report (by year, group, sex, age, device, activity), suppressed."""
    return build(ctx, "casualties", year)


def release(ctx: Context, year: int | None = None) -> Report:
    """Land released by district and method, by contamination and method (the
    ``ap-release-by-district`` report's tables), and by year and method (five years ending
    with ``year``): cancelled, reduced and cleared always apart."""
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


"""``land-release``: land released by district and method and by year and method, the way
the public Observer shows it: cancelled, reduced and cleared always apart, each total the land
under its rows (the union of their polygons), never a sum."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mineaction.analysis import statistics as st
from mineaction.analysis.statistics import Areas, Scope
from mineaction.reports.definitions import (
    KM2,
    Options,
    _source_line,
    land_cell,
    land_columns,
    new_report,
    report,
)
from mineaction.reports.model import Cell, Chart, Column, Note, Report, Table
from mineaction.store.base import Reader


def _method_columns() -> list[Column]:
    return [Column(f"{m}_km2", m.capitalize(), "km²", decimals=3) for m in st.METHODS]


@report("land-release", "Land released, by district, year and method",
        "Land cancelled by non-technical survey, reduced by technical survey and cleared, in "
        "the period, by district and by year: never added into one 'cleared' figure; and the "
        "contamination remaining at the end of the period.")
def land_release(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "land-release", scope, options, ["release-steps"])
    areas = Areas.load(reader)
    land = st.Land(reader)
    groups = st.released(reader, scope, ["district", "year", "method"], areas=areas, land=land)
    by_district = Table("districts", "Land released by district and method", [
        Column("district", "District", numeric=False), *_method_columns()])
    for d in sorted({g.key["district"] for g in groups}, key=lambda d: areas.name(d)):
        row: dict[str, Any] = {"district": areas.name(d)}
        for m in st.METHODS:
            c = {**scope.describe(), "district": areas.name(d), "method": m}
            row[f"{m}_km2"] = land_cell(land, (g.figures["area_m2"] for g in groups
                                               if g.key["district"] == d
                                               and g.key["method"] == m), c, scale=KM2)
        by_district.add(row)
    land_columns(by_district, land, [f"{m}_km2" for m in st.METHODS], scale=KM2)
    by_year = Table("years", "Land released by year and method", [
        Column("year", "Year", numeric=False), *_method_columns()])
    for y in sorted({g.key["year"] for g in groups if g.key["year"] is not None}):
        yrow: dict[str, Any] = {"year": str(y)}
        for m in st.METHODS:
            c = {**scope.describe(), "year": y, "method": m}
            yrow[f"{m}_km2"] = land_cell(land, (g.figures["area_m2"] for g in groups
                                                if g.key["year"] == y
                                                and g.key["method"] == m), c, scale=KM2)
        by_year.add(yrow)
    land_columns(by_year, land, [f"{m}_km2" for m in st.METHODS], scale=KM2)
    rep.tables += [by_district, by_year, remaining(reader, scope, areas)]
    rep.charts.append(Chart("years", "Land released by year and method",
                            [r["year"].value for r in by_year.rows],
                            {m: [r[f"{m}_km2"].value for r in by_year.rows]
                             for m in st.METHODS}, "km²", _source_line(rep), stacked=True))
    return rep


#: The kinds of hazardous area, kept apart in the table of remaining contamination.
KINDS = ("sha", "cha")


def as_of(scope: Scope, today: dt.date | None = None) -> dt.date:
    """The day the contamination remaining is counted on: the end of the period, today when
    the period has no end or ends later."""
    now = today or scope.now()
    return min(scope.period.end or now, now)


def remaining(reader: Reader, scope: Scope, areas: Areas) -> Table:
    """Hazards open at the end of the period (:func:`as_of`), as they stood that day, by
    district and kind: the land under them in km² (the union of their polygons that day,
    geodesic), suspected and confirmed areas apart."""
    on = as_of(scope)
    rem = st.Remaining.load(reader, on, areas, scope)
    table = Table("remaining", "Contamination remaining at the end of the period, by district "
                  "and kind", [Column("district", "District", numeric=False),
                               Column("sha_km2", "Suspected hazardous areas (SHA)", "km²",
                                      decimals=3),
                               Column("cha_km2", "Confirmed hazardous areas (CHA)", "km²",
                                      decimals=3)])
    table.as_of = on
    rule = "land under the hazards open that day (the union of their polygons), not their sum"

    def cell(ids: list[str], **key: Any) -> Cell:
        crit = {**scope.describe(), "as at": on.isoformat(), "status": "open", **key,
                "rule": rule}
        fig = rem.figure(ids, crit, KM2)
        return Cell(fig.value, fig)

    districts = {d for d, _ in rem.open.values()}
    for d in sorted(districts, key=lambda d: (d is None, areas.name(d))):
        table.add({"district": areas.name(d), **{
            f"{k}_km2": cell([h for h, dk in rem.open.items() if dk == (d, k)],
                             district=areas.name(d), kind=k) for k in KINDS}})
    if table.rows:
        total: dict[str, Cell] = {"district": Cell("Total")}
        for k in KINDS:
            total[f"{k}_km2"] = cell([h for h, (_, kind) in rem.open.items() if kind == k],
                                     kind=k)
        table.total = total
        table.land = tuple(f"{k}_km2" for k in KINDS)
    table.notes.append(Note("report.note_remaining"))
    return table

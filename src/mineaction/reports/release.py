"""``land-release``: land released by district and method and by year and method, the way
the public Observer shows it: cancelled, reduced and cleared always apart, each total the land
under its rows (the union of their polygons), never a sum."""

from __future__ import annotations

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
from mineaction.reports.model import Chart, Column, Report, Table
from mineaction.store.base import Reader


def _method_columns() -> list[Column]:
    return [Column(f"{m}_km2", m.capitalize(), "km²", decimals=3) for m in st.METHODS]


@report("land-release", "Land released, by district, year and method",
        "Land cancelled by non-technical survey, reduced by technical survey and cleared, in "
        "the period, by district and by year: never added into one 'cleared' figure.")
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
    rep.tables += [by_district, by_year]
    rep.charts.append(Chart("years", "Land released by year and method",
                            [r["year"].value for r in by_year.rows],
                            {m: [r[f"{m}_km2"].value for r in by_year.rows]
                             for m in st.METHODS}, "km²", _source_line(rep), stacked=True))
    return rep

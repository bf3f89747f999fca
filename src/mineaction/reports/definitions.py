"""The reports: each one a function from the store and a scope to a :class:`Report`.

Reports only arrange figures from :mod:`mineaction.analysis.statistics`; they compute nothing
of their own besides totals and unit conversions. A total of counts is the sum of its rows; a
figure or total of released land is the land under its steps (the union of their polygons,
:class:`~mineaction.analysis.statistics.Land`), never a sum, so that land held by two release
steps counts once. Reports that describe a state (open hazards, remaining contamination) give
it as at the end of their period, today when the period has no end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mineaction.analysis import statistics as st
from mineaction.analysis.statistics import Areas, Figure, Group, Period, Scope
from mineaction.reports.model import Cell, Chart, Column, Note, Report, Table, total_row
from mineaction.store.base import Reader

KM2 = 1_000_000.0
#: Layers whose records are people: their counts are public only through suppression.
PEOPLE_LAYERS = frozenset({"victims", "victims-personal"})


@dataclass(frozen=True)
class Options:
    suppress_below: int = 5  # public casualty cells with fewer people are hidden
    quarter: int | None = None  # for the progress report
    by: tuple[str, ...] = ()  # further breakdowns: "area" (casualties by administrative area)


@dataclass(frozen=True)
class ReportDef:
    name: str
    title: str
    description: str
    build: Callable[[Reader, Scope, Options], Report]


REPORTS: dict[str, ReportDef] = {}


def report(name: str, title: str, description: str
           ) -> Callable[[Callable[[Reader, Scope, Options], Report]],
                         Callable[[Reader, Scope, Options], Report]]:
    def deco(fn: Callable[[Reader, Scope, Options], Report]
             ) -> Callable[[Reader, Scope, Options], Report]:
        REPORTS[name] = ReportDef(name, title, description, fn)
        return fn

    return deco


def build(reader: Reader, name: str, scope: Scope, options: Options | None = None) -> Report:
    from mineaction.errors import InvalidInput

    if name not in REPORTS:
        raise InvalidInput.of("report.unknown", name=name, reports=', '.join(REPORTS))
    return REPORTS[name].build(reader, scope, options or Options())


# ---------------------------------------------------------------------------------------------
# Helpers


def merged(figures: Iterable[Figure], criteria: Mapping[str, Any], scale: float = 1.0
           ) -> Figure | None:
    """One figure from several of the same layer: values added, records united."""
    figs = list(figures)
    if not figs:
        return None
    ids = sorted({i for f in figs for i in f.ids})
    value = sum(f.value for f in figs) / scale
    return Figure(value, figs[0].layer, ids, dict(criteria), sum(f.count for f in figs))


def fcell(fig: Figure | None, *, scale: float = 1.0, zero_layer: str = "",
          criteria: Mapping[str, Any] | None = None) -> Cell:
    """A cell for a figure; no figure is a zero that still says what was counted."""
    if fig is None:
        return Cell(0, Figure(0, zero_layer, [], dict(criteria or {}), 0))
    if scale != 1.0:
        fig = Figure(fig.value / scale, fig.layer, fig.ids, fig.criteria, fig.count)
    return Cell(fig.value, fig)


def land_cell(land: st.Land, figures: Iterable[Figure], criteria: Mapping[str, Any],
              scale: float = 1.0) -> Cell:
    """A cell of released land: the land under every step behind ``figures`` (the union of
    their polygons, divided by ``scale``), never the sum of the figures."""
    ids = {i for f in figures for i in f.ids}
    if not ids:
        return Cell(0, Figure(0, "release-steps", [], dict(criteria), 0))
    fig = land.figure(ids, criteria, scale)
    return Cell(fig.value, fig)


def land_columns(table: Table, land: st.Land, columns: Sequence[str], *, scale: float = 1.0,
                 total: bool = True) -> None:
    """Finish a table whose ``columns`` are released land.

    With ``total``, a total row: other numeric columns are the sum of their rows; each land
    column is the land under all its rows (the union of their polygons), and a note says by how
    much the rows overlap where that is less than their sum. Then a note names every land cell
    whose steps' recorded areas add up to more than its land (steps holding the same land) by
    more than :data:`~mineaction.analysis.statistics.OVERLAP_TOLERANCE_M2` per step.
    """
    overlapping_rows: list[str] = []
    if total:
        total_row(table)
        assert table.total is not None
        for name in columns:
            cell = table.total[name]
            common = {k: v for k, v in (cell.figure.criteria if cell.figure else {}).items()
                      if k != "rule"}
            ids = {i for r in table.rows for i in _ids(r[name])}
            union = land.figure(ids, {**common, "rule": f"land under all the rows of {name} "
                                      "(the union of their polygons), not their sum"}, scale)
            extra = (float(cell.value or 0) - union.value) * scale
            if extra > st.OVERLAP_TOLERANCE_M2 * max(len(ids), 1):
                overlapping_rows.append(f"{name} +{extra:,.1f} m²")
            table.total[name] = Cell(union.value, union)
        table.summed = tuple(c for c in table.summed if c not in columns)
        table.land = tuple(columns)
    if overlapping_rows:
        table.notes.append(Note("report.note_rows_overlap", by="; ".join(overlapping_rows)))
    shared: list[str] = []
    for row in table.all_rows():
        for name in columns:
            cell_ids = _ids(row[name])
            extra = land.overlap(cell_ids) if cell_ids else 0.0
            if extra > 0:
                shared.append(f"{row[table.key_column].value}/{name} {extra:,.1f} m²")
    if shared:
        table.notes.append(Note("report.note_steps_share_land", count=len(shared),
                                cells=", ".join(shared[:12]) + (" ..." if len(shared) > 12
                                                                else "")))


def _ids(cell: Cell) -> list[str]:
    return cell.figure.ids if cell.figure is not None else []


def synthetic(reader: Reader, layers: Sequence[str]) -> bool:
    for layer in layers:
        for row in reader.aggregate(layer, ["source"]):
            if row["source"] and str(row["source"]).startswith("synthetic:"):
                return True
    return False


def sources_of(reader: Reader, layers: Sequence[str]) -> list[str]:
    """Credits for the data behind a report: one line per source of its records (for records
    an import wrote, the import: its source, file, checksum, rows and dates)."""
    from mineaction.io.intake import credit as credit_for

    out: list[str] = []
    for layer in layers:
        for row in reader.aggregate(layer, ["source"]):
            src = row["source"]
            said = credit_for(reader, src) or src or Note("report.no_source")
            if layer in PEOPLE_LAYERS:  # a count of victims is not printed unprotected
                out.append(Note("report.source_line", layer=layer, source=said))
            else:
                out.append(Note("report.source_line_count", layer=layer, source=said,
                                count=row["count"]))
    return out


def new_report(reader: Reader, name: str, scope: Scope, options: Options,
               layers: Sequence[str]) -> Report:
    from mineaction.io.intake import credit as credit_for

    rep = Report(name, REPORTS[name].title, scope, synthetic=synthetic(reader, layers),
                 sources=sources_of(reader, layers), suppress_below=options.suppress_below)
    for layer in layers:
        for row in reader.aggregate(layer, ["source"]):
            credit = credit_for(reader, str(row["source"]))
            if credit and credit not in rep.credits:
                rep.credits.append(credit)
    return rep


def _district_names(areas: Areas, ids: Iterable[str | None]) -> dict[str | None, str]:
    return {i: areas.name(i) for i in ids}


# ---------------------------------------------------------------------------------------------
# ap-release-by-district (the layout of Table 4 of Mine Action Review's country reports)

FIND_COLUMNS = {"ap_mines_destroyed": "ap", "av_mines_destroyed": "av", "cmr_destroyed": "cmr",
                "uxo_destroyed": "uxo"}


@report("ap-release-by-district", "Land released in polygons where AP mines were found, by "
        "district", "Area of task polygons (activities) in which anti-personnel mines were found, "
        "released in the period by any method, and the items destroyed in them.")
def ap_release_by_district(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "ap-release-by-district", scope, options,
                     ["release-steps", "finds"])
    areas = Areas.load(reader)
    land = st.Land(reader)
    # The items of every activity by category, summed by the database in one statement; only
    # those of activities with at least one AP find are kept.
    find_rows = [r for r in reader.aggregate("finds", ["activity_id", "category"],
                                             sums=["quantity"], date_field="destroyed_on",
                                             with_ids=True) if r["activity_id"] is not None]
    ap_acts = {r["activity_id"] for r in find_rows if r["category"] == "ap"}
    # Only the steps of those activities: each district's land is measured, so leave the rest
    # out. The database groups them by activity, area and method; districts in one pass.
    step_rows = reader.aggregate(
        "release-steps", ["activity_id", "admin_area_id", "method"], sums=["area_m2"],
        where=st._where(scope, extra={"activity_id": sorted(ap_acts), "rejected_by": None}),
        date_field="released_on", start=scope.period.start, end=scope.period.end,
        with_ids=True)
    ids_by: dict[str, dict[str | None, set[str]]] = {}  # activity -> district -> steps
    by_method: dict[tuple[str | None, str], set[str]] = {}  # (district, method) -> steps
    for r in step_rows:
        if r["activity_id"] not in ap_acts or not r["ids"]:
            continue
        district = areas.district(r["admin_area_id"])
        ids_by.setdefault(r["activity_id"], {}).setdefault(district, set()).update(r["ids"])
        by_method.setdefault((district, r["method"]), set()).update(r["ids"])
    land.load(i for ids in by_method.values() for i in ids)
    # Each activity's finds go to the district where it released most land (measured only
    # when it released land in more than one).
    home = {a: (next(iter(per)) if len(per) == 1 else
                sorted(((d, land.area(ids)) for d, ids in per.items()),
                       key=lambda kv: (-kv[1], str(kv[0])))[0][0])
            for a, per in ids_by.items()}
    by_district: dict[str | None, set[str]] = {}
    for (district, _), ids in by_method.items():
        by_district.setdefault(district, set()).update(ids)
    items: dict[tuple[str | None, str], list[Figure]] = {}  # (district, category) -> finds
    for r in find_rows:
        if r["activity_id"] in home:  # an activity that released no land in scope: none
            items.setdefault((home[r["activity_id"]], r["category"]), []).append(
                Figure(float(r["quantity"] or 0), "finds", r["ids"], {}, r["count"]))
    names = _district_names(areas, by_district)
    table = Table("districts", "Release of polygons where AP mines were found", [
        Column("district", "District", numeric=False),
        Column("area_released_m2", "Area released", "m²"),
        Column("ap_mines_destroyed", "AP mines destroyed", "items"),
        Column("av_mines_destroyed", "AV mines destroyed", "items"),
        Column("cmr_destroyed", "CMR destroyed", "items"),
        Column("uxo_destroyed", "UXO destroyed", "items"),
    ])
    methods = Table("methods", "The same area by method of release (never added into "
                    "'cleared')", [
        Column("district", "District", numeric=False),
        *(Column(f"{m}_m2", m.capitalize(), "m²") for m in st.METHODS)])
    for district in sorted(names, key=lambda d: names[d]):
        crit = {**scope.describe(), "district": names[district],
                "rule": "activities with at least one AP find"}
        row: dict[str, Any] = {"district": names[district]}
        ids = by_district[district]
        row["area_released_m2"] = (Cell(0, Figure(0, "release-steps", [], dict(crit), 0))
                                   if not ids else Cell((f := land.figure(ids, crit)).value, f))
        for col, cat in FIND_COLUMNS.items():
            c = {**crit, "category": cat, "activities": "those whose home district it is"}
            row[col] = fcell(merged(items.get((district, cat), ()), c), zero_layer="finds",
                             criteria=c)
        table.add(row)
        mrow: dict[str, Any] = {"district": names[district]}
        for m in st.METHODS:
            c = {**crit, "method": m}
            mids = by_method.get((district, m), set())
            mrow[f"{m}_m2"] = (Cell(0, Figure(0, "release-steps", [], dict(c), 0)) if not mids
                               else Cell((f := land.figure(mids, c)).value, f))
        methods.add(mrow)
    land_columns(table, land, ["area_released_m2"])
    land_columns(methods, land, [f"{m}_m2" for m in st.METHODS])
    table.notes.append(Note("report.note_ap_task_area"))
    rep.tables += [table, methods]
    classes = class_table(reader, scope, land)
    rep.tables.append(classes)
    rep.charts.append(Chart("districts", "Area released in polygons where AP mines were found",
                            [r["district"].value for r in table.rows],
                            {"released": [r["area_released_m2"].value / KM2
                                          for r in table.rows]},
                            "km²", _source_line(rep), horizontal=True))
    return rep


def class_table(reader: Reader, scope: Scope, land: st.Land | None = None) -> Table:
    """Land released by the contamination class of the released polygon and method."""
    land = land or st.Land(reader)
    groups = st.released(reader, scope, ["contamination_class", "method"], land=land)
    t = Table("contamination", "Area released by contamination of the released polygon", [
        Column("contamination", "Contamination", numeric=False),
        *(Column(f"{m}_m2", m.capitalize(), "m²") for m in st.METHODS)])
    for cls in st.CONTAMINATION_CLASSES:
        gs = [g for g in groups if g.key["contamination_class"] == cls]
        if not gs:
            continue
        row: dict[str, Any] = {"contamination": st.CLASS_TITLES[cls]}
        for m in st.METHODS:
            c = {**scope.describe(), "contamination_class": cls, "method": m}
            row[f"{m}_m2"] = land_cell(land, (g.figures["area_m2"] for g in gs
                                              if g.key["method"] == m), c)
        t.add(row)
    land_columns(t, land, [f"{m}_m2" for m in st.METHODS])
    return t


def _source_line(rep: Report) -> Note:
    """The source line under a chart: the credits of the data, and 'synthetic' when it is."""
    credits = tuple(rep.credits) or (Note("report.store_records"),)
    return Note("report.chart_source_synthetic" if rep.synthetic else "report.chart_source",
                credits=credits)


# ---------------------------------------------------------------------------------------------
# ap-clearance-five-year (Table 5 layout)


def _last_year(reader: Reader, scope: Scope) -> int:
    if scope.period.end:
        return scope.period.end.year
    years = [r["year"] for r in reader.aggregate("release-steps", ["year"],
                                                 date_field="released_on") if r["year"]]
    return int(max(years)) if years else scope.now().year


@report("ap-clearance-five-year", "Five-year summary of AP mine clearance",
        "Area cleared, reduced and cancelled in polygons recorded as containing AP mines, for "
        "the five years ending with the report's year.")
def ap_clearance_five_year(reader: Reader, scope: Scope, options: Options) -> Report:
    last = _last_year(reader, scope)
    span = Scope(Period(dt.date(last - 4, 1, 1), dt.date(last, 12, 31)), scope.area,
                 scope.area_ids)
    rep = new_report(reader, "ap-clearance-five-year", span, options, ["release-steps"])
    land = st.Land(reader)
    groups = st.released(reader, span, ["year", "contamination_class", "method"], land=land)
    cols = [("ap_only_cleared_km2", "ap_only", "cleared", "Cleared, AP only"),
            ("ap_av_mixed_cleared_km2", "ap_av_mixed", "cleared", "Cleared, AP and AV"),
            ("ap_cleared_km2", None, "cleared", "Cleared, all AP mined area"),
            ("ap_reduced_km2", None, "reduced", "Reduced by TS"),
            ("ap_cancelled_km2", None, "cancelled", "Cancelled by NTS")]
    t = Table("years", "AP mined area released, by year", [
        Column("year", "Year", numeric=False),
        *(Column(n, title, "km²", decimals=2) for n, _, _, title in cols)])
    for year in range(last, last - 5, -1):
        row: dict[str, Any] = {"year": str(year)}
        for name, cls, method, _ in cols:
            classes = (cls,) if cls else ("ap_only", "ap_av_mixed")
            c = {**span.describe(), "year": year, "contamination_class": list(classes),
                 "method": method}
            row[name] = land_cell(land, (g.figures["area_m2"] for g in groups
                                         if str(g.key["year"]) == str(year)
                                         and g.key["contamination_class"] in classes
                                         and g.key["method"] == method), c, scale=KM2)
        t.add(row)
    land_columns(t, land, [n for n, _, _, _ in cols], scale=KM2)
    t.notes.append(Note("report.note_all_ap_mined_area"))
    rep.tables.append(t)
    years = [r["year"].value for r in reversed(t.rows)]
    rep.charts.append(Chart("years", "AP mined area cleared per year", years, {
        "AP only": [r["ap_only_cleared_km2"].value for r in reversed(t.rows)],
        "AP and AV": [r["ap_av_mixed_cleared_km2"].value for r in reversed(t.rows)]},
        "km²", _source_line(rep), stacked=True))
    return rep


# ---------------------------------------------------------------------------------------------
# capacity (Tables 2 and 3 layout)


@report("capacity", "Operational capacity", "Teams and staff for non-technical and technical "
        "survey per operator; staff, mine detection dogs and machines for clearance; as at the "
        "end of the period (the latest capacity record of each operator).")
def capacity(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "capacity", scope, options, ["capacity"])
    groups = st.capacity_at_end(reader, scope, ["nts", "ts", "clearance", "bac", None])
    survey = [g for g in groups if g.key["activity_kind"] in ("nts", "ts")]
    clear = [g for g in groups if g.key["activity_kind"] in ("clearance", "bac")]
    t2 = Table("survey", "NTS and TS capacity", [
        Column("operator", "Operator", numeric=False),
        Column("nts_teams", "NTS teams", "teams"), Column("nts_personnel", "NTS personnel",
                                                          "people"),
        Column("ts_teams", "TS teams", "teams"), Column("ts_personnel", "TS personnel",
                                                        "people")])
    for op in sorted({g.key["operator"] for g in survey}):
        row: dict[str, Any] = {"operator": op}
        for kind in ("nts", "ts"):
            gs = [g for g in survey if g.key["operator"] == op and g.key["activity_kind"] == kind]
            c = {**scope.describe(), "operator": op, "activity_kind": kind}
            row[f"{kind}_teams"] = fcell(merged((g.figures["teams"] for g in gs), c),
                                         zero_layer="capacity", criteria=c)
            row[f"{kind}_personnel"] = fcell(merged((g.figures["deminers"] for g in gs), c),
                                             zero_layer="capacity", criteria=c)
        t2.add(row)
    total_row(t2)
    t3 = Table("clearance", "Clearance capacity", [
        Column("operator", "Operator", numeric=False),
        Column("operational_staff", "Operational staff", "people"),
        Column("mdds", "Mine detection dogs", "dogs"), Column("machines", "Machines",
                                                              "machines")])
    for op in sorted({g.key["operator"] for g in clear}):
        gs = [g for g in clear if g.key["operator"] == op]
        c = {**scope.describe(), "operator": op, "activity_kind": ["clearance", "bac"]}
        t3.add({"operator": op,
                "operational_staff": fcell(merged((g.figures["deminers"] for g in gs), c)),
                "mdds": fcell(merged((g.figures["dogs"] for g in gs), c)),
                "machines": fcell(merged((g.figures["machines"] for g in gs), c))})
    total_row(t3)
    rep.tables += [t2, t3]
    unknown = [g for g in groups if g.key["activity_kind"] == st.NOT_RECORDED]
    if unknown:
        t4 = Table("not-recorded", "Capacity whose kind of work is not recorded", [
            Column("operator", "Operator", numeric=False), Column("teams", "Teams", "teams"),
            Column("personnel", "Personnel", "people"), Column("mdds", "Mine detection dogs",
                                                               "dogs"),
            Column("machines", "Machines", "machines")])
        for op in sorted({g.key["operator"] for g in unknown}):
            gs = [g for g in unknown if g.key["operator"] == op]
            c = {**scope.describe(), "operator": op, "activity_kind": st.NOT_RECORDED}
            t4.add({"operator": op, **{col: fcell(merged((g.figures[f] for g in gs), c))
                                       for col, f in (("teams", "teams"),
                                                      ("personnel", "deminers"),
                                                      ("mdds", "dogs"),
                                                      ("machines", "machines"))}})
        total_row(t4)
        rep.tables.append(t4)
    rep.notes.append(Note("report.note_capacity_stock"))
    _note_capacity_without_kind(rep, reader, scope)
    return rep


def _note_capacity_without_kind(rep: Report, reader: Reader, scope: Scope) -> None:
    """A note counting the capacity records of the period that name no kind of work."""
    ids = st.capacity_without_kind(reader, scope)
    if ids:
        rep.notes.append(Note("report.note_capacity_no_kind", count=len(ids),
                              label=st.NOT_RECORDED))


# ---------------------------------------------------------------------------------------------
# casualties (Landmine Monitor style)

DIMENSIONS = (("year", "By year", "Year"), ("group", "By group", "Group"),
              ("sex", "By sex", "Sex"), ("age_band", "By age", "Age"),
              ("device_category", "By device", "Device"),
              ("activity_at_time", "By activity at the time", "Activity"))


def suppress(tables: Sequence[Table], columns: Sequence[str], threshold: int, *,
             row_total: str | None = None) -> int:
    """Hide counts of people below ``threshold`` in ``tables`` (zero stays shown), and further
    cells until no hidden count can be worked out from the printed ones, the sums the layout
    shows and the grand totals the tables share (see :mod:`mineaction.reports.suppression`).
    Every table given must count the same people (its total row is the same as the others').
    Returns the number of hidden quantities."""
    from mineaction.reports.suppression import protect

    active = list(tables)
    while True:
        system = protect(active, columns, threshold, row_total=row_total)
        exposed = [c for i in sorted(system.exposed) for c in system.quantities[i].cells]
        given_away = {id(c) for c in exposed}
        fine = sorted((t for t in active if t.rows), key=lambda t: -sum(
            id(cell) in given_away for row in t.rows for cell in row.values()))
        if not fine or not any(id(cell) in given_away for row in fine[0].rows
                               for cell in row.values()):
            return system.hidden
        # Some breakdowns cannot be protected by hiding cells (several categories of fewer
        # than the threshold whose total is below it too: each is 1 by the marks alone). Their
        # rows are withheld, the finest first, and everything is protected again: the total row
        # stays, as the same grand totals as the other tables'.
        for t in fine[:1]:
            t.withheld = Note("report.note_breakdown_withheld", threshold=threshold)
            t.notes.append(t.withheld)
            t.rows = []


#: Breakdowns of casualties asked for with ``--by``: name -> (grouping key, table title,
#: column heading).
BY = {"area": ("district", "By administrative area (district)", "Administrative area")}


def _area_labels(reader: Reader, groups: Sequence[st.Group]
                 ) -> tuple[dict[Any, str], list[str]]:
    """The label of each district id of ``groups``: the area's name (with its id when two
    areas share it), the id itself for an area known only by its code (a municipality code in
    a register), 'unknown' when no area is recorded; and those codes."""
    areas = Areas.load(reader)
    ids = {g.key["district"] for g in groups}
    names = {i: areas.name(i) for i in ids if i is not None}
    shared = {n for n in names.values() if list(names.values()).count(n) > 1}
    labels: dict[Any, str] = {i: f"{n} ({i})" if n in shared else n for i, n in names.items()}
    labels[None] = st.UNKNOWN
    return labels, sorted(i for i in names if i not in areas.by_id)


def casualty_tables(reader: Reader, scope: Scope, threshold: int,
                    by: Sequence[str] = ()) -> list[Table]:
    """The casualty tables of a scope, one per dimension (and per breakdown of ``by``: see
    :data:`BY`), suppressed jointly."""
    tables = []
    dims = [*((k, k, t, h) for k, t, h in DIMENSIONS), *((b, *BY[b]) for b in by)]
    for name, key, title, head in dims:
        groups = st.casualties(reader, scope, [key, "outcome"])
        label: dict[Any, str] = {g.key[key]: str(g.key[key]) for g in groups}
        coded: list[str] = []
        if key == "district":
            label, coded = _area_labels(reader, groups)
        for g in groups:
            g.key[name] = label[g.key[key]]
        key = name
        t = Table(f"by-{key.replace('_', '-')}", title, [
            Column(key, head, numeric=False), Column("killed", "Killed", "people"),
            Column("injured", "Injured", "people"), Column("total", "Total", "people")])
        if coded:
            t.notes.append(Note("report.note_areas_by_code", count=len(coded),
                                codes=", ".join(coded[:10]) + (", ..." if len(coded) > 10
                                                               else "")))
        values = sorted({str(g.key[key]) for g in groups})
        for value in values:
            row: dict[str, Any] = {key: value}
            gs = [g for g in groups if str(g.key[key]) == value]
            for outcome in ("killed", "injured"):
                c = {**scope.describe(), key: value, "outcome": outcome}
                row[outcome] = fcell(merged((g.figures["count"] for g in gs
                                             if g.key["outcome"] == outcome), c),
                                     zero_layer="victims", criteria=c)
            c = {**scope.describe(), key: value}
            row["total"] = fcell(merged((g.figures["count"] for g in gs), c),
                                 zero_layer="victims", criteria=c)
            t.add(row)
        total_row(t)
        tables.append(t)
    # The tables count the same people: one joint suppression over all of them.
    suppress(tables, ["killed", "injured", "total"], threshold, row_total="total")
    for t in tables:
        if any(cell.suppressed for row in t.all_rows() for cell in row.values()):
            t.notes.insert(0, Note("report.note_suppressed_marks", threshold=threshold))
    return tables


@report("casualties", "Casualties of mines and explosive ordnance", "People killed and "
        "injured, by year, group (civilian, military, deminer), sex, age, device and activity "
        "at the time. Counts below the threshold are suppressed.")
def casualties(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "casualties", scope, options, ["victims"])
    rep.tables += casualty_tables(reader, scope, options.suppress_below, options.by)
    by_year = rep.table("by-year")
    rows = [r for r in by_year.rows if r["year"].value != st.UNKNOWN]
    marks = {o: [("" if not r[o].suppressed else f">={r[o].below}" if r[o].secondary
                  else f"<{r[o].below}") for r in rows] for o in ("killed", "injured")}
    hidden = any(m for ms in marks.values() for m in ms)
    rep.charts.append(Chart("by-year", "Casualties per year", [r["year"].value for r in rows], {
        "killed": [r["killed"].shown or 0 for r in rows],
        "injured": [r["injured"].shown or 0 for r in rows]}, "people",
        _source_line(rep), marks=marks if hidden else {},
        notes=[Note("report.chart_hidden_counts", threshold=options.suppress_below)]
        if hidden else []))
    rep.notes.append(Note("report.note_no_personal_data"))
    return rep


# ---------------------------------------------------------------------------------------------
# article7: APMBC Form C and Form G; CCM Form F


def state_date(scope: Scope) -> dt.date:
    """The day a report describing a state (open hazards, remaining contamination) describes:
    the end of its period, today (the scope's) when the period has no end."""
    return scope.period.end or scope.now()


def state_note(scope: Scope, emplacement: bool = True) -> Note:
    """The note of a table of a state: the day it describes (and, ``emplacement`` False, that
    the dates of emplacement are not recorded)."""
    on = state_date(scope).isoformat()
    if scope.period.end:
        return Note("report.note_state_end" if emplacement
                    else "report.note_state_no_emplacement_end", on=on)
    return Note("report.note_state_today" if emplacement
                else "report.note_state_no_emplacement_today", on=on)


def open_hazards_then(reader: Reader, scope: Scope) -> list[Any]:
    """The hazards open at :func:`state_date`, as they stood that day, within the scope's
    area."""
    from mineaction.domain.vocabulary import HazardStatus
    from mineaction.release.queries import hazards_at

    return [h for h in hazards_at(reader, state_date(scope))
            if h.status == HazardStatus.OPEN
            and (scope.area_ids is None or h.admin_area_id in scope.area_ids)]


def _hazard_rows(hazards: Iterable[Any], scope: Scope, category: str, areas: Areas
                 ) -> list[dict[str, Any]]:
    from mineaction.geo.measure import area_m2

    rows = []
    on = state_date(scope).isoformat()
    for h in hazards:
        cats = {str(c) for c in h.contamination}
        if category not in cats:
            continue
        crit = {"hazard": h.id, "status": "open", "as at": on, "contamination includes": category}
        a = area_m2(h.geometry)
        est = h.estimated_mines
        rows.append({
            "hazard": h.id, "name": h.name or "",
            "district": areas.name(areas.district(h.admin_area_id)),
            "kind": str(h.kind).upper(),
            "contamination": ", ".join(sorted(cats)),
            "area_m2": Cell(a, Figure(a, "hazards", [h.id], crit, 1)),
            "estimated_mines": Cell(est, Figure(est, "hazards", [h.id], crit, 1)
                                    if est is not None else None),
            "emplaced": "not known"})
    return rows


@report("article7", "Transparency report: APMBC Article 7 Forms C and G, CCM Form F",
        "Form C: mined areas containing or suspected to contain AP mines, with type, quantity "
        "and date emplaced where known. Form G: AP mines destroyed in the period, by type. "
        "CCM Form F: areas contaminated by cluster munition remnants and their release.")
def article7(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "article7", scope, options, ["hazards", "finds", "release-steps"])
    areas = Areas.load(reader)
    hazard_cols = [Column("hazard", "Hazard", numeric=False), Column("name", "Name",
                                                                     numeric=False),
                   Column("district", "District", numeric=False),
                   Column("kind", "SHA/CHA", numeric=False),
                   Column("contamination", "Type of EO", numeric=False),
                   Column("area_m2", "Area", "m²"),
                   Column("estimated_mines", "Estimated mines", "items"),
                   Column("emplaced", "Date emplaced", numeric=False)]
    form_c = Table("form-c", "Form C: areas containing or suspected to contain AP mines",
                   hazard_cols)
    hazards = open_hazards_then(reader, scope)
    for row in _hazard_rows(hazards, scope, "ap", areas):
        form_c.add(row)
    total_row(form_c, columns=("area_m2", "estimated_mines"))
    form_c.notes.append(state_note(scope, emplacement=False))
    rep.tables.append(form_c)
    form_g = Table("form-g", "Form G: AP mines destroyed, by type", [
        Column("type", "Type", numeric=False), Column("destroyed", "Destroyed", "items")])
    for g in st.destroyed(reader, scope, ["model"], where={"category": "ap"}):
        form_g.add({"type": g.key["model"] or "(type not recorded)",
                    "destroyed": fcell(g.figures["quantity"])})
    for g in st.destroyed(reader, scope, ["model"],
                          where={"category": "ied", "victim_activated": True}):
        form_g.add({"type": f"{g.key['model'] or 'improvised'} (victim-activated IED)",
                    "destroyed": fcell(g.figures["quantity"])})
    total_row(form_g)
    form_g.notes.append(Note("report.note_victim_activated_ied"))
    rep.tables.append(form_g)
    form_f = Table("ccm-form-f", "CCM Form F: areas contaminated by cluster munition remnants",
                   hazard_cols[:7])
    for row in _hazard_rows(hazards, scope, "cmr", areas):
        form_f.add(row)
    total_row(form_f, columns=("area_m2",))
    form_f.notes.append(state_note(scope))
    rep.tables.append(form_f)
    cmr_release = Table("ccm-form-f-release", "CCM Form F: release of areas with cluster "
                        "munition remnants", [Column("method", "Method", numeric=False),
                                              Column("area_m2", "Area", "m²")])
    land = st.Land(reader)
    cmr_groups = _release_with(reader, scope, "cmr")
    for m in st.METHODS:
        c = {**scope.describe(), "method": m, "contamination includes": "cmr"}
        cmr_release.add({"method": m, "area_m2": land_cell(
            land, (g.figures["area_m2"] for g in cmr_groups if g.key["method"] == m), c)})
    land_columns(cmr_release, land, ["area_m2"], total=False)
    rep.tables.append(cmr_release)
    cmr_items = Table("ccm-form-f-destroyed", "CCM Form F: cluster munition remnants destroyed",
                      [Column("type", "Type", numeric=False),
                       Column("destroyed", "Destroyed", "items")])
    for g in st.destroyed(reader, scope, ["model"], where={"category": "cmr"}):
        cmr_items.add({"type": g.key["model"] or "(type not recorded)",
                       "destroyed": fcell(g.figures["quantity"])})
    total_row(cmr_items)
    rep.tables.append(cmr_items)
    return rep


def _release_with(reader: Reader, scope: Scope, category: str) -> list[Group]:
    """Release steps grouped by method whose recorded contamination includes ``category``;
    each group's ``area_m2`` is the sum of its steps: measure its land with :class:`st.Land`."""
    from mineaction.analysis.statistics import _merge

    rows = reader.aggregate("release-steps", ["method", "contamination"], sums=["area_m2"],
                            where=st._where(scope), date_field="released_on",
                            start=scope.period.start, end=scope.period.end, with_ids=True)
    rows = [r for r in rows if category in str(r["contamination"] or "").split(",")]
    return _merge(rows, lambda r: {"method": r["method"]}, ["area_m2"], "release-steps",
                  lambda k: {**scope.describe(), **k, "contamination includes": category})


# ---------------------------------------------------------------------------------------------
# progress (quarterly)


@report("progress", "Quarterly progress report", "Release in the quarter by district and "
        "method, against the year's plan; ordnance destroyed; casualties; capacity at the end of "
        "the quarter.")
def progress(reader: Reader, scope: Scope, options: Options) -> Report:
    end = scope.period.end or scope.now()
    quarter = options.quarter or (end.month - 1) // 3 + 1
    q = Period.of(end.year, quarter=quarter)
    qscope = Scope(q, scope.area, scope.area_ids)
    ytd = Scope(Period(dt.date(end.year, 1, 1), q.end), scope.area, scope.area_ids)
    rep = new_report(reader, "progress", qscope, options,
                     ["release-steps", "finds", "victims", "capacity"])
    rep.title = f"Quarterly progress report, {end.year} Q{quarter}"
    areas = Areas.load(reader)
    land = st.Land(reader)
    groups = st.released(reader, qscope, ["district", "method"], areas=areas, land=land)
    t = Table("release", "Land released in the quarter, by district and method", [
        Column("district", "District", numeric=False),
        *(Column(f"{m}_m2", m.capitalize(), "m²") for m in st.METHODS)])
    for d in sorted({g.key["district"] for g in groups}, key=lambda d: areas.name(d)):
        row: dict[str, Any] = {"district": areas.name(d)}
        for m in st.METHODS:
            c = {**qscope.describe(), "district": areas.name(d), "method": m}
            row[f"{m}_m2"] = land_cell(land, (g.figures["area_m2"] for g in groups
                                              if g.key["district"] == d
                                              and g.key["method"] == m), c)
        t.add(row)
    land_columns(t, land, [f"{m}_m2" for m in st.METHODS])
    rep.tables.append(t)
    ops = st.released(reader, qscope, ["operator", "method"], land=land)
    ot = Table("operators", "Land released in the quarter, by operator and method", [
        Column("operator", "Operator", numeric=False),
        *(Column(f"{m}_m2", m.capitalize(), "m²") for m in st.METHODS)])
    for op in sorted({str(g.key["operator"]) for g in ops}):
        row = {"operator": op}
        for m in st.METHODS:
            c = {**qscope.describe(), "operator": op, "method": m}
            row[f"{m}_m2"] = land_cell(land, (g.figures["area_m2"] for g in ops
                                              if str(g.key["operator"]) == op
                                              and g.key["method"] == m), c)
        ot.add(row)
    land_columns(ot, land, [f"{m}_m2" for m in st.METHODS])
    rep.tables.append(ot)
    plan = Table("plan", "Release so far this year against the plan", [
        Column("measure", "Measure", numeric=False), Column("area_km2", "Area", "km²",
                                                            decimals=2)])
    year_groups = st.released(reader, ytd, ["method"], land=land)
    for m in st.METHODS:
        c = {**ytd.describe(), "method": m}
        plan.add({"measure": f"{m.capitalize()}, year to date",
                  "area_km2": land_cell(land, (g.figures["area_m2"] for g in year_groups
                                               if g.key["method"] == m), c, scale=KM2)})
    countries = {a.country for a in areas.by_id.values() if a.country}
    target = _target(reader, end.year, countries)
    if target is not None:
        plan.add({"measure": f"Plan for {end.year} ({target.attributed_to}, "
                             f"{target.publication}; all methods)",
                  "area_km2": Cell(target.value,  # type: ignore[attr-defined]
                                   Figure(target.value, "figures",  # type: ignore
                                          [target.id], {"metric": "area_released_target"}, 1))})
    else:
        plan.notes.append(Note("report.note_no_plan", year=end.year))
    rep.tables.append(plan)
    finds = Table("finds", "Explosive ordnance destroyed in the quarter", [
        Column("category", "Category", numeric=False), Column("items", "Items", "items")])
    for g in st.destroyed(reader, qscope, ["category"]):
        finds.add({"category": g.key["category"], "items": fcell(g.figures["quantity"])})
    total_row(finds)
    rep.tables.append(finds)
    # The casualties report's by-group table for the quarter, without its total column: the
    # same cells hidden, so this table tells nothing that report does not.
    by_group = next(t for t in casualty_tables(reader, qscope, options.suppress_below)
                    if t.name == "by-group")
    cas = Table("casualties", "Casualties in the quarter", [
        Column("group", "Group", numeric=False), Column("killed", "Killed", "people"),
        Column("injured", "Injured", "people")])
    for grow in by_group.rows:
        cas.add({c.name: grow[c.name] for c in cas.columns})
    if by_group.total is not None:
        cas.total = {c.name: by_group.total[c.name] for c in cas.columns}
        cas.summed = ("killed", "injured")
    cas.notes += by_group.notes
    rep.tables.append(cas)
    capg = st.capacity_at_end(reader, ytd, ["nts", "ts", "clearance", "bac", None])
    cap = Table("capacity", "Capacity at the end of the quarter", [
        Column("operator", "Operator", numeric=False), Column("teams", "Teams", "teams"),
        Column("deminers", "Deminers", "people"), Column("dogs", "Dogs", "dogs"),
        Column("machines", "Machines", "machines")])
    for op in sorted({g.key["operator"] for g in capg}):
        gs = [g for g in capg if g.key["operator"] == op]
        c = {**ytd.describe(), "operator": op}
        cap.add({"operator": op, **{k: fcell(merged((g.figures[k] for g in gs), c))
                                    for k in ("teams", "deminers", "dogs", "machines")}})
    total_row(cap)
    if st.capacity_without_kind(reader, ytd):
        cap.notes.append(Note("report.note_capacity_no_kind_counted", label=st.NOT_RECORDED))
    rep.tables.append(cap)
    rep.charts.append(Chart("release", "Land released in the quarter, by method",
                            [r["district"].value for r in t.rows],
                            {m: [r[f"{m}_m2"].value / KM2 for r in t.rows] for m in st.METHODS},
                            "km²", _source_line(rep), stacked=True, horizontal=True))
    return rep


def _target(reader: Reader, year: int, countries: set[str]) -> Any:
    """The year's national release plan from the register, for the store's own country (a plan
    published for another country never stands beside this store's figures)."""
    for f in reader.iter("figures", metric="area_released_target"):
        s, e = f.period_start, f.period_end  # type: ignore[attr-defined]
        if (f.country in countries and f.area == "national"  # type: ignore[attr-defined]
                and f.unit == "km2" and s and e  # type: ignore[attr-defined]
                and s <= dt.date(year, 6, 30) <= e and (e - s).days < 370):
            return f
    return None

"""The published-figures register: import, disagreements between sources, sums of breakdowns,
and the store's own figures next to published ones.

Two figures conflict when they measure the same metric in the same unit, for the same country
and area, over the same period or one nested in the other, and their values differ by more than
rounding allows. Rounding: each value is taken to be exact to the decimals it was published
with (``10.0`` to 0.05, ``530`` to 0.5); values whose rounding intervals overlap agree. For a
flow over nested, unequal periods (items destroyed in a year and in a quarter of it) only a
larger value over the shorter period is a conflict. Targets are compared only with targets, and
metrics that add up separate contributions (pledges by different donors) are never compared.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mineaction.domain.figures import FigureQualifier, PublishedFigure
from mineaction.domain.layers import get_layer
from mineaction.errors import InvalidInput, Problem
from mineaction.io.load import check_against_store, prepare
from mineaction.io.readers import SourceFile, read_file
from mineaction.store.base import Reader, Store

#: Columns of a register file that have another name in the record.
COLUMN_ALIASES = {"figure_id": "id", "seed_file": "document", "note": "notes"}

#: Metrics whose figures are separate contributions, not competing statements of one quantity.
ADDITIVE_METRICS = frozenset({"funding_pledged"})

UNIT_SCALE = {"m2": ("m2", 1.0), "km2": ("m2", 1_000_000.0), "ha": ("m2", 10_000.0),
              "km": ("m", 1000.0), "m": ("m", 1.0)}


def decimals_of(text: str) -> int:
    text = text.strip()
    if "e" in text.lower():
        return 0
    return len(text.split(".", 1)[1]) if "." in text else 0


def import_figures(store: Store, path: str | Path | SourceFile, *,
                   today: dt.date | None = None) -> int:
    """Import a register CSV (columns of ``published_figures.csv``), a path or the file
    already read; all rows or none."""
    layer = get_layer("figures")
    src = path if isinstance(path, SourceFile) else read_file(path)
    path = src.path
    for feat in src.features:
        props = {COLUMN_ALIASES.get(str(k).strip(), str(k).strip()): v
                 for k, v in feat.properties.items()}
        raw = props.get("value")
        if raw is not None and str(raw).strip() and not props.get("decimals"):
            props["decimals"] = decimals_of(str(raw))
        feat.properties = props
    records, problems, _ = prepare(layer, src, today=today)
    where = {f.properties.get("id"): f.where for f in src.features}
    with store.transaction() as tx:
        problems.extend(check_against_store(tx, layer, records,
                                            {r.id: str(where.get(r.id, r.id)) for r in records}))
        if problems:
            raise InvalidInput(problems, source=str(path))
        for r in records:
            r.source = r.source or f"file:{Path(path).name}"
        return tx.add_many(records)


def import_breakdown(store: Store, path: str | Path | SourceFile, *, country: str, part_of: str,
                     period_start: dt.date | None, period_end: dt.date | None,
                     metrics: dict[str, tuple[str, str]], area_column: str,
                     attributed_to: str | None = None, publication: str | None = None,
                     qualifier: str = "reported", prefix: str | None = None) -> int:
    """Import a published table with one row per area (a district table) as figures.

    ``metrics`` maps a column to (metric, unit). Each non-empty cell becomes a figure of its
    row's area, ``part_of`` the whole; an empty cell is "not reported", never zero.
    """
    src = path if isinstance(path, SourceFile) else read_file(path)
    path = src.path
    stem = prefix or Path(path).stem
    records: list[PublishedFigure] = []
    problems: list[Problem] = []
    cols = set(src.features[0].properties) if src.features else set()
    for col in [area_column, *metrics]:
        if col not in cols:
            problems.append(Problem.of("header", col, "figures.column_missing"))
    for feat in src.features if not problems else []:
        area = str(feat.properties.get(area_column) or "").strip()
        if not area:
            problems.append(Problem.of(feat.where, area_column, "figures.no_area_name"))
            continue
        for col, (metric, unit) in metrics.items():
            raw = feat.properties.get(col)
            if raw is None or str(raw).strip() == "":
                continue
            try:
                value = float(str(raw).replace(",", ""))
            except ValueError:
                problems.append(Problem.of(feat.where, col, "figures.not_a_number", value=raw))
                continue
            records.append(PublishedFigure(
                id=f"{stem}:{area}:{metric}", country=country, area=area, metric=metric,
                value=value, unit=unit, period_start=period_start, period_end=period_end,
                attributed_to=attributed_to, publication=publication,
                document=Path(path).name, qualifier=FigureQualifier(qualifier),
                part_of=part_of, decimals=decimals_of(str(raw)),
                source=f"file:{Path(path).name}"))
    with store.transaction() as tx:
        problems.extend(check_against_store(tx, get_layer("figures"), list(records),
                                            {r.id: r.id for r in records}))
        if problems:
            raise InvalidInput(problems, source=str(path))
        return tx.add_many(records)


def figures(reader: Reader, metric: str | None = None, country: str | None = None
            ) -> list[PublishedFigure]:
    where: dict[str, Any] = {}
    if metric:
        where["metric"] = metric
    if country:
        where["country"] = country
    return list(reader.iter("figures", **where))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Conflicts


def tolerance(f: PublishedFigure) -> float:
    d = f.decimals if f.decimals is not None else decimals_of(repr(f.value))
    return 0.5 * 10 ** (-d)


def _period(f: PublishedFigure) -> tuple[dt.date, dt.date] | None:
    """The period as a closed interval; a figure with only an end is 'as at' that day; one
    with no dates is undated (None); one with only a start runs on without end."""
    if f.period_start is None and f.period_end is None:
        return None
    start = f.period_start or f.period_end
    end = f.period_end or dt.date.max
    assert start is not None
    return start, end


def relation(a: PublishedFigure, b: PublishedFigure) -> str | None:
    """'same', 'a_in_b', 'b_in_a' or None when the periods are neither equal nor nested."""
    pa, pb = _period(a), _period(b)
    if pa is None or pb is None:
        return "same" if pa is None and pb is None else None
    if pa == pb:
        return "same"
    if pb[0] <= pa[0] and pa[1] <= pb[1]:
        return "a_in_b"
    if pa[0] <= pb[0] and pb[1] <= pa[1]:
        return "b_in_a"
    return None


@dataclass
class Conflict:
    metric: str
    country: str
    area: str
    unit: str
    figures: list[PublishedFigure]
    relation: str

    @property
    def values(self) -> list[float]:
        return [f.value for f in self.figures]

    @property
    def relative_difference(self) -> float:
        lo, hi = min(self.values), max(self.values)
        return (hi - lo) / abs(hi) if hi else math.inf

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "country": self.country, "area": self.area,
                "unit": self.unit, "figure_ids": [f.id for f in self.figures],
                "values": self.values,
                "sources": [f"{f.attributed_to} ({f.publication}, {f.qualifier})"
                            for f in self.figures],
                "periods": [[_iso(f.period_start), _iso(f.period_end)] for f in self.figures],
                "period_relation": self.relation,
                "difference": max(self.values) - min(self.values),
                "relative_difference": round(self.relative_difference, 4)}


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _differ(a: PublishedFigure, b: PublishedFigure) -> bool:
    return abs(a.value - b.value) > tolerance(a) + tolerance(b)


def conflicts(items: Iterable[PublishedFigure]) -> list[Conflict]:
    """Pairs of figures that disagree (see the module's rules), largest difference first."""
    groups: dict[tuple[str, str, str, str, bool], list[PublishedFigure]] = {}
    for f in items:
        if f.metric in ADDITIVE_METRICS:
            continue
        key = (f.metric, f.country.lower(), f.area.strip().lower(), f.unit.lower(),
               f.qualifier == FigureQualifier.TARGET)
        groups.setdefault(key, []).append(f)
    out = []
    for (metric, _, _, _, _), fs in groups.items():
        fs = sorted(fs, key=lambda f: f.id)
        for i, a in enumerate(fs):
            for b in fs[i + 1:]:
                rel = relation(a, b)
                if rel is None or not _differ(a, b):
                    continue
                if rel == "a_in_b" and a.value <= b.value:
                    continue
                if rel == "b_in_a" and b.value <= a.value:
                    continue
                out.append(Conflict(metric, a.country, a.area, a.unit, [a, b], rel))
    out.sort(key=lambda c: (-c.relative_difference, c.metric))
    return out


# ---------------------------------------------------------------------------------------------
# Breakdowns: do the parts add up to the published whole?


@dataclass
class Rollup:
    metric: str
    country: str
    whole_area: str
    unit: str
    period: tuple[str | None, str | None]
    parts: list[PublishedFigure]
    sum_of_parts: float
    wholes: list[PublishedFigure] = field(default_factory=list)

    def agrees(self, whole: PublishedFigure) -> bool:
        scale = _scale(self.unit, whole.unit)
        if scale is None:
            return False
        return abs(self.sum_of_parts / scale - whole.value) <= tolerance(whole) + 1e-9


def _scale(part_unit: str, whole_unit: str) -> float | None:
    """How many part units make one whole unit (m2 -> km2: 1e6); None when incomparable."""
    if part_unit == whole_unit:
        return 1.0
    a, b = UNIT_SCALE.get(part_unit), UNIT_SCALE.get(whole_unit)
    if a and b and a[0] == b[0]:
        return b[1] / a[1]
    return None


def rollups(items: Sequence[PublishedFigure]) -> list[Rollup]:
    """For each breakdown (figures with ``part_of``), the sum of its parts and the published
    figures of the whole for the same metric, country and period (in any comparable unit)."""
    groups: dict[tuple[Any, ...], list[PublishedFigure]] = {}
    for f in items:
        if f.part_of:
            key = (f.metric, f.country, f.part_of, f.unit, _iso(f.period_start),
                   _iso(f.period_end))
            groups.setdefault(key, []).append(f)
    out = []
    for (metric, country, whole, unit, ps, pe), parts in groups.items():
        r = Rollup(metric, country, whole, unit, (ps, pe), sorted(parts, key=lambda f: f.area),
                   sum(p.value for p in parts))
        r.wholes = [f for f in items if f.metric == metric and f.country == country
                    and f.area.lower() == whole.lower() and not f.part_of
                    and _iso(f.period_start) == ps and _iso(f.period_end) == pe
                    and _scale(unit, f.unit) is not None]
        out.append(r)
    return sorted(out, key=lambda r: r.metric)


# ---------------------------------------------------------------------------------------------
# The store's own figures beside published ones

COMPUTED_METRICS = ("ap_area_cleared", "ap_only_area_cleared", "ap_av_mixed_area_cleared",
                    "ap_area_reduced_ts", "area_released_polygons_with_ap",
                    "area_released_all_eo", "ap_mines_destroyed", "av_mines_destroyed",
                    "cmr_destroyed", "uxo_destroyed", "eo_destroyed_total", "casualties_killed",
                    "casualties_injured", "casualties_total")


def metric_layer(metric: str) -> str:
    """The layer whose records a computed metric counts."""
    if metric.startswith("casualties_"):
        return "victims"
    if metric.endswith("_destroyed") or metric == "eo_destroyed_total":
        return "finds"
    return "release-steps"


def computed(reader: Reader, metric: str, start: dt.date, end: dt.date, *,
             area_ids: frozenset[str] | None = None, area: str | None = None
             ) -> tuple[float, str, list[str]]:
    """The store's own value of ``metric`` over a period: (value, unit, record ids). With
    ``area_ids``, only records whose administrative area is one of them count (finds: those of
    activities that released land in them)."""
    from mineaction.analysis import statistics as st

    scope = st.Scope(st.Period(start, end), area, area_ids)
    if metric.endswith("_area_cleared") or metric in ("ap_area_reduced_ts",
                                                      "area_released_all_eo"):
        groups = st.released(reader, scope, ["contamination_class", "method"])
        classes = {"ap_area_cleared": ("ap_only", "ap_av_mixed"),
                   "ap_only_area_cleared": ("ap_only",),
                   "ap_av_mixed_area_cleared": ("ap_av_mixed",),
                   "ap_area_reduced_ts": ("ap_only", "ap_av_mixed")}.get(metric)
        method = "reduced" if metric == "ap_area_reduced_ts" else "cleared"
        chosen = [g for g in groups if (classes is None or g.key["contamination_class"] in
                                        classes) and (classes is None or
                                                      g.key["method"] == method)]
        return (sum(g.figures["area_m2"].value for g in chosen) / 1e6, "km2",
                sorted({i for g in chosen for i in g.figures["area_m2"].ids}))
    if metric == "area_released_polygons_with_ap":
        from mineaction.reports.definitions import Options, ap_release_by_district

        rep = ap_release_by_district(reader, scope, Options())
        cell = rep.table("districts").total["area_released_m2"]  # type: ignore[index]
        return (cell.value / 1e6, "km2", cell.figure.ids if cell.figure else [])
    if metric.endswith("_destroyed") or metric == "eo_destroyed_total":
        cat = {"ap_mines_destroyed": "ap", "av_mines_destroyed": "av",
               "cmr_destroyed": "cmr", "uxo_destroyed": "uxo"}.get(metric)
        groups = st.destroyed(reader, scope, ["category"])
        chosen = [g for g in groups if cat is None or g.key["category"] == cat]
        return (sum(g.figures["quantity"].value for g in chosen), "count",
                sorted({i for g in chosen for i in g.figures["quantity"].ids}))
    if metric.startswith("casualties_"):
        outcome = metric.removeprefix("casualties_")
        groups = st.casualties(reader, scope, ["outcome"])
        chosen = [g for g in groups if outcome == "total" or g.key["outcome"] == outcome]
        return (sum(g.figures["count"].value for g in chosen), "count",
                sorted({i for g in chosen for i in g.figures["count"].ids}))
    raise KeyError(metric)


@dataclass
class Places:
    """The store's administrative areas by country: an area lies in the country recorded on
    it or, when it records none, in that of the nearest area above it that does."""

    country_of: dict[str, str | None]
    names: dict[str, str]
    children: dict[str, list[str]]

    @classmethod
    def load(cls, reader: Reader) -> Places:
        from mineaction.domain.organisations import AdminArea

        areas: dict[str, AdminArea] = {a.id: a for a in reader.iter("admin-areas")
                                       if isinstance(a, AdminArea)}
        country_of: dict[str, str | None] = {}
        for a in areas.values():
            seen: set[str] = set()
            current: Any = a
            code = None
            while current is not None and current.id not in seen:
                seen.add(current.id)
                if current.country:
                    code = str(current.country).strip().upper()
                    break
                current = areas.get(current.parent_id) if current.parent_id else None
            country_of[a.id] = code
        children: dict[str, list[str]] = {}
        for a in areas.values():
            if a.parent_id:
                children.setdefault(a.parent_id, []).append(a.id)
        return cls(country_of, {a.id: a.name for a in areas.values()}, children)

    @property
    def countries(self) -> set[str]:
        return {c for c in self.country_of.values() if c}

    def within(self, country: str, area: str) -> frozenset[str]:
        """Ids of the areas of ``country`` that ``area`` covers: all of them for 'national',
        else the areas of that name or id (any case; else the one area it names in another
        transliteration, :func:`mineaction.geo.areas.match_name`) and the areas inside them."""
        code = country.strip().upper()
        mine = {i for i, c in self.country_of.items() if c == code}
        wanted = area.strip().lower()
        if wanted == "national":
            return frozenset(mine)
        out: set[str] = set()
        stack = [i for i in sorted(mine) if i.lower() == wanted
                 or self.names[i].strip().lower() == wanted]
        if not stack:  # another transliteration (Aghdam, Agdam District): one area, or none
            from mineaction.geo.areas import Named, match_name

            found = match_name(area, [Named(i, self.names[i]) for i in sorted(mine)]).found
            stack = [found.id] if found else []
        while stack:
            current = stack.pop()
            if current not in out:
                out.add(current)
                stack.extend(self.children.get(current, []))
        return frozenset(out & mine)

    def left_out(self, reader: Reader, layer: str, start: dt.date, end: dt.date) -> int:
        """Records of ``layer`` in the period that cannot be placed in any country: without an
        administrative area, or with one the store does not know or that has no country
        (finds: without an activity that released land in such an area)."""
        if layer == "finds":
            placed = {r["activity_id"] for r in reader.aggregate(
                "release-steps", ["activity_id", "admin_area_id"])
                if self.country_of.get(r["admin_area_id"] or "")}
            return sum(r["count"] for r in reader.aggregate(
                "finds", ["activity_id"], date_field="destroyed_on", start=start, end=end)
                if r["activity_id"] not in placed)
        date_field = "occurred_on" if layer == "victims" else "released_on"
        return sum(r["count"] for r in reader.aggregate(
            layer, ["admin_area_id"], date_field=date_field, start=start, end=end)
            if not self.country_of.get(r["admin_area_id"] or ""))

    def records(self, reader: Reader, layer: str, ids: frozenset[str], start: dt.date,
                end: dt.date) -> int:
        """Records of ``layer`` in the period placed in the areas ``ids``."""
        if not ids:
            return 0
        if layer == "finds":
            acts = {r["activity_id"] for r in reader.aggregate(
                "release-steps", ["activity_id"], where={"admin_area_id": sorted(ids)})}
            if not acts:
                return 0
            return sum(r["count"] for r in reader.aggregate(
                "finds", [], where={"activity_id": sorted(acts)}, date_field="destroyed_on",
                start=start, end=end))
        date_field = "occurred_on" if layer == "victims" else "released_on"
        return sum(r["count"] for r in reader.aggregate(
            layer, [], where={"admin_area_id": sorted(ids)}, date_field=date_field,
            start=start, end=end))


NO_DATA = "no data"
#: Layers whose records are people: their counts are printed only through suppression.
PEOPLE_LAYERS = frozenset({"victims"})


def compare(reader: Reader, country: str | None = None, metric: str | None = None, *,
            suppress_below: int = 5) -> list[dict[str, Any]]:
    """Each published figure of a computable metric with a full period, beside the store's
    value for the same country, area and period.

    Only records whose administrative area lies in the figure's country (``AdminArea.country``,
    inherited from the area above) count, and for a figure of an area other than 'national',
    only those in the area of that name (any case) and the areas inside it. Where the store
    holds no record of the metric's layer there (or knows no such area) the value is
    ``"no data"`` and ``agrees`` is None: an empty store never "disagrees" with a publication.
    ``left_out`` counts the layer's records in the period that could not be placed in any
    country. Counts of people (casualty metrics) are those of the casualties report for the same
    country, area and period, with its suppression: a hidden count is ``"<5"`` or ``"x"``, in
    ``computed``, ``records`` and ``difference`` alike, and ``agrees`` is None.

    Without ``country``, only figures of the countries of the store's administrative areas are
    compared (all, when the store records none)."""
    places = Places.load(reader)
    own = places.countries
    memo: dict[tuple[Any, ...], Any] = {}

    def once(make: Any, *args: Any) -> Any:
        key = (make, *args)
        if key not in memo:
            memo[key] = make(*args)
        return memo[key]

    out = []
    for f in figures(reader, metric, country):
        if f.metric not in COMPUTED_METRICS:
            continue
        if country is None and own and f.country.strip().upper() not in own:
            continue
        if f.period_start is None or f.period_end is None:
            continue
        start, end = f.period_start, f.period_end
        layer = metric_layer(f.metric)
        left_out = once(places.left_out, reader, layer, start, end)
        if layer in PEOPLE_LAYERS and 0 < left_out < suppress_below:
            left_out = f"<{suppress_below}"  # a count of people like any other
        row: dict[str, Any] = {
            "figure_id": f.id, "country": f.country, "area": f.area, "metric": f.metric,
            "unit": f.unit, "period": [_iso(start), _iso(end)], "published": f.value,
            "source": f"{f.attributed_to} ({f.publication})", "layer": layer,
            "left_out": left_out}
        ids = places.within(f.country, f.area)
        held = once(places.records, reader, layer, ids, start, end)
        if not held:
            where = f.country if f.area.strip().lower() == "national" else \
                f"{f.area}, {f.country}"
            reason = (f"the store has no administrative area {where}" if not ids else
                      f"the store has no {layer} records in {where} in the period")
            out.append({**row, "computed": NO_DATA, "records": 0, "difference": None,
                        "agrees": None, "note": reason})
            continue
        area = None if f.area.strip().lower() == "national" else f.area
        if layer in PEOPLE_LAYERS:
            # The grand totals of the casualties report for this place and period, hidden as
            # that report hides them: a comparison tells nothing the report does not.
            totals = once(_casualty_totals, reader, ids, area, start, end, suppress_below)
            cell = totals[f.metric.removeprefix("casualties_")]
            if cell.suppressed:
                out.append({**row, "computed": cell.mark, "records": cell.mark,
                            "difference": None, "agrees": None,
                            "note": f"a count of people, suppressed ('<{suppress_below}': "
                                    f"fewer than {suppress_below}; 'x': {suppress_below} or "
                                    "more, hidden so that a small count cannot be worked out)"})
                continue
            value, unit = float(cell.value), "count"
            rec = cell.figure.ids if cell.figure else []
        else:
            value, unit, rec = computed(reader, f.metric, start, end, area_ids=ids, area=area)
        scale = _scale(unit, f.unit)
        mine = value / scale if scale else value
        out.append({**row, "computed": round(mine, 6), "records": len(rec),
                    "difference": round(mine - f.value, 6),
                    "agrees": abs(mine - f.value) <= tolerance(f)})
    return out


def _casualty_totals(reader: Reader, ids: frozenset[str], area: str | None, start: dt.date,
                     end: dt.date, threshold: int) -> dict[str, Any]:
    """The grand totals (killed, injured, total cells) of the casualties report for these
    areas and period, as that report suppresses them."""
    from mineaction.analysis.statistics import Period, Scope
    from mineaction.reports.definitions import casualty_tables

    tables = casualty_tables(reader, Scope(Period(start, end), area, ids), threshold)
    total = tables[0].total
    assert total is not None
    return total

"""Statistics over the store: land released, ordnance destroyed, casualties.

Every number is computed by the store (``Store.aggregate``: GROUP BY in the database, so that
PostGIS runs it natively) and comes back as a :class:`Figure` that names the layer, the records
behind it and the filter that produced it. Groupings the database cannot know about (the
contamination class of a released polygon, the district an area belongs to) are made by merging
the database's groups, never by reading records one by one.

Rules kept here: land cancelled, reduced and cleared stay apart (no figure adds them up under
"cleared"); an item is counted once; a released polygon is classed by the contamination recorded
for it when it was released.

Land is measured as land: the area of a figure of released land is the geodesic area of the
union of its release steps' polygons (:class:`Land`), never the sum of their recorded areas. A
step is per hazard, so land under two overlapping hazards released by one activity makes two
steps holding the same land, and two activities declared outside any hazard can release the
same ground twice; a sum would count that land twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

from mineaction.domain.organisations import AdminArea
from mineaction.store.base import Query, Reader

#: Contamination classes of a released polygon, in report order.
CONTAMINATION_CLASSES = ("ap_only", "ap_av_mixed", "av_only", "battle_area", "unspecified")
CLASS_TITLES = {
    "ap_only": "AP mines only",
    "ap_av_mixed": "AP and AV mines",
    "av_only": "AV mines only",
    "battle_area": "Battle area (no AP or AV mines)",
    "unspecified": "Contamination not recorded",
}
METHODS = ("cancelled", "reduced", "cleared")
EO_CATEGORIES = ("ap", "av", "cmr", "uxo", "axo", "ied")
UNKNOWN = "unknown"


def contamination_class(contamination: str | Iterable[str] | None) -> str:
    """The class of a polygon from the EO categories recorded for it.

    >>> contamination_class("ap,av"), contamination_class({"uxo"}), contamination_class("")
    ('ap_av_mixed', 'battle_area', 'unspecified')
    """
    if contamination is None:
        cats: set[str] = set()
    elif isinstance(contamination, str):
        cats = {c.strip() for c in contamination.split(",") if c.strip()}
    else:
        cats = {str(c) for c in contamination}
    if "ap" in cats:
        return "ap_av_mixed" if "av" in cats else "ap_only"
    if "av" in cats:
        return "av_only"
    if cats & {"cmr", "uxo", "axo"}:
        return "battle_area"
    return "unspecified"


@dataclass(frozen=True)
class Period:
    """An inclusive period; either end may be open."""

    start: dt.date | None = None
    end: dt.date | None = None

    @classmethod
    def of(cls, year: int | None = None, start: dt.date | None = None,
           end: dt.date | None = None, quarter: int | None = None) -> Period:
        if year is not None:
            if quarter is not None:
                first = dt.date(year, 3 * (quarter - 1) + 1, 1)
                nxt = dt.date(year + (quarter == 4), 1 if quarter == 4 else first.month + 3, 1)
                return cls(first, nxt - dt.timedelta(days=1))
            return cls(start or dt.date(year, 1, 1), end or dt.date(year, 12, 31))
        return cls(start, end)

    @property
    def label(self) -> str:
        return self.said()

    def said(self, all_dates: str = "all dates", span: str = "{start} to {end}") -> str:
        """The period in words: ``all_dates``, a whole year's number, or ``span`` of its
        first and last days (… for an open end); the words given in the reader's language."""
        if self.start is None and self.end is None:
            return all_dates
        if (self.start and self.end and self.start.month == 1 and self.start.day == 1
                and self.end == dt.date(self.start.year, 12, 31)):
            return str(self.start.year)
        return span.format(start=self.start or "…", end=self.end or "…")

    def as_dict(self) -> dict[str, str | None]:
        return {"from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None}


@dataclass(frozen=True)
class Scope:
    """What a report or statistic covers: a period and, optionally, an administrative area
    (with every area inside it)."""

    period: Period = Period()
    area: str | None = None
    area_ids: frozenset[str] | None = None
    #: The day "today" means for a period without an end: the context's clock when a service
    #: builds the scope (the system's date when nobody set it).
    today: dt.date | None = field(default=None, compare=False)

    def now(self) -> dt.date:
        """The day "today" means for this scope."""
        return self.today or dt.date.today()

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"period": self.period.as_dict()}
        if self.area:
            out["area"] = self.area
        return out


@dataclass
class Figure:
    """A number with the records it counts and the filter that produced it."""

    value: float | int
    layer: str
    ids: list[str]
    criteria: dict[str, Any]
    count: int = 0

    def explain(self) -> dict[str, Any]:
        return {"value": self.value, "layer": self.layer, "filter": self.criteria,
                "records": len(self.ids), "ids": self.ids}


@dataclass
class Group:
    """One row of a grouped statistic: the group's key values and its figures by name."""

    key: dict[str, Any]
    figures: dict[str, Figure] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Administrative areas


@dataclass
class Areas:
    """The administrative areas of a store, for naming and for the hierarchy."""

    by_id: dict[str, AdminArea]

    @classmethod
    def load(cls, reader: Reader) -> Areas:
        return cls({a.id: a for a in reader.iter("admin-areas")})  # type: ignore[misc]

    def name(self, area_id: str | None) -> str:
        if area_id is None:
            return "(no area recorded)"
        area = self.by_id.get(area_id)
        return area.name if area else area_id

    def district(self, area_id: str | None, level: int = 2) -> str | None:
        """The id of the area at ``level`` containing ``area_id`` (itself when it is at that
        level or above it)."""
        seen: set[str] = set()
        current = area_id
        while current is not None and current in self.by_id and current not in seen:
            seen.add(current)
            area = self.by_id[current]
            if area.level <= level or area.parent_id is None:
                return current
            current = area.parent_id
        return area_id

    def within(self, name_or_id: str) -> frozenset[str]:
        """Ids of the area named ``name_or_id`` (case-insensitive) and of all areas inside it."""
        wanted = name_or_id.strip().lower()
        roots = {a.id for a in self.by_id.values()
                 if a.id.lower() == wanted or a.name.strip().lower() == wanted}
        if not roots:
            return frozenset()
        children: dict[str, list[str]] = {}
        for a in self.by_id.values():
            if a.parent_id:
                children.setdefault(a.parent_id, []).append(a.id)
        out: set[str] = set()
        stack = list(roots)
        while stack:
            current = stack.pop()
            if current in out:
                continue
            out.add(current)
            stack.extend(children.get(current, []))
        return frozenset(out)


def scope_for(reader: Reader, period: Period, area: str | None) -> Scope:
    """A scope; ``area`` is an id or a name in any transliteration
    (:func:`mineaction.analysis.areas.resolve`). An area that names no administrative area is
    an error naming it; one that names several, an error listing them."""
    if not area:
        return Scope(period)
    from mineaction.analysis.areas import ambiguous, find
    from mineaction.errors import InvalidInput

    match = find(reader, area)  # by id, else by name in any transliteration
    if match.found is None:
        if match.candidates:
            raise ambiguous(match)
        raise InvalidInput.of("report.no_such_area", area=area)
    return Scope(period, area, Areas.load(reader).within(match.found.id))


# ---------------------------------------------------------------------------------------------
# Merging database groups


def _merge(rows: Sequence[Mapping[str, Any]], key_of: Any, sums: Sequence[str], layer: str,
           criteria_of: Any) -> list[Group]:
    """Merge aggregate rows whose derived key is the same, summing ``sums`` and counts."""
    groups: dict[tuple[Any, ...], Group] = {}
    values: dict[tuple[Any, ...], dict[str, float]] = {}
    ids: dict[tuple[Any, ...], set[str]] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = key_of(row)
        k = tuple(key.values())
        if k not in groups:
            groups[k] = Group(dict(key))
            values[k] = dict.fromkeys(sums, 0.0)
            ids[k] = set()
            counts[k] = 0
        for s in sums:
            values[k][s] += row[s] or 0
        ids[k].update(row.get("ids", []))
        counts[k] += row["count"]
    out = []
    for k, group in groups.items():
        crit = criteria_of(group.key)
        sorted_ids = sorted(ids[k])
        group.figures["count"] = Figure(counts[k], layer, sorted_ids, crit, counts[k])
        for s in sums:
            group.figures[s] = Figure(values[k][s], layer, sorted_ids, crit, counts[k])
        out.append(group)
    return out


def _where(scope: Scope, field_name: str = "admin_area_id",
           extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    where: dict[str, Any] = dict(extra or {})
    if scope.area_ids is not None:
        where[field_name] = sorted(scope.area_ids)
    return where


# ---------------------------------------------------------------------------------------------
# Land release

RELEASE_KEYS = ("method", "contamination_class", "district", "admin_area_id", "operator",
                "year", "quarter", "activity_kind", "activity_id", "hazard_id")

#: Tolerance between the land of some steps and the sum of their recorded areas, per step (m²):
#: beyond it the steps hold the same land, it is not rounding.
OVERLAP_TOLERANCE_M2 = 0.1


class Land:
    """The polygons of release steps, read from the store once, to measure the land released
    by any set of steps: the geodesic area (:func:`mineaction.geo.measure.area_m2`) of the
    union of their polygons.

    The land of a set of steps is at most the sum of their recorded ``area_m2``; it is less
    when steps overlap (one activity over two overlapping hazards, two activities released
    outside any hazard on the same ground). Callers that add the land of two figures get the
    overlap twice: measure the union of both figures' steps instead (:meth:`figure`).
    """

    def __init__(self, reader: Reader):
        self.reader = reader
        #: The reader sees some steps generalised (the public): their land is measured by the
        #: store on the exact polygons (``land_m2``), never on the generalised ones.
        self.measured = reader.generalises("release-steps")
        self.geoms: dict[str, BaseGeometry | None] = {}
        self.recorded: dict[str, float] = {}
        self._areas: dict[frozenset[str], float] = {}
        self._own: dict[str, float] = {}  # each step's polygon, measured once

    def load(self, ids: Iterable[str]) -> None:
        """Read the steps among ``ids`` not read yet (one query per 500 ids)."""
        missing = sorted({i for i in ids if i not in self.geoms})
        for k in range(0, len(missing), 500):
            chunk = missing[k:k + 500]
            for step in self.reader.iter("release-steps", Query(where={"id": chunk})):
                self.geoms[step.id] = step.geometry  # type: ignore[attr-defined]
                self.recorded[step.id] = float(step.area_m2 or 0.0)  # type: ignore[attr-defined]
            for i in chunk:  # an id that is gone counts as no land, never as an error here
                self.geoms.setdefault(i, None)
                self.recorded.setdefault(i, 0.0)

    def area(self, ids: Iterable[str]) -> float:
        """Land released by the steps ``ids`` in m²: the area of the union of their polygons.

        Steps whose polygons share no interior with another of the set count their own area
        (measured once per step); only the steps that overlap are united and measured
        together. Areas are additive under cuts (:mod:`mineaction.geo.measure`), so this is
        the union's area to well under 0.1 m² per step, without building the union of
        thousands of polygons that merely touch.
        """
        key = frozenset(ids)
        if key not in self._areas and self.measured:
            self._areas[key] = self.reader.land_m2("release-steps", key) if key else 0.0
        if key not in self._areas:
            self.load(key)
            items = [(i, g) for i in sorted(key) if (g := self.geoms[i]) is not None
                     and not g.is_empty]
            self._areas[key] = self._land([i for i, _ in items], [g for _, g in items])
        return self._areas[key]

    def _measured(self, i: str) -> float:
        from mineaction.geo.measure import area_m2

        if i not in self._own:
            self._own[i] = area_m2(self.geoms[i])
        return self._own[i]

    def _land(self, ids: list[str], geoms: list[BaseGeometry]) -> float:
        import numpy as np
        import shapely

        from mineaction.geo.measure import area_m2, overlap_groups

        if len(geoms) < 2:
            return sum(self._measured(i) for i in ids)
        arr = np.asarray(geoms, dtype=object)
        total = 0.0
        for members in overlap_groups(arr):
            if len(members) == 1:
                total += self._measured(ids[members[0]])
            else:  # a group of overlapping steps recurs in many cells: measured once
                part = frozenset(ids[m] for m in members)
                if part not in self._areas:
                    self._areas[part] = area_m2(shapely.union_all(arr[members]))
                total += self._areas[part]
        return total

    def recorded_sum(self, ids: Iterable[str]) -> float:
        """The sum of the steps' recorded ``area_m2`` (per-hazard accounting)."""
        key = set(ids)
        self.load(key)
        return sum(self.recorded[i] for i in key)

    def overlap(self, ids: Iterable[str]) -> float:
        """How much more the steps' recorded areas add up to than the land they released (m²);
        0.0 within :data:`OVERLAP_TOLERANCE_M2` per step."""
        key = set(ids)
        extra = self.recorded_sum(key) - self.area(key)
        return extra if abs(extra) > OVERLAP_TOLERANCE_M2 * max(len(key), 1) else 0.0

    def figure(self, ids: Iterable[str], criteria: Mapping[str, Any], scale: float = 1.0
               ) -> Figure:
        """The land of the steps ``ids`` (divided by ``scale``) as a figure naming them."""
        key = sorted(set(ids))
        return Figure(self.area(key) / scale, "release-steps", key, dict(criteria), len(key))


def released(reader: Reader, scope: Scope, by: Sequence[str] = ("method",), *,
             areas: Areas | None = None, where: Mapping[str, Any] | None = None,
             land: Land | None = None) -> list[Group]:
    """Land released (m², geodesic) and number of release steps per group.

    ``by`` takes any of :data:`RELEASE_KEYS`. ``contamination_class`` is computed from the
    contamination the database groups by; ``district`` from the administrative area. The
    database groups the steps; each group's ``area_m2`` is then the land its steps released
    (the union of their polygons, :class:`Land`), and ``recorded_m2`` the sum of their recorded
    areas, which counts land held by two steps twice (what
    :func:`mineaction.release.queries.released_area` gives). Adding the ``area_m2`` of two
    groups can count land twice too: measure the union with ``land.figure`` instead. Pass one
    ``land`` to several calls to read each step's polygon once.
    """
    unknown = set(by) - set(RELEASE_KEYS)
    if unknown:
        raise ValueError(f"cannot group release by {sorted(unknown)}")
    db_by: list[str] = []
    for name in by:
        col = {"contamination_class": "contamination", "district": "admin_area_id"}.get(name,
                                                                                        name)
        if col not in db_by:
            db_by.append(col)
    # Land a failed QC inspection returned to a hazard is no longer released.
    rows = reader.aggregate("release-steps", db_by, sums=["area_m2"],
                            where=_where(scope, extra={**(where or {}), "rejected_by": None}),
                            date_field="released_on",
                            start=scope.period.start, end=scope.period.end, with_ids=True)
    if "district" in by and areas is None:
        areas = Areas.load(reader)

    def key_of(row: Mapping[str, Any]) -> dict[str, Any]:
        key: dict[str, Any] = {}
        for name in by:
            if name == "contamination_class":
                key[name] = contamination_class(row["contamination"])
            elif name == "district":
                assert areas is not None
                key[name] = areas.district(row["admin_area_id"])
            else:
                key[name] = row[name]
        return key

    def criteria_of(key: Mapping[str, Any]) -> dict[str, Any]:
        return {**scope.describe(), **dict(where or {}), **key, "date_field": "released_on"}

    groups = _merge(rows, key_of, ["area_m2"], "release-steps", criteria_of)
    land = land or Land(reader)
    land.load(i for g in groups for i in g.figures["area_m2"].ids)
    for g in groups:
        recorded = g.figures["area_m2"]
        g.figures["recorded_m2"] = Figure(
            recorded.value, recorded.layer, recorded.ids,
            {**recorded.criteria, "measure": "sum of the steps' recorded area_m2"},
            recorded.count)
        g.figures["area_m2"] = Figure(land.area(recorded.ids), recorded.layer, recorded.ids,
                                      {**recorded.criteria, "measure": "land (union of the "
                                       "steps' polygons)"}, recorded.count)
    return groups


# ---------------------------------------------------------------------------------------------
# Explosive ordnance


def destroyed(reader: Reader, scope: Scope, by: Sequence[str] = ("category",), *,
              where: Mapping[str, Any] | None = None, date_field: str = "destroyed_on",
              activity_ids: Iterable[str] | None = None) -> list[Group]:
    """Items of explosive ordnance (sum of ``quantity``) per group of ``finds`` fields.

    With an area in the scope, finds count when the activity that found them released land in
    the area. ``activity_ids`` restricts to the finds of those activities.
    """
    w: dict[str, Any] = dict(where or {})
    acts: set[str] | None = set(activity_ids) if activity_ids is not None else None
    if scope.area_ids is not None:
        in_area = {r["activity_id"] for r in reader.aggregate(
            "release-steps", ["activity_id"], where=_where(scope))}
        acts = in_area if acts is None else acts & in_area
    if acts is not None:
        w["activity_id"] = sorted(acts)
    rows = reader.aggregate("finds", list(by), sums=["quantity"], where=w,
                            date_field=date_field, start=scope.period.start,
                            end=scope.period.end, with_ids=True)

    def key_of(row: Mapping[str, Any]) -> dict[str, Any]:
        return {name: row[name] for name in by}

    def criteria_of(key: Mapping[str, Any]) -> dict[str, Any]:
        crit = {**scope.describe(), **key, "date_field": date_field}
        if where:
            crit.update(where)
        if activity_ids is not None:
            crit["activities"] = "those of the row"
        return crit

    return _merge(rows, key_of, ["quantity"], "finds", criteria_of)


# ---------------------------------------------------------------------------------------------
# Casualties

CASUALTY_KEYS = ("group", "outcome", "sex", "age_band", "device_category", "activity_at_time",
                 "admin_area_id", "district", "year", "quarter")


def casualties(reader: Reader, scope: Scope, by: Sequence[str] = ("outcome",), *,
               where: Mapping[str, Any] | None = None, areas: Areas | None = None
               ) -> list[Group]:
    """Victims (people killed or injured) per group. Reads the ``victims`` layer only: the
    personal data layer is never touched."""
    unknown = set(by) - set(CASUALTY_KEYS)
    if unknown:
        raise ValueError(f"cannot group casualties by {sorted(unknown)}")
    db_by = ["admin_area_id" if b == "district" else b for b in by]
    db_by = list(dict.fromkeys(db_by))
    rows = reader.aggregate("victims", db_by, where=_where(scope, extra=where),
                            date_field="occurred_on", start=scope.period.start,
                            end=scope.period.end, with_ids=True)
    if "district" in by and areas is None:
        areas = Areas.load(reader)

    def key_of(row: Mapping[str, Any]) -> dict[str, Any]:
        key: dict[str, Any] = {}
        for name in by:
            if name == "district":
                assert areas is not None
                key[name] = areas.district(row["admin_area_id"])
            else:
                value = row[name]
                key[name] = UNKNOWN if value is None else value
        return key

    def criteria_of(key: Mapping[str, Any]) -> dict[str, Any]:
        return {**scope.describe(), **dict(where or {}), **key, "date_field": "occurred_on"}

    return _merge(rows, key_of, [], "victims", criteria_of)


# ---------------------------------------------------------------------------------------------
# Capacity


#: The key of capacity records that name no kind of work (``activity_kind`` empty).
NOT_RECORDED = "not recorded"


def capacity_at_end(reader: Reader, scope: Scope, kinds: Sequence[str | None]) -> list[Group]:
    """Capacity per operator and activity kind as at the end of the period: for each
    operator and kind, the record(s) of the latest period ending within the scope's period.

    Capacity is a stock: quarterly records of the same team are never added up. ``None`` in
    ``kinds`` asks for the records that name no kind of work; they come back under the kind
    :data:`NOT_RECORDED` (the latest of each operator), never dropped. Where users go wrong:
    asking only for named kinds leaves such records out; count them with
    :func:`capacity_without_kind` and say so.
    """
    sums = ["teams", "deminers", "dogs", "machines"]
    wanted = {NOT_RECORDED if k is None else str(k) for k in kinds}
    # No filter on the kind in the database: "IN (...)" never matches an empty kind.
    rows = reader.aggregate("capacity", ["operator", "activity_kind", "period_end"], sums=sums,
                            date_field="period_end", start=scope.period.start,
                            end=scope.period.end, with_ids=True)
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for row in rows:
        kind = NOT_RECORDED if row["activity_kind"] is None else str(row["activity_kind"])
        if kind not in wanted:
            continue
        row = {**row, "activity_kind": kind}
        k = (row["operator"], kind)
        if k not in latest or str(row["period_end"]) > str(latest[k]["period_end"]):
            latest[k] = row

    def key_of(row: Mapping[str, Any]) -> dict[str, Any]:
        return {"operator": row["operator"], "activity_kind": row["activity_kind"],
                "period_end": str(row["period_end"])}

    def criteria_of(key: Mapping[str, Any]) -> dict[str, Any]:
        return {**scope.describe(), **key, "date_field": "period_end",
                "rule": "latest period per operator and kind"}

    return _merge(list(latest.values()), key_of, sums, "capacity", criteria_of)


def capacity_without_kind(reader: Reader, scope: Scope) -> list[str]:
    """Ids of the capacity records of the period that name no kind of work."""
    rows = reader.aggregate("capacity", ["activity_kind"], where={"activity_kind": None},
                            date_field="period_end", start=scope.period.start,
                            end=scope.period.end, with_ids=True)
    return sorted(i for r in rows for i in r["ids"])


# ---------------------------------------------------------------------------------------------
# Remaining contamination: hazards open on a day


@dataclass
class Remaining:
    """The hazards open at the end of day ``on``, as they stood that day, read with counts
    and measures only (the public may count the history of hazards, never read it).

    Each hazard's state that day is its version of greatest ``seq`` valid by then; a hazard
    without history counts as it stands today from its ``recorded_on`` (as
    :func:`mineaction.release.queries.hazards_at` reads them). ``open`` maps each open
    hazard to its district and kind; its land is that of its version of the day.
    """

    reader: Reader
    on: dt.date
    open: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    version: dict[str, str] = field(default_factory=dict)  # hazard -> its version that day

    @classmethod
    def load(cls, reader: Reader, on: dt.date, areas: Areas, scope: Scope | None = None
             ) -> Remaining:
        from mineaction.planning.read import as_date

        out = cls(reader, on)
        state: dict[str, tuple[int, str, str, str]] = {}  # hazard -> seq, status, kind, id
        rows = [*reader.aggregate("hazard-versions", ["hazard_id", "seq", "status", "kind"],
                                  date_field="valid_from", end=on, with_ids=True),
                *reader.aggregate("hazard-versions", ["hazard_id", "seq", "status", "kind"],
                                  where={"valid_from": None}, with_ids=True)]
        for r in rows:
            h, seq = str(r["hazard_id"]), int(r["seq"])
            if h not in state or seq > state[h][0]:
                state[h] = (seq, str(r["status"]), str(r["kind"]), r["ids"][0])
        with_history = {str(r["hazard_id"]) for r in reader.aggregate("hazard-versions",
                                                                      ["hazard_id"])}
        where = _where(scope) if scope is not None else {}
        for r in reader.aggregate("hazards", ["admin_area_id", "kind", "status", "recorded_on"],
                                  where=where, with_ids=True):
            district = areas.district(r["admin_area_id"])
            for h in r["ids"]:
                if h in state:
                    _, status, kind, vid = state[h]
                    if status == "open":
                        out.open[h] = (district, kind)
                        out.version[h] = vid
                elif h not in with_history and str(r["status"]) == "open" and (
                        (day := as_date(r["recorded_on"])) is None or day <= on):
                    out.open[h] = (district, str(r["kind"]))
        return out

    def area(self, ids: Iterable[str]) -> float:
        """The land (m²) under the hazards ``ids`` that day: the geodesic area of the union
        of their polygons, measured by the store on the exact polygons (those with history and
        those without united in one measure, so that no land counts twice)."""
        key = set(ids)
        versions = [self.version[h] for h in key if h in self.version]
        plain = [h for h in key if h not in self.version]
        if not versions:
            return self.reader.land_m2("hazards", plain) if plain else 0.0
        return self.reader.land_m2("hazard-versions", versions,
                                   also=[("hazards", plain)] if plain else ())

    def figure(self, ids: Iterable[str], criteria: Mapping[str, Any], scale: float = 1.0
               ) -> Figure:
        """The land of the hazards ``ids`` that day (divided by ``scale``), naming them."""
        key = sorted(set(ids))
        return Figure(self.area(key) / scale, "hazards", key, dict(criteria), len(key))

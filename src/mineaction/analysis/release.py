"""The land release engine: apply activities to hazards, keep every step, answer "as of".

Applying an activity releases its polygon from every open hazard it overlaps, in the same
transaction as the import: the hazard keeps what is left (old geometry minus the activity's
polygon), a :class:`~mineaction.domain.release.ReleaseStep` records what went and how, and a
new :class:`~mineaction.domain.release.HazardVersion` records the hazard's new state. A hazard
with nothing left is closed with the date and the activity that closed it. Survey can also add
to the list: a new suspected area, an enlargement, a confirmation (SHA becomes CHA).

Activities are applied in date order (then by id), so the same activities give the same final
state whatever order they came in. An activity dated before the last change already recorded on
a hazard it touches is refused: history is appended to, never rewritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from mineaction.domain.activities import Activity
from mineaction.domain.hazards import Hazard
from mineaction.domain.release import (
    HazardChange,
    HazardVersion,
    ReleaseStep,
    SurveyResult,
    polygonal,
    split,
)
from mineaction.domain.schema import Record
from mineaction.domain.vocabulary import (
    ActivityKind,
    HazardKind,
    HazardStatus,
    ReleaseOutcome,
)
from mineaction.errors import InvalidInput, NotFound, Problem
from mineaction.geo.measure import area_m2
from mineaction.io.load import on_import
from mineaction.store.base import Progress, Query, Reader, Transaction

#: Activity kinds whose polygon releases land. EOD spot tasks destroy items, they release none.
RELEASING = {ActivityKind.NTS, ActivityKind.TS, ActivityKind.CLEARANCE, ActivityKind.BAC}


def _version(h: Hazard, seq: int, change: HazardChange, on: dt.date | None, *,
             activity_id: str | None = None, step_id: str | None = None,
             evidence_id: str | None = None, source: str | None = None,
             area: float | None = None) -> HazardVersion:
    return HazardVersion(
        id=f"{h.id}@{seq}", hazard_id=h.id, seq=seq, valid_from=on, change=change, kind=h.kind,
        status=h.status, threat=h.threat, contamination=h.contamination,
        area_m2=round(area_m2(h.geometry) if area is None else area, 3),
        activity_id=activity_id, step_id=step_id,
        evidence_id=evidence_id, geometry=h.geometry, source=source or h.source)


def record_hazards(tx: Transaction, hazards: Sequence[Record],
                   progress: Progress | None = None) -> list[str]:
    """Write the first history version of each newly added hazard; say which overlap others.

    Overlapping open hazards are a data problem the engine does not hide: land under two
    hazards is released from each, so per-hazard figures stay exact but a sum over hazards
    counts the overlap twice.
    """
    versions = [_version(h, 1, HazardChange.RECORDED, h.recorded_on)
                for h in hazards if isinstance(h, Hazard)]
    tx.add_many(versions, progress)
    overlapping = overlaps(tx, [h for h in hazards if isinstance(h, Hazard)])
    if not overlapping:
        return []
    pairs = ", ".join(f"{a}/{b} ({m2:,.0f} m²)" for a, b, m2 in overlapping[:10])
    return [f"warning: {len(overlapping)} pair(s) of open hazards overlap: {pairs}"
            + (" ..." if len(overlapping) > 10 else "")
            + "; land in an overlap is released from each hazard and counted in each"]


def overlaps(reader: Reader, hazards: Sequence[Hazard], min_m2: float = 1.0
             ) -> list[tuple[str, str, float]]:
    """Pairs (hazard, other open hazard, m² in common) for the given hazards."""
    found: dict[tuple[str, str], float] = {}
    for h in hazards:
        if h.geometry is None or h.geometry.is_empty or h.status != HazardStatus.OPEN:
            continue
        for other in reader.iter(Hazard, Query(intersects=h.geometry,
                                               where={"status": "open"})):
            assert isinstance(other, Hazard)
            if other.id == h.id or other.geometry is None:
                continue
            key = (min(h.id, other.id), max(h.id, other.id))
            if key in found:
                continue
            common = area_m2(h.geometry.intersection(other.geometry))
            if common >= min_m2:
                found[key] = common
    return [(a, b, m2) for (a, b), m2 in sorted(found.items())]


on_import("hazards")(record_hazards)


@dataclass
class _Latest:
    seq: int
    valid_from: dt.date | None


@dataclass
class ReleaseReport:
    steps: int = 0
    closed: list[str] = field(default_factory=list)
    area_by_method: dict[str, float] = field(default_factory=dict)  # sum of the steps' areas
    created: list[str] = field(default_factory=list)
    parts_by_method: dict[str, list[BaseGeometry]] = field(default_factory=dict)
    new_steps: list[ReleaseStep] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, step: ReleaseStep) -> None:
        method = str(step.method)
        self.steps += 1
        self.area_by_method[method] = self.area_by_method.get(method, 0.0) + step.area_m2
        self.parts_by_method.setdefault(method, []).append(step.geometry)  # type: ignore
        self.new_steps.append(step)

    def land_by_method(self) -> dict[str, float]:
        """Land released per method (m²): the union of the steps' polygons, so that land held
        by two steps (two overlapping hazards, two activities on the same ground) counts once."""
        from shapely import union_all

        return {m: area_m2(union_all(parts)) for m, parts in self.parts_by_method.items()}

    def messages(self) -> list[str]:
        out: list[str] = []
        if self.steps:
            land = self.land_by_method()
            text = f"released {self.steps} step(s): " + ", ".join(
                f"{m} {a:,.1f} m²" for m, a in sorted(land.items()))
            twice = {m: self.area_by_method[m] - a for m, a in land.items()
                     if self.area_by_method[m] - a > 0.1 * len(self.parts_by_method[m])}
            if twice:
                text += (" of land; the steps' areas add up to more (" + ", ".join(
                    f"{m} {self.area_by_method[m]:,.1f} m², {twice[m]:,.1f} m² held by more "
                    "than one step" for m in sorted(twice)) + ")")
            out.append(text)
        if self.closed:
            out.append(f"closed {len(self.closed)} hazard(s): {', '.join(self.closed[:20])}"
                       + (" ..." if len(self.closed) > 20 else ""))
        if self.created:
            out.append(f"created {len(self.created)} hazard(s): {', '.join(self.created[:20])}")
        return out + self.warnings


class _Engine:
    def __init__(self, tx: Transaction):
        self.tx = tx
        self.latest: dict[str, _Latest] = {}
        self.problems: list[Problem] = []
        self.report = ReleaseReport()

    def latest_of(self, hazard_id: str) -> _Latest:
        if hazard_id not in self.latest:
            versions = self.tx.query("hazard-versions", Query(where={"hazard_id": hazard_id},
                                                              order_by="seq"))
            if versions:
                v = versions[-1]
                self.latest[hazard_id] = _Latest(v.seq, v.valid_from)  # type: ignore[attr-defined]
            else:  # a hazard written without history (by an older version): start it now
                h = self.tx.get(Hazard, hazard_id)
                self.tx.add(_version(h, 1, HazardChange.RECORDED, h.recorded_on))
                self.latest[hazard_id] = _Latest(1, h.recorded_on)
        return self.latest[hazard_id]

    def append(self, h: Hazard, change: HazardChange, on: dt.date | None, **kw: Any) -> None:
        last = self.latest_of(h.id)
        seq = last.seq + 1
        self.tx.add(_version(h, seq, change, on, **kw))
        self.latest[h.id] = _Latest(seq, on)

    def too_early(self, act: Activity, h: Hazard, on: dt.date | None) -> bool:
        last = self.latest_of(h.id)
        if last.valid_from and (on is None or on < last.valid_from):
            self.problems.append(Problem(
                f"activity {act.id}", "ended_on",
                f"dated {on or 'without a date'}, before the last recorded change to hazard "
                f"{h.id} ({last.valid_from}); import activities in date order"))
            return True
        return False

    # -- survey that adds to the hazard list ------------------------------------------------

    def survey(self, act: Activity, on: dt.date | None) -> None:
        result = act.survey_result
        if result == SurveyResult.NEW_HAZARD:
            hid = act.hazard_id or f"{act.id}-H"
            if self.tx.existing_ids("hazards", [hid]):
                self.problems.append(Problem(f"activity {act.id}", "hazard_id",
                                             f"hazard {hid!r} already exists"))
                return
            h = Hazard(id=hid, kind=HazardKind.CHA if act.kind == ActivityKind.TS
                       else HazardKind.SHA, contamination=act.contamination, recorded_on=on,
                       geometry=polygonal(act.geometry), source=act.source,
                       src_crs=act.src_crs, crs_operation=act.crs_operation,
                       notes=f"created by {act.kind.value} {act.id}")
            self.tx.add(h)
            self.tx.add(_version(h, 1, HazardChange.CREATED, on, activity_id=act.id,
                                 evidence_id=act.evidence_id))
            self.latest[h.id] = _Latest(1, on)
            self.report.created.append(hid)
            return
        if not act.hazard_id:
            self.problems.append(Problem(f"activity {act.id}", "hazard_id",
                                         f"a survey result '{result}' needs the hazard's id"))
            return
        try:
            h = self.tx.get(Hazard, act.hazard_id)
        except NotFound:
            self.problems.append(Problem(f"activity {act.id}", "hazard_id",
                                         f"no hazards record {act.hazard_id!r}"))
            return
        if self.too_early(act, h, on):
            return
        if result == SurveyResult.ENLARGED:
            h.geometry = polygonal(h.geometry.union(act.geometry))  # type: ignore[union-attr]
            h.contamination = h.contamination | act.contamination
            h.status = HazardStatus.OPEN
            change = HazardChange.ENLARGED
        else:
            h.kind = HazardKind.CHA
            h.contamination = h.contamination | act.contamination
            change = HazardChange.CONFIRMED
        self.tx.update(h)
        self.append(h, change, on, activity_id=act.id, evidence_id=act.evidence_id)

    # -- release ---------------------------------------------------------------------------

    def release(self, act: Activity, on: dt.date | None) -> None:
        geom: BaseGeometry = act.geometry  # type: ignore[assignment]
        method = act.outcome
        assert method is not None
        released: list[BaseGeometry] = []
        hazards = self.tx.query(Hazard, Query(intersects=geom, where={"status": "open"}))
        for h in hazards:
            assert isinstance(h, Hazard)
            if h.geometry is None or h.geometry.is_empty:
                continue
            remaining, part = split(h.geometry, geom)
            if part.is_empty:
                continue  # touching only
            if self.too_early(act, h, on):
                continue
            released.append(part)
            area = area_m2(part)
            step = ReleaseStep(
                id=f"{act.id}/{h.id}", activity_id=act.id, hazard_id=h.id, method=method,
                activity_kind=act.kind, operator=act.operator, released_on=on, area_m2=area,
                contamination=h.contamination, admin_area_id=h.admin_area_id, geometry=part,
                source=act.source)
            self.tx.add(step)
            h.geometry = remaining
            change = HazardChange.RELEASED
            if remaining.is_empty:
                h.status = HazardStatus.CLOSED
                h.closed_on = on
                h.closed_by = act.id
                change = HazardChange.CLOSED
                self.report.closed.append(h.id)
            self.tx.update(h)
            self.append(h, change, on, activity_id=act.id, step_id=step.id,
                        area=0.0 if remaining.is_empty else None)
            self.report.add(step)
        outside = geom
        if released:
            from shapely import union_all

            outside = polygonal(geom.difference(union_all(released)))
        if act.outside_hazard:
            area = 0.0 if outside.is_empty else area_m2(outside)
            if area > 0:
                step = ReleaseStep(
                    id=f"{act.id}/outside", activity_id=act.id, hazard_id=None, method=method,
                    activity_kind=act.kind, operator=act.operator, released_on=on,
                    area_m2=area, contamination=act.contamination, outside_hazard=True,
                    geometry=outside, source=act.source)
                self.tx.add(step)
                self.report.add(step)
        elif not released and not any(p.where == f"activity {act.id}" for p in self.problems):
            self.problems.append(Problem(
                f"activity {act.id}", "geometry",
                "overlaps no open hazard; if it released land outside any recorded hazard "
                "(battle area clearance, for example), set outside_hazard to true"))


def _date(act: Activity) -> dt.date | None:
    return act.ended_on or act.started_on


def apply_activities(tx: Transaction, activities: Iterable[Record],
                     progress: Progress | None = None) -> list[str]:
    """Apply activities already added in ``tx`` to the hazards; returns messages.

    Raises InvalidInput (and the caller's transaction rolls back) listing every activity that
    cannot be applied.
    """
    engine = _Engine(tx)
    acts = sorted((a for a in activities if isinstance(a, Activity)),
                  key=lambda a: (_date(a) or dt.date.min, a.id))
    for act in acts:
        on = _date(act)
        if act.survey_result is not None:
            engine.survey(act, on)
        elif act.kind in RELEASING and act.outcome is not None:
            engine.release(act, on)
        if progress:
            progress(1)
    if engine.problems:
        raise InvalidInput(engine.problems)
    engine.report.warnings += overlap_warnings(tx, acts, engine.report.new_steps)
    return engine.report.messages()


def overlap_warnings(reader: Reader, activities: Sequence[Activity],
                     steps: Sequence[ReleaseStep]) -> list[str]:
    """Warnings for activities whose polygons overlap, and for land released twice.

    Overlapping activities are not an error (a clearance polygon is often drawn over the edge
    of a survey's), but land released by two steps (one activity over two overlapping hazards,
    two activities outside any hazard on the same ground) is counted once in reports of land
    and once per step in :func:`released_area` and per-hazard figures.
    """
    out: list[str] = []
    pairs = activity_overlaps(reader, activities)
    if pairs:
        out.append(f"warning: {len(pairs)} pair(s) of activities overlap: {_pair_text(pairs)}"
                   "; land both released is counted once in reports of land")
    shared, extra = shared_land(reader, steps)
    if shared:
        out.append(f"warning: land released twice: {extra:,.1f} m² in {len(shared)} pair(s) "
                   f"of release steps: {_pair_text(shared)}; reports of land count it once, "
                   "released_area and per-hazard figures once per step")
    return out


def _pair_text(pairs: Sequence[tuple[str, str, float]]) -> str:
    return (", ".join(f"{a}/{b} ({m2:,.0f} m²)" for a, b, m2 in pairs[:10])
            + (" ..." if len(pairs) > 10 else ""))


def _overlapping(new: Sequence[tuple[str, BaseGeometry]], reader: Reader, layer: str,
                 keep: Callable[[Record], bool], min_m2: float
                 ) -> dict[tuple[str, str], tuple[float, BaseGeometry, BaseGeometry]]:
    """Pairs among ``new`` (id, geometry), and between them and the stored records of ``layer``
    that ``keep`` accepts, sharing at least ``min_m2``: (a, b) -> (m², geometry a, geometry b).

    The new records are compared in memory; the store is asked only when it holds records of
    the layer besides the new ones (one query per new record then)."""
    from shapely import STRtree

    found: dict[tuple[str, str], tuple[float, BaseGeometry, BaseGeometry]] = {}
    items = [(i, g) for i, g in new if g is not None and not g.is_empty]

    def meet(a: str, ga: BaseGeometry, b: str, gb: BaseGeometry) -> None:
        key = (min(a, b), max(a, b))
        if a == b or key in found:
            return
        common = area_m2(ga.intersection(gb))
        if common >= min_m2:
            found[key] = (common, ga, gb) if a < b else (common, gb, ga)

    tree = STRtree([g for _, g in items])
    for k, (a, ga) in enumerate(items):
        for j in tree.query(ga, predicate="intersects"):
            if int(j) > k:
                meet(a, ga, items[int(j)][0], items[int(j)][1])
    ids = {i for i, _ in new}
    if reader.count(layer) > len(ids):
        for a, ga in items:
            for other in reader.iter(layer, Query(intersects=ga)):
                gb = getattr(other, "geometry", None)
                if other.id not in ids and gb is not None and keep(other):
                    meet(a, ga, other.id, gb)
    return found


def activity_overlaps(reader: Reader, activities: Sequence[Activity], min_m2: float = 1.0
                      ) -> list[tuple[str, str, float]]:
    """Pairs (activity, other activity, m² in common) of activities that release land, among
    ``activities`` and those already in the store."""

    def releasing(a: Record) -> bool:
        return (isinstance(a, Activity) and a.kind in RELEASING and a.outcome is not None
                and a.survey_result is None)

    found = _overlapping([(a.id, a.geometry) for a in activities  # type: ignore[misc]
                          if releasing(a)], reader, "activities", releasing, min_m2)
    return [(a, b, v[0]) for (a, b), v in sorted(found.items())]


def shared_land(reader: Reader, steps: Sequence[ReleaseStep], min_m2: float = 1.0
                ) -> tuple[list[tuple[str, str, float]], float]:
    """Pairs (step, other step, m² in common) of release steps holding the same land, among
    ``steps`` and those already stored, and the land counted more than once (m²: the steps'
    areas added up, less the area of their union)."""
    from shapely import union_all

    found = _overlapping([(st.id, st.geometry) for st in steps],  # type: ignore[misc]
                         reader, "release-steps", lambda r: True, min_m2)
    if not found:
        return [], 0.0
    geoms: dict[str, BaseGeometry] = {}
    for (a, b), (_, ga, gb) in found.items():
        geoms[a], geoms[b] = ga, gb
    extra = sum(area_m2(g) for g in geoms.values()) - area_m2(union_all(list(geoms.values())))
    return [(a, b, v[0]) for (a, b), v in sorted(found.items())], extra


on_import("activities")(apply_activities)


# ---------------------------------------------------------------------------------------------
# Reading history

def hazards_at(reader: Reader, on: dt.date, *, bbox: tuple[float, float, float, float] | None
               = None) -> Iterator[Hazard]:
    """Every hazard as it stood at the end of day ``on`` (those recorded by then), in the
    store's order of hazard ids.

    Geometry, kind, status, threat and contamination are those of the hazard's latest version
    valid that day; a hazard open that day has no closing date. Other fields (name, estimated
    mines, area) are today's. A hazard written without history (straight into a store, or by an
    older mineaction) counts as it stands today from its ``recorded_on``, as the release engine
    treats it. With ``bbox`` (degrees), only hazards whose geometry that day meets the box.

    Reads the hazards and their versions once each (two queries, whatever their number).
    """
    chosen: dict[str, HazardVersion] = {}
    with_history: set[str] = set()
    for version in reader.iter("hazard-versions", Query(order_by="hazard_id")):
        assert isinstance(version, HazardVersion)
        with_history.add(version.hazard_id)
        if version.valid_from is not None and version.valid_from > on:
            continue
        current = chosen.get(version.hazard_id)
        if current is None or version.seq > current.seq:
            chosen[version.hazard_id] = version
    window = None
    if bbox is not None:
        from shapely.geometry import box

        window = box(*bbox)
    for h in reader.iter(Hazard, Query(order_by="id")):
        assert isinstance(h, Hazard)
        state = chosen.get(h.id)
        if state is not None:
            h = _as_hazard(h, state)
        elif h.id in with_history or (h.recorded_on is not None and h.recorded_on > on):
            continue  # recorded after that day
        if window is not None and (h.geometry is None or h.geometry.is_empty
                                   or not h.geometry.intersects(window)):
            continue
        yield h


def _as_hazard(h: Hazard, v: HazardVersion) -> Hazard:
    h.geometry, h.kind, h.status, h.threat, h.contamination = (
        v.geometry if v.geometry is not None else MultiPolygon(), v.kind, v.status, v.threat,
        v.contamination)
    if v.status == HazardStatus.OPEN:
        h.closed_on = h.closed_by = None
    return h


@dataclass
class Timeline:
    hazard: Hazard
    versions: list[HazardVersion]
    steps: list[ReleaseStep]


def timeline(reader: Reader, hazard_id: str) -> Timeline:
    h = reader.get(Hazard, hazard_id)
    versions = [v for v in reader.iter("hazard-versions", Query(where={"hazard_id": hazard_id},
                                                                order_by="seq"))]
    steps = [s for s in reader.iter("release-steps", Query(where={"hazard_id": hazard_id},
                                                           order_by="released_on"))]
    return Timeline(h, versions, steps)  # type: ignore[arg-type]


def released_area(reader: Reader, by: Sequence[str] = ("method",), *,
                  start: dt.date | None = None, end: dt.date | None = None,
                  where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Released m² per group (method, activity_kind, operator, admin_area_id, hazard_id,
    contamination, year, quarter), with the release steps behind each figure.

    Cancelled, reduced and cleared land stay apart unless the caller groups them away.

    Each figure is the sum of its steps' recorded areas, computed by the database: exact per
    hazard, but a step is per hazard, so land under two overlapping hazards (or released twice
    outside any hazard) counts once per step. For land released, as reports give it, use
    :func:`mineaction.analysis.statistics.released`: the area of the union of the steps'
    polygons."""
    return reader.aggregate("release-steps", by, sums=("area_m2",), where=where,
                            date_field="released_on", start=start, end=end, with_ids=True)


METHODS = tuple(ReleaseOutcome)

"""Reading the land release history: hazards as of a date, a hazard's timeline, released area,
and the overlaps (of hazards, activities, release steps) the engine warns about. Nothing here
writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from mineaction.domain.activities import Activity
from mineaction.domain.hazards import Hazard
from mineaction.domain.release import HazardVersion, ReleaseStep
from mineaction.domain.schema import Record
from mineaction.domain.vocabulary import ActivityKind, HazardStatus, ReleaseOutcome
from mineaction.geo.measure import area_m2, areas_m2
from mineaction.messages import Message
from mineaction.store.base import BBox, Query, Reader

#: Activity kinds whose polygon releases land. EOD spot tasks destroy items, they release none.
RELEASING = {ActivityKind.NTS, ActivityKind.TS, ActivityKind.CLEARANCE, ActivityKind.BAC}

METHODS = tuple(ReleaseOutcome)

#: Above this many new records, the stored records they may overlap are read in one query (those
#: in the new records' bounding box) rather than one query per new record.
BULK = 50


# ---------------------------------------------------------------------------------------------
# Overlaps


def overlaps(reader: Reader, hazards: Sequence[Hazard], min_m2: float = 1.0
             ) -> list[tuple[str, str, float]]:
    """Pairs (hazard, other open hazard, m² in common) for the given open hazards: among them
    (compared in memory) and with the other open hazards of the store."""

    def is_open(r: Record) -> bool:
        return getattr(r, "status", None) == HazardStatus.OPEN

    found = _overlapping([(h.id, h.geometry) for h in hazards  # type: ignore[misc]
                          if is_open(h)], reader, "hazards", is_open, min_m2)
    return [(a, b, v[0]) for (a, b), v in sorted(found.items())]


def pair_text(pairs: Sequence[tuple[str, str, float]]) -> str:
    """``a/b (m²), ...`` for the first ten pairs (a value for messages: ids and numbers)."""
    return (", ".join(f"{a}/{b} ({m2:,.0f} m²)" for a, b, m2 in pairs[:10])
            + (" ..." if len(pairs) > 10 else ""))


def overlap_warnings(reader: Reader, activities: Sequence[Activity],
                     steps: Sequence[ReleaseStep], *, batch: bool = True) -> list[Message]:
    """Warnings for activities whose polygons overlap, and for land released twice.

    Overlapping activities are not an error (a clearance polygon is often drawn over the edge
    of a survey's), but land released by two steps (one activity over two overlapping hazards,
    two activities outside any hazard on the same ground) is counted once in reports of land
    and once per step in :func:`released_area` and per-hazard figures.
    """
    out: list[Message] = []
    pairs = activity_overlaps(reader, activities, batch=batch)
    if pairs:
        out.append(Message.of("release.activities_overlap", count=len(pairs),
                              pairs=pair_text(pairs)))
    shared, extra = shared_land(reader, steps, batch=batch)
    if shared:
        out.append(Message.of("release.land_released_twice", extra_m2=extra, count=len(shared),
                              pairs=pair_text(shared)))
    return out


def _overlapping(new: Sequence[tuple[str, BaseGeometry]], reader: Reader, layer: str,
                 keep: Callable[[Record], bool], min_m2: float, *, batch: bool = True,
                 stored: dict[str, Record] | None = None
                 ) -> dict[tuple[str, str], tuple[float, BaseGeometry, BaseGeometry]]:
    """Pairs among ``new`` (id, geometry), and between them and the stored records of ``layer``
    that ``keep`` accepts, sharing at least ``min_m2``: (a, b) -> (m², geometry a, geometry b).

    The new records are compared in memory; the store is asked only when it holds records of
    the layer besides the new ones. With ``batch``, above :data:`BULK` new records it is asked
    once (the records in their bounding box, then an STRtree) and the pairs' intersections are
    computed and measured together; otherwise one query per new record, one pair at a time.
    ``stored``, if given, receives the stored records met, by id."""
    import shapely
    from shapely import STRtree

    items = [(i, g) for i, g in new if g is not None and not g.is_empty]
    candidates: dict[tuple[str, str], tuple[BaseGeometry, BaseGeometry]] = {}

    def meet(a: str, ga: BaseGeometry, b: str, gb: BaseGeometry) -> None:
        key = (min(a, b), max(a, b))
        if a != b and key not in candidates:
            candidates[key] = (ga, gb) if a < b else (gb, ga)

    tree = STRtree([g for _, g in items])
    if batch and items:
        left, right = tree.query([g for _, g in items], predicate="intersects")
        for k, j in zip(left.tolist(), right.tolist(), strict=True):
            if j > k:
                meet(*items[k], *items[j])
    else:
        for k, (a, ga) in enumerate(items):
            for j in tree.query(ga, predicate="intersects"):
                if int(j) > k:
                    meet(a, ga, items[int(j)][0], items[int(j)][1])
    ids = {i for i, _ in new}
    if items and reader.count(layer) > len(ids):
        if batch and len(items) > BULK:
            b = shapely.bounds([g for _, g in items])
            box: BBox = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                         float(b[:, 3].max()))
            records = [o for o in reader.iter(layer, Query(bbox=box))
                       if o.id not in ids and getattr(o, "geometry", None) is not None
                       and keep(o)]
            others = [(o.id, o.geometry) for o in records]  # type: ignore[attr-defined]
            left, right = STRtree([g for _, g in others]).query([g for _, g in items],
                                                                 predicate="intersects")
            for k, j in sorted(zip(left.tolist(), right.tolist(), strict=True)):
                meet(*items[k], *others[j])
                if stored is not None:
                    stored[others[j][0]] = records[j]
        else:
            for a, ga in items:
                for other in reader.iter(layer, Query(intersects=ga)):
                    gb = getattr(other, "geometry", None)
                    if other.id not in ids and gb is not None and keep(other):
                        meet(a, ga, other.id, gb)
                        if stored is not None:
                            stored[other.id] = other
    keys = list(candidates)
    if batch:
        ga_arr = [candidates[k][0] for k in keys]
        gb_arr = [candidates[k][1] for k in keys]
        common = areas_m2(shapely.intersection(ga_arr, gb_arr)).tolist() if keys else []
    else:
        common = [area_m2(ga.intersection(gb)) for ga, gb in candidates.values()]
    return {k: (c, *candidates[k]) for k, c in zip(keys, common, strict=True) if c >= min_m2}


def releases_land(a: Record) -> bool:
    """An activity whose polygon releases land (not a survey result)."""
    return (isinstance(a, Activity) and a.kind in RELEASING and a.outcome is not None
            and a.survey_result is None)


def activity_overlaps(reader: Reader, activities: Sequence[Activity], min_m2: float = 1.0,
                      *, batch: bool = True) -> list[tuple[str, str, float]]:
    """Pairs (activity, other activity, m² in common) of activities that release land, among
    ``activities`` and those already in the store."""
    found = _overlapping([(a.id, a.geometry) for a in activities  # type: ignore[misc]
                          if releases_land(a)], reader, "activities", releases_land, min_m2,
                         batch=batch)
    return [(a, b, v[0]) for (a, b), v in sorted(found.items())]


def shared_land(reader: Reader, steps: Sequence[ReleaseStep], min_m2: float = 1.0, *,
                batch: bool = True) -> tuple[list[tuple[str, str, float]], float]:
    """Pairs (step, other step, m² in common) of release steps holding the same land, among
    ``steps`` and those already stored, and the land counted more than once (m²: the steps'
    recorded areas added up, less the area of their union)."""
    from shapely import union_all

    steps_by_id: dict[str, Record] = {st.id: st for st in steps}
    found = _overlapping([(st.id, st.geometry) for st in steps],  # type: ignore[misc]
                         reader, "release-steps", lambda r: True, min_m2, batch=batch,
                         stored=steps_by_id)
    if not found:
        return [], 0.0
    geoms: dict[str, BaseGeometry] = {}
    for (a, b), (_, ga, gb) in found.items():
        geoms[a], geoms[b] = ga, gb
    # each step's area as the engine measured and recorded it, the union's measured here
    extra = (sum(steps_by_id[i].area_m2 for i in geoms)  # type: ignore[attr-defined]
             - area_m2(union_all(list(geoms.values()))))
    return [(a, b, v[0]) for (a, b), v in sorted(found.items())], extra


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

    Three statements, whatever the number of hazards: each hazard's version of that day
    (chosen by the store), the hazards whose history starts later, and the hazards.
    """
    chosen: dict[str, HazardVersion] = {}
    for version in reader.latest("hazard-versions", "hazard_id", order="seq",
                                 date_field="valid_from", on=on):
        assert isinstance(version, HazardVersion)
        chosen[version.hazard_id] = version
    later = {row["hazard_id"] for row in reader.aggregate(
        "hazard-versions", ["hazard_id"], date_field="valid_from",
        start=on + dt.timedelta(days=1))}
    window = None
    if bbox is not None:
        from shapely.geometry import box

        window = box(*bbox)
    for h in reader.iter(Hazard, Query(order_by="id")):
        assert isinstance(h, Hazard)
        state = chosen.get(h.id)
        if state is not None:
            h = _as_hazard(h, state)
        elif h.id in later or (h.recorded_on is not None and h.recorded_on > on):
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
    where = {**(where or {}), "rejected_by": None}  # land a QC inspection returned: not released
    return reader.aggregate("release-steps", by, sums=("area_m2",), where=where,
                            date_field="released_on", start=start, end=end, with_ids=True)

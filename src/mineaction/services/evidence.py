"""Evidence-weighted classification of open hazards (:mod:`mineaction.risk.evidence`).

:func:`snapshot` reads the store once, as the actor may see it, into plain rows; the
assessment computes over them and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mineaction.planning.read import as_date
from mineaction.risk.evidence import (
    ActivityIn,
    Assessment,
    Evidence,
    HazardIn,
    PointIn,
    RecordIn,
)
from mineaction.services.context import Context
from mineaction.store.base import Reader

__all__ = ["assess", "default_weights", "read", "snapshot"]




def _point(geom: Any) -> tuple[float, float] | None:
    if geom is None or geom.is_empty:
        return None
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return float(p.x), float(p.y)


def _before(on: dt.date | None, before: dt.date | None) -> bool:
    """Whether a record dated ``on`` was known before ``before`` (undated records are)."""
    return before is None or on is None or on < before


def read(reader: Reader, *, before: dt.date | None = None) -> Evidence:
    """Open hazards and the evidence around them, as ``reader`` shows them; with ``before``,
    the hazards as they stood the day before it (their latest version by then) and only the
    finds, accidents, evidence items, records, assessments and activities dated before it."""
    from mineaction.analysis.statistics import Areas
    from mineaction.geo.measure import area_m2
    from mineaction.reports.definitions import synthetic

    ev = Evidence()
    then: dict[str, Any] = {}
    versioned: set[str] = set()
    if before is not None:
        # each hazard as it stood the day before ``before``: its latest version by then (a
        # hazard without history: as it is, if it was recorded by then)
        for v in reader.iter("hazard-versions"):
            on = as_date(v.valid_from)  # type: ignore[attr-defined]
            hid = str(v.hazard_id)  # type: ignore[attr-defined]
            versioned.add(hid)
            if _before(on, before) and (hid not in then
                                        or v.seq > then[hid].seq):  # type: ignore
                then[hid] = v
    for h in reader.iter("hazards"):
        state: Any = h
        if before is not None and h.id in versioned:
            state = then.get(h.id)
        elif before is not None and not _before(as_date(h.recorded_on), before):  # type: ignore
            continue
        if state is None or str(state.status) != "open":  # type: ignore[attr-defined]
            continue
        g = state.geometry  # type: ignore[attr-defined]
        if g is None or g.is_empty:
            continue
        ev.hazards.append(HazardIn(
            h.id, str(state.kind), state.threat and str(state.threat),  # type: ignore
            tuple(sorted(str(c) for c in state.contamination)),  # type: ignore[attr-defined]
            h.admin_area_id, g, area_m2(g), h.recorded_on))  # type: ignore[attr-defined]
    for f in reader.iter("finds"):
        xy = _point(f.geometry)  # type: ignore[attr-defined]
        on = as_date(f.found_on)  # type: ignore[attr-defined]
        if xy is not None and _before(on, before):
            ev.finds.append(PointIn(f.id, *xy, str(f.category),  # type: ignore[attr-defined]
                                    f.hazard_id, on,  # type: ignore[attr-defined]
                                    int(f.quantity or 1)))  # type: ignore[attr-defined]
    for a in reader.iter("accidents"):
        xy = _point(a.geometry)  # type: ignore[attr-defined]
        on = as_date(a.occurred_on)  # type: ignore[attr-defined]
        if xy is not None and _before(on, before):
            cat = a.device_category  # type: ignore[attr-defined]
            ev.accidents.append(PointIn(a.id, *xy, str(cat) if cat else "unknown",
                                        a.hazard_id, on))  # type: ignore[attr-defined]
    for e in reader.iter("evidence"):
        xy = _point(e.geometry)  # type: ignore[attr-defined]
        on = as_date(e.recorded_on)  # type: ignore[attr-defined]
        if xy is not None and _before(on, before):
            ev.statements.append(PointIn(e.id, *xy, str(e.kind),  # type: ignore[attr-defined]
                                         e.hazard_id, on,  # type: ignore[attr-defined]
                                         credibility=str(e.credibility)))  # type: ignore
    for r in reader.iter("minefield-records"):
        if r.withdrawn_on is not None:  # type: ignore[attr-defined]
            continue
        on = as_date(r.received_on)  # type: ignore[attr-defined]
        if not _before(on, before):
            continue
        assessed = as_date(r.assessed_on)  # type: ignore[attr-defined]
        status = r.assessment_status if (  # type: ignore[attr-defined]
            r.assessment_status and _before(assessed, before)) else "unverified"  # type: ignore
        ev.records.append(RecordIn(r.id, r.geometry, str(status),  # type: ignore[attr-defined]
                                   int(r.expected_mines or 0), on))  # type: ignore
    for a in reader.iter("activities"):
        on = as_date(a.ended_on)  # type: ignore[attr-defined]
        if a.hazard_id and _before(on, before):  # type: ignore[attr-defined]
            ev.activities.append(ActivityIn(
                a.id, str(a.kind), a.hazard_id,  # type: ignore[attr-defined]
                a.outcome and str(a.outcome),  # type: ignore[attr-defined]
                a.survey_result and str(a.survey_result), on))  # type: ignore[attr-defined]
    areas = Areas.load(reader)
    ev.districts = {i: areas.name(areas.district(i)) for i in areas.by_id}
    ev.synthetic = synthetic(reader, ["hazards", "finds", "activities"])
    return ev


def snapshot(ctx: Context, before: dt.date | None = None) -> Evidence:
    """What the assessment reads, through ``ctx.reader`` (as known before ``before``)."""
    return read(ctx.reader, before=before)


def assess(ctx: Context, *, weights_text: str | None = None,
           risk_text: str | None = None, risk_where: str = "risk",
           before: dt.date | None = None) -> Assessment:
    """Every open hazard the actor may see, with its evidence, points and recommendation.
    ``weights_text``: a weights file's text (None: the default); ``risk_text``: a CSV of
    hazard_id, probability from a risk model; ``before``: as the store stood before that
    day."""
    from mineaction.risk.evidence import assess as run
    from mineaction.risk.evidence import load_weights, read_risk_csv

    weights = load_weights(weights_text)
    ev = snapshot(ctx, before)
    if risk_text is not None:
        ev.risk = read_risk_csv(risk_text, risk_where)
    return run(ev, weights)


def default_weights() -> str:
    """The text of the default weights file, to copy and edit."""
    from mineaction.risk.evidence import default_weights_text

    return default_weights_text()


def known(reader: Reader) -> Any:
    """What the store knows, dated, for risk features (:class:`mineaction.risk.features.Known`):
    finds, accidents, minefield records, hazards as first recorded, released land, activities,
    and the territory (the union of the top-level administrative areas)."""
    import shapely

    from mineaction.risk.features import Dated, Known

    k = Known()
    for f in reader.iter("finds"):
        if f.geometry is not None and not f.geometry.is_empty:  # type: ignore[attr-defined]
            k.finds.append(Dated(f.geometry, as_date(f.found_on),  # type: ignore[attr-defined]
                                 str(f.category), float(f.quantity or 1), f.id))  # type: ignore
    for a in reader.iter("accidents"):
        if a.geometry is not None and not a.geometry.is_empty:  # type: ignore[attr-defined]
            k.accidents.append(Dated(a.geometry, as_date(a.occurred_on),  # type: ignore
                                     id=a.id))
    for r in reader.iter("minefield-records"):
        g = getattr(r, "geometry", None)
        if g is not None and not g.is_empty and \
                r.withdrawn_on is None:  # type: ignore[attr-defined]
            k.records.append(Dated(g, as_date(r.received_on),  # type: ignore
                                   "record", float(r.expected_mines or 0), r.id))  # type: ignore
    for v in reader.iter("hazard-versions", seq=1):
        if v.geometry is not None and not v.geometry.is_empty:  # type: ignore[attr-defined]
            k.hazards.append(Dated(v.geometry, as_date(v.valid_from),  # type: ignore
                                   id=str(v.hazard_id)))  # type: ignore[attr-defined]
    for s in reader.iter("release-steps"):
        if s.geometry is None or s.geometry.is_empty:  # type: ignore[attr-defined]
            continue
        if getattr(s, "rejected_by", None):
            continue  # a failed QC inspection returned the land to its hazard
        k.released.append(Dated(s.geometry, as_date(s.released_on),  # type: ignore
                                str(s.method), id=s.id))  # type: ignore[attr-defined]
    for a in reader.iter("activities"):
        if a.geometry is not None and not a.geometry.is_empty:  # type: ignore[attr-defined]
            k.activities.append(Dated(a.geometry, as_date(a.ended_on),  # type: ignore
                                      str(a.kind), id=a.id))  # type: ignore[attr-defined]
    areas = [a.geometry for a in reader.iter("admin-areas")  # type: ignore[attr-defined]
             if a.geometry is not None and a.level == min(  # type: ignore[attr-defined]
                 (b.level for b in reader.iter("admin-areas")), default=0)]  # type: ignore
    k.territory = shapely.union_all(areas) if areas else None
    return k


def removed_on(reader: Reader) -> dict[str, dt.date]:
    """Ids of activities, accidents and QC inspections, with the day each ended: the day the
    items it found or set off left the ground (for a demo's truth items)."""
    out: dict[str, dt.date] = {}
    for a in reader.iter("activities"):
        if (d := as_date(a.ended_on)) is not None:  # type: ignore[attr-defined]
            out[a.id] = d
    for c in reader.iter("accidents"):
        if (d := as_date(c.occurred_on)) is not None:  # type: ignore[attr-defined]
            out[c.id] = d
    for q in reader.iter("quality"):
        if (d := as_date(getattr(q, "held_on", None))) is not None:
            out[q.id] = d
    return out


def features(ctx: Context, *, cell_m: float = 100.0, before: dt.date | None = None,
             context_path: str | None = None, truth_path: str | None = None,
             bbox: tuple[float, float, float, float] | None = None,
             points: tuple[Any, Any] | None = None) -> dict[str, Any]:
    """Feature columns (lon, lat first) of ``cell_m`` cells of the store's territory (within
    ``bbox``), or of ``points`` ((lon array, lat array)), from what the store knew before
    ``before``; with ``truth_path`` (a demo's truth file) a ``target`` column: 1 where the cell
    (``cell_m`` square around the point) held explosive ordnance on the day ``before`` (at the
    end of the record without it)."""
    import numpy as np

    from mineaction.errors import InvalidInput
    from mineaction.geo.traverse import LocalFrame
    from mineaction.risk import features as F

    k = known(ctx.reader)
    if points is not None:
        lon, lat = np.asarray(points[0], float), np.asarray(points[1], float)
        if not len(lon):
            raise InvalidInput.of("evidence.no_cells")
        frame = LocalFrame(float((lon.min() + lon.max()) / 2),
                           float((lat.min() + lat.max()) / 2))
    else:
        if k.territory is None:
            raise InvalidInput.of("evidence.no_territory")
        lon, lat, frame = F.cells(k.territory, cell_m, bbox)
        if not len(lon):
            raise InvalidInput.of("evidence.no_cells")
    then = k.before(before)
    then.today = before or ctx.today()
    context = F.read_context(context_path) if context_path else None
    cols = F.table(then, lon, lat, frame, context=context, cell_m=cell_m)
    if truth_path:
        items = F.truth_items(truth_path, removed_on(ctx.reader))
        cols["target"] = F.cell_labels(items, F.in_ground(items, before), lon, lat, frame,
                                       cell_m)
    return cols

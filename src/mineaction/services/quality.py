"""Quality management: sampling plans for post-clearance inspection of released land.

Reads go through ``ctx.reader`` (the store as the actor may use it); the maths are in
:mod:`mineaction.quality.sampling`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from shapely import union_all
from shapely.geometry.base import BaseGeometry

from mineaction.domain.activities import Activity
from mineaction.domain.quality import QualityEvent
from mineaction.errors import InvalidInput, NotFound, Problem
from mineaction.geo.measure import area_m2
from mineaction.messages import Message
from mineaction.quality import sampling
from mineaction.quality.sampling import Plan
from mineaction.release.queries import releases_land
from mineaction.services.context import Context
from mineaction.store.base import Query

__all__ = ["Plan", "lot_geometry", "plans", "record"]


def lot_geometry(ctx: Context, act: Activity) -> BaseGeometry | None:
    """The land ``act`` released and still counts as released: the union of its release
    steps' polygons not rejected by a QC inspection; its own polygon when it releases land and
    has no steps at all; None when it released none or all of it was rejected."""
    steps = list(ctx.reader.iter("release-steps", Query(where={"activity_id": act.id})))
    if steps:
        geoms = [g for g in (getattr(s, "geometry", None) for s in steps
                             if getattr(s, "rejected_by", None) is None) if g is not None]
        return union_all(geoms) if geoms else None
    if releases_land(act) and act.geometry is not None:
        return act.geometry
    return None


def _activity(ctx: Context, activity_id: str) -> Activity:
    found = list(ctx.reader.iter("activities", Query(where={"id": activity_id})))
    if not found or not isinstance(found[0], Activity):
        raise NotFound.of("qm.no_such_activity", activity_id=activity_id)
    return found[0]


def plans(ctx: Context, activity_id: str | None = None, *, operator: str | None = None,
          start: dt.date | None = None, end: dt.date | None = None,
          lq: float = sampling.DEFAULT_LQ, confidence: float = sampling.DEFAULT_CONFIDENCE,
          plot_m2: float = sampling.DEFAULT_PLOT_M2) -> list[Plan]:
    """The inspection plan of one activity's released land, or of every activity that
    released land and ended between ``start`` and ``end`` (inclusive), of ``operator`` when
    given; in the order of the activities' ids."""
    try:
        sampling.plan("", 1.0, lq=lq, confidence=confidence, plot_m2=plot_m2)
    except ValueError as exc:
        from mineaction.errors import problem_of
        raise InvalidInput([problem_of(exc, "options", None)]) from exc
    if activity_id is not None:
        act = _activity(ctx, activity_id)
        geom = lot_geometry(ctx, act)
        if geom is None or area_m2(geom) <= 0:
            raise InvalidInput([Problem.of(activity_id, None, "qm.no_released_land",
                                           activity_id=activity_id)])
        return [sampling.plan(act.id, area_m2(geom), lq=lq, confidence=confidence,
                              plot_m2=plot_m2, operator=act.operator)]
    where = {"operator": operator} if operator else None
    out = []
    for rec in ctx.reader.iter("activities", Query(where=where)):
        if not isinstance(rec, Activity) or rec.ended_on is None:
            continue
        if (start and rec.ended_on < start) or (end and rec.ended_on > end):
            continue
        geom = lot_geometry(ctx, rec)
        if geom is None:
            continue
        m2 = area_m2(geom)
        if m2 > 0:
            out.append(sampling.plan(rec.id, m2, lq=lq, confidence=confidence,
                                     plot_m2=plot_m2, operator=rec.operator))
    return out


def record(ctx: Context, events: Sequence[QualityEvent]) -> list[Message]:
    """Add QA visits and QC inspections in one transaction; a failed QC inspection rejects
    its lot: the land returns to a hazard through the land release engine
    (:func:`mineaction.release.engine.reject_lots`). All of it or, with InvalidInput naming
    each inspection that cannot be applied, none."""
    from mineaction.release.engine import reject_lots

    with ctx.reader.transaction(clock=ctx.clock) as tx:
        tx.add_many(list(events))
        return reject_lots(tx, events)


def event(today: dt.date | None = None, **props: object) -> QualityEvent:
    """A QA visit or QC inspection from raw values (text as typed at a command line), checked
    as an import checks a row: InvalidInput names each field that cannot take its value."""
    from mineaction.domain.schema import coerce_properties, field_specs

    values, problems = coerce_properties(field_specs(QualityEvent), props,
                                         str(props.get("id")),
                                         today=today or dt.date.today())
    if problems:
        raise InvalidInput(problems)
    try:
        return QualityEvent(**values)
    except ValueError as exc:
        from mineaction.errors import problem_of
        raise InvalidInput([problem_of(exc, str(props.get("id")), None)]) from exc

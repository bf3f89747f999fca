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
from mineaction.messages import Message, Note
from mineaction.quality import sampling
from mineaction.quality.sampling import Plan
from mineaction.release.queries import releases_land
from mineaction.services.context import Context
from mineaction.store.base import Query

__all__ = ["Plan", "close", "lot_geometry", "plans", "record"]


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


def close(ctx: Context, event_id: str, on: dt.date | str,
          corrective_action: str | None = None) -> QualityEvent:
    """Close the non-conformity of a QA visit or QC inspection on ``on`` (it was corrected),
    recording the corrective action taken when given; the record is updated through the
    store (and its audit log). NotFound for no such record; InvalidInput for a record that
    raised no non-conformity (no severity), one closed already, a date before it was raised,
    or a non-conformity closed with no corrective action recorded."""
    found = list(ctx.reader.iter("quality", Query(where={"id": event_id})))
    if not found or not isinstance(found[0], QualityEvent):
        raise NotFound.of("qm.no_such_event", event_id=event_id)
    e = found[0]
    if isinstance(on, str):
        from mineaction.services.layers import parse_date

        day = parse_date(on, "--on")
        if day is None:
            raise InvalidInput.of("cli.not_a_date", option="--on", value=on)
        on = day
    action = corrective_action or e.corrective_action
    where = Note("input.where_inspection", id=event_id)
    problems = []
    if e.severity is None:
        problems.append(Problem.of(where, "severity", "qm.close_no_nonconformity",
                                   event_id=event_id))
    elif e.closed_on is not None:
        problems.append(Problem.of(where, "closed_on", "qm.close_already_closed",
                                   event_id=event_id, closed_on=e.closed_on))
    else:
        if on < e.held_on:
            problems.append(Problem.of(where, "closed_on", "qm.close_before_raised",
                                       closed_on=on, held_on=e.held_on))
        if not action:
            problems.append(Problem.of(where, "corrective_action", "qm.close_needs_action"))
    if problems:
        raise InvalidInput(problems)
    e.closed_on, e.corrective_action = on, action
    with ctx.reader.transaction(clock=ctx.clock) as tx:
        tx.update(e)
    return e


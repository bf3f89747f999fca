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

The work is done in memory by a :class:`Ledger`: it reads the open hazards the activities may
touch in a few queries, keeps them in a spatial index while it applies the activities, and
:meth:`Ledger.write` then writes the new hazards, steps and versions and the changed hazards in
bulk (every write through the store, and so through its audit log). The demonstration's release
plan follows its releases with a ledger of its own, in memory (:meth:`Ledger.follow`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely import STRtree, union_all
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
from mineaction.domain.vocabulary import ActivityKind, HazardKind, HazardStatus
from mineaction.errors import InvalidInput, NotFound, Problem
from mineaction.geo.measure import area_m2, areas_m2
from mineaction.io.load import on_import
from mineaction.messages import Message, Note
from mineaction.release.queries import RELEASING, overlap_warnings, overlaps, pair_text
from mineaction.store.base import BBox, Progress, Query, Reader, Transaction

#: Above this many activities, the open hazards they may touch are read in one query (those in
#: the activities' bounding box) rather than one query per activity.
BULK = 50


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
    return [m.note() for m in record_hazards_messages(tx, hazards, progress)]


def record_hazards_messages(tx: Transaction, hazards: Sequence[Record],
                            progress: Progress | None = None) -> list[Message]:
    """:func:`record_hazards`, its messages as codes."""
    new = [h for h in hazards if isinstance(h, Hazard)]
    areas = areas_m2([h.geometry for h in new])  # measured together
    versions = [_version(h, 1, HazardChange.RECORDED, h.recorded_on, area=float(a))
                for h, a in zip(new, areas, strict=True)]
    tx.add_many(versions, progress)
    overlapping = overlaps(tx, [h for h in hazards if isinstance(h, Hazard)])
    if not overlapping:
        return []
    return [Message.of("release.hazards_overlap", count=len(overlapping),
                       pairs=pair_text(overlapping))]


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
    warnings: list[Message] = field(default_factory=list)

    def add(self, step: ReleaseStep) -> None:
        method = str(step.method)
        self.steps += 1
        self.area_by_method[method] = self.area_by_method.get(method, 0.0) + step.area_m2
        self.parts_by_method.setdefault(method, []).append(step.geometry)  # type: ignore
        self.new_steps.append(step)

    def land_by_method(self) -> dict[str, float]:
        """Land released per method (m²): the union of the steps' polygons, so that land held
        by two steps (two overlapping hazards, two activities on the same ground) counts once."""
        return {m: area_m2(union_all(parts)) for m, parts in self.parts_by_method.items()}

    def messages(self) -> list[Message]:
        out: list[Message] = []
        if self.steps:
            land = self.land_by_method()
            out.append(Message.of("release.released", steps=self.steps, land=", ".join(
                f"{m} {a:,.1f} m²" for m, a in sorted(land.items()))))
            for m in sorted(land):
                extra = self.area_by_method[m] - land[m]
                if extra > 0.1 * len(self.parts_by_method[m]):
                    out.append(Message.of("release.held_twice", method=m,
                                          steps_m2=self.area_by_method[m], extra_m2=extra))
        if self.closed:
            out.append(Message.of("release.closed", count=len(self.closed), ids=", ".join(
                self.closed[:20]) + (" ..." if len(self.closed) > 20 else "")))
        if self.created:
            out.append(Message.of("release.created", count=len(self.created),
                                  ids=", ".join(self.created[:20])))
        return out + self.warnings


def _date(act: Activity) -> dt.date | None:
    return act.ended_on or act.started_on


def in_date_order(activities: Iterable[Record]) -> list[Activity]:
    """The activities among ``records`` in the order the engine applies them: by date (the end,
    else the start), then by id."""
    return sorted((a for a in activities if isinstance(a, Activity)),
                  key=lambda a: (_date(a) or dt.date.min, a.id))


class Ledger:
    """Hazards in memory and what applying activities to them changes.

    With a ``reader`` (a store transaction), hazards and their history are read from it as the
    activities need them (:meth:`load` reads those the activities may touch in bulk first) and
    every change is kept for :meth:`write`. Without one, the ledger holds only the hazards it
    is given (:meth:`follow`).
    """

    def __init__(self, reader: Reader | None = None, *, history: bool = True,
                 check_order: bool = True, batch: bool = True):
        self.reader = reader
        # measure the areas of the new steps and versions together when the work is done
        # (:meth:`finish`), rather than each as it is made
        self.batch = batch
        self.history = history  # keep release steps and hazard versions to write
        self.check_order = check_order  # refuse an activity dated before a hazard's last change
        self.hazards: dict[str, Hazard] = {}
        self.latest: dict[str, _Latest] = {}
        self.created: dict[str, Hazard] = {}  # new hazards (written whole)
        self.changed: dict[str, Hazard] = {}  # hazards read from the store and changed
        self.records: list[Record] = []  # new release steps and hazard versions, in order
        self.problems: list[Problem] = []
        self.report = ReleaseReport()
        self._pending: list[tuple[Record, BaseGeometry | None, bool]] = []  # areas to measure
        self._steps: list[ReleaseStep] = []  # new steps, in order, for the report
        self._tree: STRtree | None = None
        self._indexed: list[str] = []  # hazard ids in the tree's order
        self._loose: set[str] = set()  # hazards not in the tree (new, grown)
        self._seen: set[str] = set()  # every hazard id the ledger knows

    @classmethod
    def follow(cls, hazards: Iterable[Hazard]) -> Ledger:
        """A ledger in memory over ``hazards`` (each at its first version): it applies
        activities in the order given and keeps no history, for a plan that follows each
        release as it is made."""
        ledger = cls(None, history=False, check_order=False)
        for h in hazards:
            ledger.hold(h, _Latest(1, h.recorded_on))
        ledger.index()
        return ledger

    # -- the hazards held ------------------------------------------------------------------

    def hold(self, h: Hazard, latest: _Latest | None = None) -> None:
        self.hazards[h.id] = h
        self._seen.add(h.id)
        self._loose.add(h.id)
        if latest is not None:
            self.latest[h.id] = latest

    def index(self) -> None:
        """Put every hazard held into the spatial index."""
        ids = [i for i, h in self.hazards.items()
               if h.geometry is not None and not h.geometry.is_empty]
        self._tree = STRtree([self.hazards[i].geometry for i in ids])
        self._indexed = ids
        self._loose = set()

    def open_hazards(self, geom: BaseGeometry) -> list[Hazard]:
        """Open hazards held whose geometry meets ``geom``, by id."""
        ids = set(self._loose)
        if self._tree is not None:
            ids.update(self._indexed[int(j)] for j in self._tree.query(geom))
        out = []
        for i in sorted(ids):
            h = self.hazards[i]
            if (h.status == HazardStatus.OPEN and h.geometry is not None
                    and not h.geometry.is_empty and h.geometry.intersects(geom)):
                out.append(h)
        return out

    def load(self, activities: Sequence[Activity]) -> None:
        """Read from the store the open hazards ``activities`` may touch, and their history:
        in one query each when there are many activities, one per activity otherwise."""
        assert self.reader is not None
        geoms = [a.geometry for a in activities if a.survey_result is None
                 and a.kind in RELEASING and a.outcome is not None
                 and a.geometry is not None and not a.geometry.is_empty]
        found: dict[str, Hazard] = {}
        if len(geoms) > BULK:
            b = shapely.bounds(geoms)
            box: BBox = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                         float(b[:, 3].max()))
            found = {h.id: h for h in self.reader.iter(  # type: ignore[misc]
                Hazard, Query(bbox=box, where={"status": "open"}))}
        else:
            for g in geoms:
                for h in self.reader.iter(Hazard, Query(intersects=g, where={"status": "open"})):
                    found.setdefault(h.id, h)  # type: ignore[arg-type]
        for h in found.values():
            if h.id not in self._seen:
                self.hold(h)
        self._read_latest(list(found))
        self.index()

    def _read_latest(self, ids: list[str]) -> None:
        assert self.reader is not None
        ids = [i for i in ids if i not in self.latest]
        for start in range(0, len(ids), 500):
            for v in self.reader.iter("hazard-versions",
                                      Query(where={"hazard_id": ids[start:start + 500]},
                                            order_by="seq")):
                assert isinstance(v, HazardVersion)
                self.latest[v.hazard_id] = _Latest(v.seq, v.valid_from)

    def hazard(self, hazard_id: str) -> Hazard:
        """A hazard held, or read from the store (NotFound when there is none)."""
        if hazard_id not in self.hazards:
            if self.reader is None:
                raise NotFound.of("release.no_such_hazard", hazard_id=hazard_id)
            h = self.reader.get(Hazard, hazard_id)
            self.hold(h)
            self._read_latest([h.id])
        return self.hazards[hazard_id]

    def exists(self, hazard_id: str) -> bool:
        if hazard_id in self._seen:
            return True
        return self.reader is not None and bool(self.reader.existing_ids("hazards",
                                                                         [hazard_id]))

    def latest_of(self, h: Hazard) -> _Latest:
        if h.id not in self.latest:  # a hazard written without history (by an older version)
            self._keep_measured(_version(h, 1, HazardChange.RECORDED, h.recorded_on, area=0.0),
                                h.geometry, True)
            self.latest[h.id] = _Latest(1, h.recorded_on)
        return self.latest[h.id]

    def _keep(self, record: Record) -> None:
        if self.history:
            self.records.append(record)

    def _keep_measured(self, record: Record, geom: BaseGeometry | None, rounded: bool) -> None:
        """Keep a new step or version whose ``area_m2`` is the area of ``geom`` (to 3 decimals
        when ``rounded``): measured now, or with the others by :meth:`finish`."""
        if not self.history:
            return
        self.records.append(record)
        if isinstance(record, ReleaseStep):
            self._steps.append(record)
        if self.batch:
            self._pending.append((record, geom, rounded))
        else:
            area = area_m2(geom)
            record.area_m2 = round(area, 3) if rounded else area  # type: ignore[attr-defined]

    def finish(self) -> None:
        """Measure the areas still to measure (all in one pass), drop the steps outside any
        hazard that released no area, and add the new steps to the report."""
        if self._pending:
            areas = areas_m2([g for _, g, _ in self._pending]).tolist()
            for (record, _, rounded), area in zip(self._pending, areas, strict=True):
                record.area_m2 = round(area, 3) if rounded else area  # type: ignore[attr-defined]
            self._pending = []
        empty = {id(s) for s in self._steps if s.outside_hazard and not s.area_m2 > 0}
        if empty:
            self.records = [r for r in self.records if id(r) not in empty]
        for step in self._steps:
            if id(step) not in empty:
                self.report.add(step)
        self._steps = []

    def _changed(self, h: Hazard) -> None:
        if h.id not in self.created:
            self.changed[h.id] = h

    def append(self, h: Hazard, change: HazardChange, on: dt.date | None, **kw: Any) -> None:
        last = self.latest_of(h)
        seq = last.seq + 1
        if self.history:
            if kw.get("area") is not None:
                self._keep(_version(h, seq, change, on, **kw))
            else:
                self._keep_measured(_version(h, seq, change, on, **{**kw, "area": 0.0}),
                                    h.geometry, True)
        self.latest[h.id] = _Latest(seq, on)

    def too_early(self, act: Activity, h: Hazard, on: dt.date | None) -> bool:
        last = self.latest_of(h)
        if not self.check_order or not last.valid_from:
            return False
        if on is None:
            self.problems.append(Problem.of(f"activity {act.id}", "ended_on",
                                            "release.undated_after_change", hazard_id=h.id,
                                            last=last.valid_from))
            return True
        if on < last.valid_from:
            self.problems.append(Problem.of(f"activity {act.id}", "ended_on",
                                            "release.dated_before_change", on=on,
                                            hazard_id=h.id, last=last.valid_from))
            return True
        return False

    # -- applying activities ---------------------------------------------------------------

    def apply(self, act: Activity) -> list[Hazard]:
        """Apply one activity; returns the hazards it changed or created."""
        on = _date(act)
        if act.survey_result is not None:
            return self.survey(act, on)
        if act.kind in RELEASING and act.outcome is not None:
            return self.release(act, on)
        return []

    def survey(self, act: Activity, on: dt.date | None) -> list[Hazard]:
        """Survey that adds to the hazard list: a new hazard, an enlargement, a confirmation."""
        where = Note("input.where_activity", id=act.id)
        result = act.survey_result
        if result == SurveyResult.NEW_HAZARD:
            hid = act.hazard_id or f"{act.id}-H"
            if self.exists(hid):
                self.problems.append(Problem.of(where, "hazard_id", "release.hazard_exists",
                                                hazard_id=hid))
                return []
            h = Hazard(id=hid, kind=HazardKind.CHA if act.kind == ActivityKind.TS
                       else HazardKind.SHA, contamination=act.contamination, recorded_on=on,
                       geometry=polygonal(act.geometry), source=act.source,
                       src_crs=act.src_crs, crs_operation=act.crs_operation,
                       notes=f"created by {act.kind.value} {act.id}")
            self.created[hid] = h
            self.hold(h, _Latest(1, on))
            self._keep_measured(_version(h, 1, HazardChange.CREATED, on, activity_id=act.id,
                                         evidence_id=act.evidence_id, area=0.0),
                                h.geometry, True)
            self.report.created.append(hid)
            return [h]
        if not act.hazard_id:
            self.problems.append(Problem.of(where, "hazard_id", "release.survey_needs_hazard",
                                            result=str(result)))
            return []
        try:
            h = self.hazard(act.hazard_id)
        except NotFound:
            self.problems.append(Problem.of(where, "hazard_id", "release.no_such_hazard",
                                            hazard_id=act.hazard_id))
            return []
        if self.too_early(act, h, on):
            return []
        if result == SurveyResult.ENLARGED:
            h.geometry = polygonal(h.geometry.union(act.geometry))  # type: ignore[union-attr]
            h.contamination = h.contamination | act.contamination
            h.status = HazardStatus.OPEN
            self._loose.add(h.id)  # grown beyond what the index holds
            change = HazardChange.ENLARGED
        else:
            h.kind = HazardKind.CHA
            h.contamination = h.contamination | act.contamination
            change = HazardChange.CONFIRMED
        self._changed(h)
        self.append(h, change, on, activity_id=act.id, evidence_id=act.evidence_id)
        return [h]

    def release(self, act: Activity, on: dt.date | None) -> list[Hazard]:
        """Release the activity's polygon from every open hazard it overlaps."""
        geom: BaseGeometry = act.geometry  # type: ignore[assignment]
        method = act.outcome
        assert method is not None
        released: list[BaseGeometry] = []
        touched: list[Hazard] = []
        for h in self.open_hazards(geom):
            remaining, part = split(h.geometry, geom)  # type: ignore[arg-type]
            if part.is_empty:
                continue  # touching only
            if self.too_early(act, h, on):
                continue
            released.append(part)
            touched.append(h)
            h.geometry = remaining
            change = HazardChange.RELEASED
            if remaining.is_empty:
                h.status = HazardStatus.CLOSED
                h.closed_on = on
                h.closed_by = act.id
                change = HazardChange.CLOSED
                self.report.closed.append(h.id)
            self._changed(h)
            if not self.history:
                self.append(h, change, on)
                continue
            step = ReleaseStep(
                id=f"{act.id}/{h.id}", activity_id=act.id, hazard_id=h.id, method=method,
                activity_kind=act.kind, operator=act.operator, released_on=on,
                area_m2=0.0, contamination=h.contamination,
                admin_area_id=h.admin_area_id, geometry=part, source=act.source)
            self._keep_measured(step, part, False)
            self.append(h, change, on, activity_id=act.id, step_id=step.id,
                        area=0.0 if remaining.is_empty else None)
        if not self.history:
            return touched
        outside = geom
        if released:
            outside = polygonal(geom.difference(union_all(released)))
        if act.outside_hazard:
            if not outside.is_empty:  # kept if its area is above 0 (:meth:`finish`)
                step = ReleaseStep(
                    id=f"{act.id}/outside", activity_id=act.id, hazard_id=None, method=method,
                    activity_kind=act.kind, operator=act.operator, released_on=on,
                    area_m2=0.0, contamination=act.contamination, outside_hazard=True,
                    geometry=outside, source=act.source)
                self._keep_measured(step, outside, False)
        elif not released and not any(p.where == f"activity {act.id}" for p in self.problems):
            self.problems.append(Problem.of(f"activity {act.id}", "geometry",
                                            "release.outside_no_hazard"))
        return touched

    # -- writing ---------------------------------------------------------------------------

    def write(self, tx: Transaction) -> None:
        """Write what the activities changed: new hazards, release steps and versions, and
        the hazards changed (each once, as it stands at the end)."""
        self.finish()
        tx.add_many(list(self.created.values()))
        tx.add_many(self.records)
        tx.update_many(list(self.changed.values()))


def apply_activities(tx: Transaction, activities: Iterable[Record],
                     progress: Progress | None = None) -> list[str]:
    """Apply activities already added in ``tx`` to the hazards; returns messages (Notes:
    English as text, said in the reader's language where shown).

    Raises InvalidInput (and the caller's transaction rolls back) listing every activity that
    cannot be applied.
    """
    return [m.note() for m in apply_activities_messages(tx, activities, progress)]


def apply_activities_messages(tx: Transaction, activities: Iterable[Record],
                              progress: Progress | None = None, *, batch: bool = True
                              ) -> list[Message]:
    """:func:`apply_activities`, its messages as codes. With ``batch`` (the default) the areas
    of the new steps and versions are measured together and the overlaps looked for in bulk;
    without, one at a time (the same results, slower)."""
    acts = in_date_order(activities)
    ledger = Ledger(tx, batch=batch)
    ledger.load(acts)
    for act in acts:
        ledger.apply(act)
        if progress:
            progress(1)
    if ledger.problems:
        raise InvalidInput(ledger.problems)
    ledger.write(tx)
    ledger.report.warnings += overlap_warnings(tx, acts, ledger.report.new_steps, batch=batch)
    return ledger.report.messages()


on_import("activities")(apply_activities)


# ---------------------------------------------------------------------------------------------
# Rejected lots: a failed QC inspection returns released land to a hazard


def reject_lots(tx: Transaction, inspections: Iterable[Record],
                progress: Progress | None = None) -> list[Message]:
    """Reject the lot of every failed QC inspection among ``inspections`` (already added in
    ``tx``): the land its activity released returns to a hazard.

    Each release step of the activity not rejected yet is marked rejected (by the inspection,
    on its date), so that it no longer counts as released land; the hazard it came from gets
    its land back in a new version (change ``reopened``, with the inspection and its reason),
    open again if it had closed; land released outside any hazard becomes a new hazard, whose
    first version says the same. Nothing recorded before is rewritten. InvalidInput (and the
    transaction rolls back) names each inspection whose lot cannot be rejected: no activity,
    no land released, or dated before the last change recorded on a hazard it would reopen.
    """
    from mineaction.domain.quality import QualityEvent
    from mineaction.domain.vocabulary import QualityKind, QualityResult

    failed = sorted((q for q in inspections if isinstance(q, QualityEvent)
                     and q.kind == QualityKind.QC_INSPECTION and q.result == QualityResult.FAIL),
                    key=lambda q: (q.held_on, q.id))
    problems: list[Problem] = []
    reopened: list[str] = []
    created: list[str] = []
    for q in failed:
        where = Note("input.where_inspection", id=q.id)
        if not q.activity_id:
            problems.append(Problem.of(where, "activity_id", "qm.fail_needs_activity"))
            continue
        steps = [s for s in tx.iter("release-steps", Query(where={
            "activity_id": q.activity_id, "rejected_by": None})) if isinstance(s, ReleaseStep)]
        if not steps:
            problems.append(Problem.of(where, "activity_id", "qm.nothing_to_reject",
                                       activity_id=q.activity_id))
            continue
        for s in steps:
            if s.hazard_id is not None:
                h = tx.get(Hazard, s.hazard_id)
                versions = list(tx.iter("hazard-versions", Query(
                    where={"hazard_id": h.id}, order_by="seq")))
                last = versions[-1] if versions else None
                seq = last.seq if last else 0  # type: ignore[attr-defined]
                last_on = last.valid_from if last else None  # type: ignore[attr-defined]
                if last_on is not None and q.held_on < last_on:
                    problems.append(Problem.of(where, "held_on", "release.dated_before_change",
                                               on=q.held_on, hazard_id=h.id, last=last_on))
                    continue
                h.geometry = polygonal(union_all([g for g in (h.geometry, s.geometry)
                                                  if g is not None and not g.is_empty]))
                h.status = HazardStatus.OPEN
                h.closed_on = None
                h.closed_by = None
                tx.update(h)
                reopened.append(h.id)
            else:
                h = Hazard(id=f"{s.activity_id}-{q.id}", kind=HazardKind.SHA,
                           contamination=s.contamination, recorded_on=q.held_on,
                           geometry=polygonal(s.geometry), admin_area_id=s.admin_area_id,
                           source=q.source, notes=f"reopened by QC inspection {q.id}")
                tx.add(h)
                seq = 0
                created.append(h.id)
            v = _version(h, seq + 1, HazardChange.REOPENED, q.held_on,
                         activity_id=s.activity_id, step_id=s.id, source=q.source)
            v.quality_id, v.reason = q.id, q.reason
            tx.add(v)
            s.rejected_by, s.rejected_on = q.id, q.held_on
            tx.update(s)
        if progress:
            progress(1)
    if problems:
        raise InvalidInput(problems)
    out = []
    if reopened:
        out.append(Message.of("qm.reopened", count=len(reopened), ids=", ".join(reopened)))
    if created:
        out.append(Message.of("qm.reopened_new", count=len(created), ids=", ".join(created)))
    return out


@on_import("quality")
def _reject_on_import(tx: Transaction, records: Sequence[Record],
                      progress: Progress | None = None) -> list[str]:
    return [m.note() for m in reject_lots(tx, records, progress)]


def apply_in_order(tx: Transaction, activities: Iterable[Record], inspections: Iterable[Record],
                   progress: Progress | None = None, *, batch: bool = True) -> list[Message]:
    """Apply ``activities`` and the QC inspections among ``inspections`` (all already added in
    ``tx``) as a programme records them, one after the other in date order: the activities
    dated up to a failed inspection's day first (:func:`apply_activities_messages`), then the
    inspection (:func:`reject_lots`), then the next. The result is what importing the
    activities and recording each inspection as it was held would give: history in date
    order, land a failed inspection returned to a hazard open to later activities."""
    from mineaction.domain.quality import QualityEvent
    from mineaction.domain.vocabulary import QualityKind, QualityResult

    acts = in_date_order(activities)
    failed = sorted((q for q in inspections if isinstance(q, QualityEvent)
                     and q.kind == QualityKind.QC_INSPECTION and q.result == QualityResult.FAIL),
                    key=lambda q: (q.held_on, q.id))
    out: list[Message] = []
    i = 0
    for q in [*failed, None]:
        first = i
        while i < len(acts) and (q is None or (_date(acts[i]) or dt.date.min) <= q.held_on):
            i += 1
        if i > first:
            out += apply_activities_messages(tx, acts[first:i], progress, batch=batch)
        if q is not None:
            out += reject_lots(tx, [q])
    return out


def add_corrected(tx: Transaction, recorded: BaseGeometry | None, corrected: BaseGeometry,
                  on: dt.date, *, new_id: str, reason: str, source: str,
                  contamination: frozenset[Any] = frozenset()) -> HazardVersion:
    """The corrected perimeter of a minefield record, on a person's decision: added to the
    open hazard the record's ``recorded`` perimeter overlaps most, in a new version of it
    (change ``corrected``, with ``reason``); where the recorded perimeter lies on no open
    hazard, a new suspected hazardous area ``new_id`` (its first version says the same).

    Land is only added, never taken away: ground the record placed wrongly stays hazardous
    until survey or clearance releases it. The version written is returned. InvalidInput (the
    transaction rolls back) when ``on`` is before the hazard's last recorded change."""
    shape = polygonal(corrected)
    best: tuple[float, Hazard] | None = None
    if recorded is not None and not recorded.is_empty:
        for h in tx.iter(Hazard, Query(intersects=recorded, where={"status": "open"})):
            assert isinstance(h, Hazard)
            if h.geometry is None or h.geometry.is_empty:
                continue
            shared = area_m2(h.geometry.intersection(recorded))
            if shared > 0 and (best is None or shared > best[0]):
                best = (shared, h)
    if best is not None:
        h = best[1]
        versions = list(tx.iter("hazard-versions", Query(where={"hazard_id": h.id},
                                                         order_by="seq")))
        last = versions[-1] if versions else None
        last_on = last.valid_from if last else None  # type: ignore[attr-defined]
        if last_on is not None and on < last_on:
            raise InvalidInput([Problem.of(f"hazard {h.id}", "valid_from",
                                           "release.dated_before_change", on=on,
                                           hazard_id=h.id, last=last_on)])
        h.geometry = polygonal(union_all([h.geometry, shape]))
        tx.update(h)
        seq = (last.seq if last else 0) + 1  # type: ignore[attr-defined]
    else:
        if tx.existing_ids(Hazard, [new_id]):
            raise InvalidInput([Problem.of(f"hazard {new_id}", "id", "release.hazard_exists",
                                           hazard_id=new_id)])
        h = Hazard(id=new_id, kind=HazardKind.SHA, contamination=contamination,
                   recorded_on=on, geometry=shape, source=source)
        tx.add(h)
        seq = 1
    v = _version(h, seq, HazardChange.CORRECTED, on, source=source)
    v.reason = reason
    tx.add(v)
    return v

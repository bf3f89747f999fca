"""Quality management report: QC inspections and QA visits per operator and method, their pass
rate, non-conformities still open, and items found in released land.

Every cell keeps the quality records behind it, so that ``--explain`` names them. An
inspection counts in the period when it was held in it; a non-conformity is open at the end of
the period when it was raised by then and not closed by then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from mineaction.analysis.statistics import Figure, Scope
from mineaction.domain.activities import Activity
from mineaction.domain.ordnance import Find
from mineaction.domain.quality import QualityEvent
from mineaction.domain.release import ReleaseStep
from mineaction.domain.vocabulary import QualityKind, QualityResult, Severity
from mineaction.reports.definitions import Options, new_report, report
from mineaction.reports.model import Cell, Column, Note, Report, Table, total_row
from mineaction.store.base import Query, Reader

LAYER = "quality"


def _cell(events: Iterable[QualityEvent], criteria: dict[str, Any],
          value: float | None = None) -> Cell:
    ids = sorted(e.id for e in events)
    v = len(ids) if value is None else value
    return Cell(v, Figure(v, LAYER, ids, criteria, len(ids)))


def _in_scope(reader: Reader, scope: Scope) -> tuple[list[QualityEvent], dict[str, Activity]]:
    start = scope.period.start or dt.date.min
    end = scope.period.end or dt.date.max
    events = [e for e in reader.iter(LAYER) if isinstance(e, QualityEvent)]
    acts = {a.id: a for a in reader.iter("activities", Query(where={"id": sorted(
        {e.activity_id for e in events if e.activity_id})}))
        if isinstance(a, Activity)} if any(e.activity_id for e in events) else {}
    if scope.area_ids is not None:
        in_area = {r["activity_id"] for r in reader.aggregate(
            "release-steps", ["activity_id"], where={"admin_area_id": sorted(scope.area_ids)})}
        events = [e for e in events if e.activity_id in in_area]
    # events held by the end of the period (non-conformities), and those held within it
    events = [e for e in events if e.held_on <= end]
    return [e for e in events if e.held_on >= start or e.severity is not None], acts


@report("quality", "Quality management of released land",
        "QC inspections and QA visits per operator and method, their pass rate, "
        "non-conformities open at the end of the period, and items found in released land.")
def quality(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "quality", scope, options, [LAYER, "activities", "finds"])
    start = scope.period.start or dt.date.min
    end = scope.period.end or dt.date.max
    events, acts = _in_scope(reader, scope)
    held = [e for e in events if e.held_on >= start]
    base = scope.describe()

    def operator(e: QualityEvent) -> str:
        a = acts.get(e.activity_id or "")
        return a.operator if a else (e.organisation or "-")

    def method(e: QualityEvent) -> str:
        a = acts.get(e.activity_id or "")
        return a.kind.value if a else "-"

    t = Table("inspections", "QC inspections and QA visits by operator and method", [
        Column("operator", "Operator", numeric=False),
        Column("method", "Method", numeric=False),
        Column("qc_inspections", "QC inspections", "inspections"),
        Column("passed", "Passed", "inspections"),
        Column("failed", "Failed", "inspections"),
        Column("pass_rate", "Pass rate", "%", decimals=1),
        Column("qa_visits", "QA visits", "visits")], summed=("qc_inspections", "passed",
                                                            "failed", "qa_visits"))
    keys = sorted({(operator(e), method(e)) for e in held})
    for op, m in keys:
        mine = [e for e in held if (operator(e), method(e)) == (op, m)]
        qc = [e for e in mine if e.kind == QualityKind.QC_INSPECTION]
        ok = [e for e in qc if e.result == QualityResult.PASS]
        bad = [e for e in qc if e.result == QualityResult.FAIL]
        c = {**base, "operator": op, "method": m}
        judged = ok + bad
        rate = round(100.0 * len(ok) / len(judged), 1) if judged else None
        t.add({"operator": Cell(op), "method": Cell(m),
               "qc_inspections": _cell(qc, {**c, "kind": "qc_inspection"}),
               "passed": _cell(ok, {**c, "kind": "qc_inspection", "result": "pass"}),
               "failed": _cell(bad, {**c, "kind": "qc_inspection", "result": "fail"}),
               "pass_rate": _cell(judged, {**c, "rule": "passed / (passed + failed)"}, rate)
               if rate is not None else Cell(None),
               "qa_visits": _cell([e for e in mine if e.kind == QualityKind.QA_VISIT],
                                  {**c, "kind": "qa_visit"})})
    if t.rows:
        total_row(t, columns=("qc_inspections", "passed", "failed", "qa_visits"))
        assert t.total is not None
        judged = [e for e in held if e.kind == QualityKind.QC_INSPECTION
                  and e.result in (QualityResult.PASS, QualityResult.FAIL)]
        ok = [e for e in judged if e.result == QualityResult.PASS]
        if judged:
            t.total["pass_rate"] = _cell(judged, {**base, "rule": "passed / (passed + failed)"},
                                         round(100.0 * len(ok) / len(judged), 1))
    t.notes.append(Note("report.note_qc_pass_rate"))
    rep.tables.append(t)

    nc = Table("non-conformities", "Non-conformities by severity", [
        Column("severity", "Severity", numeric=False),
        Column("raised", "Raised in the period", "non-conformities"),
        Column("closed", "Closed in the period", "non-conformities"),
        Column("open", "Open at the end of the period", "non-conformities"),
        Column("without_action", "Open without corrective action", "non-conformities")],
        summed=("raised", "closed", "open", "without_action"))
    for sev in Severity:
        mine = [e for e in events if e.severity == sev]
        c = {**base, "severity": sev.value}
        still = [e for e in mine if e.closed_on is None or e.closed_on > end]
        nc.add({"severity": Cell(sev.value),
                "raised": _cell([e for e in mine if e.held_on >= start],
                                {**c, "rule": "held in the period"}),
                "closed": _cell([e for e in mine if e.closed_on and start <= e.closed_on <= end],
                                {**c, "rule": "closed in the period"}),
                "open": _cell(still, {**c, "rule": "raised by the end of the period, not "
                                                   "closed by then"}),
                "without_action": _cell([e for e in still if not e.corrective_action],
                                        {**c, "rule": "open, no corrective action"})})
    total_row(nc)
    rep.tables.append(nc)

    found = [e for e in held if e.kind == QualityKind.QC_INSPECTION and (e.items_found or 0) > 0]
    it = Table("items-in-released-land", "Items found in released land by QC inspections", [
        Column("operator", "Operator", numeric=False),
        Column("inspections", "Inspections finding items", "inspections"),
        Column("items", "Items found", "items")], summed=("inspections", "items"))
    for op in sorted({operator(e) for e in found}):
        mine = [e for e in found if operator(e) == op]
        c = {**base, "operator": op, "rule": "QC inspections with items_found > 0"}
        it.add({"operator": Cell(op), "inspections": _cell(mine, c),
                "items": _cell(mine, {**c, "sum": "items_found"},
                               sum(e.items_found or 0 for e in mine))})
    if it.rows:
        total_row(it)
    it.notes.append(Note("report.note_item_in_released_land"))
    rep.tables.append(it)
    rep.tables.append(_finds_in_released_land(reader, scope, base, start, end))
    return rep


def _finds_in_released_land(reader: Reader, scope: Scope, base: dict[str, Any],
                            start: dt.date, end: dt.date) -> Table:
    """Finds of the period lying in land released before them (not rejected), by the
    operator and method of the release (:func:`mineaction.quality.released.attribute`)."""
    from mineaction.quality.released import attribute

    finds = [f for f in reader.iter("finds") if isinstance(f, Find)
             and f.found_on is not None and start <= f.found_on <= end]
    steps = [s for s in reader.iter("release-steps", Query(where={"rejected_by": None}))
             if isinstance(s, ReleaseStep)]
    pairs = attribute(finds, steps)
    if scope.area_ids is not None:
        pairs = [(f, s) for f, s in pairs if s.admin_area_id in scope.area_ids]
    t = Table("finds-in-released-land", "Finds in land released before them", [
        Column("operator", "Operator (of the release)", numeric=False),
        Column("method", "Method of release", numeric=False),
        Column("finds", "Finds", "finds"),
        Column("items", "Items", "items")], summed=("finds", "items"))
    rule = ("found in the period in land a release step not rejected released before, by "
            "another activity; attributed to the first release")
    for op, m in sorted({(s.operator or "-", str(s.method)) for _, s in pairs}):
        mine = [(f, s) for f, s in pairs if (s.operator or "-", str(s.method)) == (op, m)]
        ids = sorted(f.id for f, _ in mine)
        c = {**base, "operator": op, "method": m, "rule": rule,
             "released_by": {f.id: s.id for f, s in mine}}
        items = sum(f.quantity for f, _ in mine)
        t.add({"operator": Cell(op), "method": Cell(m),
               "finds": Cell(len(ids), Figure(len(ids), "finds", ids, c, len(ids))),
               "items": Cell(items, Figure(items, "finds", ids, {**c, "sum": "quantity"},
                                           len(ids)))})
    if t.rows:
        total_row(t)
    t.notes.append(Note("report.note_items_left_behind"))
    return t

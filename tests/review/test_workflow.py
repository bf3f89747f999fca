"""Submit, show, approve or reject, on both adapters: who may do what, what approval writes,
and what is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, Point, box

from mineaction import audit
from mineaction.domain.review import SubmissionStatus
from mineaction.errors import Conflict, Forbidden, InvalidInput, NotFound
from mineaction.geo.measure import area_m2
from mineaction.services import review
from mineaction.store import Store
from tests.review.conftest import APPROVER, IMO, OP, OP2, OP_APPROVER, feature, geojson_file

CLEARED = box(50.60, 41.20, 50.605, 41.21)  # the west half of H1


def clearance(tmp_path: Path, aid: str = "T1") -> Any:
    return geojson_file(tmp_path / f"{aid}.geojson", [feature(
        CLEARED, id=aid, kind="clearance", operator="OA", started_on="2024-05-01",
        ended_on="2024-05-20", outcome="cleared", hazard_id="H1")])


def test_submit_show_approve_writes_and_releases(filled: Store, as_: Any,
                                                 tmp_path: Path) -> None:
    sub = review.submit(as_(filled, OP), "activities", clearance(tmp_path), checksum="abc")
    assert sub.status == SubmissionStatus.PENDING and sub.record_count == 1
    assert filled.existing_ids("activities", ["T1"]) == set()  # staged, not written
    assert filled.count("release-steps") == 0

    imo = as_(filled, IMO)
    assert [s.id for s in review.list_submissions(imo, status="pending")] == [sub.id]
    view = review.show(as_(filled, APPROVER), sub.id)
    assert view.new == ["T1"] and view.updates == [] and not view.problems
    assert [(r.hazard_id, r.method) for r in view.released] == [("H1", "cleared")]
    assert view.released[0].area_m2 == pytest.approx(area_m2(CLEARED), rel=1e-6)
    assert filled.count("release-steps") == 0  # the trial was rolled back
    assert filled.get("hazards", "H1").version == 1

    done = review.approve(as_(filled, APPROVER), sub.id, note="checked against the map")
    assert done.written == 1
    act = filled.get("activities", "T1")
    assert act.owner == "OA" and act.country == "XV"  # the submitter's, not the approver's
    steps = filled.query("release-steps")
    assert [(s.hazard_id, str(s.method)) for s in steps] == [("H1", "cleared")]
    assert steps[0].area_m2 == pytest.approx(view.released[0].area_m2, abs=0.1)
    stored = filled.get("submissions", sub.id)
    assert stored.status == SubmissionStatus.APPROVED
    assert (stored.decided_by, stored.note) == ("appr", "checked against the map")
    assert stored.decided_at == "2024-06-03T09:30:00Z"

    approvals = audit.entries(filled, action=audit.APPROVE)
    assert len(approvals) == 1
    entry = approvals[0]
    assert (entry.actor, entry.record_id, entry.layer) == ("appr", sub.id, "submissions")
    assert entry.detail["note"] == "checked against the map" and entry.detail["added"] == 1
    inserted = audit.entries(filled, layer="activities", record_id="T1")
    assert [e.actor for e in inserted] == ["appr"]
    assert audit.verify_store(filled).ok

    with pytest.raises(Conflict, match="approved already"):
        review.approve(as_(filled, APPROVER), sub.id)


def test_reject_keeps_it_with_its_reason(filled: Store, as_: Any, tmp_path: Path) -> None:
    sub = review.submit(as_(filled, OP), "activities", clearance(tmp_path))
    with pytest.raises(InvalidInput, match="why"):
        review.reject(as_(filled, APPROVER), sub.id, " ")
    review.reject(as_(filled, APPROVER), sub.id, "polygon drawn on the wrong field")
    kept = filled.get("submissions", sub.id)
    assert kept.status == SubmissionStatus.REJECTED
    assert kept.note == "polygon drawn on the wrong field" and kept.decided_by == "appr"
    assert filled.existing_ids("activities", ["T1"]) == set()
    assert [e.record_id for e in audit.entries(filled, action=audit.REJECT)] == [sub.id]
    with pytest.raises(Conflict):
        review.approve(as_(filled, APPROVER), sub.id)


def test_who_may_decide(filled: Store, as_: Any, tmp_path: Path) -> None:
    own = review.submit(as_(filled, APPROVER), "activities", clearance(tmp_path, "T7"))
    with pytest.raises(Forbidden, match="submitted this"):
        review.approve(as_(filled, APPROVER), own.id)
    sub = review.submit(as_(filled, OP), "activities", clearance(tmp_path))
    for who in (OP, IMO):
        with pytest.raises(Forbidden, match="approvers"):
            review.approve(as_(filled, who), sub.id)
    assert filled.existing_ids("activities", ["T1", "T7"]) == set()
    assert {s.status for s in filled.query("submissions")} == {SubmissionStatus.PENDING}


def test_an_operator_sees_its_own_submissions_only(filled: Store, as_: Any,
                                                   tmp_path: Path) -> None:
    sub = review.submit(as_(filled, OP), "activities", clearance(tmp_path))
    assert [s.id for s in review.list_submissions(as_(filled, OP))] == [sub.id]
    other = as_(filled, OP2)
    assert review.list_submissions(other) == []
    with pytest.raises(NotFound):
        review.show(other, sub.id)
    with pytest.raises(NotFound):
        review.reject(other, sub.id, "not ours")


def test_approval_after_a_conflicting_change_is_refused(filled: Store, as_: Any,
                                                        tmp_path: Path) -> None:
    # an update of the operator's find, checked against its version 1
    src = geojson_file(tmp_path / "finds.geojson", [feature(
        Point(50.606, 41.205), id="F1", category="ap", quantity=3, found_on="2024-05-20")])
    sub = review.submit(as_(filled, OP), "finds", src)
    view = review.show(as_(filled, APPROVER), sub.id)
    assert view.new == [] and view.updates == [("F1", 1)] and not view.conflicts
    with filled.transaction() as tx:  # someone changes the find meanwhile
        f = tx.get("finds", "F1")
        f.quantity = 2
        tx.update(f)
    assert review.show(as_(filled, APPROVER), sub.id).conflicts == [("finds/F1", 1, 2)]
    with pytest.raises(Conflict, match="finds/F1"):
        review.approve(as_(filled, APPROVER), sub.id)
    assert filled.get("finds", "F1").quantity == 2
    assert filled.get("submissions", sub.id).status == SubmissionStatus.PENDING

    # activities are checked against the hazards they overlap
    act = review.submit(as_(filled, OP), "activities", clearance(tmp_path))
    with filled.transaction() as tx:
        h = tx.get("hazards", "H1")
        h.notes = "boundary re-surveyed"
        tx.update(h)
    with pytest.raises(Conflict, match="hazards/H1"):
        review.approve(as_(filled, APPROVER), act.id)
    assert filled.count("release-steps") == 0


def test_an_update_approved_keeps_the_owner(filled: Store, as_: Any, tmp_path: Path) -> None:
    src = geojson_file(tmp_path / "finds.geojson", [feature(
        Point(50.606, 41.205), id="F1", category="ap", quantity=3, found_on="2024-05-20")])
    sub = review.submit(as_(filled, OP), "finds", src)
    done = review.approve(as_(filled, APPROVER), sub.id, "count corrected on site")
    assert (done.written, done.updated) == (0, 1)
    f = filled.get("finds", "F1")
    assert (f.quantity, f.version, f.owner) == (3, 2, "OA")


def test_nothing_is_staged_when_a_submission_has_problems(filled: Store, as_: Any,
                                                          tmp_path: Path) -> None:
    src = geojson_file(tmp_path / "bad.geojson", [
        feature(MultiPolygon([CLEARED]), id="T1", kind="clearance", operator="OA",
                started_on="2024-05-01", ended_on="2099-01-01", outcome="cleared"),
        feature(MultiPolygon([CLEARED]), id="T2", kind="clearance", operator="OA",
                started_on="2024-05-01", ended_on="2024-05-02", outcome="cleared",
                hazard_id="NOPE")])
    with pytest.raises(InvalidInput) as caught:
        review.submit(as_(filled, OP), "activities", src)
    fields = sorted((p.where.split()[1], p.field) for p in caught.value.problems)
    assert fields == [("1", "ended_on"), ("2", "hazard_id")]
    assert filled.count("submissions") == 0
    assert audit.entries(filled, layer="submissions") == []
    with pytest.raises(InvalidInput, match="personal data"):
        review.submit(as_(filled, OP), "victims", src)


def test_two_approvers_at_once_write_it_once(filled: Store, as_: Any, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sub = review.submit(as_(filled, OP), "activities", clearance(tmp_path))
    contexts = [as_(filled, APPROVER), as_(filled, OP_APPROVER)]

    def decide(ctx: Any) -> str:
        try:
            review.approve(ctx, sub.id, note=ctx.actor.name)
        except Conflict:
            return "conflict"
        return "approved"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(decide, contexts))
    assert outcomes == ["approved", "conflict"]
    assert filled.count("activities") == 1 and filled.count("release-steps") == 1
    assert len(audit.entries(filled, action=audit.APPROVE)) == 1
    stored = filled.get("submissions", sub.id)
    assert stored.decided_by == stored.note


def test_a_submission_of_what_the_submitter_may_not_add_is_refused(
        filled: Store, as_: Any, tmp_path: Path) -> None:
    from mineaction.access import Actor, Role
    from mineaction.io.readers import read_file

    orgs = tmp_path / "orgs.csv"
    orgs.write_text("id,name,kind,country\nOZ,New operator,operator,XV\n", encoding="utf-8")
    with pytest.raises(Forbidden, match="administrators"):
        review.submit(as_(filled, OP), "organisations", read_file(orgs))
    analyst = Actor("ana", frozenset({Role.ANALYST}), "AX", "XV", "ana", "authority")
    with pytest.raises(Forbidden, match="may not write"):
        review.submit(as_(filled, analyst), "activities", clearance(tmp_path))
    assert filled.count("submissions") == 0 and filled.count("organisations") == 0


def test_a_geojson_body_is_submitted_as_through_the_api(filled: Store, as_: Any) -> None:
    body = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "F9", "geometry": {"type": "Point",
                                                     "coordinates": [50.603, 41.204]},
         "properties": {"category": "uxo", "quantity": 2, "found_on": "2024-05-30"}}]}
    sub = review.submit_geojson(as_(filled, OP), "finds", body)
    assert (sub.origin.value, sub.file_name, len(sub.checksum or "")) == ("api", "request", 64)
    review.approve(as_(filled, APPROVER), sub.id)
    assert filled.get("finds", "F9").owner == "OA"
    with pytest.raises(InvalidInput) as caught:
        review.submit_geojson(as_(filled, OP), "finds", {"type": "FeatureCollection",
                                                         "features": [{"type": "Point"}, 3]})
    assert [p.where for p in caught.value.problems] == ["feature 1", "feature 2"]
    with pytest.raises(InvalidInput, match="FeatureCollection"):
        review.submit_geojson(as_(filled, OP), "finds", [])

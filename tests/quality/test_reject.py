"""A failed QC inspection rejects its lot: the land returns to a hazard through the land
release engine, with history; on both adapters."""

from __future__ import annotations

import datetime as dt

import pytest

from mineaction import domain as d
from mineaction.access import Actor, Role
from mineaction.domain.quality import QualityEvent
from mineaction.domain.vocabulary import QualityKind, QualityResult
from mineaction.errors import InvalidInput
from mineaction.geo.measure import area_m2
from mineaction.release.engine import record_hazards
from mineaction.services import quality, release
from mineaction.services.context import Context

from ..contract.test_release import activity, hazard, metric_box


def inspection(qid: str, activity_id: str | None, on: dt.date, result: str = "fail",
               **kw) -> QualityEvent:
    return QualityEvent(id=qid, kind=QualityKind.QC_INSPECTION, held_on=on,
                        activity_id=activity_id, result=QualityResult(result), **kw)


def setup(store) -> Context:
    hs = [hazard("H1", metric_box(0, 0, 100, 100)), hazard("H2", metric_box(200, 0, 300, 100))]
    with store.transaction() as tx:
        tx.add_many(hs)
        record_hazards(tx, hs)
    ctx = Context(store, Actor("im", frozenset({Role.ADMIN})))
    release.apply_activities(ctx, [
        activity("A1", "clearance", metric_box(0, 0, 100, 100), dt.date(2023, 2, 1)),
        activity("A2", "clearance", metric_box(200, 0, 300, 50), dt.date(2023, 3, 1)),
        activity("A3", "clearance", metric_box(500, 0, 550, 100), dt.date(2023, 3, 1),
                 outside_hazard=True)])
    return ctx


def cleared(ctx: Context) -> int:
    return round(sum(r["area_m2"] for r in release.released_area(ctx)))


def test_a_failed_inspection_reopens_a_closed_hazard_with_the_reason(store):
    ctx = setup(store)
    assert cleared(ctx) == 10_000 + 5_000 + 5_000
    assert store.get(d.Hazard, "H1").status == d.HazardStatus.CLOSED
    said = quality.record(ctx, [inspection("QC1", "A1", dt.date(2023, 4, 1),
                                           reason="AP mine found in plot 7", items_found=1)])
    assert [m.code for m in said] == ["qm.reopened"]
    h1 = store.get(d.Hazard, "H1")
    assert h1.status == d.HazardStatus.OPEN and h1.closed_on is None
    assert area_m2(h1.geometry) == pytest.approx(10_000, abs=1)
    t = release.timeline(ctx, "H1")
    assert [v.change for v in t.versions] == ["recorded", "closed", "reopened"]
    last = t.versions[-1]
    assert (last.quality_id, last.reason, last.valid_from) == (
        "QC1", "AP mine found in plot 7", dt.date(2023, 4, 1))
    assert last.area_m2 == pytest.approx(10_000, abs=1)
    # the step stays in the history, marked rejected; it no longer counts as released
    (step,) = t.steps
    assert (step.rejected_by, step.rejected_on) == ("QC1", dt.date(2023, 4, 1))
    assert cleared(ctx) == 10_000
    # as of before the inspection, the hazard was closed; after it, open
    before = {h.id: h for h in release.hazards_at(ctx, dt.date(2023, 3, 15))}
    after = {h.id: h for h in release.hazards_at(ctx, dt.date(2023, 4, 2))}
    assert before["H1"].status == d.HazardStatus.CLOSED
    assert after["H1"].status == d.HazardStatus.OPEN
    # the reopened land can be released again, by a later activity
    release.apply_activities(ctx, [activity("A4", "clearance", metric_box(0, 0, 100, 100),
                                            dt.date(2023, 6, 1))])
    assert cleared(ctx) == 20_000
    assert store.get(d.Hazard, "H1").status == d.HazardStatus.CLOSED


def test_a_partly_released_hazard_gets_its_land_back(store):
    ctx = setup(store)
    quality.record(ctx, [inspection("QC2", "A2", dt.date(2023, 4, 1), reason="missed area")])
    assert area_m2(store.get(d.Hazard, "H2").geometry) == pytest.approx(10_000, abs=1)
    assert [v.change for v in release.timeline(ctx, "H2").versions] == [
        "recorded", "released", "reopened"]
    assert cleared(ctx) == 15_000


def test_land_released_outside_any_hazard_becomes_a_new_hazard(store):
    ctx = setup(store)
    said = quality.record(ctx, [inspection("QC3", "A3", dt.date(2023, 4, 1), reason="UXO")])
    assert [m.code for m in said] == ["qm.reopened_new"]
    t = release.timeline(ctx, "A3-QC3")
    assert t.hazard.status == d.HazardStatus.OPEN
    assert [(v.change, v.reason) for v in t.versions] == [("reopened", "UXO")]
    assert area_m2(t.hazard.geometry) == pytest.approx(5_000, abs=1)
    assert cleared(ctx) == 15_000


def test_a_passed_inspection_changes_nothing_and_bad_ones_write_nothing(store):
    ctx = setup(store)
    assert quality.record(ctx, [inspection("QC4", "A1", dt.date(2023, 4, 1), "pass")]) == []
    assert cleared(ctx) == 20_000
    with pytest.raises(InvalidInput) as err:
        quality.record(ctx, [inspection("QC5", "A1", dt.date(2023, 1, 1)),
                             inspection("QC6", "NONE", dt.date(2023, 5, 1)),
                             inspection("QC7", None, dt.date(2023, 5, 1))])
    assert sorted((p.where, p.code) for p in err.value.problems) == [
        ("inspection QC5", "release.dated_before_change"),
        ("inspection QC6", "qm.nothing_to_reject"),
        ("inspection QC7", "qm.fail_needs_activity")]
    assert store.count("quality") == 1 and cleared(ctx) == 20_000
    assert store.get(d.Hazard, "H1").status == d.HazardStatus.CLOSED


def test_a_failed_inspection_imported_from_a_file_reopens_the_land(store, tmp_path):
    from mineaction.io.load import import_file

    ctx = setup(store)
    path = tmp_path / "qc.csv"
    path.write_text("id,kind,held_on,activity_id,result,items_found,reason,severity\n"
                    "QC8,qc_inspection,2023-04-01,A1,pass,0,,\n"
                    "QC9,qc_inspection,2023-04-02,A2,fail,2,two AP mines,critical\n")
    import_file(store, "quality", path)
    assert store.count("quality") == 2
    (last,) = release.timeline(ctx, "H2").versions[-1:]
    assert (last.change, last.quality_id, last.reason) == ("reopened", "QC9", "two AP mines")
    assert cleared(ctx) == 15_000


def test_qm_record_command(store, store_url, capsys):
    from mineaction.cli import main

    setup(store)
    assert main(["--db", store_url, "qm", "record", "QC10", "--activity", "A1", "--on",
                 "2023-04-01", "--result", "fail", "--reason", "missed mine",
                 "--severity", "major", "--corrective-action", "re-clear the lot"]) == 0
    out = capsys.readouterr().out
    assert "land returned to 1 hazard: H1" in out
    assert store.get(d.Hazard, "H1").status == d.HazardStatus.OPEN
    assert main(["--db", store_url, "qm", "record", "QC11", "--on", "2023-04-01",
                 "--result", "maybe"]) == 2

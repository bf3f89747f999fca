"""The quality report: inspections per operator and method, pass rate, open
non-conformities, items found in released land; every figure explained by its records."""

from __future__ import annotations

import datetime as dt
import json

from mineaction.domain.quality import QualityEvent
from mineaction.services import quality, reports

from .test_reject import inspection, setup


def test_quality_report_counts_and_explains(store):
    ctx = setup(store)
    quality.record(ctx, [
        inspection("QC1", "A1", dt.date(2023, 4, 1), "pass"),
        inspection("QC2", "A2", dt.date(2023, 4, 2), "fail", items_found=3,
                   reason="3 AP mines", severity="critical"),
        inspection("QC3", "A3", dt.date(2023, 4, 3), "pass", severity="minor",
                   corrective_action="mark the lanes", closed_on=dt.date(2023, 5, 1)),
        QualityEvent(id="QA1", kind="qa_visit", held_on=dt.date(2023, 4, 4),  # type: ignore
                     activity_id="A1", result="observation"),  # type: ignore[arg-type]
        inspection("QC0", "A1", dt.date(2022, 4, 1), "pass")])  # before the period
    rep = reports.build(ctx, "quality", reports.period(2023))
    t = {x.name: x for x in rep.tables}
    ins = t["inspections"]
    by = {r["operator"].value: r for r in ins.rows}
    assert set(by) == {"OP-A"}
    row = by["OP-A"]
    assert (row["qc_inspections"].value, row["passed"].value, row["failed"].value,
            row["qa_visits"].value) == (3, 2, 1, 1)
    assert row["pass_rate"].value == round(100 * 2 / 3, 1)
    assert row["failed"].figure.ids == ["QC2"]
    assert sorted(row["pass_rate"].figure.ids) == ["QC1", "QC2", "QC3"]
    nc = {r["severity"].value: r for r in t["non-conformities"].rows}
    assert (nc["critical"]["open"].value, nc["critical"]["without_action"].value) == (1, 1)
    assert (nc["minor"]["raised"].value, nc["minor"]["closed"].value,
            nc["minor"]["open"].value) == (1, 1, 0)
    assert nc["critical"]["open"].figure.ids == ["QC2"]
    items = t["items-in-released-land"]
    assert [(r["operator"].value, r["inspections"].value, r["items"].value)
            for r in items.rows] == [("OP-A", 1, 3)]
    # the minor non-conformity is still open at the end of April
    april = reports.build(ctx, "quality", reports.period(None, dt.date(2023, 4, 1),
                                                         dt.date(2023, 4, 30)))
    nc = {r["severity"].value: r for r in april.tables[1].rows}
    assert nc["minor"]["open"].value == 1 and nc["minor"]["closed"].value == 0
    cells = reports.explain(rep, "inspections//failed")
    assert any(c.get("ids") == ["QC2"] or "QC2" in json.dumps(c) for c in cells)


def test_report_quality_command_with_explain(store, store_url, capsys):
    from mineaction.cli import main

    ctx = setup(store)
    quality.record(ctx, [inspection("QC2", "A2", dt.date(2023, 4, 2), "fail", items_found=1,
                                    severity="major")])
    assert main(["--db", store_url, "report", "quality", "--year", "2023"]) == 0
    out = capsys.readouterr().out
    assert "Quality management" in out and "Items found in released land" in out
    assert main(["--db", store_url, "report", "quality", "--year", "2023", "--explain"]) == 0
    assert "QC2" in capsys.readouterr().out


def test_qm_report_is_the_quality_report(store, store_url, capsys):
    from mineaction.cli import main

    ctx = setup(store)
    quality.record(ctx, [inspection("QC1", "A1", dt.date(2023, 4, 1), "pass")])
    assert main(["--db", store_url, "qm", "report", "--year", "2023", "--explain",
                 "--cell", "inspections//passed"]) == 0
    assert "QC1" in capsys.readouterr().out


def find(fid: str, x: float, y: float, on: dt.date, activity_id: str | None):
    from mineaction import domain as d

    from ..contract.test_release import metric_box

    return d.Find(id=fid, category=d.EOCategory.AP, quantity=2, found_on=on,
                  activity_id=activity_id, geometry=metric_box(x, y, x + 1, y + 1).centroid,
                  source="synthetic:test")


def test_finds_in_released_land_skip_rejected_lots(store):
    """A find counts in released land when land released before it by another activity holds
    it, through a release step not rejected: a rejected lot is a hazard again."""
    ctx = setup(store)
    june = dt.date(2023, 6, 1)
    with store.transaction() as tx:
        tx.add_many([
            find("F1", 50, 50, june, "A9"),  # in land A1 cleared in February: counts
            find("F2", 250, 25, dt.date(2023, 3, 1), "A2"),  # A2's own find: not
            find("F3", 525, 50, june, "A9"),  # in A3's land, whose lot is rejected: not
            find("F4", 60, 60, dt.date(2023, 1, 15), "A9"),  # before A1 released it: not
            find("F5", 5000, 5000, june, "A9")])  # in no released land: not
    quality.record(ctx, [inspection("QC3", "A3", dt.date(2023, 4, 3), "fail", items_found=1,
                                    severity="critical")])
    rep = reports.build(ctx, "quality", reports.period(2023))
    t = {x.name: x for x in rep.tables}["finds-in-released-land"]
    assert [(r["operator"].value, r["method"].value, r["finds"].value, r["items"].value)
            for r in t.rows] == [("OP-A", "cleared", 1, 2)]
    fig = t.rows[0]["finds"].figure
    assert fig.ids == ["F1"] and fig.criteria["released_by"] == {"F1": "A1/H1"}


def test_a_find_in_land_released_twice_goes_to_the_first_release():
    from shapely.geometry import Point, box

    from mineaction import domain as d
    from mineaction.domain.release import ReleaseStep
    from mineaction.quality.released import attribute

    def step(sid: str, on: dt.date, rejected: str | None = None) -> ReleaseStep:
        return ReleaseStep(id=sid, activity_id=sid[:2], hazard_id="H", method="cancelled",
                             activity_kind="nts", operator="OP", released_on=on, area_m2=1.0,
                             geometry=box(0, 0, 1, 1), rejected_by=rejected,
                             source="synthetic:test")

    f = d.Find(id="F", category=d.EOCategory.AP, found_on=dt.date(2024, 1, 1),
               activity_id="A9", geometry=Point(0.5, 0.5), source="synthetic:test")
    early, late = step("A2/H", dt.date(2023, 5, 1)), step("A1/H", dt.date(2023, 6, 1))
    assert [s.id for _, s in attribute([f], [late, early])] == ["A2/H"]
    early.rejected_by = "QC1"
    assert [s.id for _, s in attribute([f], [late, early])] == ["A1/H"]


def test_a_non_conformity_is_closed_once_with_its_corrective_action(store, store_url, capsys):
    import pytest

    from mineaction.cli import main
    from mineaction.errors import InvalidInput, NotFound

    ctx = setup(store)
    quality.record(ctx, [
        inspection("QC1", "A1", dt.date(2023, 4, 1), "observation", severity="major",
                   reason="lanes not marked"),
        inspection("QC2", "A2", dt.date(2023, 4, 1), "pass")])

    def codes(call) -> list[str]:
        with pytest.raises(InvalidInput) as exc:
            call()
        return [p.code for p in exc.value.problems]

    assert codes(lambda: quality.close(ctx, "QC1", "2023-05-01")) == ["qm.close_needs_action"]
    assert codes(lambda: quality.close(ctx, "QC1", "2023-03-01", "marked")) == [
        "qm.close_before_raised"]
    assert codes(lambda: quality.close(ctx, "QC2", "2023-05-01", "x")) == [
        "qm.close_no_nonconformity"]
    with pytest.raises(NotFound):
        quality.close(ctx, "QC9", "2023-05-01", "x")
    assert main(["--db", store_url, "qm", "close", "QC1", "--on", "2023-05-02",
                 "--corrective-action", "lanes marked again"]) == 0
    assert "closed QC1" in capsys.readouterr().out
    e = store.get(QualityEvent, "QC1")
    assert (e.closed_on, e.corrective_action) == (dt.date(2023, 5, 2), "lanes marked again")
    assert codes(lambda: quality.close(ctx, "QC1", "2023-06-01", "x")) == [
        "qm.close_already_closed"]
    nc = {r["severity"].value: r for r in reports.build(
        ctx, "quality", reports.period(2023)).tables[1].rows}
    assert (nc["major"]["closed"].value, nc["major"]["open"].value) == (1, 0)

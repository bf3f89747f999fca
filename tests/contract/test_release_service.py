"""The land release service: activities applied through a context (the store as the actor may
use it), the timeline and the hazards as of a date read through it; on both adapters."""

from __future__ import annotations

import datetime as dt

import pytest

from mineaction import audit
from mineaction import domain as d
from mineaction.access import Actor, Role
from mineaction.errors import InvalidInput
from mineaction.geo.measure import area_m2
from mineaction.release.engine import record_hazards
from mineaction.services import release
from mineaction.services.context import Context

from .test_release import activity, hazard, metric_box


def test_activities_applied_through_the_service_release_close_and_are_audited(store):
    hs = [hazard("H1", metric_box(0, 0, 100, 100)), hazard("H2", metric_box(200, 0, 300, 100))]
    with store.transaction() as tx:
        tx.add_many(hs)
        record_hazards(tx, hs)
    ctx = Context(store, Actor("im", frozenset({Role.ADMIN})))
    said = release.apply_activities(ctx, [
        activity("A1", "nts", metric_box(0, 0, 50, 100), dt.date(2023, 2, 1)),
        activity("A2", "clearance", metric_box(50, 0, 250, 100), dt.date(2023, 5, 1))])
    assert [m.code for m in said] == ["release.released", "release.closed"]
    assert "closed 1 hazard: H1" in [m.text() for m in said]
    t = release.timeline(ctx, "H1")
    assert [v.change for v in t.versions] == ["recorded", "released", "closed"]
    assert [(s.method, round(s.area_m2)) for s in t.steps] == [("cancelled", 5000),
                                                                ("cleared", 5000)]
    (h2,) = [h for h in release.hazards_at(ctx, dt.date(2023, 3, 1)) if h.id == "H2"]
    assert area_m2(h2.geometry) == pytest.approx(10_000, abs=0.5)
    after = {h.id: h for h in release.hazards_at(ctx, dt.date(2023, 6, 1))}
    assert after["H1"].status == d.HazardStatus.CLOSED
    assert area_m2(after["H2"].geometry) == pytest.approx(5_000, abs=0.5)
    assert release.hazards_at(ctx, dt.date(2023, 6, 1), bbox=(0.0, 0.0, 1.0, 1.0)) == []
    by = {r["method"]: round(r["area_m2"]) for r in release.released_area(ctx)}
    assert by == {"cancelled": 5000, "cleared": 10_000}
    # every hazard changed once in the log per write, by the actor
    changed = audit.entries(store, layer="hazards", action="update")
    assert sorted(e.record_id for e in changed) == ["H1", "H2"]
    assert {e.actor for e in changed} == {"im"}
    assert audit.verify_store(store).ok


def test_an_activity_the_engine_refuses_writes_nothing(store):
    hs = [hazard("H1", metric_box(0, 0, 100, 100))]
    with store.transaction() as tx:
        tx.add_many(hs)
        record_hazards(tx, hs)
    ctx = Context(store)
    release.apply_activities(ctx, [activity("A1", "nts", metric_box(0, 0, 50, 100),
                                            dt.date(2023, 5, 1))])
    with pytest.raises(InvalidInput) as err:
        release.apply_activities(ctx, [
            activity("A2", "clearance", metric_box(50, 0, 100, 100), dt.date(2023, 3, 1)),
            activity("A3", "clearance", metric_box(500, 0, 600, 100), dt.date(2023, 6, 1))])
    codes = sorted((p.where, p.code) for p in err.value.problems)
    assert codes == [("activity A2", "release.dated_before_change"),
                     ("activity A3", "release.outside_no_hazard")]
    assert store.count("activities") == 1 and store.count("release-steps") == 1
    assert store.get(d.Hazard, "H1").status == d.HazardStatus.OPEN

"""What the public gets of people and land, on every adapter: the suppressed casualty
statistics (counted, never read: no victim record, no personal field, no victim's id), and
land measured on the exact polygons even though the public sees them generalised."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from shapely.geometry import MultiPolygon, box

from mineaction import domain as d
from mineaction.access import Actor
from mineaction.domain.release import ReleaseStep
from mineaction.errors import Forbidden
from mineaction.geo.measure import area_m2
from mineaction.services import observer
from mineaction.services.context import Context
from mineaction.store import Store

D = dt.date(2023, 5, 17)


def fill(store: Store) -> list[ReleaseStep]:
    victims = []
    for i in range(9):  # 7 civilians, 2 military; 6 injured, 3 killed
        victims.append(d.Victim(
            id=f"V{i}", group=d.VictimGroup.CIVILIAN if i < 7 else d.VictimGroup.MILITARY,
            outcome=d.CasualtyOutcome.INJURED if i < 6 else d.CasualtyOutcome.KILLED,
            sex=d.Sex.FEMALE if i % 2 else d.Sex.MALE, age_band=d.AgeBand.ADULT,
            occurred_on=D, source="synthetic:test"))
    personal = [d.VictimPersonal(id=f"P{i}", victim_id=f"V{i}", full_name="A. Person",
                                 source="synthetic:test") for i in range(9)]
    a = MultiPolygon([box(50.50, 41.00, 50.51, 41.01)])
    b = MultiPolygon([box(50.505, 41.00, 50.515, 41.01)])  # half over a
    c = MultiPolygon([box(50.60, 41.00, 50.601, 41.001)])
    steps = [ReleaseStep(id=f"R{i}", activity_id=f"T{i}", method=m,
                         activity_kind=d.ActivityKind.CLEARANCE if m == "cleared"
                         else d.ActivityKind.TS, released_on=D, area_m2=area_m2(g),
                         geometry=g, source="synthetic:test")
             for i, (g, m) in enumerate([(a, "cleared"), (b, "cleared"), (c, "reduced")])]
    hazards = [d.Hazard(id=f"H{i}", kind=d.HazardKind.CHA, geometry=g, source="synthetic:test")
               for i, g in enumerate([a, b])]
    with store.transaction() as tx:
        tx.add_many(hazards)
        tx.add_many(victims)
        tx.add_many(personal)
        tx.add_many(steps)
    return steps


def test_the_public_counts_people_and_measures_land(store: Store) -> None:
    steps = fill(store)
    public = Context(store, Actor.anonymous())
    admin = Context(store, Actor.local("im"))
    # people: counted, never read
    view = public.reader
    assert view.count("victims") == 9
    with pytest.raises(Forbidden):
        view.query("victims")
    with pytest.raises(Forbidden):
        view.get("victims", "V1")
    with pytest.raises(Forbidden):
        view.query("victims-personal")
    with pytest.raises(Forbidden):
        view.aggregate("victims-personal", ["full_name"])
    seen = observer.casualties(public, 2023)
    full = observer.casualties(admin, 2023)
    assert seen.suppress_below == full.suppress_below == 5
    cells = [(t.name, i, k, c.value, c.suppressed) for t in seen.tables
             for i, r in enumerate(t.all_rows()) for k, c in r.items()]
    assert cells == [(t.name, i, k, c.value, c.suppressed) for t in full.tables
                     for i, r in enumerate(t.all_rows()) for k, c in r.items()]
    by_group = {str(r["group"].value): r for r in seen.table("by-group").all_rows()}
    military, civilian = by_group["military"]["total"], by_group["civilian"]["total"]
    assert military.suppressed and not military.secondary  # 2: "fewer than 5", never 0
    assert civilian.suppressed and civilian.secondary  # 7 = 9 - 2 would give it away
    for item in observer.explain(seen, "by-group"):
        assert item["ids"] == []  # no victim's id reaches the public
    # land: the public sees the steps generalised, the figures are of the exact polygons
    shown = {s.id: s for s in view.iter("release-steps")}
    assert not shown["R0"].geometry.equals(steps[0].geometry)
    land = observer.release(public, 2023)
    exact = observer.release(admin, 2023)
    total = land.table("years").total
    assert total is not None
    union = area_m2(steps[0].geometry.union(steps[1].geometry)) / 1e6
    assert total["cleared_km2"].value == pytest.approx(union, rel=1e-9)
    assert total["cleared_km2"].value < (steps[0].area_m2 + steps[1].area_m2) / 1e6
    assert total["reduced_km2"].value == pytest.approx(steps[2].area_m2 / 1e6, rel=1e-9)
    other = exact.table("years").total
    assert other is not None
    assert {k: c.value for k, c in total.items()} == {k: c.value for k, c in other.items()}
    # the contamination left: open hazards, their land measured on the exact polygons
    remaining = land.table("remaining")
    assert remaining.total is not None and remaining.total["cha_km2"].figure.ids == ["H0", "H1"]
    assert remaining.total["cha_km2"].value == pytest.approx(union, rel=1e-9)


def test_counts_only_is_never_a_record_of_a_personal_layer() -> None:
    from mineaction.access.policy import PUBLIC_COUNTS, Policy
    from mineaction.domain.layers import get_layer

    policy = Policy(Actor.anonymous())
    for name in PUBLIC_COUNTS:
        (grant,) = policy.access(get_layer(name)).grants
        assert grant.precision.kind == "counts" and grant.why == "public counts"
        assert dataclasses.asdict(grant)["level"] != "personal"
    with pytest.raises(Forbidden):
        policy.access(get_layer("victims-personal"))

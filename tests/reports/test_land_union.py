"""The land of release steps: steps that only touch add up, overlapping ones count once, and
one polygon among a thousand is never lost in a union."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from mineaction.analysis.statistics import Land
from mineaction.domain.release import ReleaseStep
from mineaction.domain.vocabulary import ActivityKind, ReleaseOutcome
from mineaction.geo.measure import area_m2
from mineaction.store import open_store


def step(sid: str, geom) -> ReleaseStep:
    g = MultiPolygon([geom])
    return ReleaseStep(id=sid, activity_id="T1", method=ReleaseOutcome.CLEARED,
                       activity_kind=ActivityKind.CLEARANCE, released_on=dt.date(2023, 1, 1),
                       area_m2=area_m2(g), geometry=g, source="synthetic:test")


@pytest.fixture(scope="module")
def land(tmp_path_factory: pytest.TempPathFactory) -> Land:
    store = open_store(str(tmp_path_factory.mktemp("land") / "m.gpkg"))
    store.create()
    x, y, w = 50.6, 41.2, 0.001
    steps = [step("S1", box(x, y, x + w, y + w)),  # S2 touches it along an edge
             step("S2", box(x + w, y, x + 2 * w, y + w)),
             step("S3", box(x + 1.5 * w, y, x + 2.5 * w, y + w)),  # half over S2
             step("S4", box(x + 5 * w, y, x + 6 * w, y + w))]  # apart
    # a row of thin cells over a shifted grid: many small overlaps in one group
    steps += [step(f"G{k:03d}", shapely.affinity.rotate(
        box(x + k * 0.0002, y + 0.01, x + k * 0.0002 + 0.0003, y + 0.0104), 7))
        for k in range(120)]
    with store.transaction() as tx:
        tx.add_many(steps)
    return Land(store)


def test_touching_steps_add_up_and_overlaps_count_once(land: Land) -> None:
    one = land.area(["S1"])
    assert land.area(["S1", "S2", "S4"]) == pytest.approx(3 * one, abs=0.1)
    assert land.area(["S2", "S3"]) == pytest.approx(1.5 * one, abs=0.1)
    assert land.area(["S1", "S2", "S3", "S4"]) == pytest.approx(3.5 * one, abs=0.1)
    assert land.overlap(["S1", "S2", "S3"]) == pytest.approx(0.5 * one, abs=0.1)


def test_land_of_many_is_the_union_measured_once(land: Land) -> None:
    ids = [f"G{k:03d}" for k in range(120)] + ["S1", "S2", "S3", "S4"]
    land.load(ids)
    union = shapely.union_all([land.geoms[i] for i in ids])
    assert land.area(ids) == pytest.approx(area_m2(union), abs=0.1 * len(ids))
    assert land.area(ids) < land.recorded_sum(ids)

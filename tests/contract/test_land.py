"""``Reader.land_m2``: the land under records, measured as the union of their polygons on
every adapter: overlapping land counts once, also across two layers; polygons that only
touch add up; the public, who sees hazards generalised, gets the measure of the exact
polygons."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from mineaction import domain as d
from mineaction.access import Actor
from mineaction.geo.measure import area_m2, equal_area_m2, union_area_m2
from mineaction.store import Store

S = "synthetic:test"
D = dt.date(2023, 5, 17)
BOXES = {"H1": box(50.50, 41.00, 50.52, 41.02),
         "H2": box(50.51, 41.01, 50.53, 41.03),   # overlaps H1
         "H3": box(50.48, 41.00, 50.50, 41.02),   # touches H1 along a side
         "H4": box(50.505, 41.005, 50.51, 41.01)}  # inside H1


def test_land_counts_overlaps_once_and_touching_land_apart(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_many([d.Hazard(id=h, kind=d.HazardKind.SHA, geometry=MultiPolygon([g]),
                              recorded_on=D, source=S) for h, g in BOXES.items()])
    union = area_m2(shapely.union_all(list(BOXES.values())))
    whole = sum(area_m2(g) for g in BOXES.values())
    assert union < whole - 1e6  # the overlaps are large: a sum would be plainly wrong
    for reader in (store, store.as_actor(Actor.anonymous())):
        assert reader.land_m2("hazards", BOXES) == pytest.approx(union, abs=0.01)
        # the same land named through two lists counts once
        assert reader.land_m2("hazards", ["H1", "H3"], also=[("hazards", ["H2", "H4", "H1"])]
                              ) == pytest.approx(union, abs=0.01)
        assert reader.land_m2("hazards", ["H1", "H3"]) == pytest.approx(
            area_m2(BOXES["H1"]) + area_m2(BOXES["H3"]), abs=0.01)
        assert reader.land_m2("hazards", ["H4", "nowhere"]) == pytest.approx(
            area_m2(BOXES["H4"]), abs=0.01)
        assert reader.land_m2("hazards", []) == 0.0


def test_union_area_agrees_with_an_independent_measure() -> None:
    geoms = [*BOXES.values(), None, box(50.6, 41.1, 50.61, 41.11)]
    got = union_area_m2(geoms)
    # an equal-area projection of GEOS's union of the few polygons: another method
    assert got == pytest.approx(equal_area_m2(shapely.union_all(
        [g for g in geoms if g is not None])), rel=1e-6)
    assert union_area_m2([]) == 0.0

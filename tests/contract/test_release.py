"""Land release on the store interface: runs on every adapter."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from mineaction import domain as d
from mineaction.errors import InvalidInput
from mineaction.geo.measure import area_m2
from mineaction.io.load import import_file
from mineaction.release.engine import apply_activities, record_hazards
from mineaction.release.queries import hazards_at, released_area, timeline
from mineaction.store import open_store

LON0, LAT0 = 50.8, 41.3
_LAEA = pyproj.CRS.from_proj4(f"+proj=laea +lat_0={LAT0} +lon_0={LON0} +ellps=WGS84")
_TO_LL = pyproj.Transformer.from_crs(_LAEA, "EPSG:4326", always_xy=True)


def metric_box(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    """A rectangle given in metres on an equal-area projection, as lon/lat: its ellipsoidal
    area is (x1 - x0) * (y1 - y0)."""
    poly = shapely.segmentize(box(x0, y0, x1, y1), 5.0)
    return MultiPolygon([shapely.transform(poly, lambda xy: __import__("numpy").column_stack(
        _TO_LL.transform(xy[:, 0], xy[:, 1])))])


def hazard(hid: str, geom, **kw) -> d.Hazard:
    return d.Hazard(id=hid, kind=kw.pop("kind", d.HazardKind.CHA),
                    contamination=kw.pop("contamination", frozenset({d.EOCategory.AP})),
                    recorded_on=kw.pop("recorded_on", dt.date(2021, 1, 1)), geometry=geom, **kw)


def activity(aid: str, kind: str, geom, on: dt.date, **kw) -> d.Activity:
    outcome = {"nts": "cancelled", "ts": "reduced", "clearance": "cleared",
               "bac": "cleared"}[kind]
    return d.Activity(id=aid, kind=d.ActivityKind(kind), operator=kw.pop("operator", "OP-A"),
                      started_on=on, ended_on=on, outcome=kw.pop("outcome", outcome),
                      geometry=geom, **kw)


def load(store, hazards, activities):
    with store.transaction() as tx:
        tx.add_many(hazards)
        record_hazards(tx, hazards)
    with store.transaction() as tx:
        tx.add_many(activities)
        return apply_activities(tx, activities)


def test_one_km2_released_by_three_methods(store):
    h = hazard("H1", metric_box(0, 0, 1000, 1000))
    # each activity overhangs the hazard by 50 m to the north and south
    acts = [activity("A1", "nts", metric_box(-10, -50, 400, 1050), dt.date(2022, 3, 1)),
            activity("A2", "ts", metric_box(400, -50, 700, 1050), dt.date(2022, 6, 1)),
            activity("A3", "clearance", metric_box(700, -50, 1010, 1050), dt.date(2022, 9, 1))]
    load(store, [h], acts)
    by_method = {r["method"]: r for r in released_area(store, ("method",))}
    assert by_method["cancelled"]["area_m2"] == pytest.approx(400_000, abs=0.5)
    assert by_method["reduced"]["area_m2"] == pytest.approx(300_000, abs=0.5)
    assert by_method["cleared"]["area_m2"] == pytest.approx(300_000, abs=0.5)
    assert by_method["cleared"]["ids"] == ["A3/H1"]
    closed = store.get(d.Hazard, "H1")
    assert closed.status == d.HazardStatus.CLOSED
    assert closed.closed_on == dt.date(2022, 9, 1) and closed.closed_by == "A3"
    original = area_m2(h.geometry)
    assert sum(r["area_m2"] for r in by_method.values()) == pytest.approx(original, abs=0.1)

    # as it stood between the second and third steps
    (mid,) = list(hazards_at(store, dt.date(2022, 7, 15)))
    assert mid.status == d.HazardStatus.OPEN
    assert area_m2(mid.geometry) == pytest.approx(300_000, abs=0.5)
    (before,) = list(hazards_at(store, dt.date(2021, 6, 1)))
    assert area_m2(before.geometry) == pytest.approx(original, abs=0.01)
    assert list(hazards_at(store, dt.date(2020, 1, 1))) == []

    t = timeline(store, "H1")
    assert [v.change for v in t.versions] == ["recorded", "released", "released", "closed"]
    assert [s.method for s in t.steps] == ["cancelled", "reduced", "cleared"]


def test_activity_touching_several_hazards_and_figures_by_year(store):
    hs = [hazard("H1", metric_box(0, 0, 100, 100), admin_area_id="D1"),
          hazard("H2", metric_box(200, 0, 300, 100), admin_area_id="D2")]
    acts = [activity("A1", "clearance", metric_box(50, 0, 250, 100), dt.date(2023, 2, 1)),
            activity("A2", "clearance", metric_box(0, 0, 50, 100), dt.date(2024, 5, 1))]
    load(store, hs, acts)
    rows = released_area(store, ("year", "admin_area_id"))
    assert [(r["year"], r["admin_area_id"], round(r["area_m2"])) for r in rows] == \
        [(2023, "D1", 5000), (2023, "D2", 5000), (2024, "D1", 5000)]
    assert store.get(d.Hazard, "H1").status == d.HazardStatus.CLOSED
    assert store.get(d.Hazard, "H2").status == d.HazardStatus.OPEN
    (r2023,) = released_area(store, ("method",), start=dt.date(2023, 1, 1),
                             end=dt.date(2023, 12, 31))
    assert r2023["ids"] == ["A1/H1", "A1/H2"] and r2023["count"] == 2


def test_release_outside_any_hazard_is_refused_unless_declared(store, tmp_path):
    hs = [hazard("H1", metric_box(0, 0, 100, 100))]
    with store.transaction() as tx:
        tx.add_many(hs)
        record_hazards(tx, hs)
    far = metric_box(5000, 5000, 5100, 5100)

    def write(name, props_list):
        fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": p, "geometry": far.__geo_interface__}
            for p in props_list]}
        path = tmp_path / name
        path.write_text(json.dumps(fc))
        return path

    bad = write("bad.geojson", [{"id": "B1", "kind": "bac", "operator": "OP", "ended_on":
                                 "2023-01-01"}])
    with pytest.raises(InvalidInput, match="B1.*overlaps no open hazard"):
        import_file(store, "activities", bad)
    assert store.count("activities") == 0 and store.count("release-steps") == 0
    ok = write("ok.geojson", [{"id": "B2", "kind": "bac", "operator": "OP", "ended_on":
                               "2023-01-01", "outside_hazard": True}])
    import_file(store, "activities", ok)
    (step,) = store.query("release-steps")
    assert step.outside_hazard and step.hazard_id is None
    assert step.area_m2 == pytest.approx(10_000, abs=0.5)


def test_backdated_activity_is_refused(store):
    load(store, [hazard("H1", metric_box(0, 0, 100, 100))],
         [activity("A1", "clearance", metric_box(0, 0, 50, 100), dt.date(2023, 6, 1))])
    with pytest.raises(InvalidInput, match="before the last recorded change"), \
            store.transaction() as tx:
        late = activity("A0", "nts", metric_box(50, 0, 100, 100), dt.date(2022, 1, 1))
        tx.add(late)
        apply_activities(tx, [late])
    assert store.count("release-steps") == 1 and store.count("activities") == 1


def test_survey_creates_enlarges_and_confirms(store):
    load(store, [hazard("H1", metric_box(0, 0, 100, 100), kind=d.HazardKind.SHA)], [])
    acts = [
        activity("S1", "nts", metric_box(500, 500, 600, 600), dt.date(2022, 1, 1),
                 outcome=None, survey_result="new_hazard", hazard_id="H9",
                 contamination=frozenset({d.EOCategory.AV})),
        activity("S2", "nts", metric_box(100, 0, 150, 100), dt.date(2022, 2, 1), outcome=None,
                 survey_result="enlarged", hazard_id="H1"),
        activity("S3", "ts", metric_box(0, 0, 10, 10), dt.date(2022, 3, 1), outcome=None,
                 survey_result="confirmed", hazard_id="H1",
                 contamination=frozenset({d.EOCategory.AV})),
    ]
    with store.transaction() as tx:
        tx.add_many(acts)
        apply_activities(tx, acts)
    new = store.get(d.Hazard, "H9")
    assert new.kind == d.HazardKind.SHA and new.contamination == {d.EOCategory.AV}
    h1 = store.get(d.Hazard, "H1")
    assert h1.kind == d.HazardKind.CHA
    assert h1.contamination == {d.EOCategory.AP, d.EOCategory.AV}
    assert area_m2(h1.geometry) == pytest.approx(15_000, abs=0.5)
    changes = [(v.change, v.kind, v.activity_id) for v in timeline(store, "H1").versions]
    assert changes == [("recorded", "sha", None), ("enlarged", "sha", "S2"),
                       ("confirmed", "cha", "S3")]
    (at_feb,) = [h for h in hazards_at(store, dt.date(2022, 2, 15)) if h.id == "H1"]
    assert at_feb.kind == d.HazardKind.SHA


# --- invariants on random polygons --------------------------------------------------------

coord = st.floats(min_value=0, max_value=2000, allow_nan=False)


@st.composite
def metric_polygon(draw):
    """A random valid polygon (convex hull of random points, possibly with a hole)."""
    pts = draw(st.lists(st.tuples(coord, coord), min_size=3, max_size=9))
    hull = shapely.MultiPoint(pts).convex_hull
    if not isinstance(hull, Polygon) or hull.area < 100:
        hull = box(0, 0, 500, 500)
    poly = shapely.segmentize(hull, 20.0)
    return MultiPolygon([shapely.transform(poly, lambda xy: __import__("numpy").column_stack(
        _TO_LL.transform(xy[:, 0], xy[:, 1])))])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(hazard_polys=st.lists(metric_polygon(), min_size=1, max_size=3),
       act_polys=st.lists(metric_polygon(), min_size=1, max_size=5),
       kinds=st.lists(st.sampled_from(["nts", "ts", "clearance"]), min_size=5, max_size=5),
       order=st.randoms(use_true_random=False))
def test_release_invariants(store_url, new_store_url, hazard_polys, act_polys, kinds, order):
    hs = [hazard(f"H{i}", g) for i, g in enumerate(hazard_polys)]
    acts = [activity(f"A{i}", kinds[i], g, dt.date(2022, 1, 1) + dt.timedelta(days=30 * i),
                     outside_hazard=True) for i, g in enumerate(act_polys)]
    shuffled = list(acts)
    order.shuffle(shuffled)
    finals = []
    for batch in (acts, shuffled):
        s = open_store(new_store_url())
        s.create()
        try:
            load(s, [dataclasses.replace(h) for h in hs], batch)
            steps = s.query("release-steps")
            for h in hs:
                mine = [x for x in steps if x.hazard_id == h.id]
                now = s.get(d.Hazard, h.id)
                assert area_m2(h.geometry) == pytest.approx(
                    area_m2(now.geometry) + sum(x.area_m2 for x in mine), abs=0.1)
                for i, a in enumerate(mine):  # no square metre released twice
                    for b in mine[i + 1:]:
                        assert area_m2(a.geometry.intersection(b.geometry)) < 0.01
            finals.append({h.id: s.get(d.Hazard, h.id) for h in hs})
        finally:
            s.close()
    for hid in finals[0]:
        a, b = finals[0][hid], finals[1][hid]
        assert a.status == b.status
        assert area_m2(a.geometry.symmetric_difference(b.geometry)) < 0.01


def test_overlapping_hazards_are_reported(store, tmp_path):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": hid, "kind": "sha"},
         "geometry": metric_box(*b).__geo_interface__}
        for hid, b in (("H1", (0, 0, 100, 100)), ("H2", (50, 0, 150, 100)),
                       ("H3", (300, 0, 400, 100)))]}
    path = tmp_path / "h.geojson"
    path.write_text(json.dumps(fc))
    result = import_file(store, "hazards", path)
    (message,) = result.messages
    assert "1 pair of open hazards overlaps: H1/H2 (5,000 m²)" in message


def test_survey_that_creates_a_hazard_still_has_its_evidence_checked(store, tmp_path):
    feature = {"type": "Feature", "geometry": metric_box(0, 0, 100, 100).__geo_interface__,
               "properties": {"id": "S1", "kind": "nts", "operator": "OP", "ended_on":
                              "2022-01-01", "survey_result": "new_hazard", "hazard_id": "H-NEW",
                              "evidence_id": "EV-MISSING"}}
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(InvalidInput) as err:
        import_file(store, "activities", path)
    assert [p.field for p in err.value.problems] == ["evidence_id"]
    feature["properties"].pop("evidence_id")
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    import_file(store, "activities", path)
    assert store.get(d.Hazard, "H-NEW").kind == d.HazardKind.SHA


def test_many_activities_read_the_hazards_at_once_and_end_as_one_by_one(
        store_url, new_store_url, monkeypatch):
    """Above engine.BULK activities the open hazards are read in one query (the activities'
    bounding box) rather than one per activity: the history written is the same."""
    from mineaction.release import engine

    hs = [hazard(f"H{i}", metric_box(i * 100, 0, i * 100 + 150, 100)) for i in range(8)]
    acts = [activity(f"A{k:02d}", ("nts", "ts", "clearance")[k % 3],
                     metric_box(k * 15, 20 + k % 4 * 10, k * 15 + 40, 70 + k % 4 * 10),
                     dt.date(2022, 1, 1) + dt.timedelta(days=k * 7)) for k in range(56)]
    results = []
    for bulk in (0, 1000):
        monkeypatch.setattr(engine, "BULK", bulk)
        with open_store(new_store_url()) as s:
            s.create()
            load(s, [hazard(h.id, h.geometry) for h in hs], acts)
            results.append((
                [(st.id, round(st.area_m2, 3)) for st in s.query("release-steps")],
                [(v.id, v.change, round(v.area_m2, 3)) for v in s.query("hazard-versions")],
                [(h.id, h.status, h.closed_by, h.version) for h in s.query(d.Hazard)]))
    assert results[0] == results[1]
    assert len(results[0][0]) > 56

"""The risk education report: beneficiaries by sex and age group, method, audience, place,
district, and distance band to the nearest open hazard; small counts suppressed."""

from __future__ import annotations

import datetime as dt

import pyproj
import pytest
from shapely.geometry import Point

from mineaction import domain as d
from mineaction.errors import InvalidInput
from mineaction.geo.measure import distance_m
from mineaction.quality.distance import Nearest
from mineaction.services import reports

from .test_reject import setup

GEOD = pyproj.Geod(ellps="WGS84")


def away(p: Point, metres: float) -> Point:
    lon, lat, _ = GEOD.fwd(p.x, p.y, 90.0, metres)
    return Point(lon, lat)


def session(sid: str, where: Point | None, counts: tuple[int, int, int, int], **kw
            ) -> d.RiskEducationSession:
    g, b, w, m = counts
    return d.RiskEducationSession(id=sid, held_on=dt.date(2023, 6, 1), girls=g, boys=b,
                                  women=w, men=m, geometry=where, source="synthetic:test",
                                  **kw)


def test_distance_is_geodesic_and_banded():
    from shapely.geometry import box

    h = box(50.5, 41.0, 50.51, 41.01)
    n = Nearest([h])
    p = Point(50.53, 41.005)
    assert abs(n.distance_m(p) - distance_m(50.53, 41.005, 50.51, 41.005)) < 0.5
    assert n.band(Point(50.505, 41.005)) == "under 1 km"
    assert n.band(p) == "1-5 km"
    assert n.band(Point(50.7, 41.005)) == "over 5 km"
    assert n.band(None) == "no location"
    assert Nearest([]).band(p) == "no open hazard"


def test_eore_report_by_group_method_and_distance(store):
    ctx = setup(store)
    h2 = store.get(d.Hazard, "H2")  # half of it still open
    inside = h2.geometry.representative_point()
    edge_lon = h2.geometry.bounds[2]
    east = Point(edge_lon, inside.y)
    with store.transaction() as tx:
        tx.add_many([
            session("E1", inside, (10, 12, 20, 8), method="group_session",
                    audience="community", place="school"),
            session("E2", away(east, 3000), (6, 7, 9, 11), method="house_to_house",
                    audience="farmers", place="home"),
            session("E3", away(east, 20_000), (30, 30, 30, 30), method="group_session",
                    audience="community", place="village_square"),
            session("E4", None, (2, 0, 0, 1), method="mass_media"),
        ])
    rep = reports.build(ctx, "eore", reports.period(2023))
    t = {x.name: x for x in rep.tables}
    dist = {r["distance"].value: r for r in t["distance"].rows}
    assert dist["under 1 km"]["girls"].value == 10 and dist["under 1 km"]["total"].value == 50
    assert dist["1-5 km"]["men"].value == 11 and dist["1-5 km"]["sessions"].value == 1
    assert dist["over 5 km"]["total"].value == 120
    assert dist["over 5 km"]["total"].figure.ids == ["E3"]
    # three people without a location: below the threshold, hidden
    nl = dist["no location"]
    assert nl["girls"].suppressed and nl["total"].suppressed
    method = {r["method"].value: r for r in t["method"].rows}
    assert method["group_session"]["sessions"].value == 2
    assert method["group_session"]["women"].value == 50
    assert t["method"].total["total"].value == 50 + 33 + 120 + 3
    assert {r["place"].value for r in t["place"].rows} == {
        "school", "home", "village_square", "(not recorded)"}
    # nothing below the threshold is printed, in any table
    for x in rep.tables:
        for row in x.all_rows():
            for col in ("girls", "boys", "women", "men", "total"):
                c = row[col]
                assert c.suppressed or not (0 < (c.value or 0) < 5), (x.name, col)


def test_report_eore_command(store, store_url, capsys):
    from mineaction.cli import main

    setup(store)
    with store.transaction() as tx:
        tx.add(session("E1", Point(50.5, 41.0), (10, 10, 10, 10), method="group_session"))
    assert main(["--db", store_url, "report", "eore", "--year", "2023"]) == 0
    assert "By distance to the nearest hazard" in capsys.readouterr().out


def test_eore_by_district_and_period_with_distances_explained(store):
    ctx = setup(store)
    h2 = store.get(d.Hazard, "H2")
    inside = h2.geometry.representative_point()
    east = Point(h2.geometry.bounds[2], inside.y)
    with store.transaction() as tx:
        tx.add_many([
            session("E1", inside, (10, 12, 20, 8)),
            session("E2", away(east, 3000), (6, 7, 9, 11)),
            d.RiskEducationSession(id="E5", held_on=dt.date(2023, 11, 2), girls=5, boys=5,
                                   women=5, men=5, geometry=away(east, 2000),
                                   source="synthetic:test")])
    rep = reports.build(ctx, "eore", reports.period(2023))
    t = {x.name: x for x in rep.tables}
    assert "district" not in t  # the district table is by district and period
    rows = t["district-period"].rows
    assert [(r["district"].value, r["period"].value, r["sessions"].value) for r in rows] == [
        ("(not recorded)", "2023", 3)]
    q = reports.build(ctx, "eore", reports.period(None, dt.date(2023, 1, 1),
                                                  dt.date(2023, 12, 31)), by=("quarter",))
    rows = {x.name: x for x in q.tables}["district-period"].rows
    assert {r["period"].value: r["sessions"].value for r in rows} == {"2023-Q2": 2,
                                                                      "2023-Q4": 1}
    assert {r["period"].value: r["men"].value for r in rows} == {"2023-Q2": 19, "2023-Q4": 5}
    # the distance of every session is explained, beside the sessions it counts
    band = {r["distance"].value: r for r in t["distance"].rows}
    crit = band["1-5 km"]["sessions"].figure.criteria
    assert set(crit["distance_m"]) == {"E2", "E5"}
    assert 2990 < crit["distance_m"]["E2"] < 3010 and 1990 < crit["distance_m"]["E5"] < 2010
    assert band["under 1 km"]["sessions"].figure.criteria["distance_m"] == {"E1": 0.0}
    assert "distance_m" not in band["1-5 km"]["girls"].figure.criteria
    with pytest.raises(InvalidInput):
        reports.build(ctx, "eore", reports.period(2023), by=("area",))

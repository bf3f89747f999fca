"""Traverse maths: angle units, norths, grid convergence, and legs on the ellipsoid."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyproj
import pytest

from mineaction.domain.minefield_records import parse_record
from mineaction.geo.measure import area_m2, distance_m, length_m
from mineaction.geo.traverse import to_degrees, true_bearing, working_plane
from mineaction.records.georef import georeference

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "minefield-records" / "MR-0001.json"


def test_angle_units() -> None:
    assert to_degrees(1500, "mil6000") == pytest.approx(90.0)
    assert to_degrees(1600, "mil6400") == pytest.approx(90.0)
    assert to_degrees(1500, "mil6400") == pytest.approx(84.375)  # 1/16 short
    assert true_bearing(10, "degrees", "magnetic", declination_deg=6.5) == pytest.approx(16.5)
    assert true_bearing(358, "degrees", "magnetic", declination_deg=6) == pytest.approx(4.0)
    assert true_bearing(90, "degrees", "grid", convergence_deg=-0.8) == pytest.approx(89.2)
    with pytest.raises(ValueError):
        to_degrees(1, "grads")


def test_gauss_kruger_convergence_sign_and_size() -> None:
    plane = working_plane(pyproj.CRS.from_epsg(28409))  # central meridian 51 E
    t = pyproj.Transformer.from_crs(4284, 28409, always_xy=True)
    for lon in (50.4, 51.6):
        x, y = t.transform(lon, 41.4)
        gamma, k = plane.factors(x, y)
        expected = math.degrees(math.atan(math.tan(math.radians(lon - 51.0))
                                          * math.sin(math.radians(41.4))))
        assert gamma == pytest.approx(expected, abs=0.002)
        assert 1.0 <= k < 1.0001


def _record(crs: str, x: float, y: float, reference: str, unit: str = "degrees",
            **bearings: float) -> dict:
    return {"record_id": "T1", "provider": "test", "crs": crs,
            "reference_points": [{"id": "RP", "x": x, "y": y}],
            "bearings": {"reference": reference, "unit": unit, **bearings},
            "turning_points": [
                {"id": "A", "from": "RP", "bearing": 90, "distance_m": 1000},
                {"id": "B", "from": "A", "bearing": 0, "distance_m": 500},
                {"id": "C", "from": "B", "bearing": 270, "distance_m": 1000}],
            "perimeter": ["RP", "A", "B", "C"]}


def test_true_bearings_on_the_ellipsoid() -> None:
    g = georeference(parse_record(_record("EPSG:4326", 51.0, 41.5, "true")))
    geod = pyproj.Geod(ellps="WGS84")
    az, _, dist = geod.inv(*g.points["RP"], *g.points["A"])
    assert dist == pytest.approx(1000.0, abs=0.01)
    assert az == pytest.approx(90.0, abs=0.001)
    az, _, dist = geod.inv(*g.points["A"], *g.points["B"])
    assert (az, dist) == (pytest.approx(0.0, abs=0.001), pytest.approx(500.0, abs=0.01))
    assert area_m2(g.perimeter) == pytest.approx(500_000, rel=5e-4)  # not quite closed
    assert g.operation is None


def test_magnetic_bearings_rotate_by_the_declination() -> None:
    g = georeference(parse_record(_record("EPSG:4326", 51.0, 41.5, "magnetic",
                                          declination_deg=6.0)))
    az, _, dist = pyproj.Geod(ellps="WGS84").inv(*g.points["RP"], *g.points["A"])
    assert az == pytest.approx(96.0, abs=0.001) and dist == pytest.approx(1000.0, abs=0.01)


def test_grid_bearings_follow_the_grid_true_bearings_the_meridian() -> None:
    t = pyproj.Transformer.from_crs(4284, 28409, always_xy=True)
    x, y = t.transform(51.6, 41.5)  # 0.6 degrees east of the central meridian
    gamma = working_plane(pyproj.CRS.from_epsg(28409)).factors(x, y)[0]
    grid = georeference(parse_record(_record("EPSG:28409", x, y, "grid")), "EPSG:1808")
    true = georeference(parse_record(_record("EPSG:28409", x, y, "true")), "EPSG:1808")
    geod = pyproj.Geod(ellps="WGS84")
    az_grid = geod.inv(*grid.points["A"], *grid.points["B"])[0]
    az_true = geod.inv(*true.points["A"], *true.points["B"])[0]
    assert az_true == pytest.approx(0.0, abs=0.01)
    assert az_grid == pytest.approx(gamma, abs=0.01)  # grid north is east of true north here
    assert gamma > 0.3
    assert "Pulkovo 1942 to WGS 84 (14)" in (grid.operation or "")


def test_sk42_is_about_a_hundred_metres_from_wgs84_here() -> None:
    a = georeference(parse_record(_record("EPSG:4284", 51.0, 41.4, "true")), "EPSG:1808")
    b = georeference(parse_record(_record("EPSG:4326", 51.0, 41.4, "true")))
    d = distance_m(*a.points["RP"], *b.points["RP"])
    assert 60 < d < 150


def test_default_transformation_warns_and_is_recorded() -> None:
    from mineaction.geo.crs import DatumWarning

    rec = _record("EPSG:4284", 51.0, 41.4, "true")
    with pytest.warns(DatumWarning):
        g = georeference(parse_record(rec))
    assert g.operation and "Pulkovo 1942 to WGS 84" in g.operation
    assert g.warnings and "Name one" in g.warnings[0]
    # the warning keeps its message: said in the reader's language where it is shown
    from mineaction.messages import in_locale

    said = in_locale(g.warnings[0], "ru")
    assert "использует иной датум, чем WGS84" in said and "Name one" not in said
    with pytest.warns(DatumWarning) as caught:  # the warning raised names the record
        georeference(parse_record(rec))
    (raised,) = [w for w in caught if "record " in str(w.message)]
    assert in_locale(raised.message.args[0], "ka").startswith("ჩანაწერი ")


def test_example_rows_and_mines() -> None:
    g = georeference(parse_record(json.loads(EXAMPLE.read_text("utf-8"))))
    assert area_m2(g.perimeter) == pytest.approx(200 * 60, rel=2e-3)
    assert {k: round(length_m(v), 1) for k, v in g.rows.items()} == {
        "R1": 200.0, "R2": 200.0, "R3": 200.0}
    r1 = g.mine_lonlat[:40]
    gaps = [distance_m(*r1[i], *r1[i + 1]) for i in range(39)]
    assert np.allclose(gaps, 5.0, atol=0.01)
    # R2 lies 15 m to the right of R1 (south of an eastward row)
    d = distance_m(*g.mine_lonlat[0], *g.mine_lonlat[40])
    assert d == pytest.approx(15.0, abs=0.01)
    assert g.mine_lonlat[40][1] < g.mine_lonlat[0][1]
    assert len(g.mines) == 101 and g.mines[-1].id == "M1"

import warnings

import pytest
from shapely import wkt
from shapely.geometry import box

from mineaction.errors import InvalidInput
from mineaction.geo.crs import DatumWarning, parse_crs, reprojection
from mineaction.geo.measure import area_m2, distance_m, length_m
from mineaction.geo.validate import check_geometry, repair


def test_area_is_geodesic_square_metres_not_degrees():
    # a 0.01 x 0.01 degree cell at 41 N is about 1112 m x 840 m
    a = area_m2(box(50.5, 41.0, 50.51, 41.01))
    assert a == pytest.approx(1_112 * 839.6, rel=2e-3)
    # the same cell nearer the pole is smaller
    assert area_m2(box(50.5, 60.0, 50.51, 60.01)) < a
    assert area_m2(wkt.loads("POINT (50 41)")) == 0.0


def test_lengths_and_distances_in_metres():
    assert distance_m(50.0, 41.0, 50.0, 42.0) == pytest.approx(111_061, rel=1e-3)
    assert length_m(wkt.loads("LINESTRING (50 41, 50 42)")) == pytest.approx(111_061, rel=1e-3)


def test_invalid_polygon_reason_says_where():
    bow = wkt.loads("POLYGON ((47 39, 47.2 39.2, 47.2 39, 47 39.2, 47 39))")
    problem = check_geometry(bow, "MULTIPOLYGON")
    assert problem.reason == "self-intersection at 47.100000, 39.100000"
    assert problem.repairable
    fixed = repair(bow)
    assert fixed.geometry.is_valid and len(fixed.geometry.geoms) == 2
    assert "self-intersection" in fixed.note


def test_unknown_crs_is_invalid_input():
    with pytest.raises(InvalidInput, match="unknown CRS"):
        parse_crs("EPSG:123456789")
    assert parse_crs("4284").to_epsg() == 4284


def test_pulkovo_shift_is_about_100_m_and_named():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rp = reprojection("EPSG:4284", bounds=(47.0, 40.0, 47.1, 40.1))
    assert any(issubclass(w.category, DatumWarning) for w in caught)
    assert "Pulkovo 1942 to WGS 84" in rp.operation
    chosen = reprojection("EPSG:4284", "EPSG:1808", bounds=(47.0, 40.0, 47.1, 40.1))
    x, y = chosen.apply_xy([47.0], [40.0])
    assert distance_m(47.0, 40.0, x[0], y[0]) == pytest.approx(100.8, abs=0.5)
    with pytest.raises(InvalidInput, match="not among the transformations"):
        reprojection("EPSG:4284", "EPSG:1173", bounds=(47.0, 40.0, 47.1, 40.1))


def test_wgs84_needs_no_transformation():
    rp = reprojection("EPSG:4326")
    assert rp.transformer is None and rp.operation is None

"""Repairing invalid polygons: a valid polygon with an area, or a refusal saying why.

The awkward shapes are near-degenerate rings in longitude/latitude, where GEOS's "structure"
method alone gives an invalid or an empty result; they were found by generating small random
rings with a nearly repeated vertex in the demo territory.
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from shapely import wkt

from mineaction.geo.validate import RepairFailed, check_geometry, drawn_area_m2, repair

BOW_TIE = "POLYGON ((50.5 41, 50.51 41.01, 50.51 41, 50.5 41.01, 50.5 41))"
# a ring that touches itself at one vertex, enclosing a hole drawn as part of the shell
SELF_TOUCHING = ("POLYGON ((50.5 41, 50.52 41, 50.52 41.02, 50.51 41.02, 50.515 41.01, "
                 "50.505 41.01, 50.51 41.02, 50.5 41.02, 50.5 41))")
# a spike: out 0.02 degrees along an edge and straight back
SPIKE = ("POLYGON ((50.5 41, 50.51 41, 50.51 41.005, 50.53 41.005, 50.51 41.005, 50.51 41.01, "
         "50.5 41.01, 50.5 41))")
NESTED = ("MULTIPOLYGON (((50.5 41, 50.52 41, 50.52 41.02, 50.5 41.02, 50.5 41)), "
          "((50.505 41.005, 50.515 41.005, 50.515 41.015, 50.505 41.015, 50.505 41.005)))")
# "structure" gives an invalid MultiPolygon here (its parts touch at a point)
STRUCTURE_INVALID = ("POLYGON ((50.500088150065444 41.00010436693769, 50.500609655 41.000503952, "
                     "50.500030815 41.000090743, 50.500645882 41.000236895, "
                     "50.500088150065444 41.00010436693769))")
# a bow-tie with a vertex repeated 1e-12 degrees away: "structure" gives an empty polygon
STRUCTURE_EMPTY = ("POLYGON ((50.5002513 41.0009498, 50.50025130000053 41.00094980000057, "
                   "50.50035699470112 41.00092397497892, 50.5004605 41.0007695, "
                   "50.5005382 41.0008797, 50.5002513 41.0009498))")
# every vertex on one line: nothing with an area to keep
COLLINEAR = "POLYGON ((50.5 41, 50.51 41.01, 50.52 41.02, 50.5 41))"
# a ring drawn out and back (a line digitised as a polygon)
OUT_AND_BACK = "POLYGON ((50.5 41, 50.51 41.01, 50.5 41, 50.51 41.01, 50.5 41))"


def laea_area(geom) -> float:
    """Area in m² in a Lambert equal-area projection centred on the shape: independent of the
    geodesic measure under test."""
    c = geom.centroid
    to_laea = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=laea +lat_0={c.y} +lon_0={c.x} +ellps=WGS84", always_xy=True)
    return shapely.transform(
        geom, lambda xy: np.column_stack(to_laea.transform(xy[:, 0], xy[:, 1]))).area


def assert_good(result) -> None:
    g = result.geometry
    assert g.geom_type in ("Polygon", "MultiPolygon")
    assert shapely.is_valid(g) and not g.is_empty
    assert check_geometry(g, "MULTIPOLYGON") is None
    assert result.area_after_m2 == pytest.approx(laea_area(g), rel=1e-4)
    assert "repaired" in result.note and result.method in result.note


@pytest.mark.parametrize("text,parts", [(BOW_TIE, 2), (SELF_TOUCHING, 1), (SPIKE, 1),
                                        (NESTED, 1)])
def test_repairs_give_a_valid_polygon_with_its_area(text, parts):
    geom = wkt.loads(text)
    assert check_geometry(geom, "MULTIPOLYGON").repairable
    result = repair(geom)
    assert_good(result)
    assert len(shapely.get_parts(result.geometry)) == parts
    assert result.method == "structure"


def test_spike_is_cut_and_area_kept():
    result = repair(wkt.loads(SPIKE))
    assert result.area_after_m2 == pytest.approx(laea_area(wkt.loads(
        "POLYGON ((50.5 41, 50.51 41, 50.51 41.01, 50.5 41.01, 50.5 41))")), rel=1e-4)
    assert result.geometry.bounds[2] == pytest.approx(50.51)


def test_nested_shell_is_kept_as_one_shape_and_the_area_change_reported():
    result = repair(wkt.loads(NESTED))
    outer = wkt.loads("POLYGON ((50.5 41, 50.52 41, 50.52 41.02, 50.5 41.02, 50.5 41))")
    assert result.geometry.equals(outer)
    # as drawn, both shells count: the repair takes the inner one out of the sum
    assert result.area_before_m2 > result.area_after_m2
    assert result.area_before_m2 == pytest.approx(
        laea_area(outer) + laea_area(wkt.loads(NESTED).geoms[1]), rel=1e-4)


def test_area_as_drawn_counts_what_the_file_draws():
    # the bow-tie's two lobes, traced in opposite directions, cancel
    assert drawn_area_m2(wkt.loads(BOW_TIE)) == pytest.approx(0, abs=1.0)
    assert repair(wkt.loads(BOW_TIE)).area_after_m2 == pytest.approx(
        laea_area(wkt.loads("POLYGON ((50.5 41, 50.51 41, 50.51 41.01, 50.5 41.01, 50.5 41))"))
        / 2, rel=1e-3)
    holed = wkt.loads("POLYGON ((50.5 41, 50.51 41, 50.51 41.01, 50.5 41.01, 50.5 41), "
                      "(50.502 41.002, 50.503 41.002, 50.503 41.003, 50.502 41.002))")
    assert drawn_area_m2(holed) == pytest.approx(laea_area(holed), rel=1e-4)


def test_duplicate_points_are_valid_and_need_no_repair():
    geom = wkt.loads("POLYGON ((50.5 41, 50.51 41, 50.51 41, 50.51 41.01, 50.5 41.01, 50.5 41))")
    assert check_geometry(geom, "MULTIPOLYGON") is None


def test_structure_giving_an_invalid_result_still_ends_valid():
    geom = wkt.loads(STRUCTURE_INVALID)
    first = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    assert not shapely.is_valid(first), "GEOS now repairs this shape alone: pick another case"
    assert_good(repair(geom))


def test_structure_giving_nothing_falls_back_to_linework():
    geom = wkt.loads(STRUCTURE_EMPTY)
    first = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    assert first.is_empty, "GEOS now repairs this shape alone: pick another case"
    result = repair(geom)
    assert_good(result)
    assert result.method == "linework" and result.area_after_m2 > 100


@pytest.mark.parametrize("text", [COLLINEAR, OUT_AND_BACK])
def test_a_ring_collapsing_to_a_line_is_refused_with_the_reason(text):
    with pytest.raises(RepairFailed) as caught:
        repair(wkt.loads(text))
    message = str(caught.value)
    assert message.startswith("repair failed: self-intersection at ")
    assert "collapses to a line or a point" in message and "--repair" not in message


def test_only_polygons_are_repaired():
    line = shapely.LineString([(50.5, 41.0), (50.5, 41.0)])
    with pytest.raises(RepairFailed, match="only polygons are repaired"):
        repair(line)

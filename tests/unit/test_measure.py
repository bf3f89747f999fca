"""Geodesic areas and lengths, checked against an independent computation written here: the
same rings densified by a loop of our own, projected to a Lambert azimuthal equal-area
projection centred on the shape (PROJ), and measured with the shoelace formula."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from shapely import wkt
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from mineaction.geo.measure import (
    SEGMENT_DEG,
    area_m2,
    area_m2_crosscheck,
    equal_area_m2,
    length_m,
)

#: HZ-000051 of the default demo: 315,248 m², measured as ~0 when densified by GEOS 3.14.
HZ_000051 = wkt.loads(
    "MULTIPOLYGON (((50.831447435582504 41.07170591787302, 50.8252506240462 41.07431251426012, "
    "50.825222205947306 41.074272086168854, 50.82501878643415 41.074083744335084, "
    "50.82477072197945 41.07392905258541, 50.82464529400191 41.073878072478585, "
    "50.82992596125419 41.07146101913816, 50.82771913444522 41.06869985590074, "
    "50.819228634391955 41.0725858434415, 50.82143523475251 41.075347166950415, "
    "50.82222118535077 41.07498748836792, 50.82224813760266 41.07519898904756, "
    "50.822340820731284 41.07543190559753, 50.8223975514404 41.075512616716495, "
    "50.821389581359924 41.07593660430345, 50.831447435582504 41.07170591787302)))")

M_PER_DEG_LAT = 111_000.0  # rough: only to size the random shapes


# -- the independent computation --------------------------------------------------------------

def _dense_ring(coords: np.ndarray) -> np.ndarray:
    """Each edge split into ceil(length / SEGMENT_DEG) equal parts, edge by edge."""
    pts = []
    for (x0, y0), (x1, y1) in zip(coords[:-1], coords[1:], strict=True):
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / SEGMENT_DEG))
        for j in range(n):
            pts.append((x0 + (x1 - x0) * j / n, y0 + (y1 - y0) * j / n))
    pts.append(tuple(coords[-1]))
    return np.array(pts)


def _laea(geom: BaseGeometry) -> pyproj.Transformer:
    minx, miny, maxx, maxy = geom.bounds
    crs = pyproj.CRS.from_dict({"proj": "laea", "lat_0": (miny + maxy) / 2,
                                "lon_0": (minx + maxx) / 2, "ellps": "WGS84"})
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _shoelace(xy: np.ndarray) -> float:
    x = xy[:, 0] - xy[0, 0]
    y = xy[:, 1] - xy[0, 1]
    return abs(float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))) / 2


def reference_area(geom: BaseGeometry) -> float:
    tr = _laea(geom)
    total = 0.0
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    for poly in polys:
        rings = [poly.exterior, *poly.interiors]
        for k, ring in enumerate(rings):
            dense = _dense_ring(np.asarray(ring.coords))
            x, y = tr.transform(dense[:, 0], dense[:, 1])
            a = _shoelace(np.column_stack([x, y]))
            total += a if k == 0 else -a
    return total


def dense_vertices(geom: BaseGeometry) -> int:
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    return sum(len(_dense_ring(np.asarray(r.coords))) for p in polys
               for r in (p.exterior, *p.interiors))


def reference_length(geom: BaseGeometry) -> float:
    """Projected length: LAEA is not conformal, but its scale error within 10 km of the centre
    is under 1e-6."""
    tr = _laea(geom)
    paths = ([geom] if geom.geom_type == "LineString"
             else [r for p in getattr(geom, "geoms", [geom]) for r in (p.exterior, *p.interiors)])
    total = 0.0
    for path in paths:
        dense = _dense_ring(np.asarray(path.coords))
        x, y = tr.transform(dense[:, 0], dense[:, 1])
        total += float(np.hypot(np.diff(x), np.diff(y)).sum())
    return total


# -- random shapes in the demo territory --------------------------------------------------------

centres = st.tuples(st.floats(50.4, 51.6), st.floats(41.0, 41.8))


def _to_lonlat(cx: float, cy: float, dx_m: np.ndarray, dy_m: np.ndarray) -> np.ndarray:
    return np.column_stack([cx + dx_m / (M_PER_DEG_LAT * math.cos(math.radians(cy))),
                            cy + dy_m / M_PER_DEG_LAT])


@st.composite
def stars(draw: st.DrawFn, centre: tuple[float, float] | None = None,
          max_radius_m: float = 5_600.0) -> Polygon:
    """A star-shaped polygon (concave in general) of 3-40 vertices, 1 m² to ~100 km²."""
    cx, cy = centre or draw(centres)
    n = draw(st.integers(3, 40))
    radius = draw(st.floats(0.8, max_radius_m))
    angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * math.pi, exclude_max=True),
                                            min_size=n, max_size=n, unique=True))))
    spikes = np.array(draw(st.lists(st.floats(0.15, 1.0), min_size=n, max_size=n)))
    r = radius * spikes
    xy = _to_lonlat(cx, cy, r * np.cos(angles), r * np.sin(angles))
    poly = Polygon(xy)
    assume(poly.is_valid and not poly.is_empty)
    assume(reference_area(poly) >= 1.0)
    return poly


@st.composite
def slivers(draw: st.DrawFn) -> Polygon:
    """A long thin quadrilateral at any bearing: 5 m to 20 km long, 1:10 to 1:100,000 wide."""
    cx, cy = draw(centres)
    length = draw(st.floats(5.0, 20_000.0))
    width = max(length * draw(st.floats(1e-5, 0.1)), 1.0 / length)
    bearing = draw(st.floats(0, math.pi))
    skew = draw(st.floats(-0.4, 0.4))
    u = np.array([math.cos(bearing), math.sin(bearing)])
    v = np.array([-u[1], u[0]])
    corners = np.array([-length / 2 * u, length / 2 * u + skew * width * u + width * v,
                        length / 2 * u + 2 * width * v, -length / 2 * u + width * v])
    poly = Polygon(_to_lonlat(cx, cy, corners[:, 0], corners[:, 1]))
    assume(poly.is_valid)
    return poly


@st.composite
def holed(draw: st.DrawFn) -> Polygon:
    """A star with a hole: the star shrunk towards its centre (inside it, as it is a star)."""
    outer = draw(stars())
    c = np.asarray(outer.exterior.coords)
    centre = c[:-1].mean(axis=0)
    k = draw(st.floats(0.05, 0.8))
    poly = Polygon(outer.exterior.coords, [centre + k * (c - centre)])
    assume(poly.is_valid)
    return poly


@st.composite
def multis(draw: st.DrawFn) -> MultiPolygon:
    parts = draw(st.lists(st.one_of(stars(max_radius_m=2_000.0), slivers()), min_size=2,
                          max_size=4))
    geom = MultiPolygon(parts)
    assume(geom.is_valid)
    return geom


shapes = st.one_of(stars(), slivers(), holed(), multis())

def hyp(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# -- tests ----------------------------------------------------------------------------------------

def _close(ours: float, ref: float, geom: BaseGeometry) -> bool:
    """1e-8 relative, and 2e-5 m² per densified vertex: GeographicLib's round-off in the area
    between each geodesic edge and the equator (measured up to 8e-6 m² per vertex here)."""
    return abs(ours - ref) <= 1e-8 * ref + 2e-5 * dense_vertices(geom)


def test_hz_000051_is_measured_whole():
    ours, second = area_m2_crosscheck(HZ_000051)
    ref = reference_area(HZ_000051)
    assert ref == pytest.approx(315_248, abs=1)
    assert _close(ours, ref, HZ_000051) and _close(second, ref, HZ_000051)


@hyp(200)
@given(shapes)
@example(HZ_000051)
def test_area_agrees_with_an_equal_area_projection(geom):
    ref = reference_area(geom)
    ours = area_m2(geom)
    assert ours > 0, "a valid polygon is never measured 0"
    assert _close(ours, ref, geom), (ours, ref, geom.wkt)
    assert _close(equal_area_m2(geom), ref, geom)


@hyp(150)
@given(shapes, st.floats(0, math.pi), st.floats(0.05, 0.95))
@example(HZ_000051, 1.0, 0.4)
def test_areas_add_up_under_a_straight_cut(geom, bearing, where):
    """remaining + released = original: parts from a cut in lon/lat along an arbitrary line."""
    minx, miny, maxx, maxy = geom.bounds
    px, py = minx + where * (maxx - minx), miny + where * (maxy - miny)
    dx, dy = math.cos(bearing), math.sin(bearing)
    far = 10 * max(maxx - minx, maxy - miny, 1e-6)
    half = Polygon([(px - far * dx, py - far * dy), (px + far * dx, py + far * dy),
                    (px + far * dx - far * dy, py + far * dy + far * dx),
                    (px - far * dx - far * dy, py - far * dy + far * dx)])
    a = shapely.intersection(geom, half)
    b = shapely.difference(geom, half)
    assume(not a.is_empty and not b.is_empty)
    assert abs(area_m2(a) + area_m2(b) - area_m2(geom)) < 0.1


@hyp(100)
@given(st.one_of(stars(max_radius_m=5_000.0), slivers()))
def test_perimeter_agrees_with_projected_length(geom):
    assume(geom.length < 0.3)  # within ~10 km of the projection's centre
    assert length_m(geom) == pytest.approx(reference_length(geom), rel=1e-5)
    line = geom.exterior
    assert length_m(line) == pytest.approx(length_m(geom), rel=1e-12)


def test_area_is_orientation_free_and_holes_count():
    outer = box(50.5, 41.0, 50.52, 41.02)
    inner = box(50.505, 41.005, 50.51, 41.01)
    assert area_m2(outer.reverse()) == pytest.approx(area_m2(outer), rel=1e-12)
    holed_ = Polygon(outer.exterior.coords, [inner.exterior.coords])
    assert area_m2(holed_) == pytest.approx(area_m2(outer) - area_m2(inner), rel=1e-9)
    coll = shapely.GeometryCollection([outer, shapely.Point(50.6, 41.1),
                                       MultiPolygon([box(50.6, 41.0, 50.61, 41.01)])])
    assert area_m2(coll) == pytest.approx(area_m2(outer) + area_m2(
        box(50.6, 41.0, 50.61, 41.01)), rel=1e-12)
    assert area_m2(shapely.LineString([(50.5, 41), (50.6, 41.1)])) == 0.0
    assert area_m2(Polygon()) == 0.0 and area_m2(None) == 0.0


def test_lengths_of_lines_and_polygons():
    line = shapely.LineString([(50.5, 41.0), (50.5, 41.01), (50.51, 41.01)])
    assert length_m(line) == pytest.approx(reference_length(line), rel=1e-6)
    multi = shapely.MultiLineString([line, shapely.LineString([(50.6, 41), (50.6, 41.01)])])
    assert length_m(multi) == pytest.approx(
        length_m(line) + length_m(multi.geoms[1]), rel=1e-12)
    assert length_m(shapely.Point(50, 41)) == 0.0


def test_areas_together_are_the_areas_one_at_a_time():
    from shapely.geometry import GeometryCollection, Point

    from mineaction.geo.measure import area_m2, areas_m2

    rng = np.random.default_rng(2)
    geoms = []
    for i in range(40):
        parts = []
        for k in range(1 + i % 4):  # up to four parts, some with a hole
            x, y = 50.5 + 0.1 * k + rng.uniform(0, 0.05), 41 + rng.uniform(0, 0.5)
            b = shapely.affinity.rotate(box(x, y, x + rng.uniform(0.001, 0.05),
                                            y + rng.uniform(0.001, 0.05)), rng.uniform(0, 90))
            parts.append(b.difference(b.centroid.buffer(0.0005)) if k % 2 else b)
        geoms.append(MultiPolygon(parts) if len(parts) > 1 else parts[0])
    geoms += [None, Polygon(), MultiPolygon(), Point(50.5, 41),
              GeometryCollection([box(50.5, 41, 50.51, 41.01), Point(50.6, 41)])]
    together = areas_m2(geoms).tolist()
    assert together == [area_m2(g) for g in geoms]  # the same numbers, to the last bit
    assert together[-1] > 0 and together[-5:-1] == [0.0] * 4

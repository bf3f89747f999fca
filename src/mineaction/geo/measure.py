"""Areas and lengths in square metres and metres on the WGS84 ellipsoid, never in degrees.

A stored polygon's edges are straight lines in longitude/latitude (as in GeoJSON, GeoPackage
and every GIS that draws them). Its area is measured on the ellipsoid after densifying edges to
at most :data:`SEGMENT_DEG` degrees, so that areas add up exactly when a polygon is split along
an arbitrary line (remaining + released = original, to well under 0.1 m²), which computing
geodesic edges between the original vertices alone does not give (tens of m² per km² on a
diagonal cut).

Measurement runs no GEOS operation on the polygon: each ring's coordinates are densified here
(every edge split into ``ceil(length / SEGMENT_DEG)`` equal parts in longitude/latitude) and
measured with GeographicLib (``pyproj.Geod``). ``shapely.segmentize`` did the densifying before,
and with GEOS 3.14 it turns some valid polygons into slivers (libgeos/geos issue 1294): areas
of hundreds of thousands of m² measured as 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

SEGMENT_DEG = 0.0005  # about 40-55 m in the Caucasus


@lru_cache(maxsize=1)
def _geod() -> pyproj.Geod:
    return pyproj.Geod(ellps="WGS84")


def densify(xy: NDArray[np.float64], max_deg: float = SEGMENT_DEG) -> NDArray[np.float64]:
    """The points of a path ``xy`` (n x 2, longitude/latitude) with every edge split into
    ``ceil(length / max_deg)`` equal parts along the straight line in longitude/latitude
    (at least one part; the length is in degrees, as the stored edges are straight in them).

    The last point of ``xy`` is kept, so a closed ring stays closed. A sub-edge of an edge
    (what a straight cut leaves of it) gets points on the same line, which is what makes areas
    additive under cuts.
    """
    xy = np.asarray(xy, dtype=np.float64)[:, :2]
    if len(xy) < 2:
        return xy.copy()
    d = xy[1:] - xy[:-1]
    parts = np.maximum(1, np.ceil(np.hypot(d[:, 0], d[:, 1]) / max_deg)).astype(np.int64)
    edge = np.repeat(np.arange(len(d)), parts)
    starts = np.cumsum(parts) - parts
    step = np.arange(int(parts.sum())) - np.repeat(starts, parts)
    t = (step / parts[edge])[:, None]
    out = np.empty((len(edge) + 1, 2))
    out[:-1] = xy[edge] + t * d[edge]
    out[-1] = xy[-1]
    return out


def _polygons(geom: BaseGeometry) -> list[BaseGeometry]:
    """The non-empty polygons of a polygon, multipolygon or (nested) collection."""
    out: list[BaseGeometry] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if g.is_empty:
            continue
        if g.geom_type == "Polygon":
            out.append(g)
        elif g.geom_type in ("MultiPolygon", "GeometryCollection"):
            stack.extend(shapely.get_parts(g))
    return out


def _rings(poly: BaseGeometry) -> list[NDArray[np.float64]]:
    """Coordinates of the exterior ring, then of each hole (read, not computed by GEOS)."""
    return [shapely.get_coordinates(ring) for ring in shapely.get_rings(poly)]


def area_m2(geom: BaseGeometry | None) -> float:
    """Geodesic area in m² of a geometry in EPSG:4326 (longitude, latitude).

    Orientation does not matter: a polygon is its exterior ring's area less its holes'. Points
    and lines have no area (0.0); of a collection only the polygons count. The geometry is
    taken as it is: overlapping parts of an invalid multipolygon are counted twice, so check
    validity first (``geo.validate``).
    """
    if geom is None or geom.is_empty:
        return 0.0
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        return 0.0
    geod = _geod()
    total = 0.0
    for poly in _polygons(geom):
        for k, xy in enumerate(_rings(poly)):
            if len(xy) < 4:
                continue
            dense = densify(xy)[:-1]  # the ring closes itself
            area, _ = geod.polygon_area_perimeter(dense[:, 0], dense[:, 1])
            total += abs(area) if k == 0 else -abs(area)
    return total


def areas_m2(geoms: Sequence[BaseGeometry | None] | NDArray[Any]) -> NDArray[np.float64]:
    """:func:`area_m2` of each geometry, measured together: the polygons and rings of all of
    them are read in three shapely calls and densified in one numpy pass, and only the
    geodesic measure (GeographicLib) runs once per ring. The same numbers as :func:`area_m2`
    one geometry at a time (the same points, measured and added up in the same order); for a
    single geometry :func:`area_m2` is quicker."""
    arr = np.asarray(geoms, dtype=object).ravel()
    out = np.zeros(len(arr))
    if not len(arr):
        return out
    kinds = shapely.get_type_id(arr)
    polys: list[BaseGeometry] = []
    owner: list[int] = []
    plain = np.flatnonzero((kinds == 3) | (kinds == 6))  # Polygon, MultiPolygon
    if len(plain):
        parts, idx = shapely.get_parts(arr[plain], return_index=True)
        # a multipolygon's parts last to first, as _polygons() gives them to area_m2()
        pos = np.arange(len(idx))
        order = np.lexsort((np.where(kinds[plain][idx] == 6, -pos, pos), idx))
        polys.extend(parts[order])
        owner.extend(plain[idx[order]].tolist())
    for i in np.flatnonzero(kinds == 7):  # a collection: its polygons, at any depth
        found = _polygons(arr[i])
        polys.extend(found)
        owner.extend([int(i)] * len(found))
    if not polys:
        return out
    rings, ring_poly = shapely.get_rings(np.asarray(polys, dtype=object), return_index=True)
    if not len(rings):
        return out
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(ring_of, minlength=len(rings))
    # every edge of every ring densified as densify() does, the edges between rings left out
    d = xy[1:] - xy[:-1]
    parts_n = np.maximum(1, np.ceil(np.hypot(d[:, 0], d[:, 1]) / SEGMENT_DEG)).astype(np.int64)
    parts_n[ring_of[1:] != ring_of[:-1]] = 0
    edge = np.repeat(np.arange(len(d)), parts_n)
    starts = np.cumsum(parts_n) - parts_n
    step = np.arange(int(parts_n.sum())) - np.repeat(starts, parts_n)
    t = (step / parts_n[edge])[:, None]
    dense = xy[edge] + t * d[edge]
    dense_ring = ring_of[edge]
    ends = np.cumsum(np.bincount(dense_ring, minlength=len(rings)))
    begins = ends - np.bincount(dense_ring, minlength=len(rings))
    lon, lat = np.ascontiguousarray(dense[:, 0]), np.ascontiguousarray(dense[:, 1])
    geod = _geod()
    first = np.ones(len(rings), dtype=bool)
    first[1:] = ring_poly[1:] != ring_poly[:-1]  # the exterior ring comes first
    totals = [0.0] * len(arr)
    owners = np.asarray(owner)[ring_poly].tolist()
    for r, (b, e) in enumerate(zip(begins.tolist(), ends.tolist(), strict=True)):
        if counts[r] < 4:
            continue
        area, _ = geod.polygon_area_perimeter(lon[b:e], lat[b:e])
        totals[owners[r]] += abs(area) if first[r] else -abs(area)
    out[:] = totals
    return out


def overlap_groups(geoms: Sequence[BaseGeometry] | NDArray[Any]) -> list[list[int]]:
    """The geometries split into groups whose interiors overlap (transitively): the
    positions of each group, in order. Polygons that only touch stay apart."""
    arr = np.asarray(geoms, dtype=object)
    if len(arr) < 2:
        return [[k] for k in range(len(arr))]
    a, b = shapely.STRtree(arr).query(arr, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    inner = shapely.relate_pattern(arr[a], arr[b], "T********")  # interiors meet
    parent = list(range(len(arr)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for x, y in zip(a[inner].tolist(), b[inner].tolist(), strict=True):
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    groups: dict[int, list[int]] = {}
    for k in range(len(arr)):
        groups.setdefault(root(k), []).append(k)
    return list(groups.values())


def union_area_m2(geoms: Sequence[BaseGeometry | None]) -> float:
    """The geodesic area (m²) of the union of ``geoms``: each polygon measured on its own, and
    only the groups that overlap united and measured together (:func:`overlap_groups`).
    Areas add up under cuts, so this is the union's area without asking GEOS for the union of
    thousands of polygons that merely touch (such a union has lost whole polygons' area)."""
    kept = [g for g in geoms if g is not None and not g.is_empty]
    if not kept:
        return 0.0
    arr = np.asarray(kept, dtype=object)
    groups = overlap_groups(arr)
    alone = [m[0] for m in groups if len(m) == 1]
    total = float(areas_m2(arr[alone]).sum()) if alone else 0.0
    for members in groups:
        if len(members) > 1:
            total += area_m2(shapely.union_all(arr[members]))
    return total


def length_m(geom: BaseGeometry | None) -> float:
    """Geodesic length in metres of a line (or the perimeter of a polygon, holes included) in
    EPSG:4326, its edges straight in longitude/latitude. Points have no length (0.0)."""
    if geom is None or geom.is_empty:
        return 0.0
    geod = _geod()
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.is_empty:
            continue
        kind = part.geom_type
        if kind in ("LineString", "LinearRing"):
            paths = [shapely.get_coordinates(part)]
        elif kind == "Polygon":
            paths = _rings(part)
        elif kind in ("MultiLineString", "MultiPolygon", "GeometryCollection"):
            total += length_m(part)
            continue
        else:
            continue
        for xy in paths:
            if len(xy) < 2:
                continue
            dense = densify(xy)
            total += float(geod.line_length(dense[:, 0], dense[:, 1]))
    return total


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance between two points in metres."""
    _, _, dist = _geod().inv(lon1, lat1, lon2, lat2)
    return float(dist)


def equal_area_m2(geom: BaseGeometry | None) -> float:
    """Area in m² by a second, independent method: the same densified rings projected to a
    Lambert azimuthal equal-area projection on the WGS84 ellipsoid centred on the geometry,
    then the shoelace formula. It agrees with :func:`area_m2` to about 1e-6 relative for
    polygons of a few km (more for larger ones, as projected chords are not geodesics); use it
    to check a figure before publishing it, not instead of :func:`area_m2`.
    """
    if geom is None or geom.is_empty:
        return 0.0
    polys = _polygons(geom)
    if not polys:
        return 0.0
    minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(polys))
    laea = pyproj.Transformer.from_crs(
        "EPSG:4326",
        pyproj.CRS.from_proj4(f"+proj=laea +lat_0={(miny + maxy) / 2!r} "
                              f"+lon_0={(minx + maxx) / 2!r} +ellps=WGS84 +units=m"),
        always_xy=True)
    total = 0.0
    for poly in polys:
        for k, xy in enumerate(_rings(poly)):
            if len(xy) < 4:
                continue
            dense = densify(xy)
            x, y = laea.transform(dense[:, 0], dense[:, 1])
            x = np.asarray(x) - x[0]  # near the origin: less cancellation in the products
            y = np.asarray(y) - y[0]
            area = abs(float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))) / 2
            total += area if k == 0 else -area
    return total


def area_m2_crosscheck(geom: BaseGeometry | None) -> tuple[float, float]:
    """``(area_m2(geom), equal_area_m2(geom))``: the geodesic area and the equal-area one, for a
    figure that is published. They should agree to 1e-6 relative (or 1e-4 m² on tiny shapes);
    a larger gap means one of the two libraries misbehaved on this geometry.
    """
    return area_m2(geom), equal_area_m2(geom)

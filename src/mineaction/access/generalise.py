"""Geometries generalised for readers who may not see them exactly.

The grid is laid on the WGS84 ellipsoid in metres: rows are bands ``km`` km apart along the
meridian from the equator, and each band is cut into cells ``km`` km wide along the parallel at
the band's middle latitude. A polygon becomes the union of the cells it touches (so the cells,
never its own vertices, are what a reader sees); a point becomes the centre of its cell. The
same record always generalises to the same cells, so repeated reads tell nothing more.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, box
from shapely.geometry.base import BaseGeometry

_GEOD = Geod(ellps="WGS84")
_A = _GEOD.a
_E2 = _GEOD.es
#: A polygon spanning more cells than this is shown as the grid-aligned box around it.
MAX_CELLS = 20_000


@functools.lru_cache(maxsize=65536)
def _band_edge(i: int, km: float) -> float:
    """Latitude (degrees) at meridian distance ``i * km`` km from the equator."""
    dist = abs(i) * km * 1000.0
    if dist == 0:
        return 0.0
    # a meridian is at most ~10,002 km from equator to pole
    dist = min(dist, 10_001_965.0)
    _lon, lat, _az = _GEOD.fwd(0.0, 0.0, 0.0, dist)
    return math.copysign(min(lat, 90.0), i)


def _meridian_distance_m(lat: float) -> float:
    if lat == 0:
        return 0.0
    _az1, _az2, dist = _GEOD.inv(0.0, 0.0, 0.0, max(-90.0, min(90.0, lat)))
    return math.copysign(dist, lat)


def _band_of(lat: float, km: float) -> int:
    i = math.floor(_meridian_distance_m(lat) / (km * 1000.0))
    # round-off at an edge: the band whose edges hold the latitude
    while _band_edge(i, km) > lat:
        i -= 1
    while _band_edge(i + 1, km) <= lat and _band_edge(i + 1, km) < 90.0:
        i += 1
    return i


@functools.lru_cache(maxsize=65536)
def _cell_width_deg(i: int, km: float) -> float:
    """Width in degrees of longitude of the cells of band ``i``: ``km`` km along the parallel
    at the band's middle latitude (the radius of a parallel is N(lat) cos(lat))."""
    mid = math.radians((_band_edge(i, km) + _band_edge(i + 1, km)) / 2.0)
    radius = _A * math.cos(mid) / math.sqrt(1.0 - _E2 * math.sin(mid) ** 2)
    metres_per_degree = max(radius * math.pi / 180.0, 1.0)
    return min(360.0, km * 1000.0 / metres_per_degree)


def cell(lon: float, lat: float, km: float) -> BaseGeometry:
    """The grid cell holding (lon, lat)."""
    i = _band_of(lat, km)
    w = _cell_width_deg(i, km)
    j = math.floor(lon / w)
    return box(j * w, _band_edge(i, km), (j + 1) * w, _band_edge(i + 1, km))


def snap_point(geom: BaseGeometry, km: float) -> BaseGeometry:
    """A point moved to the centre of its grid cell (a multipoint: of its first point)."""
    if geom.is_empty:
        return geom
    if geom.geom_type == "Point":
        p = geom
    elif geom.geom_type == "MultiPoint":
        p = geom.geoms[0]
    else:
        p = geom.representative_point()
    c = cell(p.x, p.y, km)
    minx, miny, maxx, maxy = c.bounds
    return Point((minx + maxx) / 2.0, (miny + maxy) / 2.0)


def grid_cells(geom: BaseGeometry, km: float) -> BaseGeometry:
    """The union of the grid cells ``geom`` touches, as a multipolygon (a point: the centre
    of its cell)."""
    if geom.is_empty:
        return geom
    if geom.geom_type in ("Point", "MultiPoint"):
        return snap_point(geom, km)
    minx, miny, maxx, maxy = geom.bounds
    lo, hi = _band_of(miny, km), _band_of(maxy, km)
    cells: list[BaseGeometry] = []
    for i in range(lo, hi + 1):
        w = _cell_width_deg(i, km)
        j0, j1 = math.floor(minx / w), math.floor(maxx / w)
        if (j1 - j0 + 1) * (hi - lo + 1) > MAX_CELLS:
            return MultiPolygon([box(math.floor(minx / w) * w, _band_edge(lo, km),
                                     (math.floor(maxx / w) + 1) * w, _band_edge(hi + 1, km))])
        s, n = _band_edge(i, km), _band_edge(i + 1, km)
        cells.extend(box(j * w, s, (j + 1) * w, n) for j in range(j0, j1 + 1))
    arr = np.asarray(cells, dtype=object)
    shapely.prepare(geom)
    hit = arr[shapely.intersects(geom, arr)]
    merged = shapely.union_all(hit) if len(hit) else shapely.union_all(arr)
    merged = shapely.set_precision(merged, 0.0)
    if merged.geom_type == "Polygon":
        return MultiPolygon([merged])
    if merged.geom_type == "MultiPolygon":
        return merged
    return MultiPolygon([g for g in getattr(merged, "geoms", []) if g.geom_type == "Polygon"])


def to_area(area: BaseGeometry, point: bool) -> BaseGeometry:
    """A record shown as its administrative area: the area's polygon, or for a point layer one
    point inside the area (the same for every record of the area)."""
    return area.representative_point() if point else area

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


def _edges(i: np.ndarray, km: float) -> np.ndarray:
    """:func:`_band_edge` of each band index (computed once per distinct band)."""
    uniq, inv = np.unique(i, return_inverse=True)
    return np.asarray([_band_edge(int(u), km) for u in uniq], dtype=float)[inv.ravel()]


def _widths(i: np.ndarray, km: float) -> np.ndarray:
    """:func:`_cell_width_deg` of each band index (computed once per distinct band)."""
    uniq, inv = np.unique(i, return_inverse=True)
    return np.asarray([_cell_width_deg(int(u), km) for u in uniq], dtype=float)[inv.ravel()]


def _bands_of(lat: np.ndarray, km: float) -> np.ndarray:
    """:func:`_band_of` of each latitude, at once."""
    lat = np.asarray(lat, dtype=float)
    n = len(lat)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    _az1, _az2, dist = _GEOD.inv(np.zeros(n), np.zeros(n), np.zeros(n),
                                 np.clip(lat, -90.0, 90.0))
    dist = np.where(lat == 0, 0.0, np.copysign(np.asarray(dist, dtype=float), lat))
    i = np.floor(dist / (km * 1000.0)).astype(np.int64)
    while True:
        low = _edges(i, km) > lat
        if not low.any():
            break
        i[low] -= 1
    while True:
        up = _edges(i + 1, km)
        high = (up <= lat) & (up < 90.0)
        if not high.any():
            break
        i[high] += 1
    return i


def snap_points(geoms: np.ndarray, km: float) -> np.ndarray:
    """:func:`snap_point` of each geometry of an array (None stays None), at once."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    todo = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if not len(todo):
        return out
    g = geoms[todo]
    kind = shapely.get_type_id(g)
    first = np.where(kind == 4, shapely.get_geometry(g, 0), g)  # a multipoint: its first
    p = np.where((kind == 0) | (kind == 4), first, shapely.point_on_surface(g))
    xy = shapely.get_coordinates(p)
    i = _bands_of(xy[:, 1], km)
    w = _widths(i, km)
    j = np.floor(xy[:, 0] / w)
    minx, maxx = j * w, (j + 1) * w
    miny, maxy = _edges(i, km), _edges(i + 1, km)
    out[todo] = shapely.points((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    return out


def grid_cells(geom: BaseGeometry, km: float) -> BaseGeometry:
    """The union of the grid cells ``geom`` touches, as a multipolygon (a point: the centre
    of its cell)."""
    return grid_cells_many(np.asarray([geom], dtype=object), km)[0]  # type: ignore[no-any-return]


def grid_cells_many(geoms: np.ndarray, km: float) -> np.ndarray:
    """:func:`grid_cells` of each geometry of an array (None stays None), at once: the
    cells of each geometry's bounds laid out with numpy, built with ``shapely.box``, tested
    against their geometry with one ``shapely.intersects`` and unioned per geometry."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    n = len(geoms)
    if n == 0:
        return out
    present = ~shapely.is_missing(geoms)
    empty = np.zeros(n, dtype=bool)
    empty[present] = shapely.is_empty(geoms[present])
    kind = np.full(n, -1)
    kind[present] = shapely.get_type_id(geoms[present])
    points = present & ~empty & ((kind == 0) | (kind == 4))
    if points.any():
        out[points] = snap_points(geoms[points], km)
    todo = np.flatnonzero(present & ~empty & ~points)
    if not len(todo):
        return out
    g = geoms[todo]
    bounds = shapely.bounds(g)
    lo = _bands_of(bounds[:, 1], km)
    hi = _bands_of(bounds[:, 3], km)
    # one row per geometry and band
    nb = hi - lo + 1
    gb = np.repeat(np.arange(len(g)), nb)
    band = lo[gb] + (np.arange(len(gb)) - np.repeat(np.cumsum(nb) - nb, nb))
    w = _widths(band, km)
    j0 = np.floor(bounds[gb, 0] / w)
    j1 = np.floor(bounds[gb, 2] / w)
    nj = (j1 - j0 + 1).astype(np.int64)
    # a geometry over too many cells: the grid-aligned box around it (the first such band's)
    over_band = nj * nb[gb] > MAX_CELLS
    over = np.zeros(len(g), dtype=bool)
    if over_band.any():
        first = np.flatnonzero(over_band)
        first = first[np.unique(gb[first], return_index=True)[1]]
        for r in first:
            k = gb[r]
            over[k] = True
            out[todo[k]] = MultiPolygon([box(j0[r] * w[r], _band_edge(int(lo[k]), km),
                                             (j1[r] + 1) * w[r],
                                             _band_edge(int(hi[k]) + 1, km))])
        keep = ~over[gb]
        gb, band, w, j0, nj = gb[keep], band[keep], w[keep], j0[keep], nj[keep]
    if not len(gb):
        return out
    # one row per geometry and cell, in the order of bands then columns; the cells built
    # once each (records near each other share them)
    gc = np.repeat(gb, nj)
    start = np.repeat(np.cumsum(nj) - nj, nj)
    j = np.repeat(j0, nj) + (np.arange(len(gc)) - start)
    cb = np.repeat(band, nj)
    ji = j.astype(np.int64)
    span = int(ji.max() - ji.min()) + 1
    keys, cid = np.unique((cb - cb.min()) * span + (ji - ji.min()), return_inverse=True)
    cid = cid.ravel()
    ub, uj = keys // span + cb.min(), (keys % span + ji.min()).astype(float)
    uw = _widths(ub, km)
    cells = shapely.box(uj * uw, _edges(ub, km), (uj + 1) * uw, _edges(ub + 1, km))
    # a geometry within one cell meets it; the others are tested cell by cell
    single = (nj == 1) & (nb[gb] == 1)
    hit = np.ones(len(gc), dtype=bool)
    test = ~np.repeat(single, nj)
    if test.any():
        shapely.prepare(g)
        hit[test] = shapely.intersects(g[gc[test]], cells[cid[test]])
    # a geometry touching none of its cells (degenerate): all of them, as before
    touched = np.zeros(len(g), dtype=bool)
    touched[gc[hit]] = True
    chosen = hit | ~touched[gc]
    res = _union_per_group(cells, cid[chosen], gc[chosen], len(g))
    done = ~over
    out[todo[done]] = res[done]
    return out


def _union_per_group(cells: np.ndarray, cid: np.ndarray, group: np.ndarray, n: int
                     ) -> np.ndarray:
    """The union of the cells ``cells[cid]`` of each group (``group`` sorted), as
    ``shapely.union_all`` of the group's cells in their order, with precision and type as
    :func:`grid_cells` gives them; each distinct set of cells unioned once, the sets of the
    same size in one call."""
    out = np.empty(n, dtype=object)
    size = np.bincount(group, minlength=n)
    start = np.cumsum(size) - size
    for s in np.unique(size[size > 0]):
        which = np.flatnonzero(size == s)
        rows = cid[start[which][:, None] + np.arange(s)[None, :]]
        sets, inv = _unique_rows(rows, len(cells))
        merged = shapely.set_precision(shapely.union_all(cells[sets], axis=1), 0.0)
        out[which] = _multipolygons(merged)[inv.ravel()]
    return out


def _unique_rows(rows: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of an array of cell numbers below ``base``, and each row's."""
    if rows.shape[1] * math.log2(max(base, 2)) < 62:  # each row as one number: a fast sort
        weights = np.int64(base) ** np.arange(rows.shape[1], dtype=np.int64)
        _, first, inv = np.unique(rows @ weights, return_index=True, return_inverse=True)
        return rows[first], inv.ravel()
    sets, inv = np.unique(rows, axis=0, return_inverse=True)
    return sets, inv.ravel()


def _multipolygons(merged: np.ndarray) -> np.ndarray:
    """Each union as a multipolygon (its polygons)."""
    kind = shapely.get_type_id(merged)
    res = np.empty(len(merged), dtype=object)
    poly = np.flatnonzero(kind == 3)
    if len(poly):
        res[poly] = shapely.multipolygons(merged[poly], indices=np.arange(len(poly)))
    multi = kind == 6
    res[multi] = merged[multi]
    for k in np.flatnonzero((kind != 3) & (kind != 6)):
        m = merged[k]
        res[k] = MultiPolygon([p for p in getattr(m, "geoms", []) if p.geom_type == "Polygon"])
    return res


def to_area(area: BaseGeometry, point: bool) -> BaseGeometry:
    """A record shown as its administrative area: the area's polygon, or for a point layer one
    point inside the area (the same for every record of the area)."""
    return area.representative_point() if point else area

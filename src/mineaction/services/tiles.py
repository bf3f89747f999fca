"""Layers as Mapbox Vector Tiles in the WebMercatorQuad tile matrix set (OGC API Tiles).

A tile holds what the actor reads of a layer inside the tile, read through ``ctx.reader``
like every feature of :mod:`mineaction.services.features`: the store applies the policy
(the public sees hazards and released land generalised to the grid of
:mod:`mineaction.access.generalise`), so both stores give the same features for a tile.
Geometries are projected to Web Mercator, clipped to the tile and a small buffer around it,
simplified to one unit of the tile's 4096 and put on that grid (what is smaller goes), and
encoded with the ``mapbox-vector-tile`` package. Hazards or released land with the same
geometry and values (the public often sees several hazards as the same grid cells) are one
feature with their ``count`` and no ``id``. Tiles made are kept in memory (:data:`CACHE`),
keyed by the store's state and the reader. A layer's features as a reader sees them are read
whole once per store state and reader (:data:`LAYERS`) where a tile needs all of them (the
counts under the counting zoom) or where the reader sees them generalised (the public's
hazards and released land: generalised once, then each tile cut from them with an STRtree).

The tilesets:

* ``admin-areas``: the administrative areas (``id``, ``name``, ``level``), the map's base;
* ``hazards``: the open hazards (``id``, ``kind``: sha or cha); below zoom
  :data:`COUNTS_BELOW`, counts per cell of the tile's grid (``kind``, ``count``), see
  :func:`_counted`;
* ``release-steps``: land released (``method``: cancelled, reduced or cleared, never one
  "cleared"; ``year``; ``area_m2``), rejected steps left out;
* ``accidents``: counts of accidents per administrative area, one point inside each area,
  never an accident's own place. A count below the suppression threshold
  (``Settings.suppress_below``) is not given to the public: the feature says
  ``fewer_than`` instead of ``count``.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mapbox_vector_tile
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from mineaction import audit
from mineaction.access import Role
from mineaction.domain.layers import Layer, get_layer
from mineaction.errors import Forbidden, NotFound, StoreError
from mineaction.services import features as feat
from mineaction.services.context import Context
from mineaction.store.base import BBox, Query

__all__ = ["EXTENT", "TILESETS", "Tile", "Tileset", "WEB_MERCATOR_QUAD", "matrix_set",
           "tile", "tile_bounds", "tilesets"]

#: Units across a tile (the MVT default).
EXTENT = 4096
#: Features are kept this many units beyond each edge, so that strokes meet across tiles.
BUFFER = 64
#: Properties that differ between features drawn as one (see ``Tileset.merge``).
UNMERGED = ("id", "area_m2")
#: Half the side of the Web Mercator square, in metres.
ORIGIN = 20037508.342789244
WEB_MERCATOR_QUAD = "WebMercatorQuad"
MATRIX_SET_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MAX_ZOOM = 24
#: Below this zoom a hazard of a few hundred metres is a pixel or less: hazards are counted
#: per cell of the tile's grid (:data:`CELLS` across) instead of drawn.
COUNTS_BELOW = 11
#: Cells across a tile at the zooms where features are counted (256 units, 16 pixels each).
CELLS = 16
#: The bounds of a whole layer (lon, lat; as far as Web Mercator goes).
WHOLE = (-180.0, -85.06, 180.0, 85.06)


@dataclass(frozen=True)
class Tileset:
    """One layer as tiles: the collection, what the tiles call the layer, the zooms served."""

    id: str
    layer: str
    title: str
    min_zoom: int
    max_zoom: int
    reads: Callable[[Context, Layer, BBox], Iterable[tuple[BaseGeometry, dict[str, Any]]]]
    #: Features of the same geometry and values drawn as one, with their count.
    merge: bool = False
    #: Below this zoom the features are counted per cell of the tile's grid instead of drawn
    #: (see :func:`_counted`); None: always drawn.
    counts_below: int | None = None


def _scanned(ctx: Context, layer: Layer, box: BBox, names: tuple[str, ...],
             where: dict[str, Any] | None = None
             ) -> Iterable[tuple[BaseGeometry, dict[str, Any]]]:
    """The geometries in ``box`` and the values of ``names`` (with ``id``) of each feature,
    read as columns (:meth:`~mineaction.store.base.Reader.scan`: no record is built)."""
    found = ctx.reader.scan(layer, bbox=box, columns=names, where=where)
    columns = [("id", found.ids), *((n, found.columns[n]) for n in names)]
    for i, geom in enumerate(found.geometries()):
        yield geom, {name: values[i] for name, values in columns if values[i] is not None}


def _admin_areas(ctx: Context, layer: Layer, box: BBox
                 ) -> Iterable[tuple[BaseGeometry, dict[str, Any]]]:
    return _scanned(ctx, layer, box, ("name", "level"))


def _hazards(ctx: Context, layer: Layer, box: BBox
             ) -> Iterable[tuple[BaseGeometry, dict[str, Any]]]:
    return _scanned(ctx, layer, box, ("kind",), {"status": "open"})


def _release_steps(ctx: Context, layer: Layer, box: BBox
                   ) -> Iterable[tuple[BaseGeometry, dict[str, Any]]]:
    for geom, props in _scanned(ctx, layer, box, ("method", "released_on", "area_m2"),
                                {"rejected_by": None}):
        day = props.pop("released_on", None)
        if day is not None:
            props["year"] = day.year
        area = props.pop("area_m2", None)
        if area is not None:
            props["area_m2"] = round(float(area))
        yield geom, props


def _public(ctx: Context) -> bool:
    return not (set(ctx.actor.roles) - {Role.PUBLIC})


def _accidents(ctx: Context, layer: Layer, box: BBox
               ) -> Iterable[tuple[BaseGeometry, dict[str, Any]]]:
    """Counts per administrative area at a point inside the area (the same point for every
    reader); the public gets ``fewer_than`` for a count under the threshold."""
    counts = {row["admin_area_id"]: int(row["count"])
              for row in ctx.reader.aggregate(layer, ["admin_area_id"])
              if row["admin_area_id"] is not None and row["count"]}
    if not counts:
        return
    threshold = ctx.suppress_below
    public = _public(ctx)
    areas = get_layer("admin-areas")
    for area in ctx.reader.iter(areas, Query(bbox=box)):
        n = counts.get(area.id)
        geom = getattr(area, "geometry", None)
        if not n or geom is None or geom.is_empty:
            continue
        point = geom.representative_point()
        if not (box[0] <= point.x <= box[2] and box[1] <= point.y <= box[3]):
            continue
        props: dict[str, Any] = {"admin_area_id": area.id,
                                 "name": getattr(area, "name", None) or area.id}
        if public and n < threshold:
            props["fewer_than"] = threshold
        else:
            props["count"] = n
        yield point, props


TILESETS: dict[str, Tileset] = {t.id: t for t in (
    Tileset("admin-areas", "admin_areas", "Administrative areas", 0, 16, _admin_areas),
    Tileset("hazards", "hazards", "Open hazardous areas", 6, 18, _hazards, merge=True,
            counts_below=COUNTS_BELOW),
    Tileset("release-steps", "release_steps", "Land released by method and year", 6, 18,
            _release_steps, merge=True),
    Tileset("accidents", "accidents", "Accidents per administrative area", 0, 16,
            _accidents),
)}


def tilesets(ctx: Context) -> list[Tileset]:
    """The tilesets of the layers the actor reads (accidents: whose counts they read)."""
    policy = getattr(ctx.reader, "policy", None)
    out = []
    for t in TILESETS.values():
        lyr = get_layer(t.id)
        if t.id == "accidents":
            if policy is None or _counts_readable(policy, lyr):
                out.append(t)
        elif feat.readable(ctx, lyr, policy):
            out.append(t)
    return out


def _counts_readable(policy: Any, layer: Layer) -> bool:
    try:
        return bool(policy.access(layer).grants)
    except Forbidden:
        return False


def tileset(ctx: Context, collection_id: str) -> Tileset:
    """The tileset of ``collection_id`` if the actor reads it: NotFound for a collection
    without tiles, and for one the actor may not read the answer its features give (401 to
    the public, 403 signed in)."""
    found = TILESETS.get(collection_id)
    if found is None:
        raise NotFound.of("tiles.no_tileset", id=collection_id)
    lyr = get_layer(found.id)
    if found.id != "accidents":
        feat.collection(ctx, collection_id)
        return found
    policy = getattr(ctx.reader, "policy", None)
    if policy is not None:
        policy.access(lyr)  # Forbidden without any grant, counts included
    return found


# -- the tile matrix set ----------------------------------------------------------------------

def tile_bounds(z: int, y: int, x: int) -> BBox:
    """The tile's bounds in Web Mercator metres (minx, miny, maxx, maxy)."""
    size = 2 * ORIGIN / (1 << z)
    minx = -ORIGIN + x * size
    maxy = ORIGIN - y * size
    return minx, maxy - size, minx + size, maxy


def _lat(merc_y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(merc_y / 6378137.0)) - math.pi / 2)


def _lon(merc_x: float) -> float:
    return math.degrees(merc_x / 6378137.0)


def matrix_set() -> dict[str, Any]:
    """The WebMercatorQuad tile matrix set (OGC Two Dimensional Tile Matrix Set 2.0)."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        n = 1 << z
        cell = 2 * ORIGIN / (n * 256)
        matrices.append({"id": str(z), "scaleDenominator": cell / 0.00028,
                         "cellSize": cell, "cornerOfOrigin": "topLeft",
                         "pointOfOrigin": [-ORIGIN, ORIGIN], "tileWidth": 256,
                         "tileHeight": 256, "matrixWidth": n, "matrixHeight": n})
    return {"id": WEB_MERCATOR_QUAD, "title": "Google Maps Compatible for the World",
            "uri": MATRIX_SET_URI, "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
            "orderedAxes": ["E", "N"], "wellKnownScaleSet":
            "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
            "tileMatrices": matrices}


@lru_cache(maxsize=1)
def _to_mercator() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def _project(geoms: np.ndarray) -> np.ndarray:
    t = _to_mercator()

    def fn(xy: np.ndarray) -> np.ndarray:
        lat = np.clip(xy[:, 1], -85.0511287798, 85.0511287798)
        return np.column_stack(t.transform(xy[:, 0], lat))

    return np.asarray(shapely.transform(geoms, fn), dtype=object)


# -- tiles ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tile:
    """An encoded tile (``data`` None: nothing of the layer in the tile) and its ETag."""

    data: bytes | None
    features: int

    @property
    def etag(self) -> str:
        digest = hashlib.sha256(self.data or b"").hexdigest()[:32]
        return f'"{digest}"'


class TileCache:
    """Encoded tiles kept in memory, least recently used out first, up to ``max_bytes``.

    A tile's key holds all that makes it: the store and its state (the head of its audit
    log, which every write moves, from this process or another), who reads (the actor, the
    day agreements are active on, the suppression threshold) and the tile itself; so a
    cached tile is never served after a change, nor to another reader."""

    def __init__(self, max_bytes: int = 64 << 20):
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[Any, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Tile | None:
        with self._lock:
            found = self._tiles.get(key)
            if found is not None:
                self._tiles.move_to_end(key)
            return found

    def put(self, key: Any, value: Tile) -> None:
        size = len(value.data or b"")
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old.data or b"")
            self._tiles[key] = value
            self._bytes += size
            while self._bytes > self.max_bytes and self._tiles:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= len(dropped.data or b"")

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self._bytes = 0


#: The tiles of this process.
CACHE = TileCache()


def _cache_key(ctx: Context, ts: Tileset, z: int, y: int, x: int) -> Any:
    try:
        state = audit.head(ctx.store)
    except StoreError:  # a store without an audit log: no cache
        return None
    return (ctx.store.url, state, ctx.actor, ctx.personal, ctx.today(),
            ctx.suppress_below, ts.id, z, y, x)


def check_tile(ts: Tileset, z: int, y: int, x: int) -> None:
    """NotFound for a zoom outside the tileset's or a row or column outside the matrix."""
    if not ts.min_zoom <= z <= ts.max_zoom:
        raise NotFound.of("tiles.zoom_out_of_range", id=ts.id, zoom=z, min=ts.min_zoom,
                          max=ts.max_zoom)
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise NotFound.of("tiles.no_tile", id=ts.id, zoom=z, row=y, col=x)


def tile(ctx: Context, collection_id: str, z: int, y: int, x: int) -> Tile:
    """The tile at zoom ``z``, row ``y``, column ``x`` of a collection as the actor reads it:
    the features meeting the tile (and its buffer), clipped to it and simplified to its
    pixel; NotFound for a collection the actor does not read as tiles or a tile outside the
    tileset's zooms."""
    ts = tileset(ctx, collection_id)
    check_tile(ts, z, y, x)
    key = _cache_key(ctx, ts, z, y, x)
    found = CACHE.get(key) if key is not None else None
    if found is None:
        found = _make_tile(ctx, ts, z, y, x)
        if key is not None:
            CACHE.put(key, found)
    return found


def _make_tile(ctx: Context, ts: Tileset, z: int, y: int, x: int) -> Tile:
    minx, miny, maxx, maxy = tile_bounds(z, y, x)
    pad = (maxx - minx) * BUFFER / EXTENT
    clip = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    box = (max(-180.0, _lon(clip[0])), max(-85.06, _lat(clip[1])),
           min(180.0, _lon(clip[2])), min(85.06, _lat(clip[3])))
    if ts.counts_below is not None and z < ts.counts_below:
        return _counted(ts, _points(ctx, ts, box), (minx, miny, maxx, maxy))
    arr, props = _features(ctx, ts, box)
    if not len(arr):
        return Tile(None, 0)
    if ts.merge:
        arr, props = _merged(arr, props)
    projected = _project(arr)
    clipped = shapely.clip_by_rect(projected, *clip)
    # to the tile's units (y up, as the encoder expects), simplified to one unit, on the
    # grid of whole units (valid, as the encoder needs; what is smaller than a unit goes),
    # exterior rings clockwise as the encoder writes them (so it need not check each)
    k = EXTENT / (maxx - minx)
    units = shapely.transform(clipped, lambda xy: (xy - (minx, miny)) * k)
    simple = shapely.set_precision(shapely.simplify(units, 1.0, preserve_topology=True), 1.0)
    simple = shapely.orient_polygons(simple, exterior_cw=True)
    features = []
    for g, p in zip(simple, props, strict=True):
        if g is None or g.is_empty:
            continue
        if g.geom_type == "GeometryCollection":
            parts = [part for part in g.geoms if part.geom_type in ("Polygon", "MultiPolygon")]
            if not parts:
                continue
            g = shapely.union_all(parts)
        features.append({"geometry": g, "properties": p})
    if not features:
        return Tile(None, 0)
    data = mapbox_vector_tile.encode([{"name": ts.layer, "features": features}],
                                     default_options={"extents": EXTENT,
                                                      "check_winding_order": False})
    return Tile(bytes(data), len(features))


def _merged(geoms: np.ndarray, props: list[dict[str, Any]]
            ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Features with the same geometry and the same values (but their ids and areas) as one
    feature with their ``count``: what the public sees of hazards on the grid is often the
    same cells for several hazards, drawn once."""
    groups: dict[Any, list[int]] = {}
    for i, (wkb, p) in enumerate(zip(shapely.to_wkb(geoms), props, strict=True)):
        key = (wkb, tuple(sorted((k, v) for k, v in p.items() if k not in UNMERGED)))
        groups.setdefault(key, []).append(i)
    if len(groups) == len(props):
        return geoms, props
    keep, out = [], []
    for (_, values), members in groups.items():
        keep.append(members[0])
        out.append(props[members[0]] if len(members) == 1
                   else {**dict(values), "count": len(members)})
    return geoms[keep], out



@dataclass(frozen=True)
class Points:
    """Where the features of a layer are, as the reader sees them, for counting: the Web
    Mercator point on surface of each and its ``kind``."""

    x: np.ndarray
    y: np.ndarray
    kinds: list[Any]


class Whole:
    """A tileset's whole layer as a reader sees it, read once per store state and reader:
    the geometries and properties of its features in the store's order; the index of the
    geometries (for the tiles of a reader who sees them generalised, see :func:`_features`)
    and the points counted under the counting zoom (see :func:`_counted`) made when first
    needed."""

    def __init__(self, geoms: np.ndarray, props: list[dict[str, Any]]):
        self.geoms = geoms
        self.props = props
        self._tree: shapely.STRtree | None = None
        self._points: Points | None = None
        self._lock = threading.Lock()

    def within(self, box: BBox) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """The features whose geometry meets ``box`` (lon/lat), in the store's order."""
        with self._lock:
            if self._tree is None:
                self._tree = shapely.STRtree(self.geoms)
            tree = self._tree
        hit = np.sort(tree.query(shapely.box(*box), predicate="intersects"))
        return self.geoms[hit], [self.props[int(i)] for i in hit]

    def points(self) -> Points:
        with self._lock:
            if self._points is None:
                self._points = _points_of(self.geoms, [p.get("kind") for p in self.props])
            return self._points


class _WholeCache:
    """The whole layers of tilesets as readers see them, made once per store state and
    reader (the tile cache's key without the tile) and kept for a few readers: every tile
    under the counting zoom is then counted from them, and every tile of a reader who sees
    the layer generalised cut from them, without reading the store again."""

    def __init__(self, size: int = 8):
        self.size = size
        self._found: OrderedDict[Any, Whole] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], Whole]) -> Whole:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found
        found = make()
        with self._lock:
            self._found[key] = found
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


#: The whole layers read for this process's tiles.
LAYERS = _WholeCache()


def _whole(ctx: Context, ts: Tileset) -> Whole | None:
    """The tileset's whole layer as the actor reads it, cached per store state and reader;
    None for a store without an audit log (nothing tells when it changes)."""
    key = _cache_key(ctx, ts, -1, -1, -1)
    if key is None:
        return None
    return LAYERS.get(key, lambda: _read_whole(ctx, ts))


def _read_whole(ctx: Context, ts: Tileset) -> Whole:
    return Whole(*_read(ctx, ts, WHOLE))


def _read(ctx: Context, ts: Tileset, box: BBox) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The non-empty geometries of the tileset's features meeting ``box`` (as an array) and
    their properties, read through the store."""
    geoms, props = [], []
    for geom, p in ts.reads(ctx, get_layer(ts.id), box):
        if geom is None or geom.is_empty:
            continue
        geoms.append(geom)
        props.append(p)
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    return arr, props


def _features(ctx: Context, ts: Tileset, box: BBox
              ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The features of the tileset meeting ``box``: for a layer of one feature per record
    (``merge``) that the reader sees generalised, from the whole layer as the reader sees it
    (generalised once per store state, not once per tile; a reader of exact geometries reads
    the tile's features through the store's spatial index instead)."""
    if ts.merge and ctx.reader.generalises(get_layer(ts.id)):
        whole = _whole(ctx, ts)
        if whole is not None:
            return whole.within(box)
    return _read(ctx, ts, box)


def _points(ctx: Context, ts: Tileset, box: BBox) -> Points:
    """The points of the layer's features: of the whole layer, cached per store state and
    reader, where the store has an audit log; else of the features in ``box``."""
    whole = _whole(ctx, ts)
    if whole is not None:
        return whole.points()
    geoms, props = _features(ctx, ts, box)
    return _points_of(geoms, [p.get("kind") for p in props])


def _points_of(geoms: np.ndarray, kinds: list[Any]) -> Points:
    if not len(geoms):
        return Points(np.empty(0), np.empty(0), [])
    points = shapely.get_coordinates(shapely.point_on_surface(geoms))
    lat = np.clip(points[:, 1], -85.0511287798, 85.0511287798)
    mx, my = _to_mercator().transform(points[:, 0], lat)
    return Points(np.asarray(mx, dtype=float), np.asarray(my, dtype=float), kinds)


def _counted(ts: Tileset, points: Points, bounds: BBox) -> Tile:
    """Features counted per cell of the tile's grid: a square per cell and kind with the
    ``count`` of the features whose point on surface (of the geometry the reader sees, so
    no finer than it) lies in the cell. Each feature is counted in one tile only (its point
    inside the tile, the buffer left out), so the counts of a zoom add up to the layer's."""
    minx, miny, maxx, maxy = bounds
    k = CELLS / (maxx - minx)
    inside = np.flatnonzero((points.x >= minx) & (points.x < maxx)
                            & (points.y >= miny) & (points.y < maxy))
    col = np.clip(np.floor((points.x[inside] - minx) * k).astype(np.int64), 0, CELLS - 1)
    row = np.clip(np.floor((points.y[inside] - miny) * k).astype(np.int64), 0, CELLS - 1)
    counts: dict[tuple[int, int, Any], int] = {}
    for c, r, i in zip(col.tolist(), row.tolist(), inside.tolist(), strict=True):
        key = (r, c, points.kinds[i])
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return Tile(None, 0)
    unit = EXTENT // CELLS
    features = []
    for (r, c, kind), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                   str(kv[0][2]))):
        square = shapely.orient_polygons(
            shapely.box(c * unit, r * unit, (c + 1) * unit, (r + 1) * unit), exterior_cw=True)
        values: dict[str, Any] = {"count": n}
        if kind is not None:
            values["kind"] = kind
        features.append({"geometry": square, "properties": values})
    data = mapbox_vector_tile.encode([{"name": ts.layer, "features": features}],
                                     default_options={"extents": EXTENT,
                                                      "check_winding_order": False})
    return Tile(bytes(data), len(features))

"""Risk surfaces: the risk model's probability per cell of a metric grid over a territory,
computed window by window (with Dask, on a local cluster or an existing one) and written as a
Cloud-Optimised GeoTIFF; and hazards ranked by the risk inside them (zonal statistics).

The grid is in a metric CRS chosen for the territory (:func:`choose_crs`): the UTM zone of
its centre (WGS84, EPSG:326xx north / 327xx south) when the territory spans at most
:data:`UTM_SPAN_DEG` degrees of longitude, else a Lambert azimuthal equal-area plane centred
on it. The CRS is stored in the GeoTIFF. Cells are squares of the resolution; a cell's value
is the calibrated probability of the model for the features at its centre, computed exactly
as :func:`mineaction.risk.features.table` computes them for any point (one local plane for
the whole territory); cells whose centre lies outside the territory are nodata (NaN).

Memory: a window of ``chunk`` x ``chunk`` cells costs about :data:`BYTES_PER_CELL` bytes per
cell at its peak in a worker (feature columns, their matrix, the points), so 512 x 512
windows take about 0.15 GB per worker; the writing process holds one window at a time plus
the results waiting to be written (at most two per worker are in flight).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from mineaction.geo.traverse import LocalFrame
from mineaction.risk import features as F
from mineaction.risk.model import RiskModel

#: Longitude span above which the grid is an equal-area plane rather than one UTM zone.
UTM_SPAN_DEG = 8.0
#: Peak bytes per cell of a window in a worker (measured by bench/surface_bench.py).
BYTES_PER_CELL = 600
NODATA = float("nan")
DEFAULT_CHUNK = 512

Window = tuple[int, int, int, int]  # row, column, height, width


def choose_crs(bounds: tuple[float, float, float, float]) -> pyproj.CRS:
    """A metric CRS for a territory of ``bounds`` (W, S, E, N in degrees): its centre's UTM
    zone, or a Lambert azimuthal equal-area plane centred on it when it is wider than
    :data:`UTM_SPAN_DEG` degrees."""
    w, s, e, n = bounds
    lon0, lat0 = (w + e) / 2, (s + n) / 2
    if e - w <= UTM_SPAN_DEG:
        zone = int(math.floor((lon0 + 180.0) / 6.0)) % 60 + 1
        return pyproj.CRS.from_epsg((32600 if lat0 >= 0 else 32700) + zone)
    return pyproj.CRS.from_proj4(f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0:.4f} "
                                 "+datum=WGS84 +units=m +no_defs")


@dataclass(frozen=True)
class Grid:
    """A north-up grid of square cells: ``x0``/``y0`` the top-left corner in ``crs``."""

    crs_wkt: str
    x0: float
    y0: float
    res: float
    width: int
    height: int

    @property
    def crs(self) -> pyproj.CRS:
        return pyproj.CRS.from_wkt(self.crs_wkt)

    @property
    def cells(self) -> int:
        return self.width * self.height

    def transform(self) -> Any:
        from affine import Affine

        return Affine(self.res, 0.0, self.x0, 0.0, -self.res, self.y0)

    def windows(self, chunk: int) -> list[Window]:
        return [(r, c, min(chunk, self.height - r), min(chunk, self.width - c))
                for r in range(0, self.height, chunk) for c in range(0, self.width, chunk)]

    def centres(self, window: Window) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Projected x, y of the window's cell centres, row by row."""
        r, c, h, w = window
        xs = self.x0 + (c + np.arange(w) + 0.5) * self.res
        ys = self.y0 - (r + np.arange(h) + 0.5) * self.res
        gx, gy = np.meshgrid(xs, ys)
        return gx.ravel(), gy.ravel()


def grid_for(area: BaseGeometry, res: float, crs: pyproj.CRS | None = None) -> Grid:
    """The grid of ``res`` metres covering ``area`` (EPSG:4326), aligned on multiples of
    ``res`` in its CRS (chosen by :func:`choose_crs` unless given)."""
    crs = crs or choose_crs(area.bounds)
    fwd = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    ring = shapely.get_coordinates(shapely.segmentize(shapely.envelope(area),
                                                      max_segment_length=0.01))
    x, y = fwd.transform(ring[:, 0], ring[:, 1])
    x0 = math.floor(float(np.min(x)) / res) * res
    y1 = math.ceil(float(np.max(y)) / res) * res
    width = max(1, math.ceil((float(np.max(x)) - x0) / res))
    height = max(1, math.ceil((y1 - float(np.min(y))) / res))
    return Grid(crs.to_wkt(), x0, y1, float(res), width, height)


@dataclass
class Inputs:
    """What every window needs, read once and sent once to each worker."""

    grid: Grid
    area: BaseGeometry  # EPSG:4326: cells outside are nodata
    known: F.Known
    context: F.Context | None
    model: RiskModel
    frame: LocalFrame  # the plane the features' distances are measured in
    #: The layers in the plane with their search trees: built on first use in each process
    #: (never sent to a worker: each builds its own once and keeps it for every window).
    _prepared: F.Prepared | None = field(default=None, init=False, repr=False,
                                         compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_prepared"] = None
        return state

    @property
    def prepared(self) -> F.Prepared:
        if self._prepared is None:
            self._prepared = F.Prepared(self.known, self.frame, self.context)
        return self._prepared


def point_features(inputs: Inputs, lon: NDArray[np.float64], lat: NDArray[np.float64]
                   ) -> pd.DataFrame:
    """The features at points, as a table (exactly :func:`mineaction.risk.features.table`,
    with the layers prepared once per process)."""
    return pd.DataFrame(inputs.prepared.table(lon, lat))


def window_proba(inputs: Inputs, window: Window) -> NDArray[np.float32]:
    """The probability of each cell of ``window`` (rows x columns, float32, NaN outside the
    area): features at the cell centres, vectorised, then the model."""
    _r, _c, h, w = window
    x, y = inputs.grid.centres(window)
    inv = pyproj.Transformer.from_crs(inputs.grid.crs, "EPSG:4326", always_xy=True)
    lon, lat = inv.transform(x, y)
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    inside = shapely.contains_xy(inputs.area, lon, lat)
    out = np.full(h * w, NODATA, dtype=np.float32)
    if inside.any():
        table = point_features(inputs, lon[inside], lat[inside])
        X, _ = inputs.model.align(table)
        out[inside] = inputs.model.proba(X).astype(np.float32)
    return out.reshape(h, w)


def _proba_remote(inputs: Inputs, window: Window) -> tuple[Window, NDArray[np.float32]]:
    shapely.prepare(inputs.area)
    return window, window_proba(inputs, window)


def compute(inputs: Inputs, windows: list[Window], *, client: Any = None
            ) -> Iterator[tuple[Window, NDArray[np.float32]]]:
    """Each window with its probabilities, as they are done: on the Dask ``client``'s
    workers (inputs scattered once to every worker; at most two windows per worker in
    flight), or in this process, one after another, without one."""
    if client is None:
        shapely.prepare(inputs.area)
        for win in windows:
            yield win, window_proba(inputs, win)
        return
    from distributed import as_completed

    [shared] = client.scatter([inputs], broadcast=True, hash=False)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    todo = list(windows)
    head = [client.submit(_proba_remote, shared, w, pure=False)
            for w in todo[:2 * workers]]
    todo = todo[2 * workers:]
    running = as_completed(head)
    for fut in running:
        win, values = fut.result()
        fut.release()
        if todo:
            running.add(client.submit(_proba_remote, shared, todo.pop(0), pure=False))
        yield win, values


@dataclass
class Written:
    path: Path
    grid: Grid
    windows: int
    cells_inside: int
    min: float | None
    max: float | None
    mean: float | None


def write_cog(inputs: Inputs, output: Path, *, chunk: int = DEFAULT_CHUNK, client: Any = None,
              tile: int = 512, tags: dict[str, str] | None = None,
              progress: Callable[[int, int], None] | None = None) -> Written:
    """Compute the surface window by window into a tiled GeoTIFF beside ``output``, then
    copy it as a Cloud-Optimised GeoTIFF (GDAL's COG driver: ``tile`` x ``tile`` tiles,
    DEFLATE, overviews by averaging down to one tile) at ``output``."""
    import rasterio
    import rasterio.shutil
    from rasterio.windows import Window as RWindow

    grid = inputs.grid
    windows = grid.windows(chunk)
    output = Path(output)
    profile = {"driver": "GTiff", "dtype": "float32", "count": 1, "width": grid.width,
               "height": grid.height, "crs": grid.crs_wkt, "transform": grid.transform(),
               "nodata": NODATA, "tiled": True, "blockxsize": tile, "blockysize": tile,
               "compress": "deflate", "BIGTIFF": "IF_SAFER"}
    n = 0
    total = 0.0
    lo, hi = math.inf, -math.inf
    fd, tmp = tempfile.mkstemp(suffix=".tif", dir=output.parent, prefix=".surface-")
    os.close(fd)
    try:
        with rasterio.open(tmp, "w", **profile) as dst:
            for k, (win, values) in enumerate(compute(inputs, windows, client=client), 1):
                r, c, h, w = win
                dst.write(values, 1, window=RWindow(c, r, w, h))
                ok = values[np.isfinite(values)]
                if ok.size:
                    n += int(ok.size)
                    total += float(ok.sum(dtype=np.float64))
                    lo, hi = min(lo, float(ok.min())), max(hi, float(ok.max()))
                if progress is not None:
                    progress(k, len(windows))
            dst.update_tags(**(tags or {}))
        rasterio.shutil.copy(tmp, str(output), driver="COG", compress="DEFLATE",
                             predictor="YES", blocksize=tile, overview_resampling="AVERAGE",
                             BIGTIFF="IF_SAFER", num_threads="1")
    finally:
        Path(tmp).unlink(missing_ok=True)
    return Written(output, grid, len(windows), n, lo if n else None, hi if n else None,
                   total / n if n else None)


# ---------------------------------------------------------------------------------------------
# Reading a surface back: zonal statistics per hazard


@dataclass(frozen=True)
class Zone:
    id: str
    geometry: BaseGeometry  # EPSG:4326
    info: dict[str, Any]


@dataclass(frozen=True)
class ZoneStats:
    id: str
    cells: int
    mean: float | None
    max: float | None
    touched: bool  # no cell centre inside: the cells it touches were used
    info: dict[str, Any]


def zonal(path: Path, zones: list[Zone]) -> list[ZoneStats]:
    """Mean and maximum of the surface's cells whose centre lies inside each zone (not
    area-weighted); a zone too small to hold a cell centre takes the cells it touches. Cells
    of nodata are left out; a zone with none has no mean."""
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import from_bounds

    out = []
    with rasterio.open(path) as src:
        fwd = pyproj.Transformer.from_crs("EPSG:4326", src.crs.to_wkt(), always_xy=True)

        def project(xy: np.ndarray) -> np.ndarray:
            x, y = fwd.transform(xy[:, 0], xy[:, 1])
            return np.column_stack((x, y))

        full = rasterio.windows.Window(0, 0, src.width, src.height)
        for z in zones:
            g = shapely.transform(z.geometry, project)
            box = from_bounds(*g.bounds, transform=src.transform)
            c0, r0 = math.floor(box.col_off) - 1, math.floor(box.row_off) - 1
            win = rasterio.windows.Window(c0, r0, math.ceil(box.col_off + box.width) + 1 - c0,
                                          math.ceil(box.row_off + box.height) + 1 - r0)
            try:
                win = win.intersection(full)
            except rasterio.errors.WindowError:
                out.append(ZoneStats(z.id, 0, None, None, False, z.info))
                continue
            values = src.read(1, window=win, masked=True)
            tr = src.window_transform(win)
            stats = None
            for touched in (False, True):
                outside = geometry_mask([g], out_shape=values.shape, transform=tr,
                                        all_touched=touched)
                sel = values[~outside]
                sel = sel.compressed() if np.ma.isMaskedArray(sel) else sel
                sel = sel[np.isfinite(sel)]
                if sel.size:
                    stats = ZoneStats(z.id, int(sel.size), round(float(sel.mean()), 6),
                                      round(float(sel.max()), 6), touched, z.info)
                    break
            out.append(stats or ZoneStats(z.id, 0, None, None, False, z.info))
    return out


def ranked(stats: list[ZoneStats], by: str = "mean") -> list[ZoneStats]:
    """Highest ``by`` (mean or max) first, then the other, then id; zones without cells
    last."""
    other = "max" if by == "mean" else "mean"

    def key(s: ZoneStats) -> tuple[int, float, float, str]:
        a, b = getattr(s, by), getattr(s, other)
        return (a is None, -(a or 0.0), -(b or 0.0), s.id)

    return sorted(stats, key=key)


# ---------------------------------------------------------------------------------------------
# Map tiles: a surface as PNG tiles of the WebMercatorQuad tile matrix set

#: The colour ramp of map tiles: probability stops and their colours (ColorBrewer's YlOrRd,
#: eight classes), interpolated linearly in RGB between stops; 0.5 and above take the last
#: colour. The stops are close together at low probabilities, where nearly every cell of a
#: surface is (a calibrated probability of a recorded event per cell is small). Fixed, so
#: that two surfaces compare by colour; cells of nodata are transparent.
RAMP: tuple[tuple[float, str], ...] = (
    (0.0, "#ffffcc"), (0.005, "#ffeda0"), (0.01, "#fed976"), (0.02, "#feb24c"),
    (0.05, "#fd8d3c"), (0.1, "#fc4e2a"), (0.2, "#e31a1c"), (0.5, "#b10026"))
#: Pixels across a map tile.
TILE_PIXELS = 256
WEB_MERCATOR = "EPSG:3857"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def coloured(values: NDArray[np.floating[Any]]) -> NDArray[np.uint8]:
    """``values`` (probabilities) as RGBA pixels of :data:`RAMP` (rows x columns x 4): opaque
    where finite, transparent (all zero) where NaN."""
    stops = np.array([p for p, _ in RAMP])
    colours = np.array([_rgb(c) for _, c in RAMP], dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    p = np.clip(np.where(ok, v, 0.0), stops[0], stops[-1])
    out = np.zeros(v.shape + (4,), dtype=np.uint8)
    for band in range(3):
        out[..., band] = np.rint(np.interp(p, stops, colours[:, band])).astype(np.uint8)
    out[..., 3] = 255
    out[~ok] = 0
    return out


def _overview_level(src: Any, pixel: float) -> int | None:
    """The index of the coarsest overview whose cells are no larger than ``pixel`` (in the
    surface's units), None for the full resolution."""
    best = None
    for i, factor in enumerate(src.overviews(1)):
        if src.res[0] * factor <= pixel * 1.001:
            best = i
    return best


def read_tile(path: Path, bounds: tuple[float, float, float, float],
              pixels: int = TILE_PIXELS) -> NDArray[np.float32] | None:
    """The surface at ``path`` resampled onto a ``pixels`` x ``pixels`` tile of Web Mercator
    ``bounds`` (minx, miny, maxx, maxy in metres): NaN where the surface has no value; None
    when the tile does not meet the surface. Cells are read from the overview nearest the
    tile's pixel (the COG's overviews average the cells), then taken nearest-neighbour."""
    import rasterio
    from affine import Affine
    from rasterio.enums import Resampling
    from rasterio.warp import reproject, transform_bounds

    with rasterio.open(path) as src:
        extent = transform_bounds(src.crs, WEB_MERCATOR, *src.bounds, densify_pts=21)
        if (bounds[0] >= extent[2] or bounds[2] <= extent[0] or bounds[1] >= extent[3]
                or bounds[3] <= extent[1]):
            return None
        native = transform_bounds(WEB_MERCATOR, src.crs, *bounds, densify_pts=21)
        level = _overview_level(src, (native[2] - native[0]) / pixels)
        crs = src.crs
    out = np.full((pixels, pixels), np.nan, dtype=np.float32)
    opened = rasterio.open(path) if level is None else rasterio.open(path, overview_level=level)
    with opened as src:
        reproject(rasterio.band(src, 1), out, src_nodata=src.nodata, src_crs=crs,
                  dst_transform=Affine((bounds[2] - bounds[0]) / pixels, 0.0, bounds[0], 0.0,
                                       -(bounds[3] - bounds[1]) / pixels, bounds[3]),
                  dst_crs=WEB_MERCATOR,
                  dst_nodata=np.nan, resampling=Resampling.nearest)
    return out


def png(rgba: NDArray[np.uint8]) -> bytes:
    """RGBA pixels (rows x columns x 4) as a PNG file (GDAL's PNG driver, in memory)."""
    from affine import Affine
    from rasterio.io import MemoryFile

    h, w, _ = rgba.shape
    # a transform of pixels (not the identity, which rasterio warns of from any thread): a
    # PNG keeps none, and GDAL writes no side file for it in memory
    with MemoryFile(ext="png") as mem:
        with mem.open(driver="PNG", width=w, height=h, count=4, dtype="uint8",
                      transform=Affine(1.0, 0.0, 0.0, 0.0, -1.0, float(h))) as dst:
            dst.write(np.moveaxis(rgba, -1, 0))
        return bytes(mem.read())

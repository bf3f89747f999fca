"""Risk surfaces as services: the risk model's probability per cell of a metric grid over
the store's territory, written as a Cloud-Optimised GeoTIFF with Dask; hazards ranked by the
risk inside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely

from mineaction.access import Role
from mineaction.errors import InvalidInput, NotFound, Unauthorized
from mineaction.geo.traverse import LocalFrame
from mineaction.messages import Message
from mineaction.risk import features as F
from mineaction.risk import surface as S
from mineaction.risk.model import RiskModel
from mineaction.services import tiles
from mineaction.services.context import Context
from mineaction.services.evidence import known as store_known


def inputs(ctx: Context, model: RiskModel, resolution: float, *,
           bbox: tuple[float, float, float, float] | None = None,
           before: dt.date | None = None, context_path: str | None = None
           ) -> tuple[S.Inputs, list[Message]]:
    """What a surface needs, read once from the store: what it knew before ``before``, the
    area (its territory, cut to ``bbox``), the grid, the plane of the features' distances
    (centred on the bbox, else on the territory's bounds, as ``risk features`` does). The
    features are checked against the model at one point before any window is computed."""
    k = store_known(ctx.reader)
    if k.territory is None and bbox is None:
        raise InvalidInput.of("surface.no_territory")
    if bbox is not None:
        w, s, e, n = bbox
        if not (w < e and s < n):
            raise InvalidInput.of("surface.bad_bbox", value=",".join(f"{v:g}" for v in bbox))
        box = shapely.box(*bbox)
        area = box if k.territory is None else shapely.intersection(k.territory, box)
        centre = bbox
    else:
        area = k.territory
        centre = k.territory.bounds
    if area.is_empty:
        raise InvalidInput.of("surface.empty_area")
    then = k.before(before)
    then.today = before or ctx.today()
    frame = LocalFrame((centre[0] + centre[2]) / 2, (centre[1] + centre[3]) / 2)
    grid = S.grid_for(area, resolution)
    context = F.read_context(context_path) if context_path else None
    built = S.Inputs(grid, area, then, context, model, frame)
    p = shapely.get_coordinates(area.representative_point())
    _X, alignment = model.align(S.point_features(built, p[:, 0], p[:, 1]))
    return built, alignment.messages()


@contextmanager
def dask_client(workers: int, scheduler: str | None, *, processes: bool = True
                ) -> Iterator[Any]:
    """A Dask client: of the cluster at ``scheduler``, else of a local cluster of
    ``workers`` single-threaded workers (processes, or threads with ``processes=False``);
    None (work in this process) with ``workers`` 0 and no scheduler."""
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            yield client
        return
    if workers <= 0:
        yield None
        return
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


@dataclass
class Surface:
    written: S.Written
    crs: str
    messages: list[Message] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        w, g = self.written, self.written.grid
        return {"path": str(w.path), "crs": self.crs, "resolution_m": g.res,
                "width": g.width, "height": g.height, "cells": g.cells,
                "cells_inside": w.cells_inside, "windows": w.windows, "min": w.min,
                "max": w.max, "mean": w.mean}


#: The tag a surface computed from a store of synthetic (demonstration) data carries.
SYNTHETIC_TAG = ("synthetic: computed from demonstration data made up for testing, in a "
                 "fictional territory at sea; it describes no real place")


def surface(ctx: Context, model_path: Path, output: Path, *, resolution: float,
            bbox: tuple[float, float, float, float] | None = None,
            before: dt.date | None = None, context_path: str | None = None,
            chunk: int = S.DEFAULT_CHUNK, workers: int = 2, scheduler: str | None = None,
            processes: bool = True, tile: int = 512,
            progress: Callable[[int, int], None] | None = None) -> Surface:
    """Write the risk surface of the store's territory (or ``bbox``) at ``output``."""
    model = RiskModel.load(model_path)
    built, said = inputs(ctx, model, resolution, bbox=bbox, before=before,
                         context_path=context_path)
    crs = built.grid.crs
    name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.to_proj4()
    tags = {"MINEACTION_MODEL": Path(model_path).name, "MINEACTION_CRS": name,
            "MINEACTION_MODEL_CREATED": _card_created(Path(model_path)),
            "MINEACTION_RESOLUTION_M": f"{resolution:g}",
            "MINEACTION_KNOWN_BEFORE": (before or ctx.today()).isoformat(),
            "MINEACTION_VALUE": "calibrated probability of explosive ordnance in the cell"}
    from mineaction.reports.definitions import synthetic

    if synthetic(ctx.reader, ["hazards", "finds", "activities"]):
        tags["MINEACTION_SYNTHETIC"] = SYNTHETIC_TAG
    with dask_client(workers, scheduler, processes=processes) as client:
        written = S.write_cog(built, output, chunk=chunk, client=client, tile=tile, tags=tags,
                              progress=progress)
    return Surface(written, name, said)


def _card_created(model_path: Path) -> str:
    """The date of the model's card (when the model was trained), '' without a card."""
    import json

    from mineaction.risk.model import card_paths

    path = card_paths(model_path)[1]
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("created") or "")
    except (OSError, ValueError):
        return ""


def rank_hazards(ctx: Context, surface_path: Path, *, by: str = "mean",
                 every_status: bool = False) -> list[S.ZoneStats]:
    """Open hazards (every hazard with ``every_status``) the actor may see, ranked by the
    mean (or maximum) risk of the surface's cells inside them."""
    from mineaction.geo.measure import area_m2

    if not Path(surface_path).is_file():
        raise InvalidInput.of("surface.no_surface", path=str(surface_path))
    zones = []
    for h in ctx.reader.iter("hazards"):
        g = getattr(h, "geometry", None)
        if g is None or g.is_empty:
            continue
        status = str(h.status)  # type: ignore[attr-defined]
        if not every_status and status != "open":
            continue
        zones.append(S.Zone(h.id, g, {"name": getattr(h, "name", None),
                                      "kind": str(getattr(h, "kind", "")), "status": status,
                                      "area_m2": round(float(area_m2(g)), 1)}))
    return S.ranked(S.zonal(Path(surface_path), zones), by)


def ranked_rows(stats: list[S.ZoneStats]) -> list[dict[str, Any]]:
    """Rows of a ranking, best first, for JSON or CSV."""
    return [{"rank": i, "hazard_id": s.id, **s.info, "cells": s.cells, "mean": s.mean,
             "max": s.max, "touched_cells": s.touched} for i, s in enumerate(stats, 1)]


# ---------------------------------------------------------------------------------------------
# The surface as map tiles (OGC API Tiles, PNG) for signed-in users

#: The id of the risk surface's map tiles (``/collections/risk-surface/map/tiles``).
MAP_ID = "risk-surface"
MAP_MIN_ZOOM, MAP_MAX_ZOOM = 0, 18


@dataclass(frozen=True)
class MapLayer:
    """The risk surface of the settings as map tiles: a model's estimate, never a record of
    contamination, so it is shown with the model's name and its card's date, to signed-in
    users only."""

    path: Path
    model: str | None  # the model file's name
    model_created: str | None  # when the model was trained (its card's date)
    known_before: str | None  # the store's records used were those known before this day
    resolution_m: float | None
    bounds: tuple[float, float, float, float]  # W, S, E, N in degrees
    min_zoom: int = MAP_MIN_ZOOM
    max_zoom: int = MAP_MAX_ZOOM

    def as_dict(self) -> dict[str, Any]:
        return {"id": MAP_ID, "model": self.model, "model_created": self.model_created,
                "known_before": self.known_before, "resolution_m": self.resolution_m,
                "bounds": list(self.bounds), "minzoom": self.min_zoom,
                "maxzoom": self.max_zoom, "ramp": [[p, c] for p, c in S.RAMP]}


def describe_surface(path: Path) -> MapLayer:
    """What the GeoTIFF at ``path`` says of itself (its tags, its extent); InvalidInput when
    there is no file there or GDAL does not read it as a raster."""
    import rasterio
    from rasterio.warp import transform_bounds

    path = Path(path)
    if not path.is_file():
        raise InvalidInput.of("surface.no_surface", path=str(path))
    try:
        with rasterio.open(path) as src:
            tags = dict(src.tags())
            if src.crs is None:
                raise InvalidInput.of("surface.no_crs", path=str(path))
            w, s, e, n = transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21)
    except rasterio.errors.RasterioError as exc:
        raise InvalidInput.of("surface.unreadable", path=str(path), reason=str(exc)) from None
    res = tags.get("MINEACTION_RESOLUTION_M")
    return MapLayer(path, tags.get("MINEACTION_MODEL") or None,
                    tags.get("MINEACTION_MODEL_CREATED") or None,
                    tags.get("MINEACTION_KNOWN_BEFORE") or None,
                    float(res) if res else None, (w, s, e, n))


def _signed_in(ctx: Context) -> bool:
    return bool(set(ctx.actor.roles) - {Role.PUBLIC})


def map_layer(ctx: Context) -> MapLayer | None:
    """The risk surface as map tiles for the actor: None for the public (a model's estimate
    is never public) and when the settings name no surface."""
    if not _signed_in(ctx) or ctx.settings.risk_surface is None:
        return None
    path = Path(ctx.settings.risk_surface)
    try:
        stat = path.stat()
    except OSError:
        raise InvalidInput.of("surface.no_surface", path=str(path)) from None
    return _described(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _described(path: str, _mtime_ns: int, _size: int) -> MapLayer:
    return describe_surface(Path(path))


def require_map_layer(ctx: Context) -> MapLayer:
    """The risk surface as map tiles: Unauthorized for the public, NotFound when the
    settings name no surface."""
    if not _signed_in(ctx):
        raise Unauthorized.of("api.sign_in")
    found = map_layer(ctx)
    if found is None:
        raise NotFound.of("tiles.no_tileset", id=MAP_ID)
    return found


def map_tile(ctx: Context, z: int, y: int, x: int) -> tiles.Tile:
    """The PNG tile at zoom ``z``, row ``y``, column ``x`` of WebMercatorQuad: the surface's
    probabilities coloured by :data:`~mineaction.risk.surface.RAMP`, transparent where it has
    no value; ``data`` None (an empty tile) where the tile holds no cell of it. Tiles are
    cached with the vector tiles, keyed by the file's state. Unauthorized for the public;
    NotFound without a surface or outside the zooms."""
    import numpy as np

    layer = require_map_layer(ctx)
    if not layer.min_zoom <= z <= layer.max_zoom:
        raise NotFound.of("tiles.zoom_out_of_range", id=MAP_ID, zoom=z, min=layer.min_zoom,
                          max=layer.max_zoom)
    if not (0 <= x < (1 << z) and 0 <= y < (1 << z)):
        raise NotFound.of("tiles.no_tile", id=MAP_ID, zoom=z, row=y, col=x)
    stat = layer.path.stat()
    key = (MAP_ID, str(layer.path.resolve()), stat.st_mtime_ns, stat.st_size, z, y, x)
    found = tiles.CACHE.get(key)
    if found is None:
        values = S.read_tile(layer.path, tiles.tile_bounds(z, y, x))
        cells = 0 if values is None else int(np.isfinite(values).sum())
        found = tiles.Tile(S.png(S.coloured(values)) if values is not None and cells else None,
                           cells)
        tiles.CACHE.put(key, found)
    return found

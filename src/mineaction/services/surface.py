"""Risk surfaces as services: the risk model's probability per cell of a metric grid over
the store's territory, written as a Cloud-Optimised GeoTIFF with Dask; hazards ranked by the
risk inside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely

from mineaction.errors import InvalidInput
from mineaction.geo.traverse import LocalFrame
from mineaction.messages import Message
from mineaction.risk import features as F
from mineaction.risk import surface as S
from mineaction.risk.model import RiskModel
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
            "MINEACTION_RESOLUTION_M": f"{resolution:g}",
            "MINEACTION_KNOWN_BEFORE": (before or ctx.today()).isoformat(),
            "MINEACTION_VALUE": "calibrated probability of explosive ordnance in the cell"}
    with dask_client(workers, scheduler, processes=processes) as client:
        written = S.write_cog(built, output, chunk=chunk, client=client, tile=tile, tags=tags,
                              progress=progress)
    return Surface(written, name, said)


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

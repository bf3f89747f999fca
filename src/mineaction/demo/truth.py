"""The ground truth file: a GeoPackage of its own, never the operational store.

It holds what no programme knows: the land as generated (coastline, settlements, roads, rivers,
land cover, front line and belt, positions), every contaminated site and every item in it with
its fate (found by which activity, left behind by which survey, inspected, exploded), the error
applied to every minefield record, and the exposure behind each accident. Layers are written
in chunks with GDAL (pyogrio), so the largest scenarios stream through bounded memory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from shapely.geometry.base import BaseGeometry

CHUNK = 50_000

#: Truth layers and what they hold (documented in README and kept in the file's metadata).
LAYERS = {
    "scenario": "seed, scale, source and box of the scenario",
    "land": "coastline of the fictional land",
    "settlements": "settlements with population and district",
    "roads": "roads (main, local)",
    "rivers": "rivers",
    "land_cover": "farmland, pasture and forest",
    "front_line": "the former front line",
    "belt": "the defensive belt, 5 km wide",
    "positions": "fortified positions on both sides",
    "sites": "true contaminated sites: row fields, nuisance mining, IEDs, battle areas, strikes",
    "field_rows": "rows of mines of the row fields (first to last mine)",
    "items": "every explosive item with its fate",
    "left_behind": "items in land released by survey that still held them",
    "record_errors": "the error applied to each minefield record, and what it was built from",
    "accident_exposure": "exposure at each accident's location",
    "hazard_sites": "which true sites each recorded hazard overlaps",
}


class TruthWriter:
    """Buffered, appending writer of the truth layers (EPSG:4326)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = str(path)
        p = Path(self.path)
        for suffix in ("", "-wal", "-shm", "-journal"):
            q = Path(str(p) + suffix)
            if q.exists():
                q.unlink()
        p.parent.mkdir(parents=True, exist_ok=True)
        self.created: set[str] = set()
        self.buffers: dict[str, tuple[str | None, list[Any], dict[str, list[Any]]]] = {}
        self.counts: dict[str, int] = {}
        self.point_buffers: dict[str, list[tuple[np.ndarray, np.ndarray,
                                                 dict[str, np.ndarray]]]] = {}
        self.point_rows: dict[str, int] = {}

    def add(self, layer: str, geometry: BaseGeometry | None, geometry_type: str | None,
            **values: Any) -> None:
        buf = self.buffers.get(layer)
        if buf is None:
            buf = (geometry_type, [], {k: [] for k in values})
            self.buffers[layer] = buf
        buf[1].append(geometry)
        for k, v in values.items():
            buf[2][k].append(v)
        if len(buf[1]) >= CHUNK:
            self.flush(layer)

    def add_points(self, layer: str, lon: np.ndarray, lat: np.ndarray,
                   columns: dict[str, Sequence[Any] | np.ndarray]) -> None:
        """Queue many points at once (items); written in chunks of :data:`CHUNK`."""
        if not len(lon):
            return
        chunks = self.point_buffers.setdefault(layer, [])
        chunks.append((np.asarray(lon, float), np.asarray(lat, float),
                       {k: np.asarray(v) for k, v in columns.items()}))
        self.point_rows[layer] = self.point_rows.get(layer, 0) + len(lon)
        if self.point_rows[layer] >= CHUNK:
            self.flush_points(layer)

    def flush_points(self, layer: str) -> None:
        chunks = self.point_buffers.pop(layer, [])
        self.point_rows[layer] = 0
        if not chunks:
            return
        lon = np.concatenate([c[0] for c in chunks])
        lat = np.concatenate([c[1] for c in chunks])
        cols = {k: np.concatenate([c[2][k] for c in chunks]) for k in chunks[0][2]}
        wkb = shapely.to_wkb(shapely.points(np.column_stack((lon, lat))))
        self._write(layer, "Point", wkb, cols)

    def flush(self, layer: str | None = None) -> None:
        for name in [layer] if layer else list(self.buffers):
            buf = self.buffers.pop(name, None) if name else None
            if not buf or not buf[1]:
                continue
            gtype, geoms, cols = buf
            wkb = None if gtype is None else np.array(shapely.to_wkb(geoms), dtype=object)
            self._write(name, gtype, wkb, {k: _column(v) for k, v in cols.items()})

    def _write(self, layer: str, gtype: str | None, wkb: Any,
               cols: dict[str, np.ndarray]) -> None:
        names = list(cols)
        pyogrio.raw.write(
            self.path, wkb, [cols[k] for k in names], names, layer=layer, driver="GPKG",
            geometry_type=gtype, crs="EPSG:4326" if gtype else None,
            append=layer in self.created or bool(self.created),
            layer_options={"SPATIAL_INDEX": "YES"} if gtype and layer not in self.created
            else None,
            dataset_options=None if self.created else {"VERSION": "1.3"})
        self.created.add(layer)
        n = len(next(iter(cols.values()))) if cols else 0
        self.counts[layer] = self.counts.get(layer, 0) + n

    def close(self) -> None:
        self.flush()
        for layer in list(self.point_buffers):
            self.flush_points(layer)


def _column(values: list[Any]) -> np.ndarray:
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    if all(isinstance(v, (float, int, np.floating)) and not isinstance(v, bool)
           for v in values):
        return np.array(values, dtype=np.float64)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def read_layer(path: str | os.PathLike[str], layer: str) -> tuple[list[Any],
                                                                     dict[str, np.ndarray]]:
    """A truth layer as (geometries, columns), read back with GDAL."""
    meta, _fids, geoms, data = pyogrio.raw.read(str(path), layer=layer)
    cols = {str(name): arr for name, arr in zip(meta["fields"], data, strict=True)}
    out: list[Any] = [None] * len(data[0]) if geoms is None else list(shapely.from_wkb(geoms))
    return out, cols


def layers(path: str | os.PathLike[str]) -> list[str]:
    return [str(row[0]) for row in pyogrio.list_layers(str(path))]

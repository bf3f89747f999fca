"""Records of a layer as GeoParquet 1.1: typed columns, the geometry as WKB with a bounding-box
covering column, written in batches (memory bounded by the batch, not the layer), for DuckDB,
pandas, GDAL or any Arrow reader.

Coordinates are longitude, latitude in WGS84 (``OGC:CRS84``, the GeoParquet default, stated
in the metadata). Dates are Parquet dates; codes and sets of codes are text as the store
writes them; the geodesic area of polygons has a column of its own, as in every export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from mineaction.domain.layers import Layer, export_area_column
from mineaction.domain.schema import Record
from mineaction.geo.measure import area_m2
from mineaction.store.rows import column_value

#: Records per row group (and per batch held in memory).
BATCH = 50_000

#: GeoParquet geometry types of the layers' geometry types.
_TYPES = {"MULTIPOLYGON": ["MultiPolygon"], "POINT": ["Point"]}

def _crs84() -> dict[str, Any]:
    """``OGC:CRS84`` (WGS84, longitude first) as PROJJSON."""
    from pyproj import CRS

    return CRS("OGC:CRS84").to_json_dict()  # type: ignore[no-any-return]


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {"integer": pa.int64(), "real": pa.float64(), "boolean": pa.bool_(),
            "date": pa.date32()}.get(kind, pa.string())


def schema(layer: Layer, *, public_only: bool = False) -> Any:
    """The Arrow schema of ``layer``'s export (without the GeoParquet metadata)."""
    import pyarrow as pa

    fields = [pa.field(s.name, _arrow_type(s.kind)) for s in layer.fields
              if not (public_only and not s.public)]
    computed = export_area_column(layer)
    if computed is not None:
        fields.append(pa.field(computed, pa.float64()))
    if layer.spatial:
        fields.append(pa.field("geometry", pa.binary()))
        fields.append(pa.field("bbox", pa.struct([(n, pa.float64()) for n in
                                                  ("xmin", "ymin", "xmax", "ymax")])))
    return pa.schema(fields)


def geo_metadata(layer: Layer, bbox: list[float] | None) -> dict[str, Any]:
    """The ``geo`` metadata of GeoParquet 1.1 for ``layer`` (``bbox``: of all its geometries)."""
    column: dict[str, Any] = {
        "encoding": "WKB", "geometry_types": _TYPES.get(layer.geometry_type or "", []),
        "crs": _crs84(), "edges": "planar",
        "covering": {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}}}
    if bbox is not None:
        column["bbox"] = bbox
    return {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}


def _batch(layer: Layer, records: list[Record], sch: Any) -> tuple[Any, Any]:
    """One record batch of ``records``, and the bounds of its geometries (n x 4, NaN rows for
    none)."""
    import pyarrow as pa

    arrays: list[Any] = []
    bounds = None
    for f in sch:
        if f.name == "geometry":
            geoms = np.asarray([getattr(r, "geometry", None) for r in records], dtype=object)
            empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
            wkb = shapely.to_wkb(geoms, byte_order=1, flavor="iso")
            arrays.append(pa.array(wkb, type=pa.binary(), mask=shapely.is_missing(geoms)))
            bounds = shapely.bounds(geoms)
            bounds[empty] = np.nan
            arrays.append(pa.StructArray.from_arrays(
                [pa.array(bounds[:, k]) for k in range(4)], ["xmin", "ymin", "xmax", "ymax"],
                mask=pa.array(empty)))
        elif f.name == "bbox":
            continue
        elif f.name == export_area_column(layer):
            arrays.append(pa.array([round(area_m2(getattr(r, "geometry", None)), 1)
                                    for r in records], type=pa.float64()))
        else:
            spec = next(s for s in layer.fields if s.name == f.name)
            arrays.append(pa.array([column_value(spec, getattr(r, spec.name))
                                    for r in records], type=f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=sch), bounds


def write_geoparquet(layer: Layer, records: Iterable[Record], path: str | Path, *,
                     public_only: bool = False, batch: int = BATCH) -> int:
    """Write ``records`` of ``layer`` to ``path`` as (Geo)Parquet; returns how many were
    written. A layer without geometry is plain Parquet. The target must have been checked
    (:func:`mineaction.io.writers.check_target`)."""
    import pyarrow.parquet as pq

    sch = schema(layer, public_only=public_only)
    total = 0
    extent: list[float] | None = None
    p = Path(path)
    # the "geo" metadata, with the extent known at the end, goes into the file's key-value
    # metadata; without a stored Arrow schema, readers take their schema metadata from there
    with pq.ParquetWriter(str(p), sch, compression="zstd", store_schema=False) as writer:
        chunk: list[Record] = []

        def flush() -> None:
            nonlocal extent
            rb, bounds = _batch(layer, chunk, sch)
            writer.write_batch(rb, row_group_size=max(len(chunk), 1))
            if bounds is not None and len(bounds) and not np.isnan(bounds).all():
                part = [float(np.nanmin(bounds[:, 0])), float(np.nanmin(bounds[:, 1])),
                        float(np.nanmax(bounds[:, 2])), float(np.nanmax(bounds[:, 3]))]
                extent = part if extent is None else [
                    min(extent[0], part[0]), min(extent[1], part[1]),
                    max(extent[2], part[2]), max(extent[3], part[3])]
            chunk.clear()

        for record in records:
            chunk.append(record)
            total += 1
            if len(chunk) >= batch:
                flush()
        if chunk or total == 0:
            flush()
        if layer.spatial:
            writer.add_key_value_metadata({"geo": json.dumps(geo_metadata(layer, extent))})
    return total

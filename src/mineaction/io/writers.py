"""Writing records to files through GDAL (pyogrio): GeoJSON, GeoPackage, CSV with WKT; XLSX
through openpyxl. Polygon layers get a column with the geodesic area of each polygon
(:func:`~mineaction.domain.layers.export_area_column`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from mineaction.domain.layers import Layer, export_area_column
from mineaction.domain.schema import Record
from mineaction.geo.measure import area_m2
from mineaction.store.rows import column_value

FORMATS = {"geojson": ("GeoJSON", ".geojson"), "gpkg": ("GPKG", ".gpkg"),
           "csv": ("CSV", ".csv"), "xlsx": ("XLSX", ".xlsx"), "fgb": ("FlatGeobuf", ".fgb")}


def format_for(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return fmt
    for name, (_, suffix) in FORMATS.items():
        if path.suffix.lower() == suffix:
            return name
    if path.suffix.lower() == ".json":
        return "geojson"
    raise ValueError(f"cannot tell the format of {path.name}; give --format")


def record_columns(layer: Layer, records: Sequence[Record], *, public_only: bool = False
                   ) -> dict[str, list[Any]]:
    """Plain column values (text, numbers, ISO dates, None) for each field, plus the geodesic
    area of polygons in a column of its own (:func:`export_area_column`): a stored field is
    never overwritten by a computed one."""
    cols: dict[str, list[Any]] = {}
    for spec in layer.fields:
        if public_only and not spec.public:
            continue
        values = []
        for r in records:
            v = column_value(spec, getattr(r, spec.name))
            if isinstance(v, dt.date):
                v = v.isoformat()
            values.append(v)
        cols[spec.name] = values
    computed = export_area_column(layer)
    if computed is not None:
        cols[computed] = [round(area_m2(getattr(r, "geometry", None)), 1) for r in records]
    return cols


def _array(values: list[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    present = [v for v in values if v is not None]
    mask = np.array([v is None for v in values], dtype=bool)
    if present and all(isinstance(v, bool) for v in present):
        return np.array([bool(v) if v is not None else False for v in values]), mask
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return np.array([v if v is not None else 0 for v in values], dtype=np.int64), mask
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return np.array([v if v is not None else np.nan for v in values], dtype=float), mask
    return np.array([None if v is None else str(v) for v in values], dtype=object), mask


def write_records(layer: Layer, records: Iterable[Record], path: str | Path,
                  fmt: str | None = None, *, public_only: bool = False) -> int:
    """Write ``records`` of ``layer`` to ``path``; returns how many were written."""
    p = Path(path)
    fmt = format_for(p, fmt)
    recs = list(records)
    cols = record_columns(layer, recs, public_only=public_only)
    geoms = [getattr(r, "geometry", None) for r in recs] if layer.spatial else None
    if fmt == "xlsx":
        _write_xlsx(layer, cols, geoms, p)
        return len(recs)
    import pyogrio.raw

    driver = FORMATS[fmt][0]
    arrays, masks = zip(*(_array(v) for v in cols.values()), strict=True) if cols else ((), ())
    if p.exists() and fmt != "gpkg":
        p.unlink()
    wkb = None
    gtype = None
    options: dict[str, Any] = {}
    if layer.spatial:
        wkb = np.array([None if g is None else shapely.to_wkb(g) for g in geoms or []],
                       dtype=object)
        gtype = {"MULTIPOLYGON": "MultiPolygon", "POINT": "Point"}.get(
            layer.geometry_type or "", "Unknown")
    if fmt == "csv" and layer.spatial:
        options["GEOMETRY"] = "AS_WKT"
    if fmt == "gpkg":
        options["OVERWRITE"] = "YES"
    pyogrio.raw.write(
        str(p), wkb if wkb is not None else None, list(arrays), list(cols), field_mask=list(masks),
        layer=layer.table, driver=driver, geometry_type=gtype,
        crs="EPSG:4326" if layer.spatial else None, layer_options=options or None,
        append=False)
    return len(recs)


def _write_xlsx(layer: Layer, cols: dict[str, list[Any]], geoms: list[Any] | None,
                p: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = layer.table[:31]
    names = list(cols) + (["wkt"] if geoms is not None else [])
    ws.append(names)
    n = len(next(iter(cols.values()))) if cols else 0
    for i in range(n):
        row = [cols[c][i] for c in cols]
        if geoms is not None:
            row.append(None if geoms[i] is None else geoms[i].wkt)
        ws.append(row)
    wb.save(p)

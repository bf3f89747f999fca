"""Reading input files into plain features: a label saying where each row is, its properties
and its geometry, plus the CRS the file declares. No validation happens here beyond "is this
file what its name says"; :mod:`mineaction.io.load` checks every row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mineaction.errors import InvalidInput, Problem

GDAL_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG",
                 ".zip": "ESRI Shapefile", ".shp": "ESRI Shapefile", ".fgb": "FlatGeobuf",
                 ".kml": "KML"}
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom")
LONLAT_COLUMNS = (("lon", "lat"), ("longitude", "latitude"), ("x", "y"), ("lng", "lat"))


@dataclass
class InputFeature:
    where: str  # "line 12", "feature 3 (id H-7)", "sheet Hazards row 4"
    properties: dict[str, Any]
    geometry: BaseGeometry | None = None
    geometry_problem: str | None = None


@dataclass
class SourceFile:
    path: Path
    format: str
    crs: str | None  # as declared by the file; None when it declares none
    features: list[InputFeature] = field(default_factory=list)
    crs_is_default: bool = False  # True when the format implies EPSG:4326 (GeoJSON)


def read_file(path: str | Path, layer: str | None = None) -> SourceFile:
    """Read ``path`` into a :class:`SourceFile`; InvalidInput when it cannot be read as its
    name says (a file called .geojson that is not GeoJSON, a broken zip, ...)."""
    p = Path(path)
    if not p.exists():
        raise InvalidInput(f"{p}: no such file")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(p)
    if suffix in (".xlsx",):
        return _read_xlsx(p)
    return _read_gdal(p, GDAL_SUFFIXES.get(suffix), layer)


# --- GDAL formats -----------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        item = value.astype("datetime64[us]").item()
        return item.date() if isinstance(item, dt.datetime) and item.time() == dt.time() \
            else item
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _read_gdal(p: Path, driver: str | None, layer: str | None) -> SourceFile:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    target = f"/vsizip/{p}" if p.suffix.lower() == ".zip" else str(p)
    try:
        meta, _fids, geoms, fields = pyogrio.raw.read(target, layer=layer, return_fids=True)
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        kind = driver or "GIS"
        raise InvalidInput(f"{p}: not a readable {kind} file ({str(exc).splitlines()[0]})"
                           ) from None
    found = meta.get("driver")
    if driver and found and found != driver and not (driver == "GeoJSON" and "JSON" in found):
        raise InvalidInput(f"{p}: the name says {driver} but the content is {found}")
    names = list(meta["fields"])
    src = SourceFile(p, found or driver or "GDAL", meta.get("crs"),
                     crs_is_default=(found == "GeoJSON"))
    columns = [list(map(_plain, col)) for col in fields]
    parsed = shapely.from_wkb(geoms, on_invalid="ignore") if geoms is not None else None
    id_col = names.index("id") if "id" in names else None
    for i in range(len(_fids)):
        props = {name: columns[j][i] for j, name in enumerate(names)}
        label = f"feature {i + 1}"
        if id_col is not None and columns[id_col][i] not in (None, ""):
            label += f" (id {columns[id_col][i]})"
        geom = None if parsed is None else parsed[i]
        problem = None
        if geoms is not None and geoms[i] is not None and geom is None:
            problem = "geometry cannot be parsed"
        src.features.append(InputFeature(label, props, geom, problem))
    return src


# --- CSV and XLSX -----------------------------------------------------------------------------

def _geometry_from_columns(props: dict[str, Any]) -> tuple[BaseGeometry | None, str | None]:
    lower = {k.lower().strip(): k for k in props}
    for name in WKT_COLUMNS:
        if name in lower:
            text = props.pop(lower[name])
            if text in (None, ""):
                return None, None
            try:
                return shapely.from_wkt(str(text)), None
            except shapely.errors.GEOSException as exc:
                return None, f"geometry is not valid WKT ({str(exc).splitlines()[0]})"
    for xname, yname in LONLAT_COLUMNS:
        if xname in lower and yname in lower:
            x, y = props.pop(lower[xname]), props.pop(lower[yname])
            if x in (None, "") and y in (None, ""):
                return None, None
            try:
                return shapely.Point(float(x), float(y)), None
            except (TypeError, ValueError):
                return None, f"{xname}/{yname} are not numbers ({x!r}, {y!r})"
    return None, None


def _read_csv(p: Path) -> SourceFile:
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{p}: not a CSV file (not UTF-8 text)") from None
    if "\x00" in text:
        raise InvalidInput(f"{p}: not a CSV file (binary content)")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise InvalidInput(f"{p}: empty CSV file (no header row)")
    src = SourceFile(p, "CSV", None)
    for row in reader:
        line = reader.line_num
        props = {k.strip(): v for k, v in row.items() if k is not None}
        if None in row:
            src.features.append(InputFeature(f"line {line}", props, None,
                                             "row has more values than the header has columns"))
            continue
        geom, problem = _geometry_from_columns(props)
        src.features.append(InputFeature(f"line {line}", props, geom, problem))
    return src


def _read_xlsx(p: Path) -> SourceFile:
    import zipfile

    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(p, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{p}: not a readable XLSX file ({exc})") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise InvalidInput(f"{p}: the first sheet is empty")
    names = [str(h).strip() if h is not None else "" for h in header]
    src = SourceFile(p, "XLSX", None)
    for n, values in enumerate(rows, start=2):
        if values is None or all(v is None for v in values):
            continue
        props = {name: v for name, v in zip(names, values, strict=False) if name}
        geom, problem = _geometry_from_columns(props)
        src.features.append(InputFeature(f"sheet '{ws.title}' row {n}", props, geom, problem))
    wb.close()
    return src


def iter_problems(src: SourceFile) -> Iterator[Problem]:
    for f in src.features:
        if f.geometry_problem:
            yield Problem(f.where, "geometry", f.geometry_problem)

"""Writing the corpus's input files: one table of rows in any format the CLI imports, and the
label each format gives a row in its messages."""

from __future__ import annotations

import csv
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

#: Formats of a table of rows: the suffix of the file written.
SUFFIX = {"geojson": ".geojson", "csv": ".csv", "xlsx": ".xlsx", "gpkg": ".gpkg",
          "shp": ".zip", "fgb": ".fgb"}
GDAL_DRIVER = {"gpkg": "GPKG", "shp": "ESRI Shapefile", "fgb": "FlatGeobuf"}


class Raw(dict):  # type: ignore[type-arg]
    """A GeoJSON geometry member written as it is (possibly broken): only GeoJSON holds it."""


class Wkt(str):
    """A geometry written as this WKT text (possibly broken): CSV and XLSX only."""


def row_label(fmt: str, n: int, row: dict[str, Any]) -> str:
    """How the reader names row ``n`` (1-based, in the order written) of a file of ``fmt``."""
    if fmt == "csv":
        return f"line {n + 1}"
    if fmt == "xlsx":
        return f"sheet 'Sheet' row {n + 1}"
    rid = row.get("id")
    if fmt == "fgb":  # FlatGeobuf keeps its features in the order of its spatial index
        return f"(id {rid})" if rid not in (None, "") else ""
    return f"feature {n} (id {rid})" if rid not in (None, "") else f"feature {n}"


def columns(rows: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for r in rows:
        for k in r:
            if k != "geometry" and k not in names:
                names.append(k)
    return names


def _text(value: Any) -> Any:
    return None if value is None else (value if isinstance(value, str) else json.dumps(value))


def write_rows(fmt: str, path: Path, rows: list[dict[str, Any]], *,
               crs: str | None = None, geometry_type: str = "Unknown") -> Path:
    """Write ``rows`` (field values, and a shapely ``geometry``) as a file of ``fmt`` at
    ``path`` with the format's suffix; ``crs`` is declared where the format can say it."""
    path = path.with_suffix(SUFFIX[fmt])
    names = columns(rows)
    if fmt == "geojson":
        feats = []
        for r in rows:
            g = r.get("geometry")
            geom = g if isinstance(g, Raw) or g is None else mapping(g)
            feats.append({"type": "Feature", "geometry": geom,
                          "properties": {k: v for k, v in r.items() if k != "geometry"}})
        doc: dict[str, Any] = {"type": "FeatureCollection", "features": feats}
        if crs:
            doc["crs"] = {"type": "name", "properties": {"name": crs}}
        path.write_text(json.dumps(doc), encoding="utf-8")  # escapes keep lone surrogates
        return path
    spatial = any("geometry" in r for r in rows)
    header = names + (["wkt"] if spatial else [])

    def cells(r: dict[str, Any]) -> list[Any]:
        g = r.get("geometry")
        wkt = [g if isinstance(g, str) else (g.wkt if g is not None else None)] if spatial else []
        return [r.get(k) for k in names] + wkt

    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for r in rows:
                w.writerow(["" if v is None else _text(v) for v in cells(r)])
        return path
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(header)
        for r in rows:
            ws.append(cells(r))
        wb.save(path)
        return path
    driver = GDAL_DRIVER[fmt]
    target = path.with_suffix(".shp") if fmt == "shp" else path
    geoms = None
    if spatial:
        geoms = np.array([None if r.get("geometry") is None else
                          shapely.to_wkb(r["geometry"]) for r in rows], dtype=object)
    fields = [np.array([_text(r.get(k)) for r in rows], dtype=object) for k in names]
    with warnings.catch_warnings():  # a Shapefile cuts field names to 10 characters
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.raw.write(str(target), geoms, fields, names, driver=driver,
                          geometry_type=geometry_type if spatial else None,
                          crs=(crs or "EPSG:4326") if spatial else None, encoding="UTF-8")
    if fmt == "shp":
        return zip_parts(path, target)
    return path


def zip_parts(zpath: Path, shp: Path, skip: tuple[str, ...] = ()) -> Path:
    """A zip of the Shapefile ``shp`` and its sidecar files, without those of ``skip``."""
    with zipfile.ZipFile(zpath, "w") as z:
        for part in sorted(shp.parent.iterdir()):
            if part.stem == shp.stem and part.suffix.lower() not in (".zip", *skip):
                z.write(part, part.name)
    return zpath


def as_geojson_geometry(geom: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(geom))

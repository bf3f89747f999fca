"""Writing records to files through GDAL (pyogrio): GeoJSON, GeoPackage, CSV with WKT; XLSX
through openpyxl. Polygon layers get a column with the geodesic area of each polygon
(:func:`~mineaction.domain.layers.export_area_column`).

Spreadsheet outputs (CSV and XLSX) never carry a live formula: text that a spreadsheet would
read as one (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, the OWASP
list for CSV injection) is written with a leading single quote (:func:`spreadsheet_text`), and
XLSX cells are written as strings, never formulas. Numbers stay numbers. A file read back
therefore shows that quote; an import of such a file keeps it as part of the text.

:func:`check_target` refuses to write where a write would destroy a store: into a missing
folder, onto a folder, onto the store being read, or over any mineaction store.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from mineaction.domain.layers import Layer, export_area_column
from mineaction.domain.schema import Record
from mineaction.errors import InvalidInput
from mineaction.geo.measure import area_m2
from mineaction.store.rows import column_value

FORMATS = {"geojson": ("GeoJSON", ".geojson"), "gpkg": ("GPKG", ".gpkg"),
           "csv": ("CSV", ".csv"), "xlsx": ("XLSX", ".xlsx"), "fgb": ("FlatGeobuf", ".fgb"),
           "parquet": ("GeoParquet", ".parquet")}


#: Leading characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: formula-leading text gets a leading ``'``.

    Only text changes; numbers (negative ones too), dates and None pass through as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def xlsx_row(ws: Any, values: Sequence[Any]) -> None:
    """Append ``values`` to the worksheet as data: text as strings (never formulas, see
    :func:`spreadsheet_text`), characters XLSX cannot hold replaced by U+FFFD."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    row = []
    for v in values:
        v = spreadsheet_text(v)
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
        row.append(v)
    ws.append(row)
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":  # never reached after spreadsheet_text; kept as the rule
            cell.data_type = "s"


def format_for(path: Path, fmt: str | None) -> str:
    """The output format: ``fmt`` when given, else from the file's suffix; InvalidInput when
    neither names one of :data:`FORMATS`."""
    if fmt:
        if fmt not in FORMATS:
            raise InvalidInput.of("file.unknown_format", fmt=fmt, formats=', '.join(FORMATS))
        return fmt
    for name, (_, suffix) in FORMATS.items():
        if path.suffix.lower() == suffix:
            return name
    if path.suffix.lower() == ".json":
        return "geojson"
    raise InvalidInput.of("file.format_from_name", name=path.name, suffix=path.suffix or 'none',
                          formats=', '.join(FORMATS))


def is_mineaction_store(path: Path) -> bool:
    """Whether ``path`` is an SQLite file holding a mineaction store (``mineaction_meta``).

    A file that looks like SQLite but cannot be inspected counts as a store: when in doubt,
    nothing is overwritten."""
    import sqlite3

    try:
        if not path.is_file():
            return False
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return False
    except OSError:
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'mineaction_meta'").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return True


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)  # same inode: hard links and symbolic links alike
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_target(path: str | Path, *, protected: Iterable[str | Path] = ()) -> Path:
    """``path`` if an output may be written there, else InvalidInput saying why.

    Refused: a folder that does not exist, a path that is a folder, any file in
    ``protected`` (the store being read: same path after resolving links, or same inode) and
    any existing file that is a mineaction store, whatever the output format."""
    p = Path(path)
    if p.is_dir():
        raise InvalidInput.of("file.output_is_folder", path=p)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidInput.of("file.output_folder_missing", path=p, parent=parent)
    for store in protected:
        if _same_file(p, Path(store)):
            raise InvalidInput.of("file.output_is_source_store", path=p)
    if is_mineaction_store(p):
        raise InvalidInput.of("file.output_is_store", path=p)
    return p


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


def feature_collection(layer: Layer, records: Sequence[Record], *,
                       geometry: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Records as a GeoJSON FeatureCollection (RFC 7946: longitude, latitude in WGS84).

    Written by the json module rather than GDAL: coordinates come back exactly as stored (GDAL
    prints them with 15 or 17 significant digits and may miss by a unit in the last place) and
    true/false, numbers and text keep their JSON types. ``geometry`` maps each geometry to the
    one written (another coordinate system, for a reader who asks for one)."""
    return _collection(records, record_columns(layer, records), geometry)


def _collection(records: Sequence[Record], cols: dict[str, list[Any]],
                geometry: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    features = []
    for i, r in enumerate(records):
        geom = getattr(r, "geometry", None)
        if geometry is not None and geom is not None:
            geom = geometry(geom)
        features.append({"type": "Feature", "id": r.id,
                         "geometry": None if geom is None else geom.__geo_interface__,
                         "properties": {name: values[i] for name, values in cols.items()}})
    return {"type": "FeatureCollection", "features": features}


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
                  fmt: str | None = None, *, public_only: bool = False,
                  protected: Iterable[str | Path] = (), metadata: dict[str, str] | None = None,
                  computed_area: bool = True) -> int:
    """Write ``records`` of ``layer`` to ``path``; returns how many were written.
    ``metadata``: the dataset's metadata (a GeoPackage's: licence, date, ...);
    ``computed_area``: False leaves out the geodesic area column (for geometries that are
    generalised, whose area says nothing of the land).

    The target is checked first (:func:`check_target`; pass the store's own file as
    ``protected``), so a refused output writes nothing and reads no record."""
    p = Path(path)
    fmt = format_for(p, fmt)
    check_target(p, protected=protected)
    if fmt == "parquet":  # streamed in batches
        from mineaction.io.geoparquet import write_geoparquet

        return write_geoparquet(layer, records, p, public_only=public_only)
    recs = list(records)
    cols = record_columns(layer, recs, public_only=public_only)
    if not computed_area:
        cols.pop(export_area_column(layer) or "", None)
    if fmt in ("csv", "xlsx"):
        cols = {name: [spreadsheet_text(v) for v in values] for name, values in cols.items()}
    geoms = [getattr(r, "geometry", None) for r in recs] if layer.spatial else None
    if fmt == "xlsx":
        _write_xlsx(layer, cols, geoms, p)
        return len(recs)
    if fmt == "geojson":
        with p.open("w", encoding="utf-8") as fh:
            json.dump(_collection(recs, cols), fh, ensure_ascii=False)
            fh.write("\n")
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
    with _exact_wkt():
        pyogrio.raw.write(
            str(p), wkb if wkb is not None else None, list(arrays), list(cols),
            field_mask=list(masks), layer=layer.table, driver=driver, geometry_type=gtype,
            crs="EPSG:4326" if layer.spatial else None, layer_options=options or None,
            append=False, **({"dataset_metadata": metadata} if metadata and fmt == "gpkg"
                             else {}))
    return len(recs)


@contextmanager
def _exact_wkt() -> Iterator[None]:
    """GDAL writes WKT with 15 significant digits unless told otherwise, which moves vertices
    by up to 1e-14 degrees: enough to make a valid polygon whose hole touches its shell at a
    vertex self-intersecting once read back. 17 digits give back every double exactly."""
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_WKT_PRECISION")
    pyogrio.set_gdal_config_options({"OGR_WKT_PRECISION": 17})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_WKT_PRECISION": before})


def _write_xlsx(layer: Layer, cols: dict[str, list[Any]], geoms: list[Any] | None,
                p: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = layer.table[:31]
    names = list(cols) + (["wkt"] if geoms is not None else [])
    xlsx_row(ws, names)
    n = len(next(iter(cols.values()))) if cols else 0
    for i in range(n):
        row = [cols[c][i] for c in cols]
        if geoms is not None:
            row.append(None if geoms[i] is None else geoms[i].wkt)
        xlsx_row(ws, row)
    wb.save(p)

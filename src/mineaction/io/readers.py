"""Reading input files into plain features: a label saying where each row is, its properties
and its geometry, plus the CRS the file declares. Values are checked later, row by row, in
:mod:`mineaction.io.load`; here a file is refused only when it cannot be read as its name says,
or when reading it would lose something silently. Then :class:`InvalidInput` names the file
and, where it can, every row and field concerned:

- a value holding a NUL character (GDAL and many tools cut the text there);
- a spreadsheet formula without a computed value (it would read as empty);
- a header naming one column twice (one of the two would be lost), or a value under a column
  without a name;
- a GeoPackage, zip or KML with several layers when none was chosen (``layer``);
- text whose encoding is neither UTF-8 nor declared (``encoding``).

GeoJSON is read with the json module, so that a value keeps its JSON type whatever the other
features hold (GDAL reads a column of ``true`` with a missing value as numbers) and a bad value
never makes the whole file unreadable. In the GDAL formats, date and time fields are read as
text, so that an impossible date ("2023-02-30") comes out as it is written and the row checks
name it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import struct
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from mineaction.errors import InvalidInput, Problem
from mineaction.messages import Message, Note

GDAL_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG",
                 ".zip": "ESRI Shapefile", ".shp": "ESRI Shapefile", ".fgb": "FlatGeobuf",
                 ".kml": "KML"}
#: GDAL drivers that read a format under another name.
DRIVER_ALIASES = {"LIBKML": "KML"}
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom")
LONLAT_COLUMNS = (("lon", "lat"), ("longitude", "latitude"), ("x", "y"), ("lng", "lat"))
#: Layers that tools add beside the data (QGIS keeps its styles in a GeoPackage table).
SIDE_LAYERS = {"layer_styles"}
GEOJSON_GEOMETRIES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                      "MultiPolygon", "GeometryCollection")

#: The files a Shapefile needs beside its .shp, and what each holds.
SIDECARS = ((".shx", Message.of("file.shapefile_index")),
            (".dbf", Message.of("file.shapefile_table")))


@dataclass
class InputFeature:
    where: str  # "line 12", "feature 3 (id H-7)", "sheet Hazards row 4"
    properties: dict[str, Any]
    geometry: BaseGeometry | None = None
    geometry_problem: Message | None = None  # why the geometry cannot be read
    #: the geometry as the file gave it when it cannot be read (its columns, or the GeoJSON
    #: object under ``geometry``): a rejects file gives it back to be corrected
    raw_geometry: dict[str, Any] | None = None


@dataclass
class SourceFile:
    path: Path
    format: str
    crs: str | None  # as declared by the file; None when it declares none
    features: list[InputFeature] = field(default_factory=list)
    crs_is_default: bool = False  # True when the format implies EPSG:4326 (GeoJSON)
    layer: str | None = None  # the layer or sheet read, in a file that can hold several
    #: values the file holds that cannot be read without loss; read_file refuses the file
    problems: list[Problem] = field(default_factory=list)


def read_file(path: str | Path, layer: str | None = None, *,
              encoding: str | None = None) -> SourceFile:
    """Read ``path`` into a :class:`SourceFile`.

    ``layer`` chooses the layer of a GeoPackage, zip of Shapefiles or KML (or the sheet of an
    XLSX); a file with several layers and no ``layer`` is refused with their names.
    ``encoding`` is the text encoding of a CSV, GeoJSON or Shapefile when it is not UTF-8
    (a Shapefile's .cpg file says it otherwise). Raises InvalidInput, naming the file and what is
    wrong, when the file cannot be read as its name says or would lose values in the reading.
    """
    p = Path(path)
    if not p.exists():
        raise InvalidInput.of("file.not_found", path=p)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt"):
        _one_layer(p, layer, Message.of("file.a_csv"))
        src = _read_csv(p, encoding)
    elif suffix == ".xlsx":
        if encoding:
            raise InvalidInput.of("file.encoding_xlsx", path=p)
        src = _read_xlsx(p, layer)
    elif suffix in (".geojson", ".json"):
        src = _read_geojson(p, layer, encoding)
    else:
        src = _read_gdal(p, GDAL_SUFFIXES.get(suffix), layer, encoding)
    src.problems.extend(_nul_problems(src))
    if src.problems:
        raise InvalidInput(src.problems, source=str(p))
    return src


def _one_layer(p: Path, layer: str | None, what: Message) -> None:
    if layer is not None:
        raise InvalidInput.of("file.one_table", path=p, what=what, layer=layer)


def _nul_problems(src: SourceFile) -> Iterator[Problem]:
    for f in src.features:
        for key, value in f.properties.items():
            if isinstance(value, str) and "\x00" in value:
                yield Problem.of(f.where, str(key), "file.nul_value")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- text -------------------------------------------------------------------------------------

_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\v")


def _looks_utf16(raw: bytes) -> bool:
    """Text in UTF-16 without a byte-order mark: a zero byte in every other position."""
    sample = raw[:4096]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return max(even.count(0) / len(even), odd.count(0) / len(odd)) > 0.4


def _decode_text(p: Path, raw: bytes, encoding: str | None, what: Message) -> str:
    """``raw`` as text: in ``encoding`` when given, else UTF-8 (with or without a byte-order
    mark) or UTF-16/32 with a byte-order mark, which says the encoding as a .cpg would.
    Anything else is refused with the line of the first byte that is not UTF-8 and the
    --encoding option, never guessed: a wrong guess turns every accented name into another."""
    if encoding:
        try:
            text = raw.decode(encoding)
        except LookupError:
            raise InvalidInput.of("file.unknown_encoding", path=p, encoding=encoding) from None
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise InvalidInput.of("file.not_in_encoding", path=p, what=what, line=line,
                                  encoding=encoding, reason=exc.reason) from None
        return text.removeprefix("\ufeff")
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(codec).removeprefix("\ufeff")
            except UnicodeDecodeError:
                raise InvalidInput.of("file.bom_mismatch", path=p, what=what,
                                      encoding=codec.upper()) from None
    if _looks_utf16(raw):
        raise InvalidInput.of("file.utf16_without_bom", path=p, what=what)
    # a stray NUL in a value is named with its row later; many control bytes mean no text
    controls = len(raw) - len(raw.translate(None, _CONTROL))
    if controls > max(8, len(raw) // 100):
        raise InvalidInput.of("file.binary", path=p, what=what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        code = "file.not_utf8_csv" if what.code == "file.what_csv" else "file.not_utf8"
        raise InvalidInput.of(code, path=p, what=what, line=line, byte=byte) from None


# --- GeoJSON ----------------------------------------------------------------------------------

class _JSONObject(dict[str, Any]):
    """A JSON object that remembers the names it held more than once (json keeps the last)."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _JSONObject:
    obj = _JSONObject(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dups: list[str] = []
        for key, _ in pairs:
            if key in seen and key not in dups:
                dups.append(key)
            seen.add(key)
        obj.duplicates = tuple(dups)
    return obj


def _read_geojson(p: Path, layer: str | None, encoding: str | None) -> SourceFile:
    what = Message.of("file.what_geojson")
    text = _decode_text(p, p.read_bytes(), encoding, what)
    try:
        # NaN and Infinity are not JSON: kept as the text written, so a field check names it
        data = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=str)
    except json.JSONDecodeError as exc:
        raise InvalidInput.of("file.not_json", path=p, what=what, msg=exc.msg, lineno=exc.lineno,
                              colno=exc.colno) from None
    except RecursionError:
        raise InvalidInput.of("file.json_too_deep", path=p, what=what) from None
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "Topology":  # TopoJSON: GDAL reads it
        return _read_gdal(p, "TopoJSON", layer, encoding)
    if kind is None and isinstance(data, dict) and "features" in data:  # ESRI JSON
        return _read_gdal(p, None, layer, encoding)
    _one_layer(p, layer, Message.of("file.a_geojson"))
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise InvalidInput.of("file.features_not_list", path=p, what=what)
    elif kind == "Feature":
        features = [data]
    elif kind in GEOJSON_GEOMETRIES:
        raise InvalidInput.of("file.bare_geometry", path=p, kind=kind)
    else:
        found = f"a JSON object of type {kind!r}" if isinstance(data, dict) \
            else f"a JSON {type(data).__name__}"
        raise InvalidInput.of("file.not_feature_collection", path=p, what=what, found=found)
    crs, crs_default = _geojson_crs(p, data)
    src = SourceFile(p, "GeoJSON", crs, crs_is_default=crs_default)
    for i, feat in enumerate(features, start=1):
        where = Note("input.where_feature", number=i)
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            found = (f"type {feat.get('type')!r}" if isinstance(feat, dict)
                     else f"a JSON {type(feat).__name__}")
            src.problems.append(Problem.of(where, None, "file.not_a_feature", found=found))
            continue
        raw_props = feat.get("properties")
        if raw_props is not None and not isinstance(raw_props, dict):
            src.problems.append(Problem.of(where, "properties", "file.not_an_object"))
            continue
        props: dict[str, Any] = dict(raw_props or {})
        if "id" not in props and feat.get("id") is not None:
            props["id"] = feat["id"]
        if props.get("id") not in (None, ""):
            where = Note("input.where_feature_id", number=i, id=str(props["id"]))
        for name in getattr(raw_props, "duplicates", ()):
            src.problems.append(Problem.of(where, name, "file.duplicate_property"))
        geom, problem = _geojson_geometry(feat.get("geometry"))
        src.features.append(InputFeature(where, props, geom, problem,
                                         {"geometry": feat.get("geometry")} if problem else None))
    return src


def _geojson_crs(p: Path, data: dict[str, Any]) -> tuple[str, bool]:
    """The CRS of an old (2008) GeoJSON's ``crs`` member; EPSG:4326 by default (RFC 7946)."""
    member = data.get("crs")
    if member is None:
        return "EPSG:4326", True
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not (isinstance(member, dict) and member.get("type") == "name" and isinstance(name, str)):
        raise InvalidInput.of("file.geojson_crs_member", path=p, value=json.dumps(member)[:80])
    return name, False


def _positions(coords: Any, depth: int, least: int, where: str) -> Message | None:
    """Why ``coords`` is not ``depth`` levels of lists of positions, or None."""
    if depth == 0:
        ok = (isinstance(coords, list) and len(coords) in (2, 3) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in coords))
        return None if ok else Message.of("geometry.not_a_position", where=where,
                                          value=json.dumps(coords)[:60])
    if not isinstance(coords, list):
        return Message.of("geometry.not_a_list", where=where, value=json.dumps(coords)[:60])
    if depth == 1 and coords and len(coords) < least:
        return Message.of("geometry.too_few_positions", where=where, count=len(coords),
                          least=least)
    for k, item in enumerate(coords):
        reason = _positions(item, depth - 1, least, f"{where}[{k}]")
        if reason:
            return reason
    if depth == 1 and len({len(p) for p in coords}) > 1:  # a ring of 2D and 3D positions
        return Message.of("geometry.mixed_dimensions", where=where)
    return None


_SHAPE = {"Point": (0, 1), "MultiPoint": (1, 1), "LineString": (1, 2),
          "MultiLineString": (2, 2), "Polygon": (2, 4), "MultiPolygon": (3, 4)}


def _geojson_geometry(g: Any) -> tuple[BaseGeometry | None, Message | None]:
    """A GeoJSON geometry object as a shapely geometry, or why it cannot be one."""
    if g is None:
        return None, None
    if not isinstance(g, dict):
        return None, Message.of("geometry.not_geojson", value=json.dumps(g)[:60])
    kind = g.get("type")
    if kind not in GEOJSON_GEOMETRIES:
        return None, Message.of("geometry.unknown_type", kind=kind)
    if kind == "GeometryCollection":
        parts = g.get("geometries")
        if not isinstance(parts, list):
            return None, Message.of("geometry.collection_without_list")
        for part in parts:
            _, reason = _geojson_geometry(part)
            if reason:
                return None, reason
    else:
        if "coordinates" not in g:
            return None, Message.of("geometry.no_coordinates", kind=kind)
        depth, least = _SHAPE[kind]
        coords = g["coordinates"]
        reason = None if coords == [] else _positions(coords, depth, least, "coordinates")
        if reason:
            return None, Message.of("geometry.bad_positions", kind=kind, reason=reason)
    try:
        return shapely.geometry.shape(g), None
    except (ValueError, TypeError, KeyError, IndexError, GEOSException) as exc:
        return None, Message.of("geometry.unreadable", kind=kind, error=_first_line(exc))


# --- GDAL formats -----------------------------------------------------------------------------

#: What GDAL (through pyogrio) raises on a file it cannot read; a garbage FlatGeobuf raises an
#: IndexError, a DBF in another encoding a UnicodeDecodeError (a ValueError).
_GDAL_ERRORS = (RuntimeError, OSError, ValueError, IndexError, KeyError)
_DATETIME_TYPES = ("OFTDate", "OFTDateTime", "OFTTime")
_OGR_DATETIME = re.compile(r"^(\d{4})/(\d{2})/(\d{2})(?: (\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
                           r"(Z|[+-]\d{2}(?::?\d{2})?)?$")


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


def _ogr_datetime_text(value: Any) -> Any:
    """OGR's text of a date ('2023/02/30 10:00:00+01') in ISO 8601 form, unchecked."""
    if not isinstance(value, str):
        return value
    m = _OGR_DATETIME.match(value.strip())
    if not m:
        return value
    text = f"{m[1]}-{m[2]}-{m[3]}"
    if m[4]:
        text += f"T{m[4]}"
    zone = m[5] or ""
    if len(zone) == 3:  # "+01"
        zone += ":00"
    return text + zone


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Shapefile:
    """A Shapefile's attribute table (.dbf) and whether a .cpg says its encoding."""

    dbf_name: str
    read_dbf: Any  # () -> bytes
    has_cpg: bool


def _zip_shapefiles(p: Path) -> tuple[str, dict[str, _Shapefile]]:
    """The GDAL path of the folder of a zip that holds the Shapefiles, and each Shapefile by
    its lower-case layer name; InvalidInput when a .shp lacks its .shx or .dbf."""
    try:
        z = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput.of("file.zip_unreadable", path=p, error=exc) from None
    names = [n for n in z.namelist() if not n.endswith("/") and not n.startswith("__MACOSX/")]
    lower = {n.lower(): n for n in names}
    shps = [n for n in names if n.lower().endswith(".shp")]
    if not shps:
        raise InvalidInput.of("file.zip_no_shapefile", path=p)
    folders = sorted({str(PurePosixPath(n).parent) for n in shps})
    if len(folders) > 1:
        raise InvalidInput.of("file.zip_several_folders", path=p, folders=', '.join(folders))
    problems = []
    found: dict[str, _Shapefile] = {}
    for shp in shps:
        stem = shp[:-4]
        for ext, what in SIDECARS:
            if (stem + ext).lower() not in lower:
                problems.append(Problem.of(PurePosixPath(shp).name, None,
                                           "file.zip_sidecar_missing",
                                           name=PurePosixPath(stem).name, ext=ext, what=what))
        dbf = lower.get((stem + ".dbf").lower())
        if dbf:
            found[PurePosixPath(stem).name.lower()] = _Shapefile(
                dbf, lambda name=dbf: z.read(name), (stem + ".cpg").lower() in lower)
    if problems:
        raise InvalidInput(problems, source=str(p))
    folder = folders[0]
    return (f"/vsizip/{p}" if folder == "." else f"/vsizip/{p}/{folder}"), found


def _sibling(p: Path, suffix: str) -> Path | None:
    for candidate in p.parent.iterdir():
        if candidate.stem == p.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _plain_shapefile(p: Path) -> dict[str, _Shapefile]:
    problems = []
    for ext, what in SIDECARS:
        if _sibling(p, ext) is None:
            problems.append(Problem.of(p.name, None, "file.sidecar_missing", stem=p.stem, ext=ext,
                                       what=what))
    if problems:
        raise InvalidInput(problems, source=str(p))
    dbf = _sibling(p, ".dbf")
    assert dbf is not None
    return {p.stem.lower(): _Shapefile(dbf.name, dbf.read_bytes, _sibling(p, ".cpg") is not None)}


def _dbf_text(data: bytes) -> tuple[bytes, int]:
    """The bytes of a DBF's field names and text fields, and its language driver id (LDID).

    The DBF layout: record count at byte 4, header and record length at 8 and 10, the LDID at
    29, 32-byte field descriptors from byte 32 up to a 0x0D; each record is a deletion flag
    and then its fields at fixed widths."""
    if len(data) < 32:
        return b"", 0
    count = struct.unpack_from("<I", data, 4)[0]
    header, width = struct.unpack_from("<HH", data, 8)
    ldid = data[29]
    fields: list[tuple[int, int]] = []
    names = []
    offset, pos = 1, 32
    while pos + 32 <= min(header, len(data)) and data[pos] != 0x0D:
        names.append(data[pos:pos + 11].split(b"\x00")[0])
        kind, size = chr(data[pos + 11]), data[pos + 16]
        if kind == "C":
            size += data[pos + 17] << 8  # long text fields keep the high byte there
            fields.append((offset, size))
        offset += size
        pos += 32
    chunks = names
    for r in range(count):
        start = header + r * width
        if start + width > len(data):
            break
        chunks.extend(data[start + o:start + o + s] for o, s in fields)
    return b"\n".join(chunks), ldid


#: The DBF language driver id that names no code page: "ANSI", the writing machine's own.
LDID_ANSI = 0x57


def _shapefile_encoding(p: Path, shp: _Shapefile | None) -> str | None:
    """The encoding to read a Shapefile's text with when its .cpg says none.

    Without a .cpg, GDAL follows the DBF's language driver id and otherwise assumes
    ISO-8859-1, which turns UTF-8 text (what QGIS and most tools write) into mojibake. Text
    that is valid UTF-8 is read as UTF-8; other text is read as the LDID says, and when that
    says nothing either (0, or 0x57: "the writer's Windows code page", whichever it was) the
    file is refused with the --encoding option."""
    if shp is None or shp.has_cpg:
        return None
    text, ldid = _dbf_text(shp.read_dbf())
    if text.isascii():
        return None
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        if ldid and ldid != LDID_ANSI:
            return None
        raise InvalidInput.of("file.dbf_not_utf8", path=p, dbf_name=shp.dbf_name) from None
    return "UTF-8"


def _choose_layer(p: Path, layers: list[str], layer: str | None, kind: str) -> str:
    if not layers:
        raise InvalidInput.of("file.gdal_no_layer", path=p, kind=kind)
    data = [n for n in layers if n.lower() not in SIDE_LAYERS] or layers
    if layer is None:
        if len(data) > 1:
            raise InvalidInput.of("file.several_layers", path=p, n=len(data),
                                  layers=', '.join(data))
        return data[0]
    if layer in layers:
        return layer
    same = [n for n in layers if n.lower() == layer.lower()]
    if len(same) == 1:
        return same[0]
    raise InvalidInput.of("file.no_such_layer", path=p, layer=layer, layers=', '.join(data))


def _read_gdal(p: Path, driver: str | None, layer: str | None,
               encoding: str | None) -> SourceFile:
    import pyogrio

    kind = driver or "GIS"
    shapefiles: dict[str, _Shapefile] = {}
    target = str(p)
    if p.suffix.lower() == ".zip":
        target, shapefiles = _zip_shapefiles(p)
    elif p.suffix.lower() == ".shp":
        shapefiles = _plain_shapefile(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = [str(row[0]) for row in pyogrio.list_layers(target)]
    except _GDAL_ERRORS as exc:
        raise InvalidInput.of("file.unreadable", path=p, kind=kind,
                              error=_first_line(exc)) from None
    chosen = _choose_layer(p, layers, layer, kind)
    try:
        info = pyogrio.read_info(target, layer=chosen, encoding=encoding)
    except _GDAL_ERRORS as exc:
        raise InvalidInput.of("file.unreadable", path=p, kind=kind,
                              error=_first_line(exc)) from None
    found = info.get("driver")
    if driver and found and DRIVER_ALIASES.get(found, found) != driver and not (
            driver == "GeoJSON" and "JSON" in found):
        raise InvalidInput.of("file.content_not_named", path=p, driver=driver, found=found)
    if encoding and found != "ESRI Shapefile":
        raise InvalidInput.of("file.encoding_not_applicable", path=p, found=found)
    if found == "ESRI Shapefile" and encoding is None:
        encoding = _shapefile_encoding(p, shapefiles.get(chosen.lower()))
    names = [str(n) for n in info["fields"]]
    types = list(info.get("ogr_types") or [])
    timed = {n for n, t in zip(names, types, strict=False) if t in _DATETIME_TYPES}
    sql = None
    if timed:
        # pyogrio turns a date field into a Python date even when asked for text, and one
        # impossible date then makes the whole file unreadable; OGR SQL gives its text.
        cols = ", ".join(f"CAST({_quote(n)} AS CHARACTER(64)) AS {_quote(n)}" if n in timed
                         else _quote(n) for n in names)
        sql = f"SELECT {cols} FROM {_quote(chosen)}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, fids, geoms, fields = pyogrio.raw.read(
                target, layer=None if sql else chosen, encoding=encoding, return_fids=True,
                sql=sql, sql_dialect="OGRSQL" if sql else None, datetime_as_string=True)
    except _GDAL_ERRORS as exc:
        raise InvalidInput.of("file.unreadable", path=p, kind=kind,
                              error=_first_line(exc)) from None
    names = [str(n) for n in meta["fields"]]
    src = SourceFile(p, found or driver or "GDAL", info.get("crs"),
                     crs_is_default=(found == "GeoJSON"), layer=chosen)
    columns = [[_ogr_datetime_text(v) if name in timed else v for v in map(_plain, col)]
               for name, col in zip(names, fields, strict=True)]
    parsed = shapely.from_wkb(geoms, on_invalid="ignore") if geoms is not None else None
    id_col = names.index("id") if "id" in names else None
    for i in range(len(fids)):
        props = {name: columns[j][i] for j, name in enumerate(names)}
        label = Note("input.where_feature", number=i + 1)
        if id_col is not None and columns[id_col][i] not in (None, ""):
            label = Note("input.where_feature_id", number=i + 1, id=str(columns[id_col][i]))
        geom = None if parsed is None else parsed[i]
        problem = None
        if geoms is not None and geoms[i] is not None and geom is None:
            problem = Message.of("geometry.unparsable")
        src.features.append(InputFeature(label, props, geom, problem))
    if found == "GPKG":
        src.problems.extend(_gpkg_nul_values(p, chosen, info.get("fid_column") or "rowid",
                                             fids, src.features))
    return src


def _gpkg_nul_values(p: Path, table: str, fid_column: str, fids: Any,
                     features: list[InputFeature]) -> list[Problem]:
    """Text values of a GeoPackage table that hold a NUL: GDAL returns them cut at the NUL,
    so they are found in the table itself."""
    row_of = {int(f): i for i, f in enumerate(fids)}
    problems = []
    try:
        con = sqlite3.connect(p.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        columns = [str(r[1]) for r in con.execute(f"PRAGMA table_info({_quote(table)})")
                   if str(r[2]).upper().startswith(("TEXT", "DATE", "VARCHAR"))]
        for col in columns:
            rows = con.execute(f"SELECT {_quote(fid_column)} FROM {_quote(table)} "
                               f"WHERE instr(CAST({_quote(col)} AS BLOB), x'00') > 0")
            for (fid,) in rows:
                if fid in row_of:
                    problems.append(Problem.of(features[row_of[fid]].where, col, "file.nul_value"))
    except sqlite3.Error:
        # a table GDAL reads but plain SQLite cannot (a view, a WAL file on a read-only
        # folder): GDAL's values stand
        return []
    finally:
        con.close()
    return problems


# --- CSV and XLSX -----------------------------------------------------------------------------

def _geometry_from_columns(props: dict[str, Any]) -> InputFeature:
    """The row's geometry from its WKT column, else its longitude and latitude columns (a
    blank WKT gives way to them), those columns taken out of ``props``; a feature without
    ``where``. What cannot be read is kept as the file gave it (``raw_geometry``)."""
    lower = {k.lower().strip(): k for k in props}
    for name in WKT_COLUMNS:
        if name in lower:
            column = lower[name]
            text = props.pop(column)
            if text in (None, ""):
                break
            try:
                return InputFeature("", props, shapely.from_wkt(str(text)))
            except shapely.errors.GEOSException as exc:
                return InputFeature("", props, None, Message.of(
                    "geometry.not_wkt", error=str(exc).splitlines()[0]), {column: text})
    for xname, yname in LONLAT_COLUMNS:
        if xname in lower and yname in lower:
            x, y = props.pop(lower[xname]), props.pop(lower[yname])
            if x in (None, "") and y in (None, ""):
                break
            try:
                return InputFeature("", props, shapely.Point(float(x), float(y)))
            except (TypeError, ValueError):
                return InputFeature("", props, None, Message.of(
                    "geometry.lonlat_not_numbers", x_column=xname, y_column=yname, x=x, y=y),
                    {lower[xname]: x, lower[yname]: y})
    return InputFeature("", props)


def _header_problems(names: list[str], position: Any) -> list[Problem]:
    """A column name given twice (compared without case, as fields are matched): one of the
    columns would be lost."""
    at: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            at.setdefault(name.lower(), []).append(i)
    problems = []
    for places in at.values():
        if len(places) > 1:
            where = " and ".join(position(i) for i in places)
            problems.append(Problem.of("header", names[places[0]], "file.duplicate_column",
                                       n=len(places), columns=where))
    return problems


def _read_csv(p: Path, encoding: str | None) -> SourceFile:
    text = _decode_text(p, p.read_bytes(), encoding, Message.of("file.what_csv"))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    src = SourceFile(p, "CSV", None)
    # A WKT polygon of a few thousand vertices is longer than the csv module's 128 KiB default.
    # The whole text is in memory already, so the limit protects nothing here; it is only ever
    # raised (never restored) so that imports running in threads cannot lower it for another.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text), dialect=dialect, strict=True)
    start = 1
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise InvalidInput.of("file.csv_empty", path=p)
        names = [h.strip() for h in header]
        problems = _header_problems(names, lambda i: f"column {i + 1}")
        if problems:
            raise InvalidInput(problems, source=str(p))
        start = reader.line_num + 1
        for row in reader:
            where = Note("input.where_line", number=reader.line_num)
            start = reader.line_num + 1
            if not row:
                continue
            if len(row) > len(names):
                src.features.append(InputFeature(
                    where, dict(zip(names, row, strict=False)), None,
                    Message.of("file.row_too_long")))
                continue
            props: dict[str, Any] = {}
            for i, name in enumerate(names):
                value = row[i] if i < len(row) else None
                if name:
                    props[name] = value
                elif value and value.strip():
                    src.problems.append(Problem.of(where, f"column {i + 1}", "file.unnamed_column"))
            src.features.append(replace(_geometry_from_columns(props), where=where))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InvalidInput.of("file.csv_quote_not_closed", path=p, start=start) from None
        raise InvalidInput.of("file.csv_unreadable", path=p, start=start, reason=str(exc)
                              ) from None
    return src


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _formula_cells(p: Path, wb: Any, ws: Any) -> set[tuple[int, int]]:
    """(row, column) of every formula cell of ``ws``: read once more without cached values,
    only when the sheet's XML holds a formula at all."""
    from openpyxl import load_workbook

    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    if path is not None and archive is not None and not _FORMULA.search(archive.read(path)):
        return set()
    formulas = load_workbook(p, read_only=True, data_only=False)
    try:
        sheet = formulas[ws.title]
        sheet.reset_dimensions()
        return {(c.row, c.column) for row in sheet.iter_rows(min_row=1, min_col=1)
                for c in row if getattr(c, "data_type", None) == "f"}
    finally:
        formulas.close()


def _has_header(ws: Any) -> bool:
    """Whether a sheet's first row holds anything (a sheet left empty holds no rows)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), None) or ()
    return any(v is not None and str(v).strip() for v in first)


def _read_xlsx(p: Path, layer: str | None) -> SourceFile:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(p, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InvalidInput.of("file.xlsx_unreadable", path=p, error=exc) from None
    try:
        if layer is None:
            filled = [w.title for w in wb.worksheets if _has_header(w)]
            if len(filled) > 1:  # the rows of the others would be left out unsaid
                raise InvalidInput.of("file.several_sheets", path=p, n=len(filled),
                                      sheets=', '.join(filled))
            ws = wb[filled[0]] if filled else wb.worksheets[0]
        elif layer in wb.sheetnames:
            ws = wb[layer]
        else:
            raise InvalidInput.of("file.no_such_sheet", path=p, layer=layer,
                                  sheets=', '.join(wb.sheetnames))
        # read-only mode trusts the sheet's <dimension>, which some programs write too small:
        # rows beyond it would be lost
        ws.reset_dimensions()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            formulas = _formula_cells(p, wb, ws)
            rows = ws.iter_rows(min_row=1, min_col=1, values_only=True)
            header = next(rows, None)
            if not header or all(h is None for h in header):
                raise InvalidInput.of("file.sheet_empty", path=p, title=ws.title)
            names = [str(h).strip() if h is not None else "" for h in header]
            problems = _header_problems(names, lambda i: f"column {get_column_letter(i + 1)}")
            if problems:
                raise InvalidInput(problems, source=str(p))
            src = SourceFile(p, "XLSX", None, layer=ws.title)
            for n, values in enumerate(rows, start=2):
                where = Note("input.where_sheet_row", sheet=ws.title, number=n)
                props: dict[str, Any] = {}
                for i, value in enumerate(values):
                    name = names[i] if i < len(names) else ""
                    if value is None and (n, i + 1) in formulas:
                        src.problems.append(Problem.of(
                            where, name or f"column {get_column_letter(i + 1)}",
                            "file.formula_without_value"))
                    elif name:
                        props[name] = value
                    elif value is not None and str(value).strip():
                        src.problems.append(Problem.of(where, f"column {get_column_letter(i + 1)}",
                                                       "file.unnamed_column_xlsx"))
                if all(v is None for v in values) and not any(
                        (n, i + 1) in formulas for i in range(len(values))):
                    continue
                src.features.append(replace(_geometry_from_columns(props), where=where))
    finally:
        wb.close()
    return src


def iter_problems(src: SourceFile) -> Iterator[Problem]:
    for f in src.features:
        if f.geometry_problem:
            yield Problem.said(f.where, "geometry", f.geometry_problem)


#: A GeoJSON geometry object as a shapely geometry, or why it cannot be one (for GeoJSON that
#: comes other than in a file: an HTTP request's body).
geojson_geometry = _geojson_geometry


# --- columnar ---------------------------------------------------------------------------------

#: Rows per Arrow batch of a columnar read: what a columnar import holds at once.
COLUMNAR_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class ColumnarFile:
    """A file the columnar path can read: its layer, CRS, fields and size, read from its
    header; rows are read in batches by :meth:`batches`."""

    path: Path
    driver: str
    layer: str
    crs: str | None
    fields: tuple[str, ...]
    timed: frozenset[str]  # Date, DateTime and Time fields, read as their text
    features: int
    bounds: tuple[float, float, float, float] | None

    def batches(self, size: int = COLUMNAR_BATCH_ROWS) -> Iterator[tuple[Any, str]]:
        """The rows as Arrow record batches of at most ``size`` rows, each with the name of
        its geometry column."""
        import pyogrio

        # Date and DateTime fields as the text of GDAL's value (an impossible date stays
        # impossible, for the row check to refuse), not as Arrow dates
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pyogrio.open_arrow(self.path, layer=self.layer, batch_size=size,
                                    datetime_as_string=True, use_pyarrow=True
                                    ) as (meta, reader):
                geometry = meta.get("geometry_name") or "wkb_geometry"
                for batch in reader:
                    yield batch, geometry


def open_columnar(path: str | Path, layer: str | None = None, *,
                  encoding: str | None = None) -> ColumnarFile | None:
    """``path`` as a :class:`ColumnarFile`, or None when it is to be read row by row
    (:func:`mineaction.io.readers.read_file`, which also says why a file cannot be read): a
    format other than FlatGeobuf, an encoding given, a layer chosen, or a file GDAL cannot
    open."""
    p = Path(path)
    if p.suffix.lower() != ".fgb" or encoding is not None or layer is not None or \
            not p.is_file():
        return None
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = [str(row[0]) for row in pyogrio.list_layers(p)]
            if len(layers) != 1:
                return None
            info = pyogrio.read_info(p, layer=layers[0], force_feature_count=True,
                                     force_total_bounds=True)
    except Exception:  # noqa: BLE001 (GDAL raises several kinds: the row path says which)
        return None
    if info.get("driver") != "FlatGeobuf":
        return None
    names = tuple(str(n) for n in info["fields"])
    types = list(info.get("ogr_types") or [])
    timed = frozenset(n for n, t in zip(names, types, strict=False)
                      if t in ("OFTDate", "OFTDateTime", "OFTTime"))
    b = info.get("total_bounds")
    bounds = tuple(float(v) for v in b) if b is not None and np.isfinite(b).all() else None
    return ColumnarFile(p, "FlatGeobuf", layers[0], info.get("crs"), names, timed,
                        int(info.get("features") or 0), bounds)  # type: ignore[arg-type]

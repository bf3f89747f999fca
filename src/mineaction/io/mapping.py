"""Column mappings: how the rows of someone else's file become the records of a layer.

A mapping is a TOML file (``docs/mappings.md``; shipped ones in ``mappings/``) saying, for each
field of a layer, where its value comes from: a column (renamed), a constant, a template of
columns, a year/month/day split over columns, a date in another format, a number with
thousands separators or in another unit (ha, km² to m²), a value translated through a table
(with a default, or refused when it is not in the table), or a geometry from longitude and
latitude or WKT columns. Ids are made from a template or from a hash of natural-key columns,
and ``key`` names the fields that identify a record across copies of the same source (see
:mod:`mineaction.io.reconcile`).

:func:`apply` turns a :class:`~mineaction.io.readers.SourceFile` into another whose rows carry
the layer's field names, so that every check of :mod:`mineaction.io.load` runs on them as on
any file. Nothing is guessed and nothing is dropped silently: a value a table cannot translate
is a problem naming row, column and value (or, with a default, is counted); a column the
mapping does not name is reported and kept in the record's ``attributes``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from shapely.errors import GEOSException

from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.schema import SYSTEM_FIELDS, is_blank
from mineaction.errors import InvalidInput, Problem
from mineaction.io.readers import InputFeature, SourceFile

MAPPINGS = Path(__file__).resolve().parent / "mappings"

#: Units an area or length may be given in, and their factor to square metres (or metres).
UNITS: dict[str, float] = {"m2": 1.0, "ha": 10_000.0, "km2": 1_000_000.0, "m": 1.0,
                           "km": 1000.0, "sqm": 1.0, "m²": 1.0, "km²": 1_000_000.0}
#: Conversions a field may name (``convert = "..."``).
CONVERSIONS = ("iso3_to_iso2", "upper", "lower", "strip")
#: Keys a field's table may hold.
FIELD_KEYS = {"column", "value", "template", "values", "default", "must_map", "number",
              "format", "date_format", "year", "month", "day", "unit", "missing", "pattern",
              "convert", "optional", "note", "outside_codes"}
#: Sections a mapping may hold.
SECTIONS = {"mapping", "register", "fields", "geometry", "keep", "drop"}


@dataclass(frozen=True)
class Mapping:
    """A mapping as read from its file (or made from ``--set`` options)."""

    name: str
    layer: str
    path: Path | None
    head: dict[str, Any]  # the [mapping] table (or [register], its older name)
    fields: dict[str, dict[str, Any]]
    geometry: dict[str, Any] = field(default_factory=dict)
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()

    @property
    def spec(self) -> dict[str, Any]:
        return {"mapping": self.head, "fields": self.fields}

    @property
    def register(self) -> dict[str, Any]:
        return dict(self.head)

    @property
    def source(self) -> str:
        return str(self.head.get("source") or f"mapping:{self.name}")

    @property
    def credit(self) -> str | None:
        text = self.head.get("credit")
        return " ".join(str(text).split()) if text else None

    @property
    def key(self) -> tuple[str, ...]:
        """The fields that identify a record of this source across copies (default: id)."""
        return tuple(self.head.get("key") or ("id",))

    @property
    def encoding(self) -> str | None:
        enc = self.head.get("encoding")
        return str(enc) if enc else None

    def with_constants(self, constants: dict[str, str]) -> Mapping:
        """This mapping with ``field = value`` constants added (``--set``), replacing what the
        file said of those fields."""
        fields = dict(self.fields)
        for name, value in constants.items():
            fields[name] = {"value": value}
        return dataclasses.replace(self, fields=fields)


def available() -> list[str]:
    return sorted(p.stem.replace("_", "-") for p in MAPPINGS.glob("*.toml"))


def empty(layer: str) -> Mapping:
    """The mapping that maps nothing (columns named like fields are read as they are)."""
    return Mapping(f"{layer}-columns", layer, None, {}, {})


def parse_constants(items: list[str] | None) -> dict[str, str]:
    """``["kind=sha", "status=open"]`` as a dict; InvalidInput for an item without ``=``."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput.of("intake.set_not_field_value", item=item)
        out[name.strip()] = value.strip()
    return out


def load_mapping(name_or_path: str | Path, layer: str | None = None) -> Mapping:
    """A mapping by name (``colombia-aicma``, shipped with mineaction) or by file path,
    checked against its layer (``layer`` when the file names none): InvalidInput naming every
    unknown field or key and every required field left unmapped."""
    p = Path(name_or_path)
    if not p.exists():
        p = MAPPINGS / (str(name_or_path).replace("-", "_") + ".toml")
    if not p.exists():
        raise InvalidInput.of("import.unknown_mapping", name=str(name_or_path),
                              known=", ".join(available()))
    try:
        spec = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput.of("import.mapping_not_toml", path=p, error=exc) from None
    head = dict(spec.get("mapping") or spec.get("register") or {})
    problems: list[Problem] = []
    declared = head.get("layer")
    if layer and declared and declared != layer:
        section = "mapping" if "mapping" in spec else "register"  # the table the file uses
        problems.append(Problem.of(str(p), f"{section}.layer", "intake.mapping_other_layer",
                                   declared=declared, layer=layer))
    lname = str(declared or layer or "victims")
    try:
        lyr = get_layer(lname)
    except KeyError:
        raise InvalidInput.of("import.unknown_layer", layer=lname, known="") from None
    for section in spec:
        if section not in SECTIONS:
            problems.append(Problem.of(str(p), section, "intake.mapping_unknown_section",
                                       known=", ".join(sorted(SECTIONS))))
    fields = {str(k): dict(v) for k, v in dict(spec.get("fields", {})).items()}
    m = Mapping(str(head.get("name", p.stem.replace("_", "-"))), lyr.name, p, head, fields,
                dict(spec.get("geometry", {})), tuple(spec.get("keep", {}).get("columns", ())),
                tuple(spec.get("drop", {}).get("columns", ())))
    problems.extend(check(m, lyr, str(p)))
    if problems:
        raise InvalidInput(problems, source=str(p))
    return m


def check(m: Mapping, lyr: Layer, where: str) -> list[Problem]:
    """What is wrong with mapping ``m`` for layer ``lyr``: unknown fields and keys, fields
    without a source, unknown units or conversions. (A required field it does not map may be
    a column of the file named like it: each row's checks say when it is missing.)"""
    problems: list[Problem] = []
    names = {f.name for f in lyr.fields}
    for fname, f in m.fields.items():
        if fname not in names or fname in SYSTEM_FIELDS:
            problems.append(Problem.of(where, f"fields.{fname}", "intake.mapping_unknown_field",
                                       layer=lyr.name))
            continue
        for key in f:
            if key not in FIELD_KEYS:
                problems.append(Problem.of(where, f"fields.{fname}.{key}",
                                           "intake.mapping_unknown_key",
                                           known=", ".join(sorted(FIELD_KEYS))))
        sources = [k for k in ("column", "value", "template", "year", "date_format") if k in f]
        if not sources or ("date_format" in f and "column" not in f):
            problems.append(Problem.of(where, f"fields.{fname}", "intake.mapping_no_source"))
        if "unit" in f and str(f["unit"]) not in UNITS:
            problems.append(Problem.of(where, f"fields.{fname}.unit", "intake.mapping_unit",
                                       unit=f["unit"], known=", ".join(UNITS)))
        if "convert" in f and str(f["convert"]) not in CONVERSIONS:
            problems.append(Problem.of(where, f"fields.{fname}.convert",
                                       "intake.mapping_conversion", conversion=f["convert"],
                                       known=", ".join(CONVERSIONS)))
        if "pattern" in f:
            try:
                re.compile(str(f["pattern"]))
            except re.error as exc:
                problems.append(Problem.of(where, f"fields.{fname}.pattern",
                                           "intake.mapping_pattern", error=exc))
    for kname in m.key:
        if kname not in names:
            problems.append(Problem.of(where, "mapping.key", "intake.mapping_unknown_field",
                                       layer=lyr.name))
    ident = m.head.get("id")
    if isinstance(ident, dict) and not ident.get("hash"):
        problems.append(Problem.of(where, "mapping.id", "intake.mapping_id"))
    g = m.geometry
    if g and not (("lon" in g and "lat" in g) or "wkt" in g):
        problems.append(Problem.of(where, "geometry", "intake.mapping_geometry"))
    return problems


def unmapped_required(m: Mapping, src: SourceFile) -> list[Problem]:
    """The required fields of ``m``'s layer that a mapping file neither maps nor finds as a
    column of ``src`` named like them: one problem each, naming the mapping file and the field,
    rather than one per row. (Nothing for a mapping made of ``--set`` constants alone, nor for
    a file without rows.)"""
    if m.path is None or not src.features:
        return []
    header = {str(k).strip() for feat in src.features for k in feat.properties}
    named = header | {c.lower() for c in header}
    mapped = set(m.fields) | ({"id"} if m.head.get("id") else set())
    return [Problem.of(str(m.path), f"fields.{s.name}", "intake.mapping_required_unmapped")
            for s in get_layer(m.layer).fields
            if s.required and s.name not in SYSTEM_FIELDS and s.name not in mapped
            and s.name not in named]


# ---------------------------------------------------------------------------------------------
# Applying a mapping to the rows of a file.


@dataclass
class Applied:
    """A file as the layer's fields, and what the mapping noticed on the way."""

    src: SourceFile
    problems: list[Problem] = field(default_factory=list)
    #: (field, column, value) -> how many rows held a value the table did not translate
    #: (whether refused, or given the default)
    unmapped: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    #: columns of the file the mapping does not name: kept in attributes (or, for a layer of
    #: people, with the personal data), never dropped
    uncovered: list[str] = field(default_factory=list)
    #: the row's features in the input's own terms, by ``where`` (for rejects files)
    originals: dict[str, InputFeature] = field(default_factory=dict)
    #: columns holding values of a field the store sets itself (``owner``, ``version``...):
    #: not imported, and said so
    ignored: list[str] = field(default_factory=list)


def _number(text: Any, thousands: str) -> float:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    cleaned = str(text).strip()
    if thousands:
        cleaned = cleaned.replace(thousands, "")
    return float(cleaned)


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@cache
def _iso3() -> dict[str, str]:
    from babel.core import get_global

    aliases = get_global("territory_aliases")
    return {k: v[0] for k, v in aliases.items()
            if len(k) == 3 and k.isalpha() and v and len(v[0]) == 2}


class _Unmapped(Exception):
    def __init__(self, column: str, raw: str):
        self.column, self.raw = column, raw


def _text(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    return "" if is_blank(value) else str(value).strip()


def _template(text: str, row: dict[str, Any], n: int) -> str:
    values = {k: ("" if is_blank(v) else v) for k, v in row.items()}
    return str(text).format_map(_Row(values, n))


class _Row(dict):  # type: ignore[type-arg]
    def __init__(self, values: dict[str, Any], n: int):
        super().__init__(values)
        self["row"] = n

    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


class _BadColumn(Exception):
    """A value that cannot be read, in another column than the field's first one."""

    def __init__(self, column: str, error: Exception):
        super().__init__(column, error)
        self.column, self.error = column, error


def _split_date(f: dict[str, Any], row: dict[str, Any], thousands: str) -> dt.date:
    """A date from year, month and day columns; a part that cannot be read or lies outside
    its range is blamed on its own column."""
    parts: dict[str, int] = {}
    for key, low, high in (("year", dt.MINYEAR, dt.MAXYEAR), ("month", 1, 12), ("day", 1, 31)):
        column = f.get(key)
        if not column:
            parts[key] = 1
            continue
        try:
            parts[key] = int(_number(row.get(column), thousands))
        except (ValueError, TypeError, OverflowError, KeyError) as exc:
            raise _BadColumn(str(column), exc) from exc
        if not low <= parts[key] <= high:
            raise _BadColumn(str(column), ValueError(f"{key} must be in {low}..{high}, got "
                                                     f"{parts[key]}"))
    try:
        return dt.date(parts["year"], parts["month"], parts["day"])
    except ValueError as exc:  # 31 April
        raise _BadColumn(str(f.get("day") or f.get("month") or f["year"]), exc) from exc


def _field_value(fname: str, f: dict[str, Any], row: dict[str, Any], n: int,
                 thousands: str, counts: Counter[tuple[str, str, str]]) -> Any:
    """The value of one field for one row (None: nothing), or an exception saying why not."""
    if "value" in f:
        return f["value"]
    if "template" in f:
        return _template(str(f["template"]), row, n)
    if "year" in f:
        return _split_date(f, row, thousands)
    column = str(f["column"])
    raw = _text(row, column)
    if raw == "":
        return f.get("missing")
    if "pattern" in f:
        found = re.search(str(f["pattern"]), raw)
        if not found:
            if "default" not in f:
                raise _Unmapped(column, raw)
            return f["default"] if f["default"] != "" else None
        raw = found.group(1) if found.groups() else found.group(0)
    conversion = f.get("convert")
    if conversion == "iso3_to_iso2":
        code = _iso3().get(raw.upper()) if len(raw) == 3 else raw.upper() if len(raw) == 2 \
            else None
        if code is None:
            raise _Unmapped(column, raw)
        raw = code
    elif conversion in ("upper", "lower", "strip"):
        raw = getattr(raw, conversion)()
    if "values" in f:
        table = f["values"]
        if raw in table:
            raw = table[raw]
        else:
            counts[(fname, column, raw)] += 1
            if "default" in f:
                raw = f["default"]
            elif f.get("must_map", True):
                raise _Unmapped(column, raw)
    value: Any = raw
    if "date_format" in f:
        return dt.datetime.strptime(str(raw), str(f["date_format"])).date()
    if f.get("number") or "unit" in f:
        value = _number(raw, thousands) * UNITS[str(f.get("unit", "m2"))]
        value = _whole(value)
    if "format" in f:
        value = str(f["format"]).format(value=value)
    return value


def _hash_id(m: Mapping, row: dict[str, Any], seen: Counter[str]) -> str:
    spec = m.head["id"]
    columns = list(spec["hash"])
    text = "\x1f".join(_text(row, c) for c in columns)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:int(spec.get("length", 12))]
    seen[digest] += 1
    nth = seen[digest]
    return f"{spec.get('prefix', '')}{digest}" + (f"-{nth}" if nth > 1 else "")


def apply(m: Mapping, src: SourceFile) -> Applied:
    """``src`` as rows of ``m``'s layer: each field from where the mapping says, the columns
    it keeps in ``attributes``, the columns it does not name kept as they are (the import
    puts them in ``attributes``, or with a layer's personal data) and listed in
    ``uncovered``. A row whose value cannot be read or translated is a problem naming the row,
    the column and the value; its other fields are still checked."""
    lyr = get_layer(m.layer)
    names = {f.name for f in lyr.fields}
    thousands = str(m.head.get("thousands", ""))
    out = Applied(dataclasses.replace(src, features=[]))
    header: list[str] = []
    for feat in src.features:
        for k in feat.properties:
            if k not in header:
                header.append(str(k))
    fields = {n: f for n, f in m.fields.items()
              if not (f.get("optional") and f.get("column") and f["column"] not in header)}
    used: set[str] = set()
    for f in fields.values():
        used.update(str(f[k]) for k in ("column", "year", "month", "day") if f.get(k))
        if "template" in f:
            used.update(re.findall(r"{([^}:!]+)", str(f["template"])))
    ident = m.head.get("id")
    if isinstance(ident, dict):
        used.update(str(c) for c in ident.get("hash", ()))
    elif isinstance(ident, str):
        used.update(re.findall(r"{([^}:!]+)", ident))
    used.update(str(v) for k, v in m.geometry.items() if k in ("lon", "lat", "wkt"))
    used.discard("row")
    from mineaction.io.readers import LONLAT_COLUMNS, WKT_COLUMNS

    # geometry columns of standard names are read into the geometry by the reader itself
    standard = {*WKT_COLUMNS, *(c for pair in LONLAT_COLUMNS for c in pair)}
    geo_cols = {str(v) for k, v in m.geometry.items() if k in ("lon", "lat", "wkt")}
    read_by_reader = bool(geo_cols) and all(c not in header and c.lower() in standard
                                            for c in geo_cols)
    missing = sorted(c for c in used if c not in header  # a kept one may be absent
                     and not (read_by_reader and c in geo_cols))
    if missing and src.features:
        out.problems.extend(Problem.of("header", c, "import.mapped_column_missing")
                            for c in missing)
        return out
    mapped_names = set(m.fields) | ({"id"} if ident else set())
    filled = {str(k) for f in src.features for k, v in f.properties.items() if not is_blank(v)}
    out.uncovered = [c for c in header
                     if c not in used and c not in m.keep and c not in m.drop
                     and not (c in names and c not in mapped_names)]
    # an empty column holds nothing; "ID" or "Kind" is read as its field (not kept aside)
    reported = [c for c in out.uncovered if c in filled
                and not (c.strip().lower() in names and c.strip().lower() not in mapped_names)]
    out.ignored = [c for c in header if c in filled and c not in used and c not in m.drop
                   and c.strip().lower() in set(SYSTEM_FIELDS) - {"geometry"}]
    seen: Counter[str] = Counter()
    for n, feat in enumerate(src.features, start=1):
        row = feat.properties
        props: dict[str, Any] = {}
        attrs: dict[str, Any] = {}
        ok = True
        for fname, f in fields.items():
            try:
                value = _field_value(fname, f, row, n, thousands, out.unmapped)
            except _Unmapped as exc:
                known = ", ".join(map(str, f.get("values", {}))) or str(f.get("pattern", ""))
                out.problems.append(Problem.of(feat.where, exc.column, "intake.value_unmapped",
                                               value=exc.raw, field=fname, known=known))
                ok = False
                continue
            except _BadColumn as exc:
                out.problems.append(Problem.of(feat.where, exc.column,
                                               "intake.value_unreadable", field=fname,
                                               value=_text(row, exc.column), error=exc.error))
                ok = False
                continue
            except (ValueError, KeyError, TypeError, IndexError, OverflowError) as exc:
                col = f.get("column") or f.get("year") or f.get("template")
                out.problems.append(Problem.of(feat.where, str(col),
                                               "intake.value_unreadable", field=fname,
                                               value=_text(row, str(col)), error=exc))
                ok = False
                continue
            if value is not None:
                props[fname] = value
            if "year" in f:
                attrs["date_precision"] = ("day" if f.get("day") else
                                           "month" if f.get("month") else "year")
        if isinstance(ident, str):
            try:
                props["id"] = _template(ident, row, n)
            except (KeyError, ValueError) as exc:
                out.problems.append(Problem.of(feat.where, "id", "intake.value_unreadable",
                                               field="id", value="", error=exc))
                ok = False
        elif isinstance(ident, dict):
            props["id"] = _hash_id(m, row, seen)
        for col in m.keep:
            if _text(row, col):
                attrs[col] = row[col].strip() if isinstance(row[col], str) else row[col]
        for col in header:
            if col in out.uncovered:
                if col.lower() in mapped_names:  # "Level" would be read as level
                    if not is_blank(row.get(col)):
                        attrs[col] = row.get(col)
                else:
                    props[col] = row.get(col)
            elif col in names and col not in mapped_names and col not in m.drop \
                    and col not in used:
                props[col] = row.get(col)  # named like the field: read as it
            elif col in names and col in mapped_names and not is_blank(row.get(col)) \
                    and col not in used and col not in m.drop:
                attrs[col] = row.get(col)  # its field comes from elsewhere: kept
        if attrs:
            given = props.get("attributes")
            merged = json.loads(given) if isinstance(given, str) and given.startswith("{") \
                else {}
            merged.update(attrs)
            props["attributes"] = json.dumps(merged, ensure_ascii=False, sort_keys=True,
                                             default=str)
        geometry, problem = feat.geometry, feat.geometry_problem
        if m.geometry and not read_by_reader:
            geometry, problem = _geometry(m.geometry, row, thousands)
        mapped = InputFeature(feat.where, props, geometry, problem)
        out.originals[feat.where] = feat
        if ok:  # a row the mapping could not read is not checked further
            out.src.features.append(mapped)
    out.uncovered = reported
    return out


def _geometry(g: dict[str, Any], row: dict[str, Any], thousands: str) -> tuple[Any, Any]:
    from mineaction.messages import Message

    if "wkt" in g:
        text = _text(row, str(g["wkt"]))
        if not text:
            return None, None
        try:
            return shapely.from_wkt(text), None
        except (GEOSException, ValueError) as exc:
            return None, Message.of("intake.geometry_unreadable", column=g["wkt"],
                                    error=str(exc).splitlines()[0])
    lon, lat = _text(row, str(g["lon"])), _text(row, str(g["lat"]))
    if not lon and not lat:
        return None, None
    try:
        return shapely.Point(_number(lon, thousands), _number(lat, thousands)), None
    except ValueError as exc:
        return None, Message.of("intake.geometry_unreadable", column=f"{g['lon']}/{g['lat']}",
                                error=str(exc))

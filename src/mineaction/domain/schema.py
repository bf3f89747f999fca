"""Field descriptions shared by every record type, and the rules that turn raw values into them.

A record type is a dataclass; its fields carry a one-line ``doc`` in their metadata. From that
one declaration come the store's columns, the file formats' fields (``docs/formats.md``), and the
coercion of raw input values with errors that name the row, the field and the reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import numbers
import re
import types
import typing
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar, Literal

from shapely.geometry.base import BaseGeometry

from mineaction.access import Level
from mineaction.errors import BadValue, Problem, problem_of

FieldKind = Literal["text", "integer", "real", "boolean", "date", "enum", "enumset", "json"]
GeometryType = Literal["POINT", "MULTIPOLYGON", "MULTILINESTRING", "GEOMETRY"]

# Columns every record has, filled by the system rather than by the user's file (the owner
# is the organisation of whoever writes the record: a file cannot name another one).
SYSTEM_FIELDS = ("geometry", "src_crs", "crs_operation", "version", "owner")

#: No date before this is accepted: no mine action record is older, and an earlier one is a
#: typing error ("0203-05-01", "1023-05-01").
EARLIEST_DATE = dt.date(1900, 1, 1)
#: How far after today the date of something that happened may lie: one day, for a record made
#: just after midnight in a time zone ahead of the clock's (Baku is UTC+4).
EVENT = dt.timedelta(days=1)
#: How far ahead a planned period may run (capacity plans): five years.
PLANNED = dt.timedelta(days=5 * 365 + 1)
#: How far ahead a published target may run (a completion deadline): thirty years.
TARGET = dt.timedelta(days=30 * 365 + 7)
#: Whole numbers are stored as signed 64-bit integers by every store.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def attr(doc: str, default: Any = dataclasses.MISSING, *, public: bool = True,
         level: Level | None = None, minimum: float | None = None,
         ahead: dt.timedelta | None = None) -> Any:
    """Declare a record field with its documentation and the values it accepts.

    ``level`` is how sensitive the field is (:class:`~mineaction.access.Level`); a field is
    never less sensitive than its layer (``Layer.level``), so a field without a level has its
    layer's. The store's access policy leaves a field out of every read by an actor below its
    level. ``public=False`` is the older spelling of ``level=Level.PERSONAL``. ``minimum`` is the
    smallest number an integer or real field accepts (0 for counts, areas and capacity, which
    cannot be negative). ``ahead`` is how far after today a date field may lie: :data:`EVENT`
    (the default, for things that happened), :data:`PLANNED` or :data:`TARGET`. Coercion
    enforces both, and ``docs/formats.md`` shows them.
    """
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable defaults are not allowed; use frozenset() or None")
    if level is None and not public:
        level = Level.PERSONAL
    public = level is None or level <= Level.RESTRICTED
    meta: dict[str, Any] = {"doc": doc, "public": public, "level": level}
    if minimum is not None:
        meta["minimum"] = minimum
    if ahead is not None:
        meta["ahead"] = ahead
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(kw_only=True)
class Record:
    """Fields common to every record.

    ``source`` says where a record came from (a file, a survey form, a synthetic scenario);
    ``attributes`` keeps every input column that has no field of its own, so nothing is lost.
    """

    layer: ClassVar[str]

    id: str = attr("Identifier, unique within the layer")
    source: str | None = attr("Where the record came from (file, report, form, or 'synthetic:...')",
                              None)
    notes: str | None = attr("Free notes; repairs made on entry are noted here", None)
    # What an input file held beyond the layer's fields is unknown: never public.
    attributes: str | None = attr("Input columns without a field of their own, as JSON", None,
                                  level=Level.RESTRICTED)
    version: int = attr("Edit counter used for optimistic locking; set by the store", 1)
    owner: str | None = attr("Organisation that owns the record (its id); set by the store "
                             "from whoever writes it", None)
    country: str | None = attr("ISO 3166-1 alpha-2 code of the country the record belongs to "
                               "(from its administrative area, else its owner's country)", None)

    def __post_init__(self) -> None:
        # Accept enumeration codes as plain strings ("cha", {"ap", "av"}) from code and tests.
        for spec in field_specs(type(self)):  # type: ignore[arg-type]
            if spec.enum is None:
                continue
            value = getattr(self, spec.name)
            if spec.kind == "enum" and value is not None and not isinstance(value, spec.enum):
                setattr(self, spec.name, _enum_member(spec.enum, value))
            elif spec.kind == "enumset" and not (
                    isinstance(value, frozenset) and all(isinstance(v, spec.enum) for v in value)):
                items = value.split(",") if isinstance(value, str) else list(value or ())
                setattr(self, spec.name, frozenset(_enum_member(spec.enum, v) for v in items
                                                   if str(v).strip()))


@dataclasses.dataclass(kw_only=True)
class SpatialRecord(Record):
    geometry: BaseGeometry | None = attr("Geometry in EPSG:4326 (longitude, latitude)", None)
    src_crs: str | None = attr("CRS the geometry was given in before transformation", None)
    crs_operation: str | None = attr("Coordinate operation used to reach EPSG:4326", None)


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind
    doc: str
    required: bool
    enum: type[StrEnum] | None = None
    public: bool = True  # not marked confidential or personal on the field itself
    minimum: float | None = None  # integer and real fields: the smallest value accepted
    ahead: dt.timedelta = EVENT  # date fields: how far after today a date may lie
    level: Level | None = None  # as declared; Layer.field_level gives the level in force

    def describe_type(self) -> str:
        if self.kind == "enum" and self.enum:
            return "one of " + ", ".join(f"`{m.value}`" for m in self.enum)
        if self.kind == "enumset" and self.enum:
            return "comma list of " + ", ".join(f"`{m.value}`" for m in self.enum)
        if self.kind == "date":
            years = self.ahead.days // 365
            ceiling = "today" if years == 0 else f"{years} years from today"
            return f"date (YYYY-MM-DD), {EARLIEST_DATE.isoformat()} to {ceiling}"
        if self.minimum is not None:
            return f"{self.kind}, {_number_text(self.minimum)} or more"
        return self.kind


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def latest_date(spec: FieldSpec, today: dt.date) -> dt.date:
    """The latest date ``spec`` accepts when the clock says ``today``."""
    return today + spec.ahead


def _kind_of(tp: Any) -> tuple[FieldKind, type[StrEnum] | None, bool]:
    """Map a type annotation to (kind, enum, optional)."""
    optional = False
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        tp = args[0]
        origin = typing.get_origin(tp)
    if origin is frozenset:
        (inner,) = typing.get_args(tp)
        return "enumset", inner, optional
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return "enum", tp, optional
    simple: dict[Any, FieldKind] = {str: "text", int: "integer", float: "real", bool: "boolean",
                                    dt.date: "date", dict: "json"}
    if tp in simple:
        return simple[tp], None, optional
    raise TypeError(f"unsupported field type {tp!r}")


@functools.cache
def field_specs(record_type: type[Record]) -> tuple[FieldSpec, ...]:
    hints = typing.get_type_hints(record_type)
    specs = []
    for f in dataclasses.fields(record_type):
        if f.name in ("geometry",):
            continue
        kind, enum, optional = _kind_of(hints[f.name])
        required = (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        specs.append(FieldSpec(f.name, kind, f.metadata.get("doc", ""), required and not optional,
                               enum, f.metadata.get("public", True), f.metadata.get("minimum"),
                               f.metadata.get("ahead", EVENT), f.metadata.get("level")))
    return tuple(specs)


# ---------------------------------------------------------------------------------------------
# Coercion of raw values (from a file, a form or JSON) into typed field values.

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


#: A date, optionally followed by a time of day and a UTC offset (ISO 8601 extended form).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                       r"(Z|[+-]\d{2}(:?\d{2})?)?")


def _date(spec: FieldSpec, value: Any, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        try:
            if _DATE.fullmatch(text):
                day = dt.date.fromisoformat(text)
            elif _DATETIME.fullmatch(text):
                # the date as recorded where it happened, whatever its UTC offset
                day = dt.datetime.fromisoformat(text).date()
            else:
                raise ValueError
        except ValueError:
            raise BadValue.of("value.not_a_date", value=text) from None
    if day < EARLIEST_DATE:
        raise BadValue.of("value.date_too_early", field=spec.name, value=day.isoformat(),
                          earliest=EARLIEST_DATE.isoformat())
    latest = latest_date(spec, today)
    if day > latest:
        code = "value.date_in_future" if spec.ahead == EVENT else "value.date_too_late"
        raise BadValue.of(code, field=spec.name, value=day.isoformat(), latest=latest.isoformat())
    return day


def _check_minimum(spec: FieldSpec, number: float, shown: Any) -> None:
    if spec.minimum is not None and number < spec.minimum:
        raise BadValue.of("value.below_minimum", field=spec.name,
                          minimum=_number_text(spec.minimum), value=shown)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _unencodable(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (JSON can write one: ``"\\ud800"``), which is
    no character: no store can keep it, and writing it fails."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_text(text: str) -> str:
    if "\x00" in text:
        raise BadValue.of("value.nul_in_text", value=text.replace(chr(0), '<NUL>')[:60])
    if _unencodable(text):
        raise BadValue.of("value.not_unicode",
                          value=text.encode("utf-8", "backslashreplace").decode()[:60])
    return text


#: The longest id, or reference to one, a field may hold: ids are indexed, and an index entry
#: has a size limit in PostgreSQL (about 2,700 bytes) that a GeoPackage does not have.
MAX_ID_LENGTH = 256


def _check_id(spec: FieldSpec, text: str) -> str:
    if (spec.name == "id" or spec.name.endswith("_id")) and len(text) > MAX_ID_LENGTH:
        raise BadValue.of("value.id_too_long", length=len(text), most=MAX_ID_LENGTH)
    return text


def coerce_value(spec: FieldSpec, value: Any, *, today: dt.date) -> Any:
    """Return ``value`` as the field's type, or raise ValueError with a reason for a person.

    Guarantees: a date is a real calendar date between :data:`EARLIEST_DATE` and
    ``today + spec.ahead`` (``today`` is the caller's clock: the domain has none); a number is
    at least ``spec.minimum``; a whole number fits a signed 64-bit integer; no text holds a NUL
    character. Dates are read strictly: ``YYYY-MM-DD``, or an ISO date and time whose time is
    a time of day ("2023-01-01garbage" and "2023-01-01T25:00" are refused, not cut short).
    """
    k = spec.kind
    if k == "text":
        return _check_id(spec, _check_text(value if isinstance(value, str) else str(value)))
    if k == "integer":
        number = _integer(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise BadValue.of("value.integer_too_large", value=number, least=INT64_MIN,
                              most=INT64_MAX)
        _check_minimum(spec, number, number)
        return number
    if k == "real":
        if isinstance(value, bool):
            raise BadValue.of("value.not_a_number", value=value)
        try:
            real = float(value)
        except (TypeError, ValueError):
            raise BadValue.of("value.not_a_number", value=value) from None
        if not math.isfinite(real):
            raise BadValue.of("value.not_finite", value=value)
        _check_minimum(spec, real, value)
        return real
    if k == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, numbers.Real):
            # GDAL gives a nullable boolean field as 0/1 (integers, or reals beside NaN)
            if value in (0, 1):
                return bool(value)
            raise BadValue.of("value.not_a_boolean", value=value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise BadValue.of("value.not_a_boolean", value=value)
    if k == "date":
        return _date(spec, value, today)
    if k == "enum":
        assert spec.enum is not None
        return _enum_member(spec.enum, _check_text(str(value)))
    if k == "enumset":
        assert spec.enum is not None
        if isinstance(value, (list, tuple, set, frozenset)):
            items = list(value)
        else:
            items = [p for p in _check_text(str(value)).replace(";", ",").split(",")
                     if p.strip()]
        return frozenset(_enum_member(spec.enum, _check_text(str(item))) for item in items)
    if k == "json":
        if isinstance(value, str):
            _check_text(value)
            try:
                decoded = json.loads(value)
            except ValueError as exc:
                raise BadValue.of("value.not_json", error=exc) from None
            if _has_nul(decoded):
                _check_text("\x00")
            return value
        if _has_nul(value):
            _check_text("\x00")
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    raise AssertionError(k)


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise BadValue.of("value.not_a_whole_number", value=value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise BadValue.of("value.not_a_whole_number", value=value)
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise BadValue.of("value.not_a_whole_number", value=text) from None
        if number.is_integer():
            return int(number)
        raise BadValue.of("value.not_a_whole_number", value=text) from None


def _enum_member(enum: type[StrEnum], value: Any) -> StrEnum:
    text = str(value).strip().lower()
    try:
        return enum(text)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise BadValue.of("value.not_in_vocabulary", value=str(value), allowed=allowed) from None


def coerce_properties(
    specs: tuple[FieldSpec, ...], props: Mapping[str, Any], where: str, *, today: dt.date
) -> tuple[dict[str, Any], list[Problem]]:
    """Turn one row of raw properties into field values (see :func:`coerce_value`).

    Columns that match no field are kept, as JSON, in ``attributes`` (a column name or value
    with a NUL character is refused, naming the column); system fields in the input are ignored
    (the store sets them). Returns the values and the problems found; a row with problems must
    not be written. ``today`` is the caller's clock, for the latest date each field accepts.
    """
    by_name = {s.name: s for s in specs}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    problems: list[Problem] = []
    given: dict[str, tuple[str, str]] = {}  # field -> the column that gave it, its value
    for key, raw in props.items():
        name = str(key).strip()
        spec = by_name.get(name) or by_name.get(name.lower())
        if spec is not None and spec.name not in SYSTEM_FIELDS and not is_blank(raw):
            text = str(raw).strip()
            if spec.name in given:  # "Kind" and "kind": which one is meant is not ours to say
                if given[spec.name][1] != text:
                    problems.append(Problem.of(where, name, "value.column_twice",
                                               field=spec.name, other=given[spec.name][0]))
                continue
            given[spec.name] = (name, text)
        if spec is None or spec.name in SYSTEM_FIELDS:
            if spec is None and not is_blank(raw):
                # a GeoJSON object or list stays one inside the attributes' JSON
                value = raw if isinstance(raw, (str, int, float, bool, dict, list)) \
                    else str(raw)
                if "\x00" in name or (isinstance(value, str) and "\x00" in value):
                    problems.append(Problem.of(where, name.replace("\x00", "<NUL>"),
                                               "value.nul_in_name"))
                    continue
                if _unencodable(name) or (isinstance(value, str) and _unencodable(value)):
                    shown = name.encode("utf-8", "backslashreplace").decode()
                    problems.append(Problem.of(where, shown, "value.not_unicode_column"))
                    continue
                extra[name] = value
            continue
        if is_blank(raw):
            continue
        if spec.name == "id" and isinstance(raw, str):
            raw = raw.strip()  # " H-1 " is H-1: an id padded by a spreadsheet is the same id
        try:
            values[spec.name] = coerce_value(spec, raw, today=today)
        except ValueError as exc:
            problems.append(problem_of(exc, where, spec.name))
    for spec in specs:
        if spec.required and spec.name not in values and spec.name not in SYSTEM_FIELDS and not \
                any(p.field == spec.name for p in problems):
            problems.append(Problem.of(where, spec.name, "value.required"))
    if extra:
        merged = json.loads(values["attributes"]) if "attributes" in values else {}
        if not isinstance(merged, dict):
            merged = {"attributes": merged}
        merged.update(extra)
        values["attributes"] = json.dumps(merged, ensure_ascii=False, sort_keys=True, default=str)
    return values, problems

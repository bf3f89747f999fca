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
import types
import typing
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar, Literal

from shapely.geometry.base import BaseGeometry

from mineaction.errors import Problem

FieldKind = Literal["text", "integer", "real", "boolean", "date", "enum", "enumset", "json"]
GeometryType = Literal["POINT", "MULTIPOLYGON", "MULTILINESTRING", "GEOMETRY"]

# Columns every record has, filled by the system rather than by the user's file.
SYSTEM_FIELDS = ("geometry", "src_crs", "crs_operation", "version")


def attr(doc: str, default: Any = dataclasses.MISSING, *, public: bool = True) -> Any:
    """Declare a record field with its documentation.

    ``public=False`` marks a field that must never appear in a public output.
    """
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable defaults are not allowed; use frozenset() or None")
    return dataclasses.field(default=default, metadata={"doc": doc, "public": public})


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
    attributes: str | None = attr("Input columns without a field of their own, as JSON", None)
    version: int = attr("Edit counter used for optimistic locking; set by the store", 1)

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
    public: bool = True

    def describe_type(self) -> str:
        if self.kind == "enum" and self.enum:
            return "one of " + ", ".join(f"`{m.value}`" for m in self.enum)
        if self.kind == "enumset" and self.enum:
            return "comma list of " + ", ".join(f"`{m.value}`" for m in self.enum)
        if self.kind == "date":
            return "date (YYYY-MM-DD)"
        return self.kind


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
                               enum, f.metadata.get("public", True)))
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


def coerce_value(spec: FieldSpec, value: Any) -> Any:
    """Return ``value`` as the field's type, or raise ValueError with a reason for a person."""
    k = spec.kind
    if k == "text":
        return value if isinstance(value, str) else str(value)
    if k == "integer":
        if isinstance(value, bool):
            raise ValueError(f"expected a whole number, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if value.is_integer():
                return int(value)
            raise ValueError(f"expected a whole number, got {value!r}")
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"expected a whole number, got {text!r}") from None
            if number.is_integer():
                return int(number)
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if k == "real":
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {value!r}")
        return number
    if k == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    if k == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}") from None
    if k == "enum":
        assert spec.enum is not None
        return _enum_member(spec.enum, value)
    if k == "enumset":
        assert spec.enum is not None
        if isinstance(value, (list, tuple, set, frozenset)):
            items = list(value)
        else:
            items = [p for p in str(value).replace(";", ",").split(",") if p.strip()]
        return frozenset(_enum_member(spec.enum, item) for item in items)
    if k == "json":
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError as exc:
                raise ValueError(f"expected JSON: {exc}") from None
            return value
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    raise AssertionError(k)


def _enum_member(enum: type[StrEnum], value: Any) -> StrEnum:
    text = str(value).strip().lower()
    try:
        return enum(text)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValueError(f"unknown value {str(value)!r}; expected one of {allowed}") from None


def coerce_properties(
    specs: tuple[FieldSpec, ...], props: Mapping[str, Any], where: str
) -> tuple[dict[str, Any], list[Problem]]:
    """Turn one row of raw properties into field values.

    Columns that match no field are kept, as JSON, in ``attributes``; system fields in the input
    are ignored (the store sets them). Returns the values and the problems found; a row with
    problems must not be written.
    """
    by_name = {s.name: s for s in specs}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, raw in props.items():
        name = str(key).strip()
        spec = by_name.get(name) or by_name.get(name.lower())
        if spec is None or spec.name in SYSTEM_FIELDS:
            if spec is None and not is_blank(raw):
                extra[name] = raw if isinstance(raw, (str, int, float, bool)) else str(raw)
            continue
        if is_blank(raw):
            continue
        try:
            values[spec.name] = coerce_value(spec, raw)
        except ValueError as exc:
            problems.append(Problem(where, spec.name, str(exc)))
    for spec in specs:
        if spec.required and spec.name not in values and spec.name not in SYSTEM_FIELDS and not \
                any(p.field == spec.name for p in problems):
            problems.append(Problem(where, spec.name, "required value is missing"))
    if extra:
        merged = json.loads(values["attributes"]) if "attributes" in values else {}
        if not isinstance(merged, dict):
            merged = {"attributes": merged}
        merged.update(extra)
        values["attributes"] = json.dumps(merged, ensure_ascii=False, sort_keys=True, default=str)
    return values, problems

"""Conversion between records and the plain column values every SQL adapter stores."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from mineaction.domain.layers import Layer
from mineaction.domain.schema import FieldSpec, Record

GEOM = "geom"


def column_value(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind == "enum":
        return spec.enum(value).value  # type: ignore[misc]
    if spec.kind == "enumset":
        if not value:
            return None
        members = {spec.enum(v) for v in value}  # type: ignore[misc]
        return ",".join(m.value for m in spec.enum if m in members)  # type: ignore[union-attr]
    return value


def field_value(spec: FieldSpec, value: Any) -> Any:
    if spec.kind == "enum":
        return None if value is None else spec.enum(value)  # type: ignore[misc]
    if spec.kind == "enumset":
        if not value:
            return frozenset()
        return frozenset(spec.enum(v) for v in value.split(","))  # type: ignore[misc]
    if spec.kind == "boolean" and value is not None:
        return bool(value)
    return value


def _enum_column(enum: Any) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return value._value_ if value.__class__ is enum else enum(value)._value_

    return convert


def _enumset_column(spec: FieldSpec) -> Callable[[Any], Any]:
    cached = functools.lru_cache(maxsize=4096)(functools.partial(column_value, spec))

    def convert(value: Any) -> Any:
        if isinstance(value, frozenset):
            return cached(value)
        return column_value(spec, value)

    return convert


@functools.cache
def _column_converters(layer: Layer) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Per field of ``layer``: its name and what turns a non-None value into a column value
    (None when the value is stored as it is)."""
    out: list[tuple[str, Callable[[Any], Any] | None]] = []
    for spec in layer.fields:
        if spec.kind == "enum":
            out.append((spec.name, _enum_column(spec.enum)))
        elif spec.kind == "enumset":
            out.append((spec.name, _enumset_column(spec)))
        else:
            out.append((spec.name, None))
    return tuple(out)


def to_row(layer: Layer, record: Record) -> dict[str, Any]:
    row: dict[str, Any] = {}
    values = record.__dict__ if hasattr(record, "__dict__") else {
        name: getattr(record, name) for name, _ in _column_converters(layer)}
    for name, convert in _column_converters(layer):
        value = values[name]
        row[name] = value if convert is None or value is None else convert(value)
    if layer.spatial:
        row[GEOM] = getattr(record, "geometry", None)
    return row


def _enum_field(enum: Any) -> Callable[[Any], Any]:
    members = enum._value2member_map_

    def convert(value: Any) -> Any:
        if value is None:
            return None
        member = members.get(value)
        return member if member is not None else enum(value)

    return convert


@functools.cache
def _field_readers(layer: Layer) -> tuple[tuple[str, str | None, Callable[[Any], Any] | None,
                                                Any], ...]:
    """Per dataclass field of the layer's record type: (field, column or None, converter of
    the column value or None, default)."""
    specs = {spec.name: spec for spec in layer.fields}
    out: list[tuple[str, str | None, Callable[[Any], Any] | None, Any]] = []
    for f in dataclasses.fields(layer.record_type):
        if f.name == "geometry" and layer.spatial:
            out.append((f.name, GEOM, None, None))
        elif f.name in specs:
            spec = specs[f.name]
            if spec.kind == "enum":
                out.append((f.name, f.name, _enum_field(spec.enum), None))
            elif spec.kind == "enumset":
                # few distinct sets ("ap", "ap,av", ...) recur on every row: parse each once
                out.append((f.name, f.name, functools.lru_cache(maxsize=1024)(
                    functools.partial(field_value, spec)), None))
            elif spec.kind == "boolean":
                out.append((f.name, f.name, functools.partial(field_value, spec), None))
            else:
                out.append((f.name, f.name, None, None))
        else:
            out.append((f.name, None, None, f.default))
    return tuple(out)


class RowReader:
    """How to read records of one layer from rows with given column keys: ``build(row,
    geometry)`` makes the record."""

    def __init__(self, layer: Layer, keys: tuple[str, ...] | None):
        index = {k: i for i, k in enumerate(keys)} if keys is not None else None

        def key(column: str) -> Any:
            return column if index is None else index[column]

        defaults: dict[str, Any] = {}
        plain: list[tuple[str, Any]] = []
        converted: list[tuple[str, Any, Callable[[Any], Any]]] = []
        geometry_field: str | None = None
        for name, column, convert, default in _field_readers(layer):
            if column is None:
                defaults[name] = default
            elif column == GEOM:
                geometry_field = name
            elif convert is None:
                plain.append((name, key(column)))
            else:
                converted.append((name, key(column), convert))
        self.build = _compile_builder(layer.record_type, defaults, plain, converted,
                                      geometry_field)


def _compile_builder(cls: type, defaults: dict[str, Any], plain: list[tuple[str, Any]],
                     converted: list[tuple[str, Any, Callable[[Any], Any]]],
                     geometry_field: str | None) -> Callable[[Any, Any], Record]:
    """A function ``build(row, geometry)`` making one record of ``cls`` from a stored row:
    written out field by field once per layer and row shape, since it runs for every row read.
    Stored records were validated on the way in, so ``__post_init__`` rules are skipped."""
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls, "defaults": defaults}
    items = [f"{name!r}: defaults[{name!r}]" for name in defaults]
    items += [f"{name!r}: row[{key!r}]" for name, key in plain]
    for i, (name, key, convert) in enumerate(converted):
        namespace[f"convert_{i}"] = convert
        items.append(f"{name!r}: convert_{i}(row[{key!r}])")
    if geometry_field is not None:
        items.append(f"{geometry_field!r}: geometry")
    source = ("def build(row, geometry):\n    record = new(cls)\n"
              "    record.__dict__ = {" + ", ".join(items) + "}\n    return record\n")
    exec(compile(source, f"<row builder for {cls.__name__}>", "exec"), namespace)  # noqa: S102
    return namespace["build"]  # type: ignore[no-any-return]


@functools.cache
def row_reader(layer: Layer, keys: tuple[str, ...] | None = None) -> RowReader:
    """The reader of ``layer``'s records from rows with these column ``keys`` (by position),
    or from mappings by column name (``keys`` None)."""
    return RowReader(layer, keys)


def from_row(layer: Layer, row: Any, geometry: Any = None,
             reader: RowReader | None = None) -> Record:
    """The record of a stored row (a mapping, or a result row); ``geometry`` is the decoded
    geometry, the row's own ``geom`` value being in the store's encoding; a ``reader`` (from
    :func:`row_reader` with the result's keys) reads a result row by position, faster."""
    if reader is None:
        reader = row_reader(layer)
        row = row._mapping if hasattr(row, "_mapping") else row
    return reader.build(row, geometry)

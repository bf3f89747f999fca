"""Conversion between records and the plain column values every SQL adapter stores."""

from __future__ import annotations

import dataclasses
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


def to_row(layer: Layer, record: Record) -> dict[str, Any]:
    row = {spec.name: column_value(spec, getattr(record, spec.name)) for spec in layer.fields}
    if layer.spatial:
        row[GEOM] = getattr(record, "geometry", None)
    return row


def from_row(layer: Layer, row: Any) -> Record:
    mapping = row._mapping if hasattr(row, "_mapping") else row
    values = {spec.name: field_value(spec, mapping[spec.name]) for spec in layer.fields}
    if layer.spatial:
        values["geometry"] = mapping[GEOM]
    record = layer.record_type.__new__(layer.record_type)
    # Stored records were validated on the way in: skip __post_init__ rules on the way out.
    for f in dataclasses.fields(layer.record_type):
        object.__setattr__(record, f.name, values.get(f.name, f.default))
    return record

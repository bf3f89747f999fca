"""The canonical forms the audit log hashes: of a stored record, and of a log entry.

Both are JSON texts written the same way, so that anyone can recompute a hash with any JSON
library (the form is that of RFC 8785, the JSON Canonicalization Scheme, for documents without
floating-point numbers, which is why reals are written as strings):

- an object's keys sorted by code point, no whitespace (``,`` and ``:`` alone), strings as
  UTF-8 with only ``"``, ``\\`` and the control characters escaped (``\\b \\f \\n \\r \\t``,
  others as ``\\u00XX``);
- no floating-point numbers: a real is the string of Python's ``repr`` of the 8-byte value
  (the shortest decimal that reads back to the same double: ``"1234.5"``, ``"1e-07"``,
  ``"nan"``); integers are JSON integers; booleans ``true``/``false``; nothing is ``null``.

**A record** (:func:`record_hashes`) is hashed as it is stored, so that the ``after`` hash of
one write is the ``before`` hash of the next write of the same record::

    {"geometry": "<hex of ISO WKB, little endian>" | null,   (spatial layers only)
     "layer": "<layer name, e.g. finds>",
     "record": {"<field>": <value>, ...}}                     (every stored field)

Field values by kind: text, json and enum as the stored string; enumset as the stored
comma-separated codes in the vocabulary's order (``null`` when empty); integer as a JSON
integer; real as described above; boolean as ``true``/``false``; date as ``"YYYY-MM-DD"``. A
polygon in a multipolygon layer is hashed as the one-part multipolygon the store keeps. The
record hash is the SHA-256 of the UTF-8 text, written as 64 lower-case hex digits.

**An entry** (:func:`entry_hash`) is hashed with the hash of the entry before it::

    hash = SHA-256(prev_hash + canonical entry)

where ``prev_hash`` is the previous entry's hash as 64 ASCII hex digits (64 zeros before the
first entry) and the canonical entry is the object of the entry's columns other than
``prev_hash`` and ``hash``: ``action``, ``actor``, ``actor_org``, ``actor_user``,
``after_hash``, ``at``, ``before_hash``, ``detail`` (the stored JSON text, as a string),
``layer``, ``record_id``, ``seq`` (an integer) and ``tx``, absent values as ``null``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import numpy as np
import shapely

from mineaction.domain.layers import Layer
from mineaction.domain.schema import Record

GENESIS = "0" * 64

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode


def canonical_json(value: Any) -> str:
    """``value`` (dicts, lists, strings, integers, booleans, None; no floats) as canonical JSON
    text. A float is refused: write it with :func:`real_text` first."""
    return _dumps(_no_floats(value))


def _no_floats(value: Any) -> Any:
    if isinstance(value, float):
        raise TypeError("the canonical form has no floats: write reals with real_text()")
    if isinstance(value, dict):
        for v in value.values():
            _no_floats(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _no_floats(v)
    return value


def real_text(value: float) -> str:
    """A real as the canonical form writes it: the shortest decimal reading back to it."""
    return repr(float(value))


# Values are written straight to JSON text, field by field in a fixed order, rather than
# through a dict and json.dumps: an import of 100,000 records hashes every one of them, and
# this is about twice as fast. tests/audit/test_canonical.py checks the text against an
# independent RFC 8785 implementation.
_string = encode_basestring  # a JSON string, non-ASCII kept (as ensure_ascii=False writes it)


def _text(v: Any) -> str:
    return _string(v if v.__class__ is str else str(v))


def _integer(v: Any) -> str:
    return str(int(v))


def _real(v: Any) -> str:
    return _string(repr(float(v)))


def _boolean(v: Any) -> str:
    return "true" if v else "false"


def _date(v: Any) -> str:
    return _string(v.isoformat() if hasattr(v, "isoformat") else str(v))


_ENCODE: dict[str, Callable[[Any], str]] = {
    "integer": _integer, "real": _real, "boolean": _boolean, "date": _date, "text": _text,
    "json": _text, "enum": _text, "enumset": _text,
}


@cache
def _record_encoder(layer: Layer) -> Callable[[Mapping[str, Any]], str]:
    """A function writing the ``record`` object of a stored row: written out field by field
    once per layer (as :mod:`mineaction.store.rows` builds its readers), since it runs for
    every record written."""
    specs = sorted(layer.fields, key=lambda s: s.name)
    if not specs:
        return lambda row: "{}"
    namespace: dict[str, Any] = {}
    lines, parts = [], []
    for i, spec in enumerate(specs):
        namespace[f"e{i}"] = _ENCODE[spec.kind]
        lines.append(f"    v{i} = row[{spec.name!r}]")
        prefix = ("{" if i == 0 else ",") + _string(spec.name) + ":"
        # the common cases inline (a value of the stored type), the encoder otherwise
        if spec.kind in ("text", "json", "enum", "enumset"):
            value = f"S(v{i}) if v{i}.__class__ is str else e{i}(v{i})"
        elif spec.kind == "integer":
            value = f"str(v{i}) if v{i}.__class__ is int else e{i}(v{i})"
        else:
            value = f"e{i}(v{i})"
        parts.append(f"{prefix!r}, 'null' if v{i} is None else {value}")
    namespace["S"] = _string
    source = ("def encode(row):\n" + "\n".join(lines) + "\n    return ''.join((" +
              ", ".join(parts) + ", '}'))\n")
    exec(compile(source, f"<canonical encoder of {layer.name}>", "exec"), namespace)  # noqa: S102
    return namespace["encode"]  # type: ignore[no-any-return]


def stored_row(layer: Layer, value: Record | Mapping[str, Any]) -> Mapping[str, Any]:
    """The column values of a record, as the store writes them (``to_row``); a mapping is
    taken to be such a row already."""
    if isinstance(value, Record):
        from mineaction.store.rows import to_row

        return to_row(layer, value)
    return value


def _geometry_hex(layer: Layer, rows: Sequence[Mapping[str, Any]]) -> list[str | None]:
    from mineaction.geo.validate import as_multipolygon
    from mineaction.store.rows import GEOM

    geoms = [row.get(GEOM) for row in rows]
    if layer.geometry_type == "MULTIPOLYGON":
        geoms = [None if g is None else as_multipolygon(g) for g in geoms]
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    # byte_order and flavour fixed: the hash must not depend on the machine or the library
    return [None if g is None else g.lower()
            for g in shapely.to_wkb(arr, hex=True, byte_order=1, flavor="iso")]


def canonical_records(layer: Layer, rows: Sequence[Record | Mapping[str, Any]]) -> list[str]:
    """The canonical texts of records of ``layer`` (records, or rows as ``to_row`` makes
    them), in order."""
    stored = [r if r.__class__ is dict else stored_row(layer, r) for r in rows]
    encode = _record_encoder(layer)
    # keys in order: "geometry" < "layer" < "record"
    head = ',"layer":' + _string(layer.name) + ',"record":'
    if not layer.spatial:
        return ['{"layer":' + _string(layer.name) + ',"record":' + encode(row) + "}"
                for row in stored]
    geoms = _geometry_hex(layer, stored)
    return ['{"geometry":' + ("null" if g is None else '"' + g + '"') + head + encode(row)
            + "}" for row, g in zip(stored, geoms, strict=True)]


def record_hashes(layer: Layer, rows: Sequence[Record | Mapping[str, Any]]) -> list[str]:
    """SHA-256 (hex) of each record's canonical text (see the module's documentation)."""
    sha = hashlib.sha256
    return [sha(text.encode("utf-8")).hexdigest() for text in canonical_records(layer, rows)]


def record_hash(layer: Layer, record: Record | Mapping[str, Any]) -> str:
    return record_hashes(layer, [record])[0]


#: The columns of an entry that its canonical form holds, in the table's order.
ENTRY_FIELDS = ("seq", "tx", "at", "actor", "actor_user", "actor_org", "action", "layer",
                "record_id", "before_hash", "after_hash", "detail")


def _s(v: Any) -> str:
    return "null" if v is None else _string(v if v.__class__ is str else str(v))


def canonical_entry(entry: Mapping[str, Any]) -> str:
    """The canonical text of an entry: its :data:`ENTRY_FIELDS` (``seq`` an integer, the
    others strings or None)."""
    g = entry.get
    return (f'{{"action":{_s(g("action"))},"actor":{_s(g("actor"))},'
            f'"actor_org":{_s(g("actor_org"))},"actor_user":{_s(g("actor_user"))},'
            f'"after_hash":{_s(g("after_hash"))},"at":{_s(g("at"))},'
            f'"before_hash":{_s(g("before_hash"))},"detail":{_s(g("detail"))},'
            f'"layer":{_s(g("layer"))},"record_id":{_s(g("record_id"))},'
            f'"seq":{int(entry["seq"])},"tx":{_s(g("tx"))}}}')


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """SHA-256(prev_hash + canonical entry), hex."""
    return hashlib.sha256((prev_hash + canonical_entry(entry)).encode("utf-8")).hexdigest()

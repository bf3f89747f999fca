"""The canonical forms, recomputed independently: values written by the documented rules,
WKB packed by hand, JSON canonicalised by an RFC 8785 implementation (rfc8785), SHA-256 by
hashlib."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import struct

import pytest
import rfc8785
from shapely.geometry import MultiPolygon, Point, Polygon

from mineaction.audit.canonical import (
    GENESIS,
    canonical_entry,
    canonical_records,
    entry_hash,
    record_hash,
)
from mineaction.domain.layers import get_layer
from tests.contract.samples import CORE_LAYERS, sample

ODD = 'quote " backslash \\ tab \t newline \n nul \x00 bell \x07 del \x7f ĝ 𝔸 😀 \u2028'


def wkb(geom) -> str:
    """ISO WKB, little endian, of points and (multi)polygons, packed by hand."""
    def ring(coords):
        return struct.pack("<I", len(coords)) + b"".join(struct.pack("<dd", x, y)
                                                         for x, y in coords)

    def polygon(p):
        rings = [p.exterior, *p.interiors]
        return b"\x01" + struct.pack("<II", 3, len(rings)) + b"".join(
            ring(list(r.coords)) for r in rings)

    if isinstance(geom, Point):
        return (b"\x01" + struct.pack("<Idd", 1, geom.x, geom.y)).hex()
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    assert isinstance(geom, MultiPolygon)
    return (b"\x01" + struct.pack("<II", 6, len(geom.geoms))
            + b"".join(polygon(p) for p in geom.geoms)).hex()


def plain(kind: str, value):
    """A field value by the documented rules, from the value itself."""
    if value is None:
        return None
    if isinstance(value, frozenset):
        if not value:
            return None
        order = list(type(next(iter(value))))
        return ",".join(m.value for m in order if m in value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == "real":
        return repr(float(value))
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    return str(value)


def expected_text(record) -> bytes:
    layer = get_layer(type(record))
    fields = {f.name: plain(layer.field(f.name).kind, getattr(record, f.name))
              for f in dataclasses.fields(record) if f.name in {s.name for s in layer.fields}}
    doc = {"layer": layer.name, "record": fields}
    if layer.spatial:
        doc["geometry"] = None if record.geometry is None else wkb(record.geometry)
    return rfc8785.dumps(doc)


@pytest.mark.parametrize("layer", CORE_LAYERS)
def test_record_hash_of_every_layer_matches_an_independent_computation(layer):
    rec = sample(layer, 3)
    if hasattr(rec, "notes"):
        rec.notes = ODD
    (text,) = canonical_records(get_layer(layer), [rec])
    assert text.encode("utf-8") == expected_text(rec)
    assert record_hash(get_layer(layer), rec) == hashlib.sha256(expected_text(rec)).hexdigest()


def test_a_polygon_is_hashed_as_the_multipolygon_the_store_keeps():
    rec = sample("hazards")
    poly = rec.geometry.geoms[0]
    single = dataclasses.replace(rec, geometry=poly)
    assert record_hash(get_layer("hazards"), single) == record_hash(get_layer("hazards"), rec)


def test_every_value_of_a_record_changes_its_hash():
    rec = sample("finds")
    layer = get_layer("finds")
    base = record_hash(layer, rec)
    changes = {"model": "PMN-1", "quantity": 3, "found_on": dt.date(2023, 5, 18),
               "victim_activated": True, "notes": "x", "version": 2,
               "geometry": Point(rec.geometry.x, rec.geometry.y + 1e-9)}
    for name, value in changes.items():
        assert record_hash(layer, dataclasses.replace(rec, **{name: value})) != base, name
    # a real is written exactly: the next double is another hash
    from tests.contract.test_migrations import GOOD, _version

    version = _version("H1@1", 1, GOOD, 1234.5)
    after = struct.unpack("<d", struct.pack("<q", struct.unpack("<q", struct.pack(
        "<d", 1234.5))[0] + 1))[0]
    assert after != 1234.5
    layer = get_layer("hazard-versions")
    assert layer.field("area_m2").kind == "real"
    assert record_hash(layer, version) != record_hash(
        layer, dataclasses.replace(version, area_m2=after))
    assert expected_text(version) == canonical_records(layer, [version])[0].encode()


def test_entry_hash_matches_an_independent_computation():
    entry = {"seq": 41, "tx": "ab" * 16, "at": "2024-03-01T08:30:00.000000Z", "actor": ODD,
             "actor_user": "u-1", "actor_org": None, "action": "approve", "layer": "hazards",
             "record_id": "H-7", "before_hash": "0" * 64, "after_hash": "f" * 64,
             "detail": json.dumps({"note": ODD}), "prev_hash": "x", "hash": "y"}
    doc = {k: v for k, v in entry.items() if k not in ("prev_hash", "hash")}
    assert canonical_entry(entry).encode("utf-8") == rfc8785.dumps(doc)
    prev = hashlib.sha256(b"previous").hexdigest()
    assert entry_hash(prev, entry) == hashlib.sha256(
        prev.encode("ascii") + rfc8785.dumps(doc)).hexdigest()
    assert entry_hash(GENESIS, entry) != entry_hash(prev, entry)

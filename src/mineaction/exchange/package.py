"""The exchange package file: a GeoPackage of shared tables and a signed manifest.

Layout (every table registered in ``gpkg_contents``, so that GDAL and QGIS open the file):

* one table per shared layer of records (the layer's table name, e.g. ``hazards``), with a
  column per field of the layer and the geometry in ``geom`` (EPSG:4326), as the recipient
  reads it under the agreements (generalised geometries included);
* one table ``<table>_counts`` per layer shared as counts only: ``country`` and ``count``;
* ``package_manifest``: one row of ``format``, ``manifest`` (the canonical JSON text that is
  signed), ``signature`` (base64 of the 64-byte Ed25519 signature of that text's UTF-8),
  ``key_id`` (the signing key's fingerprint, :func:`mineaction.audit.checkpoint.key_id`) and
  ``public_key`` (base64 of the raw 32-byte public key, for information: a package is checked
  against the key the recipient already holds, never against the one it carries).

**A table's canonical content** (:func:`table_digest`): each row, read with SQLite from the
file, as canonical JSON (:mod:`mineaction.audit.canonical`) of ``column -> value`` over every
column but the ``fid`` key (text as text, integers as integers, reals as the text of
:func:`~mineaction.audit.canonical.real_text`, a blob such as the geometry as lower-case hex,
NULL as ``null``); the row texts sorted, each followed by a line feed; the SHA-256 of the
UTF-8 of that text. A changed, inserted or deleted row, an added or dropped column, all change
it; the order of rows on disk does not.

**The package's identity** (:func:`digest`) is the SHA-256 of the manifest text: it covers
every table's digest, and it is what an import writes into each record's provenance.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from shapely.geometry.base import BaseGeometry

from mineaction.audit.canonical import canonical_json, real_text
from mineaction.audit.checkpoint import key_id, raw
from mineaction.errors import InvalidInput, Problem

FORMAT = "mineaction-exchange-package/1"
MANIFEST_TABLE = "package_manifest"
GEOM = "geom"
FID = "fid"
#: The ``application_id`` of a GeoPackage ("GPKG").
GPKG_APPLICATION_ID = 0x47504B47


@dataclass
class Table:
    """One table to write: its name, geometry type (None: no geometry), columns and their
    values (plain: text, int, float, bool, None), and geometries (one per row)."""

    name: str
    geometry_type: str | None
    columns: dict[str, list[Any]]
    geometries: list[BaseGeometry | None] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


# -- writing -------------------------------------------------------------------------------------

def _array(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    present = [v for v in values if v is not None]
    mask = np.array([v is None for v in values], dtype=bool)
    if present and all(isinstance(v, bool) for v in present):
        return np.array([bool(v) for v in values], dtype=bool), mask
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return np.array([0 if v is None else v for v in values], dtype=np.int64), mask
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       for v in present):
        return np.array([np.nan if v is None else v for v in values], dtype=float), mask
    return np.array([None if v is None else str(v) for v in values], dtype=object), mask


_GDAL_TYPES = {"MULTIPOLYGON": "MultiPolygon", "POINT": "Point", "MULTILINESTRING":
               "MultiLineString", "GEOMETRY": "Unknown"}


def write_table(path: Path, table: Table) -> None:
    """Add ``table`` to the GeoPackage at ``path`` (made when missing) through GDAL."""
    import pyogrio.raw

    names = list(table.columns)
    arrays, masks = zip(*(_array(table.columns[n]) for n in names), strict=True) \
        if names else ((), ())
    wkb = None
    gtype = None
    if table.geometry_type is not None:
        wkb = np.array([None if g is None else shapely.to_wkb(g) for g in table.geometries],
                       dtype=object)
        gtype = _GDAL_TYPES.get(table.geometry_type, "Unknown")
    pyogrio.raw.write(str(path), wkb, list(arrays), names, field_mask=list(masks),
                      layer=table.name, driver="GPKG", geometry_type=gtype,
                      crs="EPSG:4326" if gtype else None, append=False)


def sign(key: Ed25519PrivateKey, manifest: dict[str, Any]) -> dict[str, str]:
    """The manifest row: its canonical text, the signature of it, the key's id and bytes."""
    text = canonical_json(manifest)
    public = raw(key.public_key())
    return {"format": FORMAT, "manifest": text,
            "signature": base64.b64encode(key.sign(text.encode("utf-8"))).decode(),
            "key_id": key_id(public), "public_key": base64.b64encode(public).decode()}


def write_manifest(path: Path, row: dict[str, str]) -> None:
    write_table(path, Table(MANIFEST_TABLE, None, {k: [v] for k, v in row.items()}))


def digest(manifest_text: str) -> str:
    """The package's identity: SHA-256 (hex) of its manifest's canonical text."""
    return hashlib.sha256(manifest_text.encode("utf-8")).hexdigest()


# -- reading -------------------------------------------------------------------------------------

def connect(path: Path) -> sqlite3.Connection:
    """The package opened read-only; InvalidInput when it is no GeoPackage."""
    p = Path(path)
    bad = InvalidInput([Problem.of(str(p), None, "package.not_a_package")], source=str(p))
    with open(p, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise bad
    conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                           "'gpkg_contents'").fetchone()
    except sqlite3.Error:
        conn.close()
        raise bad from None
    if app != GPKG_APPLICATION_ID or not has:
        conn.close()
        raise bad
    return conn


def contents(conn: sqlite3.Connection) -> list[str]:
    """The tables the package registers (``gpkg_contents``), sorted."""
    return sorted(r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents"))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rows(conn: sqlite3.Connection, table: str) -> Iterator[dict[str, Any]]:
    """Every row of ``table`` as ``column -> value`` (the ``fid`` key left out)."""
    cur = conn.execute(f"SELECT * FROM {_quote(table)}")
    names = [d[0] for d in cur.description]
    for row in cur:
        yield {n: v for n, v in zip(names, row, strict=True) if n != FID}


def _canonical_value(value: Any) -> Any:
    if isinstance(value, float):
        return real_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value


def canonical_row(row: dict[str, Any]) -> str:
    return canonical_json({k: _canonical_value(v) for k, v in row.items()})


def table_digest(conn: sqlite3.Connection, table: str) -> tuple[int, str]:
    """How many rows ``table`` holds and the SHA-256 of its canonical content."""
    texts = sorted(canonical_row(r) for r in rows(conn, table))
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\n")
    return len(texts), h.hexdigest()


def geometry(blob: bytes | None) -> BaseGeometry | None:
    """The geometry of a GeoPackage geometry blob (header, envelope, then WKB)."""
    if blob is None:
        return None
    data = bytes(blob)
    if data[:2] != b"GP" or len(data) < 8:
        raise ValueError("not a GeoPackage geometry")
    flags = data[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((flags >> 1) & 0x07)
    if envelope is None:
        raise ValueError("bad envelope indicator")
    return shapely.from_wkb(data[8 + envelope:])


# -- checking ------------------------------------------------------------------------------------

@dataclass
class Checked:
    """What :func:`check` found: the manifest (when it could be read), the package's digest,
    and the first problem (None: the package is intact and signed by the key)."""

    path: str
    manifest: dict[str, Any] | None = None
    digest: str | None = None
    key_id: str | None = None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def raise_if_bad(self) -> None:
        if self.problem is not None:
            raise InvalidInput([self.problem], source=self.path)


def check(path: Path, public: Ed25519PublicKey) -> Checked:
    """Check the package at ``path`` against the recipient's ``public`` key, stopping at the
    first problem: a GeoPackage with one manifest row; the manifest text canonical JSON of
    this format; signed with ``public`` (its fingerprint, then the signature); the tables
    registered exactly those of the manifest; each table's row count and digest those of
    the manifest."""
    where = str(path)
    out = Checked(where)

    def bad(code: str, **params: Any) -> Checked:
        out.problem = Problem.of(where, None, code, **params)
        return out

    try:
        conn = connect(path)
    except InvalidInput as exc:
        out.problem = exc.problems[0]
        return out
    try:
        return _check(conn, out, public, bad)
    except sqlite3.Error as exc:
        return bad("package.unreadable", reason=str(exc))
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, out: Checked, public: Ed25519PublicKey,
           bad: Callable[..., Checked]) -> Checked:
    tables = contents(conn)
    if MANIFEST_TABLE not in tables:
        return bad("package.no_manifest", table=MANIFEST_TABLE)
    found = list(rows(conn, MANIFEST_TABLE))
    if len(found) != 1:
        return bad("package.manifest_rows", count=len(found))
    row = found[0]
    text = row.get("manifest")
    if not isinstance(text, str):
        return bad("package.manifest_no_text")
    try:
        manifest = json.loads(text)
        canonical = canonical_json(manifest)
    except (ValueError, TypeError) as exc:
        return bad("package.manifest_unreadable", reason=str(exc))
    if canonical != text:
        return bad("package.manifest_not_canonical")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return bad("package.wrong_format", found=str(manifest.get("format")
                                                     if isinstance(manifest, dict)
                                                     else None), expected=FORMAT)
    out.manifest, out.digest = manifest, digest(text)
    given = key_id(public)
    out.key_id = str(row.get("key_id"))
    if row.get("key_id") != given:
        return bad("package.other_key", signed=str(row.get("key_id")), given=given)
    try:
        signature = base64.b64decode(str(row.get("signature")), validate=True)
        public.verify(signature, text.encode("utf-8"))
    except (binascii.Error, ValueError, InvalidSignature):
        return bad("package.bad_signature", key=given)
    listed = manifest.get("tables") or []
    expected = sorted(str(t["table"]) for t in listed)
    present = [t for t in tables if t != MANIFEST_TABLE]
    if present != expected:
        return bad("package.tables_differ",
                   missing=", ".join(sorted(set(expected) - set(present))) or "-",
                   extra=", ".join(sorted(set(present) - set(expected))) or "-")
    for t in listed:
        try:
            count, sha = table_digest(conn, str(t["table"]))
        except sqlite3.Error as exc:
            return bad("package.table_unreadable", table=t["table"], reason=str(exc))
        if count != t["rows"]:
            return bad("package.row_count", table=t["table"], expected=t["rows"],
                       found=count)
        if sha != t["sha256"]:
            return bad("package.table_changed", table=t["table"])
    return out


def table_rows(path: Path, table: str) -> list[dict[str, Any]]:
    """The rows of one table of a (checked) package, ``fid`` included as ``_fid``."""
    conn = connect(path)
    try:
        cur = conn.execute(f"SELECT * FROM {_quote(table)} ORDER BY {FID}")
        names = [d[0] for d in cur.description]
        return [{("_fid" if n == FID else n): v for n, v in zip(names, r, strict=True)}
                for r in cur]
    finally:
        conn.close()


def manifest_row(path: Path) -> dict[str, Any]:
    conn = connect(path)
    try:
        return next(rows(conn, MANIFEST_TABLE))
    finally:
        conn.close()


def digests(path: Path, tables: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Row count and digest of each table, read back from the file as :func:`check` will."""
    conn = connect(path)
    try:
        return {t: table_digest(conn, t) for t in tables}
    finally:
        conn.close()

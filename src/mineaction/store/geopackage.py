"""The embedded store: one OGC GeoPackage 1.3 file that QGIS and GDAL open as it is.

- Spatial layers are feature tables registered in ``gpkg_contents`` and
  ``gpkg_geometry_columns``, geometries in GeoPackage binary (header + ISO WKB), SRS 4326.
- Each has an R-tree spatial index (``gpkg_rtree_index`` extension) kept current by the
  standard triggers, which call ``ST_MinX`` and friends: functions a GeoPackage reader provides
  and that this adapter registers on every connection it opens.
- Non-spatial layers are ``attributes`` tables, also in ``gpkg_contents``.
- WAL journal; writers take the lock at ``BEGIN IMMEDIATE``, so there is one writer at a time
  and readers never block it. A writer that finds the lock taken says so once on stderr
  ("waiting for another writer to finish ...") and waits up to :attr:`GeoPackageStore.
  lock_timeout_s` seconds (30; ``$MINEACTION_LOCK_TIMEOUT`` overrides), then fails with
  :class:`~mineaction.errors.StoreError` ("the store is locked by another writer").
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection
from sqlalchemy.pool import QueuePool

from mineaction.domain.layers import Layer
from mineaction.errors import StoreError
from mineaction.geo.validate import as_multipolygon
from mineaction.store.base import register_adapter
from mineaction.store.rows import GEOM
from mineaction.store.sql import SqlStore

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3.0
SRS_ID = 4326
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


# ---------------------------------------------------------------------------------------------
# GeoPackage binary geometry

def encode(geom: BaseGeometry | None, srs_id: int = SRS_ID) -> bytes | None:
    """GeoPackage binary: 'GP', version 0, flags, srs_id, envelope (not for points), ISO WKB."""
    if geom is None:
        return None
    if geom.is_empty:
        flags = 0b0001_0001  # empty, no envelope, little endian
        return b"GP\x00" + bytes([flags]) + struct.pack("<i", srs_id) + shapely.to_wkb(
            geom, byte_order=1, flavor="iso")
    wkb = shapely.to_wkb(geom, byte_order=1, flavor="iso")
    if geom.geom_type == "Point":
        return b"GP\x00\x01" + struct.pack("<i", srs_id) + wkb
    minx, miny, maxx, maxy = geom.bounds
    return (b"GP\x00\x03" + struct.pack("<i", srs_id)
            + struct.pack("<4d", minx, maxx, miny, maxy) + wkb)


def encode_many(geoms: list[BaseGeometry | None], srs_id: int = SRS_ID) -> list[bytes | None]:
    """:func:`encode` of many geometries at once (the WKB and envelopes computed in bulk)."""
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    wkbs = shapely.to_wkb(arr, byte_order=1, flavor="iso")
    bounds = shapely.bounds(arr)
    envelopes = np.ascontiguousarray(bounds[:, [0, 2, 1, 3]], dtype="<f8")
    srs = struct.pack("<i", srs_id)
    out: list[bytes | None] = []
    for i, geom in enumerate(geoms):
        if geom is None:
            out.append(None)
        elif geom.is_empty:
            out.append(encode(geom, srs_id))
        elif geom.geom_type == "Point":
            out.append(b"GP\x00\x01" + srs + wkbs[i])
        else:
            out.append(b"GP\x00\x03" + srs + envelopes[i].tobytes() + wkbs[i])
    return out


def encode_array(arr: np.ndarray, srs_id: int = SRS_ID) -> list[bytes | None]:
    """:func:`encode` of an array of geometries, without a Python step per geometry beyond
    joining each blob's parts."""
    n = len(arr)
    if n == 0:
        return []
    wkbs = shapely.to_wkb(arr, byte_order=1, flavor="iso")
    types = shapely.get_type_id(arr)
    empty = shapely.is_empty(arr)
    srs = struct.pack("<i", srs_id)
    point_head = b"GP\x00\x01" + srs
    if ((types == 0) & ~empty).all():
        return [point_head + w for w in wkbs]
    envelopes = np.ascontiguousarray(shapely.bounds(arr)[:, [0, 2, 1, 3]], dtype="<f8")
    head = b"GP\x00\x03" + srs
    out: list[bytes | None] = []
    for i in range(n):
        t = types[i]
        if t < 0:
            out.append(None)
        elif empty[i]:
            out.append(encode(arr[i], srs_id))
        elif t == 0:
            out.append(point_head + wkbs[i])
        else:
            out.append(head + envelopes[i].tobytes() + wkbs[i])
    return out


_POINT_2D = b"\x01\x01\x00\x00\x00"  # little endian, ISO WKB type 1


def _header(blob: bytes) -> tuple[int, int, bool]:
    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry")
    flags = blob[3]
    envelope = (flags >> 1) & 0b111
    return flags, 8 + _ENVELOPE_BYTES[envelope], bool(flags & 0b1_0000)


def decode(blob: bytes | None) -> BaseGeometry | None:
    if blob is None:
        return None
    _, start, _ = _header(blob)
    return shapely.from_wkb(bytes(blob[start:]))


def _bounds(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a GeoPackage geometry, from its envelope when it has one."""
    if blob is None:
        return None
    flags, start, empty = _header(blob)
    if empty:
        return None
    if (flags >> 1) & 0b111:
        little = flags & 1
        return struct.unpack("<4d" if little else ">4d", blob[8:40])
    if blob[start:start + 5] == _POINT_2D and len(blob) == start + 21:
        x, y = struct.unpack_from("<2d", blob, start + 5)
        return (x, x, y, y)
    geom = shapely.from_wkb(bytes(blob[start:]))
    if geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return (minx, maxx, miny, maxy)


def _st(index: int):  # type: ignore[no-untyped-def]
    def fn(blob: bytes | None) -> float | None:
        b = _bounds(blob)
        return None if b is None else b[index]

    return fn


def _st_is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(_header(blob)[2])


def register_functions(dbapi_conn: sqlite3.Connection) -> None:
    """The SQL functions the GeoPackage R-tree triggers call."""
    for name, index in (("ST_MinX", 0), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)):
        dbapi_conn.create_function(name, 1, _st(index), deterministic=True)
    dbapi_conn.create_function("ST_IsEmpty", 1, _st_is_empty, deterministic=True)
    dbapi_conn.create_function("mineaction_gpkg_wkb", 1, _gpkg_wkb, deterministic=True)


class GpkgGeometry(sa.types.UserDefinedType[BaseGeometry]):
    cache_ok = True

    def __init__(self, geometry_type: str):
        self.geometry_type = geometry_type

    def get_col_spec(self, **kw: Any) -> str:
        return self.geometry_type

    def bind_processor(self, dialect: Any) -> Any:
        multi = self.geometry_type == "MULTIPOLYGON"

        def process(value: BaseGeometry | None) -> bytes | None:
            if value is not None and multi:
                value = as_multipolygon(value)
            return encode(value)

        return process

    # Results stay GeoPackage binary: the store decodes them in bulk (decode_geometries).


# ---------------------------------------------------------------------------------------------
# System tables (GeoPackage 1.3, clauses 1.1.2, 1.1.3, 1.1.5, 2.1.5, 2.5)

_SYSTEM_TABLES = [
    """CREATE TABLE gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
        description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
    """CREATE TABLE gpkg_extensions (
        table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
        definition TEXT NOT NULL, scope TEXT NOT NULL,
        CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
]

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]')

_RTREE_TRIGGERS = """
CREATE TRIGGER rtree_{t}_{c}_insert AFTER INSERT ON "{t}"
WHEN (new."{c}" NOT NULL AND NOT ST_IsEmpty(NEW."{c}"))
BEGIN
  INSERT OR REPLACE INTO rtree_{t}_{c} VALUES (NEW."{i}",
    ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}"));
END;
CREATE TRIGGER rtree_{t}_{c}_update1 AFTER UPDATE OF "{c}" ON "{t}"
WHEN OLD."{i}" = NEW."{i}" AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}"))
BEGIN
  INSERT OR REPLACE INTO rtree_{t}_{c} VALUES (NEW."{i}",
    ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}"));
END;
CREATE TRIGGER rtree_{t}_{c}_update2 AFTER UPDATE OF "{c}" ON "{t}"
WHEN OLD."{i}" = NEW."{i}" AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}"))
BEGIN
  DELETE FROM rtree_{t}_{c} WHERE id = OLD."{i}";
END;
CREATE TRIGGER rtree_{t}_{c}_update3 AFTER UPDATE ON "{t}"
WHEN OLD."{i}" != NEW."{i}" AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}"))
BEGIN
  DELETE FROM rtree_{t}_{c} WHERE id = OLD."{i}";
  INSERT OR REPLACE INTO rtree_{t}_{c} VALUES (NEW."{i}",
    ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}"));
END;
CREATE TRIGGER rtree_{t}_{c}_update4 AFTER UPDATE ON "{t}"
WHEN OLD."{i}" != NEW."{i}" AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}"))
BEGIN
  DELETE FROM rtree_{t}_{c} WHERE id IN (OLD."{i}", NEW."{i}");
END;
CREATE TRIGGER rtree_{t}_{c}_delete AFTER DELETE ON "{t}"
WHEN old."{c}" NOT NULL
BEGIN
  DELETE FROM rtree_{t}_{c} WHERE id = OLD."{i}";
END;
"""


@functools.cache
def _rtree_clause(table: str, fid: str) -> sa.TextClause:
    """The R-tree prefilter of a bbox query, as text: it runs for every map query. SQLite keeps
    R-tree bounds as 4-byte floats rounded outwards, so it finds every feature whose envelope
    meets the box and some that lie just outside: the store checks candidates exactly."""
    return sa.text(
        f'"{table}"."{fid}" IN (SELECT id FROM "rtree_{table}_{GEOM}" WHERE maxx >= :bbox_minx'
        " AND minx <= :bbox_maxx AND maxy >= :bbox_miny AND miny <= :bbox_maxy)")


def _gpkg_wkb(blob: bytes | None) -> bytes | None:
    """The WKB of a GeoPackage geometry (SQL function ``mineaction_gpkg_wkb``)."""
    if blob is None:
        return None
    return bytes(blob[_header(blob)[1]:])


@functools.cache
def _wkb_expression(table: str) -> Any:
    """The geometry column as WKB, the GeoPackage header cut off by SQLite itself: the
    header's length follows from its flags byte (the envelope's kind), so a ``CASE`` on that
    byte picks where the WKB starts, without a Python call per row; a flags byte written by
    nobody we know (an extended geometry) goes to :func:`_gpkg_wkb`."""
    col = f'"{table}"."{GEOM}"'
    order = [1, 3, 0, 2] + [f for f in range(64) if f not in (0, 1, 2, 3)]
    whens = []
    for flags in order:
        size = _ENVELOPE_BYTES.get((flags >> 1) & 0b111)
        if size is None or flags & 0b10_0000:
            continue
        whens.append(f"WHEN x'{flags:02x}' THEN substr({col}, {9 + size})")
    return sa.literal_column(f"CASE substr({col}, 4, 1) {' '.join(whens)} "
                             f"ELSE mineaction_gpkg_wkb({col}) END", sa.LargeBinary)


#: From this many rows, a batch fills the R-tree in one statement (see ``insert_rows``).
BULK_RTREE_ROWS = 256
#: A batch from which a bulk load into an empty table builds its plain indexes at the end.
BULK_INDEX_ROWS = 10_000
#: The page cache (KiB) of a connection that has written a large batch.
BULK_CACHE_KIB = 256 * 1024


def _rtree_insert_trigger(table: str, fid: str) -> str:
    first = _RTREE_TRIGGERS.format(t=table, c=GEOM, i=fid).split("END;")[0]
    return first.strip() + "\nEND;"


#: GeoPackage application ids: 1.2 and later ("GPKG"), 1.0 ("GP10"), 1.1 ("GP11"); 0 is an
#: SQLite file nobody has claimed yet.
_GPKG_APPLICATION_IDS = {APPLICATION_ID, 0x47503130, 0x47503131, 0}
#: The busy timeout of a connection (ms): how long a statement waits for a lock.
BUSY_TIMEOUT_MS = 30000
#: How long the first attempt at the write lock waits before saying that it is waiting (ms).
FIRST_TRY_MS = 200


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _is_locked(exc: sa.exc.OperationalError) -> bool:
    return "locked" in str(exc.orig) or "busy" in str(exc.orig)


class GeoPackageStore(SqlStore):
    #: Seconds a writer waits for another writer to finish before giving up.
    lock_timeout_s: float = 30.0
    #: Told, once per wait, that a writer is waiting for the lock (default: a line on stderr).
    on_wait: Callable[[str], None] = staticmethod(_stderr)

    def __init__(self, url: str):
        path = url[len("gpkg://"):] if url.startswith("gpkg://") else url
        self.path = Path(path)
        self._check_file()
        engine = sa.create_engine(f"sqlite:///{self.path}", poolclass=QueuePool, pool_size=2)
        sa.event.listen(engine, "connect", self._on_connect)
        super().__init__(str(self.path), engine)

    def _check_file(self) -> None:
        """StoreError unless the path is a GeoPackage, an empty file, or nothing yet."""
        p = self.path
        if p.is_dir():
            raise StoreError.of("store.gpkg_is_folder", path=p)
        if not p.exists():
            if not p.parent.is_dir() and str(p.parent):
                raise StoreError.of("store.gpkg_folder_missing", path=p, parent=p.parent)
            return
        try:
            if p.stat().st_size == 0:
                return
            with open(p, "rb") as fh:
                head = fh.read(100)
        except OSError as exc:
            raise StoreError.of("store.gpkg_unreadable", path=p,
                                error=exc.strerror or exc) from None
        if head[:16] != b"SQLite format 3\x00":
            raise StoreError.of("store.gpkg_not_sqlite", path=p)
        application_id = struct.unpack(">I", head[68:72])[0] if len(head) >= 72 else 0
        if application_id not in _GPKG_APPLICATION_IDS:
            raise StoreError.of("store.gpkg_application_id", path=p, application_id=application_id)
        try:
            conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
            try:
                tables = {name for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError.of("store.gpkg_unusable", path=p, error=exc) from None
        if tables and not tables & {"gpkg_contents", "mineaction_meta"}:
            raise StoreError.of("store.gpkg_no_contents", path=p)

    @staticmethod
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun explicitly, below
        register_functions(dbapi_conn)
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        mode = dbapi_conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            dbapi_conn.execute("PRAGMA journal_mode = WAL")

    def begin(self, conn: Connection, write: bool) -> None:
        conn.begin()
        if not write:
            conn.exec_driver_sql("BEGIN")
            return
        self._take_write_lock(conn)

    def _lock_timeout(self) -> float:
        text = os.environ.get("MINEACTION_LOCK_TIMEOUT")
        if text:
            try:
                return max(0.0, float(text))
            except ValueError:
                raise StoreError.of("store.lock_timeout_setting", value=text) from None
        return self.lock_timeout_s

    def _take_write_lock(self, conn: Connection) -> None:
        """BEGIN IMMEDIATE; if another writer holds the lock, say so and wait for it."""
        timeout = self._lock_timeout()
        first = min(FIRST_TRY_MS, int(timeout * 1000))
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {first}")
        try:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except sa.exc.OperationalError as exc:
                if not _is_locked(exc):
                    raise
            rest = max(0.0, timeout - first / 1000)
            if rest > 0:
                self.on_wait(f"{self.path}: waiting for another writer to finish "
                             f"(up to {timeout:.0f} s) ...")
                started = time.monotonic()
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(rest * 1000)}")
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    return
                except sa.exc.OperationalError as exc:
                    if not _is_locked(exc):
                        raise
                waited = first / 1000 + time.monotonic() - started
            else:
                waited = first / 1000
            conn.rollback()
            raise StoreError.of("store.locked", path=self.path, waited=waited)
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):  # the connection may be gone
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def begin_single_read(self, conn: Connection) -> None:
        conn.begin()  # one SELECT reads one snapshot: no BEGIN needed

    # -- hooks --------------------------------------------------------------------------------

    def geometry_type(self, layer: Layer) -> sa.types.TypeEngine:
        return GpkgGeometry(layer.geometry_type or "GEOMETRY")

    def bbox_template(self, table: sa.Table) -> sa.TextClause:
        return _rtree_clause(table.name, self.fid_column)

    def decode_geometries(self, values: list[Any]) -> list[BaseGeometry | None]:
        return list(shapely.from_wkb([None if v is None else v[_header(v)[1]:] for v in values]))

    def wkb_column(self, table: sa.Table) -> Any:
        return _wkb_expression(table.name)

    def initialise_container(self, conn: Connection) -> None:
        conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.exec_driver_sql(f"PRAGMA user_version = {USER_VERSION}")
        for ddl in _SYSTEM_TABLES:
            conn.exec_driver_sql(ddl)
        conn.exec_driver_sql(
            "INSERT INTO gpkg_spatial_ref_sys VALUES "
            "('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', "
            "'undefined cartesian coordinate reference system'), "
            "('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', "
            "'undefined geographic coordinate reference system'), "
            "('WGS 84 geodetic', 4326, 'EPSG', 4326, ?, "
            "'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
            (_WGS84_WKT,))

    def create_layer(self, conn: Connection, layer: Layer) -> None:
        table = self.table(layer)
        table.create(conn)  # optimistic locking looks rows up by the unique index on id
        if not layer.spatial:
            conn.exec_driver_sql(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                "VALUES (?, 'attributes', ?, ?)", (table.name, layer.name, layer.title))
            return
        conn.exec_driver_sql(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
            "VALUES (?, 'features', ?, ?, ?)", (table.name, layer.name, layer.title, SRS_ID))
        conn.exec_driver_sql(
            "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
            (table.name, GEOM, layer.geometry_type, SRS_ID))
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE rtree_{table.name}_{GEOM} USING rtree(id, minx, maxx, miny, "
            "maxy)")
        for stmt in _RTREE_TRIGGERS.format(t=table.name, c=GEOM, i=self.fid_column).split(
                "END;"):
            if stmt.strip():
                conn.exec_driver_sql(stmt + "END;")
        conn.exec_driver_sql(
            "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
            "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            (table.name, GEOM))

    def column_types(self, conn: Connection, table: str) -> dict[str, str]:
        return {row[1]: row[2] for row in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')}

    def retype_columns(self, conn: Connection, layer: Layer, columns: list[str]) -> None:
        """SQLite cannot change a column's type: the table is rebuilt from the registry under its
        own name, its rows copied with their fids. The R-tree (keyed by fid) and the entries
        in ``gpkg_contents``, ``gpkg_geometry_columns`` and ``gpkg_extensions`` (by name)
        stay as they are; the R-tree triggers, dropped with the old table, are made again."""
        table = self.table(layer)
        name, old = table.name, f"{table.name}__old"
        kept = [c for c in self.column_types(conn, name) if c in table.c]
        conn.exec_driver_sql(f'ALTER TABLE "{name}" RENAME TO "{old}"')
        for kind, obj in conn.exec_driver_sql(
                "SELECT type, name FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
                "AND type IN ('trigger', 'index')", (old,)).all():
            conn.exec_driver_sql(f'DROP {kind.upper()} "{obj}"')  # names the new table reuses
        table.create(conn)
        cols = ", ".join(f'"{c}"' for c in kept)
        conn.exec_driver_sql(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM "{old}"')
        conn.exec_driver_sql(f'DROP TABLE "{old}"')
        if layer.spatial:
            for stmt in _RTREE_TRIGGERS.format(t=name, c=GEOM, i=self.fid_column).split("END;"):
                if stmt.strip():
                    conn.exec_driver_sql(stmt + "END;")

    def insert_rows(self, conn: Connection, layer: Layer, rows: list[dict[str, Any]]) -> None:
        """One ``executemany`` of plain values; geometries encoded in bulk."""
        if not rows:
            return
        columns = {spec.name: [row[spec.name] for row in rows] for spec in layer.fields}
        geoms = None
        if layer.spatial:
            geoms = np.empty(len(rows), dtype=object)
            geoms[:] = [r.get(GEOM) for r in rows]
        self.insert_columns(conn, layer, columns, geoms)

    def insert_columns(self, conn: Connection, layer: Layer, columns: dict[str, list[Any]],
                       geoms: Any = None) -> None:
        """One ``executemany`` of the columns' values, the geometries encoded as GeoPackage
        blobs in bulk; a large batch fills the R-tree in one statement."""
        table = self.table(layer)
        names = [spec.name for spec in layer.fields]
        data: list[list[Any]] = []
        for spec in layer.fields:
            col = columns[spec.name]
            if spec.kind == "date":
                col = [v if v is None or v.__class__ is str else v.isoformat() for v in col]
            elif spec.kind == "boolean":
                col = [None if v is None else int(bool(v)) for v in col]
            data.append(col)
        n = len(data[0]) if data else 0
        if n == 0:
            return
        cols = list(names)
        if layer.spatial:
            cols.append(GEOM)
            arr = np.empty(n, dtype=object)
            arr[:] = [None] * n if geoms is None else list(geoms)
            if layer.geometry_type == "MULTIPOLYGON":
                types = shapely.get_type_id(arr)
                for i in np.flatnonzero(types == 3):  # a polygon is stored as a multipolygon
                    arr[i] = as_multipolygon(arr[i])
            geoms = arr
            data.append(encode_array(arr))
        sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
            table.name, ", ".join(f'"{c}"' for c in cols), ", ".join("?" * len(cols)))
        params = list(zip(*data, strict=True))
        rows = params
        if not layer.spatial or len(rows) < BULK_RTREE_ROWS:
            conn.exec_driver_sql(sql, params)
            return
        # a bulk load's index entries land all over the id index: a larger page cache (pages
        # are allocated as they are used, and freed with the connection's) keeps it in memory
        conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        if len(rows) >= BULK_INDEX_ROWS and conn.exec_driver_sql(
                f'SELECT 1 FROM "{table.name}" LIMIT 1').first() is None:
            self._defer_indexes(conn, table.name)
        # A large batch fills the R-tree in one statement rather than through the insert
        # trigger row by row. The trigger is dropped and re-created inside this transaction,
        # which holds the write lock: no reader or writer ever sees the table without it.
        name = table.name
        trigger = _rtree_insert_trigger(name, self.fid_column)
        last = int(conn.exec_driver_sql(
            f'SELECT coalesce(max("{self.fid_column}"), 0) FROM "{name}"').scalar() or 0)
        conn.exec_driver_sql(f'DROP TRIGGER "rtree_{name}_{GEOM}_insert"')
        try:
            conn.exec_driver_sql(sql, params)  # a failure undoes this statement's rows
            top = int(conn.exec_driver_sql(f'SELECT max("{self.fid_column}") FROM "{name}"'
                                           ).scalar() or 0)
            fids: Any = range(last + 1, top + 1)  # the rows' fids, numbered on from the last
            if top - last != len(rows):
                fids = conn.exec_driver_sql(
                    f'SELECT "{self.fid_column}" FROM "{name}" WHERE "{self.fid_column}" > ? '
                    f'ORDER BY "{self.fid_column}"', (last,)).scalars().all()
            if len(fids) != len(rows):
                raise StoreError.of("store.rows_lost", name=name, n=len(rows), n2=len(fids))
            bounds = shapely.bounds(geoms)
            keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
            entries = [(int(fid), float(b[0]), float(b[2]), float(b[1]), float(b[3]))
                       for fid, b, k in zip(fids, bounds, keep, strict=True) if k]
            if entries:  # rows all without geometry: nothing to index
                conn.exec_driver_sql(
                    f'INSERT INTO "rtree_{name}_{GEOM}" VALUES (?, ?, ?, ?, ?)', entries)
        finally:
            conn.exec_driver_sql(trigger)

    def _defer_indexes(self, conn: Connection, name: str) -> None:
        """Drop the plain (not unique) indexes of table ``name``, empty before a bulk load,
        for :meth:`after_write` to build again before the transaction commits: one sort of
        the loaded rows, rather than an index entry placed at random for each row."""
        deferred: dict[str, str] = conn.info.setdefault("deferred_indexes", {})
        for index, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", (name,)).all():
            deferred[str(index)] = str(sql).replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS",
                                                    1)
            conn.exec_driver_sql(f'DROP INDEX "{index}"')

    def after_write(self, conn: Connection, layers: set[str]) -> None:
        # indexes a bulk load deferred (after a rollback they are there: IF NOT EXISTS)
        for sql in conn.info.pop("deferred_indexes", {}).values():
            conn.exec_driver_sql(sql)
        for name in layers:
            conn.exec_driver_sql(
                "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                "WHERE table_name = ?", (name,))
            if f"rtree_{name}_{GEOM}" in self._rtrees(conn):
                conn.exec_driver_sql(
                    f"UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) = "
                    f"(SELECT min(minx), max(maxx), min(miny), max(maxy) FROM rtree_{name}_{GEOM})"
                    " WHERE table_name = ?", (name,))

    def _rtrees(self, conn: Connection) -> set[str]:
        return set(conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name LIKE 'rtree_%' AND type = 'table'"
        ).scalars())


def _open(url: str) -> GeoPackageStore:
    return GeoPackageStore(url)


register_adapter("gpkg", _open)
register_adapter("file", lambda url: GeoPackageStore(url[len("file://"):]))

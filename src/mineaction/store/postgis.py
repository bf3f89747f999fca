"""The server store: PostgreSQL 15 with PostGIS 3 (``--db postgresql://user@host/dbname``).

- Spatial layers have a ``geometry(<type>, 4326)`` column with a GiST index; bbox and intersects
  filters run in the database (``ST_Intersects``, which uses the index and checks exactly).
- Text columns use the "C" collation, so ordering and equality are by code point, as in the
  GeoPackage store, whatever the database's locale.
- Bulk loads go through ``COPY``; every write is in a transaction, and updates check the
  record's version (optimistic locking), so of two editors of one record the second gets a
  conflict instead of overwriting the first.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import psycopg
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from mineaction.domain.layers import Layer
from mineaction.domain.schema import FieldSpec
from mineaction.errors import StoreError
from mineaction.geo.validate import as_multipolygon
from mineaction.store.base import MigrationReport, register_adapter
from mineaction.store.rows import GEOM
from mineaction.store.sql import SqlStore

SRID = 4326
_PG_TYPES = {"POINT": "Point", "MULTIPOLYGON": "MultiPolygon",
             "MULTILINESTRING": "MultiLineString", "GEOMETRY": "Geometry"}


class PostGISGeometry(sa.types.UserDefinedType[BaseGeometry]):
    """A PostGIS geometry column, exchanged with the database as WKB."""

    cache_ok = True

    def __init__(self, geometry_type: str):
        self.geometry_type = geometry_type

    def get_col_spec(self, **kw: Any) -> str:
        return f"geometry({_PG_TYPES[self.geometry_type]},{SRID})"

    def bind_expression(self, bindvalue: Any) -> Any:
        return sa.func.ST_GeomFromWKB(bindvalue, SRID, type_=self)

    def column_expression(self, col: Any) -> Any:
        return sa.func.ST_AsBinary(col, type_=self)

    def bind_processor(self, dialect: Any) -> Any:
        multi = self.geometry_type == "MULTIPOLYGON"

        def process(value: BaseGeometry | None) -> bytes | None:
            if value is None:
                return None
            if multi:
                value = as_multipolygon(value)
            return shapely.to_wkb(value, byte_order=1, flavor="iso")

        return process

    # Results stay WKB: the store decodes them in bulk (SqlStore.decode_geometries).


@functools.cache
def _bbox_text(table: str) -> sa.TextClause:
    """The bbox filter, as text (it runs for every map query): ``ST_Intersects`` finds the
    candidates with the GiST index (whose boxes are 4-byte floats), then checks each exactly.
    The box is the envelope of its corners, which is a line or a point when it is degenerate
    (``ST_MakeEnvelope`` makes an invalid polygon then, which a point on it does not
    intersect)."""
    return sa.text(
        f'ST_Intersects("{table}"."{GEOM}", ST_Envelope(ST_MakeLine('
        f"ST_SetSRID(ST_MakePoint(:bbox_minx, :bbox_miny), {SRID}), "
        f"ST_SetSRID(ST_MakePoint(:bbox_maxx, :bbox_maxy), {SRID}))))")


def engine_url(url: str) -> str:
    """SQLAlchemy's URL (psycopg 3 driver) for a ``postgresql://`` or ``postgres://`` URL."""
    head, sep, rest = url.partition("://")
    if not sep:
        raise StoreError.of("store.not_postgresql_url", url=url)
    return "postgresql+psycopg://" + rest


class PostGISStore(SqlStore):
    def __init__(self, url: str):
        engine = sa.create_engine(engine_url(url), pool_size=2, max_overflow=8,
                                  connect_args={"application_name": "mineaction"})
        shown = engine.url.render_as_string(hide_password=True).replace(
            "postgresql+psycopg://", "postgresql://", 1)
        super().__init__(shown, engine)

    # -- errors a user can act on ---------------------------------------------------------------

    def schema_version(self) -> int:
        try:
            return super().schema_version()
        except OperationalError as exc:
            raise StoreError.of("store.cannot_connect", url=self.url,
                                error=_first_line(exc)) from None

    def migrate(self, target: int | None = None, *,
                report: MigrationReport | None = None) -> list[int]:
        try:
            return super().migrate(target, report=report)
        except OperationalError as exc:
            raise StoreError.of("store.cannot_connect", url=self.url,
                                error=_first_line(exc)) from None

    # -- hooks --------------------------------------------------------------------------------

    def begin(self, conn: Connection, write: bool) -> None:
        if not write:  # one snapshot for every statement of a read, as in the GeoPackage store
            conn.execution_options(isolation_level="REPEATABLE READ")
        conn.begin()

    def _column(self, spec: FieldSpec) -> sa.Column[Any]:
        col = super()._column(spec)
        if isinstance(col.type, sa.Text):
            return sa.Column(spec.name, sa.Text(collation="C"), nullable=col.nullable)
        return col

    def begin_single_read(self, conn: Connection) -> None:
        """One statement is consistent by itself: no BEGIN and ROLLBACK round trips."""
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.begin()

    def read_options(self, stmt: sa.Select[Any]) -> dict[str, Any]:
        """Whole layers stream through a server-side cursor (in a transaction); a filtered or
        limited read is one round trip on an ordinary cursor."""
        if stmt.whereclause is None and stmt._limit_clause is None:
            return super().read_options(stmt)
        return {}

    def geometry_type(self, layer: Layer) -> sa.types.TypeEngine:
        return PostGISGeometry(layer.geometry_type or "GEOMETRY")

    bbox_exact = True

    def bbox_template(self, table: sa.Table) -> sa.TextClause:
        return _bbox_text(table.name)

    intersects_in_db = True

    def intersects_template(self, table: sa.Table) -> sa.ColumnElement[bool]:
        other = sa.func.ST_GeomFromWKB(sa.bindparam("isect", type_=sa.LargeBinary), SRID)
        return sa.func.ST_Intersects(table.c[GEOM], other, type_=sa.Boolean)

    def initialise_container(self, conn: Connection) -> None:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")

    def create_layer(self, conn: Connection, layer: Layer) -> None:
        table = self.table(layer)
        table.create(conn)
        conn.exec_driver_sql(
            f'CREATE INDEX "ix_{table.name}_version" ON "{table.name}" (id, version)')
        if layer.spatial:
            conn.exec_driver_sql(
                f'CREATE INDEX "ix_{table.name}_{GEOM}" ON "{table.name}" USING GIST ("{GEOM}")')

    def column_types(self, conn: Connection, table: str) -> dict[str, str]:
        return dict(conn.exec_driver_sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %(t)s", {"t": table}).all())

    def retype_columns(self, conn: Connection, layer: Layer, columns: list[str]) -> None:
        table = self.table(layer)
        changes = ", ".join(
            f"ALTER COLUMN {_ident(c)} TYPE "
            f"{table.c[c].type.compile(dialect=conn.dialect)}" for c in columns)
        conn.exec_driver_sql(f"ALTER TABLE {_ident(table.name)} {changes}")

    def insert_rows(self, conn: Connection, layer: Layer, rows: list[dict[str, Any]]) -> None:
        """One ``COPY`` per batch: text format, geometries as hex EWKB with their SRID."""
        if not rows:
            return
        columns = {spec.name: [row[spec.name] for row in rows] for spec in layer.fields}
        geoms = _array([r.get(GEOM) for r in rows]) if layer.spatial else None
        self.insert_columns(conn, layer, columns, geoms)

    def insert_columns(self, conn: Connection, layer: Layer, columns: dict[str, list[Any]],
                       geoms: Any = None) -> None:
        """One ``COPY`` of the columns' values: text format, geometries as hex EWKB with
        their SRID, made for the whole array at once."""
        names = [spec.name for spec in layer.fields]
        data = [columns[n] for n in names]
        n = len(data[0]) if data else 0
        if n == 0:
            return
        cols = list(names)
        if layer.spatial:
            cols.append(GEOM)
            arr = _array([None] * n) if geoms is None else _array(list(geoms))
            if layer.geometry_type == "MULTIPOLYGON":
                for i in np.flatnonzero(shapely.get_type_id(arr) == 3):
                    arr[i] = as_multipolygon(arr[i])
            arr = shapely.set_srid(arr, SRID)
            data.append(list(shapely.to_wkb(arr, hex=True, include_srid=True,
                                            flavor="extended")))
        table = self.table(layer)
        statement = "COPY {} ({}) FROM STDIN".format(
            _ident(table.name), ", ".join(_ident(c) for c in cols))
        raw = conn.connection.driver_connection
        assert raw is not None
        savepoint = conn.begin_nested()
        try:
            with raw.cursor() as cur, cur.copy(statement) as copy:
                for row in zip(*data, strict=True):
                    copy.write_row(row)
        except psycopg.errors.IntegrityError as exc:
            savepoint.rollback()
            raise IntegrityError(statement, None, exc) from exc
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()


def _array(values: list[BaseGeometry | None]) -> Any:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]


def _open(url: str) -> PostGISStore:
    return PostGISStore(url)


register_adapter("postgresql", _open)
register_adapter("postgres", _open)

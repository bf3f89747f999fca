"""What the SQL adapters share: tables built from the layer registry, typed reads and writes,
optimistic locking, migrations. An adapter overrides small hooks: the geometry column type,
the bbox and intersects filters, how a layer's tables are created, and bulk loading.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from mineaction.audit import log as audit_log
from mineaction.domain.layers import Layer, all_layers
from mineaction.domain.schema import FieldSpec, Record
from mineaction.errors import Conflict, Forbidden, NotFound, StoreError
from mineaction.store import migrations
from mineaction.store.base import (
    BBox,
    LayerRef,
    MigrationReport,
    Progress,
    Query,
    Scan,
    Store,
    Transaction,
    as_list,
    layer_of,
)
from mineaction.store.rows import GEOM, column_value, from_row, row_reader, to_row

BATCH = 2000
#: Ids per statement of a scan by ids (SQLite allows 32,766 parameters to a statement).
SCAN_IDS = 5000
#: Programme settings are rows of ``mineaction_meta`` under this prefix and their key.
SETTING_PREFIX = "setting:"
_QUERY_FIELDS = frozenset(f.name for f in dataclasses.fields(Query))

#: Column types of field kinds. Reals are 8-byte everywhere (``DOUBLE`` in a GeoPackage, where
#: ``FLOAT`` means a 4-byte real to GDAL and QGIS); integers 64-bit everywhere (``INTEGER`` is
#: 64-bit in SQLite, ``BIGINT`` in PostgreSQL), so that both adapters accept the same values.
_SQL_TYPES: dict[str, Any] = {
    "text": sa.Text(), "enum": sa.Text(), "enumset": sa.Text(), "json": sa.Text(),
    "integer": sa.BigInteger().with_variant(sa.Integer(), "sqlite"), "real": sa.Double(),
    "boolean": sa.Boolean(), "date": sa.Date(),
}


#: Guards the lazy building of a store's tables by concurrent threads.
_TABLES_LOCK = threading.RLock()


class SqlStore(Store):
    """Base of the SQL adapters. Subclasses set ``engine`` and implement the hooks below."""

    engine: Engine
    fid_column = "fid"

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine
        self.metadata = sa.MetaData()
        self.meta_table = sa.Table(
            "mineaction_meta", self.metadata,
            sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text))
        self._tables: dict[str, sa.Table] = {}
        self.audit_table = audit_log.audit_table(self.metadata)
        self._audit_ready = False
        self._settings_select: sa.Select[Any] | None = None  # once mineaction_meta exists
        # Every read of personal data through an actor's view is an entry of the audit log.
        self.on_personal_read(self._log_personal_read)
        self._updates: dict[Any, sa.Update] = {}
        self._selects: dict[tuple[Any, ...], sa.Select[Any]] = {}
        self._compiled: dict[Any, _Compiled | None] = {}

    def _log_personal_read(self, event: Any) -> None:
        from mineaction.audit import personal_read_hook

        personal_read_hook(event.source or self, event.actor, event.layer, event.ids,
                           fields=event.fields, purpose=event.reason)

    # -- hooks ------------------------------------------------------------------------------

    def geometry_type(self, layer: Layer) -> sa.types.TypeEngine:
        raise NotImplementedError

    #: Whether :meth:`bbox_template` is exact. When it is not, it is an index prefilter and
    #: the store keeps the features that intersect the box exactly, in Python.
    bbox_exact = False

    def bbox_template(self, table: sa.Table) -> sa.ColumnElement[bool] | sa.TextClause:
        """The bbox filter with parameters ``bbox_minx``, ``bbox_miny``, ``bbox_maxx``,
        ``bbox_maxy`` (degrees): the features whose geometry intersects the box, boundary
        included (:attr:`bbox_exact`), or a superset of them found by the spatial index, which
        must never miss one (an R-tree of 4-byte floats rounded outwards is such a superset;
        one rounded to nearest is not). A box whose min equals its max in one or both
        directions is a line or a point."""
        raise NotImplementedError

    def intersects_template(self, table: sa.Table) -> sa.ColumnElement[bool] | None:
        """An exact intersects filter with the parameter ``isect`` (see ``intersects_param``)
        that uses the spatial index by itself, or None to filter exactly in Python after the
        bbox prefilter on the geometry's bounds (then :attr:`intersects_in_db` is False)."""
        return None

    #: Whether :meth:`intersects_template` gives a filter (known without building one).
    intersects_in_db = False

    def intersects_param(self, geom: BaseGeometry) -> Any:
        return shapely.to_wkb(geom, byte_order=1, flavor="iso")

    def create_layer(self, conn: Connection, layer: Layer) -> None:
        """Create the tables of one layer (and whatever the format registers with them)."""
        self.table(layer).create(conn)

    def after_write(self, conn: Connection, layers: set[str]) -> None:
        """Called before commit with the tables written to."""

    def column_types(self, conn: Connection, table: str) -> dict[str, str]:
        """The declared type of each column of ``table``, as the database writes it."""
        raise NotImplementedError

    def retype_columns(self, conn: Connection, layer: Layer, columns: list[str]) -> None:
        """Give ``columns`` of ``layer``'s table the types the registry declares, keeping every
        row, its fid, and what the format registers with the table (spatial index)."""
        raise NotImplementedError

    def begin(self, conn: Connection, write: bool) -> None:
        """Start a transaction on ``conn``."""
        conn.begin()

    def decode_geometries(self, values: list[Any]) -> list[BaseGeometry | None]:
        """Geometries from the values the geometry column returns (WKB by default), in bulk."""
        return list(shapely.from_wkb(values))

    def wkb_column(self, table: sa.Table) -> Any:
        """The geometry column as ISO WKB, computed by the database (for :meth:`Reader.scan`,
        which passes it through)."""
        return table.c[GEOM]

    def read_options(self, stmt: sa.Select[Any]) -> dict[str, Any]:
        """Execution options of a read: by default rows stream in batches."""
        return {"yield_per": BATCH}

    # -- tables ------------------------------------------------------------------------------

    def table(self, layer: LayerRef) -> sa.Table:
        lyr = layer_of(layer)
        tbl = self._tables.get(lyr.table)
        if tbl is None:
            with _TABLES_LOCK:  # threads of one server build a table once (MetaData refuses twice)
                tbl = self._tables.get(lyr.table)
                if tbl is None:
                    tbl = self._tables[lyr.table] = self._build_table(lyr)
        return tbl

    def _build_table(self, layer: Layer) -> sa.Table:
        cols: list[sa.Column[Any]] = [
            sa.Column(self.fid_column, sa.Integer, primary_key=True, autoincrement=True)]
        for spec in layer.fields:
            cols.append(self._column(spec))
        if layer.spatial:
            cols.append(sa.Column(GEOM, self.geometry_type(layer), nullable=True))
        # owner and country: every read of an actor filters on them (mineaction.access)
        names = dict.fromkeys((*layer.indexes, *(n for n in ("owner", "country")
                                                 if any(s.name == n for s in layer.fields))))
        indexes = [sa.Index(f"ix_{layer.table}_{name}", name) for name in names]
        return sa.Table(layer.table, self.metadata, *cols, *indexes,
                        sa.UniqueConstraint("id", name=f"uq_{layer.table}_id"))

    def _column(self, spec: FieldSpec) -> sa.Column[Any]:
        nullable = not (spec.name in ("id", "version") or spec.required)
        return sa.Column(spec.name, _SQL_TYPES[spec.kind], nullable=nullable)

    # -- schema ------------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("mineaction_meta"):
                return 0
            value = conn.execute(sa.select(self.meta_table.c.value).where(
                self.meta_table.c.key == "schema_version")).scalar()
            return int(value) if value else 0

    def stored_settings(self) -> dict[str, str]:
        # read for every request: the table is looked for until it is there (it stays), and
        # the statement is built once
        with self.engine.connect() as conn:
            if self._settings_select is None:
                if not sa.inspect(conn).has_table("mineaction_meta"):
                    return {}
                meta = self.meta_table
                self._settings_select = sa.select(meta.c.key, meta.c.value).where(
                    meta.c.key.startswith(SETTING_PREFIX, autoescape=True))
            rows = conn.execute(self._settings_select).all()
        return {key[len(SETTING_PREFIX):]: value for key, value in rows}

    def migrate(self, target: int | None = None, *,
                report: MigrationReport | None = None) -> list[int]:
        target = migrations.LATEST if target is None else target
        applied: list[int] = []
        said: list[tuple[int, str]] = []
        with self.engine.connect() as conn:
            self.begin(conn, write=True)
            if not sa.inspect(conn).has_table("mineaction_meta"):
                self.initialise_container(conn)
                self.meta_table.create(conn)
                conn.execute(self.meta_table.insert().values(key="schema_version", value="0"))
            current = int(conn.execute(sa.select(self.meta_table.c.value).where(
                self.meta_table.c.key == "schema_version")).scalar() or 0)
            if current > migrations.LATEST:
                conn.rollback()
                raise StoreError.of("store.schema_newer", url=self.url, version=current,
                                    latest=migrations.LATEST)
            for step in sorted(migrations.MIGRATIONS, key=lambda m: m.version):
                if current < step.version <= target:
                    messages = list(step.apply(self, conn) or ())
                    applied.append(step.version)
                    current = step.version
                    said.extend((step.version, m) for m in messages)
            conn.execute(self.meta_table.update().where(
                self.meta_table.c.key == "schema_version").values(value=str(current)))
            conn.commit()
        if report is not None:  # once committed: what was said has happened
            for version, message in said:
                report(version, message)
        return applied

    def initialise_container(self, conn: Connection) -> None:
        """Format-level set-up of an empty database (GeoPackage system tables, extensions)."""

    # -- sessions ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, policy: Any = None, actor: Any = None, clock: Any = None
                    ) -> Iterator[SqlTransaction]:
        """A write transaction; with ``policy`` (a :class:`mineaction.access.policy.Policy`)
        its reads are an actor's and its writes are checked (see :meth:`as_actor`). Its writes
        are logged as by ``actor`` (default: the policy's actor, else the operating-system
        user), timed by ``clock`` (default: now, UTC); see :mod:`mineaction.audit`."""
        if actor is None and policy is not None:
            actor = policy.actor
        with self.engine.connect() as conn:
            self.begin(conn, write=True)
            tx = SqlTransaction(self, conn, writable=True, policy=policy, actor=actor,
                                clock=clock)
            try:
                yield tx
                tx._flush_audit()
                self.after_write(conn, tx.written)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    def begin_single_read(self, conn: Connection) -> None:
        """Start a session that runs one read statement (an adapter may skip the transaction)."""
        self.begin(conn, write=False)

    @contextmanager
    def reading(self, *, single: bool = False, policy: Any = None
                ) -> Iterator[SqlTransaction]:
        with self.engine.connect() as conn:
            if single:
                self.begin_single_read(conn)
            else:
                self.begin(conn, write=False)
            try:
                yield SqlTransaction(self, conn, writable=False, policy=policy)
            finally:
                conn.rollback()

    def iter(self, layer: LayerRef, query: Query | None = None, /, **filters: Any
             ) -> Iterator[Record]:
        q = SqlTransaction._merge(query, filters)
        bounded = bool(q.where) or q.limit is not None or (
            q.bbox is not None or q.intersects is not None)
        with self.reading(single=bounded) as r:
            yield from r.iter(layer, query, **filters)

    def get(self, layer: Any, id: str) -> Any:
        with self.reading(single=True) as r:
            return r.get(layer, id)

    def count(self, layer: LayerRef, query: Query | None = None, /, **filters: Any) -> int:
        with self.reading(single=True) as r:
            return r.count(layer, query, **filters)

    def existing_ids(self, layer: LayerRef, ids: Iterable[str]) -> set[str]:
        with self.reading(single=True) as r:
            return r.existing_ids(layer, ids)

    def extent(self, layer: LayerRef) -> BBox | None:
        with self.reading() as r:  # streams every geometry: in a transaction
            return r.extent(layer)

    def land_m2(self, layer: LayerRef, ids: Iterable[str], *,
                also: Iterable[tuple[LayerRef, Iterable[str]]] = ()) -> float:
        with self.reading() as r:
            return float(r.land_m2(layer, ids, also=also))

    def aggregate(self, layer: LayerRef, by: Sequence[str] = (), **kw: Any
                  ) -> list[dict[str, Any]]:
        with self.reading(single=True) as r:
            return r.aggregate(layer, by, **kw)

    def latest(self, layer: LayerRef, key: str, *, order: str, date_field: str,
               on: dt.date) -> Iterator[Record]:
        with self.reading(single=True) as r:
            yield from r.latest(layer, key, order=order, date_field=date_field, on=on)

    def scan(self, layer: LayerRef, **kw: Any) -> Scan:
        with self.reading(single=True) as r:
            return r.scan(layer, **kw)

    def close(self) -> None:
        self.engine.dispose()

    def as_actor(self, actor: Any, *, personal: bool = False, reason: str | None = None,
                 settings: Any = None, today: Any = None, on_behalf: Any = None,
                 agreements_only: bool = False) -> Store:
        """The store as ``actor`` may use it: every read applies their policy inside its SQL
        statement, every write is checked (:mod:`mineaction.access.policy`)."""
        from mineaction.access.settings import policy_settings
        from mineaction.store.policed import ActorStore

        if settings is None:  # the programme's own, stored in it
            settings = policy_settings(self.stored_settings())
        return ActorStore.of(self, actor, personal=personal, reason=reason,
                             settings=settings, today=today, on_behalf=on_behalf,
                             agreements_only=agreements_only)

    def update_statement(self, layer: Layer, fields: Sequence[str] | None = None
                         ) -> sa.Update:
        """UPDATE of every column of one record (or of ``fields`` and the geometry), if its
        version is the one given (built once: the release engine updates a hazard for every
        step)."""
        key = layer.table if fields is None else (layer.table, *fields)
        stmt = self._updates.get(key)
        if stmt is None:
            table = self.table(layer)
            names = [spec.name for spec in layer.fields] if fields is None else list(fields)
            columns = names + ([GEOM] if layer.spatial else [])
            stmt = self._updates[key] = table.update().where(
                table.c.id == sa.bindparam("_id"),
                table.c.version == sa.bindparam("_version")).values(
                {name: sa.bindparam(name, type_=table.c[name].type) for name in columns})
        return stmt

    def compiled(self, stmt: sa.Select[Any], dialect: Any) -> _Compiled | None:
        """``stmt`` compiled once for the driver's cursor (None where its parameters expand
        at each execution: an ``IN`` list), for the reads that skip SQLAlchemy's execution
        (:meth:`SqlTransaction.scan`)."""
        if stmt in self._compiled:
            return self._compiled[stmt]
        compiled = stmt.compile(dialect=dialect)
        found = None
        if not compiled.post_compile_params:
            binds = compiled._bind_processors
            found = _Compiled(
                compiled, compiled.string,
                tuple(compiled.positiontup) if dialect.positional and compiled.positiontup
                else None,
                {k: v for k, v in binds.items() if v is not None},
                tuple(c.keyname for c in compiled._result_columns), dialect)
        if len(self._compiled) > 4096:
            self._compiled.clear()
        self._compiled[stmt] = found
        return found

    # -- bulk loading --------------------------------------------------------------------------

    def insert_rows(self, conn: Connection, layer: Layer, rows: list[dict[str, Any]]) -> None:
        conn.execute(self.table(layer).insert(), rows)

    def insert_columns(self, conn: Connection, layer: Layer, columns: dict[str, list[Any]],
                       geoms: Any = None) -> None:
        """Insert rows given as columns (every field of ``layer``, as :func:`to_row` makes
        its values) and an array of geometries; an adapter writes them in bulk."""
        names = list(columns)
        rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(),
                                                                        strict=True)]
        if layer.spatial and geoms is not None:
            for row, g in zip(rows, geoms, strict=True):
                row[GEOM] = g
        self.insert_rows(conn, layer, rows)


@dataclasses.dataclass
class _Compiled:
    """A statement as the driver runs it (see :meth:`SqlStore.compiled`)."""

    compiled: Any
    sql: str
    positions: tuple[str, ...] | None  # the parameters' order, for a positional driver
    binds: dict[str, Any]  # parameter -> bind processor
    keys: tuple[str, ...]
    dialect: Any
    #: result column -> processor or None, known at the first run (from the driver's types)
    results: tuple[Any, ...] | None = None

    def run(self, dbapi_conn: Any, params: dict[str, Any]) -> list[Any]:
        values = self.compiled.construct_params(params)
        for name, proc in self.binds.items():
            if name in values:
                values[name] = proc(values[name])
        args: Any = values if self.positions is None else [values[k] for k in self.positions]
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(self.sql, args)
            if self.results is None:
                self.results = tuple(
                    _result_processor(c.type, self.dialect, d[1])
                    for c, d in zip(self.compiled._result_columns, cursor.description,
                                    strict=True))
            return cursor.fetchall()  # type: ignore[no-any-return]
        finally:
            cursor.close()


def _result_processor(type_: Any, dialect: Any, coltype: Any) -> Any:
    """SQLAlchemy's processor of a result column, but for SQLite's dates (ISO text), read
    by the standard library (SQLAlchemy's own matches each with a regular expression)."""
    if dialect.name == "sqlite" and isinstance(type_, sa.Date) and \
            not isinstance(type_, sa.DateTime):
        return _iso_date
    return type_._cached_result_processor(dialect, coltype)


def _iso_date(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


class SqlTransaction(Transaction):
    def __init__(self, store: SqlStore, conn: Connection, *, writable: bool,
                 policy: Any = None, actor: Any = None, clock: Any = None):
        self.store = store
        self.conn = conn
        self.writable = writable
        self.written: set[str] = set()
        #: An actor's policy (mineaction.access.policy.Policy): None reads and writes all.
        self.policy = policy
        self._areas: dict[Any, Any] = {}  # administrative areas' countries and geometries
        self.actor = actor
        self.clock = clock
        self._audit_pending: audit_log.Pending | None = None

    def _projection(self, layer: Layer, counting: bool = False) -> Any:
        """The layer's columns as the actor sees them (None: plain, no policy applies)."""
        if self.policy is None:
            return None
        from mineaction.store.policed import projection

        return projection(self.store, layer, self.policy.access(layer), counting)

    def generalises(self, layer: LayerRef) -> bool:
        if self.policy is None:
            return False
        from mineaction.store.policed import generalised

        return generalised(self.policy, layer_of(layer))


    # -- programme settings --------------------------------------------------------------------

    def put_setting(self, key: str, value: str | None) -> str | None:
        self._check_writable()
        if self.policy is not None and not self.policy.is_admin:
            raise Forbidden.of("access.admins_settings")
        # one change after the other, so that each one's "before" is what it replaced
        audit_log.append_lock(self.conn)
        meta = self.store.meta_table
        stored = SETTING_PREFIX + key
        before = self.conn.execute(sa.select(meta.c.value).where(meta.c.key == stored)).scalar()
        if value == before:
            return before
        if before is not None:
            self.conn.execute(meta.delete().where(meta.c.key == stored))
        if value is not None:
            self.conn.execute(meta.insert().values(key=stored, value=value))
        self._pending().event("setting", detail={"key": key, "before": before, "after": value})
        return before  # type: ignore[no-any-return]

    # -- the audit log -----------------------------------------------------------------------

    def _pending(self) -> audit_log.Pending:
        if self._audit_pending is None:
            self._audit_pending = audit_log.Pending(audit_log.Who.of(self.actor), self.clock)
        return self._audit_pending

    def _audit(self, action: str, layer: Layer, before: Sequence[Any] | None,
               after: Sequence[Any]) -> None:
        """Log one entry per record written, with the hashes of ``before[i]`` and ``after[i]``
        (records, or rows as ``to_row`` makes them; None where there is none; ``before`` None
        for insertions). Every write method calls this after its statement succeeded; the
        entries are appended in this transaction, just before it commits."""
        self._pending().writes(action, layer, before, after)

    def _flush_audit(self) -> None:
        pending = self._audit_pending
        if pending is None or not pending.entries:
            return
        if not self.store._audit_ready:  # a store migrated below the audit log's schema
            if not audit_log.has_log(self.conn):
                return
            self.store._audit_ready = True
        pending.flush(self.conn)

    # -- reads -----------------------------------------------------------------------------

    @staticmethod
    def _merge(query: Query | None, filters: dict[str, Any]) -> Query:
        """One Query from a Query and keyword filters (Query fields, or fields to match)."""
        q = query or Query()
        if not filters:
            return q
        options = {k: v for k, v in filters.items() if k in _QUERY_FIELDS}
        where = {k: v for k, v in filters.items() if k not in _QUERY_FIELDS}
        if where:
            options["where"] = {**(q.where or {}), **where}
        return dataclasses.replace(q, **options)

    def _select(self, layer: Layer, q: Query, counting: bool = False,
                scan: tuple[str, ...] | None = None
                ) -> tuple[sa.Select[Any], dict[str, Any], list[BaseGeometry]]:
        """The statement for ``q``, its parameters, and the geometries a feature must intersect
        that are checked exactly in Python (none when the database checks them all).

        Under a policy, the statement selects what the actor sees (``counting``: the records
        they may count too, for ``count`` and ``aggregate``); a generalised record's geometry
        is checked against the spatial filters in Python, once generalised, never in SQL on
        the exact one (see :mod:`mineaction.store.policed`).

        Statements are built once per shape of query (which fields are matched and how,
        which spatial filters, the order, the limits) with named parameters, and reused:
        building and compiling one costs more than running it on a map-sized window.

        ``scan`` names the columns of a :meth:`scan` and ends with "" (or "-": without the
        geometry): the statement then selects the id, these columns and the geometry as WKB
        (and the policy's markers), nothing else.
        """
        table = self.store.table(layer)
        proj = self._projection(layer, counting)
        params: dict[str, Any] = {}
        shape: list[tuple[str, str]] = []
        for name, value in sorted((q.where or {}).items()):
            if name not in table.c:
                raise KeyError(f"layer {layer.name} has no field {name!r}")
            if proj is not None:
                proj.check_usable(name, "filter on")
            spec = next((s for s in layer.fields if s.name == name), None)
            values = as_list(value)
            if values is not None:
                shape.append((name, "in"))
                params[f"w_{name}"] = [_column_param(spec, v) for v in values]
            elif value is None:
                shape.append((name, "null"))
            else:
                shape.append((name, "eq"))
                params[f"w_{name}"] = _column_param(spec, value)
        exact: list[BaseGeometry] = []
        use_box = use_isect = False
        widened: BBox | None = None
        if q.bbox is not None or q.intersects is not None:
            if not layer.spatial:
                raise KeyError(f"layer {layer.name} has no geometry")
            in_db = self.store.intersects_in_db
            if q.bbox is not None:
                box = _checked_bbox(q.bbox)
                use_box = True
                if not self.store.bbox_exact:
                    exact.append(bbox_geometry(box))
            if q.intersects is not None:
                if in_db:
                    use_isect = True
                    params["isect"] = self.store.intersects_param(q.intersects)
                else:
                    exact.append(q.intersects)
                    if q.bbox is None:  # the index prefilter: the geometry's bounds
                        box = tuple(q.intersects.bounds)  # type: ignore[assignment]
                        use_box = True
            if use_box and not use_isect and proj is not None and proj.generalising:
                # every generalised geometry lies within a cell of its exact one: the index
                # finds them in the box widened by a cell, and Python checks them all
                widened = proj.widened(box)
                if widened is not None:
                    exact = exact or [bbox_geometry(box)]
                    box = widened
            if use_box:
                params.update(bbox_minx=float(box[0]), bbox_miny=float(box[1]),
                              bbox_maxx=float(box[2]), bbox_maxy=float(box[3]))
        if proj is not None and q.order_by in table.c:
            proj.check_usable(q.order_by, "order by")
        # generalised records are checked in Python against their generalised geometry, so
        # limits apply there too
        prefilter = (use_box or use_isect) and proj is not None and proj.generalising and \
            widened is not None
        limited = not exact and not (proj is not None and proj.generalising
                                     and (use_box or use_isect))
        key = (layer.table, tuple(shape), use_box, use_isect, q.order_by,
               q.limit if limited else None, q.offset if limited else 0,
               None if proj is None else proj.key, prefilter, scan)
        stmt = self.store._selects.get(key)
        if stmt is None:
            if len(self.store._selects) > 4096:  # one set per actor's grants: keep it bounded
                self.store._selects.clear()
            stmt = self._build_select(table, shape, use_box, use_isect, q, limited, proj,
                                      prefilter)
            if scan is not None:
                stmt = stmt.with_only_columns(*self._scan_columns(table, layer, scan, proj))
            self.store._selects[key] = stmt
        return stmt, params, exact

    def _build_select(self, table: sa.Table, shape: list[tuple[str, str]], use_box: bool,
                      use_isect: bool, q: Query, limited: bool, proj: Any = None,
                      prefilter: bool = False) -> sa.Select[Any]:
        cols: Any = table.c if proj is None else proj.columns
        stmt: sa.Select[Any] = sa.select(table) if proj is None else proj.select()
        for name, how in shape:
            col = cols[name]
            if how == "in":
                stmt = stmt.where(col.in_(sa.bindparam(f"w_{name}", expanding=True,
                                                       type_=col.type)))
            elif how == "null":
                stmt = stmt.where(col.is_(None))
            else:
                stmt = stmt.where(col == sa.bindparam(f"w_{name}", type_=col.type))
        spatial: list[Any] = []
        if use_box:
            spatial.append(self.store.bbox_template(table))
        if use_isect:
            spatial.append(self.store.intersects_template(table))
        if spatial and proj is not None and proj.generalising and not prefilter:
            stmt = stmt.where(sa.or_(sa.and_(proj.exact_where, *spatial), proj.general_where))
        else:
            for clause in spatial:
                stmt = stmt.where(clause)
        order = cols.get(q.order_by, table.c.id) if q.order_by in table.c else table.c.id
        stmt = stmt.order_by(order.asc().nulls_first(), table.c.id)  # SQLite's order everywhere
        if limited:
            if q.limit is not None:
                stmt = stmt.limit(q.limit)
            if q.offset:
                stmt = stmt.offset(q.offset)
        return stmt

    def _scan_columns(self, table: sa.Table, layer: Layer, names: tuple[str, ...],
                      proj: Any) -> list[Any]:
        """What a scan selects: the id, ``names`` as the actor sees them, the geometry as
        WKB, and the policy's marker and area where it generalises."""
        cols: Any = table.c if proj is None else proj.columns
        out: list[Any] = []
        *fields, flag = names  # flag "-": without the geometry
        for name in ("id", *fields):
            expr = cols[name]
            out.append(expr if expr is table.c[name] else expr.label(name))
        if layer.spatial and flag != "-":
            out.append(self.store.wkb_column(table).label(GEOM))
        if proj is not None and proj.marker is not None:
            from mineaction.store.policed import AREA, MARKER

            out.append(proj.marker.label(MARKER))
            if proj.area is not None:
                out.append(proj.area.label(AREA))
        return out

    def scan(self, layer: LayerRef, *, bbox: BBox | None = None,
             intersects: BaseGeometry | None = None, ids: Iterable[str] | None = None,
             columns: Sequence[str] = (), where: Mapping[str, Any] | None = None,
             geometry: bool = True) -> Scan:
        """One statement selecting the id, the columns and the geometry as WKB; the
        geometries are decoded only where Python checks them (a GeoPackage's R-tree is a
        prefilter) or generalises them (an actor's policy), in bulk."""
        lyr = layer_of(layer)
        table = self.store.table(lyr)
        names = tuple(dict.fromkeys(columns))
        for name in names:
            if name not in table.c or name == GEOM:
                raise KeyError(f"layer {lyr.name} has no field {name!r}")
        out = Scan(lyr.name, [], [], {name: [] for name in names})
        parts: list[list[str] | None] = [None]
        if ids is not None:
            wanted = sorted(set(ids))  # ranges of ids, so that the parts come in order
            parts = [wanted[k:k + SCAN_IDS] for k in range(0, len(wanted), SCAN_IDS)] or [[]]
        for part in parts:
            filters = dict(where or {})
            if part is not None:
                filters["id"] = part
            q = Query(where=filters or None, bbox=bbox, intersects=intersects)
            self._scan_into(out, lyr, q, names, geometry)
        return out

    def _scan_into(self, out: Scan, lyr: Layer, q: Query, names: tuple[str, ...],
                   geometry: bool) -> None:
        proj = self._projection(lyr)
        generalising = lyr.spatial and proj is not None and proj.generalising
        # the geometry is read where it is returned, checked in Python or generalised
        spatial = lyr.spatial and (geometry or generalising or not self.store.bbox_exact
                                   and (q.bbox is not None or q.intersects is not None))
        stmt, params, exact = self._select(lyr, q, scan=(*names, "" if spatial else "-"))
        compiled = self.store.compiled(stmt, self.conn.dialect)
        if compiled is None:
            result = self.conn.execute(stmt, params)
            keys = tuple(result.keys())
            rows: Sequence[Any] = result.all()
        else:  # the driver's cursor on this transaction's connection, its rows as they come
            keys = compiled.keys
            rows = compiled.run(self.conn.connection.dbapi_connection, params)
        if not rows:
            return
        n = len(names)
        gi = n + 1  # the geometry's column
        geometry = geometry and lyr.spatial
        keep: Any = None
        decoded: Any = None  # the kept rows' geometries, where they were decoded
        shown_wkb: list[Any] | None = None
        if generalising:
            general = self._spatial_filters(q)
            for g in (*exact, *general):
                shapely.prepare(g)
            geoms = list(shapely.from_wkb(np.asarray([r[gi] for r in rows], dtype=object)))
            shown, keep = proj.shown(self, rows, keys, geoms, exact, general)
            if geometry:
                arr = np.empty(len(shown), dtype=object)
                arr[:] = shown
                decoded = arr[keep]
                shown_wkb = list(shapely.to_wkb(decoded, byte_order=1, flavor="iso"))
        elif exact:
            for g in exact:
                shapely.prepare(g)
            arr = shapely.from_wkb(np.asarray([r[gi] for r in rows], dtype=object))
            keep = shapely.intersects(exact[0], arr)
            for other in exact[1:]:
                keep &= shapely.intersects(other, arr)
            decoded = arr[keep]
        if keep is not None and not bool(np.all(keep)):
            rows = list(itertools.compress(rows, keep.tolist()))
            if not rows:
                return
        cols: list[Sequence[Any]] = list(zip(*rows, strict=True))
        if compiled is not None and compiled.results is not None:
            for i, proc in enumerate(compiled.results[:gi]):
                if proc is not None:
                    cols[i] = list(map(proc, cols[i]))
        ids = list(cols[0])
        if proj is not None and set(names) & set(proj.access.personal_fields()):
            self._report_personal(proj, ids)
        out.ids.extend(ids)
        for name, values in zip(names, cols[1:gi], strict=True):
            out.columns[name].extend(values)
        if geometry:
            out.wkb.extend(shown_wkb if shown_wkb is not None else cols[gi])
            out._decoded.append(decoded)

    @staticmethod
    def _spatial_filters(q: Query) -> list[BaseGeometry]:
        """The spatial filters of ``q`` as geometries (the box as what it is)."""
        return ([bbox_geometry(_checked_bbox(q.bbox))] if q.bbox is not None else []) + (
            [q.intersects] if q.intersects is not None else [])

    @staticmethod
    def _hits(exact: list[BaseGeometry], geoms: list[BaseGeometry | None]) -> Any:
        """Which of ``geoms`` intersect every geometry of ``exact`` (vectorised)."""
        arr = np.asarray(geoms, dtype=object) if geoms else np.empty(0, dtype=object)
        hits = shapely.intersects(exact[0], arr)
        for other in exact[1:]:
            hits &= shapely.intersects(other, arr)
        return hits

    def iter(self, layer: LayerRef, query: Query | None = None, /, **filters: Any
             ) -> Iterator[Record]:
        lyr = layer_of(layer)
        q = self._merge(query, filters)
        stmt, params, exact = self._select(lyr, q)
        yield from self._records(lyr, q, stmt, params, exact)

    def latest(self, layer: LayerRef, key: str, *, order: str, date_field: str,
               on: dt.date) -> Iterator[Record]:
        """One statement: the rows ranked first by ``order`` (descending) within their
        ``key`` among those dated on or before ``on`` (a window function), then the actor's
        policy as every read applies it."""
        lyr = layer_of(layer)
        table = self.store.table(lyr)
        for name in (key, order, date_field):
            if name not in table.c:
                raise KeyError(f"layer {lyr.name} has no field {name!r}")
        proj = self._projection(lyr)
        if proj is not None:
            for name in (key, order, date_field):
                proj.check_usable(name, "filter on")
        q = Query(order_by=key)
        stmt, params, exact = self._select(lyr, q)
        fid = table.c[self.store.fid_column]
        day = table.c[date_field]
        ranked = sa.select(fid.label("fid"), sa.func.row_number().over(
            partition_by=table.c[key], order_by=(table.c[order].desc(), fid.desc())
        ).label("rank")).where(sa.or_(day.is_(None), day <= sa.bindparam("latest_on",
                                                                       type_=day.type))
                               ).subquery()
        stmt = stmt.where(fid.in_(sa.select(ranked.c.fid).where(ranked.c.rank == 1)))
        yield from self._records(lyr, q, stmt, {**params, "latest_on": on}, exact)

    def _records(self, lyr: Layer, q: Query, stmt: sa.Select[Any], params: dict[str, Any],
                 exact: list[BaseGeometry]) -> Iterator[Record]:
        """The records of a statement built by :meth:`_select` (maybe narrowed further)."""
        # options for this statement only: set on the connection they would stay for the
        # next statements of the transaction (a server-side cursor for an INSERT's savepoint)
        result = self.conn.execute(stmt, params,
                                   execution_options=self.store.read_options(stmt))
        for g in exact:
            shapely.prepare(g)
        skipped = 0
        produced = 0
        keys = tuple(result.keys())
        reader = row_reader(lyr, keys)
        gi = keys.index(GEOM) if lyr.spatial else None
        proj = self._projection(lyr) if self.policy is not None else None
        general: list[BaseGeometry] = []
        if proj is not None and proj.generalising:
            general = self._spatial_filters(q)
            for g in general:
                shapely.prepare(g)
        for rows in result.partitions(BATCH):
            geoms = self._geometries(lyr, rows, gi)
            if proj is not None:
                geoms, keep = proj.shown(self, rows, keys, geoms, exact, general)
                ids = keys.index("id")
                self._report_personal(proj, [rows[int(i)][ids] for i in np.flatnonzero(keep)])
                if not exact and not general:
                    for i, row in enumerate(rows):
                        yield from_row(lyr, row, geoms[i] if geoms else None, reader)
                    continue
                for i in map(int, np.flatnonzero(keep)):
                    if skipped < q.offset:
                        skipped += 1
                        continue
                    yield from_row(lyr, rows[i], geoms[i] if geoms else None, reader)
                    produced += 1
                    if q.limit is not None and produced >= q.limit:
                        return
                continue
            if not exact:
                for i, row in enumerate(rows):
                    yield from_row(lyr, row, geoms[i] if geoms else None, reader)
                continue
            for i in map(int, np.flatnonzero(self._hits(exact, geoms))):
                if skipped < q.offset:
                    skipped += 1
                    continue
                yield from_row(lyr, rows[i], geoms[i], reader)
                produced += 1
                if q.limit is not None and produced >= q.limit:
                    return

    def _geometries(self, layer: Layer, rows: Sequence[Any], index: int | None = None
                    ) -> list[BaseGeometry | None]:
        """Decoded geometries of ``rows`` (the geometry at ``index``, else by name)."""
        if not layer.spatial or not rows:
            return []
        if index is None:
            return self.store.decode_geometries([row._mapping[GEOM] for row in rows])
        return self.store.decode_geometries([row[index] for row in rows])

    def _report_personal(self, proj: Any, ids: list[str]) -> None:
        if proj.access.personal and ids:
            self.store.personal_read(self.policy, proj.layer.name, ids,
                                     proj.access.personal_fields(), source=self)

    def get(self, layer: Any, id: str) -> Any:
        lyr = layer_of(layer)
        if self.policy is not None:
            for record in self.iter(lyr, Query(where={"id": id}, limit=1)):
                return record
            raise NotFound.of("store.no_such_record", layer=lyr.name, id=id)
        table = self.store.table(lyr)
        row = self.conn.execute(sa.select(table).where(table.c.id == id)).first()
        if row is None:
            raise NotFound.of("store.no_such_record", layer=lyr.name, id=id)
        geoms = self._geometries(lyr, [row])
        return from_row(lyr, row, geoms[0] if geoms else None)  # type: ignore[return-value]

    def count(self, layer: LayerRef, query: Query | None = None, /, **filters: Any) -> int:
        lyr = layer_of(layer)
        q = self._merge(query, filters)
        spatial = q.bbox is not None or q.intersects is not None
        proj = self._projection(lyr) if spatial else None
        if proj is not None and proj.generalising:
            # records counted only are never found by place; generalised ones are checked
            # on their generalised geometry, as iter shows them
            return sum(1 for _ in self.iter(lyr, q))
        stmt, params, exact = self._select(
            lyr, q, counting=q.bbox is None and q.intersects is None)
        if exact:  # the candidates' geometries alone, checked as iter checks them
            table = self.store.table(lyr)
            for g in exact:
                shapely.prepare(g)
            result = self.conn.execute(stmt.with_only_columns(table.c[GEOM]), params,
                                       execution_options=self.store.read_options(stmt))
            hits = 0
            for rows in result.partitions(BATCH):
                hits += int(np.count_nonzero(self._hits(exact, self._geometries(lyr, rows, 0))))
            return max(0, min(hits - q.offset, hits if q.limit is None else q.limit))
        sub = stmt.order_by(None).subquery()
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(sub), params)
                   .scalar() or 0)

    def existing_ids(self, layer: LayerRef, ids: Iterable[str]) -> set[str]:
        table = self.store.table(layer)
        proj = self._projection(layer_of(layer))
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            stmt = sa.select(table.c.id).where(table.c.id.in_(chunk))
            if proj is not None and proj.where is not None:
                stmt = stmt.where(proj.where)
            found.update(self.conn.execute(stmt).scalars())
        return found

    def extent(self, layer: LayerRef) -> BBox | None:
        lyr = layer_of(layer)
        if not lyr.spatial:
            return None
        if self.policy is not None and not self.policy.access(lyr).unrestricted:
            # as the actor sees them: generalised geometries where theirs are
            return _bounds_of(g for r in self.iter(lyr)
                              if (g := getattr(r, "geometry", None)) is not None)
        table = self.store.table(lyr)
        bounds = None
        result = self.conn.execute(sa.select(table.c[GEOM]),
                                   execution_options={"yield_per": BATCH})
        for rows in result.partitions(BATCH):
            geoms = np.asarray(self._geometries(lyr, rows), dtype=object)
            b = shapely.bounds(geoms)
            b = b[~np.isnan(b).any(axis=1)]
            if not len(b):
                continue
            part = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                    float(b[:, 3].max()))
            bounds = part if bounds is None else (
                min(bounds[0], part[0]), min(bounds[1], part[1]),
                max(bounds[2], part[2]), max(bounds[3], part[3]))
        return bounds

    def land_m2(self, layer: LayerRef, ids: Iterable[str], *,
                also: Iterable[tuple[LayerRef, Iterable[str]]] = ()) -> float:
        from mineaction.geo.measure import union_area_m2

        geoms: list[BaseGeometry | None] = []
        for ref, some in [(layer, ids), *also]:
            lyr = layer_of(ref)
            wanted = sorted(set(some))
            for k in range(0, len(wanted), 500):
                # the records the reader may count, their geometry as stored (measured here,
                # never returned)
                stmt, params, _ = self._select(lyr, Query(where={"id": wanted[k:k + 500]}),
                                               counting=True)
                rows = list(self.conn.execute(stmt, params))
                geoms += self._geometries(lyr, rows)
        return union_area_m2(geoms)

    def aggregate(self, layer: LayerRef, by: Sequence[str] = (), *,
                  sums: Sequence[str] = (), where: Mapping[str, Any] | None = None,
                  date_field: str | None = None, start: dt.date | None = None,
                  end: dt.date | None = None, with_ids: bool = False) -> list[dict[str, Any]]:
        lyr = layer_of(layer)
        table = self.store.table(lyr)
        stmt, params, _ = self._select(lyr, Query(where=where), counting=True)
        proj = self._projection(lyr, counting=True)
        if proj is not None:
            for name in (*(b for b in by if b not in ("year", "quarter")), *sums,
                         *([date_field] if date_field else [])):
                proj.check_usable(name, "count by")
        if date_field is not None:
            col = table.c[date_field] if proj is None else proj.columns[date_field]
            if start is not None:
                stmt = stmt.where(col >= start)
            if end is not None:
                stmt = stmt.where(col <= end)
        elif start is not None or end is not None or {"year", "quarter"} & set(by):
            raise ValueError("a period or a year/quarter grouping needs date_field")
        sub = stmt.order_by(None).subquery()
        dialect = self.conn.dialect.name
        keys = []
        for name in by:
            if name in ("year", "quarter"):
                assert date_field is not None
                keys.append(_date_part(dialect, sub.c[date_field], name).label(name))
            else:
                keys.append(sub.c[name].label(name))
        cols: list[Any] = [*keys, sa.func.count().label("count")]
        for name in sums:
            cols.append(sa.func.coalesce(sa.func.sum(sub.c[name]), 0).label(name))
        if with_ids:
            agg = (sa.func.string_agg(sub.c.id, sa.literal_column("','"))
                   if dialect == "postgresql" else sa.func.group_concat(sub.c.id, ","))
            cols.append(agg.label("ids"))
        q = sa.select(*cols).select_from(sub)
        if keys:
            q = q.group_by(*keys).order_by(*(k.asc().nulls_first() for k in keys))
        rows = []
        for row in self.conn.execute(q, params):
            item = dict(row._mapping)
            if with_ids:
                item["ids"] = sorted(item["ids"].split(",")) if item["ids"] else []
            for name in sums:
                value = item[name]
                item[name] = float(value) if isinstance(value, Decimal) else value
            rows.append(item)
        if not keys and rows and rows[0]["count"] == 0 and with_ids:
            rows[0]["ids"] = []
        if proj is not None and proj.access.personal:
            self._report_personal(proj, sorted({i for r in rows for i in r.get("ids", ())}))
        return rows

    # -- writes ----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if not self.writable:
            raise StoreError.of("store.read_only")

    def add(self, record: Record) -> Record:
        self.add_many([record])
        return record

    def add_many(self, records: Iterable[Record], progress: Progress | None = None, *,
                 keep_versions: bool = False) -> int:
        self._check_writable()
        total = 0
        batches: dict[str, list[dict[str, Any]]] = {}
        layers: dict[str, Layer] = {}

        def flush(name: str) -> None:
            rows = batches.pop(name, [])
            if not rows:
                return
            try:
                self.store.insert_rows(self.conn, layers[name], rows)
            except IntegrityError as exc:
                raise Conflict.of("store.id_taken", layer=layers[name].name,
                                  error=_first_line(exc)) from None
            self.written.add(name)
            self._audit(audit_log.INSERT, layers[name], None, rows)
            if progress:
                progress(len(rows))

        by_type: dict[type, Layer] = {}
        for record in records:
            lyr = by_type.get(type(record)) or by_type.setdefault(type(record),
                                                                  layer_of(type(record)))
            if self.policy is not None:
                self.policy.admit(lyr, record, self._area_country)
            if not keep_versions:
                record.version = 1
            layers[lyr.table] = lyr
            rows = batches.setdefault(lyr.table, [])
            rows.append(to_row(lyr, record))
            total += 1
            if len(rows) >= BATCH:
                flush(lyr.table)
        for name in list(batches):
            flush(name)
        return total

    def insert_columns(self, layer: LayerRef, columns: Mapping[str, Sequence[Any]],
                       geometries: Sequence[BaseGeometry | None] | None = None,
                       progress: Progress | None = None) -> int:
        self._check_writable()
        lyr = layer_of(layer)
        given = list(columns)
        n = len(columns[given[0]]) if given else len(geometries or ())
        if n == 0:
            return 0
        cols: dict[str, list[Any]] = {}
        for spec in lyr.fields:
            cols[spec.name] = list(columns[spec.name]) if spec.name in columns else [None] * n
        cols["version"] = [1] * n
        if self.policy is not None:
            owner, country = self.policy.admit_columns(lyr)
            if owner is not None:
                cols["owner"] = [owner] * n
            if "admin_area_id" in cols:
                cols["country"] = [c if c is not None else (
                    (self._area_country(a) if a else None) or country)
                    for c, a in zip(cols["country"], cols["admin_area_id"], strict=True)]
            else:
                cols["country"] = [country if c is None else c for c in cols["country"]]
        geoms = None
        if lyr.spatial:
            geoms = np.empty(n, dtype=object)
            geoms[:] = list(geometries) if geometries is not None else [None] * n
        try:
            self.store.insert_columns(self.conn, lyr, cols, geoms)
        except IntegrityError as exc:
            raise Conflict.of("store.id_taken", layer=lyr.name, error=_first_line(exc)) from None
        self.written.add(lyr.table)
        if isinstance(columns, dict):  # what the store set, for a caller that reads it back
            columns.update({k: cols[k] for k in ("version", "owner", "country")})
        names = list(cols)
        rows = [dict(zip(names, values, strict=True)) for values in zip(*cols.values(),
                                                                        strict=True)]
        if geoms is not None:
            for row, g in zip(rows, geoms, strict=True):
                row[GEOM] = g
        self._audit(audit_log.INSERT, lyr, None, rows)
        self._flush_audit()  # the log's entries of a bulk load are not held to the end
        if progress:
            progress(n)
        return n

    def update(self, record: Record) -> Record:
        self._check_writable()
        lyr = layer_of(type(record))
        table = self.store.table(lyr)
        fields = None
        if self.policy is not None:
            fields = self._admit_update(lyr, record)
        row = to_row(lyr, record)
        row["version"] = record.version + 1
        row["_id"], row["_version"] = record.id, record.version
        if fields is not None:
            row = {k: v for k, v in row.items() if k in fields or k in (GEOM, "_id", "_version")}
        before = audit_log.stored_rows(self, lyr, [record.id]).get(record.id)
        result = self.conn.execute(self.store.update_statement(lyr, fields), row)
        if result.rowcount == 0:
            current = self.conn.execute(
                sa.select(table.c.version).where(table.c.id == record.id)).scalar()
            if current is None:
                raise NotFound.of("store.no_such_record", layer=lyr.name, id=record.id)
            raise Conflict.of("store.changed_by_someone", layer=lyr.name, id=record.id,
                              stored=current, yours=record.version)
        record.version += 1
        self.written.add(lyr.table)
        # the record as it is now stored (an actor's write may leave fields it cannot see)
        after = row if fields is None else audit_log.stored_rows(self, lyr, [record.id])[record.id]
        self._audit(audit_log.UPDATE, lyr, [before], [after])
        return record


    def update_many(self, records: Sequence[Record]) -> int:
        """:meth:`update` of many records: one statement per layer (and, for an actor, per set
        of columns the policy lets them write), executed for all of them, with the same checks
        (each record's version; for an actor, the policy, record by record) and one audit entry
        per record."""
        if len(records) < 2:
            return super().update_many(records)
        self._check_writable()
        by_layer: dict[str, tuple[Layer, list[Record]]] = {}
        for record in records:
            lyr = layer_of(type(record))
            by_layer.setdefault(lyr.table, (lyr, []))[1].append(record)
        for lyr, group in by_layer.values():
            ids = [r.id for r in group]
            if len(set(ids)) != len(ids):
                for record in group:  # the same record twice: in turn, as update would
                    self.update(record)
                continue
            allowed: list[list[str] | None] = [
                self._admit_update(lyr, r) if self.policy is not None else None for r in group]
            stored = audit_log.stored_rows(self, lyr, ids)
            for record in group:
                before = stored.get(record.id)
                if before is None:
                    raise NotFound.of("store.no_such_record", layer=lyr.name, id=record.id)
                if before["version"] != record.version:
                    raise Conflict.of("store.changed_by_someone", layer=lyr.name, id=record.id,
                                      stored=before["version"], yours=record.version)
            statements: dict[tuple[str, ...] | None, list[dict[str, Any]]] = {}
            rows = []
            for record, fields in zip(group, allowed, strict=True):
                row = to_row(lyr, record)
                row["version"] = record.version + 1
                row["_id"], row["_version"] = record.id, record.version
                if fields is not None:
                    row = {k: v for k, v in row.items()
                           if k in fields or k in (GEOM, "_id", "_version")}
                rows.append(row)
                statements.setdefault(None if fields is None else tuple(fields), []).append(row)
            for key, batch in statements.items():
                stmt = self.store.update_statement(lyr, None if key is None else list(key))
                for start in range(0, len(batch), BATCH):
                    self.conn.execute(stmt, batch[start:start + BATCH])
            for record in group:
                record.version += 1
            self.written.add(lyr.table)
            if any(f is not None for f in allowed):  # as stored (fields the actor cannot see)
                now = audit_log.stored_rows(self, lyr, ids)
                after: list[Any] = [now[i] for i in ids]
            else:
                after = rows
            self._audit(audit_log.UPDATE, lyr, [stored[i] for i in ids], after)
        return len(records)

    def _area_country(self, area_id: str) -> str | None:
        """The country of an administrative area (read whatever the actor sees: a record's
        country is the store's to set)."""
        if area_id not in self._areas:
            table = self.store.table(layer_of("admin-areas"))
            self._areas[area_id] = self.conn.execute(
                sa.select(table.c.country).where(table.c.id == area_id)).scalar()
        return self._areas[area_id]  # type: ignore[no-any-return]

    def _admit_update(self, layer: Layer, record: Record) -> list[str]:
        """The columns the policy lets this update write, after checking it may."""
        table = self.store.table(layer)
        proj = self._projection(layer)
        stmt = sa.select(table.c.owner, table.c.country).where(table.c.id == record.id)
        if proj is not None and proj.where is not None:
            stmt = stmt.where(proj.where)
        stored = self.conn.execute(stmt).first()
        if stored is None:  # gone, or never visible to the actor: the same answer
            raise NotFound.of("store.no_such_record", layer=layer.name, id=record.id)
        return self.policy.admit_update(layer, record, stored[0], stored[1])  # type: ignore


def _bounds_of(geoms: Iterable[BaseGeometry]) -> BBox | None:
    arr = np.asarray(list(geoms), dtype=object)
    if not len(arr):
        return None
    b = shapely.bounds(arr)
    b = b[~np.isnan(b).any(axis=1)]
    if not len(b):
        return None
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
            float(b[:, 3].max()))


def bbox_geometry(bbox: BBox) -> BaseGeometry:
    """The box as a geometry: a rectangle, or the line or point it is when its min equals its
    max in one or both directions (a degenerate rectangle is no valid polygon, and GEOS
    answers wrongly whether a line crosses one)."""
    minx, miny, maxx, maxy = bbox
    if minx == maxx and miny == maxy:
        return shapely.Point(minx, miny)
    if minx == maxx or miny == maxy:
        return shapely.LineString([(minx, miny), (maxx, maxy)])
    return shapely.box(minx, miny, maxx, maxy)


def _checked_bbox(bbox: BBox) -> BBox:
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if not (minx <= maxx and miny <= maxy):
        raise ValueError(f"bbox {tuple(bbox)}: (minx, miny, maxx, maxy) with min <= max "
                         "expected")
    return minx, miny, maxx, maxy


def _column_param(spec: FieldSpec | None, value: Any) -> Any:
    """A filter value as it is stored; codes given as text are already stored values."""
    if spec is None or (isinstance(value, str) and spec.kind in ("enum", "enumset")):
        return value
    return column_value(spec, value)


def _date_part(dialect: str, col: Any, part: str) -> Any:
    if dialect == "postgresql":
        return sa.cast(sa.func.extract(part, col), sa.Integer)
    if part == "year":
        return sa.cast(sa.func.strftime("%Y", col), sa.Integer)
    return sa.cast((sa.cast(sa.func.strftime("%m", col), sa.Integer) + 2) / 3, sa.Integer)


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0]


def core_layers() -> list[Layer]:
    return list(all_layers())

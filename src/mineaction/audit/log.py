"""The ``audit_log`` table: how it is made append-only, and how a transaction appends to it.

A write transaction collects its entries (:class:`Pending`) as it writes, each with the hashes
of the records before and after, and appends them just before it commits
(:meth:`Pending.flush`): the head is read under the store's write lock (the GeoPackage's
``BEGIN IMMEDIATE``; on PostgreSQL a transaction-level advisory lock taken for the append
alone), the entries are numbered on from it and chained, and inserted with one
``executemany`` per batch. So the entries and the writes they describe commit together or not
at all, and concurrent writers never fork the chain. ``seq`` is thus the order in which
transactions committed; ``at`` is when each event happened, by the clock the writer passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mineaction.audit.canonical import GENESIS, canonical_json, record_hashes
from mineaction.domain.layers import Layer, all_layers
from mineaction.domain.schema import Record
from mineaction.messages import Note

if TYPE_CHECKING:
    from mineaction.store.sql import SqlStore, SqlTransaction

TABLE = "audit_log"
#: Entries inserted per ``executemany``.
BATCH = 5000
#: The key of the PostgreSQL advisory lock that serialises appends ("mineaudi").
PG_LOCK_KEY = 0x6D696E6561756469

#: Actions the store itself writes; other parts name theirs (see :func:`mineaction.audit.record`).
INSERT, UPDATE, DELETE = "insert", "update", "delete"
BASELINE, CHECKPOINT = "baseline", "checkpoint"

COLUMNS = ("seq", "tx", "at", "actor", "actor_user", "actor_org", "action", "layer",
           "record_id", "before_hash", "after_hash", "detail", "prev_hash", "hash")


def audit_table(metadata: sa.MetaData) -> sa.Table:
    """The table's definition (the same on every adapter; times and hashes are text, so that
    what is hashed is exactly what is stored)."""
    return sa.Table(
        TABLE, metadata,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=False),
        sa.Column("tx", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_user", sa.Text),
        sa.Column("actor_org", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("layer", sa.Text),
        sa.Column("record_id", sa.Text),
        sa.Column("before_hash", sa.Text),
        sa.Column("after_hash", sa.Text),
        sa.Column("detail", sa.Text),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Index("ix_audit_log_record", "record_id", "layer"),
    )


# ---------------------------------------------------------------------------------------------
# Append-only, as far as the database can enforce it

_SQLITE_GUARDS = [
    f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: entries cannot be changed'); END",
    f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: entries cannot be deleted'); END",
]

_PG_GUARDS = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = '{TABLE} is append-only: ' || TG_OP || ' refused';
        END $$""",
    f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()",
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse()",
    f"REVOKE UPDATE, DELETE, TRUNCATE ON {TABLE} FROM PUBLIC",
]


def protect(conn: Connection) -> None:
    """Refuse UPDATE and DELETE of entries: a trigger on both adapters; on PostgreSQL also
    TRUNCATE, and the privileges revoked from PUBLIC and, unless it is a superuser (whom
    privileges do not bind), from the role that runs the migration (the application's).

    None of this stops the owner of the database file or a superuser, who can drop a
    trigger: that is what the hash chain and the signed checkpoints are for."""
    if conn.dialect.name == "sqlite":
        for ddl in _SQLITE_GUARDS:
            conn.exec_driver_sql(ddl)
        return
    for ddl in _PG_GUARDS:
        conn.exec_driver_sql(ddl)
    superuser = conn.exec_driver_sql(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar()
    if not superuser:
        conn.exec_driver_sql(f"REVOKE UPDATE, DELETE, TRUNCATE ON {TABLE} FROM CURRENT_USER")


# ---------------------------------------------------------------------------------------------
# Who and when

@dataclass(frozen=True)
class Who:
    """The actor of an entry: name, user id and organisation (as strings)."""

    name: str
    user_id: str | None = None
    org_id: str | None = None

    @classmethod
    def of(cls, actor: Any) -> Who:
        """From a :class:`mineaction.access.Actor` (or anything with ``name``, ``user_id``,
        ``org_id``), a plain name, or None: the operating-system user."""
        if actor is None:
            from mineaction.access import Actor

            actor = Actor.local()
        if isinstance(actor, Who):
            return actor
        if isinstance(actor, str):
            return cls(actor)
        user, org = getattr(actor, "user_id", None), getattr(actor, "org_id", None)
        return cls(str(actor.name), None if user is None else str(user),
                   None if org is None else str(org))


def utc_text(when: dt.datetime) -> str:
    """A time as the log stores it: UTC, ISO 8601 with microseconds and ``Z``. A naive time
    is refused: whose local time it is cannot be known."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"audit times must be aware of their time zone, got {when!r}")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def detail_text(detail: Mapping[str, Any] | None) -> str | None:
    """What the log stores of an entry's detail: canonical JSON text, or None."""
    if detail is None:
        return None
    return canonical_json(_plain(detail))


def _plain(value: Any) -> Any:
    """JSON-able values for a detail: floats as their canonical text, dates as ISO, sets as
    sorted lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


# ---------------------------------------------------------------------------------------------
# Appending

class Pending:
    """The entries of one transaction, chained and inserted by :meth:`flush` before commit."""

    def __init__(self, who: Who, clock: Any = None):
        self.who = who
        self.clock = clock or utc_now
        self.tx = uuid.uuid4().hex
        # (at, who, action, layer, record_id, before, after, detail)
        self.entries: list[tuple[str, Who, str, str | None, str | None, str | None,
                                 str | None, str | None]] = []

    def now(self) -> str:
        return utc_text(self.clock())

    def writes(self, action: str, layer: Layer,
               before: Sequence[Record | Mapping[str, Any] | None] | None,
               after: Sequence[Record | Mapping[str, Any] | None]) -> None:
        """One entry per record written: ``after[i]`` (None for a deletion) replaced
        ``before[i]`` (None, or ``before`` None, for an insertion). Records or stored rows."""
        n = len(after)
        if before is not None and len(before) != n:
            raise ValueError("before and after name different numbers of records")
        b = _hashes(layer, before) if before is not None else [None] * n
        a = _hashes(layer, after)
        ids: list[str | None]
        if all(x.__class__ is dict for x in after):  # rows, as the store's writes pass them
            ids = [str(x["id"]) for x in after]  # type: ignore[index]
        else:
            ids = [_record_id(x if x is not None else (before[i] if before else None))
                   for i, x in enumerate(after)]
        at, who, name = self.now(), self.who, layer.name
        self.entries.extend((at, who, action, name, ids[i], b[i], a[i], None) for i in range(n))

    def event(self, action: str, *, layer: str | None = None, record_id: str | None = None,
              before: str | None = None, after: str | None = None,
              detail: Mapping[str, Any] | None = None, who: Who | None = None,
              at: dt.datetime | None = None) -> None:
        when = utc_text(at) if at is not None else self.now()
        self.entries.append((when, who or self.who, action, layer, record_id, before, after,
                             detail_text(detail)))

    def flush(self, conn: Connection) -> int:
        """Append the pending entries to the log (numbered and chained from its head, under
        the write lock), then a checkpoint when one is due (:mod:`.checkpoint`). Returns how
        many entries were appended."""
        if not self.entries:
            return 0
        head_seq, head_hash = lock_and_head(conn)
        rows, head_seq, head_hash = chain(self.entries, self.tx, head_seq, head_hash)
        insert(conn, rows)
        self.entries = []
        from mineaction.audit import checkpoint

        policy = checkpoint.Policy.from_environment()
        if policy is not None and policy.due(conn, head_seq):
            row = checkpoint.entry(policy.key, head_seq, head_hash, self.now(), self.who,
                                   self.tx)
            insert(conn, [row])
            return len(rows) + 1
        return len(rows)


def _hashes(layer: Layer, items: Sequence[Record | Mapping[str, Any] | None]) -> list[str | None]:
    present = [x for x in items if x is not None]
    if len(present) == len(items):
        return list(record_hashes(layer, present))
    it = iter(record_hashes(layer, present))
    return [None if x is None else next(it) for x in items]


def _record_id(value: Record | Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return str(value.id if isinstance(value, Record) else value["id"])


def chain(entries: Iterable[tuple[str, Who, str, str | None, str | None, str | None,
                                  str | None, str | None]],
          tx: str, seq: int, prev: str) -> tuple[list[tuple[Any, ...]], int, str]:
    """Number ``entries`` on from ``seq`` and hash each on the one before (``prev``): the rows
    to insert, in :data:`COLUMNS` order, and the new head."""
    # The canonical text of each entry (as canonical.canonical_entry writes it, which
    # verification uses) from three pieces shared by the entries of one event or batch and
    # the few values of each: an import of 100,000 records chains 100,000 entries.
    rows: list[tuple[Any, ...]] = []
    pieces: dict[tuple[Any, ...], tuple[str, str, str]] = {}
    tail = ',"tx":' + _json_text(tx) + "}"
    sha = hashlib.sha256
    for at, who, action, layer, rid, before, after, detail in entries:
        key = (at, who, action, layer, detail)
        p = pieces.get(key)
        if p is None:
            p = pieces[key] = (
                '{"action":' + _json_text(action) + ',"actor":' + _json_text(who.name)
                + ',"actor_org":' + _json_text(who.org_id) + ',"actor_user":'
                + _json_text(who.user_id) + ',"after_hash":',
                ',"at":' + _json_text(at) + ',"before_hash":',
                ',"detail":' + _json_text(detail) + ',"layer":' + _json_text(layer)
                + ',"record_id":')
        seq += 1
        text = (p[0] + _json_text(after) + p[1] + _json_text(before) + p[2] + _json_text(rid)
                + ',"seq":' + str(seq) + tail)
        h = sha((prev + text).encode("utf-8")).hexdigest()
        rows.append((seq, tx, at, who.name, who.user_id, who.org_id, action, layer, rid, before,
                     after, detail, prev, h))
        prev = h
    return rows, seq, prev


def _json_text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def append_lock(conn: Connection) -> None:
    """Take the append lock until the transaction ends (PostgreSQL; a GeoPackage writer holds
    the file's write lock already): writers that take it run one after the other."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")


def lock_and_head(conn: Connection) -> tuple[int, str]:
    """Take the append lock (:func:`append_lock`) and read the head: (seq, hash), (0, 64
    zeros) for an empty log."""
    append_lock(conn)
    row = conn.exec_driver_sql(
        f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def insert(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert entries (tuples in :data:`COLUMNS` order): one ``executemany`` per batch, or on
    PostgreSQL one ``COPY`` (an INSERT per row costs the server a statement each)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(  # type: ignore[attr-defined]
                f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})"
    for start in range(0, len(rows), BATCH):
        conn.exec_driver_sql(sql, list(rows[start:start + BATCH]))


def has_log(conn: Connection) -> bool:
    """Whether the store has the log (one catalogue query: reflection costs a write
    transaction tens of milliseconds)."""
    if conn.dialect.name == "postgresql":
        return bool(conn.exec_driver_sql(f"SELECT to_regclass('{TABLE}') IS NOT NULL").scalar())
    found = conn.exec_driver_sql(
        f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'").first()
    return found is not None


# ---------------------------------------------------------------------------------------------
# Stored records, for the "before" of an update

def stored_rows(tx: SqlTransaction, layer: Layer, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored rows (as ``to_row`` makes them, geometries decoded) of the records of
    ``layer`` with these ids, locked for update on PostgreSQL (so that the update that follows
    changes the row as read here; a GeoPackage writer holds the whole file)."""
    from mineaction.store.rows import GEOM

    table = tx.store.table(layer)
    wanted = list(dict.fromkeys(ids))
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = [dict(r._mapping) for r in tx.conn.execute(
            sa.select(table).where(table.c.id.in_(chunk)).with_for_update())]
        if layer.spatial:
            geoms = tx.store.decode_geometries([r[GEOM] for r in rows])
            for r, g in zip(rows, geoms, strict=True):
                r[GEOM] = g
        for r in rows:
            out[r["id"]] = r
    return out


# ---------------------------------------------------------------------------------------------
# The schema step

def migration(store: SqlStore, conn: Connection) -> list[str]:
    """Create the log, make it append-only, and log a ``baseline`` entry for every record
    already stored (its hash as it is now), so that every record has a logged state that
    later writes continue from."""
    table = store.audit_table
    table.create(conn)
    protect(conn)
    have_tables = set(sa.inspect(conn).get_table_names())
    who = Who.of(None)
    pending = Pending(Who(who.name, who.user_id, who.org_id))
    counted: list[str] = []
    for layer in all_layers():
        if layer.table not in have_tables:
            continue
        n = 0
        for rows in _all_rows(store, conn, layer):
            pending.writes(BASELINE, layer, None, rows)
            n += len(rows)
        if n:
            counted.append(f"{n} {layer.name}")
    if not pending.entries:
        return []
    n = pending.flush(conn)
    return [Note("store.migrated_audit", count=n, layers=", ".join(counted))]


def _all_rows(store: SqlStore, conn: Connection, layer: Layer) -> Iterator[list[dict[str, Any]]]:
    """Every stored row of ``layer``, in batches; a declared column the table does not have
    yet (a later step adds it, empty) reads as None."""
    from mineaction.store.rows import GEOM

    table = store.table(layer)
    have = set(conn.exec_driver_sql(f'SELECT * FROM "{table.name}" LIMIT 0').keys())
    cols = [c for c in table.c if c.name in have and c.name != store.fid_column]
    missing = [spec.name for spec in layer.fields if spec.name not in have]
    # options of this statement alone: Connection.execution_options would keep them for the
    # migration's later statements
    result = conn.execute(sa.select(*cols).order_by(table.c.id).execution_options(
        yield_per=2000))
    for part in result.partitions(2000):
        rows = [dict(r._mapping) for r in part]
        for r in rows:
            for name in missing:
                r[name] = None
        if layer.spatial:
            for r, g in zip(rows, store.decode_geometries([r[GEOM] for r in rows]),
                            strict=True):
                r[GEOM] = g
        yield rows


def json_detail(text: str | None) -> Any:
    return None if text is None else json.loads(text)

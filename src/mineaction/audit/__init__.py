"""The audit log: an append-only, hash-chained record of every write, approval, export, sharing
change and personal read, with signed checkpoints.

- Every write through the store (``add``, ``add_many``, ``update``, ...) is logged by the
  store itself, in the same transaction as the write: one entry per record, with the SHA-256
  of the record as stored before and after (:mod:`.canonical`). No interface can forget it,
  and a refused import logs nothing, as it writes nothing.
- Other events are logged with :func:`record`: approvals, rejections, exports, sharing
  changes; personal reads through :func:`personal_read_hook`.
- Each entry's hash covers the entry and the hash of the one before it, so that
  :func:`verify` finds any entry changed, inserted, deleted or moved; signed checkpoints
  (:mod:`.checkpoint`) catch a chain rewritten with recomputed hashes. See :mod:`.verify` for
  what can and cannot be detected.

The log is the ``audit_log`` table (:mod:`.log`), refused UPDATE and DELETE by a trigger on
both adapters.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mineaction.audit import checkpoint
from mineaction.audit.canonical import record_hash
from mineaction.audit.log import (
    BASELINE,
    CHECKPOINT,
    INSERT,
    TABLE,
    UPDATE,
    Who,
    insert,
    json_detail,
    lock_and_head,
    utc_text,
)
from mineaction.audit.verify import RecordsReport, Report, check_records, verify
from mineaction.domain.layers import get_layer
from mineaction.domain.schema import Record
from mineaction.errors import InvalidInput, StoreError

__all__ = ["APPROVE", "EXPORT", "PERSONAL_READ", "REJECT", "REVOKE", "SHARE", "Entry", "Report",
           "entries", "head", "make_checkpoint", "personal_read_hook", "record", "verify",
           "verify_store"]

#: Actions other parts log; any other lower-case name (``submit``, ``token_issued``) may be
#: used too, but not those the store writes itself.
APPROVE, REJECT, EXPORT = "approve", "reject", "export"
SHARE, REVOKE, PERSONAL_READ = "share", "revoke", "personal_read"
STORE_ACTIONS = frozenset({INSERT, UPDATE, BASELINE, CHECKPOINT})
_ACTION = re.compile(r"[a-z][a-z0-9_]{0,63}")
_HEX = re.compile(r"[0-9a-f]{64}")


def record(target: Any, action: str, *, layer: Any = None, record: Any = None,
           before: Record | str | None = None, after: Record | str | None = None,
           detail: Mapping[str, Any] | None = None, actor: Any = None,
           at: dt.datetime | None = None) -> None:
    """Log one event (an approval, an export, a sharing change, ...).

    ``target`` is a write transaction (the entry commits with it, or not at all) or a store
    (a transaction of its own is opened, by ``actor``). ``layer`` a layer name or record type;
    ``record`` a record or its id; ``before`` / ``after`` a record (hashed as stored) or a
    hash already made; ``detail`` plain JSON-able values (reals are stored as text). The
    entry's actor is ``actor``, else the transaction's; its time ``at`` (aware), else the
    transaction's clock.

    Where users go wrong: the store's own actions (insert, update, baseline, checkpoint) are
    refused here, since they would claim a write that did not happen; and an event recorded
    in a transaction that is then rolled back is not logged.
    """
    if not isinstance(action, str) or not _ACTION.fullmatch(action):
        raise ValueError(f"audit action {action!r}: a lower-case name like 'approve' expected")
    if action in STORE_ACTIONS:
        raise ValueError(f"audit action {action!r} is written by the store alone")
    pending = getattr(target, "_pending", None)
    if pending is None:
        opener = getattr(target, "transaction", None)
        if opener is None:
            raise TypeError(f"audit.record needs a store or a write transaction, got "
                            f"{type(target).__name__}")
        with opener(actor=actor) as tx:
            _record(tx, action, layer, record, before, after, detail, actor, at)
        return
    if not getattr(target, "writable", True):
        raise StoreError.of("audit.audit_record_needs_a")
    _record(target, action, layer, record, before, after, detail, actor, at)


def _record(tx: Any, action: str, layer: Any, rec: Any, before: Any, after: Any,
            detail: Mapping[str, Any] | None, actor: Any, at: dt.datetime | None) -> None:
    lyr = None if layer is None else (layer if isinstance(layer, str) and layer not in _names()
                                      else get_layer(layer).name)
    if isinstance(rec, Record):
        rid: str | None = rec.id
        if lyr is None:
            lyr = get_layer(type(rec)).name
    else:
        rid = None if rec is None else str(rec)
    tx._pending().event(action, layer=lyr, record_id=rid, before=_hash(lyr, before),
                        after=_hash(lyr, after), detail=detail,
                        who=None if actor is None else Who.of(actor), at=at)


@functools.cache
def _names() -> frozenset[str]:
    from mineaction.domain.layers import all_layers

    names: set[str] = set()
    for layer in all_layers():
        names.update((layer.name, layer.table))
    return frozenset(names)


def _hash(layer: str | None, value: Record | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, Record):
        return record_hash(get_layer(type(value)), value)
    if isinstance(value, str) and _HEX.fullmatch(value):
        return value
    raise ValueError(f"before/after: a record or a SHA-256 in 64 lower-case hex digits "
                     f"expected, got {value!r}")


def personal_read_hook(source: Any, actor: Any, layer: Any, record_ids: Iterable[str], *,
                       fields: Iterable[str] | None = None, purpose: str | None = None) -> None:
    """Log that ``actor`` read the personal data of these records (one ``personal_read``
    entry per record, so that ``audit list --record ID`` answers who saw a person's data).

    Register it with ``store.on_personal_read(audit.personal_read_hook)``. ``source`` is the
    store, or the transaction that read: a write transaction takes the entries with it; a
    read-only one (or a store) has them written and committed at once in a transaction of
    their own, so that a read is logged even when what follows it fails."""
    ids = list(dict.fromkeys(str(i) for i in record_ids))
    if not ids:
        return
    name = layer if isinstance(layer, str) else get_layer(layer).name
    detail: dict[str, Any] = {}
    if fields is not None:
        detail["fields"] = sorted(set(fields))
    if purpose:
        detail["purpose"] = purpose
    if getattr(source, "_pending", None) is not None and getattr(source, "writable", False):
        for rid in ids:
            record(source, PERSONAL_READ, layer=name, record=rid, detail=detail or None,
                   actor=actor)
        return
    store = getattr(source, "store", source)
    with store.transaction(actor=actor) as tx:
        for rid in ids:
            record(tx, PERSONAL_READ, layer=name, record=rid, detail=detail or None)


# ---------------------------------------------------------------------------------------------
# Reading the log

@dataclass(frozen=True)
class Entry:
    seq: int
    tx: str
    at: str
    actor: str
    actor_user: str | None
    actor_org: str | None
    action: str
    layer: str | None
    record_id: str | None
    before_hash: str | None
    after_hash: str | None
    detail: Any
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _reading(store: Any) -> Any:
    reading = getattr(store, "reading", None)
    if reading is None or not hasattr(store, "audit_table"):
        raise StoreError.of("audit.keeps_no_audit_log", value=getattr(store, 'url', store))
    return reading()


def entries(store: Any, *, layer: str | None = None, record_id: str | None = None,
            actor: str | None = None, action: str | None = None,
            since: dt.date | dt.datetime | None = None, limit: int | None = None,
            newest_first: bool = False) -> list[Entry]:
    """Entries matching every filter given, in ``seq`` order (``newest_first`` reverses it;
    ``limit`` counts from that end). ``actor`` matches the actor's name or user id; ``since``
    a date (from its start, UTC) or an aware time."""
    import sqlalchemy as sa

    table = store.audit_table
    stmt = sa.select(table)
    if layer is not None:
        name = layer if layer not in _names() else get_layer(layer).name
        stmt = stmt.where(table.c.layer == name)
    if record_id is not None:
        stmt = stmt.where(table.c.record_id == record_id)
    if actor is not None:
        stmt = stmt.where(sa.or_(table.c.actor == actor, table.c.actor_user == actor))
    if action is not None:
        stmt = stmt.where(table.c.action == action)
    if since is not None:
        if not isinstance(since, dt.datetime):
            since = dt.datetime.combine(since, dt.time(), dt.UTC)
        stmt = stmt.where(table.c.at >= utc_text(since))
    stmt = stmt.order_by(table.c.seq.desc() if newest_first else table.c.seq)
    if limit is not None:
        stmt = stmt.limit(limit)
    with _reading(store) as r:
        out = []
        for row in r.conn.execute(stmt):
            m = dict(row._mapping)
            m["detail"] = json_detail(m["detail"])
            out.append(Entry(**m))
    return out


def head(store: Any) -> tuple[int, str, str] | None:
    """The last entry of the log: (seq, hash, at), None when it is empty. Keep it somewhere
    else (``mineaction audit head``): it is what shows that entries after the last checkpoint
    were deleted. ``store`` may be a reading already open (``store.reading()``): the head of
    the state it reads."""
    from mineaction.audit.verify import head as _head

    if getattr(store, "conn", None) is not None and not hasattr(store, "reading"):
        return _head(store.conn)
    with _reading(store) as r:
        return _head(r.conn)


def verify_store(store: Any, *, from_seq: int = 1, trusted: Iterable[Path | str] = (),
                 expect_head: tuple[int, str] | None = None) -> Report:
    """:func:`verify` on a store's log, in one consistent read. ``trusted`` names public (or
    private) key files; given any, every checkpoint must be signed by one of them."""
    keys = {checkpoint.key_id(k): k for k in (checkpoint.load_public(p) for p in trusted)}
    with _reading(store) as r:
        return verify(r.conn, from_seq=from_seq, trusted=keys or None, expect_head=expect_head)


def check_store_records(store: Any) -> RecordsReport:
    """:func:`mineaction.audit.verify.check_records` on a store, in one consistent read."""
    with _reading(store) as r:
        return check_records(r)


def make_checkpoint(store: Any, key: Path | str, *, actor: Any = None,
                    clock: Any = None) -> tuple[int, str, int]:
    """Sign the head of the log with the key in file ``key`` and append the checkpoint.
    Returns (signed seq, signed hash, the checkpoint's own seq)."""
    private = checkpoint.load_private(key)
    with store.transaction(actor=actor, clock=clock) as tx:
        tx._flush_audit()
        seq, h = lock_and_head(tx.conn)
        pending = tx._pending()
        row = checkpoint.entry(private, seq, h, pending.now(), pending.who, pending.tx)
        insert(tx.conn, [row])
    return seq, h, int(row[0])


def parse_head(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as ``audit head`` prints it."""
    seq, sep, h = text.strip().partition(":")
    if not sep or not seq.isdigit() or not _HEX.fullmatch(h.lower()):
        raise InvalidInput.of("audit.head_seq_hash_expected", text=text)
    return int(seq), h.lower()


__all__ += ["TABLE", "RecordsReport", "check_store_records", "parse_head"]

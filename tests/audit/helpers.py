"""What a person with write access to the database could do to the log by hand."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mineaction.audit.canonical import entry_hash
from mineaction.audit.log import COLUMNS
from mineaction.store.sql import SqlStore


def drop_guards(conn: sa.Connection) -> None:
    """Drop the triggers that refuse UPDATE and DELETE (the owner of the database can)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")


def tamper(store: SqlStore, *statements: str, params: dict[str, Any] | None = None) -> None:
    """Run SQL statements on the log with its triggers dropped, in one transaction."""
    with store.engine.begin() as conn:
        drop_guards(conn)
        for sql in statements:
            conn.execute(sa.text(sql), params or {})


def raw(store: SqlStore) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(zip(COLUMNS, r, strict=True)) for r in conn.exec_driver_sql(
            f"SELECT {', '.join(COLUMNS)} FROM audit_log ORDER BY seq")]


def rechain(store: SqlStore, from_seq: int) -> None:
    """Recompute prev_hash and hash of every entry from ``from_seq`` on, as someone who knows
    the algorithm would after changing an entry (the triggers must be dropped already)."""
    rows = raw(store)
    with store.engine.begin() as conn:
        prev = None
        for row in rows:
            if row["seq"] < from_seq:
                prev = row["hash"]
                continue
            row["prev_hash"] = prev if prev is not None else "0" * 64
            row["hash"] = entry_hash(row["prev_hash"], row)
            conn.execute(sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"p": row["prev_hash"], "h": row["hash"], "s": row["seq"]})
            prev = row["hash"]

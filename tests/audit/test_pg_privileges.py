"""On PostgreSQL the application's role loses UPDATE, DELETE and TRUNCATE on the log: even its
owner, having dropped the trigger, cannot change an entry without granting itself the right
back first (which a superuser or the owner can: hence the hash chain)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from mineaction import audit
from mineaction.store import open_store
from tests.contract.samples import sample


def app_role_url(pg_server) -> str:
    """A fresh database owned by a role that is no superuser (the server's own user when that
    is already one)."""
    url = pg_server.new_database()
    info = psycopg.conninfo.conninfo_to_dict(url)
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                            ).fetchone()[0]:
            return url
        role = "app_" + uuid.uuid4().hex[:8]
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
            sql.Identifier(info["dbname"]), sql.Identifier(role)))
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(role)))
    return url.replace(f"//{info['user']}@", f"//{role}@", 1)


def test_the_application_role_cannot_change_entries_even_without_the_trigger(pg_server):
    url = app_role_url(pg_server)
    store = open_store(url)
    try:
        store.create()
        with store.transaction() as tx:
            tx.add(sample("finds"))
        with psycopg.connect(url, autocommit=True) as conn:
            assert not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                                    ).fetchone()[0]
            conn.execute("DROP TRIGGER audit_log_no_change ON audit_log")  # the owner may
            for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log",
                              "TRUNCATE audit_log"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
        # appending, the one thing the application does, still works
        with store.transaction() as tx:
            tx.add(sample("finds", 1))
        assert [e.record_id for e in audit.entries(store)] == ["F0", "F1"]
        assert audit.verify_store(store).ok
    finally:
        store.close()

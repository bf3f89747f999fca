"""Schema migration 20 on a store made before records had owners and countries."""

from __future__ import annotations

import sqlalchemy as sa

from mineaction.access import Actor, Role
from mineaction.store import Store, open_store
from tests.contract.samples import sample


def test_owner_and_country_are_added_to_older_tables(store_url: str) -> None:
    store: Store = open_store(store_url)
    try:
        assert store.migrate(7)[-1] == 7
        with store.engine.begin() as conn:  # type: ignore[attr-defined]
            for table in ("hazards", "evidence"):  # as schema 7 made them
                for column in ("owner", "country"):
                    conn.exec_driver_sql(f'DROP INDEX IF EXISTS "ix_{table}_{column}"')
                    conn.exec_driver_sql(f'ALTER TABLE {table} DROP COLUMN "{column}"')
            for column in ("witness_name", "witness_contact"):
                conn.exec_driver_sql(f'ALTER TABLE evidence DROP COLUMN "{column}"')
            assert not sa.inspect(conn).has_table("users")
        assert store.migrate()[0] == 20
        with store.engine.connect() as conn:  # type: ignore[attr-defined]
            inspector = sa.inspect(conn)
            def columns(table: str) -> set[str]:
                return set(conn.exec_driver_sql(f"SELECT * FROM {table} LIMIT 0").keys())

            assert {"owner", "country"} <= columns("hazards")
            assert {"witness_name", "witness_contact"} <= columns("evidence")
            assert {"ix_hazards_owner", "ix_hazards_country"} <= {
                i["name"] for i in inspector.get_indexes("hazards")}
            assert all(inspector.has_table(t) for t in ("users", "tokens", "agreements"))
        with store.transaction() as tx:
            tx.add(sample("hazards", 0))  # as before: no owner, no country
        # an unowned record of an older store is read by administrators alone
        assert [h.id for h in store.as_actor(Actor.local()).iter("hazards")] == ["H0"]
        analyst = Actor("a", frozenset({Role.ANALYST}), org_id="AX", country="XV",
                        org_kind="authority")
        exact = store.as_actor(analyst).get("hazards", "H0")
        assert not exact.geometry.equals(sample("hazards", 0).geometry)  # public view only
    finally:
        store.close()

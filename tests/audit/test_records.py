"""Stored records against the log: what was changed in the database without mineaction."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from mineaction import audit
from mineaction.cli import main
from tests.contract.samples import sample


def filled(store):
    with store.transaction() as tx:
        tx.add_many([sample("finds", i) for i in range(4)] + [sample("hazards", 1)])
    rec = store.get("finds", "F1")
    with store.transaction() as tx:
        tx.update(dataclasses.replace(rec, quantity=5))
    return store


def by_hand(store, sql: str) -> None:
    with store.transaction() as tx:  # the store's own transaction, SQL past the store API
        tx.conn.execute(sa.text(sql))


def test_records_written_through_the_store_agree_with_the_log(store):
    report = audit.check_store_records(filled(store))
    assert report.ok and report.records == 5, report.summary()


def test_records_changed_added_or_deleted_by_hand_are_named(store):
    filled(store)
    by_hand(store, "UPDATE finds SET quantity = 9 WHERE id = 'F2'")
    by_hand(store, "DELETE FROM finds WHERE id = 'F3'")
    by_hand(store, "UPDATE finds SET id = 'F7' WHERE id = 'F0'")
    report = audit.check_store_records(store)
    assert report.changed == [("finds", "F2")]
    assert report.unlogged == [("finds", "F7")]
    assert sorted(report.missing) == [("finds", "F0"), ("finds", "F3")]
    assert report.gaps == []
    assert "changed outside mineaction" in report.summary()
    assert audit.verify_store(store).ok  # the chain itself is intact


def test_a_logged_write_after_a_change_by_hand_shows_the_gap(store):
    filled(store)
    by_hand(store, "UPDATE finds SET model = 'PMN-1' WHERE id = 'F2'")
    rec = store.get("finds", "F2")
    with store.transaction() as tx:
        tx.update(dataclasses.replace(rec, quantity=4))
    report = audit.check_store_records(store)
    seq = audit.entries(store)[-1].seq
    assert report.changed == [] and report.gaps == [("finds", "F2", seq)]


def test_verify_records_from_the_command_line(store, capsys):
    filled(store)
    assert main(["--db", store.url if store.url.endswith(".gpkg") else _url(store), "audit",
                 "verify", "--records"]) == 0
    assert "records OK: each of 5 stored records" in capsys.readouterr().out
    by_hand(store, "UPDATE finds SET quantity = 9 WHERE id = 'F2'")
    assert main(["--db", store.url if store.url.endswith(".gpkg") else _url(store), "audit",
                 "verify", "--records"]) == 2
    assert "finds F2" in capsys.readouterr().out


def _url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False).replace(
        "postgresql+psycopg://", "postgresql://", 1)

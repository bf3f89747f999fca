"""Every write through the store is logged, in its transaction, with the record's hash before
and after; on both adapters."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa

from mineaction import audit
from mineaction import domain as d
from mineaction.access import Actor, Role
from mineaction.audit.canonical import record_hash
from mineaction.domain.layers import get_layer
from mineaction.errors import Conflict, StoreError
from tests.contract.samples import CORE_LAYERS, sample

from .helpers import raw

T0 = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)


def stored_hash(store, record) -> str:
    """The hash of the record as the store gives it back now."""
    return record_hash(get_layer(type(record)), store.get(type(record), record.id))


@pytest.mark.parametrize("layer", CORE_LAYERS)
def test_insert_and_update_of_every_layer_are_logged_with_the_stored_hashes(store, layer):
    rec = sample(layer)
    with store.transaction() as tx:
        tx.add(rec)
    inserted = stored_hash(store, rec)
    changed = dataclasses.replace(store.get(type(rec), rec.id), notes="checked in the field")
    with store.transaction() as tx:
        tx.update(changed)
    updated = stored_hash(store, rec)
    assert updated != inserted
    log = audit.entries(store)
    assert [(e.action, e.layer, e.record_id) for e in log] == [
        ("insert", get_layer(layer).name, rec.id), ("update", get_layer(layer).name, rec.id)]
    assert log[0].before_hash is None and log[0].after_hash == inserted
    # the update continues from the state the insert left: one chain of states per record
    assert log[1].before_hash == inserted and log[1].after_hash == updated
    assert audit.verify_store(store).ok


def test_bulk_insert_logs_one_entry_per_record_in_the_order_written(store):
    finds = [sample("finds", i) for i in range(5)]
    hazards = [sample("hazards", i) for i in range(3)]
    with store.transaction() as tx:
        tx.add_many([*finds, *hazards])
    log = audit.entries(store)
    assert [e.seq for e in log] == list(range(1, 9))
    assert {e.tx for e in log} == {log[0].tx}
    assert sorted((e.layer, e.record_id) for e in log) == sorted(
        [("finds", f.id) for f in finds] + [("hazards", h.id) for h in hazards])
    for e in log:
        rec = store.get(e.layer, e.record_id)
        assert e.after_hash == record_hash(get_layer(e.layer), rec)
        assert e.action == "insert" and e.before_hash is None


def test_the_transaction_actor_and_clock_are_logged(store):
    clerk = Actor("Amina K.", frozenset({Role.IM_OFFICER}), org_id="ORG-7", user_id="u-42")
    with store.transaction(actor=clerk, clock=lambda: T0) as tx:
        tx.add(sample("finds"))
    (e,) = audit.entries(store)
    assert (e.actor, e.actor_user, e.actor_org) == ("Amina K.", "u-42", "ORG-7")
    assert e.at == "2024-03-01T08:30:00.000000Z"


def test_a_time_from_another_zone_is_logged_in_utc_and_a_naive_one_refused(store):
    plus3 = dt.timezone(dt.timedelta(hours=3))
    with store.transaction(clock=lambda: dt.datetime(2024, 3, 1, 11, 30, tzinfo=plus3)) as tx:
        tx.add(sample("finds"))
    assert audit.entries(store)[0].at == "2024-03-01T08:30:00.000000Z"
    with pytest.raises(ValueError, match="time zone"), \
            store.transaction(clock=lambda: dt.datetime(2024, 3, 1)) as tx:
        tx.add(sample("finds", 1))
    assert store.count("finds") == 1 and len(audit.entries(store)) == 1


def test_the_default_actor_is_the_operating_system_user(store):
    import getpass

    with store.transaction() as tx:
        tx.add(sample("finds"))
    assert audit.entries(store)[0].actor == getpass.getuser()


def test_a_failed_write_logs_nothing(store):
    with store.transaction() as tx:
        tx.add(sample("finds", 0))
    # the duplicate is in the second batch: the first batch went in, then all rolled back
    from mineaction.store.sql import BATCH

    batch = [sample("finds", i) for i in range(1, BATCH + 5)] + [sample("finds", 0)]
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.add_many(batch)
    stale = store.get(d.Find, "F0")
    stale.version = 7
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.update(stale)
    assert [e.record_id for e in audit.entries(store)] == ["F0"]
    assert store.count("finds") == 1


def test_events_are_logged_with_the_transaction_or_alone(store):
    rec = sample("hazards")
    with store.transaction(actor=Actor("Dana", org_id="MAC")) as tx:
        tx.add(rec)
        audit.record(tx, audit.APPROVE, record=rec, after=rec, detail={"note": "as surveyed"})
    audit.record(store, audit.EXPORT, layer="hazards", actor=Actor("Eli"),
                 detail={"format": "geojson", "records": 1, "area_m2": 1234.5})
    with pytest.raises(RuntimeError), store.transaction() as tx:
        audit.record(tx, audit.SHARE, detail={"with": "ORG-2"})
        raise RuntimeError("the sharing change failed")
    log = audit.entries(store)
    assert [e.action for e in log] == ["insert", "approve", "export"]
    approve, export = log[1], log[2]
    assert approve.actor == "Dana" and approve.layer == "hazards" and approve.record_id == "H0"
    assert approve.after_hash == log[0].after_hash == stored_hash(store, rec)
    assert approve.tx == log[0].tx
    assert export.actor == "Eli" and export.tx != approve.tx
    assert export.detail == {"format": "geojson", "records": 1, "area_m2": "1234.5"}
    assert audit.verify_store(store).ok


def test_events_cannot_claim_the_store_s_own_actions(store):
    for action in ("insert", "update", "checkpoint", "baseline"):
        with pytest.raises(ValueError, match="store alone"):
            audit.record(store, action, layer="finds", record="F1")
    with pytest.raises(ValueError, match="lower-case"):
        audit.record(store, "Approve; DROP TABLE")
    assert audit.entries(store) == []


def test_personal_reads_are_logged_one_entry_per_person_at_once(store):
    reader = Actor("Case worker", frozenset({Role.ANALYST}), org_id="ORG-3", user_id="u-9")
    with store.reading() as r:  # a read-only session: the entries commit on their own
        audit.personal_read_hook(r, reader, "victims-personal", ["V1", "V2", "V1"],
                                 fields=["name", "phone"], purpose="follow-up")
    with store.transaction() as tx:
        audit.personal_read_hook(tx, reader, d.VictimPersonal, ["V3"])
    log = audit.entries(store, record_id="V1")
    assert len(log) == 1
    e = log[0]
    assert (e.action, e.layer, e.actor_user, e.actor_org) == (
        "personal_read", "victims-personal", "u-9", "ORG-3")
    assert e.detail == {"fields": ["name", "phone"], "purpose": "follow-up"}
    assert [x.record_id for x in audit.entries(store, action="personal_read")] == [
        "V1", "V2", "V3"]


def test_entries_can_be_filtered(store):
    a, b = Actor("Ana", user_id="u-1"), Actor("Ben", user_id="u-2")
    with store.transaction(actor=a, clock=lambda: T0) as tx:
        tx.add_many([sample("finds", 1), sample("hazards", 1)])
    with store.transaction(actor=b, clock=lambda: T0 + dt.timedelta(days=2)) as tx:
        tx.add(sample("finds", 2))
    assert [e.record_id for e in audit.entries(store, layer="finds")] == ["F1", "F2"]
    assert [e.record_id for e in audit.entries(store, actor="u-2")] == ["F2"]
    assert [e.record_id for e in audit.entries(store, actor="Ana")] == ["F1", "H1"]
    assert [e.record_id for e in audit.entries(store, record_id="H1")] == ["H1"]
    assert [e.record_id for e in audit.entries(store, since=dt.date(2024, 3, 2))] == ["F2"]
    assert [e.record_id for e in audit.entries(store, limit=1, newest_first=True)] == ["F2"]


def test_the_log_refuses_update_and_delete(store):
    with store.transaction() as tx:
        tx.add(sample("finds"))
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
                store.engine.begin() as conn:
            conn.execute(sa.text(sql))
    assert raw(store)[0]["actor"] != "someone else"
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
                store.engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE audit_log"))
    assert len(audit.entries(store)) == 1


def test_a_read_only_session_cannot_log_an_event(store):
    with store.reading() as r, pytest.raises(StoreError, match="write transaction"):
        audit.record(r, audit.EXPORT)


def test_concurrent_writers_never_fork_the_chain(store_url):
    import threading

    from mineaction.store import open_store

    setup = open_store(store_url)
    setup.create()
    setup.close()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        s = open_store(store_url)
        try:
            barrier.wait()
            for j in range(5):
                with s.transaction(actor=Actor(f"writer {k}")) as tx:
                    tx.add_many([sample("finds", 100 * k + 10 * j + i) for i in range(3)])
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s = open_store(store_url)
    try:
        log = audit.entries(s)
        assert [e.seq for e in log] == list(range(1, 61))
        # each transaction's entries are contiguous: appended whole under the lock
        order = [e.tx for e in log]
        assert all(len(set(order[i:i + 3])) == 1 for i in range(0, 60, 3))
        assert audit.verify_store(s).ok
    finally:
        s.close()


def test_a_bulk_update_logs_one_entry_per_record_and_checks_every_version(store):
    hazards = [sample("hazards", i) for i in range(3)]
    with store.transaction() as tx:
        tx.add_many(hazards)
    inserted = [stored_hash(store, h) for h in hazards]
    changed = [dataclasses.replace(store.get(d.Hazard, h.id), notes=f"checked {i}")
               for i, h in enumerate(hazards)]
    with store.transaction() as tx:
        assert tx.update_many(changed) == 3
    assert [h.version for h in changed] == [2, 2, 2]
    assert [store.get(d.Hazard, h.id).notes for h in hazards] == [
        "checked 0", "checked 1", "checked 2"]
    updates = audit.entries(store, action="update")
    assert [(e.record_id, e.before_hash, e.after_hash) for e in updates] == [
        (h.id, before, stored_hash(store, h)) for h, before in zip(hazards, inserted,
                                                                    strict=True)]
    assert audit.verify_store(store).ok
    # one record read before another writer changed it: nothing of the batch is written
    stale = [dataclasses.replace(store.get(d.Hazard, h.id), notes="late") for h in hazards]
    stale[1].version -= 1
    with pytest.raises(Conflict, match="changed by someone else"), \
            store.transaction() as tx:
        tx.update_many(stale)
    assert [store.get(d.Hazard, h.id).notes for h in hazards] == [
        "checked 0", "checked 1", "checked 2"]
    assert len(audit.entries(store, action="update")) == 3

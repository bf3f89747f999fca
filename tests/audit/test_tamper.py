"""Tampering by hand through SQL is found, and the first bad entry named; on both adapters."""

from __future__ import annotations

import pytest

from mineaction import audit
from mineaction.audit.checkpoint import generate
from tests.contract.samples import sample

from .helpers import raw, rechain, tamper


@pytest.fixture
def logged(store):
    """A store whose log holds 12 entries: 10 finds inserted in 3 transactions, then 2
    updates."""
    finds = [sample("finds", i) for i in range(10)]
    with store.transaction() as tx:
        tx.add_many(finds[:4])
    with store.transaction() as tx:
        tx.add_many(finds[4:7])
    with store.transaction() as tx:
        tx.add_many(finds[7:])
    for i in (2, 5):
        rec = store.get("finds", f"F{i}")
        rec.quantity += 1
        with store.transaction() as tx:
            tx.update(rec)
    assert len(raw(store)) == 12 and audit.verify_store(store).ok
    return store


def broken(store, **kw) -> audit.Report:
    report = audit.verify_store(store, **kw)
    assert not report.ok, report.summary()
    return report


@pytest.mark.parametrize("column,value", [
    ("actor", "'somebody else'"), ("after_hash", "'" + "ab" * 32 + "'"),
    ("at", "'2020-01-01T00:00:00.000000Z'"), ("record_id", "'F99'"), ("action", "'approve'"),
    ("detail", "'{}'")])
def test_a_changed_field_names_its_entry(logged, column, value):
    tamper(logged, f"UPDATE audit_log SET {column} = {value} WHERE seq = 6")
    report = broken(logged)
    assert report.bad_seq == 6
    assert "entry 6 was changed" in report.problem


def test_a_deleted_entry_is_named(logged):
    tamper(logged, "DELETE FROM audit_log WHERE seq = 5")
    report = broken(logged)
    assert report.bad_seq == 5 and "entry 5 is missing" in report.problem


def test_deleted_entries_renumbered_are_found_where_they_were(logged):
    tamper(logged, "DELETE FROM audit_log WHERE seq = 5",
           "UPDATE audit_log SET seq = seq + 1000 WHERE seq > 5",
           "UPDATE audit_log SET seq = seq - 1001 WHERE seq > 1000")
    report = broken(logged)
    assert report.bad_seq == 5 and "was entry 6" in report.problem


def test_an_inserted_entry_is_named(logged):
    rows = raw(logged)
    forged = dict(rows[3], seq=5, actor="intruder", record_id="F42")
    from mineaction.audit.canonical import entry_hash

    forged["prev_hash"] = rows[3]["hash"]
    forged["hash"] = entry_hash(forged["prev_hash"], forged)  # a well-formed entry 5
    cols = ", ".join(forged)
    tamper(logged, "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 5",
           "UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000",
           f"INSERT INTO audit_log ({cols}) VALUES ({', '.join(':' + c for c in forged)})",
           params=forged)
    report = broken(logged)
    assert report.bad_seq == 5 and "entry 5 was inserted" in report.problem


def test_reordered_entries_are_named(logged):
    tamper(logged, "UPDATE audit_log SET seq = 1007 WHERE seq = 7",
           "UPDATE audit_log SET seq = 7 WHERE seq = 8",
           "UPDATE audit_log SET seq = 8 WHERE seq = 1007")
    report = broken(logged)
    assert report.bad_seq == 7 and "was entry 8" in report.problem


def test_an_appended_entry_with_a_made_up_hash_is_named(logged):
    row = dict(raw(logged)[-1], seq=13, actor="intruder", hash="cd" * 32)
    row["prev_hash"] = raw(logged)[-1]["hash"]
    cols = ", ".join(row)
    tamper(logged, f"INSERT INTO audit_log ({cols}) VALUES ({', '.join(':' + c for c in row)})",
           params=row)
    assert broken(logged).bad_seq == 13


def test_an_entry_rewritten_with_its_own_hash_recomputed_breaks_the_next_link(logged):
    from mineaction.audit.canonical import entry_hash

    row = dict(raw(logged)[5], actor="somebody else")
    row["hash"] = entry_hash(row["prev_hash"], row)
    tamper(logged, "UPDATE audit_log SET actor = :actor, hash = :hash WHERE seq = 6",
           params=row)
    report = broken(logged)
    assert report.bad_seq == 6 and "entry 7 no longer follows entry 6" in report.problem


def test_verify_from_an_entry_checks_from_there_on(logged):
    tamper(logged, "UPDATE audit_log SET actor = 'x' WHERE seq = 3")
    assert broken(logged).bad_seq == 3
    report = audit.verify_store(logged, from_seq=4)
    assert report.ok and report.count == 9 and report.head[0] == 12


def test_a_rewritten_tail_is_found_by_the_checkpoint_after_it(logged, tmp_path):
    key, _ = generate(tmp_path / "k")
    signed_seq, _, cp_seq = audit.make_checkpoint(logged, key)
    assert (signed_seq, cp_seq) == (12, 13)
    with logged.transaction() as tx:
        tx.add(sample("finds", 50))
    # someone drops the trigger, rewrites entry 8 and recomputes every hash after it
    tamper(logged, "UPDATE audit_log SET actor = 'somebody else' WHERE seq = 8")
    rechain(logged, 8)
    report = broken(logged)
    assert report.bad_seq == 1
    assert "checkpoint 13" in report.problem and "entries 1-12 were rewritten" in report.problem


def test_a_rewritten_tail_after_the_last_checkpoint_is_found_only_by_an_exported_head(
        logged, tmp_path):
    key, _ = generate(tmp_path / "k")
    audit.make_checkpoint(logged, key)
    with logged.transaction() as tx:
        tx.add_many([sample("finds", 50), sample("finds", 51)])
    seq, exported, _ = audit.head(logged)
    assert seq == 15
    tamper(logged, "UPDATE audit_log SET actor = 'somebody else' WHERE seq = 14")
    rechain(logged, 14)
    assert audit.verify_store(logged).ok  # the chain alone cannot tell: the docs say so
    report = broken(logged, expect_head=(seq, exported))
    assert report.bad_seq == 15 and "exported head" in report.problem


def test_a_deleted_tail_is_found_by_an_exported_head(logged):
    seq, exported, _ = audit.head(logged)
    tamper(logged, "DELETE FROM audit_log WHERE seq >= 11")
    assert audit.verify_store(logged).ok
    report = broken(logged, expect_head=(seq, exported))
    assert report.bad_seq == 11 and "entries 11-12 were deleted" in report.problem

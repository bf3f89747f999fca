"""An import is logged whole, in its own transaction, or not at all; a migrated store starts
its log with a baseline of every record."""

from __future__ import annotations

import dataclasses

import pytest

from mineaction import audit
from mineaction.audit.canonical import record_hash
from mineaction.domain.layers import get_layer
from mineaction.errors import InvalidInput
from mineaction.io.load import import_file
from mineaction.store import open_store

N = 10_000


def finds_csv(path, bad_row: int | None = None):
    lines = ["id,category,quantity,found_on,lon,lat,source"]
    for i in range(N):
        day = "2023-02-30" if i == bad_row else f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}"
        lines.append(f"F{i:05d},ap,1,{day},{50.4 + (i % 100) * 0.01:.5f},"
                     f"{41.0 + (i // 100) * 0.008:.5f},synthetic:test")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_import_of_10000_rows_logs_10000_entries_in_one_transaction(store, tmp_path):
    result = import_file(store, "finds", finds_csv(tmp_path / "finds.csv"))
    assert result.count == N
    log = audit.entries(store)
    assert len(log) == N
    assert [e.seq for e in log] == list(range(1, N + 1))
    assert len({e.tx for e in log}) == 1
    assert {e.action for e in log} == {"insert"}
    assert sorted(e.record_id for e in log) == [f"F{i:05d}" for i in range(N)]
    # spot checks: the logged hash is the record as stored
    layer = get_layer("finds")
    for e in log[:: N // 7]:
        assert e.after_hash == record_hash(layer, store.get("finds", e.record_id))
    report = audit.verify_store(store)
    assert report.ok and report.count == N and report.head == (N, log[-1].hash)


def test_a_refused_import_logs_nothing(store, tmp_path):
    with pytest.raises(InvalidInput):
        import_file(store, "finds", finds_csv(tmp_path / "finds.csv", bad_row=N - 3))
    assert store.count("finds") == 0
    assert audit.entries(store) == []
    assert audit.head(store) is None


def test_a_migrated_store_starts_its_log_with_a_baseline_of_every_record(store_url,
                                                                          monkeypatch):
    from tests.contract.test_migrations import schema_4_store

    schema_4_store(store_url, monkeypatch)
    s = open_store(store_url)
    try:
        said: list[tuple[int, str]] = []
        s.migrate(report=lambda v, m: said.append((v, m)))
        log = audit.entries(s)
        records = {(lyr, r.id): r for lyr in ("hazard-versions", "release-steps")
                   for r in s.iter(lyr)}
        assert len(log) == len(records) == 6
        assert {e.action for e in log} == {"baseline"}
        for e in log:  # the records as migration 6 corrected them
            assert e.after_hash == record_hash(get_layer(e.layer), records[(e.layer, e.record_id)])
        assert any("baseline entry for each of 6 stored records" in m for _, m in said)
        # the next write continues from the baseline
        hv = s.get("hazard-versions", "H2@1")
        with s.transaction() as tx:
            tx.update(dataclasses.replace(hv, notes="seen again"))
        last = audit.entries(s)[-1]
        baseline = next(e for e in log if e.record_id == "H2@1")
        assert last.action == "update" and last.before_hash == baseline.after_hash
        assert audit.verify_store(s).ok
    finally:
        s.close()

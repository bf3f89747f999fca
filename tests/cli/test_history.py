"""History that cannot be forged: derived layers are never imported, minefield records come in
only through their own checks and leave only by being withdrawn (kept, with the reason)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from mineaction.cli import main
from mineaction.domain.minefield_records import StoredMinefieldRecord
from mineaction.errors import InvalidInput
from mineaction.io.load import import_file
from mineaction.store import open_store
from mineaction.store.migrations import LATEST, MIGRATIONS
from tests.conftest import EXAMPLES

RECORD = EXAMPLES / "minefield-records" / "MR-0001.json"


def read(db: Path | str, fn):  # type: ignore[no-untyped-def]
    store = open_store(str(db))
    try:
        return fn(store)
    finally:
        store.close()


def summary(db: Path, capsys) -> str:  # type: ignore[no-untyped-def]
    assert main(["--db", str(db), "summary"]) == 0
    return capsys.readouterr().out


def test_derived_layers_are_refused_by_the_command(store_copy, tmp_path, capsys):
    """A release step with a negative cleared area used to change the summary."""
    square = ('"MULTIPOLYGON (((50.524 41.21, 50.528 41.21, 50.528 41.216, 50.524 41.216, '
              '50.524 41.21)))"')
    steps = tmp_path / "steps.csv"
    steps.write_text("id,activity_id,hazard_id,method,activity_kind,operator,released_on,"
                     "area_m2,contamination,admin_area_id,outside_hazard,wkt\n"
                     "FAKE-1,ACT-001,HZ-002,cleared,clearance,OP-A,2023-01-01,-500000,ap,D1,"
                     f"False,{square}\n", encoding="utf-8")
    versions = tmp_path / "versions.csv"
    versions.write_text("id,hazard_id,seq,valid_from,change,kind,status,threat,contamination,"
                        "area_m2,wkt\n"
                        f"HZ-002@99,HZ-002,99,2020-01-01,recorded,cha,closed,high,ap,1,{square}"
                        "\n", encoding="utf-8")
    before = summary(store_copy, capsys)
    counts = read(store_copy, lambda s: (s.count("release-steps"), s.count("hazard-versions")))
    for layer, path in (("release-steps", steps), ("hazard-versions", versions)):
        assert main(["--db", str(store_copy), "import", layer, str(path)]) == 2
        err = capsys.readouterr().err
        assert f"layer {layer}: cannot be imported" in err and "derived" in err
    assert summary(store_copy, capsys) == before
    assert read(store_copy, lambda s: (s.count("release-steps"),
                                       s.count("hazard-versions"))) == counts


@pytest.mark.parametrize("layer", ["hazard-versions", "minefield-records", "release-steps"])
def test_core_import_refuses_them_for_every_interface(layer, tmp_path):
    store = open_store(str(tmp_path / "s.gpkg"))
    store.create()
    try:
        with pytest.raises(InvalidInput) as info:
            import_file(store, layer, tmp_path / "never-read.csv")
        (problem,) = info.value.problems
        assert problem.where == f"layer {layer}" and "cannot be imported" in problem.reason
        assert store.count(layer) == 0
    finally:
        store.close()


def test_minefield_records_plain_import_points_to_records_import(store_copy, tmp_path, capsys):
    out = tmp_path / "mr.csv"
    assert main(["--db", str(store_copy), "export", "minefield-records", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["--db", str(store_copy), "import", "minefield-records", str(out)]) == 2
    assert "import them with 'mineaction records import FILE'" in capsys.readouterr().err


def test_withdraw_keeps_the_record_and_takes_it_out_of_assessment(store_copy, capsys):
    db = str(store_copy)
    assert main(["--db", db, "records", "assess", "--format", "json"]) == 0
    assessed = json.loads(capsys.readouterr().out)
    assert [r["record_id"] for r in assessed["records"]] == ["MR-0001"]
    before: StoredMinefieldRecord = read(db, lambda s: s.get(StoredMinefieldRecord, "MR-0001"))

    reason = "transcription does not match the scanned form"
    assert main(["--db", db, "records", "withdraw", "MR-0001", "--reason", reason]) == 0
    today = dt.date.today()
    assert f"withdrew minefield record MR-0001 on {today}: {reason}" in capsys.readouterr().out

    after: StoredMinefieldRecord = read(db, lambda s: s.get(StoredMinefieldRecord, "MR-0001"))
    assert (after.withdrawn_on, after.withdrawal_reason) == (today, reason)
    assert after.original == before.original and after.version == before.version + 1
    assert after.notes.endswith(f"\nwithdrawn on {today.isoformat()}: {reason}")
    assert after.notes.startswith(before.notes)
    assert after.assessment_status == before.assessment_status  # the last one, kept

    assert main(["--db", db, "records", "assess", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["records"] == [] and result["aggregate"]["records"] == 0
    assert "1 withdrawn record not assessed: MR-0001" in err
    assert main(["--db", db, "records", "assess", "--id", "MR-0001"]) == 0
    assert "not assessed: MR-0001" in capsys.readouterr().err

    assert main(["--db", db, "records", "georef"]) == 0
    assert "1 withdrawn record not georeferenced: MR-0001" in capsys.readouterr().err
    assert read(db, lambda s: s.get(StoredMinefieldRecord, "MR-0001")).version == after.version

    assert main(["--db", db, "records", "show", "MR-0001"]) == 0
    shown = capsys.readouterr().out
    assert f"withdrawn on {today}: {reason}" in shown and "no longer" in shown

    assert main(["--db", db, "records", "withdraw", "MR-0001", "--reason", "again"]) == 2
    assert f"already withdrawn on {today}" in capsys.readouterr().err
    assert read(db, lambda s: s.get(StoredMinefieldRecord, "MR-0001")).version == after.version


def test_a_broken_stored_record_can_be_withdrawn(store_copy, capsys):
    """A record stored without its checks (as the plain import allowed) stopped every
    assessment; withdrawing it lets the others be assessed again."""
    db = str(store_copy)

    def plant(store):  # type: ignore[no-untyped-def]
        row = store.get(StoredMinefieldRecord, "MR-0001")
        with store.transaction() as tx:
            tx.add(dataclasses.replace(row, id="MR-BAD", original='{"record_id": "MR-BAD"}',
                                       version=1))

    read(db, plant)
    assert main(["--db", db, "records", "assess"]) == 2
    err = capsys.readouterr().err
    assert "stored record MR-BAD" in err and "mineaction records withdraw ID" in err
    assert main(["--db", db, "records", "withdraw", "MR-BAD", "--reason", "unreadable"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "records", "assess", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert [r["record_id"] for r in json.loads(out)["records"]] == ["MR-0001"]
    assert "not assessed: MR-BAD" in err


def test_migration_adds_the_withdrawal_fields_to_an_older_store(tmp_path, capsys):
    db = tmp_path / "old.gpkg"
    store = open_store(str(db))
    try:
        assert store.migrate(4)[-1] == 4
    finally:
        store.close()
    # A store made before the fields were declared has no such columns.
    conn = sqlite3.connect(db)
    for column in ("withdrawn_on", "withdrawal_reason"):
        conn.execute(f"ALTER TABLE minefield_records DROP COLUMN {column}")
    conn.commit()
    conn.close()
    assert main(["--db", str(db), "records", "import", str(RECORD)]) == 1
    assert "run 'mineaction init' to migrate it" in capsys.readouterr().err
    assert main(["--db", str(db), "init"]) == 0
    assert f"migrated from 4 to {LATEST}" in capsys.readouterr().out
    conn = sqlite3.connect(db)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(minefield_records)")}
    conn.close()
    assert {"withdrawn_on", "withdrawal_reason"} <= columns
    assert main(["--db", str(db), "records", "import", str(RECORD)]) == 0
    assert main(["--db", str(db), "records", "withdraw", "MR-0001", "--reason", "test"]) == 0
    assert main(["--db", str(db), "init"]) == 0
    assert f"already at schema version {LATEST}" in capsys.readouterr().out


def test_withdrawal_migration_on_every_adapter(store_url):
    """Schema 7 adds the two columns to a schema-4 table on GeoPackage and PostGIS alike, and
    a withdrawal then round-trips through the store."""
    from mineaction.records.storage import import_records, read_files, withdraw

    store = open_store(store_url)
    try:
        assert store.migrate(4)[-1] == 4
        with store.engine.begin() as conn:  # the table as schema 4 made it
            for column in ("withdrawn_on", "withdrawal_reason"):
                conn.exec_driver_sql(f"ALTER TABLE minefield_records DROP COLUMN {column}")
        assert store.migrate() == sorted(m.version for m in MIGRATIONS if m.version > 4)
        import_records(store, read_files([RECORD]))
        on = dt.date(2024, 5, 1)
        withdraw(store, "MR-0001", "duplicate of MR-0007", on)
        row = store.get(StoredMinefieldRecord, "MR-0001")
        assert (row.withdrawn_on, row.withdrawal_reason) == (on, "duplicate of MR-0007")
        assert store.migrate() == []
    finally:
        store.close()

"""``mineaction audit``: verify, head, list, checkpoint and keygen from the command line."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from mineaction.cli import main


def run(db, *args, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["--db", str(db), "audit", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_the_example_store_verifies_and_its_imports_are_listed(store_copy, capsys):
    rc, out, _ = run(store_copy, "verify", capsys=capsys)
    assert rc == 0 and out.startswith("audit log OK:")
    rc, head, _ = run(store_copy, "head", capsys=capsys)
    seq, _, rest = head.partition(":")
    assert rc == 0 and int(seq) > 20 and len(rest.split()[0]) == 64
    assert f"head {seq}:{rest.split()[0]}" in out
    rc, out, _ = run(store_copy, "list", "--layer", "finds", "--format", "json", "--limit", "0",
                     capsys=capsys)
    lines = [json.loads(x) for x in out.splitlines()]
    assert rc == 0 and lines and {e["layer"] for e in lines} == {"finds"}
    assert {e["action"] for e in lines} == {"insert"}
    rc, out, _ = run(store_copy, "list", "--record", lines[0]["record_id"], capsys=capsys)
    assert rc == 0 and lines[0]["record_id"] in out and "1 entry" in out


def test_verify_exits_2_and_names_the_changed_entry(store_copy, capsys):
    with sqlite3.connect(store_copy) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 7")
    rc, out, _ = run(store_copy, "verify", capsys=capsys)
    assert rc == 2
    assert "BROKEN at entry 7" in out and "entry 7 was changed" in out
    rc, out, _ = run(store_copy, "verify", "--from", "8", capsys=capsys)
    assert rc == 0


def test_verify_says_what_it_found_in_the_language_of_the_command_line(store_copy, tmp_path,
                                                                      capsys, monkeypatch):
    def verify(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        rc = main(["--db", str(store_copy), "--lang", "ru", "audit", "verify", *args])
        return rc, " ".join(capsys.readouterr().out.split())

    rc, out = verify("--records")
    said = re.match(r"журнал аудита в порядке: провер(ена|ены|ено) (\d+) запис(ь|и|ей) ", out)
    assert rc == 0 and said, out
    n = int(said[2])
    # the Russian form its number takes (62: "проверены 62 записи")
    assert n > 20 and said[1] == {1: "ена", 2: "ены", 3: "ены", 4: "ены"}.get(
        n % 10 if n % 100 not in (11, 12, 13, 14) else 0, "ено")
    assert f"(записи 1-{n}); вершина {n}:" in out and "контрольных точек нет" in out
    assert "записи в порядке: каждая из " in out
    key = tmp_path / "k.key"
    monkeypatch.setenv("MINEACTION_AUDIT_KEY", str(key))
    assert main(["--db", str(store_copy), "audit", "keygen", "-o", str(key)]) == 0
    assert main(["--db", str(store_copy), "audit", "checkpoint"]) == 0
    rc, out = verify()
    assert rc == 0 and f"подтверждена 1 контрольная точка, последняя — на записи {n + 1}" in out
    assert "не сверен с доверенным ключом: укажите --trust" in out
    with sqlite3.connect(store_copy) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 7")
    rc, out = verify()
    assert rc == 2 and out == ("журнал аудита НАРУШЕН на записи 7: запись 7 изменена: хеш её "
                               "содержимого больше не совпадает с сохранённым")
    assert "entry" not in out and "BROKEN" not in out


def test_checkpoint_with_a_key_and_verify_with_the_right_and_a_wrong_one(store_copy,
                                                                         tmp_path, capsys,
                                                                         monkeypatch):
    mine, other = tmp_path / "mine.key", tmp_path / "other.key"
    assert run(store_copy, "keygen", "-o", str(mine), capsys=capsys)[0] == 0
    assert run(store_copy, "keygen", "-o", str(other), capsys=capsys)[0] == 0
    rc, _, err = run(store_copy, "keygen", "-o", str(mine), capsys=capsys)
    assert rc == 2 and "exists already" in err
    monkeypatch.delenv("MINEACTION_AUDIT_KEY", raising=False)
    rc, _, err = run(store_copy, "checkpoint", capsys=capsys)
    assert rc == 2 and "--key" in err
    monkeypatch.setenv("MINEACTION_AUDIT_KEY", str(mine))
    rc, out, _ = run(store_copy, "checkpoint", capsys=capsys)
    assert rc == 0 and out.startswith("checkpoint ")
    rc, out, _ = run(store_copy, "verify", "--trust", f"{mine}.pub", capsys=capsys)
    assert rc == 0 and "1 checkpoint verified" in out and "(trusted key)" in out
    rc, out, _ = run(store_copy, "verify", "--trust", f"{other}.pub", capsys=capsys)
    assert rc == 2 and "not one of the trusted keys" in out


def test_verify_with_an_exported_head_finds_a_deleted_tail(store_copy, capsys):
    head = run(store_copy, "head", capsys=capsys)[1].split()[0]
    with sqlite3.connect(store_copy) as conn:
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    assert run(store_copy, "verify", capsys=capsys)[0] == 0
    rc, out, _ = run(store_copy, "verify", "--head", head, capsys=capsys)
    assert rc == 2 and f"entry {head.split(':')[0]} was deleted" in out
    rc, _, err = run(store_copy, "verify", "--head", "12:nothex", capsys=capsys)
    assert rc == 2 and "SEQ:HASH" in err


@pytest.mark.parametrize("since,expected", [("2000-01-01", True), ("2999-01-01", False)])
def test_list_since(store_copy, capsys, since, expected):
    rc, out, _ = run(store_copy, "list", "--since", since, "--format", "json", capsys=capsys)
    assert rc == 0 and bool(out.strip()) is expected
    rc, _, err = run(store_copy, "list", "--since", "2024-01-01T10:00", capsys=capsys)
    assert rc == 2 and "time zone" in err

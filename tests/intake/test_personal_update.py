"""A newer copy of a victims file whose personal data changed, on every store: a new phone,
a corrected name or date of birth makes the victim changed and is written to its personal
record (a new version, through the store's update); a value the copy leaves blank keeps the
stored one; the record change names the personal fields, never their values; a dry run says
what the import does; an import that may not read personal data says it left it alone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mineaction import audit
from mineaction.cli import main
from mineaction.store import open_store
from tests.intake.test_messy_rows import run

HEADER = "id,group,outcome,sex,occurred_on,full_name,phone,date_of_birth\n"
V1 = "V-1,civilian,injured,male,2023-05-01,{name},{phone},{born}\n"
V2 = "V-2,civilian,killed,female,2023-06-02,{name},{phone},{born}\n"
FIRST = {"V-1": ("Test Person One", "+994 55 999 8877", "1980-01-02"),
         "V-2": ("Test Person Two-Second", "+994 12 345 6789", "1991-03-04")}
#: reading personal data is asked for, with a reason, as the policy wants
PERSONAL = ["--personal", "--reason", "re-import of a corrected victims file"]
COUNTS = re.compile(r"(\d+) new, (\d+) changed, (\d+) unchanged, (\d+) missing")


def victims(path: Path, rows: dict[str, tuple[str, str, str]]) -> Path:
    text = HEADER + "".join(
        (V1 if vid == "V-1" else V2).format(name=name, phone=phone, born=born)
        for vid, (name, phone, born) in rows.items())
    path.write_text(text, encoding="utf-8")
    return path


def counts(text: str) -> tuple[int, ...]:
    found = COUNTS.search(text)
    assert found, text
    return tuple(int(n) for n in found.groups())


@pytest.fixture
def db(store_url: str, tmp_path: Path) -> str:
    assert main(["--db", store_url, "init"]) == 0
    assert main(["--db", store_url, "import", "victims",
                 str(victims(tmp_path / "first.csv", FIRST))]) == 0
    return store_url


def personal(db: str) -> dict[str, Any]:
    with open_store(db) as store:
        return {p.victim_id: p for p in store.query("victims-personal")}


def changes(db: str) -> dict[str, Any]:
    with open_store(db) as store:
        return {c.record_id: json.loads(c.changes) for c in store.query("record-changes")}


def test_a_new_phone_makes_the_victim_changed_and_is_stored(db: str, tmp_path: Path,
                                                            capsys: Any) -> None:
    newer = victims(tmp_path / "newer.csv", {
        "V-1": ("Test Person One", "+994 55 000 1111", "1980-01-02"), "V-2": FIRST["V-2"]})
    code, text = run(capsys, "--db", db, *PERSONAL, "import", "victims", str(newer))
    assert code == 0 and counts(text) == (0, 1, 1, 0), text
    p = personal(db)
    assert (p["V-1"].contact, p["V-1"].version) == ("+994 55 000 1111", 2)
    assert p["V-1"].full_name == "Test Person One"
    assert p["V-2"].version == 1
    with open_store(db) as store:
        assert store.get("victims", "V-1").version == 2
        assert store.get("victims", "V-2").version == 1
        # read to compare (a read of personal data, recorded), then written through the
        # store's update: the audit log has both
        assert [e.action for e in audit.entries(store, layer="victims-personal",
                                                record_id="V-1/personal")] == [
            "insert", "personal_read", "update"]
    # what the import says and records names the field, never a value
    assert changes(db) == {"V-1": {"personal": ["contact"]}}
    assert "000 1111" not in text and "999 8877" not in text


def test_a_corrected_name_and_date_of_birth_are_stored(db: str, tmp_path: Path,
                                                       capsys: Any) -> None:
    newer = victims(tmp_path / "newer.csv", {
        "V-1": FIRST["V-1"], "V-2": ("Test Person Two", "+994 12 345 6789", "1991-04-03")})
    code, text = run(capsys, "--db", db, *PERSONAL, "import", "victims", str(newer))
    assert code == 0 and counts(text) == (0, 1, 1, 0), text
    p = personal(db)["V-2"]
    assert (p.full_name, p.born_on.isoformat(), p.contact) == (
        "Test Person Two", "1991-04-03", "+994 12 345 6789")
    assert changes(db) == {"V-2": {"personal": ["born_on", "full_name"]}}
    assert "Test Person" not in text and "1991-0" not in text


def test_a_blank_personal_value_keeps_the_stored_one(db: str, tmp_path: Path,
                                                     capsys: Any) -> None:
    newer = victims(tmp_path / "newer.csv", {
        "V-1": ("", "", ""), "V-2": ("Test Person Two", "", "")})
    code, text = run(capsys, "--db", db, *PERSONAL, "import", "victims", str(newer))
    assert code == 0 and counts(text) == (0, 1, 1, 0), text
    p = personal(db)
    assert (p["V-1"].full_name, p["V-1"].contact, p["V-1"].born_on.isoformat(),
            p["V-1"].version) == (*FIRST["V-1"], 1)
    assert (p["V-2"].full_name, p["V-2"].contact, p["V-2"].born_on.isoformat()) == (
        "Test Person Two", "+994 12 345 6789", "1991-03-04")
    assert changes(db) == {"V-2": {"personal": ["full_name"]}}


def test_unchanged_personal_data_leaves_the_victim_unchanged(db: str, tmp_path: Path,
                                                             capsys: Any) -> None:
    newer = victims(tmp_path / "newer.csv", {
        "V-1": FIRST["V-1"], "V-2": ("Test Person Two-Second", "+994 12 000 0000",
                                     "1991-03-04")})
    code, text = run(capsys, "--db", db, *PERSONAL, "import", "victims", str(newer))
    assert code == 0 and counts(text) == (0, 1, 1, 0), text
    code, text = run(capsys, "--db", db, *PERSONAL, "import", "victims", str(newer))
    assert code == 0 and counts(text) == (0, 0, 2, 0), text
    p = personal(db)
    assert (p["V-1"].version, p["V-2"].version) == (1, 2)
    assert list(changes(db)) == ["V-2"]


def test_personal_data_new_for_a_stored_victim_is_added(store_url: str, tmp_path: Path,
                                                        capsys: Any) -> None:
    assert main(["--db", store_url, "init"]) == 0
    bare = tmp_path / "bare.csv"
    bare.write_text("id,group,outcome,sex,occurred_on\n"
                    "V-1,civilian,injured,male,2023-05-01\n", encoding="utf-8")
    assert main(["--db", store_url, "import", "victims", str(bare)]) == 0
    assert personal(store_url) == {}
    newer = victims(tmp_path / "newer.csv", {"V-1": FIRST["V-1"]})
    code, text = run(capsys, "--db", store_url, *PERSONAL, "import", "victims", str(newer))
    assert code == 0 and counts(text) == (0, 1, 0, 0), text
    p = personal(store_url)["V-1"]
    assert (p.id, p.full_name, p.contact) == ("V-1/personal", *FIRST["V-1"][:2])
    assert changes(store_url) == {"V-1": {"personal": ["born_on", "contact", "full_name"]}}


def test_a_dry_run_says_what_the_import_does(db: str, tmp_path: Path, capsys: Any) -> None:
    newer = victims(tmp_path / "newer.csv", {
        "V-1": ("Test Person One", "+994 55 000 1111", "1980-01-02"), "V-2": FIRST["V-2"]})
    code, dry = run(capsys, "--db", db, *PERSONAL, "import", "victims", str(newer),
                    "--dry-run")
    assert code == 0 and "nothing written" in dry, dry
    assert personal(db)["V-1"].contact == FIRST["V-1"][1] and changes(db) == {}
    code, real = run(capsys, "--db", db, *PERSONAL, "import", "victims", str(newer))
    assert code == 0 and counts(dry) == counts(real) == (0, 1, 1, 0), (dry, real)
    assert personal(db)["V-1"].contact == "+994 55 000 1111"


def test_without_reading_personal_data_the_import_says_it_left_it(db: str, tmp_path: Path,
                                                                  capsys: Any) -> None:
    newer = victims(tmp_path / "newer.csv", {
        "V-1": ("Test Person One", "+994 55 000 1111", "1980-01-02"), "V-2": FIRST["V-2"]})
    code, text = run(capsys, "--db", db, "import", "victims", str(newer))
    assert code == 0 and counts(text) == (0, 0, 2, 0), text
    flat = " ".join(text.split())
    assert "personal data the file holds for 2 stored victims records was neither" in flat
    assert "--personal --reason TEXT" in flat
    assert personal(db)["V-1"].contact == FIRST["V-1"][1]

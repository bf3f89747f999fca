"""The workbench at the command line: import --submit, review list, show, approve, reject."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, box

from mineaction.cli import main
from mineaction.store import open_store
from tests.review.conftest import feature, geojson_file


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_submit_then_review(store_url: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = store_url
    assert run(capsys, "--db", db, "init")[0] == 0
    hazards = tmp_path / "hazards.geojson"
    geojson_file(hazards, [feature(MultiPolygon([box(50.6, 41.2, 50.61, 41.21)]), id="H1",
                                   kind="cha", recorded_on="2020-01-01")])
    assert run(capsys, "--db", db, "--as", "lead", "import", "hazards", str(hazards))[0] == 0
    acts = tmp_path / "acts.geojson"
    geojson_file(acts, [feature(box(50.6, 41.2, 50.605, 41.21), id="T1", kind="clearance",
                                operator="OA", ended_on="2024-05-20", outcome="cleared")])
    code, out, _ = run(capsys, "--db", db, "--as", "alice", "import", "activities", str(acts),
                       "--submit")
    assert code == 0 and "for review as" in out
    sub_id = re.search(r"as (S-\S+)", out).group(1)  # type: ignore[union-attr]
    with open_store(db) as s:
        assert s.count("activities") == 0 and len(s.get("submissions", sub_id).checksum) == 64

    code, out, _ = run(capsys, "--db", db, "review", "list", "--status", "pending")
    assert code == 0 and sub_id in out and "alice" in out
    code, out, _ = run(capsys, "--db", db, "--as", "bob", "review", "show", sub_id)
    assert code == 0 and "new: 1 (T1)" in out and "H1" in out and "cleared" in out
    code, out, _ = run(capsys, "--db", db, "--as", "bob", "--lang", "ru", "review", "show",
                       sub_id)
    for said in ("1 запись activities, ожидает", "новых: 1 (T1)", "высвобождено этапов: 1",
                 "Земля, которая была бы высвобождена", "расчищено", "подал(а) alice"):
        assert said in out, said
    code, _, err = run(capsys, "--db", db, "--as", "alice", "review", "approve", sub_id)
    assert code == 1 and "submitted this" in err
    code, _, err = run(capsys, "--db", db, "review", "list", "--status", "maybe")
    assert code == 2 and "pending" in err
    code, out, _ = run(capsys, "--db", db, "--as", "bob", "review", "approve", sub_id,
                       "--note", "matches the completion report")
    assert code == 0 and "1 new" in out and "released 1 step(s)" in out
    with open_store(db) as s:
        assert s.count("activities") == 1 and s.count("release-steps") == 1
    code, out, _ = run(capsys, "--db", db, "review", "show", sub_id)
    assert "approved by bob" in out and "matches the completion report" in out
    # the same in the reader's language: the list, the show, the hook's messages
    code, out, _ = run(capsys, "--db", db, "--lang", "ru", "review", "list")
    assert code == 0 and "Заявки (1)" in out and "одобрена" in out and "approved" not in out
    code, out, _ = run(capsys, "--db", db, "--lang", "ru", "review", "show", sub_id)
    assert "1 запись activities, одобрена" in out and "одобрена: bob" in out

    code, _, err = run(capsys, "--db", db, "--as", "alice", "import", "activities",
                       str(acts), "--submit")
    assert code == 2 and "T1" in err  # the id is stored now: refused as an import is
    code, _, err = run(capsys, "--db", db, "--as", "bob", "review", "reject", sub_id)
    assert code == 2 and "--note" in err
    code, _, err = run(capsys, "--db", db, "--as", "bob", "review", "reject", sub_id,
                       "--note", "too late")
    assert code == 1 and "approved already" in err


def test_a_submission_s_warnings_are_said_in_the_reviewer_s_language(
        store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import dataclasses
    import json

    from mineaction.services import review

    db = store_url
    assert run(capsys, "--db", db, "init")[0] == 0
    hazards = tmp_path / "hazards.geojson"
    geojson_file(hazards, [feature(MultiPolygon([box(50.6, 41.2, 50.61, 41.21)]), id="H9",
                                   kind="sha", recorded_on="2020-01-01")])
    # Pulkovo 1942 has several transformations to WGS 84 here: the one used is a warning
    code, out, err = run(capsys, "--db", db, "--as", "alice", "--lang", "ru", "import",
                         "hazards", str(hazards), "--crs", "EPSG:4284", "--submit")
    assert code == 0 and "использует иной датум, чем WGS84" in err
    assert "отправлена на проверку" in out and "предупреждение:" in err
    sub_id = re.search(r"заявка (S-\S+)", out).group(1)  # type: ignore[union-attr]
    code, out, _ = run(capsys, "--db", db, "--as", "bob", "--lang", "ka", "review", "show",
                       sub_id)
    assert code == 0 and "WGS84-ისგან განსხვავებულ დატუმზეა" in out and "another datum" not in out
    code, out, _ = run(capsys, "--db", db, "--as", "bob", "review", "show", sub_id)
    assert "is on another datum than WGS84" in out
    with open_store(db) as s:
        sub = s.get("submissions", sub_id)
    (stored,) = json.loads(sub.problems)  # its code and parameters are kept, and its English
    assert stored["code"] == "crs.datum_chosen" and stored["params"]["crs"].startswith("EPSG:4284")
    assert review.as_json(sub)["warnings"] == [stored["text"]]  # machines read the English
    older = dataclasses.replace(sub, problems=json.dumps(["a warning stored as text"]))
    assert review.warnings_of(older) == ["a warning stored as text"]

"""The command line never ends in a traceback: usage errors and invalid input exit 2, every other
failure exits 1 with one line on stderr (an unexpected one with the traceback in a log file)."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mineaction.cli import main
from mineaction.store import open_store
from mineaction.store.geopackage import GeoPackageStore
from tests.conftest import EXAMPLES

MINEACTION = Path(sys.executable).parent / "mineaction"
RECORD = json.loads((EXAMPLES / "minefield-records" / "MR-0001.json").read_text("utf-8"))


def record_file(folder: Path, name: str, change, *, raw: str | None = None) -> str:
    """A copy of the example record, changed by ``change(record)``, as a file."""
    rec = copy.deepcopy(RECORD)
    rec["record_id"] = f"MR-{name.upper()}"
    change(rec)
    path = folder / f"{name}.json"
    path.write_text(raw if raw is not None else json.dumps(rec), encoding="utf-8")
    return str(path)


def setup_files(folder: Path) -> dict[str, str]:
    """Files the cases below name as {placeholders}."""
    files: dict[str, str] = {}
    (folder / "text.gpkg").write_text("not a database\n", encoding="utf-8")
    files["text"] = str(folder / "text.gpkg")
    other = sqlite3.connect(folder / "other.sqlite")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    files["sqlite"] = str(folder / "other.sqlite")
    (folder / "some.csv").write_text("id\nX-1\n", encoding="utf-8")
    files["csv"] = str(folder / "some.csv")
    files["folder"] = str(folder)
    depth = 100_000
    files["deep"] = record_file(folder, "deep", lambda r: None,
                                raw=json.dumps(RECORD)[:-1] + ', "x-deep": ' + "[" * depth
                                + "]" * depth + "}")
    files["deep_ext"] = record_file(folder, "deepext", lambda r: r.update(
        {"x-deep": json.loads("[" * 200 + "]" * 200)}))

    def set_(path: tuple, value: float):  # type: ignore[no-untyped-def]
        def change(rec: dict) -> None:
            target = rec
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        return change

    nan, inf = float("nan"), float("inf")
    files["nan_x"] = record_file(folder, "nanx", set_(("reference_points", 0, "x"), nan))
    files["inf_y"] = record_file(folder, "infy", set_(("reference_points", 0, "y"), -inf))
    files["nan_bearing"] = record_file(folder, "nanb", set_(("turning_points", 1, "bearing"),
                                                           nan))
    files["inf_distance"] = record_file(folder, "infd", set_(("turning_points", 2,
                                                              "distance_m"), inf))
    files["nan_declination"] = record_file(folder, "nand", set_(("bearings", "declination_deg"),
                                                               nan))
    files["e999"] = record_file(folder, "e999", lambda r: None, raw=json.dumps(
        {**RECORD, "record_id": "MR-E999"}).replace('"distance_m": 150', '"distance_m": 1e999'))
    files["far_leg"] = record_file(folder, "farleg", set_(("turning_points", 1, "distance_m"),
                                                         1e308))
    files["far_point"] = record_file(folder, "farpoint", set_(("reference_points", 0, "x"),
                                                             1e300))
    files["far_mine"] = record_file(folder, "farmine", set_(("mines", 0, "distance_m"), 1e300))
    files["far_offset"] = record_file(folder, "faroffset", set_(("rows", 1, "offset",
                                                                 "distance_m"), 1e300))
    return files


USAGE = "usage"  # the usage and 'Error: ...' (click's form), exit 2

#: (argument list, exit status, text the message must hold, kind of message).
#: {store} is a copy of the example store, {other} another mineaction store, {x} a file above.
#: kinds: "usage"; "line" (exactly one line on stderr); "problems" (every problem listed, the
#: given field named, nothing written).
CASES: list[tuple[list[str], int, str, str]] = [
    # usage errors
    (["list"], 2, "Missing argument 'layer'", USAGE),
    (["list", "hazards", "--limit", "abc"], 2, "Invalid value for '--limit'", USAGE),
    (["lst"], 2, "No such command 'lst'", USAGE),
    (["report", "progress", "--year", "2023", "--quarter", "5"], 2, "'--quarter'", USAGE),
    (["report", "ap-release-by-district", "--year", "0"], 2, "'--year'", USAGE),
    (["report", "ap-release-by-district", "--year", "-5"], 2, "'--year'", USAGE),
    (["report", "ap-release-by-district", "--year", "10000"], 2, "'--year'", USAGE),
    # invalid arguments: one line, exit 2
    (["report", "progress", "--year", "9999", "--quarter", "4"], 2, "out of range", "line"),
    (["report", "progress", "--from", "2023-05-01", "--to", "2023-01-01"], 2,
     "is after --to", "line"),
    (["report", "casualties", "--year", "2023", "-o", "{folder}/r.doc"], 2,
     "cannot tell the report format", "line"),
    (["report", "casualties", "--year", "2023", "-o", "{folder}/missing/r.csv"], 2,
     "does not exist", "line"),
    (["export", "hazards", "-o", "{folder}/out.unknown"], 2, "cannot tell the format", "line"),
    (["export", "hazards", "-o", "{folder}/missing/out.csv"], 2, "does not exist", "line"),
    (["export", "hazards", "-o", "{folder}"], 2, "is a folder", "line"),
    (["list", "hazards", "--bbox", "1,2,3"], 2, "--bbox", "line"),
    (["list", "hazards", "--bbox", "nan,41,51,42"], 2, "finite number", "line"),
    (["list", "hazards", "--bbox", "50,41,200,42"], 2, "-180..180", "line"),
    (["list", "hazards", "--limit", "-1"], 2, "Invalid value for '--limit'", USAGE),
    (["records", "assess", "--tolerance", "inf"], 2, "Invalid value for '--tolerance'", USAGE),
    (["import-register", "victims", "{csv}", "--mapping", "{folder}"], 1, "Is a directory",
     "line"),
    # stores that are not stores: one line, exit 1
    (["--db", "{folder}", "summary"], 1, "is a folder, not a GeoPackage", "line"),
    (["--db", "{folder}", "init"], 1, "is a folder, not a GeoPackage", "line"),
    (["--db", "{text}", "summary"], 1, "is not a GeoPackage", "line"),
    (["--db", "{sqlite}", "init"], 1, "not a GeoPackage", "line"),
    (["--db", "{folder}/missing/s.gpkg", "init"], 1, "does not exist", "line"),
    (["--db", "postgresql://nobody@127.0.0.1:1/none", "summary"], 1, "cannot connect", "line"),
    (["--db", "postgresql://nobody@127.0.0.1:1/none", "init"], 1, "cannot connect", "line"),
    # records that cannot be read: every problem, with the record and field, exit 2
    (["records", "import", "{deep}"], 2, "nested too deeply", "problems"),
    (["records", "import", "{deep_ext}"], 2, "x-deep[0]", "problems"),
    (["records", "import", "{nan_x}"], 2, "record MR-NANX, field 'reference_points[0].x': nan "
     "is not a finite number", "problems"),
    (["records", "import", "{inf_y}"], 2, "field 'reference_points[0].y': -inf", "problems"),
    (["records", "import", "{nan_bearing}"], 2, "field 'turning_points[1].bearing': nan",
     "problems"),
    (["records", "import", "{inf_distance}"], 2, "field 'turning_points[2].distance_m': inf",
     "problems"),
    (["records", "import", "{nan_declination}"], 2, "field 'bearings.declination_deg': nan",
     "problems"),
    (["records", "import", "{e999}"], 2, "field 'turning_points[0].distance_m': inf",
     "problems"),
    (["records", "import", "{far_leg}"], 2, "record MR-FARLEG, field 'turning_points[1]'",
     "problems"),
    (["records", "import", "{far_point}"], 2, "field 'reference_points[0]'", "problems"),
    (["records", "import", "{far_mine}"], 2, "field 'mines[0]'", "problems"),
    (["records", "import", "{far_offset}"], 2, "field 'rows[1]'", "problems"),
    # derived layers and minefield records are never imported as plain files
    (["import", "release-steps", "{csv}"], 2, "layer release-steps: cannot be imported",
     "problems"),
    (["import", "hazard-versions", "{csv}"], 2, "layer hazard-versions: cannot be imported",
     "problems"),
    (["import", "minefield-records", "{csv}"], 2, "mineaction records import", "problems"),
    # outputs never overwrite a store
    (["export", "hazards", "-o", "{store}"], 2, "is the store being read", "line"),
    (["export", "hazards", "-o", "{store}", "--format", "csv"], 2, "is the store being read",
     "line"),
    (["export", "hazards", "-o", "{other}"], 2, "is a mineaction store", "line"),
    (["export", "hazards", "-o", "{other}", "--format", "xlsx"], 2, "is a mineaction store",
     "line"),
    (["report", "casualties", "-o", "{store}", "--format", "csv"], 2,
     "is the store being read", "line"),
    (["records", "show", "MR-0001", "--figure", "{other}"], 2, "is a mineaction store",
     "line"),
    (["records", "georef", "--geojson", "{store}"], 2, "is the store being read", "line"),
    (["records", "show", "MR-0001", "--figure", "{folder}/f.doc"], 2, "--figure", "line"),
    (["records", "withdraw", "MR-0001", "--reason", "  "], 2, "say why", "problems"),
    (["records", "withdraw", "MR-9999", "--reason", "lost"], 2, "no such minefield record",
     "problems"),
]


def expand(args: list[str], values: dict[str, str]) -> list[str]:
    return [a.format(**values) for a in args]


def check_message(code: int, out: str, err: str, expected_code: int, text: str, kind: str
                  ) -> None:
    assert "Traceback" not in out + err
    assert code == expected_code, err
    lines = [line for line in err.splitlines() if line.strip()]
    if kind == USAGE:
        assert lines[0].startswith("Usage: mineaction"), err
        assert lines[-1].startswith("Error: ") and text in lines[-1], err
    elif kind == "line":
        assert len(lines) == 1, err
        assert lines[0].startswith("error: ") and text in lines[0], err
    else:
        assert lines[0].startswith("error: ") and "nothing was written" in lines[0], err
        assert any(text in line for line in lines[1:]), err


@pytest.fixture
def values(tmp_path: Path, store_copy: Path, example_store: Path) -> dict[str, str]:
    other = tmp_path / "other.gpkg"
    other.write_bytes(example_store.read_bytes())
    return {**setup_files(tmp_path), "store": str(store_copy), "other": str(other)}


def stat(path: str) -> tuple[int, int]:
    s = os.stat(path)
    return s.st_size, s.st_mtime_ns


@pytest.mark.parametrize(("args", "code", "text", "kind"), CASES,
                         ids=[" ".join(c[0]) for c in CASES])
def test_a_failure_ends_cleanly(args, code, text, kind, values, capsys, monkeypatch):
    monkeypatch.setenv("MINEACTION_LOG", values["folder"] + "/crash.log")
    before = {k: stat(values[k]) for k in ("store", "other")}
    argv = expand(args, values)
    if "--db" not in argv:
        argv = ["--db", values["store"], *argv]
    result = main(argv)
    out, err = capsys.readouterr()
    check_message(result, out, err, code, text, kind)
    # nothing was written to the stores, and no crash was logged
    assert {k: stat(values[k]) for k in ("store", "other")} == before
    assert not Path(values["folder"], "crash.log").exists()


def test_refused_output_leaves_the_store_whole(values, capsys):
    """Export onto the store, in its own format or another, keeps its tables and constraints."""
    store = values["store"]
    for fmt in ("gpkg", "csv", "geojson", "xlsx"):
        assert main(["--db", store, "export", "hazards", "-o", store, "--format", fmt]) == 2
    capsys.readouterr()
    conn = sqlite3.connect(store)
    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'hazards'").fetchone()[0]
    indexes = [r[1] for r in conn.execute("PRAGMA index_list(hazards)")]
    conn.close()
    assert "NOT NULL" in ddl
    assert any(conn_index.startswith(("uq_hazards_id", "sqlite_autoindex_hazards"))
               for conn_index in indexes)
    s = open_store(store)
    try:
        assert s.count("hazards") == 6
    finally:
        s.close()


def test_export_to_a_symbolic_link_of_the_store_is_refused(values, capsys, tmp_path):
    link = tmp_path / "alias.gpkg"
    link.symlink_to(values["store"])
    hard = tmp_path / "hard.gpkg"
    os.link(values["store"], hard)
    for target in (link, hard):
        assert main(["--db", values["store"], "export", "hazards", "-o", str(target),
                     "--format", "csv"]) == 2
        err = capsys.readouterr().err
        assert "is the store being read" in err and "Traceback" not in err


def test_export_to_a_new_file_and_a_plain_geopackage_still_works(values, capsys, tmp_path):
    store = values["store"]
    out = tmp_path / "hazards.gpkg"
    assert main(["--db", store, "export", "hazards", "-o", str(out)]) == 0
    # a GeoPackage that is no mineaction store may be written again (its layer replaced)
    assert main(["--db", store, "export", "hazards", "-o", str(out)]) == 0
    assert "wrote 6 hazards" in capsys.readouterr().out


def test_unexpected_error_is_one_line_and_the_traceback_is_logged(store_copy, tmp_path,
                                                                  capsys, monkeypatch):
    log = tmp_path / "state" / "mineaction" / "mineaction.log"
    monkeypatch.delenv("MINEACTION_LOG", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the disk caught fire\nsecond line")

    monkeypatch.setattr("mineaction.analysis.summary.summarise", boom)
    assert main(["--db", str(store_copy), "summary"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert err.strip() == (f"error: unexpected RuntimeError: the disk caught fire; details in "
                           f"{log}")
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "def boom" not in text
    assert "in boom" in text and f"command: mineaction --db {store_copy} summary" in text


def test_the_unexpected_error_line_follows_lang(store_copy, tmp_path, capsys, monkeypatch):
    """The line is said in the language of --lang; the error's kind and message stay as
    Python gives them."""
    log = tmp_path / "crash.log"
    monkeypatch.setenv("MINEACTION_LOG", str(log))

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr("mineaction.analysis.summary.summarise", boom)
    assert main(["--lang", "ru", "--db", str(store_copy), "summary"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"ошибка: непредвиденная ошибка RuntimeError: the disk caught fire; " \
                  f"подробности в {log}", err
    assert "RuntimeError" in log.read_text(encoding="utf-8")


def test_log_falls_back_when_the_state_folder_cannot_be_written(store_copy, tmp_path, capsys,
                                                                monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be", encoding="utf-8")
    monkeypatch.delenv("MINEACTION_LOG", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read again

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyError("k")

    monkeypatch.setattr("mineaction.analysis.summary.summarise", boom)
    assert main(["--db", str(store_copy), "summary"]) == 1
    err = capsys.readouterr().err
    fallback = tmp_path / f"mineaction-{os.getuid()}.log"
    assert err.strip().endswith(f"details in {fallback}")
    assert "KeyError" in fallback.read_text(encoding="utf-8")


# -- the write lock ---------------------------------------------------------------------------

@pytest.fixture
def held_lock(store_copy: Path):  # type: ignore[no-untyped-def]
    """Another writer holding the store's write lock (released at the end)."""
    conn = sqlite3.connect(store_copy, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def test_a_writer_waits_then_fails_when_the_lock_is_held(store_copy, held_lock, capsys,
                                                         monkeypatch):
    monkeypatch.delenv("MINEACTION_LOCK_TIMEOUT", raising=False)
    monkeypatch.setattr(GeoPackageStore, "lock_timeout_s", 1.0)
    started = time.monotonic()
    code = main(["--db", str(store_copy), "import", "organisations",
                 str(EXAMPLES / "organisations.csv")])
    waited = time.monotonic() - started
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].endswith("waiting for another writer to finish (up to 1 s) ...")
    assert lines[-1].startswith("error: ") and lines[-1].endswith(
        "the store is locked by another writer (waited 1 s); try again later")
    assert len(lines) == 2
    assert 0.9 <= waited < 5


def test_a_writer_goes_on_once_the_other_finishes(store_copy, held_lock, capsys, monkeypatch):
    monkeypatch.setattr(GeoPackageStore, "lock_timeout_s", 20.0)
    timer = threading.Timer(0.8, lambda: held_lock.execute("ROLLBACK"))
    timer.start()
    try:
        code = main(["--db", str(store_copy), "records", "withdraw", "MR-0001", "--reason",
                     "superseded by a resurvey"])
    finally:
        timer.join()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "waiting for another writer to finish (up to 20 s)" in err
    assert "withdrew minefield record MR-0001" in out


def test_no_wait_message_when_nobody_holds_the_lock(store_copy, capsys):
    assert main(["--db", str(store_copy), "import", "organisations",
                 str(EXAMPLES / "organisations.csv")]) == 0  # all there already: no wait
    assert "waiting" not in capsys.readouterr().err


# -- the installed command, as a separate process ---------------------------------------------

def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(MINEACTION), *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_installed_command_usage_error_and_bad_store(tmp_path):
    usage = run_cli("--db", str(tmp_path / "s.gpkg"), "list", "hazards", "--limit", "abc")
    assert usage.returncode == 2 and "Traceback" not in usage.stdout + usage.stderr
    assert "Invalid value for '--limit'" in usage.stderr
    folder = run_cli("--db", str(tmp_path), "summary")
    assert folder.returncode == 1
    assert folder.stderr.strip() == f"error: {tmp_path} is a folder, not a GeoPackage file"
    assert folder.stdout == ""


def test_installed_command_waits_for_the_lock_then_fails(store_copy, held_lock, tmp_path):
    result = run_cli("--db", str(store_copy), "records", "withdraw", "MR-0001", "--reason",
                     "x", env={"MINEACTION_LOCK_TIMEOUT": "1",
                               "MINEACTION_LOG": str(tmp_path / "log")})
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"{store_copy}: waiting for another writer to finish (up to 1 s) ...",
                     f"error: {store_copy}: the store is locked by another writer (waited "
                     "1 s); try again later"]
    assert not (tmp_path / "log").exists()


def test_installed_command_names_a_bad_setting(store_copy):
    result = run_cli("--db", str(store_copy), "records", "withdraw", "MR-0001", "--reason", "x",
                     env={"MINEACTION_LOCK_TIMEOUT": "oops"})
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip() == ("error: MINEACTION_LOCK_TIMEOUT must be a number of "
                                     "seconds, got 'oops'")


def test_entry_point_logs_an_unexpected_error(tmp_path, store_copy):
    """The console script's own function, in a fresh interpreter, with a defect planted."""
    log = tmp_path / "crash.log"
    code = ("import mineaction.analysis.summary as s\n"
            "def boom(store):\n    raise ZeroDivisionError('planted')\n"
            "s.summarise = boom\n"
            "import sys; sys.argv = ['mineaction', '--db', sys.argv[1], 'summary']\n"
            "from mineaction.cli import entry; entry()\n")
    result = subprocess.run([sys.executable, "-c", code, str(store_copy)], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "MINEACTION_LOG": str(log)})
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip() == (f"error: unexpected ZeroDivisionError: planted; details in "
                                     f"{log}")
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "in boom\nZeroDivisionError: planted" in text


def test_a_group_lists_each_command_in_whole_sentences() -> None:
    """A command's summary in its group's help is its first paragraph on one line: the
    docstring's line breaks do not cut a sentence in two."""
    env = {**os.environ, "COLUMNS": "300"}
    out = subprocess.run([str(MINEACTION), "audit", "--help"], capture_output=True,
                         text=True, env=env, check=True).stdout
    assert ("Recompute the hash chain and check every checkpoint's signature. Prints OK with "
            "the number of entries and the head") in out
    top = subprocess.run([str(MINEACTION), "--help"], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert "Import FILE into LAYER: every row is checked; any bad row and nothing is" in top

"""The records commands: all-or-nothing import, georef, show with a figure."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mineaction.cli import main
from mineaction.records import synthetic as S
from mineaction.store import open_store
from tests.records.helpers import put_ground

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "minefield-records" / "MR-0001.json"


def count(db: str) -> int:
    store = open_store(db)
    try:
        return store.count("minefield-records")
    finally:
        store.close()


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.mark.real
def test_one_invalid_record_writes_nothing(db: str, tmp_path: Path,
                                          write_record: Callable[[dict[str, Any]], Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    good = example()
    bad = example()
    bad["record_id"] = "MR-0002"
    bad["turning_points"][3]["from"] = "nowhere"
    rc = main(["--db", db, "records", "import", str(write_record(good)),
               str(write_record(bad))])
    err = capsys.readouterr().err
    assert rc == 2
    assert "MR-0002" in err and "turning_points[3].from" in err and "nothing was written" in err
    assert count(db) == 0


@pytest.mark.real
def test_not_json_and_duplicates_write_nothing(db: str, tmp_path: Path,
                                               write_record: Callable[[dict[str, Any]], Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert main(["--db", db, "records", "import", str(write_record(example())),
                 str(broken)]) == 2
    assert "broken.json" in capsys.readouterr().err
    assert count(db) == 0
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps([example(), example()]), encoding="utf-8")
    assert main(["--db", db, "records", "import", str(twice)]) == 2
    assert "appears 2 times" in capsys.readouterr().err
    assert count(db) == 0
    assert main(["--db", db, "records", "import", str(EXAMPLE)]) == 0
    assert main(["--db", db, "records", "import", str(EXAMPLE)]) == 2  # already stored
    assert "already in the store" in capsys.readouterr().err
    assert count(db) == 1


@pytest.mark.real
def test_unknown_crs_or_transformation_names_the_field(db: str,
                                                       write_record: Callable[[dict[str, Any]],
                                                                              Path],
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    rec = example()
    rec["transformation"] = "Pulkovo 1942 to WGS 84 (99)"
    assert main(["--db", db, "records", "import", str(write_record(rec))]) == 2
    err = capsys.readouterr().err
    assert "record MR-0001, field 'transformation'" in err
    rec = example()
    rec["crs"] = "EPSG:999999"
    assert main(["--db", db, "records", "import", str(write_record(rec))]) == 2
    assert "record MR-0001, field 'crs'" in capsys.readouterr().err
    assert count(db) == 0


@pytest.mark.real
def test_import_keeps_the_original_and_records_the_transformation(db: str) -> None:
    assert main(["--db", db, "records", "import", str(EXAMPLE)]) == 0
    store = open_store(db)
    try:
        row = store.get("minefield-records", "MR-0001")
    finally:
        store.close()
    assert row.original == EXAMPLE.read_text(encoding="utf-8")
    assert row.src_crs == "EPSG:28409"
    assert "Pulkovo 1942 to WGS 84 (14)" in (row.crs_operation or "")
    assert row.geometry is not None and row.geometry.geom_type == "MultiPolygon"
    assert row.expected_mines == 101
    assert row.source and row.source.startswith("synthetic:")


@pytest.mark.real
def test_georef_with_another_transformation(db: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db, "records", "import", str(EXAMPLE)]) == 0
    out = tmp_path / "g.geojson"
    assert main(["--db", db, "records", "georef", "--id", "MR-0001", "--transformation",
                 "Pulkovo 1942 to WGS 84 (16)", "--geojson", str(out)]) == 0
    store = open_store(db)
    try:
        row = store.get("minefield-records", "MR-0001")
    finally:
        store.close()
    assert "Pulkovo 1942 to WGS 84 (16)" in (row.crs_operation or "")
    kinds = [f["properties"]["kind"] for f in json.loads(out.read_text())["features"]]
    assert kinds.count("mine") == 101 and kinds.count("row") == 3
    assert main(["--db", db, "records", "georef", "--transformation", "EPSG:9999999"]) == 2
    assert main(["--db", db, "records", "georef", "--id", "MR-9"]) == 2


@pytest.mark.real
def test_show_draws_a_figure(db: str, write_record: Callable[[dict[str, Any]], Path],
                             tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = S.field_record("MR-fig", 51.2, 41.5, crs="EPSG:4284")
    record, laid = S.derive(truth, "sk42_as_wgs84")
    put_ground(db, "fig", S.ground(truth, laid, np.random.default_rng(3)))
    assert main(["--db", db, "records", "import", str(write_record(record))]) == 0
    png = tmp_path / "fig.png"
    capsys.readouterr()
    assert main(["--db", db, "records", "show", "MR-fig", "--figure", str(png)]) == 0
    out = capsys.readouterr().out
    assert "correctable" in out and "SK-42 coordinates read as WGS84" in out
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    # the account, the interpretation and the evidence in the reader's language
    assert main(["--db", db, "--lang", "ru", "records", "show", "MR-fig"]) == 0
    out = capsys.readouterr().out
    for said in ("сейчас: исправимый", "координаты СК-42 прочитаны как WGS84",
                 "ожидаемых мин совпали с находкой", "документ:", "рядов: "):
        assert said in out, said
    assert "matched" not in out and "interpretation" not in out
    assert main(["--db", db, "--lang", "ka", "records", "assess", "--id", "MR-fig",
                 "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "შესწორებადი" in out and "SK-42 კოორდინატები წაკითხულია როგორც WGS84" in out
    import warnings
    with warnings.catch_warnings(record=True) as caught:  # the figure's words in Armenian
        warnings.simplefilter("always")
        assert main(["--db", db, "--lang", "hy", "records", "show", "MR-fig", "--figure",
                     str(tmp_path / "hy.png")]) == 0
    assert (tmp_path / "hy.png").read_bytes()[:4] == b"\x89PNG"
    assert not [w for w in caught if "missing from" in str(w.message)]  # every glyph drawn

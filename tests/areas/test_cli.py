"""The command line of areas: duplicate names flagged at import, ``areas find``, ``--area``
of reports in another transliteration; on the real districts of Azerbaijan, both adapters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, mapping

from mineaction.cli import main
from mineaction.io.load import import_file
from mineaction.store import Store
from tests.areas.conftest import areas_file, by_name


@pytest.fixture
def districts_file(tmp_path: Path, aze_adm2: list[dict[str, Any]]) -> Path:
    return areas_file(tmp_path, aze_adm2, 2, "AZ")


def test_duplicate_names_are_flagged_at_import(store: Store, districts_file: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               aze_adm2: list[dict[str, Any]]) -> None:
    assert main(["--db", store.url, "import", "admin-areas", str(districts_file),
                 "--repair"]) == 0
    out = capsys.readouterr().out
    twice = [f["id"] for f in aze_adm2 if f["name"] == "Lankaran District"]
    assert len(twice) == 2
    (line,) = [x for x in out.splitlines() if "Lankaran District" in x]
    assert "2 administrative areas are named 'Lankaran District'" in line
    assert all(i in line for i in twice)
    assert store.count("admin-areas") == len(aze_adm2)  # a warning: both are imported


def test_the_parent_tells_two_areas_of_one_name_apart(store: Store, tmp_path: Path) -> None:
    box = Point(50.6, 41.2).buffer(0.05, cap_style="square")
    import_file(store, "admin-areas", areas_file(tmp_path, [
        {"id": "R1", "name": "North", "geometry": box},
        {"id": "R2", "name": "South", "geometry": box}], 1, "ZZ", name="regions.geojson"))
    path = tmp_path / "districts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": i, "name": "Centre", "level": 2,
                                           "parent_id": p, "source": "synthetic:test"},
         "geometry": mapping(box)} for i, p in (("D1", "R1"), ("D2", "R2"))]}))
    result = import_file(store, "admin-areas", path)
    (message,) = result.messages
    assert "Centre (D1; North)" in message and "Centre (D2; South)" in message


def test_areas_find(store: Store, districts_file: Path, capsys: pytest.CaptureFixture[str],
                    aze_adm2: list[dict[str, Any]]) -> None:
    import_file(store, "admin-areas", districts_file, do_repair=True)
    capsys.readouterr()
    fuzuli = by_name(aze_adm2, "Fuzuli District")["id"]
    for name in ("Fuzili", "Физули", "Füzuli"):
        assert main(["--db", store.url, "areas", "find", name]) == 0
        out = capsys.readouterr().out
        assert out.startswith(fuzuli) and len(out.splitlines()) == 1, out
    assert main(["--db", store.url, "areas", "find", "Lankaran"]) == 0
    out = capsys.readouterr().out
    assert "3 areas fit" in out and out.count("Lankaran") >= 3
    assert main(["--db", store.url, "areas", "find", "Askeran"]) == 2
    assert "no administrative area" in capsys.readouterr().err


def test_report_area_in_another_transliteration(store: Store, districts_file: Path,
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                aze_adm2: list[dict[str, Any]]) -> None:
    import_file(store, "admin-areas", districts_file, do_repair=True)
    fuzuli = by_name(aze_adm2, "Fuzuli District")
    inside = fuzuli["geometry"].representative_point()
    hazards = tmp_path / "hazards.geojson"
    hazards.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "HZ-1", "kind": "cha", "status": "open",
                                           "contamination": "ap", "recorded_on": "2023-01-10",
                                           "source": "synthetic:test"},
         "geometry": mapping(inside.buffer(0.002, cap_style="square"))}]}))
    assert main(["--db", store.url, "import", "hazards", str(hazards)]) == 0
    out = tmp_path / "a7.json"
    assert main(["--db", store.url, "report", "article7", "--year", "2023", "--area",
                 "Fuzili", "--format", "json", "-o", str(out)]) == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    form_c = next(t for t in rep["tables"] if t["name"] == "form-c")
    assert [r["district"]["value"] for r in form_c["rows"]] == ["Fuzuli District"]
    capsys.readouterr()
    assert main(["--db", store.url, "report", "article7", "--year", "2023", "--area",
                 "Lankaran District"]) == 2
    err = capsys.readouterr().err
    assert err.count("Lankaran District (AZE-ADM2-") == 2


def test_a_store_without_areas_checks_none(store: Store, tmp_path: Path) -> None:
    """Until areas are imported, an area id cannot be checked (nor a record placed): kept."""
    path = tmp_path / "hazards.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "HZ-1", "kind": "sha", "status": "open",
                                           "recorded_on": "2023-01-10", "admin_area_id": "D9",
                                           "source": "synthetic:test"},
         "geometry": mapping(Point(50.6, 41.2).buffer(0.01, cap_style="square"))}]}))
    import_file(store, "hazards", path)
    assert store.get("hazards", "HZ-1").admin_area_id == "D9"  # type: ignore[attr-defined]

"""`import --repair` through the CLI: a refusal that says the repair failed, and a summary of
what the repairs did to areas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely import wkt
from shapely.geometry import mapping

from mineaction.cli import main
from mineaction.geo.measure import area_m2
from mineaction.geo.validate import drawn_area_m2
from mineaction.store import open_store
from tests.unit.test_repair import BOW_TIE, COLLINEAR, NESTED, SELF_TOUCHING, SPIKE


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "m.gpkg")
    assert main(["--db", path, "init"]) == 0
    return path


def hazards_file(tmp_path: Path, shapes: dict[str, str]) -> Path:
    features = [{"type": "Feature", "geometry": mapping(wkt.loads(text)),
                 "properties": {"id": hid, "kind": "sha", "contamination": "ap"}}
                for hid, text in shapes.items()]
    path = tmp_path / "h.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_failed_repair_is_refused_without_suggesting_repair(db, tmp_path, capsys):
    path = hazards_file(tmp_path, {"B1": BOW_TIE, "L1": COLLINEAR})
    assert main(["--db", db, "import", "hazards", str(path)]) == 2
    assert "(use --repair to repair it)" in flat(capsys.readouterr().err)
    assert main(["--db", db, "import", "hazards", str(path), "--repair"]) == 2
    err = flat(capsys.readouterr().err)
    assert "1 problem" in err and "feature 2 (id L1), field 'geometry': repair failed:" in err
    assert "collapses to a line or a point" in err and "--repair" not in err
    s = open_store(db)
    try:
        assert s.count("hazards") == 0
    finally:
        s.close()


def test_repair_summary_gives_count_total_and_largest_change(db, tmp_path, capsys):
    shapes = {"S1": SPIKE, "N1": NESTED, "T1": SELF_TOUCHING}
    path = hazards_file(tmp_path, shapes)
    assert main(["--db", db, "import", "hazards", str(path), "--repair"]) == 0
    out = flat(capsys.readouterr().out)
    s = open_store(db)
    try:
        stored = {h.id: h for h in s.query("hazards")}
    finally:
        s.close()
    change = {hid: area_m2(stored[hid].geometry) - drawn_area_m2(wkt.loads(text))
              for hid, text in shapes.items()}
    assert f"repaired 3 geometries: area {sum(change.values()):+,.1f} m² in all" in out
    # the nested shell counted twice as drawn: its repair removes a fifth of the area
    before = drawn_area_m2(wkt.loads(NESTED))
    after = area_m2(stored["N1"].geometry)
    assert f"largest relative change at feature 2 (id N1): {before:,.1f} m² -> {after:,.1f} m² " \
           f"(x{after / before:.2f})" in out
    assert 0.75 < after / before < 0.85
    assert all("repaired on entry" in stored[h].notes for h in shapes)


def test_a_bow_tie_had_no_area_as_drawn(db, tmp_path, capsys):
    path = hazards_file(tmp_path, {"B1": BOW_TIE})
    assert main(["--db", db, "import", "hazards", str(path), "--repair"]) == 0
    out = flat(capsys.readouterr().out)
    assert "repaired 1 geometry:" in out and "(it had no area as drawn)" in out


def test_the_repair_summary_is_said_in_the_language_of_the_command_line(db, tmp_path, capsys):
    path = hazards_file(tmp_path, {"S1": SPIKE, "N1": NESTED, "T1": SELF_TOUCHING})
    assert main(["--db", db, "--lang", "ru", "import", "hazards", str(path), "--repair"]) == 0
    out = flat(capsys.readouterr().out)
    assert "исправлены 3 геометрии: площадь всего" in out
    assert "наибольшее относительное изменение — объект 2 (id N1):" in out
    assert "repaired" not in out and "geometr" not in out

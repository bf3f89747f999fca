"""The ranking: every score is the sum of its criteria's parts; the weights file changes it as
it says; distances are geodesic metres; the ranked task list names its hazards."""

from __future__ import annotations

import json
from pathlib import Path

import pyproj
import pytest
from shapely.geometry import box

from mineaction.errors import InvalidInput
from mineaction.planning.priority import distance_m, load_weights, near
from tests.planning.conftest import run


def rank_json(db: Path, *args: str) -> dict:
    code, out = run("--db", str(db), "plan", "rank", "--format", "json", "--limit", "0", *args)
    assert code == 0, out
    return json.loads(out)


def test_scores_are_the_sum_of_their_parts_and_ranked(demo_db: Path) -> None:
    out = rank_json(demo_db)
    hz = out["hazards"]
    assert len(hz) > 10
    assert [h["rank"] for h in hz] == list(range(1, len(hz) + 1))
    for h in hz:
        assert abs(sum(h["parts"].values()) - h["score"]) < 1e-9
        assert 0 <= h["score"] <= 100
    assert all(a["score"] >= b["score"] for a, b in zip(hz, hz[1:], strict=False))
    assert any("No places" in n for n in out["notes"])


def test_a_weights_file_ranks_by_what_it_weighs(demo_db: Path, tmp_path: Path) -> None:
    w = tmp_path / "w.toml"
    w.write_text("".join(f"[criteria.{k}]\nweight = 0\n" for k in (
        "accidents", "contamination", "people", "land_use", "environment", "cost"))
        + "[criteria.threat]\nweight = 1\n", encoding="utf-8")
    hz = rank_json(demo_db, "--weights", str(w))["hazards"]
    order = {"high": 0, "medium": 1, "low": 2}
    threats = [order.get(h["values"]["threat"], 1) for h in hz]
    assert threats == sorted(threats)
    assert all(set(h["parts"]) == {"threat"} for h in hz)
    w.write_text("[criteria.nonsense]\nweight = 1\n", encoding="utf-8")
    code, _ = run("--db", str(demo_db), "plan", "rank", "--weights", str(w))
    assert code == 2
    with pytest.raises(InvalidInput):
        load_weights("[criteria.threat]\nweight = -1\n")


def test_distances_are_geodesic_metres_from_the_edge() -> None:
    geod = pyproj.Geod(ellps="WGS84")
    hazard = box(50.90, 41.30, 50.91, 41.31)
    lon, lat, _ = geod.fwd(50.905, 41.31, 0.0, 1500.0)  # 1.5 km north of the top edge
    assert distance_m(hazard, lon, lat) == pytest.approx(1500.0, abs=1.0)
    assert distance_m(hazard, 50.905, 41.305) == 0.0
    lon2, lat2, _ = geod.fwd(50.91, 41.305, 90.0, 2500.0)  # 2.5 km east of the east edge

    class H:
        geometry = hazard

    counts = near([H()], [(lon, lat, 1.0), (lon2, lat2, 10.0)], 2000.0)  # type: ignore[list-item]
    assert counts == [1.0]


def ranked_tasks(db: Path, out: Path, *args: str) -> str:
    """The ranked-tasks report written to ``out`` (its format from the suffix), as text."""
    code, _ = run("--db", str(db), *args, "report", "ranked-tasks", "-o", str(out))
    assert code == 0
    return out.read_text(encoding="utf-8")


def test_ranked_task_list_per_district_names_each_hazard(demo_db: Path, tmp_path: Path
                                                        ) -> None:
    rep = json.loads(ranked_tasks(demo_db, tmp_path / "r.json"))
    tables = [t for t in rep["tables"] if t["name"].startswith("district-")]
    assert len(tables) >= 2
    for t in tables:
        for r in t["rows"]:
            assert r["score"]["records"] == [r["hazard"]["value"]]


def test_a_store_without_hazards_ranks_nothing(figures_db: Path) -> None:
    assert rank_json(figures_db)["hazards"] == []


def test_the_ranked_task_list_is_said_in_the_language_asked(demo_db: Path, tmp_path: Path
                                                            ) -> None:
    page = ranked_tasks(demo_db, tmp_path / "r.html", "--lang", "ru")
    # the ranking's notes (no places were given) and each district's heading, in Russian
    assert "критерий «люди» равен 0" in page and "No places" not in page
    assert "открытых опасных зон" in page or "открытые опасные зоны" in page
    assert "open hazard" not in page and "Угроза (баллов)</th>" in page
    # machines read the English
    machine = json.loads(ranked_tasks(demo_db, tmp_path / "r.json", "--lang", "ru"))
    assert any(n.startswith("No places (settlements, returns) were given")
               for n in machine["notes"])


def test_the_screen_tables_of_rank_and_summary_follow_lang(demo_db: Path) -> None:
    code, out = run("--db", str(demo_db), "--lang", "ru", "plan", "rank", "--limit", "3")
    assert code == 0, out
    flat = " ".join(out.split())
    assert "Ранжированные открытые опасные зоны" in flat and "место" in flat
    assert "Угроза" in flat and "Threat" not in flat  # the criteria as the report says them
    assert "No places" not in flat and "критерий «люди» равен 0" in flat  # the notes too
    code, out = run("--db", str(demo_db), "--lang", "ru", "summary")
    assert code == 0, out
    flat = " ".join(out.split())
    for said in ("(синтетические данные)", "Записи по слоям", "Опасная площадь",
                 "площадь, м²", "подозрительная опасная зона (SHA)",
                 "Обнаруженные взрывоопасные предметы", "противопехотные мины"):
        assert said in flat, said
    assert "hazards" in flat  # a layer's name is what commands take: not translated
    hazard = json.loads(run("--db", str(demo_db), "plan", "rank", "--format", "json",
                            "--limit", "1")[1])["hazards"][0]["hazard"]
    code, out = run("--db", str(demo_db), "--lang", "ka", "hazard", hazard)
    flat = " ".join(out.split())
    assert code == 0 and "თარიღი" in flat and "საწყისი" in flat and "დარჩენილი" in flat
    assert "original" not in flat and "remaining" not in flat
    code, out = run("--db", str(demo_db), "summary")
    flat = " ".join(out.split())
    assert code == 0 and "Records per layer" in flat and "(synthetic data)" in flat
    assert " sha " in flat and " ap " in flat and "Опасная" not in flat

"""Forecasts: reproducible by seed, moved by scenarios in the direction they should, checked
against published targets; a store of published figures only gets what can be computed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.planning.conftest import run


def forecast_json(db: Path, *args: str) -> dict:
    code, out = run("--db", str(db), "plan", "forecast", "--format", "json", "--runs", "400",
                    *args)
    assert code == 0, out
    return json.loads(out)


def test_same_seed_same_forecast_and_scenarios_move_it(demo_db: Path, tmp_path: Path) -> None:
    more = tmp_path / "double.toml"
    more.write_text('name = "double capacity"\n[capacity]\nfactor = 2.0\n', encoding="utf-8")
    poor = tmp_path / "poor.toml"
    poor.write_text('name = "little funding"\n[funding]\nper_year = 100000\n',
                    encoding="utf-8")
    a = forecast_json(demo_db, "--seed", "3", "--scenario", str(more), "--scenario", str(poor))
    b = forecast_json(demo_db, "--seed", "3", "--scenario", str(more), "--scenario", str(poor))
    assert a == b
    record, double, little = a["scenarios"]
    assert [s["name"] for s in a["scenarios"]] == ["record", "double capacity",
                                                   "little funding"]
    assert double["completion_year_p10_p50_p90"][1] <= record["completion_year_p10_p50_p90"][1]
    first = min(record["released_km2_p10_p50_p90"])
    assert (double["released_km2_p10_p50_p90"][first][1]
            > record["released_km2_p10_p50_p90"][first][1])
    # funding caps what can be spent each year
    assert little["cost_usd_p10_p50_p90"][2] <= record["cost_usd_p10_p50_p90"][2]
    assert (little["released_km2_p10_p50_p90"][first][1]
            < record["released_km2_p10_p50_p90"][first][1])
    c = forecast_json(demo_db, "--seed", "4")
    assert c["scenarios"][0] != a["scenarios"][0]


def test_fan_chart_is_written_as_png_and_pdf(demo_db: Path, tmp_path: Path) -> None:
    code, _ = run("--db", str(demo_db), "plan", "forecast", "--runs", "200", "--figure",
                  str(tmp_path / "fan"))
    assert code == 0
    assert (tmp_path / "fan.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "fan.pdf").read_bytes()[:4] == b"%PDF"


def test_a_store_of_published_figures_only(figures_db: Path) -> None:
    out = forecast_json(figures_db)
    assert out["scenarios"] == [] and "history" in out["missing"]
    checks = {c["figure"]: c for c in out["targets"]}
    assert checks["MAR24-42"]["verdict"] == "consistent"  # 530.8 km² released against 500
    assert checks["GERI24-03"]["verdict"] == "cannot be computed"  # no cost anywhere
    assert checks["MAR24-44"]["basis"] == "published figures"
    assert checks["MAR24-44"]["verdict"] in ("consistent", "not consistent")
    code, text = run("--db", str(figures_db), "plan", "backtest")
    assert code == 0 and "No backtest" in text


def test_a_scenario_with_unknown_keys_is_refused(demo_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[capacity]\nfactr = 2\n", encoding="utf-8")
    code, _ = run("--db", str(demo_db), "plan", "forecast", "--scenario", str(bad))
    assert code == 2


def test_forecast_backtest_and_schedule_tables_follow_lang(demo_db: Path,
                                                           figures_db: Path) -> None:
    code, text = run("--db", str(demo_db), "--lang", "ru", "plan", "forecast", "--runs", "100",
                     "--years", "2")
    flat = " ".join(text.split())
    assert code == 0, text
    for said in ("СИНТЕТИЧЕСКИЕ ДАННЫЕ", "Высвобождено по годам (записи, км²)",
                 "Прогноз по сценариям", "год завершения", "стоимость, млн долл. США",
                 "Завершение: открытой земли меньше 1%"):
        assert said in flat, said
    assert "completion year" not in flat
    code, text = run("--db", str(demo_db), "--lang", "hy", "plan", "schedule", "--months", "6",
                     "--limit", "3")
    flat = " ".join(text.split())
    assert code == 0 and "Ժամանակացույց" in flat and "թիմ-օրեր" in flat, text
    assert "Schedule" not in flat and "team-days" not in flat
    code, text = run("--db", str(figures_db), "--lang", "ka", "plan", "backtest")
    assert code == 0 and "უკუტესტი არ არის" in text
    assert "ორზე ნაკლები სრული წელია" in " ".join(text.split()) and "fewer" not in text
    code, text = run("--db", str(figures_db), "--lang", "ru", "plan", "forecast", "--runs",
                     "100")
    flat = " ".join(text.split())
    assert code == 0 and "Опубликованные цели и оценки" in flat and "согласуется" in flat
    assert "невозможно рассчитать" in flat and "высвобождено в 2023: 530.8 км²" in flat
    assert "consistent" not in flat and "the record" not in flat
    assert "(взяты значения по умолчанию): земля, высвобожденная по годам" in flat
    code, text = run("--db", str(figures_db), "--lang", "ru", "figures", "list")
    flat = " ".join(text.split())
    assert code == 0 and "Опубликованные показатели (" in flat and "оговорка" in flat
    code, text = run("--db", str(figures_db), "--lang", "az", "figures", "totals")
    flat = " ".join(text.split())
    assert code == 0 and "hissələrin cəmi" in flat and "sum of parts" not in flat


def test_what_a_forecast_could_not_read_is_said_in_each_language() -> None:
    from mineaction.planning.data import METHODS
    from mineaction.services.planning import missing_input

    codes = [f"productivity:{m}" for m in METHODS] + ["capacity", "shares", "discoveries",
                                                        "history"]
    for lang in ("en", "az", "hy", "ka", "ru"):
        said = [missing_input(c, lang) for c in codes]
        assert len(set(said)) == len(codes), said  # no two alike
        assert not set(said) & set(codes) and not any(":" in s for s in said), said
    assert missing_input("productivity:cleared", "ru") == "м² на группо-день (расчищено)"

"""``figures compare`` sets each published figure beside the store's own figure for the same
country, area and period: only records placed in that country (and area) count, a store with
nothing there says "no data" and claims no agreement, and records that cannot be placed in a
country are counted as left out."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Point

from mineaction import domain as d
from mineaction.analysis.figures import COMPUTED_METRICS
from mineaction.cli import main
from mineaction.store import open_store
from tests.conftest import SHARED
from tests.reports.scenario import AP, poly, step

REGISTER = SHARED / "reference" / "published_figures.csv"
COLOMBIA = SHARED / "data" / "colombia_victims" / "victims_1990_2017.csv"
HEAD = ("figure_id,country,area,metric,value,unit,period_start,period_end,as_of,attributed_to,"
        "publication,seed_file,qualifier,note")
S = "synthetic:compare-test"


def compare(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> list[dict]:  # type: ignore[type-arg]
    capsys.readouterr()
    assert main(["--db", db, "figures", "compare", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def shown(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> str:
    capsys.readouterr()
    assert main(["--db", db, "figures", "compare", *args]) == 0
    return capsys.readouterr().out


def test_an_empty_store_has_no_data_and_claims_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "empty.gpkg")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "figures", "import", str(REGISTER)]) == 0
    rows = compare(capsys, db)
    published = pd.read_csv(REGISTER)
    computable = published[published["metric"].isin(COMPUTED_METRICS)
                           & published["period_start"].notna()
                           & published["period_end"].notna()]
    assert {r["figure_id"] for r in rows} == set(computable["figure_id"])
    assert len(rows) >= 20
    for r in rows:
        assert r["computed"] == "no data" and r["agrees"] is None and r["records"] == 0
        assert r["difference"] is None and r["left_out"] == 0
    text = shown(capsys, db)
    assert "no data" in text and not re.search(r"│\s*(no|yes)\s*│", text)
    assert not re.search(r"│\s*0 (count|km2)\s*│", text)  # never a computed 0


@pytest.mark.skipif(not COLOMBIA.exists(), reason="Colombian register not present")
def test_colombian_victims_give_no_azerbaijan_figure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "co.gpkg")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "import-register", "victims", str(COLOMBIA),
                 "--mapping", "colombia-aicma"]) == 0
    assert main(["--db", db, "figures", "import", str(REGISTER)]) == 0
    # And an Azerbaijani figure over years the Colombian register covers.
    extra = tmp_path / "extra.csv"
    extra.write_text(f"{HEAD}\nX-AZ-2006,AZ,national,casualties_killed,5,count,2006-01-01,"
                     "2006-12-31,,Test,Test,,reported,\n", encoding="utf-8")
    assert main(["--db", db, "figures", "import", str(extra)]) == 0
    rows = compare(capsys, db)
    assert rows and all(r["country"] == "AZ" for r in rows)
    assert all(r["computed"] == "no data" and r["agrees"] is None for r in rows)
    # Colombia's records have municipality codes the store knows no area for: none can be
    # placed in a country, and the comparison says how many it left out of 2006.
    raw = pd.read_csv(COLOMBIA, encoding="utf-8-sig", dtype=str)
    in_2006 = int((raw["ano"].str.replace(",", "").astype(int) == 2006).sum())
    (row,) = [r for r in rows if r["figure_id"] == "X-AZ-2006"]
    assert row["left_out"] == in_2006 == 1232
    assert f"{in_2006:,} victims records of 2006-01-01–2006-12-31" in shown(capsys, db)
    # the notes in the reader's language
    capsys.readouterr()
    assert main(["--db", db, "--lang", "ru", "figures", "compare"]) == 0
    ru = " ".join(capsys.readouterr().out.split())
    assert f"{in_2006:,} записи victims за 2006-01-01–2006-12-31 не удалось отнести" in ru
    assert "в хранилище нет записей вида показателя" in ru
    assert "could not be placed" not in ru and "the store holds" not in ru


def victim(vid: str, area: str | None, outcome: str, day: dt.date) -> d.Victim:
    return d.Victim(id=vid, group=d.VictimGroup.CIVILIAN, outcome=d.CasualtyOutcome(outcome),
                    occurred_on=day, admin_area_id=area, source=S)


@pytest.fixture
def three_countries(tmp_path: Path) -> str:
    """Areas of Azerbaijan (with a district, Aghdam, whose village records no country of its
    own), Armenia and Georgia; victims, released land and AP mines found in each; and victims
    without an area or in an area the store does not know."""
    db = str(tmp_path / "three.gpkg")
    day = dt.date(2023, 5, 1)
    areas = [
        d.AdminArea(id="AZ", name="Azerbaijan", level=0, country="AZ", geometry=poly(0),
                    source=S),
        d.AdminArea(id="AZ-AGH", name="Aghdam", level=2, parent_id="AZ", geometry=poly(1),
                    source=S),
        d.AdminArea(id="AZ-AGH-1", name="A village", level=3, parent_id="AZ-AGH",
                    geometry=poly(2), source=S),
        d.AdminArea(id="AZ-FUZ", name="Fuzuli", level=2, parent_id="AZ", country="az",
                    geometry=poly(3), source=S),
        d.AdminArea(id="AM", name="Armenia", level=0, country="AM", geometry=poly(4), source=S),
        d.AdminArea(id="GE", name="Georgia", level=0, country="GE", geometry=poly(5), source=S),
    ]
    victims = []
    per = {"AZ-AGH-1": (6, 9), "AZ-FUZ": (7, 8), "AM": (10, 20), "GE": (30, 40),
           None: (5, 5), "XX-UNKNOWN": (6, 0)}
    for area, (killed, injured) in per.items():
        for n in range(killed + injured):
            victims.append(victim(f"V-{area}-{n}", area, "killed" if n < killed else "injured",
                                  day))
    steps = [step("S1", "A-AZ", "cleared", 100_000.0, day, {AP}, "AZ-AGH-1"),
             step("S2", "A-AM", "cleared", 200_000.0, day, {AP}, "AM"),
             step("S3", "A-GE", "cleared", 300_000.0, day, {AP}, "GE")]
    finds = [d.Find(id=f"F-{a}", category=AP, quantity=q, found_on=day, destroyed_on=day,
                    activity_id=a, geometry=Point(50.6, 41.1), source=S)
             for a, q in (("A-AZ", 11), ("A-AM", 22), ("A-GE", 33), (None, 44))]
    with open_store(db) as store:
        store.create()
        with store.transaction() as tx:
            tx.add_many(areas)
            tx.add_many(steps)
            tx.add_many(finds)
            tx.add_many(victims)
    return db


def test_each_country_and_area_counts_only_its_own_records(
        three_countries: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "figures.csv"
    rows = []
    for fid, country, area, metric, value in [
            ("AZ-K", "AZ", "national", "casualties_killed", 13),
            ("AZ-T", "AZ", "national", "casualties_total", 30),
            ("AZ-AGH-T", "AZ", "AGHDAM", "casualties_total", 15),
            ("AZ-NOWHERE", "AZ", "Nowhere", "casualties_total", 15),
            ("AZ-AP", "AZ", "national", "ap_mines_destroyed", 11),
            ("AZ-CLR", "AZ", "national", "ap_area_cleared", 0.1),
            ("AM-T", "AM", "national", "casualties_total", 30),
            ("AM-AP", "AM", "national", "ap_mines_destroyed", 99),
            ("GE-K", "GE", "national", "casualties_killed", 30),
            ("TR-T", "TR", "national", "casualties_total", 7)]:
        rows.append(f"{fid},{country},{area},{metric},{value},"
                    f"{'km2' if metric.endswith('cleared') else 'count'},2023-01-01,2023-12-31,"
                    ",Test,Test,,reported,")
    register.write_text("\n".join([HEAD, *rows]) + "\n", encoding="utf-8")
    assert main(["--db", three_countries, "figures", "import", str(register)]) == 0
    got = {r["figure_id"]: r for r in compare(capsys, three_countries)}
    # Azerbaijan: the village (by its district) and Fuzuli ('az' on the area itself).
    assert got["AZ-K"]["computed"] == 13 and got["AZ-K"]["agrees"]
    assert got["AZ-T"]["computed"] == 30 and got["AZ-T"]["records"] == 30
    assert got["AZ-AGH-T"]["computed"] == 15 and got["AZ-AGH-T"]["agrees"]  # any case
    assert got["AZ-NOWHERE"]["computed"] == "no data" and got["AZ-NOWHERE"]["agrees"] is None
    assert got["AZ-AP"]["computed"] == 11 and got["AZ-AP"]["agrees"]
    assert got["AZ-CLR"]["computed"] == pytest.approx(0.1, abs=0.005)
    assert got["AM-T"]["computed"] == 30 and got["AM-AP"]["computed"] == 22
    assert not got["AM-AP"]["agrees"] and got["AM-AP"]["difference"] == -77
    assert got["GE-K"]["computed"] == 30 and got["GE-K"]["agrees"]
    # Without --country, only the store's own countries; no store area lies in Turkey, so
    # asked for, its figure has no data: never the other countries' victims.
    assert "TR-T" not in got
    (turkey,) = compare(capsys, three_countries, "--country", "TR")
    assert turkey["computed"] == "no data" and turkey["agrees"] is None
    # Left out: victims without an area or in one the store does not know, finds of no
    # activity; released land is all placed.
    assert got["AZ-T"]["left_out"] == 10 + 6
    assert got["AZ-AP"]["left_out"] == 1
    assert got["AZ-CLR"]["left_out"] == 0
    assert {r["country"] for r in compare(capsys, three_countries, "--country", "AZ")} == {"AZ"}


def test_small_counts_of_a_country_are_suppressed_in_every_field(
        three_countries: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_store(three_countries) as store, store.transaction() as tx:
        tx.add_many([victim(f"V-small-{n}", "AM", "killed", dt.date(2024, 2, 2))
                     for n in range(2)]
                    + [victim(f"V-small-i-{n}", "AM", "injured", dt.date(2024, 2, 2))
                       for n in range(9)])
    register = tmp_path / "small.csv"
    register.write_text("\n".join([HEAD] + [
        f"AM-{m},AM,national,casualties_{m},2,count,2024-02-01,2024-02-29,,Test,Test,,reported,"
        for m in ("killed", "injured", "total")]) + "\n", encoding="utf-8")
    assert main(["--db", three_countries, "figures", "import", str(register)]) == 0
    got = {r["figure_id"]: r for r in compare(capsys, three_countries, "--country", "AM")}
    killed = got["AM-killed"]
    assert killed["computed"] == killed["records"] == "<5"
    assert killed["difference"] is None and killed["agrees"] is None
    # killed + injured = total: one of the other two is hidden as well.
    assert "x" in {got["AM-injured"]["computed"], got["AM-total"]["computed"]}
    text = shown(capsys, three_countries, "--country", "AM")
    assert "<5" in text and "not shown" in text
    open_rows = {r["figure_id"]: r for r in compare(
        capsys, three_countries, "--country", "AM", "--suppress-below", "0")}
    assert open_rows["AM-killed"]["computed"] == 2 and open_rows["AM-killed"]["agrees"]

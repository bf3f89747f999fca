"""The published-figures register: the district table adds up to the published national
totals; conflicts between sources are found, and figures that only look alike are not."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from mineaction.analysis.figures import conflicts, figures, rollups
from mineaction.cli import main
from mineaction.domain.figures import FigureQualifier, PublishedFigure
from mineaction.store import open_store
from tests.conftest import SHARED

REFERENCE = SHARED / "reference"
REGISTER = REFERENCE / "published_figures.csv"
DISTRICTS = REFERENCE / "ap_release_by_district_2023.csv"

pytestmark = pytest.mark.skipif(not REGISTER.exists(), reason="reference files not present")

TABLE_METRICS = ["area_released_m2=area_released_polygons_with_ap:m2",
                 "ap_mines_destroyed=ap_mines_destroyed:count",
                 "av_mines_destroyed=av_mines_destroyed:count",
                 "cmr_destroyed=cmr_destroyed:count", "uxo_destroyed=uxo_destroyed:count"]


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "f.gpkg")
    assert main(["--db", path, "init"]) == 0
    assert main(["--db", path, "figures", "import", str(REGISTER)]) == 0
    return path


def load_table(db: str) -> int:
    args = ["--db", db, "figures", "import-table", str(DISTRICTS), "--country", "AZ",
            "--from", "2023-01-01", "--to", "2023-12-31", "--attributed-to", "ANAMA",
            "--publication", "Clearing the Mines 2024 - Azerbaijan"]
    for m in TABLE_METRICS:
        args += ["--metric", m]
    return main(args)


def test_register_import_keeps_every_row_and_its_precision(db: str) -> None:
    with open(REGISTER, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open_store(db) as store:
        items = {f.id: f for f in figures(store)}
    assert set(items) == {r["figure_id"] for r in rows}
    assert items["MAR24-01"].value == 10.0 and items["MAR24-01"].decimals == 1
    assert items["MAR24-05"].decimals == 2
    assert items["MAR24-69"].period_start is None and items["MAR24-69"].period_end is None
    assert items["MAR24-01"].qualifier == FigureQualifier.ESTIMATE


def test_district_table_reproduces_the_published_national_totals(db: str) -> None:
    assert load_table(db) == 0
    with open_store(db) as store:
        items = figures(store)
    by_metric = {r.metric: r for r in rollups(items)}
    expected = {  # figure in the register holding the national total, and that total
        "area_released_polygons_with_ap": ("MAR24-56", 530_328_985),
        "ap_mines_destroyed": ("MAR24-02", 3_495),
        "av_mines_destroyed": ("MAR24-59", 4_993),
        "cmr_destroyed": ("MAR24-60", 1_817),
        "uxo_destroyed": ("MAR24-61", 20_692),
    }
    for metric, (whole_id, total) in expected.items():
        r = by_metric[metric]
        assert r.sum_of_parts == total, metric
        whole = next(w for w in r.wholes if w.id == whole_id)
        assert r.agrees(whole), (metric, r.sum_of_parts, whole.value, whole.unit)
    # 15 districts, but CMR reported for 10 only: a blank cell is "not reported", not zero.
    assert len(by_metric["ap_mines_destroyed"].parts) == 15
    assert len(by_metric["cmr_destroyed"].parts) == 10


def test_a_breakdown_that_does_not_add_up_is_reported(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "districts.csv"
    text = DISTRICTS.read_text(encoding="utf-8").replace("Aghdam,2020,79561643,1304",
                                                         "Aghdam,2020,79561643,1305")
    bad.write_text(text, encoding="utf-8")
    assert main(["--db", db, "figures", "import-table", str(bad), "--country", "AZ",
                 "--from", "2023-01-01", "--to", "2023-12-31",
                 "--metric", "ap_mines_destroyed=ap_mines_destroyed:count"]) == 0
    with open_store(db) as store:
        (r,) = rollups(figures(store))
    assert r.sum_of_parts == 3496
    assert not r.agrees(next(w for w in r.wholes if w.id == "MAR24-02"))


def test_conflicts_json_finds_the_clearance_and_front_line_disagreements(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--db", db, "figures", "conflicts", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    for item in found:
        assert {"metric", "figure_ids", "values", "sources", "relative_difference"} <= set(item)
    pairs = {(c["metric"], frozenset(c["figure_ids"])): c for c in found}
    clearance = pairs[("ap_area_cleared", frozenset({"MAR24-01", "MAR24-05"}))]
    assert sorted(clearance["values"]) == [10.0, 44.33]
    assert clearance["relative_difference"] == pytest.approx((44.33 - 10) / 44.33, abs=1e-4)
    assert any("Mine Action Review" in s for s in clearance["sources"])
    assert any("ANAMA" in s for s in clearance["sources"])
    front = pairs[("line_of_contact_length", frozenset({"MAR24-69", "GERI24-04"}))]
    assert sorted(front["values"]) == [254.0, 900.0]
    # Detected mines: 3,166 over Aug 2022-Jan 2023 is more than 2,700 over the longer
    # Aug 2022-Apr 2023, which cannot both be right.
    assert ("mines_made_2021_detected", frozenset({"MAR24-18", "HUS23-01"})) in pairs
    # Not conflicts: separate pledges, and a smaller figure over a shorter nested period
    # (640 km² by February 2023, 746 km² by March 2023).
    assert not any(c["metric"] == "funding_pledged" for c in found)
    assert ("area_cleared_all_eo", frozenset({"GERI24-08", "HUS23-04"})) not in pairs
    # Different years of the same metric are different figures.
    assert not any({"MAR24-01", "MAR24-62"} <= set(c["figure_ids"]) for c in found)


def fig(fid: str, value: float, decimals: int, start: dt.date | None = dt.date(2023, 1, 1),
        end: dt.date | None = dt.date(2023, 12, 31), **kw: object) -> PublishedFigure:
    base = {"country": "XS", "area": "national", "metric": "m", "unit": "km2",
            "qualifier": FigureQualifier.REPORTED}
    base.update(kw)
    return PublishedFigure(id=fid, value=value, decimals=decimals, period_start=start,
                           period_end=end, **base)  # type: ignore[arg-type]


def test_rounding_periods_and_targets_decide_what_conflicts() -> None:
    # 530 (to the unit) and 530.33 agree; 530.0 (to a tenth) and 530.33 do not.
    assert not conflicts([fig("a", 530, 0), fig("b", 530.33, 2)])
    assert len(conflicts([fig("a", 530.0, 1), fig("b", 530.33, 2)])) == 1
    # Overlapping but not nested periods are not compared.
    assert not conflicts([fig("a", 5, 0), fig("b", 9, 0, start=dt.date(2023, 7, 1),
                                              end=dt.date(2024, 6, 30))])
    # A target is not contradicted by an outcome.
    assert not conflicts([fig("a", 500, 0, qualifier=FigureQualifier.TARGET), fig("b", 9, 0)])
    # Other area, other unit: not the same quantity.
    assert not conflicts([fig("a", 5, 0), fig("b", 9, 0, area="north")])
    assert not conflicts([fig("a", 5, 0), fig("b", 9, 0, unit="m2")])


def test_a_bad_register_row_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    path = str(tmp_path / "g.gpkg")
    assert main(["--db", path, "init"]) == 0
    bad = tmp_path / "bad.csv"
    lines = REGISTER.read_text(encoding="utf-8").splitlines()
    assert ",3495," in lines[2]
    lines[2] = lines[2].replace(",3495,", ",about 3500,")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--db", path, "figures", "import", str(bad)]) == 2
    with open_store(path) as store:
        assert store.count("figures") == 0


def test_list_filters_by_metric_and_country(db: str, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    capsys.readouterr()
    assert main(["--db", db, "figures", "list", "--metric", "ap_area_cleared", "--country",
                 "AZ", "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert {i["figure_id"] for i in items} == {"MAR24-01", "MAR24-05", "MAR24-62", "MAR24-65",
                                               "MAR24-66", "MAR24-67"}


def test_figures_round_trip_on_every_adapter(store) -> None:  # type: ignore[no-untyped-def]
    f = fig("R-1", 44.33, 2, notes="ünïcode Ղ ღ", attributed_to="ANAMA")
    with store.transaction() as tx:
        tx.add(f)
    back = store.get("figures", "R-1")
    assert (back.value, back.decimals, back.period_end, back.notes) == (
        44.33, 2, dt.date(2023, 12, 31), "ünïcode Ղ ღ")


def test_computed_figures_beside_published_ones(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from tests.reports.scenario import build as build_scenario

    path = str(tmp_path / "c.gpkg")
    with open_store(path) as s:
        s.create()
        build_scenario(s)
        with s.transaction() as tx:  # the scenario's region lies in country XS
            region = tx.get("admin-areas", "R1")
            region.country = "XS"  # type: ignore[attr-defined]
            tx.update(region)
    register = tmp_path / "register.csv"
    head = REGISTER.read_text(encoding="utf-8").splitlines()[0]
    register.write_text("\n".join([
        head,
        "XS-1,XS,national,ap_area_cleared,0.36,km2,2023-01-01,2023-12-31,,Authority,Annual "
        "report,,reported,",
        "XS-2,XS,national,ap_mines_destroyed,12,count,2023-01-01,2023-12-31,,Authority,Annual "
        "report,,reported,",
        "XS-3,XS,national,ap_mines_destroyed,20,count,2023-01-01,2023-12-31,,Observer,Review,,"
        "estimate,",
        "XS-4,XS,national,casualties_killed,3,count,2023-01-01,2023-12-31,,Authority,Annual "
        "report,,reported,",
    ]) + "\n", encoding="utf-8")
    assert main(["--db", path, "figures", "import", str(register)]) == 0
    capsys.readouterr()
    assert main(["--db", path, "figures", "compare", "--country", "XS", "--format",
                 "json"]) == 0
    rows = {r["figure_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["XS-1"]["agrees"] and rows["XS-1"]["computed"] == pytest.approx(0.36, abs=0.005)
    assert rows["XS-2"]["agrees"] and rows["XS-2"]["computed"] == 12  # F6 was destroyed in 2022
    assert not rows["XS-3"]["agrees"] and rows["XS-3"]["difference"] == -8
    # 3 people killed: a count of people below 5 is suppressed, in every field that carries it.
    assert rows["XS-4"]["computed"] == rows["XS-4"]["records"] == "<5"
    assert rows["XS-4"]["agrees"] is None and rows["XS-4"]["difference"] is None
    assert main(["--db", path, "figures", "compare", "--country", "XS", "--format", "json",
                 "--suppress-below", "0"]) == 0
    rows = {r["figure_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["XS-4"]["agrees"] and rows["XS-4"]["records"] == 3


def test_compare_leaves_out_other_countries_figures(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from tests.reports.scenario import build as build_scenario

    path = str(tmp_path / "x.gpkg")
    with open_store(path) as s:
        s.create()
        build_scenario(s)
        with s.transaction() as tx:
            tx.add(fig("XS-9", 12, 0, metric="ap_mines_destroyed", unit="count"))
            import mineaction.domain as d

            tx.add(d.AdminArea(id="XS", name="Country (synthetic)", level=0, country="XS",
                               source="synthetic:report-test"))
    assert main(["--db", path, "figures", "import", str(REGISTER)]) == 0
    capsys.readouterr()
    assert main(["--db", path, "figures", "compare", "--format", "json"]) == 0
    assert [r["figure_id"] for r in json.loads(capsys.readouterr().out)] == ["XS-9"]
    assert main(["--db", path, "figures", "compare", "--country", "AZ", "--format",
                 "json"]) == 0
    assert "MAR24-02" in {r["figure_id"] for r in json.loads(capsys.readouterr().out)}

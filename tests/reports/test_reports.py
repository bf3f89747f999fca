"""Reports reconcile: totals are the sum of their rows and equal a recount of the exported
records; every cell names its records and its filter; personal data never shows; small
counts are suppressed; every format renders (the PDF read back by poppler)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from mineaction import domain as d
from mineaction.analysis.statistics import Land, Period, Scope, scope_for
from mineaction.cli import main
from mineaction.reports import REPORTS, Options, build
from mineaction.reports.localise import localise
from mineaction.reports.render import explain, write
from mineaction.store import Store, open_store
from tests.reports.scenario import HAZARD_NAME
from tests.reports.scenario import build as build_scenario

YEAR = Scope(Period.of(2023))


@pytest.fixture
def programme(store: Store) -> Store:
    build_scenario(store)
    return store


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "r.gpkg")
    with open_store(path) as s:
        s.create()
        build_scenario(s)
    return path


def numeric_columns(table):  # type: ignore[no-untyped-def]
    return [c.name for c in table.columns[1:] if c.numeric]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_total_is_the_sum_of_its_rows(programme: Store, name: str) -> None:
    rep = build(programme, name, YEAR, Options(suppress_below=0, quarter=4))
    assert rep.synthetic
    assert rep.tables
    for t in rep.tables:
        if t.total is None:
            continue
        for col in t.summed:
            rows = sum(r[col].value or 0 for r in t.rows)
            assert t.total[col].value == pytest.approx(rows), (t.name, col)
        for col in t.land:  # released land: the land under all the rows, never more
            ids = sorted({i for r in t.rows if r[col].figure for i in r[col].figure.ids})
            scale = 1e6 if next(c for c in t.columns if c.name == col).unit == "km²" else 1.0
            assert t.total[col].figure.ids == ids, (t.name, col)
            if t.total[col].figure.layer == "release-steps":
                assert t.total[col].value == pytest.approx(Land(programme).area(ids) / scale), \
                    (t.name, col)
            else:  # hazards as they stood on a day: measured on that day's versions
                assert t.total[col].figure.layer == "hazards", (t.name, col)
                assert t.total[col].value > 0 or not ids, (t.name, col)
            assert t.total[col].value <= sum(r[col].value for r in t.rows) + 1e-9
        assert not set(t.land) & set(t.summed)
        for r in t.all_rows():
            for col in numeric_columns(t):
                fig = r[col].figure
                if fig is not None and r is not t.total:
                    # Each figure says which period (and rows, columns) produced it.
                    period = fig.criteria.get("period")
                    if isinstance(period, str):  # a row's own year or quarter of the report's
                        assert period.startswith("2023"), (t.name, col, fig.criteria)
                        continue
                    assert period and period["to"] == "2023-12-31" or "hazard" in \
                        fig.criteria or "metric" in fig.criteria, (t.name, col, fig.criteria)


def recount_districts(db: str, tmp_path: Path, year: str
                      ) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """The district table recounted with pandas from the exported records: (AP-polygon
    release steps with their district, area per district, items per district and category)."""
    steps_csv, finds_csv = tmp_path / "steps.csv", tmp_path / "finds.csv"
    assert main(["--db", db, "export", "release-steps", "-o", str(steps_csv)]) == 0
    assert main(["--db", db, "export", "finds", "-o", str(finds_csv)]) == 0
    assert main(["--db", db, "export", "admin-areas", "-o", str(tmp_path / "areas.csv")]) == 0
    steps = pd.read_csv(steps_csv)
    finds = pd.read_csv(finds_csv)
    areas = pd.read_csv(tmp_path / "areas.csv").set_index("id")

    def district(area_id: str) -> str:
        while areas.loc[area_id, "level"] > 2:
            area_id = areas.loc[area_id, "parent_id"]
        return str(areas.loc[area_id, "name"])

    steps = steps[steps["released_on"].astype(str).str.startswith(year)]
    ap_acts = set(finds.loc[finds["category"] == "ap", "activity_id"].dropna())
    mine = steps[steps["activity_id"].isin(ap_acts)].copy()
    mine["district"] = mine["admin_area_id"].map(district)
    expected_area = mine.groupby("district")["area_m2"].sum()
    home = (mine.groupby(["activity_id", "district"])["area_m2"].sum().reset_index()
            .sort_values(["activity_id", "area_m2"], ascending=[True, False])
            .drop_duplicates("activity_id").set_index("activity_id")["district"])
    f = finds[finds["activity_id"].isin(home.index)].copy()
    f["district"] = f["activity_id"].map(home)
    return mine, expected_area, f


def check_districts(db: str, tmp_path: Path, year: int) -> None:
    mine, expected_area, f = recount_districts(db, tmp_path, str(year))
    expected_items = f.groupby(["district", "category"])["quantity"].sum()
    with open_store(db) as store:
        rep = build(store, "ap-release-by-district", Scope(Period.of(year)))
    t = rep.table("districts")
    assert [r["district"].value for r in t.rows] == sorted(expected_area.index)
    for r in t.rows:
        d = r["district"].value
        # The export rounds each area to 0.1 m².
        assert r["area_released_m2"].value == pytest.approx(expected_area[d], abs=0.5)
        for col, cat in (("ap_mines_destroyed", "ap"), ("av_mines_destroyed", "av"),
                         ("cmr_destroyed", "cmr"), ("uxo_destroyed", "uxo")):
            assert r[col].value == expected_items.get((d, cat), 0), (d, col)
    assert t.total["area_released_m2"].value == pytest.approx(mine["area_m2"].sum(), abs=0.5)
    assert t.total["ap_mines_destroyed"].value == f.loc[f["category"] == "ap",
                                                        "quantity"].sum()
    # The report's CSV says the same as the report.
    out = tmp_path / "rep.csv"
    assert main(["--db", db, "report", "ap-release-by-district", "--year", str(year), "-o",
                 str(out)]) == 0
    with open(tmp_path / "rep-districts.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[-1]["district"] == "Total"
    assert float(rows[-1]["area_released_m2"]) == pytest.approx(mine["area_m2"].sum(), abs=0.5)


def test_ap_release_by_district_recounts_from_exported_records(db: str, tmp_path: Path
                                                               ) -> None:
    check_districts(db, tmp_path, 2023)


@pytest.fixture
def examples_db(tmp_path: Path) -> str:
    """The example dataset imported as ``make demo`` does: activities release land."""
    from tests.conftest import EXAMPLES

    path = str(tmp_path / "ex.gpkg")
    assert main(["--db", path, "init"]) == 0
    for layer, name, extra in [("organisations", "organisations.csv", ["--crs", "EPSG:4326"]),
                               ("admin-areas", "admin-areas.geojson", []),
                               ("hazards", "hazards.geojson", []),
                               ("activities", "activities.geojson", []),
                               ("finds", "finds.csv", ["--crs", "EPSG:4326"])]:
        assert main(["--db", path, "import", layer, str(EXAMPLES / name), *extra]) == 0, name
    return path


def test_reports_on_the_example_store_reconcile_with_a_recount(examples_db: str,
                                                               tmp_path: Path) -> None:
    with open_store(examples_db) as store:
        years = sorted({str(r["year"]) for r in store.aggregate(
            "release-steps", ["year"], date_field="released_on") if r["year"]})
        assert store.count("release-steps") > 0
    for year in years:
        check_districts(examples_db, tmp_path, int(year))
    steps = pd.read_csv(tmp_path / "steps.csv")
    steps["year"] = steps["released_on"].astype(str).str[:4]
    cont = steps["contamination"].fillna("").str.split(",")
    steps["ap"] = cont.map(lambda c: "ap" in c)
    with open_store(examples_db) as store:
        rep = build(store, "ap-clearance-five-year", Scope(Period.of(int(years[-1]))))
        t = rep.table("years")
        for method, col in (("cleared", "ap_cleared_km2"), ("reduced", "ap_reduced_km2"),
                            ("cancelled", "ap_cancelled_km2")):
            for r in t.rows:
                sel = steps[(steps["year"] == r["year"].value) & steps["ap"]
                            & (steps["method"] == method)]
                assert r[col].value == pytest.approx(sel["area_m2"].sum() / 1e6, abs=1e-6)
        # Released area by method over all polygons equals the steps, method by method.
        classes = build(store, "ap-release-by-district", Scope()).table("contamination")
        for method in ("cancelled", "reduced", "cleared"):
            assert classes.total[f"{method}_m2"].value == pytest.approx(
                steps.loc[steps["method"] == method, "area_m2"].sum(), abs=0.5)


def test_cleared_is_never_summed_with_reduced_or_cancelled(programme: Store) -> None:
    rep = build(programme, "ap-clearance-five-year", YEAR)
    row = rep.table("years").cell("2023", "ap_cleared_km2")
    # 2023, AP polygons, cleared: S1 100,000 + S3 250,000 + S4 10,000 m²; S2 (reduced) apart.
    assert row.value == pytest.approx(0.36, rel=0.01)
    assert sorted(row.figure.ids) == ["S1", "S3", "S4"]
    assert rep.table("years").cell("2023", "ap_reduced_km2").value == pytest.approx(0.04,
                                                                                 rel=0.01)
    assert rep.table("years").cell("2022", "ap_cleared_km2").value == 0  # S6 is battle area
    classes = build(programme, "ap-release-by-district", YEAR).table("contamination")
    assert classes.cell("AV mines only", "cancelled_m2").value == pytest.approx(500_000, rel=0.01)
    assert classes.cell("Battle area (no AP or AV mines)", "cleared_m2").value == \
        pytest.approx(30_000, rel=0.01)
    assert classes.total["cleared_m2"].value == pytest.approx(390_000, rel=0.01)


def test_explain_lists_the_records_behind_a_cell(db: str, capsys: pytest.CaptureFixture[str]
                                                 ) -> None:
    capsys.readouterr()
    assert main(["--db", db, "report", "ap-release-by-district", "--year", "2023", "--explain",
                 "--cell", "districts/Alda District (synthetic)/area_released_m2"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["layer"] == "release-steps"
    assert item["ids"] == ["S1", "S2", "S3"]  # S3 lies in a village of the district
    assert item["value"] == pytest.approx(390_000, rel=0.01)
    assert item["filter"]["period"] == {"from": "2023-01-01", "to": "2023-12-31"}
    assert main(["--db", db, "report", "ap-release-by-district", "--year", "2023", "--explain",
                 "--cell", "districts/Total/ap_mines_destroyed"]) == 0
    (total,) = json.loads(capsys.readouterr().out)
    assert total["layer"] == "finds" and total["ids"] == ["F1", "F3", "F8"]


def test_area_filter_includes_the_areas_inside(programme: Store) -> None:
    scope = scope_for(programme, Period.of(2023), "Alda District (synthetic)")
    rep = build(programme, "ap-release-by-district", scope)
    (row,) = rep.table("districts").rows
    assert row["district"].value == "Alda District (synthetic)"
    assert row["area_released_m2"].value == pytest.approx(390_000, rel=0.01)
    region = build(programme, "ap-release-by-district",
                   scope_for(programme, Period.of(2023), "R1"))
    assert region.table("districts").total["area_released_m2"].value == \
        pytest.approx(430_000, rel=0.01)


def test_unknown_area_is_an_error(db: str) -> None:
    assert main(["--db", db, "report", "casualties", "--area", "Atlantis"]) == 2


def test_capacity_takes_the_latest_period_never_the_sum(programme: Store) -> None:
    rep = build(programme, "capacity", YEAR)
    staff = rep.table("clearance").cell("Op A", "operational_staff")
    assert staff.value == 52 and staff.figure.ids == ["C2"]
    survey = rep.table("survey")
    assert survey.cell("Op B", "ts_personnel").value == 9
    assert survey.cell("Op B", "nts_teams").value == 1


def test_casualties_suppress_small_counts_and_mark_them(programme: Store) -> None:
    rep = build(programme, "casualties", YEAR, Options(suppress_below=5))
    t = rep.table("by-group")
    assert t.cell("civilian", "killed").suppressed  # 3 people
    assert not t.cell("civilian", "killed").secondary
    assert t.cell("deminer", "injured").suppressed  # 2 people
    # With the threshold at 0 nothing is hidden and the counts are the records.
    open_rep = build(programme, "casualties", YEAR, Options(suppress_below=0))
    ot = open_rep.table("by-group")
    assert ot.cell("civilian", "killed").value == 3
    assert ot.cell("civilian", "injured").value == 12
    assert ot.total["total"].value == 23  # the 7 military killed in 2022 are outside
    # No row or column has exactly one hidden cell left to work out from its total.
    for r in t.rows:
        assert sum(r[c].suppressed for c in ("killed", "injured", "total")) != 1
    for c in ("killed", "injured", "total"):
        assert sum(r[c].suppressed for r in t.all_rows()) != 1


def test_public_outputs_hold_no_personal_data(db: str, tmp_path: Path) -> None:
    with open_store(db) as store:
        rep = build(store, "casualties", YEAR)
    paths = []
    for fmt in ("csv", "xlsx", "html"):
        paths += write(rep, tmp_path / f"c.{fmt}")
    texts = []
    for p in paths:
        if p.suffix == ".xlsx":
            wb = load_workbook(p)
            texts.append(" ".join(str(c.value) for ws in wb for row in ws.iter_rows()
                                  for c in row))
        else:
            texts.append(p.read_text(encoding="utf-8"))
    texts.append(json.dumps(explain(rep)))
    for text in texts:
        assert "Privatename" not in text and "555 0101" not in text and "P001" not in text
    assert "<5" in (tmp_path / "c.html").read_text(encoding="utf-8").replace("&lt;", "<")


def test_formats_carry_the_filter_and_the_synthetic_mark(db: str, tmp_path: Path) -> None:
    with open_store(db) as store:
        rep = build(store, "ap-release-by-district", YEAR)
    (xlsx,) = write(rep, tmp_path / "r.xlsx")
    about = {r[0].value: r[1].value for r in load_workbook(xlsx)["About"].iter_rows()}
    assert "SYNTHETIC" in about["Data"] and "2023" in about["Filter"]
    sheet = load_workbook(xlsx)["districts"]
    assert sheet.cell(sheet.max_row, 1).value == "Total"
    (html,) = write(rep, tmp_path / "r.html")
    text = html.read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in text and "<svg" in text and "Period: 2023" in text


@pytest.mark.real
def test_every_report_renders_to_pdf_that_poppler_reads(db: str, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    for name in sorted(REPORTS):
        out = tmp_path / f"{name}.pdf"
        args = ["--db", db, "report", name, "--year", "2023", "-o", str(out)]
        if name == "progress":
            args += ["--quarter", "4"]
        assert main(args) == 0, name
        assert out.read_bytes()[:5] == b"%PDF-"
        subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(out),
                        str(tmp_path / name)], check=True)
        assert list(tmp_path.glob(f"{name}*.png")), name
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "SYNTHETIC" in text, name
        if name == "article7":  # Armenian and Georgian glyphs are in the fonts
            assert HAZARD_NAME in text
            fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True,
                                   check=True).stdout
            assert "Noto" in fonts


def test_form_c_lists_open_ap_hazards_with_their_district(programme: Store) -> None:
    rep = build(programme, "article7", YEAR)
    form_c = rep.table("form-c")
    (row,) = form_c.rows
    assert row["hazard"].value == "H-OPEN-1"
    assert row["district"].value == "Alda District (synthetic)"  # from its village
    assert row["estimated_mines"].value == 120
    assert row["area_m2"].value == pytest.approx(60_000, rel=0.01)
    assert [r["hazard"].value for r in rep.table("ccm-form-f").rows] == ["H-OPEN-2"]
    form_g = rep.table("form-g")
    # AP mines destroyed in 2023 by type: PMN-2 7, OZM-72 3, and 2 of no recorded type.
    assert {r["type"].value: r["destroyed"].value for r in form_g.rows} == {
        "(type not recorded)": 2, "OZM-72": 3, "PMN-2": 7}


def test_no_report_reads_the_personal_data_layer(programme: Store,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from mineaction.store.base import layer_of

    read: set[str] = set()
    for method in ("iter", "aggregate", "get", "count", "query"):
        original = getattr(programme, method)

        def spy(layer, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            read.add(layer_of(layer).name)
            return _original(layer, *args, **kwargs)

        monkeypatch.setattr(programme, method, spy)
    for name in sorted(REPORTS):
        build(programme, name, YEAR, Options(quarter=4))
    assert "victims" in read and "release-steps" in read  # the spy sees the reads
    assert "victims-personal" not in read


def test_progress_sets_the_plan_of_the_stores_own_country_beside_the_release(
        programme: Store) -> None:
    from mineaction.domain.figures import FigureQualifier, PublishedFigure

    with programme.transaction() as tx:
        tx.add_many([d.AdminArea(id="XS", name="Country (synthetic)", level=0, country="XS",
                                 source="synthetic:report-test")])
        for fid, country, value in (("P-XS", "XS", 2.5), ("P-AZ", "AZ", 500.0)):
            tx.add(PublishedFigure(id=fid, country=country, area="national",
                                   metric="area_released_target", value=value, unit="km2",
                                   period_start=dt.date(2023, 1, 1),
                                   period_end=dt.date(2023, 12, 31),
                                   qualifier=FigureQualifier.TARGET, attributed_to="Authority",
                                   publication="Work plan"))
    rep = build(programme, "progress", YEAR, Options(quarter=2))
    plan = rep.table("plan")
    (target,) = [r for r in plan.rows if r["measure"].value.startswith("Plan")]
    assert target["area_km2"].value == 2.5 and target["area_km2"].figure.ids == ["P-XS"]
    cleared = plan.cell("Cleared, year to date", "area_km2")
    # Up to the end of Q2: S1 (February) and S3, S4 (May), all cleared.
    assert sorted(cleared.figure.ids) == ["S1", "S3", "S4"]


def test_a_total_carries_the_filter_its_rows_share(programme: Store) -> None:
    rep = build(programme, "ap-release-by-district", YEAR)
    total = rep.table("districts").total["area_released_m2"].figure
    assert total.criteria["period"] == {"from": "2023-01-01", "to": "2023-12-31"}
    assert "district" not in total.criteria and "union" in total.criteria["rule"]
    items = rep.table("districts").total["ap_mines_destroyed"].figure
    assert "district" not in items.criteria and "sum of the rows" in items.criteria["rule"]


def test_progress_splits_the_quarter_by_operator_and_method(programme: Store) -> None:
    rep = build(programme, "progress", YEAR, Options(quarter=3))
    ops = rep.table("operators")
    # Q3 2023: S5, Op B, cancelled; nothing cleared by anyone.
    assert [r["operator"].value for r in ops.rows] == ["Op B"]
    assert ops.cell("Op B", "cancelled_m2").figure.ids == ["S5"]
    assert ops.total["cleared_m2"].value == 0


def test_hidden_counts_print_as_marks_and_explain_gives_nothing_away(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--db", db, "report", "casualties", "--year", "2023", "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert "<5" in text and "suppressed" not in text
    with open_store(db) as store:
        rep = build(store, "casualties", YEAR)
    (xlsx,) = write(rep, tmp_path / "c.xlsx")
    values = {c.value for row in load_workbook(xlsx)["by-group"].iter_rows() for c in row}
    assert "<5" in values
    assert not any("records)" in s for s in rep.sources)  # no count of victims there either
    capsys.readouterr()
    assert main(["--db", db, "report", "casualties", "--year", "2023", "--explain"]) == 0
    items = json.loads(capsys.readouterr().out)
    hidden = [i for i in items if i["value"] in ("<5", "x")]
    assert hidden
    for item in hidden:  # neither the value nor the number of records nor their ids
        assert item["records"] == item["value"] and item["ids"] == []
    assert all(i["ids"] == [] for i in items)  # victims' ids could be intersected
    assert main(["--db", db, "report", "casualties", "--year", "2023", "--explain",
                 "--suppress-below", "0"]) == 0
    open_items = json.loads(capsys.readouterr().out)
    assert all(len(i["ids"]) == i["records"] == i["value"] for i in open_items)


def test_the_casualty_chart_marks_hidden_counts(programme: Store) -> None:
    rep = build(programme, "casualties", Scope(), Options(suppress_below=5))
    (chart,) = rep.charts
    assert any(m for marks in chart.marks.values() for m in marks)
    by_year = rep.table("by-year")
    rows = [r for r in by_year.rows if r["year"].value != "unknown"]
    for outcome in ("killed", "injured"):
        for r, mark, value in zip(rows, chart.marks[outcome], chart.series[outcome],
                                  strict=True):
            assert bool(mark) == r[outcome].suppressed
            if mark:  # never the hidden value itself
                assert mark in ("<5", ">=5") and value == 0
    assert [n for n in chart.notes if "hatched" in n] and "hatched" not in chart.source
    rep.locale = "ka"  # said in the report's language, under the source line
    (shown,) = localise(rep).charts
    assert shown.source.startswith("წყარო: ") and "SYNTHETIC" not in shown.source
    assert shown.notes[0].startswith("5-ზე ნაკლები რაოდენობა არ ჩანს")

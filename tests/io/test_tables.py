"""CSV and XLSX: every row read, formulas without values, repeated column names, NULs, long
fields and encodings refused by name, never lost or a traceback."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from mineaction.errors import InvalidInput
from mineaction.io.readers import read_file

HEADER = ["id", "category", "model", "quantity", "lon", "lat"]
ROWS = [["F1", "ap", "PMN-2", 1, 50.5, 41.0], ["F2", "av", "TM-62M", 2, 50.51, 41.0],
        ["F3", "uxo", "OF-462", 3, 50.52, 41.0]]


def xlsx(path: Path, rows: list[list], dimension: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Finds"
    for row in rows:
        ws.append(row)
    wb.save(path)
    if dimension:
        rewrite_sheet(path, lambda xml: re.sub(rb'<dimension ref="[^"]*"',
                                               f'<dimension ref="{dimension}"'.encode(), xml))
    return path


def rewrite_sheet(path: Path, change) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, change(data) if info.filename == "xl/worksheets/sheet1.xml"
                       else data)


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_beyond_an_understated_dimension_are_read(tmp_path, cli, stored):
    path = xlsx(tmp_path / "f.xlsx", [HEADER, *ROWS], dimension="A1:F2")
    with zipfile.ZipFile(path) as z:
        assert b'<dimension ref="A1:F2"' in z.read("xl/worksheets/sheet1.xml")
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    assert "imported 3 finds" in out
    assert {f.id: f.quantity for f in stored("finds").values()} == {"F1": 1, "F2": 2, "F3": 3}


def test_a_formula_without_a_value_is_named(tmp_path, cli, stored):
    rows = [HEADER, ROWS[0], ["F2", "av", "TM-62M", "=B7*2", 50.51, 41.0]]
    path = xlsx(tmp_path / "f.xlsx", rows)
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "sheet 'Finds' row 3, field 'quantity': formula without a computed value; open and " \
           "save the file in a spreadsheet program, or paste values" in out
    assert stored("finds") == {}


def test_a_formula_with_its_computed_value_is_read(tmp_path, stored, cli):
    rows = [HEADER, ["F1", "ap", "PMN-2", "=1+1", 50.5, 41.0]]
    path = xlsx(tmp_path / "f.xlsx", rows)
    # what a spreadsheet program writes: the formula and the value it computed
    rewrite_sheet(path, lambda xml: re.sub(rb"<f>1\+1</f><v\s*/>", b"<f>1+1</f><v>2</v>", xml))
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    assert stored("finds")["F1"].quantity == 2


def test_a_repeated_column_name_is_refused_with_its_places(tmp_path, cli):
    path = csv_file(tmp_path, "id,category,quantity,lon,lat,Quantity\nF1,ap,1,50.5,41.0,5\n")
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "header, field 'quantity': the name is given to 2 columns (column 3 and column 6)" \
           in out
    book = xlsx(tmp_path / "f.xlsx", [[*HEADER, "model"], [*ROWS[0], "PMN-4"]])
    code, out = cli("import", "finds", str(book))
    assert code == 2
    assert "header, field 'model': the name is given to 2 columns (column C and column G)" in out


def test_a_value_under_a_column_without_a_name_is_named(tmp_path, cli):
    path = csv_file(tmp_path, "id,category,,lon,lat\nF1,ap,,50.5,41.0\nF2,ap,7,50.5,41.0\n")
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "1 problem" in out
    assert "line 3, field 'column 3': a value in a column that has no name in the header" in out


def test_a_nul_in_a_csv_value_is_named(tmp_path, cli, stored):
    path = csv_file(tmp_path, "id,category,model,lon,lat\nF1,ap,PMN\x00-2 note,50.5,41.0\n"
                              "F2,ap,PMN-2,50.5,41.0\n")
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "line 2, field 'model': the value holds a NUL character" in out
    assert stored("finds") == {}


def test_a_long_wkt_field_is_read(tmp_path, cli, stored):
    import math

    n = 6000  # about 220,000 characters of WKT, over the csv module's 131,072 default
    ring = [(50.6 + 0.01 * math.cos(2 * math.pi * k / n), 41.3 + 0.01 * math.sin(2 * math.pi
                                                                                 * k / n))
            for k in range(n)]
    wkt = "POLYGON ((" + ", ".join(f"{x:.12f} {y:.12f}" for x, y in [*ring, ring[0]]) + "))"
    assert len(wkt) > 131_072
    path = csv_file(tmp_path, f'id,kind,wkt\nH1,sha,"{wkt}"\n')
    code, out = cli("import", "hazards", str(path))
    assert code == 0, out
    assert len(stored("hazards")["H1"].geometry.geoms[0].exterior.coords) == n + 1


def test_a_quote_left_open_is_refused_with_its_line(tmp_path, cli):
    path = csv_file(tmp_path, "id,category,model,lon,lat\nF1,ap,PMN-2,50.5,41.0\n"
                              'F2,ap,"PMN-2,50.5,41.0\n' + "F3,ap,PMN-2,50.5,41.0\n" * 20_000)
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "not a readable CSV file (line 3: a quoted value is not closed" in out


def test_utf16_with_a_byte_order_mark_is_read(tmp_path, cli, stored):
    path = csv_file(tmp_path, "id\tcategory\tmodel\tlon\tlat\r\nF1\tap\tПМН-2\t50.5\t41.0\r\n",
                    encoding="utf-16")
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    assert stored("finds")["F1"].model == "ПМН-2"


def test_utf16_without_a_byte_order_mark_asks_for_the_encoding(tmp_path, cli, stored):
    text = "id,category,model,lon,lat\nF1,ap,PMN-2,50.5,41.0\n"
    path = csv_file(tmp_path, text, encoding="utf-16-le")
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "it looks like UTF-16 text without a byte-order mark; give --encoding utf-16-le" in out
    code, out = cli("import", "finds", str(path), "--encoding", "utf-16-le")
    assert code == 0, out


def test_windows_1252_asks_for_the_encoding(tmp_path, cli, stored):
    path = csv_file(tmp_path, "id,category,model,lon,lat\nF1,ap,PMN-2,50.5,41.0\n"
                              "F2,uxo,Obus 105 mm (trouvé),50.5,41.0\n", encoding="cp1252")
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "not UTF-8 text (line 3 has the byte 0xE9" in out and "--encoding cp1252" in out
    code, out = cli("import", "finds", str(path), "--encoding", "cp1252")
    assert code == 0, out
    assert stored("finds")["F2"].model == "Obus 105 mm (trouvé)"
    code, out = cli("import", "finds", str(path), "--encoding", "klingon")
    assert code == 2 and "unknown encoding 'klingon'" in out


def test_options_that_do_not_apply_are_refused(tmp_path):
    path = csv_file(tmp_path, "id,category\nF1,ap\n")
    with pytest.raises(InvalidInput, match="holds one table; --source-layer 'x' does not apply"):
        read_file(path, layer="x")
    book = xlsx(tmp_path / "f.xlsx", [HEADER, ROWS[0]])
    with pytest.raises(InvalidInput, match="--encoding does not apply to XLSX"):
        read_file(book, encoding="cp1252")
    with pytest.raises(InvalidInput, match="has no sheet 'Other'; its sheets: Finds"):
        read_file(book, layer="Other")
    assert read_file(book, layer="Finds").features[0].properties["model"] == "PMN-2"


def test_a_workbook_with_several_sheets_of_data_asks_which(tmp_path, cli, stored):
    """Reading the first sheet alone would leave the others' rows out unsaid; an empty sheet
    beside the data does not count."""
    wb = Workbook()
    first = wb.active
    first.title = "2023"
    for row in [HEADER, ROWS[0]]:
        first.append(row)
    second = wb.create_sheet("2024")
    for row in [HEADER, *ROWS[1:]]:
        second.append(row)
    wb.create_sheet("notes")  # empty
    path = tmp_path / "two.xlsx"
    wb.save(path)
    code, out = cli("import", "finds", str(path))
    assert code == 2 and "holds 2 sheets with data (2023, 2024)" in out, out
    assert stored("finds") == {}
    code, out = cli("import", "finds", str(path), "--source-layer", "2024")
    assert code == 0, out
    assert sorted(stored("finds")) == ["F2", "F3"]
    del wb["2024"]
    wb.save(path)
    code, out = cli("import", "finds", str(path))  # one sheet of data: read without asking
    assert code == 0, out


def test_a_dbf_whose_language_driver_says_ansi_asks_for_the_encoding(tmp_path, cli, stored):
    """LDID 0x57 ("ANSI") names the writing machine's code page, not one: cp1251 text under
    it is refused with --encoding, never read as another code page."""
    import numpy as np
    import pyogrio.raw
    import shapely

    shp = tmp_path / "h.shp"
    pyogrio.raw.write(str(shp), np.array([shapely.to_wkb(shapely.box(50.5, 41.0, 50.51, 41.01))],
                                         dtype=object),
                      [np.array(["H1"], dtype=object), np.array(["sha"], dtype=object),
                       np.array(["Поле у реки"], dtype=object)], ["id", "kind", "name"],
                      driver="ESRI Shapefile", geometry_type="Polygon", crs="EPSG:4326",
                      encoding="cp1251")
    (tmp_path / "h.cpg").unlink(missing_ok=True)
    dbf = tmp_path / "h.dbf"
    data = bytearray(dbf.read_bytes())
    data[29] = 0x57
    dbf.write_bytes(bytes(data))
    archive = tmp_path / "h.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("h.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    code, out = cli("import", "hazards", str(archive))
    assert code == 2 and "--encoding" in out, out
    assert stored("hazards") == {}
    code, out = cli("import", "hazards", str(archive), "--encoding", "cp1251")
    assert code == 0, out
    assert stored("hazards")["H1"].name == "Поле у реки"

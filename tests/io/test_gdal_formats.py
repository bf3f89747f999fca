"""GeoPackage, Shapefile, FlatGeobuf and KML through GDAL: dates read as text so a bad one is
named, every layer accounted for, encodings never guessed, broken files refused by name."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import Point

from mineaction.errors import InvalidInput
from mineaction.io.readers import read_file


def write_finds(path: Path, driver: str, *, layer: str | None = None, ids=("F1", "F2"),
                categories=("ap", "av"), models=("PMN-2", "TM-62M"),
                encoding: str | None = None) -> Path:
    n = len(ids)
    geoms = np.array([shapely.to_wkb(Point(50.5 + i * 0.01, 41.0)) for i in range(n)],
                     dtype=object)
    fields = [np.array(ids, dtype=object), np.array(categories, dtype=object),
              np.array([f"2023-05-0{i + 1}" for i in range(n)], dtype="datetime64[D]"),
              np.array(models, dtype=object)]
    pyogrio.raw.write(str(path), geoms, fields, ["id", "category", "found_on", "model"],
                      driver=driver, geometry_type="Point", crs="EPSG:4326", layer=layer,
                      append=path.exists(), encoding=encoding)
    return path


def zip_up(zpath: Path, files: list[Path], skip: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(zpath, "w") as z:
        for f in files:
            if f.suffix.lower() not in skip:
                z.write(f, f.name)
    return zpath


def shapefile_parts(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem)


def sql(gpkg: Path, statement: str) -> None:
    """Change a GeoPackage table behind GDAL's back (its triggers need GDAL's functions)."""
    con = sqlite3.connect(gpkg)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute(statement)
    con.commit()
    con.close()


def impossible_date(tmp_path: Path, fmt: str) -> Path:
    """A finds file of ``fmt`` whose first row says 30 February and second an unknown category."""
    if fmt == "gpkg":
        path = write_finds(tmp_path / "f.gpkg", "GPKG", layer="finds", categories=("ap", "x"))
        sql(path, "UPDATE finds SET found_on = '2023-02-30' WHERE id = 'F1'")
        return path
    if fmt == "shp":
        shp = write_finds(tmp_path / "f.shp", "ESRI Shapefile", categories=("ap", "x"))
        dbf = shp.with_suffix(".dbf")
        dbf.write_bytes(dbf.read_bytes().replace(b"20230501", b"20230230"))
        return zip_up(tmp_path / "f.zip", shapefile_parts(shp))
    path = write_finds(tmp_path / "f.fgb", "FlatGeobuf", categories=("ap", "x"))
    data = path.read_bytes()
    assert data.count(b"2023-05-01") == 1
    path.write_bytes(data.replace(b"2023-05-01", b"2023-02-30"))
    return path


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "fgb"])
def test_an_impossible_date_is_named_with_the_other_problems(tmp_path, cli, stored, fmt):
    path = impossible_date(tmp_path, fmt)
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "2 problems" in out
    # (a FlatGeobuf keeps its features in spatial order: the row number may differ)
    assert ("(id F1), field 'found_on': expected a date as YYYY-MM-DD (or an ISO date and "
            "time), got '2023-02-30") in out
    assert "(id F2), field 'category': unknown value 'x'" in out
    assert stored("finds") == {}


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "fgb"])
def test_dates_read_as_text_still_import_as_dates(tmp_path, cli, stored, fmt):
    driver, name = {"gpkg": ("GPKG", "f.gpkg"), "shp": ("ESRI Shapefile", "f.shp"),
                    "fgb": ("FlatGeobuf", "f.fgb")}[fmt]
    path = write_finds(tmp_path / name, driver)
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    finds = stored("finds")
    assert finds["F1"].found_on == dt.date(2023, 5, 1)
    assert finds["F2"].found_on == dt.date(2023, 5, 2)
    assert finds["F2"].model == "TM-62M" and finds["F2"].geometry.x == pytest.approx(50.51)


def test_a_geopackage_with_several_layers_asks_which(tmp_path, cli, stored):
    path = write_finds(tmp_path / "f.gpkg", "GPKG", layer="finds_2022")
    write_finds(path, "GPKG", layer="finds_2023", ids=("G1", "G2"))
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "holds 2 layers (finds_2022, finds_2023); choose one with --source-layer NAME" in out
    code, out = cli("import", "finds", str(path), "--source-layer", "finds_2024")
    assert code == 2 and "has no layer 'finds_2024'; its layers: finds_2022, finds_2023" in out
    code, out = cli("import", "finds", str(path), "--source-layer", "finds_2023")
    assert code == 0, out
    assert set(stored("finds")) == {"G1", "G2"}


def test_qgis_styles_table_is_not_a_layer_to_choose(tmp_path):
    path = write_finds(tmp_path / "f.gpkg", "GPKG", layer="finds")
    pyogrio.raw.write(str(path), None, [np.array(["<qgis/>"], dtype=object)], ["styleQML"],
                      driver="GPKG", layer="layer_styles", append=True)
    assert {str(n) for n, _ in pyogrio.list_layers(path)} == {"finds", "layer_styles"}
    assert read_file(path).layer == "finds"


def test_a_zip_of_several_shapefiles_asks_which(tmp_path, cli, stored):
    a = write_finds(tmp_path / "north.shp", "ESRI Shapefile")
    b = write_finds(tmp_path / "south.shp", "ESRI Shapefile", ids=("S1", "S2"))
    path = zip_up(tmp_path / "finds.zip", shapefile_parts(a) + shapefile_parts(b))
    code, out = cli("import", "finds", str(path))
    assert code == 2 and "holds 2 layers (" in out and "--source-layer NAME" in out
    assert "north" in out and "south" in out
    code, out = cli("import", "finds", str(path), "--source-layer", "south")
    assert code == 0, out
    assert set(stored("finds")) == {"S1", "S2"}


@pytest.mark.filterwarnings("ignore:Unrecognized value for altitudeMode")
def test_a_kml_with_several_folders_asks_which(tmp_path):
    path = write_finds(tmp_path / "f.kml", "LIBKML", layer="team_a")
    write_finds(path, "LIBKML", layer="team_b", ids=("B1", "B2"))
    with pytest.raises(InvalidInput, match=r"holds 2 layers \(team_a, team_b\)"):
        read_file(path)
    src = read_file(path, layer="team_b")
    assert [f.properties["id"] for f in src.features] == ["B1", "B2"]


@pytest.mark.parametrize("missing,expect", [(".shx", "no f.shx (its index of shapes)"),
                                            (".dbf", "no f.dbf (its attribute table)")])
def test_a_zipped_shapefile_missing_a_part_is_named(tmp_path, cli, missing, expect):
    shp = write_finds(tmp_path / "f.shp", "ESRI Shapefile")
    path = zip_up(tmp_path / "f.zip", shapefile_parts(shp), skip=(missing,))
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert f"f.shp: {expect} beside it in the zip; add it" in out
    shp.with_suffix(missing).unlink()
    code, out = cli("import", "finds", str(shp))
    assert code == 2 and f"f.shp: {expect} beside it" in out


def test_a_zip_without_a_shapefile_or_not_a_zip(tmp_path, cli):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("readme.txt", "nothing here")
    code, out = cli("import", "finds", str(empty))
    assert code == 2 and "holds no Shapefile (no .shp file in the zip)" in out
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip at all")
    code, out = cli("import", "finds", str(fake))
    assert code == 2 and "not a readable zip file" in out


def test_a_shapefile_in_a_folder_of_the_zip_is_read(tmp_path, stored, cli):
    shp = write_finds(tmp_path / "f.shp", "ESRI Shapefile")
    path = tmp_path / "f.zip"
    with zipfile.ZipFile(path, "w") as z:
        for f in shapefile_parts(shp):
            z.write(f, f"export/{f.name}")
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    assert set(stored("finds")) == {"F1", "F2"}


@pytest.mark.parametrize("content", [b"fgb\x03fgb\x00" + bytes(range(256)) * 2,
                                     bytes(range(256)) * 2])
def test_a_garbage_flatgeobuf_is_refused_by_name(tmp_path, cli, content):
    path = tmp_path / "f.fgb"
    path.write_bytes(content)
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert f"{path}: not a readable FlatGeobuf file" in out


def without_cpg(shp: Path) -> Path:
    shp.with_suffix(".cpg").unlink()
    return zip_up(shp.with_suffix(".zip"), shapefile_parts(shp))


def test_shapefile_text_without_cpg_is_read_as_utf8_when_it_is(tmp_path, cli, stored):
    path = without_cpg(write_finds(tmp_path / "f.shp", "ESRI Shapefile",
                                   models=("ПМН-2", "Šipovo TMA-3"), encoding="UTF-8"))
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    finds = stored("finds")
    assert finds["F1"].model == "ПМН-2" and finds["F2"].model == "Šipovo TMA-3"


def test_shapefile_text_in_an_undeclared_encoding_asks_for_it(tmp_path, cli, stored):
    path = without_cpg(write_finds(tmp_path / "f.shp", "ESRI Shapefile",
                                   models=("ПМН-2", "ТМ-62М"), encoding="CP1251"))
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "the text in f.dbf is not UTF-8, and the Shapefile does not say its encoding " \
           "(no .cpg file); give its encoding with --encoding" in out
    code, out = cli("import", "finds", str(path), "--encoding", "cp1251")
    assert code == 0, out
    assert stored("finds")["F2"].model == "ТМ-62М"


def test_encoding_applies_only_where_a_file_does_not_say_it(tmp_path):
    path = write_finds(tmp_path / "f.gpkg", "GPKG", layer="finds")
    with pytest.raises(InvalidInput, match="--encoding applies to CSV, GeoJSON and Shapefile"):
        read_file(path, encoding="cp1251")


def test_a_nul_in_geopackage_text_is_named(tmp_path, cli, stored):
    path = write_finds(tmp_path / "f.gpkg", "GPKG", layer="finds")
    sql(path, "UPDATE finds SET model = 'PMN' || char(0) || '-2 with a note' WHERE id = 'F2'")
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "feature 2 (id F2), field 'model': the value holds a NUL character" in out
    assert stored("finds") == {}


def test_the_name_says_one_format_and_the_content_another(tmp_path):
    path = write_finds(tmp_path / "f.fgb", "FlatGeobuf")
    os.rename(path, tmp_path / "f.gpkg")
    with pytest.raises(InvalidInput, match="the name says GPKG but the content is FlatGeobuf"):
        read_file(tmp_path / "f.gpkg")


def write_flags(path: Path, flags: list, *, boolean: bool) -> Path:
    """A GeoPackage of three finds whose ``victim_activated`` is a nullable boolean field
    (``boolean``) or a plain integer field, as GDAL writes them."""
    import pyarrow as pa

    n = len(flags)
    table = pa.table({
        "id": [f"F{i + 1}" for i in range(n)], "category": ["ied"] * n,
        "found_on": [f"2023-05-0{i + 1}" for i in range(n)],
        "victim_activated": pa.array(flags, type=pa.bool_() if boolean else pa.int64()),
        "geometry": [shapely.to_wkb(Point(50.5 + i * 0.01, 41.0)) for i in range(n)]})
    pyogrio.write_arrow(table, str(path), driver="GPKG", layer="finds",
                        geometry_name="geometry", geometry_type="Point", crs="EPSG:4326")
    return path


def test_a_nullable_boolean_read_by_gdal_imports_as_true_false_or_null(tmp_path, cli, stored):
    path = write_flags(tmp_path / "f.gpkg", [True, False, None], boolean=True)
    info = pyogrio.read_info(path)
    assert dict(zip(info["fields"], info["ogr_subtypes"], strict=True))[
        "victim_activated"] == "OFSTBoolean"
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    got = {i: f.victim_activated for i, f in stored("finds").items()}
    assert got == {"F1": True, "F2": False, "F3": None}


def test_an_integer_flag_other_than_0_or_1_is_refused_with_its_row(tmp_path, cli, stored):
    path = write_flags(tmp_path / "f.gpkg", [1, 0, 2], boolean=False)
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "1 problem" in out
    assert "(id F3), field 'victim_activated'" in out and "got 2" in out
    assert stored("finds") == {}
    path = write_flags(tmp_path / "g.gpkg", [1, 0, None], boolean=False)
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    assert {i: f.victim_activated for i, f in stored("finds").items()} == {
        "F1": True, "F2": False, "F3": None}

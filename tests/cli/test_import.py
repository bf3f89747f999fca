"""Importing files through the CLI: every format, and bad input refused whole with the row,
field and reason named."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pyogrio
import pytest
from shapely.geometry import Point, box, mapping

from mineaction.cli import main
from mineaction.store import open_store
from tests.conftest import EXAMPLES


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "m.gpkg")
    assert main(["--db", path, "init"]) == 0
    return path


def run(db: str, *args: str) -> int:
    return main(["--db", db, *args])


def fc(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def hazard_feature(hid: str, geom=None, **props) -> dict:
    base = {"id": hid, "kind": "sha", "status": "open", "threat": "high",
            "contamination": "ap,av", "recorded_on": "2022-01-01"}
    base.update(props)
    return {"type": "Feature", "properties": base,
            "geometry": mapping(geom if geom is not None else box(50.5, 41.0, 50.51, 41.01))}


def write(tmp_path: Path, name: str, data) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return p


def count(db: str, layer: str) -> int:
    s = open_store(db)
    try:
        return s.count(layer)
    finally:
        s.close()


def test_examples_import_and_list_as_geojson(db, capsys):
    for layer, name in [("organisations", "organisations.csv"),
                        ("admin-areas", "admin-areas.geojson"),
                        ("hazards", "hazards.geojson"), ("activities", "activities.geojson"),
                        ("finds", "finds.csv")]:
        assert run(db, "import", layer, str(EXAMPLES / name)) == 0
    capsys.readouterr()
    assert run(db, "list", "hazards", "--format", "geojson") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["type"] == "FeatureCollection" and len(out["features"]) == 6
    props = out["features"][0]["properties"]
    for key in ("id", "kind", "status", "threat", "contamination", "recorded_on", "area_m2"):
        assert key in props
    # HZ-001 was closed by clearance: nothing left of it
    by_id = {f["id"]: f["properties"] for f in out["features"]}
    assert by_id["HZ-001"]["status"] == "closed" and by_id["HZ-001"]["area_m2"] == 0
    assert by_id["HZ-006"]["area_m2"] > 400_000
    assert run(db, "list", "finds", "--bbox", "51.19,41.39,51.21,41.41", "--format",
               "csv") == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 1 + 6  # header + the six items of the battle area clearance


@pytest.mark.parametrize("case,expect", [
    ("self_intersection", "self-intersection at 50.505000, 41.005000"),
    ("empty", "geometry is empty"),
    ("point", "geometry is a Point"),
    ("bad_enum", "field 'kind': unknown value 'suspected'"),
    ("bad_date", "field 'recorded_on': expected a date"),
    ("bad_int", "field 'estimated_mines': expected a whole number"),
    ("bad_contamination", "field 'contamination': unknown value 'mines'"),
    ("missing_kind", "field 'kind': required value is missing"),
    ("duplicate", "duplicate id 'H1' (first at feature 1 (id H1))"),
    ("lonlat_swapped", "outside longitude/latitude range"),
])
def test_bad_hazard_rows_are_named_and_nothing_is_written(db, tmp_path, capsys, case, expect):
    bow_tie = {"type": "Polygon", "coordinates": [[[50.5, 41.0], [50.51, 41.01], [50.51, 41.0],
                                                   [50.5, 41.01], [50.5, 41.0]]]}
    good = hazard_feature("H0")
    bad = {
        "self_intersection": {**hazard_feature("H1"), "geometry": bow_tie},
        "empty": {**hazard_feature("H1"), "geometry": {"type": "Polygon", "coordinates": []}},
        "point": hazard_feature("H1", Point(50.5, 41.0)),
        "bad_enum": hazard_feature("H1", kind="suspected"),
        "bad_date": hazard_feature("H1", recorded_on="last spring"),
        "bad_int": hazard_feature("H1", estimated_mines="many"),
        "bad_contamination": hazard_feature("H1", contamination="ap,mines"),
        "missing_kind": hazard_feature("H1", kind=None),
        "duplicate": hazard_feature("H1"),
        "lonlat_swapped": hazard_feature("H1", box(41.0, 50.5, 41.01, 50.51), ),
    }[case]
    feats = [good, bad] if case != "duplicate" else [hazard_feature("H1"), good, bad]
    if case == "lonlat_swapped":
        bad["geometry"] = mapping(box(41.0, 95.0, 41.01, 95.01))
    path = write(tmp_path, "h.geojson", fc(feats))
    assert run(db, "import", "hazards", str(path)) == 2
    err = capsys.readouterr().err
    assert expect in err.replace("\n", " ")
    assert "nothing was written" in err
    assert count(db, "hazards") == 0


def test_repair_only_when_asked_and_noted(db, tmp_path, capsys):
    bow_tie = {"type": "Polygon", "coordinates": [[[50.5, 41.0], [50.51, 41.01], [50.51, 41.0],
                                                   [50.5, 41.01], [50.5, 41.0]]]}
    path = write(tmp_path, "h.geojson", fc([{**hazard_feature("H1"), "geometry": bow_tie}]))
    assert run(db, "import", "hazards", str(path)) == 2
    assert run(db, "import", "hazards", str(path), "--repair") == 0
    s = open_store(db)
    try:
        (h,) = s.query("hazards")
    finally:
        s.close()
    assert h.geometry.is_valid and h.geometry.geom_type == "MultiPolygon"
    assert "repaired" in h.notes and "self-intersection at 50.505000, 41.005000" in h.notes


def test_unknown_crs_and_sk42_transformation_recorded(db, tmp_path, capsys):
    path = write(tmp_path, "h.geojson", fc([hazard_feature("H1")]))
    assert run(db, "import", "hazards", str(path), "--crs", "EPSG:999999") == 2
    assert "unknown CRS" in capsys.readouterr().err
    # the same numbers read as Pulkovo 1942 move about 100 m when transformed to WGS84
    assert run(db, "import", "hazards", str(path), "--crs", "EPSG:4284",
               "--operation", "EPSG:1808") == 0
    out = capsys.readouterr()
    assert "Pulkovo 1942 to WGS 84" in out.out
    s = open_store(db)
    try:
        (h,) = s.query("hazards")
    finally:
        s.close()
    assert h.src_crs == "EPSG:4284" and "Pulkovo 1942 to WGS 84 (14)" in h.crs_operation
    from mineaction.geo.measure import distance_m

    x, y = h.geometry.geoms[0].exterior.coords[0]
    dist = min(distance_m(x, y, cx, cy) for cx, cy in box(50.5, 41.0, 50.51, 41.01)
               .exterior.coords)
    assert 80 < dist < 130


def test_datum_choice_is_never_silent(db, tmp_path, capsys):
    path = write(tmp_path, "h.geojson", fc([hazard_feature("H1")]))
    assert run(db, "import", "hazards", str(path), "--crs", "EPSG:4284") == 0
    err = capsys.readouterr().err
    assert "another datum" in err and "transformations exist" in err
    # said in the reader's language, like the problems
    path = write(tmp_path, "h2.geojson", fc([hazard_feature("H2")]))
    assert run(db, "--lang", "ru", "import", "hazards", str(path), "--crs", "EPSG:4284") == 0
    err = capsys.readouterr().err
    assert "использует иной датум, чем WGS84" in err and "another datum" not in err


def test_file_that_is_not_what_its_name_says(db, tmp_path, capsys):
    fake = tmp_path / "h.geojson"
    fake.write_bytes(b"PK\x03\x04 this is no json at all \x00\x01")
    assert run(db, "import", "hazards", str(fake)) == 2
    assert "not a readable GeoJSON" in capsys.readouterr().err
    fake_csv = tmp_path / "f.csv"
    fake_csv.write_bytes(bytes(range(256)) * 4)
    assert run(db, "import", "finds", str(fake_csv)) == 2
    assert "not a CSV file" in capsys.readouterr().err
    fake_xlsx = tmp_path / "f.xlsx"
    fake_xlsx.write_text("id,category\n1,ap\n")
    assert run(db, "import", "finds", str(fake_xlsx)) == 2
    assert "not a readable XLSX" in capsys.readouterr().err
    assert run(db, "import", "nosuchlayer", str(fake)) == 2


def test_one_bad_row_in_ten_thousand(db, tmp_path, capsys):
    lines = ["id,category,model,quantity,found_on,lon,lat"]
    for i in range(10_000):
        lines.append(f"F{i},ap,PMN-2,1,2023-05-01,{50.5 + (i % 100) * 1e-4:.6f},"
                     f"{41.0 + (i // 100) * 1e-4:.6f}")
    lines[7_001] = "F7000,ap,TM-62M,1,2023-05-01,50.5,41.0"  # a TM-62M is no AP mine
    path = write(tmp_path, "finds.csv", "\n".join(lines) + "\n")
    assert run(db, "import", "finds", str(path), "--crs", "EPSG:4326") == 2
    err = capsys.readouterr().err
    assert "1 problem" in err and "line 7002" in err and "TM-62M" in err
    assert count(db, "finds") == 0
    lines[7_001] = "F7000,av,TM-62M,1,2023-05-01,50.5,41.0"
    path.write_text("\n".join(lines) + "\n")
    assert run(db, "import", "finds", str(path), "--crs", "EPSG:4326") == 0
    assert count(db, "finds") == 10_000


def test_reference_to_missing_record_and_existing_id(db, tmp_path, capsys):
    path = write(tmp_path, "f.csv", "id,category,activity_id,lon,lat\nF1,ap,NOPE,50.5,41.0\n")
    assert run(db, "import", "finds", str(path), "--crs", "EPSG:4326") == 2
    assert "field 'activity_id': no activities record 'NOPE'" in capsys.readouterr().err
    ok = write(tmp_path, "g.csv", "id,category,lon,lat\nF1,ap,50.5,41.0\n")
    assert run(db, "import", "finds", str(ok), "--crs", "EPSG:4326") == 0
    capsys.readouterr()
    # The same file again is reconciled with the store: the record is there, unchanged.
    assert run(db, "import", "finds", str(ok), "--crs", "EPSG:4326") == 0
    assert "0 new, 0 changed, 1 unchanged, 0 missing" in capsys.readouterr().out
    assert count(db, "finds") == 1


def test_unknown_model_kept_as_given_and_extra_columns_kept(db, tmp_path):
    path = write(tmp_path, "f.csv", "id,category,model,team,lon,lat\n"
                 "F1,ap,XM-17 (local copy),Team 4,50.5,41.0\n")
    assert run(db, "import", "finds", str(path), "--crs", "EPSG:4326") == 0
    s = open_store(db)
    try:
        (f,) = s.query("finds")
    finally:
        s.close()
    assert f.model == "XM-17 (local copy)" and f.category == "ap"
    assert json.loads(f.attributes) == {"team": "Team 4"}


def test_zipped_shapefile_xlsx_and_wkt_csv(db, tmp_path):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    import numpy as np
    import shapely

    geoms = np.array([shapely.to_wkb(box(50.6 + i * 0.01, 41.1, 50.605 + i * 0.01, 41.105))
                      for i in range(3)], dtype=object)
    fields = [np.array([f"S{i}" for i in range(3)], dtype=object),
              np.array(["cha"] * 3, dtype=object), np.array(["ap,av"] * 3, dtype=object)]
    pyogrio.raw.write(str(shp_dir / "hz.shp"), geoms, fields, ["id", "kind", "contaminat"],
                      driver="ESRI Shapefile", geometry_type="Polygon", crs="EPSG:4326")
    zpath = tmp_path / "hz.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in shp_dir.iterdir():
            z.write(f, f.name)
    assert run(db, "import", "hazards", str(zpath)) == 0
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "kind", "contamination", "wkt"])
    ws.append(["X1", "sha", "uxo", box(50.7, 41.2, 50.71, 41.21).wkt])
    wb.save(tmp_path / "hz.xlsx")
    assert run(db, "import", "hazards", str(tmp_path / "hz.xlsx"), "--crs", "EPSG:4326") == 0
    csv_path = write(tmp_path, "hz.csv", 'id,kind,wkt\nW1,sha,"' +
                     box(50.8, 41.3, 50.81, 41.31).wkt + '"\n')
    assert run(db, "import", "hazards", str(csv_path), "--crs", "EPSG:4326") == 0
    s = open_store(db)
    try:
        hs = {h.id: h for h in s.query("hazards")}
    finally:
        s.close()
    assert set(hs) == {"S0", "S1", "S2", "X1", "W1"}
    assert hs["S1"].contamination == {"ap", "av"}
    assert hs["X1"].geometry.geom_type == "MultiPolygon"


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "xlsx"])
def test_export_round_trip(db, tmp_path, fmt):
    for layer, name in [("hazards", "hazards.geojson"), ("activities", "activities.geojson")]:
        assert run(db, "import", layer, str(EXAMPLES / name)) == 0
    out = tmp_path / f"out.{fmt}"
    assert run(db, "export", "hazards", "-o", str(out)) == 0
    s = open_store(db)
    try:
        stored = {h.id: h for h in s.query("hazards")}
    finally:
        s.close()
    if fmt == "xlsx":
        from openpyxl import load_workbook

        rows = list(load_workbook(out).active.iter_rows(values_only=True))
        header, body = rows[0], rows[1:]
        ids = [r[header.index("id")] for r in body]
        areas = {r[header.index("id")]: r[header.index("area_m2")] for r in body}
    else:
        meta, _, _, cols = pyogrio.raw.read(str(out), layer="hazards" if fmt == "gpkg" else None)
        names = list(meta["fields"])
        ids = list(cols[names.index("id")])
        areas = dict(zip(ids, (float(a) for a in cols[names.index("area_m2")]), strict=True))
    assert sorted(ids) == sorted(stored)
    from mineaction.geo.measure import area_m2

    for hid, h in stored.items():
        assert float(areas[hid]) == pytest.approx(area_m2(h.geometry), abs=0.1)


def test_other_failures_exit_1(tmp_path, capsys):
    not_gpkg = tmp_path / "notes.gpkg"
    not_gpkg.write_text("these are my notes, not a GeoPackage")
    assert main(["--db", str(not_gpkg), "summary"]) == 1
    assert "not a GeoPackage" in capsys.readouterr().err
    fresh = str(tmp_path / "never-initialised.gpkg")
    assert main(["--db", fresh, "list", "hazards"]) == 1
    assert "mineaction init" in capsys.readouterr().err


def test_db_from_environment(tmp_path, monkeypatch, capsys):
    path = tmp_path / "env.gpkg"
    monkeypatch.setenv("MINEACTION_DB", str(path))
    assert main(["init"]) == 0
    assert path.exists()


def test_victims_personal_data_is_kept_apart(db, tmp_path, capsys):
    path = write(tmp_path, "v.csv", "id,group,outcome,sex,age_band,name,phone,village\n"
                 "V1,civilian,injured,female,child,Aysel Mammadova,+994 50 000 0000,Qaraqol\n"
                 "V2,deminer,killed,male,adult,,,\n")
    assert run(db, "import", "victims", str(path)) == 0
    s = open_store(db)
    try:
        victims = {v.id: v for v in s.query("victims")}
        personal = s.query("victims-personal")
    finally:
        s.close()
    # a column a victims file has no public field for is personal: the village goes with them
    assert victims["V1"].attributes is None and victims["V2"].attributes is None
    (p,) = personal
    assert (p.victim_id, p.full_name, p.contact) == ("V1", "Aysel Mammadova",
                                                     "+994 50 000 0000")
    assert json.loads(p.attributes) == {"village": "Qaraqol"}
    capsys.readouterr()
    assert run(db, "list", "victims", "--format", "csv") == 0
    out = capsys.readouterr().out
    assert "Mammadova" not in out and "994" not in out and "Qaraqol" not in out


def test_synthetic_records_are_marked_in_listings(db, capsys):
    assert run(db, "import", "hazards", str(EXAMPLES / "hazards.geojson")) == 0
    capsys.readouterr()
    assert run(db, "list", "hazards") == 0
    assert "SYNTHETIC DATA" in capsys.readouterr().out


def test_what_an_import_did_is_said_in_the_language_asked(db, tmp_path, capsys):
    path = write(tmp_path, "h.geojson", fc([hazard_feature("H1"), hazard_feature("H2")]))
    assert run(db, "--lang", "ru", "import", "hazards", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "пробный прогон" in out and "новых: 2, изменённых: 0" in out and "(из 2 строк)" in out
    assert run(db, "--lang", "ru", "import", "hazards", str(path)) == 0
    out = capsys.readouterr().out
    assert "импортированы 2 записи hazards из" in out and "записано как импорт" in out
    assert "imported" not in out and "new," not in out
    assert run(db, "import", "hazards", str(path)) == 0  # and in English by default
    assert "0 new, 0 changed, 2 unchanged, 0 missing (of 2 rows)" in capsys.readouterr().out

"""Rows of real files that the import used to get wrong, on every store: a rejected row's
record is neither missing nor retired; a row repeating the id of a refused row is refused
too, never dropped; an ``ID`` header names lines; two columns for one field (``Kind`` and
``kind``) are refused; columns named like fields the store sets (``owner``, ``version``) are
said to be left out."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from mineaction.cli import main
from mineaction.store import open_store

POLY = "POLYGON((50.5 41.0, 50.51 41.0, 50.51 41.01, 50.5 41.01, 50.5 41.0))"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def db(store_url: str) -> str:
    assert main(["--db", store_url, "init"]) == 0
    return store_url


def accidents(tmp: Path, name: str, *rows: str) -> Path:
    return write(tmp / name, "id,occurred_on,device_category,lon,lat\n" + "".join(
        r + "\n" for r in rows))


def test_a_rejected_row_is_not_missing_and_never_retired(db: str, tmp_path: Path,
                                                         capsys: Any) -> None:
    first = accidents(tmp_path, "a.csv", "AC-1,2023-05-01,ap,50.5,41.0",
                      "AC-2,2023-06-01,av,50.6,41.1")
    assert main(["--db", db, "import", "accidents", str(first)]) == 0
    newer = accidents(tmp_path, "b.csv", "AC-1,2023-05-01,ap,50.5,41.0",
                      "AC-2,2023-06-01,AT mine,50.6,41.1")
    code, text = run(capsys, "--db", db, "import", "accidents", str(newer), "--rejects",
                     str(tmp_path / "rej.csv"), "--retire-missing")
    assert code == 0 and "0 missing" in text and "1 row(s) rejected" in text, text
    with open_store(db) as store:
        ac2 = store.get("accidents", "AC-2")
        assert ac2.version == 1 and "retired" not in (ac2.notes or "")
    # a rejected row that names no record could be any of them: none is missing
    blank = accidents(tmp_path, "c.csv", "AC-1,2023-05-01,ap,50.5,41.0",
                      ",2023-06-01,AT mine,50.6,41.1")
    code, text = run(capsys, "--db", db, "import", "accidents", str(blank), "--rejects",
                     str(tmp_path / "rej2.csv"), "--retire-missing")
    assert code == 0 and "0 missing" in text and "names no record" in text, text
    with open_store(db) as store:
        assert store.get("accidents", "AC-2").version == 1


def test_a_row_repeating_a_refused_rows_id_is_refused_not_lost(db: str, tmp_path: Path,
                                                               capsys: Any) -> None:
    src = write(tmp_path / "h.csv", "id,kind,name,wkt\n"
                f'HZ-20,xxx,first copy,"{POLY}"\n'
                f'HZ-20,sha,second copy,"{POLY}"\n'
                f'HZ-21,sha,other,"{POLY.replace("50.5", "50.6")}"\n')
    rejects = tmp_path / "rej.csv"
    code, text = run(capsys, "--db", db, "import", "hazards", str(src), "--rejects",
                     str(rejects))
    assert code == 0 and "1 new" in text, text
    assert "line 3, field 'id': duplicate id 'HZ-20' (first at line 2)" in text
    with rejects.open(encoding="utf-8") as f:
        assert [r["name"] for r in csv.DictReader(f)] == ["first copy", "second copy"]
    with open_store(db) as store:
        assert [h.id for h in store.iter("hazards")] == ["HZ-21"]


def test_an_upper_case_id_header_names_lines_and_keeps_good_rows(db: str, tmp_path: Path,
                                                                 capsys: Any) -> None:
    src = write(tmp_path / "f.csv", "ID,Category,lon,lat,hazard_id\n"
                "F-10,ap,50.5,41.0,HZ-NOPE\nF-11,ap,50.5,41.0,\n")
    code, text = run(capsys, "--db", db, "import", "finds", str(src))
    assert code == 2 and "line 2, field 'hazard_id'" in text, text
    assert "column 'ID' is not in the mapping" not in text  # it is read as the id
    code, text = run(capsys, "--db", db, "import", "finds", str(src), "--rejects",
                     str(tmp_path / "rej.csv"))
    assert code == 0 and "1 new" in text, text
    with open_store(db) as store:
        assert [f.id for f in store.iter("finds")] == ["F-11"]


def test_two_columns_for_one_field_are_refused_and_store_fields_are_said(
        db: str, tmp_path: Path, capsys: Any) -> None:
    def geojson(name: str, props: dict[str, Any]) -> Path:
        ring = [[50.5, 41.0], [50.51, 41.0], [50.51, 41.01], [50.5, 41.0]]
        return write(tmp_path / name, json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": props,
             "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))

    # (a CSV header refuses two names that differ in case; GeoJSON properties may hold both)
    twice = geojson("t.geojson", {"id": "HZ-1", "kind": "sha", "Kind": "cha"})
    code, text = run(capsys, "--db", db, "import", "hazards", str(twice))
    assert code == 2 and "columns 'kind' and this one both give field kind" in text, text
    same = geojson("s.geojson", {"id": "HZ-1", "ID": "HZ-1", "kind": "sha"})  # no doubt
    assert run(capsys, "--db", db, "import", "hazards", str(same))[0] == 0
    owner = write(tmp_path / "o.csv", "id,kind,owner,version,wkt\n"
                  f'HZ-2,sha,Ali (landowner),v2 form,"{POLY}"\n')
    code, text = run(capsys, "--db", db, "import", "hazards", str(owner))
    assert code == 0, text
    for column in ("owner", "version"):
        assert f"column '{column}' is named like a field the store sets itself" in text


def test_a_register_with_a_repeated_column_or_a_long_row_is_refused(db: str, tmp_path: Path,
                                                                    capsys: Any) -> None:
    """A register read by its header: two columns of one name, or a row with more values
    than the header names, would each lose a value; refused with their places, nothing
    written. The same register without them imports."""
    mapping = write(tmp_path / "vr.toml", '[mapping]\nname = "vr"\nlayer = "victims"\n'
                    'id = "R-{ref}"\n[fields.group]\ncolumn = "cond"\n'
                    'values = { "Civil" = "civilian" }\n[fields.outcome]\ncolumn = "estado"\n'
                    'values = { "Herido" = "injured", "Muerto" = "killed" }\n')
    bad = write(tmp_path / "reg.csv", "ref,cond,estado,lugar,lugar\n"
                "1,Civil,Herido,Tame,Arauca\n2,Civil,Muerto,Saravena,Arauca,vereda La Pava\n")
    code, text = run(capsys, "--db", db, "import-register", "victims", str(bad), "--mapping",
                     str(mapping))
    assert code == 2, text
    assert "the name is given to 2 columns (column 4 and column 5)" in text
    assert "line 3: row has more values than the header has columns" in text
    with open_store(db) as store:
        assert store.count("victims") == 0
    good = write(tmp_path / "reg2.csv", "ref,cond,estado,lugar,departamento\n"
                 "1,Civil,Herido,Tame,Arauca\n2,Civil,Muerto,Saravena,Arauca\n")
    code, text = run(capsys, "--db", db, "import-register", "victims", str(good), "--mapping",
                     str(mapping))
    assert code == 0 and "2 new" in text, text


def test_a_rejects_file_gives_back_a_geometry_it_could_not_read(db: str, tmp_path: Path,
                                                               capsys: Any) -> None:
    """The rejects file is the rows to correct and import again: an unreadable WKT, longitude
    and latitude with decimal commas, or a GeoJSON geometry of mixed dimensions come back as
    the file gave them, and once corrected the file imports."""
    hz = write(tmp_path / "h.csv", "id,kind,wkt\n"
               f'HZ-R1,sha,"{POLY}"\n'
               'HZ-R2,sha,"POLYGON((50.6 41.0, 50.61 41.0, 50.61 41.01, 50.6 41.0)"\n')
    rejects = tmp_path / "rh.csv"
    assert run(capsys, "--db", db, "import", "hazards", str(hz), "--rejects", str(rejects))[0] == 0
    with rejects.open(encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert row["wkt"] == "POLYGON((50.6 41.0, 50.61 41.0, 50.61 41.01, 50.6 41.0)"
    acc = accidents(tmp_path, "a.csv", "AC-R1,2023-05-01,ap,50.5,41.0",
                    'AC-R2,2023-05-01,ap,"50,512345","41,123456"',
                    "AC-R3,2023-05-01,zz,50.7,41.2")
    rejects = tmp_path / "ra.csv"
    assert run(capsys, "--db", db, "import", "accidents", str(acc), "--rejects",
               str(rejects))[0] == 0
    text = rejects.read_text(encoding="utf-8")
    assert '"50,512345","41,123456"' in text and "POINT (50.7 41.2)" in text
    fixed = write(tmp_path / "fixed.csv", text.replace('"50,512345","41,123456"',
                                                       "50.512345,41.123456")
                  .replace(",zz,", ",ap,"))
    code, out = run(capsys, "--db", db, "import", "accidents", str(fixed))
    assert code == 0 and "2 new" in out, out
    with open_store(db) as store:
        assert store.get("accidents", "AC-R2").geometry.x == pytest.approx(50.512345)
        assert store.get("accidents", "AC-R3").geometry.y == pytest.approx(41.2)
    mixed = [[50.5, 41.0, 500], [50.51, 41.0], [50.51, 41.01, 520], [50.5, 41.0, 500]]
    gj = write(tmp_path / "g.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "HZ-3D", "kind": "sha"},
         "geometry": {"type": "Polygon", "coordinates": [mixed]}}]}))
    rejects = tmp_path / "rg.geojson"
    code, out = run(capsys, "--db", db, "import", "hazards", str(gj), "--rejects",
                    str(rejects))
    assert code == 0 and "mixes positions of 2 and 3 numbers" in out, out
    [back] = json.loads(rejects.read_text(encoding="utf-8"))["features"]
    assert back["geometry"]["coordinates"] == [mixed]


def test_nested_values_stay_json_and_personal_columns_are_said_to_be_personal(
        db: str, tmp_path: Path, capsys: Any) -> None:
    gj = write(tmp_path / "n.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {
            "id": "AC-N1", "occurred_on": "2023-05-01",
            "survey": {"team": "T1", "checked": True, "depth": None},
            "photos": ["a.jpg", "b.jpg"]},
         "geometry": {"type": "Point", "coordinates": [50.5, 41.0]}}]}))
    assert run(capsys, "--db", db, "import", "accidents", str(gj))[0] == 0
    with open_store(db) as store:
        attrs = json.loads(store.get("accidents", "AC-N1").attributes)
    assert attrs == {"survey": {"team": "T1", "checked": True, "depth": None},
                     "photos": ["a.jpg", "b.jpg"]}
    people = write(tmp_path / "v.csv", "id,occurred_on,group,outcome,phone\n"
                   "V-1,2023-05-01,civilian,injured,+000 00 000 00 00\n")
    code, text = run(capsys, "--db", db, "import", "victims", str(people))
    assert code == 0, text
    assert "column 'phone' is not in the mapping: kept with each record's personal data" in text
    assert "kept in each record's attributes" not in text

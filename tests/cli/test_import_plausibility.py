"""Input that parses but cannot be right is refused on import, naming the row: dates in the
future or with trailing text, impossible numbers, a release covering half the world,
coordinates that do not match their CRS. And personal columns of a victims file never reach
the public layer, whatever they are called."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import box, mapping

from mineaction.cli import main
from mineaction.domain.activities import MAX_RELEASE_AREA_M2
from mineaction.errors import InvalidInput
from mineaction.io.load import import_file
from mineaction.store import open_store
from tests.conftest import EXAMPLES


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "m.gpkg")
    assert main(["--db", path, "init"]) == 0
    return path


def run(db: str, *args: str) -> int:
    return main(["--db", db, *args])


def write(tmp_path: Path, name: str, data) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return p


def hazards_file(tmp_path: Path, **props) -> Path:
    base = {"id": "H1", "kind": "sha", "recorded_on": "2022-01-01"}
    base.update(props)
    return write(tmp_path, "h.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": base,
         "geometry": mapping(box(50.5, 41.0, 50.51, 41.01))}]})


def count(db: str, layer: str) -> int:
    with open_store(db) as s:
        return s.count(layer)


def refused(db: str, capsys, *args: str) -> str:
    assert run(db, *args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "nothing was written" in err
    return err


# --- values -----------------------------------------------------------------------------------

@pytest.mark.parametrize("props,expect", [
    ({"recorded_on": "9999-12-31"}, "field 'recorded_on': recorded_on 9999-12-31 is after"),
    ({"recorded_on": "2023-01-01garbage"}, "field 'recorded_on': expected a date as YYYY-MM-DD"),
    ({"estimated_mines": -5}, "field 'estimated_mines': estimated_mines must be 0 or more, "
                              "got -5"),
    ({"estimated_mines": str(2**63)}, "field 'estimated_mines': 9223372036854775808 is too "
                                      "large"),
])
def test_values_that_cannot_be_right_are_refused(db, tmp_path, capsys, props, expect):
    err = refused(db, capsys, "import", "hazards", str(hazards_file(tmp_path, **props)))
    assert "feature 1 (id H1)" in err and expect in err
    assert count(db, "hazards") == 0


def test_nul_characters_are_refused_by_the_core(tmp_path):
    """Every interface hands rows to ``prepare``; a NUL in a value or a column name is refused
    there, naming the row and the field or column."""
    from mineaction.domain.layers import get_layer
    from mineaction.io.load import prepare
    from mineaction.io.readers import InputFeature, SourceFile

    src = SourceFile(tmp_path / "form", "form", "EPSG:4326", [
        InputFeature("row 1", {"id": "H1", "kind": "sha", "name": "Field\x007"},
                     box(50.5, 41.0, 50.51, 41.01)),
        InputFeature("row 2", {"id": "H2", "kind": "sha", "remark\x00": "x"},
                     box(50.5, 41.0, 50.51, 41.01))])
    records, problems, _ = prepare(get_layer("hazards"), src)
    assert records == []
    assert [(p.where, p.field) for p in problems] == [("row 1", "name"), ("row 2", "remark<NUL>")]
    assert all("NUL character" in p.reason for p in problems)
    # a column of a victims file goes to the personal record, and is checked there too
    people = SourceFile(tmp_path / "form", "form", None, [
        InputFeature("row 1", {"id": "V1", "group": "civilian", "outcome": "injured",
                               "village": "Qara\x00qol"})])
    records, problems, result = prepare(get_layer("victims"), people)
    assert [(p.where, p.field) for p in problems] == [("row 1", "village")]
    assert "NUL character" in problems[0].reason and not result.private


def test_too_large_integer_in_a_csv_is_refused_not_a_crash(db, tmp_path, capsys):
    path = write(tmp_path, "f.csv", f"id,category,quantity,lon,lat\nF1,ap,{2**63},50.5,41.0\n"
                 f"F2,ap,{-(2**63) - 1},50.5,41.0\n")
    err = refused(db, capsys, "import", "finds", str(path), "--crs", "EPSG:4326")
    assert "line 2, field 'quantity'" in err and "line 3, field 'quantity'" in err
    assert count(db, "finds") == 0


def test_the_clock_can_be_set_by_the_caller(db, tmp_path):
    path = hazards_file(tmp_path, recorded_on="2031-05-01")
    with open_store(db) as store:
        with pytest.raises(InvalidInput, match="recorded_on 2031-05-01 is after 2030-01-02"):
            import_file(store, "hazards", path, today=dt.date(2030, 1, 1))
        assert import_file(store, "hazards", path, today=dt.date(2031, 5, 1)).count == 1


# --- land release plausibility ----------------------------------------------------------------

@pytest.mark.parametrize("bounds,size", [
    ((-179, -89, 179, 89), "spans 358° of longitude and 178° of latitude"),
    # the whole globe, which a geodesic area measures as nothing
    ((-180, -90, 180, 90), "spans 360° of longitude and 180° of latitude"),
    ((50.0, 41.0, 51.0, 41.5), "covers 4,6"),
])
def test_a_release_covering_the_world_is_refused_unless_allowed(db, tmp_path, capsys, bounds,
                                                                 size):
    assert run(db, "import", "hazards", str(hazards_file(tmp_path))) == 0
    world = write(tmp_path, "a.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "A1", "kind": "nts", "operator": "X",
                                           "ended_on": "2023-01-01"},
         "geometry": mapping(box(*bounds))}]})
    err = refused(db, capsys, "import", "activities", str(world))
    assert f"feature 1 (id A1), field 'geometry': it {size}" in err
    assert "more than the 100 km²" in err and "--allow-large-release" in err
    assert count(db, "activities") == 0
    with open_store(db) as s:
        assert s.get("hazards", "H1").status == "open"
    assert run(db, "import", "activities", str(world), "--allow-large-release") == 0
    with open_store(db) as s:
        assert s.get("hazards", "H1").status == "closed"


def test_release_limit_sits_on_both_sides_of_a_measured_square(db, tmp_path):
    """A 9 km square passes, a 10.1 km one does not: the limit is in m² on the ellipsoid."""
    from mineaction.geo.measure import area_m2

    assert MAX_RELEASE_AREA_M2 == 100e6
    side = {9: 9_000 / 111_320 / np.cos(np.radians(41.05)), 10.1: 10_100 / 111_320 /
            np.cos(np.radians(41.05))}
    feats = []
    for i, (km, dlon) in enumerate(side.items()):
        poly = box(50.5, 41.0, 50.5 + dlon, 41.0 + km * 1000 / 111_000)
        assert (area_m2(poly) < 100e6) == (km == 9)
        feats.append({"type": "Feature", "geometry": mapping(poly),
                      "properties": {"id": f"A{i}", "kind": "nts", "operator": "X",
                                     "outside_hazard": True, "ended_on": "2023-01-01"}})
    path = write(tmp_path, "a.geojson", {"type": "FeatureCollection", "features": feats})
    with open_store(db) as store:
        with pytest.raises(InvalidInput) as exc:
            import_file(store, "activities", path)
        assert [p.where for p in exc.value.problems] == ["feature 2 (id A1)"]
        assert import_file(store, "activities", path, allow_large=True).count == 2


# --- coordinates and their CRS ----------------------------------------------------------------

def test_swapped_longitude_latitude_in_the_demo_box(db, tmp_path, capsys):
    assert run(db, "import", "admin-areas", str(EXAMPLES / "admin-areas.geojson")) == 0
    path = write(tmp_path, "f.csv", "id,category,lon,lat\nF1,ap,50.6,41.2\nF2,ap,41.2,50.6\n")
    err = refused(db, capsys, "import", "finds", str(path), "--crs", "EPSG:4326")
    assert "line 3, field 'geometry': longitude and latitude look swapped" in err
    assert "line 2" not in err
    assert count(db, "finds") == 0
    fixed = write(tmp_path, "g.csv", "id,category,lon,lat\nF1,ap,50.6,41.2\nF2,ap,50.6,41.2\n")
    assert run(db, "import", "finds", str(fixed), "--crs", "EPSG:4326") == 0


def test_swapped_beyond_the_range_of_latitude(db, tmp_path, capsys):
    path = write(tmp_path, "f.csv", "id,category,lon,lat\nF1,ap,41.2,95.6\n")
    for crs in ("EPSG:4326", "EPSG:4284"):
        err = refused(db, capsys, "import", "finds", str(path), "--crs", crs)
        assert "line 2, field 'geometry'" in err and "look swapped" in err


def test_degrees_given_as_metres(db, tmp_path, capsys):
    path = write(tmp_path, "f.csv", "id,category,lon,lat\nF1,ap,50.6,41.2\nF2,ap,50.7,41.3\n")
    err = refused(db, capsys, "import", "finds", str(path), "--crs", "EPSG:3857")
    assert ("coordinates look like degrees, but EPSG:3857 is in metres; give --crs EPSG:4326"
            in err)
    assert run(db, "import", "finds", str(path), "--crs", "EPSG:4326") == 0


def test_shapefile_whose_prj_contradicts_its_coordinates(db, tmp_path, capsys):
    folder = tmp_path / "shp"
    folder.mkdir()
    geoms = np.array([shapely.to_wkb(box(50.6, 41.1, 50.61, 41.11))], dtype=object)
    pyogrio.raw.write(str(folder / "hz.shp"), geoms,
                      [np.array(["S1"], dtype=object), np.array(["sha"], dtype=object)],
                      ["id", "kind"], driver="ESRI Shapefile", geometry_type="Polygon",
                      crs="EPSG:4326")
    import pyproj

    (folder / "hz.prj").write_text(pyproj.CRS("EPSG:32639").to_wkt("WKT1_ESRI"))
    zpath = tmp_path / "hz.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in folder.iterdir():
            z.write(f, f.name)
    err = refused(db, capsys, "import", "hazards", str(zpath))
    assert "coordinates look like degrees, but" in err and "is in metres" in err
    assert "give --crs EPSG:4326" in err
    assert run(db, "import", "hazards", str(zpath), "--crs", "EPSG:4326") == 0


def test_projected_coordinates_outside_the_crs_area_of_use(db, tmp_path, capsys):
    # the demo point (51.2 E, 41.4 N) in SK-42 Gauss-Krüger zone 9 (easting prefixed with 9);
    # read in zone 8 it lands at 57 E, read in zone 10 at 45.4 E, both over 6° out of the zone
    path = write(tmp_path, "f.csv", "id,category,x,y\nF1,ap,9516816.9,4585096.3\n")
    for wrong in ("EPSG:28408", "EPSG:28410"):
        err = refused(db, capsys, "import", "finds", str(path), "--crs", wrong)
        assert "line 2, field 'geometry'" in err and f"outside the area where {wrong}" in err
    # the easting and northing of UTM zone 39N swapped
    swapped = write(tmp_path, "g.csv", "id,category,x,y\nF1,ap,516718.2,4583181.7\n"
                    "F2,ap,4583181.7,516718.2\nF3,ap,516718.2,4583181.7\n")
    err = refused(db, capsys, "import", "finds", str(swapped), "--crs", "EPSG:32639")
    assert "1 problem" in err
    assert "line 3, field 'geometry': it lies at 85.489" in err
    assert "outside the area where EPSG:32639" in err
    assert run(db, "import", "finds", str(path), "--crs", "EPSG:28409") == 0
    with open_store(db) as s:
        (f,) = s.query("finds")
    # Pulkovo 1942 is about 100 m off WGS84 here
    assert f.geometry.x == pytest.approx(51.2, abs=0.003)
    assert f.geometry.y == pytest.approx(41.4, abs=0.003)


# --- personal data ----------------------------------------------------------------------------

PERSONAL = {
    "surname": "Mammadova", "national_id": "AZE1234567", "email": "aysel@example.org",
    "village": "Qaraqol", "Full Name": "Aysel Mammadova", "age": "47",
    "address": "12 Nizami Street", "phone": "+994 50 000 0000", "nombre": "Lucia",
    "apellido": "Quintero", "фамилия": "Иванова", "имя": "Мария", "ad": "Leyla",
    "soyad": "Aliyeva",
}


def test_no_personal_column_reaches_the_public_layer(db, tmp_path, capsys):
    header = ["id", "group", "outcome", "sex", "age_band", *PERSONAL]
    rows = [",".join(header),
            ",".join(["V1", "civilian", "injured", "female", "adult", *PERSONAL.values()]),
            ",".join(["V2", "deminer", "killed", "male", "adult"] + [""] * len(PERSONAL))]
    path = write(tmp_path, "v.csv", "\n".join(rows) + "\n")
    assert run(db, "import", "victims", str(path)) == 0
    capsys.readouterr()
    assert run(db, "list", "victims", "--format", "csv") == 0
    listed = capsys.readouterr().out
    out = tmp_path / "victims.csv"
    assert run(db, "export", "victims", "-o", str(out)) == 0
    exported = out.read_text(encoding="utf-8")
    assert "V1" in listed and "V1" in exported
    for value in PERSONAL.values():  # as a value, not inside another (an id's timestamp)
        alone = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)")
        assert not alone.search(listed) and not alone.search(exported), value
    with open_store(db) as s:
        victims = {v.id: v for v in s.query("victims")}
        (p,) = s.query("victims-personal")
    assert victims["V1"].attributes is None and victims["V2"].attributes is None
    held = " ".join(str(v) for v in (p.full_name, p.contact, p.attributes))
    for value in PERSONAL.values():
        assert value in held, value
    # both contact columns are kept, neither overwrites the other
    assert p.contact == ("email: aysel@example.org; address: 12 Nizami Street; "
                         "phone: +994 50 000 0000")
    assert p.full_name == "Aysel Mammadova"


@pytest.mark.parametrize("columns,full_name", [
    ({"nombre": "Lucia", "apellido": "Quintero"}, "Lucia Quintero"),
    ({"фамилия": "Иванова", "имя": "Мария"}, "Иванова Мария"),
    ({"ad": "Leyla", "soyad": "Aliyeva"}, "Leyla Aliyeva"),
])
def test_name_parts_in_other_languages_make_the_name(db, tmp_path, columns, full_name):
    header = ["id", "group", "outcome", *columns]
    path = write(tmp_path, "v.csv", ",".join(header) + "\n" +
                 ",".join(["V1", "civilian", "injured", *columns.values()]) + "\n")
    assert run(db, "import", "victims", str(path)) == 0
    with open_store(db) as s:
        (p,) = s.query("victims-personal")
        (v,) = s.query("victims")
    assert p.full_name == full_name and v.attributes is None

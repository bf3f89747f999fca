"""The mapping language on small files written by the tests: every kind of field source, the
value tables' modes, ids, units and geometries, and what a mapping reports instead of
dropping."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mineaction.errors import InvalidInput
from mineaction.io import mapping as M
from mineaction.io.readers import read_file
from mineaction.services import imports

TODAY = dt.date(2025, 1, 1)


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def mapping(tmp: Path, text: str, layer: str = "hazards") -> M.Mapping:
    return M.load_mapping(write(tmp, "m.toml", text), layer)


HAZARDS = """[mapping]
layer = "hazards"
id = "BA-{fileId}"
[fields.kind]
column = "typeArea"
[fields.kind.values]
"Suspected" = "sha"
"Confirmed" = "cha"
[fields.recorded_on]
column = "datum"
date_format = "%d.%m.%Y"
[fields.status]
value = "open"
[fields.name]
template = "{place} ({fileId})"
[geometry]
wkt = "shape"
"""


def test_fields_come_from_columns_constants_templates_dates_and_wkt(tmp_path: Path) -> None:
    m = mapping(tmp_path, HAZARDS)
    src = read_file(write(tmp_path, "h.csv", "fileId,typeArea,datum,place,shape,remark\n"
                          "17,Suspected,05.03.2021,Brod,\"POLYGON((50.5 41,50.6 41,50.6 41.1,"
                          "50.5 41))\",near road\n"))
    applied = M.apply(m, src)
    assert not applied.problems
    (feat,) = applied.src.features
    assert feat.properties["id"] == "BA-17"
    assert feat.properties["kind"] == "sha"
    assert feat.properties["recorded_on"] == dt.date(2021, 3, 5)
    assert feat.properties["status"] == "open"
    assert feat.properties["name"] == "Brod (17)"
    assert feat.geometry is not None and feat.geometry.geom_type == "Polygon"
    # the column the mapping does not name is reported and kept, not dropped
    assert applied.uncovered == ["remark"]
    assert feat.properties["remark"] == "near road"


def test_a_value_not_in_the_table_is_refused_with_row_column_and_value(tmp_path: Path) -> None:
    m = mapping(tmp_path, HAZARDS)
    src = read_file(write(tmp_path, "h.csv", "fileId,typeArea,datum,place,shape\n"
                          "1,Suspected,01.01.2020,A,\n2,Unknown,01.01.2020,B,\n"
                          "3,Unknown,01.01.2020,C,\n"))
    applied = M.apply(m, src)
    assert [(p.where, p.field, p.code) for p in applied.problems] == [
        ("line 3", "typeArea", "intake.value_unmapped"),
        ("line 4", "typeArea", "intake.value_unmapped")]
    assert "'Unknown'" in applied.problems[0].reason
    assert applied.unmapped == {("kind", "typeArea", "Unknown"): 2}
    assert [f.where for f in applied.src.features] == ["line 2"]


def test_a_default_takes_what_the_table_lacks_and_counts_it(tmp_path: Path) -> None:
    m = mapping(tmp_path, HAZARDS.replace('[fields.kind.values]',
                                          'default = "sha"\n[fields.kind.values]'))
    src = read_file(write(tmp_path, "h.csv", "fileId,typeArea,datum,place,shape\n"
                          "1,Confirmed,01.01.2020,A,\n2,Mined?,01.01.2020,B,\n"))
    applied = M.apply(m, src)
    assert not applied.problems
    assert [f.properties["kind"] for f in applied.src.features] == ["cha", "sha"]
    assert applied.unmapped == {("kind", "typeArea", "Mined?"): 1}


def test_must_map_false_passes_the_value_on_to_the_layer_checks(tmp_path: Path) -> None:
    m = mapping(tmp_path, HAZARDS.replace('[fields.kind.values]',
                                          'must_map = false\n[fields.kind.values]'))
    src = read_file(write(tmp_path, "h.csv", "fileId,typeArea,datum,place,shape\n"
                          "1,cha,01.01.2020,A,\n"))
    applied = M.apply(m, src)
    assert not applied.problems and applied.src.features[0].properties["kind"] == "cha"


def test_units_hash_ids_lonlat_and_conversions(tmp_path: Path) -> None:
    m = mapping(tmp_path, """[mapping]
layer = "activities"
thousands = ","
id = { hash = ["team", "start"], prefix = "A-" }
[fields.kind]
value = "clearance"
[fields.started_on]
column = "start"
[fields.ended_on]
column = "start"
[fields.operator]
column = "team"
convert = "upper"
[fields.depth_cm]
column = "depth_m"
number = true
format = "{value}"
[fields.hazard_id]
column = "hz"
pattern = "^HZ-(\\\\d+)$"
format = "H{value}"
[geometry]
lon = "x"
lat = "y"
""", "activities")
    src = read_file(write(tmp_path, "a.csv", "team,start,depth_m,hz,x,y\n"
                          "t1,2022-01-01,\"1,013\",HZ-7,50.5,41.2\n"
                          "t1,2022-01-01,20,HZ-8,50.6,41.3\n"))
    applied = M.apply(m, src)
    assert not applied.problems, applied.problems
    a, b = (f.properties for f in applied.src.features)
    assert a["operator"] == "T1" and a["depth_cm"] == "1013" and a["hazard_id"] == "H7"
    # two rows alike in the hashed columns: the second is numbered
    assert a["id"].startswith("A-") and b["id"] == a["id"] + "-2"
    assert applied.src.features[1].geometry.coords[0] == (50.6, 41.3)


@pytest.mark.parametrize(("unit", "given", "m2"), [("ha", "2.5", 25_000), ("km2", "1,5", None),
                                                    ("km2", "0.5", 500_000), ("m2", "12", 12)])
def test_areas_in_other_units_become_square_metres(tmp_path: Path, unit: str, given: str,
                                                   m2: int | None) -> None:
    m = mapping(tmp_path, f"""[mapping]
layer = "figures"
[fields.value]
column = "area"
unit = "{unit}"
[fields.unit]
value = "m2"
""", "figures")
    src = read_file(write(tmp_path, "c.csv", f"area\n\"{given}\"\n"))
    applied = M.apply(m, src)
    if m2 is None:  # "1,5" is no number unless the mapping says "," separates thousands
        assert applied.problems and applied.problems[0].code == "intake.value_unreadable"
    else:
        assert applied.src.features[0].properties["value"] == m2


def test_a_bad_mapping_names_every_mistake(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        mapping(tmp_path, """[mapping]
layer = "hazards"
key = ["nope"]
[fields.kindd]
column = "x"
[fields.kind]
colum = "x"
[fields.status]
column = "s"
unit = "acres"
[geometry]
lon = "x"
""")
    fields = {p.field for p in info.value.problems}
    assert {"fields.kindd", "fields.kind.colum", "fields.kind", "fields.status.unit",
            "mapping.key", "geometry"} <= fields


def test_set_adds_constants_without_a_file() -> None:
    m = imports.mapping_for("hazards", None, ["kind=sha", "status=open"])
    assert m is not None and m.fields == {"kind": {"value": "sha"}, "status": {"value": "open"}}
    with pytest.raises(InvalidInput):
        imports.mapping_for("hazards", None, ["kind"])
    with pytest.raises(InvalidInput):
        imports.mapping_for("hazards", None, ["colour=red"])
    assert imports.mapping_for("hazards", None, None) is None


def test_a_column_named_like_a_mapped_field_is_kept_in_attributes(tmp_path: Path) -> None:
    m = mapping(tmp_path, """[mapping]
layer = "admin-areas"
id = "{code}"
[fields.name]
column = "shapeName"
[fields.level]
value = 2
""", "admin-areas")
    src = read_file(write(tmp_path, "a.csv", "code,shapeName,Level\nX1,Somewhere,ADM2\n"))
    feat = M.apply(m, src).src.features[0]
    assert feat.properties["level"] == 2 and "Level" not in feat.properties
    assert json.loads(feat.properties["attributes"]) == {"Level": "ADM2"}

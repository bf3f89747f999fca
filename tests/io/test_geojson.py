"""GeoJSON is read with the json module: JSON types are kept whatever the other features hold,
a bad value is named by feature and field, and content that is not Features is refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mineaction.errors import InvalidInput
from mineaction.io.readers import read_file


def find(fid: str, geometry=None, **props) -> dict:
    return {"type": "Feature", "properties": {"id": fid, "category": "ap", **props},
            "geometry": geometry or {"type": "Point", "coordinates": [50.5, 41.0]}}


def write(tmp_path: Path, data, name: str = "f.geojson") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def fc(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def test_a_boolean_stays_boolean_when_another_feature_lacks_it(tmp_path, cli, stored):
    path = write(tmp_path, fc(find("F1", victim_activated=True, model="0012", quantity=3),
                              find("F2")))
    src = read_file(path)
    props = src.features[0].properties
    assert props["victim_activated"] is True and props["model"] == "0012"
    assert props["quantity"] == 3 and type(props["quantity"]) is int
    assert "victim_activated" not in src.features[1].properties
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    finds = stored("finds")
    assert finds["F1"].victim_activated is True and finds["F2"].victim_activated is None
    assert finds["F1"].model == "0012" and finds["F1"].quantity == 3


def test_an_impossible_date_is_named_and_other_problems_still_listed(tmp_path, cli, stored):
    path = write(tmp_path, fc(find("F1", found_on="2023-02-30"), find("F2", category="mines"),
                              find("F3", found_on="2023-03-01", quantity=float("nan"))))
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "3 problems" in out
    assert ("feature 1 (id F1), field 'found_on': expected a date as YYYY-MM-DD (or an ISO "
            "date and time), got '2023-02-30'") in out
    assert "feature 2 (id F2), field 'category': unknown value 'mines'" in out
    # NaN is not JSON: kept as written, and refused as a number
    assert "feature 3 (id F3), field 'quantity': expected a whole number, got 'NaN'" in out
    assert stored("finds") == {}


def test_text_after_a_nul_is_not_lost_silently(tmp_path, cli, stored):
    path = write(tmp_path, fc(find("F1", model="PMN\u0000-2 (cut here)")))
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "feature 1 (id F1), field 'model': the value holds a NUL character" in out
    assert stored("finds") == {}


def test_a_name_given_twice_in_properties_is_named(tmp_path):
    text = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, '
            '"properties": {"id": "F1", "quantity": 1, "quantity": 7}}]}')
    with pytest.raises(InvalidInput) as caught:
        read_file(write(tmp_path, text))
    assert "feature 1 (id F1), field 'quantity': the name appears more than once" in str(
        caught.value)


def test_feature_ids_and_row_labels(tmp_path):
    feature = find("ignored")
    del feature["properties"]["id"]
    feature["id"] = "F9"
    src = read_file(write(tmp_path, fc(find("F1"), feature, {**find(""), "properties": None})))
    assert [f.where for f in src.features] == ["feature 1 (id F1)", "feature 2 (id F9)",
                                               "feature 3"]
    assert src.features[1].properties["id"] == "F9" and src.features[2].properties == {}


def test_old_geojson_crs_member_is_read(tmp_path, cli, stored):
    data = fc(find("F1", geometry={"type": "Point", "coordinates": [5_621_521.5, 5_012_341.0]}))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    path = write(tmp_path, data)
    src = read_file(path)
    assert src.crs == "urn:ogc:def:crs:EPSG::3857" and not src.crs_is_default
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    f = stored("finds")["F1"]
    assert f.src_crs == "EPSG:3857"
    # x = R * lon, y = R * ln(tan(pi/4 + lat/2)) on the sphere of radius 6378137 m
    import math

    r = 6_378_137.0
    lon = math.degrees(5_621_521.5 / r)
    lat = math.degrees(2 * math.atan(math.exp(5_012_341.0 / r)) - math.pi / 2)
    assert f.geometry.x == pytest.approx(lon, abs=1e-9)
    assert f.geometry.y == pytest.approx(lat, abs=1e-9)
    bad = dict(data, crs={"type": "link", "properties": {"href": "x.prj"}})
    with pytest.raises(InvalidInput, match="'crs' member is not a CRS name"):
        read_file(write(tmp_path, bad, "bad.geojson"))


def test_geojson_without_crs_is_wgs84(tmp_path):
    src = read_file(write(tmp_path, fc(find("F1"))))
    assert src.crs == "EPSG:4326" and src.crs_is_default


@pytest.mark.parametrize("data,expect", [
    ({"type": "Polygon", "coordinates": [[[50.5, 41.0], [50.6, 41.0], [50.6, 41.1],
                                          [50.5, 41.0]]]},
     "a bare GeoJSON Polygon without properties"),
    ([find("F1")], "expected a FeatureCollection or a Feature, found a JSON list"),
    ({"type": "Topic", "features": []}, "found a JSON object of type 'Topic'"),
    ({"type": "FeatureCollection", "features": {"F1": find("F1")}},
     "its 'features' member is not a list"),
    ("{\"type\": \"FeatureCollection\", \"features\": [", "not JSON: Expecting value at line 1"),
])
def test_content_that_is_not_features_is_refused(tmp_path, data, expect):
    with pytest.raises(InvalidInput) as caught:
        read_file(write(tmp_path, data))
    assert expect in str(caught.value)


def test_members_that_are_not_features_are_named(tmp_path):
    point = {"type": "Point", "coordinates": [50.5, 41.0]}
    with pytest.raises(InvalidInput) as caught:
        read_file(write(tmp_path, fc(find("F1"), point, "text")))
    message = str(caught.value)
    assert "feature 2: not a GeoJSON Feature (type 'Point')" in message
    assert "feature 3: not a GeoJSON Feature (a JSON str)" in message


def test_each_bad_geometry_is_named(tmp_path, cli, stored):
    path = write(tmp_path, fc(
        find("F1"),
        find("F2", geometry={"type": "Point", "coordinates": ["50.5", 41.0]}),
        find("F3", geometry={"type": "Point"}),
        find("F4", geometry={"type": "Circle", "coordinates": [50.5, 41.0]}),
        find("F5", geometry={"type": "MultiPoint", "coordinates": [[50.5, 41.0], [50.6]]})))
    code, out = cli("import", "finds", str(path))
    assert code == 2
    assert "4 problems" in out
    assert "feature 2 (id F2), field 'geometry': geometry (Point): coordinates is not a " \
           "position of 2 or 3 numbers: [\"50.5\", 41.0]" in out
    assert "feature 3 (id F3), field 'geometry': geometry: a Point without 'coordinates'" in out
    assert "feature 4 (id F4), field 'geometry': geometry type 'Circle' is not a GeoJSON " \
           "geometry type" in out
    assert "feature 5 (id F5), field 'geometry': geometry (MultiPoint): coordinates[1] is not" \
           in out
    assert stored("finds") == {}


def test_a_ring_too_short_is_named(tmp_path):
    ring = {"type": "Polygon", "coordinates": [[[50.5, 41.0], [50.6, 41.0], [50.5, 41.0]]]}
    src = read_file(write(tmp_path, fc(find("H1", geometry=ring))))
    assert str(src.features[0].geometry_problem) == (
        "geometry (Polygon): coordinates[0] has 3 positions; at least 4 are needed")


def test_dates_and_numbers_are_what_the_file_says(tmp_path, cli, stored):
    path = write(tmp_path, fc(find("F1", found_on="2023-05-01", quantity=2.0)))
    code, out = cli("import", "finds", str(path))
    assert code == 0, out
    f = stored("finds")["F1"]
    assert f.found_on == dt.date(2023, 5, 1) and f.quantity == 2

"""On a small demo: ``hazards assess`` in each format, the cancellation-candidates report with
its explained cells, and ``risk features`` (cells, cut-off, truth target)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pyproj
import pytest

from mineaction.geo.measure import area_m2
from mineaction.risk.evidence import default_weights_text

from .conftest import Demo, run

pytestmark = pytest.mark.xdist_group("evidence-demo")


def test_show_weights_prints_the_default_file() -> None:
    code, out = run("hazards", "assess", "--show-weights")
    assert code == 0 and out == default_weights_text()
    assert "IMAS 07.11" in out and "[thresholds]" in out


def test_assess_in_json_csv_and_text(demo: Demo, tmp_path: Path) -> None:
    code, out = run("--db", str(demo.db), "hazards", "assess", "--format", "json",
                    "--before", "2022-01-01")
    assert code == 0, out
    data = json.loads(out)
    recs = {h["recommendation"] for h in data["hazards"]}
    assert "cancel" in recs and recs <= {"confirm", "keep", "cancel"}
    for h in data["hazards"]:
        assert h["reasons"] and all(r["code"].startswith("evidence.") for r in h["reasons"])
        assert h["score"] == pytest.approx(h["direct"] + h["indirect"], abs=2e-3)
        if h["recommendation"] == "cancel":
            assert h["direct"] == 0 and h["kind"] == "sha"
    # a heavier threshold cancels more; the file changes only what it names
    w = tmp_path / "w.toml"
    w.write_text("[thresholds]\ncancel = 5\nconfirm = 50\n", encoding="utf-8")
    code, out2 = run("--db", str(demo.db), "hazards", "assess", "--format", "json",
                     "--before", "2022-01-01", "--weights", str(w))
    more = [h for h in json.loads(out2)["hazards"] if h["recommendation"] == "cancel"]
    assert len(more) > sum(h["recommendation"] == "cancel" for h in data["hazards"])
    assert not [h for h in json.loads(out2)["hazards"] if h["recommendation"] == "confirm"]
    # a risk model's estimate is indirect evidence: a high one keeps a candidate
    first = next(h["hazard"] for h in data["hazards"] if h["recommendation"] == "cancel")
    risk = tmp_path / "risk.csv"
    risk.write_text(f"hazard_id,probability\n{first},0.9\n", encoding="utf-8")
    code, out3 = run("--db", str(demo.db), "hazards", "assess", "--format", "json",
                     "--before", "2022-01-01", "--risk", str(risk), "--only", "keep")
    kept = {h["hazard"]: h for h in json.loads(out3)["hazards"]}
    assert code == 0 and first in kept
    assert [e["source"] for e in kept[first]["evidence"]][-1] == "risk"
    code, text = run("--db", str(demo.db), "hazards", "assess", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert code == 0 and rows and set(rows[0]) >= {"hazard", "area_m2", "recommendation"}
    code, text = run("--db", str(demo.db), "hazards", "assess", "--limit", "3")
    assert code == 0 and "cancel by non-technical survey:" in text and "keep:" in text
    code, text = run("--db", str(demo.db), "--lang", "ru", "hazards", "assess", "--limit", "3")
    assert code == 0 and "аннулировать нетехническим обследованием:" in text
    assert "оставить:" in text and "(прямые " in text and "(--limit 0: все)" in text
    assert "hazard(s)" not in text and "direct" not in text


def test_the_report_lists_candidates_with_their_area_per_district(demo: Demo) -> None:
    code, out = run("--db", str(demo.db), "report", "cancellation-candidates", "--format",
                    "json")
    assert code == 0, out
    rep = json.loads(out)
    tables = {t["name"]: t for t in rep["tables"]}
    assert "by-district" in tables
    code, explained = run("--db", str(demo.db), "report", "cancellation-candidates",
                          "--explain", "--cell", "by-district")
    assert code == 0 and "HZ-" in explained
    # the area a candidate would release is its geodesic area
    from mineaction.services.evidence import read
    from mineaction.store import open_store

    s = open_store(str(demo.db))
    try:
        hazards = {h.id: h for h in read(s).hazards}
    finally:
        s.close()
    for t in rep["tables"]:
        if t["name"].startswith("district-"):
            for row in t["rows"]:
                hid = row["hazard"]["value"] if isinstance(row["hazard"], dict) \
                    else row["hazard"]
                got = row["area_m2"]["value"] if isinstance(row["area_m2"], dict) \
                    else row["area_m2"]
                assert got == pytest.approx(area_m2(hazards[hid].geometry), abs=1)
    # each district's table counts its candidates, in English and in the reader's language
    districts = [t for t in rep["tables"] if t["name"].startswith("district-")]
    assert districts
    for t in districts:
        n = len(t["rows"]) if "more" not in t["title"] else None
        assert re.fullmatch(r".+: [\d,]+ cancellation candidates?", t["title"]), t["title"]
        if n is not None:
            assert t["title"].endswith(f": {n:,} cancellation candidate" + "s" * (n != 1))
    code, out = run("--db", str(demo.db), "--lang", "ru", "report", "cancellation-candidates")
    said = re.findall(r"[\d\s,]+ кандидат(?:а|ов)? на аннулирование", out)
    assert code == 0 and len(said) == len(districts), out
    assert "cancellation candidate" not in out


def _table(path: Path) -> dict[str, np.ndarray]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


BBOX = "50.95,41.25,51.15,41.45"


def test_features_use_only_records_before_the_cut_off(demo: Demo, tmp_path: Path) -> None:
    from mineaction import domain as d
    from mineaction.store import open_store

    a = tmp_path / "a.csv"
    code, out = run("--db", str(demo.db), "risk", "features", "--cell", "500", "--bbox", BBOX,
                    "--before", "2022-01-01", "--truth", str(demo.truth), "--context",
                    str(demo.truth), "-o", str(a))
    assert code == 0, out
    t = _table(a)
    assert {"lon", "lat", "target", "d_front_m", "d_road_m", "d_find_ap_m", "d_find_uxo_m",
            "n_find_ap_500m", "record_mines_1km", "days_since_activity", "in_cleared",
            "cover_forest"} <= set(t)
    assert len(t["lon"]) > 100 and set(np.unique(t["target"])) <= {0.0, 1.0}
    # a find after the cut-off, right on a cell, changes nothing
    import shapely

    lon, lat = float(t["lon"][0]), float(t["lat"][0])
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(demo.db.read_bytes())
    s = open_store(str(copy))
    try:
        with s.transaction() as tx:
            tx.add(d.Find(id="FND-LATE", category=d.EOCategory.AP, found_on=__import__(
                "datetime").date(2024, 3, 1), geometry=shapely.Point(lon, lat)))
    finally:
        s.close()
    b = tmp_path / "b.csv"
    assert run("--db", str(copy), "risk", "features", "--cell", "500", "--bbox", BBOX,
               "--before", "2022-01-01", "-o", str(b))[0] == 0
    tb = _table(b)
    for k in tb:
        assert np.array_equal(t[k], tb[k]), k
    # without the cut-off the find is there, at the first cell's centre
    c = tmp_path / "c.csv"
    assert run("--db", str(copy), "risk", "features", "--cell", "500", "--bbox", BBOX,
               "-o", str(c))[0] == 0
    assert _table(c)["d_find_ap_m"][0] == pytest.approx(0.0, abs=0.1)


def test_feature_distances_agree_with_the_geodesic(demo: Demo, tmp_path: Path) -> None:
    from mineaction.store import open_store

    pts = tmp_path / "pts.csv"
    rng = np.random.default_rng(5)
    lon = rng.uniform(50.6, 51.4, 40)
    lat = rng.uniform(41.0, 41.8, 40)
    pts.write_text("lon,lat\n" + "".join(f"{x},{y}\n" for x, y in zip(lon, lat, strict=True)),
                   encoding="utf-8")
    out = tmp_path / "f.csv"
    assert run("--db", str(demo.db), "risk", "features", "--points", str(pts), "-o",
               str(out))[0] == 0
    t = _table(out)
    s = open_store(str(demo.db))
    try:
        acc = [(a.geometry.x, a.geometry.y) for a in s.iter("accidents")]
    finally:
        s.close()
    geod = pyproj.Geod(ellps="WGS84")
    ax = np.array([p[0] for p in acc])
    ay = np.array([p[1] for p in acc])
    for x, y, got in zip(t["lon"], t["lat"], t["d_accident_m"], strict=True):
        best = min(geod.inv(np.full(len(ax), x), np.full(len(ax), y), ax, ay)[2])
        assert got == pytest.approx(min(best, 50_000.0), rel=2e-3, abs=0.5)

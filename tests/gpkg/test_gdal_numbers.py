"""GDAL reads the GeoPackage's numbers as we wrote them: reals as 8-byte reals (Float64; a
column declared FLOAT is a 4-byte real to GDAL and QGIS) and integers as 64-bit, in a new store
and in one migrated from schema 4; the migrated tables keep a spatial index GDAL uses."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from mineaction.domain.layers import all_layers
from mineaction.geo.measure import area_m2
from mineaction.store import open_store
from tests.conftest import skip_or_fail
from tests.contract.test_migrations import _step, schema_4_store


def _fill(path: str, n: int = 60) -> None:
    s = open_store(path)
    try:
        rng = np.random.default_rng(5)
        steps = []
        for i in range(n):
            x, y = 50.4 + 0.02 * i, 41.0 + 0.01 * (i % 7)
            w, h = rng.uniform(0.001, 0.02, 2)
            steps.append(_step(f"B{i}/H{i}", MultiPolygon([box(x, y, x + w, y + h)]),
                               area_m2(box(x, y, x + w, y + h))))
        with s.transaction() as tx:
            tx.add_many(steps)
    finally:
        s.close()


def _check_numbers(path: str) -> None:
    for layer in all_layers():
        info = pyogrio.read_info(path, layer=layer.table)
        dtypes = dict(zip(info["fields"], info["dtypes"], strict=True))
        for spec in layer.fields:
            if spec.kind == "real":
                assert dtypes[spec.name] == "float64", (layer.table, spec.name)
            elif spec.kind == "integer":
                assert dtypes[spec.name] == "int64", (layer.table, spec.name)
    s = open_store(path)
    try:
        ours = {r.id: r.area_m2 for r in s.iter("release-steps")}
        total = s.aggregate("release-steps", sums=["area_m2"])[0]["area_m2"]
    finally:
        s.close()
    _, _, _, (ids, areas) = pyogrio.raw.read(path, layer="release_steps", read_geometry=False,
                                             columns=["id", "area_m2"])
    assert dict(zip(ids, areas.tolist(), strict=True)) == ours  # every value, to the bit
    assert float(areas.sum()) == pytest.approx(total, rel=1e-12)
    assert float(areas.sum()) == pytest.approx(sum(ours.values()), rel=1e-12)


def test_new_store_numbers_read_by_gdal_as_written(tmp_path):
    path = str(tmp_path / "new.gpkg")
    s = open_store(path)
    s.create()
    s.close()
    _fill(path)
    _check_numbers(path)


def test_migrated_store_numbers_and_spatial_index(tmp_path, monkeypatch):
    path = str(tmp_path / "old.gpkg")
    schema_4_store(path, monkeypatch)
    _fill(path)
    info = pyogrio.read_info(path, layer="release_steps")
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["area_m2"] == "float32"
    s = open_store(path)
    try:
        s.migrate()
    finally:
        s.close()
    _check_numbers(path)
    # GDAL still sees and uses the R-tree of each rebuilt table, and it is complete
    for table in ("release_steps", "hazard_versions"):
        _, _, _, (flag,) = pyogrio.raw.read(
            path, sql=f"SELECT HasSpatialIndex('{table}', 'geom') AS idx")
        assert flag.tolist() == [1]
        assert pyogrio.read_info(path, layer=table)["capabilities"]["fast_spatial_filter"]
    con = sqlite3.connect(path)
    try:
        (missing,) = con.execute(
            "SELECT count(*) FROM release_steps WHERE fid NOT IN "
            "(SELECT id FROM rtree_release_steps_geom)").fetchone()
        triggers = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
            "'release_steps'")}
        leftovers = con.execute("SELECT name FROM sqlite_master WHERE name LIKE '%__old'"
                                ).fetchall()
    finally:
        con.close()
    assert missing == 0 and leftovers == []
    assert {f"rtree_release_steps_geom_{t}" for t in
            ("insert", "update1", "update2", "update3", "update4", "delete")} == triggers
    bbox = (50.4 + 0.02 * 10 - 1e-4, 41.0 + 0.01 * 3 - 1e-4, 50.4 + 0.02 * 10 + 1e-4,
            41.0 + 0.01 * 3 + 1e-4)
    _, _, geoms, (ids,) = pyogrio.raw.read(path, layer="release_steps", bbox=bbox,
                                           columns=["id"])
    assert ids.tolist() == ["B10/H10"]
    assert shapely.from_wkb(geoms[0]).bounds[:2] == pytest.approx(
        (50.4 + 0.02 * 10, 41.03), abs=1e-12)
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        skip_or_fail("ogrinfo (Debian gdal-bin) is not installed")
    check = subprocess.run([ogrinfo, "-ro", "-al", "-q", path], capture_output=True, text=True)
    assert check.returncode == 0 and "ERROR" not in check.stderr, check.stderr

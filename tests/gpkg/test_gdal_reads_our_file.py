"""The GeoPackage store is a GeoPackage: GDAL (pyogrio's, and Debian's ogrinfo) opens the file as
it is, lists every layer, and reads back what was written, with a current spatial index."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pyogrio
import pytest
import shapely

from mineaction.domain.layers import get_layer
from mineaction.errors import Conflict
from mineaction.store import open_store
from tests.conftest import skip_or_fail
from tests.contract.samples import CORE_LAYERS, sample


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "store.gpkg"
    s = open_store(str(path))
    s.create()
    with s.transaction() as tx:
        for layer in CORE_LAYERS:
            tx.add_many([sample(layer, i) for i in range(7)])
    # an update moves a hazard: the index must follow
    h = s.get("hazards", "H3")
    h.geometry = shapely.box(51.5, 41.8, 51.51, 41.81)
    with s.transaction() as tx:
        tx.update(h)
    s.close()
    return path


def test_pyogrio_lists_every_layer_with_counts_and_geometries(filled):
    listed = {name: gtype for name, gtype in pyogrio.list_layers(str(filled))}
    for layer in CORE_LAYERS:
        lyr = get_layer(layer)
        assert lyr.table in listed, layer
        meta, fids, geoms, _ = pyogrio.raw.read(str(filled), layer=lyr.table, return_fids=True)
        assert len(fids) == 7
        if lyr.spatial:
            assert meta["crs"] == "EPSG:4326"
            s = open_store(str(filled))
            try:
                ours = {r.id: r.geometry for r in s.iter(layer)}
            finally:
                s.close()
            ids = list(pyogrio.raw.read(str(filled), layer=lyr.table, columns=["id"])[3][0])
            for rid, wkb in zip(ids, geoms, strict=True):
                got = shapely.from_wkb(wkb)
                assert got.equals_exact(shapely.force_2d(ours[rid]), 1e-12)
    assert listed["hazards"] == "MultiPolygon" and listed["finds"] == "Point"


def test_spatial_index_present_and_current(filled):
    con = sqlite3.connect(filled)
    try:
        ext = {r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_extensions WHERE extension_name='gpkg_rtree_index'")}
        assert {"hazards", "finds", "activities"} <= ext
        (n,) = con.execute("SELECT count(*) FROM rtree_hazards_geom").fetchone()
        assert n == 7
        (minx,) = con.execute("SELECT minx FROM rtree_hazards_geom WHERE id = "
                              "(SELECT fid FROM hazards WHERE id='H3')").fetchone()
        assert minx == pytest.approx(51.5)
        (app_id,) = con.execute("PRAGMA application_id").fetchone()
        (user_version,) = con.execute("PRAGMA user_version").fetchone()
        assert app_id == 0x47504B47 and user_version == 10300
    finally:
        con.close()
    # GDAL uses the index for a spatial filter
    _, fids, _, _ = pyogrio.raw.read(str(filled), layer="hazards", return_fids=True,
                                     bbox=(51.49, 41.79, 51.52, 41.82))
    assert len(fids) == 1


def test_debian_ogrinfo_reads_it(filled):
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        skip_or_fail("ogrinfo (Debian gdal-bin) is not installed")
    out = subprocess.run([ogrinfo, "-ro", "-so", str(filled), "hazards"], capture_output=True,
                         text=True, check=True).stdout
    assert "Feature Count: 7" in out and "Geometry: Multi Polygon" in out
    listing = subprocess.run([ogrinfo, "-ro", "-q", str(filled)], capture_output=True, text=True,
                             check=True).stdout
    for layer in CORE_LAYERS:
        assert get_layer(layer).table in listing
    sql = subprocess.run([ogrinfo, "-ro", str(filled), "-sql",
                          "SELECT HasSpatialIndex('hazards', 'geom') AS idx"],
                         capture_output=True, text=True, check=True).stdout
    assert "HasSpatialIndex (Integer) = 1" in sql
    check = subprocess.run([ogrinfo, "-ro", "-al", "-q", str(filled)], capture_output=True,
                           text=True)
    assert check.returncode == 0
    assert "ERROR" not in check.stderr, check.stderr


def test_bulk_writes_keep_the_index_exact(tmp_path):
    """Large batches fill the R-tree in one statement; small ones through the trigger. Either
    way every feature is indexed with its own bounds, and the trigger is still there after."""
    path = tmp_path / "bulk.gpkg"
    s = open_store(str(path))
    s.create()
    with s.transaction() as tx:
        tx.add_many([sample("hazards", i) for i in range(1000)])
        tx.add(sample("hazards", 1000))
    with pytest.raises(Conflict), s.transaction() as tx:  # a failed bulk write, rolled back
        tx.add_many([sample("hazards", i) for i in range(1001, 1400)] + [sample("hazards", 5)])
    with s.transaction() as tx:
        tx.add_many([sample("hazards", i) for i in range(1001, 1300)])
    s.close()
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT h.id, r.minx, r.maxx, r.miny, r.maxy, h.geom FROM hazards h "
                           "JOIN rtree_hazards_geom r ON r.id = h.fid").fetchall()
        triggers = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger'")}
    finally:
        con.close()
    assert len(rows) == 1300
    from mineaction.store.geopackage import decode

    for _, minx, maxx, miny, maxy, blob in rows:
        b = decode(blob).bounds
        # the R-tree keeps 32-bit floats, rounded outwards
        assert (minx, miny, maxx, maxy) == pytest.approx(b, abs=1e-5)
        assert minx <= b[0] and miny <= b[1] and maxx >= b[2] and maxy >= b[3]
    assert "rtree_hazards_geom_insert" in triggers
    _, fids, _, _ = pyogrio.raw.read(str(path), layer="hazards", return_fids=True,
                                     bbox=(50.5 + 1299 * 0.01, 40.9, 50.5 + 1299 * 0.01 + 0.001,
                                           41.1))
    assert len(fids) == 1

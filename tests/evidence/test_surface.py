"""Risk surfaces on the small demo: ``risk surface`` writes a Cloud-Optimised GeoTIFF (read
back by GDAL) whose cells hold the model's probability at their centres, computed on a Dask
cluster; ``risk rank-hazards`` ranks hazards by the risk inside them."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from .conftest import Demo, run

pytestmark = pytest.mark.xdist_group("evidence-demo")

BBOX = "50.95,41.25,51.15,41.45"


@dataclass
class Built:
    model: Path
    tif: Path
    out: str


@pytest.fixture(scope="module")
def built(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A small model trained on 250 m cells of the box (to tell cells near a recorded hazard:
    any label does, the surface is what is tested), and its 100 m surface of the box
    (64-cell windows on a local Dask cluster of one worker process, 64-cell tiles)."""
    from mineaction.risk.model import RiskModel, fit_booster

    root = tmp_path_factory.mktemp("surface")
    cells = root / "cells.csv"
    code, out = run("--db", str(demo.db), "risk", "features", "--cell", "250", "--bbox", BBOX,
                    "--context", str(demo.truth), "-o", str(cells))
    assert code == 0, out
    t = pd.read_csv(cells)
    features = [c for c in t.columns if c not in ("lon", "lat")]
    y = (t["d_hazard_m"] < 1000).to_numpy(float)
    assert 0 < y.sum() < len(y)
    booster = fit_booster(t[features].to_numpy(float), y, {"min_child_samples": 5}, 25)
    model = RiskModel(booster, features, [c for c in features if c.startswith(("in_", "cover_"))],
                      info={"target": "target", "lon": "lon", "lat": "lat"})
    path = root / "risk.model"
    model.save(path)
    tif = root / "risk.tif"
    code, out = run("--db", str(demo.db), "risk", "surface", "--model", str(path),
                    "--resolution", "100", "--bbox", BBOX, "--context", str(demo.truth),
                    "--chunk", "64", "--tile", "64", "--workers", "1", "-o", str(tif))
    assert code == 0, out
    return Built(path, tif, out)


def test_the_surface_is_a_cloud_optimised_geotiff_in_utm(built: Built) -> None:
    import rasterio

    assert "EPSG:32639" in built.out
    said = re.search(r"inside the territory, ([\d,]+) (windows?); mean probability", built.out)
    assert said and said[2] == ("window" if said[1] == "1" else "windows"), built.out
    with rasterio.open(built.tif) as src:
        assert src.driver == "GTiff"
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert src.crs.to_epsg() == 32639  # UTM 39N: 48-54 E
        assert src.res == (100.0, 100.0)
        assert src.block_shapes == [(64, 64)]
        assert src.overviews(1), "no overviews"
        assert src.dtypes == ("float32",) and np.isnan(src.nodata)
        assert src.tags()["MINEACTION_CRS"] == "EPSG:32639"
        # computed from the demo's synthetic store: the file says so wherever it is opened
        assert src.tags()["MINEACTION_SYNTHETIC"].startswith("synthetic:")
        # the box, 17 x 22 km, in 100 m cells
        assert 160 <= src.width <= 180 and 215 <= src.height <= 235
        a = src.read(1, masked=True)
    assert a.count() > 0.9 * a.size or a.count() > 1000
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0
    if gdalinfo := shutil.which("gdalinfo"):
        info = subprocess.run([gdalinfo, str(built.tif)], capture_output=True, text=True,
                              check=True).stdout
        assert "LAYOUT=COG" in info and "Overviews:" in info and "Block=64x64" in info


def test_cells_hold_the_models_probability_at_their_centres(demo: Demo, built: Built
                                                            ) -> None:
    """A few cells against the model's prediction for the features at their centres,
    computed the plain way (every feature from the store's records at those points)."""
    import rasterio

    from mineaction.access import Actor
    from mineaction.geo.traverse import LocalFrame
    from mineaction.risk import features as F
    from mineaction.risk.model import RiskModel
    from mineaction.services.context import open_context
    from mineaction.services.evidence import known

    with rasterio.open(built.tif) as src:
        a = src.read(1)
        rows, cols = np.nonzero(np.isfinite(a))
        rng = np.random.default_rng(3)
        pick = rng.choice(len(rows), 12, replace=False)
        r, c = rows[pick], cols[pick]
        x, y = rasterio.transform.xy(src.transform, r, c, offset="center")
        inv = pyproj.Transformer.from_crs(src.crs.to_wkt(), "EPSG:4326", always_xy=True)
        lon, lat = inv.transform(np.asarray(x), np.asarray(y))
        got = a[r, c]
    w, s, e, n = (float(v) for v in BBOX.split(","))
    with open_context(str(demo.db), actor=Actor.local()) as ctx:
        k = known(ctx.reader)
        k.today = ctx.today()
        cols_ = F.table(k, np.asarray(lon), np.asarray(lat), LocalFrame((w + e) / 2, (s + n) / 2),
                        context=F.read_context(demo.truth))
    want = RiskModel.load(built.model).predict_proba(pd.DataFrame(cols_))
    assert np.allclose(got, want, atol=1e-6), (got, want)
    assert len(np.unique(np.round(a[np.isfinite(a)], 3))) > 3  # a surface, not a constant


def test_hazards_ranked_by_the_risk_inside_them(demo: Demo, built: Built) -> None:
    import rasterio

    from mineaction.store import open_store

    code, out = run("--db", str(demo.db), "risk", "rank-hazards", "--surface",
                    str(built.tif), "--format", "json")
    assert code == 0, out
    rows = json.loads(out)["hazards"]
    scored = [h for h in rows if h["mean"] is not None]
    assert scored and [h["rank"] for h in rows] == list(range(1, len(rows) + 1))
    means = [h["mean"] for h in scored]
    assert means == sorted(means, reverse=True)
    assert all(h["mean"] <= h["max"] + 1e-9 for h in scored)
    assert all(h["status"] == "open" for h in rows)
    # the largest scored hazard, checked against the cells whose centre lies inside it
    best = max((h for h in scored if not h["touched_cells"]), key=lambda h: h["cells"])
    s = open_store(str(demo.db))
    try:
        geom = next(h.geometry for h in s.iter("hazards") if h.id == best["hazard_id"])
    finally:
        s.close()
    with rasterio.open(built.tif) as src:
        a = src.read(1)
        rr, cc = np.meshgrid(np.arange(src.height), np.arange(src.width), indexing="ij")
        x, y = rasterio.transform.xy(src.transform, rr.ravel(), cc.ravel(), offset="center")
        inv = pyproj.Transformer.from_crs(src.crs.to_wkt(), "EPSG:4326", always_xy=True)
        lon, lat = inv.transform(np.asarray(x), np.asarray(y))
    inside = shapely.contains_xy(geom, lon, lat) & np.isfinite(a.ravel())
    assert inside.sum() == best["cells"]
    assert best["max"] == pytest.approx(float(a.ravel()[inside].max()), abs=1e-6)
    assert best["mean"] == pytest.approx(float(a.ravel()[inside].mean()), abs=1e-5)
    code, out = run("--db", str(demo.db), "risk", "rank-hazards", "--surface",
                    str(built.tif), "--format", "csv", "--by", "max")
    assert code == 0, out
    table = list(csv.DictReader(io.StringIO(out)))
    assert len(table) == len(rows) and table[0]["max"] == str(max(h["max"] for h in scored))


def test_bad_options_are_refused(demo: Demo, built: Built, tmp_path: Path) -> None:
    out = tmp_path / "x.tif"
    assert run("--db", str(demo.db), "risk", "surface", "--model", str(built.model),
               "--bbox", "51,41,50,42", "-o", str(out))[0] == 2
    assert run("--db", str(demo.db), "risk", "surface", "--model", str(built.model),
               "--bbox", "60,10,61,11", "--workers", "0", "-o", str(out))[0] == 2
    assert run("--db", str(demo.db), "risk", "rank-hazards", "--surface",
               str(tmp_path / "none.tif"))[0] == 2
    assert not out.exists()


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_map_tiles_of_the_surface_colour_its_cells(demo: Demo, built: Built) -> None:
    """A map tile over the surface ``risk surface`` wrote: each pixel has the colour ramp's
    colour of the cell under the pixel's centre; the public is refused."""
    import rasterio

    from mineaction.access import Actor
    from mineaction.errors import Unauthorized
    from mineaction.risk import surface as S
    from mineaction.services import surface as surfaces
    from mineaction.services import tiles
    from mineaction.services.context import Context, Settings
    from mineaction.store import open_store

    z = 12
    n = 1 << z
    size = 2 * tiles.ORIGIN / n
    to_merc = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    mx, my = to_merc.transform(51.05, 41.35)  # the middle of the box
    col, row = int((mx + tiles.ORIGIN) / size), int((tiles.ORIGIN - my) / size)
    store = open_store(str(demo.db))
    try:
        settings = Settings(risk_surface=built.tif)
        with pytest.raises(Unauthorized):
            surfaces.map_tile(Context(store, Actor.anonymous(), settings=settings), z, row, col)
        found = surfaces.map_tile(Context(store, Actor.local(), settings=settings), z, row, col)
    finally:
        store.close()
    assert found.data is not None and found.features > 0
    with rasterio.MemoryFile(found.data) as mem, mem.open() as png:
        rgba = np.moveaxis(png.read(), 0, -1)
    minx, _miny, _maxx, maxy = tiles.tile_bounds(z, row, col)
    step = size / 256
    pix = [(r, c) for r in range(8, 256, 40) for c in range(8, 256, 40)]
    px = np.array([minx + (c + 0.5) * step for _, c in pix])
    py = np.array([maxy - (r + 0.5) * step for r, _ in pix])
    lon, lat = pyproj.Transformer.from_crs("EPSG:3857", "EPSG:4326",
                                           always_xy=True).transform(px, py)
    with rasterio.open(built.tif) as src:
        ux, uy = pyproj.Transformer.from_crs("EPSG:4326", src.crs.to_wkt(),
                                             always_xy=True).transform(lon, lat)
        values = np.array([v[0] for v in src.sample(zip(ux, uy, strict=True))])
    expected = S.coloured(values.reshape(1, -1))[0]
    got = np.array([rgba[r, c] for r, c in pix])
    assert np.isfinite(values).sum() > len(pix) // 2
    assert (got == expected).all()

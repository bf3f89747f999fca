"""Vector tiles bench: a pan sequence of hazard tiles at zooms 8-14 over 50,000 hazards, on
both stores, against an anchor measured in the same run.

    .venv/bin/python bench/tiles_bench.py                    # 50,000 hazards, both stores
    .venv/bin/python bench/tiles_bench.py --n 5000 --adapters gpkg

The hazards are synthetic (irregular octagons of 50-400 m, ``source`` 'synthetic:bench') in
the demo box at sea, 50.3-51.7 E, 40.9-41.9 N. The pan sequence: at each zoom from 8 to 14 a
viewport of 3 x 2 tiles moved five times eastwards by one tile from a point of the box, as a
browser asks for them (each tile once). Each tile is served by
:func:`mineaction.services.tiles.tile`, as an administrator (exact geometries) and as the
public (generalised to the grid). The anchor, tile by tile: the same tile's features read with
bare SQL (GeoPackage: the R-tree joined to the table, geometries decoded by shapely, projected,
clipped and encoded by ``mapbox-vector-tile`` as ours; PostGIS: one ``ST_AsMVT`` statement).
Printed per store and reader: the median tile time, the slowest, the ratio ours / anchor
(total time), and the features served.

First, on each store, the public's first tiles after a write (``--runs`` times, median): a
zoom 8 tile, which reads and generalises the whole layer once for that state of the store,
then a zoom 12 tile cut from it; the anchor is bare shapely on the same geometries (bare SQL,
decoding, points on surface projected). ``--cold-only`` stops there.
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, Polygon

from mineaction import domain as d
from mineaction.access import Actor
from mineaction.services import tiles
from mineaction.services.context import Context
from mineaction.store import open_store, pgcluster

BOX = (50.3, 40.9, 51.7, 41.9)
SOURCE = "synthetic:bench"


def hazards(n: int, seed: int = 7) -> list[d.Hazard]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        x, y = rng.uniform(BOX[0] + 0.01, BOX[2] - 0.01), rng.uniform(BOX[1] + 0.01, BOX[3] - 0.01)
        r = rng.uniform(50, 400) / 111_000
        ring = [(x + r * rng.uniform(0.7, 1.0) * math.cos(a),
                 y + 0.75 * r * rng.uniform(0.7, 1.0) * math.sin(a))
                for a in np.linspace(0, 2 * math.pi, 9)[:-1]]
        out.append(d.Hazard(id=f"B{i:06d}", kind=d.HazardKind.CHA if i % 3 else d.HazardKind.SHA,
                            geometry=MultiPolygon([Polygon(ring)]), source=SOURCE,
                            owner="BX", country="XV"))
    return out


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return y, x


def pan_sequence() -> list[tuple[int, int, int]]:
    seen: set[tuple[int, int, int]] = set()
    out = []
    for z in range(8, 15):
        y0, x0 = tile_of(50.55, 41.45, z)
        for step in range(5):
            for dy in range(2):
                for dx in range(3):
                    t = (z, y0 + dy, x0 + step + dx)
                    if t not in seen:
                        seen.add(t)
                        out.append(t)
    return out


# -- anchors ----------------------------------------------------------------------------------

def _clip_box(z: int, y: int, x: int) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    minx, miny, maxx, maxy = tiles.tile_bounds(z, y, x)
    pad = (maxx - minx) * tiles.BUFFER / tiles.EXTENT
    clip = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    lonlat = (math.degrees(clip[0] / 6378137.0),
              math.degrees(2 * math.atan(math.exp(clip[1] / 6378137.0)) - math.pi / 2),
              math.degrees(clip[2] / 6378137.0),
              math.degrees(2 * math.atan(math.exp(clip[3] / 6378137.0)) - math.pi / 2))
    return clip, lonlat, (maxx - minx) / tiles.EXTENT


def gpkg_anchor(conn: sqlite3.Connection, z: int, y: int, x: int) -> bytes | None:
    """Bare SQL on the GeoPackage: the R-tree's candidates, an exact test, encoding as ours."""
    clip, (a, b, c, e), pixel = _clip_box(z, y, x)
    rows = conn.execute(
        'SELECT h.id, h.kind, h.geom FROM hazards h JOIN rtree_hazards_geom r ON h.fid = r.id '
        "WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ? "
        "AND h.status = 'open'", (a, c, b, e)).fetchall()
    if not rows:
        return None
    geoms = np.asarray([_gpkg_geometry(r[2]) for r in rows], dtype=object)
    hit = shapely.intersects(geoms, shapely.box(a, b, c, e))
    merc = tiles._project(geoms[hit])
    minx, miny = clip[0] + pixel * tiles.BUFFER, clip[1] + pixel * tiles.BUFFER
    units = shapely.transform(shapely.clip_by_rect(merc, *clip),
                              lambda xy: (xy - (minx, miny)) / pixel)
    simple = shapely.simplify(units, 1.0, preserve_topology=True)
    feats = [{"geometry": g, "properties": {"id": r[0], "kind": r[1]}}
             for g, r in zip(simple, [r for r, h in zip(rows, hit, strict=True) if h],
                             strict=True) if not g.is_empty]
    if not feats:
        return None
    return bytes(mapbox_vector_tile.encode([{"name": "hazards", "features": feats}],
                                           default_options={"extents": tiles.EXTENT}))


def _gpkg_geometry(blob: bytes) -> Any:
    flags = blob[3]
    env = (0, 32, 48, 48, 64)[(flags >> 1) & 0x07]
    return shapely.from_wkb(bytes(blob[8 + env:]))


PG_MVT = sa.text("""
WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e),
mvt AS (
  SELECT ST_AsMVTGeom(ST_Transform(h.geom, 3857), b.e, 4096, 64, true) AS geom, h.id, h.kind
  FROM hazards h, b
  WHERE h.status = 'open'
    AND ST_Intersects(h.geom, ST_Transform(ST_Expand(b.e, (ST_XMax(b.e) - ST_XMin(b.e))
                                                         * 64 / 4096), 4326)))
SELECT ST_AsMVT(mvt.*, 'hazards', 4096, 'geom') FROM mvt
""")


def pg_anchor(conn: Any, z: int, y: int, x: int) -> bytes | None:
    data = conn.execute(PG_MVT, {"z": z, "x": x, "y": y}).scalar()
    return bytes(data) if data else None


# -- the run ----------------------------------------------------------------------------------

def timed(fn: Any, seq: list[tuple[int, int, int]]) -> tuple[list[float], int]:
    times, feats = [], 0
    for t in seq:
        start = time.perf_counter()
        out = fn(*t)
        times.append(time.perf_counter() - start)
        if out is not None:
            feats += len(next(iter(mapbox_vector_tile.decode(out).values()))["features"])
    return times, feats


def report(name: str, ours: list[float], anchor: list[float], n_ours: int, n_anchor: int,
           seq: list[tuple[int, int, int]]) -> None:
    zooms = sorted({t[0] for t in seq})
    at = {z: [o for o, t in zip(ours, seq, strict=True) if t[0] == z] for z in zooms}
    per_zoom = "  ".join(f"z{z} {statistics.median(at[z]) * 1000:.0f}" for z in zooms)
    print(f"{name:<22} median {statistics.median(ours) * 1000:8.1f} ms  "
          f"max {max(ours) * 1000:8.1f} ms  total {sum(ours):7.2f} s  "
          f"anchor median {statistics.median(anchor) * 1000:7.1f} ms  "
          f"total {sum(anchor):6.2f} s  ratio {sum(ours) / sum(anchor):6.2f}  "
          f"features {n_ours} (anchor {n_anchor})")
    print(f"{'':<22} median ms per zoom: {per_zoom}")


def cold_after_write(store: Any, url: str, adapter: str, runs: int) -> None:
    """The public's first tiles after a write (nothing cached: the write moves the audit
    log's head), median of ``runs``: a zoom 8 tile (counts per cell of the whole layer's
    generalised outlines) then a zoom 12 tile (outlines cut from the same layer), against
    bare shapely on the same geometries (the open hazards read with bare SQL, decoded and
    their points on surface projected: what counting needs without the grid)."""
    z8, z12 = (8, *tile_of(50.55, 41.45, 8)), (12, *tile_of(50.55, 41.45, 12))
    ctx = Context(store, Actor.anonymous())
    ours8, ours12, anchor = [], [], []
    for k in range(runs):
        with store.transaction() as tx:
            tx.add(d.Hazard(id=f"W{k:03d}", kind=d.HazardKind.CHA, source=SOURCE, owner="BX",
                            country="XV", geometry=MultiPolygon([Polygon(
                                [(50.5, 41.5), (50.502, 41.5), (50.502, 41.502)])])))
        start = time.perf_counter()
        tiles.tile(ctx, "hazards", *z8)
        ours8.append(time.perf_counter() - start)
        start = time.perf_counter()
        tiles.tile(ctx, "hazards", *z12)
        ours12.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare_points(store, url, adapter)
        anchor.append(time.perf_counter() - start)
    m8, m12, ma = (statistics.median(v) for v in (ours8, ours12, anchor))
    print(f"{adapter} public, first tiles after a write (median of {runs}): "
          f"z8 {m8:.2f} s ({', '.join(f'{v:.2f}' for v in ours8)})  "
          f"then z12 {m12 * 1000:.0f} ms  anchor {ma:.2f} s "
          f"({', '.join(f'{v:.2f}' for v in anchor)})  ratio z8 / anchor {m8 / ma:.1f}")


def bare_points(store: Any, url: str, adapter: str) -> np.ndarray:
    """The anchor: the open hazards' geometries read with bare SQL, decoded by shapely,
    their points on surface projected to Web Mercator."""
    if adapter == "gpkg":
        with sqlite3.connect(url) as conn:
            blobs = [r[0] for r in conn.execute(
                "SELECT geom FROM hazards WHERE status = 'open'")]
        geoms = np.asarray([_gpkg_geometry(b) for b in blobs], dtype=object)
    else:
        with sa.create_engine(store.engine.url).connect() as conn:
            wkb = [bytes(r[0]) for r in conn.execute(sa.text(
                "SELECT ST_AsBinary(geom) FROM hazards WHERE status = 'open'"))]
        geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
    return np.column_stack(tiles._to_mercator().transform(pts[:, 0], pts[:, 1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--adapters", default="gpkg,postgis")
    ap.add_argument("--cold-only", action="store_true",
                    help="only the public's first tiles after a write, not the pan sequence")
    ap.add_argument("--runs", type=int, default=3, help="writes, each then the first tiles")
    args = ap.parse_args()
    chosen = args.adapters.split(",")
    seq = pan_sequence()
    records = hazards(args.n)
    print(f"{args.n} hazards, {len(seq)} tiles at zooms 8-14")
    with tempfile.TemporaryDirectory() as tmp:
        server = pgcluster.server() if "postgis" in chosen else None
        try:
            for adapter in chosen:
                url = (str(Path(tmp) / "bench.gpkg") if adapter == "gpkg"
                       else server.new_database("bench_tiles_"))  # type: ignore[union-attr]
                store = open_store(url)
                store.create()
                start = time.perf_counter()
                with store.transaction() as tx:
                    tx.add_many(records)
                print(f"{adapter}: stored in {time.perf_counter() - start:.1f} s")
                cold_after_write(store, url, adapter, args.runs)
                if args.cold_only:
                    store.close()
                    continue
                if adapter == "gpkg":
                    anchor_fn: Any = functools.partial(gpkg_anchor, sqlite3.connect(url))
                else:
                    pg = sa.create_engine(store.engine.url).connect()  # type: ignore[attr-defined]
                    anchor_fn = functools.partial(pg_anchor, pg)
                anchor, n_anchor = timed(anchor_fn, seq)
                for who, actor in (("admin", Actor.local("bench")),
                                   ("public", Actor.anonymous())):
                    ctx = Context(store, actor)
                    ours, n_ours = timed(
                        lambda z, y, x, c=ctx: tiles.tile(c, "hazards", z, y, x).data, seq)
                    report(f"{adapter} {who}", ours, anchor, n_ours, n_anchor, seq)
                store.close()
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()

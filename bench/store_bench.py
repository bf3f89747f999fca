"""Store bench: ingest and spatial queries on both stores, each against an anchor.

    .venv/bin/python bench/store_bench.py            # 20,000 features, 10,000 queries
    .venv/bin/python bench/store_bench.py --quick    # a smoke run
    .venv/bin/python bench/store_bench.py --n 200000 --repeat 5
    .venv/bin/python bench/store_bench.py --n 20000 --queries 1000 --ingest-runs 1

Synthetic features (half hazard polygons, half find points, ``source`` 'synthetic:bench') in
the demo box 50.3-51.7 E, 40.9-41.9 N are

- ingested into our GeoPackage store (``create`` + ``add_many`` in one transaction) and, as the
  anchor, by GDAL's ``ogr2ogr`` from FlatGeobuf files written beforehand into a GeoPackage;
- ingested into our PostGIS store and, as the anchor, by plain SQL: ``CREATE TABLE`` with a GiST
  index, then ``COPY`` of the same rows (geometries as hex EWKB) through psycopg;
- queried with random bbox and intersects queries (half on each layer): our stores through the
  store interface, as typed records (``query``) and as columns (``scan``: every field, the
  geometries decoded to shapely), the anchors by plain SQL on one open connection (the
  GeoPackage R-tree joined to its table, then an exact shapely test of the box or the polygon,
  as the R-tree keeps rounded bounds; ``ST_Intersects`` with the envelope or the polygon on
  PostGIS), geometries decoded to shapely in both; the GeoPackage also against GDAL's own
  reads (``pyogrio.raw.read`` with ``bbox=`` or ``mask=``, which opens the file per query; its
  bbox read is an index read without the exact test).

Each figure is the median of ``--repeat`` runs. Ratios are ours / anchor: throughput for
ingest (target >= 0.8), time for queries (target <= 1.5). A throwaway PostgreSQL cluster is
started for the run unless $MINEACTION_TEST_PG names a server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyogrio.raw
import shapely

from mineaction import domain as d
from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.schema import Record
from mineaction.store import Query, open_store, pgcluster
from mineaction.store.rows import to_row

BOX = (50.3, 40.9, 51.7, 41.9)
SOURCE = "synthetic:bench"
LAYERS = ("hazards", "finds")
GDAL_QUERIES = 1000
_PG_TYPES = {"text": "text", "enum": "text", "enumset": "text", "json": "text",
             "integer": "bigint", "real": "double precision", "boolean": "boolean",
             "date": "date"}


# ---------------------------------------------------------------------------------------------
# data

def features(n: int, seed: int) -> dict[str, list[Record]]:
    rng = np.random.default_rng(seed)
    nh = n // 2
    nf = n - nh
    minx, miny, maxx, maxy = BOX
    # hazards: irregular octagons of 50-400 m radius
    cx = rng.uniform(minx + 0.01, maxx - 0.01, nh)
    cy = rng.uniform(miny + 0.01, maxy - 0.01, nh)
    r = rng.uniform(0.0006, 0.0048, nh)[:, None] * rng.uniform(0.6, 1.0, (nh, 8))
    ang = np.linspace(0, 2 * np.pi, 8, endpoint=False)[None, :]
    ring = np.stack([cx[:, None] + r * np.cos(ang), cy[:, None] + r * 0.75 * np.sin(ang)], -1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    polys = shapely.multipolygons(shapely.polygons(ring)[:, None])
    start = dt.date(2019, 1, 1)
    kinds, threats = list(d.HazardKind), list(d.Threat)
    hazards = [d.Hazard(id=f"H{i:07d}", kind=kinds[i % len(kinds)], threat=threats[i % 3],
                        recorded_on=start + dt.timedelta(days=i % 1500),
                        estimated_mines=int(i % 50), name=f"Ərazi {i} ყ",
                        contamination=frozenset({d.EOCategory.AP}), geometry=polys[i],
                        source=SOURCE) for i in range(nh)]
    px = rng.uniform(minx, maxx, nf)
    py = rng.uniform(miny, maxy, nf)
    points = shapely.points(px, py)
    cats = [d.EOCategory.UXO, d.EOCategory.AV, d.EOCategory.AP]
    finds = [d.Find(id=f"F{i:07d}", category=cats[i % 3], quantity=1 + i % 4,
                    found_on=start + dt.timedelta(days=i % 1500), geometry=points[i],
                    source=SOURCE) for i in range(nf)]
    out: dict[str, list[Record]] = {"hazards": [*hazards], "finds": [*finds]}
    return out


def queries(q: int, seed: int, scale: float = 1.0
            ) -> list[tuple[str, tuple[float, float, float, float], Any]]:
    """(layer, bbox, polygon inside the bbox) for each query; ``scale`` widens the windows."""
    rng = np.random.default_rng(seed + 1)
    minx, miny, maxx, maxy = BOX
    w = rng.uniform(0.02, 0.08, q) * scale  # about 2-7 km: a map window on one area
    h = rng.uniform(0.02, 0.08, q) * scale
    x0 = rng.uniform(minx, maxx - w)
    y0 = rng.uniform(miny, maxy - h)
    out = []
    for i in range(q):
        bbox = (float(x0[i]), float(y0[i]), float(x0[i] + w[i]), float(y0[i] + h[i]))
        tri = shapely.Polygon([(bbox[0], bbox[1]), (bbox[2], bbox[1] + h[i] * 0.3),
                               (bbox[0] + w[i] * 0.4, bbox[3])])
        out.append((LAYERS[i % 2], bbox, tri))
    return out


def table_rows(layer: Layer, records: list[Record]) -> tuple[list[str], list[tuple], Any]:
    """Plain columns, tuples and a geometry array: what an anchor gets as input."""
    names = [s.name for s in layer.fields]
    rows = []
    for r in records:
        row = to_row(layer, r)
        rows.append(tuple(row[n] for n in names))
    geoms = np.array([getattr(r, "geometry", None) for r in records], dtype=object)
    return names, rows, geoms


# ---------------------------------------------------------------------------------------------
# ingest

def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def ingest_ours(url: str, data: dict[str, list[Record]]) -> float:
    """Seconds to load ``data`` into a new, initialised store (``create`` is not timed)."""
    with open_store(url) as s:
        s.create()

    def run() -> None:
        with open_store(url) as s, s.transaction() as tx:
            for name in LAYERS:
                tx.add_many(data[name])

    return timed(run)


def write_fgb(folder: Path, data: dict[str, list[Record]]) -> dict[str, Path]:
    out = {}
    for name in LAYERS:
        layer = get_layer(name)
        names, rows, geoms = table_rows(layer, data[name])
        cols = [np.array([None if r[i] is None else str(r[i]) for r in rows], dtype=object)
                for i in range(len(names))]
        path = folder / f"{name}.fgb"
        pyogrio.raw.write(path, shapely.to_wkb(geoms), cols, names,
                          driver="FlatGeobuf", geometry_type=(
                              "MultiPolygon" if layer.geometry_type == "MULTIPOLYGON" else "Point"),
                          crs="EPSG:4326", spatial_index=False)
        out[name] = path
    return out


def ingest_ogr2ogr(path: Path, fgb: dict[str, Path]) -> float:
    def run() -> None:
        for i, name in enumerate(LAYERS):
            cmd = ["ogr2ogr", "-f", "GPKG", *(["-update"] if i else []), str(path),
                   str(fgb[name]), "-nln", name, "-nlt", "PROMOTE_TO_MULTI"
                   if name == "hazards" else "POINT"]
            subprocess.run(cmd, check=True, capture_output=True)

    return timed(run)


def ingest_pg_anchor(url: str, data: dict[str, list[Record]]) -> float:
    prepared = {name: table_rows(get_layer(name), data[name]) for name in LAYERS}

    def run() -> None:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            for name in LAYERS:
                layer = get_layer(name)
                names, rows, geoms = prepared[name]
                gtype = "MultiPolygon" if layer.geometry_type == "MULTIPOLYGON" else "Point"
                cols = ", ".join(f"{n} {_PG_TYPES[s.kind]}" for n, s in
                                 zip(names, layer.fields, strict=True))
                cur.execute(f"CREATE TABLE {name} (fid serial PRIMARY KEY, {cols}, "
                            f"geom geometry({gtype},4326), UNIQUE (id))")
                cur.execute(f"CREATE INDEX ON {name} USING GIST (geom)")
                ewkb = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True,
                                      include_srid=True)
                with cur.copy(f"COPY {name} ({', '.join(names)}, geom) FROM STDIN") as cp:
                    for row, g in zip(rows, ewkb, strict=True):
                        cp.write_row((*row, g))
            conn.commit()

    return timed(run)


# ---------------------------------------------------------------------------------------------
# queries

def queries_ours(url: str, qs: list, kind: str) -> tuple[float, int]:
    with open_store(url) as s:
        hits = 0
        t = time.perf_counter()
        for layer, bbox, poly in qs:
            q = Query(bbox=bbox) if kind == "bbox" else Query(intersects=poly)
            hits += len(s.query(layer, q))
        return time.perf_counter() - t, hits


def queries_scan(url: str, qs: list, kind: str) -> tuple[float, int]:
    """Our column read (``Reader.scan``): every field, the geometries decoded to shapely, as
    the anchors return them."""
    with open_store(url) as s:
        names = {n: tuple(f.name for f in get_layer(n).fields if f.name != "id")
                 for n in LAYERS}
        hits = 0
        t = time.perf_counter()
        for layer, bbox, poly in qs:
            kw = {"bbox": bbox} if kind == "bbox" else {"intersects": poly}
            found = s.scan(layer, columns=names[layer], **kw)
            found.geometries()
            hits += len(found)
        return time.perf_counter() - t, hits


_ENV = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _gpkg_wkb(blob: bytes) -> bytes:
    return blob[8 + _ENV[(blob[3] >> 1) & 7]:]


def queries_gpkg_anchor(path: Path, qs: list, kind: str) -> tuple[float, int]:
    conn = sqlite3.connect(path)
    sql = {name: f"SELECT t.* FROM {name} t WHERE t.fid IN (SELECT id FROM rtree_{name}_geom "
                 "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?) ORDER BY t.id"
           for name in LAYERS}
    gi = {name: [c[1] for c in conn.execute(f"PRAGMA table_info({name})")].index("geom")
          for name in LAYERS}
    hits = 0
    t = time.perf_counter()
    for layer, bbox, poly in qs:
        box = bbox if kind == "bbox" else poly.bounds
        rows = conn.execute(sql[layer], (box[0], box[2], box[1], box[3])).fetchall()
        geoms = shapely.from_wkb([_gpkg_wkb(r[gi[layer]]) for r in rows])
        exact = shapely.box(*bbox) if kind == "bbox" else poly  # the R-tree is a prefilter
        shapely.prepare(exact)
        keep = shapely.intersects(exact, geoms)
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
        hits += len(rows)
    elapsed = time.perf_counter() - t
    conn.close()
    return elapsed, hits


def queries_gdal_anchor(path: Path, qs: list, kind: str) -> tuple[float, int]:
    """GDAL through pyogrio: a bbox (R-tree) or mask (exact intersects) read per query; on the
    first GDAL_QUERIES queries only, as each opens the file."""
    hits = 0
    t = time.perf_counter()
    for layer, bbox, poly in qs[:GDAL_QUERIES]:
        if kind == "bbox":
            _meta, _fids, geoms, _fields = pyogrio.raw.read(path, layer=layer, bbox=bbox)
        else:
            _meta, _fids, geoms, _fields = pyogrio.raw.read(path, layer=layer, mask=poly)
        shapely.from_wkb(geoms)
        hits += len(geoms)
    return time.perf_counter() - t, hits


def queries_pg_anchor(url: str, qs: list, kind: str) -> tuple[float, int]:
    hits = 0
    with psycopg.connect(url) as conn:
        cols = {name: ", ".join(s.name for s in get_layer(name).fields) for name in LAYERS}
        if kind == "bbox":
            sql = {n: f"SELECT {cols[n]}, ST_AsBinary(geom) FROM {n} WHERE ST_Intersects(geom, "
                      "ST_MakeEnvelope(%s, %s, %s, %s, 4326)) ORDER BY id" for n in LAYERS}
        else:
            sql = {n: f"SELECT {cols[n]}, ST_AsBinary(geom) FROM {n} WHERE ST_Intersects(geom, "
                      "ST_GeomFromWKB(%s, 4326)) ORDER BY id" for n in LAYERS}
        t = time.perf_counter()
        with conn.cursor() as cur:
            for layer, bbox, poly in qs:
                params = bbox if kind == "bbox" else (shapely.to_wkb(poly),)
                rows = cur.execute(sql[layer], params).fetchall()
                shapely.from_wkb([r[-1] for r in rows])
                hits += len(rows)
        elapsed = time.perf_counter() - t
        conn.rollback()
    return elapsed, hits


# ---------------------------------------------------------------------------------------------

def _pg_analyze(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for name in LAYERS:
            conn.execute(f"ANALYZE {name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000, help="features to ingest (default 20000)")
    ap.add_argument("--queries", type=int, default=10_000, help="queries of each kind")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    ap.add_argument("--ingest-runs", type=int, default=None,
                    help="ingest runs per figure (default: --repeat)")
    ap.add_argument("--window", type=float, default=1.0,
                    help="query windows this many times wider and higher (default 1)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="2,000 features, 1,000 queries, 1 run")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.queries, args.repeat = 2_000, 1_000, 1

    print(f"store bench: {args.n} synthetic features, {args.queries} queries of each kind "
          f"(windows x{args.window:g}), median of {args.repeat}", flush=True)
    data = features(args.n, args.seed)
    qs = queries(args.queries, args.seed, args.window)
    times: dict[str, list[float]] = {}
    hits: dict[str, int] = {}

    def note(key: str, seconds: float) -> None:
        times.setdefault(key, []).append(seconds)

    server = pgcluster.server()
    try:
        with tempfile.TemporaryDirectory(prefix="mineaction-bench-") as tmp:
            folder = Path(tmp)
            fgb = write_fgb(folder, data)
            gpkg_ours = gpkg_anchor = pg_ours = pg_anchor = ""
            for rep in range(args.ingest_runs or args.repeat):
                gpkg_ours = str(folder / f"ours-{rep}.gpkg")
                note("ingest gpkg ours", ingest_ours(gpkg_ours, data))
                gpkg_anchor = str(folder / f"anchor-{rep}.gpkg")
                note("ingest gpkg anchor", ingest_ogr2ogr(Path(gpkg_anchor), fgb))
                for url in (pg_ours, pg_anchor):
                    if url:
                        server.drop_database(url)
                pg_ours = server.new_database("bench_ours_")
                note("ingest postgis ours", ingest_ours(pg_ours, data))
                pg_anchor = server.new_database("bench_anchor_")
                note("ingest postgis anchor", ingest_pg_anchor(pg_anchor, data))
                print(f"  ingest run {rep + 1} done", flush=True)
            _pg_analyze(pg_ours)
            _pg_analyze(pg_anchor)
            for rep in range(args.repeat):
                for kind in ("bbox", "intersects"):
                    for key, fn, target in (
                            (f"{kind} gpkg ours", queries_ours, gpkg_ours),
                            (f"{kind} gpkg scan", queries_scan, gpkg_ours),
                            (f"{kind} gpkg anchor", queries_gpkg_anchor, Path(gpkg_anchor)),
                            (f"{kind} gpkg gdal", queries_gdal_anchor, Path(gpkg_anchor)),
                            (f"{kind} postgis ours", queries_ours, pg_ours),
                            (f"{kind} postgis scan", queries_scan, pg_ours),
                            (f"{kind} postgis anchor", queries_pg_anchor, pg_anchor)):
                        seconds, found = fn(target, qs, kind)  # type: ignore[operator, arg-type]
                        note(key, seconds)
                        hits[key] = found
                print(f"  query run {rep + 1} done", flush=True)
    finally:
        server.stop()

    med = {k: statistics.median(v) for k, v in times.items()}
    ok = True
    print()
    print(f"{'measure':<28}{'ours':>12}{'anchor':>12}{'ratio':>8}  target")
    for store in ("gpkg", "postgis"):
        o, a = med[f"ingest {store} ours"], med[f"ingest {store} anchor"]
        ratio = (args.n / o) / (args.n / a)
        ok &= ratio >= 0.8
        print(f"{'ingest ' + store + ' feat/s':<28}{args.n / o:>12,.0f}{args.n / a:>12,.0f}"
              f"{ratio:>8.2f}  >= 0.8 {'ok' if ratio >= 0.8 else 'MISSED'}")
    for kind in ("bbox", "intersects"):
        for store in ("gpkg", "postgis"):
            o, a = med[f"{kind} {store} ours"], med[f"{kind} {store} anchor"]
            ratio = o / a
            ok &= ratio <= 1.5
            print(f"{kind + ' ' + store + ' ms/query':<28}{o / args.queries * 1e3:>12.3f}"
                  f"{a / args.queries * 1e3:>12.3f}{ratio:>8.2f}  <= 1.5 "
                  f"{'ok' if ratio <= 1.5 else 'MISSED'}")
            sc = med[f"{kind} {store} scan"]
            ok &= sc / a <= 1.5
            print(f"{'  scan (columns)':<28}{sc / args.queries * 1e3:>12.3f}"
                  f"{a / args.queries * 1e3:>12.3f}{sc / a:>8.2f}  <= 1.5 "
                  f"{'ok' if sc / a <= 1.5 else 'MISSED'}")
            for way in ("ours", "scan"):
                if hits[f"{kind} {store} {way}"] != hits[f"{kind} {store} anchor"]:
                    print(f"  note: {kind} {store}: {way} found {hits[f'{kind} {store} {way}']},"
                          f" the anchor {hits[f'{kind} {store} anchor']}")
            if store == "gpkg":
                g = med[f"{kind} gpkg gdal"] / min(args.queries, GDAL_QUERIES)
                print(f"{'  vs GDAL/pyogrio read':<28}{'':>12}{g * 1e3:>12.3f}"
                      f"{o / args.queries / g:>8.2f}  (pyogrio read per query, opens the file)")
    print(f"\nfeatures returned per run: bbox {hits['bbox postgis ours']}, intersects "
          f"{hits['intersects postgis ours']}")
    print("all targets met" if ok else "some targets missed")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    if os.environ.get("MINEACTION_BENCH_PROFILE"):
        import cProfile

        cProfile.run("main()", sort="cumtime")
        sys.exit(0)
    sys.exit(main())

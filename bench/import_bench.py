"""Import bench: explosive ordnance finds (or hazard polygons) from a FlatGeobuf into a fresh
GeoPackage store with ``mineaction import``, against GDAL writing the same features.

    .venv/bin/python bench/import_bench.py                       # 100,000 finds, median of 3
    .venv/bin/python bench/import_bench.py --n 1500000 --repeat 1
    .venv/bin/python bench/import_bench.py --layer hazards --n 50000
    .venv/bin/python bench/import_bench.py --n 200000 --postgis --repeat 1

The features are synthetic, at sea in the demo box (50.3-51.7 E, 40.9-41.9 N): finds with an
id, a category, a catalogue model that matches it or none, a quantity, dates (OGR Date fields)
and an activity reference to a stored activity; hazards are irregular octagons of 50-400 m.

Anchors, measured in the same run and interleaved with ours (each of the three tools once per
round, the median of the rounds kept):

- **Arrow**: GDAL through pyogrio, ``read_arrow`` of the FlatGeobuf and ``write_arrow`` into a
  new GeoPackage with its R-tree (no checks).
- **ogr2ogr**: ``ogr2ogr -f GPKG`` of the same file.

Ours runs ``mineaction import`` in a child process on a store made by ``mineaction init`` (and
one activity the finds name), with every check. Peak memory is the child's maximum resident
set (``resource.getrusage(RUSAGE_CHILDREN)`` after each child, measured in its own process).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BOX = (50.3, 40.9, 51.7, 41.9)
ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).with_name("mineaction"))]
ACTIVITY = "BENCH-ACT-1"


def make_finds(path: Path, n: int, seed: int = 18) -> None:
    import pyarrow as pa
    import shapely

    rng = np.random.default_rng(seed)
    x = rng.uniform(BOX[0], BOX[2], n)
    y = rng.uniform(BOX[1], BOX[3], n)
    cats = np.array(["uxo", "ap", "av", "cmr", "uxo", "uxo"])
    models: dict[str, list[str | None]] = {
        "uxo": [None, "M67"], "ap": [None, "PMN-2", "PMN"], "av": [None, "TM-62M"],
        "cmr": [None]}
    cat = cats[rng.integers(0, len(cats), n)]
    pick = rng.integers(0, 3, n)
    model = [(lambda ms: ms[p % len(ms)])(models[c]) for c, p in zip(cat, pick, strict=True)]
    start = np.datetime64("2015-01-01")
    found = start + rng.integers(0, 3000, n).astype("timedelta64[D]")
    destroyed = found + rng.integers(0, 30, n).astype("timedelta64[D]")
    table = pa.table({
        "id": pa.array([f"F-{i:07d}" for i in range(n)]),
        "category": pa.array(cat.tolist()),
        "model": pa.array(model, pa.string()),
        "quantity": pa.array(rng.integers(1, 12, n), pa.int32()),
        "found_on": pa.array(found.astype("datetime64[D]"), pa.date32()),
        "destroyed_on": pa.array(destroyed.astype("datetime64[D]"), pa.date32()),
        "activity_id": pa.array([ACTIVITY] * n),
        "source": pa.array(["synthetic:bench"] * n),
        "geometry": pa.array(shapely.to_wkb(shapely.points(x, y)), pa.binary()),
    })
    _write(path, table, "Point")


def make_hazards(path: Path, n: int, seed: int = 18) -> None:
    import pyarrow as pa
    import shapely

    rng = np.random.default_rng(seed)
    cx = rng.uniform(BOX[0] + 0.01, BOX[2] - 0.01, n)
    cy = rng.uniform(BOX[1] + 0.01, BOX[3] - 0.01, n)
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    radius = rng.uniform(50, 400, (n, 8)) / 111_000
    xs = cx[:, None] + radius * np.cos(angles) / np.cos(np.radians(cy))[:, None]
    ys = cy[:, None] + radius * np.sin(angles)
    rings = np.concatenate([np.stack([xs, ys], axis=2), np.stack([xs[:, :1], ys[:, :1]],
                                                                  axis=2)], axis=1)
    polys = shapely.multipolygons([[shapely.polygons(r)] for r in rings])
    start = np.datetime64("2010-01-01")
    found = start + rng.integers(0, 4000, n).astype("timedelta64[D]")
    table = pa.table({
        "id": pa.array([f"H-{i:06d}" for i in range(n)]),
        "kind": pa.array(rng.choice(["sha", "cha"], n).tolist()),
        "recorded_on": pa.array(found.astype("datetime64[D]"), pa.date32()),
        "source": pa.array(["synthetic:bench"] * n),
        "geometry": pa.array(shapely.to_wkb(polys), pa.binary()),
    })
    _write(path, table, "MultiPolygon")


def _write(path: Path, table: object, gtype: str) -> None:
    import pyogrio

    pyogrio.write_arrow(table, path, driver="FlatGeobuf", geometry_name="geometry",
                        geometry_type=gtype, crs="EPSG:4326")


def anchor_arrow(src: Path, out: Path) -> float:
    import pyogrio

    t0 = time.perf_counter()
    meta, table = pyogrio.read_arrow(src)
    pyogrio.write_arrow(table, out, driver="GPKG", layer="features", geometry_name="geom",
                        geometry_type=meta["geometry_type"], crs=meta["crs"],
                        layer_options={"SPATIAL_INDEX": "YES"})
    return time.perf_counter() - t0


def anchor_ogr2ogr(src: Path, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), str(src)], check=True)
    return time.perf_counter() - t0


def child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Seconds, peak resident memory (MB) of the child and its output."""
    code = ("import resource, subprocess, sys, time\n"
            "t0 = time.perf_counter()\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "secs = time.perf_counter() - t0\n"
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "sys.stdout.write(p.stdout + p.stderr)\n"
            "print(f'@@ {secs} {peak} {p.returncode}')\n")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True,
                         env=env).stdout
    *text, last = out.rstrip().splitlines()
    _, secs, peak, rc = last.split()
    if rc != "0":
        raise SystemExit("import failed:\n" + "\n".join(text))
    return float(secs), float(peak), "\n".join(text)


def fresh_store(db: str, tmp: Path, env: dict[str, str], layer: str) -> None:
    if not db.startswith("postgres"):
        Path(db).unlink(missing_ok=True)
    subprocess.run([*CLI, "init"], check=True, env=env, capture_output=True)
    if layer == "finds":
        act = tmp / "activity.geojson"
        act.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                       f'{{"id":"{ACTIVITY}","kind":"bac","operator":"BENCH","outside_hazard":true,"started_on":"2014-12-01",'
                       '"source":"synthetic:bench"},"geometry":{"type":"Polygon","coordinates":'
                       '[[[50.31,40.91],[50.32,40.91],[50.32,40.92],[50.31,40.91]]]}}]}')
        subprocess.run([*CLI, "import", "activities", str(act)], check=True, env=env,
                       capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--layer", choices=["finds", "hazards"], default="finds")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgis", action="store_true",
                    help="import into a PostGIS store (a throwaway cluster unless "
                    "$MINEACTION_TEST_PG names a server) instead of a GeoPackage")
    ap.add_argument("--no-anchors", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        src = tmp / f"{args.layer}.fgb"
        t0 = time.perf_counter()
        (make_finds if args.layer == "finds" else make_hazards)(src, args.n)
        print(f"{args.n:,} {args.layer}: {src.stat().st_size / 1e6:.1f} MB FlatGeobuf, made in "
              f"{time.perf_counter() - t0:.1f} s")
        server = None
        if args.postgis:
            from mineaction.store import pgcluster

            server = pgcluster.server()
        ours: list[float] = []
        peaks: list[float] = []
        arrow: list[float] = []
        ogr: list[float] = []
        for _ in range(args.repeat):
            if not args.no_anchors:
                out = tmp / "anchor.gpkg"
                out.unlink(missing_ok=True)
                arrow.append(anchor_arrow(src, out))
                out.unlink(missing_ok=True)
                if shutil.which("ogr2ogr"):
                    ogr.append(anchor_ogr2ogr(src, out))
                    out.unlink(missing_ok=True)
            db = server.new_database("bench_import_") if server else str(tmp / "store.gpkg")
            env = {**os.environ, "MINEACTION_DB": db, "PYTHONPATH": str(ROOT / "src")}
            fresh_store(db, tmp, env, args.layer)
            secs, peak, text = child([*CLI, "import", args.layer, str(src)], env)
            ours.append(secs)
            peaks.append(peak)
        if server is not None:
            server.drop_all()
            server.stop()
        print(text.strip().splitlines()[0] if text.strip() else "")
        print("store:", "PostGIS" if server else "GeoPackage")

        def show(name: str, xs: list[float]) -> str:
            if not xs:
                return f"{name}: not run"
            return (f"{name}: median {statistics.median(xs):.2f} s (runs "
                    + ", ".join(f"{x:.2f}" for x in xs) + ")")

        print(show("mineaction import", ours))
        print(f"peak memory (ours): {max(peaks):,.0f} MB (runs "
              + ", ".join(f"{p:,.0f}" for p in peaks) + ")")
        print(show("GDAL via pyogrio + Arrow", arrow))
        print(show("ogr2ogr", ogr))
        if arrow:
            print(f"ours / Arrow: {statistics.median(ours) / statistics.median(arrow):.2f}x "
                  "(target <= 1.5)")
        if ogr:
            print(f"ours / ogr2ogr: {statistics.median(ours) / statistics.median(ogr):.2f}x")


if __name__ == "__main__":
    main()

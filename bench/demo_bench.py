"""Demo scenario bench: time and peak memory of ``mineaction demo`` per scale.

    .venv/bin/python bench/demo_bench.py                    # scales 0.1, 0.25, 0.5, 1
    .venv/bin/python bench/demo_bench.py --scales 1,2,4     # others
    .venv/bin/python bench/demo_bench.py --scales 25        # largest documented scale

Each scale runs ``mineaction demo`` in a child process into a fresh GeoPackage (store, truth
file, minefield records, import of the records); the child's wall time and peak resident memory
(``getrusage``) are measured, and the counts are read back from the store and the truth file.
Anchor, measured in the same run: writing the same number of truth items as bare points with
GDAL (pyogrio) into a GeoPackage, the least any generator that keeps its truth must do. Printed:
seconds, peak MB, mines and hazard polygons, and two ratios: ours / anchor (the price of
generating, surveying, releasing and storing everything else) and the time per unit of scale
relative to the smallest scale run (1.0 means the time grows linearly with the scale).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import shapely

CHILD = r"""
import json, resource, sys, time
from mineaction.demo.scenario import build
db, truth, scale = sys.argv[1], sys.argv[2], float(sys.argv[3])
t0 = time.perf_counter()
s = build(db, truth, seed=1, scale=scale)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "peak_mb": peak, "store": s.store, "truth": s.truth,
                  "stages": s.seconds}))
"""


def run_scale(scale: float, root: Path) -> dict:
    d = root / f"s{scale:g}"
    d.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([sys.executable, "-c", CHILD, str(d / "store.gpkg"),
                          str(d / "truth.gpkg"), str(scale)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def anchor(n_points: int, root: Path) -> float:
    """Bare GDAL write of ``n_points`` points with a few text columns, in chunks of 50,000."""
    rng = np.random.default_rng(0)
    path = root / f"anchor-{n_points}.gpkg"
    t0 = time.perf_counter()
    done = 0
    first = True
    while done < n_points:
        n = min(50_000, n_points - done)
        lon, lat = rng.uniform(50.4, 51.6, n), rng.uniform(41.0, 41.8, n)
        wkb = shapely.to_wkb(shapely.points(np.column_stack((lon, lat))))
        ids = np.array([f"FLD-{i:06d}/{i}" for i in range(done, done + n)], dtype=object)
        cat = np.full(n, "ap", dtype=object)
        pyogrio.raw.write(str(path), wkb, [ids, cat, cat], ["item_id", "category", "status"],
                          layer="items", driver="GPKG", geometry_type="Point",
                          crs="EPSG:4326", append=not first)
        first = False
        done += n
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default="0.1,0.25,0.5,1")
    args = ap.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    print(f"pyogrio {pyogrio.__version__}; one process per scale; seed 1")
    print(f"{'scale':>6} {'seconds':>8} {'peak MB':>8} {'mines':>10} {'items':>10} "
          f"{'hazards':>8} {'activ.':>7} {'finds':>8} {'anchor s':>8} {'ours/anc':>8} "
          f"{'s/scale':>8}")
    first: float | None = None
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as tmp:
        root = Path(tmp)
        for scale in scales:
            r = run_scale(scale, root)
            items = int(r["truth"]["items"])
            a = anchor(items, root)
            per = r["wall"] / scale
            first = first or per
            print(f"{scale:>6g} {r['wall']:>8.1f} {r['peak_mb']:>8.0f} "
                  f"{int(r['truth']['mines']):>10,} {items:>10,} {r['store']['hazards']:>8,} "
                  f"{r['store']['activities']:>7,} {r['store']['finds']:>8,} {a:>8.2f} "
                  f"{r['wall'] / a:>8.1f} {per / first:>8.2f}")
            print("       stages: " + json.dumps(r["stages"]))


if __name__ == "__main__":
    main()

"""Land release bench: applying many activities to many hazards through the CLI.

    .venv/bin/python bench/release_bench.py             # 500 hazards, 1,000 activities
    .venv/bin/python bench/release_bench.py --full      # 5,000 hazards, 10,000 activities

Synthetic hazards (``source`` 'synthetic:bench') on a grid in the demo box, and activities of
every method, each overlapping one to three hazards, dated 2020-2025. Ours: ``mineaction import
hazards`` then ``mineaction import activities`` into a fresh GeoPackage, each a child process
whose wall time and peak resident memory are measured (the activities import applies every
release in its transaction, with history). Anchor: the bare geometric work in this process:
an STRtree over the hazards, then for every activity in date order the intersection and
difference with each hazard it overlaps and the geodesic area of the part released. The ratio
ours / anchor is the price of the store, the checks and the history. Figures are medians of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import box, mapping

from mineaction.domain.release import split
from mineaction.geo.measure import area_m2

BIN = Path(sys.executable).parent / "mineaction"


def make_data(n_hazards: int, n_activities: int, seed: int = 7) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    cols = int(np.ceil(np.sqrt(n_hazards * 2)))
    rows = int(np.ceil(n_hazards / cols))
    dx, dy = 1.3 / cols, 0.9 / rows
    hazards = []
    for i in range(n_hazards):
        cx = 50.35 + (i % cols + 0.5) * dx
        cy = 40.95 + (i // cols + 0.5) * dy
        w, h = dx * rng.uniform(0.4, 0.9), dy * rng.uniform(0.4, 0.9)
        poly = shapely.affinity.rotate(box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2),
                                       float(rng.uniform(-20, 20)))
        hazards.append({"type": "Feature", "geometry": mapping(poly), "properties": {
            "id": f"H{i:05d}", "kind": "cha", "contamination": "ap",
            "recorded_on": "2019-12-31", "source": "synthetic:bench"}})
    kinds = [("nts", "cancelled"), ("ts", "reduced"), ("clearance", "cleared")]
    acts = []
    for j in range(n_activities):
        i = int(rng.integers(n_hazards))
        cx = 50.35 + (i % cols + rng.uniform(0.2, 0.8)) * dx
        cy = 40.95 + (i // cols + rng.uniform(0.2, 0.8)) * dy
        w, h = dx * rng.uniform(0.2, 1.2), dy * rng.uniform(0.1, 0.5)
        kind, outcome = kinds[int(rng.integers(3))]
        day = dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 6 * 365)))
        acts.append({"type": "Feature", "geometry": mapping(box(cx - w / 2, cy - h / 2,
                                                                 cx + w / 2, cy + h / 2)),
                     "properties": {"id": f"A{j:05d}", "kind": kind, "outcome": outcome,
                                    "operator": "OP", "ended_on": day.isoformat(),
                                    "outside_hazard": True, "source": "synthetic:bench"}})
    return hazards, acts


def child(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak resident MiB and CPU seconds of a child process."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    return wall, max(r1.ru_maxrss, r0.ru_maxrss) / 1024, cpu


def ours(folder: Path, run: int) -> tuple[float, float, float, float]:
    db = folder / f"bench-{run}.gpkg"
    subprocess.run([str(BIN), "--db", str(db), "init"], check=True, stdout=subprocess.DEVNULL)
    t_h, _, _ = child([str(BIN), "--db", str(db), "import", "hazards",
                    str(folder / "hazards.geojson")])
    t_a, peak, cpu_a = child([str(BIN), "--db", str(db), "import", "activities",
                              str(folder / "activities.geojson")])
    return t_h, t_a, peak, cpu_a


def anchor(hazards: list, acts: list) -> tuple[float, float]:
    """Wall and CPU seconds of the bare geometric work."""
    t, c = time.perf_counter(), time.process_time()
    geoms = [shapely.geometry.shape(f["geometry"]) for f in hazards]
    tree = shapely.STRtree(geoms)
    current = list(geoms)
    order = sorted(acts, key=lambda f: (f["properties"]["ended_on"], f["properties"]["id"]))
    for f in order:
        g = shapely.geometry.shape(f["geometry"])
        for k in tree.query(g, predicate="intersects"):
            if current[k].is_empty:
                continue
            remaining, part = split(current[k], g)
            if not part.is_empty:
                area_m2(part)
                current[k] = remaining
    return time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="5,000 hazards, 10,000 activities")
    ap.add_argument("--hazards", type=int, default=500)
    ap.add_argument("--activities", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if args.full:
        args.hazards, args.activities = 5000, 10000
    hazards, acts = make_data(args.hazards, args.activities)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, feats in (("hazards", hazards), ("activities", acts)):
            (folder / f"{name}.geojson").write_text(json.dumps(
                {"type": "FeatureCollection", "features": feats}))
        runs = [ours(folder, r) for r in range(args.repeat)]
        anchors = [anchor(hazards, acts) for _ in range(args.repeat)]
    t_h = statistics.median(r[0] for r in runs)
    t_a = statistics.median(r[1] for r in runs)
    peak = max(r[2] for r in runs)
    t_anchor = statistics.median(a[0] for a in anchors)
    cpu_a = statistics.median(r[3] for r in runs)
    cpu_anchor = statistics.median(a[1] for a in anchors)
    print(f"hazards {args.hazards:,}, activities {args.activities:,}, repeat {args.repeat}")
    print(f"import hazards (with history)      {t_h:8.2f} s")
    print(f"import + apply activities          {t_a:8.2f} s  "
          f"({args.activities / t_a:,.0f} activities/s)")
    print(f"peak resident memory of the import {peak:8.0f} MiB")
    print(f"anchor: geometry alone (STRtree)   {t_anchor:8.2f} s")
    print(f"ratio ours / anchor (time)         {t_a / t_anchor:8.2f}")
    print(f"CPU: import + apply {cpu_a:.2f} s, anchor {cpu_anchor:.2f} s, "
          f"ratio {cpu_a / cpu_anchor:.2f} (steadier than wall time on a loaded machine)")


if __name__ == "__main__":
    main()

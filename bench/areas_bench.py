"""Placing many records in administrative areas: ``AreaIndex.assign_many`` (shapely STRtree,
geodesic measures) against an anchor measured in the same run.

    .venv/bin/python bench/areas_bench.py                  # 20,000 points, 2,000 polygons
    .venv/bin/python bench/areas_bench.py --points 200000 --polygons 20000

The areas are the 79 districts of Azerbaijan (geoBoundaries ADM2, ``shared/data/boundaries``);
the records are random points and small squares (100-800 m) in their box. The anchor is one
geodesic area (``geo.measure.area_m2``) of every district: the ratio says how many such passes
the placement costs. It also checks each point against a plain loop over all districts.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import shapely
from shapely.geometry import Point, box

from mineaction.geo.areas import AreaIndex
from mineaction.geo.measure import area_m2
from mineaction.io.readers import read_file

SHARED = next(p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
              if p.is_dir())
ADM2 = SHARED / "data" / "boundaries" / "geoBoundaries-AZE-ADM2_simplified.topojson"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=20_000)
    ap.add_argument("--polygons", type=int, default=2_000)
    args = ap.parse_args()
    src = read_file(ADM2)
    areas = [(f.properties["shapeID"], shapely.make_valid(f.geometry)) for f in src.features]
    t = time.perf_counter()
    for _, g in areas:
        area_m2(g)
    anchor = time.perf_counter() - t
    rng = random.Random(1)
    minx, miny, maxx, maxy = shapely.union_all([g for _, g in areas]).bounds
    points = [Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy)) for _ in range(args.points)]
    squares = []
    for _ in range(args.polygons):
        x, y, h = rng.uniform(minx, maxx), rng.uniform(miny, maxy), rng.uniform(0.0005, 0.004)
        squares.append(box(x - h, y - h, x + h, y + h))
    t = time.perf_counter()
    index = AreaIndex.of(areas)
    build = time.perf_counter() - t
    t = time.perf_counter()
    placed = index.assign_many(points)
    tp = time.perf_counter() - t
    t = time.perf_counter()
    placed_sq = index.assign_many(squares)
    ts = time.perf_counter() - t
    sample = rng.sample(range(len(points)), min(500, len(points)))
    by_size = sorted(areas, key=lambda a: area_m2(a[1]))
    wrong = sum(1 for k in sample if placed[k] != next(
        (i for i, g in by_size if g.covers(points[k])), None))
    print(f"anchor: area_m2 of {len(areas)} districts: {anchor:.3f} s")
    print(f"index build: {build:.3f} s ({build / anchor:.1f} x anchor)")
    print(f"{len(points):,} points: {tp:.3f} s ({tp / anchor:.1f} x anchor), "
          f"{sum(p is not None for p in placed):,} in a district; "
          f"{wrong} of {len(sample)} checked differ from a plain loop")
    print(f"{len(squares):,} squares: {ts:.3f} s ({ts / anchor:.1f} x anchor), "
          f"{sum(p is not None for p in placed_sq):,} in a district")


if __name__ == "__main__":
    main()

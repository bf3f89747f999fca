"""Report bench: `report ap-release-by-district` and `summary` against DuckDB computing the same
grouped sums from a GeoParquet export of the store.

    .venv/bin/python bench/report_bench.py --scale 1                       # demo at scale 1
    .venv/bin/python bench/report_bench.py --db STORE.gpkg --extra-finds 300000

The store is the synthetic demo (``mineaction demo --scale S`` into a temporary GeoPackage), or
a copy of ``--db``; ``--extra-finds N`` adds N synthetic finds (``source`` 'synthetic:bench')
to its activities, a category and a quantity each, to reach country scale in finds without
building the whole demo at that scale.

Ours: the report and the summary built in this process through the services (what the CLI
runs, without its start-up), as the local user. Anchor: DuckDB over the Parquet files that
``mineaction export LAYER -o F.parquet`` wrote (the export is timed apart): the district
report's grouped sums (items per activity and category, release steps per activity, area and
method for the activities with an AP find) with the sorted record ids behind each group, as
ours keeps them for --explain; the summary's counts and sums per layer. DuckDB does not
measure land (the union of the steps' polygons, geodesic), which ours does for every cell:
the ratio includes it. Figures are medians of ``--repeat`` runs, interleaved.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import numpy as np
import shapely

from mineaction import domain as d
from mineaction.cli import main
from mineaction.services import exports
from mineaction.services.context import Context
from mineaction.services.reports import build, period
from mineaction.services.summary import summary
from mineaction.store import open_store

LAYERS = ("finds", "release-steps", "hazards", "activities", "accidents", "victims")


def add_finds(url: str, n: int, seed: int = 11) -> None:
    """``n`` synthetic finds in the activities of the store (at a point of each polygon)."""
    rng = np.random.default_rng(seed)
    store = open_store(url)
    acts = [(a.id, a.geometry, a.ended_on or a.started_on)
            for a in cast(Iterable[d.Activity], store.iter("activities"))
            if a.geometry is not None]
    points = shapely.point_on_surface(np.asarray([g for _, g, _ in acts], dtype=object))
    cats = [d.EOCategory.AP, d.EOCategory.AV, d.EOCategory.UXO, d.EOCategory.CMR]
    picks = rng.integers(len(acts), size=n)
    kinds = rng.choice(4, size=n, p=[0.5, 0.1, 0.35, 0.05])
    qty = rng.integers(1, 4, size=n)
    done = 0
    while done < n:
        with store.transaction() as tx:
            chunk = range(done, min(n, done + 100_000))
            tx.add_many(d.Find(id=f"BF{i:08d}", category=cats[int(kinds[i])],
                               quantity=int(qty[i]), activity_id=acts[int(picks[i])][0],
                               found_on=acts[int(picks[i])][2],
                               destroyed_on=acts[int(picks[i])][2],
                               geometry=points[int(picks[i])], source="synthetic:bench")
                        for i in chunk)
        done += len(chunk)
    store.close()


def ours(url: str) -> dict[str, float]:
    store = open_store(url)
    try:
        ctx = Context(store)
        t = time.perf_counter()
        build(ctx, "ap-release-by-district", period(None, None, None, None))
        t1 = time.perf_counter()
        summary(ctx)
        t2 = time.perf_counter()
    finally:
        store.close()
    return {"district": t1 - t, "summary": t2 - t1}


def anchor(files: dict[str, Path]) -> dict[str, float]:
    import duckdb

    con = duckdb.connect()
    f, s, h = (str(files[k]) for k in ("finds", "release-steps", "hazards"))
    t = time.perf_counter()
    con.execute(f"SELECT activity_id, category, sum(quantity), count(*), list(id ORDER BY id) "
                f"FROM '{f}' WHERE activity_id IS NOT NULL GROUP BY ALL").fetchall()
    con.execute(f"SELECT activity_id, admin_area_id, method, sum(area_m2), count(*), "
                f"list(id ORDER BY id) FROM '{s}' WHERE rejected_by IS NULL AND activity_id "
                f"IN (SELECT activity_id FROM '{f}' WHERE category = 'ap') "
                "GROUP BY ALL").fetchall()
    t1 = time.perf_counter()
    for name in LAYERS:
        con.execute(f"SELECT count(*) FROM '{files[name]}'").fetchall()
    con.execute(f"SELECT kind, status, count(*), sum(area_m2) FROM '{h}' GROUP BY ALL"
                ).fetchall()
    con.execute(f"SELECT category, sum(quantity) FROM '{f}' GROUP BY ALL").fetchall()
    con.execute(f"SELECT method, count(*), sum(area_m2) FROM '{s}' WHERE rejected_by IS NULL "
                "GROUP BY ALL").fetchall()
    t2 = time.perf_counter()
    return {"district": t1 - t, "summary": t2 - t1}


def profile(url: str, top: int = 14) -> str:
    store = open_store(url)
    prof = cProfile.Profile()
    try:
        ctx = Context(store)
        prof.enable()
        build(ctx, "ap-release-by-district", period(None, None, None, None))
        summary(ctx)
        prof.disable()
    finally:
        store.close()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main_() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="a store to copy (default: build the demo)")
    ap.add_argument("--scale", default="1", help="demo scale when no --db (default 1)")
    ap.add_argument("--extra-finds", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print where our time goes")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        url = str(tmp / "store.gpkg")
        t = time.perf_counter()
        if args.db:
            shutil.copy(args.db, url)
        else:
            assert main(["--db", url, "init"]) == 0
            assert main(["--db", url, "demo", "--scale", args.scale,
                         "--truth", str(tmp / "truth.gpkg"),
                         "--records-dir", str(tmp / "records")]) == 0
        if args.extra_finds:
            add_finds(url, args.extra_finds)
        print(f"store ready in {time.perf_counter() - t:.1f} s")
        store = open_store(url)
        counts = {name: store.count(name) for name in LAYERS}
        files = {name: tmp / f"{name}.parquet" for name in LAYERS}
        t = time.perf_counter()
        for name in LAYERS:
            exports.export(Context(store), name, files[name])
        store.close()
        print("records: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        print(f"export to GeoParquet (all {len(LAYERS)} layers): "
              f"{time.perf_counter() - t:.1f} s")
        runs: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for who, fn in (("ours", lambda: ours(url)), ("duckdb", lambda: anchor(files))):
                for k, v in fn().items():
                    runs.setdefault(f"{who}:{k}", []).append(v)
        for k in ("district", "summary"):
            o, a = runs[f"ours:{k}"], runs[f"duckdb:{k}"]
            print(f"{k:9s} ours {statistics.median(o):7.2f} s ({min(o):.2f}-{max(o):.2f})  "
                  f"duckdb {statistics.median(a):6.3f} s ({min(a):.3f}-{max(a):.3f})  "
                  f"ratio {statistics.median(o) / statistics.median(a):6.1f}")
        print(f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, median of {args.repeat})")
        if args.profile:
            print(profile(url))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main_()

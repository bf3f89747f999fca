"""Risk surfaces: cells per second with Dask against a single-core numpy loop.

    .venv/bin/python bench/surface_bench.py                         # demo seed 2, scale 0.05, 100 m
    .venv/bin/python bench/surface_bench.py --resolution 50 --chunk 512
    .venv/bin/python bench/surface_bench.py --db store.gpkg --truth truth.gpkg

Builds a small demo (or takes ``--db``/``--truth``), trains a small risk model on 1 km cells
of it (features from the store and the truth file's context layers, the truth's target),
then computes the surface of the whole territory at ``--resolution``:

- anchor: a plain loop in this process over the same windows (features at the cell centres,
  vectorised with numpy/shapely, and the model), nothing written;
- ``risk surface`` as the command runs it (windows on a local Dask cluster of 1, 2 and all
  cores' single-threaded worker processes, written into a tiled GeoTIFF and converted to a
  COG), and once in this process without Dask (``--workers 0``);

each ``--repeat`` times (the anchor too), and prints cells per second (median, and the
spread: lowest to highest), the ratio of the median to the anchor's median, and peak memory
(the resident set of this process and of each worker) as a ratio to the anchor's process;
then the memory ceiling: a worker's resident set at start plus the window's cells times the
bytes per cell measured here (the anchor's growth over one window).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--truth")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--resolution", type=float, default=100.0)
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--cores", default="1,2,all", help="worker counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each configuration")
    args = ap.parse_args()

    import pandas as pd

    from mineaction.access import Actor
    from mineaction.cli import main as cli
    from mineaction.risk import surface as S
    from mineaction.risk.model import RiskModel, fit_booster
    from mineaction.services import surface as surfaces
    from mineaction.services.context import open_context

    tmp = Path(tempfile.mkdtemp(prefix="surface-bench-"))
    if args.db:
        db, truth = Path(args.db), Path(args.truth)
    else:
        from mineaction.demo.scenario import build

        db, truth = tmp / "store.gpkg", tmp / "truth.gpkg"
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            build(str(db), truth, seed=args.seed, scale=args.scale, records_dir=tmp / "rec")
        print(f"demo seed {args.seed} scale {args.scale:g}: {time.perf_counter() - t0:.1f} s")
    cells = tmp / "cells.csv"
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["--db", str(db), "risk", "features", "--cell", "1000", "--truth",
                    str(truth), "--context", str(truth), "-o", str(cells)]) == 0
    t = pd.read_csv(cells)
    names = [c for c in t.columns if c not in ("lon", "lat", "target")]
    booster = fit_booster(t[names].to_numpy(float), t["target"].to_numpy(float), {}, 100)
    model_path = tmp / "risk.model"
    RiskModel(booster, names, [c for c in names if c.startswith(("in_", "cover_"))],
              info={"target": "target", "lon": "lon", "lat": "lat"}).save(model_path)
    model = RiskModel.load(model_path)

    with open_context(str(db), actor=Actor.local()) as ctx:
        inputs, _ = surfaces.inputs(ctx, model, args.resolution, context_path=str(truth))
        windows = inputs.grid.windows(args.chunk)
        g = inputs.grid
        print(f"grid {g.width:,} x {g.height:,} = {g.cells:,} cells of {g.res:g} m "
              f"({g.crs.name}), {len(windows)} windows of {args.chunk} x {args.chunk}, "
              f"{len(names)} features, {os.cpu_count()} cores")

        def spread(rates: list[float]) -> str:
            return (f"{statistics.median(rates):,.0f} cells/s (runs {min(rates):,.0f} to "
                    f"{max(rates):,.0f})")

        before = peak_mb()
        anchor_rates = []
        for _ in range(args.repeat):
            inputs._prepared = None  # each run prepares the layers, as each worker does
            t0 = time.perf_counter()
            inside = 0
            for _win, values in S.compute(inputs, windows):
                inside += int(np.isfinite(values).sum())
            anchor_rates.append(g.cells / (time.perf_counter() - t0))
        anchor = statistics.median(anchor_rates)
        anchor_mb = peak_mb()
        grew = anchor_mb - before
        # a window's own allocations at their peak (numpy's included), for the ceiling
        import tracemalloc

        full = max(windows, key=lambda w: w[2] * w[3])
        tracemalloc.start()
        S.window_proba(inputs, full)
        window_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        per_cell = window_peak / (full[2] * full[3])
        print(f"anchor (numpy loop, 1 core, nothing written), {args.repeat} runs: "
              f"{spread(anchor_rates)} ({inside:,} cells inside the territory); peak RSS "
              f"{anchor_mb:,.0f} MB (grew {grew:,.0f} MB over the windows)")

        counts: list[int] = [0]
        for c in args.cores.split(","):
            n = (os.cpu_count() or 1) if c == "all" else int(c)
            if n not in counts:
                counts.append(n)
        rows = []
        worst_worker = 0.0
        for n in counts:
            rates, starts, worker_mb = [], [], []
            for k in range(args.repeat):
                out = tmp / f"risk-{n}-{k}.tif"
                inputs._prepared = None
                t0 = time.perf_counter()
                with surfaces.dask_client(n, None) as client:
                    start = time.perf_counter()
                    written = S.write_cog(inputs, out, chunk=args.chunk, client=client)
                    rates.append(g.cells / (time.perf_counter() - start))
                    if client is not None:
                        got = client.run(lambda: resource.getrusage(
                            resource.RUSAGE_SELF).ru_maxrss / 1024)
                        worker_mb += list(got.values())
                starts.append(time.perf_counter() - t0 - g.cells / rates[-1])
                size_mb = out.stat().st_size / 1e6
                out.unlink()
            rate = statistics.median(rates)
            label = "in this process, no Dask" if n == 0 else f"Dask, {n} worker(s)"
            peak = max(worker_mb) if worker_mb else peak_mb()
            worst_worker = max(worst_worker, peak)
            who = "the largest worker" if worker_mb else "this process"
            print(f"risk surface ({label}), {args.repeat} runs: {spread(rates)} computing and "
                  f"writing the COG (cluster start {statistics.median(starts):.1f} s more); "
                  f"ratio to anchor {rate / anchor:.2f} (runs {min(rates) / anchor:.2f} to "
                  f"{max(rates) / anchor:.2f}); peak RSS of {who} {peak:,.0f} MB = "
                  f"{peak / anchor_mb:.2f} x the anchor's; {size_mb:.1f} MB COG, mean p "
                  f"{written.mean:.4f}")
            rows.append((n, rate))
        window_mb = per_cell * args.chunk * args.chunk / 2**20
        print(f"memory: a window's allocations peak at {per_cell:,.0f} bytes per cell "
              f"(tracemalloc; BYTES_PER_CELL says {S.BYTES_PER_CELL}), {window_mb:,.0f} MB for "
              f"{args.chunk} x {args.chunk}; ceiling per worker: its resident set at start "
              f"plus that (the largest worker peaked at {worst_worker:,.0f} MB, "
              f"{worst_worker / anchor_mb:.2f} x the anchor's process); the whole run: "
              f"workers x that, plus the writing process (two windows of float32 per worker "
              f"in flight)")
        ten = g.cells * (args.resolution / 10.0) ** 2
        best = max(r[1] for r in rows)
        print(f"10 m: {ten:,.0f} cells; at the best rate here ({best:,.0f} cells/s) about "
              f"{ten / best / 60:,.0f} min")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

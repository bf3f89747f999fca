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

and prints cells per second, the ratio to the anchor, and peak memory (the resident set of
this process and of each worker, and the growth of this process during the anchor).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
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

        before = peak_mb()
        t0 = time.perf_counter()
        inside = 0
        for _win, values in S.compute(inputs, windows):
            inside += int(np.isfinite(values).sum())
        anchor_s = time.perf_counter() - t0
        anchor = g.cells / anchor_s
        print(f"anchor (numpy loop, 1 core, nothing written): {anchor_s:.1f} s, "
              f"{anchor:,.0f} cells/s ({inside:,} inside the territory); peak RSS "
              f"{peak_mb():,.0f} MB (grew {peak_mb() - before:,.0f} MB)")

        counts: list[int] = [0]
        for c in args.cores.split(","):
            n = (os.cpu_count() or 1) if c == "all" else int(c)
            if n not in counts:
                counts.append(n)
        rows = []
        for n in counts:
            out = tmp / f"risk-{n}.tif"
            t0 = time.perf_counter()
            with surfaces.dask_client(n, None) as client:
                start = time.perf_counter()
                written = S.write_cog(inputs, out, chunk=args.chunk, client=client)
                work = time.perf_counter() - start
                worker_mb = []
                if client is not None:
                    got = client.run(lambda: resource.getrusage(
                        resource.RUSAGE_SELF).ru_maxrss / 1024)
                    worker_mb = sorted(got.values())
            total = time.perf_counter() - t0
            rate = g.cells / work
            label = "in this process, no Dask" if n == 0 else f"Dask, {n} worker(s)"
            mem = (f"workers' peak RSS {', '.join(f'{m:,.0f}' for m in worker_mb)} MB"
                   if worker_mb else f"peak RSS {peak_mb():,.0f} MB")
            print(f"risk surface ({label}): {work:.1f} s computing and writing the COG "
                  f"({total:.1f} s with the cluster's start), {rate:,.0f} cells/s, "
                  f"ratio to anchor {rate / anchor:.2f}; "
                  f"{mem}; {out.stat().st_size / 1e6:.1f} MB COG, mean p "
                  f"{written.mean:.4f}")
            rows.append((n, total, rate))
        ten = g.cells * (args.resolution / 10.0) ** 2
        best = max(r[2] for r in rows)
        print(f"10 m: {ten:,.0f} cells; at the best rate here ({best:,.0f} cells/s) about "
              f"{ten / best / 60:,.0f} min")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

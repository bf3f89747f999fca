"""Observer bench: every public page of the Observer in two languages and the hazards tiles
at zooms 6, 9, 12 and 14, served by the real application on the demo store.

    .venv/bin/python bench/observer_bench.py                          # the demo at scale 5
    .venv/bin/python bench/observer_bench.py --scale 2 --db /tmp/demo2.gpkg --runs 3

``--db``: a demo store to reuse (built there with ``mineaction init`` and ``mineaction demo
--scale N --seed 1`` when it does not exist yet; without ``--db`` a throwaway one). The
application is :func:`mineaction.api.create_app`, asked through ``fastapi.testclient`` (the
whole ASGI stack without a socket), as the public. Each of ``--runs`` rounds first writes to
the store (one synthetic hazard at sea, ``source`` 'synthetic:bench'; the write moves the
audit log's head, so no tile cached serves the round; the Observer's built reports are
dropped, or with ``--expire`` aged past :data:`mineaction.web.observer_pages.FRESH_S`, when
they are given once more while made again), then asks
each page in each language once (``first``) and three more times (``warm``, median), then
each tile the same way (before the rounds, everything is asked once: the process warmed up
as a running server is).
The page of a figure's sources needs a figure (``report`` and ``cell``): asked bare it
answers 400.
Printed: the median over the rounds of ``first`` and of ``warm`` per page, the bytes sent
(gzip, as a browser asks), and the slowest five. The anchor, measured in the same run: the
Observer's static stylesheet (a file served as it is), ``first`` and ``warm``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box

from mineaction import domain as d
from mineaction.api import create_app
from mineaction.store import open_store
from mineaction.web.observer_pages import FRESH_S

CENTRE = (51.0, 41.4)
ZOOMS = (6, 9, 12, 14)
SOURCE = "synthetic:bench"


def build(db: Path, scale: float) -> None:
    exe = Path(sys.executable).with_name("mineaction")
    start = time.perf_counter()
    subprocess.run([str(exe), "--db", str(db), "init"], check=True, capture_output=True)
    subprocess.run([str(exe), "--db", str(db), "demo", "--scale", str(scale), "--seed", "1",
                    "--records-dir", str(db.with_name(db.stem + "-records"))],
                   check=True, capture_output=True)
    print(f"demo at scale {scale} built in {time.perf_counter() - start:.0f} s")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return y, x


def observer_paths(lang: str) -> list[str]:
    """The Observer's pages in ``lang``: its routes without parameters (the map's too)."""
    from mineaction.web import app as web
    from mineaction.web import map as web_map

    out = []
    for route in [*web.router.routes, *web_map.router.routes]:
        path = getattr(route, "path", "")
        if path.startswith(f"/{lang}/") and "{" not in path \
                and "GET" in getattr(route, "methods", ()) and "/workspace" not in path:
            out.append(path)
    return out


def timed(client: TestClient, path: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    r = client.get(path, headers={"accept-encoding": "gzip"})
    took = time.perf_counter() - start
    sent = int(r.headers.get("content-length") or len(r.content))
    return took, r.status_code, sent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=5.0)
    ap.add_argument("--db", type=Path, default=None, help="demo store to reuse or build")
    ap.add_argument("--langs", default="en,ru")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--expire", action="store_true",
                    help="age the built reports past FRESH_S instead of dropping them")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "demo.gpkg"
        if not db.exists():
            build(db, args.scale)
        store = open_store(str(db))
        hazards = sum(1 for _ in store.iter("hazards", status="open"))
        print(f"store {db}: {hazards} open hazards")
        app = create_app(str(db), store=store)
        langs = args.langs.split(",")
        asked = [p for lang in langs for p in observer_paths(lang)]
        asked.append("/static/observer.css")  # the anchor
        for z in ZOOMS:
            y, x = tile_of(*CENTRE, z)
            asked.append(f"/collections/hazards/tiles/WebMercatorQuad/{z}/{y}/{x}")
        first: dict[str, list[float]] = {p: [] for p in asked}
        warm: dict[str, list[float]] = {p: [] for p in asked}
        sent: dict[str, int] = {}
        status: dict[str, int] = {}
        with TestClient(app) as client:
            for p in asked:  # the process warmed up (imports, templates), as a server is
                timed(client, p)
            for k in range(args.runs):
                with store.transaction() as tx:
                    tx.add(d.Hazard(
                        id=f"BENCHW{time.time_ns()}", kind=d.HazardKind.CHA, source=SOURCE,
                        owner="BX", country="XV", geometry=MultiPolygon(
                            [box(50.35 + 0.01 * k, 40.95, 50.355 + 0.01 * k, 40.955)])))
                built = app.state.__dict__.get("observer_cache", {})
                if args.expire:  # as FRESH_S later
                    for key, (at, value) in list(built.items()):
                        built[key] = (at - FRESH_S - 1.0, value)
                else:
                    built.clear()
                for p in asked:
                    took, status[p], sent[p] = timed(client, p)
                    first[p].append(took)
                    warm[p].append(statistics.median(timed(client, p)[0] for _ in range(3)))
        store.close()
    print(f"{'path':<58} {'status':>6} {'first s':>8} {'warm ms':>8} {'sent kB':>8}")
    rows = []
    for p in asked:
        f, w = statistics.median(first[p]), statistics.median(warm[p])
        rows.append((f, w, p))
        print(f"{p:<58} {status[p]:>6} {f:>8.2f} {w * 1000:>8.1f} {sent[p] / 1000:>8.1f}")
    print("slowest first views:")
    for f, w, p in sorted(rows, reverse=True)[:5]:
        print(f"  {p:<56} first {f:.2f} s, warm {w * 1000:.0f} ms")


if __name__ == "__main__":
    main()

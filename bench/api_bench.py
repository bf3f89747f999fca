"""API bench: OGC API Features items paging and bbox queries, ours against pygeoapi serving
the same GeoPackage, measured in the same run.

    .venv/bin/python bench/api_bench.py                       # 2,000 hazards, 3 runs
    .venv/bin/python bench/api_bench.py --n 20000 --runs 5 --queries 300

Synthetic hazards (``source`` 'synthetic:bench', squares in the demo box 50.3-51.7 E,
40.9-41.9 N) are written into a GeoPackage store, with one administrator and an API token
(the administrator reads every record exact, as pygeoapi serves them). Two servers are started
on free ports of 127.0.0.1, each one process under uvicorn:

- ours: ``mineaction serve --db STORE``, requests with the token;
- the anchor: pygeoapi (its Starlette application) with its OGR provider reading the store's
  ``hazards`` table from the same file. pygeoapi is installed by this script into a virtual
  environment of its own, ``bench/.venv-pygeoapi`` (its pins may clash with ours), made with
  the system's Python and its GDAL bindings (``python3-gdal``).

Each run walks every page of the collection (``limit=100``, following ``next`` links) and asks
``--queries`` random bbox queries (boxes of 0.02-0.1 degrees, ``limit=1000``), one client after
the other; the figures are the median of ``--runs`` runs. Ratios are ours / pygeoapi's
throughput (requests per second): 1 or more is the goal. The features each server returns
are counted and must agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from shapely.geometry import MultiPolygon, box

from mineaction import domain as d
from mineaction.access import Actor
from mineaction.access import accounts as acc
from mineaction.store import open_store

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-pygeoapi"
BOX = (50.3, 40.9, 51.7, 41.9)
SOURCE = "synthetic:bench"
PAGE = 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(path: Path, n: int, seed: int) -> str:
    """The store with ``n`` hazards and an administrator; the administrator's token."""
    rnd = random.Random(seed)
    store = open_store(str(path))
    store.create()
    records = []
    for i in range(n):
        x = rnd.uniform(BOX[0], BOX[2] - 0.01)
        y = rnd.uniform(BOX[1], BOX[3] - 0.01)
        s = rnd.uniform(0.001, 0.01)
        records.append(d.Hazard(id=f"HZ-{i:06d}", kind=d.HazardKind.SHA if i % 2 else
                                d.HazardKind.CHA, recorded_on=dt.date(2020, 1, 1)
                                + dt.timedelta(days=i % 1500),
                                geometry=MultiPolygon([box(x, y, x + s, y + s)]),
                                source=SOURCE, name=f"hazard {i}", owner="AX", country="XV"))
    with store.transaction() as tx:
        tx.add_many(records)
    local = Actor.local("bench")
    acc.add_organisation(store, local, "AX", "Authority", "authority", "XV")
    acc.add_user(store, local, "admin", "AX", "admin", "a long enough password")
    admin = acc.authenticate(store, "admin", "a long enough password")
    _, token = acc.create_token(store, admin, "admin", label="bench")
    store.close()
    return token


def pygeoapi_python() -> Path:
    """The Python of the pygeoapi environment, made and filled on first use."""
    python = VENV / "bin" / "python"
    if python.exists():
        return python
    system = shutil.which("python3", path="/usr/bin:/usr/local/bin") or "python3"
    check = subprocess.run([system, "-c", "import osgeo"], capture_output=True, text=True)
    if check.returncode != 0:
        sys.exit(f"pygeoapi's OGR provider needs GDAL's Python bindings for {system} "
                 f"(python3-gdal): {check.stderr.strip().splitlines()[-1:]}")
    subprocess.run([system, "-m", "venv", "--system-site-packages", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "pygeoapi", "uvicorn",
                    "starlette"], check=True)
    return python


CONFIG = """\
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: {page}, max_items: 10000}}
  map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: none}}
logging:
  level: ERROR
metadata:
  identification:
    title: bench
    description: bench
    keywords: [bench]
    keywords_type: theme
    terms_of_service: none
    url: http://127.0.0.1
  license: {{name: none, url: 'http://127.0.0.1'}}
  provider: {{name: bench, url: http://127.0.0.1}}
  contact: {{name: bench, position: none, address: none, city: none, stateorprovince: none,
            postalcode: none, country: none, phone: none, fax: none, email: none@example.org,
            url: 'http://127.0.0.1', hours: none, instructions: none, role: pointOfContact}}
resources:
  hazards:
    type: collection
    title: Hazards
    description: Synthetic hazards
    keywords: [hazards]
    extents:
      spatial: {{bbox: [50.3, 40.9, 51.7, 41.9], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}}
    providers:
      - type: feature
        name: OGR
        data:
          source_type: GPKG
          source: {source}
          source_srs: EPSG:4326
          target_srs: EPSG:4326
          source_capabilities: {{paging: true}}
        id_field: id
        layer: hazards
"""


@contextmanager
def process(cmd: list[str], base: str, env: dict[str, str] | None = None,
            probe: str = "/") -> Iterator[str]:
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 120
        try:
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    sys.exit(f"{cmd[0]} ended: {log.read().decode(errors='replace')[-2000:]}")
                try:
                    if httpx.get(base + probe, timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit(f"{cmd} did not start")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(30)


@contextmanager
def ours(store: Path) -> Iterator[str]:
    port = free_port()
    code = "import sys; from mineaction.cli import entry; sys.argv[0] = 'mineaction'; entry()"
    with process([sys.executable, "-c", code, "serve", "--db", str(store), "--port",
                  str(port)], f"http://127.0.0.1:{port}", probe="/health") as base:
        yield base


@contextmanager
def pygeoapi(store: Path, folder: Path) -> Iterator[str]:
    python = pygeoapi_python()
    port = free_port()
    config = folder / "pygeoapi.yml"
    config.write_text(CONFIG.format(port=port, page=PAGE, source=store), encoding="utf-8")
    openapi = folder / "pygeoapi-openapi.yml"
    env = dict(os.environ, PYGEOAPI_CONFIG=str(config), PYGEOAPI_OPENAPI=str(openapi))
    subprocess.run([str(python.parent / "pygeoapi"), "openapi", "generate", str(config),
                    "--output-file", str(openapi)], check=True, env=env,
                   capture_output=True)
    with process([str(python), "-m", "uvicorn", "pygeoapi.starlette_app:APP", "--host",
                  "127.0.0.1", "--port", str(port), "--log-level", "warning",
                  "--no-access-log"], f"http://127.0.0.1:{port}", env=env,
                 probe="/collections/hazards?f=json") as base:
        yield base


def walk(client: httpx.Client, base: str) -> tuple[int, int]:
    """Every page of the hazards; (requests, features)."""
    url: str | None = f"{base}/collections/hazards/items?f=json&limit={PAGE}"
    requests = features = 0
    while url:
        r = client.get(url)
        r.raise_for_status()
        body = r.json()
        requests += 1
        features += len(body["features"])
        url = next((lk["href"] for lk in body.get("links", []) if lk.get("rel") == "next"
                    and "json" in lk.get("type", "json")), None)
        if not body["features"]:
            break
    return requests, features


def boxes(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        w = rnd.uniform(0.02, 0.1)
        x = rnd.uniform(BOX[0], BOX[2] - w)
        y = rnd.uniform(BOX[1], BOX[3] - w)
        out.append(f"{x:.5f},{y:.5f},{x + w:.5f},{y + w:.5f}")
    return out


def bbox_queries(client: httpx.Client, base: str, queries: list[str]) -> int:
    features = 0
    for b in queries:
        r = client.get(f"{base}/collections/hazards/items",
                       params={"bbox": b, "limit": 1000, "f": "json"})
        r.raise_for_status()
        features += len(r.json()["features"])
    return features


def measure(base: str, headers: dict[str, str], queries: list[str]) -> dict[str, Any]:
    with httpx.Client(headers=headers, timeout=300) as client:
        walk(client, base)  # warm up
        t = time.perf_counter()
        pages, paged = walk(client, base)
        paging = time.perf_counter() - t
        t = time.perf_counter()
        found = bbox_queries(client, base, queries)
        bboxes = time.perf_counter() - t
    return {"pages": pages, "paged": paged, "paging_rps": pages / paging,
            "found": found, "bbox_rps": len(queries) / bboxes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="hazards in the store")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queries", type=int, default=100, help="bbox queries per run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mineaction-api-bench-") as tmp:
        folder = Path(tmp)
        store = folder / "store.gpkg"
        t = time.perf_counter()
        token = build(store, args.n, args.seed)
        print(f"store: {args.n:,} hazards in {time.perf_counter() - t:.1f} s")
        queries = boxes(args.queries, args.seed)
        results: dict[str, list[dict[str, Any]]] = {"ours": [], "pygeoapi": []}
        with ours(store) as a, pygeoapi(store, folder) as b:
            for run in range(args.runs):
                for name, base, headers in (("ours", a, {"Authorization": f"Bearer {token}"}),
                                            ("pygeoapi", b, {})):
                    results[name].append(measure(base, headers, queries))
                print(f"run {run + 1}: " + "; ".join(
                    f"{k} paging {v[-1]['paging_rps']:.1f} req/s, bbox "
                    f"{v[-1]['bbox_rps']:.1f} req/s" for k, v in results.items()))

    first = {k: v[0] for k, v in results.items()}
    print(f"features paged: ours {first['ours']['paged']:,} in {first['ours']['pages']} pages,"
          f" pygeoapi {first['pygeoapi']['paged']:,} in {first['pygeoapi']['pages']} pages")
    print(f"features found by {args.queries} bbox queries: ours {first['ours']['found']:,}, "
          f"pygeoapi {first['pygeoapi']['found']:,}")
    agree = (first["ours"]["paged"] == first["pygeoapi"]["paged"] == args.n
             and first["ours"]["found"] == first["pygeoapi"]["found"])
    print("the servers agree" if agree else "THE SERVERS DISAGREE")
    for what in ("paging_rps", "bbox_rps"):
        o = statistics.median(r[what] for r in results["ours"])
        p = statistics.median(r[what] for r in results["pygeoapi"])
        print(f"{what.replace('_rps', ''):>7}: ours {o:8.1f} req/s, pygeoapi {p:8.1f} req/s, "
              f"ratio ours/pygeoapi {o / p:.2f} (goal >= 1)")


if __name__ == "__main__":
    main()

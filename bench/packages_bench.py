"""Exchange package bench: export, verify and import against a plain export.

    .venv/bin/python bench/packages_bench.py              # 5,000 hazards and 5,000 finds
    .venv/bin/python bench/packages_bench.py --n 50000

A GeoPackage store holds N synthetic hazards (irregular polygons of 50-400 m) and N finds of
authority AY, in the demo box (50.3-51.7 E, 40.9-41.9 N), with AY's agreements sharing the
hazards with RP at a grid of 5 km and the finds exactly. Anchor, measured in the same run: the
plain export of both layers by an administrator to GeoPackage files (``services.exports``,
what ``mineaction export`` does). Printed: seconds of the package export (reading as RP,
generalising, writing, hashing, signing), of ``verify`` (every table's hash and the
signature), of the import into an empty store, and of a second import of the same package
(nothing written), each with its ratio to the anchor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from shapely.geometry import MultiPolygon, Point, Polygon

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mineaction import domain as d  # noqa: E402
from mineaction.access import Actor  # noqa: E402
from mineaction.access import accounts as acc  # noqa: E402
from mineaction.audit.checkpoint import generate, load_private, load_public  # noqa: E402
from mineaction.services import exports  # noqa: E402
from mineaction.services import packages as svc  # noqa: E402
from mineaction.services.context import Context  # noqa: E402
from mineaction.store import open_store  # noqa: E402


def build(path: Path, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    store = open_store(str(path))
    store.create()
    holder = Actor.local("bench")
    acc.add_organisation(store, holder, "AY", "Authority Y", "authority", "XW")
    acc.add_organisation(store, holder, "RP", "Regional platform", "regional_platform", "XR")
    records: list[d.Record] = []
    for i in range(n):
        x, y = rng.uniform(50.35, 51.65), rng.uniform(40.95, 41.85)
        r = rng.uniform(0.0005, 0.004)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 8))
        ring = [(x + r * np.cos(a) * rng.uniform(0.6, 1.0), y + r * np.sin(a) *
                 rng.uniform(0.6, 1.0)) for a in angles]
        records.append(d.Hazard(id=f"H{i}", kind=d.HazardKind.SHA, status=d.HazardStatus.OPEN,
                                geometry=MultiPolygon([Polygon(ring)]), owner="AY",
                                country="XW", source="synthetic:bench"))
        records.append(d.Find(id=f"F{i}", category=d.EOCategory.AP, quantity=1,
                              geometry=Point(rng.uniform(50.35, 51.65),
                                             rng.uniform(40.95, 41.85)),
                              owner="AY", country="XW", source="synthetic:bench"))
    with store.transaction() as tx:
        tx.add_many(records)
    acc.grant(store, holder, grantor="AY", grantee="RP", layer="hazards", precision="grid",
              grid_km=5.0)
    acc.grant(store, holder, grantor="AY", grantee="RP", layer="finds", precision="exact")
    store.close()


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000, help="hazards, and as many finds")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(folder / "source.gpkg", args.n)
        private, public = generate(folder / "sender.key")
        store = open_store(str(folder / "source.gpkg"))
        ctx = Context(store, Actor.local("bench"))
        anchor, _ = timed(lambda: [exports.export(ctx, name, folder / f"{name}.gpkg")
                                   for name in ("hazards", "finds")])
        t_export, done = timed(lambda: svc.export_package(ctx, "RP", folder / "rp.gpkg",
                                                          load_private(private)))
        store.close()
        t_verify, checked = timed(lambda: svc.verify_package(done.path, load_public(public)))
        assert checked.ok, checked.problem
        target = open_store(str(folder / "target.gpkg"))
        target.create()
        into = Context(target, Actor.local("bench"))
        t_import, first = timed(lambda: svc.import_package(into, done.path,
                                                           load_public(public)))
        t_again, again = timed(lambda: svc.import_package(into, done.path,
                                                          load_public(public)))
        target.close()
        assert first.written == 2 * args.n and again.written == 0
        print(f"{args.n} hazards (grid 5 km) + {args.n} finds (exact); package "
              f"{done.path.stat().st_size / 1e6:.1f} MB")
        print(f"{'step':<28}{'seconds':>10}{'/ anchor':>10}")
        for name, t in (("anchor: plain export", anchor), ("package export", t_export),
                        ("package verify", t_verify), ("package import", t_import),
                        ("import again (no write)", t_again)):
            print(f"{name:<28}{t:>10.2f}{t / anchor:>10.2f}")


if __name__ == "__main__":
    main()

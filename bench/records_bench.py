"""Minefield record bench: reliability assessment of many records against many finds.

    .venv/bin/python bench/records_bench.py                          # 50 records, 10,000 finds
    .venv/bin/python bench/records_bench.py --records 1000 --finds 200000   # the full size

Synthetic fields (``source`` 'synthetic:records bench') on a grid about 1.1 km apart in the demo
box 50.3-51.7 E, 40.9-41.9 N, each with 2-5 rows of 15-40 mines. Their records carry, in turn,
no error, SK-42 read as WGS84, the declination left out, 6000-mil read as 6400-mil, a field
never laid, half the rows missing, or no ground covered at all. Every laid mine on cleared
ground is a find (0.5 m position error); unrelated AP/AV finds scattered over the box make up
the total. Everything goes into a GeoPackage store through the store interface.

Timed: the assessment of every record (georeferencing under each interpretation, bbox queries
of finds and covered ground on the store, robust fit, one-to-one matching), in one process.
The anchor, measured in the same run, is one full scan of the finds layer through the store
(``store.query('finds')``); the ratio says how many such scans the whole assessment costs.
Also printed: the share of records in each status and how many got the status their
construction calls for.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon, Point

from mineaction.domain.activities import Activity
from mineaction.domain.minefield_records import parse_record
from mineaction.domain.ordnance import Find
from mineaction.domain.vocabulary import ActivityKind, EOCategory
from mineaction.geo.crs import DatumWarning
from mineaction.records import synthetic as S
from mineaction.records.assess import AssessOptions, aggregate, assess_stored, stored_records
from mineaction.records.storage import import_records
from mineaction.store import Query, open_store

BOX = (50.3, 40.9, 51.7, 41.9)
SOURCE = "synthetic:records bench"
KINDS = [("exact", "EPSG:28409", "reliable"), ("sk42_as_wgs84", "EPSG:4284", "correctable"),
         ("declination_left_out", "EPSG:28409", "correctable"),
         ("mils_confused", "EPSG:28409", "correctable"), ("never_laid", "EPSG:28409",
                                                          "unreliable"),
         ("half_rows_missing", "EPSG:28409", "unreliable"), ("uncovered", "EPSG:28409",
                                                            "unverified")]


def build(path: str, n_records: int, n_finds: int, seed: int) -> dict[str, str]:
    """Create the store; returns record id -> expected status."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n_records))
    step_lon = 0.013  # about 1.1 km at 41.4 N
    step_lat = 0.010
    lons = BOX[0] + 0.02 + np.arange(side) * step_lon
    lats = BOX[1] + 0.02 + np.arange(side) * step_lat
    records, finds, acts = [], [], []
    expected: dict[str, str] = {}
    for k in range(n_records):
        error, crs, status = KINDS[k % len(KINDS)]
        lon, lat = float(lons[k % side]), float(lats[k // side])
        rid = f"MR-B{k:05d}"
        truth = S.field_record(rid, lon, lat, crs=crs, declination_deg=float(rng.uniform(4, 8)),
                               rows=int(rng.integers(2, 6)), per_row=int(rng.integers(15, 41)),
                               spacing_m=float(rng.uniform(4.0, 6.0)),
                               heading_deg=float(rng.uniform(0, 360)),
                               approach_deg=float(rng.uniform(0, 360)))
        record, laid = S.derive(truth, "exact" if error == "uncovered" else error)
        gr = S.ground(truth, None if error == "uncovered" else laid, rng, unrelated_share=0.0)
        related = gr.finds_lonlat[gr.related]
        for i, (x, y) in enumerate(related):
            finds.append(Find(id=f"{rid}-F{i}", category=EOCategory.AP if i % 3 else
                              EOCategory.AV, geometry=Point(x, y), source=SOURCE))
        if error != "uncovered":
            acts.append(Activity(id=f"{rid}-C", kind=ActivityKind.CLEARANCE,
                                 operator="Synthetic operator",
                                 geometry=MultiPolygon([gr.covered]), source=SOURCE))
        records.append(parse_record(record))
        expected[rid] = status
    extra = max(0, n_finds - len(finds))
    hi_lon = float(lons[-1]) + 0.01
    hi_lat = float(lats[min(side - 1, (n_records - 1) // side)]) + 0.01
    ux = rng.uniform(BOX[0], max(hi_lon, BOX[0] + 0.05), extra)
    uy = rng.uniform(BOX[1], max(hi_lat, BOX[1] + 0.05), extra)
    finds.extend(Find(id=f"U{i}", category=EOCategory.AP if i % 2 else EOCategory.AV,
                      geometry=Point(float(x), float(y)), source=SOURCE)
                 for i, (x, y) in enumerate(zip(ux, uy, strict=True)))
    store = open_store(path)
    try:
        store.create()
        with store.transaction() as tx:
            tx.add_many(finds)
            tx.add_many(acts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DatumWarning)
            import_records(store, records)
    finally:
        store.close()
    return expected


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=50)
    ap.add_argument("--finds", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.gpkg")
        t0 = time.perf_counter()
        expected = build(path, args.records, args.finds, args.seed)
        t_build = time.perf_counter() - t0
        store = open_store(path)
        try:
            n_finds = store.count("finds")
            t0 = time.perf_counter()
            scanned = len(store.query("finds", Query()))
            t_anchor = time.perf_counter() - t0
            assert scanned == n_finds
            opts = AssessOptions(datum_transformation="EPSG:1808")
            t0, c0 = time.perf_counter(), time.process_time()
            results = [assess_stored(store, row, rec, opts)
                       for row, rec in stored_records(store)]
            t_assess = time.perf_counter() - t0
            cpu_assess = time.process_time() - c0
        finally:
            store.close()
    summary = aggregate(results)
    right = sum(1 for a in results if a.status == expected[a.record_id])
    wrong = Counter((expected[a.record_id], a.status) for a in results
                    if a.status != expected[a.record_id])
    out: dict[str, Any] = {
        "records": len(results), "finds": n_finds,
        "build_s": round(t_build, 2),
        "anchor_full_scan_of_finds_s": round(t_anchor, 3),
        "assess_s": round(t_assess, 2),
        "assess_cpu_s": round(cpu_assess, 2),
        "assess_ms_per_record": round(1000 * t_assess / max(len(results), 1), 1),
        "ratio_assess_to_anchor": round(t_assess / t_anchor, 1) if t_anchor else None,
        "status_as_constructed": f"{right}/{len(results)}",
        "confusions": {f"{a}->{b}": n for (a, b), n in wrong.items()},
        "share": summary["share"],
    }
    print(f"records {out['records']}, finds {n_finds:,} (store built in {t_build:.1f} s)")
    print(f"anchor: full scan of the finds layer   {t_anchor:8.3f} s")
    print(f"assessment of every record             {t_assess:8.2f} s "
          f"(CPU {cpu_assess:.2f} s; {out['assess_ms_per_record']} ms a record; "
          f"{out['ratio_assess_to_anchor']} x the anchor)")
    print(f"status as constructed: {out['status_as_constructed']}; shares: "
          + ", ".join(f"{k} {v:.0%}" for k, v in summary["share"].items() if v is not None))
    if wrong:
        print("confusions (expected->got): " + ", ".join(
            f"{k} {v}" for k, v in out["confusions"].items()))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

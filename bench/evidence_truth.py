"""Evidence-weighted classification against the demo's hidden truth.

    .venv/bin/python bench/evidence_truth.py                       # seeds 1, 2, 3 at scale 0.25
    .venv/bin/python bench/evidence_truth.py --seeds 1 --scale 0.1 --dump hazards.csv
    .venv/bin/python bench/evidence_truth.py --weights my.toml     # other weights

For each seed, builds the demo (store, truth file, minefield records assessed with
``mineaction records assess``, as ``make demo`` does), runs ``mineaction hazards assess`` with
the default weights (or ``--weights``) and compares the recommendations with the truth file: an
open hazard truly holds explosive ordnance when an item the truth leaves in the ground at the
end of the record (remaining, or left behind by survey) lies inside it as it stands now.

Printed per seed:

- precision: of the hazards recommended for cancellation, the share truly empty (of any
  explosive ordnance; and, separately, of mines: AP and AV), by count and by area;
- recall: the share of the truly empty suspected area (open SHAs holding nothing) that the
  recommendations cancel;
- the anchor, measured in the same run: the share of open SHA area that is truly empty, the
  precision of cancelling every open SHA without direct evidence... of cancelling them all;
- confirm: of the SHAs recommended for confirmation, the share truly contaminated.

The default weights were calibrated on seed 1 only; seeds 2 and 3 are held out.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def measure(db: Path, truth: Path, weights_text: str | None, as_of: dt.date | None
            ) -> tuple[dict, list[dict]]:
    from mineaction.risk.evidence import assess, load_weights
    from mineaction.risk.features import hazards_holding, in_ground, truth_items
    from mineaction.services.evidence import read, removed_on
    from mineaction.store import open_store

    store = open_store(str(db))
    try:
        ev = read(store, before=as_of)
        gone = removed_on(store)
    finally:
        store.close()
    result = assess(ev, load_weights(weights_text))
    items = truth_items(truth, gone)
    status_in = in_ground(items, as_of)
    mines = status_in & np.isin(items.category, ("ap", "av"))
    hz = [a.hazard for a in result.items]
    holding = hazards_holding(items, status_in, hz)
    holding_mines = hazards_holding(items, mines, hz)
    rows: list[dict[str, Any]] = []
    for a in result.items:
        rows.append({"hazard": a.hazard.id, "kind": a.hazard.kind, "threat": a.hazard.threat,
                     "area_m2": round(a.hazard.area_m2, 1), "direct": round(a.direct, 3),
                     "indirect": round(a.indirect, 3), "recommendation": a.recommendation,
                     "holds_eo": int(a.hazard.id in holding),
                     "holds_mines": int(a.hazard.id in holding_mines),
                     "evidence": ";".join(f"{i.source}:{i.what}:{i.points:.2f}"
                                          for i in a.items)})
    sha = [r for r in rows if r["kind"] == "sha"]
    cancel = [r for r in rows if r["recommendation"] == "cancel"]
    confirm = [r for r in rows if r["recommendation"] == "confirm"]
    empty_sha_area = sum(r["area_m2"] for r in sha if not r["holds_eo"])
    sha_area = sum(r["area_m2"] for r in sha)
    c_area = sum(r["area_m2"] for r in cancel)
    c_empty_area = sum(r["area_m2"] for r in cancel if not r["holds_eo"])

    def share(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    out = {
        "open_hazards": len(rows), "open_sha": len(sha),
        "sha_empty": sum(1 for r in sha if not r["holds_eo"]),
        "cancel": len(cancel), "cancel_km2": round(c_area / 1e6, 2),
        "precision": share(sum(1 for r in cancel if not r["holds_eo"]), len(cancel)),
        "precision_area": share(c_empty_area, c_area),
        "precision_no_mines": share(sum(1 for r in cancel if not r["holds_mines"]),
                                    len(cancel)),
        "recall_area": share(c_empty_area, empty_sha_area),
        "recall_count": share(sum(1 for r in cancel if not r["holds_eo"]),
                              sum(1 for r in sha if not r["holds_eo"])),
        "anchor_empty_share_area": share(empty_sha_area, sha_area),
        "confirm": len(confirm),
        "confirm_precision": share(sum(1 for r in confirm if r["holds_eo"]), len(confirm)),
    }
    return out, rows


def build(root: Path, seed: int, scale: float) -> tuple[Path, Path]:
    from mineaction.cli import main
    from mineaction.demo.scenario import build as build_demo

    d = root / f"seed{seed}"
    d.mkdir(parents=True, exist_ok=True)
    db, truth = d / "store.gpkg", d / "truth.gpkg"
    if not db.exists():
        build_demo(str(db), truth, seed=seed, scale=scale, records_dir=d / "records")
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["--db", str(db), "records", "assess"]) == 0
    return db, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--weights", type=Path)
    ap.add_argument("--as-of", default="2022-01-01", help="Assess the store as it stood "
                    "before this day, against the truth on that day ('end': at the end)")
    ap.add_argument("--dir", type=Path, help="Keep the demos here (reused when present)")
    ap.add_argument("--dump", type=Path, help="Write every hazard's evidence and truth (CSV)")
    args = ap.parse_args()
    text = args.weights.read_text(encoding="utf-8") if args.weights else None
    as_of = None if args.as_of == "end" else dt.date.fromisoformat(args.as_of)
    root = args.dir or Path(tempfile.mkdtemp(prefix="evidence-truth-"))
    dumped: list[dict] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        t0 = time.perf_counter()
        db, truth = build(root, seed, args.scale)
        t1 = time.perf_counter()
        out, rows = measure(db, truth, text, as_of)
        t2 = time.perf_counter()
        held = "calibration" if seed == 1 else "held out"
        print(f"seed {seed} ({held}), scale {args.scale:g}, as of {args.as_of}: "
              f"build {t1 - t0:.0f} s, assess and measure {t2 - t1:.1f} s")
        for k, v in out.items():
            print(f"  {k}: {v}")
        dumped += [{"seed": seed, **r} for r in rows]
        sys.stdout.flush()
    if args.dump and dumped:
        with args.dump.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(dumped[0]))
            w.writeheader()
            w.writerows(dumped)


if __name__ == "__main__":
    main()

"""Intake bench: the whole Colombian victims register (../shared/data) imported through its
mapping, then the same copy again (every row reconciled with the store: all unchanged), then a
dry run of it.

    .venv/bin/python bench/intake_bench.py [--db URL]

Anchor, measured in the same run: the first import (every row mapped, checked and written).
Printed: seconds of each step and its ratio to the anchor. Reconciling a copy already stored
reads every stored victim and compares it field by field; it should cost about what writing
them did, not more.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from mineaction.io.intake import Options
from mineaction.io.mapping import load_mapping
from mineaction.io.victims_register import read_register, source_file
from mineaction.services import imports
from mineaction.services.context import Context
from mineaction.store import open_store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "colombia_victims" / \
    "victims_1990_2017.csv"
if not DATA.exists():
    DATA = Path("/work/shared/data/colombia_victims/victims_1990_2017.csv")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    m = load_mapping("colombia-aicma", "victims")
    rows = read_register(DATA, m)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or str(Path(tmp) / "bench.gpkg")
        with open_store(url) as store:
            store.create()
            ctx = Context(store)
            steps = []
            for name, opts in (("first import", Options()), ("same copy again", Options()),
                               ("dry run", Options(dry_run=True))):
                t0 = time.perf_counter()
                out = imports.intake(ctx, "victims", source_file(rows, DATA), m, options=opts)
                steps.append((name, time.perf_counter() - t0, out))
    anchor = steps[0][1]
    print(f"{len(rows):,} rows of {DATA.name}")
    for name, secs, out in steps:
        print(f"{name:<16} {secs:7.2f} s  x{secs / anchor:5.2f}  ({out.added:,} new, "
              f"{out.changed:,} changed, {out.unchanged:,} unchanged)")


if __name__ == "__main__":
    main()

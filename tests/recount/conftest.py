"""Demo stores for the recount, one per seed, built once per test session.

Each seed's tests carry the mark ``xdist_group("recount-seed-N")``, so that under
``pytest -n 2 --dist loadgroup`` one worker builds a seed's store and runs all of its tests.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mineaction.cli import main
from tests.recount import recount as rc

SEEDS = (1, 2, 3)
#: The demo at a quarter of its default size: every report has rows, a store builds in ~5 s.
SCALE = "0.25"


@dataclass
class Seeded:
    seed: int
    db: Path
    exports: Path
    data: rc.Data
    busiest: str  # the district (by name) with most release steps: the --area cases

    def report(self, name: str, args: list[str], out: Path) -> dict[str, Any]:
        """Run ``mineaction report NAME ARGS --format json -o OUT`` and read the JSON."""
        code = main(["--db", str(self.db), "report", name, *args, "--format", "json",
                     "-o", str(out)])
        assert code == 0, f"mineaction report {name} {' '.join(args)} exited with {code}"
        return json.loads(out.read_text(encoding="utf-8"))


def build(root: Path, seed: int) -> None:
    """The demo store of ``seed`` in ``root``, and the export of every layer the reports read
    (what the commands print goes to ``root/build.log``, not into the first test's output)."""
    with open(root / "build.log", "w", encoding="utf-8") as log, \
            contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        _build(root, seed)


def _build(root: Path, seed: int) -> None:
    db = root / "store.gpkg"
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "demo", "--seed", str(seed), "--scale", SCALE]) == 0
    exports = root / "exports"
    exports.mkdir()
    for layer in rc.LAYERS:
        code = main(["--db", str(db), "export", layer, "-o", str(exports / f"{layer}.csv")])
        assert code == 0, f"export {layer} exited with {code}"


def load(root: Path, seed: int) -> Seeded:
    db, exports = root / "store.gpkg", root / "exports"
    data = rc.Data.load(exports)
    counts = data.steps["district"].value_counts()
    busiest = data.tree.name(str(counts.index[0]))
    return Seeded(seed, db, exports, data, busiest)


def shared_root(factory: pytest.TempPathFactory) -> Path:
    """A folder of this test session that every xdist worker sees."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``seeded(N)``: the demo store of seed N, its exports and their recount data.

    A store is built once per session: under ``--dist loadgroup`` one worker runs all of a
    seed's tests; under any other distribution the first worker to need a seed builds it
    (the others wait on a lock) and every worker reads the same files."""
    built: dict[int, Seeded] = {}

    def get(seed: int) -> Seeded:
        if seed not in built:
            root = shared_root(tmp_path_factory) / f"recount-seed{seed}"
            with open(root.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (root / "built").exists():
                    shutil.rmtree(root, ignore_errors=True)
                    root.mkdir()
                    build(root, seed)
                    (root / "built").touch()
            built[seed] = load(root, seed)
        return built[seed]

    return get


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many cells the recount compared, per seed (from every worker's reports)."""
    per_seed: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for r in reports:
            if getattr(r, "when", None) != "call":
                continue
            for name, value in getattr(r, "user_properties", []):
                if name == "recount_cells":
                    seed, n = value
                    per_seed[str(seed)] = per_seed.get(str(seed), 0) + int(n)
    if per_seed:
        terminalreporter.write_line("recount: cells compared per seed: " + ", ".join(
            f"seed {s}: {n:,}" for s, n in sorted(per_seed.items())))

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
#: The seed whose store also holds quality findings and small risk education sessions.
ENRICHED = 3


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
    if seed == ENRICHED:
        enrich(root, db)
    exports = root / "exports"
    exports.mkdir()
    for layer in rc.LAYERS:
        code = main(["--db", str(db), "export", layer, "-o", str(exports / f"{layer}.csv")])
        assert code == 0, f"export {layer} exited with {code}"


EORE_EXTRA = """WKT,id,held_on,organisation,admin_area_id,method,audience,place,girls,boys,women,men
POINT (50.9 41.4),EORE-X1,2024-03-01,ORG-X,{area},group_session,community,village_square,2,0,1,3
,EORE-X2,2024-04-01,ORG-X,{area},school_lesson,school,school,12,9,0,1
POINT (51.2 41.6),EORE-X3,2024-05-01,ORG-X,,house_to_house,returnees,home,1,1,2,0
POINT (50.9 41.4),EORE-X4,2024-06-01,ORG-X,{area},group_session,farmers,,0,0,0,2
"""


def enrich(root: Path, db: Path) -> None:
    """What the demo lacks, for the quality and eore recounts: a failed QC inspection that
    found items (it rejects its lot and reopens land), non-conformities open, closed and
    without corrective action, a QA visit of no activity; risk education sessions with small
    counts, methods, audiences and places, one without a location."""
    import pandas as pd

    tmp = root / "enrich"
    tmp.mkdir()
    assert main(["--db", str(db), "export", "activities", "-o", str(tmp / "a.csv")]) == 0
    acts = pd.read_csv(tmp / "a.csv", dtype=str, keep_default_na=False)
    acts = acts[acts["ended_on"] != ""].sort_values(["ended_on", "id"])
    last, before = acts.iloc[-1], acts.iloc[-2]
    early = acts[acts["ended_on"] < "2024-01-01"].iloc[-1]
    assert main(["--db", str(db), "export", "admin-areas", "-o", str(tmp / "z.csv")]) == 0
    zones = pd.read_csv(tmp / "z.csv", dtype=str, keep_default_na=False)
    area = sorted(zones.loc[zones["level"] == "2", "id"])[0]
    (tmp / "e.csv").write_text(EORE_EXTRA.format(area=area), encoding="utf-8")
    assert main(["--db", str(db), "import", "eore", str(tmp / "e.csv")]) == 0
    (tmp / "q.csv").write_text(
        "id,kind,held_on,activity_id,organisation,result,items_found,reason,severity,"
        "corrective_action,closed_on\n"
        f"QC-X3,qc_inspection,2024-02-01,{early['id']},ORG-X,observation,,marking "
        "incomplete,critical,fence the site,2024-09-01\n"
        "QA-X4,qa_visit,2024-05-05,,ORG-X,,,,,,\n", encoding="utf-8")
    assert main(["--db", str(db), "import", "quality", str(tmp / "q.csv")]) == 0
    # suspected areas that no evidence supports, far from everything: candidates for
    # cancellation (the demo's own suspected areas all hold some evidence)
    (tmp / "h.csv").write_text(
        "id,kind,threat,recorded_on,WKT\n"
        "HZ-X1,sha,low,2019-04-02,\"POLYGON ((51.66 41.86, 51.67 41.86, 51.67 41.87, "
        "51.66 41.87, 51.66 41.86))\"\n"
        "HZ-X2,sha,,2020-06-30,\"POLYGON ((50.32 40.92, 50.335 40.92, 50.335 40.93, "
        "50.32 40.93, 50.32 40.92))\"\n", encoding="utf-8")
    assert main(["--db", str(db), "import", "hazards", str(tmp / "h.csv")]) == 0
    on = str(last["ended_on"])
    assert main(["--db", str(db), "qm", "record", "QC-X1", "--activity", str(last["id"]),
                 "--on", on, "--result", "fail", "--severity", "major", "--reason", "item",
                 "--items-found", "3"]) == 0
    assert main(["--db", str(db), "qm", "record", "QC-X2", "--activity", str(before["id"]),
                 "--on", on, "--result", "observation", "--severity", "minor", "--reason",
                 "late"]) == 0


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

"""Planning reads the same record from PostGIS as from the GeoPackage: the demo copied into a
PostgreSQL store gives the same productivity report, ranking and forecast."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from mineaction.cli import main
from tests.planning.conftest import run

pytestmark = pytest.mark.real


def close(a: Any, b: Any) -> bool:
    """Equal, numbers to a relative 1e-9 (sums of the same areas in another order)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(close, a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-6)
    return bool(a == b)


def test_the_same_planning_on_postgis(demo_db: Path, pg_server: Any, tmp_path: Path) -> None:
    url = pg_server.new_database()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["copy", str(demo_db), url]) == 0
    outs = []
    for db in (str(demo_db), url):
        code, fc = run("--db", db, "plan", "forecast", "--runs", "300", "--format", "json")
        assert code == 0, fc
        code, rk = run("--db", db, "plan", "rank", "--format", "json", "--limit", "0")
        assert code == 0, rk
        p = tmp_path / f"p{len(outs)}.json"
        code, _ = run("--db", db, "report", "productivity", "--year", "2023", "--format",
                      "json", "-o", str(p))
        assert code == 0
        rep = json.loads(p.read_text(encoding="utf-8"))
        outs.append((json.loads(fc), json.loads(rk), rep["tables"]))
    (fa, ra, ta), (fb, rb, tb) = outs
    assert close(fa["scenarios"], fb["scenarios"])
    assert fa["history_km2"] == pytest.approx(fb["history_km2"])
    assert [h["hazard"] for h in ra["hazards"]] == [h["hazard"] for h in rb["hazards"]]
    assert ta == tb

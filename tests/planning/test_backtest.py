"""Backtests on the small demo: forecasts from the record up to each cut-off against what the
record shows after it. The P10-P90 band must contain the actual neither never nor always."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mineaction.planning.backtest import backtest, complete_years
from mineaction.services.context import open_context
from mineaction.services.planning import snapshot
from tests.planning.conftest import run


def test_backtest_coverage_is_in_a_sensible_band(demo_db: Path) -> None:
    code, out = run("--db", str(demo_db), "plan", "backtest", "--runs", "500", "--seeds",
                    "0,1", "--format", "json")
    assert code == 0, out
    bt = json.loads(out)
    assert bt["cutoffs"] == [2021, 2022, 2023, 2024]
    n = len(bt["points"])
    assert n == 2 * (4 + 3 + 2 + 1)
    # with 20 points, a band that holds the actual 80% of the time gives 11-20 inside with
    # probability 0.99; narrower bands than the record allows would give far fewer
    assert 0.4 <= bt["coverage_p10_p90"] <= 1.0, bt["coverage_p10_p90"]
    assert bt["p50_median_abs_error"] < 1.5
    for p in bt["points"]:
        assert p["p10"] <= p["p50"] <= p["p90"]
        assert p["inside"] == (p["p10"] <= p["actual"] <= p["p90"])


def test_a_forecast_made_at_a_cutoff_knows_nothing_after_it(demo_db: Path) -> None:
    with open_context(str(demo_db)) as ctx:
        rec = snapshot(ctx)
    assert complete_years(rec) == [2021, 2022, 2023, 2024, 2025]
    cut = rec.until(dt.date(2022, 12, 31))
    assert all(s.released_on and s.released_on.year <= 2022 for s in cut.steps)
    assert all(c.start.year <= 2022 for c in cut.capacity)
    # changing what happened after the cut-off does not change the forecast made before it
    a = backtest(rec, cutoffs=[2022], seeds=[5], runs=300)
    later = [s for s in rec.steps if s.released_on and s.released_on.year > 2022]
    for s in later:
        s.area_m2 *= 3
    b = backtest(rec, cutoffs=[2022], seeds=[5], runs=300)
    assert [(p.p10, p.p50, p.p90) for p in a.points] == [(p.p10, p.p50, p.p90)
                                                        for p in b.points]
    assert [p.actual for p in b.points] == pytest.approx([3 * p.actual for p in a.points])

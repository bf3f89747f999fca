"""Planning: productivity, the ranking of open hazards, a schedule, forecasts and backtests.

Each function reads the store once, as the actor may see it (:func:`snapshot`), and hands the
rows to :mod:`mineaction.planning`, which computes without reading anything else. Nothing is
written to the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mineaction.planning.data import Record
from mineaction.services.context import Context

__all__ = ["ForecastResult", "backtest", "fan_chart", "forecast", "scenario", "snapshot"]


def snapshot(ctx: Context) -> Record:
    """The records planning works from, read through ``ctx.reader``."""
    from mineaction.planning.read import read

    return read(ctx.reader, ctx.today())


@dataclass
class ForecastResult:
    forecasts: list[Any]  # planning.forecast.Forecast, one per scenario
    history: dict[int, float]  # m² released per complete year of the record
    checks: list[Any]  # planning.targets.Check
    missing: list[str]  # what the record could not give (planning.forecast.Inputs.missing)
    synthetic: bool


def scenario(text: str | None, name: str = "scenario") -> Any:
    """A scenario from the text of a TOML file (None: the record as it is)."""
    from mineaction.planning.forecast import Scenario

    return Scenario() if text is None else Scenario.from_toml(text, name)


def forecast(ctx: Context, scenarios: list[Any], *, seed: int = 0,
             runs: int | None = None) -> ForecastResult:
    """Forecast each scenario from the whole record, and check the register's targets and
    estimates against the first one (or against the register's own figures for a country the
    store holds no records of)."""
    from mineaction.planning.backtest import complete_years
    from mineaction.planning.forecast import Scenario, inputs, run
    from mineaction.planning.targets import checks

    rec = snapshot(ctx)
    scenarios = scenarios or [Scenario()]
    fcs = []
    missing: list[str] = []
    if rec.has_history:
        inp = inputs(rec)
        missing = inp.missing
        for sc in scenarios:
            if runs is not None:
                sc = Scenario(**{**sc.__dict__, "runs": runs})
            fcs.append(run(inp, sc, seed=seed))
    else:
        missing = ["history"]
    years = complete_years(rec)
    history = {y: v for y, v in ((y, sum(m.values())) for y, m in
                                 rec.released_by_year().items()) if y in years}
    found = checks(rec.figures, rec.countries, fcs[0] if fcs else None, history, seed=seed)
    return ForecastResult(fcs, history, found, missing, rec.synthetic)


def backtest(ctx: Context, *, seeds: list[int], cutoffs: list[int] | None = None,
             runs: int = 1000, scenario_text: str | None = None) -> Any:
    """Backtests of the forecast over ``cutoffs`` (default: every complete year but the last)
    and ``seeds`` (planning.backtest.Backtest)."""
    from mineaction.planning.backtest import backtest as run_backtest

    return run_backtest(snapshot(ctx), cutoffs=cutoffs, seeds=seeds, runs=runs,
                        scenario=scenario(scenario_text))


def fan_chart(result: ForecastResult, paths: list[Any], *, title: str) -> list[Any]:
    """The fan chart of a forecast, written to each path (PNG or PDF, by suffix)."""
    from mineaction.planning.chart import fan_chart as draw

    return draw(result.forecasts, result.history, paths, title=title,
                synthetic=result.synthetic)

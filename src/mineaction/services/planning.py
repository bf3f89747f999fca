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

__all__ = ["ForecastResult", "backtest", "default_weights", "fan_chart", "forecast",
           "next_month", "places_from", "rank", "rank_csv", "scenario", "schedule",
           "snapshot"]


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


def fan_chart(result: ForecastResult, paths: list[Any], *, title: str,
              locale: str = "en") -> list[Any]:
    """The fan chart of a forecast, written to each path (PNG or PDF, by suffix), its words
    in ``locale``."""
    from mineaction.planning.chart import fan_chart as draw

    return draw(result.forecasts, result.history, paths, title=title,
                synthetic=result.synthetic, locale=locale)


def rank(ctx: Context, *, weights_text: str | None = None,
         places: list[tuple[float, float, float]] | None = None) -> Any:
    """Every open hazard the actor may see, scored by the criteria and weights of
    ``weights_text`` (a TOML file's text; None: the default file) and ranked
    (planning.priority.Ranking). ``places``: (lon, lat, people) of settlements or returns."""
    from mineaction.planning.priority import load_weights
    from mineaction.planning.priority import rank as run_rank

    return run_rank(snapshot(ctx), load_weights(weights_text), places)


def default_weights() -> str:
    """The text of the default weights file, to copy and edit."""
    from mineaction.planning.priority import default_weights_text

    return default_weights_text()


def places_from(features: list[Any], population_field: str) -> list[tuple[float, float, float]]:
    """(lon, lat, people) of each feature read from a file (points; a polygon's centre)."""
    from mineaction.errors import InvalidInput

    out = []
    for f in features:
        g = f.geometry
        if g is None or g.is_empty:
            continue
        raw = f.properties.get(population_field)
        try:
            people = float(raw) if raw not in (None, "") else 0.0
        except (TypeError, ValueError):
            raise InvalidInput.of("planning.bad_population", where=f.where,
                                  field=population_field, value=raw) from None
        p = g if g.geom_type == "Point" else g.representative_point()
        out.append((p.x, p.y, people))
    return out


def criterion_heading(criterion: str, locale: str) -> str:
    """A ranking criterion's column heading in ``locale``, as the ranked-tasks report says it
    ("land_use" -> "Land use")."""
    from mineaction.messages import translator
    from mineaction.reports.planning import criterion_title

    return translator(locale).gettext(criterion_title(criterion))


def missing_input(code: str, locale: str) -> str:
    """What a forecast could not read off the record (``Inputs.missing``: "capacity",
    "productivity:cleared"...) as people read it in ``locale``; an unknown code as it is."""
    from mineaction.messages import render
    from mineaction.services.summary import term

    what, _, method = code.partition(":")
    if what == "productivity":
        return render("planning.missing_productivity", {"method": term(method, locale)}, locale)
    said = {"capacity": "planning.missing_capacity", "shares": "planning.missing_shares",
            "discoveries": "planning.missing_discoveries",
            "history": "planning.missing_history"}.get(what)
    return render(said, {}, locale) if said else code


def rank_csv(items: list[Any], criteria: list[str]) -> str:
    """Ranked hazards as CSV text: rank, hazard, district, area, score, each criterion's part
    and what it measured (text cells written so that no spreadsheet runs them)."""
    import csv
    import io

    from mineaction.io.writers import spreadsheet_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["rank", "hazard", "district", "area_m2", "score",
                *(f"part_{k}" for k in criteria), *(f"value_{k}" for k in criteria)])
    for r in items:
        w.writerow([r.rank, spreadsheet_text(r.hazard.id), spreadsheet_text(r.district),
                    round(r.hazard.area_m2, 1), round(r.score, 2),
                    *(round(r.parts[k], 2) for k in criteria),
                    *(spreadsheet_text(str(r.values.get(k))) for k in criteria)])
    return buf.getvalue()


def schedule(ctx: Context, *, start: Any, months: int = 36, weights_text: str | None = None,
             capacity: dict[str, float] | None = None,
             places: list[tuple[float, float, float]] | None = None) -> Any:
    """Month by month from ``start``, which hazards (in the ranking's order) are worked on by
    which method, within capacity (team-days a month per method: cancelled/NTS, reduced/TS,
    cleared/clearance; default the record's) (planning.schedule.Schedule)."""
    from mineaction.planning.priority import load_weights
    from mineaction.planning.priority import rank as run_rank
    from mineaction.planning.schedule import schedule as run_schedule

    rec = snapshot(ctx)
    ranking = run_rank(rec, load_weights(weights_text), places)
    out = run_schedule(rec, ranking.items, start=start, months=months, capacity=capacity)
    out.notes = ranking.notes + out.notes
    return out


def next_month(ctx: Context) -> Any:
    """The first day of the month after the record's last release (today's month when the
    store has none)."""
    import datetime as dt

    last = snapshot(ctx).last_release() or ctx.today()
    return dt.date(last.year + (last.month == 12), 1 if last.month == 12 else last.month + 1, 1)

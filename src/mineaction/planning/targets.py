"""Published targets and estimates set beside a forecast: consistent or not, and why.

A figure of the register is checked against the forecast of the store's own record when it is
of a country the store's records are of; otherwise against a projection made from the
register's own figures for its country (:func:`published_projection`): the contaminated area
as last published, the land released in the last published year, and the growth of the
deminers between the two latest counts. What neither can give (a cost, with no cost per square
metre or team anywhere) is said to be not computable, with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from mineaction.messages import Note
from mineaction.planning.data import FigureRow
from mineaction.planning.forecast import Forecast, Inputs

KM2 = 1e6
STOCK_METRICS = ("contaminated_area_high_threat", "contaminated_area_medium_low_threat")
RELEASED_METRICS = ("area_released_all_eo", "area_released_polygons_with_ap")
TARGET_METRICS = ("area_released_target_annual", "area_released_target",
                  "clearance_years_needed", "clearance_cost_needed",
                  "great_return_release_total")

#: Growth of capacity slows: the drift of year j is drift x GROWTH_DECAY ** j.
GROWTH_DECAY = 0.7

CONSISTENT = "consistent"
NOT_CONSISTENT = "not consistent"
NOT_COMPUTABLE = "cannot be computed"


@dataclass
class Check:
    figure: str
    metric: str
    value: float
    unit: str
    country: str
    basis: str  # "store forecast", "published figures", or ""
    verdict: str
    why: str


def _m2(f: FigureRow) -> float:
    return f.value * {"km2": KM2, "m2": 1.0, "ha": 1e4}.get(f.unit, float("nan"))


def _by_metric(figs: list[FigureRow], country: str, metric: str) -> list[FigureRow]:
    return sorted((f for f in figs if f.country == country and f.metric == metric
                   and f.area == "national"),
                  key=lambda f: (f.period_end or dt.date.min, f.id))


def published_projection(figs: list[FigureRow], country: str, *, runs: int = 2000,
                         seed: int = 0, horizon: int = 80) -> tuple[Forecast | None, str]:
    """A projection from the register alone, or None and what is missing."""
    stock_parts = []
    for m in STOCK_METRICS:
        rows = _by_metric(figs, country, m)
        if rows:
            stock_parts.append(rows[-1])
    released = [f for m in RELEASED_METRICS for f in _by_metric(figs, country, m)
                if f.period_start and f.period_end]
    if not stock_parts or not released:
        return None, Note("planning.why_no_register", country=country)
    stock = sum(_m2(f) for f in stock_parts)
    last = max(released, key=lambda f: (f.period_end, f.metric != RELEASED_METRICS[0]))
    assert last.period_end is not None
    rate = _m2(last)
    deminers = [f for f in figs if f.country == country and f.metric == "deminers"
                and f.period_end]
    deminers.sort(key=lambda f: f.period_end or dt.date.min)
    drift = 0.0
    if len(deminers) >= 2 and deminers[0].value > 0:
        a, b = deminers[-2], deminers[-1]
        assert a.period_end and b.period_end
        years = max((b.period_end - a.period_end).days / 365.0, 0.25)
        drift = 0.5 * math.log(b.value / a.value) / years
    rng = np.random.default_rng(seed)
    start = stock_parts[-1].period_end.year + 1 if stock_parts[-1].period_end else \
        last.period_end.year + 1
    cal = list(range(start, start + horizon))
    level = rng.normal(0.0, 0.25, runs)
    walk = np.zeros(runs)
    left = np.full(runs, stock)
    out = np.zeros((runs, horizon))
    rem = np.zeros((runs, horizon))
    done = np.zeros(runs, dtype=int)
    for j, year in enumerate(cal):
        walk += rng.normal(drift * GROWTH_DECAY ** j, 0.15, runs)
        r = np.minimum(left, rate * np.exp(level + walk + rng.normal(0, 0.15, runs)))
        left = left - r
        out[:, j], rem[:, j] = r, left
        newly = (done == 0) & (left <= 0.01 * stock)
        done[newly] = year
    inp = Inputs(start, {"unsurveyed": stock, "surveyed": 0.0, "reduced": 0.0}, 0, {}, {},
                 0.15, drift, {}, 0, (0.0, 0.0),
                 [f"{f.id}" for f in [*stock_parts, last, *deminers[-2:]]])
    return Forecast("published figures", start, cal, out, {}, rem, done,
                    np.full(runs, np.nan), inp, seed), ""


def _released_between(fc: Forecast, history: dict[int, float], first: int, last: int
                      ) -> np.ndarray:
    total = np.zeros(fc.released.shape[0])
    total += sum(v for y, v in history.items() if first <= y <= last)
    for j, y in enumerate(fc.years):
        if first <= y <= last:
            total += fc.released[:, j]
    return total


def check(f: FigureRow, fc: Forecast | None, basis: str, history: dict[int, float],
          missing: str = "") -> Check:
    """One target or estimate against a forecast (``history``: m² released per past year)."""
    def done(verdict: str, why: str) -> Check:
        return Check(f.id, f.metric, f.value, f.unit, f.country, basis, verdict, why)

    if fc is None:
        return done(NOT_COMPUTABLE, missing)
    p10, p50, p90 = (np.percentile(fc.released, q, axis=0) for q in (10, 50, 90))
    if f.metric in ("area_released_target_annual", "area_released_target"):
        first = f.period_start.year if f.period_start else fc.start_year
        if f.metric == "area_released_target" and first in history:
            got = history[first]
            return done(CONSISTENT if got >= _m2(f) else NOT_CONSISTENT,
                        Note("planning.why_released_record", year=first, km2=got / KM2))
        year = max(first, fc.start_year)
        j = fc.years.index(year) if year in fc.years else 0
        share = float((fc.released[:, j] >= _m2(f)).mean())
        return done(CONSISTENT if p90[j] >= _m2(f) else NOT_CONSISTENT,
                    Note("planning.why_released_band", year=fc.years[j], p10=p10[j] / KM2,
                         p90=p90[j] / KM2, p50=p50[j] / KM2, share=share, value=f.value,
                         unit=f.unit))
    if f.metric == "clearance_years_needed":
        # counted from the start of the period it covers, else from when it was said
        said = f.period_start or f.as_of or f.period_end
        base = said.year if said else fc.start_year - 1
        deadline = base + int(round(f.value))
        (c10, c50, c90), share = fc.completion_quantiles()
        inside = c10 is not None and c10 <= deadline and (c90 is None or deadline <= c90)
        return done(CONSISTENT if inside else NOT_CONSISTENT,
                    Note("planning.why_done_by", deadline=deadline, base=base, c10=c10 or "-",
                         c50=c50 or "-", c90=c90 or "-", share=share))
    if f.metric == "clearance_cost_needed":
        if np.isnan(fc.cost).all():
            return done(NOT_COMPUTABLE, Note("planning.why_no_cost"))
        k10, k50, k90 = fc.cost_quantiles()
        return done(CONSISTENT if k10 <= f.value <= k90 else NOT_CONSISTENT,
                    Note("planning.why_cost", k10=k10, k50=k50, k90=k90, unit=f.unit))
    if f.metric == "great_return_release_total":
        first = f.period_start.year if f.period_start else min(history, default=fc.start_year)
        last = f.period_end.year if f.period_end else fc.start_year
        if last < fc.start_year and any(first <= y <= last for y in history):
            got = sum(v for y, v in history.items() if first <= y <= last)
            return done(CONSISTENT if got >= _m2(f) else NOT_CONSISTENT,
                        Note("planning.why_released_span_record", first=first, last=last,
                             km2=got / KM2))
        known = [y for y in range(first, fc.start_year) if y not in history]
        total = _released_between(fc, history, first, last)
        q = np.percentile(total, (10, 50, 90))
        band = {"first": first, "last": last, "p10": q[0] / KM2, "p50": q[1] / KM2,
                "p90": q[2] / KM2}
        why = (Note("planning.why_released_span_unknown", years=", ".join(map(str, known)),
                    **band) if known else Note("planning.why_released_span", **band))
        return done(CONSISTENT if q[2] >= _m2(f) else NOT_CONSISTENT, why)
    return done(NOT_COMPUTABLE, Note("planning.why_no_rule", metric=f.metric))


def checks(figs: list[FigureRow], countries: set[str], fc: Forecast | None,
           history: dict[int, float], *, seed: int = 0) -> list[Check]:
    """Every target or estimate of :data:`TARGET_METRICS` in the register, checked."""
    out = []
    projections: dict[str, tuple[Forecast | None, str]] = {}
    for f in sorted(figs, key=lambda f: f.id):
        if f.metric not in TARGET_METRICS:
            continue
        if f.country in countries:
            out.append(check(f, fc, "store forecast", history,
                             "" if fc is not None else Note("planning.why_no_history")))
            continue
        if f.country not in projections:
            projections[f.country] = published_projection(figs, f.country, seed=seed)
        proj, missing = projections[f.country]
        hist = _published_history(figs, f.country)
        out.append(check(f, proj, "published figures" if proj else "", hist, missing))
    return out


def _published_history(figs: list[FigureRow], country: str) -> dict[int, float]:
    out: dict[int, float] = {}
    for m in reversed(RELEASED_METRICS):
        for f in _by_metric(figs, country, m):
            if (f.period_start and f.period_end and f.period_start.year == f.period_end.year
                    and f.period_start.month == 1 and f.period_end.month == 12):
                out[f.period_start.year] = _m2(f)
    return out

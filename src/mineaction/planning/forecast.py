"""Completion and cost forecasts: a Monte Carlo over what the record says and what it does not.

The open land at the start (:func:`~mineaction.planning.model.open_stock`) is in three pools:
not yet surveyed, surveyed by NTS (or confirmed), and technically surveyed. Each year of each
run:

1. capacity (team-days of NTS, TS and clearance/BAC) moves from the last year of the record by
   a growth drawn from the record's own year-to-year changes (a random walk; a scenario may set
   a drift, a factor, or the team-days themselves), and is cut where it would cost more than
   the year's funding;
2. productivity (m² per team-day) of each method follows the record's yearly rates: their
   level in the last year (a weighted straight line through the log rates), a trend carried
   on at half its pace and slowing, a level and a trend per run and a deviation per year, as
   wide as the record's years scatter about the line (pooled with priors while the record is
   short: :mod:`~mineaction.planning.model`);
3. NTS works through the unsurveyed pool and cancels a share of it (drawn around the share of
   closed hazards' land that was cancelled); what it keeps goes to the surveyed pool; TS works
   through that and reduces a share, passing the rest to clearance; clearance clears;
4. land found that year (drawn around the record's discoveries per year) joins the unsurveyed
   pool.

A run is complete in the first year its open land falls below ``done_share`` of the land open
at the start. Cost is team-days used x the cost of a team-day of each method; the record holds
no costs, so they come from the scenario (defaults in :data:`DEFAULT_COST`, documented).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from mineaction.errors import InvalidInput
from mineaction.planning.data import METHODS, Record
from mineaction.planning.model import (
    RateTrend,
    discoveries,
    log_rate_stats,
    open_stock,
    outcome_shares,
    yearly_rates,
)

#: US dollars per team-day of each method when a scenario gives none. Assumptions, not
#: figures from any record: a survey team costs less than a technical survey team, which costs
#: less than a clearance team with its machines and dogs.
DEFAULT_COST = {"cancelled": 800.0, "reduced": 2000.0, "cleared": 3000.0}
PERCENTILES = (10, 50, 90)
#: Growth of capacity slows: the drift of year j is drift x GROWTH_DECAY ** j (a scenario's
#: growth too).
GROWTH_DECAY = 0.7
#: How much capacity is taken to change from one year to the next before the record shows it
#: (sd of the log change); pooled with the record's changes, worth two years of them. Chosen
#: by backtesting on the demo (``mineaction plan backtest``): 0.3 covered too little.
PRIOR_GROWTH_SD = 0.5
#: Share of the record's trend in productivity carried into the future.
TREND_SHARE = 0.5


@dataclass
class Scenario:
    """What a forecast assumes beyond the record. Every field is optional in the TOML file."""

    name: str = "record"
    capacity_factor: float = 1.0  # capacity at the start x this
    capacity_growth: float | None = None  # drift of capacity per year (0.1: +10%); None: 0
    team_days: dict[str, float] | None = None  # method -> team-days a year (replaces record's)
    cancelled_share: float | None = None  # share of unsurveyed land NTS cancels
    reduced_share: float | None = None  # share of surveyed land TS reduces
    productivity_factor: float = 1.0
    funding_per_year: float | None = None  # USD a year; capacity is cut to fit
    cost_per_team_day: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_COST))
    discoveries_m2_per_year: float | None = None  # replaces the record's
    horizon: int = 80  # years
    runs: int = 2000
    done_share: float = 0.01

    @classmethod
    def from_toml(cls, text: str, name: str = "scenario") -> Scenario:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput.of("planning.bad_toml", error=str(exc)) from None
        flat: dict[str, Any] = {"name": data.pop("name", name)}
        cap = data.pop("capacity", {})
        for key, target in (("factor", "capacity_factor"), ("growth", "capacity_growth"),
                            ("team_days", "team_days")):
            if key in cap:
                flat[target] = cap.pop(key)
        survey = data.pop("survey", {})
        for key in ("cancelled_share", "reduced_share"):
            if key in survey:
                flat[key] = survey.pop(key)
        if "per_year" in (fund := data.pop("funding", {})):
            flat["funding_per_year"] = fund.pop("per_year")
        if cost := data.pop("cost_per_team_day", None):
            flat["cost_per_team_day"] = {**DEFAULT_COST, **cost}
        if "km2_per_year" in (disc := data.pop("discoveries", {})):
            flat["discoveries_m2_per_year"] = float(disc.pop("km2_per_year")) * 1e6
        if "factor" in (prod := data.pop("productivity", {})):
            flat["productivity_factor"] = prod.pop("factor")
        flat.update({k: data.pop(k) for k in ("horizon", "runs", "done_share") if k in data})
        unknown = sorted([*data, *cap, *survey, *fund, *disc, *prod])
        if unknown:
            raise InvalidInput.of("planning.unknown_keys", keys=", ".join(unknown))
        known = {f.name for f in fields(cls)}
        try:
            sc = cls(**{k: v for k, v in flat.items() if k in known})
        except TypeError as exc:
            raise InvalidInput.of("planning.bad_scenario", error=str(exc)) from None
        for method in (sc.team_days or {}):
            if method not in METHODS:
                raise InvalidInput.of("planning.unknown_method", method=method,
                                      methods=", ".join(METHODS))
        return sc


@dataclass
class Inputs:
    """What the record gives a forecast, with what it rests on."""

    start_year: int
    stock: dict[str, float]  # pool -> m²
    hazards: int
    log_rate: dict[str, RateTrend]  # method -> level and trend of log m² per team-day
    team_days: dict[str, float]  # method -> team-days in the last year of the record
    growth_sd: float
    growth_drift: float  # half the record's mean log change of capacity a year
    shares: dict[str, float]  # cancelled (of unsurveyed), reduced (of surveyed)
    share_n: int  # closed hazards the shares rest on (0: defaults)
    discoveries: tuple[float, float]  # mean and sd of m² a year
    missing: list[str] = field(default_factory=list)  # what the record could not give


def inputs(rec: Record, cutoff: dt.date | None = None) -> Inputs:
    """Read the forecast's inputs off the record up to ``cutoff`` (default: its last release)."""
    last = rec.last_release()
    cutoff = cutoff or (dt.date(last.year, 12, 31) if last else rec.today)
    r = rec.until(cutoff)
    missing: list[str] = []
    stock = open_stock(r, cutoff)
    rates = yearly_rates(r, cutoff)
    log_rate: dict[str, RateTrend] = {}
    for m in METHODS:
        st = log_rate_stats(rates, m)
        if st is None:
            missing.append(f"productivity:{m}")
        else:
            log_rate[m] = st
    full = [y for y in rates if y.weight > 0.9]
    td = dict(full[-1].team_days) if full else {m: 0.0 for m in METHODS}
    if not full:
        missing.append("capacity")
    totals = [sum(y.team_days.values()) for y in full]
    changes = [math.log(b / a) for a, b in zip(totals, totals[1:], strict=False)
               if a > 0 and b > 0]
    # the record's changes of capacity, pooled with a prior spread worth two years
    growth_sd = math.sqrt((sum(c * c for c in changes) + 2 * PRIOR_GROWTH_SD ** 2)
                          / (len(changes) + 2))
    growth_drift = 0.5 * float(np.mean(changes)) if changes else 0.0
    sh = outcome_shares(r)
    if sh.hazards == 0:
        missing.append("shares")
    disc, first = discoveries(r, cutoff)
    vals = list(disc.values())
    dmean = float(np.mean(vals)) if vals else 0.0
    dsd = float(np.std(vals)) if len(vals) > 1 else dmean
    if first is None:
        missing.append("discoveries")
    return Inputs(cutoff.year + 1, {"unsurveyed": stock.unsurveyed,
                                    "surveyed": stock.surveyed, "reduced": stock.reduced},
                  stock.hazards, log_rate, td, growth_sd, growth_drift,
                  {"cancelled": sh.first["cancelled"], "reduced": sh.after_nts["reduced"]},
                  sh.hazards, (dmean, dsd), missing)


@dataclass
class Forecast:
    scenario: str
    start_year: int
    years: list[int]
    released: np.ndarray  # runs x years, m² released (cancelled + reduced + cleared)
    by_method: dict[str, np.ndarray]  # method -> runs x years
    remaining: np.ndarray  # runs x years, open m² at the end of each year
    completion: np.ndarray  # runs: year complete, or 0 when not within the horizon
    cost: np.ndarray  # runs: USD to completion (or to the horizon)
    inputs: Inputs
    seed: int

    def band(self, what: np.ndarray) -> dict[int, list[float]]:
        q = np.percentile(what, PERCENTILES, axis=0)
        return {y: [float(q[i, j]) for i in range(len(PERCENTILES))]
                for j, y in enumerate(self.years)}

    def completion_quantiles(self) -> tuple[list[int | None], float]:
        """P10/P50/P90 of the completion year (None past the horizon), and the share of runs
        that complete within it."""
        done = self.completion > 0
        years = np.where(done, self.completion, 10**6)
        q = np.percentile(years, PERCENTILES, method="nearest")
        return [int(v) if v < 10**6 else None for v in q], float(done.mean())

    def cost_quantiles(self) -> list[float]:
        return [float(v) for v in np.percentile(self.cost, PERCENTILES)]


#: How sure a share learnt from closed hazards is, as a number of hazards' worth of evidence:
#: few, whatever their number, since the hazards closed first are those easiest to close and
#: say little about the land still open.
SHARE_EVIDENCE = 6.0


def _beta(rng: np.random.Generator, mean: float, n: int, size: int) -> np.ndarray:
    mean = min(max(mean, 0.01), 0.99)
    k = min(float(max(n, 1)), SHARE_EVIDENCE) + 2.0
    return rng.beta(mean * k, (1 - mean) * k, size)


def run(inp: Inputs, sc: Scenario, *, seed: int = 0, years: int | None = None) -> Forecast:
    """The Monte Carlo: ``sc.runs`` runs over ``years`` (default the scenario's horizon)."""
    rng = np.random.default_rng(seed)
    n = sc.runs
    horizon = years or sc.horizon
    cal = list(range(inp.start_year, inp.start_year + horizon))
    u = np.full(n, inp.stock["unsurveyed"])
    s = np.full(n, inp.stock["surveyed"])
    r = np.full(n, inp.stock["reduced"])
    start_total = u[0] + s[0] + r[0]
    c0 = np.full(n, sc.cancelled_share) if sc.cancelled_share is not None else \
        _beta(rng, inp.shares["cancelled"], inp.share_n, n)
    r1 = np.full(n, sc.reduced_share) if sc.reduced_share is not None else \
        _beta(rng, inp.shares["reduced"], inp.share_n, n)
    level: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
    for m in METHODS:
        t = inp.log_rate.get(m)
        if t is None:
            level[m] = (np.zeros(n), np.zeros(n), 0.0)
            continue
        # the level is known to within a year's spread over the years seen; the trend goes
        # on at half its pace, slowing like capacity growth
        level[m] = (t.level + rng.normal(0, t.sd / math.sqrt(t.years), n),
                    rng.normal(TREND_SHARE * t.slope, t.slope_sd, n), t.sd)
    base = {m: (sc.team_days or {}).get(m, inp.team_days.get(m, 0.0)) * sc.capacity_factor
            for m in METHODS}
    log_cap = np.zeros(n)
    drift = (math.log1p(sc.capacity_growth) if sc.capacity_growth is not None
             else inp.growth_drift)
    dmean, dsd = ((sc.discoveries_m2_per_year, 0.3 * sc.discoveries_m2_per_year)
                  if sc.discoveries_m2_per_year is not None else inp.discoveries)
    released = np.zeros((n, horizon))
    by = {m: np.zeros((n, horizon)) for m in METHODS}
    remaining = np.zeros((n, horizon))
    completion = np.zeros(n, dtype=int)
    cost = np.zeros(n)
    cpd = sc.cost_per_team_day
    for j, _year in enumerate(cal):
        if j > 0:
            log_cap += rng.normal(drift * GROWTH_DECAY ** (j - 1), inp.growth_sd, n)
        td = {m: base[m] * np.exp(log_cap) for m in METHODS}
        full_cost = sum(td[m] * cpd.get(m, 0.0) for m in METHODS)
        if sc.funding_per_year is not None:
            cut = np.minimum(1.0, sc.funding_per_year / np.maximum(full_cost, 1e-9))
            td = {m: v * cut for m, v in td.items()}
        rate = {}
        for m in METHODS:
            base_level, slope, sd = level[m]
            if m not in inp.log_rate:
                rate[m] = np.zeros(n)
                continue
            trend = slope * sum(GROWTH_DECAY ** i for i in range(j + 1))
            rate[m] = (np.exp(base_level + trend + rng.normal(0, sd, n))
                       * sc.productivity_factor)
        cap = {m: td[m] * rate[m] for m in METHODS}
        cancel = np.minimum(u * c0, cap["cancelled"])
        processed = np.minimum(u, cancel / np.maximum(c0, 0.01))
        u = u - processed
        s = s + processed - cancel
        reduce = np.minimum(s * r1, cap["reduced"])
        passed = np.minimum(s, reduce / np.maximum(r1, 0.01))
        s = s - passed
        r = r + passed - reduce
        clear = np.minimum(r, cap["cleared"])
        r = r - clear
        found = np.maximum(rng.normal(dmean, dsd, n), 0.0) if dmean > 0 else np.zeros(n)
        u = u + found
        flows = {"cancelled": cancel, "reduced": reduce, "cleared": clear}
        spent = sum(np.where(rate[m] > 0, flows[m] / np.maximum(rate[m], 1e-9), 0.0)
                    * cpd.get(m, 0.0) for m in METHODS)
        open_now = u + s + r
        cost = cost + np.where(completion == 0, spent, 0.0)
        for m in METHODS:
            by[m][:, j] = flows[m]
        released[:, j] = cancel + reduce + clear
        remaining[:, j] = open_now
        newly = (completion == 0) & (open_now <= sc.done_share * start_total)
        completion[newly] = cal[j]
    return Forecast(sc.name, inp.start_year, cal, released, by, remaining, completion, cost,
                    inp, seed)

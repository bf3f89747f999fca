"""What the record says about how land leaves the list, as the ranking, the schedule and the
forecast use it:

- **outcome shares** (:func:`outcome_shares`): of the land of hazards closed so far, the share
  cancelled, reduced and cleared; and of the land that NTS did not cancel, the share reduced and
  cleared. They are the expected fate of a square metre still open.
- **yearly productivity** (:func:`yearly_rates`): for each year and method, land released by that
  method over the team-days of the capacity behind it (NTS for cancelled, TS for reduced,
  clearance and BAC for cleared).
- **the open stock** (:func:`open_stock`): open land at a date, by how far it has been surveyed.
- **discoveries** (:func:`discoveries`): land added to the list per year after the first year of
  the record (hazards recorded, created or enlarged later).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from mineaction.planning.data import FLOW_KINDS, METHODS, Record
from mineaction.planning.productivity import team_days_by_year

#: Shares used when the record has no closed hazard to learn from (a store of published
#: figures, or the first months of a programme): said so wherever they are used.
DEFAULT_SHARES = {"cancelled": 0.6, "reduced": 0.25, "cleared": 0.15}


@dataclass
class Shares:
    first: dict[str, float]  # fate of land not yet surveyed: cancelled, reduced, cleared
    after_nts: dict[str, float]  # fate of land NTS left: reduced, cleared
    hazards: int  # closed hazards they were learnt from (0: defaults)
    ids: list[str] = field(default_factory=list)


def outcome_shares(rec: Record, defaults: dict[str, float] | None = None) -> Shares:
    closed = {v.hazard_id for v in rec.versions if v.status == "closed"}
    per: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(METHODS, 0.0))
    for s in rec.steps:
        if s.hazard_id in closed:
            per[s.hazard_id][s.method] += s.area_m2
    tot = {m: sum(p[m] for p in per.values()) for m in METHODS}
    total = sum(tot.values())
    if not per or total <= 0:
        d = defaults or DEFAULT_SHARES
        rest = d["reduced"] + d["cleared"]
        return Shares(dict(d), {"reduced": d["reduced"] / rest, "cleared": d["cleared"] / rest},
                      0)
    rest = tot["reduced"] + tot["cleared"]
    after = ({"reduced": tot["reduced"] / rest, "cleared": tot["cleared"] / rest} if rest > 0
             else {"reduced": 0.5, "cleared": 0.5})
    return Shares({m: tot[m] / total for m in METHODS}, after, len(per), sorted(per))


@dataclass
class YearRate:
    year: int
    released: dict[str, float]  # method -> m²
    team_days: dict[str, float]  # method -> team-days behind it
    weight: float  # share of the year the record covers (a first or last partial year < 1)

    def rate(self, method: str) -> float | None:
        td = self.team_days.get(method, 0.0)
        return self.released.get(method, 0.0) / td if td > 0 else None


def yearly_rates(rec: Record, until: dt.date | None = None) -> list[YearRate]:
    until = until or rec.last_release() or rec.today
    tdy = team_days_by_year(rec.capacity)
    rel = rec.released_by_year()
    first = rec.first_release()
    out = []
    for year in sorted(set(tdy) | set(rel)):
        if year > until.year:
            continue
        start = dt.date(year, 1, 1) if first is None else max(dt.date(year, 1, 1), first)
        end = min(dt.date(year, 12, 31), until)
        weight = max((end - start).days + 1, 0) / 365.0
        team_days = {m: sum(tdy.get(year, {}).get(k, 0.0) for k in FLOW_KINDS[m])
                     for m in METHODS}
        if year == until.year and end < dt.date(year, 12, 31):
            # capacity of a year the cut-off splits: only the days up to it
            team_days = {m: v * ((end - dt.date(year, 1, 1)).days + 1) / 365.0
                         for m, v in team_days.items()}
        out.append(YearRate(year, dict(rel.get(year, dict.fromkeys(METHODS, 0.0))),
                            team_days, min(weight, 1.0)))
    return out


#: What the spread of log yearly productivity is taken to be before any year is seen; the
#: record's own spread counts for as many years as it has, this prior for two.
PRIOR_LOG_SD = 0.5
PRIOR_YEARS = 2


#: How fast productivity is taken to change a year before the record shows it (sd of the
#: slope of log productivity per year).
PRIOR_SLOPE_SD = 0.3


@dataclass
class RateTrend:
    """log(m² per team-day) of one method: its level in the last year of the record, the
    spread of a year about the trend, the trend a year and the trend's uncertainty."""

    level: float
    sd: float
    years: int
    slope: float
    slope_sd: float


def log_rate_stats(rates: list[YearRate], method: str) -> RateTrend | None:
    """The level and trend of log(m² per team-day) over the years that the record covers for
    at least a fifth (a weighted straight line; a single year is a level without a trend).
    Spreads are the record's, pooled with :data:`PRIOR_LOG_SD` and :data:`PRIOR_SLOPE_SD`
    (worth :data:`PRIOR_YEARS` years): two years of record cannot say how much productivity
    varies, or how fast it changes."""
    pts = [(r.year, math.log(r.rate(method) or 0.0), r.weight) for r in rates
           if (r.rate(method) or 0.0) > 0 and r.weight > 0.2]
    if not pts:
        return None
    k = len(pts)
    x = np.array([p[0] for p in pts], float)
    y = np.array([p[1] for p in pts])
    w = np.array([p[2] for p in pts])
    last = x.max()
    if k == 1:
        return RateTrend(float(y[0]), PRIOR_LOG_SD, 1, 0.0, PRIOR_SLOPE_SD)
    xm = float(np.average(x, weights=w))
    ym = float(np.average(y, weights=w))
    sxx = float(np.sum(w * (x - xm) ** 2))
    slope = float(np.sum(w * (x - xm) * (y - ym)) / sxx) if sxx > 0 else 0.0
    resid = y - (ym + slope * (x - xm))
    dof = max(k - 2, 0)
    var = float(np.sum(w * resid ** 2) / max(np.sum(w), 1e-9)) * k / max(dof, 1)
    sd = math.sqrt((dof * var + PRIOR_YEARS * PRIOR_LOG_SD ** 2) / (dof + PRIOR_YEARS))
    se = sd / math.sqrt(sxx / max(float(np.mean(w)), 1e-9)) if sxx > 0 else PRIOR_SLOPE_SD
    slope_sd = math.sqrt((dof * se ** 2 + PRIOR_YEARS * PRIOR_SLOPE_SD ** 2)
                         / (dof + PRIOR_YEARS))
    return RateTrend(ym + slope * (last - xm), sd, k, slope, slope_sd)


@dataclass
class Stock:
    """Open land at a date (m², per hazard, summed): not yet surveyed, surveyed by NTS (or
    confirmed), and technically surveyed (only clearance left)."""

    unsurveyed: float
    surveyed: float
    reduced: float
    hazards: int

    @property
    def total(self) -> float:
        return self.unsurveyed + self.surveyed + self.reduced


def open_stock(rec: Record, on: dt.date) -> Stock:
    latest: dict[str, tuple[int, str, str, float]] = {}
    for v in rec.versions:
        if v.valid_from is not None and v.valid_from > on:
            continue
        cur = latest.get(v.hazard_id)
        if cur is None or v.seq > cur[0]:
            latest[v.hazard_id] = (v.seq, v.status, v.kind, v.area_m2)
    done: dict[str, set[str]] = defaultdict(set)
    for s in rec.steps:
        if s.hazard_id and s.released_on is not None and s.released_on <= on:
            done[s.hazard_id].add(s.method)
    stock = Stock(0.0, 0.0, 0.0, 0)
    for hid, (_, status, kind, area) in latest.items():
        if status != "open":
            continue
        stock.hazards += 1
        if "reduced" in done[hid] or "cleared" in done[hid]:
            stock.reduced += area
        elif "cancelled" in done[hid] or kind == "cha":
            stock.surveyed += area
        else:
            stock.unsurveyed += area
    return stock


def discoveries(rec: Record, until: dt.date) -> tuple[dict[int, float], int | None]:
    """m² added to the list per year (hazards first recorded, created by survey or enlarged),
    after the first year of the record; and that first year (its hazards are the stock the
    programme started from, not discoveries)."""
    firsts: dict[str, tuple[int, dt.date | None, float]] = {}
    added: dict[int, float] = defaultdict(float)
    prev: dict[str, float] = {}
    for v in sorted(rec.versions, key=lambda v: (v.hazard_id, v.seq)):
        if v.valid_from is not None and v.valid_from > until:
            continue
        if v.hazard_id not in firsts:
            firsts[v.hazard_id] = (v.seq, v.valid_from, v.area_m2)
        elif v.change == "enlarged" and v.valid_from is not None:
            added[v.valid_from.year] += max(v.area_m2 - prev.get(v.hazard_id, 0.0), 0.0)
        prev[v.hazard_id] = v.area_m2
    dates = [d for _, d, _ in firsts.values() if d is not None]
    if not dates:
        return {}, None
    first_year = min(dates).year
    for _, d, area in firsts.values():
        if d is not None and d.year > first_year:
            added[d.year] += area
    years = range(first_year + 1, until.year + (1 if until.month == 12 else 0))
    return {y: added.get(y, 0.0) for y in years}, first_year

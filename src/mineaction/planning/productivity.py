"""Productivity measured from the record, with its spread.

Three measures, each with the records behind it:

- **per team-day** (:func:`team_day_rates`): for each capacity record (an operator's teams of one
  kind of work over a period), the land its operator released by that kind's method in that
  period, divided by the team-days (teams x calendar days of the period). One value per
  operator-period: their quantiles are the spread, the pooled rate (all land over all
  team-days) the central figure.
- **per asset-day** for clearance (:func:`asset_rates`): land cleared per deminer-day (manual),
  dog-day (mine detection dogs) and machine-day (mechanical), fitted by non-negative least
  squares over the clearance and battle area clearance capacity records (cleared m² =
  a x deminer-days + b x dog-days + c x machine-days); the spread is that of 200 bootstrap
  resamples of the records. The record says how many of each asset an operator had, not which
  asset worked which square metre, so this is a fit, and says so.
- **per task-day** (:func:`task_rates`): each activity's released land over its days (start to
  end, both counted), grouped by kind and by the hazard's threat, land use and contamination.
  A task is taken as one team's work: the record does not say how many teams worked on it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mineaction.planning.data import METHOD_OF_KIND, ActivityRow, CapacityRow, HazardRow

QUANTILES = (0.1, 0.5, 0.9)


@dataclass
class Spread:
    """A rate and its spread over ``n`` observations."""

    n: int
    pooled: float | None  # total land / total effort: the central figure
    p10: float | None
    p50: float | None
    p90: float | None
    ids: list[str] = field(default_factory=list)  # the records behind it
    support: list[str] = field(default_factory=list)  # other records it rests on

    @classmethod
    def of(cls, values: Sequence[float], pooled: float | None, ids: Iterable[str],
           support: Iterable[str] = ()) -> Spread:
        if not values:
            return cls(0, None, None, None, None, sorted(ids), sorted(support))
        q = np.quantile(np.asarray(values, float), QUANTILES)
        return cls(len(values), pooled, float(q[0]), float(q[1]), float(q[2]), sorted(ids),
                   sorted(support))


def _released(acts: Sequence[ActivityRow], operator: str, kind: str, start: dt.date,
              end: dt.date) -> tuple[float, list[str]]:
    method = METHOD_OF_KIND[kind]
    area, ids = 0.0, []
    for a in acts:
        if (a.operator == operator and a.kind == kind and a.ended_on is not None
                and start <= a.ended_on <= end):
            area += a.released.get(method, 0.0)
            ids.append(a.id)
    return area, ids


def team_day_rates(acts: Sequence[ActivityRow], capacity: Sequence[CapacityRow]
                   ) -> dict[str, Spread]:
    """m² released per team-day, per kind of work (nts, ts, clearance, bac)."""
    out: dict[str, Spread] = {}
    for kind in METHOD_OF_KIND:
        values: list[float] = []
        land = effort = 0.0
        act_ids: set[str] = set()
        cap_ids: list[str] = []
        for c in capacity:
            if c.kind != kind or c.teams <= 0:
                continue
            area, ids = _released(acts, c.operator, kind, c.start, c.end)
            td = c.teams * c.days
            values.append(area / td)
            land += area
            effort += td
            act_ids.update(ids)
            cap_ids.append(c.id)
        out[kind] = Spread.of(values, land / effort if effort else None, act_ids, cap_ids)
    return out


ASSETS = ("manual", "dogs", "mechanical")  # deminer-days, dog-days, machine-days


def asset_rates(acts: Sequence[ActivityRow], capacity: Sequence[CapacityRow], *,
                resamples: int = 200, seed: int = 0) -> dict[str, Spread]:
    """m² cleared per deminer-day, dog-day and machine-day, fitted over the clearance and
    battle area clearance capacity records (at least 3 needed, else no figure)."""
    from scipy.optimize import nnls

    rows: list[tuple[float, float, float, float]] = []
    cap_ids: list[str] = []
    act_ids: set[str] = set()
    for c in capacity:
        if c.kind not in ("clearance", "bac"):
            continue
        area, ids = _released(acts, c.operator, c.kind, c.start, c.end)
        rows.append((c.deminers * c.days, c.dogs * c.days, c.machines * c.days, area))
        cap_ids.append(c.id)
        act_ids.update(ids)
    if len(rows) < 3:
        return {a: Spread.of([], None, act_ids, cap_ids) for a in ASSETS}
    m = np.asarray(rows, float)
    x, y = m[:, :3], m[:, 3]
    used = x.sum(axis=0) > 0
    scale = np.where(used, x.max(axis=0), 1.0)

    def fit(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        coef = np.zeros(3)
        if used.any():
            sol, _ = nnls(xs[:, used] / scale[used], ys)
            coef[used] = sol / scale[used]
        return coef

    central = fit(x, y)
    rng = np.random.default_rng(seed)
    boots = np.array([fit(x[i], y[i]) for i in
                      (rng.integers(0, len(y), len(y)) for _ in range(resamples))])
    out: dict[str, Spread] = {}
    for j, name in enumerate(ASSETS):
        if not used[j]:
            out[name] = Spread.of([], None, act_ids, cap_ids)
            continue
        q = np.quantile(boots[:, j], QUANTILES)
        out[name] = Spread(len(y), float(central[j]), float(q[0]), float(q[1]), float(q[2]),
                           sorted(act_ids), sorted(cap_ids))
    return out


def contamination_group(cats: Iterable[str]) -> str:
    """The contamination a task faced, in the classes reports use."""
    from mineaction.analysis.statistics import contamination_class

    return contamination_class(list(cats))


#: The breakdowns of task rates: name -> what each hazard is grouped by.
BREAKDOWNS: dict[str, Callable[[HazardRow | None], str]] = {
    "threat": lambda h: (h.threat or "not recorded") if h else "no hazard",
    "land_use": lambda h: (h.land_use or "not recorded") if h else "no hazard",
    "contamination": lambda h: contamination_group(h.contamination) if h else "no hazard",
}


def task_rates(acts: Sequence[ActivityRow], hazards: Sequence[HazardRow], by: str
               ) -> tuple[dict[tuple[str, str], Spread], list[str]]:
    """m² released per task-day, per (kind, value of ``by``); and the ids of the activities left
    out because a date is missing."""
    of = {h.id: h for h in hazards}
    key_of = BREAKDOWNS[by]
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    ids: dict[tuple[str, str], list[str]] = defaultdict(list)
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    undated: list[str] = []
    for a in acts:
        if a.kind not in METHOD_OF_KIND:
            continue
        days = a.days
        if days is None:
            undated.append(a.id)
            continue
        k = (a.kind, key_of(of.get(a.hazard_id) if a.hazard_id else None))
        values[k].append(a.area / days)
        ids[k].append(a.id)
        totals[k][0] += a.area
        totals[k][1] += days
    out = {k: Spread.of(values[k], totals[k][0] / totals[k][1], ids[k])
           for k in sorted(values)}
    return out, sorted(undated)


# ---------------------------------------------------------------------------------------------
# Capacity by month


@dataclass
class MonthCapacity:
    month: str  # YYYY-MM
    teams: dict[str, int]  # kind -> teams (a stock: the latest record of each operator)
    deminers: int
    dogs: int
    machines: int
    ids: list[str]
    missing: list[tuple[str, str]]  # (operator, kind) that worked that month with no record


def months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        first = dt.date(y, m, 1)
        nxt = dt.date(y + (m == 12), 1 if m == 12 else m + 1, 1)
        out.append((first, nxt - dt.timedelta(days=1)))
        y, m = nxt.year, nxt.month
    return out


def capacity_by_month(capacity: Sequence[CapacityRow], acts: Sequence[ActivityRow],
                      start: dt.date | None = None, end: dt.date | None = None
                      ) -> list[MonthCapacity]:
    """Capacity in each month from ``start`` to ``end`` (default: the record's span), and the
    operators that released land by a kind of work in a month no capacity record covers.

    Capacity is a stock: where two records of one operator and kind cover a month, the one
    that began last counts, never both."""
    dates = [c.start for c in capacity] + [c.end for c in capacity] + \
        [a.ended_on for a in acts if a.ended_on is not None]
    if not dates:
        return []
    start = start or min(dates)
    end = end or max(dates)
    worked: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for a in acts:
        if a.ended_on is not None and a.kind in METHOD_OF_KIND:
            worked[a.ended_on.strftime("%Y-%m")].add((a.operator, a.kind))
    out = []
    for first, last in months(start, end):
        chosen: dict[tuple[str, str | None], CapacityRow] = {}
        for c in capacity:
            if c.overlap(first, last) <= 0:
                continue
            k = (c.operator, c.kind)
            if k not in chosen or c.start > chosen[k].start:
                chosen[k] = c
        teams: dict[str, int] = defaultdict(int)
        for (_, kind), c in chosen.items():
            teams[kind or "not recorded"] += c.teams
        label = first.strftime("%Y-%m")
        covered = {(op, kind) for op, kind in chosen}
        missing = sorted(w for w in worked.get(label, set()) if w not in covered)
        out.append(MonthCapacity(
            label, dict(teams), sum(c.deminers for c in chosen.values()),
            sum(c.dogs for c in chosen.values()), sum(c.machines for c in chosen.values()),
            sorted(c.id for c in chosen.values()), missing))
    return out


def team_days_by_year(capacity: Sequence[CapacityRow]) -> dict[int, dict[str, float]]:
    """Team-days of each kind of work in each calendar year (records of one operator and kind
    that overlap count for the days each alone covers, the later one where both do)."""
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_key: dict[tuple[str, str | None], list[CapacityRow]] = defaultdict(list)
    for c in capacity:
        by_key[(c.operator, c.kind)].append(c)
    for (_, kind), recs in by_key.items():
        if kind is None:
            continue
        recs = sorted(recs, key=lambda r: r.start)
        for i, c in enumerate(recs):
            stop = c.end
            if i + 1 < len(recs) and recs[i + 1].start <= c.end:
                stop = recs[i + 1].start - dt.timedelta(days=1)
            for year in range(c.start.year, stop.year + 1):
                days = max((min(stop, dt.date(year, 12, 31))
                            - max(c.start, dt.date(year, 1, 1))).days + 1, 0)
                out[year][kind] += c.teams * days
    return {y: dict(v) for y, v in out.items()}

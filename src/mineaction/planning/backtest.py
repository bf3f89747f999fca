"""Backtests: forecast from the record up to a cut-off and compare with what happened after.

For each cut-off (the end of a year) and each random seed, the forecast is made from the
record as it stood that day (:meth:`~mineaction.planning.data.Record.until`: activities,
steps, hazard versions and capacity known by then) and its P10-P90 band of land released per
year is set against the land the record shows released in each later complete year. Coverage
is the share of (cut-off, seed, year) points whose actual lies inside the band: a band that is
honest about its uncertainty contains the actual about 80% of the time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mineaction.messages import Note
from mineaction.planning.data import Record
from mineaction.planning.forecast import Scenario, inputs, run


@dataclass
class Point:
    cutoff: int  # the forecast knows the record to the end of this year
    seed: int
    year: int
    actual: float  # m² released that year (the record)
    p10: float
    p50: float
    p90: float

    @property
    def inside(self) -> bool:
        return self.p10 <= self.actual <= self.p90

    @property
    def error(self) -> float | None:
        """(P50 - actual) / actual, None when nothing was released."""
        return (self.p50 - self.actual) / self.actual if self.actual > 0 else None


@dataclass
class Backtest:
    points: list[Point] = field(default_factory=list)
    cutoffs: list[int] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    missing: str = ""  # why no backtest could be made

    @property
    def coverage(self) -> float | None:
        return float(np.mean([p.inside for p in self.points])) if self.points else None

    def p50_error(self) -> tuple[float | None, float | None]:
        """Median absolute relative error of P50, and its median signed error (bias)."""
        errs = [e for p in self.points if (e := p.error) is not None]
        if not errs:
            return None, None
        return float(np.median(np.abs(errs))), float(np.median(errs))

    def by_horizon(self) -> dict[int, tuple[int, float]]:
        """Years ahead -> (points, coverage)."""
        out: dict[int, list[bool]] = {}
        for p in self.points:
            out.setdefault(p.year - p.cutoff, []).append(p.inside)
        return {h: (len(v), float(np.mean(v))) for h, v in sorted(out.items())}


def complete_years(rec: Record) -> list[int]:
    """Calendar years the record covers from start to end (releases in its first and last
    month show the year is covered)."""
    first, last = rec.first_release(), rec.last_release()
    if first is None or last is None:
        return []
    lo = first.year if first.month == 1 else first.year + 1
    hi = last.year if last.month == 12 else last.year - 1
    return list(range(lo, hi + 1))


def backtest(rec: Record, *, cutoffs: Sequence[int] | None = None,
             seeds: Sequence[int] = (0, 1, 2), runs: int = 1000,
             scenario: Scenario | None = None) -> Backtest:
    years = complete_years(rec)
    if len(years) < 2:
        return Backtest(missing=Note("planning.backtest_two_years"))
    cut = list(cutoffs) if cutoffs else years[:-1]
    actual = {y: sum(v.values()) for y, v in rec.released_by_year().items()}
    sc = scenario or Scenario()
    sc = Scenario(**{**sc.__dict__, "runs": runs})
    out = Backtest(cutoffs=cut, seeds=list(seeds))
    for c in cut:
        after = [y for y in years if y > c]
        if not after:
            continue
        inp = inputs(rec, dt.date(c, 12, 31))
        for seed in seeds:
            fc = run(inp, sc, seed=seed, years=after[-1] - c)
            band = fc.band(fc.released)
            for y in after:
                lo, mid, hi = band[y]
                out.points.append(Point(c, seed, y, actual.get(y, 0.0), lo, mid, hi))
    return out

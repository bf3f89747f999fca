"""Sampling plans for post-clearance inspection with acceptance number zero.

A task's released land is a *lot*, divided into sample plots of equal area; a plan says how
many plots to inspect so that a lot whose share of faulty plots is at the *limiting quality*
(LQ) or worse is accepted with a probability of at most ``1 - confidence`` (the consumer's
risk), when the lot is accepted only if no inspected plot is faulty (acceptance number c = 0).
This is the limiting-quality approach of ISO 2859-2 that IMAS 09.20 cites: procedure A
(an isolated lot of known size, the hypergeometric distribution), and the binomial
distribution for a lot so large that sampling without replacement no longer matters.

The probabilities come from :mod:`scipy.stats`; see docs/quality.md for the formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mineaction.errors import BadValue

#: Default limiting quality (share of faulty plots) and consumer's confidence.
DEFAULT_LQ = 0.05
DEFAULT_CONFIDENCE = 0.95
#: Default sample plot: 10 m x 10 m.
DEFAULT_PLOT_M2 = 100.0


def _check(lq: float, confidence: float) -> None:
    if not 0 < lq < 1:
        raise BadValue.of("qm.lq_range", lq=lq)
    if not 0 < confidence < 1:
        raise BadValue.of("qm.confidence_range", confidence=confidence)


def accept_probability(n: int, lq: float, lot: int | None = None) -> float:
    """The probability that a sample of ``n`` plots holds no faulty plot when the lot is at
    the limiting quality: binomial for an unbounded lot, hypergeometric for a lot of ``lot``
    plots holding :func:`faulty_at_lq` faulty ones."""
    from scipy.stats import binom, hypergeom  # imported when needed: scipy.stats is slow to load

    if lot is None:
        return float(binom.pmf(0, n, lq))
    return float(hypergeom.pmf(0, lot, faulty_at_lq(lot, lq), n))


def faulty_at_lq(lot: int, lq: float) -> int:
    """The fewest faulty plots of a lot of ``lot`` plots whose share of faulty plots is at
    least ``lq``: ceil(lq x lot), at least 1. Acceptance is likelier the fewer faulty plots a
    lot holds, so this is the lot at the limiting quality that is hardest to reject."""
    return max(1, math.ceil(lq * lot - 1e-9))


def sample_size(lq: float, confidence: float, lot: int | None = None) -> int:
    """The fewest plots to inspect, accepting on zero faulty plots, so that a lot at the
    limiting quality ``lq`` is accepted with probability at most ``1 - confidence``.

    ``lot`` None: the binomial plan of an unbounded lot; otherwise the hypergeometric plan of
    a lot of ``lot`` plots (never more than the lot: inspecting every plot rejects any lot
    holding a faulty one)."""
    _check(lq, confidence)
    risk = 1.0 - confidence
    if lot is not None and lot < 1:
        return 0
    hi = math.ceil(math.log(risk) / math.log1p(-lq)) + 1  # the binomial plan bounds both
    if lot is not None:
        hi = min(hi, lot)
    lo = 1
    # accept_probability decreases with n: the least n reaching the risk, by bisection.
    while lo < hi:
        mid = (lo + hi) // 2
        if accept_probability(mid, lq, lot) <= risk + 1e-12:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class Plan:
    """The inspection plan of one lot (a task's released land)."""

    activity_id: str
    operator: str | None
    lot_m2: float
    plot_m2: float
    lot_plots: int  # plots in the lot: area / plot area, rounded down (0.5 m² tolerance), >= 1
    faulty_at_lq: int  # faulty plots of a lot at the limiting quality (hypergeometric)
    sample_plots: int
    lq: float
    confidence: float
    accept_at_lq: float  # probability of accepting a lot at the LQ with this sample

    @property
    def sample_m2(self) -> float:
        return min(self.sample_plots * self.plot_m2, self.lot_m2)

    @property
    def sample_share(self) -> float:
        return self.sample_m2 / self.lot_m2 if self.lot_m2 else 0.0


def plan(activity_id: str, lot_m2: float, *, lq: float = DEFAULT_LQ,
         confidence: float = DEFAULT_CONFIDENCE, plot_m2: float = DEFAULT_PLOT_M2,
         operator: str | None = None) -> Plan:
    """The plan for a lot of ``lot_m2`` m² cut into plots of ``plot_m2`` m² (procedure A,
    hypergeometric)."""
    _check(lq, confidence)
    if not plot_m2 > 0:
        raise BadValue.of("qm.plot_range", plot_m2=plot_m2)
    # Whole plots in the lot; half a square metre of measurement noise does not lose a plot.
    lot = max(1, int((lot_m2 + 0.5) // plot_m2))
    n = sample_size(lq, confidence, lot)
    return Plan(activity_id, operator, lot_m2, plot_m2, lot, faulty_at_lq(lot, lq), n, lq,
                confidence, accept_probability(n, lq, lot))

"""Sampling plans with acceptance number zero against published values, each value checked a
second time by direct summation (math.comb), independent of scipy."""

from __future__ import annotations

import datetime as dt
import json
from math import comb

import pytest

from mineaction.access import Actor, Role
from mineaction.errors import InvalidInput, NotFound
from mineaction.quality.sampling import accept_probability, faulty_at_lq, plan, sample_size
from mineaction.release.engine import record_hazards
from mineaction.services import quality, release
from mineaction.services.context import Context

from ..contract.test_release import activity, hazard, metric_box


def binomial_zero(n: int, p: float) -> float:
    return (1 - p) ** n


def hypergeometric_zero(n: int, lot: int, faulty: int) -> float:
    return comb(lot - faulty, n) / comb(lot, n)


def least_n(accept, risk: float, top: int) -> int:
    """The least n whose acceptance is at most ``risk``, by walking n up from 1."""
    for n in range(1, top + 1):
        if accept(n) <= risk:
            return n
    return top


# The classic c = 0 sample sizes for an unbounded lot (binomial): LQ 5% at 95% confidence
# needs 59 units, LQ 10% needs 29, LQ 1% needs 299, LQ 5% at 90% needs 45, LQ 10% at 90% 22.
@pytest.mark.parametrize(("lq", "confidence", "expected"), [
    (0.05, 0.95, 59), (0.10, 0.95, 29), (0.01, 0.95, 299), (0.05, 0.90, 45), (0.10, 0.90, 22),
    (0.02, 0.95, 149)])
def test_binomial_sample_sizes_match_the_published_values(lq, confidence, expected):
    assert sample_size(lq, confidence) == expected
    # second method: direct summation
    assert least_n(lambda n: binomial_zero(n, lq), 1 - confidence, 10_000) == expected
    assert binomial_zero(expected, lq) <= 1 - confidence < binomial_zero(expected - 1, lq)


# Finite lots (ISO 2859-2 procedure A, hypergeometric): a lot of 100 with 5 faulty units
# needs 45 at 95% confidence; a lot of 50 with 5 faulty needs 22; a lot of 20 with 1 faulty
# needs 19 (every unit but one); a lot of 1000 at LQ 5% needs 57, below the binomial 59.
@pytest.mark.parametrize(("lot", "lq", "confidence", "expected"), [
    (100, 0.05, 0.95, 45), (50, 0.10, 0.95, 22), (20, 0.05, 0.95, 19), (1000, 0.05, 0.95, 57),
    (200, 0.10, 0.95, 27)])
def test_hypergeometric_sample_sizes_for_finite_lots(lot, lq, confidence, expected):
    assert sample_size(lq, confidence, lot) == expected
    d = faulty_at_lq(lot, lq)
    assert d == round(lq * lot)
    assert least_n(lambda n: hypergeometric_zero(n, lot, d), 1 - confidence, lot) == expected
    assert accept_probability(expected, lq, lot) == pytest.approx(
        hypergeometric_zero(expected, lot, d), rel=1e-9)


def test_finite_lots_need_fewer_plots_and_tend_to_the_binomial():
    sizes = [sample_size(0.05, 0.95, lot) for lot in (100, 1000, 10_000, 1_000_000)]
    assert sizes == sorted(sizes) and sizes[-1] == 59


def test_faulty_plots_at_lq_round_up_and_a_tiny_lot_is_inspected_whole():
    assert faulty_at_lq(30, 0.05) == 2  # 1.5 faulty plots: a lot at 5% holds at least 2
    assert faulty_at_lq(10, 0.05) == 1
    assert sample_size(0.05, 0.95, 10) == 10
    assert sample_size(0.05, 0.95, 1) == 1


def test_a_plan_for_a_lot_in_square_metres():
    p = plan("A1", 10_000.0, plot_m2=100.0)
    assert (p.lot_plots, p.faulty_at_lq, p.sample_plots) == (100, 5, 45)
    assert p.sample_m2 == 4500.0 and p.sample_share == pytest.approx(0.45)
    assert p.accept_at_lq <= 0.05


@pytest.mark.parametrize("kw", [{"lq": 0.0}, {"lq": 1.0}, {"confidence": 1.0},
                                {"plot_m2": 0.0}])
def test_out_of_range_parameters_are_refused(kw):
    with pytest.raises(ValueError):
        plan("A1", 1000.0, **kw)


def _released(store):
    hs = [hazard("H1", metric_box(0, 0, 100, 100)), hazard("H2", metric_box(200, 0, 300, 100))]
    with store.transaction() as tx:
        tx.add_many(hs)
        record_hazards(tx, hs)
    ctx = Context(store, Actor("im", frozenset({Role.ADMIN})))
    a1 = activity("A1", "clearance", metric_box(0, 0, 100, 100), dt.date(2023, 2, 1))
    a2 = activity("A2", "clearance", metric_box(200, 0, 300, 50), dt.date(2023, 5, 1),
                  operator="OTHER")
    release.apply_activities(ctx, [a1, a2])
    return ctx


def test_plans_for_an_activity_and_for_a_period_and_operator(store):
    ctx = _released(store)
    (p,) = quality.plans(ctx, "A1")
    assert (p.lot_plots, p.sample_plots) == (100, 45)  # 10,000 m² in plots of 100 m²
    (p2,) = quality.plans(ctx, "A2", plot_m2=50.0)
    assert (p2.lot_plots, p2.sample_plots) == (100, 45)  # 5,000 m² in plots of 50 m²
    every = quality.plans(ctx, start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31))
    assert [p.activity_id for p in every] == ["A1", "A2"]
    assert [p.activity_id for p in quality.plans(ctx, operator="OTHER")] == ["A2"]
    assert quality.plans(ctx, start=dt.date(2023, 3, 1)) == [quality.plans(ctx, "A2")[0]]
    with pytest.raises(NotFound):
        quality.plans(ctx, "NOPE")
    with pytest.raises(InvalidInput):
        quality.plans(ctx, "A1", lq=2.0)


def test_qm_plan_command(store, store_url, capsys):
    from mineaction.cli import main

    _released(store)
    assert main(["--db", store_url, "qm", "plan", "A1", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["sample_plots"] == 45 and row["sample_m2"] == 4500.0
    assert main(["--db", store_url, "qm", "plan", "--lq", "0.1"]) == 0
    assert "A2" in capsys.readouterr().out
    assert main(["--db", store_url, "--lang", "ru", "qm", "plan", "--lq", "0.1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Планы инспекций: LQ 10.0%" in out and "делянок в выборке" in out
    assert "2 партии" in out and "к инспекции" in out and "sample plots" not in out
    assert main(["--db", store_url, "qm", "plan", "A1", "--lq", "1.5"]) == 2

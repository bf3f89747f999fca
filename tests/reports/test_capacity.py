"""Capacity records that name no kind of work are counted under 'not recorded' and said so,
never dropped."""

from __future__ import annotations

import datetime as dt

import pytest

from mineaction import domain as d
from mineaction.analysis import statistics as st
from mineaction.analysis.statistics import Period, Scope
from mineaction.reports import Options, build
from mineaction.store import Store

S = "synthetic:capacity-test"
Y = dt.date


def cap(cid: str, op: str, end: dt.date, kind: str | None, deminers: int, dogs: int = 0
        ) -> d.Capacity:
    return d.Capacity(id=cid, operator=op, period_start=Y(end.year, 1, 1), period_end=end,
                      activity_kind=d.ActivityKind(kind) if kind else None,
                      teams=max(1, deminers // 8), deminers=deminers, dogs=dogs, source=S)


@pytest.fixture
def programme(store: Store) -> Store:
    with store.transaction() as tx:
        tx.add_many([
            cap("C1", "Op A", Y(2024, 12, 31), "clearance", 40, dogs=2),
            cap("C2", "Op A", Y(2024, 12, 31), None, 16),
            cap("C3", "Op C", Y(2024, 6, 30), None, 24, dogs=1),
            cap("C4", "Op C", Y(2024, 12, 31), None, 32, dogs=3),  # the latest of Op C
            cap("C5", "Op C", Y(2023, 12, 31), None, 99),  # another year
        ])
    return store


YEAR = Scope(Period.of(2024))


def test_capacity_without_a_kind_is_counted_under_not_recorded(programme: Store) -> None:
    rep = build(programme, "capacity", YEAR)
    # The named kinds are as before.
    clearance = rep.table("clearance")
    assert [r["operator"].value for r in clearance.rows] == ["Op A"]
    assert clearance.cell("Op A", "operational_staff").value == 40
    assert rep.table("survey").rows == []
    # The others are a table of their own, the latest record of each operator.
    t = rep.table("not-recorded")
    assert t.cell("Op A", "personnel").value == 16
    assert t.cell("Op C", "personnel").value == 32
    assert t.cell("Op C", "personnel").figure.ids == ["C4"]
    assert t.cell("Op C", "mdds").value == 3
    assert t.total["personnel"].value == 48
    (note,) = [n for n in rep.notes if "no kind of work" in n]
    assert note.startswith("3 capacity records")  # C2, C3, C4; C5 is of 2023
    assert st.capacity_without_kind(programme, YEAR) == ["C2", "C3", "C4"]


def test_progress_counts_capacity_without_a_kind_with_its_operator(programme: Store) -> None:
    rep = build(programme, "progress", YEAR, Options(quarter=4))
    t = rep.table("capacity")
    assert t.cell("Op A", "deminers").value == 56  # 40 clearance + 16 not recorded
    assert t.cell("Op C", "deminers").value == 32
    assert any(st.NOT_RECORDED in n for n in t.notes)


def test_a_store_with_every_kind_recorded_has_no_such_table(store: Store) -> None:
    with store.transaction() as tx:
        tx.add(cap("C1", "Op A", Y(2024, 12, 31), "ts", 9))
    rep = build(store, "capacity", YEAR)
    assert [t.name for t in rep.tables] == ["survey", "clearance"]
    assert not [n for n in rep.notes if "no kind of work" in n]
    assert rep.table("survey").cell("Op A", "ts_personnel").value == 9

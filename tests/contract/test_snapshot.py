"""Answers made of several statements read one state of the store, on every adapter.

A page of features (:func:`mineaction.services.features.page`, the API's items) is a count (or
the ids in a box) and the page itself: a write committed by another connection between them (a
hazard added; one of the page's hazards moved out of the box) changes neither, and the next
page sees it. A report reads many layers: a write committed after its first statement is in
none of its figures, and in the next report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box

from mineaction import domain as d
from mineaction.access import Actor
from mineaction.domain.layers import get_layer
from mineaction.services import features
from mineaction.services.context import Context
from mineaction.store import Store, open_store
from mineaction.store.sql import SqlTransaction

S = "synthetic:test"
BOX = (50.3, 40.9, 51.7, 41.9)


def _hazard(i: int, x: float | None = None) -> d.Hazard:
    x, y = 50.5 + 0.05 * i if x is None else x, 41.2
    return d.Hazard(id=f"H{i}", kind=d.HazardKind.SHA, source=S, recorded_on=dt.date(2024, 1, 1),
                    geometry=MultiPolygon([box(x, y, x + 0.01, y + 0.01)]))


@pytest.mark.parametrize("bbox", [None, BOX], ids=["count", "box"])
def test_a_write_between_the_two_statements_changes_neither(store: Store, store_url: str,
                                                            monkeypatch: Any,
                                                            bbox: Any) -> None:
    with store.transaction() as tx:
        tx.add_many([_hazard(i) for i in range(3)])
    other = open_store(store_url)
    written: list[str] = []

    def then_write(name: str) -> Any:
        first = getattr(SqlTransaction, name)

        def wrapped(self: Any, *args: Any, **kw: Any) -> Any:
            out = first(self, *args, **kw)
            if not written:  # another connection adds a hazard in the box, moves one out
                with other.transaction() as tx:
                    tx.add(_hazard(3))
                    moved = tx.get(d.Hazard, "H1")
                    tx.update(dataclasses.replace(moved, geometry=_hazard(1, 52.5).geometry))
                written.append("H3")
            return out
        return wrapped

    for name in ("count", "scan"):
        monkeypatch.setattr(SqlTransaction, name, then_write(name))
    ctx = Context(store, Actor.local("tester"))
    layer = get_layer("hazards")
    try:
        got = features.page(ctx, layer, bbox=bbox, limit=10)
        assert written == ["H3"]  # the write did land between the statements
        assert got.matched == got.returned == 3
        assert [r.id for r in got.records] == ["H0", "H1", "H2"]
        assert got.records[1].geometry.bounds[0] == pytest.approx(50.55)  # as it was
        again = features.page(ctx, layer, bbox=bbox, limit=10)
        assert again.matched == again.returned == (4 if bbox is None else 3)
        assert ("H1" in [r.id for r in again.records]) == (bbox is None)
    finally:
        other.close()


READS = ("iter", "query", "count", "scan", "aggregate", "get")


def _reports_csv(ctx: Context) -> Any:
    from mineaction.services import reports

    return reports.render(reports.for_people(reports.build(ctx, "land-release",
                                                           reports.period(2024))), "csv")


def _summary(ctx: Context) -> Any:
    from mineaction.services.summary import summary

    s = summary(ctx)
    return s.counts, s.hazard_area, s.released


@pytest.mark.parametrize("make", [_reports_csv, _summary], ids=["report", "summary"])
def test_a_write_while_a_report_is_built_is_in_none_of_its_figures(
        store: Store, store_url: str, monkeypatch: Any, make: Any) -> None:
    with store.transaction() as tx:
        tx.add_many([_hazard(i) for i in range(3)])
    ctx = Context(store, Actor.local("tester"))

    def csv() -> Any:
        return make(ctx)

    before = csv()
    other = open_store(store_url)
    written: list[str] = []
    first = {name: getattr(SqlTransaction, name) for name in READS}

    def then_write(name: str) -> Any:
        def wrapped(self: Any, *args: Any, **kw: Any) -> Any:
            out = first[name](self, *args, **kw)
            if not written and not self.writable:  # after the report's first read
                written.append(name)
                with other.transaction() as tx:
                    tx.add(_hazard(5))
            return out
        return wrapped

    for name in READS:
        monkeypatch.setattr(SqlTransaction, name, then_write(name))
    try:
        during = csv()
        assert written  # the write did land while the report was built
        after = csv()
    finally:
        other.close()
    assert during == before
    assert after != before  # the new hazard's land is in the next report


def test_a_context_snapshot_reads_one_state_of_the_store(store: Store, store_url: str) -> None:
    """``Context.snapshot()`` (used by the handover certificate): its reader sees the store
    as it was at its first read, a snapshot inside it is the same, and the context outside
    sees the write."""
    with store.transaction() as tx:
        tx.add_many([_hazard(i) for i in range(2)])
    ctx = Context(store, Actor.local("tester"))
    other = open_store(store_url)
    try:
        with ctx.snapshot() as pinned:
            assert pinned.reader.count("hazards") == 2
            with other.transaction() as tx:
                tx.add(_hazard(2))
            assert pinned.reader.count("hazards") == 2
            assert [h.id for h in pinned.reader.iter("hazards")] == ["H0", "H1"]
            with pinned.snapshot() as inner:
                assert inner is pinned
            assert ctx.reader.count("hazards") == 3
    finally:
        other.close()

"""Ordering that both adapters must share: empty values first, text by code point."""

from __future__ import annotations

from mineaction import domain as d
from mineaction.store import Query

from .samples import sample

NAMES = ["b", "B", "a", "É", "ш", None, "Z", "ə", "a"]


def _fill(store) -> None:
    with store.transaction() as tx:
        for i, name in enumerate(NAMES):
            h = sample("hazards", i)
            h.name = name
            h.estimated_mines = None if i % 4 == 0 else 10 - i
            h.threat = None if i % 3 == 0 else d.Threat.HIGH
            tx.add(h)


def test_order_by_text_is_by_code_point_with_empty_first(store):
    _fill(store)
    got = [(h.name, h.id) for h in store.iter("hazards", Query(order_by="name"))]
    assert got == [(None, "H5"), ("B", "H1"), ("Z", "H6"), ("a", "H2"), ("a", "H8"),
                   ("b", "H0"), ("É", "H3"), ("ə", "H7"), ("ш", "H4")]
    assert [h.id for h in store.iter("hazards", name="a")] == ["H2", "H8"]  # case matters
    assert store.count("hazards", name="A") == 0


def test_order_by_number_puts_empty_first(store):
    _fill(store)
    got = [h.estimated_mines for h in store.iter("hazards", Query(order_by="estimated_mines"))]
    assert got == [None, None, None, 3, 4, 5, 7, 8, 9]


def test_aggregate_groups_are_ordered_with_empty_first(store):
    _fill(store)
    rows = store.aggregate("hazards", ["threat"], sums=["estimated_mines"], with_ids=True)
    assert [(r["threat"], r["count"], r["estimated_mines"], r["ids"]) for r in rows] == [
        (None, 3, 7 + 4, ["H0", "H3", "H6"]),
        ("high", 6, 9 + 8 + 5 + 3, ["H1", "H2", "H4", "H5", "H7", "H8"]),
    ]

"""``Reader.scan``: the features a typed read returns, as columns (ids, WKB, the fields asked
for), on every adapter, and for an actor exactly what their typed read gives them (rows,
fields, generalised geometries, refusals)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from mineaction import domain as d
from mineaction.access import Actor, Role
from mineaction.errors import Forbidden
from mineaction.store import Query, Store
from mineaction.store.rows import to_row

S = "synthetic:test"
D = dt.date(2023, 5, 17)


def _fill(store: Store) -> None:
    hazards = [d.Hazard(id=f"H{i}", kind=d.HazardKind.SHA if i % 2 else d.HazardKind.CHA,
                        geometry=MultiPolygon([box(50.5 + 0.05 * i, 41.0 + 0.03 * i,
                                                   50.52 + 0.05 * i, 41.02 + 0.03 * i)]),
                        name=f"Ərazi {i}", owner="AX" if i < 5 else "AY",
                        country="XV" if i < 5 else "XW", recorded_on=D, source=S)
               for i in range(8)]
    finds = [d.Find(id=f"F{i}", category=d.EOCategory.AP, quantity=i + 1, found_on=D,
                    geometry=Point(50.51 + 0.05 * i, 41.01 + 0.03 * i),
                    owner="AX" if i < 3 else "AY", country="XV" if i < 3 else "XW", source=S)
             for i in range(6)]
    orgs = [d.Organisation(id=f"O{i}", name=f"Org {i}", kind=d.OrganisationKind.OPERATOR)
            for i in range(3)]
    with store.transaction() as tx:
        tx.add_many([*hazards, *finds, *orgs])


def _same(reader: Any, layer: str, columns: tuple[str, ...] = (), **kw: Any) -> Any:
    """``reader.scan`` against ``reader.iter`` with the same filters: the same features in
    the same order, the same geometries (as the reader sees them) and values."""
    got = reader.scan(layer, columns=columns, **kw)
    where = dict(kw.get("where") or {})
    if kw.get("ids") is not None:
        where["id"] = list(kw["ids"])
    records = list(reader.iter(layer, Query(where=where or None, bbox=kw.get("bbox"),
                                            intersects=kw.get("intersects"))))
    assert got.ids == [r.id for r in records]
    spatial = hasattr(records[0], "geometry") if records else bool(got.wkb)
    if spatial:
        assert len(got.wkb) == len(got.ids)
        assert all(shapely.equals_exact(g, r.geometry, 0.0)
                   for g, r in zip(got.geometries(), records, strict=True))
    else:
        assert got.wkb == []
    for name in columns:
        assert got.columns[name] == [_row(r)[name] for r in records]
    return got


def _row(record: Any) -> dict[str, Any]:
    from mineaction.domain.layers import get_layer

    return to_row(get_layer(type(record)), record)


def test_scan_returns_what_the_typed_read_returns_and_applies_the_policy(store: Store
                                                                         ) -> None:
    _fill(store)  # one store for both halves: building one costs more than the checks
    _plain(store)
    _policed(store)


def _plain(store: Store) -> None:
    every = _same(store, "hazards", ("kind", "name", "recorded_on"))
    assert every.ids == [f"H{i}" for i in range(8)]
    assert every.columns["kind"][:2] == [d.HazardKind.CHA.value, d.HazardKind.SHA.value]
    assert every.columns["name"][0] == "Ərazi 0"
    assert every.columns["recorded_on"][0] == D
    assert shapely.from_wkb(every.wkb[1]).bounds == pytest.approx((50.55, 41.03, 50.57, 41.05))
    # a box through two hazards, one of them touched on its corner only
    got = _same(store, "hazards", bbox=(50.56, 41.04, 50.6, 41.06))
    assert got.ids == ["H1", "H2"]
    # a triangle whose envelope holds H2 and H3 but that misses them
    tri = Polygon([(50.5, 41.0), (50.7, 41.0), (50.5, 41.11)])
    assert _same(store, "hazards", intersects=tri, columns=("kind",)).ids == ["H0", "H1"]
    assert _same(store, "finds", ("quantity",), ids=["F4", "F1", "F9"]).ids == ["F1", "F4"]
    assert _same(store, "finds", bbox=(50.55, 41.03, 50.6, 41.06), ids=["F0", "F1"]).ids \
        == ["F1"]
    assert _same(store, "hazards", where={"kind": d.HazardKind.SHA}).ids == ["H1", "H3", "H5", "H7"]
    empty = store.scan("hazards", bbox=(51.6, 41.8, 51.7, 41.9), columns=("kind",))
    assert (len(empty), empty.ids, empty.wkb, empty.columns) == (0, [], [], {"kind": []})
    assert len(store.scan("finds", ids=[])) == 0
    orgs = _same(store, "organisations", ("name",))
    assert (orgs.ids, orgs.wkb, orgs.columns["name"]) == (["O0", "O1", "O2"], [],
                                                          ["Org 0", "Org 1", "Org 2"])
    with pytest.raises(KeyError):
        store.scan("hazards", columns=("nothing",))
    with pytest.raises(KeyError):
        store.scan("organisations", bbox=(50, 41, 51, 42))
    with store.reading() as r:  # a transaction's reads scan too
        assert r.scan("hazards", bbox=(50.56, 41.04, 50.6, 41.06)).ids == ["H1", "H2"]


def _policed(store: Store) -> None:
    public = store.as_actor(Actor.anonymous())
    with pytest.raises(Forbidden):
        public.scan("finds")
    shown = _same(public, "hazards", ("kind", "owner"))
    assert shown.ids == [f"H{i}" for i in range(8)]
    exact = store.scan("hazards")
    # generalised: no exact geometry reaches the public through a scan
    assert not any(shapely.equals(a, b) for a, b in zip(shown.geometries(),
                                                         exact.geometries(), strict=True))
    _same(public, "hazards", bbox=(50.56, 41.04, 50.6, 41.06))
    _same(public, "hazards", intersects=Polygon([(50.5, 41.0), (50.7, 41.0),
                                                 (50.5, 41.11)]))
    ay = store.as_actor(Actor("ay", frozenset({Role.ANALYST}), org_id="AY", country="XW",
                              user_id="ay", org_kind="operator"))
    assert _same(ay, "finds", ("quantity", "owner")).ids == ["F3", "F4", "F5"]
    assert _same(ay, "finds", ids=["F0", "F4"]).ids == ["F4"]
    assert _same(ay, "finds", bbox=(50.5, 41.0, 50.6, 41.1)).ids == []
    _same(ay, "hazards", ("kind", "owner"), bbox=(50.5, 41.0, 51.0, 41.3))

"""The store contract: every adapter must pass every test here, unchanged."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from shapely.geometry import LineString, MultiPolygon, Point, box

from mineaction import domain as d
from mineaction.errors import Conflict, NotFound, StoreError
from mineaction.store import Query, open_store
from mineaction.store.migrations import LATEST

from .samples import CORE_LAYERS, sample


def same(a, b) -> bool:
    fa, fb = dataclasses.asdict(a), dataclasses.asdict(b)
    ga, gb = fa.pop("geometry", None), fb.pop("geometry", None)
    if (ga is None) != (gb is None):
        return False
    return fa == fb and (ga is None or ga.equals_exact(gb, 1e-12))


def test_new_store_is_at_latest_schema_and_create_is_idempotent(store):
    assert store.schema_version() == LATEST
    assert store.create() == []
    store.require_current()


def test_unopened_store_says_it_needs_init(store_url):
    s = open_store(store_url)
    try:
        if s.schema_version() == 0:
            with pytest.raises(StoreError, match="init"):
                s.require_current()
    finally:
        s.close()


@pytest.mark.parametrize("layer", CORE_LAYERS)
def test_every_layer_round_trips_every_field(store, layer):
    rec = sample(layer)
    with store.transaction() as tx:
        tx.add(rec)
    back = store.get(type(rec), rec.id)
    assert same(back, rec), (back, rec)
    assert back.version == 1
    assert store.count(layer) == 1


def test_polygon_is_stored_as_multipolygon(store):
    h = d.Hazard(id="H", kind=d.HazardKind.SHA, geometry=box(50.5, 41.0, 50.6, 41.1))
    with store.transaction() as tx:
        tx.add(h)
    assert store.get(d.Hazard, "H").geometry.geom_type == "MultiPolygon"


def test_get_missing_raises_not_found(store):
    with pytest.raises(NotFound):
        store.get(d.Hazard, "nope")


def test_failed_transaction_writes_nothing(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.add_many([sample("hazards", i) for i in range(5)])
        assert tx.count("hazards") == 5  # a transaction sees its own writes
        raise RuntimeError("boom")
    assert store.count("hazards") == 0


def test_duplicate_id_is_a_conflict_and_writes_nothing(store):
    with store.transaction() as tx:
        tx.add(sample("hazards", 1))
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.add(sample("hazards", 2))
        tx.add(sample("hazards", 1))
    assert {h.id for h in store.iter("hazards")} == {"H1"}


def test_where_filters(store):
    with store.transaction() as tx:
        for i in range(6):
            h = sample("hazards", i)
            h.threat = [d.Threat.HIGH, d.Threat.LOW, None][i % 3]
            tx.add(h)
    assert [h.id for h in store.iter("hazards", threat="high")] == ["H0", "H3"]
    assert [h.id for h in store.iter("hazards", threat=["low", "high"])] == \
        ["H0", "H1", "H3", "H4"]
    assert [h.id for h in store.iter("hazards", threat=None)] == ["H2", "H5"]
    assert store.count("hazards", threat=d.Threat.LOW) == 2
    with pytest.raises(KeyError):
        store.count("hazards", colour="red")


def test_order_limit_offset(store):
    with store.transaction() as tx:
        tx.add_many([sample("hazards", i) for i in (3, 1, 2, 0)])
    assert [h.id for h in store.iter("hazards")] == ["H0", "H1", "H2", "H3"]
    assert [h.id for h in store.iter("hazards", Query(limit=2, offset=1))] == ["H1", "H2"]


def test_bbox_and_intersects(store):
    # sample n sits at x = 50.5 + n/100, width 0.005
    with store.transaction() as tx:
        tx.add_many([sample("hazards", i) for i in range(10)])
        tx.add_many([sample("finds", i) for i in range(10)])
    assert [h.id for h in store.iter("hazards", bbox=(50.519, 40.9, 50.541, 41.1))] == \
        ["H2", "H3", "H4"]
    # a line crossing H5 only; its bbox also covers H6's, but it does not intersect H6
    line = LineString([(50.551, 41.001), (50.562, 41.2)])
    assert [h.id for h in store.iter("hazards", intersects=line)] == ["H5"]
    # touching counts as intersecting
    touching = box(50.505, 41.0, 50.506, 41.001)
    assert [h.id for h in store.iter("hazards", intersects=touching)] == ["H0"]
    assert [f.id for f in store.iter("finds", intersects=box(50.5, 41.0, 50.52, 41.01))] == \
        ["F0", "F1"]
    assert store.count("hazards", intersects=line) == 1
    assert [h.id for h in store.iter("hazards", Query(intersects=box(50.5, 40.9, 50.6, 41.1),
                                                      limit=2, offset=1))] == ["H1", "H2"]


def test_spatial_index_follows_updates(store):
    with store.transaction() as tx:
        tx.add(sample("hazards", 0))
    h = store.get(d.Hazard, "H0")
    h.geometry = MultiPolygon([box(51.0, 41.5, 51.01, 41.51)])
    with store.transaction() as tx:
        tx.update(h)
    assert store.count("hazards", bbox=(50.49, 40.9, 50.51, 41.1)) == 0
    assert [x.id for x in store.iter("hazards", bbox=(50.99, 41.49, 51.02, 41.52))] == ["H0"]


def test_update_checks_version(store):
    with store.transaction() as tx:
        tx.add(sample("hazards", 0))
    a = store.get(d.Hazard, "H0")
    b = store.get(d.Hazard, "H0")
    a.threat = d.Threat.LOW
    with store.transaction() as tx:
        tx.update(a)
    assert a.version == 2
    b.name = "stale edit"
    with pytest.raises(Conflict, match="changed by someone else"), store.transaction() as tx:
        tx.update(b)
    stored = store.get(d.Hazard, "H0")
    assert stored.threat == d.Threat.LOW and stored.name == sample("hazards", 0).name
    with pytest.raises(NotFound), store.transaction() as tx:
        tx.update(dataclasses.replace(a, id="missing"))


def test_two_editors_one_conflict_no_lost_write(store_url, store):
    with store.transaction() as tx:
        tx.add(sample("hazards", 0))
    other = open_store(store_url)
    try:
        first = store.get(d.Hazard, "H0")
        second = other.get(d.Hazard, "H0")
        first.estimated_mines = 100
        second.estimated_mines = 200
        results: list[object] = []
        barrier = threading.Barrier(2)

        def edit(s, rec):
            barrier.wait()
            try:
                with s.transaction() as tx:
                    tx.update(rec)
                results.append("ok")
            except Conflict as exc:
                results.append(exc)

        threads = [threading.Thread(target=edit, args=(store, first)),
                   threading.Thread(target=edit, args=(other, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count("ok") == 1
        assert sum(isinstance(r, Conflict) for r in results) == 1
        final = store.get(d.Hazard, "H0")
        assert final.version == 2
        assert final.estimated_mines in (100, 200)
    finally:
        other.close()


def test_existing_ids_and_extent(store):
    with store.transaction() as tx:
        tx.add_many([sample("finds", i) for i in range(3)])
    assert store.existing_ids("finds", ["F0", "F2", "F9"]) == {"F0", "F2"}
    minx, miny, maxx, maxy = store.extent("finds")
    assert (minx, maxx) == pytest.approx((50.501, 50.521))
    assert store.extent("capacity") is None


def test_bulk_add_streams_in_batches(store):
    n = 5000
    seen = []
    with store.transaction() as tx:
        tx.add_many((d.Find(id=f"F{i}", category=d.EOCategory.AV, geometry=Point(
            50.5 + (i % 100) * 0.001, 41 + (i // 100) * 0.001)) for i in range(n)),
            progress=seen.append)
    assert sum(seen) == n
    assert store.count("finds") == n
    assert store.count("finds", bbox=(50.5, 41.0, 50.5095, 41.0095)) == 100


@pytest.mark.parametrize("layer", ["hazards", "finds"])
def test_insert_columns_stores_what_add_many_does(store, new_store_url, layer):
    """A bulk load given as columns: the same stored records (every field, the geometry, a
    polygon as a multipolygon), the R-tree, one audit entry per record, an existing id a
    Conflict with nothing written."""
    from mineaction.store.rows import to_row

    records = [sample(layer, i) for i in range(300)]
    if layer == "hazards":
        records[0].geometry = box(50.5, 41.0, 50.6, 41.1)  # a polygon
    rows = [to_row(store_layer(layer), r) for r in records]
    columns = {k: [row[k] for row in rows] for k in rows[0] if k not in ("geom", "version")}
    seen = []
    with store.transaction() as tx:
        assert tx.insert_columns(layer, columns, [r.geometry for r in records],
                                 progress=seen.append) == 300
    assert seen == [300] and columns["version"] == [1] * 300
    with open_store(new_store_url()) as other:
        other.create()
        with other.transaction() as tx:
            tx.add_many(records)
        assert [dataclasses.asdict(r) for r in store.iter(layer)] == [
            dataclasses.asdict(r) for r in other.iter(layer)]
    assert store.get(layer, records[0].id).geometry.geom_type == (
        "MultiPolygon" if layer == "hazards" else "Point")
    assert store.count(layer, bbox=records[5].geometry.bounds) >= 1
    with store.transaction() as tx:
        logged = tx.conn.exec_driver_sql(
            "SELECT count(*) FROM audit_log WHERE layer = ?" if "gpkg" in store.url else
            "SELECT count(*) FROM audit_log WHERE layer = %s", (layer,)).scalar()
    assert logged == 300
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.insert_columns(layer, {k: v[:2] for k, v in columns.items()},
                          [r.geometry for r in records[:2]])
    assert store.count(layer) == 300


def store_layer(name):
    from mineaction.domain.layers import get_layer

    return get_layer(name)


def test_a_bulk_load_of_records_without_geometry(store):
    """Records of a spatial layer all without geometry, loaded at once (a batch large enough
    for the GeoPackage to fill its R-tree in one statement): stored, nothing indexed."""
    import datetime as dt

    from mineaction.store.geopackage import BULK_RTREE_ROWS

    n = BULK_RTREE_ROWS + 1
    with store.transaction() as tx:
        tx.add_many(d.QualityEvent(id=f"Q{i}", kind="qa_visit", held_on=dt.date(2024, 1, 1))
                    for i in range(n))
    assert store.count("quality") == n
    assert store.count("quality", bbox=(-180, -90, 180, 90)) == 0

"""GeoParquet export: typed columns, WKB geometry with a bbox covering, GeoParquet 1.1
metadata, as the actor may read the layer; read back by pyarrow + shapely and by DuckDB."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box

from mineaction import domain as d
from mineaction.access import Actor
from mineaction.services import exports
from mineaction.services.context import Context
from mineaction.store import open_store

#: The parts of the GeoParquet 1.1 metadata schema (geoparquet.org, schema.json) that a file
#: of ours must meet.
GEO_SCHEMA = {
    "type": "object",
    "required": ["version", "primary_column", "columns"],
    "properties": {
        "version": {"const": "1.1.0"},
        "primary_column": {"type": "string", "minLength": 1},
        "columns": {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "object", "required": ["encoding", "geometry_types"],
            "properties": {
                "encoding": {"enum": ["WKB"]},
                "geometry_types": {"type": "array", "uniqueItems": True, "items": {
                    "pattern": "^(GeometryCollection|(Multi)?(Point|LineString|Polygon))"
                               "( Z)?$"}},
                "crs": {"oneOf": [{"type": "object"}, {"type": "null"}]},
                "edges": {"enum": ["planar", "spherical"]},
                "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4,
                         "maxItems": 4},
                "covering": {"type": "object", "required": ["bbox"], "properties": {
                    "bbox": {"type": "object",
                             "required": ["xmin", "ymin", "xmax", "ymax"],
                             "additionalProperties": {
                                 "type": "array", "items": {"type": "string"},
                                 "minItems": 2, "maxItems": 2}}}},
            }}},
    },
}

D = dt.date(2023, 5, 17)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("gpq") / "m.gpkg")
    store = open_store(path)
    store.create()
    with store.transaction() as tx:
        for n in range(6):
            x = 50.5 + n * 0.0101  # vertices off any grid
            tx.add(d.Hazard(id=f"H{n}", kind=d.HazardKind.CHA, threat=d.Threat.HIGH,
                            contamination=frozenset({d.EOCategory.AP}), recorded_on=D,
                            estimated_mines=n, name=f"field {n}",
                            geometry=MultiPolygon([box(x, 41.0013, x + 0.0057, 41.0049)]),
                            source="synthetic:test"))
            tx.add(d.Find(id=f"F{n}", category=d.EOCategory.AP if n % 2 else d.EOCategory.UXO,
                          model="PMN-2", quantity=n + 1, found_on=D - dt.timedelta(days=n),
                          geometry=Point(x + 0.00123456789, 41.00198765), source="synthetic:test"))
    store.close()
    return path


def _export(db: str, layer: str, out: Path, actor: Actor | None = None) -> int:
    store = open_store(db)
    try:
        ctx = Context(store) if actor is None else Context(store, actor=actor)
        exports.check(layer, out, None, [Path(db)])
        return exports.export(ctx, layer, out)
    finally:
        store.close()


def test_geoparquet_round_trips_with_valid_metadata(db: str, tmp_path: Path) -> None:
    out = tmp_path / "finds.parquet"
    assert _export(db, "finds", out) == 6
    table = pq.read_table(out)
    geo = json.loads(table.schema.metadata[b"geo"])
    jsonschema.validate(geo, GEO_SCHEMA)
    col = geo["columns"][geo["primary_column"]]
    assert col["geometry_types"] == ["Point"] and col["crs"]["id"]["code"] == "CRS84"
    rows = table.to_pylist()
    store = open_store(db)
    try:
        stored = {f.id: f for f in store.iter("finds")}
    finally:
        store.close()
    assert [r["id"] for r in rows] == sorted(stored)
    for r in rows:
        f = stored[r["id"]]
        assert shapely.from_wkb(r["geometry"]).equals_exact(f.geometry, 0.0)
        assert (r["quantity"], r["found_on"], r["category"]) == (
            f.quantity, f.found_on, f.category.value)
        assert r["bbox"] == dict(zip(["xmin", "ymin", "xmax", "ymax"], f.geometry.bounds,
                                     strict=True))
    xs = [r["bbox"]["xmin"] for r in rows]
    assert col["bbox"][0] == min(xs) and col["bbox"][2] == max(xs)


def test_duckdb_sums_and_filters_the_export(db: str, tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "finds.parquet"
    _export(db, "finds", out)
    con = duckdb.connect()
    got = con.execute(f"SELECT category, sum(quantity), count(*) FROM '{out}' "
                      "GROUP BY category ORDER BY category").fetchall()
    assert got == [("ap", 2 + 4 + 6, 3), ("uxo", 1 + 3 + 5, 3)]
    near = con.execute(f"SELECT id FROM '{out}' WHERE bbox.xmin <= 50.52 AND "
                       "bbox.xmax >= 50.5 ORDER BY id").fetchall()
    assert near == [("F0",), ("F1",)]


def test_the_public_gets_the_generalised_view(db: str, tmp_path: Path) -> None:
    out = tmp_path / "hazards.parquet"
    assert _export(db, "hazards", out, Actor.anonymous()) == 6
    rows = pq.read_table(out).to_pylist()
    store = open_store(db)
    try:
        public = {h.id: h for h in store.as_actor(Actor.anonymous()).iter("hazards")}
        exact = {h.id: h for h in store.iter("hazards")}
    finally:
        store.close()
    for r in rows:
        g = shapely.from_wkb(r["geometry"])
        assert g.equals_exact(public[r["id"]].geometry, 0.0)
        assert not g.equals_exact(exact[r["id"]].geometry, 1e-9)

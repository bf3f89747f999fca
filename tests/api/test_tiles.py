"""Vector tiles (OGC API Tiles, Mapbox Vector Tiles): the tiles decode to the features of the
layer in the tile, clipped at its edge, as the reader may see them (the public: hazards and
released land on the grid, accidents as counts per area with small counts withheld), the
same on both stores; the endpoints' metadata, ETags, empty tiles and zoom limits."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import mapbox_vector_tile
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box, shape

from mineaction import domain as d
from mineaction.access import Actor
from mineaction.access.generalise import grid_cells
from mineaction.api import create_app
from mineaction.domain.release import ReleaseStep
from mineaction.services import tiles
from mineaction.services.context import Context
from mineaction.store import Store, open_store
from tests.api.conftest import served
from tests.conftest import STORE_URLS, adapters

SRC = "synthetic: tile tests"
TO_LONLAT = pyproj.Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """(z, row, column) of the WebMercatorQuad tile holding (lon, lat)."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * n)
    return z, y, x


def records() -> list[Any]:
    area = {"owner": "AX", "country": "XV", "source": SRC}
    out: list[Any] = [
        d.AdminArea(id="A1", name="District one", level=2, country="XV", source=SRC,
                    geometry=MultiPolygon([box(50.3, 41.1, 50.9, 41.6)])),
        d.AdminArea(id="A2", name="District two", level=2, country="XV", source=SRC,
                    geometry=MultiPolygon([box(51.2, 41.1, 51.6, 41.6)])),
        # inside tile z11 (1310, 742); H2 crosses its east edge (50.449 E); H3 is closed
        d.Hazard(id="H1", kind="cha", geometry=MultiPolygon([box(50.40, 41.30, 50.42, 41.31)]),
                 admin_area_id="A1", **area),
        # H5: another outline, the same grid cells as H1 (and the same kind)
        d.Hazard(id="H5", kind="cha", geometry=MultiPolygon([box(50.40, 41.30, 50.419, 41.31)]),
                 admin_area_id="A1", **area),
        d.Hazard(id="H2", kind="sha", geometry=MultiPolygon([box(50.44, 41.30, 50.47, 41.31)]),
                 admin_area_id="A1", **area),
        d.Hazard(id="H3", kind="cha", status="closed", closed_on=dt.date(2022, 5, 1),
                 geometry=MultiPolygon([box(50.43, 41.32, 50.44, 41.33)]), admin_area_id="A1",
                 **area),
        d.Hazard(id="H4", kind="sha", geometry=MultiPolygon([box(51.40, 41.40, 51.41, 41.41)]),
                 admin_area_id="A2", **area),
    ]
    for i, (method, kind, year) in enumerate((("cancelled", "nts", 2021),
                                              ("reduced", "ts", 2022),
                                              ("cleared", "clearance", 2023))):
        x = 50.45 + 0.02 * i
        out.append(ReleaseStep(id=f"S{i}", activity_id=f"ACT{i}", hazard_id="H3",
                                 method=method, activity_kind=kind, area_m2=1000.0 + i,
                                 released_on=dt.date(year, 6, 1), admin_area_id="A1",
                                 geometry=MultiPolygon([box(x, 41.32, x + 0.005, 41.325)]),
                                 **area))
    out.append(ReleaseStep(id="S9", activity_id="ACT9", hazard_id="H3", method="cleared",
                             activity_kind="clearance", area_m2=5.0, admin_area_id="A1",
                             released_on=dt.date(2023, 7, 1), rejected_by="QC1",
                             rejected_on=dt.date(2023, 8, 1),
                             geometry=MultiPolygon([box(50.50, 41.33, 50.505, 41.335)]),
                             **area))
    # six accidents in A1 (shown as a count), two in A2 (withheld from the public)
    for i in range(8):
        where = ("A1", 50.5 + 0.01 * i) if i < 6 else ("A2", 51.3 + 0.01 * i)
        out.append(d.Accident(id=f"X{i}", geometry=Point(where[1], 41.35),
                              admin_area_id=where[0], occurred_on=dt.date(2021, 1, 1 + i),
                              **area))
    return out


@pytest.fixture(scope="module")
def stores(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, Store]]:
    """The same records in a store of each adapter."""
    made: dict[str, Store] = {}
    try:
        for name in adapters(request.config):
            folder: Path = tmp_path_factory.mktemp(f"tiles-{name}")
            store = open_store(STORE_URLS[name](folder, request))
            store.create()
            with store.transaction() as tx:
                tx.add_many(records())
            made[name] = store
        yield made
    finally:
        for store in made.values():
            store.close()


def decoded(ctx: Context, collection: str, z: int, y: int, x: int) -> list[dict[str, Any]]:
    found = tiles.tile(ctx, collection, z, y, x)
    if found.data is None:
        return []
    layers = mapbox_vector_tile.decode(found.data)
    assert list(layers) == [tiles.TILESETS[collection].layer]
    return list(layers[tiles.TILESETS[collection].layer]["features"])


def lonlat(feature: dict[str, Any], z: int, y: int, x: int) -> Any:
    """A decoded feature's geometry back in longitude and latitude."""
    minx, miny, maxx, maxy = tiles.tile_bounds(z, y, x)
    k = (maxx - minx) / tiles.EXTENT

    def fn(xy: Any) -> Any:
        import numpy as np
        return np.column_stack(TO_LONLAT.transform(minx + xy[:, 0] * k, miny + xy[:, 1] * k))

    return shapely.transform(shape(feature["geometry"]), fn)


def admin(store: Store) -> Context:
    return Context(store, Actor.local("tester"))


def public(store: Store) -> Context:
    return Context(store, Actor.anonymous())


Z, Y, X = tile_of(50.41, 41.305, 10)
#: The zoom 11 tile of H1: hazards are drawn from zoom 11 (``tiles.COUNTS_BELOW``).
HZ, HY, HX = tile_of(50.41, 41.305, 11)
#: The zoom 6 tiles of the two areas' points.
AREA_TILES = (tile_of(50.6, 41.35, 6), tile_of(51.4, 41.35, 6))


def test_a_tile_decodes_to_the_open_hazards_in_it(stores: dict[str, Store]) -> None:
    for store in stores.values():
        feats = decoded(admin(store), "hazards", HZ, HY, HX)
        assert {f["properties"]["id"]: f["properties"]["kind"] for f in feats} == \
            {"H1": "cha", "H2": "sha", "H5": "cha"}  # not the closed H3, not H4 elsewhere
        h1 = next(f for f in feats if f["properties"]["id"] == "H1")
        exact = box(50.40, 41.30, 50.42, 41.31)
        back = lonlat(h1, HZ, HY, HX)
        # the same polygon, to a unit of the tile (about 5 m at zoom 11)
        assert back.symmetric_difference(exact).area < 0.01 * exact.area


def test_a_feature_is_clipped_at_the_tile_edge(stores: dict[str, Store]) -> None:
    store = next(iter(stores.values()))
    east = (HZ, HY, HX + 1)
    for z, y, x in ((HZ, HY, HX), east):
        h2 = [f for f in decoded(admin(store), "hazards", z, y, x)
              if f["properties"]["id"] == "H2"]
        assert len(h2) == 1
        xs = [p[0] for p in shapely.get_coordinates(shape(h2[0]["geometry"]))]
        assert min(xs) >= -tiles.BUFFER and max(xs) <= tiles.EXTENT + tiles.BUFFER
        # it reaches beyond this tile's edge, so it is cut at the buffer's line
        assert (max(xs) == tiles.EXTENT + tiles.BUFFER) if x == HX else \
            (min(xs) == -tiles.BUFFER)
    # a hazard lying wholly inside the tile is not cut
    h1 = next(f for f in decoded(admin(store), "hazards", HZ, HY, HX)
              if f["properties"]["id"] == "H1")
    xs = [p[0] for p in shapely.get_coordinates(shape(h1["geometry"]))]
    assert 0 < min(xs) < max(xs) < tiles.EXTENT


def test_the_public_sees_hazards_on_the_grid(stores: dict[str, Store]) -> None:
    cells = grid_cells(box(50.40, 41.30, 50.42, 41.31), 5.0)
    assert cells.equals(grid_cells(box(50.40, 41.30, 50.419, 41.31), 5.0))
    for store in stores.values():
        feats = decoded(public(store), "hazards", HZ, HY, HX)
        # H1 and H5 show as the same cells: drawn once, with their count and no id
        [both] = [f for f in feats if f["properties"].get("count")]
        assert both["properties"] == {"kind": "cha", "count": 2}
        assert [f["properties"] for f in feats if f is not both] == [{"id": "H2", "kind": "sha"}]
        back = lonlat(both, HZ, HY, HX)
        inside = cells.intersection(box(*tiles_box(HZ, HY, HX)))
        assert back.symmetric_difference(inside).area < 0.01 * inside.area


def test_below_the_counting_zoom_hazards_are_counted_per_cell(
        stores: dict[str, Store]) -> None:
    """Under ``COUNTS_BELOW`` a tile holds squares of its grid with the number of open
    hazards (per kind) whose point lies in each: no outline, no id, and each hazard counted
    in one tile, so the counts of a zoom add up to the open hazards."""
    unit = tiles.EXTENT // tiles.CELLS
    z8 = (tile_of(50.41, 41.305, 8), tile_of(51.405, 41.405, 8))
    assert z8[0] != z8[1]
    for store in stores.values():
        for who in (admin, public):
            ctx = who(store)
            feats = decoded(ctx, "hazards", Z, Y, X)
            assert sorted((f["properties"]["kind"], f["properties"]["count"])
                          for f in feats) == [("cha", 2), ("sha", 1)]  # H1 and H5, H2
            for f in feats:
                assert set(f["properties"]) == {"kind", "count"}
                corners = shapely.get_coordinates(shape(f["geometry"]))
                assert {int(c) % unit for c in corners.ravel()} == {0}
                assert shape(f["geometry"]).area == unit * unit
            by_kind: dict[str, int] = {}
            for t in z8:
                for f in decoded(ctx, "hazards", *t):
                    kind = f["properties"]["kind"]
                    by_kind[kind] = by_kind.get(kind, 0) + f["properties"]["count"]
            assert by_kind == {"cha": 2, "sha": 2}, who.__name__  # H1, H5; H2, H4 (H3 closed)


def tiles_box(z: int, y: int, x: int) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = tiles.tile_bounds(z, y, x)
    pad = (maxx - minx) * tiles.BUFFER / tiles.EXTENT
    a, b = TO_LONLAT.transform(minx - pad, miny - pad)
    c, e = TO_LONLAT.transform(maxx + pad, maxy + pad)
    return a, b, c, e


def test_land_released_by_method_and_year_without_rejected_steps(
        stores: dict[str, Store]) -> None:
    for store in stores.values():
        feats = decoded(admin(store), "release-steps", *tile_of(50.47, 41.32, 10))
        got = {f["properties"]["id"]: (f["properties"]["method"], f["properties"]["year"])
               for f in feats}
        assert got == {"S0": ("cancelled", 2021), "S1": ("reduced", 2022),
                       "S2": ("cleared", 2023)}


def test_accidents_are_counts_per_area_and_small_counts_are_withheld(
        stores: dict[str, Store]) -> None:
    for store in stores.values():
        ctx = public(store)
        feats = [f for t in AREA_TILES for f in decoded(ctx, "accidents", *t)]
        by_area = {f["properties"]["admin_area_id"]: f["properties"] for f in feats}
        assert by_area["A1"]["count"] == 6
        assert "count" not in by_area["A2"] and by_area["A2"]["fewer_than"] == 5
        # one point per area, at a place inside the area (not at any accident)
        assert all(f["geometry"]["type"] == "Point" for f in feats)
        known = {f["properties"]["admin_area_id"]: f["properties"]
                 for t in AREA_TILES for f in decoded(admin(store), "accidents", *t)}
        assert known["A2"]["count"] == 2


def test_both_stores_give_the_same_tiles(stores: dict[str, Store]) -> None:
    if len(stores) < 2:
        pytest.skip("one adapter chosen")
    for who in (admin, public):
        for coll, tile in (("hazards", (HZ, HY, HX)), ("hazards", (Z, Y, X)),
                           ("release-steps", (Z, Y, X)),
                           ("accidents", AREA_TILES[0]),
                           ("admin-areas", tile_of(50.6, 41.35, 8))):
            got = [tiles.tile(who(s), coll, *tile).data for s in stores.values()]
            assert got[0] is not None
            assert all(g == got[0] for g in got), (who.__name__, coll)


def test_a_cached_tile_is_not_served_after_a_write(stores: dict[str, Store]) -> None:
    tile = tile_of(50.41, 41.0, 11)
    assert tile != (HZ, HY, HX)
    for name, store in stores.items():
        ctx = admin(store)
        assert decoded(ctx, "hazards", *tile) == []
        assert decoded(public(store), "hazards", *tile) == []  # the whole layer read once
        assert tiles.tile(ctx, "hazards", *tile) is tiles.tile(ctx, "hazards", *tile)
        with store.transaction() as tx:
            tx.add(d.Hazard(id=f"H9{name}", kind="cha", source=SRC, owner="AX", country="XV",
                            geometry=MultiPolygon([box(50.40, 40.99, 50.41, 41.0)])))
        assert {f["properties"]["id"] for f in decoded(ctx, "hazards", *tile)} == {f"H9{name}"}
        assert [f["properties"] for f in decoded(public(store), "hazards", *tile)] == [
            {"id": f"H9{name}", "kind": "cha"}]


def test_the_public_tiles_cut_from_the_whole_layer_are_those_read_tile_by_tile(
        stores: dict[str, Store], monkeypatch: pytest.MonkeyPatch) -> None:
    """The public's tiles come from the layer generalised once per store state; read
    through the store for each tile instead, they are the same."""
    asked = [("hazards", (HZ, HY, HX)), ("hazards", tile_of(51.405, 41.405, 13)),
             ("release-steps", tile_of(50.47, 41.32, 12)), ("hazards", (Z, Y, X))]
    for store in stores.values():
        tiles.CACHE.clear()
        whole = [tiles.tile(public(store), c, *t).data for c, t in asked]
        assert all(whole)
        tiles.CACHE.clear()
        with monkeypatch.context() as m:
            m.setattr(tiles, "_whole", lambda ctx, ts: None)
            assert [tiles.tile(public(store), c, *t).data for c, t in asked] == whole


# -- the endpoints ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(stores: dict[str, Store]) -> Iterator[httpx.Client]:
    store = next(iter(stores.values()))
    with served(create_app(store.url, store=store)) as base, \
            httpx.Client(base_url=base, timeout=60) as c:
        yield c


def test_tilesets_metadata_and_matrix_set(client: httpx.Client) -> None:
    listing = client.get("/collections/hazards/tiles").json()
    [ts] = listing["tilesets"]
    assert ts["tileMatrixSetURI"] == tiles.MATRIX_SET_URI
    meta = client.get("/collections/hazards/tiles/WebMercatorQuad").json()
    rels = {lk["rel"]: lk for lk in meta["links"]}
    assert rels["item"]["href"].endswith(
        "/collections/hazards/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    scheme = rels["http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"]["href"]
    tms = client.get(scheme).json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) == tiles.MAX_ZOOM + 1
    assert meta["tileMatrixSetLimits"][0]["tileMatrix"] == "6"
    coll = client.get("/collections/hazards").json()
    assert any(lk["href"].endswith("/collections/hazards/tiles") for lk in coll["links"])
    schemes = [lk["href"] for lk in client.get("/").json()["links"]
               if lk["rel"].endswith("/tiling-schemes")]
    assert [ts["id"] for ts in client.get(schemes[0]).json()["tileMatrixSets"]] == \
        ["WebMercatorQuad"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in \
        client.get("/conformance").json()["conformsTo"]


def test_a_tile_over_http_with_etag_empty_tiles_and_limits(client: httpx.Client) -> None:
    url = f"/collections/hazards/tiles/WebMercatorQuad/{HZ}/{HY}/{HX}"
    r = client.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["cache-control"].startswith("public")
    shown = [f["properties"] for f in mapbox_vector_tile.decode(r.content)["hazards"][
        "features"]]  # as the public sees them
    assert sorted(shown, key=str) == [{"id": "H2", "kind": "sha"}, {"kind": "cha", "count": 2}]
    again = client.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    empty = client.get("/collections/hazards/tiles/WebMercatorQuad/10/0/0")
    assert empty.status_code == 204 and not empty.content
    for path, code in (("/collections/hazards/tiles/WebMercatorQuad/3/2/5",
                        "tiles.zoom_out_of_range"),
                       ("/collections/hazards/tiles/WebMercatorQuad/10/1024/3", "tiles.no_tile"),
                       ("/collections/activities/tiles", "tiles.no_tileset"),
                       ("/collections/nothing/tiles", "tiles.no_tileset"),
                       ("/collections/hazards/tiles/WorldCRS84Quad", "tiles.no_matrix_set")):
        r = client.get(path)
        assert r.json()["code"] == code, path
        assert r.status_code == (401 if code == "api.sign_in" else 404)

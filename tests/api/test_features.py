"""The API's reads, served by uvicorn: formats, coordinate systems (Part 2), CQL2 text filters
and queryables (Part 3), dates, ETags, languages, errors and the request log."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pyproj
import pytest
import shapely
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from shapely.geometry import MultiPolygon, box, shape

from mineaction.api import create_app
from mineaction.api.app import negotiate_locale
from mineaction.domain.organisations import AdminArea
from mineaction.messages import MESSAGES
from mineaction.services import features
from mineaction.store import open_store
from tests.api.conftest import make_accounts, served, synthetic_hazards

N = 60
SCRIPT = "<script>alert(1)</script>"
CRS84 = features.CRS84
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("features") / "store.gpkg"
    store = open_store(str(path))
    store.create()
    tokens = make_accounts(store)
    synthetic_hazards(store, N)
    with store.transaction() as tx:
        tx.add(AdminArea(id="ADM-1", name=SCRIPT, level=1, source="synthetic: api tests",
                         geometry=MultiPolygon([box(51.0, 41.0, 51.2, 41.2)])))
    stored = {h.id: h for h in store.iter("hazards")}
    with served(create_app(str(path), store=store)) as base, httpx.Client(
            base_url=base, timeout=60,
            headers={"Authorization": f"Bearer {tokens['adm']}"}) as client:
        yield client, stored
    store.close()


def items(client: httpx.Client, **params: Any) -> dict[str, Any]:
    r = client.get("/collections/hazards/items", params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_landing_conformance_and_formats(api: Any) -> None:
    client, _ = api
    landing = client.get("/").json()
    rels = {lk["rel"] for lk in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    assert client.get("/api").json()["openapi"].startswith("3.1")
    page = client.get("/collections/hazards/items", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "HZ-00001" in page.text and "<table>" in page.text
    assert client.get("/collections", params={"f": "html"}).headers[
        "content-type"].startswith("text/html")
    assert client.get("/collections", headers={"Accept": "text/html"},
                      params={"f": "json"}).json()["collections"]
    bad = client.get("/collections", params={"f": "xml"})
    assert bad.status_code == 400 and bad.json()["code"] == "api.bad_parameter"
    # stored text is shown as text, never as markup
    for url in ("/collections/admin-areas/items", "/collections/admin-areas/items/ADM-1"):
        shown = client.get(url, params={"f": "html"}).text
        assert SCRIPT not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert client.get("/collections/admin-areas/items/ADM-1").json()["properties"][
        "name"] == SCRIPT
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/version").json()["schema"] > 0


def test_collection_lists_its_crs(api: Any) -> None:
    client, _ = api
    body = client.get("/collections/hazards").json()
    assert body["crs"] == list(features.CRSS) and body["storageCrs"] == CRS84
    assert {EPSG + "4326", EPSG + "32637", EPSG + "32638", EPSG + "32639"} <= set(body["crs"])
    west, south, east, north = body["extent"]["spatial"]["bbox"][0]
    assert 50.3 <= west < east <= 51.7 and 40.9 <= south < north <= 41.9


def test_epsg_4326_is_latitude_first_and_utm_in_metres(api: Any) -> None:
    client, stored = api
    r = client.get("/collections/hazards/items/HZ-00003", params={"crs": EPSG + "4326"})
    assert r.headers["content-crs"] == f"<{EPSG}4326>"
    exact = stored["HZ-00003"].geometry
    got = shape(r.json()["geometry"])
    swapped = shapely.transform(exact, lambda xy: xy[:, ::-1])
    assert got.equals_exact(swapped, 1e-9)
    utm = items(client, crs=EPSG + "32639")
    to_utm = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32639")
    for f in utm["features"][:5]:
        want = shapely.transform(stored[f["id"]].geometry,
                                 lambda xy: __import__("numpy").column_stack(
                                     to_utm.transform(xy[:, 0], xy[:, 1])))
        assert shape(f["geometry"]).equals_exact(want, 1e-3)
        x, y = shape(f["geometry"]).centroid.coords[0]
        assert 100_000 < x < 900_000 and 4_500_000 < y < 4_700_000
    default = client.get("/collections/hazards/items/HZ-00003")
    assert default.headers["content-crs"] == f"<{CRS84}>"
    assert shape(default.json()["geometry"]).equals_exact(exact, 0)
    bad = client.get("/collections/hazards/items", params={"crs": "EPSG:3857"})
    assert bad.status_code == 400 and bad.json()["code"] == "api.crs_not_offered"


def test_bbox_in_each_crs_selects_the_same_features(api: Any) -> None:
    client, stored = api
    box84 = (50.34, 40.94, 50.5, 41.0)
    want = {i for i, h in stored.items() if h.geometry.intersects(shapely.box(*box84))}
    assert 0 < len(want) < N
    got84 = {f["id"] for f in items(client, bbox=",".join(map(str, box84)))["features"]}
    assert got84 == want
    lat_lon = f"{box84[1]},{box84[0]},{box84[3]},{box84[2]}"
    got4326 = items(client, bbox=lat_lon, **{"bbox-crs": EPSG + "4326"})
    assert {f["id"] for f in got4326["features"]} == want
    t = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32639")
    inner = t.transform_bounds(50.36, 40.96, 50.37, 40.97)
    got_utm = items(client, bbox=",".join(map(str, inner)), **{"bbox-crs": EPSG + "32639"})
    ids = {f["id"] for f in got_utm["features"]}
    assert ids and ids <= want
    for text in ("1,2,3", "a,b,c,d", "3,0,1,1", "0,0,1,nan"):
        r = client.get("/collections/hazards/items", params={"bbox": text})
        assert r.status_code == 400 and r.json()["code"].startswith("api.bbox"), text


def test_cql2_text_filters(api: Any) -> None:
    client, stored = api
    sha = items(client, filter="kind = 'sha'")
    assert {f["id"] for f in sha["features"]} == {i for i, h in stored.items()
                                                 if h.kind == "sha"}
    assert sha["numberMatched"] == N // 2
    both = items(client, filter="kind = 'cha' AND recorded_on < DATE('2020-01-11')",
                 **{"filter-lang": "cql2-text"})
    assert {f["id"] for f in both["features"]} == {f"HZ-{i:05d}" for i in range(0, 10, 2)}
    near = items(client, filter="S_INTERSECTS(geometry, POINT(50.355 40.955))")
    assert [f["id"] for f in near["features"]] == ["HZ-00000"]
    like = items(client, filter="name LIKE 'hazard 1%'")
    assert {f["id"] for f in like["features"]} == {i for i, h in stored.items()
                                                  if h.name.startswith("hazard 1")}
    paged = items(client, filter="kind = 'sha'", limit=7, offset=7)
    assert paged["numberReturned"] == 7 and paged["numberMatched"] == N // 2
    nxt = next(lk["href"] for lk in paged["links"] if lk["rel"] == "next")
    assert "filter=kind" in nxt and "offset=14" in nxt
    for params, code in (({"filter": "kind = "}, "api.filter_syntax"),
                         ({"filter": "nosuch = 1"}, "api.filter_property"),
                         ({"filter": "upper(kind) = 'SHA'"}, "api.filter_function"),
                         ({"filter": "kind = 'sha'", "filter-crs": EPSG + "32639"},
                          "api.filter_crs")):
        r = client.get("/collections/hazards/items", params=params)
        assert r.status_code == 400 and r.json()["code"] == code, (params, r.text)
    lang = client.get("/collections/hazards/items",
                      params={"filter": "kind = 'sha'", "filter-lang": "cql2-json"})
    assert lang.status_code == 400
    q = client.get("/collections/hazards/queryables")
    assert q.headers["content-type"].startswith("application/schema+json")
    props = q.json()["properties"]
    assert props["kind"]["enum"] == ["sha", "cha"] and props["recorded_on"]["format"] == "date"


def test_datetime_filters_on_the_record_date(api: Any) -> None:
    client, _ = api
    day = items(client, datetime="2020-01-05")
    assert [f["id"] for f in day["features"]] == ["HZ-00004"]
    since = items(client, datetime="2020-02-20/..")
    assert since["numberMatched"] == N - 50
    until = items(client, datetime="../2020-01-03T12:00:00Z")
    assert until["numberMatched"] == 3
    for text in ("2020-13-01", "2020-02-01/2020-01-01", "x/y/z"):
        r = client.get("/collections/hazards/items", params={"datetime": text})
        assert r.status_code == 400 and r.json()["code"].startswith("api.datetime"), text


def test_etag_and_not_modified(api: Any) -> None:
    client, stored = api
    r = client.get("/collections/hazards/items/HZ-00002")
    assert r.headers["etag"] == f'W/"{stored["HZ-00002"].version}"'
    again = client.get("/collections/hazards/items/HZ-00002",
                       headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    missing = client.get("/collections/hazards/items/HZ-99999")
    assert missing.status_code == 404 and missing.json()["code"] == "api.no_feature"


def test_errors_in_the_request_language(api: Any, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = api
    template = MESSAGES["api.no_collection"]
    catalog = Catalog(locale="ru", domain="mineaction")
    catalog.add(template, "нет коллекции {id!r}")
    folder = tmp_path / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "mineaction.mo").open("wb") as fh:
        write_mo(fh, catalog)
    monkeypatch.setenv("MINEACTION_LOCALEDIR", str(tmp_path))
    r = client.get("/collections/nosuch", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert r.status_code == 404
    assert r.json() == {"type": "about:blank", "title": "NotFound", "status": 404,
                        "detail": "нет коллекции 'nosuch'", "code": "api.no_collection",
                        "instance": "/collections/nosuch"}
    en = client.get("/collections/nosuch", headers={"Accept-Language": "en"})
    assert en.json()["detail"] == "no collection 'nosuch'"
    assert negotiate_locale("de;q=0.2, pt-BR;q=0.8, *") == "pt_BR"
    assert negotiate_locale(None) == "en"


def test_statuses_of_refusals(api: Any) -> None:
    client, _ = api
    public = httpx.Client(base_url=str(client.base_url), timeout=60)
    r = public.get("/collections/activities/items")
    assert r.status_code == 401 and r.json()["code"] == "api.sign_in"
    assert r.headers["www-authenticate"] == "Bearer"
    r = public.get("/collections/hazards/items", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and r.json()["code"] == "access.bad_token"
    assert public.get("/collections/users").status_code == 404
    assert client.get("/collections/users/items").status_code == 404
    assert client.get("/nowhere").json()["code"] == "api.no_resource"
    r = client.post("/collections")
    assert r.status_code == 405 and r.json()["code"] == "api.method_not_allowed"
    public.close()


def test_request_log_is_json_without_query_or_token(api: Any,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    client, _ = api
    token = client.headers["authorization"].split()[1]
    with caplog.at_level(logging.INFO, logger="mineaction.api"):
        client.get("/collections/hazards/items", params={"filter": "name = 'secret'"})
        client.get("/collections/nosuch")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "mineaction.api"]
    assert lines[0]["method"] == "GET" and lines[0]["path"] == "/collections/hazards/items"
    assert lines[0]["status"] == 200 and lines[0]["actor"] == "adm"
    assert lines[1]["status"] == 404 and isinstance(lines[1]["duration_ms"], float)
    assert set(lines[0]) == {"method", "path", "status", "duration_ms", "actor"}
    text = caplog.text
    assert token not in text and "secret" not in text

"""The map page in Debian's Chromium (Playwright): MapLibre GL JS loads from our own server,
asks for vector tiles of the store's layers, draws them, and logs no console error; the
workspace's map, signed in, turns the risk surface's PNG map tiles on, which the public map
never asks for."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mineaction.access import Actor
from mineaction.access import accounts as acc
from mineaction.api import create_app
from mineaction.services.context import Settings
from mineaction.store import open_store
from mineaction.web import map as web_map
from mineaction.web.workspace import COOKIE
from tests.api.conftest import PASSWORD, served
from tests.api.test_surface_tiles import write_surface
from tests.api.test_tiles import records
from tests.conftest import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
#: Headless Chromium without a GPU: WebGL through SwiftShader.
ARGS = ["--no-sandbox", "--disable-gpu", "--use-gl=angle", "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader"]

pytestmark = pytest.mark.real
#: The session token of the site's one account (set by ``site``).
SESSION: dict[str, str] = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (web_map.node_modules() / "maplibre-gl" / "dist").is_dir():
        skip_or_fail("node_modules/maplibre-gl missing: run `make js`")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        skip_or_fail("Debian's chromium is not installed")
    path = tmp_path_factory.mktemp("map") / "store.gpkg"
    store = open_store(str(path))
    store.create()
    with store.transaction() as tx:
        tx.add_many(records())
    local = Actor.local("setup")
    acc.add_organisation(store, local, "AX", "Organisation AX", "authority", "XV")
    acc.add_user(store, local, "adm", "AX", "admin", PASSWORD)
    _, SESSION["token"] = acc.create_token(store, acc.authenticate(store, "adm", PASSWORD),
                                           "adm", label="web session")
    surface = path.with_name("risk.tif")
    write_surface(surface)
    with served(create_app(str(path), Settings(risk_surface=surface), store=store)) as base:
        yield base
    store.close()


def test_the_map_loads_requests_tiles_and_draws_them(site: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    tiles: list[tuple[str, int]] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def seen(response: Any) -> None:
                if "/tiles/WebMercatorQuad/" in response.url:
                    tiles.append((response.url, response.status))

            page.on("response", seen)
            page.on("request", lambda r: outside.append(r.url)
                    if not r.url.startswith(site) and not r.url.startswith(("blob:", "data:"))
                    else None)
            page.goto(f"{site}/en/map")
            page.wait_for_function("() => window.mineactionMap && window.mineactionMap.loaded()"
                                   " && window.mineactionMap.areTilesLoaded()", timeout=20_000)
            drawn = page.evaluate("() => window.mineactionMap.queryRenderedFeatures("
                                  "{layers: ['hazards-fill', 'released', 'areas-fill']})"
                                  ".map(f => f.layer.id)")
            legend = page.inner_text("aside.legend")
            public_tiles = list(tiles)
            # the workspace's map, signed in: the risk surface, off until turned on
            page.context.add_cookies([{"name": COOKIE, "value": SESSION["token"],
                                       "url": site}])
            page.goto(f"{site}/en/workspace/map")
            page.wait_for_function("() => window.mineactionMap && window.mineactionMap.loaded()"
                                   , timeout=20_000)
            hidden = page.evaluate(
                "() => window.mineactionMap.getLayoutProperty('risk', 'visibility')")
            # the layer's tiles are asked for after the box is ticked: wait for one to come
            with page.expect_response(
                    lambda r: "/collections/risk-surface/map/tiles/" in r.url, timeout=20_000):
                page.check("#risk-surface")
            page.wait_for_function("() => window.mineactionMap.areTilesLoaded()",
                                   timeout=20_000)
            page.wait_for_function("() => window.mineactionMap.getLayoutProperty('risk', "
                                   "'visibility') === 'visible'", timeout=5_000)
            risk_legend = page.inner_text("#risk-label")
        finally:
            browser.close()
    assert not errors, errors
    assert not outside, outside
    assert not [u for u, _ in public_tiles if "/map/tiles/" in u]  # never on the public map
    assert hidden == "none"
    risk = [s for u, s in tiles if "/collections/risk-surface/map/tiles/" in u]
    assert risk and set(risk) <= {200, 204} and 200 in risk, tiles
    assert "not a record of contamination" in risk_legend
    statuses = {s for _, s in tiles}
    assert statuses <= {200, 204} and 200 in statuses, tiles
    assert {"hazards", "release-steps", "admin-areas"} <= {
        u.split("/collections/")[1].split("/")[0] for u, _ in tiles}
    assert {"hazards-fill", "released", "areas-fill"} <= set(drawn)
    for text in ("Cancelled", "Reduced", "Cleared"):
        assert text in legend


def test_the_map_page_only_in_the_site_languages(site: str) -> None:
    import httpx

    assert httpx.get(f"{site}/ru/map").status_code == 200
    assert httpx.get(f"{site}/xx/map").status_code == 404
    # no way out of the package's folder (dots encoded so that the client keeps them)
    escape = "/static/vendor/maplibre-gl/dist/%2e%2e/%2e%2e/%2e%2e/package.json"
    assert httpx.get(f"{site}{escape}").status_code == 404
    js = httpx.get(f"{site}/static/vendor/maplibre-gl/dist/maplibre-gl.mjs")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")

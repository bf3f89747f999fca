"""The risk surface as PNG map tiles (OGC API Tiles): a tile over a small GeoTIFF has the
colour ramp's colour at a known cell and is transparent where the surface has no value; a
tile outside is empty (204); the public is refused, and never offered the layer; a
signed-in caller gets it with a token or the workspace's session cookie, on both stores."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import numpy as np
import pyproj
import pytest

from mineaction.access import Actor
from mineaction.access import accounts as acc
from mineaction.api import create_app
from mineaction.risk import surface as S
from mineaction.services import tiles
from mineaction.services.context import Settings
from mineaction.store import open_store
from mineaction.web.workspace import COOKIE
from tests.api.conftest import PASSWORD, served
from tests.conftest import STORE_URLS, adapters

#: The surface's grid: 256 x 256 cells of 25 m in UTM 39N, its top-left corner near 51.0 E,
#: 41.53 N (at sea, synthetic). West half 0.05, east half 0.5, the top 32 rows nodata.
UTM = "EPSG:32639"
X0, Y0, RES, N = 500_000.0, 4_600_000.0, 25.0, 256
ZOOM = 14


def write_surface(path: Path) -> None:
    import rasterio
    import rasterio.shutil
    from affine import Affine

    values = np.full((N, N), 0.5, dtype=np.float32)
    values[:, : N // 2] = 0.05
    values[:32, :] = np.nan
    plain = path.with_suffix(".plain.tif")
    with rasterio.open(plain, "w", driver="GTiff", width=N, height=N, count=1,
                       dtype="float32", crs=UTM, transform=Affine(RES, 0.0, X0, 0.0, -RES, Y0),
                       nodata=np.nan) as dst:
        dst.write(values, 1)
        dst.update_tags(MINEACTION_MODEL="synthetic.model",
                        MINEACTION_MODEL_CREATED="2026-11-30T10:00:00+00:00",
                        MINEACTION_RESOLUTION_M="25")
    rasterio.shutil.copy(plain, str(path), driver="COG", blocksize=128,
                         overview_resampling="AVERAGE")
    plain.unlink()


def pixel_of(x: float, y: float) -> tuple[tuple[int, int, int], tuple[int, int]]:
    """The zoom-14 tile (z, row, column) holding UTM point (x, y), and the point's pixel in
    it (row, column)."""
    lon, lat = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform(x, y)
    mx, my = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857",
                                         always_xy=True).transform(lon, lat)
    size = 2 * tiles.ORIGIN / (1 << ZOOM)
    col, row = (mx + tiles.ORIGIN) / size, (tiles.ORIGIN - my) / size
    return (ZOOM, int(row), int(col)), (int((row % 1) * 256), int((col % 1) * 256))


def rgba_of(png: bytes) -> np.ndarray:
    """A PNG tile read back by GDAL, as rows x columns x RGBA."""
    import warnings

    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.io import MemoryFile

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a tile has no CRS
        with MemoryFile(png) as mem, mem.open() as src:
            assert src.driver == "PNG" and src.count == 4 and (src.width, src.height) == (256, 256)
            return np.moveaxis(src.read(), 0, -1)


def rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


@pytest.fixture(scope="module")
def surface_tif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("surface-tiles") / "risk.tif"
    write_surface(path)
    return path


@pytest.fixture(scope="module")
def clients(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            surface_tif: Path) -> Iterator[dict[str, tuple[httpx.Client, str]]]:
    """A server of each store (one account, with a token) serving the surface."""
    made = {}
    with ExitStack() as stack:
        for name in adapters(request.config):
            store = open_store(STORE_URLS[name](tmp_path_factory.mktemp(f"st-{name}"),
                                                request))
            store.create()
            local = Actor.local("setup")
            acc.add_organisation(store, local, "AX", "Organisation AX", "authority", "XV")
            acc.add_user(store, local, "adm", "AX", "admin", PASSWORD)
            admin = acc.authenticate(store, "adm", PASSWORD)
            _, token = acc.create_token(store, admin, "adm", label="tests")
            stack.callback(store.close)
            app = create_app(store.url, Settings(risk_surface=surface_tif), store=store)
            base = stack.enter_context(served(app))
            made[name] = (stack.enter_context(httpx.Client(base_url=base, timeout=60)), token)
        yield made


URL = "/collections/risk-surface/map/tiles/WebMercatorQuad"


def test_a_tile_has_the_ramps_colour_at_a_known_cell(
        clients: dict[str, tuple[httpx.Client, str]]) -> None:
    colours = dict(S.RAMP)
    for client, token in clients.values():
        signed = {"Authorization": f"Bearer {token}"}
        for (x, y), expected in (((200.5, 150.5), rgb(colours[0.5]) + [255]),
                                 ((60.5, 150.5), rgb(colours[0.05]) + [255]),
                                 ((200.5, 10.5), [0, 0, 0, 0])):  # nodata: transparent
            (z, row, col), pixel = pixel_of(X0 + x * RES, Y0 - y * RES)
            r = client.get(f"{URL}/{z}/{row}/{col}", headers=signed)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == "image/png"
            assert r.headers["cache-control"].startswith("private")
            got = rgba_of(r.content)[pixel].tolist()
            assert got == expected or (expected[3] == 0 and got[3] == 0), (x, y)
        again = client.get(f"{URL}/{z}/{row}/{col}",
                           headers=signed | {"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
        # a tile outside the surface is empty, as an empty vector tile is
        outside = client.get(f"{URL}/{z}/{row}/{col + 5}", headers=signed)
        assert outside.status_code == 204 and not outside.content


def test_the_colour_ramp_between_stops_and_nodata() -> None:
    (p0, c0), (p1, c1) = S.RAMP[:2]
    px = S.coloured(np.array([[p0, (p0 + p1) / 2, S.RAMP[-1][0], 7.0, math.nan]]))
    low, high = rgb(c0), rgb(c1)
    assert px[0, 0].tolist() == low + [255]
    assert px[0, 1, :3].tolist() == [round((a + b) / 2) for a, b in zip(low, high, strict=True)]
    assert px[0, 2].tolist() == px[0, 3].tolist() == rgb(S.RAMP[-1][1]) + [255]  # clipped
    assert px[0, 4].tolist() == [0, 0, 0, 0]


def test_the_public_is_refused_and_never_offered_the_layer(
        clients: dict[str, tuple[httpx.Client, str]]) -> None:
    z, y, x = pixel_of(X0 + 200.5 * RES, Y0 - 150.5 * RES)[0]
    for client, token in clients.values():
        for path in (f"{URL}/{z}/{y}/{x}", URL, "/collections/risk-surface/map/tiles"):
            r = client.get(path)
            assert r.status_code == 401 and r.json()["code"] == "api.sign_in", path
        bad = client.get(f"{URL}/{z}/{y}/{x}", headers={"Authorization": "Bearer nothing"})
        assert bad.status_code == 401
        assert "risk-surface" not in client.get("/en/map").text  # the public map
        # signed in: the tileset says what the layer is
        meta = client.get(URL, headers={"Authorization": f"Bearer {token}"}).json()
        assert "not a record of contamination" in meta["title"]
        assert meta["mineaction:surface"]["model"] == "synthetic.model"
        assert meta["mineaction:surface"]["model_created"].startswith("2026-11-30")
        assert meta["dataType"] == "map"
        assert "path" not in meta["mineaction:surface"]


def test_the_workspace_map_offers_the_layer_with_its_label(
        clients: dict[str, tuple[httpx.Client, str]]) -> None:
    client, token = next(iter(clients.values()))
    z, y, x = pixel_of(X0 + 200.5 * RES, Y0 - 150.5 * RES)[0]
    client.cookies.set(COOKIE, token)
    try:
        page = client.get("/en/workspace/map")
        assert page.status_code == 200
        assert 'id="risk-surface"' in page.text and "synthetic.model" in page.text
        assert "2026-11-30" in page.text and "not a record of contamination" in page.text
        assert "/collections/risk-surface/map/tiles/WebMercatorQuad/{z}/{y}/{x}" in page.text
        tile = client.get(f"{URL}/{z}/{y}/{x}")  # the session cookie, as the browser sends
        assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    finally:
        client.cookies.clear()
    assert client.get("/en/workspace/map", follow_redirects=False).status_code == 303


def test_the_served_geotiff_is_read_by_gdal(surface_tif: Path) -> None:
    gdalinfo = shutil.which("gdalinfo")
    assert gdalinfo, "gdalinfo (gdal-bin) is needed"
    info = subprocess.run([gdalinfo, str(surface_tif)], capture_output=True, text=True,
                          check=True).stdout
    assert "LAYOUT=COG" in info and "Overviews:" in info
    assert "MINEACTION_MODEL=synthetic.model" in info


def test_a_file_that_is_no_surface_is_refused_before_serving(tmp_path: Path) -> None:
    import rasterio
    from affine import Affine

    from mineaction.errors import InvalidInput
    from mineaction.services.surface import describe_surface

    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    plain = tmp_path / "plain.tif"
    with rasterio.open(plain, "w", driver="GTiff", width=4, height=4, count=1,
                       dtype="float32", transform=Affine(1.0, 0.0, 0.0, 0.0, -1.0, 4.0)) as dst:
        dst.write(np.zeros((4, 4), np.float32), 1)
    for path, code in ((tmp_path / "none.tif", "surface.no_surface"),
                       (text, "surface.unreadable"), (plain, "surface.no_crs")):
        with pytest.raises(InvalidInput) as caught:
            describe_surface(path)
        assert caught.value.code == code, path

"""The map page (``/{lang}/map``): MapLibre GL JS, served from our own ``node_modules``,
drawing the vector tiles of :mod:`mineaction.api.tiles` over the store's administrative
areas. No external tiles, glyphs or fonts: the style has no text labels.

The page is one of the site's (:func:`mineaction.web.app.pages`, in the frame of
``base.html``); :func:`install` adds ``/static/map.js`` and MapLibre's
``/static/vendor/maplibre-gl/dist/...`` with JavaScript media types for its ES modules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from mineaction.domain.layers import get_layer
from mineaction.errors import NotFound
from mineaction.services import features, tiles
from mineaction.services.context import Context
from mineaction.services.surface import MAP_ID, MapLayer
from mineaction.web.app import node_modules, observer_context, page
from mineaction.web.app import pages as web_pages

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
#: Browser libraries served from node_modules (their ``dist`` folder only).
VENDOR = ("maplibre-gl",)
#: The site's frame, which the map page extends.
BASE = "base.html"
#: Release methods in the legend's order, each its own colour (never one "cleared").
METHOD_COLOURS = {"cancelled": "#4575b4", "reduced": "#fdae61", "cleared": "#1a9850"}
KIND_COLOURS = {"cha": "#d73027", "sha": "#f46d43"}
#: The view when the store has no administrative areas (the demo territory, at sea).
DEFAULT_BOUNDS = (50.3, 40.9, 51.7, 41.9)
MEDIA = {".mjs": "text/javascript", ".js": "text/javascript", ".css": "text/css",
         ".map": "application/json", ".json": "application/json"}

router = APIRouter()


def map_config(ctx: Context, risk: MapLayer | None = None) -> dict[str, Any]:
    """What map.js draws: the vector tilesets ``ctx``'s actor reads (the browser asks for
    them without a token: the public's), and the risk surface's map tiles when given (the
    workspace's map only; never the public's)."""
    box = features.extent(ctx, get_layer("admin-areas")) or DEFAULT_BOUNDS
    sets = {t.id: {"layer": t.layer, "minzoom": t.min_zoom, "maxzoom": t.max_zoom}
            for t in tiles.tilesets(ctx)}
    config: dict[str, Any] = {"bounds": list(box), "tilesets": sets,
                              "methods": METHOD_COLOURS, "kinds": KIND_COLOURS,
                              "suppressBelow": ctx.suppress_below}
    if risk is not None:
        config["riskSurface"] = {
            "tiles": f"/collections/{MAP_ID}/map/tiles/{tiles.WEB_MERCATOR_QUAD}/{{z}}/{{y}}/{{x}}",
            "minzoom": risk.min_zoom, "maxzoom": risk.max_zoom, "bounds": list(risk.bounds)}
    return config


def public_view(ctx: Context) -> dict[str, Any]:
    """How the public map shows hazards and released land (the programme's settings): the
    legend says so."""
    from mineaction.access.settings import shown

    found = ctx.programme
    return {"polygons": found["public.polygons"],
            "grid_km": shown(found["public.grid_km"])}


@web_pages("map", "map")
def map_page(request: Request) -> HTMLResponse:
    """The public map, in the site's frame (base.html) and the reader's language."""
    ctx = observer_context(request)
    config = map_config(ctx)
    return page(request, "map.html", base_template=BASE, config=json.dumps(config),
                methods=METHOD_COLOURS, kinds=KIND_COLOURS,
                suppress_below=ctx.suppress_below, **public_view(ctx))


@router.get("/static/map.js", include_in_schema=False)
def map_js() -> FileResponse:
    return FileResponse(STATIC / "map.js", media_type="text/javascript")


@router.get("/static/vendor/{package}/dist/{path:path}", include_in_schema=False)
def vendor(request: Request, package: str, path: str) -> Response:
    """A file of a browser library's ``dist`` folder (no other folder, no way out of it)."""
    if package not in VENDOR:
        raise NotFound.of("api.no_resource", path=request.url.path)
    root = (node_modules() / package / "dist").resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFound.of("api.no_resource", path=request.url.path)
    return FileResponse(target, media_type=MEDIA.get(target.suffix, "application/octet-stream"),
                        headers={"Cache-Control": "public, max-age=86400"})


def install(app: FastAPI) -> None:
    """Add the map page and the files it loads to ``app``."""
    app.include_router(router)

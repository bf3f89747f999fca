"""The map page (``/{lang}/map``): MapLibre GL JS, served from our own ``node_modules``,
drawing the vector tiles of :mod:`mineaction.api.tiles` over the store's administrative
areas. No external tiles, glyphs or fonts: the style has no text labels.

:func:`install` adds the page, ``/static/map.js`` and the browser libraries'
``/static/vendor/<package>/dist/...`` to an application.
"""

from __future__ import annotations

import importlib
import json
import os
from functools import lru_cache
from pathlib import Path

import jinja2
from babel.support import NullTranslations, Translations
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from mineaction.api.app import Ctx
from mineaction.domain.layers import get_layer
from mineaction.errors import NotFound
from mineaction.services import features, tiles

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCALE = HERE / "locale"
DOMAIN = "mineaction-web"
#: Languages of the pages (the URL's first segment).
LANGUAGES = ("en", "az", "hy", "ka", "ru")
#: Browser libraries served from node_modules (their ``dist`` folder only).
VENDOR = ("maplibre-gl",)
#: The base template of the map page (until the site's base template takes its place).
BASE = "_map_base.html"
#: Release methods in the legend's order, each its own colour (never one "cleared").
METHOD_COLOURS = {"cancelled": "#4575b4", "reduced": "#fdae61", "cleared": "#1a9850"}
KIND_COLOURS = {"cha": "#d73027", "sha": "#f46d43"}
#: The view when the store has no administrative areas (the demo territory, at sea).
DEFAULT_BOUNDS = (50.3, 40.9, 51.7, 41.9)
MEDIA = {".mjs": "text/javascript", ".js": "text/javascript", ".css": "text/css",
         ".map": "application/json", ".json": "application/json"}

router = APIRouter()


def node_modules() -> Path:
    """``$MINEACTION_NODE_MODULES``, else the checkout's ``node_modules``."""
    env = os.environ.get("MINEACTION_NODE_MODULES")
    if env:
        return Path(env)
    return HERE.parents[2] / "node_modules"


@lru_cache(maxsize=8)
def translations(lang: str) -> NullTranslations:
    """The site's catalogue of ``lang`` (:mod:`mineaction.web.i18n` where the site has one,
    else compiled catalogues in ``locale/``)."""
    try:
        i18n = importlib.import_module("mineaction.web.i18n")
    except ImportError:
        return Translations.load(str(LOCALE), [lang], domain=DOMAIN)
    found: NullTranslations = i18n.translations(lang)
    return found


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=True, extensions=["jinja2.ext.i18n"])
    return env


def render(name: str, lang: str, **values: object) -> str:
    env = environment()
    t = translations(lang)
    env.install_gettext_translations(t, newstyle=True)  # type: ignore[attr-defined]
    return env.get_template(name).render(lang=lang, **values)


@router.get("/{lang}/map", response_class=HTMLResponse, include_in_schema=False)
def map_page(request: Request, ctx: Ctx, lang: str) -> HTMLResponse:
    if lang not in LANGUAGES:
        raise NotFound.of("api.no_resource", path=request.url.path)
    box = features.extent(ctx, get_layer("admin-areas")) or DEFAULT_BOUNDS
    sets = {t.id: {"layer": t.layer, "minzoom": t.min_zoom, "maxzoom": t.max_zoom}
            for t in tiles.tilesets(ctx)}
    config = {"bounds": list(box), "tilesets": sets, "methods": METHOD_COLOURS,
              "kinds": KIND_COLOURS, "suppressBelow": ctx.settings.suppress_below}
    html = render("map.html", lang, base_template=BASE, config=json.dumps(config),
                  methods=METHOD_COLOURS, kinds=KIND_COLOURS,
                  suppress_below=ctx.settings.suppress_below)
    return HTMLResponse(html)


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

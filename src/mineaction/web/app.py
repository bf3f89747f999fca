"""The web interface's frame: pages under ``/{lang}/`` (one of :data:`LANGUAGES`), Jinja2
templates (autoescaped) in the reader's language, our static files under ``/static/`` and the
browser libraries of ``package.json`` (installed by ``make js``) under
``/static/vendor/<package>/``.

Pages call :mod:`mineaction.services` with a :class:`~mineaction.services.context.Context`
(the Observer's: the anonymous public) and lay out what they return; they compute nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

from mineaction import __version__
from mineaction.access import Actor
from mineaction.messages import in_locale
from mineaction.services.context import Context
from mineaction.web import i18n
from mineaction.web.i18n import LANGUAGES

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
#: The cookie that remembers the reader's language.
LANG_COOKIE = "lang"
#: The licence of everything the Observer publishes.
LICENCE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")

router = APIRouter(include_in_schema=False)


def node_modules() -> Path:
    """Where ``make js`` installed the browser libraries (``$MINEACTION_NODE_MODULES``, else
    the ``node_modules`` folder of the source tree)."""
    env = os.environ.get("MINEACTION_NODE_MODULES")
    return Path(env) if env else HERE.parents[2] / "node_modules"


def vendor_packages() -> list[str]:
    """The browser libraries served: the dependencies of the source tree's package.json."""
    pkg = node_modules().parent / "package.json"
    try:
        return sorted(json.loads(pkg.read_text(encoding="utf-8")).get("dependencies", {}))
    except (OSError, ValueError):
        return ["axe-core", "maplibre-gl"]


@cache
def environment(lang: str) -> jinja2.Environment:
    """The templates in ``lang``: gettext (``_``, ``ngettext``) of the web catalogue, and the
    CLDR's numbers and dates."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             extensions=["jinja2.ext.i18n"], trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore
    env.filters["num"] = lambda v, d=0: i18n.number(v, lang, d)
    env.filters["date"] = lambda v, form="long": i18n.date(v, lang, form)
    env.filters["said"] = lambda text: in_locale(text, lang)  # a Note in the page's language
    from mineaction.web import labels

    env.globals.update(label=lambda code: labels.label(code, lang),
                       unit=lambda u: labels.unit(u, lang),
                       table_title=lambda t: labels.table_title(t, lang),
                       headline_label=lambda k: labels.headline(k, lang),
                       offer_title=lambda o: labels.offer_title(o, lang))
    env.globals.update(lang=lang, languages=[(c, i18n.language_name(c)) for c in LANGUAGES],
                       licence=LICENCE, version=__version__)
    return env


def lang_of(request: Request) -> str:
    """The language of a page: the first part of its path."""
    first = request.url.path.strip("/").split("/", 1)[0]
    return first if first in LANGUAGES else "en"


def chosen_language(request: Request) -> str:
    """The language to send a reader to: the remembered one (cookie), else the best of
    ``Accept-Language`` that the interface speaks, else English."""
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGUAGES:
        return str(remembered)
    from mineaction.api.app import negotiate_locale

    best = negotiate_locale(request.headers.get("accept-language")).split("_")[0]
    return best if best in LANGUAGES else "en"


def observer_context(request: Request) -> Context:
    """The context of an Observer page: the anonymous public, in the page's language."""
    return Context(request.app.state.store, Actor.anonymous(), lang_of(request),
                   settings=request.app.state.settings)


def page(request: Request, template: str, **values: Any) -> HTMLResponse:
    """Render ``template`` in the page's language, remembering the language in a cookie."""
    from mineaction.services import observer

    lang = lang_of(request)
    ctx = observer_context(request)
    path = request.url.path
    rest = path.split("/", 2)[2] if path.count("/") >= 2 else ""
    query = ("?" + request.url.query) if request.url.query else ""
    from mineaction.web.observer_pages import cached

    html = environment(lang).get_template(template).render(
        here=rest, query=query,
        synthetic=cached(request, "synthetic", lambda: observer.synthetic(ctx)),
        today=ctx.today(), signed_in="mineaction_session" in request.cookies, **values)
    response = HTMLResponse(html)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def pages(path: str, name: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a handler under ``/{lang}/<path>`` for every language."""

    def deco(fn: Callable[..., Response]) -> Callable[..., Response]:
        for lang in LANGUAGES:
            router.add_api_route(f"/{lang}/{path}", fn, methods=["GET"],
                                 name=f"{name}-{lang}", include_in_schema=False)
        return fn

    return deco


def to_language(request: Request) -> RedirectResponse:
    """Send a reader of ``/`` to the Observer in their language."""
    return RedirectResponse(f"/{chosen_language(request)}/", status_code=303)


def mount(app: FastAPI) -> None:
    """Add the web interface to the API's application: pages, static files, vendor
    libraries, and gzip for every response worth compressing."""
    from mineaction.web import map as _map  # noqa: F401  (registers the map page)
    from mineaction.web import observer_pages, workspace  # noqa: F401  (registers the pages)

    i18n.compile_catalogues()
    app.include_router(router)
    app.include_router(workspace.router)
    root = node_modules()
    for package in vendor_packages():
        app.mount(f"/static/vendor/{package}",
                  StaticFiles(directory=root / package, check_dir=False),
                  name=f"vendor-{package}")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(GZipMiddleware, minimum_size=500)


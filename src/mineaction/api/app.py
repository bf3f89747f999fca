"""The HTTP API: OGC API Features (Part 1 Core, Part 2 CRS, Part 3 CQL2 text filters) over a
store, as each caller may read it.

Every request runs in a :class:`~mineaction.services.context.Context`: the store, the actor
of the bearer token (the public without one), the language of ``Accept-Language``. Handlers
call :mod:`mineaction.services.features` and turn what it gives into GeoJSON (the writer of
:mod:`mineaction.io.writers`), JSON or HTML; they filter nothing themselves. Errors are
``application/problem+json`` carrying the message code of the CLI, rendered in the
request's language.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mineaction import __version__
from mineaction.access import Actor, authenticate
from mineaction.api import html
from mineaction.domain.layers import Layer
from mineaction.domain.schema import Record
from mineaction.errors import InvalidInput, MineActionError, Unauthorized
from mineaction.messages import normalise_locale, render
from mineaction.services import exports, tiles
from mineaction.services import features as feat
from mineaction.services.context import Context, Settings
from mineaction.store.base import Store, open_store

log = logging.getLogger("mineaction.api")

GEOJSON = "application/geo+json"
PROBLEM = "application/problem+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]

Format = Annotated[str | None, Query(description="Response format: json or html "
                                     "(default: from the Accept header, else json)",
                                     pattern="^(json|html)$")]


def negotiate_locale(header: str | None) -> str:
    """The language of ``Accept-Language`` with the highest weight (English without one)."""
    best, weight = "en", -1.0
    for item in (header or "").split(","):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > weight and q > 0:
            best, weight = tag, q
    parts = best.replace("-", "_").split("_")
    text = parts[0].lower() + ("_" + parts[1].upper() if len(parts) > 1 else "")
    return normalise_locale(text)


def _problem(request: Request, status: int, code: str, detail: str, title: str,
             headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "code": code, "instance": request.url.path}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _locale(request: Request) -> str:
    return getattr(request.state, "locale", None) or negotiate_locale(
        request.headers.get("accept-language"))


def context(request: Request) -> Context:
    """The context of a request: the actor of its bearer token (the public without one),
    the language of Accept-Language."""
    store: Store = request.app.state.store
    locale = negotiate_locale(request.headers.get("accept-language"))
    request.state.locale = locale
    header = request.headers.get("authorization")
    actor = Actor.anonymous()
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized.of("access.bad_token")
        actor = authenticate(store, token=token.strip())
    request.state.actor_id = actor.user_id or actor.name
    return Context(store, actor, locale, settings=request.app.state.settings)


Ctx = Annotated[Context, Depends(context)]


PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail", "code"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "code": {"type": "string", "description": "The message code, as the "
                            "command line's"},
                   "instance": {"type": "string"}}}
ERRORS = {"400": "Invalid parameter", "401": "Not signed in, or a bad token",
          "403": "Signed in without a grant", "404": "No such collection or feature"}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the errors as they are answered: problem+json with 400 for
    an invalid parameter (not 422), 401, 403 and 404."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    ref = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, ops in doc.get("paths", {}).items():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            if path in ("/health", "/version"):
                continue
            for status, text in ERRORS.items():
                responses[status] = {"description": text, "content": ref}
    if not schemas:
        components.pop("schemas")
    app.openapi_schema = doc
    return doc


def create_app(store_url: str, settings: Settings | None = None, *,
               store: Store | None = None) -> FastAPI:
    """The ASGI application serving the store at ``store_url`` (which must be at the current
    schema). ``settings``: the installation's settings (every request's context)."""
    own = store is None
    the_store = store or open_store(store_url)
    the_store.require_current()
    conf = settings or Settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if own:
            the_store.close()

    app = FastAPI(title="mineaction", version=__version__, openapi_url="/api",
                  docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Mine action data as OGC API Features, as each caller may "
                              "read it: the public sees the public views only.")
    app.state.store = the_store
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.state.settings = conf

    # -- every request ------------------------------------------------------------------


    @app.middleware("http")
    async def request_log(request: Request, call_next: Any) -> Any:
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            log.info(json.dumps({
                "method": request.method, "path": request.url.path, "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                "actor": getattr(request.state, "actor_id", "anonymous")}))

    @app.exception_handler(MineActionError)
    async def mineaction_error(request: Request, exc: MineActionError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return _problem(request, exc.http_status, exc.code, exc.text(_locale(request)),
                        exc.api_code, headers)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        name = str((first.get("loc") or ("", "?"))[-1])
        params = {"name": name, "error": str(first.get("msg", ""))}
        return _problem(request, 400, "api.bad_parameter",
                        render("api.bad_parameter", params, _locale(request)),
                        "InvalidParameterValue")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            code, params, title = "api.method_not_allowed", {"method": request.method}, \
                "MethodNotAllowed"
        else:
            code, params, title = "api.no_resource", {"path": request.url.path}, "NotFound"
        return _problem(request, exc.status_code, code,
                        render(code, params, _locale(request)), title)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        log.error(json.dumps({"method": request.method, "path": request.url.path,
                              "error": type(exc).__name__,
                              "traceback": traceback.format_exception(exc)[-3:]}))
        return _problem(request, 500, "api.server_error",
                        render("api.server_error", {}, _locale(request)), "ServerError")

    # -- helpers --------------------------------------------------------------------------

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def wants_html(request: Request, f: str | None) -> bool:
        if f is not None:
            if f not in ("json", "html"):
                raise InvalidInput.of("api.format_unknown", value=f)
            return f == "html"
        accept = request.headers.get("accept", "").lower()
        if "text/html" not in accept:
            return False
        at = accept.index("text/html")
        jsons = [accept.index(t) for t in ("json",) if t in accept]
        return not jsons or at < min(jsons)

    def reply(request: Request, f: str | None, body: dict[str, Any], page: html.Page,
              media: str = "application/json", headers: dict[str, str] | None = None
              ) -> Response:
        if wants_html(request, f):
            return HTMLResponse(html.render(page, _locale(request)), headers=headers)
        return JSONResponse(body, media_type=media, headers=headers)

    def link(href: str, rel: str, type_: str, title: str) -> dict[str, str]:
        return {"href": href, "rel": rel, "type": type_, "title": title}

    def self_links(request: Request, path: str, f: str | None, json_type: str,
                   title: str) -> list[dict[str, str]]:
        h = wants_html(request, f)
        url = base(request) + path
        return [link(url + ("?f=html" if h else "?f=json"), "self",
                     "text/html" if h else json_type, title),
                link(url + ("?f=json" if h else "?f=html"), "alternate",
                     json_type if h else "text/html", title)]

    def collection_body(request: Request, ctx: Context, lyr: Layer) -> dict[str, Any]:
        url = f"{base(request)}/collections/{lyr.name}"
        body: dict[str, Any] = {
            "id": lyr.name, "title": lyr.title, "itemType": "feature",
            "crs": list(feat.CRSS), "storageCrs": feat.CRS84,
            "links": [link(url, "self", "application/json", lyr.title),
                      link(url + "?f=html", "alternate", "text/html", lyr.title),
                      link(url + "/items", "items", GEOJSON, lyr.title),
                      link(url + "/items?f=html", "items", "text/html", lyr.title),
                      link(url + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/"
                           "queryables", "application/schema+json", "Queryables")]}
        if lyr.name in tiles.TILESETS:
            body["links"].append(link(url + "/tiles", "http://www.opengis.net/def/rel/ogc/1.0/"
                                      "tilesets-vector", "application/json", "Vector tiles"))
        box = feat.extent(ctx, lyr)
        if box is not None:
            body["extent"] = {"spatial": {"bbox": [list(box)], "crs": feat.CRS84}}
        return body

    # -- OGC API Features -----------------------------------------------------------------

    @app.get("/", summary="Landing page")
    def landing(request: Request, ctx: Ctx, f: Format = None) -> Response:
        if f is None and wants_html(request, f):  # a browser: the Observer, in its language
            from mineaction.web.app import to_language

            return to_language(request)
        b = base(request)
        links = self_links(request, "/", f, "application/json", "This document") + [
            link(b + "/api", "service-desc", OPENAPI, "The API definition"),
            link(b + "/conformance", "conformance", "application/json", "Conformance"),
            link(b + "/collections", "data", "application/json", "Collections"),
            link(b + "/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/"
                 "tiling-schemes", "application/json", "Tile matrix sets"),
        ]
        body = {"title": "mineaction", "description": app.description, "links": links}
        return reply(request, f, body, html.Page("mineaction", links, [], app.description))

    @app.get("/conformance", summary="Conformance classes")
    def conformance(request: Request, ctx: Ctx, f: Format = None) -> Response:
        body = {"conformsTo": CONFORMANCE}
        page = html.Page("Conformance", [], [html.Table(["class"], [[c] for c in CONFORMANCE])])
        return reply(request, f, body, page)

    @app.get("/collections", summary="The collections the caller may read")
    def list_collections(request: Request, ctx: Ctx, f: Format = None) -> Response:
        layers = feat.collections(ctx)
        bodies = [collection_body(request, ctx, lyr) for lyr in layers]
        body = {"links": self_links(request, "/collections", f, "application/json",
                                    "Collections"),
                "collections": bodies, "crs": list(feat.CRSS)}
        rows: list[list[Any]] = [[{"href": f"{base(request)}/collections/{b['id']}?f=html",
                                   "text": b["id"]}, b["title"]] for b in bodies]
        page = html.Page("Collections", [], [html.Table(["id", "title"], rows)])
        return reply(request, f, body, page)

    @app.get("/collections/{collection_id}", summary="One collection")
    def get_collection(request: Request, ctx: Ctx, collection_id: str,
                       f: Format = None) -> Response:
        lyr = feat.collection(ctx, collection_id)
        body = collection_body(request, ctx, lyr)
        page = html.Page(lyr.title, body["links"], [], None)
        return reply(request, f, body, page)

    @app.get("/collections/{collection_id}/queryables", summary="What a filter may name")
    def get_queryables(request: Request, ctx: Ctx, collection_id: str,
                       f: Format = None) -> Response:
        lyr = feat.collection(ctx, collection_id)
        body = feat.queryables(ctx, lyr, base(request))
        rows = [[name, str(s.get("type") or s.get("format"))]
                for name, s in body["properties"].items()]
        page = html.Page(f"{lyr.title}: queryables", [], [html.Table(["name", "type"], rows)])
        return reply(request, f, body, page, "application/schema+json")

    def geometry_in(crs: str) -> Any:
        return None if crs == feat.CRS84 else (lambda g: feat.to_crs(g, crs))

    def item_rows(request: Request, lyr: Layer, fc: dict[str, Any]) -> html.Table:
        names: list[str] = []
        for ft in fc["features"][:1]:
            names = list(ft["properties"])
        rows = []
        for ft in fc["features"]:
            href = f"{base(request)}/collections/{lyr.name}/items/{ft['id']}?f=html"
            rows.append([{"href": href, "text": ft["id"]}]
                        + ["" if ft["properties"][n] is None else ft["properties"][n]
                           for n in names if n != "id"])
        return html.Table(["id"] + [n for n in names if n != "id"], rows)

    @app.get("/collections/{collection_id}/items", summary="Features of a collection")
    def get_items(
        request: Request, ctx: Ctx, collection_id: str, f: Format = None,
        bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs")] = None,
        bbox_crs: Annotated[str | None, Query(alias="bbox-crs",
                                              description="CRS of bbox (default CRS84)")] = None,
        datetime: Annotated[str | None, Query(description="A date, or START/END ('..' open)"
                                              )] = None,
        limit: Annotated[int, Query(ge=1, description=f"Items per page (at most "
                                    f"{feat.MAX_LIMIT})",
                                    json_schema_extra={"maximum": feat.MAX_LIMIT})
                         ] = feat.DEFAULT_LIMIT,
        offset: Annotated[int, Query(ge=0, le=feat.MAX_OFFSET,
                                     description="Items to skip")] = 0,
        crs: Annotated[str | None, Query(description="CRS of the geometries returned")] = None,
        filter: Annotated[str | None, Query(description="A CQL2 text filter")] = None,
        filter_lang: Annotated[str | None, Query(alias="filter-lang",
                                                 pattern="^cql2-text$")] = None,
        filter_crs: Annotated[str | None, Query(alias="filter-crs")] = None,
    ) -> Response:
        lyr = feat.collection(ctx, collection_id)
        out_crs = feat.parse_crs_uri(crs)
        box = feat.parse_bbox(bbox, feat.parse_crs_uri(bbox_crs, "bbox-crs"))
        interval = feat.parse_datetime(datetime)
        test = feat.parse_filter(ctx, lyr, filter, filter_lang, filter_crs)
        found = feat.page(ctx, lyr, bbox=box, interval=interval, test=test, limit=limit,
                          offset=offset)
        fc = exports.geojson(lyr, found.records, geometry=geometry_in(out_crs))
        url = f"{base(request)}/collections/{lyr.name}/items"
        params = dict(request.query_params)
        h = wants_html(request, f)

        def at(offset: int, fmt: str | None = None) -> str:
            q = dict(params, offset=str(offset), limit=str(found.limit))
            if fmt:
                q["f"] = fmt
            return url + "?" + urlencode(q)

        own = GEOJSON if not h else "text/html"
        links = [link(at(found.offset), "self", own, "This page"),
                 link(at(found.offset, "html" if not h else "json"), "alternate",
                      "text/html" if not h else GEOJSON, "This page"),
                 link(f"{base(request)}/collections/{lyr.name}", "collection",
                      "application/json", lyr.title)]
        if found.has_next:
            links.append(link(at(found.offset + found.limit), "next", own, "Next page"))
        if found.has_prev:
            links.append(link(at(max(0, found.offset - found.limit)), "prev", own,
                              "Previous page"))
        fc.update({"numberMatched": found.matched, "numberReturned": found.returned,
                   "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                   "links": links})
        headers = {"Content-Crs": f"<{out_crs}>"}
        page = html.Page(f"{lyr.title}: {found.returned} of {found.matched}",
                         [lk for lk in links if lk["rel"] in ("next", "prev", "collection")],
                         [item_rows(request, lyr, fc)])
        return reply(request, f, fc, page, GEOJSON, headers)

    @app.get("/collections/{collection_id}/items/{feature_id}", summary="One feature")
    def get_item(request: Request, ctx: Ctx, collection_id: str, feature_id: str,
                 f: Format = None,
                 crs: Annotated[str | None, Query(description="CRS of the geometry")] = None
                 ) -> Response:
        lyr = feat.collection(ctx, collection_id)
        out_crs = feat.parse_crs_uri(crs)
        record: Record = feat.feature(ctx, lyr, feature_id)
        etag = f'W/"{record.version}"'
        headers = {"ETag": etag, "Content-Crs": f"<{out_crs}>"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        fc = exports.geojson(lyr, [record], geometry=geometry_in(out_crs))
        body = fc["features"][0]
        url = f"{base(request)}/collections/{lyr.name}"
        body["links"] = [link(f"{url}/items/{record.id}", "self", GEOJSON, record.id),
                         link(f"{url}/items/{record.id}?f=html", "alternate", "text/html",
                              record.id),
                         link(url, "collection", "application/json", lyr.title)]
        rows = [[k, "" if v is None else v] for k, v in body["properties"].items()]
        page = html.Page(f"{lyr.title}: {record.id}", body["links"][2:],
                         [html.Table(["field", "value"], rows)])
        return reply(request, f, body, page, GEOJSON, headers)

    from mineaction.api import reports, writes
    from mineaction.api import tiles as tile_routes
    app.include_router(writes.router); app.include_router(reports.router)  # noqa: E702
    app.include_router(tile_routes.router)
    from mineaction.web import map as web_map
    web_map.install(app)

    # -- service --------------------------------------------------------------------------

    @app.get("/health", summary="Whether the service and its store answer")
    def health() -> JSONResponse:
        the_store.schema_version()
        return JSONResponse({"status": "ok"})

    @app.get("/version", summary="Versions of the software and of the store's schema")
    def version() -> JSONResponse:
        return JSONResponse({"mineaction": __version__,
                             "schema": the_store.schema_version()})

    @app.get("/settings", summary="The programme's settings of what the public sees "
                                  "(suppressed counts, the public map's grid)")
    def programme_settings(ctx: Ctx) -> JSONResponse:
        from mineaction.services import settings as programme

        return JSONResponse([s.as_dict(ctx.locale) for s in programme.show(ctx)])

    from mineaction.web import mount

    mount(app)

    return app

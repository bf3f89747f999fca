"""Vector tiles (OGC API Tiles Part 1: Core, with the tilesets-list and Mapbox Vector Tiles
encodings): ``/collections/{id}/tiles``, its WebMercatorQuad tileset and its tiles, and the
tile matrix set. The tiles come from :mod:`mineaction.services.tiles`, as the caller may read
the layer; a tile with nothing in it is ``204 No Content``.

Map tiles (PNG) of the risk surface, ``/collections/risk-surface/map/tiles/...``
(:func:`mineaction.services.surface.map_tile`): a model's estimate, for signed-in callers
only (a bearer token, or the workspace's session cookie, which the workspace's map sends).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from mineaction.access import Role, authenticate
from mineaction.api.app import Ctx, context, negotiate_locale
from mineaction.errors import NotFound
from mineaction.services import surface, tiles
from mineaction.services.context import Context

router = APIRouter()

MVT = "application/vnd.mapbox-vector-tile"
PNG = "image/png"
#: How long a browser may use a tile before asking again (then with its ETag).
MAX_AGE = 300


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _link(href: str, rel: str, type_: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"href": href, "rel": rel, "type": type_, "title": title, **extra}


def _template(request: Request, ts: tiles.Tileset) -> str:
    return (f"{_base(request)}/collections/{ts.id}/tiles/{tiles.WEB_MERCATOR_QUAD}"
            "/{tileMatrix}/{tileRow}/{tileCol}")


def _summary(request: Request, ts: tiles.Tileset) -> dict[str, Any]:
    url = f"{_base(request)}/collections/{ts.id}/tiles/{tiles.WEB_MERCATOR_QUAD}"
    return {
        "title": ts.title, "dataType": "vector", "crs": "http://www.opengis.net/def/crs/"
        "EPSG/0/3857", "tileMatrixSetURI": tiles.MATRIX_SET_URI,
        "links": [
            _link(url, "self", "application/json", ts.title),
            _link(f"{_base(request)}/tileMatrixSets/{tiles.WEB_MERCATOR_QUAD}",
                  "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "application/json",
                  "WebMercatorQuad"),
            _link(_template(request, ts), "item", MVT, "Tiles", templated=True),
        ]}


def _tileset_body(request: Request, ts: tiles.Tileset) -> dict[str, Any]:
    body = _summary(request, ts)
    body["tileMatrixSetLimits"] = [
        {"tileMatrix": str(z), "minTileRow": 0, "maxTileRow": (1 << z) - 1,
         "minTileCol": 0, "maxTileCol": (1 << z) - 1}
        for z in range(ts.min_zoom, ts.max_zoom + 1)]
    body["layers"] = [{"id": ts.layer, "dataType": "vector", "minTileMatrix": str(ts.min_zoom),
                       "maxTileMatrix": str(ts.max_zoom)}]
    body["minzoom"], body["maxzoom"] = ts.min_zoom, ts.max_zoom
    return body


def _public(ctx: Context) -> bool:
    return not (set(ctx.actor.roles) - {Role.PUBLIC})


@router.get("/collections/{collection_id}/tiles", summary="The tilesets of a collection")
def list_tilesets(request: Request, ctx: Ctx, collection_id: str) -> JSONResponse:
    ts = tiles.tileset(ctx, collection_id)
    return JSONResponse({"links": [_link(f"{_base(request)}/collections/{ts.id}/tiles",
                                         "self", "application/json", ts.title)],
                         "tilesets": [_summary(request, ts)]})


@router.get("/collections/{collection_id}/tiles/{matrix_set}",
            summary="A tileset: its tile matrix set, zooms and tile URL template")
def get_tileset(request: Request, ctx: Ctx, collection_id: str, matrix_set: str
                ) -> JSONResponse:
    ts = tiles.tileset(ctx, collection_id)
    if matrix_set != tiles.WEB_MERCATOR_QUAD:
        raise NotFound.of("tiles.no_matrix_set", id=matrix_set)
    return JSONResponse(_tileset_body(request, ts))


@router.get("/collections/{collection_id}/tiles/{matrix_set}/{z}/{y}/{x}",
            summary="A tile (Mapbox Vector Tile); 204 when nothing is in it",
            response_class=Response,
            responses={200: {"content": {MVT: {}}}, 204: {"description": "An empty tile"}})
def get_tile(request: Request, ctx: Ctx, collection_id: str, matrix_set: str,
             z: int = Path(ge=0, le=tiles.MAX_ZOOM), y: int = Path(ge=0),
             x: int = Path(ge=0)) -> Response:
    if matrix_set != tiles.WEB_MERCATOR_QUAD:
        raise NotFound.of("tiles.no_matrix_set", id=matrix_set)
    found = tiles.tile(ctx, collection_id, z, y, x)
    return _reply(request, found, MVT, "public" if _public(ctx) else "private")


def _reply(request: Request, found: tiles.Tile, media: str, scope: str,
           vary: str = "Authorization") -> Response:
    """A tile with its ETag and caching headers; 304 when the client holds it, 204 when it is
    empty."""
    headers = {"ETag": found.etag, "Cache-Control": f"{scope}, max-age={MAX_AGE}",
               "Vary": vary}
    tags = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if found.etag in tags or "W/" + found.etag in tags:
        return Response(status_code=304, headers=headers)
    if found.data is None:
        return Response(status_code=204, headers=headers)
    return Response(found.data, media_type=media, headers=headers)


# -- map tiles of the risk surface (signed-in callers only) -----------------------------------

def signed_context(request: Request) -> Context:
    """The context of a request for what only signed-in callers read: the actor of the
    bearer token, else of the workspace's session cookie, else the public (whom the service
    refuses)."""
    from mineaction.web.workspace import COOKIE

    token = request.cookies.get(COOKIE)
    if request.headers.get("authorization") is not None or not token:
        return context(request)
    request.state.locale = negotiate_locale(request.headers.get("accept-language"))
    actor = authenticate(request.app.state.store, token=token)
    request.state.actor_id = actor.user_id or actor.name
    return Context(request.app.state.store, actor, request.state.locale,
                   settings=request.app.state.settings)


SignedCtx = Annotated[Context, Depends(signed_context)]


def _map_check(collection_id: str, matrix_set: str | None = None) -> None:
    if collection_id != surface.MAP_ID:
        raise NotFound.of("tiles.no_tileset", id=collection_id)
    if matrix_set is not None and matrix_set != tiles.WEB_MERCATOR_QUAD:
        raise NotFound.of("tiles.no_matrix_set", id=matrix_set)


def _map_summary(request: Request, layer: surface.MapLayer) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{surface.MAP_ID}/map/tiles"
    url = f"{base}/{tiles.WEB_MERCATOR_QUAD}"
    return {
        "title": f"Risk surface: an estimate of model {layer.model or '?'}, not a record of "
                 "contamination",
        "dataType": "map", "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": tiles.MATRIX_SET_URI,
        "mineaction:surface": layer.as_dict(),
        "links": [
            _link(url, "self", "application/json", "WebMercatorQuad"),
            _link(f"{_base(request)}/tileMatrixSets/{tiles.WEB_MERCATOR_QUAD}",
                  "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "application/json",
                  "WebMercatorQuad"),
            _link(url + "/{tileMatrix}/{tileRow}/{tileCol}", "item", PNG, "Tiles",
                  templated=True),
        ]}


@router.get("/collections/{collection_id}/map/tiles",
            summary="The map tilesets of the risk surface (signed-in callers only)")
def list_map_tilesets(request: Request, ctx: SignedCtx, collection_id: str) -> JSONResponse:
    _map_check(collection_id)
    layer = surface.require_map_layer(ctx)
    url = f"{_base(request)}/collections/{surface.MAP_ID}/map/tiles"
    return JSONResponse({"links": [_link(url, "self", "application/json", surface.MAP_ID)],
                         "tilesets": [_map_summary(request, layer)]},
                        headers={"Cache-Control": "private, no-store"})


@router.get("/collections/{collection_id}/map/tiles/{matrix_set}",
            summary="The risk surface's map tileset (signed-in callers only)")
def get_map_tileset(request: Request, ctx: SignedCtx, collection_id: str, matrix_set: str
                    ) -> JSONResponse:
    _map_check(collection_id, matrix_set)
    layer = surface.require_map_layer(ctx)
    body = _map_summary(request, layer)
    body["tileMatrixSetLimits"] = [
        {"tileMatrix": str(z), "minTileRow": 0, "maxTileRow": (1 << z) - 1,
         "minTileCol": 0, "maxTileCol": (1 << z) - 1}
        for z in range(layer.min_zoom, layer.max_zoom + 1)]
    body["minzoom"], body["maxzoom"] = layer.min_zoom, layer.max_zoom
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})


@router.get("/collections/{collection_id}/map/tiles/{matrix_set}/{z}/{y}/{x}",
            summary="A map tile of the risk surface (PNG; signed-in callers only); 204 when "
                    "it holds no cell of it",
            response_class=Response,
            responses={200: {"content": {PNG: {}}}, 204: {"description": "An empty tile"}})
def get_map_tile(request: Request, ctx: SignedCtx, collection_id: str, matrix_set: str,
                 z: int = Path(ge=0, le=tiles.MAX_ZOOM), y: int = Path(ge=0),
                 x: int = Path(ge=0)) -> Response:
    _map_check(collection_id, matrix_set)
    found = surface.map_tile(ctx, z, y, x)
    return _reply(request, found, PNG, "private", "Authorization, Cookie")


@router.get("/tileMatrixSets", summary="The tile matrix sets tiles are served in")
def list_matrix_sets(request: Request) -> JSONResponse:
    url = f"{_base(request)}/tileMatrixSets/{tiles.WEB_MERCATOR_QUAD}"
    return JSONResponse({"tileMatrixSets": [
        {"id": tiles.WEB_MERCATOR_QUAD, "uri": tiles.MATRIX_SET_URI,
         "links": [_link(url, "self", "application/json", "WebMercatorQuad")]}]})


@router.get("/tileMatrixSets/{matrix_set}", summary="A tile matrix set")
def get_matrix_set(matrix_set: str) -> JSONResponse:
    if matrix_set != tiles.WEB_MERCATOR_QUAD:
        raise NotFound.of("tiles.no_matrix_set", id=matrix_set)
    return JSONResponse(tiles.matrix_set())

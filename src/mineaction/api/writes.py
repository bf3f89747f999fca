"""Writes through the review workflow: features sent to a collection are staged as a
submission (:func:`mineaction.services.review.submit_geojson_bytes`), never written straight into
the store; an approver approves or rejects it.

A submission carries an ETag (its version); approving or rejecting needs ``If-Match`` with it
(428 without, 412 when it is stale), so that nobody decides on a submission they have not
seen as it is. Who may submit, see, approve or reject is the access policy's; the public is
asked to sign in (401).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mineaction.access import Role
from mineaction.api.app import Ctx
from mineaction.errors import PreconditionFailed, PreconditionRequired, Unauthorized
from mineaction.services import review
from mineaction.services.context import Context

router = APIRouter()

#: The request body of a write, for the OpenAPI document (the body is read as sent).
FEATURES_BODY = {
    "required": True,
    "content": {media: {"schema": {
        "type": "object", "required": ["type"],
        "properties": {"type": {"type": "string", "enum": ["Feature", "FeatureCollection"]},
                       "features": {"type": "array", "items": {"type": "object"}},
                       "properties": {"type": "object"},
                       "geometry": {"type": ["object", "null"]}}}}
        for media in ("application/geo+json", "application/json")}}


class Note(BaseModel):
    """Why a submission is approved or rejected (required to reject)."""

    note: str | None = Field(default=None, max_length=4000)


def signed_in(ctx: Ctx) -> Context:
    """The request's context; 401 for the public (writes and submissions are never public)."""
    if not (set(ctx.actor.roles) - {Role.PUBLIC}):
        raise Unauthorized.of("api.sign_in")
    return ctx


Signed = Annotated[Context, Depends(signed_in)]


async def raw_body(request: Request) -> bytes:
    return await request.body()


def etag(version: int) -> str:
    return f'"{version}"'


def if_match(request: Request, sub_id: str) -> int | None:
    """The version ``If-Match`` names (None for ``*``); 428 without the header, 412 when it
    names no version."""
    header = request.headers.get("if-match")
    if header is None or not header.strip():
        raise PreconditionRequired.of("api.if_match_required", id=sub_id)
    tags = [t.strip() for t in header.split(",")]
    if "*" in tags:
        return None
    for t in tags:
        if t.startswith('"') and t.endswith('"') and t[1:-1].isdigit():
            return int(t[1:-1])
    raise PreconditionFailed.of("api.version_stale", id=sub_id, version=header, current="?")


def _url(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def _links(request: Request, sub_id: str) -> list[dict[str, str]]:
    url = _url(request, f"/submissions/{sub_id}")
    return [{"href": url, "rel": "self", "type": "application/json", "title": sub_id},
            {"href": url + "/approve", "rel": "approve", "type": "application/json",
             "title": "Approve (POST, If-Match)"},
            {"href": url + "/reject", "rel": "reject", "type": "application/json",
             "title": "Reject (POST, If-Match, note)"}]


@router.post("/collections/{collection_id}/items", status_code=202,
             summary="Submit features for review (GeoJSON Feature or FeatureCollection)",
             openapi_extra={"requestBody": FEATURES_BODY},
             responses={202: {"description": "Staged for review; Location names the "
                              "submission"}})
def post_items(request: Request, ctx: Signed, collection_id: str,
               data: Annotated[bytes, Depends(raw_body)]) -> JSONResponse:
    sub = review.submit_geojson_bytes(ctx, collection_id, data)
    url = _url(request, f"/submissions/{sub.id}")
    body = {**review.as_json(sub), "links": _links(request, sub.id)}
    return JSONResponse(body, status_code=202,
                        headers={"Location": url, "ETag": etag(sub.version)})


@router.get("/submissions", summary="Submissions the caller may see, oldest first")
def get_submissions(
    request: Request, ctx: Signed,
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
    layer: Annotated[str | None, Query(description="Only submissions to this layer")] = None,
) -> JSONResponse:
    found = review.list_submissions(ctx, status=review.parse_status(status), layer=layer)
    return JSONResponse({
        "submissions": [{**review.as_json(s), "links": _links(request, s.id)[:1]}
                        for s in found],
        "numberReturned": len(found),
        "links": [{"href": str(request.url), "rel": "self", "type": "application/json",
                   "title": "Submissions"}]})


@router.get("/submissions/{sub_id}",
            summary="A submission and what approving it would change now")
def get_submission(request: Request, ctx: Signed, sub_id: str) -> JSONResponse:
    view = review.show(ctx, sub_id)
    body = {**review.preview_json(view, ctx.locale), "links": _links(request, sub_id)}
    return JSONResponse(body, headers={"ETag": etag(view.submission.version)})


def _decided(request: Request, done: review.Decision) -> JSONResponse:
    sub = done.submission
    body = {**review.as_json(sub), "written": done.written, "updated": done.updated,
            "messages": list(done.messages), "links": _links(request, sub.id)[:1]}
    return JSONResponse(body, headers={"ETag": etag(sub.version)})


@router.post("/submissions/{sub_id}/approve",
             summary="Approve a submission: its records are written (If-Match required)",
             responses={412: {"description": "The submission changed since its ETag"},
                        428: {"description": "If-Match missing"}})
def approve(request: Request, ctx: Signed, sub_id: str,
            body: Annotated[Note | None, Body()] = None) -> JSONResponse:
    version = if_match(request, sub_id)
    done = review.approve(ctx, sub_id, body.note if body else None, version=version)
    return _decided(request, done)


@router.post("/submissions/{sub_id}/reject",
             summary="Reject a submission with a note (If-Match required)",
             responses={412: {"description": "The submission changed since its ETag"},
                        428: {"description": "If-Match missing"}})
def reject(request: Request, ctx: Signed, sub_id: str,
           body: Annotated[Note | None, Body()] = None) -> JSONResponse:
    version = if_match(request, sub_id)
    done = review.reject(ctx, sub_id, (body.note if body else None) or "", version=version)
    return _decided(request, done)

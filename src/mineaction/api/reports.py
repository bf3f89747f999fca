"""Reports and published figures as endpoints: what ``mineaction report NAME`` (with
``--format json|csv|pdf`` and ``--explain``) and ``mineaction figures register|conflicts|
compare`` give, from the records the caller may read. The public gets the public versions only:
counts of people suppressed below the installation's threshold, whatever it asks."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mineaction.access import Role
from mineaction.api.app import Ctx
from mineaction.errors import Forbidden, NotFound, Unauthorized
from mineaction.services import figures, layers, reports
from mineaction.services.context import Context

router = APIRouter()

ReportFormat = Annotated[str, Query(description="json, csv or pdf",
                                    pattern="^(json|csv|pdf)$")]
TableFormat = Annotated[str, Query(description="json or csv", pattern="^(json|csv)$")]
Threshold = Annotated[int | None, Query(alias="suppress-below", ge=0, le=1000,
                                        description="Hide counts of people below this (the "
                                        "public: never below the installation's threshold)")]


def _public(ctx: Context) -> bool:
    return not (set(ctx.actor.roles) - {Role.PUBLIC})


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, default=str),
                    media_type="application/json")


def _table(rows: list[dict[str, Any]], f: str, name: str) -> Response:
    if f == "csv":
        return Response(figures.csv_text(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'inline; filename="{name}.csv"'})
    return _json(rows)


class _Refusals:
    """Turns a refusal to the public into a request to sign in (401)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if isinstance(exc, Forbidden) and not isinstance(exc, Unauthorized) \
                and _public(self.ctx):
            raise Unauthorized.of("api.sign_in") from None


@router.get("/reports", summary="The reports there are")
def list_reports(request: Request, ctx: Ctx) -> Response:
    base = str(request.base_url).rstrip("/")
    items = [{**r, "links": [
        {"href": f"{base}/reports/{r['name']}?f={f}", "rel": "item", "type": media,
         "title": f"{r['title']} ({f})"} for f, media in reports.MEDIA.items()]}
        for r in reports.catalogue()]
    return _json({"reports": items})


@router.get("/reports/{name}",
            summary="A report over a period and area (JSON, CSV or PDF), or the records "
                    "behind its cells (explain=true)")
def get_report(
    request: Request, ctx: Ctx, name: str, f: ReportFormat = "json",
    year: Annotated[int | None, Query(ge=1, le=9999)] = None,
    date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    area: Annotated[str | None, Query(description="Administrative area (name or id)")] = None,
    by: Annotated[list[str] | None, Query(description="A further breakdown: area")] = None,
    explain: Annotated[bool, Query(description="For each cell, the filter and the records "
                                   "behind it (JSON)")] = False,
    cell: Annotated[str | None, Query(description="With explain: TABLE/ROW/COLUMN")] = None,
    suppress_below: Threshold = None,
) -> Response:
    if name not in reports.names():
        raise NotFound.of("api.no_resource", path=request.url.path)
    when = reports.period(year, layers.parse_date(date_from, "from"),
                          layers.parse_date(date_to, "to"), quarter)
    with _Refusals(ctx):
        rep = reports.build(ctx, name, when, area=area, quarter=quarter,
                            suppress_below=suppress_below, by=tuple(by or ()))
    if explain:
        return _json(reports.explain(rep, cell))
    headers = {"Content-Disposition": f'inline; filename="{name}.{f}"'}
    return Response(reports.render(rep, f), media_type=reports.MEDIA[f], headers=headers)


@router.get("/figures/register", summary="Published figures, of one metric and country")
def figures_register(ctx: Ctx, f: TableFormat = "json", metric: str | None = None,
                     country: str | None = None) -> Response:
    with _Refusals(ctx):
        items = figures.listing(ctx, metric, country)
    return _table(figures.as_json(items), f, "figures")


@router.get("/figures/conflicts",
            summary="Published figures of one metric, country and area that disagree")
def figures_conflicts(ctx: Ctx, f: TableFormat = "json", metric: str | None = None,
                      country: str | None = None) -> Response:
    with _Refusals(ctx):
        found = figures.conflicts(ctx, metric, country)
    return _table(figures.conflicts_json(found), f, "conflicts")


@router.get("/figures/compare",
            summary="The store's own figures beside published ones (small counts suppressed)")
def figures_compare(ctx: Ctx, f: TableFormat = "json", country: str | None = None,
                    metric: str | None = None, suppress_below: Threshold = None) -> Response:
    with _Refusals(ctx):
        rows = figures.compare(ctx, country, metric, suppress_below=suppress_below)
    return _table(rows, f, "compare")

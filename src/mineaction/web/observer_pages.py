"""The public Observer's pages: headline figures, casualties, the 30 November page, land
release, published figures that disagree, and the records behind any figure. Each handler
reads its parameters, calls :mod:`mineaction.services.observer` and renders a template."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from mineaction.errors import NotFound
from mineaction.messages import Note
from mineaction.services import observer, opendata
from mineaction.services import reports as report_service
from mineaction.web.app import lang_of, observer_context, page, pages, router
from mineaction.web.i18n import gettext
from mineaction.web.labels import N_

Year = Annotated[str | None, Query(alias="year", pattern=r"^(\d{4})?$",
                                   description="YYYY, or empty: every year")]


def _year(text: str | None) -> int | None:
    """The year of the form's choice (empty: every year)."""
    return int(text) if text else None

def _common(request: Request) -> dict[str, Any]:
    ctx = observer_context(request)
    return {"years": cached(request, "years", lambda: observer.years(ctx)),
            "threshold": report_service.threshold(ctx)}


#: How long a built report is reused (seconds): every public reader sees the same one.
FRESH_S = 300.0


def cached(request: Request, key: Any, make: Any) -> Any:
    """``make()``, reused for :data:`FRESH_S` seconds: every public reader gets the same.
    Once older, it is still given while a thread makes it again (a report over a large
    store takes seconds: the reader who comes after the expiry does not wait for it); only
    the first reader of a key waits. The programme's settings are part of the key: a page
    made before a change of what the public may see is never given after it."""
    settings = tuple(sorted(request.app.state.store.stored_settings().items()))
    key = (key, settings)
    state = request.app.state.__dict__
    cache: dict[Any, Any] = state.setdefault("observer_cache", {})
    if state.setdefault("observer_settings", settings) != settings:  # the old are of no use
        state["observer_settings"] = settings
        cache.clear()
    making: set[Any] = state.setdefault("observer_making", set())
    now = time.monotonic()
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = (now, make())
    elif now - hit[0] > FRESH_S and key not in making:
        making.add(key)

        def again() -> None:
            try:
                cache[key] = (time.monotonic(), make())
            except Exception:  # noqa: BLE001 - the next reader after FRESH_S tries again
                pass
            finally:
                making.discard(key)

        threading.Thread(target=again, daemon=True).start()
    return hit[1]


def _report(request: Request, name: str, year: int | None) -> Any:
    """The public report ``name`` for ``year`` (see :func:`cached`)."""
    ctx = observer_context(request)
    build = observer.casualties if name == "casualties" else observer.release
    return cached(request, (name, year), lambda: build(ctx, year))


def _t(request: Request, text: str) -> str:
    return gettext(lang_of(request), text)


@pages("", "home")
def home(request: Request, year_text: Year = None) -> HTMLResponse:
    year = _year(year_text)
    heads = observer.headlines(_report(request, "casualties", year),
                               _report(request, "land-release", year))
    return page(request, "home.html", title=_t(request, N_("Headline figures")), year=year,
                headlines=heads, **_common(request))


@pages("casualties", "casualties")
def casualties(request: Request, year_text: Year = None) -> HTMLResponse:
    year = _year(year_text)
    rep = _report(request, "casualties", year)
    return page(request, "report.html", title=_t(request, N_("Casualties")), year=year,
                report="casualties", path="casualties", tables=rep.tables,
                intro=_t(request, N_("People killed and injured by mines and explosive "
                                     "ordnance: civilians, military and deminers, by sex, "
                                     "age and device.")), **_common(request))


@pages("30-november", "solidarity")
def solidarity(request: Request) -> HTMLResponse:
    heads = [h for h in observer.headlines(_report(request, "casualties", None),
                                           _report(request, "land-release", None))
             if h.unit == "people"]
    return page(request, "solidarity.html",
                title=_t(request, N_("30 November: day of solidarity with victims")),
                headlines=heads, **_common(request))


@pages("land-release", "land-release")
def land_release(request: Request, year_text: Year = None) -> HTMLResponse:
    year = _year(year_text)
    rep = _report(request, "land-release", year)
    return page(request, "report.html", title=_t(request, N_("Land release")), year=year,
                report="land-release", path="land-release",
                tables=[t for t in rep.tables if t.name != "remaining"],
                remaining=rep.table("remaining"),
                intro=_t(request, N_("Land cancelled by non-technical survey, reduced by "
                                     "technical survey and cleared, by district and by year. "
                                     "The three are never added together.")),
                **_common(request))


@pages("figures", "figures")
def published(request: Request) -> HTMLResponse:
    ctx = observer_context(request)
    return page(request, "figures.html", title=_t(request, N_("Published figures that "
                                                               "disagree")),
                conflicts=observer.conflicts(ctx), **_common(request))


@pages("sources", "sources")
def sources(request: Request, report: str, cell: str, year_text: Year = None) -> HTMLResponse:
    year = _year(year_text)
    if report not in ("casualties", "land-release"):
        raise NotFound.of("api.no_resource", path=request.url.path)
    items = observer.explain(_report(request, report, year), cell)
    return page(request, "sources.html", title=_t(request, N_("Where a figure comes from")),
                items=items, **_common(request))


#: Media types of the downloads.
MEDIA = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json",
         "gpkg": "application/geopackage+sqlite3"}


@pages("data", "data")
def open_data(request: Request) -> HTMLResponse:
    ctx = observer_context(request)
    offers = opendata.offers(ctx, [_report(request, "casualties", None),
                                   _report(request, "land-release", None)])
    return page(request, "data.html", title=_t(request, N_("Open data")), offers=offers,
                **_common(request))


@router.get("/download/{name}.{fmt}", include_in_schema=False)
def download(request: Request, name: str, fmt: str) -> Response:
    """One table of the open data, as the public may read it; licence and date in the
    headers (and inside GeoJSON and GeoPackage files)."""
    ctx = observer_context(request)
    if fmt not in MEDIA:
        raise NotFound.of("api.no_resource", path=request.url.path)
    if "--" in name:
        report, _, table = name.partition("--")
        if report not in ("casualties", "land-release") or fmt != "csv":
            raise NotFound.of("api.no_resource", path=request.url.path)
        try:
            body: bytes = opendata.table_csv(_report(request, report, None), table).encode()
        except KeyError:
            raise NotFound.of("api.no_resource", path=request.url.path) from None
    elif fmt == "csv":
        body = opendata.layer_csv(ctx, name).encode()
    elif fmt == "geojson":
        body = opendata.geojson_text(opendata.layer_geojson(ctx, name)).encode()
    else:
        body = opendata.layer_gpkg(ctx, name)
    day = ctx.today().isoformat()
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}-{day}.{fmt}"',
        "Link": f'<{opendata.LICENCE[1]}>; rel="license"', "Last-Modified-Date": day})


Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


def _bulletin(request: Request, month: str | None) -> Any:
    """The bulletin of ``month`` (None: the latest month), built once per
    :data:`FRESH_S` (see :func:`cached`) like the reports."""
    ctx = observer_context(request)
    if month is not None:
        year, mon = int(month[:4]), int(month[5:])
        if not 1 <= mon <= 12:
            raise NotFound.of("api.no_resource", path=request.url.path)

    def make() -> Any:
        y, m = observer.latest_month(ctx) if month is None else (year, mon)
        return observer.bulletin(ctx, y, m)

    return cached(request, ("bulletin", month, lang_of(request)), make)


def _bulletin_title(request: Request, b: Any) -> str:
    from mineaction.web.i18n import date

    return _t(request, N_("Monthly bulletin: %(month)s")) % {
        "month": date(b.start, lang_of(request), "LLLL y")}


@pages("bulletin", "bulletin")
def bulletin(request: Request, month: Month = None) -> HTMLResponse:
    b = _bulletin(request, month)
    return page(request, "bulletin.html", title=_bulletin_title(request, b), b=b,
                **_common(request))


@pages("bulletin.pdf", "bulletin-pdf")
def bulletin_pdf(request: Request, month: Month = None) -> Response:
    """The bulletin as a PDF (WeasyPrint; Noto fonts for the Armenian and Georgian
    scripts)."""
    from weasyprint import HTML

    from mineaction.web.app import STATIC, environment

    b = _bulletin(request, month)
    ctx = observer_context(request)

    def make() -> bytes:
        html = environment(lang_of(request)).get_template("bulletin_pdf.html").render(
            title=_bulletin_title(request, b), b=b, css=(STATIC / "observer.css").read_text(),
            synthetic=observer.synthetic(ctx), today=ctx.today(), here="", query="",
            **_common(request))
        return HTML(string=html).write_pdf()  # type: ignore[no-any-return]

    # made once per bulletin and language (see :func:`cached`): a PDF takes seconds
    pdf = cached(request, ("bulletin.pdf", b.year, b.month, lang_of(request)), make)
    name = f"bulletin-{b.year:04d}-{b.month:02d}-{lang_of(request)}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@pages("profile", "profile")
def profile(request: Request) -> HTMLResponse:
    ctx = observer_context(request)
    cas = _report(request, "casualties", None)
    rel = _report(request, "land-release", None)
    credits = [c.text(lang_of(request)) if isinstance(c, Note) else c for c in (
        list(dict.fromkeys([*cas.credits, *rel.credits]))
        or list(dict.fromkeys([*rel.sources, *cas.sources])))]
    return page(request, "profile.html", title=_t(request, N_("Country profile")),
                headlines=observer.headlines(cas, rel), casualties=cas, release=rel,
                remaining=rel.table("remaining"), year=None,
                conflicts=len(observer.conflicts(ctx)), credits=credits, **_common(request))

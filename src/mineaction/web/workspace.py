"""The IM workspace: pages for signed-in people under ``/{lang}/workspace/``.

Signing in checks an account (:func:`mineaction.access.accounts.authenticate`) and makes a
short-lived API token, carried by a ``Secure``, ``HttpOnly``, ``SameSite=Strict`` cookie;
every page reads the actor of that token (else sends the reader to the sign-in form) and calls
the services with a :class:`~mineaction.services.context.Context` of that actor, so that the
store's policy decides what the page shows and what may change. Every form that changes
something carries a token derived from the session's secret, checked on POST.

The pages: the review workbench (submissions waiting, what approving would change, approve or
reject), a hazard's timeline, a minefield record and its assessment, the report builder, the
register of published figures, and the programme's settings (changed by administrators).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mineaction.access import Actor, Role, accounts
from mineaction.errors import Forbidden, MineActionError, NotFound, Unauthorized
from mineaction.services.context import Context
from mineaction.web.app import lang_of, page
from mineaction.web.i18n import LANGUAGES, gettext
from mineaction.web.labels import N_

#: The session cookie (an API token of the signed-in account).
COOKIE = "mineaction_session"
#: Days a session's token is valid.
SESSION_DAYS = 1

router = APIRouter(include_in_schema=False)

Handler = Callable[..., Any]


def routes(path: str, name: str, methods: tuple[str, ...] = ("GET",)
           ) -> Callable[[Handler], Handler]:
    """Register a handler under ``/{lang}/workspace/<path>`` for every language."""

    def deco(fn: Handler) -> Handler:
        for lang in LANGUAGES:
            router.add_api_route(f"/{lang}/workspace/{path}", fn, methods=list(methods),
                                 name=f"ws-{name}-{'-'.join(methods).lower()}-{lang}",
                                 include_in_schema=False)
        return fn

    return deco


def _t(request: Request, text: str) -> str:
    return gettext(lang_of(request), text)


def csrf_token(session: str) -> str:
    """The token forms carry: derived from the session's secret, which only the server and
    the cookie (HttpOnly) hold."""
    return hmac.new(session.encode(), b"mineaction-workspace-form", hashlib.sha256).hexdigest()


def session_actor(request: Request) -> tuple[Actor, str] | None:
    """The signed-in actor and their session token, or None."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return accounts.authenticate(request.app.state.store, token=token), token
    except Unauthorized:
        return None


def workspace_context(request: Request, actor: Actor) -> Context:
    return Context(request.app.state.store, actor, lang_of(request),
                   settings=request.app.state.settings)


def to_login(request: Request) -> RedirectResponse:
    lang = lang_of(request)
    target = request.url.path + (("?" + request.url.query) if request.url.query else "")
    return RedirectResponse(f"/{lang}/workspace/login?next={quote(target, safe='')}",
                            status_code=303)


async def form_of(request: Request) -> dict[str, str]:
    """An URL-encoded form's fields (the first value of each)."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def check_csrf(form: dict[str, str], session: str) -> None:
    if not hmac.compare_digest(form.get("csrf", ""), csrf_token(session)):
        raise Forbidden.of("workspace.bad_form_token")


async def signed_form(request: Request) -> tuple[Actor, str, dict[str, str]] | None:
    """The signed-in actor, their session token and the posted form, its token checked; None
    when nobody is signed in (the handler sends them to sign in)."""
    signed = session_actor(request)
    if signed is None:
        return None
    actor, session = signed
    form = await form_of(request)
    check_csrf(form, session)
    return actor, session, form


def form_version(form: dict[str, str]) -> int | None:
    """The record version a form was made from (optimistic locking), when it says one."""
    return int(form["version"]) if form.get("version", "").isdigit() else None


def ws_page(request: Request, template: str, actor: Actor | None, session: str | None,
            **values: Any) -> HTMLResponse:
    response = page(request, template, actor=actor,
                    csrf=csrf_token(session) if session else "", **values)
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(lang: str, target: str | None) -> str:
    if target and re.fullmatch(rf"/{lang}/workspace/[^\s]*", target) and "//" not in target:
        return target
    return f"/{lang}/workspace/"


# -- signing in and out ---------------------------------------------------------------------

@routes("login", "login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return ws_page(request, "ws_login.html", None, None, title=_t(request, N_("Sign in")),
                   next=_safe_next(lang_of(request), next), error=None)


@routes("login", "login", ("POST",))
async def login(request: Request) -> Response:
    form = await form_of(request)
    lang = lang_of(request)
    store = request.app.state.store
    user = form.get("user", "").strip()
    try:
        actor = accounts.authenticate(store, user, form.get("password", ""))
        _, token = accounts.create_token(store, actor, user, label="web session",
                                         days=SESSION_DAYS)
    except MineActionError as exc:
        refused = ws_page(request, "ws_login.html", None, None,
                          title=_t(request, N_("Sign in")),
                          next=_safe_next(lang, form.get("next")), error=exc.text(lang))
        refused.status_code = 401
        return refused
    response = RedirectResponse(_safe_next(lang, form.get("next")), status_code=303)
    response.set_cookie(COOKIE, token, max_age=SESSION_DAYS * 24 * 3600, path="/",
                        secure=True, httponly=True, samesite="strict")
    return response


@routes("logout", "logout", ("POST",))
async def logout(request: Request) -> Response:
    signed = session_actor(request)
    lang = lang_of(request)
    response = RedirectResponse(f"/{lang}/workspace/login", status_code=303)
    if signed is not None:
        actor, session = signed
        check_csrf(await form_of(request), session)
        token_id = session.split("_")[1]
        accounts.revoke_token(request.app.state.store, actor, token_id)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


# -- the review workbench -------------------------------------------------------------------

def _workbench(request: Request, actor: Actor, session: str, *, done: str | None = None,
               error: str | None = None) -> HTMLResponse:
    from mineaction.services import review

    ctx = workspace_context(request, actor)
    lang = lang_of(request)
    try:
        waiting = [review.show(ctx, s.id)
                   for s in review.list_submissions(ctx, status="pending")]
    except Forbidden as exc:  # a role that reviews nothing
        waiting, error = [], error or exc.text(lang)
    maps = {v.submission.id: _change_map(ctx, v.submission.id)
            for v in waiting[:MAPS_AT_MOST]}
    return ws_page(request, "ws_workbench.html", actor, session,
                   title=_t(request, N_("Review workbench")), waiting=waiting,
                   problem_text=lambda p: p.text(lang) if hasattr(p, "text") else str(p),
                   done=done, error=error, maps=maps)


#: Submissions of the workbench drawn on a map each (the first ones: a page of many maps
#: would be slow to draw).
MAPS_AT_MOST = 10


def _change_map(ctx: Context, sub_id: str) -> str | None:
    """The map of a submission as JSON: its geometries and the stored ones they replace."""
    import json

    from shapely import unary_union

    from mineaction.services import review

    feats = []
    geoms = []
    for rid, new, stored in review.geometries(ctx, sub_id):
        for geom, kind in ((stored, "stored"), (new, "submitted")):
            f = _feature(geom, kind=kind, id=rid)
            if f:
                feats.append(f)
                geoms.append(geom)
    if not feats:
        return None
    return json.dumps({"features": {"type": "FeatureCollection", "features": feats},
                       "bounds": list(unary_union(geoms).bounds), "methods": METHOD_COLOURS})


@routes("", "workbench")
def workbench(request: Request) -> Response:
    signed = session_actor(request)
    if signed is None:
        return to_login(request)
    return _workbench(request, *signed)


@routes("submissions/{sub_id}/{decision}", "decide", ("POST",))
async def decide(request: Request, sub_id: str, decision: str) -> Response:
    from mineaction.services import review

    posted = await signed_form(request)
    if posted is None:
        return to_login(request)
    actor, session, form = posted
    ctx = workspace_context(request, actor)
    version = form_version(form)
    note = form.get("note", "").strip()
    try:
        if decision == "approve":
            review.approve(ctx, sub_id, note or None, version=version)
            done = _t(request, N_("Submission %(id)s approved.")) % {"id": sub_id}
        elif decision == "reject":
            review.reject(ctx, sub_id, note, version=version)
            done = _t(request, N_("Submission %(id)s rejected.")) % {"id": sub_id}
        else:
            raise NotFound.of("api.no_resource", path=request.url.path)
    except NotFound:
        raise
    except MineActionError as exc:
        response = _workbench(request, actor, session, error=exc.text(lang_of(request)))
        response.status_code = exc.http_status
        return response
    return _workbench(request, actor, session, done=done)


# -- a hazard's history ---------------------------------------------------------------------

#: Colours of the release methods on maps (never one colour for all released land).
METHOD_COLOURS = {"cancelled": "#4575b4", "reduced": "#fdae61", "cleared": "#1a9850"}


def _feature(geom: Any, **props: Any) -> dict[str, Any] | None:
    if geom is None or geom.is_empty:
        return None
    return {"type": "Feature", "geometry": geom.__geo_interface__, "properties": props}


@routes("hazards/{hazard_id}", "hazard")
def hazard(request: Request, hazard_id: str) -> Response:
    import json

    from shapely import unary_union

    from mineaction.services import hazards

    signed = session_actor(request)
    if signed is None:
        return to_login(request)
    actor, session = signed
    hist = hazards.history(workspace_context(request, actor), hazard_id)
    rows = [(v, hist.step_of(v)) for v in hist.timeline.versions]
    feats = [f for f in (_feature(v.geometry, seq=v.seq, kind="version",
                                  last=int(v.seq == len(rows)))
                         for v, _ in rows) if f]
    feats += [f for f in (_feature(s.geometry, kind="step", method=s.method.value)
                          for s in hist.timeline.steps if s.rejected_by is None) if f]
    geoms = [g for g in [hist.hazard.geometry] + [v.geometry for v, _ in rows]
             if g is not None and not g.is_empty]
    bounds = list(unary_union(geoms).bounds) if geoms else None
    config = json.dumps({"features": {"type": "FeatureCollection", "features": feats},
                         "bounds": bounds, "methods": METHOD_COLOURS,
                         "versions": len(rows)})
    return ws_page(request, "ws_hazard.html", actor, session,
                   title=_t(request, N_("Hazard %(id)s")) % {"id": hazard_id},
                   history=hist, rows=rows, config=config, methods=METHOD_COLOURS)


# -- the map, with the risk surface ---------------------------------------------------------

@routes("map", "map")
def workspace_map(request: Request) -> Response:
    """The map of the Observer's layers, with the risk surface of the server's settings as a
    layer to turn on (a model's estimate, labelled with the model and its date), when one is
    served."""
    import json

    from mineaction.risk.surface import RAMP
    from mineaction.services import surface
    from mineaction.web.app import observer_context
    from mineaction.web.map import KIND_COLOURS, map_config, public_view

    signed = session_actor(request)
    if signed is None:
        return to_login(request)
    actor, session = signed
    risk = surface.map_layer(workspace_context(request, actor))
    public = observer_context(request)
    config = map_config(public, risk)
    return ws_page(request, "ws_map_page.html", actor, session, title=_t(request, N_("Map")),
                   config=json.dumps(config), risk=risk, ramp=RAMP, methods=METHOD_COLOURS,
                   kinds=KIND_COLOURS, suppress_below=config["suppressBelow"],
                   **public_view(public))


# -- a minefield record ---------------------------------------------------------------------

@routes("records/{record_id}", "record")
def record(request: Request, record_id: str) -> Response:
    signed = session_actor(request)
    if signed is None:
        return to_login(request)
    return _record(request, *signed, record_id)


def _record(request: Request, actor: Actor, session: str, record_id: str, *,
            done: str | None = None, error: str | None = None) -> HTMLResponse:
    import json

    from shapely.geometry import MultiPoint, shape

    from mineaction.services import records

    shown = records.show(workspace_context(request, actor), record_id)
    feats: list[dict[str, Any] | None] = []
    g, a = shown.georef, shown.assessment
    bounds = None
    proposal = a.proposal() if a is not None else None
    if g is not None:
        feats.append(_feature(g.perimeter, kind="perimeter"))
        feats += [_feature(line, kind="row", row=name) for name, line in g.rows.items()]
        if len(g.mine_lonlat):
            feats.append(_feature(MultiPoint([tuple(p) for p in g.mine_lonlat]), kind="mine"))
        bounds = list(g.bounds)
    if shown.finds is not None and len(shown.finds):
        feats.append(_feature(MultiPoint([tuple(p) for p in shown.finds]), kind="find"))
    if proposal and proposal.get("perimeter"):
        feats.append(_feature(shape(proposal["perimeter"]), kind="proposed"))
    config = json.dumps({"features": {"type": "FeatureCollection",
                                      "features": [f for f in feats if f]},
                         "bounds": bounds, "methods": METHOD_COLOURS})
    return ws_page(request, "ws_record.html", actor, session,
                   title=_t(request, N_("Minefield record %(id)s")) % {"id": record_id},
                   shown=shown, assessment=a.to_dict() if a is not None else None,
                   proposal=proposal, config=config, done=done, error=error)


@routes("records/{record_id}/{decision}", "record-decide", ("POST",))
async def decide_record(request: Request, record_id: str, decision: str) -> Response:
    """Accept or reject a record's proposed correction (the records service decides who may)."""
    from mineaction.services import records

    posted = await signed_form(request)
    if posted is None:
        return to_login(request)
    actor, session, form = posted
    if decision not in ("accept", "reject"):
        raise NotFound.of("api.no_resource", path=request.url.path)
    version = form_version(form)
    try:
        records.decide(workspace_context(request, actor), record_id,
                       accept=decision == "accept", note=form.get("note", ""),
                       version=version)
    except NotFound:
        raise
    except MineActionError as exc:
        response = _record(request, actor, session, record_id,
                           error=exc.text(lang_of(request)))
        response.status_code = exc.http_status
        return response
    done = (N_("The proposed correction was accepted.") if decision == "accept"
            else N_("The proposed correction was rejected."))
    return _record(request, actor, session, record_id, done=_t(request, done))


# -- the report builder and the figures register --------------------------------------------

#: Formats the builder offers: on the page, or a file of :data:`reports.MEDIA`.
REPORT_FORMATS = ("html", "csv", "pdf")


@routes("reports", "reports")
def report_builder(request: Request, report: str | None = None, year: str | None = None,
                   area: str | None = None, format: str = "html") -> Response:
    from mineaction.services import reports

    signed = session_actor(request)
    if signed is None:
        return to_login(request)
    actor, session = signed
    ctx = workspace_context(request, actor)
    lang = lang_of(request)
    names = reports.names()
    tables = None
    error = None
    built_title = None
    if report:
        try:
            when = reports.period(int(year) if year and year.strip().isdigit() else None)
            built = reports.build(ctx, report, when, area=(area or "").strip() or None)
            if format in ("csv", "pdf"):
                body = reports.render(reports.for_people(built), format)
                name = f"{report}.{format}"
                return Response(body, media_type=reports.MEDIA[format], headers={
                    "Content-Disposition": f'attachment; filename="{name}"',
                    "Cache-Control": "no-store"})
            tables = reports.screen(built)
            built_title = reports.for_people(built).title
        except MineActionError as exc:
            error = exc.text(lang)
    return ws_page(request, "ws_reports.html", actor, session,
                   title=_t(request, N_("Report builder")), names=names,
                   titles=_report_titles(lang), chosen=report or "", year=year or "",
                   area=area or "", format=format if format in REPORT_FORMATS else "html",
                   formats=REPORT_FORMATS, tables=tables, built_title=built_title,
                   error=error)


@routes("figures", "figures")
def figures_register(request: Request) -> Response:
    from mineaction.services import figures

    signed = session_actor(request)
    if signed is None:
        return to_login(request)
    actor, session = signed
    found = figures.listing(workspace_context(request, actor))
    return ws_page(request, "ws_figures.html", actor, session,
                   title=_t(request, N_("Figures register")), figures=found)


def _report_titles(lang: str) -> dict[str, str]:
    """Each report's title in ``lang`` (the reports' own catalogue)."""
    from mineaction.reports.localise import translator
    from mineaction.services import reports

    t = translator(lang)
    return {d["name"]: (gettext(lang, d["title"]) if gettext(lang, d["title"]) != d["title"]
                        else t.gettext(d["title"])) for d in reports.catalogue()}


# -- the programme's settings ---------------------------------------------------------------

@routes("settings", "settings")
def settings_page(request: Request) -> Response:
    signed = session_actor(request)
    if signed is None:
        return to_login(request)
    return _settings(request, *signed)


def _settings(request: Request, actor: Actor, session: str, *, done: str | None = None,
              error: str | None = None, tried: tuple[str, str] | None = None) -> HTMLResponse:
    """Every setting with its value, default and description; a form for each to
    administrators (the store refuses anyone else's change whatever the page shows)."""
    from mineaction.access import settings as programme
    from mineaction.messages import render
    from mineaction.services import settings as service

    lang = lang_of(request)
    rows = [{"key": s.key, "value": programme.shown(s.value),
             "default": programme.shown(s.default), "stored": s.stored,
             "about": render(s.about, {}, lang),
             "choices": programme.SETTINGS[s.key].choices,
             "typed": tried[1] if tried and tried[0] == s.key else programme.shown(s.value)}
            for s in service.show(workspace_context(request, actor))]
    return ws_page(request, "ws_settings.html", actor, session,
                   title=_t(request, N_("Programme settings")), rows=rows,
                   admin=actor.has(Role.ADMIN), done=done, error=error)


@routes("settings/{key}", "settings-change", ("POST",))
async def change_setting(request: Request, key: str) -> Response:
    """Set a setting to the form's ``value``, or return it to its default (``action`` unset).
    A bad value or a refusal shows the page again with the reason; nothing is written then.
    The Observer's pages made before the change are made again for their next reader."""
    from mineaction.messages import render
    from mineaction.services import settings as service

    posted = await signed_form(request)
    if posted is None:
        return to_login(request)
    actor, session, form = posted
    lang = lang_of(request)
    unset = form.get("action") == "unset"
    value = None if unset else form.get("value", "")
    try:
        done = service.change(workspace_context(request, actor), key, value)
    except MineActionError as exc:
        response = _settings(request, actor, session, error=exc.text(lang),
                             tried=(key, value or ""))
        response.status_code = exc.http_status
        return response
    code, params = done.said()
    return _settings(request, actor, session, done=render(code, params, lang))

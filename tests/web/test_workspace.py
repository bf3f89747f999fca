"""The IM workspace in a real Chromium: sign-in required and a session cookie the page's
scripts cannot read; forms refused without their token; a hazard submitted by an operator
appears in the workbench, is approved in the browser by an approver, and the public then reads
it; the pages render in every language with no console error and no untranslated string;
axe-core finds no serious or critical violation on the workbench and the settings page; an
administrator changes a setting of what the public sees through its form, and the Observer
follows at once."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mineaction.access import accounts
from mineaction.services import review
from mineaction.services.context import Context
from mineaction.store import Query, open_store
from mineaction.web.i18n import LANGUAGES
from tests.api.conftest import PASSWORD, make_accounts, served
from tests.web.test_observer import AXE, english_strings

pytestmark = [pytest.mark.real, pytest.mark.xdist_group("observer")]


@pytest.fixture(scope="module")
def ws_db(observer_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the Observer's demo store, with accounts."""
    db = tmp_path_factory.mktemp("workspace") / "demo.gpkg"
    shutil.copyfile(observer_db, db)
    store = open_store(str(db))
    try:
        make_accounts(store)
    finally:
        store.close()
    return db


@pytest.fixture(scope="module")
def ws_pages(ws_db: Path) -> dict[str, str]:
    """The workspace's pages: a hazard released in steps, a minefield record, reports."""
    store = open_store(str(ws_db))
    try:
        steps = store.query("release-steps", Query(limit=1))
        hid = next(s.hazard_id for s in steps if s.hazard_id) if steps else \
            store.query("hazards", Query(limit=1))[0].id
        records = store.query("minefield-records", Query(limit=1))
    finally:
        store.close()
    out = {"workbench": "", "hazard": f"hazards/{hid}",
           "reports": "reports", "figures": "figures", "settings": "settings"}
    if records:
        out["record"] = f"records/{records[0].id}"
    return out


@pytest.fixture(scope="module")
def ws_url(ws_db: Path) -> Iterator[str]:
    from mineaction.api import create_app

    with served(create_app(str(ws_db))) as url:
        yield url


def hazard_feature(hid: str) -> dict[str, Any]:
    x, y = 51.6, 41.8
    ring = [[x, y], [x + 0.004, y], [x + 0.004, y + 0.003], [x, y + 0.003], [x, y]]
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"id": hid, "kind": "sha", "recorded_on": "2025-03-01",
                       "name": "synthetic hazard", "source": "synthetic: workspace tests"}}]}


def submit(ws_db: Path, hid: str) -> str:
    store = open_store(str(ws_db))
    try:
        operator = accounts.authenticate(store, "oao", PASSWORD)
        sub = review.submit_geojson(Context(store, operator), "hazards", hazard_feature(hid))
        return str(sub.id)
    finally:
        store.close()


@pytest.fixture(scope="module")
def pending(ws_db: Path) -> str:
    """A submission that stays waiting."""
    return submit(ws_db, "HZ-WS-0001")


@pytest.fixture(scope="module")
def approver(browser: Any, ws_url: str) -> Iterator[Any]:
    """A tab signed in as an approver, shared by the tests that only read (signing in once:
    the password's hash is slow on purpose)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    sign_in(page, ws_url, "axp")
    try:
        yield page
    finally:
        context.close()


def sign_in(tab: Any, url: str, user: str, lang: str = "en") -> None:
    tab.goto(f"{url}/{lang}/workspace/")
    assert "/workspace/login" in tab.url
    tab.fill("#user", user)
    tab.fill("#password", PASSWORD)
    tab.click("form.ws-login button[type=submit]")
    tab.wait_for_url(f"{url}/{lang}/workspace/")


def test_sign_in_is_required_and_the_session_is_guarded(tab: Any, ws_url: str, pending: str,
                                                        ws_pages: dict[str, str]) -> None:
    with httpx.Client(base_url=ws_url, follow_redirects=False) as client:
        for path in ws_pages.values():
            r = client.get(f"/ru/workspace/{path}")
            assert r.status_code == 303 and r.headers["location"].startswith(
                "/ru/workspace/login?next=%2Fru%2Fworkspace%2F"), path
        r = client.post(f"/en/workspace/submissions/{pending}/approve", data={"note": "x"})
        assert r.status_code == 303  # not signed in: nothing decided
        r = client.post("/en/workspace/login", data={"user": "axp", "password": "wrong one!"})
        assert r.status_code == 401 and "mineaction_session" not in r.cookies
    tab.goto(f"{ws_url}/en/workspace/")
    tab.fill("#user", "axp")
    tab.fill("#password", "not the password")
    tab.click("form.ws-login button[type=submit]")
    assert tab.locator("p.error").is_visible()
    sign_in(tab, ws_url, "axp")
    cookie = next(c for c in tab.context.cookies() if c["name"] == "mineaction_session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert "mineaction_session" not in tab.evaluate("document.cookie")
    # a form without its token changes nothing
    r = tab.request.post(f"{ws_url}/en/workspace/submissions/{pending}/approve",
                         form={"csrf": "forged", "note": "x"})
    assert r.status == 403
    # signing out revokes the token: the cookie's token no longer opens anything
    token = cookie["value"]
    tab.click("form.logout button")
    assert "/workspace/login" in tab.url
    with httpx.Client(base_url=ws_url, follow_redirects=False) as client:
        client.cookies.set("mineaction_session", token)
        assert client.get("/en/workspace/").status_code == 303


def test_submission_approved_in_the_browser_reaches_the_public(tab: Any, ws_url: str,
                                                               ws_db: Path) -> None:
    hid = "HZ-WS-0002"
    sub_id = submit(ws_db, hid)
    with httpx.Client(base_url=ws_url) as client:
        assert client.get(f"/collections/hazards/items/{hid}").status_code == 404
    sign_in(tab, ws_url, "axp")
    section = tab.locator(f"#sub-{sub_id}")
    assert hid in section.inner_text()
    section.locator(".ws-map canvas").wait_for()  # the submitted polygon on its map
    section.locator("input[name=note]").fill("checked against the survey report")
    section.locator("button[value=approve]").click()
    assert tab.locator("p.done").is_visible()
    assert tab.locator(f"#sub-{sub_id}").count() == 0
    assert not tab.problems, tab.problems
    with httpx.Client(base_url=ws_url) as client:
        r = client.get(f"/collections/hazards/items/{hid}")
        assert r.status_code == 200, r.text[:300]
        assert r.json()["id"] == hid


def test_workbench_axe(approver: Any, ws_url: str, pending: str) -> None:
    tab = approver
    tab.goto(f"{ws_url}/en/workspace/")
    assert tab.locator(f"#sub-{pending}").count() == 1
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"]) for v in result["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, bad


@pytest.mark.parametrize("lang", LANGUAGES)
def test_workspace_pages_render_translated(approver: Any, ws_url: str,
                                           ws_pages: dict[str, str], lang: str) -> None:
    tab = approver
    tab.problems.clear()
    english = english_strings(lang) if lang != "en" else []
    with httpx.Client(base_url=ws_url) as client:
        text = client.get(f"/{lang}/workspace/login").text
    assert not [s for s in english if s in text], lang
    assert "record" in ws_pages  # the demo has minefield records
    for name, path in ws_pages.items():
        response = tab.goto(f"{ws_url}/{lang}/workspace/{path}")
        assert response is not None and response.status == 200, (lang, name)
        assert tab.get_attribute("html", "lang") == lang
        text = tab.inner_text("body") + " " + tab.title()
        left = [s for s in english if s in text]
        assert not left, (lang, name, left[:5])
        assert not tab.problems, (lang, name, tab.problems)


def test_report_builder_runs_the_report_service(tab: Any, ws_url: str) -> None:
    sign_in(tab, ws_url, "axa")
    tab.goto(f"{ws_url}/en/workspace/reports")
    tab.select_option("#report", "casualties")
    tab.click("form.ws-report button[type=submit]")
    assert tab.locator("section.table table").count() >= 1
    assert not tab.problems, tab.problems
    r = tab.request.get(f"{ws_url}/en/workspace/reports?report=land-release&format=csv")
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    assert "cleared" in r.text()
    r = tab.request.get(f"{ws_url}/en/workspace/reports?report=nothing-such&format=html")
    assert r.status == 200 and "error" in r.text()


def test_record_correction_is_decided_once_through_the_form(approver: Any, ws_url: str,
                                                            ws_db: Path) -> None:
    """The record page offers accept or reject on a proposed correction (with the form's
    token); a rejection needs a reason, is shown on the record afterwards, and is final."""
    from mineaction.access import Actor, Role
    from tests.records.test_decide import put

    store = open_store(str(ws_db))
    try:  # a record handed over in SK-42 read as WGS84, the mines found where they lie
        axp = Actor("axp", frozenset({Role.APPROVER}), org_id="AX", country="XV",
                    org_kind="authority")
        rid = put(store, "MR-WS-1", 51.55, "sk42_as_wgs84", lat=41.05, by=axp).id
    finally:
        store.close()
    tab = approver
    url = f"{ws_url}/en/workspace/records/{rid}"
    html = tab.request.get(url).text()
    assert f'action="/en/workspace/records/{rid}/accept"' in html
    assert "SK-42 coordinates read as WGS84" in html
    ru = tab.request.get(f"{ws_url}/ru/workspace/records/{rid}").text()
    assert "координаты СК-42 прочитаны как WGS84" in ru  # what it read, in the page's language
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    assert tab.request.post(f"{url}/reject", form={"csrf": "forged", "note": "x"}).status == 403
    r = tab.request.post(f"{url}/reject", form={"csrf": csrf, "note": " "})
    assert r.status == 400 and 'class="error"' in r.text()
    r = tab.request.post(f"{url}/reject", form={"csrf": csrf, "note": "finds of another field"})
    assert r.status == 200, r.text()[:500]
    assert "Rejected by" in r.text() and "finds of another field" in r.text()
    assert f'/records/{rid}/accept"' not in r.text()  # decided: no form any more
    again = tab.request.post(f"{url}/accept", form={"csrf": csrf, "note": ""})
    assert again.status == 409


def stored(ws_db: Path) -> dict[str, str]:
    store = open_store(str(ws_db))
    try:
        return store.stored_settings()
    finally:
        store.close()


def shown_below(page: str) -> set[str]:
    """The thresholds of a public page's suppressed cells ("fewer than N")."""
    return set(re.findall(r'class="suppressed">fewer than (\d+)<', page))


def test_settings_are_changed_by_administrators_and_the_public_follows(
        tab: Any, approver: Any, ws_url: str, ws_db: Path) -> None:
    """The settings page lists every setting to anyone signed in, with a form to
    administrators only; a bad value is refused with the key and the reason and nothing is
    written; a change reaches the Observer's page at once (its cache is keyed by the
    settings), and returning to the default does too."""
    row = "#setting-public-suppress_below"
    casualties = f"{ws_url}/en/casualties"
    with httpx.Client() as client:
        assert shown_below(client.get(casualties).text) == {"5"}  # made and cached
    assert "public.suppress_below" not in stored(ws_db)
    # an approver reads the settings but has no form, and a posted change is refused
    html = approver.request.get(f"{ws_url}/en/workspace/settings").text()
    assert "public.grid_km" in html and "Only administrators change settings." in html
    assert 'action="/en/workspace/settings/' not in html
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    r = approver.request.post(f"{ws_url}/en/workspace/settings/public.suppress_below",
                              form={"csrf": csrf, "value": "2", "action": "set"})
    assert r.status == 403 and "administrators" in r.text()
    assert "public.suppress_below" not in stored(ws_db)
    sign_in(tab, ws_url, "adm")
    tab.goto(f"{ws_url}/en/workspace/settings")
    try:
        tab.fill(f"{row} input[name=value]", "1")  # below the least threshold allowed
        tab.click(f"{row} button[value=set]")
        error = tab.locator("p.error").inner_text()
        assert "public.suppress_below" in error and "2" in error and "1000" in error, error
        assert tab.input_value(f"{row} input[name=value]") == "1"  # what was typed stays
        assert "public.suppress_below" not in stored(ws_db)
        assert tab.problems == [  # the refusal's own status, and nothing else
            "Failed to load resource: the server responded with a status of 400 (Bad Request)"]
        tab.problems.clear()
        tab.fill(f"{row} input[name=value]", "10")
        tab.click(f"{row} button[value=set]")
        assert "public.suppress_below set to 10" in tab.locator("p.done").inner_text()
        assert tab.locator(f"{row} td.value").inner_text().strip() == "10"
        assert stored(ws_db)["public.suppress_below"] == "10"
        with httpx.Client() as client:
            page = client.get(casualties).text
        assert "fewer than 10 people" in page and shown_below(page) == {"10"}
        tab.select_option("#value-public-polygons", "admin")
        tab.click("#setting-public-polygons button[value=set]")
        assert "public.polygons set to admin" in tab.locator("p.done").inner_text()
        tab.add_script_tag(path=str(AXE))
        result = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [(v["id"], v["impact"]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
        assert not bad, bad
        tab.goto(f"{ws_url}/ru/workspace/settings")  # the administrator's form, translated
        text = tab.inner_text("body")
        left = [s for s in english_strings("ru") if s in text]
        assert not left, left[:5]
        assert "Параметры программы" in tab.title()
        tab.goto(f"{ws_url}/en/workspace/settings")
        tab.click(f"{row} button[value=unset]")
        assert "its default applies again" in tab.locator("p.done").inner_text()
        assert tab.locator(f"{row} button[value=unset]").count() == 0
        with httpx.Client() as client:
            assert shown_below(client.get(casualties).text) == {"5"}
        assert not tab.problems, tab.problems
    finally:
        store = open_store(str(ws_db))
        try:
            with store.transaction() as tx:
                for key in ("public.suppress_below", "public.polygons"):
                    tx.put_setting(key, None)
        finally:
            store.close()
    assert stored(ws_db) == {}

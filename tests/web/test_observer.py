"""The Observer in a real Chromium: every page in every language renders with no console
error and no English string of the interface left untranslated; axe-core finds no serious or
critical violation; the keyboard reaches the navigation; nothing overflows 360 px; the first
view of the home page transfers less than 1 MB."""

from __future__ import annotations

from typing import Any

import pytest
from babel.messages.pofile import read_po

from mineaction.web.i18n import LANGUAGES, po_path
from tests.web.conftest import ROOT

pytestmark = [pytest.mark.real, pytest.mark.xdist_group("observer")]

PAGES = {"home": "", "casualties": "casualties", "land-release": "land-release", "data": "data",
         "figures": "figures", "30-november": "30-november",
         "sources": "sources?report=casualties&cell=by-year/Total/total",
         "bulletin": "bulletin", "profile": "profile"}
#: Pages photographed in every language.
SHOT = ("home", "casualties", "land-release", "profile")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def english_strings(lang: str) -> list[str]:
    """The interface's English strings that ``lang`` translates otherwise (of two words or
    more: a single word may well be the same in a page's data)."""
    with po_path(lang).open("rb") as f:
        cat = read_po(f)
    out = []
    for m in cat:
        if not m.id or isinstance(m.id, tuple) or m.string == m.id:
            continue
        text = m.id.split("%(")[0].strip()
        if len(text.split()) >= 2:
            out.append(text)
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_renders_translated(tab: Any, observer_url: str, shots: Any,
                                       lang: str) -> None:
    english = english_strings(lang) if lang != "en" else []
    for name, path in PAGES.items():
        response = tab.goto(f"{observer_url}/{lang}/{path}")
        assert response is not None and response.status == 200, (lang, name)
        assert tab.get_attribute("html", "lang") == lang
        text = tab.inner_text("body") + " " + tab.title()
        left = [s for s in english if s in text]
        assert not left, (lang, name, left[:5])
        assert not tab.problems, (lang, name, tab.problems)
        if name in SHOT:
            tab.screenshot(path=str(shots / f"{name}-{lang}.png"), full_page=True)
    # the synthetic banner is there on a demo store
    tab.goto(f"{observer_url}/{lang}/")
    assert tab.locator(".synthetic").is_visible()


def test_root_goes_to_the_remembered_language(browser: Any, observer_url: str) -> None:
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.goto(f"{observer_url}/")
    assert page.url.endswith("/ru/")
    page.goto(f"{observer_url}/ka/casualties")
    page.goto(f"{observer_url}/")
    assert page.url.endswith("/ka/")  # remembered in a cookie
    context.close()


@pytest.mark.parametrize("lang", ["en", "hy"])
def test_no_serious_accessibility_violation(tab: Any, observer_url: str, lang: str) -> None:
    # a page of each layout in English; the home page in Armenian (the same templates)
    names = ["home", "casualties", "figures", "data", "profile"] if lang == "en" else ["home"]
    for name in names:
        tab.goto(f"{observer_url}/{lang}/{PAGES[name]}")
        tab.add_script_tag(path=str(AXE))
        result = tab.evaluate("async () => (await axe.run(document)).violations"
                              ".map(v => [v.id, v.impact, v.nodes.length])")
        bad = [v for v in result if v[1] in ("serious", "critical")]
        assert not bad, (lang, name, bad)


def test_keyboard_reaches_the_navigation(tab: Any, observer_url: str) -> None:
    tab.goto(f"{observer_url}/en/")
    wanted = set(tab.eval_on_selector_all("nav.main a", "as => as.map(a => a.href)"))
    reached = set()
    for _ in range(30):
        tab.keyboard.press("Tab")
        href = tab.evaluate("() => document.activeElement && document.activeElement.href")
        if href:
            reached.add(href)
        if wanted <= reached:
            break
    assert wanted <= reached, wanted - reached


@pytest.mark.parametrize("lang", ["en", "ka"])
def test_pages_fit_a_phone(browser: Any, observer_url: str, lang: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    for name, path in PAGES.items():
        page.goto(f"{observer_url}/{lang}/{path}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, (lang, name, width)
    context.close()


def test_first_view_is_light(browser: Any, observer_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r))
    page.goto(f"{observer_url}/en/", wait_until="networkidle")
    total = 0
    for r in responses:
        sizes = r.request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    assert responses and total < 1_000_000, total
    page_response = next(r for r in responses if r.url.endswith("/en/"))
    assert page_response.headers.get("content-encoding") == "gzip"
    context.close()


@pytest.mark.parametrize(("lang", "font", "text"), [("hy", "NotoSansArmenian", "տեղեկագիր"),
                                                    ("ka", "NotoSansGeorgian", "ბიულეტენი")])
def test_bulletin_pdf_renders_the_script(observer_url: str, lang: str, font: str,
                                         text: str) -> None:
    import io

    import httpx
    from pypdf import PdfReader

    r = httpx.get(f"{observer_url}/{lang}/bulletin.pdf", timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.content))
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1].replace("-", "")
             for p in pdf.pages for f in p["/Resources"]["/Font"].values()}
    assert any(f.startswith(font) for f in fonts), fonts
    assert text in pdf.pages[0].extract_text()


def test_the_year_form(tab: Any, observer_url: str) -> None:
    tab.goto(f"{observer_url}/ru/casualties")
    years = tab.eval_on_selector_all("#year option", "os => os.map(o => o.value)")
    assert years[0] == "" and len(years) > 1
    tab.select_option("#year", years[1])
    tab.click("form.period button")
    tab.wait_for_url(f"**/ru/casualties?year={years[1]}")
    assert tab.locator("#year").input_value() == years[1]
    tab.select_option("#year", "")  # every year again: an empty choice
    tab.click("form.period button")
    tab.wait_for_url("**/ru/casualties?year=")
    assert tab.locator("h1").inner_text() and not tab.problems


def test_an_expired_report_is_given_while_it_is_made_again(monkeypatch: Any) -> None:
    """After ``FRESH_S`` the reader still gets the report built before, at once, while a
    thread builds it again; the readers after that get the new one. A change of the
    programme's settings is made again before it is given."""
    import time
    from types import SimpleNamespace

    from mineaction.web import observer_pages

    settings: dict[str, str] = {}
    store = SimpleNamespace(stored_settings=lambda: dict(settings))
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(store=store)))
    made = iter(range(10))
    assert observer_pages.cached(request, "k", lambda: next(made)) == 0
    assert observer_pages.cached(request, "k", lambda: next(made)) == 0  # fresh
    monkeypatch.setattr(observer_pages, "FRESH_S", -1.0)
    assert observer_pages.cached(request, "k", lambda: next(made)) == 0  # old, at once
    for _ in range(500):
        if not request.app.state.observer_making:
            break
        time.sleep(0.01)
    monkeypatch.setattr(observer_pages, "FRESH_S", 300.0)
    assert observer_pages.cached(request, "k", lambda: next(made)) == 1
    # a change of the programme's settings: made again at once, never the one before
    settings["public.suppress_below"] = "10"
    assert observer_pages.cached(request, "k", lambda: next(made)) == 2
    assert observer_pages.cached(request, "k", lambda: next(made)) == 2
    assert len(request.app.state.observer_cache) == 1  # the page of the old settings dropped

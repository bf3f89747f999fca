"""The Observer served for real: a small synthetic demo store (scale 0.05) with the
published-figures register, under uvicorn on a free port in a thread, read by Debian's
Chromium through Playwright. Built once per session; tests that use it share one worker."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mineaction.cli import main
from tests.api.conftest import served
from tests.conftest import SHARED, skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
REGISTER = SHARED / "reference" / "published_figures.csv"
ROOT = Path(__file__).resolve().parents[2]
#: Screenshots of the main pages in every language, for people to look at.
SHOTS = ROOT / "build" / "screenshots"


@pytest.fixture(scope="session")
def observer_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("observer") / "demo.gpkg"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--db", str(db), "demo", "--seed", "1", "--scale", "0.05"]) == 0
        if REGISTER.exists():
            assert main(["--db", str(db), "figures", "import", str(REGISTER)]) == 0
    return db


@pytest.fixture(scope="session")
def observer_url(observer_db: Path) -> Iterator[str]:
    from mineaction.api import create_app

    with served(create_app(str(observer_db))) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")
    if not CHROMIUM.exists():
        skip_or_fail("Debian's chromium is not installed (make system-deps)")
    if not (ROOT / "node_modules" / "axe-core" / "axe.min.js").exists():
        skip_or_fail("axe-core is not installed (make js)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM),
                              args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A fresh page of the session's browser that collects console errors in
    ``page.problems``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS

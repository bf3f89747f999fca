"""A small demo store (seed 2, scale 0.1: about 30 s to build on a shared machine), built once
per test session, and a store holding only the published figures of the register."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from mineaction.cli import main
from tests.conftest import SHARED

REGISTER = SHARED / "reference" / "published_figures.csv"


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("planning-demo") / "demo.gpkg"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--db", str(db), "demo", "--seed", "2", "--scale", "0.1"]) == 0
    return db


@pytest.fixture(scope="session")
def figures_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("planning-figures") / "figures.gpkg"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["--db", str(db), "init"]) == 0
        assert main(["--db", str(db), "figures", "import", str(REGISTER)]) == 0
    return db

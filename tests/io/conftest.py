"""Helpers for the reading tests: a fresh store and the CLI, with output flattened (the
console wraps long lines)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mineaction.cli import main
from mineaction.store import open_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "m.gpkg")
    assert main(["--db", path, "init"]) == 0
    return path


@pytest.fixture
def cli(db: str, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run ``mineaction --db DB ARGS``; return the exit status and stdout + stderr in one line."""

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--db", db, *args])
        out = capsys.readouterr()
        return code, " ".join((out.out + " " + out.err).split())

    return run


@pytest.fixture
def stored(db: str) -> Callable[[str], dict]:
    """The records of a layer in the store, by id."""

    def read(layer: str) -> dict:
        s = open_store(db)
        try:
            return {r.id: r for r in s.query(layer)}
        finally:
            s.close()

    return read

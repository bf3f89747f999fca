"""Fixtures for minefield record tests: a fresh GeoPackage store, a place to write records."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mineaction.cli import main


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "records.gpkg")
    assert main(["--db", path, "init"]) == 0
    return path


@pytest.fixture
def write_record(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def write(rec: dict[str, Any]) -> Path:
        p = tmp_path / f"{rec['record_id']}.json"
        p.write_text(json.dumps(rec, indent=2), encoding="utf-8")
        return p

    return write


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240917)

"""A small scenario built once per test session (and its twin, and another seed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mineaction.demo.scenario import Summary, build

SEED = 7
SCALE = 0.12


@dataclass
class Built:
    db: Path
    truth: Path
    records: Path
    summary: Summary


def _build(root: Path, seed: int, scale: float = SCALE) -> Built:
    root.mkdir(parents=True, exist_ok=True)
    db, truth, records = root / "store.gpkg", root / "truth.gpkg", root / "records"
    summary = build(str(db), truth, seed=seed, scale=scale, records_dir=records)
    return Built(db, truth, records, summary)


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("demo") / "a", SEED)


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("demo") / "b", SEED)


@pytest.fixture(scope="session")
def other(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("demo") / "c", SEED + 1)

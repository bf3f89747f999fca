"""Fixtures for command line tests: a small store built from ``examples/`` through the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mineaction.cli import main
from tests.conftest import EXAMPLES

#: (layer, file) imported, in this order, into the example store.
EXAMPLE_FILES = [("organisations", "organisations.csv"), ("admin-areas", "admin-areas.geojson"),
                 ("hazards", "hazards.geojson"), ("activities", "activities.geojson"),
                 ("finds", "finds.csv")]


@pytest.fixture(scope="module")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the examples and the example minefield record (built once per module;
    copy it before writing to it: see ``store_copy``)."""
    path = tmp_path_factory.mktemp("examples") / "examples.gpkg"
    assert main(["--db", str(path), "init"]) == 0
    for layer, name in EXAMPLE_FILES:
        assert main(["--db", str(path), "import", layer, str(EXAMPLES / name)]) == 0
    record = EXAMPLES / "minefield-records" / "MR-0001.json"
    assert main(["--db", str(path), "records", "import", str(record)]) == 0
    return path


@pytest.fixture
def store_copy(example_store: Path, tmp_path: Path) -> Path:
    """A private copy of the example store that a test may change."""
    path = tmp_path / "store.gpkg"
    shutil.copyfile(example_store, path)
    return path

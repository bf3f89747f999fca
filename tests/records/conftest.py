"""Fixtures for minefield record tests: a real GeoPackage store with finds and covered ground
built from synthetic fields of known truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Point

from mineaction.cli import main
from mineaction.domain.activities import Activity
from mineaction.domain.ordnance import Find
from mineaction.domain.vocabulary import ActivityKind, EOCategory
from mineaction.records import synthetic as S
from mineaction.store import open_store

SOURCE = "synthetic:records tests"


def put_ground(db: str, name: str, gr: S.Ground, *, covered: bool = True) -> None:
    """Store the finds (alternating ap/av) and, with ``covered``, the cleared polygon."""
    finds = [Find(id=f"{name}-F{i}", category=EOCategory.AP if i % 2 else EOCategory.AV,
                  geometry=Point(lon, lat), source=SOURCE)
             for i, (lon, lat) in enumerate(gr.finds_lonlat)]
    store = open_store(db)
    try:
        with store.transaction() as tx:
            tx.add_many(finds)
            if covered:
                poly = gr.covered if gr.covered.geom_type == "MultiPolygon" \
                    else MultiPolygon([gr.covered])
                tx.add(Activity(id=f"{name}-C", kind=ActivityKind.CLEARANCE,
                                operator="Synthetic operator", geometry=poly, source=SOURCE))
    finally:
        store.close()


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

"""A small demo (seed 2, scale 0.05) built once per session, with its minefield records
assessed, and helpers that place records in metres around a point at sea."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point

from mineaction.cli import main
from mineaction.geo.traverse import LocalFrame

FRAME = LocalFrame(51.0, 41.4)


def at(x: float, y: float) -> Point:
    """The point ``x`` metres east and ``y`` metres north of (51.0 E, 41.4 N)."""
    lon, lat = FRAME.to_lonlat(np.array([[x, y]]))
    return Point(float(lon[0]), float(lat[0]))


def square(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    """A rectangle given in metres around (51.0 E, 41.4 N), as lon/lat."""
    poly = shapely.segmentize(shapely.box(x0, y0, x1, y1), 10.0)

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = FRAME.to_lonlat(xy)
        return np.column_stack((lon, lat))

    return MultiPolygon([shapely.transform(poly, fn)])


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args))
    return code, out.getvalue()


@dataclass
class Demo:
    db: Path
    truth: Path


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    from mineaction.demo.scenario import build

    root = tmp_path_factory.mktemp("evidence-demo")
    db, truth = root / "store.gpkg", root / "truth.gpkg"
    with contextlib.redirect_stdout(io.StringIO()):
        build(str(db), truth, seed=2, scale=0.05, records_dir=root / "records")
    assert run("--db", str(db), "records", "assess")[0] == 0
    return Demo(db, truth)

"""The demo territory's box at sea, a local metric frame, and small geometry helpers.

Everything is generated in metres in a transverse Mercator frame centred on the box and turned
into EPSG:4326 once, when a record is made. The box lies over the Caspian Sea, so no synthetic
hazard can be mistaken for a real one.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pyproj
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

#: (west, south, east, north) in degrees: every demo geometry lies inside.
BOX = (50.3, 40.9, 51.7, 41.9)
CENTRE = (51.0, 41.4)
LOCAL_PROJ = ("+proj=tmerc +lat_0=41.4 +lon_0=51.0 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 "
              "+units=m +no_defs")

START = dt.date(2020, 11, 10)  # end of hostilities: the history begins
END = dt.date(2025, 12, 31)
YEARS = (2020, 2021, 2022, 2023, 2024, 2025)


@lru_cache(maxsize=1)
def _to_ll() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(LOCAL_PROJ, "EPSG:4326", always_xy=True)


@lru_cache(maxsize=1)
def _to_xy() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", LOCAL_PROJ, always_xy=True)


def to_ll(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres to (lon, lat)."""
    lon, lat = _to_ll().transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def to_xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = _to_xy().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def geom_ll(geom: BaseGeometry) -> BaseGeometry:
    """A geometry in local metres as EPSG:4326."""

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_ll(xy[:, 0], xy[:, 1])
        return np.column_stack((lon, lat))

    return shapely.transform(geom, fn)


def geom_xy(geom: BaseGeometry) -> BaseGeometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = to_xy(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    return shapely.transform(geom, fn)


@lru_cache(maxsize=1)
def box_xy() -> BaseGeometry:
    """The box in local metres (densified so its curved edges are followed)."""
    return geom_xy(shapely.segmentize(box(*BOX), 0.01))


def inside_box(geom: BaseGeometry) -> bool:
    """Whether a geometry in EPSG:4326 lies inside :data:`BOX`."""
    minx, miny, maxx, maxy = geom.bounds
    return BOX[0] <= minx and maxx <= BOX[2] and BOX[1] <= miny and maxy <= BOX[3]


def date_between(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    days = (end - start).days
    return start + dt.timedelta(days=int(rng.integers(0, max(days, 0) + 1)))


def substream(seed: int, *key: int) -> np.random.Generator:
    """An independent generator for one part of the scenario, the same for the same key."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, *key]))

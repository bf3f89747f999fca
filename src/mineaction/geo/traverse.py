"""Bearing and distance traverses: angle units, the three norths, and where a leg ends.

A bearing is measured clockwise from a north: *true* (the meridian), *grid* (the map grid of a
projected CRS) or *magnetic* (the compass). With the declination δ (east positive) and the grid
convergence γ at the point (positive east of a transverse Mercator's central meridian in the
northern hemisphere)::

    true bearing = magnetic bearing + δ
    true bearing = grid bearing + γ

Angles come in degrees (360 to the circle), NATO mils (6400) or Soviet mils (6000).

Legs are followed in a *working plane*: the record's own grid when its CRS is projected (a
Gauss-Krüger zone of SK-42, a UTM zone), else a transverse Mercator centred on the first
reference point on the CRS's own ellipsoid (convergence and scale error there are below a
millionth over a few kilometres). In the plane a leg of ground length ``d`` on true bearing ``A``
moves by ``d * k`` along grid bearing ``A - γ``, with the point scale factor ``k`` and the
convergence ``γ`` computed by pyproj at the leg's start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pyproj

AngleUnit = Literal["degrees", "mil6400", "mil6000"]
North = Literal["true", "grid", "magnetic"]

FULL_CIRCLE: dict[str, float] = {"degrees": 360.0, "mil6400": 6400.0, "mil6000": 6000.0}


def to_degrees(value: float, unit: str) -> float:
    """An angle in ``unit`` as degrees."""
    try:
        circle = FULL_CIRCLE[unit]
    except KeyError:
        raise ValueError(f"unknown angle unit {unit!r}; expected one of "
                         + ", ".join(FULL_CIRCLE)) from None
    return float(value) * 360.0 / circle


def from_degrees(value: float, unit: str) -> float:
    return float(value) * FULL_CIRCLE[unit] / 360.0


def true_bearing(bearing: float, unit: str, north: str, *, declination_deg: float = 0.0,
                 convergence_deg: float = 0.0) -> float:
    """The true bearing in degrees [0, 360) of a bearing given in ``unit`` from ``north``."""
    deg = to_degrees(bearing, unit)
    if north == "magnetic":
        deg += declination_deg
    elif north == "grid":
        deg += convergence_deg
    elif north != "true":
        raise ValueError(f"unknown north {north!r}; expected true, grid or magnetic")
    return deg % 360.0


def destination(x: float, y: float, grid_bearing_deg: float, grid_distance: float
                ) -> tuple[float, float]:
    """End of a straight leg in a plane (x east, y north)."""
    a = math.radians(grid_bearing_deg)
    return x + grid_distance * math.sin(a), y + grid_distance * math.cos(a)


def grid_bearing_between(x1: float, y1: float, x2: float, y2: float) -> float:
    return math.degrees(math.atan2(x2 - x1, y2 - y1)) % 360.0


@dataclass(frozen=True)
class WorkingPlane:
    """A plane to follow legs in (x east, y north, metres), and the way to geographic degrees.

    ``geographic`` is the geographic CRS on the same datum; going between the two is the
    projection alone, never a datum shift. ``step`` is the PROJ projection step of a plane
    made for a geographic record; None for a record's own grid.
    """

    crs: pyproj.CRS  # the record's CRS
    geographic: pyproj.CRS
    step: str | None
    wkt: str = ""  # of ``crs``, kept to look the transformers up quickly
    geo_wkt: str = ""

    @property
    def native(self) -> bool:
        return self.step is None

    def to_geographic(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = _plane_transformers(self.wkt, self.step)[1].transform(
            np.asarray(x, float), np.asarray(y, float), errcheck=True)
        return np.atleast_1d(lon), np.atleast_1d(lat)

    def from_geographic(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = _plane_transformers(self.wkt, self.step)[0].transform(
            lon, lat, errcheck=True)
        return float(x), float(y)

    def factors(self, x: float, y: float) -> tuple[float, float]:
        """(convergence γ in degrees, with true = grid + γ; point scale factor k) at (x, y).

        Computed from the plane itself: the grid bearing of the meridian through the point,
        and the ratio of grid to geodesic length over a short step along it.
        """
        lon, lat = self.to_geographic(np.array([x]), np.array([y]))
        lon0, lat0 = float(lon[0]), float(lat[0])
        step = 1e-4  # degrees of latitude, about 11 m
        xn, yn = self.from_geographic(lon0, lat0 + step)
        xs, ys = self.from_geographic(lon0, lat0 - step)
        meridian = grid_bearing_between(xs, ys, xn, yn)
        convergence = -(((meridian + 180.0) % 360.0) - 180.0)
        _, _, ground = _geod(self.geo_wkt).inv(lon0, lat0 - step, lon0, lat0 + step)
        return convergence, math.hypot(xn - xs, yn - ys) / ground


def working_plane(crs: pyproj.CRS, lon0: float | None = None, lat0: float | None = None
                  ) -> WorkingPlane:
    return _working_plane(crs.to_wkt(), lon0, lat0)


@lru_cache(maxsize=1024)
def _working_plane(wkt: str, lon0: float | None, lat0: float | None) -> WorkingPlane:
    """The plane legs are followed in for data in ``crs``.

    A projected ``crs`` is its own plane. For a geographic one, ``lon0``/``lat0`` (in that
    CRS) centre a transverse Mercator on its ellipsoid.
    """
    crs = pyproj.CRS.from_wkt(wkt)
    geographic = crs.geodetic_crs if crs.is_projected else crs
    if geographic is None or not (crs.is_projected or crs.is_geographic):
        raise ValueError(f"{crs.name} is neither geographic nor projected")
    if crs.is_projected:
        return WorkingPlane(crs, geographic, None, wkt, geographic.to_wkt())
    if lon0 is None or lat0 is None:
        raise ValueError("a geographic CRS needs a centre for its working plane")
    ellps = crs.ellipsoid
    assert ellps is not None
    step = (f"+proj=tmerc +lat_0={lat0:.9f} +lon_0={lon0:.9f} +k=1 +x_0=0 +y_0=0 "
            f"+a={ellps.semi_major_metre!r} +b={ellps.semi_minor_metre!r}")
    return WorkingPlane(crs, geographic, step, wkt, geographic.to_wkt())


@lru_cache(maxsize=256)
def _plane_transformers(crs_wkt: str, step: str | None
                        ) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    """(geographic -> plane, plane -> geographic), both always longitude/easting first."""
    if step is None:
        crs = pyproj.CRS.from_wkt(crs_wkt)
        geographic = crs.geodetic_crs
        return (pyproj.Transformer.from_crs(geographic, crs, always_xy=True),
                pyproj.Transformer.from_crs(crs, geographic, always_xy=True))
    fwd = pyproj.Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {step}")
    inv = pyproj.Transformer.from_pipeline(
        f"+proj=pipeline +step +inv {step} +step +proj=unitconvert +xy_in=rad +xy_out=deg")
    return fwd, inv


@lru_cache(maxsize=16)
def _geod(geo_wkt: str) -> pyproj.Geod:
    ellps = pyproj.CRS.from_wkt(geo_wkt).ellipsoid
    assert ellps is not None
    return pyproj.Geod(a=ellps.semi_major_metre, b=ellps.semi_minor_metre)


# ---------------------------------------------------------------------------------------------
# A local metric frame around a WGS84 point, for comparing positions in metres.

@dataclass(frozen=True)
class LocalFrame:
    """Azimuthal equidistant plane (x east, y north, metres) centred on a WGS84 point."""

    lon0: float
    lat0: float

    @property
    def _fwd(self) -> pyproj.Transformer:
        return _aeqd(round(self.lon0, 7), round(self.lat0, 7))[0]

    @property
    def _inv(self) -> pyproj.Transformer:
        return _aeqd(round(self.lon0, 7), round(self.lat0, 7))[1]

    def to_local(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.column_stack((np.atleast_1d(x), np.atleast_1d(y)))

    def to_lonlat(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xy = np.asarray(xy, float).reshape(-1, 2)
        lon, lat = self._inv.transform(xy[:, 0], xy[:, 1])
        return np.atleast_1d(lon), np.atleast_1d(lat)


@lru_cache(maxsize=4096)
def _aeqd(lon0: float, lat0: float) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    step = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m"
    fwd = pyproj.Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {step}")
    inv = pyproj.Transformer.from_pipeline(
        f"+proj=pipeline +step +inv {step} +step +proj=unitconvert +xy_in=rad +xy_out=deg")
    return fwd, inv

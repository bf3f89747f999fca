"""Coordinate reference systems: parse what users give, transform to EPSG:4326, say how.

Stored geometries are always in EPSG:4326 with longitude first. Any CRS pyproj knows is
accepted on entry; the source CRS and the coordinate operation used are recorded with the
record. Datum shifts are never silent: for a source on a datum other than WGS84 (Pulkovo 1942 /
SK-42 is about 100 m off in the Caucasus) the operation used is named on the record, and a
:class:`DatumWarning` is issued when several operations could apply and none was chosen.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyproj
import shapely
from pyproj.aoi import AreaOfInterest
from pyproj.exceptions import CRSError
from pyproj.transformer import TransformerGroup
from shapely.geometry.base import BaseGeometry

from mineaction.errors import InvalidInput
from mineaction.messages import Message, Note

WGS84 = pyproj.CRS.from_epsg(4326)


class DatumWarning(UserWarning):
    """A datum transformation was chosen by default among several candidates."""


def parse_crs(text: str | int | pyproj.CRS) -> pyproj.CRS:
    """Parse 'EPSG:4284', '4284', a WKT or PROJ string; InvalidInput when pyproj knows none."""
    if isinstance(text, pyproj.CRS):
        return text
    value = str(text).strip()
    if value.isdigit():
        value = f"EPSG:{value}"
    try:
        return pyproj.CRS.from_user_input(value)
    except CRSError as exc:
        raise InvalidInput.of("crs.unknown", value=str(text), error=exc) from None


def crs_label(crs: pyproj.CRS) -> str:
    """'EPSG:4284' when the CRS has an authority code, else its WKT."""
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.to_wkt()


def crs_name(crs: pyproj.CRS) -> str:
    """'EPSG:32639' when the CRS has an authority code, else its name (for messages)."""
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def is_wgs84(crs: pyproj.CRS) -> bool:
    return crs.equals(WGS84, ignore_axis_order=True)


@dataclass(frozen=True)
class Reprojection:
    """A chosen, concrete transformation from a source CRS to EPSG:4326 (lon, lat)."""

    source: pyproj.CRS
    transformer: pyproj.Transformer | None  # None: the source is EPSG:4326
    candidates: tuple[str, ...]  # descriptions of every operation pyproj offered
    datum_shift: bool

    @property
    def source_label(self) -> str:
        return crs_label(self.source)

    @property
    def operation(self) -> str | None:
        return None if self.transformer is None else self.transformer.description

    def apply(self, geom: BaseGeometry) -> BaseGeometry:
        if self.transformer is None:
            return geom
        t = self.transformer

        def fn(xy: np.ndarray) -> np.ndarray:
            x, y = t.transform(xy[:, 0], xy[:, 1], errcheck=True)
            return np.column_stack((x, y))

        return shapely.transform(geom, fn)

    def apply_xy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.transformer is None:
            return np.asarray(x, float), np.asarray(y, float)
        return self.transformer.transform(x, y, errcheck=True)


def _same_datum(crs: pyproj.CRS) -> bool:
    geodetic = crs.geodetic_crs
    return geodetic is not None and geodetic.equals(WGS84, ignore_axis_order=True)


def _operation_name(operation: str) -> str:
    text = operation.strip()
    head, _, code = text.partition(":")
    if code and head.upper() == "EPSG" and code.isdigit():
        try:
            return pyproj.crs.CoordinateOperation.from_epsg(int(code)).name
        except CRSError:
            raise InvalidInput.of("crs.unknown_operation", operation=operation) from None
    return text


@lru_cache(maxsize=128)
def _reprojection(source_wkt: str, operation: str | None,
                  area: tuple[float, float, float, float] | None) -> Reprojection:
    source = pyproj.CRS.from_wkt(source_wkt)
    if is_wgs84(source):
        return Reprojection(source, None, (), False)
    aoi = AreaOfInterest(*area) if area else None
    group = TransformerGroup(source, WGS84, always_xy=True,
                             area_of_interest=aoi)  # type: ignore[arg-type]
    transformers = list(group.transformers)
    names = tuple(t.description for t in transformers)
    if not transformers:
        raise InvalidInput.of("crs.no_transformation", crs=crs_label(source))
    chosen = transformers[0]
    if operation:
        wanted = _operation_name(operation).lower()
        matches = [t for t in transformers if wanted in t.description.lower()]
        if not matches:
            raise InvalidInput.of("crs.operation_not_available", operation=operation,
                                  crs=crs_label(source), available="; ".join(names))
        chosen = matches[0]
    return Reprojection(source, chosen, names, not _same_datum(source))


def _area_in_degrees(source: pyproj.CRS, bounds: tuple[float, float, float, float]
                     ) -> tuple[float, float, float, float] | None:
    """The source bounds as (west, south, east, north) degrees, within about a kilometre."""
    geodetic = source.geodetic_crs
    if geodetic is None:
        return None
    if source.is_geographic:
        t = pyproj.Transformer.from_crs(source, geodetic, always_xy=True)
    else:
        t = pyproj.Transformer.from_crs(source, geodetic, always_xy=True)
    try:
        west, south, east, north = t.transform_bounds(*bounds, errcheck=True)
    except pyproj.exceptions.ProjError:
        return None
    if not all(np.isfinite([west, south, east, north])):
        return None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90
            and -90 <= north <= 90):
        return None
    return (round(west, 2), round(south, 2), round(east, 2), round(north, 2))


def reprojection(crs: str | int | pyproj.CRS, operation: str | None = None, *,
                 bounds: tuple[float, float, float, float] | None = None,
                 warn: bool = True) -> Reprojection:
    """The transformation to EPSG:4326 for data in ``crs``.

    ``operation`` names one ('EPSG:1808' or a part of its description such as
    'Pulkovo 1942 to WGS 84 (12)'); ``bounds`` (in the source CRS) lets pyproj rank the
    operations valid where the data lie. Without a named operation on another datum than WGS84,
    the best-ranked one is used and a :class:`DatumWarning` says which.
    """
    source = parse_crs(crs)
    area = _area_in_degrees(source, bounds) if bounds else None
    rp = _reprojection(source.to_wkt(), operation, area)
    if warn and rp.datum_shift and operation is None and len(rp.candidates) > 1:
        warnings.warn(DatumWarning(Note("crs.datum_chosen", crs=rp.source_label,
                                        count=len(rp.candidates), operation=rp.operation)),
                      stacklevel=2)
    return rp


def to_wgs84(geom: BaseGeometry, crs: str | int | pyproj.CRS,
             operation: str | None = None) -> BaseGeometry:
    """Transform one geometry to EPSG:4326 (longitude, latitude)."""
    return reprojection(crs, operation, bounds=tuple(geom.bounds)).apply(geom)  # type: ignore


# ---------------------------------------------------------------------------------------------
# Do coordinates match their CRS?

#: How far (degrees) outside its area of use a CRS is still taken to hold data: national grids
#: and UTM zones are used across a whole country (Azerbaijan lies in UTM zones 38 and 39 and
#: is often mapped in one), but a wrong zone or a wrong CRS lands farther away.
AREA_OF_USE_MARGIN_DEG = 6.0

_PLURAL = {"metre": "metres", "meter": "metres", "foot": "feet", "US survey foot": "US survey feet",
           "kilometre": "kilometres"}


@dataclass(frozen=True)
class Extent:
    """A box in degrees: (west, south, east, north); west > east crosses the antimeridian."""

    west: float
    south: float
    east: float
    north: float

    @property
    def all_longitudes(self) -> bool:
        span = self.east - self.west if self.east >= self.west else self.east - self.west + 360
        return span >= 360 or (self.west <= -180 and self.east >= 180)

    def widened(self, margin: float) -> Extent:
        south, north = max(-90.0, self.south - margin), min(90.0, self.north + margin)
        span = self.east - self.west if self.east >= self.west else self.east - self.west + 360
        if self.all_longitudes or span + 2 * margin >= 360:
            return Extent(-180.0, south, 180.0, north)

        def wrap(lon: float) -> float:
            return (lon + 180.0) % 360.0 - 180.0

        return Extent(wrap(self.west - margin), south, wrap(self.east + margin), north)

    def contains(self, xy: np.ndarray) -> np.ndarray:
        """Which of the (longitude, latitude) rows of ``xy`` lie inside (edges included)."""
        x, y = xy[:, 0], xy[:, 1]
        inside_y = (y >= self.south) & (y <= self.north)
        if self.all_longitudes:
            return inside_y & (x >= -180) & (x <= 180)
        if self.west <= self.east:
            return inside_y & (x >= self.west) & (x <= self.east)
        return inside_y & (((x >= self.west) & (x <= 180)) | ((x <= self.east) & (x >= -180)))

    def describe(self) -> str:
        def lon(v: float) -> str:
            return f"{abs(v):g}°{'W' if v < 0 else 'E'}"

        def lat(v: float) -> str:
            return f"{abs(v):g}°{'S' if v < 0 else 'N'}"

        return (f"{lon(round(self.west, 2))} to {lon(round(self.east, 2))}, "
                f"{lat(round(self.south, 2))} to {lat(round(self.north, 2))}")


def in_lonlat_range(xy: np.ndarray) -> np.ndarray:
    return (np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90)


def area_of_use(crs: pyproj.CRS) -> Extent | None:
    """Where ``crs`` is meant to be used, in degrees; None when pyproj does not say."""
    aou = crs.area_of_use
    if aou is None:
        return None
    return Extent(*(float(v) for v in aou.bounds))


def degrees_as_projected(crs: pyproj.CRS, xy: np.ndarray) -> Message | None:
    """Why ``xy`` (every coordinate of a file) look like degrees given in projected ``crs``, or
    None. Projected coordinates all within ±180, ±90 lie within 180 units of the projection's
    false origin, which no real file of mine action data does; degrees read as metres land
    near that origin (0°, 0° for EPSG:3857) without any other error."""
    if not crs.is_projected or len(xy) == 0 or not in_lonlat_range(xy).all():
        return None
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    return Message.of("crs.degrees_as_projected", crs=crs_name(crs),
                      units=_PLURAL.get(unit, unit + " units"))

"""Areas and lengths in square metres and metres on the WGS84 ellipsoid, never in degrees.

A stored polygon's edges are straight lines in longitude/latitude (as in GeoJSON, GeoPackage
and every GIS that draws them). Its area is measured on the ellipsoid after densifying edges to
at most :data:`SEGMENT_DEG` degrees, so that areas add up exactly when a polygon is split along
an arbitrary line (remaining + released = original, to well under 0.1 m²), which computing
geodesic edges between the original vertices alone does not give (tens of m² per km² on a
diagonal cut).
"""

from __future__ import annotations

from functools import lru_cache

import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

SEGMENT_DEG = 0.0005  # about 40-55 m in the Caucasus


@lru_cache(maxsize=1)
def _geod() -> pyproj.Geod:
    return pyproj.Geod(ellps="WGS84")


def area_m2(geom: BaseGeometry | None) -> float:
    """Geodesic area in m² of a geometry in EPSG:4326 (longitude, latitude).

    Orientation does not matter. Points and lines have no area (0.0).
    """
    if geom is None or geom.is_empty:
        return 0.0
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        return 0.0
    geod = _geod()
    total = 0.0
    for poly in shapely.get_parts(shapely.segmentize(geom, SEGMENT_DEG)):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        rings = [poly.exterior, *poly.interiors]
        for k, ring in enumerate(rings):
            xy = shapely.get_coordinates(ring)
            area, _ = geod.polygon_area_perimeter(xy[:, 0], xy[:, 1])
            total += abs(area) if k == 0 else -abs(area)
    return total


def length_m(geom: BaseGeometry | None) -> float:
    """Geodesic length in metres of a line (or the perimeter of a polygon) in EPSG:4326."""
    if geom is None or geom.is_empty:
        return 0.0
    return float(_geod().geometry_length(shapely.segmentize(geom, SEGMENT_DEG)))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance between two points in metres."""
    _, _, dist = _geod().inv(lon1, lat1, lon2, lat2)
    return float(dist)

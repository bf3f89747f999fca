"""Geometry rules: CRS handling, validation and repair, measurement on the ellipsoid."""

from mineaction.geo.crs import WGS84, Reprojection, parse_crs, to_wgs84
from mineaction.geo.measure import area_m2, length_m
from mineaction.geo.validate import GeometryProblem, check_geometry, repair

__all__ = ["WGS84", "GeometryProblem", "Reprojection", "area_m2", "check_geometry", "length_m",
           "parse_crs", "repair", "to_wgs84"]

"""Geometry validation and repair.

An invalid polygon is refused with the reason and where it is ("self-intersection at 47.12,
39.87"). It is repaired only when the user asks, and the repair is noted on the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mineaction.geo.measure import area_m2

_REASON = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>[-\d.eE+]+) (?P<y>[-\d.eE+]+)\]")

_FAMILIES = {
    "POINT": ("Point",),
    "MULTIPOLYGON": ("Polygon", "MultiPolygon"),
    "MULTILINESTRING": ("LineString", "MultiLineString"),
    "GEOMETRY": ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                 "MultiPolygon", "GeometryCollection"),
}


@dataclass(frozen=True)
class GeometryProblem:
    reason: str
    repairable: bool = False


def describe_invalid(geom: BaseGeometry) -> str:
    """GEOS's reason, worded for a person: 'self-intersection at 47.12000, 39.87000'."""
    raw = shapely.is_valid_reason(geom)
    m = _REASON.match(raw)
    if not m:
        return raw.lower()
    return f"{m['what'].strip().lower()} at {float(m['x']):.6f}, {float(m['y']):.6f}"


def check_geometry(geom: BaseGeometry | None, expected: str, *, required: bool = True,
                   lonlat: bool = True) -> GeometryProblem | None:
    """What is wrong with ``geom`` for a layer of type ``expected``, or None."""
    if geom is None:
        return GeometryProblem("geometry is missing") if required else None
    if geom.is_empty:
        return GeometryProblem("geometry is empty")
    if geom.geom_type not in _FAMILIES[expected]:
        return GeometryProblem(f"geometry is a {geom.geom_type}; this layer takes "
                               + " or ".join(_FAMILIES[expected][:2]))
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return GeometryProblem("geometry has coordinates that are not numbers")
    if lonlat:
        xs, ys = coords[:, 0], coords[:, 1]
        if (xs < -180).any() or (xs > 180).any() or (ys < -90).any() or (ys > 90).any():
            return GeometryProblem(
                "coordinates are outside longitude/latitude range: is the CRS right?")
    if not shapely.is_valid(geom):
        return GeometryProblem(describe_invalid(geom), repairable=True)
    if geom.geom_type in ("Polygon", "MultiPolygon") and area_m2(geom) <= 0:
        return GeometryProblem("polygon has no area")
    return None


def repair(geom: BaseGeometry) -> tuple[BaseGeometry, str]:
    """Make ``geom`` valid, keeping its polygonal parts; returns the geometry and a note.

    The note names the original problem and the change in area, for the record's ``notes``.
    """
    before = describe_invalid(geom)
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if fixed.geom_type == "GeometryCollection":
        parts = [g for g in fixed.geoms if isinstance(g, (Polygon, MultiPolygon))]
        polys: list[Polygon] = []
        for part in parts:
            polys.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
        fixed = MultiPolygon(polys)
    note = (f"geometry repaired on entry ({before}); area {area_m2(geom):.1f} m² "
            f"-> {area_m2(fixed):.1f} m²")
    return fixed, note


def as_multipolygon(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    return geom

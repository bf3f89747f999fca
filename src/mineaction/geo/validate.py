"""Geometry validation and repair.

An invalid polygon is refused with the reason and where it is ("self-intersection at 47.12,
39.87"). It is repaired only when the user asks, and the repair is noted on the record; a
polygon no method can repair is refused with the reason, never stored invalid or empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mineaction.errors import BadValue
from mineaction.geo.measure import SEGMENT_DEG, _geod, area_m2
from mineaction.messages import Message

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
    message: Message
    repairable: bool = False

    @property
    def reason(self) -> str:
        """The message in English."""
        return str(self.message)


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
        return GeometryProblem(Message.of("geometry.missing")) if required else None
    if geom.is_empty:
        return GeometryProblem(Message.of("geometry.empty"))
    if geom.geom_type not in _FAMILIES[expected]:
        return GeometryProblem(Message.of("geometry.wrong_type", found=geom.geom_type,
                                          expected=" or ".join(_FAMILIES[expected][:2])))
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return GeometryProblem(Message.of("geometry.not_numbers"))
    if lonlat:
        xs, ys = coords[:, 0], coords[:, 1]
        if (xs < -180).any() or (xs > 180).any() or (ys < -90).any() or (ys > 90).any():
            return GeometryProblem(Message.of("geometry.outside_lonlat"))
    if not shapely.is_valid(geom):
        return GeometryProblem(Message.of("geometry.invalid", reason=describe_invalid(geom)),
                               repairable=True)
    # Whether a valid polygon has any area at all: its edges run straight in longitude and
    # latitude, so the area on the ellipsoid is zero exactly when the planar one is. (The
    # geodesic area of a continent-sized polygon takes seconds to measure; this takes none.)
    if geom.geom_type in ("Polygon", "MultiPolygon") and shapely.area(geom) <= 0:
        return GeometryProblem(Message.of("geometry.no_area"))
    return None


class RepairFailed(BadValue):
    """No repair method gives a valid polygon with an area; the message says why."""


@dataclass(frozen=True)
class Repair:
    """A repaired polygon, how it was repaired, and its area before and after (m²).

    ``area_before_m2`` is the area of the polygon as the file draws it
    (:func:`drawn_area_m2`): for a ring that crosses itself this is the area of no actual
    shape (a symmetric bow-tie measures 0), so repairs can change areas by a large factor.
    """

    geometry: BaseGeometry
    note: str
    method: str
    area_before_m2: float
    area_after_m2: float


#: Repair methods in the order they are tried. GEOS's "structure" method keeps the polygon's
#: own shells and holes and is right for most digitising slips; on nearly collinear spikes in
#: longitude/latitude it can give an invalid or an empty result, where "linework" (polygons
#: from the noded rings) or buffer(0) still give a valid one.
REPAIR_METHODS: tuple[str, ...] = ("structure", "linework", "buffer0")


def _parts(geom: BaseGeometry) -> list[BaseGeometry]:
    """The simple parts of ``geom``, collections within collections included."""
    if geom.geom_type in ("MultiPolygon", "MultiLineString", "MultiPoint", "GeometryCollection"):
        return [q for part in geom.geoms for q in _parts(part)]  # type: ignore[attr-defined]
    return [geom]


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal parts of ``geom`` merged into one valid (Multi)Polygon (may be empty)."""
    polys = [p for p in _parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    if not polys:
        return Polygon()
    if len(polys) == 1:
        return polys[0]
    # parts of a valid GeometryCollection may share edges; a union makes them one valid shape
    return shapely.union_all(polys)


def _attempt(geom: BaseGeometry, method: str) -> BaseGeometry:
    if method == "structure":
        return shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if method == "linework":
        return shapely.make_valid(geom, method="linework")
    return geom.buffer(0)


def drawn_area_m2(geom: BaseGeometry) -> float:
    """Geodesic area in m² of a polygon as drawn, valid or not: each shell's ring area less its
    holes', by the shoelace rule (what a GIS shows for an invalid polygon). The lobes of a ring
    that crosses itself count with opposite signs, and nested shells both count.

    :func:`mineaction.geo.measure.area_m2` is for valid polygons only: GEOS densifies an
    invalid polygon into a buffer(0) of it, which keeps one lobe of a bow-tie.
    """
    total = 0.0
    geod = _geod()
    for poly in _parts(geom):
        if not isinstance(poly, Polygon) or poly.is_empty:
            continue
        for k, ring in enumerate([poly.exterior, *poly.interiors]):
            line = shapely.segmentize(shapely.LineString(ring.coords), SEGMENT_DEG)
            xy = shapely.get_coordinates(line)
            area, _ = geod.polygon_area_perimeter(xy[:, 0], xy[:, 1])
            total += abs(area) if k == 0 else -abs(area)
    return total


def repair(geom: BaseGeometry) -> Repair:
    """Make an invalid polygon valid, or raise :class:`RepairFailed` saying why.

    Guarantees: the result is a valid, non-empty Polygon or MultiPolygon with an area, built
    from the polygonal parts of the first method of :data:`REPAIR_METHODS` that gives one (lines
    and points a repair leaves behind are dropped). A polygon whose rings collapse to lines or
    points (all its vertices on one line, a ring drawn out and back) has no area to keep and is
    refused, never stored empty. The note names the original problem, the method and the change
    in area, for the record's ``notes``: a repair can change the area a lot (a bow-tie's two
    lobes, a nested shell taken as a hole), so users should look at the repaired shapes.
    """
    before = describe_invalid(geom)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise RepairFailed.of("geometry.repair_not_polygon", before=before)
    area_before = drawn_area_m2(geom)
    failures: list[str] = []
    for method in REPAIR_METHODS:
        try:
            fixed = _polygonal(_attempt(geom, method))
        except GEOSException as exc:
            failures.append(f"{method}: {exc}")
            continue
        if fixed.is_empty:
            failures.append(f"{method}: nothing with an area is left")
            continue
        if not shapely.is_valid(fixed):
            failures.append(f"{method}: still invalid ({describe_invalid(fixed)})")
            continue
        after = area_m2(fixed)
        if after <= 0:
            failures.append(f"{method}: nothing with an area is left")
            continue
        note = (f"geometry repaired on entry ({before}; method {method}); area "
                f"{area_before:.1f} m² -> {after:.1f} m²")
        return Repair(fixed, note, method, area_before, after)
    if all(f.endswith("nothing with an area is left") for f in failures):
        raise RepairFailed.of("geometry.repair_collapses", before=before)
    raise RepairFailed.of("geometry.repair_failed", before=before, failures="; ".join(failures))


def as_multipolygon(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    return geom

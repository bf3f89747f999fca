"""Georeferencing a minefield record: from its reference points and bearings to WGS84.

The traverse is followed in the record's working plane (its own grid when the CRS is
projected, else a transverse Mercator on its ellipsoid, see :mod:`mineaction.geo.traverse`),
then taken to the record's geographic CRS and from there to EPSG:4326 through one named
transformation (:func:`mineaction.geo.crs.reprojection`), which is recorded with the result.

The transformation is, in order: the one asked for (``--transformation``), the one the record
names (``transformation``), else the best-ranked for the record's area, with a
:class:`~mineaction.geo.crs.DatumWarning` that is also kept in :attr:`Georef.warnings`.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon

from mineaction.domain.minefield_records import MinefieldRecord, Row
from mineaction.errors import BadValue, InvalidInput, Problem, problem_of
from mineaction.geo.crs import DatumWarning, Reprojection, crs_label, parse_crs, reprojection
from mineaction.geo.traverse import (
    WorkingPlane,
    destination,
    true_bearing,
    working_plane,
)
from mineaction.messages import Note, warning_text


@dataclass(frozen=True)
class ExpectedMine:
    id: str  # "R1/7" for the 7th mine of row R1, or the single mine's id
    row: str | None
    model: str | None
    category: str | None


@dataclass
class Georef:
    """Where a record puts its field, in EPSG:4326 (longitude, latitude)."""

    record_id: str
    src_crs: str
    operation: str | None  # the transformation used; None when the CRS is WGS84 itself
    candidates: tuple[str, ...]
    perimeter: Polygon | MultiPolygon | None
    rows: dict[str, LineString]
    mines: list[ExpectedMine]
    mine_lonlat: np.ndarray  # (n, 2)
    points: dict[str, tuple[float, float]]  # reference and turning points
    reference: tuple[float, float]  # the first reference point
    warnings: list[str] = field(default_factory=list)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        xy = np.vstack([np.array(list(self.points.values())), self.mine_lonlat]) \
            if len(self.mine_lonlat) else np.array(list(self.points.values()))
        return (float(xy[:, 0].min()), float(xy[:, 1].min()),
                float(xy[:, 0].max()), float(xy[:, 1].max()))

    def perimeter_multipolygon(self) -> MultiPolygon | None:
        if self.perimeter is None:
            return None
        if isinstance(self.perimeter, MultiPolygon):
            return self.perimeter
        return MultiPolygon([self.perimeter])

    def summary(self) -> dict[str, Any]:
        """What is stored with the record: how it was georeferenced."""
        return {"src_crs": self.src_crs, "operation": self.operation,
                "candidates": list(self.candidates), "warnings": self.warnings,
                "reference": [round(self.reference[0], 8), round(self.reference[1], 8)],
                "expected_mines": len(self.mines)}

    def to_geojson(self) -> dict[str, Any]:
        feats: list[dict[str, Any]] = []
        if self.perimeter is not None:
            feats.append({"type": "Feature", "properties": {"kind": "perimeter",
                                                             "record_id": self.record_id},
                          "geometry": shapely.geometry.mapping(self.perimeter)})
        for rid, line in self.rows.items():
            feats.append({"type": "Feature", "properties": {"kind": "row", "row": rid},
                          "geometry": shapely.geometry.mapping(line)})
        for m, (lon, lat) in zip(self.mines, self.mine_lonlat, strict=True):
            feats.append({"type": "Feature",
                          "properties": {"kind": "mine", "id": m.id, "row": m.row,
                                         "model": m.model, "category": m.category},
                          "geometry": {"type": "Point", "coordinates": [lon, lat]}})
        return {"type": "FeatureCollection", "features": feats,
                "properties": {"record_id": self.record_id, **self.summary()}}


class _Traverse:
    """Follows the record's legs in its working plane."""

    def __init__(self, record: MinefieldRecord, plane: WorkingPlane):
        self.record = record
        self.plane = plane
        self.xy: dict[str, tuple[float, float]] = {}
        self.notes: list[str] = []
        self.problems: list[Problem] = []
        where = Note("input.where_record", id=record.record_id)
        for i, p in enumerate(record.reference_points):
            try:
                xy = (p.x, p.y) if plane.native else plane.from_geographic(p.x, p.y)
                self.plane.factors(*xy)  # fails where the CRS has no position
                _require_finite(xy)
            except _PLACE_ERRORS:
                self.problems.append(Problem.of(where, f"reference_points[{i}]",
                                                "records.position_off_crs", x=p.x, y=p.y,
                                                crs=record.crs))
                continue
            self.xy[p.id] = xy
        if record.bearings.reference == "grid" and not plane.native:
            self.notes.append(Note("records.grid_bearings_as_true", crs=record.crs))

    def leg(self, origin: str, bearing: float, distance_m: float) -> tuple[float, float]:
        x, y = self.xy[origin]
        b = self.record.bearings
        convergence, scale = self.plane.factors(x, y)
        if b.reference == "grid" and self.plane.native:
            plane_bearing = bearing * 360.0 / _circle(b.unit)
        else:
            true = true_bearing(bearing, b.unit, b.reference,
                                declination_deg=b.declination_deg or 0.0,
                                convergence_deg=(b.grid_convergence_deg
                                                 if b.grid_convergence_deg is not None
                                                 else convergence))
            plane_bearing = true - convergence
        return destination(x, y, plane_bearing, distance_m * scale)

    def scale_at(self, x: float, y: float) -> float:
        return self.plane.factors(x, y)[1]

    def place(self, field_name: str, origin: str, bearing: float, distance_m: float
              ) -> tuple[float, float] | None:
        """The end of a leg, or None with a problem naming ``field_name`` when it has none
        (a leg from a point that could not be placed is skipped: that point is reported)."""
        if origin not in self.xy:
            return None
        try:
            return _require_finite(self.leg(origin, bearing, distance_m))
        except _PLACE_ERRORS:
            pass
        if not self.placeable(origin):  # the leg that reached the origin went too far
            self.unplaceable(origin)
            return None
        self.problems.append(Problem.of(f"record {self.record.record_id}", field_name,
                                        "records.leg_off_crs", distance_m=distance_m,
                                        bearing=bearing, origin=origin, crs=self.record.crs))
        return None

    def placeable(self, point_id: str) -> bool:
        try:
            x, y = self.xy[point_id]
            lon, lat = self.plane.to_geographic(np.array([x]), np.array([y]))
            return bool(np.isfinite(lon).all() and np.isfinite(lat).all())
        except _PLACE_ERRORS:
            return False

    def unplaceable(self, point_id: str) -> None:
        """Report the point (its own field) as one the CRS has no position for, once."""
        rec = self.record
        field_name = next((f"reference_points[{i}]" for i, p in enumerate(rec.reference_points)
                           if p.id == point_id), None) or next(
            f"turning_points[{i}]" for i, t in enumerate(rec.turning_points) if t.id == point_id)
        if any(p.field == field_name for p in self.problems):
            return
        self.problems.append(Problem.of(f"record {rec.record_id}", field_name,
                                        "records.point_off_crs", point=point_id, crs=rec.crs))


class _Unplaceable(Exception):
    """A position that is not a finite number."""


#: What the arithmetic raises for a position off the CRS's domain (or off any number).
_PLACE_ERRORS = (pyproj.exceptions.ProjError, _Unplaceable, ArithmeticError)


def _require_finite(xy: tuple[float, float]) -> tuple[float, float]:
    if not (math.isfinite(xy[0]) and math.isfinite(xy[1])):
        raise _Unplaceable("not a finite position")
    return xy


def _circle(unit: str) -> float:
    from mineaction.geo.traverse import FULL_CIRCLE

    return FULL_CIRCLE[unit]


@lru_cache(maxsize=512)
def _reprojection(geo_wkt: str, operation: str | None,
                  bounds: tuple[float, ...]) -> tuple[Reprojection, tuple[str, ...]]:
    """The transformation for a record's geographic CRS and area, with the warnings it gave
    (kept, so that every record it serves is warned about, not just the first)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DatumWarning)
        rp = reprojection(pyproj.CRS.from_wkt(geo_wkt), operation,
                          bounds=bounds, warn=True)  # type: ignore[arg-type]
    return rp, tuple(warning_text(w) for w in caught if issubclass(w.category, DatumWarning))


@lru_cache(maxsize=256)
def _crs(text: str) -> tuple[pyproj.CRS, str]:
    crs = parse_crs(text)
    return crs, crs_label(crs)


def georeference(record: MinefieldRecord, transformation: str | None = None, *,
                 warn: bool = True) -> Georef:
    """Georeference ``record``; InvalidInput naming the record and field on a broken one."""
    where = Note("input.where_record", id=record.record_id)
    try:
        crs, label = _crs(record.crs)
    except InvalidInput as exc:
        raise InvalidInput([p.at(where, "crs") for p in exc.problems]) from None
    ref0 = record.reference_points[0]
    try:
        plane = working_plane(crs, ref0.x, ref0.y)
    except ValueError as exc:
        raise InvalidInput([problem_of(exc, where, "crs")]) from None
    tr = _Traverse(record, plane)
    for i, t in enumerate(record.turning_points):
        end = tr.place(f"turning_points[{i}]", t.origin, t.bearing, t.distance_m)
        if end is not None:
            tr.xy[t.id] = end
    if tr.problems:
        raise InvalidInput(tr.problems)

    # Rows, in the plane.
    lines: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    problems: list[Problem] = []
    by_id = {r.id: r for r in record.rows}

    def row_line(r: Row, depth: int = 0) -> tuple[np.ndarray, np.ndarray]:
        if r.id in lines:
            return lines[r.id]
        if depth > len(by_id):
            raise BadValue.of("records.rows_offset_circle")
        if r.offset is None:
            a = np.asarray(tr.xy[str(r.start)], dtype=np.float64)
            b = np.asarray(tr.xy[str(r.end)], dtype=np.float64)
        else:
            pa, pb = row_line(by_id[r.offset.row], depth + 1)
            d = pb - pa
            u = d / np.hypot(*d)
            right = np.array([u[1], -u[0]])
            shift = right * r.offset.distance_m * tr.scale_at(*pa)
            if r.offset.side == "left":
                shift = -shift
            a, b = pa + shift, pb + shift
        lines[r.id] = (a, b)
        return a, b

    mines: list[ExpectedMine] = []
    mxy: list[np.ndarray] = []
    for i, r in enumerate(record.rows):
        try:
            with np.errstate(all="ignore"):  # an offset that overflows is reported below
                a, b = row_line(r)
            _require_finite((float(a[0]), float(a[1])))
            _require_finite((float(b[0]), float(b[1])))
            k = tr.scale_at(*a)
        except _PLACE_ERRORS:
            problems.append(Problem.of(where, f"rows[{i}]", "records.row_off_crs_check",
                                       crs=record.crs,
                                       what='its offset' if r.offset else 'its start and end'))
            continue
        except (ValueError, KeyError) as exc:
            problems.append(problem_of(exc, where, f"rows[{i}]"))
            continue
        length_plane = float(np.hypot(*(b - a)))
        if length_plane < 0.01:
            problems.append(Problem.of(where, f"rows[{i}]", "records.row_no_length"))
            continue
        length = length_plane / k
        u = (b - a) / length_plane
        if r.count == 0:
            continue
        if r.spacing_m is not None:
            along = r.first_at_m + np.arange(r.count) * r.spacing_m
            needed = float(along[-1])
            if needed > length * 1.10 + 5.0:
                problems.append(Problem.of(where, f"rows[{i}].count", "records.row_too_short",
                                           count=r.count, spacing_m=r.spacing_m, needed=needed,
                                           length=length))
                continue
        elif r.count == 1:
            along = np.array([length / 2.0])
        else:
            along = r.first_at_m + np.linspace(0.0, length - r.first_at_m, r.count)
        mxy.append(a + np.outer(along * k, u))
        mines.extend(ExpectedMine(f"{r.id}/{j + 1}", r.id, r.model, r.category)
                     for j in range(r.count))
    single: dict[str, tuple[float, float]] = {}
    for i, m in enumerate(record.mines):
        end = tr.place(f"mines[{i}]", m.origin, m.bearing, m.distance_m)
        if end is not None:
            single[f"mines[{i}]"] = end
            mxy.append(np.array([end]))
            mines.append(ExpectedMine(m.id, None, m.model, m.category))
    problems.extend(tr.problems)
    if problems:
        raise InvalidInput(problems)

    # To the record's geographic CRS, then through one transformation to WGS84.
    ids = list(tr.xy)
    pxy = np.array([tr.xy[i] for i in ids], float)
    all_xy = np.vstack([pxy] + mxy) if mxy else pxy
    row_ids = list(lines)
    row_xy = np.array([np.vstack(lines[r]) for r in row_ids]).reshape(-1, 2) if row_ids \
        else np.empty((0, 2))
    stacked = np.vstack([all_xy, row_xy])
    try:
        glon, glat = plane.to_geographic(stacked[:, 0], stacked[:, 1])
        if not (np.isfinite(glon).all() and np.isfinite(glat).all()):
            raise _Unplaceable("not a finite position")
    except _PLACE_ERRORS:
        raise InvalidInput(_blame(record, tr, lines, single)) from None
    bounds = (float(glon.min()), float(glat.min()), float(glon.max()), float(glat.max()))
    chosen = transformation or record.transformation
    notes = list(tr.notes)
    # Operations are ranked for the area; a box rounded out to 0.1 degree ranks them the same
    # and lets neighbouring records share the look-up.
    area = (math.floor(bounds[0] * 10) / 10, math.floor(bounds[1] * 10) / 10,
            math.ceil(bounds[2] * 10) / 10, math.ceil(bounds[3] * 10) / 10)
    try:
        rp, messages = _reprojection(plane.geo_wkt, chosen, area)
    except InvalidInput as exc:
        field_name = "transformation" if chosen and chosen == record.transformation \
            and not transformation else ("--transformation" if chosen else "crs")
        raise InvalidInput([p.at(where, field_name) for p in exc.problems]) from None
    for message in messages:
        notes.append(message)
        if warn:
            warnings.warn(DatumWarning(Note("records.warning_of_record", id=record.record_id,
                                            warning=message)), stacklevel=2)
    lon, lat = rp.apply_xy(glon, glat)
    lonlat = np.column_stack((np.asarray(lon, float), np.asarray(lat, float)))
    if not np.isfinite(lonlat).all():
        raise InvalidInput([Problem.of(where, "transformation" if chosen else "crs",
                                       "records.transformation_no_position",
                                       operation=rp.operation or 'none')])
    npts = len(ids)
    nmines = len(all_xy) - npts
    points = {i: (float(x), float(y)) for i, (x, y) in zip(ids, lonlat[:npts], strict=True)}
    mine_lonlat = lonlat[npts:npts + nmines]
    row_ll = lonlat[npts + nmines:]
    rows = {r: LineString(row_ll[2 * j:2 * j + 2]) for j, r in enumerate(row_ids)}
    perim_ids = record.perimeter_ids()
    perimeter: Polygon | MultiPolygon | None = None
    if len(perim_ids) >= 3:
        poly = Polygon([points[i] for i in perim_ids])
        if not poly.is_valid:
            notes.append(Note("records.perimeter_repaired"))
            fixed = shapely.make_valid(poly)
            polys = [g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, Polygon)]
            poly = polys[0] if len(polys) == 1 else MultiPolygon(polys)  # type: ignore[assignment]
        perimeter = shapely.geometry.polygon.orient(poly) if isinstance(poly, Polygon) \
            else poly
    return Georef(record.record_id, label, rp.operation, rp.candidates, perimeter,
                  rows, mines, mine_lonlat, points, points[ref0.id], notes)


def _blame(record: MinefieldRecord, tr: _Traverse, lines: dict[str, tuple[np.ndarray, np.ndarray]],
           single: dict[str, tuple[float, float]]) -> list[Problem]:
    """The points, rows or mines the CRS has no position for (after a whole batch failed)."""
    for point_id in list(tr.xy):
        if not tr.placeable(point_id):
            tr.unplaceable(point_id)
    where = Note("input.where_record", id=record.record_id)

    def placeable(xs: list[float], ys: list[float]) -> bool:
        try:
            lon, lat = tr.plane.to_geographic(np.array(xs), np.array(ys))
            return bool(np.isfinite(lon).all() and np.isfinite(lat).all())
        except _PLACE_ERRORS:
            return False

    index = {r.id: i for i, r in enumerate(record.rows)}
    for row_id, (a, b) in lines.items():
        if not placeable([a[0], b[0]], [a[1], b[1]]):
            tr.problems.append(Problem.of(where, f"rows[{index[row_id]}]", "records.row_off_crs",
                                          crs=record.crs))
    for field_name, (x, y) in single.items():
        if not placeable([x], [y]):
            tr.problems.append(Problem.of(where, field_name, "records.mine_off_crs",
                                          crs=record.crs))
    return tr.problems or [Problem.of(where, None, "records.part_off_crs", crs=record.crs)]


def georef_json(g: Georef) -> str:
    return json.dumps(g.summary(), ensure_ascii=False, sort_keys=True)

"""Minefield records of the demo's row fields, as the laying side handed them over.

A record is built from the field as laid (its perimeter, its rows, a reference point nearby)
by walking a traverse backwards in the record's working plane (:mod:`mineaction.geo.traverse`),
so that georeferencing an exact record (:func:`mineaction.records.georef.georeference`) lands
on the true field. Then the errors real records carry are applied: SK-42 read as WGS84, the
declination left out, 6000-mil bearings read as 6400-mil (the misreadings of
:func:`mineaction.records.synthetic.derive`), rows missing from the record, wrong counts, and
records of fields that were never laid. About a quarter are exact.

:func:`build_record` is a pure function of what the truth file keeps for each record, so a
test can rebuild every record from the truth file and compare it with the file handed over.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj

from mineaction.geo.crs import parse_crs
from mineaction.geo.traverse import from_degrees, grid_bearing_between, working_plane
from mineaction.records.synthetic import SK42_OPERATION, derive

#: Errors applied to records, with their share among records that are not exact.
ERROR_WEIGHTS = {
    "sk42_as_wgs84": 0.30,
    "declination_left_out": 0.25,
    "mils_confused": 0.15,
    "rows_missing": 0.25,
    "count_wrong": 0.30,
}
EXACT_SHARE = 0.25
NEVER_LAID_SHARE = 0.08
PROVIDER = "Ministry of Defence of side A (synthetic)"


@dataclass(frozen=True)
class RowSpec:
    id: str
    start: tuple[float, float]  # first mine, WGS84 lon/lat
    end: tuple[float, float]  # last mine
    model: str
    category: str
    count: int
    spacing_m: float


@dataclass(frozen=True)
class RecordSpec:
    """Everything a record is built from; the truth file keeps all of it."""

    record_id: str
    field_id: str  # the true field, or the never-laid one
    reference: tuple[float, float]  # reference point, WGS84 lon/lat
    corners: tuple[tuple[float, float], ...]  # perimeter, WGS84 lon/lat, in laying order
    rows: tuple[RowSpec, ...]
    laid_on: str
    received_on: str
    unit: str  # degrees, mil6000, mil6400 as written by the laying party
    reference_north: str  # magnetic or true
    declination_deg: float
    errors: tuple[str, ...]  # () for an exact record
    rows_dropped: tuple[str, ...] = ()
    counts_written: tuple[tuple[str, int], ...] = ()  # row id -> count written instead
    source: str = "synthetic:demo"

    def params(self) -> dict[str, Any]:
        return {"unit": self.unit, "reference_north": self.reference_north,
                "declination_deg": self.declination_deg, "rows_dropped": list(self.rows_dropped),
                "counts_written": {k: v for k, v in self.counts_written},
                "laid_on": self.laid_on, "received_on": self.received_on}


_SK42: pyproj.Transformer | None = None


def _sk42(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 to Pulkovo 1942 geographic through EPSG:1808, the inverse of the record's way."""
    global _SK42
    if _SK42 is None:
        op = pyproj.crs.CoordinateOperation.from_epsg(1808)
        _SK42 = pyproj.Transformer.from_pipeline(op.to_proj4())
    # the operation goes lat/lon SK-42 -> lat/lon WGS84 (axis swaps inside)
    lat2, lon2 = _SK42.transform(lat, lon, direction="INVERSE")
    return float(lon2), float(lat2)


def _written(true_deg: float, unit: str, north: str, declination: float) -> float:
    deg = true_deg - (declination if north == "magnetic" else 0.0)
    value = from_degrees(deg % 360.0, unit)
    value = round(value, 1 if unit == "degrees" else 0)
    return 0.0 if value >= from_degrees(360.0, unit) else value


def build_record(spec: RecordSpec) -> dict[str, Any]:
    """The record handed over for ``spec``, errors applied."""
    rx, ry = _sk42(*spec.reference)
    rx, ry = round(rx, 7), round(ry, 7)
    plane = working_plane(parse_crs("EPSG:4284"), rx, ry)
    xy: dict[str, tuple[float, float]] = {"RP1": plane.from_geographic(rx, ry)}

    def place(pid: str, lonlat: tuple[float, float]) -> None:
        xy[pid] = plane.from_geographic(*_sk42(*lonlat))

    def leg(pid: str, origin: str) -> dict[str, Any]:
        (x0, y0), (x1, y1) = xy[origin], xy[pid]
        convergence, k = plane.factors(x0, y0)
        true = grid_bearing_between(x0, y0, x1, y1) + convergence
        return {"id": pid, "from": origin,
                "bearing": _written(true, spec.unit, spec.reference_north, spec.declination_deg),
                "distance_m": round(math.hypot(x1 - x0, y1 - y0) / k, 1)}

    tps: list[dict[str, Any]] = []
    prev = "RP1"
    for i, c in enumerate(spec.corners, start=1):
        place(f"TP{i}", c)
        tps.append(leg(f"TP{i}", prev))
        prev = f"TP{i}"
    rows: list[dict[str, Any]] = []
    n = len(spec.corners)
    for row in spec.rows:
        if row.id in spec.rows_dropped:
            continue
        a, b = f"{row.id}S", f"{row.id}E"
        place(a, row.start)
        place(b, row.end)
        tps.append({**leg(a, "TP1"), "description": f"start of row {row.id}"})
        tps.append({**leg(b, a), "description": f"end of row {row.id}"})
        counts = dict(spec.counts_written)
        r: dict[str, Any] = {"id": row.id, "start": a, "end": b, "model": row.model,
                             "category": row.category, "count": counts.get(row.id, row.count)}
        if row.id not in counts:
            r["spacing_m"] = row.spacing_m
        rows.append(r)
    bearings: dict[str, Any] = {"reference": spec.reference_north, "unit": spec.unit}
    if spec.reference_north == "magnetic":
        bearings.update(declination_deg=spec.declination_deg,
                        declination_epoch=spec.laid_on[:4])
    rec: dict[str, Any] = {
        "format": "mineaction-minefield-record/1",
        "record_id": spec.record_id, "provider": PROVIDER, "received_on": spec.received_on,
        "document": f"scans/{spec.record_id}.pdf", "source": spec.source,
        "crs": "EPSG:4284", "transformation": SK42_OPERATION,
        "reference_points": [{"id": "RP1", "x": rx, "y": ry,
                              "description": "survey marker near the field (synthetic)"}],
        "bearings": bearings, "turning_points": tps,
        "perimeter": [f"TP{i}" for i in range(1, n + 1)], "rows": rows,
        "laid_on": spec.laid_on, "confidentiality": "restricted",
    }
    for error in spec.errors:
        if error in ("sk42_as_wgs84", "declination_left_out", "mils_confused"):
            rec, _ = derive(rec, error)
    rec["notes"] = "Synthetic demo record" + (
        "; it carries errors" if spec.errors else "") + "."
    return rec


def record_json(spec: RecordSpec) -> str:
    return json.dumps(build_record(spec), ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def draw_errors(rng: np.random.Generator, n_rows: int, never_laid: bool
                ) -> tuple[tuple[str, ...], str, str]:
    """(errors, unit, north) for one record."""
    unit = str(rng.choice(["mil6000", "degrees", "mil6400"], p=[0.6, 0.25, 0.15]))
    north = "magnetic" if rng.random() < 0.8 else "true"
    if never_laid:
        return ("never_laid",), unit, north
    if rng.random() < EXACT_SHARE / (1 - NEVER_LAID_SHARE):
        return (), unit, north
    names = list(ERROR_WEIGHTS)
    p = np.array([ERROR_WEIGHTS[k] for k in names])
    chosen: set[str] = set()
    while not chosen:
        chosen = {k for k, w in zip(names, p, strict=True) if rng.random() < w}
    if "rows_missing" in chosen and n_rows < 2:
        chosen.discard("rows_missing")
        chosen.add("count_wrong")
    if "declination_left_out" in chosen:
        north = "magnetic"
    if "mils_confused" in chosen:
        unit = "mil6000"
    return tuple(k for k in names if k in chosen), unit, north

"""Synthetic minefields with known truth: a field as laid, the record of it as handed over
(exact or with one of the known misreadings), the finds clearance made and the ground it
covered. For tests, benchmarks and the demo; everything lies where the caller puts it (the demo
territory is at sea, 50.3-51.7 E, 40.9-41.9 N) and is marked ``synthetic:``.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from mineaction.domain.minefield_records import parse_record
from mineaction.geo.traverse import FULL_CIRCLE, LocalFrame
from mineaction.records.georef import georeference

SK42_OPERATION = "EPSG:1808"  # Pulkovo 1942 to WGS 84 (14): Azerbaijan, including the Caspian

#: Misreadings a derived record can carry.
ERRORS = ("exact", "sk42_as_wgs84", "declination_left_out", "mils_confused", "never_laid",
          "half_rows_missing", "sk42_and_mils", "sk42_and_declination",
          "half_rows_unrecorded")


def _from_wgs84(crs: str, lon: float, lat: float) -> tuple[float, float]:
    if crs == "EPSG:4326":
        return lon, lat
    group = pyproj.transformer.TransformerGroup("EPSG:4326", crs, always_xy=True)
    for t in group.transformers:
        if "(14)" in t.description:
            x, y = t.transform(lon, lat)
            return float(x), float(y)
    raise ValueError(f"no Pulkovo 1942 to WGS 84 (14) transformation to {crs}")


def _written(true_deg: float, unit: str, reference: str, declination: float) -> float:
    deg = true_deg - (declination if reference == "magnetic" else 0.0)
    return round((deg % 360.0) * FULL_CIRCLE[unit] / 360.0, 3)


def field_record(record_id: str, lon: float, lat: float, *, crs: str = "EPSG:4284",
                 unit: str = "mil6000", reference: str = "magnetic",
                 declination_deg: float = 6.0, rows: int = 4, per_row: int = 25,
                 spacing_m: float = 4.0, row_gap_m: float = 10.0, heading_deg: float = 70.0,
                 approach_deg: float = 35.0, approach_m: float = 150.0) -> dict[str, Any]:
    """The record of a field laid as described (a rectangle of parallel rows).

    The reference point lies at (lon, lat) WGS84; its coordinates are written in ``crs``.
    Bearings are written as the laying party would: in ``unit`` from ``reference`` north.
    True bearings are used for the geometry, so in a projected CRS with 'true' or 'magnetic'
    bearings the grid convergence is applied by the georeferencing.
    """
    x, y = _from_wgs84(crs, lon, lat)
    length = spacing_m * (per_row - 1) + 2 * spacing_m
    width = 2 * row_gap_m + (rows - 1) * row_gap_m
    h = heading_deg

    def b(true_deg: float) -> float:
        return _written(true_deg, unit, reference, declination_deg)

    rec: dict[str, Any] = {
        "format": "mineaction-minefield-record/1",
        "record_id": record_id, "provider": "Synthetic laying party (demo)",
        "received_on": "2021-06-12", "document": f"scans/{record_id}.pdf",
        "source": "synthetic:records test field", "crs": crs,
        "reference_points": [{"id": "RP1", "x": round(x, 3), "y": round(y, 3),
                              "description": "synthetic survey pillar"}],
        "bearings": {"reference": reference, "unit": unit},
        "turning_points": [
            {"id": "TP1", "from": "RP1", "bearing": b(approach_deg), "distance_m": approach_m},
            {"id": "TP2", "from": "TP1", "bearing": b(h), "distance_m": length},
            {"id": "TP3", "from": "TP2", "bearing": b(h + 90), "distance_m": width},
            {"id": "TP4", "from": "TP3", "bearing": b(h + 180), "distance_m": length},
            {"id": "TP5", "from": "TP1", "bearing": b(h + 90), "distance_m": row_gap_m},
            {"id": "TP6", "from": "TP5", "bearing": b(h), "distance_m": length},
        ],
        "perimeter": ["TP1", "TP2", "TP3", "TP4"],
        "rows": [],
        "laid_on": "1994-03-01", "confidentiality": "restricted",
        "notes": "synthetic record with known truth",
    }
    if crs != "EPSG:4326":
        rec["transformation"] = SK42_OPERATION
    if reference == "magnetic":
        rec["bearings"]["declination_deg"] = declination_deg
        rec["bearings"]["declination_epoch"] = "1994"
    for k in range(rows):
        row: dict[str, Any] = {"id": f"R{k + 1}", "model": "PMN-2" if k % 2 == 0 else "TM-62M",
                               "category": "ap" if k % 2 == 0 else "av", "count": per_row,
                               "spacing_m": spacing_m, "first_at_m": spacing_m}
        if k == 0:
            row.update(start="TP5", end="TP6")
        else:
            row["offset"] = {"row": f"R{k}", "distance_m": row_gap_m, "side": "right"}
        rec["rows"].append(row)
    return rec


def derive(truth: dict[str, Any], error: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the record as handed over, the field as actually laid or None when never laid).

    ``half_rows_missing``: the record lists rows that were never laid; ``half_rows_unrecorded``:
    the field has rows the record leaves out.
    """
    rec = copy.deepcopy(truth)
    laid: dict[str, Any] | None = truth
    if error in ("sk42_as_wgs84", "sk42_and_mils", "sk42_and_declination"):
        if truth["crs"] != "EPSG:4284":
            raise ValueError("the SK-42 misreading needs a truth in EPSG:4284")
        rec["crs"] = "EPSG:4326"
        rec.pop("transformation", None)
    if error in ("declination_left_out", "sk42_and_declination"):
        if truth["bearings"]["reference"] != "magnetic":
            raise ValueError("leaving the declination out needs magnetic bearings")
        rec["bearings"] = {"reference": "true", "unit": truth["bearings"]["unit"]}
    if error in ("mils_confused", "sk42_and_mils"):
        if truth["bearings"]["unit"] != "mil6000":
            raise ValueError("the mils misreading needs 6000-mil bearings")
        rec["bearings"]["unit"] = "mil6400"
    if error == "never_laid":
        laid = None
    if error == "half_rows_unrecorded":
        rec["rows"] = rec["rows"][: max(1, len(rec["rows"]) // 2)]
    if error == "half_rows_missing":
        laid = copy.deepcopy(truth)
        laid["rows"] = laid["rows"][: max(1, len(laid["rows"]) // 2)]
    if error not in ERRORS:
        raise ValueError(f"unknown error {error!r}; expected one of {', '.join(ERRORS)}")
    rec["notes"] = f"synthetic record with known truth ({error})"
    return rec, laid


@dataclass
class Ground:
    """What clearance found and where it worked."""

    mines_lonlat: np.ndarray  # true positions of the laid mines
    finds_lonlat: np.ndarray  # finds: the laid mines (with position error) and unrelated ones
    related: np.ndarray  # bool per find: one of the laid mines
    covered: BaseGeometry  # cleared ground (EPSG:4326)


def ground(truth: dict[str, Any], laid: dict[str, Any] | None, rng: np.random.Generator, *,
           unrelated_share: float = 0.3, position_error_m: float = 0.5,
           margin_m: float = 15.0, spread_m: float = 200.0) -> Ground:
    """Clearance of the recorded field's true area: every laid mine found (with a position
    error), plus unrelated finds nearby, ``unrelated_share`` of the laid ones."""
    area = georeference(parse_record(truth), warn=False)
    frame = LocalFrame(*area.reference)
    assert area.perimeter is not None
    xy = np.asarray(area.perimeter.exterior.coords)  # type: ignore[union-attr]
    local = Polygon(frame.to_local(xy[:, 0], xy[:, 1])).buffer(margin_m, join_style="mitre")
    cov = np.asarray(local.exterior.coords)
    clon, clat = frame.to_lonlat(cov)
    covered = Polygon(np.column_stack((clon, clat)))
    if laid is not None:
        g = georeference(parse_record(laid), warn=False)
        mines = g.mine_lonlat
    else:
        mines = np.empty((0, 2))
    m_local = frame.to_local(mines[:, 0], mines[:, 1]) if len(mines) else np.empty((0, 2))
    found = m_local + rng.normal(0.0, position_error_m / math.sqrt(2), m_local.shape)
    n_unrel = max(3, int(round(unrelated_share * max(len(mines), 10))))
    lo = np.array(local.bounds[:2]) - spread_m
    hi = np.array(local.bounds[2:]) + spread_m
    unrel = rng.uniform(lo, hi, (n_unrel, 2))
    allxy = np.vstack([found, unrel])
    lon, lat = frame.to_lonlat(allxy)
    related = np.r_[np.ones(len(found), bool), np.zeros(n_unrel, bool)]
    return Ground(mines, np.column_stack((lon, lat)), related, shapely.make_valid(covered))

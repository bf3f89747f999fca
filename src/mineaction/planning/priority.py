"""A transparent ranking of open hazards: criteria and weights from a TOML file
(``weights.toml`` beside this module is the default, documented there), each hazard's score
with each criterion's part of it.

Distances are geodesic metres on the WGS84 ellipsoid, from the hazard's edge (0 inside it):
the nearest point of the polygon is found in degrees, then measured with pyproj's ``Geod``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry import Point
from shapely.ops import nearest_points

from mineaction.errors import InvalidInput
from mineaction.messages import Note
from mineaction.planning.data import METHODS, HazardRow, Record
from mineaction.planning.model import outcome_shares, yearly_rates

CRITERIA = ("threat", "accidents", "contamination", "risk", "people", "land_use",
            "environment", "cost")


def default_weights_text() -> str:
    return resources.files("mineaction.planning").joinpath("weights.toml").read_text("utf-8")


def load_weights(text: str | None = None) -> dict[str, dict[str, Any]]:
    """The criteria: the default file, with what ``text`` (a TOML file's text) changes."""
    base = tomllib.loads(default_weights_text())["criteria"]
    if text is None:
        return base
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput.of("planning.bad_toml", error=str(exc)) from None
    given = data.get("criteria")
    if not isinstance(given, dict) or set(data) - {"criteria"}:
        raise InvalidInput.of("planning.weights_layout")
    for name, table in given.items():
        if name not in CRITERIA:
            raise InvalidInput.of("planning.unknown_criterion", name=name,
                                  criteria=", ".join(CRITERIA))
        if not isinstance(table, dict):
            raise InvalidInput.of("planning.bad_weights", key=f"criteria.{name}")
        for key, value in table.items():
            if isinstance(value, dict):
                base[name][key] = {**base[name].get(key, {}), **value}
            else:
                base[name][key] = value
        w = base[name].get("weight")
        if not isinstance(w, (int, float)) or w < 0:
            raise InvalidInput.of("planning.bad_weights", key=f"criteria.{name}.weight")
    return base


@dataclass
class Ranked:
    hazard: HazardRow
    score: float  # 0-100
    parts: dict[str, float]  # criterion -> its part of the score (they add up to it)
    values: dict[str, Any]  # criterion -> what it measured (accidents near, team-days, ...)
    district: str
    rank: int = 0


@dataclass
class Ranking:
    items: list[Ranked]
    weights: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)


GEOD = pyproj.Geod(ellps="WGS84")


def distance_m(geom: Any, lon: float, lat: float) -> float:
    """Geodesic metres from (lon, lat) to the nearest point of ``geom`` (0 inside it)."""
    p = Point(lon, lat)
    if geom.covers(p):
        return 0.0
    q = nearest_points(geom, p)[0]
    return float(GEOD.inv(q.x, q.y, lon, lat)[2])


def near(hazards: Sequence[HazardRow], points: Sequence[tuple[float, float, float]],
         radius_m: float) -> list[float]:
    """For each hazard, the sum of the weights of the points within ``radius_m`` of it."""
    out = [0.0] * len(hazards)
    if not points:
        return out
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    tree = shapely.STRtree(shapely.points(xs, ys))
    for i, h in enumerate(hazards):
        if h.geometry is None or h.geometry.is_empty:
            continue
        lat = h.geometry.centroid.y
        # a box certainly holding every point within the radius (degrees grow toward the pole)
        pad_y = radius_m / 110_000.0 * 1.01
        pad_x = radius_m / (111_320.0 * max(math.cos(math.radians(abs(lat) + pad_y)), 0.01))
        minx, miny, maxx, maxy = h.geometry.bounds
        cand = tree.query(shapely.box(minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y))
        for j in cand:
            px, py, w = points[int(j)]
            if distance_m(h.geometry, px, py) <= radius_m:
                out[i] += w
    return out


def team_days(rec: Record) -> tuple[dict[str, float], float, float]:
    """The record's m² per team-day by method (the latest full year's, else the mean of the
    years) and the shares of a square metre cancelled and reduced."""
    rates: dict[str, float] = {}
    yrs = [y for y in yearly_rates(rec) if y.weight > 0.5]
    for m in METHODS:
        vals = [r for y in yrs if (r := y.rate(m))]
        if vals:
            rates[m] = vals[-1]
    sh = outcome_shares(rec)
    return rates, sh.first["cancelled"], sh.first["reduced"]


def hazard_team_days(h: HazardRow, rates: dict[str, float], c0: float, r0: float
                     ) -> float | None:
    if not all(rates.get(m) for m in METHODS):
        return None
    a = h.area_m2
    c = 0.0 if h.kind == "cha" else c0
    r = r0 if h.kind != "cha" else r0 / max(1 - c0, 0.01)
    r = min(r, 1 - c)
    return a * (c / rates["cancelled"] + r / rates["reduced"] + (1 - c - r) / rates["cleared"])


def rank(rec: Record, weights: dict[str, dict[str, Any]],
         places: Sequence[tuple[float, float, float]] | None = None) -> Ranking:
    """Every open hazard scored and ranked, highest first (ties by id)."""
    hazards = [h for h in rec.hazards if h.status == "open"]
    notes: list[str] = []
    w = {k: float(weights.get(k, {}).get("weight", 0.0)) for k in CRITERIA}
    total_w = sum(w.values()) or 1.0
    acc = near(hazards, [(a.lon, a.lat, 1.0) for a in rec.accidents],
               float(weights["accidents"]["radius_m"])) if w["accidents"] else [0.0] * len(hazards)
    if w["people"] and not places:
        notes.append(Note("planning.note_no_places"))
    ppl = near(hazards, list(places or []), float(weights["people"]["radius_m"])) \
        if w["people"] and places else [0.0] * len(hazards)
    rates, c0, r0 = team_days(rec)
    if w["cost"] and not rates:
        notes.append(Note("planning.note_no_productivity"))
    tds = [hazard_team_days(h, rates, c0, r0) for h in hazards]
    top = max((t for t in tds if t), default=0.0)
    risk_seen = any("risk_score" in h.extra for h in hazards)
    if w["risk"] and not risk_seen:
        notes.append(Note("planning.note_no_risk"))
    items = []
    for i, h in enumerate(hazards):
        s: dict[str, float] = {}
        vals: dict[str, Any] = {}
        cw = weights["threat"]
        s["threat"] = float(cw["levels"].get(h.threat or "not recorded", 0.5))
        vals["threat"] = h.threat
        cat = weights["contamination"]["categories"]
        s["contamination"] = max((float(cat.get(c, 0.0)) for c in h.contamination),
                                 default=0.0)
        vals["contamination"] = sorted(h.contamination)
        sat = float(weights["accidents"]["saturate"])
        s["accidents"] = min(acc[i] / sat, 1.0) if sat > 0 else 0.0
        vals["accidents"] = int(acc[i])
        sat = float(weights["people"]["saturate"])
        s["people"] = min(ppl[i] / sat, 1.0) if sat > 0 else 0.0
        vals["people"] = round(ppl[i])
        use = h.land_use or "not recorded"
        s["land_use"] = float(weights["land_use"]["uses"].get(use, 0.0))
        s["environment"] = float(weights["environment"]["uses"].get(use, 0.0))
        vals["land_use"] = vals["environment"] = use
        rs = h.extra.get("risk_score")
        s["risk"] = float(rs) if rs is not None else float(weights["risk"]["missing"])
        vals["risk"] = rs
        td = tds[i]
        s["cost"] = 1 - math.log1p(td) / math.log1p(top) if td and top else 0.0
        vals["cost"] = round(td, 1) if td else None
        parts = {k: 100.0 * w[k] * s[k] / total_w for k in CRITERIA if w[k]}
        items.append(Ranked(h, sum(parts.values()), parts, vals,
                            rec.areas.get(h.admin_area_id or "", h.admin_area_id or "")))
    items.sort(key=lambda r: (-r.score, r.hazard.id))
    for k, r in enumerate(items, 1):
        r.rank = k
    return Ranking(items, weights, notes)

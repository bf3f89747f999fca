"""Contamination laid as armies lay it: row minefields along the belt, nuisance mining around
positions, improvised devices, battle areas with UXO and cluster submunition strikes.

A :class:`Site` is small metadata: its outline and the parameters its items are drawn from.
Items (the explosive objects themselves) are drawn again from the site's own random stream
whenever they are needed (:func:`site_items`), so the whole scenario never holds every mine in
memory at once, and the same seed always gives the same items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from mineaction.demo.frame import date_between, geom_ll, substream, to_ll
from mineaction.demo.territory import BELT_HALF_WIDTH_M, Territory, frame_at
from mineaction.domain.ordnance import lookup

MAX_DENSITY_PER_KM2 = 3000.0
IED_SHARE = 0.05  # of mined area (published estimate, MAR24-11)

AP_ROW_MODELS = ("PMN-2", "PMN", "PMN-4", "PMN-E", "PMD-6", "VS-50")
AP_ROW_WEIGHTS = (0.34, 0.22, 0.12, 0.12, 0.1, 0.1)
AV_MODELS = ("TM-62M", "TM-62P3", "TM-57", "TM-46", "TM-62B", "TMK-2")
AV_WEIGHTS = (0.35, 0.2, 0.15, 0.12, 0.1, 0.08)
NUISANCE_MODELS = ("OZM-72", "POMZ-2M", "MON-50", "PMN-2", "OZM-4")
UXO_MODELS = ("OF-462", "9M22U", "PG-7V", "VOG-17", "RGD-5", "F-1")
CMR_MODELS = ("9N210", "9N235", "M095", "M77", "M42")
IED_MODELS = ("improvised pressure plate", "improvised tripwire device",
              "booby-trapped grenade", "improvised command-wire device")
KIND_CODES = {"row_field": 1, "nuisance": 2, "ied": 3, "battle_area": 4, "cluster_strike": 5,
              "never_laid": 6}
PREFIX = {"row_field": "FLD", "nuisance": "NUI", "ied": "IED", "battle_area": "BAT",
          "cluster_strike": "CLU", "never_laid": "NLF"}

for _m in (*AP_ROW_MODELS, *AV_MODELS, *NUISANCE_MODELS, *UXO_MODELS, *CMR_MODELS):
    assert lookup(_m) is not None, _m  # every model comes from the ordnance catalogue


@dataclass(frozen=True)
class Row:
    """One row of mines: ``count`` mines every ``spacing_m`` from (x0, y0) along (ux, uy)."""

    id: str
    category: str
    model: str
    count: int
    spacing_m: float
    x0: float
    y0: float
    ux: float
    uy: float

    @property
    def end(self) -> tuple[float, float]:
        d = (self.count - 1) * self.spacing_m
        return self.x0 + self.ux * d, self.y0 + self.uy * d


@dataclass
class Site:
    id: str
    kind: str
    index: int
    polygon: Polygon  # local metres
    laid_on: dt.date
    side: str | None = None
    setting: str | None = None  # for IEDs: settlement, cemetery, riverbank
    rows: tuple[Row, ...] = ()
    corners: tuple[tuple[float, float], ...] = ()  # row fields: perimeter in laying order
    n_items: int = 0
    centre: tuple[float, float] = (0.0, 0.0)
    radius: float = 0.0
    axes: tuple[float, float, float] = (0.0, 0.0, 0.0)  # strikes: semi-axes and angle
    models: tuple[str, ...] = ()
    _ll: BaseGeometry | None = field(default=None, repr=False)

    @property
    def polygon_ll(self) -> BaseGeometry:
        if self._ll is None:
            self._ll = geom_ll(self.polygon)
        return self._ll

    @property
    def categories(self) -> tuple[str, ...]:
        if self.kind == "row_field":
            return tuple(sorted({r.category for r in self.rows}))
        return {"nuisance": ("ap",), "ied": ("ied",), "battle_area": ("uxo",),
                "cluster_strike": ("cmr",), "never_laid": ()}[self.kind]

    @property
    def field_type(self) -> str:
        """ap, av or mixed for a row field; the kind otherwise."""
        if self.kind != "row_field":
            return self.kind
        cats = self.categories
        return "mixed" if len(cats) > 1 else cats[0]


@dataclass
class Items:
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    category: np.ndarray  # str codes
    model: np.ndarray  # str

    def __len__(self) -> int:
        return len(self.x)


def site_items(seed: int, site: Site) -> Items:
    """The explosive items of a site, drawn from its own stream (the same on every call)."""
    rng = substream(seed, 3, KIND_CODES[site.kind], site.index)
    if site.kind == "row_field":
        xs, ys, cats, models = [], [], [], []
        for row in site.rows:
            d = np.arange(row.count) * row.spacing_m
            xs.append(row.x0 + row.ux * d)
            ys.append(row.y0 + row.uy * d)
            cats.append(np.full(row.count, row.category))
            models.append(np.full(row.count, row.model))
        x = np.concatenate(xs) + rng.normal(0, 0.25, site.n_items)
        y = np.concatenate(ys) + rng.normal(0, 0.25, site.n_items)
        cat, mod = np.concatenate(cats), np.concatenate(models)
    elif site.kind in ("nuisance", "ied"):
        n = site.n_items
        r = np.sqrt(rng.uniform((0.15 * site.radius) ** 2, site.radius ** 2, n))
        a = rng.uniform(0, 2 * np.pi, n)
        x, y = site.centre[0] + r * np.cos(a), site.centre[1] + r * np.sin(a)
        cat = np.full(n, "ap" if site.kind == "nuisance" else "ied")
        mod = np.array(site.models)[rng.integers(0, len(site.models), n)]
    elif site.kind == "battle_area":
        n = site.n_items
        x = site.centre[0] + rng.normal(0, site.radius / 2, n)
        y = site.centre[1] + rng.normal(0, site.radius / 2, n)
        cat = np.full(n, "uxo")
        mod = np.array(site.models)[rng.integers(0, len(site.models), n)]
    elif site.kind == "cluster_strike":
        n = site.n_items
        sa, sb, ang = site.axes
        u, v = rng.normal(0, sa / 2.2, n), rng.normal(0, sb / 2.2, n)
        x = site.centre[0] + u * np.cos(ang) - v * np.sin(ang)
        y = site.centre[1] + u * np.sin(ang) + v * np.cos(ang)
        cat = np.full(n, "cmr")
        mod = np.full(n, site.models[0])
    else:  # never laid
        x = y = np.zeros(0)
        cat = mod = np.zeros(0, dtype="<U2")
    # items stay inside the site outline (scattered ones that fall outside are pulled in)
    if site.kind != "row_field" and len(x):
        inside = shapely.contains_xy(site.polygon, x, y)
        if not inside.all():
            cx, cy = site.centre
            x = np.where(inside, x, cx + (x - cx) * 0.3)
            y = np.where(inside, y, cy + (y - cy) * 0.3)
            inside = shapely.contains_xy(site.polygon, x, y)
            x = np.where(inside, x, cx)
            y = np.where(inside, y, cy)
    lon, lat = to_ll(x, y)
    return Items(x, y, lon, lat, cat.astype(str), mod.astype(str))


# ---------------------------------------------------------------------------------------------
# Laying the sites


def _rect(cx: float, cy: float, tx: float, ty: float, half_l: float, half_d: float
          ) -> tuple[tuple[float, float], ...]:
    nx, ny = -ty, tx
    return tuple((cx + tx * a + nx * p, cy + ty * a + ny * p)
                 for a, p in ((-half_l, -half_d), (half_l, -half_d), (half_l, half_d),
                              (-half_l, half_d)))


def lay_row_field(rng: np.random.Generator, t: Territory, index: int, kind: str,
                  laid_on: dt.date) -> Site | None:
    """A row minefield parallel to the front line, or None when it would not fit on land."""
    u = rng.uniform(0, t.front.length)
    side = "A" if rng.random() < 0.5 else "B"
    fx, fy, nx, ny = frame_at(t.front, u)
    sign = 1.0 if side == "A" else -1.0
    off = min(abs(rng.normal(0, 900)) + 60, BELT_HALF_WIDTH_M - 300) * sign
    cx, cy = fx + nx * off, fy + ny * off
    tx, ty = ny, -nx  # along the front
    field_type = rng.choice(["ap", "av", "mixed"], p=[0.5, 0.2, 0.3])
    length = float(rng.uniform(150, 800))
    m_along, m_perp = float(rng.uniform(10, 30)), float(rng.uniform(15, 40))
    row_len = length - 2 * m_along
    plan: list[tuple[str, str, float]] = []
    ap_model = str(rng.choice(AP_ROW_MODELS, p=AP_ROW_WEIGHTS))
    av_model = str(rng.choice(AV_MODELS, p=AV_WEIGHTS))
    if field_type in ("av", "mixed"):
        s = float(np.round(rng.uniform(4, 10) * 2) / 2)
        plan += [("av", av_model, s)] * int(rng.integers(1, 3 if field_type == "mixed" else 4))
    if field_type in ("ap", "mixed"):
        s = float(np.round(rng.uniform(1, 6) * 2) / 2)
        plan += [("ap", ap_model, s)] * int(rng.integers(1, 4 if field_type == "mixed" else 6))
    counts = [int(row_len // s) + 1 for _c, _m, s in plan]
    total = sum(counts)
    density = min(float(np.exp(rng.normal(np.log(1400), 0.5))), MAX_DENSITY_PER_KM2)
    depth = total / (density / 1e6) / length
    depth = max(depth, 2 * m_perp + 12.0 * (len(plan) - 1), 40.0)
    corners = _rect(cx, cy, tx, ty, length / 2, depth / 2)
    poly = Polygon(corners)
    if not t.land.contains(poly):
        return None
    rows: list[Row] = []
    n = len(plan)
    for k, ((cat, model, s), count) in enumerate(zip(plan, counts, strict=True)):
        p = 0.0 if n == 1 else -depth / 2 + m_perp + k * (depth - 2 * m_perp) / (n - 1)
        # rows face the enemy: side A's front rows are nearest the line (negative normal)
        p = -p * sign
        x0 = cx - tx * row_len / 2 + (-ty) * p
        y0 = cy - ty * row_len / 2 + tx * p
        rows.append(Row(f"R{k + 1}", cat, model, count, s, x0, y0, tx, ty))
    return Site(f"FLD-{index + 1:06d}", kind, index, poly, laid_on, side=side,
                rows=tuple(rows), corners=corners, n_items=total, centre=(cx, cy))


def lay_nuisance(rng: np.random.Generator, index: int, side: str, x: float, y: float,
                 laid_on: dt.date) -> Site:
    radius = float(rng.uniform(40, 130))
    k = int(rng.integers(1, 4))
    models = tuple(str(m) for m in rng.choice(NUISANCE_MODELS, size=k, replace=False))
    poly = Point(x, y).buffer(radius + 10, quad_segs=8)
    return Site(f"NUI-{index + 1:06d}", "nuisance", index, poly, laid_on, side=side,
                n_items=int(rng.integers(8, 45)), centre=(x, y), radius=radius, models=models)


def _near_front(t: Territory, x: float, y: float, limit: float) -> bool:
    return t.front.distance(Point(x, y)) <= limit


def lay_sites(seed: int, t: Territory, scale: float) -> list[Site]:
    """Every contaminated site of the scenario, in a fixed order."""
    rng = substream(seed, 2)
    sites: list[Site] = []
    war_start, war_end = dt.date(1992, 3, 1), dt.date(2020, 11, 9)

    n_fields = max(1, round(200 * scale))
    k = 0
    attempts = 0
    while k < n_fields and attempts < n_fields * 20:
        attempts += 1
        laid = date_between(rng, war_start, dt.date(1994, 5, 12)) if rng.random() < 0.7 \
            else date_between(rng, dt.date(1994, 5, 13), war_end)
        site = lay_row_field(substream(seed, 2, 1, attempts), t, k, "row_field", laid)
        if site is not None:
            sites.append(site)
            k += 1

    n_positions = max(1, round(170 * scale))
    # fortified positions alternate sides along the front
    from mineaction.demo.territory import make_positions

    t.positions = make_positions(substream(seed, 2, 7), t.front, t.land, n_positions)
    for k, (_pid, side, x, y) in enumerate(t.positions):
        sites.append(lay_nuisance(substream(seed, 2, 2, k), k, side, x, y,
                                  date_between(rng, war_start, war_end)))

    # battle areas and cluster strikes behind the lines and in settlements
    n_battle = max(1, round(40 * scale))
    k = attempts = 0
    minx, miny, maxx, maxy = t.land.bounds
    while k < n_battle and attempts < n_battle * 50:
        attempts += 1
        r = substream(seed, 2, 4, attempts)
        if r.random() < 0.5:
            s = t.settlements[int(r.integers(0, len(t.settlements)))]
            x, y = s.x + r.normal(0, 1500), s.y + r.normal(0, 1500)
        else:
            x, y = r.uniform(minx, maxx), r.uniform(miny, maxy)
        if not shapely.contains_xy(t.land, x, y) or not _near_front(t, x, y, 25000):
            continue
        radius = float(r.uniform(400, 1600))
        poly = Point(x, y).buffer(radius, quad_segs=16).intersection(t.land)
        if poly.geom_type != "Polygon":
            continue
        sites.append(Site(f"BAT-{k + 1:06d}", "battle_area", k, poly, war_end, n_items=int(
            r.poisson(radius / 40)), centre=(x, y), radius=radius, models=UXO_MODELS))
        k += 1

    n_strikes = max(1, round(30 * scale))
    k = attempts = 0
    while k < n_strikes and attempts < n_strikes * 50:
        attempts += 1
        r = substream(seed, 2, 5, attempts)
        s = t.settlements[int(r.integers(0, len(t.settlements)))]
        x, y = s.x + r.normal(0, 2500), s.y + r.normal(0, 2500)
        if not shapely.contains_xy(t.land, x, y) or not _near_front(t, x, y, 30000):
            continue
        sa, sb, ang = float(r.uniform(250, 600)), float(r.uniform(120, 300)), \
            float(r.uniform(0, np.pi))
        ell = shapely.affinity.rotate(shapely.affinity.scale(Point(0, 0).buffer(1.0, 16),
                                                             sa, sb), ang, use_radians=True)
        poly = shapely.affinity.translate(ell, x, y).intersection(t.land)
        if poly.geom_type != "Polygon":
            continue
        sites.append(Site(f"CLU-{k + 1:06d}", "cluster_strike", k, poly,
                          date_between(r, dt.date(2020, 9, 27), war_end),
                          n_items=int(r.integers(15, 140)), centre=(x, y),
                          axes=(sa, sb, ang), models=(str(r.choice(CMR_MODELS)),)))
        k += 1

    # improvised devices: about 5% of the mined area, in settlements, cemeteries, riverbanks
    mined = sum(s.polygon.area for s in sites if s.kind in ("row_field", "nuisance"))
    target = mined * IED_SHARE / (1 - IED_SHARE)
    near = [s for s in t.settlements if _near_front(t, s.x, s.y, 20000)] or t.settlements
    area = 0.0
    k = attempts = 0
    while area < target and attempts < 100000:
        attempts += 1
        r = substream(seed, 2, 3, attempts)
        setting = str(r.choice(["settlement", "cemetery", "riverbank"], p=[0.5, 0.25, 0.25]))
        if setting == "riverbank" and t.rivers:
            _wid, _name, line = t.rivers[int(r.integers(0, len(t.rivers)))]
            p = line.interpolate(r.uniform(0, line.length))
            x, y = p.x + r.normal(0, 25), p.y + r.normal(0, 25)
            if not _near_front(t, x, y, 20000):
                continue
        else:
            s = near[int(r.integers(0, len(near)))]
            d = r.uniform(0, 400) if setting == "settlement" else r.uniform(600, 1500)
            a = r.uniform(0, 2 * np.pi)
            x, y = s.x + d * np.cos(a), s.y + d * np.sin(a)
        radius = float(r.uniform(40, 110))
        poly = Point(x, y).buffer(radius + 5, quad_segs=8)
        if not t.land.contains(poly):
            continue
        models = tuple(str(m) for m in r.choice(IED_MODELS, size=2, replace=False))
        sites.append(Site(f"IED-{k + 1:06d}", "ied", k, poly,
                          date_between(r, dt.date(2020, 9, 1), war_end), setting=setting,
                          n_items=int(r.integers(1, 13)), centre=(x, y), radius=radius,
                          models=models))
        area += poly.area
        k += 1
    return sites


def iter_items(seed: int, sites: list[Site]) -> Iterator[tuple[Site, Items]]:
    for site in sites:
        yield site, site_items(seed, site)

"""An independent recount of every figure of mineaction's reports, from exported records.

This module reads the CSV exports of a store (``mineaction export LAYER -o LAYER.csv``), rebuilds
each report's tables from the rules in ``docs/reports.md`` and compares them, cell by cell, with
the report's JSON output (``mineaction report NAME --format json``). It uses pandas, shapely,
pyproj and numpy only and never imports mineaction (a test checks it), so that a defect of the
project cannot cancel itself out in its own check.

The rules, as the recount implements them:

- **Land** (every area released: by method, period, district, operator, contamination class,
  polygons where AP mines were found, the five-year table, the quarterly report, CCM Form F):
  the geodesic area of the *union* of the release-step polygons behind the cell, so land
  released twice (overlapping hazards) counts once; a total row is the union over the polygons
  of all its rows. Methods are never added into one another.
- **Areas** are measured here, not read: every edge cut into pieces of at most
  :data:`STEP_DEG` degrees (linear in longitude/latitude, the edge a GIS draws), then
  ``pyproj.Geod(ellps="WGS84").polygon_area_perimeter`` per ring, holes subtracted. (Not
  ``shapely.segmentize``: GEOS 3.14 collapses some polygons when it densifies them.)
- **Contamination class** of a release step, from the contamination recorded on it: AP and AV
  mines: mixed; AP without AV: AP only; AV without AP: AV only; no AP or AV but CMR, UXO or
  AXO: battle area; anything else: not recorded.
- **Rejected lots**: a release step a failed QC inspection rejected (``rejected_by``) is no
  longer released land, whatever the period.
- **District**: the area at level 2 above the record's administrative area (the area itself
  when it is at level 2 or above, or has no parent).
- **Quality**: events held in the period per operator and method of the inspected activity;
  pass rate over passed and failed QC inspections (to its printed tenth); non-conformities
  raised, closed, open at the period's end (raised by then, not closed by then).
- **Risk education**: sessions and beneficiaries per district, method, audience, place and
  band of geodesic distance to the nearest hazard open at the period's end (the version in
  force; distance to its edges, drawn straight in lon/lat, by a search along each piece with
  ``Geod.inv``); beneficiaries are people (suppressed), girls + boys + women + men = total.
- **Planning** (docs/planning.md): rates per team-day, per asset-day (non-negative least
  squares by trying every set of free columns; 200 bootstrap resamples of numpy's default
  generator seeded 0), per task-day, capacity by month; ranked tasks' criteria parts from the
  default weights file, accidents within its radius of the hazard's edge.
- **Counts** (items, people, capacity) are exact; a count of people may be suppressed
  (primary ``<N``: the recount must be 1..N-1; secondary ``x``: never a zero) and no
  suppressed count may be worked out from what the table prints.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely

#: Longest piece of a polygon edge, in degrees of longitude/latitude, before geodesic measure.
STEP_DEG = 0.0005
#: Tolerance on an area, per record behind the cell (m²).
AREA_TOL_PER_RECORD = 0.1
KM2 = 1_000_000.0
#: A percentage is printed to one decimal: it may differ from the exact ratio by half of that.
PERCENT_TOL = 0.05 + 1e-9

METHODS = ("cancelled", "reduced", "cleared")
CLASS_TITLES = {
    "ap_only": "AP mines only",
    "ap_av_mixed": "AP and AV mines",
    "av_only": "AV mines only",
    "battle_area": "Battle area (no AP or AV mines)",
    "unspecified": "Contamination not recorded",
}
NO_AREA = "(no area recorded)"
UNKNOWN = "unknown"

#: The layers the reports read, as exported.
LAYERS = ("release-steps", "hazards", "hazard-versions", "finds", "victims", "capacity",
          "admin-areas", "activities", "figures", "quality", "eore", "accidents", "evidence",
          "minefield-records")

_GEOD = pyproj.Geod(ellps="WGS84")


# ---------------------------------------------------------------------------------------------
# Geodesic measure


def _densify(ring: np.ndarray) -> np.ndarray:
    """A closed ring's vertices with every edge cut into equal pieces of at most STEP_DEG."""
    xy = np.asarray(ring, dtype=float)[:, :2]
    d = np.diff(xy, axis=0)
    pieces = np.maximum(1, np.ceil(np.hypot(d[:, 0], d[:, 1]) / STEP_DEG).astype(int))
    out = [xy[i] + (np.arange(n) / n)[:, None] * d[i] for i, n in enumerate(pieces)]
    out.append(xy[-1:])
    return np.vstack(out)


def geodesic_area(geom: Any) -> float:
    """Area in m² on the WGS84 ellipsoid of a polygon or multipolygon in lon/lat; 0 for None,
    empty geometries, points and lines."""
    if geom is None or geom.is_empty:
        return 0.0
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.geom_type == "GeometryCollection":
            total += geodesic_area(part)
            continue
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        for k, ring in enumerate([part.exterior, *part.interiors]):
            xy = _densify(np.asarray(ring.coords))
            area, _ = _GEOD.polygon_area_perimeter(xy[:, 0], xy[:, 1])
            total += abs(area) if k == 0 else -abs(area)
    return total


def union_area(geoms: Iterable[Any]) -> float:
    """Geodesic area of the union of polygons: land covered by several counts once.

    Polygons fall into groups whose bounding boxes overlap (directly or through others):
    groups are disjoint, so the union's area is the sum of theirs. A group of several is
    measured twice: GEOS's union (``shapely.union_all``) on the ellipsoid, and
    :func:`slab_area` (numpy and pyproj alone, no overlay), which must agree within
    :func:`union_tolerance` (else AssertionError); a group with more than
    :data:`SLAB_MAX_EDGES` edges, rare, is measured by GEOS alone (counted in
    :data:`UNION_CHECKS`)."""
    gs = [g for g in geoms if g is not None and not g.is_empty]
    if not gs:
        return 0.0
    if len(gs) == 1:
        return geodesic_area(gs[0])
    # Exports give every coordinate back exactly, so stored polygons come back valid; should
    # one not be, repair it keeping its rings' roles (a hole stays a hole) before the overlay.
    arr = np.array(gs, dtype=object)
    bad = ~shapely.is_valid(arr)
    if bad.any():
        arr[bad] = shapely.make_valid(arr[bad], method="structure", keep_collapsed=False)
    bounds = shapely.bounds(arr)
    total = 0.0
    for group in _components(bounds):
        if len(group) == 1:
            total += geodesic_area(arr[group[0]])
            continue
        key = tuple(sorted(id(g) for g in arr[group]))
        if key in _GROUPS:
            total += _GROUPS[key][1]
            continue
        area = geodesic_area(shapely.union_all(arr[group]))
        _GROUPS[key] = (tuple(arr[group]), area)  # the polygons held: their ids stay theirs
        other = slab_area(list(arr[group]), bounds[group])
        if other is None:
            UNION_CHECKS["too large"] += 1
        else:
            tol = union_tolerance(area, len(group))
            assert abs(area - other) <= tol, (
                f"the union of {len(group)} polygons measures {area:,.4f} m² (GEOS union, "
                f"geodesic) but {other:,.4f} m² (slabs in an equal-area plane): "
                f"{area - other:+,.4f} m², more than the {tol:,.4f} m² allowed")
            UNION_CHECKS["checked"] += 1
        total += area
    return total


#: The area of each group of polygons measured (both ways), by the ids of its polygons.
_GROUPS: dict[tuple[int, ...], tuple[tuple[Any, ...], float]] = {}
#: Groups of overlapping polygons measured both ways (GEOS, slabs), and those too large for
#: the slabs, in this process.
UNION_CHECKS = Counter({"checked": 0, "too large": 0})
#: Tolerance between the two measures of a union: per polygon behind it, and relative.
UNION_TOL_PER_POLYGON, UNION_TOL_RELATIVE = 0.01, 1e-7
#: The most edges (densified) of a group the slabs measure.
SLAB_MAX_EDGES = 2000


def union_tolerance(area: float, polygons: int) -> float:
    """How far the two measures of a union may differ (m²): they place the same vertices
    (edges cut into pieces of at most STEP_DEG) but join them by geodesics (the ellipsoid) or
    by straight lines of an equal-area plane, which differ by far less than a hundredth of a
    m² per polygon at these sizes."""
    return UNION_TOL_PER_POLYGON * polygons + UNION_TOL_RELATIVE * area


@functools.lru_cache(maxsize=64)
def _laea(lon0: float, lat0: float) -> pyproj.Transformer:
    """Lambert azimuthal equal-area on the WGS84 ellipsoid centred at (lon0, lat0)."""
    return pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m",
        always_xy=True)


def _components(bounds: np.ndarray) -> list[list[int]]:
    """Groups of geometries whose bounding boxes overlap, directly or through others."""
    n = len(bounds)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = np.argsort(bounds[:, 0], kind="stable")
    active: list[int] = []
    for i in order.tolist():
        active = [j for j in active if bounds[j, 2] >= bounds[i, 0]]
        for j in active:
            if bounds[j, 1] <= bounds[i, 3] and bounds[i, 1] <= bounds[j, 3]:
                parent[find(i)] = find(j)
        active.append(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _edges(geom: Any, tr: pyproj.Transformer) -> np.ndarray:
    """Every ring's edges, densified in lon/lat, in the plane: (n, 4) x1, y1, x2, y2."""
    out = []
    for part in shapely.get_parts(geom):
        if part.geom_type == "GeometryCollection":
            out.append(_edges(part, tr))
            continue
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        for ring in [part.exterior, *part.interiors]:
            xy = _densify(np.asarray(ring.coords))
            x, y = tr.transform(xy[:, 0], xy[:, 1])
            x, y = np.asarray(x), np.asarray(y)
            out.append(np.column_stack([x[:-1], y[:-1], x[1:], y[1:]]))
    return np.vstack(out) if out else np.empty((0, 4))


def _crossings_x(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The x of every point where an edge of ``a`` crosses an edge of ``b``."""
    out = []
    for k in range(0, len(a), 256):
        p = a[k:k + 256, None, :]
        q = b[None, :, :]
        near = ((np.minimum(p[..., 0], p[..., 2]) <= np.maximum(q[..., 0], q[..., 2]))
                & (np.minimum(q[..., 0], q[..., 2]) <= np.maximum(p[..., 0], p[..., 2]))
                & (np.minimum(p[..., 1], p[..., 3]) <= np.maximum(q[..., 1], q[..., 3]))
                & (np.minimum(q[..., 1], q[..., 3]) <= np.maximum(p[..., 1], p[..., 3])))
        i, j = np.nonzero(near)
        if not len(i):
            continue
        pp, qq = a[k + i], b[j]
        rx, ry = pp[:, 2] - pp[:, 0], pp[:, 3] - pp[:, 1]
        sx, sy = qq[:, 2] - qq[:, 0], qq[:, 3] - qq[:, 1]
        den = rx * sy - ry * sx
        ok = den != 0
        t = np.where(ok, ((qq[:, 0] - pp[:, 0]) * sy - (qq[:, 1] - pp[:, 1]) * sx)
                     / np.where(ok, den, 1.0), -1.0)
        u = np.where(ok, ((qq[:, 0] - pp[:, 0]) * ry - (qq[:, 1] - pp[:, 1]) * rx)
                     / np.where(ok, den, 1.0), -1.0)
        hit = ok & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
        out.append(pp[hit, 0] + t[hit] * rx[hit])
    return np.concatenate(out) if out else np.empty(0)


def _slab_area(edges: np.ndarray, owner: np.ndarray) -> float:
    """Area of the union of plane polygons given by their edges (x1, y1, x2, y2) and the
    polygon each belongs to (even-odd within a polygon).

    Cut the plane into vertical slabs at every vertex and every crossing of two polygons'
    edges: inside a slab no edge crosses another, so the length of the union's section is
    linear in x and the slab's area is its width times the section at its middle."""
    xs = [edges[:, 0], edges[:, 2]]
    for k in np.unique(owner):
        xs.append(_crossings_x(edges[owner == k], edges[owner > k]))
    cuts = np.unique(np.concatenate(xs))
    if len(cuts) < 2:
        return 0.0
    total = 0.0
    for c in range(0, len(cuts) - 1, 256):
        part = cuts[c:c + 257]
        mids, widths = (part[:-1] + part[1:]) / 2, np.diff(part)
        total += float(np.sum(_sections(edges, owner, mids) * widths))
    return total


def _sections(edges: np.ndarray, owner: np.ndarray, mids: np.ndarray) -> np.ndarray:
    """At each x of ``mids`` (no vertex there), the length of the union's section."""
    starts, ends = [], []
    for k in np.unique(owner):
        e = edges[owner == k]
        x1, y1, x2, y2 = (e[:, i, None] for i in range(4))
        on = (np.minimum(x1, x2) < mids) & (mids < np.maximum(x1, x2))
        t = (mids - x1) / np.where(x2 != x1, x2 - x1, 1.0)
        y = np.where(on, y1 + t * (y2 - y1), np.inf)
        y = y[on.any(axis=1)]
        y.sort(axis=0)  # per slab: this polygon's crossings upwards, then inf
        if len(y) % 2:
            y = np.vstack([y, np.full((1, y.shape[1]), np.inf)])
        starts.append(y[0::2])
        ends.append(y[1::2])
    s, e = np.vstack(starts), np.vstack(ends)
    # the union of the intervals [s, e] at each x: sweep upwards over their ends
    at = np.vstack([s, e])
    step = np.vstack([np.ones_like(s), -np.ones_like(e)])
    step[~np.isfinite(at)] = 0
    order = np.argsort(at, axis=0, kind="stable")  # starts (stacked first) before ends
    at = np.take_along_axis(at, order, axis=0)
    depth = np.cumsum(np.take_along_axis(step, order, axis=0), axis=0)
    with np.errstate(invalid="ignore"):
        gaps = np.diff(at, axis=0)
    covered = (depth[:-1] > 0) & np.isfinite(gaps)
    return np.where(covered, gaps, 0.0).sum(axis=0)


def slab_area(geoms: Sequence[Any], bounds: np.ndarray | None = None) -> float | None:
    """The area (m²) of the union of polygons in lon/lat without an overlay: their edges cut
    as :func:`geodesic_area` cuts them, projected to an equal-area plane (Lambert azimuthal,
    WGS84), measured by slabs (:func:`_slab_area`). None for more than SLAB_MAX_EDGES edges."""
    gs = [g for g in geoms if g is not None and not g.is_empty]
    if not gs:
        return 0.0
    b = np.array([g.bounds for g in gs], dtype=float) if bounds is None else bounds
    # centred on the whole degree nearest the group (the projection is equal-area anywhere)
    tr = _laea(round(float(b[:, 0].min() + b[:, 2].max()) / 2),
               round(float(b[:, 1].min() + b[:, 3].max()) / 2))
    parts = [_edges(g, tr) for g in gs]
    if sum(len(p) for p in parts) > SLAB_MAX_EDGES:
        return None
    owner = np.concatenate([np.full(len(p), k) for k, p in enumerate(parts)])
    return _slab_area(np.vstack(parts), owner)


# ---------------------------------------------------------------------------------------------
# The exported records


def _read(path: Path) -> pd.DataFrame:
    """A CSV export as text columns, empty cells as None."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df.astype(object).where(df != "", None)


def _cats(text: str | None) -> frozenset[str]:
    return frozenset(c.strip() for c in (text or "").replace(";", ",").split(",") if c.strip())


def _geoms(df: pd.DataFrame) -> list[Any]:
    if "WKT" not in df.columns:
        return [None] * len(df)
    return [None if w is None else shapely.from_wkt(w) for w in df["WKT"]]


def _int(v: Any) -> int | None:
    return None if v is None else int(float(v))


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


def _bool(v: Any) -> bool:
    return str(v).strip().lower() in ("1", "true", "yes", "t")


class AdminTree:
    """Administrative areas: names, the district (level 2) above an area, areas inside one."""

    def __init__(self, areas: pd.DataFrame) -> None:
        self.name_of = dict(zip(areas["id"], areas["name"], strict=True))
        self.level = {i: _int(v) for i, v in zip(areas["id"], areas["level"], strict=True)}
        self.parent = dict(zip(areas["id"], areas["parent_id"], strict=True))
        self.countries = {c for c in areas["country"] if c}

    def district(self, area_id: str | None) -> str | None:
        if not isinstance(area_id, str):  # none recorded (None, or NaN from pandas)
            return None
        seen: set[str] = set()
        current = area_id
        while current is not None and current in self.level and current not in seen:
            seen.add(current)
            level = self.level[current]
            if level is None or level <= 2 or self.parent[current] is None:
                return current
            current = self.parent[current]
        return area_id

    def name(self, area_id: str | None) -> str:
        if not isinstance(area_id, str):
            return NO_AREA
        return self.name_of.get(area_id, area_id)

    def within(self, name_or_id: str) -> set[str]:
        wanted = name_or_id.strip().lower()
        out = {i for i, n in self.name_of.items()
               if i.lower() == wanted or str(n).strip().lower() == wanted}
        grew = True
        while grew:
            inner = {i for i, p in self.parent.items() if p in out} - out
            grew = bool(inner)
            out |= inner
        return out


@dataclass
class Data:
    """The exported records of one store, with geometries parsed and areas measured here."""

    steps: pd.DataFrame
    hazards: pd.DataFrame
    versions: pd.DataFrame
    finds: pd.DataFrame
    victims: pd.DataFrame
    capacity: pd.DataFrame
    areas: pd.DataFrame
    activities: pd.DataFrame
    figures: pd.DataFrame
    quality: pd.DataFrame
    eore: pd.DataFrame
    tree: AdminTree
    #: Release steps of lots a failed QC inspection rejected: no longer released land.
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    accidents: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The evidence layer (witness statements, ...) and the minefield records.
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    records: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def load(cls, folder: Path) -> Data:
        raw = {layer: _read(folder / f"{layer}.csv") for layer in LAYERS}
        for layer in ("release-steps", "hazards", "hazard-versions", "activities", "admin-areas",
                      "eore", "accidents", "evidence", "minefield-records"):
            df = raw[layer]
            df["geom"] = _geoms(df)
            df["area"] = [geodesic_area(g) for g in df["geom"]]
        steps = raw["release-steps"]
        steps["cats"] = [_cats(c) for c in steps["contamination"]]
        steps["cls"] = [contamination_class(c) for c in steps["cats"]]
        versions = raw["hazard-versions"]
        versions["seq"] = [int(s) for s in versions["seq"]]
        versions["cats"] = [_cats(c) for c in versions["contamination"]]
        finds = raw["finds"]
        finds["quantity"] = [_int(q) or 0 for q in finds["quantity"]]
        finds["victim_activated"] = [_bool(v) for v in finds["victim_activated"]]
        cap = raw["capacity"]
        for col in ("teams", "deminers", "dogs", "machines"):
            cap[col] = [_int(v) or 0 for v in cap[col]]
        tree = AdminTree(raw["admin-areas"])
        steps["district"] = [tree.district(a) for a in steps["admin_area_id"]]
        eore = raw["eore"]
        for col in EORE_PEOPLE:
            eore[col] = [_int(v) or 0 for v in eore[col]]
        gone = steps["rejected_by"].notna() if "rejected_by" in steps.columns else \
            pd.Series(False, index=steps.index)
        return cls(steps[~gone], raw["hazards"], versions, finds, raw["victims"], cap,
                   raw["admin-areas"], raw["activities"], raw["figures"], raw["quality"], eore,
                   tree, steps[gone], raw["accidents"], raw["evidence"],
                   raw["minefield-records"])

    def area_ids(self, area: str | None) -> set[str] | None:
        return None if area is None else self.tree.within(area)

    def steps_in(self, period: Period, area: str | None) -> pd.DataFrame:
        s = self.steps[period.mask(self.steps["released_on"])]
        ids = self.area_ids(area)
        return s if ids is None else s[s["admin_area_id"].isin(ids)]

    def finds_destroyed(self, period: Period, area: str | None) -> pd.DataFrame:
        """Finds destroyed in the period; with an area, those of activities that released land
        in it (at any date)."""
        f = self.finds[period.mask(self.finds["destroyed_on"])]
        ids = self.area_ids(area)
        if ids is None:
            return f
        acts = set(self.steps.loc[self.steps["admin_area_id"].isin(ids), "activity_id"])
        return f[f["activity_id"].isin(acts)]

    def victims_in(self, period: Period, area: str | None) -> pd.DataFrame:
        v = self.victims[period.mask(self.victims["occurred_on"])]
        ids = self.area_ids(area)
        return v if ids is None else v[v["admin_area_id"].isin(ids)]


def contamination_class(cats: frozenset[str]) -> str:
    if "ap" in cats:
        return "ap_av_mixed" if "av" in cats else "ap_only"
    if "av" in cats:
        return "av_only"
    if cats & {"cmr", "uxo", "axo"}:
        return "battle_area"
    return "unspecified"


@dataclass(frozen=True)
class Period:
    """Inclusive dates as ISO text; either end may be open."""

    start: str | None = None
    end: str | None = None

    @classmethod
    def year(cls, y: int) -> Period:
        return cls(f"{y}-01-01", f"{y}-12-31")

    @classmethod
    def quarter(cls, y: int, q: int) -> Period:
        first = dt.date(y, 3 * (q - 1) + 1, 1)
        nxt = dt.date(y + (q == 4), 1 if q == 4 else first.month + 3, 1)
        return cls(first.isoformat(), (nxt - dt.timedelta(days=1)).isoformat())

    def mask(self, dates: pd.Series) -> pd.Series:
        keep = pd.Series(True, index=dates.index)
        if self.start is not None:
            keep &= dates.map(lambda d: d is not None and d >= self.start)
        if self.end is not None:
            keep &= dates.map(lambda d: d is not None and d <= self.end)
        return keep

    def as_filter(self) -> dict[str, str | None]:
        return {"from": self.start, "to": self.end}


# ---------------------------------------------------------------------------------------------
# The recounted report


@dataclass
class Cell:
    """A recounted figure. ``kind``: text, count (items, exact), people (exact, may be
    suppressed), stock (capacity, exact), area (m²), km2 (the report shows km², the recount
    holds m²) or figure (a published value, copied)."""

    value: Any
    kind: str
    records: tuple[str, ...] = ()
    parts: float | None = None  # land: the records' own areas added up (overlap diagnosis)
    note: str = ""  # what else a disagreement message should say
    extra_tol: float = 0.0  # an area the report prints rounded (to whole m²: 0.5)

    @property
    def tolerance(self) -> float:
        return AREA_TOL_PER_RECORD * max(1, len(self.records)) + self.extra_tol


def text(value: str) -> Cell:
    return Cell(value, "text")


def in_district(districts: pd.Series, dist: str | None) -> list[bool]:
    """Which rows lie in ``dist``; rows with no district recorded (None, or NaN where pandas
    made one) are the row of no district."""
    if not isinstance(dist, str):
        return [not isinstance(x, str) for x in districts]
    return [x == dist for x in districts]


def land(steps: pd.DataFrame, kind: str = "area") -> Cell:
    """The land of release steps: the area of the union of their polygons."""
    stored = [(i, float(a), m) for i, a, m in zip(steps["id"], steps["area_m2"], steps["area"],
                                                  strict=True) if abs(float(a) - m) > 0.1]
    note = "; ".join(f"step {i} is stored as {a:,.1f} m², its polygon measures {m:,.1f} m²"
                     for i, a, m in sorted(stored)[:5])
    return Cell(union_area(steps["geom"]), kind, tuple(sorted(steps["id"])),
                float(steps["area"].sum()), note)


def items(finds: pd.DataFrame) -> Cell:
    return Cell(int(finds["quantity"].sum()), "count", tuple(sorted(finds["id"])))


def people(victims: pd.DataFrame) -> Cell:
    return Cell(len(victims), "people", tuple(sorted(victims["id"])))


def stock(records: Sequence[dict[str, Any]], measure: str) -> Cell:
    return Cell(sum(int(r[measure]) for r in records), "stock",
                tuple(sorted(r["id"] for r in records)))


@dataclass
class Table:
    name: str
    key: str
    columns: list[str]
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)
    total: dict[str, Cell] | None = None
    total_required: bool = True
    #: A row's key made of several columns (joined with " / "); empty: ``key`` alone.
    key_columns: tuple[str, ...] = ()
    #: The columns whose sum is the ``total`` column on every row (default: all the others).
    row_sum: tuple[str, ...] | None = None

    def add(self, key: str, cells: dict[str, Cell]) -> None:
        self.rows[key] = cells


@dataclass
class Expected:
    report: str
    period: Period
    area: str | None
    tables: list[Table]
    suppress_below: int = 5
    #: Disagreements found while recounting (an order the figures do not support, ...).
    problems: list[str] = field(default_factory=list)


def _sum_total(table: Table, columns: Sequence[str]) -> dict[str, Cell]:
    out: dict[str, Cell] = {}
    for c in columns:
        cells = [r[c] for r in table.rows.values()]
        kind = cells[0].kind if cells else "count"
        value = sum(x.value for x in cells if x.value is not None)
        out[c] = Cell(value, kind, tuple(sorted({i for x in cells for i in x.records})))
    return out


# ---------------------------------------------------------------------------------------------
# ap-release-by-district

FIND_COLUMNS = {"ap_mines_destroyed": "ap", "av_mines_destroyed": "av", "cmr_destroyed": "cmr",
                "uxo_destroyed": "uxo"}


def ap_release_by_district(d: Data, period: Period, area: str | None,
                           threshold: int = 5) -> Expected:
    steps = d.steps_in(period, area)
    ap_acts = set(d.finds.loc[d.finds["category"] == "ap", "activity_id"]) - {None}
    mine = steps[steps["activity_id"].isin(ap_acts)]
    # Each activity's items go to the district where it released most land in the period.
    home: dict[str, str | None] = {}
    for act, g in mine.groupby("activity_id"):
        per = {dist: union_area(g.loc[in_district(g["district"], dist), "geom"])
               for dist in set(g["district"])}
        home[str(act)] = min(per, key=lambda k: (-per[k], str(k)))
    districts = sorted(set(mine["district"]), key=lambda x: d.tree.name(x))
    t = Table("districts", "district", ["area_released_m2", *FIND_COLUMNS])
    m = Table("methods", "district", [f"{x}_m2" for x in METHODS])
    home_finds = d.finds[d.finds["activity_id"].isin(home)]
    for dist in districts:
        name = d.tree.name(dist)
        here = mine[in_district(mine["district"], dist)]
        acts = {a for a, h in home.items() if h == dist}
        f = home_finds[home_finds["activity_id"].isin(acts)]
        t.add(name, {"area_released_m2": land(here),
                     **{c: items(f[f["category"] == cat]) for c, cat in FIND_COLUMNS.items()}})
        m.add(name, {f"{x}_m2": land(here[here["method"] == x]) for x in METHODS})
    t.total = {"area_released_m2": land(mine),
               **{c: items(home_finds[home_finds["category"] == cat])
                  for c, cat in FIND_COLUMNS.items()}}
    m.total = {f"{x}_m2": land(mine[mine["method"] == x]) for x in METHODS}
    return Expected("ap-release-by-district", period, area,
                    [t, m, contamination_table(steps)], threshold)


def contamination_table(steps: pd.DataFrame) -> Table:
    t = Table("contamination", "contamination", [f"{x}_m2" for x in METHODS])
    for cls, title in CLASS_TITLES.items():
        s = steps[steps["cls"] == cls]
        if len(s):
            t.add(title, {f"{x}_m2": land(s[s["method"] == x]) for x in METHODS})
    t.total = {f"{x}_m2": land(steps[steps["method"] == x]) for x in METHODS}
    return t


# ---------------------------------------------------------------------------------------------
# land-release


def land_release(d: Data, period: Period, area: str | None, threshold: int = 5) -> Expected:
    """Land released in the period (steps not rejected) by district and method and by year and
    method, in km²: each cell the union of its steps' polygons, each total the union of all
    the steps of its column (never a sum of the rows); a year only for steps with a date."""
    steps = d.steps_in(period, area)
    cols = [f"{x}_km2" for x in METHODS]
    by_district = Table("districts", "district", cols)
    for dist in sorted(set(steps["district"]), key=lambda x: d.tree.name(x)):
        s = steps[in_district(steps["district"], dist)]
        by_district.add(d.tree.name(dist), {f"{x}_km2": land(s[s["method"] == x], "km2")
                                            for x in METHODS})
    by_district.total = {f"{x}_km2": land(steps[steps["method"] == x], "km2")
                         for x in METHODS}
    years = steps["released_on"].map(lambda r: None if not r else str(r)[:4])
    by_year = Table("years", "year", cols)
    for y in sorted({y for y in years if y is not None}):
        s = steps[years == y]
        by_year.add(y, {f"{x}_km2": land(s[s["method"] == x], "km2") for x in METHODS})
    dated = steps[years.notna()]
    by_year.total = {f"{x}_km2": land(dated[dated["method"] == x], "km2") for x in METHODS}
    return Expected("land-release", period, area,
                    [by_district, by_year, remaining(d, period, area)], threshold)


def remaining(d: Data, period: Period, area: str | None,
              today: dt.date | None = None) -> Table:
    """Contamination remaining at the end of the period (today when it has no end or ends
    later), by district and kind: each hazard as it stood that day (its version of greatest
    ``seq`` valid by then; a hazard with no version at all as it stands, from the day it was
    recorded), open ones only; each cell and total the union of their polygons."""
    now = (today or dt.date.today()).isoformat()
    on = min(period.end or now, now)
    state: dict[str, pd.Series] = {}
    for _, v in d.versions.iterrows():
        if v["valid_from"] is not None and str(v["valid_from"])[:10] > on:
            continue
        h = str(v["hazard_id"])
        if h not in state or v["seq"] > state[h]["seq"]:
            state[h] = v
    with_history = {str(h) for h in d.versions["hazard_id"]}
    ids = d.area_ids(area)
    rows: list[dict[str, Any]] = []
    for _, h in d.hazards.iterrows():
        if ids is not None and h["admin_area_id"] not in ids:
            continue
        district = d.tree.district(h["admin_area_id"])
        hid = str(h["id"])
        if hid in state:
            v = state[hid]
            if v["status"] == "open":
                rows.append({"id": hid, "district": district, "kind": v["kind"],
                             "geom": v["geom"]})
        elif hid not in with_history and h["status"] == "open" and (
                h["recorded_on"] is None or str(h["recorded_on"])[:10] <= on):
            rows.append({"id": hid, "district": district, "kind": h["kind"], "geom": h["geom"]})
    open_now = pd.DataFrame(rows, columns=["id", "district", "kind", "geom"])

    def cell(sel: pd.DataFrame) -> Cell:
        return Cell(union_area(sel["geom"]), "km2", tuple(sorted(sel["id"])),
                    float(sum(geodesic_area(g) for g in sel["geom"])))

    t = Table("remaining", "district", ["sha_km2", "cha_km2"])
    for dist in sorted(set(open_now["district"]), key=lambda x: (x is None, d.tree.name(x))):
        here = open_now[in_district(open_now["district"], dist)]
        t.add(d.tree.name(dist), {f"{k}_km2": cell(here[here["kind"] == k])
                                  for k in ("sha", "cha")})
    if len(open_now):
        t.total = {f"{k}_km2": cell(open_now[open_now["kind"] == k]) for k in ("sha", "cha")}
    return t


# ---------------------------------------------------------------------------------------------
# ap-clearance-five-year


def ap_clearance_five_year(d: Data, period: Period, area: str | None,
                           threshold: int = 5) -> Expected:
    if period.end is not None:
        last = int(period.end[:4])
    else:
        years = [int(x[:4]) for x in d.steps["released_on"] if x]
        last = max(years) if years else dt.date.today().year
    span = Period(f"{last - 4}-01-01", f"{last}-12-31")
    steps = d.steps_in(span, area)
    ap = steps[steps["cls"].isin(["ap_only", "ap_av_mixed"])]
    cols: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
        "ap_only_cleared_km2": lambda s: s[(s["cls"] == "ap_only") & (s["method"] == "cleared")],
        "ap_av_mixed_cleared_km2": lambda s: s[(s["cls"] == "ap_av_mixed")
                                               & (s["method"] == "cleared")],
        "ap_cleared_km2": lambda s: s[s["method"] == "cleared"],
        "ap_reduced_km2": lambda s: s[s["method"] == "reduced"],
        "ap_cancelled_km2": lambda s: s[s["method"] == "cancelled"],
    }
    t = Table("years", "year", list(cols))
    for year in range(last, last - 5, -1):
        s = ap[ap["released_on"].fillna("").astype(str).str[:4] == str(year)]
        t.add(str(year), {c: land(pick(s), "km2") for c, pick in cols.items()})
    t.total = {c: land(pick(ap), "km2") for c, pick in cols.items()}
    return Expected("ap-clearance-five-year", span, area, [t], threshold)


# ---------------------------------------------------------------------------------------------
# capacity

#: Capacity records without a kind of work: their own table, never dropped.
CAPACITY_UNKNOWN_TABLE = "kind-not-recorded"


def latest_capacity(d: Data, period: Period) -> dict[tuple[str, str | None],
                                                      list[dict[str, Any]]]:
    """Per operator and kind of work (None: not recorded), the records of the latest period
    ending within ``period``: a stock, never added up over periods."""
    cap = d.capacity[period.mask(d.capacity["period_end"])]
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for r in cap.to_dict("records"):
        groups.setdefault((str(r["operator"]), r["activity_kind"]), []).append(r)
    out = {}
    for k, recs in groups.items():
        last = max(r["period_end"] for r in recs)
        out[k] = [r for r in recs if r["period_end"] == last]
    return out


def capacity(d: Data, period: Period, area: str | None, threshold: int = 5) -> Expected:
    latest = latest_capacity(d, period)

    def recs(op: str, kinds: Iterable[str | None]) -> list[dict[str, Any]]:
        return [r for k in kinds for r in latest.get((op, k), [])]

    ops = sorted({op for op, _ in latest})
    survey = Table("survey", "operator", ["nts_teams", "nts_personnel", "ts_teams",
                                          "ts_personnel"])
    clear = Table("clearance", "operator", ["operational_staff", "mdds", "machines"])
    other = Table(CAPACITY_UNKNOWN_TABLE, "operator", ["teams", "personnel", "mdds",
                                                       "machines"])
    for op in ops:
        kinds = {k for o, k in latest if o == op}
        if kinds & {"nts", "ts"}:
            survey.add(op, {f"{k}_{c}": stock(recs(op, [k]), m) for k in ("nts", "ts")
                            for c, m in (("teams", "teams"), ("personnel", "deminers"))})
        if kinds & {"clearance", "bac"}:
            r = recs(op, ["clearance", "bac"])
            clear.add(op, {"operational_staff": stock(r, "deminers"), "mdds": stock(r, "dogs"),
                           "machines": stock(r, "machines")})
        if None in kinds:
            r = recs(op, [None])
            other.add(op, {"teams": stock(r, "teams"), "personnel": stock(r, "deminers"),
                           "mdds": stock(r, "dogs"), "machines": stock(r, "machines")})
    for t in (survey, clear, other):
        t.total = _sum_total(t, t.columns)
    return Expected("capacity", period, area, [survey, clear, other], threshold)


# ---------------------------------------------------------------------------------------------
# casualties

DIMENSIONS = ("year", "group", "sex", "age_band", "device_category", "activity_at_time")


def casualty_table(name: str, key: str, victims: pd.DataFrame, values: pd.Series,
                   with_total: bool = True) -> Table:
    cols = ["killed", "injured"] + (["total"] if with_total else [])
    t = Table(name, key, cols)
    labels = [UNKNOWN if v is None else str(v) for v in values]
    for label in sorted(set(labels)):
        v = victims[[x == label for x in labels]]
        row = {o: people(v[v["outcome"] == o]) for o in ("killed", "injured")}
        if with_total:
            row["total"] = people(v)
        t.add(label, row)
    t.total = {o: people(victims[victims["outcome"] == o]) for o in ("killed", "injured")}
    if with_total:
        t.total["total"] = people(victims)
    return t


def area_labels(tree: AdminTree, area_ids: Iterable[str | None]) -> list[str | None]:
    """Per victim, the label of its district: the area's name (with the id when two districts
    share the name), an id no area has as it is (a register's code), None without an area."""
    districts = [None if a is None else tree.district(a) for a in area_ids]
    names = {d: tree.name(d) for d in set(districts) if d is not None}
    counts = Counter(names.values())
    return [None if d is None else names[d] if counts[names[d]] == 1 else f"{names[d]} ({d})"
            for d in districts]


def casualties(d: Data, period: Period, area: str | None, threshold: int = 5, *,
               by_area: bool = False) -> Expected:
    v = d.victims_in(period, area)
    tables = []
    for dim in DIMENSIONS:
        values = (v["occurred_on"].map(lambda x: None if x is None else x[:4]) if dim == "year"
                  else v[dim])
        tables.append(casualty_table(f"by-{dim.replace('_', '-')}", dim, v, values))
    if by_area:
        labels = pd.Series(area_labels(d.tree, v["admin_area_id"]), index=v.index, dtype=object)
        tables.append(casualty_table("by-area", "area", v, labels))
    return Expected("casualties", period, area, tables, threshold)


# ---------------------------------------------------------------------------------------------
# article7


def hazards_open_at(d: Data, end: str | None) -> pd.DataFrame:
    """Per hazard, the version with the greatest seq in force on ``end`` (valid_from on or
    before it, or empty), kept when that version is open."""
    v = d.versions
    if end is not None:
        v = v[[f is None or f <= end for f in v["valid_from"]]]
    if not len(v):
        return v
    state = v.loc[v.groupby("hazard_id")["seq"].idxmax()]
    return state[state["status"] == "open"]


def hazard_table(d: Data, name: str, category: str, end: str | None, area: str | None,
                 emplaced: bool) -> Table:
    cols = ["name", "district", "kind", "contamination", "area_m2", "estimated_mines"]
    t = Table(name, "hazard", cols + (["emplaced"] if emplaced else []))
    state = hazards_open_at(d, end)
    state = state[[category in c for c in state["cats"]]]
    haz = d.hazards.set_index("id")
    ids = d.area_ids(area)
    for _, ver in state.iterrows():
        hid = ver["hazard_id"]
        h = haz.loc[hid] if hid in haz.index else None
        admin = None if h is None else h["admin_area_id"]
        if ids is not None and admin not in ids:
            continue
        est = None if h is None else _int(h["estimated_mines"])
        row = {"name": text("" if h is None or h["name"] is None else str(h["name"])),
               "district": text(d.tree.name(d.tree.district(admin))),
               "kind": text(str(ver["kind"]).upper()),
               "contamination": text(", ".join(sorted(ver["cats"]))),
               "area_m2": Cell(ver["area"], "area", (str(hid),), ver["area"],
                               _version_note(ver, end)),
               "estimated_mines": Cell(est, "count", () if est is None else (str(hid),))}
        if emplaced:
            row["emplaced"] = text("not known")
        t.add(str(hid), row)
    # Form C totals area and estimated mines (docs/reports.md); CCM Form F totals the area.
    t.total = _sum_total(t, ["area_m2", "estimated_mines"] if emplaced else ["area_m2"])
    return t


def _version_note(ver: pd.Series, end: str | None) -> str:
    note = f"version {ver['id']} in force on {end or 'the last date'}"
    store = _float(ver.get("geodesic_area_m2"))
    if store is not None and abs(store - ver["area"]) > AREA_TOL_PER_RECORD:
        note += f"; the store measures its polygon as {store:,.1f} m²"
    return note


def model_table(name: str, groups: Sequence[tuple[str, pd.DataFrame]]) -> Table:
    t = Table(name, "type", ["destroyed"])
    for label, f in groups:
        t.add(label, {"destroyed": items(f)})
    t.total = _sum_total(t, ["destroyed"])
    return t


def _by_model(f: pd.DataFrame, label: Callable[[str | None], str]
              ) -> list[tuple[str, pd.DataFrame]]:
    labels = [label(m) for m in f["model"]]
    return [(lab, f[[x == lab for x in labels]]) for lab in sorted(set(labels))]


def article7(d: Data, period: Period, area: str | None, threshold: int = 5) -> Expected:
    found = d.finds_destroyed(period, area)
    ap = found[found["category"] == "ap"]
    ied = found[(found["category"] == "ied") & found["victim_activated"].astype(bool)]
    form_g = model_table("form-g", [
        *_by_model(ap, lambda m: m or "(type not recorded)"),
        *_by_model(ied, lambda m: f"{m or 'improvised'} (victim-activated IED)")])
    steps = d.steps_in(period, area)
    cmr = steps[["cmr" in c for c in steps["cats"]]]
    release = Table("ccm-form-f-release", "method", ["area_m2"], total_required=False)
    for x in METHODS:
        release.add(x, {"area_m2": land(cmr[cmr["method"] == x])})
    release.total = {"area_m2": land(cmr)}
    destroyed = model_table("ccm-form-f-destroyed", _by_model(
        found[found["category"] == "cmr"], lambda m: m or "(type not recorded)"))
    return Expected("article7", period, area, [
        hazard_table(d, "form-c", "ap", period.end, area, emplaced=True), form_g,
        hazard_table(d, "ccm-form-f", "cmr", period.end, area, emplaced=False),
        release, destroyed], threshold)


# ---------------------------------------------------------------------------------------------
# progress


def _plan_target(d: Data, year: int) -> dict[str, Any] | None:
    """The year's national plan in km² from the published figures, for the store's country."""
    mid = f"{year}-06-30"
    for f in d.figures.to_dict("records"):
        s, e = f.get("period_start"), f.get("period_end")
        if (f.get("metric") == "area_released_target" and f.get("country") in d.tree.countries
                and f.get("area") == "national" and f.get("unit") == "km2" and s and e
                and s <= mid <= e
                and (dt.date.fromisoformat(e) - dt.date.fromisoformat(s)).days < 370):
            return f
    return None


def progress(d: Data, year: int, quarter: int, area: str | None,
             threshold: int = 5) -> Expected:
    q = Period.quarter(year, quarter)
    ytd = Period(f"{year}-01-01", q.end)
    steps = d.steps_in(q, area)
    release = Table("release", "district", [f"{x}_m2" for x in METHODS])
    for dist in sorted(set(steps["district"]), key=lambda x: d.tree.name(x)):
        s = steps[in_district(steps["district"], dist)]
        release.add(d.tree.name(dist), {f"{x}_m2": land(s[s["method"] == x]) for x in METHODS})
    release.total = {f"{x}_m2": land(steps[steps["method"] == x]) for x in METHODS}
    ops = Table("operators", "operator", [f"{x}_m2" for x in METHODS])
    for op in sorted({str(o) for o in steps["operator"]}):
        s = steps[[str(o) == op for o in steps["operator"]]]
        ops.add(op, {f"{x}_m2": land(s[s["method"] == x]) for x in METHODS})
    ops.total = {f"{x}_m2": land(steps[steps["method"] == x]) for x in METHODS}
    plan = Table("plan", "measure", ["area_km2"], total_required=False)
    ysteps = d.steps_in(ytd, area)
    for x in METHODS:
        plan.add(f"{x.capitalize()}, year to date",
                 {"area_km2": land(ysteps[ysteps["method"] == x], "km2")})
    target = _plan_target(d, year)
    if target is not None:
        plan.add(f"Plan for {year} ({target['attributed_to']}, {target['publication']}; "
                 "all methods)", {"area_km2": Cell(float(target["value"]), "figure",
                                                   (str(target["id"]),))})
    found = d.finds_destroyed(q, area)
    finds = Table("finds", "category", ["items"])
    for cat in sorted(set(found["category"])):
        finds.add(str(cat), {"items": items(found[found["category"] == cat])})
    finds.total = _sum_total(finds, ["items"])
    v = d.victims_in(q, area)
    cas = casualty_table("casualties", "group", v, v["group"], with_total=False)
    latest = latest_capacity(d, ytd)
    cap = Table("capacity", "operator", ["teams", "deminers", "dogs", "machines"])
    for op in sorted({o for o, _ in latest}):
        recs = [r for (o, _), rs in latest.items() if o == op for r in rs]
        cap.add(op, {m: stock(recs, m) for m in cap.columns})
    cap.total = _sum_total(cap, cap.columns)
    return Expected("progress", q, area, [release, ops, plan, finds, cas, cap], threshold)


# ---------------------------------------------------------------------------------------------
# quality

SEVERITIES = ("minor", "major", "critical")


def _keep(df: pd.DataFrame, flags: Sequence[bool]) -> pd.DataFrame:
    """The rows of ``df`` whose flag is true (also when there are none)."""
    return df[pd.Series(list(flags), index=df.index, dtype=bool)]


def records(df: pd.DataFrame, kind: str = "count") -> Cell:
    """A count of records: one per row."""
    return Cell(len(df), kind, tuple(sorted(df["id"])))


def quality(d: Data, period: Period, area: str | None, threshold: int = 5) -> Expected:
    """QC inspections and QA visits held in the period by operator and method (the inspected
    activity's operator and kind; without one, the inspecting organisation and "-"), their
    pass rate (passed over passed and failed), non-conformities by severity (raised and closed
    in the period, open at its end: raised by then and not closed by then, and open without a
    corrective action), items found in released land by QC inspections held in the period.
    With an area: events of activities that released land in it."""
    q = d.quality
    start, end = period.start or "0000-00-00", period.end or "9999-99-99"
    ids = d.area_ids(area)
    if ids is not None:  # a lot rejected still lies where it was released
        every = pd.concat([d.steps, d.rejected])
        acts_here = set(every.loc[every["admin_area_id"].isin(ids), "activity_id"])
        q = q[q["activity_id"].isin(acts_here - {None})]
    q = _keep(q, [h <= end for h in q["held_on"]])
    held = _keep(q, [h >= start for h in q["held_on"]])
    acts = {r["id"]: r for r in d.activities.to_dict("records")}

    def who(r: dict[str, Any]) -> tuple[str, str]:
        a = acts.get(r["activity_id"])
        if a is not None:
            return str(a["operator"]), str(a["kind"])
        return str(r["organisation"] or "-"), "-"

    keys = [who(r) for r in held.to_dict("records")]
    held = held.assign(_op=[k[0] for k in keys], _method=[k[1] for k in keys])
    qc = held[held["kind"] == "qc_inspection"]
    t = Table("inspections", "operator", ["method", "qc_inspections", "passed", "failed",
                                          "pass_rate", "qa_visits"],
              key_columns=("operator", "method"))

    def rate(g: pd.DataFrame) -> Cell:
        judged = g[g["result"].isin(["pass", "fail"])]
        ok = judged[judged["result"] == "pass"]
        value = 100.0 * len(ok) / len(judged) if len(judged) else None
        return Cell(value, "percent", tuple(sorted(judged["id"])))

    for op, method in sorted(set(keys)):
        mine = held[(held["_op"] == op) & (held["_method"] == method)]
        i = mine[mine["kind"] == "qc_inspection"]
        t.add(f"{op} / {method}", {
            "method": text(method), "qc_inspections": records(i),
            "passed": records(i[i["result"] == "pass"]),
            "failed": records(i[i["result"] == "fail"]), "pass_rate": rate(i),
            "qa_visits": records(mine[mine["kind"] == "qa_visit"])})
    t.total = {"qc_inspections": records(qc), "passed": records(qc[qc["result"] == "pass"]),
               "failed": records(qc[qc["result"] == "fail"]), "pass_rate": rate(qc),
               "qa_visits": records(held[held["kind"] == "qa_visit"])}
    nc = Table("non-conformities", "severity", ["raised", "closed", "open", "without_action"])
    for sev in SEVERITIES:
        mine = q[q["severity"] == sev]
        still = _keep(mine, [c is None or c > end for c in mine["closed_on"]])
        nc.add(sev, {
            "raised": records(_keep(mine, [h >= start for h in mine["held_on"]])),
            "closed": records(_keep(mine, [c is not None and start <= c <= end
                                         for c in mine["closed_on"]])),
            "open": records(still),
            "without_action": records(still[still["corrective_action"].isna()])})
    nc.total = _sum_total(nc, nc.columns)
    found = _keep(qc, [(_int(n) or 0) > 0 for n in qc["items_found"]])
    it = Table("items-in-released-land", "operator", ["inspections", "items"])
    for op in sorted(set(found["_op"])):
        mine = found[found["_op"] == op]
        it.add(op, {"inspections": records(mine),
                    "items": Cell(sum(_int(n) or 0 for n in mine["items_found"]), "count",
                                  tuple(sorted(mine["id"])))})
    it.total = _sum_total(it, it.columns)
    return Expected("quality", period, area, [t, nc, it, finds_in_released_land(
        d, start, end, ids)], threshold)


def finds_in_released_land(d: Data, start: str, end: str, ids: set[str] | None) -> Table:
    """Finds dated in the period lying in (or on the edge of) the polygon of a release step
    not rejected, dated before the find, of another activity; each find once, under the
    earliest such step (then by id); by the operator and method of that step; with an area,
    those whose step lies in it."""
    f = d.finds[[bool(x) and start <= x[:10] <= end for x in d.finds["found_on"]]]
    steps = d.steps[[g is not None and not g.is_empty and bool(r)
                     for g, r in zip(d.steps["geom"], d.steps["released_on"], strict=True)]]
    geoms = list(steps["geom"])
    tree = shapely.STRtree(geoms)
    recs = steps.to_dict("records")
    got: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for r, g in zip(f.to_dict("records"), _geoms(f), strict=True):
        if g is None:
            continue
        hits = [recs[int(i)] for i in tree.query(g) if geoms[int(i)].intersects(g)]
        hits = [h for h in hits if h["released_on"][:10] < r["found_on"][:10]
                and h["activity_id"] != r["activity_id"]]
        if not hits:
            continue
        first = min(hits, key=lambda h: (h["released_on"][:10], h["id"]))
        if ids is not None and first["admin_area_id"] not in ids:
            continue
        got.setdefault((str(first["operator"]), str(first["method"])), []).append(
            (r["id"], int(r["quantity"])))
    t = Table("finds-in-released-land", "operator", ["method", "finds", "items"],
              key_columns=("operator", "method"))
    for (op, method), found in sorted(got.items()):
        rids = tuple(sorted(i for i, _ in found))
        t.add(f"{op} / {method}", {"method": text(method), "finds": Cell(len(found), "count",
                                                                         rids),
                                   "items": Cell(sum(q for _, q in found), "count", rids)})
    t.total = _sum_total(t, ["finds", "items"])
    t.total_required = bool(t.rows)
    return t


# ---------------------------------------------------------------------------------------------
# eore

EORE_PEOPLE = ("girls", "boys", "women", "men")
#: Distance bands to the nearest open hazard: (label, upper limit in metres, exclusive).
BANDS = (("under 1 km", 1000.0), ("1-5 km", 5000.0), ("over 5 km", math.inf))
NO_LOCATION = "no location"
NO_HAZARD = "no open hazard"
NOT_RECORDED = "(not recorded)"


def _segments_distance(lon: float, lat: float, a: np.ndarray, b: np.ndarray) -> float:
    """Least geodesic distance from (lon, lat) to straight lon/lat segments a-b (short ones):
    a ternary search along each segment, all at once."""
    lo, hi = np.zeros(len(a)), np.ones(len(a))

    def dist(t: np.ndarray) -> np.ndarray:
        p = a + t[:, None] * (b - a)
        _, _, m = _GEOD.inv(np.full(len(p), lon), np.full(len(p), lat), p[:, 0], p[:, 1])
        return np.asarray(m)

    for _ in range(60):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        left = dist(m1) < dist(m2)
        hi = np.where(left, m2, hi)
        lo = np.where(left, lo, m1)
    return float(dist((lo + hi) / 2).min())


def distance_to(point: Any, geom: Any) -> float:
    """Geodesic metres on WGS84 from a point to a polygon (0 when the polygon covers it): to
    the nearest point of its edges, drawn straight in longitude/latitude."""
    if geom.covers(point):
        return 0.0
    best = math.inf
    for part in shapely.get_parts(geom):
        for ring in [part.exterior, *part.interiors]:
            xy = _densify(np.asarray(ring.coords))
            _, _, m = _GEOD.inv(np.full(len(xy), point.x), np.full(len(xy), point.y),
                                xy[:, 0], xy[:, 1])
            m = np.asarray(m)
            # the nearest edge point lies on a piece with an end within a piece's length of
            # the nearest vertex's distance (pieces are at most STEP_DEG: < 100 m here)
            near = np.nonzero(np.minimum(m[:-1], m[1:]) <= m.min() + 100.0)[0]
            best = min(best, _segments_distance(point.x, point.y, xy[near], xy[near + 1]))
    return best


def distance_band(point: Any, hazards: Sequence[Any]) -> tuple[str, float]:
    if point is None or point.is_empty:
        return NO_LOCATION, math.nan
    if not hazards:
        return NO_HAZARD, math.nan
    p = point if point.geom_type == "Point" else point.representative_point()
    # a hazard more than 0.1 degree away in both is well over 5 km away at these latitudes
    near = [h for h in hazards if h.distance(p) < 0.1]
    d = min((distance_to(p, h) for h in near), default=math.inf)
    return next(name for name, limit in BANDS if d < limit or math.isinf(limit)), d


def eore(d: Data, period: Period, area: str | None, threshold: int = 5,
         today: str | None = None, quarters: bool = False) -> Expected:
    """Sessions held in the period (in the area), their beneficiaries by sex and age group
    (people: suppressed) by district, method, audience, place, and by distance band to the
    nearest hazard open at the end of the period (the version in force that day)."""
    s = d.eore[period.mask(d.eore["held_on"])]
    ids = d.area_ids(area)
    if ids is not None:
        s = s[s["admin_area_id"].isin(ids)]
    on = period.end or today or dt.date.today().isoformat()
    hazards = [g for g in hazards_open_at(d, on)["geom"] if g is not None and not g.is_empty]
    found = [distance_band(g, hazards) for g in s["geom"]]
    bands = pd.Series([b for b, _ in found], index=s.index, dtype=object)
    metres = dict(zip(s["id"], [m for _, m in found], strict=True))
    district = s["admin_area_id"].map(
        lambda a: NOT_RECORDED if a is None else d.tree.name(d.tree.district(a)))
    when = s["held_on"].map(lambda h: f"{h[:4]}-Q{(int(h[5:7]) - 1) // 3 + 1}" if quarters
                            else h[:4])
    dp = Table("district-period", "district", ["period", "sessions", *EORE_PEOPLE, "total"],
               key_columns=("district", "period"), row_sum=EORE_PEOPLE)
    for k in sorted(set(zip(district, when, strict=True))):
        mine = s[(district == k[0]) & (when == k[1])]
        dp.add(f"{k[0]} / {k[1]}", {"period": text(k[1]), **_eore_row(mine, None)})
    dp.total = _eore_row(s, None)
    labels = {
        "method": s["method"].map(lambda x: x or NOT_RECORDED),
        "audience": s["audience"].map(lambda x: x or NOT_RECORDED),
        "place": s["place"].map(lambda x: x or NOT_RECORDED),
        "distance": bands}
    tables = [dp]
    for name, values in labels.items():
        t = Table(name, name, ["sessions", *EORE_PEOPLE, "total"],
                  row_sum=EORE_PEOPLE)
        keys = sorted(set(values))
        if name == "distance":
            keys = [b for b, _ in BANDS] + [k for k in (NO_LOCATION, NO_HAZARD) if k in keys]
        for k in keys:
            t.add(k, _eore_row(s[values == k], metres if name == "distance" else None))
        t.total = _eore_row(s, None)
        tables.append(t)
    return Expected("eore", period, area, tables, threshold)


def _eore_row(s: pd.DataFrame, metres: dict[str, float] | None) -> dict[str, Cell]:
    ids = tuple(sorted(s["id"]))
    note = ("" if metres is None else "distances (m): " + ", ".join(
        f"{i} {metres[i]:,.1f}" for i in ids[:8]))
    row = {"sessions": Cell(len(s), "count", ids, note=note)}
    for p in EORE_PEOPLE:
        row[p] = Cell(int(s[p].sum()), "people", ids)
    row["total"] = Cell(int(sum(s[p].sum() for p in EORE_PEOPLE)), "people", ids)
    return row


# ---------------------------------------------------------------------------------------------
# productivity

METHOD_OF_KIND = {"nts": "cancelled", "ts": "reduced", "clearance": "cleared", "bac": "cleared"}
ASSET_OF = {"manual": ("deminers", "deminer-day"), "dogs": ("dogs", "dog-day"),
            "mechanical": ("machines", "machine-day")}
#: Bootstrap of the asset fit: resamples, and the seed of numpy's default generator.
RESAMPLES, BOOT_SEED = 200, 0


def _day(text: str | None) -> dt.date | None:
    return None if not text else dt.date.fromisoformat(str(text)[:10])


def _rate(value: float | None, ids: Iterable[str]) -> Cell:
    return Cell(value, "rate", tuple(sorted(set(ids))))  # printed to one decimal


def _spread(values: Sequence[float], pooled: float | None, ids: Iterable[str]
            ) -> dict[str, Cell]:
    ids = tuple(sorted(set(ids)))
    if not values:
        return {"n": Cell(0, "count", ids), **{k: _rate(None, ids)
                                                for k in ("pooled", "p10", "p50", "p90")}}
    q = np.quantile(np.asarray(values, float), (0.1, 0.5, 0.9))
    return {"n": Cell(len(values), "count", ids), "pooled": _rate(pooled, ids),
            "p10": _rate(float(q[0]), ids), "p50": _rate(float(q[1]), ids),
            "p90": _rate(float(q[2]), ids)}


def nnls_exhaustive(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative least squares by trying every set of free columns: the least residual
    among the unconstrained solutions with no negative coefficient (a few columns only)."""
    k = x.shape[1]
    best, best_r = np.zeros(k), float(np.sum(y * y))
    for mask in range(1, 2 ** k):
        cols = [j for j in range(k) if mask >> j & 1]
        sol, *_ = np.linalg.lstsq(x[:, cols], y, rcond=None)
        if (sol < 0).any():
            continue
        coef = np.zeros(k)
        coef[cols] = sol
        r = float(np.sum((y - x @ coef) ** 2))
        if r < best_r - 1e-9 * max(1.0, best_r):
            best, best_r = coef, r
    return best


def productivity(d: Data, period: Period, area: str | None, threshold: int = 5) -> Expected:
    """docs/planning.md: rates per team-day by method (capacity records overlapping the
    period; activities ended in it), per asset-day (a non-negative least-squares fit over
    clearance and BAC records), per task-day by threat, land use and contamination (released
    land of an activity: its release steps' areas added up, per hazard), capacity by month."""
    start = _day(period.start) or dt.date.min
    end = _day(period.end) or dt.date.max
    released: dict[str, dict[str, float]] = {}
    for a, m, x in zip(d.steps["activity_id"], d.steps["method"], d.steps["area"],
                       strict=True):
        per = released.setdefault(str(a), {})
        per[str(m)] = per.get(str(m), 0.0) + float(x)
    haz = {r["id"]: r for r in d.hazards.to_dict("records")}
    ids = d.area_ids(area)
    all_acts = [dict(r, ended=_day(r["ended_on"]), started=_day(r["started_on"]))
                for r in d.activities.to_dict("records")]
    acts = [a for a in all_acts if a["ended"] is not None and start <= a["ended"] <= end
            and (ids is None or (haz.get(a["hazard_id"]) or {}).get("admin_area_id") in ids)]
    caps = [dict(r, start=_day(r["period_start"]), end=_day(r["period_end"]))
            for r in d.capacity.to_dict("records")]
    for c in caps:
        c["days"] = (c["end"] - c["start"]).days + 1
    in_period = [c for c in caps if c["start"] <= end and c["end"] >= start]

    def land(op: str, kind: str, first: dt.date, last: dt.date) -> tuple[float, list[str]]:
        mine = [a for a in acts if a["operator"] == op and a["kind"] == kind
                and first <= a["ended"] <= last]
        return (sum(released.get(a["id"], {}).get(METHOD_OF_KIND[kind], 0.0) for a in mine),
                [a["id"] for a in mine])

    tables = []
    if ids is None:
        t = Table("by-method", "method", ["per", "n", "pooled", "p10", "p50", "p90"],
                  total_required=False)
        for kind in METHOD_OF_KIND:
            values, total, effort, behind = [], 0.0, 0.0, []
            for c in in_period:
                if c["activity_kind"] != kind or c["teams"] <= 0:
                    continue
                x, who = land(str(c["operator"]), kind, c["start"], c["end"])
                values.append(x / (c["teams"] * c["days"]))
                total += x
                effort += c["teams"] * c["days"]
                behind += who
            t.add(kind, {"per": text("team-day"),
                         **_spread(values, total / effort if effort else None, behind)})
        rows, behind = [], []
        for c in in_period:
            if c["activity_kind"] in ("clearance", "bac"):
                x, who = land(str(c["operator"]), c["activity_kind"], c["start"], c["end"])
                rows.append([c[ASSET_OF[a][0]] * c["days"] for a in ASSET_OF] + [x])
                behind += who
        m = np.asarray(rows, float).reshape(-1, 4)
        used = m[:, :3].sum(axis=0) > 0 if len(m) else np.zeros(3, bool)
        if len(m) >= 3:
            def fit(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
                coef = np.zeros(3)
                if used.any():
                    coef[used] = nnls_exhaustive(xs[:, used], ys)
                return coef

            central = fit(m[:, :3], m[:, 3])
            rng = np.random.default_rng(BOOT_SEED)
            boots = np.array([fit(m[i, :3], m[i, 3]) for i in
                              (rng.integers(0, len(m), len(m)) for _ in range(RESAMPLES))])
        for j, (asset, (_, per)) in enumerate(ASSET_OF.items()):
            if len(m) < 3 or not used[j]:
                cells = _spread([], None, behind)
            else:
                q = np.quantile(boots[:, j], (0.1, 0.5, 0.9))
                cells = {"n": Cell(len(m), "count", tuple(sorted(set(behind)))),
                         "pooled": _rate(float(central[j]), behind),
                         **{k: _rate(float(v), behind)
                            for k, v in zip(("p10", "p50", "p90"), q, strict=True)}}
            t.add(asset, {"per": text(per), **cells})
        tables.append(t)
    for by in ("threat", "land_use", "contamination"):
        t = Table(f"by-{by.replace('_', '-')}", "group", ["n", "pooled", "p10", "p50", "p90"],
                  total_required=False)
        groups: dict[str, list[dict[str, Any]]] = {}
        for a in acts:
            if a["kind"] not in METHOD_OF_KIND or a["started"] is None:
                continue
            h = haz.get(a["hazard_id"]) if a["hazard_id"] else None
            if h is None:
                value = "no hazard"
            elif by == "contamination":
                value = contamination_class(_cats(h["contamination"]))
            else:
                value = h[by] or "not recorded"
            groups.setdefault(f"{a['kind']} / {value}", []).append(a)
        for label, mine in groups.items():
            days = [(a["ended"] - a["started"]).days + 1 for a in mine]
            areas = [sum(released.get(a["id"], {}).values()) for a in mine]
            t.add(label, _spread([x / n for x, n in zip(areas, days, strict=True)],
                                 sum(areas) / sum(days), [a["id"] for a in mine]))
        tables.append(t)
    tables.append(capacity_months(in_period if (period.start or period.end) else caps,
                                  all_acts, period))
    return Expected("productivity", period, area, tables, threshold)


def capacity_months(chosen_from: list[dict[str, Any]], acts: list[dict[str, Any]],
                    period: Period) -> Table:
    """Per month, the latest capacity record of each operator and kind overlapping it (a
    stock), and the operators that released land by a kind with no such record."""
    kinds = ("nts", "ts", "clearance", "bac")
    t = Table("capacity-by-month", "month", [*(f"{k}_teams" for k in kinds), "deminers",
                                             "dogs", "machines", "missing"],
              total_required=False)
    ended = [a for a in acts if a["ended"] is not None]
    if not chosen_from and not ended:
        return t
    dates = ([c["start"] for c in chosen_from] + [c["end"] for c in chosen_from]
             + [a["ended"] for a in ended])
    first, last = _day(period.start) or min(dates), _day(period.end) or max(dates)
    worked: dict[str, set[tuple[str, str]]] = {}
    for a in ended:
        if a["kind"] in METHOD_OF_KIND:
            worked.setdefault(a["ended"].strftime("%Y-%m"), set()).add(
                (str(a["operator"]), str(a["kind"])))
    y, mo = first.year, first.month
    while (y, mo) <= (last.year, last.month):
        m0 = dt.date(y, mo, 1)
        nxt = dt.date(y + (mo == 12), 1 if mo == 12 else mo + 1, 1)
        m1 = nxt - dt.timedelta(days=1)
        latest: dict[tuple[str, Any], dict[str, Any]] = {}
        for c in chosen_from:
            if c["start"] <= m1 and c["end"] >= m0:
                k = (str(c["operator"]), c["activity_kind"])
                if k not in latest or c["start"] > latest[k]["start"]:
                    latest[k] = c
        recs = tuple(sorted(c["id"] for c in latest.values()))
        label = m0.strftime("%Y-%m")
        missing = sorted(w for w in worked.get(label, set()) if w not in latest)
        t.add(label, {
            **{f"{k}_teams": Cell(sum(c["teams"] for c in latest.values()
                                      if c["activity_kind"] == k), "stock", recs)
               for k in kinds},
            **{col: Cell(sum(c[col] for c in latest.values()), "stock", recs)
               for col in ("deminers", "dogs", "machines")},
            "missing": text(", ".join(f"{op} {k}" for op, k in missing))})
        y, mo = nxt.year, nxt.month
    return t


# ---------------------------------------------------------------------------------------------
# ranked-tasks

#: The default criteria and weights, read as TOML (docs/planning.md).
WEIGHTS = Path(__file__).resolve().parents[2] / "src" / "mineaction" / "planning" / "weights.toml"
TASKS_PER_DISTRICT = 25
#: A score adds the report's cost part, printed to one decimal, to the parts recounted here,
#: and is printed to one decimal itself.
SCORE_TOL = 0.1 + 1e-9
#: Criteria recounted here; ``cost`` rests on the record's yearly productivity model and is
#: only checked to lie within its weight's share.
RECOUNTED_CRITERIA = ("threat", "accidents", "contamination", "risk", "people", "land_use",
                      "environment")


def ranked_tasks(d: Data, period: Period, area: str | None, threshold: int = 5,
                 report: dict[str, Any] | None = None) -> Expected:
    """Open hazards (as the store holds them now) per district, each criterion's part of the
    score: 100 x weight x criterion score / sum of weights; accidents (up to the period's end)
    within the radius of the hazard's edge, geodesic. The cost part is the report's own (read
    from ``report``), checked against its bounds, and enters the score and the order."""
    import tomllib

    crit = tomllib.loads(WEIGHTS.read_text(encoding="utf-8"))["criteria"]
    w = {k: float(v.get("weight", 0)) for k, v in crit.items()}
    total_w = sum(w.values()) or 1.0
    shown = [k for k in crit if w[k]]
    cost_of: dict[str, float] = {}
    for t in (report or {}).get("tables", []):
        for r in t["rows"]:
            if "cost" in r:
                cost_of[str(r["hazard"]["value"])] = float(r["cost"]["value"] or 0.0)
    latest = d.versions.loc[d.versions.groupby("hazard_id")["seq"].idxmax()]
    area_of = dict(zip(latest["hazard_id"], latest["area"], strict=True))
    h = d.hazards[d.hazards["status"] == "open"]
    ids = d.area_ids(area)
    acc = d.accidents
    if period.end is not None:
        acc = acc[[o is None or o <= period.end for o in acc["occurred_on"]]]
    points = [g if g.geom_type == "Point" else g.representative_point()
              for g in acc["geom"] if g is not None and not g.is_empty]
    radius = float(crit["accidents"]["radius_m"])
    per: dict[str, list[tuple[float, str, dict[str, Cell]]]] = {}
    for r in h.to_dict("records"):
        if ids is not None and r["admin_area_id"] not in ids:
            continue
        g = r["geom"]
        near = 0 if g is None or g.is_empty else sum(
            1 for p in points if g.distance(p) < 0.1 and distance_to(p, g) <= radius)
        use = r["land_use"] or "not recorded"
        score = {
            "threat": float(crit["threat"]["levels"].get(r["threat"] or "not recorded", 0.5)),
            "accidents": min(near / float(crit["accidents"]["saturate"]), 1.0),
            "contamination": max((float(crit["contamination"]["categories"].get(c, 0.0))
                                  for c in _cats(r["contamination"])), default=0.0),
            "risk": float(crit["risk"]["missing"]),  # the demo's hazards carry no risk_score
            "people": 0.0,  # the report is given no places
            "land_use": float(crit["land_use"]["uses"].get(use, 0.0)),
            "environment": float(crit["environment"]["uses"].get(use, 0.0))}
        hid = str(r["id"])
        rec = (hid,)
        parts = {k: 100.0 * w[k] * score[k] / total_w for k in RECOUNTED_CRITERIA if w[k]}
        cost = cost_of.get(hid, 0.0)
        cells = {"hazard": text(hid),
                 "area_km2": Cell(area_of.get(hid, r["area"]), "km2", rec),
                 **{k: Cell(v, "rate", rec) for k, v in parts.items()}}
        if w.get("cost"):
            top = 100.0 * w["cost"] / total_w
            cells["cost"] = Cell(min(max(cost, 0.0), top), "rate", rec,
                                 note=f"the cost part lies in 0..{top:.1f}")
        total = sum(parts.values()) + (cost if w.get("cost") else 0.0)
        cells["score"] = Cell(total, "score", rec)
        district = d.tree.name(d.tree.district(r["admin_area_id"])) \
            if r["admin_area_id"] else NO_AREA
        per.setdefault(district, []).append((total, hid, cells))
    tables = []
    problems: list[str] = []
    shown_rows = {t["name"]: t["rows"] for t in (report or {}).get("tables", [])}
    for name in sorted(per):
        t = Table(f"district-{name}", "rank", ["hazard", "area_km2", "score", *shown],
                  total_required=False, key_columns=("hazard",))
        mine = {hid: (total, cells) for total, hid, cells in per[name]}
        listed = [str(r["hazard"]["value"]) for r in shown_rows.get(t.name, [])]
        floor = min((mine[x][0] for x in listed if x in mine), default=-math.inf)
        # every hazard the figures put clearly above the last one listed must be listed
        want = set(listed) | ({x for x, (v, _) in mine.items() if v > floor + SCORE_TOL}
                              if len(mine) > TASKS_PER_DISTRICT else set(mine))
        for x in sorted(want & set(mine)):
            t.add(x, mine[x][1])
        for k in range(len(listed) - 1):
            a, b = listed[k], listed[k + 1]
            if a in mine and b in mine and mine[a][0] < mine[b][0] - SCORE_TOL:
                problems.append(f"ranked-tasks table {t.name}: {a} ranked {k + 1} above {b}, "
                                f"yet their scores recount to {mine[a][0]:.3f} < "
                                f"{mine[b][0]:.3f}")
        tables.append(t)
    out = Expected("ranked-tasks", period, area, tables, threshold)
    out.problems += problems
    return out



# ---------------------------------------------------------------------------------------------
# cancellation-candidates

#: The default evidence weights, read as TOML (docs/evidence.md).
EVIDENCE_WEIGHTS = (Path(__file__).resolve().parents[2] / "src" / "mineaction" / "risk"
                    / "evidence_weights.toml")
CANDIDATES_PER_DISTRICT = 50
#: Indirect evidence is printed to two decimals.
POINTS_TOL = 0.005 + 1e-9
#: A distance within this share (plus 5 cm) of a threshold may fall on either side of it: the
#: report measures in a local plane (under 0.1 % from the geodesic), the recount on the
#: ellipsoid; both sides are tried, and the hazard is named in the cell's note.
DISTANCE_SHARE = 0.002
#: Degrees of longitude and latitude that hold at least 1 m on the ground at these latitudes.
PER_METRE_LON, PER_METRE_LAT = 1 / 80_000.0, 1 / 110_000.0


def _point_of(geom: Any) -> Any:
    if geom is None or geom.is_empty:
        return None
    return geom if geom.geom_type == "Point" else geom.representative_point()


def _vertices(geom: Any) -> np.ndarray:
    """The densified vertices of every ring of a polygon or multipolygon, as (n, 2)."""
    rings = [np.asarray(r.coords) for part in shapely.get_parts(geom)
             for r in [part.exterior, *part.interiors]]
    return np.vstack([_densify(r) for r in rings])


#: A distance measured in a local plane (:func:`_plane_distances`) is trusted this far from a
#: threshold (share of it, plus a metre); nearer, the geodesic distance decides.
PLANE_SHARE = 0.01


def _plane_distances(geom: Any, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Distances (m) from points to a polygon in a plane of longitude and latitude scaled to
    metres at the polygon's centre by pyproj's Geod: within a few kilometres of the centre
    they differ from the geodesic by well under :data:`PLANE_SHARE` of themselves."""
    c = geom.centroid
    _, _, kx = _GEOD.inv(c.x, c.y, c.x + 0.01, c.y)
    _, _, ky = _GEOD.inv(c.x, c.y, c.x, c.y + 0.01)
    scale = np.array([kx / 0.01, ky / 0.01])
    plane = shapely.transform(geom, lambda xy: (xy - (c.x, c.y)) * scale)
    pts = shapely.points((np.column_stack([lon, lat]) - (c.x, c.y)) * scale)
    return np.asarray(shapely.distance(plane, pts))


def _sides(p: Any, geom: Any, approx: float, limits: Sequence[float]) -> list[list[bool]]:
    """For each limit, the answers to "within the limit?" that the distance admits: one when
    the distance is clear of it, both when its geodesic measure lies within the tolerance of
    it (DISTANCE_SHARE)."""
    out: list[list[bool]] = []
    exact: float | None = None
    for lim in limits:
        margin = PLANE_SHARE * lim + 1.0
        if approx < lim - margin:
            out.append([True])
            continue
        if approx > lim + margin:
            out.append([False])
            continue
        if exact is None:
            exact = distance_to(p, geom)
        if abs(exact - lim) <= DISTANCE_SHARE * lim + 0.05:
            out.append([True, False])
        else:
            out.append([exact <= lim])
    return out


@dataclass
class Assessed:
    hazard: dict[str, Any]
    district: str
    #: Every (recommendation, indirect points) the distances admit (one in the usual case).
    outcomes: set[tuple[str, float]]
    unclear: list[str]  # points lying at a threshold's distance (what makes several outcomes)


def _points_items(pts: list[dict[str, Any]], hid: str, geom: Any,
                  w: dict[str, Any], kinds: dict[str, float], tree: Any,
                  unclear: list[str]) -> list[list[tuple[str, bool, int, str]]]:
    """Per point near the hazard, the ways it may count: (kind, direct, quantity, id), or an
    empty way (not counted)."""
    direct_m, around_m = float(w["direct_m"]), float(w["around_m"])
    minx, miny, maxx, maxy = geom.bounds
    pad_x, pad_y = (around_m + 10) * PER_METRE_LON, (around_m + 10) * PER_METRE_LAT
    box = shapely.box(minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y)
    ways = []
    near = tree.query(box)
    approx = _plane_distances(geom, np.array([pts[int(j)]["point"].x for j in near]),
                              np.array([pts[int(j)]["point"].y for j in near]))
    for j, dist in zip(near.tolist(), approx.tolist(), strict=True):
        pt = pts[int(j)]
        within_around, within_direct = _sides(pt["point"], geom, dist, (around_m, direct_m))
        options: list[tuple[str, bool, int, str]] = []
        for inside in within_around:
            if not inside:
                options.append(("", False, 0, pt["id"]))
                continue
            for direct in within_direct:
                options.append((pt["kind"], direct or pt["hazard_id"] == hid, pt["quantity"],
                                pt["id"]))
        options = sorted(set(options))
        if len(options) > 1:
            unclear.append(f"{pt['id']} at {distance_to(pt['point'], geom):,.2f} m")
        ways.append(options)
    return ways


def _ways(points: list[list[tuple[str, bool, int, str]]], w: dict[str, Any]
          ) -> list[list[tuple[str, bool, int, str]]]:
    """Every distinct way the points may count, as (kind, direct, items, "") per category
    and side (items capped where they saturate): the points' choices combined, duplicates
    dropped as they arise."""
    sat = float(w["saturate"])
    states: set[tuple[tuple[str, bool, float], ...]] = {()}
    for options in points:
        nxt = set()
        for st in states:
            have = {(k, dr): n for k, dr, n in st}
            for kind, direct, n, _ in options:
                got = dict(have)
                if kind:
                    got[(kind, direct)] = min(got.get((kind, direct), 0) + n, sat)
                nxt.add(tuple(sorted((k, dr, v) for (k, dr), v in got.items())))
        states = nxt
    return [[(k, dr, n, "") for k, dr, n in st] for st in sorted(states)]  # type: ignore


def _score(ways: Sequence[tuple[str, bool, int, str]], w: dict[str, Any],
           kinds: dict[str, float]) -> list[tuple[bool, float, str]]:
    """(direct, points, what) per category and side of the points counted one way."""
    got: dict[tuple[str, bool], int] = {}
    for kind, direct, n, _ in ways:
        if kind:
            got[(kind, direct)] = got.get((kind, direct), 0) + n
    out = []
    sat = float(w["saturate"])
    for (kind, direct), n in sorted(got.items()):
        pts = kinds.get(kind, 0.0) * (min(n / sat, 1.0) if sat > 0 else 1.0)
        out.append((direct, pts if direct else pts * float(w["around"]), kind))
    return out


def assess_hazards(d: Data) -> list[Assessed]:
    """Every open hazard with a polygon, its evidence points (docs/evidence.md, the default
    weights) and its recommendation: a confirmed hazardous area is kept; a suspected one with
    direct evidence is confirmed at ``thresholds.confirm`` points or more, else kept; without
    direct evidence it is cancelled when direct + indirect stay under ``thresholds.cancel``."""
    import tomllib

    wt = tomllib.loads(EVIDENCE_WEIGHTS.read_text(encoding="utf-8"))
    fw, aw, rw, sw, sv = (wt[k] for k in ("finds", "accidents", "records", "statements",
                                          "survey"))
    cats = {k: float(v) for k, v in fw["categories"].items()}
    acc_kinds = {k: float(aw["weight"]) for k in ("ap", "av", "ied", "cmr", "uxo", "axo",
                                                    "unknown")}

    def points(df: pd.DataFrame, kind_col: str, default: str, qty: bool
               ) -> list[dict[str, Any]]:
        out = []
        for r in df.to_dict("records"):
            p = _point_of(r["geom"])
            if p is not None:
                out.append({"id": r["id"], "point": p, "hazard_id": r.get("hazard_id"),
                            "kind": str(r[kind_col]) if r.get(kind_col) else default,
                            "credibility": r.get("credibility") or "medium",
                            "quantity": (_int(r.get("quantity")) or 1) if qty else 1})
        return out

    finds = points(d.finds.assign(geom=_geoms(d.finds)), "category", "unknown", True)
    accidents = points(d.accidents, "device_category", "unknown", False)
    f_tree = shapely.STRtree([p["point"] for p in finds])
    a_tree = shapely.STRtree([p["point"] for p in accidents])
    statements = points(d.evidence, "kind", "", False) if len(d.evidence) else []
    records = [r for r in d.records.to_dict("records")
               if r["geom"] is not None and not r["geom"].is_empty
               and not r.get("withdrawn_on")] if len(d.records) else []
    surveys: dict[str, list[dict[str, Any]]] = {}
    for a in d.activities.to_dict("records"):
        if a["hazard_id"]:
            surveys.setdefault(str(a["hazard_id"]), []).append(a)
    th = wt["thresholds"]
    confirm, cancel = float(th["confirm"]), float(th["cancel"])
    out = []
    h = d.hazards[(d.hazards["status"] == "open")
                  & np.array([g is not None and not g.is_empty for g in d.hazards["geom"]])]
    for r in sorted(h.to_dict("records"), key=lambda r: str(r["id"])):
        hid, geom = str(r["id"]), r["geom"]
        unclear: list[str] = []
        ways = (_points_items(finds, hid, geom, fw, cats, f_tree, unclear),
                _points_items(accidents, hid, geom, aw, acc_kinds, a_tree, unclear))
        fixed: list[tuple[bool, float]] = []  # (direct, points) of what does not depend on it
        if records:
            rgeoms = [rec["geom"] for rec in records]
            c = geom.centroid
            _, _, kx = _GEOD.inv(c.x, c.y, c.x + 0.01, c.y)
            _, _, ky = _GEOD.inv(c.x, c.y, c.x, c.y + 0.01)
            scale = np.array([kx / 0.01, ky / 0.01])

            def plane(g: Any, c: Any = c, scale: np.ndarray = scale) -> Any:
                return shapely.transform(g, lambda xy: (xy - (c.x, c.y)) * scale)

            reach = float(rw["direct_m"])
            pad = 2 * (reach + 10) * PER_METRE_LON
            box = shapely.box(*(np.array(geom.bounds) + (-pad, -pad, pad, pad)))
            for k in shapely.STRtree(rgeoms).query(box).tolist():
                rec = records[k]
                g = rec["geom"]
                approx = float(shapely.distance(plane(geom), plane(g)))
                if approx > reach * (1 + PLANE_SHARE) + 1.0:
                    continue
                if approx >= reach * (1 - PLANE_SHARE) - 1.0 and not g.intersects(geom):
                    gap = min(min(distance_to(shapely.Point(x, y), geom)
                                  for x, y in _vertices(g)),
                              min(distance_to(shapely.Point(x, y), g)
                                  for x, y in _vertices(geom)))
                    if gap > reach:
                        continue
                status = rec.get("assessment_status") or "unverified"
                fixed.append((True, float(rw["reliability"].get(status, 0.0))))
        for s in statements:
            if s["hazard_id"] == hid or geom.covers(s["point"]):
                direct = s["kind"] in sw["direct_kinds"]
                if direct or s["kind"] in sw["indirect_kinds"]:
                    fixed.append((direct, float(sw["credibility"].get(s["credibility"], 0.0))))
        for a in surveys.get(hid, []):
            what = ("ts_reduced" if a["kind"] == "ts" and a["outcome"] == "reduced" else
                    "nts_kept_rest" if a["kind"] == "nts" and a["outcome"] == "cancelled" else
                    "nts_confirmed" if a["kind"] == "nts" and a["survey_result"] == "confirmed"
                    else None)
            if what:
                fixed.append((True, float(sv[what])))
        fixed.append((False, float(wt["threat"]["levels"].get(r["threat"] or "not recorded",
                                                              0.0))))
        for c in _cats(r["contamination"]):
            fixed.append((False, float(wt["contamination"]["categories"].get(c, 0.0))))
        outcomes: set[tuple[str, float]] = set()
        combos = [(f_way, a_way) for f_way in _ways(ways[0], fw)
                  for a_way in _ways(ways[1], aw)]
        for f_way, a_way in combos:
            if True:  # every way the points near a threshold's distance may count
                items = fixed + [(dr, p) for dr, p, _ in _score(f_way, fw, cats)] \
                    + [(dr, p) for dr, p, _ in _score(a_way, aw, acc_kinds)]
                direct = sum(p for dr, p in items if dr)
                indirect = sum(p for dr, p in items if not dr)
                has_direct = any(dr and p > 0 for dr, p in items)
                if r["kind"] == "cha":
                    rec_ = "keep"
                elif has_direct:
                    rec_ = "confirm" if direct >= confirm else "keep"
                else:
                    rec_ = "cancel" if direct + indirect < cancel else "keep"
                outcomes.add((rec_, indirect))
        admin = r["admin_area_id"]
        district = d.tree.name(d.tree.district(admin)) if admin else ""
        out.append(Assessed(r, district, outcomes, unclear))
    return out


def _reasons(hid: str, indirect: float, cancel: float) -> str:
    return (f"no direct evidence of explosive ordnance in or at {hid}; indirect evidence of "
            f"{round(indirect, 2)} point(s), below the {cancel} that keep a hazard")


def cancellation_candidates(d: Data, area: str | None, threshold: int = 5,
                            report: dict[str, Any] | None = None) -> Expected:
    """Per district (the district's name of the hazard's administrative area), the open hazards
    each recommendation takes, the land the candidates (``cancel``) would release and all the
    open hazards' land (the union of their polygons, m², printed whole); per district with
    candidates, the largest 50 with their area, indirect points and reasons. A hazard at a
    threshold's distance from a point takes the report's recommendation among those the
    distances admit (named in the problems when the report's is not among them)."""
    import tomllib

    cancel_at = float(tomllib.loads(EVIDENCE_WEIGHTS.read_text(encoding="utf-8"))
                      ["thresholds"]["cancel"])
    said: dict[str, str] = {}  # hazard -> the report's recommendation, from its records
    for t in (report or {}).get("tables", []):
        if t["name"] == "by-district":
            for row in t["rows"]:
                for rec in ("cancel", "keep", "confirm"):
                    for i in row[rec].get("records", []):
                        said[str(i)] = rec
    indirect_said = {str(r["hazard"]["value"]): float(r["indirect"]["value"])
                     for t in (report or {}).get("tables", [])
                     if t["name"].startswith("district-") for r in t["rows"]}
    ids = d.area_ids(area)
    problems: list[str] = []
    chosen: list[tuple[Assessed, str, float, str]] = []
    for a in assess_hazards(d):
        hid = str(a.hazard["id"])
        if ids is not None and a.hazard["admin_area_id"] not in ids:
            continue
        options = sorted(a.outcomes)
        note = ""
        if len(options) > 1:
            note = (f"{hid}: points at a threshold's distance ({'; '.join(a.unclear)}) admit "
                    f"{options}")
            fits = [o for o in options if o[0] == said.get(hid)
                    and (hid not in indirect_said
                         or abs(o[1] - indirect_said[hid]) <= POINTS_TOL)]
            if not fits:
                problems.append(f"cancellation-candidates: hazard {note}; the report says "
                                f"{said.get(hid)!r}")
            options = fits or options
        rec, indirect = options[0]
        chosen.append((a, rec, indirect, note))
    by: dict[str, list[tuple[Assessed, str, float, str]]] = {}
    for c in chosen:
        by.setdefault(c[0].district or NO_AREA, []).append(c)
    summary = Table("by-district", "district", ["cancel", "cancel_m2", "keep", "confirm",
                                                "open_m2"], total_required=False)

    def hazards(cs: Sequence[tuple[Assessed, str, float, str]]) -> tuple[str, ...]:
        return tuple(sorted(str(c[0].hazard["id"]) for c in cs))

    def union(cs: Sequence[tuple[Assessed, str, float, str]]) -> Cell:
        ids_ = hazards(cs)
        return Cell(union_area([c[0].hazard["geom"] for c in cs]), "area", ids_,
                    float(sum(c[0].hazard["area"] for c in cs)), extra_tol=0.5)

    tables = [summary]
    titles: dict[str, str] = {}
    for name in sorted(by):
        group = by[name]
        notes = "; ".join(c[3] for c in group if c[3])
        row = {rec: Cell(len(hazards([c for c in group if c[1] == rec])), "count",
                         hazards([c for c in group if c[1] == rec]), note=notes)
               for rec in ("cancel", "keep", "confirm")}
        row["cancel_m2"] = union([c for c in group if c[1] == "cancel"])
        row["open_m2"] = union(group)
        summary.add(name, row)
        cands = sorted((c for c in group if c[1] == "cancel"),
                       key=lambda c: (-c[0].hazard["area"], str(c[0].hazard["id"])))
        if not cands:
            continue
        t = Table(f"district-{name}", "hazard", ["area_m2", "indirect", "reasons"],
                  total_required=False)
        shown = cands
        if len(cands) > CANDIDATES_PER_DISTRICT:
            # the 50 largest: every candidate clearly larger than the 50th is listed
            floor = cands[CANDIDATES_PER_DISTRICT - 1][0].hazard["area"]
            listed = {str(r["hazard"]["value"]) for tt in (report or {}).get("tables", [])
                      if tt["name"] == t.name for r in tt["rows"]}
            shown = [c for c in cands if c[0].hazard["area"] > floor + 1.0
                     or str(c[0].hazard["id"]) in listed
                     and c[0].hazard["area"] >= floor - 1.0]
            if len(listed) != CANDIDATES_PER_DISTRICT:
                problems.append(f"cancellation-candidates table {t.name}: {len(listed)} "
                                f"candidates listed of {len(cands)}, not the "
                                f"{CANDIDATES_PER_DISTRICT} largest")
        for a, _, indirect, note in shown:
            hid = str(a.hazard["id"])
            t.add(hid, {"area_m2": Cell(a.hazard["area"], "area", (hid,), extra_tol=0.5),
                        "indirect": Cell(indirect, "points", (hid,), note=note),
                        "reasons": text(_reasons(hid, indirect, cancel_at))})
        titles[t.name] = (f"{name}: {len(cands):,} cancellation "
                          f"{'candidate' if len(cands) == 1 else 'candidates'}")
        tables.append(t)
    out = Expected("cancellation-candidates", Period(), area, tables, threshold)
    out.problems += problems
    # the candidates listed are in the order of their area, the largest first, under a title
    # that counts them all
    for tt in (report or {}).get("tables", []):
        if not tt["name"].startswith("district-"):
            continue
        if tt.get("title") != titles.get(tt["name"]):
            out.problems.append(f"cancellation-candidates table {tt['name']}: titled "
                                f"{tt.get('title')!r}, the recount {titles.get(tt['name'])!r}")
        got = [float(r["area_m2"]["value"]) for r in tt["rows"]]
        if any(x < y - 1.0 for x, y in zip(got, got[1:], strict=False)):
            out.problems.append(f"cancellation-candidates table {tt['name']}: candidates not "
                                f"listed by area, the largest first: {got[:10]}")
    return out


# ---------------------------------------------------------------------------------------------
# Comparison with the report's JSON


@dataclass
class Outcome:
    cells: int = 0  # figures compared
    problems: list[str] = field(default_factory=list)  # structure, counts, suppression
    areas: list[tuple[float, str]] = field(default_factory=list)  # (|difference| m², message)

    def ordered(self) -> list[str]:
        """Every disagreement: those of structure, counts and suppression first, then those of
        area from the largest difference down."""
        return self.problems + [m for _, m in sorted(self.areas, key=lambda a: -a[0])]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}"
    return repr(v)


def _ids(ids: Iterable[str], limit: int = 8) -> str:
    ids = sorted(ids)
    head = ", ".join(ids[:limit])
    return f"[{head}{', ...' if len(ids) > limit else ''}] ({len(ids)})"


def _record_diff(ours: dict[str, Any], exp: Cell) -> str:
    if "records" not in ours:
        return f"recount records {_ids(exp.records)}"
    mine, theirs = set(exp.records), set(ours["records"])
    if mine == theirs:
        return f"same {len(mine)} record(s) {_ids(mine)}"
    parts = []
    if theirs - mine:
        parts.append(f"report only {_ids(theirs - mine)}")
    if mine - theirs:
        parts.append(f"recount only {_ids(mine - theirs)}")
    parts.append(f"both {len(mine & theirs)}")
    return "records: " + "; ".join(parts)


def check_cell(where: str, ours: dict[str, Any], exp: Cell, threshold: int) -> str | None:
    """None when the report's cell agrees with the recount, else what is wrong."""
    value, suppressed = ours.get("value"), ours.get("suppressed")
    if exp.kind == "text":
        got = "" if value is None else str(value)
        return None if got == exp.value else f"{where}: report {got!r}, recount {exp.value!r}"
    if exp.kind == "people":
        if suppressed and (value is not None or ours.get("records")):
            return f"{where}: suppressed, yet the JSON gives its value or its records"
        if suppressed == "primary":
            if not 1 <= exp.value <= threshold - 1:
                return (f"{where}: shown {ours.get('shown')!r} (suppressed below {threshold}) "
                        f"but the recount is {exp.value}; {_record_diff({}, exp)}")
            return None
        if suppressed == "secondary":
            if exp.value == 0:
                return (f"{where}: shown 'x' (secondary suppression) hides a zero; a "
                        "suppressed cell must hide a count")
            return None
        if value != exp.value:
            return (f"{where}: report {_fmt(value)}, recount {exp.value}; "
                    f"{_record_diff(ours, exp)}")
        if threshold > 0 and 1 <= exp.value <= threshold - 1:
            return (f"{where}: {exp.value} people shown, below the threshold {threshold} "
                    f"(it must be suppressed); {_record_diff(ours, exp)}")
        return None
    if suppressed:
        return f"{where}: suppressed ({ours.get('shown')!r}) but only people are suppressed"
    if exp.kind in ("percent", "rate", "score", "points"):
        if exp.value is None or value is None:
            return None if exp.value is None and value is None else (
                f"{where}: report {_fmt(value)}, recount {_fmt(exp.value)}; "
                f"{_record_diff(ours, exp)}")
        tol = {"score": SCORE_TOL, "points": POINTS_TOL}.get(exp.kind, PERCENT_TOL)
        if abs(float(value) - exp.value) <= tol:
            return None
        unit = " %" if exp.kind == "percent" else ""
        return (f"{where}: report {_fmt(value)}{unit}, recount {exp.value:,.4f}{unit} (to "
                f"{tol}); {_record_diff(ours, exp)}"
                + (f"; {exp.note}" if exp.note else ""))
    if exp.kind in ("count", "stock"):
        if value != exp.value or isinstance(value, float) and not float(value).is_integer():
            return (f"{where}: report {_fmt(value)}, recount {_fmt(exp.value)}; "
                    f"{_record_diff(ours, exp)}")
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        return f"{where}: report {value!r} is not a number; recount {_fmt(exp.value)}"
    if exp.kind == "figure":
        ok = abs(value - exp.value) <= 1e-9 * max(1.0, abs(exp.value))
        return None if ok else f"{where}: report {_fmt(value)}, published {_fmt(exp.value)}"
    got = value * KM2 if exp.kind == "km2" else float(value)
    diff = got - exp.value
    if abs(diff) <= exp.tolerance:
        return None
    shown = f"{value:,.6f} km² ({got:,.3f} m²)" if exp.kind == "km2" else f"{got:,.3f} m²"
    msg = (f"{where}: report {shown}, recount {exp.value:,.3f} m² (report {diff:+,.3f} m², "
           f"tolerance {exp.tolerance:.1f}); {_record_diff(ours, exp)}")
    if exp.parts is not None and exp.parts - exp.value > exp.tolerance:
        msg += (f"; the recount's polygons measure {exp.parts:,.3f} m² added up: "
                f"{exp.parts - exp.value:,.3f} m² of them overlap")
        if abs(got - exp.parts) <= exp.tolerance:
            msg += " (the report adds them up: overlapping land counted twice)"
    if float(got).is_integer() and abs(diff) <= 0.5:
        msg += "; the report rounds to whole m²"
    if exp.note:
        msg += f"; {exp.note}"
    return msg


def _file(out: Outcome, problem: str, ours: dict[str, Any], exp: Cell) -> None:
    value = ours.get("value")
    if exp.kind in ("area", "km2") and isinstance(value, (int, float)):
        got = value * KM2 if exp.kind == "km2" else float(value)
        out.areas.append((abs(got - exp.value), problem))
    else:
        out.problems.append(problem)


def compare(rep: dict[str, Any], exp: Expected, label: str = "") -> Outcome:
    """Every table, row and cell of the report's JSON against the recount."""
    out = Outcome()
    out.problems += exp.problems
    say = out.problems.append
    head = f"{exp.report}{' ' + label if label else ''}"
    if rep.get("report") != exp.report:
        say(f"{head}: the JSON is report {rep.get('report')!r}")
    period = (rep.get("filter") or {}).get("period")
    if period != exp.period.as_filter():
        say(f"{head}: the report covers {period}, the recount {exp.period.as_filter()}")
    if exp.area is not None and (rep.get("filter") or {}).get("area") != exp.area:
        say(f"{head}: the report's filter has area {(rep.get('filter') or {}).get('area')!r}, "
            f"expected {exp.area!r}")
    threshold = int(rep.get("suppress_below") or 0)
    tables = {t["name"]: t for t in rep.get("tables", [])}
    known = {t.name for t in exp.tables}
    for name, t in tables.items():
        if name not in known:
            say(f"{head} table {name}: no recount for this table ({len(t['rows'])} rows); the "
                "recount must learn its rule")
    for et in exp.tables:
        t = tables.get(et.name)
        if t is None:
            if et.rows:
                want = {k: {c: _fmt(x.value) for c, x in r.items()}
                        for k, r in list(et.rows.items())[:6]}
                recs = sorted({i for r in et.rows.values() for x in r.values()
                               for i in x.records})
                say(f"{head}: table {et.name} is missing; the recount has {len(et.rows)} "
                    f"row(s) {want} from records {_ids(recs)}")
            continue
        cols = [c["name"] for c in t["columns"]]
        key = t.get("key") or cols[0]
        for c in sorted(set(cols) - {key} - set(et.columns)):
            say(f"{head} table {et.name}: column {c} has no recount")
        for c in et.columns:
            if c not in cols:
                say(f"{head} table {et.name}: column {c} is missing")
        if t.get("withheld"):
            # A breakdown of people too fine to protect: its rows are withheld, which is right
            # only when it has counts below the threshold; its total row is still compared.
            small = [x for r in et.rows.values() for x in r.values()
                     if x.kind == "people" and 0 < (x.value or 0) < threshold]
            if t["rows"]:
                say(f"{head} table {et.name}: withheld, yet it prints {len(t['rows'])} row(s)")
            if not small:
                say(f"{head} table {et.name}: withheld, but the recount has no count below "
                    f"{threshold} in it")
            et = dataclasses.replace(et, rows={})
        rows: dict[str, dict[str, Any]] = {}
        for r in t["rows"]:
            k = (" / ".join(str(r[c]["value"]) for c in et.key_columns) if et.key_columns
                 else str(r[key]["value"]))
            if k in rows:
                say(f"{head} table {et.name}: row {k!r} appears twice")
            rows[k] = r
        for k in sorted(rows.keys() - et.rows.keys()):
            shown = {c: rows[k][c].get("shown") for c in cols if c != key}
            recs = sorted({i for c in cols if c != key for i in rows[k][c].get("records", [])})
            say(f"{head} table {et.name}: row {k!r} is not in the recount: {shown}; its "
                f"records {_ids(recs)}")
        for k in sorted(et.rows.keys() - rows.keys()):
            want = {c: _fmt(x.value) for c, x in et.rows[k].items()}
            recs = sorted({i for x in et.rows[k].values() for i in x.records})
            say(f"{head} table {et.name}: row {k!r} is missing; the recount has {want} from "
                f"records {_ids(recs)}")
        for k in et.rows.keys() & rows.keys():
            for c in et.columns:
                if c in cols:
                    out.cells += 1
                    p = check_cell(f"{head} table {et.name} row {k!r} column {c}",
                                   rows[k][c], et.rows[k][c], threshold)
                    if p:
                        _file(out, p, rows[k][c], et.rows[k][c])
        total = t.get("total")
        if et.total is not None and total is not None:
            for c, x in et.total.items():
                if c in cols:
                    out.cells += 1
                    p = check_cell(f"{head} table {et.name} row 'Total' column {c}",
                                   total[c], x, threshold)
                    if p:
                        _file(out, p, total[c], x)
        elif total is None and et.total_required and et.rows:
            say(f"{head} table {et.name}: no total row")
        if any(x.kind == "people" for r in et.rows.values() for x in r.values()):
            out.problems += [f"{head} table {et.name}: {p}"
                             for p in worked_out(t, threshold, et.row_sum)]
    return out


# ---------------------------------------------------------------------------------------------
# Can a suppressed count be worked out from what is printed?


def worked_out(table: dict[str, Any], threshold: int,
               row_sum: Sequence[str] | None = None) -> list[str]:
    """Suppressed cells whose value follows from the printed cells: the sums a table states
    (each column's rows add up to its total row; killed + injured = total on every row),
    a primary cell lying in 1..threshold-1 and a secondary one being at least 0. A cell is
    found out when the sums alone fix it (linear algebra) or when propagating the bounds
    through the sums leaves it one value."""
    cols = [c["name"] for c in table["columns"] if c["numeric"]]
    key = table.get("key") or table["columns"][0]["name"]
    # a row is named by all its label columns (district and period), else by its key
    labels = [c["name"] for c in table["columns"] if not c["numeric"]] or [key]
    rows = [(" / ".join(str(r[c]["value"]) for c in labels), r) for r in table["rows"]]
    if table.get("total"):
        rows.append(("Total", table["total"]))
    unknown: dict[tuple[str, str], int] = {}
    lo: list[float] = []
    hi: list[float] = []
    for label, r in rows:
        for c in cols:
            if r[c].get("suppressed"):
                unknown[(label, c)] = len(lo)
                primary = r[c]["suppressed"] == "primary"
                lo.append(1.0 if primary else 0.0)
                hi.append(float(threshold - 1) if primary else math.inf)
    if not unknown:
        return []
    # Equations sum(coef * cell) = 0 over (label, column) cells.
    equations: list[list[tuple[int, tuple[str, str]]]] = []
    if "total" in cols:
        parts = [c for c in cols if c != "total"] if row_sum is None else list(row_sum)
        for label, _ in rows:
            equations.append([(1, (label, c)) for c in parts] + [(-1, (label, "total"))])
    if table.get("total"):
        body = [label for label, _ in rows if label != "Total"]
        for c in cols:
            equations.append([(1, (label, c)) for label in body] + [(-1, ("Total", c))])
    cell = {(label, c): r[c] for label, r in rows for c in cols}
    system: list[tuple[np.ndarray, float]] = []
    for eq in equations:
        coef = np.zeros(len(lo))
        const = 0.0
        for sign, at in eq:
            if at in unknown:
                coef[unknown[at]] += sign
            else:
                const -= sign * float(cell[at].get("value") or 0)
        if coef.any():
            system.append((coef, const))  # coef . x = const
    found: set[int] = set()
    if system:
        a = np.array([s[0] for s in system])
        rank = np.linalg.matrix_rank(a)
        for i in range(len(lo)):
            e = np.zeros(len(lo))
            e[i] = 1.0
            if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
                found.add(i)
    # Bounds propagation: x_i = (const - sum of the others) / coef_i.
    changed = True
    rounds = 0
    while changed and rounds < 50:
        changed = False
        rounds += 1
        for coef, const in system:
            for i in np.nonzero(coef)[0]:
                rest_lo = rest_hi = 0.0
                for j in np.nonzero(coef)[0]:
                    if j == i:
                        continue
                    a_lo, a_hi = sorted((coef[j] * lo[j], coef[j] * hi[j]))
                    rest_lo += a_lo
                    rest_hi += a_hi
                b1, b2 = (const - rest_hi) / coef[i], (const - rest_lo) / coef[i]
                new_lo, new_hi = max(lo[i], min(b1, b2)), min(hi[i], max(b1, b2))
                if new_lo > lo[i] + 1e-9 or new_hi < hi[i] - 1e-9:
                    lo[i], hi[i] = new_lo, new_hi
                    changed = True
    names = {i: at for at, i in unknown.items()}
    out = [f"row {names[i][0]!r} column {names[i][1]}: suppressed, but the printed cells and "
           "totals leave it no other value than "
           + (f"{lo[i]:g}" if abs(hi[i] - lo[i]) < 1e-9 else "the one the sums fix")
           for i in sorted(found | {i for i in range(len(lo)) if abs(hi[i] - lo[i]) < 1e-9})]
    out += [f"row {names[i][0]!r} column {names[i][1]}: the printed cells and totals admit no "
            "value for this suppressed cell (they contradict each other)"
            for i in range(len(lo)) if lo[i] > hi[i] + 1e-9]
    return out

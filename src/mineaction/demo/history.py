"""What the programme did from November 2020 to the end of 2025, and what happened to people.

Survey draws hazards from the true sites, imperfectly: outlines are shifted and padded, some
sites are missed, many suspected areas hold nothing. Operators then work through the hazards in
order of priority, as far as each year's capacity allows (capacity grows like the national
figures published for 2023; see :data:`NATIONAL_CAPACITY`): non-technical survey cancels land
away from the evidence, technical survey reduces to the edge of the contamination, clearance
(or battle area clearance) clears the rest. Both surveys sometimes misjudge the edge, and the
land they release then still holds mines. Accidents happen where remaining items meet people
(an exposure model over settlements, farmland and roads, low inside the military belt).

Geometry here is kept in EPSG:4326 exactly as it is stored, and each release is followed by
the land release engine itself (a :class:`~mineaction.release.engine.Ledger` in memory over the
planned hazards), so that what the plan sees left of a hazard is what the engine leaves.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from mineaction.demo.contamination import Site, site_items
from mineaction.demo.frame import END, START, YEARS, geom_ll, geom_xy, substream, to_xy
from mineaction.demo.territory import Territory
from mineaction.domain.activities import Activity
from mineaction.domain.hazards import Hazard
from mineaction.domain.release import polygonal
from mineaction.release.engine import Ledger

M2_PER_DEG2 = 111_320.0 * math.cos(math.radians(41.4)) * 110_950.0

#: National capacity by year: deminers, mine detection dogs, machines. 2023 is the mean of the
#: published start and end of 2023 (MAR24-46..51: 1,672 -> 2,281 deminers, 59 -> 151 dogs,
#: 55 -> 70 machines); the other years follow the same growth, interpolated and extrapolated.
NATIONAL_CAPACITY = {
    2020: (350, 10, 12), 2021: (900, 25, 30), 2022: (1300, 45, 48),
    2023: (1976, 105, 62), 2024: (2400, 160, 72), 2025: (2650, 180, 78),
}
#: National survey capacity at the end of 2023 (MAR24-52/53, Table 2 of the same report):
#: 12 NTS staff in 3 teams, 402 TS staff in 52 teams. Other years follow the survey budgets of
#: :func:`yearly_budgets`: NTS with the growth capped at 2023, TS with the growth.
NATIONAL_SURVEY_2023 = {"nts": 12, "ts": 402}
TEAM_SIZE = {"nts": 4, "ts": 8, "clearance": 8, "bac": 8}  # 12 / 3 and 402 / 52, rounded
PROGRAMME_SHARE = 0.08  # this territory's share of such a national programme
CLEARANCE_M2_PER_YEAR = {"deminer": 20_000.0, "dog": 30_000.0, "machine": 150_000.0}
COST = {"nts": 0.01, "ts": 0.08, "clearance": 1.0, "bac": 0.3}

NATIONAL_AUTHORITY = ("ORG-NMAA", "National Mine Action Agency of the Veskaran Coast (synthetic)")
OPERATORS = (
    ("ORG-SDS", "State Demining Service (synthetic)"),
    ("ORG-CCT", "Coastal Clearance Trust (synthetic)"),
    ("ORG-NFD", "Northern Field Demining (synthetic)"),
    ("ORG-HMA", "Harbour Mine Action Partners (synthetic)"),
    ("ORG-REO", "Ridge EOD Services (synthetic)"),
)
#: Share of the programme's capacity each operator holds, by year.
OPERATOR_SHARES = {
    2020: (1.0, 0.0, 0.0, 0.0, 0.0), 2021: (0.7, 0.2, 0.1, 0.0, 0.0),
    2022: (0.55, 0.2, 0.15, 0.1, 0.0), 2023: (0.45, 0.2, 0.15, 0.12, 0.08),
    2024: (0.4, 0.2, 0.15, 0.13, 0.12), 2025: (0.38, 0.2, 0.16, 0.14, 0.12),
}
ACCIDENTS_PER_YEAR = {2020: 6, 2021: 26, 2022: 20, 2023: 16, 2024: 13, 2025: 10}
EORE_PER_YEAR = {2020: 10, 2021: 60, 2022: 90, 2023: 110, 2024: 120, 2025: 120}
BELT_EXPOSURE = 0.03  # people rarely enter the former military belt
COVER_EXPOSURE = np.array([1.0, 0.7, 0.35, 0.0], np.float32)  # farmland, pasture, forest, sea


def area_m2_approx(geom: BaseGeometry) -> float:
    return float(shapely.area(geom)) * M2_PER_DEG2


def buffer_m(geom_lonlat: BaseGeometry, metres: float) -> BaseGeometry:
    return geom_ll(geom_xy(geom_lonlat).buffer(metres, join_style="mitre"))


def window(year: int) -> tuple[dt.date, dt.date]:
    if year == 2020:
        return dt.date(2020, 12, 1), dt.date(2020, 12, 31)
    return dt.date(year, 1, 15), dt.date(year, 12, 31)


@dataclass
class HazardPlan:
    id: str
    kind: str  # sha, cha
    origin: str  # the site kind it was drawn for, or "none" for an area that holds nothing
    polygon: MultiPolygon  # EPSG:4326
    threat: str
    contamination: tuple[str, ...]
    recorded_on: dt.date
    admin: str
    land_use: str
    estimated_mines: int | None
    priority: float
    sites: tuple[int, ...] = ()  # indices of true sites it overlaps (truth, never stored)
    remaining: MultiPolygon = field(default_factory=MultiPolygon)
    stage: int = 0  # 0 recorded, 1 after NTS, 2 after TS, 3 closed
    closed_on: dt.date | None = None


@dataclass
class ActPlan:
    id: str
    kind: str  # nts, ts, clearance, bac
    operator: str
    started_on: dt.date
    ended_on: dt.date
    outcome: str | None  # None for a survey that releases nothing (``survey_result`` set)
    polygon: MultiPolygon
    hazard_id: str | None
    outside_hazard: bool = False
    misjudged: bool = False  # survey released land that holds items (truth)
    survey_result: str | None = None  # confirmed: survey found the evidence, cancelled nothing


@dataclass
class AccidentPlan:
    id: str
    occurred_on: dt.date
    site: int
    item: int
    lon: float
    lat: float
    category: str
    model: str
    in_belt: bool
    settle_dist_m: float
    road_dist_m: float
    cover: str
    exposure: float
    hazard_id: str | None
    admin: str
    activity_at_time: str
    victims: list[dict[str, str]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Exposure


def exposure(t: Territory, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Relative chance that a person steps on, drives over or handles an item at (x, y)."""
    r = t.rasters
    cover = t.cover_grid.at(x, y).astype(int)
    cw = COVER_EXPOSURE[np.where(cover < 0, 3, cover)]
    people = r["people"].at(x, y)
    road = np.exp(-r["road_dist"].at(x, y) / 300.0)
    w = 0.1 + cw * (0.3 + people) + 0.8 * road
    return np.where(r["belt"].at(x, y), BELT_EXPOSURE, 1.0) * w


# ---------------------------------------------------------------------------------------------
# Survey: the hazards as first recorded


def _ll(poly_xy: BaseGeometry) -> MultiPolygon:
    return polygonal(geom_ll(poly_xy))


def survey_hazards(seed: int, t: Territory, sites: list[Site], scale: float
                   ) -> list[HazardPlan]:
    rng = substream(seed, 4)
    land = t.land
    shapely.prepare(land)
    drawn: list[tuple[str, BaseGeometry, str, tuple[str, ...], str, int | None]] = []

    def add(origin: str, poly: BaseGeometry, threat: str, cont: tuple[str, ...],
            kind: str = "sha", est: int | None = None) -> None:
        poly = poly.intersection(land)
        if poly.is_empty or poly.area < 2000:
            return
        drawn.append((origin, poly, threat, cont, kind, est))

    for s in sites:
        c = s.polygon.centroid
        if s.kind == "row_field":
            if rng.random() > 0.92:
                continue
            shift = 110.0 if rng.random() < 0.15 else 35.0
            p = shapely.affinity.rotate(s.polygon, rng.uniform(-4, 4), origin=c)
            p = shapely.affinity.translate(p, rng.normal(0, shift), rng.normal(0, shift))
            p = p.buffer(rng.uniform(20, 120), join_style="mitre")
            cont = s.categories if rng.random() < 0.85 else \
                (("ap",) if rng.random() < 0.5 else ("ap", "av"))
            cha = rng.random() < 0.35
            add("row_field", p, "high", cont, "cha" if cha else "sha",
                int(round(s.n_items * rng.uniform(0.6, 1.4))) if cha else None)
        elif s.kind == "nuisance":
            if rng.random() > 0.85:
                continue
            p = Point(c.x + rng.normal(0, 30), c.y + rng.normal(0, 30)).buffer(
                s.radius + rng.uniform(30, 120), quad_segs=8)
            add("nuisance", p, "high", ("ap",))
        elif s.kind == "ied":
            if rng.random() > 0.55:
                continue
            p = Point(c.x + rng.normal(0, 15), c.y + rng.normal(0, 15)).buffer(
                s.radius + rng.uniform(20, 60), quad_segs=8)
            add("ied", p, "high", ("ied",))
        elif s.kind == "battle_area":
            cell = 600.0
            minx, miny, maxx, maxy = s.polygon.buffer(150).bounds
            area = s.polygon.buffer(150)
            threat = "medium" if rng.random() < 0.4 else "low"
            for gx in np.arange(math.floor(minx / cell) * cell, maxx, cell):
                for gy in np.arange(math.floor(miny / cell) * cell, maxy, cell):
                    if rng.random() > 0.9:
                        continue
                    p = shapely.box(gx, gy, gx + cell, gy + cell).intersection(area)
                    if p.area > 20000:
                        add("battle_area", p, threat, ("uxo",))
        elif s.kind == "cluster_strike":
            if rng.random() > 0.85:
                continue
            p = s.polygon.buffer(rng.uniform(50, 150))
            add("cluster_strike", p, "medium", ("cmr",), "cha" if rng.random() < 0.3 else "sha")

    # suspected areas that hold nothing: most of what survey first records
    near = [s for s in t.settlements if t.front.distance(Point(s.x, s.y)) < 25000]
    for k in range(round(1000 * scale)):
        r = substream(seed, 4, 1, k)
        if r.random() < 0.6 or not near:
            p0 = t.front.interpolate(r.uniform(0, t.front.length))
            cx, cy = p0.x + r.normal(0, 3000), p0.y + r.normal(0, 3000)
        else:
            st = near[int(r.integers(0, len(near)))]
            d, a = r.uniform(500, 3000), r.uniform(0, 2 * np.pi)
            cx, cy = st.x + d * math.cos(a), st.y + d * math.sin(a)
        target = float(np.exp(r.normal(math.log(250_000), 0.8)))
        pts = r.normal(0, 1, (9, 2)) * [r.uniform(0.6, 1.6), 1.0]
        hull = shapely.convex_hull(shapely.MultiPoint(pts))
        hull = shapely.affinity.scale(hull, math.sqrt(target / hull.area),
                                      math.sqrt(target / hull.area), origin=(0, 0))
        hull = shapely.affinity.rotate(hull, r.uniform(0, 180), origin=(0, 0))
        p = shapely.affinity.translate(hull, cx, cy)
        cont = (("ap",), ("ap", "av"), ("uxo",))[int(r.choice(3, p=[0.5, 0.3, 0.2]))]
        add("none", p, "low" if r.random() < 0.6 else "medium", cont)

    tree = STRtree([s.polygon for s in sites])
    out: list[HazardPlan] = []
    for k, (origin, poly, threat, cont, kind, est) in enumerate(drawn):
        c = poly.representative_point()
        hits = tuple(sorted(int(i) for i in tree.query(poly, predicate="intersects")))
        cover = int(t.cover_grid.at(np.array([c.x]), np.array([c.y]))[0])
        settle = float(t.rasters["settle_dist"].at(np.array([c.x]), np.array([c.y]))[0])
        land_use = "residential" if settle < 600 or origin == "ied" else \
            ("agriculture", "pasture", "forest", "other")[cover if cover >= 0 else 3]
        people = float(t.rasters["people"].at(np.array([c.x]), np.array([c.y]))[0])
        priority = {"high": 3.0, "medium": 2.0, "low": 1.0}[threat] + 2.0 * people \
            + float(rng.uniform(0, 1.5))
        ll = _ll(poly)
        out.append(HazardPlan(
            f"HZ-{k + 1:06d}", kind, origin, ll, threat, cont,
            START + dt.timedelta(days=int(rng.integers(0, 21))), t.district_of(c.x, c.y),
            land_use, est, priority, hits, ll))
    return out


# ---------------------------------------------------------------------------------------------
# Land release, year by year


def growth(year: int) -> float:
    """The year's national clearance capacity against 2023's (deminers)."""
    return NATIONAL_CAPACITY[year][0] / NATIONAL_CAPACITY[2023][0]


def national_survey_staff(year: int) -> dict[str, float]:
    """National NTS and TS staff of a year, grown as the survey budgets are."""
    g = growth(year)
    return {"nts": NATIONAL_SURVEY_2023["nts"] * min(g, 1.0),
            "ts": NATIONAL_SURVEY_2023["ts"] * g}


def yearly_budgets(year: int, scale: float) -> tuple[float, float, float]:
    """(m² of non-technical survey, m² of technical survey, clearance capacity) for a year.

    Survey follows the published national rates (2,162 km² surveyed by NTS in a year,
    MAR24-09; about 500 km² released a year, MAR24-42/56), clearance the capacity in deminers,
    dogs and machines; all times this territory's share and the scale.
    """
    deminers, dogs, machines = NATIONAL_CAPACITY[year]
    m2 = (deminers * CLEARANCE_M2_PER_YEAR["deminer"] + dogs * CLEARANCE_M2_PER_YEAR["dog"]
          + machines * CLEARANCE_M2_PER_YEAR["machine"])
    g = growth(year)
    days = (window(year)[1] - window(year)[0]).days + 1
    f = PROGRAMME_SHARE * scale * days / 365.0
    return 2162e6 * min(g, 1.0) * f, 500e6 * g * f, m2 * f


def as_hazard(h: HazardPlan) -> Hazard:
    """The planned hazard as the engine first holds it (its first recorded version)."""
    return Hazard(id=h.id, kind=h.kind, threat=h.threat,  # type: ignore[arg-type]
                  contamination=frozenset(h.contamination),  # type: ignore[arg-type]
                  recorded_on=h.recorded_on, geometry=h.polygon)


def as_activity(a: ActPlan) -> Activity:
    return Activity(id=a.id, kind=a.kind, operator=a.operator,  # type: ignore[arg-type]
                    started_on=a.started_on, ended_on=a.ended_on,
                    outcome=a.outcome,  # type: ignore[arg-type]
                    hazard_id=a.hazard_id, outside_hazard=a.outside_hazard,
                    survey_result=a.survey_result,  # type: ignore[arg-type]
                    geometry=a.polygon)


class Releaser:
    """Plans activities and follows each release through every open hazard it overlaps, with
    the land release engine (in memory, in the order planned)."""

    def __init__(self, seed: int, sites: list[Site], hazards: list[HazardPlan]):
        self.seed = seed
        self.sites = sites
        self.hazards = hazards
        self.by_id = {h.id: h for h in hazards}
        self.ledger = Ledger.follow(as_hazard(h) for h in hazards)
        self.acts: list[ActPlan] = []
        self.rng = substream(seed, 5)
        self.visits = substream(seed, 5, 2)  # lengths of visits to confirmed hazards

    def core(self, h: HazardPlan, margin: float) -> BaseGeometry:
        """The true contamination in a hazard, grown (or shrunk) by ``margin`` metres."""
        polys = [self.sites[i].polygon for i in h.sites]
        return geom_ll(shapely.union_all(polys).buffer(margin, join_style="mitre"))

    def emit(self, act: ActPlan) -> None:
        """Record the activity and follow its release through the engine."""
        self.acts.append(act)
        for h in self.ledger.apply(as_activity(act)):
            other = self.by_id[h.id]
            other.remaining = h.geometry  # type: ignore[assignment]
            if h.closed_on is not None:
                other.stage, other.closed_on = 3, h.closed_on

    def act(self, kind: str, h: HazardPlan, poly: BaseGeometry, operator: str,
            start: dt.date, days: int, year_end: dt.date, misjudged: bool = False) -> ActPlan:
        end = min(start + dt.timedelta(days=max(days, 1)), year_end)
        outcome = {"nts": "cancelled", "ts": "reduced"}.get(kind, "cleared")
        a = ActPlan(f"ACT-{len(self.acts) + 1:06d}", kind, operator, start, end, outcome,
                    polygonal(poly), h.id, misjudged=misjudged)
        self.emit(a)
        return a

    def confirm(self, h: HazardPlan, operator: str, start: dt.date, days: int,
                year_end: dt.date) -> ActPlan:
        """Non-technical survey that visits the hazard and cancels nothing: recorded as a
        survey that confirms it (no land released, no release step)."""
        end = min(start + dt.timedelta(days=max(days, 1)), year_end)
        a = ActPlan(f"ACT-{len(self.acts) + 1:06d}", "nts", operator, start, end, None,
                    polygonal(buffer_m(h.remaining, 1.0)), h.id, survey_result="confirmed")
        self.emit(a)
        return a

    def run(self, scale: float) -> list[ActPlan]:
        """Each year: survey, technical survey and clearance, each within its own capacity."""
        order = sorted(range(len(self.hazards)), key=lambda i: (-self.hazards[i].priority, i))
        ready: dict[int, dt.date] = {}
        for year in YEARS:
            w0, w1 = window(year)
            span = (w1 - w0).days
            budgets = yearly_budgets(year, scale)
            shares = np.array(OPERATOR_SHARES[year])
            for stage, step in ((0, self.nts), (1, self.ts), (2, self.clear)):
                budget, spent = budgets[stage], 0.0
                for i in order:
                    h = self.hazards[i]
                    if h.stage != stage or spent >= budget:
                        continue
                    day = w0 + dt.timedelta(days=int(span * min(spent / budget, 0.97)))
                    day = max(day, ready.get(i, w0))
                    if day > w1 - dt.timedelta(days=5):
                        continue
                    op = OPERATORS[int(self.rng.choice(len(OPERATORS),
                                                       p=shares / shares.sum()))][0]
                    used, done = step(h, op, day, w1)
                    spent += used
                    ready[i] = done + dt.timedelta(days=int(self.rng.integers(3, 21)))
        return self.acts

    def nts(self, h: HazardPlan, op: str, day: dt.date, year_end: dt.date
            ) -> tuple[float, dt.date]:
        """Non-technical survey: cancel what the evidence does not support; a visit that
        cancels nothing confirms the hazard. The length of a visit to a confirmed hazard comes
        from a generator of its own, so that the release plan's draws stay as they were."""
        rng = self.rng
        area = area_m2_approx(h.remaining)
        h.stage = 1
        if h.kind == "cha":
            return 0.0, self.confirm(h, op, day, int(self.visits.integers(1, 3)),
                                     year_end).ended_on
        days = int(rng.integers(1, 6))
        if not h.sites:
            if rng.random() < 0.8:
                a = self.act("nts", h, buffer_m(h.remaining, 1.0), op, day, days, year_end)
                return area, a.ended_on
            return area, self.confirm(h, op, day, days, year_end).ended_on
        misjudged = rng.random() < 0.06
        margin = -rng.uniform(10, 60) if misjudged else rng.uniform(60, 250)
        cancel = polygonal(shapely.difference(h.remaining, self.core(h, margin)))
        if area_m2_approx(cancel) > 0.05 * area:
            a = self.act("nts", h, cancel, op, day, days, year_end, misjudged)
            return area, a.ended_on
        return area, self.confirm(h, op, day, days, year_end).ended_on

    def ts(self, h: HazardPlan, op: str, day: dt.date, year_end: dt.date
           ) -> tuple[float, dt.date]:
        """Technical survey: reduce to the edge of the contamination found."""
        rng = self.rng
        area = area_m2_approx(h.remaining)
        h.stage = 2
        days = int(rng.integers(5, 25))
        if not h.sites:
            a = self.act("ts", h, buffer_m(h.remaining, 1.0), op, day, days, year_end)
            return area, a.ended_on
        misjudged = rng.random() < 0.04
        margin = -rng.uniform(5, 25) if misjudged else rng.uniform(10, 40)
        reduce = polygonal(shapely.difference(h.remaining, self.core(h, margin)))
        if area_m2_approx(reduce) > 0.02 * area:
            a = self.act("ts", h, reduce, op, day, days, year_end, misjudged)
            return area, a.ended_on
        return area, day

    def clear(self, h: HazardPlan, op: str, day: dt.date, year_end: dt.date
              ) -> tuple[float, dt.date]:
        """Clearance (battle area clearance for UXO and submunitions) of what is left."""
        if h.remaining.is_empty:
            h.stage = 3
            return 0.0, day
        area = area_m2_approx(h.remaining)
        kind = "bac" if h.origin in ("battle_area", "cluster_strike") or \
            set(h.contamination) <= {"uxo", "cmr"} else "clearance"
        a = self.act(kind, h, buffer_m(h.remaining, 1.0), op, day, max(10, int(area / 2500.0)),
                     year_end)
        h.stage = 3
        return COST[kind] * area, a.ended_on

    def outside(self, t: Territory, scale: float) -> None:
        """Battle area clearance of land no hazard recorded (sites survey missed)."""
        rng = substream(self.seed, 5, 1)
        tree = STRtree([h.polygon for h in self.hazards])
        for k, s in enumerate(self.sites):
            if s.kind not in ("battle_area", "cluster_strike") or rng.random() > 0.5:
                continue
            poly = s.polygon_ll
            if len(tree.query(poly, predicate="intersects")):
                continue
            year = int(rng.integers(2022, 2026))
            w0, w1 = window(year)
            start = w0 + dt.timedelta(days=int(rng.integers(0, (w1 - w0).days - 30)))
            op = OPERATORS[4 if year >= 2023 else 0][0]
            self.emit(ActPlan(
                f"ACT-{len(self.acts) + 1:06d}", "bac", op, start,
                start + dt.timedelta(days=int(rng.integers(10, 30))), "cleared",
                polygonal(poly), None, outside_hazard=True))
            del k


# ---------------------------------------------------------------------------------------------
# What the truth holds for each item: found by which activity, left behind by which survey


@dataclass
class ItemFate:
    found_by: dict[int, np.ndarray] = field(default_factory=dict)  # site -> act index or -1
    left_by: dict[int, np.ndarray] = field(default_factory=dict)  # site -> act index or -1
    qc_by: dict[int, np.ndarray] = field(default_factory=dict)  # site -> qc index or -1
    accident_by: dict[int, np.ndarray] = field(default_factory=dict)

    def arr(self, table: dict[int, np.ndarray], site: int, n: int) -> np.ndarray:
        if site not in table:
            table[site] = np.full(n, -1, np.int32)
        return table[site]

    def free(self, site: int, n: int) -> np.ndarray:
        """Items neither found, nor inspected, nor exploded."""
        ok = np.ones(n, bool)
        for table in (self.found_by, self.qc_by, self.accident_by):
            if site in table:
                ok &= table[site] < 0
        return ok


def engine_order(acts: list[ActPlan]) -> list[int]:
    return sorted(range(len(acts)), key=lambda i: (acts[i].ended_on, acts[i].id))


def trace_items(seed: int, sites: list[Site], acts: list[ActPlan]) -> ItemFate:
    """Finds are exactly the items inside cleared polygons; survey leaves some behind."""
    fate = ItemFate()
    tree = STRtree([s.polygon_ll for s in sites])
    for ai in engine_order(acts):
        a = acts[ai]
        if a.outcome is None:
            continue  # a survey that released nothing leaves nothing behind
        shapely.prepare(a.polygon)
        for si in sorted(int(j) for j in tree.query(a.polygon, predicate="intersects")):
            it = site_items(seed, sites[si])
            if not len(it):
                continue
            inside = shapely.contains_xy(a.polygon, it.lon, it.lat)
            free = fate.free(si, len(it))
            if a.outcome == "cleared":
                hit = inside & free
                if hit.any():
                    fate.arr(fate.found_by, si, len(it))[hit] = ai
            else:
                left = fate.arr(fate.left_by, si, len(it))
                hit = inside & free & (left < 0)
                left[hit] = ai
        shapely.destroy_prepared(a.polygon)
    return fate


@dataclass
class QCPlan:
    id: str
    act: int
    held_on: dt.date
    polygon: MultiPolygon
    items_found: int


def plan_qc(seed: int, sites: list[Site], acts: list[ActPlan], fate: ItemFate
            ) -> list[QCPlan]:
    """Inspect about 5% of the released land: a tenth of about half the activities."""
    rng = substream(seed, 6)
    tree = STRtree([s.polygon_ll for s in sites])
    out: list[QCPlan] = []
    for ai in engine_order(acts):
        a = acts[ai]
        if a.outcome is None:
            continue  # nothing released to inspect
        if rng.random() > 0.5:
            continue
        held = a.ended_on + dt.timedelta(days=int(rng.integers(7, 60)))
        if held > END:
            continue
        xy = shapely.make_valid(geom_xy(a.polygon))
        area = xy.area
        p = xy.representative_point()
        disc = Point(p.x, p.y).buffer(math.sqrt(0.1 * area / math.pi), quad_segs=16)
        part = polygonal(geom_ll(disc.intersection(xy)))
        if part.is_empty:
            continue
        q = len(out)
        n = 0
        for si in sorted(int(j) for j in tree.query(part, predicate="intersects")):
            it = site_items(seed, sites[si])
            hit = shapely.contains_xy(part, it.lon, it.lat) & fate.free(si, len(it))
            if hit.any():
                fate.arr(fate.qc_by, si, len(it))[hit] = q
                n += int(hit.sum())
        out.append(QCPlan(f"QC-{q + 1:06d}", ai, held, part, n))
    return out


def plan_accidents(seed: int, t: Territory, sites: list[Site], hazards: list[HazardPlan],
                   fate: ItemFate, scale: float) -> list[AccidentPlan]:
    """Accidents on items nobody found, drawn in proportion to the exposure where they lie."""
    rng = substream(seed, 7)
    weights = np.zeros(len(sites))
    for si, s in enumerate(sites):
        it = site_items(seed, s)
        if len(it):
            weights[si] = float((exposure(t, it.x, it.y) * fate.free(si, len(it))).sum())
    total = weights.sum()
    htree = STRtree([h.polygon for h in hazards])
    out: list[AccidentPlan] = []
    if total <= 0:
        return out
    for year in YEARS:
        n = int(rng.poisson(ACCIDENTS_PER_YEAR[year] * scale))
        w0 = START if year == 2020 else dt.date(year, 1, 1)
        w1 = dt.date(year, 12, 31)
        for _ in range(n):
            si = int(rng.choice(len(sites), p=weights / weights.sum()))
            s = sites[si]
            it = site_items(seed, s)
            free = fate.free(si, len(it))
            w = exposure(t, it.x, it.y) * free
            if w.sum() <= 0:
                weights[si] = 0.0
                continue
            idx = int(rng.choice(len(it), p=w / w.sum()))
            fate.arr(fate.accident_by, si, len(it))[idx] = len(out)
            weights[si] = max(weights[si] - float(w[idx]), 0.0)
            out.append(_accident(rng, t, htree, hazards, len(out), w0, w1, si, idx,
                                 it.x[idx], it.y[idx], float(it.lon[idx]),
                                 float(it.lat[idx]), str(it.category[idx]),
                                 str(it.model[idx]), float(w[idx])))
    return out


def _accident(rng: np.random.Generator, t: Territory, htree: STRtree,
              hazards: list[HazardPlan], k: int, w0: dt.date, w1: dt.date, si: int, idx: int,
              x: float, y: float, lon: float, lat: float, cat: str, model: str, w: float
              ) -> AccidentPlan:
    r = t.rasters
    ax, ay = np.array([x]), np.array([y])
    in_belt = bool(r["belt"].at(ax, ay)[0])
    settle = float(r["settle_dist"].at(ax, ay)[0])
    road = float(r["road_dist"].at(ax, ay)[0])
    cover_code = int(t.cover_grid.at(ax, ay)[0])
    cover = ("farmland", "pasture", "forest")[cover_code] if cover_code >= 0 else "other"
    on = w0 + dt.timedelta(days=int(rng.integers(0, (w1 - w0).days + 1)))
    pt = Point(lon, lat)
    hz = [hazards[int(i)].id for i in htree.query(pt, predicate="intersects")]
    military = rng.random() < (0.6 if in_belt else 0.07 + (0.2 if on.year <= 2021 else 0.0))
    if military:
        doing = "military_duty"
    elif road < 150:
        doing = "travelling"
    elif cat in ("uxo", "cmr") and rng.random() < 0.3:
        doing = "tampering"
    elif settle < 500:
        doing = "reconstruction"
    else:
        doing = {"farmland": "farming", "pasture": "herding", "forest": "collecting"}.get(
            cover, "other")
    acc = AccidentPlan(f"ACC-{k + 1:05d}", on, si, idx, lon, lat, cat, model, in_belt, settle,
                       road, cover, w, sorted(hz)[0] if hz else None, t.district_of(x, y),
                       doing)
    n_victims = int(rng.choice([1, 2, 3], p=[0.78, 0.16, 0.06]))
    for _ in range(n_victims):
        killed = rng.random() < (0.45 if cat == "av" else 0.19)
        acc.victims.append({
            "group": "military" if military else "civilian",
            "outcome": "killed" if killed else "injured",
            "sex": "male" if rng.random() < 0.88 else "female",
            "age_band": "adult" if military or rng.random() < 0.86 else "child",
        })
    return acc


def to_local(lon: float, lat: float) -> tuple[float, float]:
    x, y = to_xy(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


__all__ = ["ActPlan", "HazardPlan", "Polygon"]

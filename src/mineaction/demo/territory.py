"""The fictional land: coastline, districts, settlements, roads, rivers, land cover, front line.

All geometry here is in local metres (see :mod:`mineaction.demo.frame`). The land is a noisy
superellipse of about 9,500 km² fitted inside the box; a former front line about 250 km long
winds across it from coast to coast, with a defensive belt 5 km wide and fortified positions on
both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.ndimage import distance_transform_edt
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import LineString, MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

from mineaction.demo.frame import box_xy, substream

TERRITORY_NAME = "Veskaran Coast"
DISTRICT_NAMES = (
    "Aldmere", "Brennick", "Calvarra", "Dunholt", "Esterwyn", "Farrowdeep", "Galmoor",
    "Hollinwick", "Ilvesta", "Jorvale", "Kestrelford", "Lunmarsh", "Morrowgate", "Nethervale",
)
_PREFIX = ("Ar", "Bel", "Cor", "Dal", "El", "Fen", "Gor", "Hal", "Ist", "Jan", "Kel", "Lor",
           "Mar", "Nor", "Or", "Pel", "Quin", "Ros", "Sel", "Tor", "Ul", "Var", "Wen", "Yar",
           "Zel", "Brun", "Cal", "Dre")
_SUFFIX = ("ova", "eth", "amir", "ouk", "esk", "inar", "obar", "ul", "ence", "arat", "ovo",
           "isk", "ana", "edin", "avel", "orra")

COVER_CLASSES = ("farmland", "pasture", "forest")
CELL_M = 100.0  # resolution of the exposure rasters
BELT_HALF_WIDTH_M = 2500.0
FRONT_LENGTH_M = 250_000.0


@dataclass
class Settlement:
    id: str
    name: str
    kind: str  # capital, town, village
    population: int
    x: float
    y: float
    district: str = ""


@dataclass
class Raster:
    """A grid over the land's bounding box, cell (i, j) centred at (x0 + (j+.5)c, y0 + (i+.5)c)."""

    x0: float
    y0: float
    cell: float
    values: np.ndarray

    def at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        j = np.clip(((np.asarray(x) - self.x0) // self.cell).astype(int), 0,
                    self.values.shape[1] - 1)
        i = np.clip(((np.asarray(y) - self.y0) // self.cell).astype(int), 0,
                    self.values.shape[0] - 1)
        return self.values[i, j]

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        ny, nx = self.values.shape
        xs = self.x0 + (np.arange(nx) + 0.5) * self.cell
        ys = self.y0 + (np.arange(ny) + 0.5) * self.cell
        return np.meshgrid(xs, ys)


@dataclass
class Territory:
    land: Polygon
    districts: list[tuple[str, str, Polygon]]  # (id, name, polygon)
    settlements: list[Settlement]
    roads: list[tuple[str, str, LineString]]  # (id, class, line)
    rivers: list[tuple[str, str, LineString]]  # (id, name, line)
    cover: dict[str, BaseGeometry]
    cover_grid: Raster  # codes 0 farmland, 1 pasture, 2 forest, -1 sea
    front: LineString
    belt: BaseGeometry
    positions: list[tuple[str, str, float, float]]  # (id, side, x, y)
    rasters: dict[str, Raster] = field(default_factory=dict)

    def district_of(self, x: float, y: float) -> str:
        p = Point(x, y)
        for did, _name, poly in self.districts:
            if poly.covers(p):
                return did
        best = min(self.districts, key=lambda d: d[2].distance(p))
        return best[0]


# ---------------------------------------------------------------------------------------------


def _noise(rng: np.random.Generator, theta: np.ndarray, harmonics: range, decay: float
           ) -> np.ndarray:
    out = np.zeros_like(theta)
    for k in harmonics:
        amp = rng.normal() / k ** decay
        out += amp * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    return out


def make_land(rng: np.random.Generator) -> Polygon:
    bx = box_xy()
    minx, miny, maxx, maxy = bx.bounds
    a, b = min(-minx, maxx) - 1500.0, min(-miny, maxy) - 1500.0
    theta = np.linspace(0, 2 * np.pi, 1440, endpoint=False)
    n = _noise(rng, theta, range(2, 9), 1.0) + 0.35 * _noise(rng, theta, range(9, 60), 0.8)
    n = n / np.max(np.abs(n))
    radial = 0.965 + 0.035 * n
    e = 2.6  # superellipse exponent: fuller than an ellipse
    c, s = np.cos(theta), np.sin(theta)
    r = 1.0 / (np.abs(c / a) ** e + np.abs(s / b) ** e) ** (1 / e)
    x, y = r * radial * c, r * radial * s
    land = Polygon(np.column_stack((x, y))).buffer(0)
    # a few bays cut into the coast
    for _ in range(3):
        t = rng.uniform(0, 2 * np.pi)
        k = int(t / (2 * np.pi) * len(theta)) % len(theta)
        bay = Point(x[k], y[k]).buffer(rng.uniform(3000, 6000), quad_segs=8)
        land = land.difference(bay)
    land = land.intersection(bx.buffer(-500))
    if land.geom_type != "Polygon":
        land = max(land.geoms, key=lambda g: g.area)
    return shapely.simplify(land, 20.0)


def _random_points_in(rng: np.random.Generator, poly: BaseGeometry, n: int, min_dist: float,
                      avoid: np.ndarray | None = None, tries: int = 40) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    chosen: list[tuple[float, float]] = []
    existing = [] if avoid is None else [tuple(p) for p in avoid]
    prepared = shapely.prepare(poly) or poly
    del prepared
    attempts = 0
    while len(chosen) < n and attempts < n * tries:
        attempts += 1
        px, py = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not shapely.contains_xy(poly, px, py):
            continue
        pts = existing + chosen
        if pts:
            arr = np.asarray(pts)
            if np.min(np.hypot(arr[:, 0] - px, arr[:, 1] - py)) < min_dist:
                continue
        chosen.append((px, py))
    return np.asarray(chosen, float).reshape(-1, 2)


def make_districts(rng: np.random.Generator, land: Polygon
                   ) -> tuple[list[tuple[str, str, Polygon]], np.ndarray]:
    n = int(rng.integers(8, 13))
    seeds = _random_points_in(rng, land.buffer(-6000), n, 18000.0)
    n = len(seeds)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=land.envelope.buffer(5000))
    names = list(rng.permutation(np.array(DISTRICT_NAMES))[:n])
    polys: list[tuple[str, str, Polygon]] = []
    for i, (sx, sy) in enumerate(seeds):
        p = Point(sx, sy)
        cell = next(c for c in cells.geoms if c.covers(p))
        part = cell.intersection(land)
        if part.geom_type != "Polygon":
            part = max(part.geoms, key=lambda g: g.area) if hasattr(part, "geoms") else part
        polys.append((f"D{i + 1:02d}", str(names[i]), part))
    return polys, seeds


def make_settlements(rng: np.random.Generator, land: Polygon, district_seeds: np.ndarray,
                     n_villages: int) -> list[Settlement]:
    names = [p + s for p in _PREFIX for s in _SUFFIX]
    order = rng.permutation(len(names))
    out: list[Settlement] = []
    capital = int(rng.integers(0, len(district_seeds)))
    for i, (x, y) in enumerate(district_seeds):
        pop = int(rng.uniform(90_000, 140_000)) if i == capital else \
            int(np.exp(rng.normal(np.log(18_000), 0.45)))
        out.append(Settlement("", "", "capital" if i == capital else "town", pop, x, y))
    villages = _random_points_in(rng, land.buffer(-300), n_villages, 2500.0, district_seeds)
    for x, y in villages:
        pop = int(np.clip(np.exp(rng.normal(np.log(900), 0.9)), 60, 9000))
        out.append(Settlement("", "", "village", pop, x, y))
    for k, s in enumerate(out):
        s.id = f"S{k + 1:04d}"
        s.name = names[int(order[k % len(order)])] + ("" if k < len(order) else f" {k}")
    return out


def make_roads(rng: np.random.Generator, land: Polygon, settlements: list[Settlement]
               ) -> list[tuple[str, str, LineString]]:
    pts = np.array([[s.x, s.y] for s in settlements])
    tri = Delaunay(pts)
    edges: set[tuple[int, int]] = set()
    for simplex in tri.simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            i, j = sorted((int(simplex[a]), int(simplex[b])))
            edges.add((i, j))
    coastal = land.buffer(300)
    shapely.prepare(coastal)
    good = sorted(e for e in edges
                  if coastal.contains(LineString([pts[e[0]], pts[e[1]]])))
    n = len(pts)
    from scipy.sparse import coo_matrix

    lengths = np.array([np.hypot(*(pts[i] - pts[j])) for i, j in good])
    m = coo_matrix((lengths, ([e[0] for e in good], [e[1] for e in good])), shape=(n, n))
    mst = minimum_spanning_tree(m).tocoo()
    tree = {tuple(sorted((int(i), int(j)))) for i, j in zip(mst.row, mst.col, strict=True)}
    roads: list[tuple[str, str, LineString]] = []
    big = {i for i, s in enumerate(settlements) if s.kind != "village"}
    for (i, j), length in zip(good, lengths, strict=True):
        in_tree = (i, j) in tree
        if not in_tree and (length > 14000 or rng.random() > 0.35):
            continue
        cls = "main" if (i in big and j in big) or (in_tree and length > 9000) else "local"
        p, q = pts[i], pts[j]
        d = q - p
        normal = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1.0)
        ts = np.linspace(0, 1, 7)
        wiggle = np.sin(np.pi * ts) * rng.normal(0, 0.06) * np.hypot(*d)
        wiggle += np.r_[0, rng.normal(0, 120, 5), 0]
        line = np.outer(1 - ts, p) + np.outer(ts, q) + np.outer(wiggle, normal)
        geom = LineString(line).intersection(coastal)
        if geom.is_empty or geom.geom_type != "LineString":
            continue
        roads.append((f"R{len(roads) + 1:04d}", cls, geom))
    return roads


def make_rivers(rng: np.random.Generator, land: Polygon, n: int
                ) -> list[tuple[str, str, LineString]]:
    rivers: list[tuple[str, str, LineString]] = []
    inner = land.buffer(-22000)
    sources = _random_points_in(rng, inner if not inner.is_empty else land, n, 12000.0)
    names = ("Orvel", "Tessa", "Maru", "Kethra", "Liss", "Anvar", "Dosh")
    for k, (x, y) in enumerate(sources):
        heading = np.arctan2(y, x) + rng.normal(0, 0.4)
        pts = [(x, y)]
        for _ in range(200):
            heading += rng.normal(0, 0.35) + 0.15 * np.sin(np.arctan2(y, x) - heading)
            x, y = x + 900 * np.cos(heading), y + 900 * np.sin(heading)
            pts.append((x, y))
            if not shapely.contains_xy(land, x, y):
                break
        line = LineString(pts).intersection(land)
        if line.geom_type == "MultiLineString":
            line = max(line.geoms, key=lambda g: g.length)
        if line.geom_type == "LineString" and line.length > 5000:
            rivers.append((f"W{k + 1:02d}", names[k % len(names)], line))
    return rivers


def _smooth_field(rng: np.random.Generator, xs: np.ndarray, ys: np.ndarray, blobs: int,
                  scale: float) -> np.ndarray:
    out = np.zeros_like(xs)
    minx, maxx, miny, maxy = xs.min(), xs.max(), ys.min(), ys.max()
    for _ in range(blobs):
        cx, cy = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        s = scale * rng.uniform(0.5, 1.5)
        out += rng.normal() * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * s * s))
    return out


def make_cover(rng: np.random.Generator, land: Polygon
               ) -> tuple[dict[str, BaseGeometry], Raster]:
    cell = 500.0
    minx, miny, maxx, maxy = land.bounds
    nx, ny = int(np.ceil((maxx - minx) / cell)), int(np.ceil((maxy - miny) / cell))
    grid = Raster(minx, miny, cell, np.zeros((ny, nx), np.int8))
    cx, cy = grid.centres()
    hills = _smooth_field(rng, cx, cy, 25, 14000.0) + _smooth_field(rng, cx, cy, 200, 2500.0) * 0.35
    codes = np.zeros(cx.shape, np.int8)
    q_pasture, q_forest = np.quantile(hills, [0.58, 0.86])
    codes[hills > q_pasture] = 1
    codes[hills > q_forest] = 2
    inland = shapely.contains_xy(land, cx, cy)
    codes[~inland] = -1
    grid.values = codes
    cover: dict[str, BaseGeometry] = {}
    for code, name in enumerate(COVER_CLASSES):
        ii, jj = np.nonzero(codes == code)
        boxes = shapely.box(minx + jj * cell, miny + ii * cell, minx + (jj + 1) * cell,
                            miny + (ii + 1) * cell)
        merged = shapely.coverage_union_all(boxes) if len(boxes) else Polygon()
        cover[name] = shapely.simplify(merged, 260.0).intersection(land)
    return cover, grid


def make_front(rng: np.random.Generator, land: Polygon) -> LineString:
    minx, miny, maxx, maxy = land.bounds
    x0 = rng.uniform(-0.15, 0.15) * (maxx - minx)
    wavelength = rng.uniform(20000, 28000)
    phase = rng.uniform(0, 2 * np.pi)
    ys = np.linspace(maxy + 3000, miny - 3000, 1200)
    drift = _noise(rng, np.linspace(0, np.pi, len(ys)), range(1, 4), 1.0) * 6000
    wobble = _noise(rng, np.linspace(0, 2 * np.pi, len(ys)), range(8, 30), 0.7) * 900

    def line_for(amp: float) -> LineString:
        xs = x0 + drift + wobble + amp * np.sin(2 * np.pi * ys / wavelength + phase)
        geom = LineString(np.column_stack((xs, ys))).intersection(land)
        if geom.geom_type == "MultiLineString":
            geom = max(geom.geoms, key=lambda g: g.length)
        return geom

    lo, hi = 0.0, 30000.0
    for _ in range(30):
        mid = (lo + hi) / 2
        if line_for(mid).length < FRONT_LENGTH_M:
            lo = mid
        else:
            hi = mid
    return shapely.simplify(line_for((lo + hi) / 2), 5.0)


def make_positions(rng: np.random.Generator, front: LineString, land: Polygon, count: int
                   ) -> list[tuple[str, str, float, float]]:
    out: list[tuple[str, str, float, float]] = []
    length = front.length
    for k in range(count):
        u = (k + rng.uniform(0.1, 0.9)) / count * length
        side = "A" if k % 2 == 0 else "B"
        x, y, nxv, nyv = _frame_at(front, u)
        sign = 1.0 if side == "A" else -1.0
        off = rng.uniform(300, 1800) * sign
        px, py = x + nxv * off, y + nyv * off
        if shapely.contains_xy(land, px, py):
            out.append((f"P{len(out) + 1:05d}", side, float(px), float(py)))
    return out


def _frame_at(line: LineString, u: float) -> tuple[float, float, float, float]:
    """Point at distance ``u`` along the line and the unit normal (left of the direction)."""
    p = line.interpolate(u)
    q = line.interpolate(min(u + 50.0, line.length))
    r = line.interpolate(max(u - 50.0, 0.0))
    dx, dy = q.x - r.x, q.y - r.y
    norm = np.hypot(dx, dy) or 1.0
    return p.x, p.y, -dy / norm, dx / norm


def frame_at(line: LineString, u: float) -> tuple[float, float, float, float]:
    return _frame_at(line, u)


def make_rasters(t: Territory) -> dict[str, Raster]:
    """100 m rasters the exposure model reads: distance to a road, in-belt mask, people."""
    minx, miny, maxx, maxy = t.land.bounds
    nx, ny = int(np.ceil((maxx - minx) / CELL_M)), int(np.ceil((maxy - miny) / CELL_M))
    base = Raster(minx, miny, CELL_M, np.zeros((ny, nx), np.float32))
    # roads: mark cells crossed, then a distance transform
    marks = np.zeros((ny, nx), bool)
    for _rid, _cls, line in t.roads:
        pts = shapely.get_coordinates(shapely.segmentize(line, CELL_M / 2))
        j = np.clip(((pts[:, 0] - minx) // CELL_M).astype(int), 0, nx - 1)
        i = np.clip(((pts[:, 1] - miny) // CELL_M).astype(int), 0, ny - 1)
        marks[i, j] = True
    road_dist = distance_transform_edt(~marks) * CELL_M
    cx, cy = base.centres()
    belt = shapely.contains_xy(t.belt, cx, cy)
    # people: population-weighted proximity to settlements
    people = np.zeros((ny, nx), np.float32)
    pts = np.array([[s.x, s.y] for s in t.settlements])
    pops = np.array([s.population for s in t.settlements], float)
    tree = cKDTree(pts)
    flat = np.column_stack((cx.ravel(), cy.ravel()))
    dist, idx = tree.query(flat, k=4)
    reach = 1200.0 + 400.0 * np.log10(pops[idx])  # bigger places reach further
    people = (np.log10(pops[idx]) * np.exp(-dist / reach)).sum(axis=1).reshape(ny, nx) / 4.0
    return {
        "road_dist": Raster(minx, miny, CELL_M, road_dist.astype(np.float32)),
        "belt": Raster(minx, miny, CELL_M, belt),
        "people": Raster(minx, miny, CELL_M, people.astype(np.float32)),
        "settle_dist": Raster(minx, miny, CELL_M,
                              dist[:, 0].reshape(ny, nx).astype(np.float32)),
    }


def make_territory(seed: int) -> Territory:
    rng = substream(seed, 1)
    land = make_land(rng)
    districts, seeds = make_districts(rng, land)
    settlements = make_settlements(rng, land, seeds, int(rng.integers(140, 170)))
    roads = make_roads(rng, land, settlements)
    rivers = make_rivers(rng, land, int(rng.integers(4, 7)))
    cover, cover_grid = make_cover(rng, land)
    front = make_front(rng, land)
    belt = front.buffer(BELT_HALF_WIDTH_M, cap_style="flat").intersection(land)
    t = Territory(land, districts, settlements, roads, rivers, cover, cover_grid, front, belt,
                  [])
    for s in settlements:
        s.district = t.district_of(s.x, s.y)
    t.rasters = make_rasters(t)
    return t

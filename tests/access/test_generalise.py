"""The grid generalisation at once over arrays of geometries gives the cells that a plain
reading of the rule gives, geometry by geometry: every cell of the grid met by the geometry,
unioned; a point at the centre of its cell."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon, box

from mineaction.access import generalise as gen


def reference_cells(geom, km):
    """Cells by the rule, one at a time: each band of the geometry's bounds, each cell of the
    band within the bounds, kept when it meets the geometry; the union of those kept."""
    if geom.is_empty:
        return geom
    if geom.geom_type in ("Point", "MultiPoint"):
        return reference_point(geom, km)
    minx, miny, maxx, maxy = geom.bounds
    lo, hi = gen._band_of(miny, km), gen._band_of(maxy, km)
    kept = []
    for i in range(lo, hi + 1):
        w = gen._cell_width_deg(i, km)
        j0, j1 = math.floor(minx / w), math.floor(maxx / w)
        if (j1 - j0 + 1) * (hi - lo + 1) > gen.MAX_CELLS:
            return box(j0 * w, gen._band_edge(lo, km), (j1 + 1) * w, gen._band_edge(hi + 1, km))
        for j in range(j0, j1 + 1):
            c = box(j * w, gen._band_edge(i, km), (j + 1) * w, gen._band_edge(i + 1, km))
            if c.intersects(geom):
                kept.append(c)
    return shapely.union_all(kept)


def reference_point(geom, km):
    p = geom.geoms[0] if geom.geom_type == "MultiPoint" else geom
    i = gen._band_of(p.y, km)
    w = gen._cell_width_deg(i, km)
    j = math.floor(p.x / w)
    return Point((j + 0.5) * w, (gen._band_edge(i, km) + gen._band_edge(i + 1, km)) / 2)


def shapes(seed: int, n: int, km: float):
    rng = random.Random(seed)
    out = []
    for k in range(n):
        x, y = rng.uniform(-179, 179), rng.uniform(-80, 80)
        if k % 10 == 0:  # most shapes where the demo is, some anywhere
            x, y = rng.uniform(50.3, 51.7), rng.uniform(40.9, 41.9)
        r = rng.choice([0.001, 0.01, 0.05, 0.3]) * km / 5.0  # up to a few hundred cells
        m = rng.randint(3, 9)
        ring = [(x + r * rng.uniform(0.3, 1) * math.cos(a), y + r * rng.uniform(0.3, 1)
                 * math.sin(a)) for a in np.linspace(0, 2 * math.pi, m + 1)[:-1]]
        poly = Polygon(ring)
        out.append(poly if k % 4 else MultiPolygon([poly, shapely.affinity.translate(poly, r * 3)]))
    out += [Point(50.5, 41.2), MultiPoint([(50.7, 41.3), (51.0, 41.5)]),
            LineString([(50.4, 41.0), (50.9, 41.6)]), Polygon(), box(-0.05, -0.05, 0.05, 0.05),
            box(10.0, 10.0, 60.0, 40.0)]  # the last over more cells than MAX_CELLS at 1 km
    return out


@pytest.mark.parametrize("km", [1.0, 5.0, 20.0])
def test_cells_at_once_equal_the_rule(km: float) -> None:
    geoms = shapes(int(km), 40, km)
    got = gen.grid_cells_many(np.asarray(geoms + [None], dtype=object), km)
    assert got[-1] is None
    for g, cells in zip(geoms, got[:-1], strict=True):
        want = reference_cells(g, km)
        if g.is_empty:
            assert cells.is_empty
            continue
        assert cells.geom_type == ("Point" if g.geom_type.endswith("Point") else "MultiPolygon")
        assert cells.equals(want), (g.wkt, km)
        assert gen.grid_cells(g, km).equals(want)
        if cells.geom_type != "Point":
            assert cells.covers(g) or g.geom_type == "LineString" and cells.intersects(g)

"""bbox queries are exact on every adapter (OGC API Features semantics): a feature is returned
when its geometry intersects the box, boundary included, and only then, whatever the spatial
index rounds. Expectations are known by construction (exact comparisons of coordinates, shapes
on one side of a line), not by asking GEOS."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from mineaction import domain as d
from mineaction.store import Query

S = "synthetic:test"
D = dt.date(2023, 5, 17)


def _find(fid: str, x: float, y: float) -> d.Find:
    return d.Find(id=fid, category=d.EOCategory.AP, quantity=1, found_on=D,
                  geometry=Point(x, y), source=S)


def _hazard(hid: str, poly: Polygon) -> d.Hazard:
    return d.Hazard(id=hid, kind=d.HazardKind.SHA, geometry=MultiPolygon([poly]), source=S)


def _random_box(rng: np.random.Generator, cell: int) -> tuple[float, float, float, float]:
    """A box in cell ``cell`` of a 3 x 2 grid over the territory, so that the shapes made for
    one box (reaching 0.02 degrees beyond it) stay away from every other box."""
    x0 = 50.4 + 0.42 * (cell % 3) + rng.uniform(0.03, 0.1)
    y0 = 41.0 + 0.4 * (cell // 3) + rng.uniform(0.03, 0.1)
    w, h = rng.uniform(0.005, 0.2, 2)
    return float(x0), float(y0), float(x0 + w), float(y0 + h)


def _edge_points(rng: np.random.Generator, bbox, n: int) -> list[tuple[float, float]]:
    """Points on the edges and corners, 1e-9 degrees and one ulp either side of them, and
    within the float32 rounding of the R-tree (a few 1e-6 degrees) outside."""
    minx, miny, maxx, maxy = bbox
    pts: list[tuple[float, float]] = [(minx, miny), (minx, maxy), (maxx, miny), (maxx, maxy)]
    offsets = [0.0, 1e-9, -1e-9, 3e-6, -3e-6, 1e-12]
    for _ in range(n):
        along_x = float(rng.uniform(minx, maxx))
        along_y = float(rng.uniform(miny, maxy))
        off = offsets[int(rng.integers(len(offsets)))]
        side = int(rng.integers(4))
        if side == 0:
            pts.append((minx - off, along_y))
        elif side == 1:
            pts.append((maxx + off, along_y))
        elif side == 2:
            pts.append((along_x, miny - off))
        else:
            pts.append((along_x, maxy + off))
    for edge in (minx, maxx):
        pts.append((float(np.nextafter(edge, np.inf)), along_y))
        pts.append((float(np.nextafter(edge, -np.inf)), along_y))
    for edge in (miny, maxy):
        pts.append((along_x, float(np.nextafter(edge, np.inf))))
        pts.append((along_x, float(np.nextafter(edge, -np.inf))))
    return pts


def _inside(bbox, x: float, y: float) -> bool:
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def _shapes(bbox) -> list[tuple[Polygon, bool]]:
    """Polygons near the box whose intersecting it is known by construction."""
    minx, miny, maxx, maxy = bbox
    out: list[tuple[Polygon, bool]] = []
    # a corner triangle: its envelope overlaps the box, its hypotenuse (x + y = c) passes
    # outside the corner, so every point of it has x + y > maxx + maxy
    a = 0.002
    out.append((Polygon([(maxx - a, maxy + 2 * a), (maxx + 2 * a, maxy - a),
                         (maxx + 2 * a, maxy + 2 * a)]), False))
    out.append((Polygon([(minx + a, miny - 2 * a), (minx - 2 * a, miny + a),
                         (minx - 2 * a, miny - 2 * a)]), False))
    # a triangle pointing at the right edge from outside, its tip d from it: every point has
    # x >= maxx + d, and the tip is inside the box when d <= 0
    ymid = (miny + maxy) / 2
    for i, dist in enumerate((0.0, 1e-9, -1e-9, 2e-6, 1e-12)):
        tip = maxx + dist
        y = ymid + i * (maxy - miny) / 20
        out.append((Polygon([(tip, y), (tip + 0.01, y - 0.004), (tip + 0.01, y + 0.004)]),
                    dist <= 0))
    # a vertex exactly on the corner: touching counts
    out.append((Polygon([(maxx, miny), (maxx + 0.01, miny - 0.004), (maxx + 0.004, miny - 0.01)]),
                True))
    # an L-shaped polygon wrapped round the top right corner: envelope covers the corner, the
    # shape keeps off it by 1e-9 in x
    g = 1e-9
    out.append((Polygon([(maxx + g, maxy + g), (maxx + g, miny - 0.01),
                         (maxx + 0.02, miny - 0.01), (maxx + 0.02, maxy + 0.02),
                         (minx - 0.01, maxy + 0.02), (minx - 0.01, maxy + g)]), False))
    return out


@pytest.fixture
def scene(store):
    rng = np.random.default_rng(20240611)
    boxes = [_random_box(rng, cell) for cell in range(6)]
    finds, hazards = [], []
    for b, bbox in enumerate(boxes):
        for i, (x, y) in enumerate(_edge_points(rng, bbox, 120)):
            finds.append(_find(f"F{b}-{i}", x, y))
        for i, (poly, _) in enumerate(_shapes(bbox)):
            assert poly.is_valid
            hazards.append(_hazard(f"H{b}-{i}", poly))
    # scattered points, all over the territory
    for i, (x, y) in enumerate(zip(rng.uniform(50.3, 51.7, 400), rng.uniform(40.9, 41.9, 400),
                                   strict=True)):
        finds.append(_find(f"R{i}", float(x), float(y)))
    with store.transaction() as tx:
        tx.add_many(finds)
        tx.add_many(hazards)
    return store, boxes, finds, hazards


def test_bbox_returns_exactly_the_features_that_intersect_the_box(scene):
    store, boxes, finds, _ = scene
    for b, bbox in enumerate(boxes):
        want = {f.id for f in finds if _inside(bbox, f.geometry.x, f.geometry.y)}
        got = [r.id for r in store.iter("finds", Query(bbox=bbox))]
        assert len(got) == len(set(got))
        assert set(got) - want == set(), "returned outside the box"
        assert want - set(got) == set(), "intersecting but not returned"
        assert store.count("finds", Query(bbox=bbox)) == len(want)
        want_h = {f"H{b}-{i}" for i, (_, hit) in enumerate(_shapes(bbox)) if hit}
        got_h = [r.id for r in store.iter("hazards", Query(bbox=bbox))]
        assert set(got_h) == want_h and len(got_h) == len(want_h)
        assert store.count("hazards", Query(bbox=bbox)) == len(want_h)


def test_count_and_pages_agree_with_iter(scene):
    store, boxes, _, _ = scene
    for bbox in boxes[:3]:
        q = Query(bbox=bbox)
        full = [r.id for r in store.iter("finds", q)]
        assert full == sorted(full)
        pages: list[str] = []
        for offset in range(0, len(full) + 40, 37):
            page = [r.id for r in store.iter("finds", Query(bbox=bbox, limit=37, offset=offset))]
            assert store.count("finds", Query(bbox=bbox, limit=37, offset=offset)) == len(page)
            pages.extend(page)
        assert pages == full
        with_where = Query(bbox=bbox, where={"category": "ap"})
        assert store.count("finds", with_where) == len(full) == len(store.query("finds",
                                                                                with_where))


def test_degenerate_boxes_are_lines_and_points(store):
    x, y0, y1 = 50.8, 41.2, 41.3
    with store.transaction() as tx:
        tx.add_many([_find("on", x, 41.25), _find("end", x, y1), _find("beside", x + 1e-9, 41.25),
                     _find("beyond", x, y1 + 1e-9)])
        tx.add(_hazard("across", box(x - 0.01, 41.22, x + 0.01, 41.23)))
        tx.add(_hazard("off", box(x + 1e-9, 41.22, x + 0.01, 41.23)))
    assert [r.id for r in store.iter("finds", Query(bbox=(x, y0, x, y1)))] == ["end", "on"]
    assert [r.id for r in store.iter("hazards", Query(bbox=(x, y0, x, y1)))] == ["across"]
    assert [r.id for r in store.iter("finds", Query(bbox=(x, y1, x, y1)))] == ["end"]
    assert store.count("finds", Query(bbox=(x, y1, x, y1))) == 1
    assert [r.id for r in store.iter("hazards", Query(bbox=(x - 0.02, 41.225, x + 0.02,
                                                            41.225)))] == ["across", "off"]
    with pytest.raises(ValueError, match="min <= max"):
        store.query("finds", Query(bbox=(x, y1, x, y0)))


def test_bbox_and_intersects_each_must_meet_the_feature(store):
    """A long hazard meets the box at one end and the geometry at the other, though the box
    and the geometry's bounds are far apart."""
    long = box(50.5, 41.0, 50.9, 41.001)
    with store.transaction() as tx:
        tx.add(_hazard("long", long))
        tx.add(_hazard("west", box(50.5, 41.01, 50.51, 41.02)))
    west_box = (50.49, 40.99, 50.52, 41.03)
    east = LineString([(50.89, 40.99), (50.895, 41.03)])
    assert [r.id for r in store.iter("hazards", Query(bbox=west_box, intersects=east))] \
        == ["long"]
    assert store.count("hazards", Query(bbox=west_box, intersects=east)) == 1
    assert {r.id for r in store.iter("hazards", Query(bbox=west_box))} == {"long", "west"}

"""What the public sees of hazards, released land and accidents: generalised, on both
adapters, whatever the query; and the grid itself, checked against geodesic distances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, box

from mineaction import domain as d
from mineaction.access import Actor
from mineaction.access.generalise import cell, grid_cells, snap_point
from mineaction.access.policy import PolicySettings
from mineaction.store import Store

GEOD = Geod(ellps="WGS84")


def _hazard(i: int, x: float, y: float) -> d.Hazard:
    # an irregular polygon with many vertices, none on a round number
    angles = np.linspace(0, 2 * math.pi, 37)[:-1]
    radius = 0.004 + 0.0013 * np.sin(5 * angles)
    ring = [(x + r * math.cos(a), y + 0.75 * r * math.sin(a)) for a, r in zip(angles, radius,
                                                                          strict=True)]
    return d.Hazard(id=f"H{i}", kind=d.HazardKind.CHA, geometry=MultiPolygon([Polygon(ring)]),
                    admin_area_id="A1", owner="AX", country="XV", source="s",
                    attributes='{"informant": "x"}')


@pytest.fixture
def public(store: Store) -> tuple[Store, list[d.Hazard], list[d.Accident]]:
    hazards = [_hazard(i, 50.61 + 0.137 * i, 41.23 + 0.071 * i) for i in range(6)]
    accidents = [d.Accident(id=f"X{i}", geometry=Point(50.6123 + 0.11 * i, 41.3377 + 0.05 * i),
                            owner="AX", country="XV", device_model="PMN-2")
                 for i in range(6)]
    area = d.AdminArea(id="A1", name="District", level=2, country="XV",
                       geometry=MultiPolygon([box(50.5, 41.1, 51.5, 41.8)]))
    with store.transaction() as tx:
        tx.add_many([area, *hazards, *accidents])
    return store, hazards, accidents


def _coords(geom: object) -> set[tuple[float, float]]:
    return {(float(x), float(y)) for x, y in shapely.get_coordinates(geom)}


def _is_corner(x: float, y: float, c: object) -> bool:
    minx, miny, maxx, maxy = c.bounds  # type: ignore[attr-defined]
    return min(abs(x - minx), abs(x - maxx)) < 1e-9 and min(abs(y - miny), abs(y - maxy)) < 1e-9


def test_public_hazards_show_no_vertex_of_the_exact_polygons(public) -> None:  # type: ignore
    store, hazards, _ = public
    shown = {h.id: h for h in store.as_actor(Actor.anonymous()).iter("hazards")}
    assert set(shown) == {h.id for h in hazards}
    exact_vertices = set().union(*(_coords(h.geometry) for h in hazards))
    for h in hazards:
        g = shown[h.id].geometry
        assert not _coords(g) & exact_vertices
        assert g.covers(h.geometry)  # the cells hold the whole hazard
        assert shown[h.id].attributes is None  # what a file held beyond the fields
        # every vertex of the shown geometry is a corner of a 5 km cell
        for x, y in _coords(g):
            assert any(_is_corner(x, y, cell(x + dx, y + dy, 5.0))
                       for dx in (-1e-9, 1e-9) for dy in (-1e-9, 1e-9))


def test_public_accidents_are_snapped_to_the_centre_of_their_cell(public) -> None:  # type: ignore
    store, _, accidents = public
    shown = {a.id: a for a in store.as_actor(Actor.anonymous()).iter("accidents")}
    for a in accidents:
        g = shown[a.id].geometry
        c = cell(a.geometry.x, a.geometry.y, 5.0)
        assert c.contains(a.geometry)
        assert (g.x, g.y) == pytest.approx(((c.bounds[0] + c.bounds[2]) / 2,
                                            (c.bounds[1] + c.bounds[3]) / 2), abs=1e-12)
        assert (g.x, g.y) != (a.geometry.x, a.geometry.y)
        assert shown[a.id].device_model == "PMN-2"  # a public field


def test_boxes_cannot_find_an_exact_hazard(public) -> None:  # type: ignore
    """A box inside a hazard's cells but off the exact polygon still finds the record, and
    one off the cells finds nothing: the box is checked on what the public sees."""
    store, hazards, _ = public
    view = store.as_actor(Actor.anonymous())
    h = hazards[0]
    cells = grid_cells(h.geometry, 5.0)
    off = cells.difference(h.geometry.buffer(0.0005))
    p = off.representative_point()
    probe = (p.x - 1e-6, p.y - 1e-6, p.x + 1e-6, p.y + 1e-6)
    assert not box(*probe).intersects(h.geometry)
    assert "H0" in {r.id for r in view.iter("hazards", bbox=probe)}
    assert view.count("hazards", bbox=probe) >= 1
    outside = cells.envelope.buffer(0.01).difference(cells.buffer(0.001)).representative_point()
    far = (outside.x, outside.y, outside.x, outside.y)
    assert "H0" not in {r.id for r in view.iter("hazards", bbox=far)}
    # the extent is the generalised one
    x0, y0, x1, y1 = view.extent("hazards")  # type: ignore[misc]
    assert (x0, y0) not in _coords(h.geometry)


def test_the_public_grid_is_a_setting(public) -> None:  # type: ignore
    store, hazards, accidents = public
    coarse = store.as_actor(Actor.anonymous(),
                            settings=PolicySettings(grid_km=20.0, point_km=10.0))
    g = coarse.get("hazards", "H0").geometry
    assert g.equals(grid_cells(hazards[0].geometry, 20.0))
    a = coarse.get("accidents", "X0").geometry
    assert a.equals(snap_point(accidents[0].geometry, 10.0))
    by_area = store.as_actor(Actor.anonymous(), settings=PolicySettings(polygons="admin"))
    assert by_area.get("hazards", "H0").geometry.equals(
        MultiPolygon([box(50.5, 41.1, 51.5, 41.8)]))


@pytest.mark.parametrize("km", [1.0, 5.0, 12.5])
@pytest.mark.parametrize("lat", [-60.3, -0.01, 0.0, 41.37, 69.9])
def test_cells_are_km_square_on_the_ellipsoid(km: float, lat: float) -> None:
    """Checked by geodesic distances (pyproj's Geod, Karney's algorithm), independent of the
    meridian walk and the parallel radius the grid is built from."""
    c = cell(50.123, lat, km)
    minx, miny, maxx, maxy = c.bounds
    assert miny <= lat < maxy and minx <= 50.123 < maxx
    height = GEOD.inv(minx, miny, minx, maxy)[2]
    assert height == pytest.approx(km * 1000, rel=1e-6)
    mid = (miny + maxy) / 2
    # along the parallel (not the geodesic): the length of the arc, measured by many steps
    xs = np.linspace(minx, maxx, 200)
    width = sum(GEOD.inv(xs[i], mid, xs[i + 1], mid)[2] for i in range(len(xs) - 1))
    assert width == pytest.approx(km * 1000, rel=1e-4)
    # the band below ends where this one begins
    below = cell(50.123, miny - 1e-9, km)
    assert below.bounds[3] == pytest.approx(miny, abs=1e-12)

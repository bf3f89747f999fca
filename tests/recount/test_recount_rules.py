"""The recount's own pieces, on small hand-made cases: its measure of area against an
equal-area projection, the union of overlapping land, and the suppression rules (a table that
leaks a hidden count is caught, a safe one is not)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from tests.recount import recount as rc


def laea_area(geom: Any) -> float:
    """Area on a Lambert azimuthal equal-area projection centred on the polygon, its edges cut
    into 200 straight pieces each: another way to the same number, to well under a part per
    million for a few hundred metres. (Not shapely.segmentize: it collapses the thin part
    below.)"""
    c = geom.centroid
    proj = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=laea +lat_0={c.y} +lon_0={c.x} +ellps=WGS84", always_xy=True)

    def ring(coords: Any) -> list[tuple[float, float]]:
        xy = np.asarray(coords)[:, :2]
        t = np.linspace(0.0, 1.0, 200, endpoint=False)[:, None]
        pts = np.vstack([a + t * (b - a) for a, b in zip(xy[:-1], xy[1:], strict=True)])
        x, y = proj.transform(pts[:, 0], pts[:, 1])
        return list(zip(x, y, strict=True))

    return sum(Polygon(ring(p.exterior.coords), [ring(i.coords) for i in p.interiors]).area
               for p in shapely.get_parts(geom))


def test_geodesic_area_agrees_with_an_equal_area_projection() -> None:
    for geom in (box(50.5, 41.0, 50.51, 41.01),
                 Polygon([(51.0, 41.2), (51.02, 41.205), (51.01, 41.23), (50.995, 41.21)])):
        assert rc.geodesic_area(geom) == pytest.approx(laea_area(geom), rel=1e-6)
    holed = Polygon(box(50.5, 41.0, 50.52, 41.02).exterior.coords,
                    [box(50.505, 41.005, 50.51, 41.01).exterior.coords])
    assert rc.geodesic_area(holed) == pytest.approx(
        rc.geodesic_area(box(50.5, 41.0, 50.52, 41.02))
        - rc.geodesic_area(box(50.505, 41.005, 50.51, 41.01)), abs=1e-6)


def test_a_thin_part_keeps_its_area() -> None:
    """A hazard version of the demo (seed 1, scale 0.1) whose second part GEOS 3.14's
    segmentize collapses to nothing: the recount measures both parts."""
    a = Polygon([(51.08784784427133, 41.72524489174109), (51.08218876329689, 41.72214999356408),
                 (51.08156165383978, 41.72279352968945), (51.08722076129275, 41.725888458376495)])
    b = Polygon([(51.07896771944735, 41.72270074300295), (51.08713818156442, 41.72745268360068),
                 (51.07936608062716, 41.72293242985686), (51.08114297741252, 41.72060171081445),
                 (51.08166627557862, 41.7200967501558)])
    both = MultiPolygon([a, b])
    assert rc.geodesic_area(b) == pytest.approx(laea_area(b), rel=1e-6)
    assert rc.geodesic_area(b) > 6_000
    assert rc.geodesic_area(both) == pytest.approx(rc.geodesic_area(a) + rc.geodesic_area(b))


def test_land_released_twice_counts_once() -> None:
    a, b = box(50.5, 41.0, 50.51, 41.01), box(50.505, 41.0, 50.515, 41.01)
    assert rc.union_area([a, b]) == pytest.approx(
        rc.geodesic_area(a) + rc.geodesic_area(b) - rc.geodesic_area(a.intersection(b)),
        abs=1e-3)
    assert rc.union_area([a, a]) == pytest.approx(rc.geodesic_area(a), abs=1e-6)
    assert rc.union_area([]) == 0.0


def cell(v: int | None, suppressed: str | None = None) -> dict[str, Any]:
    shown = "<5" if suppressed == "primary" else "x" if suppressed else f"{v}"
    return {"value": None if suppressed else v, "suppressed": suppressed, "shown": shown}


def casualty_table(rows: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]],
                   total: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]
                   ) -> dict[str, Any]:
    cols = [{"name": "year", "numeric": False}] + [
        {"name": n, "numeric": True} for n in ("killed", "injured", "total")]
    return {"name": "by-year", "key": "year", "columns": cols,
            "rows": [{"year": {"value": k}, "killed": a, "injured": b, "total": c}
                     for k, a, b, c in rows],
            "total": {"year": {"value": "Total"}, "killed": total[0], "injured": total[1],
                      "total": total[2]}}


def test_a_hidden_count_worked_out_from_the_totals_is_caught() -> None:
    # As the demo's 2022 table printed it: the total row gives killed = 9 - 8 = 1.
    leaky = casualty_table([("2022", cell(1, "primary"), cell(8, "secondary"), cell(9))],
                           (cell(1, "primary"), cell(8), cell(9)))
    found = rc.worked_out(leaky, 5)
    assert any("'2022' column killed" in f for f in found), found
    assert any("'Total' column killed" in f for f in found), found


def test_a_table_that_hides_enough_leaks_nothing() -> None:
    safe = casualty_table([("2021", cell(2, "primary"), cell(6, "secondary"), cell(8)),
                           ("2022", cell(7, "secondary"), cell(3, "primary"), cell(10))],
                          (cell(9), cell(9), cell(18)))
    assert rc.worked_out(safe, 5) == []


@pytest.mark.parametrize(("ours", "recount", "wrong"), [
    (cell(None, "primary"), 0, True),  # a zero is never hidden
    (cell(None, "primary"), 5, True),  # 5 is not below 5
    (cell(None, "primary"), 3, False),
    (cell(None, "secondary"), 0, True),  # hides nothing
    (cell(None, "secondary"), 12, False),
    (cell(3), 3, True),  # a small count shown
    (cell(6), 6, False),
    (cell(6), 7, True),
    (cell(0), 0, False),
])
def test_suppression_rules(ours: dict[str, Any], recount: int, wrong: bool) -> None:
    problem = rc.check_cell("t", ours, rc.Cell(recount, "people", ()), 5)
    assert (problem is not None) == wrong, problem


def test_areas_agree_to_a_tenth_of_a_square_metre_per_record() -> None:
    exp = rc.Cell(1000.0, "area", ("a", "b", "c"), 1000.0)
    assert rc.check_cell("t", {"value": 1000.29}, exp, 5) is None
    assert rc.check_cell("t", {"value": 1000.31}, exp, 5) is not None
    km2 = rc.Cell(2_500_000.0, "km2", ("a",))
    assert rc.check_cell("t", {"value": 2.5}, km2, 5) is None
    assert rc.check_cell("t", {"value": 2.5000002}, km2, 5) is not None


def test_a_row_sum_of_named_columns_leaves_other_counts_out() -> None:
    """Risk education: girls + boys + women + men = total on every row; the sessions column is
    no part of that sum, and a hidden count follows from the others only through it."""
    cols = [{"name": "place", "numeric": False}] + [
        {"name": n, "numeric": True} for n in ("sessions", "girls", "boys", "total")]

    def table(girls: dict[str, Any], boys: dict[str, Any]) -> dict[str, Any]:
        return {"name": "place", "key": "place", "columns": cols,
                "rows": [{"place": {"value": "school"}, "sessions": cell(3), "girls": girls,
                          "boys": boys, "total": cell(9)}]}

    leaky = table(cell(2, "primary"), cell(7))
    assert any("column girls" in f for f in rc.worked_out(leaky, 5, ("girls", "boys")))
    safe = table(cell(2, "primary"), cell(7, "secondary"))
    assert rc.worked_out(safe, 5, ("girls", "boys")) == []

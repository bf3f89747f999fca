"""Reports that describe a state give it as at the end of their period: Article 7 Form C and
CCM Form F list the hazards open that day, each with its area that day."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, box
from shapely.geometry.base import BaseGeometry

from mineaction import domain as d
from mineaction.analysis.statistics import Period, Scope
from mineaction.release.engine import apply_activities, record_hazards
from mineaction.release.queries import hazards_at
from mineaction.reports import build
from mineaction.store import Store

S = "synthetic:state-test"
AP, CMR = d.EOCategory.AP, d.EOCategory.CMR
Y = dt.date

H1 = box(50.60, 41.30, 50.605, 41.304)  # AP, open in 2021, cleared in 2023
H2 = box(50.62, 41.30, 50.625, 41.304)  # AP, recorded in 2022
H3 = box(50.64, 41.30, 50.650, 41.304)  # AP, reduced in 2021 and again in 2022
R1 = box(50.64, 41.30, 50.643, 41.304)  # H3's first reduction (2021)
R2 = box(50.643, 41.30, 50.646, 41.304)  # H3's second reduction (2022)
H4 = box(50.66, 41.30, 50.665, 41.304)  # CMR, open in 2021, cleared in 2022


def geodesic_m2(geom: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid measured apart from mineaction (densified to 1e-4°)."""
    geod = pyproj.Geod(ellps="WGS84")
    total = 0.0
    for poly in shapely.get_parts(shapely.segmentize(geom, 1e-4)):
        for k, ring in enumerate([poly.exterior, *poly.interiors]):
            xy = np.asarray(ring.coords)
            a, _ = geod.polygon_area_perimeter(xy[:, 0], xy[:, 1])
            total += abs(a) if k == 0 else -abs(a)
    return total


def hazard(hid: str, geom: BaseGeometry, on: dt.date, cont: set[d.EOCategory]) -> d.Hazard:
    return d.Hazard(id=hid, kind=d.HazardKind.CHA, contamination=frozenset(cont),
                    recorded_on=on, admin_area_id="D1", geometry=MultiPolygon([geom]),
                    estimated_mines=10, source=S)


def activity(aid: str, kind: str, geom: BaseGeometry, on: dt.date) -> d.Activity:
    outcome = {"ts": "reduced", "clearance": "cleared"}[kind]
    return d.Activity(id=aid, kind=d.ActivityKind(kind), operator="Op A", started_on=on,
                      ended_on=on, outcome=d.ReleaseOutcome(outcome),
                      geometry=MultiPolygon([geom]), source=S)


@pytest.fixture
def programme(store: Store) -> Store:
    hazards = [hazard("H1", H1, Y(2021, 1, 5), {AP}), hazard("H2", H2, Y(2022, 3, 1), {AP}),
               hazard("H3", H3, Y(2021, 1, 5), {AP}), hazard("H4", H4, Y(2021, 1, 5), {CMR})]
    acts = [activity("A1", "ts", R1, Y(2021, 6, 1)), activity("A2", "ts", R2, Y(2022, 6, 1)),
            activity("A3", "clearance", H4, Y(2022, 9, 1)),
            activity("A4", "clearance", H1, Y(2023, 5, 1))]
    with store.transaction() as tx:
        tx.add(d.AdminArea(id="D1", name="Alda District (synthetic)", level=2,
                           geometry=box(50.5, 41.2, 50.8, 41.5), source=S))
        tx.add_many(hazards)
        record_hazards(tx, hazards)
    with store.transaction() as tx:
        tx.add_many(acts)
        apply_activities(tx, acts)
    return store


def areas(table) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {r["hazard"].value: r["area_m2"].value for r in table.rows}


def test_form_c_is_the_hazards_open_at_the_end_of_the_period(programme: Store) -> None:
    rep = build(programme, "article7", Scope(Period.of(2021)))
    form_c = rep.table("form-c")
    # H1 was closed later and is listed; H2 was recorded later and is not; H3 has the area it
    # had after its first reduction only.
    expected = {"H1": geodesic_m2(H1), "H3": geodesic_m2(H3.difference(R1))}
    got = areas(form_c)
    assert sorted(got) == sorted(expected)
    for hid, area in expected.items():
        assert got[hid] == pytest.approx(area, abs=1.0), hid  # the report rounds to 1 m²
    # The same as the history read directly.
    then = {h.id: h for h in hazards_at(programme, Y(2021, 12, 31))
            if h.status == d.HazardStatus.OPEN and AP in h.contamination}
    assert set(then) == set(got)
    assert form_c.total["area_m2"].value == sum(got.values())
    assert any("2021-12-31" in n for n in form_c.notes)
    # CCM Form F: H4 was open at the end of 2021, closed in 2022.
    assert areas(rep.table("ccm-form-f")) == {"H4": pytest.approx(geodesic_m2(H4), abs=1.0)}


def test_form_c_of_a_later_year_and_without_an_end(programme: Store) -> None:
    later = build(programme, "article7", Scope(Period.of(2024)))
    got = areas(later.table("form-c"))
    assert sorted(got) == ["H2", "H3"]
    assert got["H3"] == pytest.approx(geodesic_m2(H3.difference(R1).difference(R2)), abs=1.0)
    assert later.table("ccm-form-f").rows == []
    # Without an end to the period: the hazards as they stand today.
    today = build(programme, "article7", Scope(Period(start=Y(2021, 1, 1))))
    assert sorted(areas(today.table("form-c"))) == sorted(
        h.id for h in programme.iter("hazards", status="open")
        if AP in h.contamination)  # type: ignore[attr-defined]
    assert any("today" in n for n in today.table("form-c").notes)


def test_hazards_at_reads_history_in_one_pass(programme: Store,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = programme.get

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(programme, "get", spy)
    then = list(hazards_at(programme, Y(2022, 12, 31)))
    assert calls == []  # no read per hazard
    assert [h.id for h in then] == ["H1", "H2", "H3", "H4"]
    status = {h.id: h.status for h in then}
    assert status["H4"] == d.HazardStatus.CLOSED and status["H1"] == d.HazardStatus.OPEN
    assert then[0].closed_on is None  # closed only later
    boxed = list(hazards_at(programme, Y(2022, 12, 31), bbox=(50.615, 41.29, 50.63, 41.31)))
    assert [h.id for h in boxed] == ["H2"]


def test_a_hazard_without_history_counts_from_its_recording(store: Store) -> None:
    with store.transaction() as tx:  # written straight, as an older mineaction did
        tx.add(hazard("H9", H1, Y(2022, 1, 1), {AP}))
    assert [h.id for h in hazards_at(store, Y(2022, 6, 1))] == ["H9"]
    assert list(hazards_at(store, Y(2021, 6, 1))) == []

"""Released land is land: where release steps hold the same ground (one activity over two
overlapping hazards, two activities released outside any hazard on the same ground), every
land figure of every report is the area of the union of the steps' polygons, checked here
against an independent measurement (shapely union, then pyproj's geodesic area of the
densified rings), and the reports and the import say where steps overlap."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from mineaction import domain as d
from mineaction.analysis import statistics as st
from mineaction.analysis.statistics import Period, Scope
from mineaction.io.load import import_file
from mineaction.release.queries import released_area
from mineaction.reports import Options, build
from mineaction.store import Store

S = "synthetic:land-test"
# Two hazards that overlap, in two districts; a non-technical survey cancels the west of the
# first; one clearance then clears what is left of both (two steps holding the same land).
HA = box(50.600, 41.300, 50.610, 41.306)
HB = box(50.606, 41.302, 50.616, 41.308)
N1 = box(50.598, 41.299, 50.603, 41.307)
C1 = box(50.603, 41.299, 50.618, 41.309)
# Two clearance tasks outside any hazard, overlapping each other, in battle area with CMR.
O1 = box(50.700, 41.400, 50.706, 41.404)
O2 = box(50.703, 41.402, 50.709, 41.406)


def geodesic_m2(geom: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid, measured apart from mineaction: edges densified to 1e-4°
    (straight in lon/lat, as stored), then pyproj's geodesic polygon area ring by ring."""
    geod = pyproj.Geod(ellps="WGS84")
    total = 0.0
    for poly in shapely.get_parts(shapely.segmentize(geom, 1e-4)):
        for k, ring in enumerate([poly.exterior, *poly.interiors]):
            xy = np.asarray(ring.coords)
            a, _ = geod.polygon_area_perimeter(xy[:, 0], xy[:, 1])
            total += abs(a) if k == 0 else -abs(a)
    return total


def union_m2(*geoms: BaseGeometry) -> float:
    return geodesic_m2(shapely.union_all(list(geoms)))


# What each method released, from the inputs alone.
CANCELLED = HA.intersection(N1)
CLEARED_HA = HA.difference(N1).intersection(C1)
CLEARED_HB = HB.intersection(C1)
OUTSIDE = [O1, O2]


def feature(geom: BaseGeometry, **props: object) -> dict[str, object]:
    return {"type": "Feature", "properties": {"source": S, **props},
            "geometry": geom.__geo_interface__}


def write(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


@pytest.fixture
def programme(store: Store, tmp_path: Path) -> tuple[Store, list[str]]:
    """The store, and the messages of the activities import."""
    with store.transaction() as tx:
        tx.add_many([
            d.AdminArea(id="R", name="Region (synthetic)", level=1, geometry=box(50.5, 41.2,
                                                                                  50.8, 41.5),
                        source=S),
            d.AdminArea(id="D1", name="Alda District (synthetic)", level=2, parent_id="R",
                        geometry=box(50.5, 41.2, 50.606, 41.5), source=S),
            d.AdminArea(id="D2", name="Borun District (synthetic)", level=2, parent_id="R",
                        geometry=box(50.606, 41.2, 50.8, 41.5), source=S)])
    hazards = write(tmp_path / "hazards.geojson", [
        feature(HA, id="HA", kind="cha", contamination="ap", recorded_on="2022-01-10",
                admin_area_id="D1"),
        feature(HB, id="HB", kind="cha", contamination="ap", recorded_on="2022-01-10",
                admin_area_id="D2")])
    import_file(store, "hazards", hazards)
    acts = write(tmp_path / "activities.geojson", [
        feature(N1, id="N1", kind="nts", operator="Op A", ended_on="2023-02-01",
                outcome="cancelled", outside_hazard=False),
        feature(C1, id="C1", kind="clearance", operator="Op A", ended_on="2023-03-01",
                outcome="cleared", outside_hazard=False),
        feature(O1, id="O1", kind="clearance", operator="Op B", ended_on="2023-05-01",
                outcome="cleared", outside_hazard=True, contamination="cmr"),
        feature(O2, id="O2", kind="clearance", operator="Op B", ended_on="2023-06-01",
                outcome="cleared", outside_hazard=True, contamination="cmr")])
    messages = import_file(store, "activities", acts).messages
    with store.transaction() as tx:
        tx.add_many([d.Find(id=f"F-{a}", category=d.EOCategory.AP, quantity=1,
                            found_on=dt.date(2023, 6, 30), destroyed_on=dt.date(2023, 6, 30),
                            activity_id=a, geometry=shapely.Point(50.61, 41.303), source=S)
                     for a in ("C1", "O1", "O2")])
    return store, messages


YEAR = Scope(Period.of(2023))


def test_the_inputs_overlap_as_intended() -> None:
    # The test is about overlap: make sure there is some, and that sums would be wrong.
    assert geodesic_m2(CLEARED_HA.intersection(CLEARED_HB)) > 10_000
    assert geodesic_m2(O1.intersection(O2)) > 40_000
    assert CANCELLED.area > 0 and CANCELLED.intersection(C1).area == 0


def test_district_table_gives_land_and_says_where_steps_overlap(programme) -> None:
    store, _ = programme
    rep = build(store, "ap-release-by-district", YEAR)
    t = rep.table("districts")
    got = {r["district"].value: r["area_released_m2"].value for r in t.rows}
    assert got["Alda District (synthetic)"] == pytest.approx(geodesic_m2(CLEARED_HA), abs=0.5)
    assert got["Borun District (synthetic)"] == pytest.approx(geodesic_m2(CLEARED_HB), abs=0.5)
    assert got["(no area recorded)"] == pytest.approx(union_m2(*OUTSIDE), abs=0.5)
    everything = union_m2(CLEARED_HA, CLEARED_HB, *OUTSIDE)
    assert t.total["area_released_m2"].value == pytest.approx(everything, abs=0.5)
    assert sorted(t.total["area_released_m2"].figure.ids) == [
        "C1/HA", "C1/HB", "O1/outside", "O2/outside"]
    rows_overlap = sum(got.values()) - everything
    assert rows_overlap == pytest.approx(geodesic_m2(CLEARED_HA.intersection(CLEARED_HB)),
                                         abs=0.5)
    # The notes: the rows overlap (HA and HB lie in two districts), and one cell holds two
    # steps with the same land (the two tasks outside any hazard).
    (rows_note,) = [n for n in t.notes if n.startswith("Rows overlap")]
    assert f"area_released_m2 +{rows_overlap:,.1f} m²" in rows_note
    (steps_note,) = [n for n in t.notes if n.startswith("Release steps hold the same land")]
    twice = geodesic_m2(O1.intersection(O2))
    assert f"(no area recorded)/area_released_m2 {twice:,.1f} m²" in steps_note
    assert "Alda District (synthetic)/" not in steps_note  # one step there: nothing to say
    # The methods stay apart: all of it was cleared, nothing of it cancelled or reduced.
    methods = rep.table("methods")
    assert methods.total["cleared_m2"].value == pytest.approx(everything, abs=0.5)
    assert methods.total["cancelled_m2"].value == 0
    assert methods.total["reduced_m2"].value == 0


def test_contamination_table_keeps_methods_apart_and_totals_the_land(programme) -> None:
    store, _ = programme
    t = build(store, "ap-release-by-district", YEAR).table("contamination")
    ap = t.cell("AP mines only", "cleared_m2")
    assert ap.value == pytest.approx(union_m2(CLEARED_HA, CLEARED_HB), abs=0.5)
    assert sorted(ap.figure.ids) == ["C1/HA", "C1/HB"]
    assert t.cell("AP mines only", "cancelled_m2").value == pytest.approx(
        geodesic_m2(CANCELLED), abs=0.5)
    assert t.cell("AP mines only", "cancelled_m2").figure.ids == ["N1/HA"]
    assert t.cell("Battle area (no AP or AV mines)", "cleared_m2").value == pytest.approx(
        union_m2(*OUTSIDE), abs=0.5)
    assert t.total["cleared_m2"].value == pytest.approx(
        union_m2(CLEARED_HA, CLEARED_HB, *OUTSIDE), abs=0.5)
    assert t.total["cancelled_m2"].value == pytest.approx(geodesic_m2(CANCELLED), abs=0.5)
    assert "cleared_m2" in t.land and "cleared_m2" not in t.summed
    assert any("AP mines only/cleared_m2" in n for n in t.notes)


def test_five_year_table_measures_land_in_km2(programme) -> None:
    store, _ = programme
    t = build(store, "ap-clearance-five-year", YEAR).table("years")
    row = t.cell("2023", "ap_cleared_km2")
    assert row.value == pytest.approx(union_m2(CLEARED_HA, CLEARED_HB) / 1e6, abs=1e-6)
    assert t.cell("2023", "ap_only_cleared_km2").value == pytest.approx(row.value, abs=1e-9)
    assert t.cell("2023", "ap_cancelled_km2").value == pytest.approx(
        geodesic_m2(CANCELLED) / 1e6, abs=1e-6)
    assert t.total["ap_cleared_km2"].value == pytest.approx(row.value, abs=1e-9)
    assert any("2023/ap_cleared_km2" in n for n in t.notes)


def test_progress_and_form_f_measure_land(programme) -> None:
    store, _ = programme
    rep = build(store, "progress", YEAR, Options(quarter=1))
    release = rep.table("release")
    assert release.cell("Alda District (synthetic)", "cancelled_m2").value == pytest.approx(
        geodesic_m2(CANCELLED), abs=0.5)
    assert release.total["cleared_m2"].value == pytest.approx(
        union_m2(CLEARED_HA, CLEARED_HB), abs=0.5)
    assert rep.table("operators").cell("Op A", "cleared_m2").value == pytest.approx(
        union_m2(CLEARED_HA, CLEARED_HB), abs=0.5)
    q2 = build(store, "progress", YEAR, Options(quarter=2))
    assert q2.table("plan").cell("Cleared, year to date", "area_km2").value == pytest.approx(
        union_m2(CLEARED_HA, CLEARED_HB, *OUTSIDE) / 1e6, abs=1e-6)
    assert q2.table("operators").cell("Op B", "cleared_m2").value == pytest.approx(
        union_m2(*OUTSIDE), abs=0.5)
    form_f = build(store, "article7", YEAR).table("ccm-form-f-release")
    assert form_f.cell("cleared", "area_m2").value == pytest.approx(union_m2(*OUTSIDE),
                                                                   abs=0.5)
    assert any("cleared/area_m2" in n for n in form_f.notes)


def test_statistics_give_land_and_released_area_keeps_the_sum_of_steps(programme) -> None:
    store, _ = programme
    by_method = {g.key["method"]: g for g in st.released(store, YEAR, ["method"])}
    cleared = by_method["cleared"]
    steps_sum = (geodesic_m2(CLEARED_HA) + geodesic_m2(CLEARED_HB) + geodesic_m2(O1)
                 + geodesic_m2(O2))
    assert cleared.figures["area_m2"].value == pytest.approx(
        union_m2(CLEARED_HA, CLEARED_HB, *OUTSIDE), abs=0.5)
    assert cleared.figures["recorded_m2"].value == pytest.approx(steps_sum, abs=0.5)
    assert by_method["cancelled"].figures["area_m2"].value == pytest.approx(
        geodesic_m2(CANCELLED), abs=0.5)
    # The store query stays the sum of the steps, for per-hazard accounting.
    rows = {r["method"]: r for r in released_area(store, ("method",))}
    assert rows["cleared"]["area_m2"] == pytest.approx(steps_sum, abs=0.5)


def test_import_warns_of_overlapping_activities_and_land_released_twice(programme) -> None:
    _, messages = programme
    text = "\n".join(messages)
    (pairs,) = [m for m in messages if "of activities overlap" in m]
    assert f"O1/O2 ({geodesic_m2(O1.intersection(O2)):,.0f} m²)" in pairs
    assert "N1/C1" not in pairs and "C1/N1" not in pairs  # they only touch
    (twice,) = [m for m in messages if "land released twice" in m]
    assert "2 pairs of release steps" in twice
    assert "C1/HA/C1/HB" in twice and "O1/outside/O2/outside" in twice
    shared = (geodesic_m2(CLEARED_HA.intersection(CLEARED_HB))
              + geodesic_m2(O1.intersection(O2)))
    assert f"{shared:,.1f} m² in 2 pairs" in twice
    # The summary line gives land per method, and how much more the steps add up to.
    land = union_m2(CLEARED_HA, CLEARED_HB, *OUTSIDE)
    assert f"cleared {land:,.1f} m²" in text
    steps_m2 = sum(geodesic_m2(g) for g in (CLEARED_HA, CLEARED_HB, *OUTSIDE))
    assert (f"cleared: the steps' areas add up to {steps_m2:,.1f} m², "
            f"{steps_m2 - land:,.1f} m² of it held by more than one step") in text


def test_contamination_remaining_is_counted_at_the_end_of_the_period(programme) -> None:
    # HA and HB are open all of 2022; in 2023 a survey cancels part of HA, then a clearance
    # releases the rest of both: at the end of 2022 they remain, at the end of 2023 none does.
    store, _ = programme
    t = build(store, "land-release", Scope(Period.of(2022))).table("remaining")
    assert t.as_of == dt.date(2022, 12, 31)
    alda = t.cell("Alda District (synthetic)", "cha_km2")
    assert alda.value == pytest.approx(geodesic_m2(HA) / 1e6, abs=1e-6)
    assert alda.figure.ids == ["HA"] and alda.figure.criteria["as at"] == "2022-12-31"
    assert t.cell("Borun District (synthetic)", "cha_km2").figure.ids == ["HB"]
    assert t.cell("Alda District (synthetic)", "sha_km2").value == 0
    # the total is the land under both (they overlap), never the sum of the rows
    assert t.total["cha_km2"].value == pytest.approx(union_m2(HA, HB) / 1e6, abs=1e-6)
    assert t.total["cha_km2"].figure.ids == ["HA", "HB"]
    mid = build(store, "land-release", Scope(Period(None, dt.date(2023, 2, 15))))
    part = mid.table("remaining").cell("Alda District (synthetic)", "cha_km2")
    assert part.value == pytest.approx(geodesic_m2(HA.difference(N1)) / 1e6, abs=1e-6)
    # the public counts and measures the history of hazards, never reads it: the same figures
    from mineaction.access import Actor

    public = build(store.as_actor(Actor.anonymous()), "land-release", Scope(Period.of(2022)))
    assert public.table("remaining").total["cha_km2"].value == t.total["cha_km2"].value
    later = build(store, "land-release", YEAR).table("remaining")
    assert later.as_of == dt.date(2023, 12, 31) and later.rows == [] and later.total is None


def test_a_period_without_end_is_counted_on_the_contexts_day(programme) -> None:
    # "today" is the context's clock, not the machine's date: a service called with a clock
    # set to 15 February 2023 counts what remained that day (part of HA cancelled by then)
    from mineaction.services import reports
    from mineaction.services.context import Context

    store, _ = programme
    day = dt.datetime(2023, 2, 15, 9, 0, tzinfo=dt.UTC)
    rep = reports.build(Context(store, clock=lambda: day), "land-release", Period())
    t = rep.table("remaining")
    assert t.as_of == dt.date(2023, 2, 15)
    part = t.cell("Alda District (synthetic)", "cha_km2")
    assert part.value == pytest.approx(geodesic_m2(HA.difference(N1)) / 1e6, abs=1e-6)
    assert part.figure.criteria["as at"] == "2023-02-15"
    later = reports.build(Context(store, clock=lambda: day.replace(year=2024)), "land-release",
                          Period()).table("remaining")
    assert later.as_of == dt.date(2024, 2, 15) and later.rows == []

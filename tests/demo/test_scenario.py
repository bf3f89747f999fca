"""The generator's promises, checked on a small scenario read back from its files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from mineaction.demo import truth as truth_file
from mineaction.demo.frame import BOX
from mineaction.domain.layers import all_layers
from mineaction.domain.ordnance import lookup
from mineaction.geo.measure import area_m2
from mineaction.store import open_store

from .conftest import Built, Plan

pytestmark = pytest.mark.xdist_group("demo")


def store_rows(db: Path) -> dict[str, list[dict[str, Any]]]:
    """Every record of every layer, as plain values (geometry as WKB), read through the store."""
    out: dict[str, list[dict[str, Any]]] = {}
    store = open_store(str(db))
    try:
        for layer in all_layers():
            try:
                records = list(store.iter(layer.name))
            except Exception:  # noqa: BLE001  (a layer this store does not have)
                continue
            rows = []
            for r in records:
                d = dict(vars(r))
                g = d.pop("geometry", None)
                d["geometry"] = None if g is None else shapely.to_wkb(g, hex=True)
                rows.append(d)
            out[layer.name] = rows
    finally:
        store.close()
    return out


def truth_rows(path: Path) -> dict[str, Any]:
    out = {}
    for name in truth_file.layers(path):
        geoms, cols = truth_file.read_layer(path, name)
        out[name] = ([None if g is None else g.wkb for g in geoms],
                     {k: list(v) for k, v in cols.items()})
    return out


# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_store_truth_and_records(scenario: Built, twin: Built) -> None:
    assert store_rows(scenario.db) == store_rows(twin.db)
    assert truth_rows(scenario.truth) == truth_rows(twin.truth)
    a = {p.name: p.read_text() for p in sorted(scenario.records.glob("*.json"))}
    b = {p.name: p.read_text() for p in sorted(twin.records.glob("*.json"))}
    assert a and a == b


def test_another_seed_gives_another_scenario(scenario: Built, other: Built) -> None:
    ha = [r["geometry"] for r in store_rows(scenario.db)["hazards"]
          if not shapely.from_wkb(r["geometry"]).is_empty]
    hb = [r["geometry"] for r in store_rows(other.db)["hazards"]
          if not shapely.from_wkb(r["geometry"]).is_empty]
    assert ha and hb and set(ha).isdisjoint(hb)
    la, _ = truth_file.read_layer(scenario.truth, "land")
    lb, _ = truth_file.read_layer(other.truth, "land")
    assert not la[0].equals(lb[0])


def _inside(g: BaseGeometry) -> bool:
    minx, miny, maxx, maxy = g.bounds
    return BOX[0] <= minx and maxx <= BOX[2] and BOX[1] <= miny and maxy <= BOX[3]


def test_every_geometry_in_store_and_truth_lies_inside_the_box(scenario: Built) -> None:
    n = 0
    for layer, rows in store_rows(scenario.db).items():
        for r in rows:
            if r["geometry"] is not None:
                g = shapely.from_wkb(r["geometry"])
                assert g.is_empty or _inside(g), (layer, r["id"], g.bounds)
                n += 1
    for name in truth_file.layers(scenario.truth):
        geoms, _ = truth_file.read_layer(scenario.truth, name)
        for g in geoms:
            if g is not None:
                assert _inside(g), (name, g.bounds)
                n += 1
    assert n > 1000


def test_every_record_is_marked_synthetic(scenario: Built) -> None:
    rows = store_rows(scenario.db)
    assert sum(len(v) for v in rows.values()) > 500
    for layer, records in rows.items():
        for r in records:
            assert str(r["source"]).startswith("synthetic:"), (layer, r["id"], r["source"])
    for p in scenario.records.glob("*.json"):
        assert json.loads(p.read_text())["source"].startswith("synthetic:")


def test_truth_never_reaches_the_operational_store(scenario: Built) -> None:
    store_layers = {str(r[0]) for r in pyogrio.list_layers(str(scenario.db))}
    truth_layers = set(truth_file.layers(scenario.truth))
    assert {"items", "sites", "record_errors", "left_behind"} <= truth_layers
    assert not store_layers & truth_layers
    # no record in the store names a true site, item or never-laid field
    text = json.dumps(store_rows(scenario.db), default=str)
    for prefix in ("FLD-", "NUI-", "BAT-", "CLU-", "NLF-", "IED-0"):
        assert prefix not in text


def test_finds_are_exactly_the_true_items_inside_cleared_polygons(scenario: Built) -> None:
    rows = store_rows(scenario.db)
    acts = {a["id"]: a for a in rows["activities"]}
    finds = rows["finds"]
    assert len(finds) > 100
    for f in finds:
        a = acts[f["activity_id"]]
        assert str(a["outcome"]) == "cleared"
        assert shapely.from_wkb(a["geometry"]).intersects(shapely.from_wkb(f["geometry"]))
        assert lookup(f["model"]) is not None or str(f["category"]) == "ied"
    cleared = shapely.union_all([shapely.from_wkb(a["geometry"]) for a in acts.values()
                                 if str(a["outcome"]) == "cleared"])
    geoms, cols = truth_file.read_layer(scenario.truth, "items")
    xy = np.array([g.coords[0] for g in geoms])
    inside = shapely.contains_xy(cleared, xy[:, 0], xy[:, 1])
    found = np.array([v is not None for v in cols["find_id"]])
    status = np.array(cols["status"])
    # every item inside cleared land was found, except those that had exploded or been taken
    # by an inspection before; and nothing outside was found
    assert not (found & ~shapely.intersects_xy(cleared, xy[:, 0], xy[:, 1])).any()
    assert set(status[inside & ~found]) <= {"exploded", "qc_found"}
    by_id = {f["id"]: f for f in finds}
    assert found.sum() == len(finds)
    for i in np.nonzero(found)[0]:
        f = by_id[cols["find_id"][i]]
        assert shapely.from_wkb(f["geometry"]).coords[0] == tuple(xy[i])
        assert str(f["category"]) == cols["category"][i] and f["model"] == cols["model"][i]


def test_survey_leaves_mines_behind_only_in_land_it_released(scenario: Built) -> None:
    rows = store_rows(scenario.db)
    acts = {a["id"]: a for a in rows["activities"]}
    geoms, cols = truth_file.read_layer(scenario.truth, "left_behind")
    assert geoms, "some released land still holds items"
    for g, aid, method in zip(geoms, cols["activity_id"], cols["method"], strict=True):
        a = acts[aid]
        assert str(a["outcome"]) == method and method in ("cancelled", "reduced")
        assert shapely.from_wkb(a["geometry"]).intersects(g)


def test_qc_inspects_about_five_percent_of_released_land(scenario: Built) -> None:
    rows = store_rows(scenario.db)
    released = sum(area_m2(shapely.from_wkb(s["geometry"])) for s in rows["release-steps"])
    qc = [q for q in rows["quality"] if str(q["kind"]) == "qc_inspection"]
    inspected = sum(area_m2(shapely.from_wkb(q["geometry"])) for q in qc)
    assert 0.02 < inspected / released < 0.09
    for q in qc:
        assert (str(q["result"]) == "fail") == (q["items_found"] > 0)
        assert (str(q["result"]) == "fail") == (str(q["severity"]) == "critical")
    visits = [q for q in rows["quality"] if str(q["kind"]) == "qa_visit"]
    assert visits and {str(q["result"]) for q in visits} == {"pass", "observation"}
    assert all(q["severity"] is not None for q in visits if str(q["result"]) == "observation")


def test_a_failed_inspection_returns_its_lot_to_a_hazard_with_history(scenario: Built) -> None:
    """The demo records failed inspections as a programme does (the land release engine's
    reject_lots): the lot's release steps are rejected and the hazard gets the land back in a
    version naming the inspection; land a rejected lot held is not released land."""
    rows = store_rows(scenario.db)
    failed = {q["id"]: q for q in rows["quality"] if str(q["result"]) == "fail"}
    assert failed, "the scenario holds failed inspections"
    rejected = [s for s in rows["release-steps"] if s["rejected_by"] is not None]
    assert {s["rejected_by"] for s in rejected} == set(failed)
    for s in rejected:
        q = failed[s["rejected_by"]]
        assert s["activity_id"] == q["activity_id"] and s["rejected_on"] == q["held_on"]
    reopened = [v for v in rows["hazard-versions"] if str(v["change"]) == "reopened"]
    assert {(v["step_id"], v["quality_id"]) for v in reopened} == {
        (s["id"], s["rejected_by"]) for s in rejected if s["hazard_id"] is not None}
    for v in reopened:
        assert v["reason"] == failed[v["quality_id"]]["reason"]
        assert v["valid_from"] == failed[v["quality_id"]]["held_on"]
    back = sum(s["area_m2"] for s in rejected)
    assert scenario.summary.areas_km2["returned_by_failed_inspections"] == pytest.approx(
        back / 1e6, abs=1e-3)


def test_row_fields_are_laid_in_rows_within_the_published_densities(scenario: Built) -> None:
    geoms, cols = truth_file.read_layer(scenario.truth, "sites")
    fields = [i for i, k in enumerate(cols["kind"]) if k == "row_field"]
    assert fields
    dens = np.asarray(cols["density_per_km2"])[fields]
    assert dens.max() <= 3000.0 * 1.001
    _, rows = truth_file.read_layer(scenario.truth, "field_rows")
    assert all(1.0 <= s <= 10.0 for s in rows["spacing_m"])
    assert all(lookup(m) is not None for m in rows["model"])
    types = Counter(np.asarray(cols["field_type"])[fields])
    assert {"ap", "av", "mixed"} <= set(types)
    # improvised devices cover about 5% of the mined area
    area = np.asarray(cols["area_m2"])
    kinds = np.asarray(cols["kind"])
    ied = area[kinds == "ied"].sum()
    mined = area[np.isin(kinds, ["row_field", "nuisance", "ied"])].sum()
    assert 0.03 < ied / mined < 0.08


def test_accidents_follow_the_exposure_model(scenario: Built) -> None:
    rows = store_rows(scenario.db)
    accidents = rows["accidents"]
    geoms, cols = truth_file.read_layer(scenario.truth, "accident_exposure")
    assert len(accidents) == len(geoms) >= 8
    items_g, items = truth_file.read_layer(scenario.truth, "items")
    status = dict(zip(items["item_id"], items["status"], strict=True))
    for a, g, item in zip(accidents, geoms, cols["item_id"], strict=True):
        assert shapely.from_wkb(a["geometry"]).equals(g)
        assert status[item] == "exploded"
    # what the store says about the place matches the truth's exposure record
    assert all(c in ("farmland", "pasture", "forest", "other") for c in cols["cover"])
    assert all(w > 0 for w in cols["exposure"])
    victims = rows["victims"]
    assert len(victims) >= len(accidents)
    assert {v["accident_id"] for v in victims} == {a["id"] for a in accidents}


def test_release_history_follows_the_engine(scenario: Built) -> None:
    rows = store_rows(scenario.db)
    steps = rows["release-steps"]
    assert {str(s["method"]) for s in steps} == {"cancelled", "reduced", "cleared"}
    closed = [h for h in rows["hazards"] if str(h["status"]) == "closed"]
    assert closed and all(h["closed_on"] for h in closed)
    years = Counter(a["ended_on"].year for a in rows["activities"])
    assert set(years) <= {2020, 2021, 2022, 2023, 2024, 2025} and len(years) >= 4
    cap = rows["capacity"]
    per_year = Counter()
    for c in cap:
        per_year[c["period_start"].year] += c["deminers"]
    assert per_year[2025] > per_year[2023] > per_year[2021]


def test_survey_that_cancels_nothing_confirms_the_hazard(scenario: Built) -> None:
    """Every hazard worked on after survey was visited by NTS; a visit that cancelled nothing
    is recorded as a survey that confirms the hazard: no land released, a confirmed version."""
    rows = store_rows(scenario.db)
    acts = rows["activities"]
    confirming = [a for a in acts if a["survey_result"] is not None]
    assert confirming, "some survey visits cancel nothing"
    assert all(str(a["kind"]) == "nts" and str(a["survey_result"]) == "confirmed"
               and a["outcome"] is None and a["hazard_id"] for a in confirming)
    stepped = {s["activity_id"] for s in rows["release-steps"]}
    assert not stepped & {a["id"] for a in confirming}
    confirmed = {(v["hazard_id"], v["activity_id"]) for v in rows["hazard-versions"]
                 if str(v["change"]) == "confirmed"}
    assert confirmed == {(a["hazard_id"], a["id"]) for a in confirming}
    assert all(str(h["kind"]) == "cha" for h in rows["hazards"]
               if h["id"] in {a["hazard_id"] for a in confirming})
    nts_end: dict[str, Any] = {}
    for a in acts:
        if str(a["kind"]) == "nts" and a["hazard_id"]:
            nts_end[a["hazard_id"]] = min(a["ended_on"], nts_end.get(a["hazard_id"],
                                                                    a["ended_on"]))
    later = [a for a in acts if str(a["kind"]) != "nts" and a["hazard_id"]]
    assert later and all(a["hazard_id"] in nts_end for a in later)
    assert all(nts_end[a["hazard_id"]] <= a["started_on"] for a in later)


def test_the_exposure_model_puts_most_accidents_near_people_and_outside_the_belt(
        scenario: Built, plan: Plan) -> None:
    """Draw many accidents from the model on the scenario's ground and compare with design."""
    from mineaction.demo import history as H
    from mineaction.demo.contamination import site_items

    seed = scenario.summary.seed
    t, sites, hazards, fate = plan.territory, plan.sites, plan.hazards, plan.fate
    # the share of exposure outside the belt, over the items still in the ground
    w_out = w_all = 0.0
    for si, s in enumerate(sites):
        it = site_items(seed, s)
        if len(it):
            w = H.exposure(t, it.x, it.y) * fate.free(si, len(it))
            belt = t.rasters["belt"].at(it.x, it.y).astype(bool)
            w_all += float(w.sum())
            w_out += float(w[~belt].sum())
    expected = w_out / w_all
    # about 130 accidents: few enough, on this small ground, that taking each item only once
    # does not bend the draw much
    drawn = H.plan_accidents(seed, t, sites, hazards, fate, scale=1.5)
    assert len(drawn) > 100
    outside = np.mean([not a.in_belt for a in drawn])
    se = np.sqrt(expected * (1 - expected) / len(drawn))
    assert abs(outside - expected) < 4 * se + 0.02
    # as designed (and as published: about 70% outside the line of contact, MAR24-70), most
    # of the exposure, and so most accidents, lie outside the belt
    assert expected > 0.6
    assert outside > 0.5
    near = np.mean([a.settle_dist_m < 3000 or a.road_dist_m < 500 or a.cover == "farmland"
                    for a in drawn])
    assert near > 0.7
    # and far more often than the items themselves are near people
    all_items = np.concatenate([site_items(seed, s).x for s in sites])
    all_y = np.concatenate([site_items(seed, s).y for s in sites])
    r = t.rasters
    base = np.mean((r["settle_dist"].at(all_items, all_y) < 3000)
                   | (r["road_dist"].at(all_items, all_y) < 500)
                   | (t.cover_grid.at(all_items, all_y) == 0))
    assert near > base + 0.1


def test_the_release_engine_ends_where_the_plan_does(scenario: Built, plan: Plan) -> None:
    """The plan follows each release with the engine's own rule: both close the same hazards,
    but for those a failed QC inspection reopened (the plan does not follow rejections): they
    hold what the plan left and no more than the land of their rejected lots besides."""
    rows = store_rows(scenario.db)
    back: dict[str, list[BaseGeometry]] = {}
    for st in rows["release-steps"]:
        if st["rejected_by"] is not None and st["hazard_id"] is not None:
            back.setdefault(st["hazard_id"], []).append(shapely.from_wkb(st["geometry"]))
    assert back, "a failed inspection reopened land"
    closed = sorted(h["id"] for h in rows["hazards"] if str(h["status"]) == "closed")
    planned = sorted(h.id for h in plan.hazards if h.remaining.is_empty)
    assert closed and set(closed) <= set(planned)
    assert set(planned) - set(closed) <= set(back)
    stored = {h["id"]: shapely.from_wkb(h["geometry"]) for h in rows["hazards"]}
    for h in plan.hazards:
        if h.id in back:
            assert area_m2(shapely.difference(h.remaining, stored[h.id])) < 1.0, h.id
            extra = shapely.difference(stored[h.id], h.remaining)
            assert area_m2(shapely.difference(extra, shapely.union_all(back[h.id]))) < 1.0
        elif not h.remaining.is_empty:
            diff = shapely.symmetric_difference(stored[h.id], h.remaining)
            assert area_m2(diff) < 1.0, h.id


def test_capacity_names_its_kind_and_every_year_has_a_capacity_report(scenario: Built) -> None:
    from mineaction.analysis.statistics import Period, Scope
    from mineaction.demo import history as H
    from mineaction.reports import build as build_report

    from .conftest import SCALE

    cap = store_rows(scenario.db)["capacity"]
    assert {str(c["activity_kind"]) for c in cap} == {"nts", "ts", "clearance", "bac"}
    with open_store(str(scenario.db)) as store:
        for year in H.YEARS:
            rep = build_report(store, "capacity", Scope(Period.of(year)))
            survey, clearance = rep.table("survey"), rep.table("clearance")
            active = sum(1 for s in H.OPERATOR_SHARES[year] if s > 0)
            assert len(survey.rows) == len(clearance.rows) == active, year
            for row in survey.rows:
                for col in ("nts_teams", "nts_personnel", "ts_teams", "ts_personnel"):
                    assert row[col].value > 0, (year, row["operator"].value, col)
            for row in clearance.rows:
                assert row["operational_staff"].value > 0, (year, row["operator"].value)
            # Clearance and BAC staff together are the territory's share of the national
            # figure the release plan spends (each operator rounded, at least one).
            national = H.NATIONAL_CAPACITY[year][0] * H.PROGRAMME_SHARE * SCALE
            staff = clearance.total["operational_staff"].value
            assert abs(staff - national) <= active, year
            assert not [t for t in rep.tables if t.name == "not-recorded"]

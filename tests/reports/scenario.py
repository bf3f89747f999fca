"""A small synthetic programme written straight into a store: two districts of one region,
release steps of every method and contamination, finds, victims (with personal data kept
apart) and capacity records. Numbers are chosen so that wrong groupings give wrong totals.
Release steps record the geodesic area of their polygons, which are sized to about the round
figure given (within 1%)."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import MultiPolygon, Point, box

from mineaction import domain as d
from mineaction.domain.release import ReleaseStep
from mineaction.geo.measure import area_m2
from mineaction.store import Store

S = "synthetic:report-test"
HAZARD_NAME = "Ղարաբաղ ყარაბაღი Qarabağ"  # Armenian, Georgian, Azerbaijani Latin
AP, AV, CMR, UXO = d.EOCategory.AP, d.EOCategory.AV, d.EOCategory.CMR, d.EOCategory.UXO


def poly(i: int) -> MultiPolygon:
    x = 50.5 + 0.01 * i
    return MultiPolygon([box(x, 41.0, x + 0.005, 41.004)])


def released_polygon(i: int, area: float) -> MultiPolygon:
    """A rectangle of about ``area`` m² (its geodesic area is what the step records)."""
    height = 0.004  # degrees of latitude, about 444 m
    width = area / (444.0 * 84_000.0)  # a degree of longitude is about 84 km at 41° N
    x = 50.5 + 0.02 * i
    return MultiPolygon([box(x, 41.2, x + width, 41.2 + height)])


def step(sid: str, act: str, method: str, area: float, day: dt.date, cont: set, admin: str,
         op: str = "Op A") -> ReleaseStep:
    kind = {"cancelled": "nts", "reduced": "ts", "cleared": "clearance"}[method]
    geom = released_polygon(int(sid[1:]), area)
    return ReleaseStep(id=sid, activity_id=act, hazard_id=f"H-{act}",
                       method=d.ReleaseOutcome(method), activity_kind=d.ActivityKind(kind),
                       operator=op, released_on=day, area_m2=area_m2(geom),
                       contamination=frozenset(cont), admin_area_id=admin,
                       geometry=geom, source=S)


def find(fid: str, act: str | None, cat, model: str | None, qty: int, day: dt.date) -> d.Find:
    return d.Find(id=fid, category=cat, model=model, quantity=qty, found_on=day,
                  destroyed_on=day, activity_id=act, geometry=Point(50.6, 41.1), source=S)


def build(store: Store) -> None:
    y = dt.date
    areas = [
        d.AdminArea(id="R1", name="Region One (synthetic)", level=1, geometry=poly(0), source=S),
        d.AdminArea(id="D1", name="Alda District (synthetic)", level=2, parent_id="R1",
                    geometry=poly(1), source=S),
        d.AdminArea(id="D2", name="Borun District (synthetic)", level=2, parent_id="R1",
                    geometry=poly(2), source=S),
        d.AdminArea(id="D1-V", name="Alda Village (synthetic)", level=3, parent_id="D1",
                    geometry=poly(3), source=S),
    ]
    steps = [
        # ACT-1 (AP found), district D1: cleared AP-only and reduced
        step("S1", "ACT-1", "cleared", 100_000.0, y(2023, 2, 10), {AP}, "D1"),
        step("S2", "ACT-1", "reduced", 40_000.0, y(2023, 2, 10), {AP}, "D1"),
        # ACT-2 (AP found) in a village of D1 and a little in D2: mixed AP/AV
        step("S3", "ACT-2", "cleared", 250_000.0, y(2023, 5, 3), {AP, AV}, "D1-V"),
        step("S4", "ACT-2", "cleared", 10_000.0, y(2023, 5, 3), {AP, AV}, "D2"),
        # ACT-3 (no AP found): AV only, D2, cancelled
        step("S5", "ACT-3", "cancelled", 500_000.0, y(2023, 8, 1), {AV}, "D2", op="Op B"),
        # ACT-4 (AP found), battle area in D2, cleared, in another year
        step("S6", "ACT-4", "cleared", 70_000.0, y(2022, 11, 20), {CMR, UXO}, "D2", op="Op B"),
        # ACT-5: AP found, 2023, D2, but recorded contamination only UXO (battle area)
        step("S7", "ACT-5", "cleared", 30_000.0, y(2023, 10, 5), {UXO}, "D2", op="Op B"),
    ]
    finds = [
        find("F1", "ACT-1", AP, "PMN-2", 7, y(2023, 2, 1)),
        find("F2", "ACT-1", AV, "TM-62M", 2, y(2023, 2, 2)),
        find("F3", "ACT-2", AP, "OZM-72", 3, y(2023, 4, 20)),
        find("F4", "ACT-2", UXO, None, 11, y(2023, 4, 21)),
        find("F5", "ACT-3", AV, "TM-62M", 5, y(2023, 7, 30)),  # not an AP polygon
        find("F6", "ACT-4", AP, "PMN", 1, y(2022, 11, 1)),
        find("F7", "ACT-4", CMR, "9N235", 4, y(2022, 11, 2)),
        find("F8", "ACT-5", AP, None, 2, y(2023, 10, 1)),
        find("F9", None, UXO, "RGD-5", 6, y(2023, 3, 3)),  # spot find, no activity
    ]
    victims = []
    n = 0
    for group, outcome, count, day in [("civilian", "injured", 12, y(2023, 3, 1)),
                                       ("civilian", "killed", 3, y(2023, 3, 1)),
                                       ("military", "injured", 6, y(2023, 9, 1)),
                                       ("military", "killed", 7, y(2022, 6, 1)),
                                       ("deminer", "injured", 2, y(2023, 10, 9))]:
        for _ in range(count):
            n += 1
            victims.append(d.Victim(id=f"V{n:03d}", group=d.VictimGroup(group),
                                    outcome=d.CasualtyOutcome(outcome),
                                    sex=d.Sex.MALE if n % 3 else d.Sex.FEMALE,
                                    age_band=d.AgeBand.ADULT if n % 4 else d.AgeBand.CHILD,
                                    occurred_on=day, device_category=AP if n % 2 else UXO,
                                    admin_area_id="D1" if n % 2 else "D2", source=S))
    personal = [d.VictimPersonal(id="P001", victim_id="V001", full_name="Zaruhi Privatename",
                                 contact="+000 555 0101", source=S)]
    capacity = [
        d.Capacity(id="C1", operator="Op A", period_start=y(2023, 1, 1),
                   period_end=y(2023, 6, 30), activity_kind=d.ActivityKind.CLEARANCE,
                   teams=4, deminers=40, dogs=2, machines=1, source=S),
        d.Capacity(id="C2", operator="Op A", period_start=y(2023, 7, 1),
                   period_end=y(2023, 12, 31), activity_kind=d.ActivityKind.CLEARANCE,
                   teams=5, deminers=52, dogs=3, machines=2, source=S),
        d.Capacity(id="C3", operator="Op B", period_start=y(2023, 1, 1),
                   period_end=y(2023, 12, 31), activity_kind=d.ActivityKind.TS,
                   teams=2, deminers=9, source=S),
        d.Capacity(id="C4", operator="Op B", period_start=y(2023, 1, 1),
                   period_end=y(2023, 12, 31), activity_kind=d.ActivityKind.NTS,
                   teams=1, deminers=4, source=S),
    ]
    hazards = [  # open hazards for Article 7 Form C and CCM Form F; names in three scripts
        d.Hazard(id="H-OPEN-1", kind=d.HazardKind.CHA, contamination=frozenset({AP, AV}),
                 name=HAZARD_NAME, estimated_mines=120, admin_area_id="D1-V",
                 geometry=released_polygon(20, 60_000.0), source=S),
        d.Hazard(id="H-OPEN-2", kind=d.HazardKind.SHA, contamination=frozenset({CMR}),
                 admin_area_id="D2", geometry=released_polygon(21, 25_000.0), source=S),
    ]
    quality = [  # recorded as they stand; the release engine is not involved here
        d.QualityEvent(id="QC-1", kind=d.QualityKind.QC_INSPECTION, held_on=y(2023, 3, 1),
                       activity_id="ACT-1", organisation="NMAA", result=d.QualityResult.PASS,
                       items_found=0, source=S),
        d.QualityEvent(id="QC-2", kind=d.QualityKind.QC_INSPECTION, held_on=y(2023, 6, 1),
                       activity_id="ACT-2", organisation="NMAA", result=d.QualityResult.FAIL,
                       items_found=1, severity=d.Severity.MAJOR, source=S),
        d.QualityEvent(id="QA-1", kind=d.QualityKind.QA_VISIT, held_on=y(2023, 7, 1),
                       activity_id="ACT-3", organisation="NMAA",
                       result=d.QualityResult.OBSERVATION, source=S),
    ]
    eore = [d.RiskEducationSession(id=f"EORE-{k}", held_on=y(2023, 4, k), girls=g, boys=b,
                                   women=w, men=m, admin_area_id=admin, method=method,
                                   geometry=Point(50.5 + 0.01 * k, 41.19), source=S)
            for k, (g, b, w, m, admin, method) in enumerate([
                (12, 9, 20, 14, "D1", "group_session"), (3, 4, 0, 2, "D2", "house_to_house"),
                (30, 28, 25, 22, "D1-V", "group_session")], start=1)]
    with store.transaction() as tx:
        tx.add_many(eore)
        tx.add_many(quality)
        tx.add_many(areas)
        tx.add_many(hazards)
        tx.add_many(steps)
        tx.add_many(finds)
        tx.add_many(victims)
        tx.add_many(personal)
        tx.add_many(capacity)

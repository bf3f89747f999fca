"""One valid sample record per layer, used by the contract suite."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import MultiPolygon, Point, box

from mineaction import domain as d
from mineaction.domain.schema import Record

D = dt.date(2023, 5, 17)


def sample(layer: str, n: int = 0) -> Record:
    x = 50.5 + n * 0.01
    poly = MultiPolygon([box(x, 41.0, x + 0.005, 41.004)])
    pt = Point(x + 0.001, 41.001)
    s = "synthetic:test"
    make = {
        "organisations": lambda: d.Organisation(id=f"O{n}", name=f"Org {n}",
                                                kind=d.OrganisationKind.OPERATOR, country="XS",
                                                source=s),
        "admin-areas": lambda: d.AdminArea(id=f"A{n}", name=f"District {n}", level=2,
                                           geometry=poly, source=s),
        "hazards": lambda: d.Hazard(id=f"H{n}", kind=d.HazardKind.CHA, threat=d.Threat.HIGH,
                                    contamination=frozenset({d.EOCategory.AP, d.EOCategory.AV}),
                                    recorded_on=D, estimated_mines=12, name="Ğədəbəy ყ ш",
                                    land_use=d.LandUse.PASTURE, geometry=poly, source=s),
        "activities": lambda: d.Activity(id=f"T{n}", kind=d.ActivityKind.CLEARANCE,
                                         operator="Org 1", started_on=D, ended_on=D,
                                         outcome=d.ReleaseOutcome.CLEARED, depth_cm=20,
                                         geometry=poly, source=s),
        "finds": lambda: d.Find(id=f"F{n}", category=d.EOCategory.AP, model="PMN-2",
                                quantity=2, found_on=D, geometry=pt, victim_activated=False,
                                source=s),
        "accidents": lambda: d.Accident(id=f"X{n}", occurred_on=D,
                                        device_category=d.EOCategory.AV, geometry=pt, source=s),
        "victims": lambda: d.Victim(id=f"V{n}", group=d.VictimGroup.CIVILIAN,
                                    outcome=d.CasualtyOutcome.INJURED, sex=d.Sex.FEMALE,
                                    age_band=d.AgeBand.CHILD, occurred_on=D, source=s),
        "victims-personal": lambda: d.VictimPersonal(id=f"P{n}", victim_id=f"V{n}",
                                                     full_name="A. Person", source=s),
        "eore": lambda: d.RiskEducationSession(id=f"E{n}", held_on=D, girls=3, boys=4, women=5,
                                               men=6, geometry=pt, source=s),
        "quality": lambda: d.QualityEvent(id=f"Q{n}", kind=d.QualityKind.QC_INSPECTION,
                                          held_on=D, result=d.QualityResult.PASS,
                                          geometry=poly, source=s),
        "capacity": lambda: d.Capacity(id=f"C{n}", operator="Org 1", period_start=D,
                                       period_end=D, teams=2, deminers=20, dogs=3, machines=1,
                                       source=s),
        "evidence": lambda: d.Evidence(id=f"EV{n}", kind=d.EvidenceKind.WITNESS_STATEMENT,
                                       credibility=d.Credibility.LOW, geometry=pt,
                                       description="shepherd saw mines laid", source=s),
    }
    return make[layer]()


CORE_LAYERS = ["organisations", "admin-areas", "hazards", "activities", "finds", "accidents",
               "victims", "victims-personal", "eore", "quality", "capacity", "evidence"]

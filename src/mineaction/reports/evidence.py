"""Evidence report: the open hazards the evidence-weighted classification recommends for
cancellation by non-technical survey, and the land they would release, per district.

Every cell keeps the hazards behind it, so that ``--explain`` names them. The land a district
would release is the area of the union of its candidates (geodesic m², so that land held by two
overlapping hazards counts once).
"""

from __future__ import annotations

from typing import Any

import shapely

from mineaction.analysis.statistics import Figure, Scope
from mineaction.geo.measure import area_m2
from mineaction.reports.definitions import Options, new_report, report
from mineaction.reports.model import Cell, Column, Note, Report, Table
from mineaction.store.base import Reader

CANDIDATES_PER_DISTRICT = 50


@report("cancellation-candidates", "Cancellation candidates by evidence", "Open hazards "
        "whose evidence (IMAS 07.11 direct and indirect, default weights: mineaction hazards "
        "assess --show-weights) is too weak to keep them: candidates for cancellation by "
        "non-technical survey, and the land they would release per district (m², geodesic, "
        "overlaps counted once); also how many are kept or to be confirmed.")
def cancellation_candidates(reader: Reader, scope: Scope, options: Options) -> Report:
    from mineaction.risk.evidence import assess, load_weights
    from mineaction.services.evidence import read

    rep = new_report(reader, "cancellation-candidates", scope, options,
                     ["hazards", "finds", "accidents", "activities"])
    result = assess(read(reader), load_weights())
    items = [a for a in result.items
             if scope.area_ids is None or a.hazard.admin_area_id in scope.area_ids]
    by_district: dict[str, list[Any]] = {}
    for a in items:
        by_district.setdefault(a.district or "(no area recorded)", []).append(a)
    summary = Table("by-district", "Recommendations per district", [
        Column("district", "District", numeric=False),
        Column("cancel", "Cancel (NTS)", "hazards"),
        Column("cancel_m2", "Land they would release", "m²"),
        Column("keep", "Keep", "hazards"),
        Column("confirm", "Confirm (SHA to CHA)", "hazards"),
        Column("open_m2", "All open hazards", "m²")], summed=("cancel", "keep", "confirm"))
    rule = ("recommendation of mineaction hazards assess with the default weights; area of the "
            "union of the hazards (geodesic)")
    for name in sorted(by_district):
        group = by_district[name]
        row: dict[str, Cell] = {"district": Cell(name)}
        for rec in ("cancel", "keep", "confirm"):
            ids = sorted(a.hazard.id for a in group if a.recommendation == rec)
            row[rec] = Cell(len(ids), Figure(len(ids), "hazards", ids,
                                             {"district": name, "recommendation": rec,
                                              "rule": rule}, len(ids)))
        for col, sel in (("cancel_m2", [a for a in group if a.recommendation == "cancel"]),
                         ("open_m2", group)):
            m2 = _union_m2([a.hazard.geometry for a in sel])
            ids = sorted(a.hazard.id for a in sel)
            row[col] = Cell(round(m2), Figure(m2, "hazards", ids,
                                              {"district": name, "rule": rule}, len(ids)))
        summary.add(row)
    all_cancel = [a for a in items if a.recommendation == "cancel"]
    if by_district:
        m2 = _union_m2([a.hazard.geometry for a in all_cancel])
        ids = sorted(a.hazard.id for a in all_cancel)
        summary.notes.append(Note("report.note_candidates_release", count=len(all_cancel),
                                  m2=f"{m2:,.0f}"))
    rep.tables.append(summary)
    for name in sorted(by_district):
        cands = sorted((a for a in by_district[name] if a.recommendation == "cancel"),
                       key=lambda a: (-a.hazard.area_m2, a.hazard.id))
        if not cands:
            continue
        t = Table(f"district-{name}", Note("report.district_candidates", name=name,
                                              count=len(cands)), [
            Column("hazard", "Hazard", numeric=False),
            Column("area_m2", "Area", "m²"),
            Column("indirect", "Indirect evidence", "points", decimals=2),
            Column("reasons", "Reasons", numeric=False)])
        for a in cands[:CANDIDATES_PER_DISTRICT]:
            hid = a.hazard.id
            ev_ids = sorted({i for it in a.items for i in it.ids})
            t.add({"hazard": Cell(hid),
                   "area_m2": Cell(round(a.hazard.area_m2), Figure(
                       a.hazard.area_m2, "hazards", [hid],
                       {"hazard": hid, "rule": "geodesic area of the open hazard"}, 1)),
                   "indirect": Cell(round(a.indirect, 2), Figure(
                       a.indirect, "hazards", ev_ids or [hid],
                       {"hazard": hid, "evidence": [f"{it.source} {it.what}"
                                                    for it in a.items]}, len(ev_ids))),
                   "reasons": Cell("; ".join(m.text() for m in a.reasons))})
        if len(cands) > CANDIDATES_PER_DISTRICT:
            t.notes.append(Note("report.note_largest_shown", shown=CANDIDATES_PER_DISTRICT,
                                count=len(cands)))
        rep.tables.append(t)
    rep.notes += [m.note() for m in result.notes]
    if not items:
        rep.notes.append(Note("report.note_nothing_to_assess"))
    return rep


def _union_m2(geoms: list[Any]) -> float:
    if not geoms:
        return 0.0
    return area_m2(shapely.union_all(geoms))

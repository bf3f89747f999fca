"""Reading what planning works from, through the store's reader interface (as the actor may
see it): the one place planning reads; everything else computes over the rows it returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mineaction.planning.data import (
    AccidentRow,
    ActivityRow,
    CapacityRow,
    FigureRow,
    HazardRow,
    Record,
    StepRow,
    VersionRow,
)
from mineaction.store.base import Reader


def as_date(value: Any) -> dt.date | None:
    """A date from what a store holds (a date, a datetime or ISO text); None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def read(reader: Reader, today: dt.date) -> Record:
    """The records planning works from, as ``reader`` shows them."""
    from mineaction.analysis.statistics import Areas
    from mineaction.reports.definitions import synthetic

    rec = Record(today=today)
    # Land a failed QC inspection returned to a hazard is no longer released.
    steps = reader.aggregate("release-steps", ["activity_id", "hazard_id", "method",
                                               "released_on"], sums=["area_m2"],
                             where={"rejected_by": None}, with_ids=True)
    by_act: dict[str, dict[str, float]] = {}
    for r in steps:
        s = StepRow(r["hazard_id"], str(r["activity_id"]), str(r["method"]),
                    as_date(r["released_on"]), float(r["area_m2"] or 0.0), list(r["ids"]))
        rec.steps.append(s)
        per = by_act.setdefault(s.activity_id, {})
        per[s.method] = per.get(s.method, 0.0) + s.area_m2
    for a in reader.iter("activities"):
        rec.activities.append(ActivityRow(
            a.id, str(a.kind), str(a.operator), a.started_on, a.ended_on,  # type: ignore[attr-defined]
            a.hazard_id, by_act.get(a.id, {})))  # type: ignore[attr-defined]
    for r in reader.aggregate("hazard-versions", ["hazard_id", "seq", "valid_from", "change",
                                                  "kind", "status"], sums=["area_m2"]):
        rec.versions.append(VersionRow(str(r["hazard_id"]), int(r["seq"]),
                                       as_date(r["valid_from"]), str(r["change"]),
                                       str(r["kind"]), str(r["status"]),
                                       float(r["area_m2"] or 0.0)))
    latest: dict[str, VersionRow] = {}
    for v in rec.versions:
        if v.hazard_id not in latest or v.seq > latest[v.hazard_id].seq:
            latest[v.hazard_id] = v
    from mineaction.geo.measure import area_m2

    for h in reader.iter("hazards"):
        last = latest.get(h.id)
        extra = {k: getattr(h, k) for k in ("risk_score", "risk", "estimated_mines")
                 if getattr(h, k, None) is not None}
        rec.hazards.append(HazardRow(
            h.id, str(h.kind), str(h.status), h.threat and str(h.threat),  # type: ignore[attr-defined]
            h.land_use and str(h.land_use),  # type: ignore[attr-defined]
            frozenset(str(c) for c in h.contamination),  # type: ignore[attr-defined]
            h.admin_area_id, h.recorded_on, h.geometry,  # type: ignore[attr-defined]
            last.area_m2 if last is not None else area_m2(h.geometry), extra))  # type: ignore[attr-defined]
    for c in reader.iter("capacity"):
        rec.capacity.append(CapacityRow(
            c.id, str(c.operator), c.activity_kind and str(c.activity_kind),  # type: ignore[attr-defined]
            c.period_start, c.period_end, c.teams, c.deminers, c.dogs,  # type: ignore[attr-defined]
            c.machines))  # type: ignore[attr-defined]
    for acc in reader.iter("accidents"):
        g = acc.geometry  # type: ignore[attr-defined]
        if g is not None and not g.is_empty:
            p = g.representative_point()
            rec.accidents.append(AccidentRow(acc.id, p.x, p.y,
                                             acc.occurred_on))  # type: ignore[attr-defined]
    for f in reader.iter("figures"):
        rec.figures.append(FigureRow(
            f.id, str(f.country), str(f.area), str(f.metric),  # type: ignore[attr-defined]
            float(f.value), str(f.unit), f.period_start, f.period_end,  # type: ignore[attr-defined]
            str(f.qualifier), f.publication, f.as_of))  # type: ignore[attr-defined]
    areas = Areas.load(reader)
    rec.areas = {i: areas.name(areas.district(i)) for i in areas.by_id}
    for layer in ("hazards", "activities"):
        rec.countries |= {str(r["country"]) for r in reader.aggregate(layer, ["country"])
                          if r["country"]}
    rec.synthetic = synthetic(reader, ["hazards", "activities", "capacity"])
    return rec

"""One hazard's history: every change, with method, area and source, and its JSON shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mineaction.geo.measure import area_m2
from mineaction.services.context import Context


@dataclass
class HazardHistory:
    timeline: Any  # mineaction's land release Timeline: hazard, versions, steps
    original_m2: float  # area of the first version
    released_m2: float  # sum of the release steps still released (per hazard: exact)
    remaining_m2: float  # area of the current polygon
    returned_m2: float = 0.0  # sum of the release steps a failed QC inspection rejected

    @property
    def hazard(self) -> Any:
        return self.timeline.hazard

    def step_of(self, version: Any) -> Any:
        """The release step behind a version, or None."""
        return {s.id: s for s in self.timeline.steps}.get(version.step_id or "")


def history(ctx: Context, hazard_id: str) -> HazardHistory:
    """The hazard's timeline (NotFound when there is no such hazard the actor may see)."""
    from mineaction.services.release import timeline

    t = timeline(ctx, hazard_id)
    return HazardHistory(t, t.versions[0].area_m2 if t.versions else 0.0,
                         sum(s.area_m2 for s in t.steps if s.rejected_by is None),
                         area_m2(t.hazard.geometry),
                         sum(s.area_m2 for s in t.steps if s.rejected_by is not None))


def as_json(h: HazardHistory) -> dict[str, Any]:
    """The hazard and its timeline as JSON: the current polygon (GeoJSON) and each version
    with the method and released area of the step behind it."""
    hz = h.hazard
    out = {
        "id": hz.id, "kind": hz.kind.value, "status": hz.status.value,
        "area_m2": round(h.remaining_m2, 1), "released_m2": round(h.released_m2, 1),
        "returned_m2": round(h.returned_m2, 1),
        "geometry": None if hz.geometry is None else hz.geometry.__geo_interface__,
        "timeline": []}
    for v in h.timeline.versions:
        s = h.step_of(v)
        out["timeline"].append({
            "seq": v.seq, "date": v.valid_from.isoformat() if v.valid_from else None,
            "change": v.change.value, "kind": v.kind.value, "status": v.status.value,
            "area_m2": v.area_m2, "activity_id": v.activity_id,
            "method": s.method.value if s else None,
            "released_m2": s.area_m2 if s else None, "source": v.source,
            "quality_id": getattr(v, "quality_id", None), "reason": getattr(v, "reason", None),
            "rejected_by": s.rejected_by if s else None})
    return out

"""Land release: how land leaves (or joins) the list of hazards, step by step.

Every change to a hazard is a new :class:`HazardVersion`; nothing is overwritten or deleted.
Every square metre released is a :class:`ReleaseStep` naming the hazard, the activity, the
method (cancelled by non-technical survey, reduced by technical survey, cleared by clearance)
and the date. The functions here are the geometry of it, pure and without I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mineaction.domain.schema import SpatialRecord, attr
from mineaction.domain.vocabulary import (
    ActivityKind,
    EOCategory,
    HazardKind,
    HazardStatus,
    ReleaseOutcome,
    Threat,
)

#: A remainder smaller than this (m²) after a release is floating-point residue from edges that
#: nearly coincide, not land: it is released with the step and the hazard closes.
RESIDUE_M2 = 0.01


class HazardChange(StrEnum):
    RECORDED = "recorded"  # first entered into the store
    CREATED = "created"  # found by survey (non-technical survey finds a new suspected area)
    ENLARGED = "enlarged"  # survey extends the hazard
    CONFIRMED = "confirmed"  # technical survey confirms it: SHA becomes CHA
    RELEASED = "released"  # part of it cancelled, reduced or cleared
    CLOSED = "closed"  # nothing left
    REOPENED = "reopened"  # released land returned to it: a lot rejected by a QC inspection
    CORRECTED = "corrected"  # a minefield record's corrected perimeter added, on a decision


class SurveyResult(StrEnum):
    """What a survey activity did to the hazard list, besides releasing land."""

    NEW_HAZARD = "new_hazard"
    ENLARGED = "enlarged"
    CONFIRMED = "confirmed"


@dataclasses.dataclass(kw_only=True)
class ReleaseStep(SpatialRecord):
    """Land released from one hazard by one activity (or outside any hazard)."""

    layer = "release-steps"

    activity_id: str = attr("Activity that released the land")
    hazard_id: str | None = attr("Hazard released from; empty when outside any hazard", None)
    method: ReleaseOutcome = attr("cancelled, reduced or cleared")
    activity_kind: ActivityKind = attr("Kind of the activity")
    operator: str | None = attr("Operator of the activity", None)
    released_on: dt.date | None = attr("Date of release (the activity's end)", None)
    area_m2: float = attr("Released area in m² on the WGS84 ellipsoid", minimum=0)
    contamination: frozenset[EOCategory] = attr(
        "Contamination recorded for the hazard when it was released", frozenset())
    admin_area_id: str | None = attr("Administrative area of the hazard", None)
    outside_hazard: bool = attr("Released land outside any recorded hazard", False)
    rejected_by: str | None = attr(
        "QC inspection that rejected the land: it returned to a hazard, and it no longer "
        "counts as released", None)
    rejected_on: dt.date | None = attr("Date of the rejection", None)


@dataclasses.dataclass(kw_only=True)
class HazardVersion(SpatialRecord):
    """The state of a hazard from ``valid_from`` until the next version of it."""

    layer = "hazard-versions"

    hazard_id: str = attr("Hazard")
    seq: int = attr("1 for the first version, then 2, 3, ...", minimum=1)
    valid_from: dt.date | None = attr("Date this state began (empty: since records began)", None)
    change: HazardChange = attr("What made this version")
    kind: HazardKind = attr("sha or cha")
    status: HazardStatus = attr("open, closed or handed_over")
    threat: Threat | None = attr("Threat level", None)
    contamination: frozenset[EOCategory] = attr("Contamination believed present", frozenset())
    area_m2: float = attr("Area of the hazard in this state, m²", minimum=0)
    activity_id: str | None = attr("Activity that caused the change", None)
    step_id: str | None = attr("Release step that caused the change", None)
    evidence_id: str | None = attr("Evidence the change rests on", None)
    quality_id: str | None = attr("QC inspection that reopened the hazard", None)
    reason: str | None = attr("Why the hazard was reopened", None)


def polygonal(geom: BaseGeometry | None) -> MultiPolygon:
    """The polygonal part of ``geom`` as a MultiPolygon (possibly empty)."""
    if geom is None or geom.is_empty:
        return MultiPolygon()
    parts: list[Polygon] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if isinstance(g, Polygon):
            if not g.is_empty:
                parts.append(g)
        elif hasattr(g, "geoms"):
            stack.extend(g.geoms)
    return MultiPolygon(parts) if parts else MultiPolygon()


def split(hazard: BaseGeometry, released: BaseGeometry) -> tuple[MultiPolygon, MultiPolygon]:
    """Split a hazard by a released polygon into (remaining, released part).

    The parts are disjoint and together make the hazard, so no square metre is released twice
    and none is lost. A remainder under :data:`RESIDUE_M2` goes with the released part.
    """
    from mineaction.geo.measure import area_m2

    part = polygonal(shapely.intersection(hazard, released))
    rem = polygonal(shapely.difference(hazard, released))
    # (a degree² is about 9e9 m² here: only a remainder that small is measured)
    if not rem.is_empty and rem.area < 1e-9 and area_m2(rem) < RESIDUE_M2:
        part = polygonal(hazard)
        rem = MultiPolygon()
    return rem, part

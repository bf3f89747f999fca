"""Hazardous areas: suspected (SHA) and confirmed (CHA)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from mineaction.domain.schema import SpatialRecord, attr
from mineaction.domain.vocabulary import (
    EOCategory,
    HazardKind,
    HazardStatus,
    LandUse,
    Threat,
)


@dataclasses.dataclass(kw_only=True)
class Hazard(SpatialRecord):
    """A suspected or confirmed hazardous area.

    ``contamination`` lists the categories of explosive ordnance believed present; reports
    disaggregate by it (AP only, AP and AV, AV only, battle area) and never lump them.
    """

    layer = "hazards"

    kind: HazardKind = attr("sha (suspected) or cha (confirmed) hazardous area")
    status: HazardStatus = attr("open, closed or handed_over", HazardStatus.OPEN)
    threat: Threat | None = attr("Threat level: high, medium or low", None)
    contamination: frozenset[EOCategory] = attr(
        "Categories of explosive ordnance believed present", frozenset())
    recorded_on: dt.date | None = attr("Date the hazard was first recorded", None)
    name: str | None = attr("Local name of the hazard", None)
    land_use: LandUse | None = attr("Main use of the land", None)
    estimated_mines: int | None = attr("Estimated number of mines, when any estimate exists", None,
                                       minimum=0)
    admin_area_id: str | None = attr("Administrative area the hazard lies in", None)
    closed_on: dt.date | None = attr("Date the hazard was closed", None)
    closed_by: str | None = attr("Activity that released the last of it", None)

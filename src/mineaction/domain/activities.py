"""Land release activities (non-technical survey, technical survey, clearance) and spot tasks."""

from __future__ import annotations

import dataclasses
import datetime as dt

from mineaction.domain.release import SurveyResult
from mineaction.domain.schema import SpatialRecord, attr
from mineaction.domain.vocabulary import ActivityKind, EOCategory, ReleaseOutcome
from mineaction.errors import BadValue

#: The largest area one activity may release, in m² on the WGS84 ellipsoid (100 km²). Land
#: release tasks are counted in hectares to a few km²; a polygon beyond this is almost always a
#: wrong CRS or a wrong polygon, and it would close every hazard it touches. An import may allow
#: it explicitly (``import_file(..., allow_large=True)``, ``--allow-large-release``).
MAX_RELEASE_AREA_M2 = 100e6

#: The outcome each activity kind produces when it releases land (IMAS 07.11).
DEFAULT_OUTCOME = {
    ActivityKind.NTS: ReleaseOutcome.CANCELLED,
    ActivityKind.TS: ReleaseOutcome.REDUCED,
    ActivityKind.CLEARANCE: ReleaseOutcome.CLEARED,
    ActivityKind.BAC: ReleaseOutcome.CLEARED,
    ActivityKind.EOD: ReleaseOutcome.CLEARED,
}


@dataclasses.dataclass(kw_only=True)
class Activity(SpatialRecord):
    """One land release activity; its geometry is the polygon it released or worked on."""

    layer = "activities"

    kind: ActivityKind = attr("nts, ts, clearance, bac (battle area clearance) or eod")
    operator: str = attr("Organisation that carried it out")
    started_on: dt.date | None = attr("First day of work", None)
    ended_on: dt.date | None = attr("Last day of work (the date of release)", None)
    outcome: ReleaseOutcome | None = attr("cancelled, reduced or cleared", None)
    depth_cm: int | None = attr("Clearance depth in centimetres", None, minimum=0)
    hazard_id: str | None = attr("Hazard the task was issued for, when there is one", None)
    outside_hazard: bool = attr(
        "True when the activity releases land outside any recorded hazard", False)
    contamination: frozenset[EOCategory] = attr(
        "Categories of explosive ordnance the activity found or suspects", frozenset())
    survey_result: SurveyResult | None = attr(
        "For a survey that adds to the hazard list: new_hazard, enlarged or confirmed", None)
    evidence_id: str | None = attr("Evidence the survey result rests on", None)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise BadValue.of("value.ended_before_started")

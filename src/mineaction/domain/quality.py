"""Quality management: QA visits to worksites and QC inspections of released land."""

from __future__ import annotations

import dataclasses
import datetime as dt

from mineaction.domain.schema import SpatialRecord, attr
from mineaction.domain.vocabulary import QualityKind, QualityResult, Severity


@dataclasses.dataclass(kw_only=True)
class QualityEvent(SpatialRecord):
    layer = "quality"

    kind: QualityKind = attr("qa_visit or qc_inspection")
    held_on: dt.date = attr("Date of the visit or inspection")
    activity_id: str | None = attr("Activity inspected", None)
    organisation: str | None = attr("Organisation that inspected", None)
    result: QualityResult | None = attr("pass, fail or observation", None)
    items_found: int | None = attr("Items found by a QC inspection on released land", None,
                                    minimum=0)
    reason: str | None = attr("Finding: why the inspection failed, what was observed", None)
    severity: Severity | None = attr("Non-conformity: minor, major or critical", None)
    corrective_action: str | None = attr("Corrective action required", None)
    closed_on: dt.date | None = attr("Date the non-conformity was closed (corrected)", None)

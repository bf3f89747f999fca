"""Capacity: teams, deminers, dogs and machines per operator per period."""

from __future__ import annotations

import dataclasses
import datetime as dt

from mineaction.domain.schema import PLANNED, Record, attr
from mineaction.domain.vocabulary import ActivityKind
from mineaction.errors import BadValue


@dataclasses.dataclass(kw_only=True)
class Capacity(Record):
    layer = "capacity"

    operator: str = attr("Organisation")
    period_start: dt.date = attr("First day of the period (a plan may lie ahead)", ahead=PLANNED)
    period_end: dt.date = attr("Last day of the period (a plan may lie ahead)", ahead=PLANNED)
    activity_kind: ActivityKind | None = attr("Kind of work the capacity is for", None)
    teams: int = attr("Number of teams", 0, minimum=0)
    deminers: int = attr("Number of deminers (operational staff)", 0, minimum=0)
    dogs: int = attr("Mine detection dogs", 0, minimum=0)
    machines: int = attr("Demining machines", 0, minimum=0)
    staff_total: int | None = attr("All staff, managerial included", None, minimum=0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.period_end < self.period_start:
            raise BadValue.of("value.period_end_before_start")

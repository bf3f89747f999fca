"""Accidents and victims.

A victim's personal data (name, date of birth, contact) lives in :class:`VictimPersonal`, a
separate record that no public output ever reads. :class:`Victim` holds only what statistics
need.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from mineaction.access import Level
from mineaction.domain.schema import Record, SpatialRecord, attr
from mineaction.domain.vocabulary import (
    ActivityAtTime,
    AgeBand,
    CasualtyOutcome,
    EOCategory,
    Sex,
    VictimGroup,
)


@dataclasses.dataclass(kw_only=True)
class Accident(SpatialRecord):
    layer = "accidents"

    occurred_on: dt.date | None = attr("Date of the accident", None)
    device_category: EOCategory | None = attr("Category of the device, when known", None)
    device_model: str | None = attr("Model of the device, when known", None)
    activity_at_time: ActivityAtTime | None = attr("What the victims were doing", None)
    admin_area_id: str | None = attr("Administrative area", None)
    hazard_id: str | None = attr("Recorded hazard it happened in, if any", None)


@dataclasses.dataclass(kw_only=True)
class Victim(Record):
    layer = "victims"

    accident_id: str | None = attr("Accident the victim was hurt in", None)
    group: VictimGroup = attr("civilian, military or deminer")
    outcome: CasualtyOutcome = attr("killed or injured")
    sex: Sex = attr("female, male or unknown", Sex.UNKNOWN)
    age_band: AgeBand = attr("child (under 18), adult or unknown", AgeBand.UNKNOWN)
    occurred_on: dt.date | None = attr("Date of the accident", None)
    device_category: EOCategory | None = attr("Category of the device, when known", None)
    activity_at_time: ActivityAtTime | None = attr("What the victim was doing", None)
    admin_area_id: str | None = attr("Administrative area", None)


@dataclasses.dataclass(kw_only=True)
class VictimPersonal(Record):
    """Personal data of a victim: never public, kept apart from the statistics."""

    layer = "victims-personal"

    victim_id: str = attr("Victim the data belongs to", level=Level.PERSONAL)
    full_name: str | None = attr("Name", None, level=Level.PERSONAL)
    born_on: dt.date | None = attr("Date of birth", None, level=Level.PERSONAL)
    contact: str | None = attr("Address or telephone", None, level=Level.PERSONAL)

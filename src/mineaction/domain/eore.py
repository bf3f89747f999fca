"""Explosive ordnance risk education (EORE)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from mineaction.domain.schema import SpatialRecord, attr


@dataclasses.dataclass(kw_only=True)
class RiskEducationSession(SpatialRecord):
    """One session; beneficiaries by sex and age band (girls, boys, women, men)."""

    layer = "eore"

    held_on: dt.date = attr("Date of the session")
    organisation: str | None = attr("Organisation that delivered it", None)
    admin_area_id: str | None = attr("Administrative area", None)
    method: str | None = attr("How it was delivered: e.g. group_session, house_to_house, "
                              "school_lesson, mass_media", None)
    audience: str | None = attr("Who it was for: e.g. community, school, farmers, "
                                "displaced, returnees", None)
    place: str | None = attr("Where it was held: e.g. school, village_square, home, camp", None)
    girls: int = attr("Female beneficiaries under 18", 0, minimum=0)
    boys: int = attr("Male beneficiaries under 18", 0, minimum=0)
    women: int = attr("Female beneficiaries 18 and over", 0, minimum=0)
    men: int = attr("Male beneficiaries 18 and over", 0, minimum=0)

    @property
    def beneficiaries(self) -> int:
        return self.girls + self.boys + self.women + self.men

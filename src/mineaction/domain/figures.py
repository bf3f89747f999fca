"""Published figures: numbers that others have published about mine action, with their source.

A programme is judged against figures that circulate in reports, statements and articles. The
register keeps each one with who it is attributed to, the publication it appears in, the area
and period it covers and how it was qualified (reported, estimated, claimed, a target), so that
figures which disagree can be found and the store's own figures compared with them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum

from mineaction.domain.schema import TARGET, Record, attr
from mineaction.errors import BadValue


class FigureQualifier(StrEnum):
    REPORTED = "reported"  # reported as a measured or counted figure
    ESTIMATE = "estimate"  # an estimate by whoever it is attributed to
    CLAIM = "claim"  # a claim, not independently verified
    TARGET = "target"  # a plan or target, not an outcome


@dataclasses.dataclass(kw_only=True)
class PublishedFigure(Record):
    """One figure as published. ``id`` is the register's figure identifier."""

    layer = "figures"

    country: str = attr("ISO 3166-1 alpha-2 code, or 'regional'")
    area: str = attr("Area the figure covers: 'national', a region, a district, ...")
    metric: str = attr("What is measured, as a code: ap_area_cleared, ap_mines_destroyed, ...")
    value: float = attr("The figure, in ``unit``")
    unit: str = attr("Unit: km2, m2, count, percent, km, EUR, USD, ...")
    period_start: dt.date | None = attr("First day of the period covered (empty: not stated)",
                                        None, ahead=TARGET)
    period_end: dt.date | None = attr("Last day of the period, or the date a stock figure is "
                                      "'as at' (empty: not stated); a target's deadline may lie "
                                      "ahead", None, ahead=TARGET)
    as_of: dt.date | None = attr("Date the figure was given or published", None)
    attributed_to: str | None = attr("Who the figure comes from", None)
    publication: str | None = attr("Publication that carries it", None)
    document: str | None = attr("File or address of the document it was taken from", None)
    qualifier: FigureQualifier = attr("reported, estimate, claim or target",
                                      FigureQualifier.REPORTED)
    part_of: str | None = attr("Area this area is a part of, when the figure is one row of a "
                               "breakdown (a district of 'national', ...)", None)
    decimals: int | None = attr("Decimal places as published (for the rounding tolerance); "
                                "empty: taken from the value", None, minimum=0)

    def __post_init__(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise BadValue.of("value.period_end_before_start")

"""What planning reads from the store, as plain rows: activities with the land each released,
release steps, hazard versions, capacity, accidents and published figures.

:func:`mineaction.services.planning.snapshot` fills it through ``ctx.reader``; every function of
:mod:`mineaction.planning` takes it (or parts of it) and reads nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

#: The kind of work that releases land by each method, and back.
METHOD_OF_KIND = {"nts": "cancelled", "ts": "reduced", "clearance": "cleared", "bac": "cleared"}
KINDS = ("nts", "ts", "clearance", "bac")
METHODS = ("cancelled", "reduced", "cleared")
#: The forecast's three flows: the kind(s) of capacity behind each method.
FLOW_KINDS = {"cancelled": ("nts",), "reduced": ("ts",), "cleared": ("clearance", "bac")}


@dataclass
class ActivityRow:
    id: str
    kind: str
    operator: str
    started_on: dt.date | None
    ended_on: dt.date | None
    hazard_id: str | None
    released: dict[str, float] = field(default_factory=dict)  # method -> m² (its steps)

    @property
    def days(self) -> int | None:
        """Working time of the task in days, both ends counted; None without both dates."""
        if self.started_on is None or self.ended_on is None:
            return None
        return (self.ended_on - self.started_on).days + 1

    @property
    def area(self) -> float:
        return sum(self.released.values())


@dataclass
class StepRow:
    hazard_id: str | None
    activity_id: str
    method: str
    released_on: dt.date | None
    area_m2: float
    ids: list[str]


@dataclass
class VersionRow:
    hazard_id: str
    seq: int
    valid_from: dt.date | None
    change: str
    kind: str
    status: str
    area_m2: float


@dataclass
class HazardRow:
    """A hazard as it stands today (the ranking's input)."""

    id: str
    kind: str
    status: str
    threat: str | None
    land_use: str | None
    contamination: frozenset[str]
    admin_area_id: str | None
    recorded_on: dt.date | None
    geometry: Any  # shapely, EPSG:4326
    area_m2: float
    extra: dict[str, Any] = field(default_factory=dict)  # other fields (a risk estimate, ...)


@dataclass
class CapacityRow:
    id: str
    operator: str
    kind: str | None
    start: dt.date
    end: dt.date
    teams: int
    deminers: int
    dogs: int
    machines: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlap(self, start: dt.date, end: dt.date) -> int:
        """Days of this record's period within [start, end]."""
        a, b = max(self.start, start), min(self.end, end)
        return max((b - a).days + 1, 0)


@dataclass
class AccidentRow:
    id: str
    lon: float
    lat: float
    occurred_on: dt.date | None


@dataclass
class FigureRow:
    id: str
    country: str
    area: str
    metric: str
    value: float
    unit: str
    period_start: dt.date | None
    period_end: dt.date | None
    qualifier: str
    publication: str | None
    as_of: dt.date | None = None


@dataclass
class Record:
    """The part of a store planning reads. ``today`` is the day it was read."""

    today: dt.date
    activities: list[ActivityRow] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)
    versions: list[VersionRow] = field(default_factory=list)
    hazards: list[HazardRow] = field(default_factory=list)
    capacity: list[CapacityRow] = field(default_factory=list)
    accidents: list[AccidentRow] = field(default_factory=list)
    figures: list[FigureRow] = field(default_factory=list)
    synthetic: bool = False
    areas: dict[str, str] = field(default_factory=dict)  # admin area id -> district name
    countries: set[str] = field(default_factory=set)  # of the store's hazards and activities

    @property
    def has_history(self) -> bool:
        return bool(self.steps or self.activities)

    def last_release(self) -> dt.date | None:
        dates = [s.released_on for s in self.steps if s.released_on is not None]
        return max(dates) if dates else None

    def first_release(self) -> dt.date | None:
        dates = [s.released_on for s in self.steps if s.released_on is not None]
        return min(dates) if dates else None

    def until(self, cutoff: dt.date) -> Record:
        """The record as it could have been read at the end of ``cutoff``: activities ended,
        steps released, versions valid, capacity periods begun, accidents occurred by then
        (capacity whose period runs past the day is kept: a plan known that day)."""
        acts = [a for a in self.activities if a.ended_on is not None and a.ended_on <= cutoff]
        return Record(
            today=cutoff, activities=acts,
            steps=[s for s in self.steps if s.released_on is not None
                   and s.released_on <= cutoff],
            versions=[v for v in self.versions if v.valid_from is None
                      or v.valid_from <= cutoff],
            hazards=self.hazards,
            capacity=[c for c in self.capacity if c.start <= cutoff],
            accidents=[a for a in self.accidents if a.occurred_on is None
                       or a.occurred_on <= cutoff],
            figures=self.figures, synthetic=self.synthetic, areas=self.areas,
            countries=self.countries)

    def released_by_year(self) -> dict[int, dict[str, float]]:
        """Per calendar year, m² released by each method (the sum of the steps)."""
        out: dict[int, dict[str, float]] = defaultdict(lambda: dict.fromkeys(METHODS, 0.0))
        for s in self.steps:
            if s.released_on is not None:
                out[s.released_on.year][s.method] += s.area_m2
        return dict(out)

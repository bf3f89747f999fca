"""Risk education report: sessions and beneficiaries (girls, boys, women, men) by district,
method, audience, place, and distance to the nearest open hazard.

The distance is measured on the WGS84 ellipsoid from the session's location to the nearest
hazard open at the end of the period (today when the period has no end), and grouped in bands
(:data:`mineaction.quality.distance.BANDS`), so that an authority sees whether education
reaches the people who live near hazards. Beneficiaries are people: every table's counts are
suppressed jointly below the threshold, as casualties are. Every cell keeps its sessions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

from mineaction.analysis.statistics import Areas, Figure, Scope
from mineaction.domain.eore import RiskEducationSession
from mineaction.domain.vocabulary import HazardStatus
from mineaction.quality.distance import BANDS, NO_HAZARD, NO_LOCATION, Nearest
from mineaction.release.queries import hazards_at
from mineaction.reports.definitions import Options, new_report, report, suppress
from mineaction.reports.model import Cell, Column, Note, Report, Table, total_row
from mineaction.store.base import Reader

LAYER = "eore"
PEOPLE = ("girls", "boys", "women", "men")
NOT_RECORDED = "(not recorded)"


def _sessions(reader: Reader, scope: Scope) -> list[RiskEducationSession]:
    start = scope.period.start or dt.date.min
    end = scope.period.end or dt.date.max
    return [s for s in reader.iter(LAYER) if isinstance(s, RiskEducationSession)
            and start <= s.held_on <= end
            and (scope.area_ids is None or s.admin_area_id in scope.area_ids)]


def _table(name: str, title: str, heads: list[tuple[str, str]],
           sessions: list[RiskEducationSession],
           key: Callable[[RiskEducationSession], tuple[str, ...]], base: dict[str, Any],
           order: Sequence[tuple[str, ...]] | None = None,
           detail: Callable[[list[RiskEducationSession]], dict[str, Any]] | None = None
           ) -> Table:
    """Sessions and beneficiaries per value of ``key`` (one column per head). The four groups
    stay apart; "total" is the sum of the four on the same row, and nothing else is summed."""
    t = Table(name, title, [*(Column(n, h, numeric=False) for n, h in heads),
                            Column("sessions", "Sessions", "sessions"),
                            *(Column(p, p.capitalize(), "people") for p in PEOPLE),
                            Column("total", "Girls, boys, women and men", "people")],
              summed=("sessions", *PEOPLE, "total"))
    values = order if order is not None else sorted({key(s) for s in sessions})
    for v in values:
        mine = [s for s in sessions if key(s) == v]
        if not mine and order is None:
            continue
        ids = sorted(s.id for s in mine)
        c = {**base, **{n: x for (n, _), x in zip(heads, v, strict=True)}}
        row: dict[str, Any] = {n: Cell(x) for (n, _), x in zip(heads, v, strict=True)}
        # the detail (each session's distance) goes with the sessions, never with people
        row["sessions"] = Cell(len(ids), Figure(len(ids), LAYER, ids, {
            **c, **(detail(mine) if detail else {})}, len(ids)))
        for p in (*PEOPLE, "total"):
            n = sum(s.beneficiaries if p == "total" else getattr(s, p) for s in mine)
            row[p] = Cell(n, Figure(n, LAYER, ids, {**c, "sum": p if p != "total" else
                                                    "girls + boys + women + men"}, len(ids)))
        t.add(row)
    total_row(t)
    return t


def period_label(on: dt.date, quarters: bool) -> str:
    """The period a session counts in: its year, or its quarter (``2024-Q2``)."""
    return f"{on.year}-Q{(on.month - 1) // 3 + 1}" if quarters else str(on.year)


@report("eore", "Explosive ordnance risk education",
        "Sessions and beneficiaries (girls, boys, women, men) by district and year (or "
        "quarter: --by quarter), method, audience, place and distance to the nearest open "
        "hazard. Counts below the threshold are suppressed.")
def eore(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "eore", scope, options, [LAYER])
    sessions = _sessions(reader, scope)
    base = scope.describe()
    areas = Areas.load(reader)
    on = scope.period.end or scope.now()
    near = Nearest([h.geometry for h in hazards_at(reader, on)
                    if h.status == HazardStatus.OPEN and h.geometry is not None])
    measured = {s.id: near.measure(s.geometry) for s in sessions}
    quarters = options.quarter is not None or "quarter" in options.by

    def district(s: RiskEducationSession) -> str:
        d = areas.district(s.admin_area_id)
        return areas.name(d) if d else NOT_RECORDED

    def distances(mine: list[RiskEducationSession]) -> dict[str, Any]:
        return {"distance_m": {s.id: None if m is None else "beyond 5000" if math.isinf(m)
                               else round(m, 1) for s in mine
                               for m in [measured[s.id][1]]}}

    def one(name: str, title: str, head: str, key: Callable[[RiskEducationSession], str]
            ) -> Table:
        return _table(name, title, [(name, head)], sessions, lambda s: (key(s),), base)

    tables = [
        _table("district-period", "By district and " + ("quarter" if quarters else "year"),
               [("district", "District"), ("period", "Quarter" if quarters else "Year")],
               sessions, lambda s: (district(s), period_label(s.held_on, quarters)),
               {**base, "period_by": "quarter" if quarters else "year"}),
        one("method", "By method", "Method", lambda s: s.method or NOT_RECORDED),
        one("audience", "By audience", "Audience", lambda s: s.audience or NOT_RECORDED),
        one("place", "By place", "Place", lambda s: s.place or NOT_RECORDED),
        _table("distance", f"By distance to the nearest hazard open on {on.isoformat()}",
               [("distance", "Distance")], sessions, lambda s: (measured[s.id][0],),
               {**base, "hazards_open_on": on.isoformat(),
                "bands_m": "under 1 km: < 1000; 1-5 km: 1000 to < 5000; over 5 km: >= 5000"},
               [(name,) for name, _ in BANDS] + [
                   (v,) for v in (NO_LOCATION, NO_HAZARD)
                   if v in {b for b, _ in measured.values()}], distances)]
    threshold = options.suppress_below
    suppress(tables, [*PEOPLE, "total"], threshold, row_total="total")
    for t in tables:
        if any(cell.suppressed for row in t.all_rows() for cell in row.values()):
            t.notes.insert(0, Note("report.note_suppressed_marks", threshold=threshold))
    tables[-1].notes.append(Note("report.note_eore_distance"))
    tables[0].notes.append(Note("report.note_eore_attendances"))
    rep.tables += tables
    return rep

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
from collections.abc import Callable
from typing import Any

from mineaction.analysis.statistics import Areas, Figure, Scope
from mineaction.domain.eore import RiskEducationSession
from mineaction.domain.vocabulary import HazardStatus
from mineaction.quality.distance import BANDS, NO_HAZARD, NO_LOCATION, Nearest
from mineaction.release.queries import hazards_at
from mineaction.reports.definitions import Options, new_report, report, suppress
from mineaction.reports.model import Cell, Column, Report, Table, total_row
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


def _table(name: str, title: str, head: str, sessions: list[RiskEducationSession],
           key: Callable[[RiskEducationSession], str], base: dict[str, Any],
           order: list[str] | None = None) -> Table:
    t = Table(name, title, [Column(name, head, numeric=False),
                            Column("sessions", "Sessions", "sessions"),
                            *(Column(p, p.capitalize(), "people") for p in PEOPLE),
                            Column("total", "Total", "people")],
              summed=("sessions", *PEOPLE, "total"))
    values = order if order is not None else sorted({key(s) for s in sessions})
    for v in values:
        mine = [s for s in sessions if key(s) == v]
        if not mine and order is None:
            continue
        ids = sorted(s.id for s in mine)
        c = {**base, name: v}
        row: dict[str, Any] = {name: Cell(v), "sessions": Cell(len(ids), Figure(
            len(ids), LAYER, ids, c, len(ids)))}
        for p in (*PEOPLE, "total"):
            n = sum(s.beneficiaries if p == "total" else getattr(s, p) for s in mine)
            row[p] = Cell(n, Figure(n, LAYER, ids, {**c, "sum": p}, len(ids)))
        t.add(row)
    total_row(t)
    return t


@report("eore", "Explosive ordnance risk education",
        "Sessions and beneficiaries (girls, boys, women, men) by district, method, audience, "
        "place and distance to the nearest open hazard. Counts below the threshold are "
        "suppressed.")
def eore(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "eore", scope, options, [LAYER])
    sessions = _sessions(reader, scope)
    base = scope.describe()
    areas = Areas.load(reader)
    on = scope.period.end or dt.date.today()
    near = Nearest([h.geometry for h in hazards_at(reader, on)
                    if h.status == HazardStatus.OPEN and h.geometry is not None])
    band = {s.id: near.band(s.geometry) for s in sessions}

    def district(s: RiskEducationSession) -> str:
        d = areas.district(s.admin_area_id)
        return areas.name(d) if d else NOT_RECORDED

    tables = [
        _table("district", "By district", "District", sessions, district, base),
        _table("method", "By method", "Method", sessions,
               lambda s: s.method or NOT_RECORDED, base),
        _table("audience", "By audience", "Audience", sessions,
               lambda s: s.audience or NOT_RECORDED, base),
        _table("place", "By place", "Place", sessions, lambda s: s.place or NOT_RECORDED,
               base),
        _table("distance", f"By distance to the nearest hazard open on {on.isoformat()}",
               "Distance", sessions, lambda s: band[s.id],
               {**base, "hazards_open_on": on.isoformat()},
               [name for name, _ in BANDS] + [v for v in (NO_LOCATION, NO_HAZARD)
                                              if v in band.values()])]
    threshold = options.suppress_below
    suppress(tables, [*PEOPLE, "total"], threshold, row_total="total")
    for t in tables:
        if any(cell.suppressed for row in t.all_rows() for cell in row.values()):
            t.notes.insert(0, f"'<{threshold}': fewer than {threshold} people, not shown; "
                              f"'x': {threshold} or more, not shown because a hidden count "
                              "could be worked out from it and the totals.")
    tables[-1].notes.append("Distance on the WGS84 ellipsoid from the session's location to "
                            "the edge of the nearest open hazard (0 inside one).")
    rep.tables += tables
    return rep

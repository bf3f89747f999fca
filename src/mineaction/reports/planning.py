"""Planning reports: productivity from the record, and the ranked task list per district.

Both arrange what :mod:`mineaction.planning` computes; every cell keeps the records behind it
(the activities whose land and days make a rate, the capacity records whose team-days divide
it, the hazard a rank is for), so that ``--explain`` names them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mineaction.analysis.statistics import Figure, Scope
from mineaction.planning import productivity as pr
from mineaction.planning.data import ActivityRow, CapacityRow, Record
from mineaction.reports.definitions import Options, new_report, report
from mineaction.reports.model import Cell, Column, Note, Report, Table
from mineaction.store.base import Reader

RATE = "m²/team-day"


def _record(reader: Reader, scope: Scope) -> Record:
    from mineaction.planning.read import read

    return read(reader, scope.period.end or scope.now())


def _in_scope(rec: Record, scope: Scope) -> tuple[list[ActivityRow], list[CapacityRow]]:
    start = scope.period.start or dt.date.min
    end = scope.period.end or dt.date.max
    area_of = {h.id: h.admin_area_id for h in rec.hazards}
    acts = [a for a in rec.activities if a.ended_on is not None and start <= a.ended_on <= end
            and (scope.area_ids is None or area_of.get(a.hazard_id or "") in scope.area_ids)]
    caps = [c for c in rec.capacity if c.start <= end and c.end >= start]
    return acts, caps


def _spread_cells(s: pr.Spread, layer: str, criteria: dict[str, Any]) -> dict[str, Cell]:
    if s.support:
        criteria = {**criteria, "capacity": s.support}
    fig = Figure(s.n, layer, s.ids, criteria, s.n)
    out = {"n": Cell(s.n, fig)}
    for name in ("pooled", "p10", "p50", "p90"):
        v = getattr(s, name)
        out[name] = Cell(None if v is None else round(v, 1),
                         Figure(v if v is not None else 0, layer, s.ids,
                                {**criteria, "statistic": name}, s.n))
    return out


def spread_columns(unit: str = RATE) -> list[Column]:
    return [Column("n", "n", "records"), Column("pooled", "Pooled", unit, decimals=1),
            Column("p10", "P10", unit, decimals=1), Column("p50", "P50", unit, decimals=1),
            Column("p90", "P90", unit, decimals=1)]


def productivity_tables(rec: Record, scope: Scope) -> tuple[list[Table], list[str]]:
    acts, caps = _in_scope(rec, scope)
    base = scope.describe()
    tables: list[Table] = []
    notes: list[str] = []
    if scope.area_ids is None:
        t = Table("by-method", "Land released per team-day (capacity records) and per "
                  "asset-day (clearance fit)", [Column("method", "Method", numeric=False),
                                                Column("per", "Per", numeric=False),
                                                *spread_columns("m²/day")])
        for kind, s in pr.team_day_rates(acts, caps).items():
            c = {**base, "activity_kind": kind, "rule": "released m² of the operator's "
                 f"{kind} activities ended in each capacity period / (teams x days)"}
            t.add({"method": kind, "per": "team-day", **_spread_cells(s, "activities", c)})
        for asset, s in pr.asset_rates(acts, caps).items():
            c = {**base, "asset": asset, "rule": "non-negative least squares over clearance "
                 "and BAC capacity records: cleared m² = a deminer-days + b dog-days + c "
                 "machine-days; P10-P90 over 200 bootstrap resamples"}
            per = {"manual": "deminer-day", "dogs": "dog-day", "mechanical": "machine-day"}
            t.add({"method": asset, "per": per[asset], **_spread_cells(s, "activities", c)})
        t.notes.append(Note("report.note_team_days"))
        tables.append(t)
    else:
        notes.append(Note("report.note_capacity_no_area"))
    for by, title in (("threat", "threat"), ("land_use", "land use"),
                      ("contamination", "contamination")):
        rates, undated = pr.task_rates(acts, rec.hazards, by)
        t = Table(f"by-{by.replace('_', '-')}", f"Land released per task-day, by kind of work "
                  f"and {title}", [Column("group", "Kind / " + title, numeric=False),
                                   *spread_columns("m²/task-day")])
        for (kind, value), s in rates.items():
            c = {**base, "activity_kind": kind, by: value,
                 "rule": "each activity's released m² / its days (start to end, both "
                 "counted); one task taken as one team's work"}
            t.add({"group": f"{kind} / {value}", **_spread_cells(s, "activities", c)})
        if undated:
            t.notes.append(Note("report.note_undated_left_out", count=len(undated)))
        tables.append(t)
    return tables, notes


def capacity_month_table(rec: Record, scope: Scope) -> Table:
    _, caps = _in_scope(rec, scope)
    acts = [a for a in rec.activities if a.ended_on is not None]
    start = scope.period.start
    end = scope.period.end
    kinds = ("nts", "ts", "clearance", "bac")
    t = Table("capacity-by-month", "Capacity by month (a stock: the latest record of each "
              "operator and kind)", [
                  Column("month", "Month", numeric=False),
                  *(Column(f"{k}_teams", f"{k.upper()} teams", "teams") for k in kinds),
                  Column("deminers", "Deminers", "people"), Column("dogs", "Dogs", "dogs"),
                  Column("machines", "Machines", "machines"),
                  Column("missing", "Worked without a capacity record", numeric=False)])
    months = pr.capacity_by_month(caps if (start or end) else rec.capacity, acts, start, end) \
        if (caps or acts) else []
    gaps = 0
    for m in months:
        c = {"month": m.month, "rule": "latest capacity record of each operator and kind "
             "overlapping the month"}
        fig = Figure(0, "capacity", m.ids, c, len(m.ids))

        def cell(v: int, f: Figure = fig) -> Cell:
            return Cell(v, Figure(v, f.layer, f.ids, f.criteria, f.count))

        gaps += len(m.missing)
        t.add({"month": m.month, **{f"{k}_teams": cell(m.teams.get(k, 0)) for k in kinds},
               "deminers": cell(m.deminers), "dogs": cell(m.dogs),
               "machines": cell(m.machines),
               "missing": ", ".join(f"{op} {k}" for op, k in m.missing)})
    if gaps:
        t.notes.append(Note("report.note_capacity_gaps", count=gaps))
    elif months:
        t.notes.append(Note("report.note_capacity_complete"))
    return t


@report("productivity", "Productivity from the record", "Land released per team-day by "
        "method (NTS, TS, clearance, BAC; manual, dogs and mechanical fitted per asset-day), "
        "per task-day by threat, land use and contamination, with n and P10/P50/P90; capacity "
        "by month and where it is missing.")
def productivity(reader: Reader, scope: Scope, options: Options) -> Report:
    rep = new_report(reader, "productivity", scope, options,
                     ["activities", "release-steps", "capacity"])
    rec = _record(reader, scope)
    tables, notes = productivity_tables(rec, scope)
    rep.tables += tables
    rep.tables.append(capacity_month_table(rec, scope))
    rep.notes += notes
    if not rec.activities:
        rep.notes.append(Note("report.note_no_activities"))
    rep.notes.append(Note("report.note_productivity_methods"))
    return rep


TASKS_PER_DISTRICT = 25


def criterion_title(criterion: str) -> str:
    """The heading of a ranking criterion's column ("land_use" -> "Land use")."""
    return criterion.replace("_", " ").capitalize()


@report("ranked-tasks", "Ranked task list per district", "The open hazards of each district as "
        "the store holds them now, ranked by the default criteria and weights (mineaction "
        "plan rank --show-weights), each score with each criterion's part; accidents up to "
        "the end of the period count.")
def ranked_tasks(reader: Reader, scope: Scope, options: Options) -> Report:
    from mineaction.planning.priority import CRITERIA, load_weights, rank

    rep = new_report(reader, "ranked-tasks", scope, options, ["hazards", "accidents"])
    rec = _record(reader, scope)
    if scope.period.end is not None:
        rec.accidents = [a for a in rec.accidents
                         if a.occurred_on is None or a.occurred_on <= scope.period.end]
    ranking = rank(rec, load_weights())
    crit = [k for k in CRITERIA if float(ranking.weights[k].get("weight", 0))]
    by_district: dict[str, list[Any]] = {}
    for r in ranking.items:
        if scope.area_ids is not None and r.hazard.admin_area_id not in scope.area_ids:
            continue
        by_district.setdefault(r.district or Note("report.no_area_recorded"), []).append(r)
    for name in sorted(by_district):
        items = by_district[name]
        t = Table(f"district-{name}", Note("report.district_open_hazards", name=name,
                                           count=len(items)), [
            Column("rank", "Rank in district", numeric=False),
            Column("hazard", "Hazard", numeric=False),
            Column("area_km2", "Area", "km²", decimals=3),
            Column("score", "Score", "0-100", decimals=1),
            *(Column(k, criterion_title(k), "points", decimals=1)
              for k in crit)])
        for k, r in enumerate(items[:TASKS_PER_DISTRICT], 1):
            c = {"hazard": r.hazard.id, "rank_overall": r.rank,
                 "rule": "sum of weight x criterion score, scaled to 100"}
            t.add({"rank": str(k), "hazard": r.hazard.id,
                   "area_km2": Cell(r.hazard.area_m2 / 1e6, Figure(
                       r.hazard.area_m2 / 1e6, "hazards", [r.hazard.id],
                       {"hazard": r.hazard.id, "rule": "area of the open hazard"}, 1)),
                   "score": Cell(round(r.score, 1), Figure(r.score, "hazards", [r.hazard.id],
                                                           c, 1)),
                   **{k2: Cell(round(r.parts[k2], 1), Figure(
                       r.parts[k2], "hazards", [r.hazard.id],
                       {"hazard": r.hazard.id, "criterion": k2,
                        "measured": r.values.get(k2),
                        "weight": ranking.weights[k2]["weight"]}, 1)) for k2 in crit}})
        if len(items) > TASKS_PER_DISTRICT:
            t.notes.append(Note("report.note_first_shown", shown=TASKS_PER_DISTRICT,
                                count=len(items)))
        rep.tables.append(t)
    rep.notes += ranking.notes
    if not by_district:
        rep.notes.append(Note("report.note_nothing_to_rank"))
    return rep

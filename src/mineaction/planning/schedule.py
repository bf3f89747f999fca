"""A schedule: which hazards are worked on when, by which method, month by month.

Hazards are taken in the ranking's order. Each method has its own capacity in team-days a
month (the record's last full year of capacity, a twelfth a month, unless given) and its own
queue: non-technical survey first, on land not yet surveyed, cancelling the share of it the
record's closed hazards had cancelled; then technical survey on what NTS kept (or on a
confirmed hazard), reducing the record's share of it; then clearance of the rest. A method
starts on a hazard only in the month after the previous method finished it. A task larger than
a month's capacity runs on into the next months. Areas released are expectations (the record's
shares), not promises: the forecast gives their spread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from mineaction.messages import Note
from mineaction.planning.data import METHODS, Record
from mineaction.planning.priority import Ranked, team_days
from mineaction.planning.productivity import team_days_by_year

ORDER = ("cancelled", "reduced", "cleared")  # NTS, then TS, then clearance
KIND_OF = {"cancelled": "nts", "reduced": "ts", "cleared": "clearance"}


@dataclass
class Task:
    hazard: str
    rank: int
    district: str
    method: str  # cancelled (NTS), reduced (TS), cleared (clearance)
    start: str  # YYYY-MM
    end: str
    team_days: float
    area_m2: float  # expected to be released by it


@dataclass
class Schedule:
    tasks: list[Task]
    capacity: dict[str, float]  # method -> team-days a month
    rates: dict[str, float]  # method -> m² per team-day
    shares: tuple[float, float]  # share cancelled by NTS, share of the rest reduced by TS
    months: list[str]
    released: dict[str, dict[str, float]]  # month -> method -> m²
    unscheduled: int  # hazards with work left at the end of the horizon
    notes: list[str] = field(default_factory=list)


def _month(start: dt.date, k: int) -> str:
    y, m = divmod(start.month - 1 + k, 12)
    return f"{start.year + y}-{m + 1:02d}"


def stage_of(rec: Record, on: dt.date) -> dict[str, int]:
    """0 not surveyed, 1 surveyed (or confirmed), 2 technically surveyed, per open hazard."""
    done: dict[str, set[str]] = {}
    for s in rec.steps:
        if s.hazard_id and s.released_on is not None and s.released_on <= on:
            done.setdefault(s.hazard_id, set()).add(s.method)
    kind = {h.id: h.kind for h in rec.hazards}
    out = {}
    for hid in {h.id for h in rec.hazards if h.status == "open"}:
        d = done.get(hid, set())
        out[hid] = 2 if d & {"reduced", "cleared"} else \
            1 if ("cancelled" in d or kind.get(hid) == "cha") else 0
    return out


def schedule(rec: Record, ranked: Sequence[Ranked], *, start: dt.date, months: int = 36,
             capacity: dict[str, float] | None = None) -> Schedule:
    notes: list[str] = []
    if not ranked:
        notes.append(Note("planning.note_nothing_to_schedule"))
    rates, c0, r0 = team_days(rec)
    r1 = r0 / max(1 - c0, 0.01)
    r1 = min(max(r1, 0.0), 1.0)
    if capacity is None:
        tdy = team_days_by_year(rec.capacity)
        full = [y for y in sorted(tdy) if y < start.year or start.month == 12] or sorted(tdy)
        last = tdy.get(full[-1], {}) if full else {}
        capacity = {m: (last.get(KIND_OF[m], 0.0)
                        + (last.get("bac", 0.0) if m == "cleared" else 0.0)) / 12.0
                    for m in METHODS}
        if full:
            notes.append(Note("planning.note_capacity_of_year", year=full[-1]))
    missing = [m for m in METHODS if not rates.get(m) or not capacity.get(m)]
    if missing:
        notes.append(Note("planning.note_not_scheduled", methods=", ".join(missing)))
    stage = stage_of(rec, start - dt.timedelta(days=1))
    left = {r.hazard.id: r.hazard.area_m2 for r in ranked}
    ready = {r.hazard.id: 0 for r in ranked}  # first month the next method may start
    active: dict[str, tuple[Ranked, float, float, int]] = {}  # method -> task in progress
    tasks: list[Task] = []
    released: dict[str, dict[str, float]] = {}
    labels = [_month(start, k) for k in range(months)]
    share = {"cancelled": c0, "reduced": r1, "cleared": 1.0}
    for k, label in enumerate(labels):
        released[label] = dict.fromkeys(METHODS, 0.0)
        for mi, m in enumerate(ORDER):
            if m in missing:
                continue
            budget = capacity[m]
            while budget > 1e-9:
                if m not in active:
                    nxt = next((r for r in ranked if stage.get(r.hazard.id) == mi
                                and ready[r.hazard.id] <= k and left[r.hazard.id] > 0), None)
                    if nxt is None:
                        break
                    hid = nxt.hazard.id
                    sh = 0.0 if (m == "cancelled" and nxt.hazard.kind == "cha") else share[m]
                    area = left[hid] * sh
                    need = area / rates[m]
                    if need <= 0:
                        stage[hid] = mi + 1
                        continue
                    active[m] = (nxt, need, area, k)
                    stage[hid] = -1  # in progress
                r, need, area, began = active[m]
                used = min(need, budget)
                budget -= used
                need -= used
                released[label][m] += area * used / (need + used) if need + used else 0.0
                area_left = area * need / (need + used) if need + used else 0.0
                if need > 1e-9:
                    active[m] = (r, need, area_left, began)
                    continue
                hid = r.hazard.id
                del active[m]
                done_area = left[hid] * (0.0 if (m == "cancelled" and r.hazard.kind == "cha")
                                         else share[m])
                left[hid] -= done_area
                stage[hid] = mi + 1 if left[hid] > 1.0 else 3
                ready[hid] = k + 1
                tasks.append(Task(hid, r.rank, r.district, m, labels[began], label,
                                  done_area / rates[m], done_area))
    tasks.sort(key=lambda t: (t.start, ORDER.index(t.method), t.rank))
    unscheduled = sum(1 for hid, s in stage.items() if hid in left and s != 3
                      and left[hid] > 1.0)
    return Schedule(tasks, capacity, rates, (c0, r1), labels, released, unscheduled, notes)

"""The schedule: survey before technical survey before clearance on every hazard, within each
month's capacity, in the ranking's order."""

from __future__ import annotations

import json
from pathlib import Path

from tests.planning.conftest import run


def test_schedule_keeps_the_order_of_methods_and_the_capacity(demo_db: Path) -> None:
    code, out = run("--db", str(demo_db), "plan", "schedule", "--months", "24", "--limit", "0",
                    "--team-days", "nts=10,ts=40,clearance=60", "--format", "json")
    assert code == 0, out
    s = json.loads(out)
    assert s["tasks"]
    assert s["capacity_team_days_per_month"] == {"cancelled": 10.0, "reduced": 40.0,
                                                 "cleared": 60.0}
    order = {"cancelled": 0, "reduced": 1, "cleared": 2}
    by_hazard: dict[str, list[dict]] = {}
    for t in s["tasks"]:
        by_hazard.setdefault(t["hazard"], []).append(t)
    for tasks in by_hazard.values():
        tasks.sort(key=lambda t: order[t["method"]])
        assert len({t["method"] for t in tasks}) == len(tasks)  # each method once
        for a, b in zip(tasks, tasks[1:], strict=False):
            assert a["end"] < b["start"]  # the next method starts after the month it ended
    rates = s["m2_per_team_day"]
    for month, per in s["released_m2_by_month"].items():
        for m, area in per.items():
            assert area / rates[m] <= s["capacity_team_days_per_month"][m] + 1e-6, month
    # within one method, a hazard ranked higher never starts later than one ranked lower
    # among those ready at the start (clearance of hazards already technically surveyed)
    clear = [t for t in s["tasks"] if t["method"] == "cleared" and t["start"] == "2026-01"]
    assert [t["rank"] for t in clear] == sorted(t["rank"] for t in clear)

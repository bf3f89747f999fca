"""Productivity from the record: each rate recounted from the store's records by a second,
plain method; capacity by month shows where it is missing; a store of published figures only
says that nothing can be measured."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from mineaction.store import open_store
from tests.planning.conftest import run


def report_json(db: Path, tmp: Path, *args: str) -> dict:
    out = tmp / "p.json"
    code, _ = run("--db", str(db), "report", "productivity", *args, "--format", "json",
                  "-o", str(out))
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8"))


def cell(rep: dict, table: str, row: str, column: str) -> dict:
    t = next(t for t in rep["tables"] if t["name"] == table)
    r = next(r for r in t["rows"] if r[t["columns"][0]["name"]]["value"] == row)
    return r[column]


def test_team_day_rates_agree_with_a_recount(demo_db: Path, tmp_path: Path) -> None:
    rep = report_json(demo_db, tmp_path, "--year", "2024")
    store = open_store(str(demo_db))
    try:
        released: dict[str, float] = defaultdict(float)
        for s in store.iter("release-steps"):
            released[s.activity_id] += s.area_m2  # type: ignore[attr-defined]
        acts = list(store.iter("activities"))
        caps = list(store.iter("capacity"))
    finally:
        store.close()
    first, last = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    for kind in ("nts", "ts", "clearance"):
        values, land, effort = [], 0.0, 0.0
        for c in caps:
            if (c.activity_kind != kind or c.period_end < first  # type: ignore[attr-defined]
                    or c.period_start > last):  # type: ignore[attr-defined]
                continue
            area = sum(released[a.id] for a in acts
                       if a.kind == kind and a.operator == c.operator  # type: ignore[attr-defined]
                       and a.ended_on is not None and first <= a.ended_on <= last  # type: ignore
                       and c.period_start <= a.ended_on <= c.period_end)  # type: ignore
            td = c.teams * ((c.period_end - c.period_start).days + 1)  # type: ignore
            values.append(area / td)
            land += area
            effort += td
        assert values, kind
        assert cell(rep, "by-method", kind, "n")["value"] == len(values)
        assert abs(cell(rep, "by-method", kind, "pooled")["value"] - land / effort) < 0.1
        assert abs(cell(rep, "by-method", kind, "p50")["value"]
                   - float(np.quantile(values, 0.5))) < 0.1


def test_task_rates_name_their_activities(demo_db: Path, tmp_path: Path) -> None:
    rep = report_json(demo_db, tmp_path, "--year", "2023")
    t = next(t for t in rep["tables"] if t["name"] == "by-threat")
    assert t["rows"]
    for r in t["rows"]:
        n = r["n"]["value"]
        assert len(r["n"]["records"]) == n > 0
        lo, mid, hi = (r[q]["value"] for q in ("p10", "p50", "p90"))
        assert lo <= mid <= hi


def test_capacity_by_month_is_complete_on_the_demo_and_says_where_it_is_not(
        demo_db: Path, tmp_path: Path) -> None:
    from mineaction.planning.productivity import capacity_by_month
    from mineaction.services.context import open_context
    from mineaction.services.planning import snapshot

    rep = report_json(demo_db, tmp_path, "--year", "2022")
    t = next(t for t in rep["tables"] if t["name"] == "capacity-by-month")
    assert [r["month"]["value"] for r in t["rows"]] == [f"2022-{m:02d}" for m in range(1, 13)]
    assert any("Complete" in n for n in t["notes"])
    with open_context(str(demo_db)) as ctx:
        rec = snapshot(ctx)
    # without the 2022 records of one operator, its 2022 work has no capacity behind it
    op = next(c.operator for c in rec.capacity if c.start.year == 2022)
    caps = [c for c in rec.capacity if not (c.operator == op and c.start.year == 2022)]
    months = capacity_by_month(caps, rec.activities, dt.date(2022, 1, 1),
                               dt.date(2022, 12, 31))
    assert any((op, "ts") in m.missing or (op, "clearance") in m.missing for m in months)


def test_a_store_of_published_figures_only_says_what_cannot_be_measured(
        figures_db: Path, tmp_path: Path) -> None:
    rep = report_json(figures_db, tmp_path, "--year", "2023")
    assert any("no land release activities" in n for n in rep["notes"])
    code, text = run("--db", str(figures_db), "report", "productivity", "--explain")
    assert code == 0

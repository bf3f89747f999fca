"""Services take a Context: its clock dates what they check and write, its store is read
through the actor's view, and they take files already read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mineaction.errors import InvalidInput
from mineaction.io.readers import read_file
from mineaction.services import hazards, imports, layers
from mineaction.services.context import Context, open_context
from tests.conftest import EXAMPLES


def clock(day: str):  # type: ignore[no-untyped-def]
    return lambda: dt.datetime.fromisoformat(day + "T12:00:00+00:00")


@pytest.fixture
def ctx(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open_context(str(tmp_path / "s.gpkg"), require=False) as c:
        layers.init(c)
        yield c


def finds_file(tmp_path: Path, found_on: str) -> Path:
    p = tmp_path / "finds.csv"
    p.write_text("id,category,model,quantity,found_on,lon,lat\n"
                 f"F-1,ap,PMN-2,1,{found_on},50.5,41.2\n", encoding="utf-8")
    return p


def test_the_latest_date_accepted_is_the_contexts_today(ctx: Context, tmp_path: Path) -> None:
    src = read_file(finds_file(tmp_path, "2024-05-01"))
    early = Context(ctx.store, clock=clock("2024-01-01"))
    with pytest.raises(InvalidInput) as exc:
        imports.import_source(early, "finds", src)
    (p,) = exc.value.problems
    assert (p.field, p.code) == ("found_on", "value.date_in_future")
    # the context's day (a day of slack for time zones), not the system's
    latest = dt.date.fromisoformat(dict(p.params)["latest"])
    assert dt.timedelta(0) <= latest - dt.date(2024, 1, 1) <= dt.timedelta(days=1)
    assert ctx.store.count("finds") == 0
    later = Context(ctx.store, clock=clock("2024-06-01"))
    assert imports.import_source(later, "finds", src).count == 1


def test_check_reports_problems_and_writes_nothing(ctx: Context, tmp_path: Path) -> None:
    src = read_file(finds_file(tmp_path, "2023-02-30"))
    records, problems, _ = imports.check(ctx, "finds", src)
    assert not records and [p.code for p in problems] == ["value.not_a_date"]
    assert ctx.store.count("finds") == 0


def test_a_hazard_history_through_services(ctx: Context) -> None:
    for layer, name in [("organisations", "organisations.csv"),
                        ("admin-areas", "admin-areas.geojson"),
                        ("hazards", "hazards.geojson"), ("activities", "activities.geojson")]:
        imports.import_source(ctx, layer, read_file(EXAMPLES / name))
    listed = layers.list_records(ctx, "hazards", limit=2)
    assert len(listed.records) == 2 and listed.layer.name == "hazards"
    released = [h for h in layers.list_records(ctx, "hazards").records
                if hazards.history(ctx, h.id).timeline.steps]
    assert released
    hist = hazards.history(ctx, released[0].id)
    shape = hazards.as_json(hist)
    assert shape["id"] == released[0].id
    assert [v["seq"] for v in shape["timeline"]] == sorted(v["seq"] for v in shape["timeline"])
    steps = [v for v in shape["timeline"] if v["method"] is not None]
    assert steps and sum(v["released_m2"] for v in steps) == pytest.approx(hist.released_m2)
    with pytest.raises(InvalidInput) as exc:
        layers.list_records(ctx, "finds", at=dt.date(2023, 1, 1))
    assert exc.value.code == "cli.at_hazards_only"

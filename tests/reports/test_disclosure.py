"""An outsider's attack on every printed count of people: the casualties report (every table),
the progress report's casualty table and ``figures compare``, over every year of the demo
(seed 1) and of Colombia's register, all dates, and periods of one day and one month.

Only the printed output is used (CSV or JSON as a user gets it); the outsider of
``tests/reports/attack.py`` builds the linear system it shows and asks linear and integer
programmes for the range of every hidden cell. No hidden cell may be determined."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from mineaction import domain as d
from mineaction.cli import main
from mineaction.store import open_store
from tests.conftest import SHARED
from tests.reports.attack import Outsider, add_tables, parse_sections, section

COLOMBIA = SHARED / "data" / "colombia_victims" / "victims_1990_2017.csv"
PEOPLE = ("killed", "injured", "total")
DEMO_SCALE = "0.5"  # small and quick, with enough small counts to protect


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("demo-seed-1")
    db = str(root / "demo.gpkg")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "demo", "--seed", "1", "--scale", DEMO_SCALE, "--truth",
                 str(root / "truth.gpkg"), "--records-dir", str(root / "records")]) == 0
    return db


@pytest.fixture(scope="module")
def colombia(tmp_path_factory: pytest.TempPathFactory) -> str:
    if not COLOMBIA.exists():
        pytest.skip("Colombian register not present")
    db = str(tmp_path_factory.mktemp("co") / "co.gpkg")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "import-register", "victims", str(COLOMBIA),
                 "--mapping", "colombia-aicma"]) == 0
    return db


def victim_days(db: str) -> Counter[dt.date]:
    with open_store(db) as store:
        return Counter({dt.date.fromisoformat(str(r["occurred_on"])[:10]): r["count"]
                        for r in store.aggregate("victims", ["occurred_on"])
                        if r["occurred_on"]})


def periods(db: str) -> Iterator[tuple[str, list[str]]]:
    """All dates, every year with victims, and days and months: the first, the busiest and
    the last with victims, and a day without any."""
    days = victim_days(db)
    yield "all dates", []
    for year in sorted({day.year for day in days}):
        yield str(year), ["--year", str(year)]
    ordered = sorted(days)
    busiest = max(ordered, key=lambda day: (days[day], day))
    for day in sorted({ordered[0], busiest, ordered[-1]}):
        yield f"day {day}", ["--from", day.isoformat(), "--to", day.isoformat()]
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        yield f"month {first:%Y-%m}", ["--from", first.isoformat(), "--to", last.isoformat()]
    empty = next(day for day in (ordered[0] + dt.timedelta(days=n) for n in range(1, 400))
                 if day not in days)
    yield f"day {empty} (none)", ["--from", empty.isoformat(), "--to", empty.isoformat()]


def printed(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 0
    return capsys.readouterr().out


def attack(out: Outsider) -> dict[str, float]:
    return {**out.disclosed(), **out.disclosed(integral=True)}


@pytest.mark.parametrize("store", ["demo", "colombia"])
def test_no_hidden_count_of_the_casualties_report_can_be_worked_out(
        store: str, request: pytest.FixtureRequest,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = request.getfixturevalue(store)
    hidden = checked = 0
    for label, args in periods(db):
        text = printed(capsys, ["--db", db, "report", "casualties", *args, "--format", "csv"])
        tables = parse_sections(text)
        assert [t.name for t in tables] == ["by-year", "by-group", "by-sex", "by-age-band",
                                            "by-device-category", "by-activity-at-time"]
        out = Outsider()
        add_tables(out, tables, PEOPLE)  # rows, columns and the totals the tables share
        assert attack(out) == {}, label
        hidden += len(out.hidden)
        checked += 1
    assert checked >= 8 and hidden > 0  # the attack had something to attack


@pytest.mark.parametrize("store", ["demo", "colombia"])
def test_no_hidden_count_of_the_progress_report_can_be_worked_out(
        store: str, request: pytest.FixtureRequest,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = request.getfixturevalue(store)
    years = sorted({day.year for day in victim_days(db)})
    if store == "colombia":  # every quarter of the first, the busiest and the last year
        per_year = Counter({y: 0 for y in years})
        for day, n in victim_days(db).items():
            per_year[day.year] += n
        years = sorted({years[0], max(years, key=lambda y: per_year[y]), years[-1]})
    hidden = 0
    for year in years:
        for quarter in range(1, 5):
            text = printed(capsys, ["--db", db, "report", "progress", "--year", str(year),
                                    "--quarter", str(quarter), "--format", "csv"])
            out = Outsider()
            add_tables(out, [section(text, "casualties")], ("killed", "injured"),
                       row_total=None)
            assert attack(out) == {}, (year, quarter)
            hidden += len(out.hidden)
    assert hidden > 0


def casualty_figures(country: str, area: str, spans: list[tuple[dt.date, dt.date]]
                     ) -> list[str]:
    rows = []
    for n, (start, end) in enumerate(spans):
        for metric in ("casualties_killed", "casualties_injured", "casualties_total"):
            rows.append(f"T-{country}-{area}-{n}-{metric},{country},{area},{metric},100,count,"
                        f"{start},{end},,Test authority,Test,,reported,")
    return rows


def victims_in(db: str, span: tuple[dt.date, dt.date]) -> int:
    return sum(n for day, n in victim_days(db).items() if span[0] <= day <= span[1])


def year_spans(days: Counter[dt.date]) -> list[tuple[dt.date, dt.date]]:
    ordered = sorted(days)
    busiest = max(ordered, key=lambda day: (days[day], day))
    spans = [(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in sorted({d.year for d in days})]
    spans += [(busiest, busiest), (busiest.replace(day=1),
                                    (busiest.replace(day=1) + dt.timedelta(days=32))
                                    .replace(day=1) - dt.timedelta(days=1)),
              (ordered[0], ordered[-1])]
    return spans


def compare_outsider(rows: list[dict]) -> tuple[Outsider, int]:  # type: ignore[type-arg]
    """killed + injured = total for each place and period; every printed field used: the
    value, the number of records and the difference from the published figure."""
    out = Outsider()
    groups: dict[tuple[str, str, str, str], dict[str, int]] = {}
    for r in rows:
        if not r["metric"].startswith("casualties_") or r["computed"] == "no data":
            continue
        key = (r["country"], r["area"].lower(), *r["period"])
        text = r["computed"]
        if not isinstance(text, str):
            text = str(text)
        elif isinstance(r["records"], int) or r["difference"] is not None:
            text = str(r["records"] if isinstance(r["records"], int)
                       else r["published"] + r["difference"])  # a leak the attack will show
        index = out.cell(f"{r['figure_id']}", text)
        groups.setdefault(key, {})[r["metric"].removeprefix("casualties_")] = index
    for g in groups.values():
        if len(g) == 3:
            out.equal([g["killed"], g["injured"]], [g["total"]])
    return out, len(groups)


def test_figures_compare_prints_no_count_of_people_that_can_be_worked_out(
        demo: str, colombia: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    # The demo's territory as a country with a (user-assigned) code, and Colombia's
    # municipalities placed in their departments, so that the store's figures are computed.
    db = str(tmp_path / "demo.gpkg")
    shutil.copy(demo, db)
    with open_store(db) as store, store.transaction() as tx:
        areas = list(tx.iter("admin-areas"))
        top = next(a for a in areas if a.parent_id is None)  # type: ignore[attr-defined]
        district = next(a for a in areas if a.parent_id == top.id)  # type: ignore
        top.country = "XV"  # type: ignore[attr-defined]
        tx.update(top)
    co = str(tmp_path / "co.gpkg")
    shutil.copy(colombia, co)
    place_colombian_municipalities(co)
    for path, country, area in ((db, "XV", district.name.upper()),  # type: ignore[attr-defined]
                                (co, "CO", "Antioquia")):
        spans = year_spans(victim_days(path))
        register = tmp_path / f"{country}.csv"
        head = ("figure_id,country,area,metric,value,unit,period_start,period_end,as_of,"
                "attributed_to,publication,seed_file,qualifier,note")
        # Every year, the busiest day and month and the whole span, national; the last three
        # and the busiest year for an area too (named in another case than the store's).
        busiest_year = max(spans[:-3], key=lambda s: victims_in(path, s))
        local = [busiest_year, *spans[-3:]]
        register.write_text("\n".join([head, *casualty_figures(country, "national", spans),
                                       *casualty_figures(country, area, local)]) + "\n",
                            encoding="utf-8")
        assert main(["--db", path, "figures", "import", str(register)]) == 0
        rows = json.loads(printed(capsys, ["--db", path, "figures", "compare", "--country",
                                           country, "--format", "json"]))
        assert len(rows) == 3 * (len(spans) + len(local))
        assert all(r["computed"] != "no data" for r in rows if r["area"] == "national")
        out, places = compare_outsider(rows)
        assert places >= len(spans) and out.hidden, country
        assert attack(out) == {}, country
        table = printed(capsys, ["--db", path, "figures", "compare", "--country", country])
        assert "<5" in table and "not shown" in table


def place_colombian_municipalities(db: str) -> None:
    """Colombia, its departments and their municipalities (by DANE code, as the mapping
    stores them) as administrative areas, read from the register file itself."""
    departments: dict[str, str] = {}
    municipalities: dict[str, str] = {}
    with COLOMBIA.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            dep = str(int(row["codigodanedepartamento"].replace(",", "")))
            departments[dep] = row["departamento"]
            mun = int(row["codigodanemunicipio"].replace(",", ""))
            municipalities[f"CO-DANE-{mun:05d}"] = dep
    src = "test:colombia-areas"
    areas = [d.AdminArea(id="CO", name="Colombia", level=0, country="CO", source=src)]
    areas += [d.AdminArea(id=f"CO-DEP-{k}", name=v, level=1, parent_id="CO", source=src)
              for k, v in sorted(departments.items())]
    areas += [d.AdminArea(id=k, name=k, level=2, parent_id=f"CO-DEP-{v}", source=src)
              for k, v in sorted(municipalities.items())]
    with open_store(db) as store, store.transaction() as tx:
        for i in range(0, len(areas), 200):  # under the GeoPackage adapter's bulk size: a bulk
            tx.add_many(areas[i:i + 200])    # batch of areas without geometry fails there


def test_the_json_report_lists_no_victim_while_counts_are_suppressed(
        demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON of a report carries each cell's records, but never the ids of victims while
    counts are suppressed: the lists under two printed cells intersect into a count no table
    shows, and an id can single a person out. With no suppression (people who may read
    every victim) they are listed."""
    def cells(text: str) -> list[dict]:  # type: ignore[type-arg]
        doc = json.loads(text)
        return [c for t in doc["tables"] for r in t["rows"] for c in r.values()
                if isinstance(c, dict) and c.get("layer") == "victims"]

    public = cells(printed(capsys, ["--db", demo, "report", "casualties", "--format", "json"]))
    assert public and all(c["records"] == [] and "not listed" in c["note"] for c in public)
    full = cells(printed(capsys, ["--db", demo, "report", "casualties", "--format", "json",
                                  "--suppress-below", "0"]))
    assert any(c["records"] for c in full)

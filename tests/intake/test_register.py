"""Colombia's victims register (../shared/data/colombia_victims) and a newer copy of it: an
extra column mapped, a re-import that finds every row already there, another id pattern that
does not double the victims, unmapped values listed with their counts, and reports crediting
the imports their records came from."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from mineaction.cli import main
from mineaction.io.mapping import load_mapping
from mineaction.store import open_store
from tests.conftest import SHARED

DATA = SHARED / "data" / "colombia_victims" / "victims_1990_2017.csv"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="Colombian register not present")

ACTIVITIES = list(load_mapping("colombia-aicma", "victims").fields["activity_at_time"]["values"])
EXTRA = 40


#: The newer copy is made from the register's first rows (the whole file takes minutes on a
#: loaded machine; the reconciliation is the same).
PART = 2_000


def rows(n: int | None = None) -> tuple[list[str], list[dict[str, str]]]:
    with DATA.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        data = list(reader)
        return list(reader.fieldnames or []), data[:n] if n else data


def part(tmp: Path) -> Path:
    """The register's first :data:`PART` rows, as published."""
    header, data = rows(PART)
    out = io.StringIO()
    w = csv.DictWriter(out, header)
    w.writeheader()
    w.writerows(data)
    p = tmp / "victims_part.csv"
    p.write_text("\ufeff" + out.getvalue(), encoding="utf-8")
    return p


def newer_copy(tmp: Path, *, odd: dict[int, str] | None = None) -> Path:
    """The register as a later copy might be: an ``Actividad`` column, 40 more victims (of
    2018), and the rows in another order."""
    header, data = rows(PART)
    rng = random.Random(7)
    for i, r in enumerate(data):
        r["Actividad"] = ACTIVITIES[i % len(ACTIVITIES)]
    for i in range(EXTRA):
        extra = dict(data[i * 7])
        extra["ano"], extra["mes"] = "2,018", str(1 + i % 12)
        data.append(extra)
    for i, value in (odd or {}).items():
        data[i]["Actividad"] = value
    rng.shuffle(data)
    out = io.StringIO()
    w = csv.DictWriter(out, [*header, "Actividad"])
    w.writeheader()
    w.writerows(data)
    p = tmp / "victims_2018.csv"
    p.write_text("\ufeff" + out.getvalue(), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("reg") / "co.gpkg")
    assert main(["--db", path, "init"]) == 0
    assert main(["--db", path, "import-register", "victims", str(DATA),
                 "--mapping", "colombia-aicma"]) == 0
    return path


def test_the_same_copy_again_is_all_there(db: str, capsys: pytest.CaptureFixture) -> None:
    capsys.readouterr()
    assert main(["--db", db, "import", "victims", str(DATA), "--mapping",
                 "colombia-aicma"]) == 0
    assert "0 new, 0 changed, 11,498 unchanged, 0 missing" in capsys.readouterr().out
    with open_store(db) as store:
        assert store.count("victims") == 11_498


def test_a_newer_copy_adds_its_victims_and_the_new_column(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture
                                                          ) -> None:
    db = str(tmp_path / "n.gpkg")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "import-register", "victims", str(part(tmp_path)),
                 "--mapping", "colombia-aicma"]) == 0
    newer = newer_copy(tmp_path)
    capsys.readouterr()
    assert main(["--db", db, "import", "victims", str(newer), "--mapping", "colombia-aicma",
                 "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert f"{EXTRA} new, {PART:,} changed, 0 unchanged, 0 missing" in dry
    with open_store(db) as store:
        assert store.count("victims") == PART  # a dry run writes nothing
    assert main(["--db", db, "import", "victims", str(newer), "--mapping", "colombia-aicma",
                 "--source", "register copy of 2018"]) == 0
    out = capsys.readouterr().out
    assert f"{EXTRA} new, {PART:,} changed, 0 unchanged, 0 missing" in out
    assert "dates found: " in out and " to 2018-12-01" in out
    with open_store(db) as store:
        victims = store.query("victims")
        assert len(victims) == PART + EXTRA
        # the activity is no longer "unknown" for anyone: the column was read, not dropped
        assert all(v.activity_at_time is not None for v in victims)
        assert store.count("record-changes") == PART
        (run,) = [r for r in store.query("imports") if r.file_name == newer.name]
        assert (run.added, run.changed, run.rows) == (EXTRA, PART, PART + EXTRA)
        assert str(run.last_date) == "2018-12-01" and run.description == "register copy of 2018"
    # and once more: every row of the newer copy is there
    assert main(["--db", db, "import", "victims", str(newer), "--mapping",
                 "colombia-aicma"]) == 0
    assert f"0 new, 0 changed, {PART + EXTRA:,} unchanged" in capsys.readouterr().out
    # under another id pattern, the victims are found by what they are, not doubled
    other = tmp_path / "rows.toml"
    text = load_mapping("colombia-aicma", "victims").path.read_text(encoding="utf-8")
    start = text.index("id = {")
    end = text.index("}", start) + 1
    other.write_text(text[:start] + 'id = "CO-ROW-{row}"' + text[end:], encoding="utf-8")
    assert main(["--db", db, "import", "victims", str(newer), "--mapping", str(other)]) == 0
    assert f"0 new, 0 changed, {PART + EXTRA:,} unchanged" in capsys.readouterr().out
    with open_store(db) as store:
        assert store.count("victims") == PART + EXTRA


def test_reports_credit_the_imports_the_records_came_from(db: str) -> None:
    from mineaction.analysis.statistics import Scope
    from mineaction.reports import build

    with open_store(db) as store:
        rep = build(store, "casualties", Scope())
    text = "\n".join(rep.sources + rep.credits)
    # credited to the register's import: its source, file, checksum and the dates found
    assert "yhxn-eqqw" in text and "victims_1990_2017.csv" in text
    assert "1990-01-01 to 2017-" in text and "11,498 rows" in text
    # the chart's source line credits the same import
    (chart,) = rep.charts
    assert chart.source.startswith("Source: ") and rep.credits[0] in chart.source


def test_credits_and_sources_are_said_in_the_reports_language(db: str) -> None:
    from mineaction.analysis.statistics import Scope
    from mineaction.reports import build
    from mineaction.reports.localise import localise
    from mineaction.reports.render import as_json

    with open_store(db) as store:
        rep = build(store, "casualties", Scope())
    rep.locale = "ru"
    shown = localise(rep)
    (credit,) = shown.credits
    assert credit.startswith("yhxn-eqqw") or "yhxn-eqqw" in credit
    assert "(файл victims_1990_2017.csv, SHA-256 " in credit
    assert "строк: 11,498, с 1990-01-01 по 2017-" in credit and "; импортировано 20" in credit
    assert shown.charts[0].source == f"Источник: {credit}"
    # victims are a layer of people: their source is named, their count is not printed
    assert shown.sources == [f"victims: {credit}"]
    machine = as_json(rep)  # machines read the English
    assert machine["credits"] == rep.credits and "rows" in machine["credits"][0]


def test_every_unmapped_value_is_listed_with_its_count(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "u.gpkg")
    assert main(["--db", db, "init"]) == 0
    odd = {i: "Caza" for i in range(0, 30)} | {i: "Pesca" for i in range(30, 35)}
    newer = newer_copy(tmp_path, odd=odd)
    problems = tmp_path / "problems.csv"
    assert main(["--db", db, "import", "victims", str(newer), "--mapping", "colombia-aicma",
                 "--dry-run", "--problems", str(problems)]) == 2
    out, err = capsys.readouterr()
    assert "activity_at_time, Actividad, 'Caza': 30" in out
    assert "activity_at_time, Actividad, 'Pesca': 5" in out
    assert "35  intake.value_unmapped" in err  # the summary by reason
    with problems.open(encoding="utf-8") as fh:
        listed = list(csv.DictReader(fh))
    assert len(listed) == 35
    assert {r["value"] for r in listed} == {"Caza", "Pesca"}
    assert {r["field"] for r in listed} == {"Actividad"}
    assert all(r["row"].startswith("line ") and r["code"] == "intake.value_unmapped"
               for r in listed)
    # refused all or nothing, the import says the same
    assert main(["--db", db, "import", "victims", str(newer), "--mapping",
                 "colombia-aicma"]) == 2
    assert "activity_at_time, Actividad, 'Caza': 30" in capsys.readouterr().out
    with open_store(db) as store:
        assert store.count("victims") == 0 and store.count("imports") == 0

"""Casualties by administrative area, on the real Colombian victims register: its
municipalities are known only by their DANE codes, unless the store holds an area of that id.
Counts are checked against the register's rows counted here with the csv module."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mineaction.cli import main
from mineaction.io.victims_register import import_rows, load_mapping
from mineaction.store import Store
from tests.conftest import SHARED, skip_or_fail

REGISTER = SHARED / "data" / "colombia_victims" / "victims_1990_2017.csv"


def register_rows(department: str | None = None) -> list[dict[str, str]]:
    if not REGISTER.exists():
        skip_or_fail(f"{REGISTER} is missing (shared/data)")
    with REGISTER.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if department is None or r["departamento"] == department]


def code(row: dict[str, str]) -> str:
    return f"CO-DANE-{int(row['codigodanemunicipio'].replace(',', '')):05d}"


def by_area(db: str, tmp: Path, *args: str) -> dict[str, Any]:
    out = tmp / "casualties.json"
    assert main(["--db", db, "report", "casualties", "--by", "area", *args, "--format", "json",
                 "-o", str(out)]) == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    return next(t for t in rep["tables"] if t["name"] == "by-area")


def test_every_municipality_of_the_register_has_its_row(store: Store, tmp_path: Path) -> None:
    rows = register_rows()
    import_rows(store, rows, load_mapping("colombia-aicma"))
    table = by_area(store.url, tmp_path, "--suppress-below", "0")
    expected = Counter(code(r) for r in rows)
    got = {r["area"]["value"]: r["total"]["value"] for r in table["rows"]}
    assert got == expected
    assert table["total"]["total"]["value"] == len(rows) == 11498
    killed = Counter(code(r) for r in rows if r["estado"] == "Muerto")
    assert {r["area"]["value"]: r["killed"]["value"] for r in table["rows"]} == {
        k: killed.get(k, 0) for k in expected}
    assert any(f"{len(expected)} areas known only by the code" in n for n in table["notes"])


def test_small_counts_by_area_are_suppressed(tmp_path: Path) -> None:
    from mineaction.store import open_store

    rows = register_rows("SUCRE")
    db = str(tmp_path / "sucre.gpkg")
    with open_store(db) as s:
        s.create()
        import_rows(s, rows, load_mapping("colombia-aicma"))
    table = by_area(db, tmp_path)
    expected = Counter(code(r) for r in rows)
    small = {k for k, n in expected.items() if 1 <= n < 5}
    assert small, "Sucre has municipalities with fewer than 5 victims"
    for r in table["rows"]:
        total = r["total"]
        if r["area"]["value"] in small:
            assert total["suppressed"] == "primary" and total["value"] is None
            assert "records" not in total or not total["records"]
        elif not total["suppressed"]:
            assert total["value"] == expected[r["area"]["value"]]
        for col in ("killed", "injured", "total"):
            v = r[col]
            assert v["suppressed"] or v["value"] == 0 or v["value"] >= 5


def test_a_stored_area_gives_its_name(store: Store, tmp_path: Path) -> None:
    """A code the store holds as an area is shown by the area's name (and the area selects the
    register's victims with --area, by its name in another spelling)."""
    rows = register_rows("CORDOBA")
    import_rows(store, rows, load_mapping("colombia-aicma"))
    top, n = Counter(code(r) for r in rows).most_common(1)[0]
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": top, "name": "Puerto Libertador", "level": 2,
                                          "country": "CO", "source": "synthetic:test"},
        "geometry": {"type": "Polygon", "coordinates": [[[50.5, 41.0], [50.6, 41.0],
                                                         [50.6, 41.1], [50.5, 41.0]]]}}]}))
    assert main(["--db", store.url, "import", "admin-areas", str(area)]) == 0
    table = by_area(store.url, tmp_path, "--suppress-below", "0")
    names = {r["area"]["value"]: r["total"]["value"] for r in table["rows"]}
    assert top == "CO-DANE-23580"  # Puerto Libertador, as the register's rows name it
    assert names["Puerto Libertador"] == n and top not in names
    within = by_area(store.url, tmp_path, "--suppress-below", "0", "--area", "PUERTO LIBERTADOR")
    assert [r["area"]["value"] for r in within["rows"]] == ["Puerto Libertador"]
    assert within["total"]["total"]["value"] == n


@pytest.mark.parametrize("report", ["capacity", "progress"])
def test_by_area_is_refused_where_it_means_nothing(tmp_path: Path, report: str) -> None:
    db = str(tmp_path / "s.gpkg")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "report", report, "--year", "2023", "--by", "area"]) == 2

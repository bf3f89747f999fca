"""Colombia's register of mine and UXO victims, 1990-2017, imported through its TOML mapping:
the casualty report agrees with a plain pandas count of the same file, bad values are refused
with row and column named, and the source is credited where the figures are shown."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from mineaction.analysis.statistics import Scope
from mineaction.cli import main
from mineaction.io.victims_register import convert, load_mapping, read_register
from mineaction.reports import Options, build
from mineaction.reports.render import write
from mineaction.store import open_store
from tests.conftest import SHARED

DATA = SHARED / "data" / "colombia_victims" / "victims_1990_2017.csv"

pytestmark = pytest.mark.skipif(not DATA.exists(), reason="Colombian register not present")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("co") / "co.gpkg")
    assert main(["--db", path, "init"]) == 0
    assert main(["--db", path, "import-register", "victims", str(DATA),
                 "--mapping", "colombia-aicma"]) == 0
    return path


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    # A plain reading of the file, independent of the mapping code.
    df = pd.read_csv(DATA, encoding="utf-8-sig", dtype=str)
    df["year"] = df["ano"].str.replace(",", "").astype(int)
    return df


def test_casualty_report_agrees_with_pandas(db: str, frame: pd.DataFrame) -> None:
    with open_store(db) as store:
        rep = build(store, "casualties", Scope(), Options(suppress_below=0))
    killed, injured = frame["estado"] == "Muerto", frame["estado"] == "Herido"
    assert killed.sum() + injured.sum() == len(frame)
    by_year = rep.table("by-year")
    counts = frame.groupby(["year", "estado"]).size()
    assert [r["year"].value for r in by_year.rows] == [str(y) for y in
                                                       sorted(frame["year"].unique())]
    for r in by_year.rows:
        y = int(r["year"].value)
        assert r["killed"].value == counts.get((y, "Muerto"), 0), y
        assert r["injured"].value == counts.get((y, "Herido"), 0), y
    assert by_year.total["total"].value == len(frame) == 11_498
    pairs = {"by-group": ("condicion", {"Civil": "civilian", "Fuerza pública": "military"}),
             "by-sex": ("genero", {"Masculino": "male", "Femenino": "female",
                                   "Sin Información": "unknown"}),
             "by-age-band": ("rangoedad", {"Menor de 18 años": "child",
                                           "Mayor de 18 años": "adult"}),
             "by-device-category": ("tipoevento", {"Accidente por MAP": "ap",
                                                   "Accidente por MUSE": "uxo"})}
    for table, (column, words) in pairs.items():
        t = rep.table(table)
        counts = frame.groupby([column, "estado"]).size()
        for word, code in words.items():
            assert t.cell(code, "killed").value == counts.get((word, "Muerto"), 0), (table, code)
            assert t.cell(code, "injured").value == counts.get((word, "Herido"), 0), (table,
                                                                                      code)


def test_a_year_filter_agrees_with_pandas(db: str, frame: pd.DataFrame) -> None:
    assert main(["--db", db, "report", "casualties", "--year", "2006"]) == 0
    from mineaction.analysis.statistics import Period

    with open_store(db) as store:
        rep = build(store, "casualties", Scope(Period.of(2006)), Options(suppress_below=0))
    sub = frame[frame["year"] == 2006]
    assert rep.table("by-group").total["total"].value == len(sub) == 1232
    military = sub[sub["condicion"] == "Fuerza pública"]
    assert rep.table("by-group").cell("military", "killed").value == \
        (military["estado"] == "Muerto").sum()


def test_thousands_separators_and_codes_are_read_as_numbers(db: str,
                                                            frame: pd.DataFrame) -> None:
    # The register has no ids: a row's id is a hash of the columns describing the event.
    columns = ["departamento", "codigodanedepartamento", "municipio", "codigodanemunicipio",
               "tipoarea", "ano", "mes", "rangoedad", "condicion", "estado", "genero",
               "tipoevento"]
    row = frame.iloc[0]
    text = "\x1f".join("" if pd.isna(row[c]) else str(row[c]).strip() for c in columns)
    first_id = "CO-AICMA-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    with open_store(db) as store:
        first = store.get("victims", first_id)
    # First data row: ANTIOQUIA, GRANADA "5,313", year "2,006", month 1, minor, injured, male.
    assert first.occurred_on.isoformat() == "2006-01-01"
    assert first.admin_area_id == "CO-DANE-05313"
    assert (first.group, first.outcome, first.sex, first.age_band, first.device_category) == (
        "civilian", "injured", "male", "child", "ap")
    assert '"municipio": "GRANADA"' in first.attributes
    assert "grupoetnico" not in (first.attributes or "")  # sensitive: not stored


def test_results_credit_the_source(db: str, tmp_path: Path) -> None:
    with open_store(db) as store:
        rep = build(store, "casualties", Scope())
    (html,) = write(rep, tmp_path / "c.html")
    text = html.read_text(encoding="utf-8")
    assert "yhxn-eqqw" in text and "AICMA" in text
    assert "SYNTHETIC" not in text


def test_a_value_the_mapping_does_not_know_is_refused(tmp_path: Path) -> None:
    lines = DATA.read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].replace(",Muerto,", ",Desaparecido,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\ufeff" + "\n".join(lines[:20]) + "\n", encoding="utf-8")
    m = load_mapping("colombia-aicma")
    records, problems = convert(m, read_register(bad, m))
    assert len(problems) == 1
    assert problems[0].where == "line 4" and problems[0].field == "estado"
    assert "Desaparecido" in problems[0].reason
    path = str(tmp_path / "b.gpkg")
    assert main(["--db", path, "init"]) == 0
    assert main(["--db", path, "import-register", "victims", str(bad), "--mapping",
                 str(m.path)]) == 2
    with open_store(path) as store:
        assert store.count("victims") == 0


def test_a_mapping_for_another_register_needs_no_code(tmp_path: Path) -> None:
    mapping = tmp_path / "other.toml"
    mapping.write_text('''
[register]
name = "other"
id = "OT-{row}"
[fields.group]
column = "who"
values = { "civ" = "civilian", "sol" = "military" }
[fields.outcome]
column = "what"
values = { "k" = "killed", "i" = "injured" }
[fields.occurred_on]
year = "yr"
''', encoding="utf-8")
    data = tmp_path / "other.csv"
    data.write_text("who,what,yr\nciv,k,2019\nsol,i,2020\n", encoding="utf-8")
    m = load_mapping(mapping)
    records, problems = convert(m, read_register(data, m))
    assert not problems
    assert [(r.id, r.group, r.outcome, r.occurred_on.year) for r in records] == [
        ("OT-1", "civilian", "killed", 2019), ("OT-2", "military", "injured", 2020)]

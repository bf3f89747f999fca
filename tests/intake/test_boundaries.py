"""Real administrative boundaries (geoBoundaries, ../shared/data/boundaries) through the
shipped mapping, with no hand editing; a newer copy reconciled with what is stored (both
adapters); OCHA COD-AB files in their published layout."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mineaction.cli import main
from mineaction.store import open_store
from tests.conftest import SHARED

DATA = SHARED / "data" / "boundaries"
FILES = {  # file -> (features, level, country)
    "geoBoundaries-AZE-ADM2_simplified.topojson": (79, 2, "AZ"),
    "geoBoundaries-ARM-ADM1_simplified.geojson": (11, 1, "AM"),
    "geoBoundaries-GEO-ADM1_simplified.geojson": (13, 1, "GE"),
    "geoBoundaries-AZE-ADM1_simplified.geojson": (2, 1, "AZ"),
    "geoBoundaries-ARM-ADM0_simplified.geojson": (1, 0, "AM"),
}

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="boundaries not present")


@needs_data
def test_every_boundary_file_imports_through_the_shipped_mapping(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture
                                                                 ) -> None:
    db = str(tmp_path / "b.gpkg")
    assert main(["--db", db, "init"]) == 0
    for name in FILES:
        assert main(["--db", db, "import", "admin-areas", str(DATA / name),
                     "--mapping", "geoboundaries"]) == 0, capsys.readouterr()
    with open_store(db) as store:
        areas = store.query("admin-areas")
        runs = {r.file_name: r for r in store.query("imports")}
    assert len(areas) == sum(n for n, _, _ in FILES.values()) == 106
    for name, (n, level, country) in FILES.items():
        group = [a for a in areas if a.id.startswith(f"{name.split('-')[1]}-ADM{level}-")]
        assert len(group) == n, name
        assert {(a.level, a.country) for a in group} == {(level, country)}, name
        run = runs[name]
        assert run.rows == n and run.added == n and run.target_layer == "admin-areas"
        assert run.sha256 == hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert run.mapping == "geoboundaries" and "geoBoundaries" in (run.credit or "")
    by_name = {(a.name, a.level): a for a in areas}
    assert by_name[("Gegharkunik", 1)].code == "AM-GR"  # ISO 3166-2 kept as the code
    assert by_name[("South Ossetia", 1)].code is None  # the file gives it none
    # "AZE" in the districts' shapeISO is the country's code, not the district's
    assert all(a.code is None for a in areas if a.level == 2)
    assert json.loads(by_name[("Khachmaz District", 2)].attributes)["shapeType"] == "ADM2"
    assert all(a.source == f"import:{runs[n].id}" for n in FILES for a in areas
               if a.id.startswith(n.split("-")[1] + f"-ADM{FILES[n][1]}-"))


@needs_data
def test_a_newer_copy_is_reconciled_with_the_stored_areas(store_url: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture
                                                          ) -> None:
    db = store_url
    assert main(["--db", db, "init"]) == 0
    first = DATA / "geoBoundaries-ARM-ADM1_simplified.geojson"
    assert main(["--db", db, "import", "admin-areas", str(first), "--mapping",
                 "geoboundaries"]) == 0
    assert main(["--db", db, "import", "admin-areas",
                 str(DATA / "geoBoundaries-GEO-ADM1_simplified.geojson"), "--mapping",
                 "geoboundaries"]) == 0
    capsys.readouterr()
    # the same copy again: every area is there already
    assert main(["--db", db, "import", "admin-areas", str(first), "--mapping",
                 "geoboundaries"]) == 0
    assert "0 new, 0 changed, 11 unchanged, 0 missing" in capsys.readouterr().out
    # a newer copy: one province renamed, one gone
    data = json.loads(first.read_text(encoding="utf-8"))
    renamed = data["features"][0]["properties"]
    old_name, renamed["shapeName"] = renamed["shapeName"], "Gegharkunik Marz"
    gone = data["features"].pop(1)["properties"]["shapeID"]
    newer = tmp_path / "ARM-ADM1-newer.geojson"
    newer.write_text(json.dumps(data), encoding="utf-8")
    assert main(["--db", db, "import", "admin-areas", str(newer), "--mapping",
                 "geoboundaries"]) == 0
    out = capsys.readouterr().out
    # Georgia's regions are of another country: never missing from Armenia's file
    assert "0 new, 1 changed, 9 unchanged, 1 missing" in out and gone in out
    with open_store(db) as store:
        area = store.get("admin-areas", renamed["shapeID"])
        assert area.name == "Gegharkunik Marz" and area.version == 2
        (change,) = store.query("record-changes")
        assert change.record_id == renamed["shapeID"] and change.record_version == 2
        assert json.loads(change.changes) == {"name": [old_name, "Gegharkunik Marz"]}
        assert store.count("admin-areas") == 24  # nothing deleted
        assert store.get("admin-areas", gone).version == 1  # reported, not retired
    assert main(["--db", db, "import", "admin-areas", str(newer), "--mapping",
                 "geoboundaries", "--retire-missing"]) == 0
    assert "0 new, 0 changed, 10 unchanged, 1 missing (1 retired)" in capsys.readouterr().out
    with open_store(db) as store:
        retired = store.get("admin-areas", gone)
        assert retired.version == 2 and "retired by import" in retired.notes
        kinds = sorted(str(c.kind) for c in store.query("record-changes"))
        assert kinds == ["changed", "retired"]
        assert store.count("admin-areas") == 24


def cod_ab(tmp_path: Path) -> tuple[Path, Path]:
    """Two layers in the column layout of OCHA's COD-AB (synthetic shapes at sea)."""
    def square(x: float, y: float) -> dict:
        return {"type": "Polygon", "coordinates": [[[x, y], [x + 0.1, y], [x + 0.1, y + 0.1],
                                                    [x, y + 0.1], [x, y]]]}

    common = {"ADM0_EN": "Syntheticland", "ADM0_PCODE": "XA", "date": "2020-01-01",
              "validOn": "2024-05-01", "validTo": None}
    adm1 = [{"type": "Feature", "geometry": square(50.5, 41.0), "properties": {
        **common, "ADM1_EN": "North", "ADM1_PCODE": "XA01", "ADM1_REF": None}}]
    adm2 = [{"type": "Feature", "geometry": square(50.5 + i / 10, 41.0), "properties": {
        **common, "ADM1_EN": "North", "ADM1_PCODE": "XA01", "ADM2_EN": f"District {i}",
        "ADM2_PCODE": f"XA010{i}", "ADM2_REF": None}} for i in (1, 2)]
    paths = []
    for name, feats in (("xa_admbnda_adm1.geojson", adm1), ("xa_admbnda_adm2.geojson", adm2)):
        p = tmp_path / name
        p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
        paths.append(p)
    return paths[0], paths[1]


def test_cod_ab_layers_import_through_the_shipped_mappings(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture
                                                           ) -> None:
    db = str(tmp_path / "c.gpkg")
    assert main(["--db", db, "init"]) == 0
    adm1, adm2 = cod_ab(tmp_path)
    # districts name their region: importing them first is refused, naming the region
    assert main(["--db", db, "import", "admin-areas", str(adm2), "--mapping",
                 "cod-ab-adm2"]) == 2
    assert "no admin-areas record 'XA01'" in capsys.readouterr().err
    assert main(["--db", db, "import", "admin-areas", str(adm1), "--mapping",
                 "cod-ab-adm1"]) == 0
    assert main(["--db", db, "import", "admin-areas", str(adm2), "--mapping",
                 "cod-ab-adm2"]) == 0
    out = capsys.readouterr().out
    assert "2 new" in out and "'validOn'" in out  # not mapped: reported, kept
    with open_store(db) as store:
        d = store.get("admin-areas", "XA0102")
    assert (d.name, d.level, d.parent_id, d.country, d.code) == (
        "District 2", 2, "XA01", "XA", "XA0102")
    assert json.loads(d.attributes)["validOn"] == "2024-05-01"

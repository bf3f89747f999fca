"""Dry runs, problem files and partial imports: a dry run says exactly what the import then
does (land released per method included, on both stores); a file of suspect areas with only
a type and a file id, and null geometries, goes in through a short mapping and --rejects."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from mineaction.cli import main
from mineaction.io.intake import Options
from mineaction.io.readers import read_file
from mineaction.services import imports
from mineaction.services.context import Context
from mineaction.store import open_store
from tests.conftest import EXAMPLES


def test_a_dry_run_says_what_the_import_then_does(store_url: str) -> None:
    with open_store(store_url) as store:
        store.create()
        ctx = Context(store)
        imports.intake(ctx, "hazards", read_file(EXAMPLES / "hazards.geojson"))
        src = read_file(EXAMPLES / "activities.geojson")
        dry = imports.intake(ctx, "activities", src, options=Options(dry_run=True))
        assert store.count("activities") == 0 and store.count("release-steps") == 0
        assert store.count("imports") == 1  # the hazards' import only
        real = imports.intake(ctx, "activities", src)
        for name in ("added", "changed", "unchanged", "missing", "rejected", "rows",
                     "first_date", "last_date", "sha256"):
            assert getattr(dry, name) == getattr(real, name), name
        assert dry.problems == real.problems == []
        assert dry.released and dry.released.keys() == real.released.keys()
        for method, area in real.released.items():
            assert dry.released[method] == pytest.approx(area, rel=1e-9), method
        steps = store.aggregate("release-steps", ["method"], sums=["area_m2"])
        assert {str(r["method"]): pytest.approx(r["area_m2"]) for r in steps} == real.released
        assert real.added == store.count("activities") == len(src.features)


MAPPING = """# Suspect areas as a survey database exports them: a type and a file number only.
[mapping]
layer = "hazards"
id = "BA-{fileId}"
[fields.kind]
column = "typeArea"
[fields.kind.values]
"SHA" = "sha"
"CHA" = "cha"
[fields.status]
value = "open"
"""


def suspect_areas(tmp: Path) -> Path:
    """Ten areas at sea (synthetic), three of them without a geometry, as such files come."""
    feats = []
    for i in range(10):
        x, y = 50.5 + i * 0.02, 41.1
        geom = None if i in (2, 5, 9) else {"type": "Polygon", "coordinates": [[
            [x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]]}
        feats.append({"type": "Feature", "geometry": geom,
                      "properties": {"typeArea": "CHA" if i % 2 else "SHA",
                                     "fileId": 1000 + i}})
    p = tmp / "suspect_areas.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return p


def test_null_geometries_go_to_a_rejects_file(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "h.gpkg")
    assert main(["--db", db, "init"]) == 0
    m = tmp_path / "suspect.toml"
    m.write_text(MAPPING, encoding="utf-8")
    data = suspect_areas(tmp_path)
    problems = tmp_path / "problems.csv"
    # all or nothing without --rejects: refused, every problem in the file, the summary shown
    assert main(["--db", db, "import", "hazards", str(data), "--mapping", str(m),
                 "--problems", str(problems)]) == 2
    err = capsys.readouterr().err
    assert "wrote 3 problems" in err
    with problems.open(encoding="utf-8") as fh:
        listed = list(csv.DictReader(fh))
    assert [(r["row"], r["field"]) for r in listed] == [
        ("feature 3", "geometry"), ("feature 6", "geometry"), ("feature 10", "geometry")]
    with open_store(db) as store:
        assert store.count("hazards") == 0
    # the dry run shows the same and writes nothing
    assert main(["--db", db, "import", "hazards", str(data), "--mapping", str(m),
                 "--dry-run"]) == 2
    assert "7 new, 0 changed, 0 unchanged, 0 missing; 3 row(s) rejected" in \
        capsys.readouterr().out
    rejects = tmp_path / "rejects.geojson"
    assert main(["--db", db, "import", "hazards", str(data), "--mapping", str(m),
                 "--rejects", str(rejects)]) == 0
    out = capsys.readouterr().out
    assert "imported 7 hazards records" in out and "3 row(s) rejected" in out
    assert "wrote 3 rejected rows" in out
    back = json.loads(rejects.read_text(encoding="utf-8"))
    assert [f["properties"]["fileId"] for f in back["features"]] == [1002, 1005, 1009]
    assert all(f["geometry"] is None and "geometry" in f["properties"]["reject_reason"]
               for f in back["features"])
    with open_store(db) as store:
        hz = {h.id: h for h in store.query("hazards")}
        (run,) = store.query("imports")
    assert sorted(hz) == [f"BA-{1000 + i}" for i in (0, 1, 3, 4, 6, 7, 8)]
    assert hz["BA-1001"].kind == "cha" and hz["BA-1000"].status == "open"
    assert (run.added, run.rejected, run.rows) == (7, 3, 10)


def test_set_gives_constants_without_a_mapping_file(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "s.gpkg")
    assert main(["--db", db, "init"]) == 0
    p = tmp_path / "h.csv"
    p.write_text("id,wkt\nH1,\"POLYGON((50.5 41.1,50.51 41.1,50.51 41.11,50.5 41.1))\"\n",
                 encoding="utf-8")
    assert main(["--db", db, "import", "hazards", str(p)]) == 2  # no kind
    capsys.readouterr()
    assert main(["--db", db, "import", "hazards", str(p), "--set", "kind=sha",
                 "--source", "survey of 2024"]) == 0
    with open_store(db) as store:
        (h,) = store.query("hazards")
        (run,) = store.query("imports")
    assert h.kind == "sha" and h.source == f"import:{run.id}"
    assert run.description == "survey of 2024" and run.file_name == "h.csv"


def test_rejects_of_a_csv_are_a_csv(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "r.gpkg")
    assert main(["--db", db, "init"]) == 0
    p = tmp_path / "f.csv"
    p.write_text("id,category,lon,lat\nF1,ap,50.5,41.0\nF2,rocket,50.6,41.0\nF3,uxo,50.7,41.0\n",
                 encoding="utf-8")
    rejects = tmp_path / "bad.csv"
    assert main(["--db", db, "import", "finds", str(p), "--rejects", str(rejects)]) == 0
    with rejects.open(encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["id"] == "F2" and row["category"] == "rocket" and "rocket" in row["reject_reason"]
    assert row["wkt"] == "POINT (50.6 41)"  # the place, as the reader took it
    # corrected, the rejects file imports as it is
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(rejects.read_text(encoding="utf-8").replace(",rocket,", ",uxo,"),
                     encoding="utf-8")
    assert main(["--db", db, "import", "finds", str(fixed)]) == 0
    with open_store(db) as store:
        assert sorted(f.id for f in store.query("finds")) == ["F1", "F2", "F3"]
        assert json.loads(store.get("finds", "F2").attributes)["reject_reason"]


def test_provenance_cannot_be_imported(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    p = tmp_path / "i.csv"
    p.write_text("id,target_layer,file_name,sha256,rows,imported_at\n"
                 "IMP-1,hazards,x.csv,00,1,2020-01-01\n", encoding="utf-8")
    db = str(tmp_path / "p.gpkg")
    assert main(["--db", db, "init"]) == 0
    for layer in ("imports", "record-changes"):
        assert main(["--db", db, "import", layer, str(p)]) == 2
        assert "every import records itself" in capsys.readouterr().err


def test_a_newer_copy_cannot_give_released_land_back(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "r.gpkg")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "import", "hazards", str(EXAMPLES / "hazards.geojson")]) == 0
    assert main(["--db", db, "import", "activities", str(EXAMPLES / "activities.geojson")]) == 0
    with open_store(db) as store:
        steps = {str(r["hazard_id"]) for r in store.aggregate("release-steps", ["hazard_id"])}
        before = {h.id: h.version for h in store.query("hazards")}
    capsys.readouterr()
    # the hazards file again: the hazards land was released from differ from it now
    assert main(["--db", db, "import", "hazards", str(EXAMPLES / "hazards.geojson")]) == 2
    err = capsys.readouterr().err
    assert all(f"hazard '{h}' has had land released" in err for h in steps if h != "None")
    with open_store(db) as store:
        assert {h.id: h.version for h in store.query("hazards")} == before


@pytest.mark.parametrize("suffix", [".gpkg", ".xlsx"])
def test_rejects_of_other_formats_read_back(tmp_path: Path, suffix: str) -> None:
    import pyogrio.raw

    db = str(tmp_path / "g.gpkg")
    assert main(["--db", db, "init"]) == 0
    m = tmp_path / "suspect.toml"
    m.write_text(MAPPING, encoding="utf-8")
    data = tmp_path / "suspect_areas.gpkg"
    meta, _, geometry, fields = pyogrio.raw.read(suspect_areas(tmp_path))
    pyogrio.raw.write(data, geometry, fields, meta["fields"], driver="GPKG", layer="areas",
                      geometry_type="Polygon", crs="EPSG:4326")
    rejects = tmp_path / f"rejects{suffix}"
    assert main(["--db", db, "import", "hazards", str(data), "--mapping", str(m),
                 "--rejects", str(rejects)]) == 0
    back = read_file(rejects)
    assert sorted(int(f.properties["fileId"]) for f in back.features) == [1002, 1005, 1009]
    assert all("geometry" in f.properties["reject_reason"] for f in back.features)


def test_records_imported_before_imports_were_kept_are_reconciled(tmp_path: Path) -> None:
    from mineaction.io.load import import_file

    db = str(tmp_path / "o.gpkg")
    p = tmp_path / "f.csv"
    p.write_text("id,category,lon,lat\nF1,ap,50.5,41.0\nF2,uxo,50.6,41.0\n", encoding="utf-8")
    with open_store(db) as store:
        store.create()
        import_file(store, "finds", p)  # the older path: source "file:f.csv", no import kept
        p.write_text("id,category,lon,lat\nF1,ap,50.5,41.0\n", encoding="utf-8")
        out = imports.intake(Context(store), "finds", read_file(p))
    assert (out.added, out.unchanged, out.missing, out.missing_ids) == (0, 1, 1, ["F2"])

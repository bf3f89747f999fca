"""The columnar import path (mineaction.io.bulk) against the row path, on both adapters: the
same records, provenance and audit entries for a good file; nothing written, and the row path's
problems, for a file with one bad row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyogrio
import pytest
import shapely

from mineaction.domain.ordnance import Find
from mineaction.errors import InvalidInput
from mineaction.io import bulk, intake
from mineaction.io.readers import open_columnar, read_file
from mineaction.store import open_store
from mineaction.store.base import Store

TODAY = dt.date(2024, 6, 1)
N = 120


def finds_table(n: int = N, **change: Any) -> pa.Table:
    rng = np.random.default_rng(7)
    x, y = rng.uniform(50.3, 51.7, n), rng.uniform(40.9, 41.9, n)
    cols: dict[str, Any] = {
        "id": [f"F-{i:04d}" for i in range(n)],
        "category": ["uxo", "ap", "AV", "cmr"] * (n // 4),
        "model": [None, "PMN-2", "TM-62M", None] * (n // 4),
        "quantity": pa.array(rng.integers(1, 9, n), pa.int32()),
        "found_on": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)],
                             pa.date32()),
        "notes": ["", "near the road", None, "x"] * (n // 4),
        "victim_activated": [True, False, False, False] * (n // 4),
        "source": ["synthetic:test"] * (n // 2) + [None] * (n - n // 2),
    }
    geoms = shapely.points(x, y)
    for key, value in change.items():
        if key == "geometry":
            geoms = value
        else:
            cols[key] = value
    cols["geometry"] = pa.array(shapely.to_wkb(geoms), pa.binary())
    return pa.table(cols)


def write_fgb(path: Path, table: pa.Table) -> Path:
    pyogrio.write_arrow(table, path, driver="FlatGeobuf", geometry_name="geometry",
                        geometry_type="Point", crs="EPSG:4326")
    return path


def plain(store: Store) -> list[dict[str, Any]]:
    out = []
    for r in store.iter("finds"):
        assert isinstance(r, Find)
        d = dict(r.__dict__)
        d["geometry"] = r.geometry.wkb if r.geometry is not None else None
        d["source"] = "IMPORT" if (r.source or "").startswith("import:") else r.source
        out.append(d)
    return out


def opts() -> intake.Options:
    return intake.Options(actor="tester")


def test_the_columnar_path_stores_what_the_row_path_does(store_url: str, new_store_url: Any,
                                                         tmp_path: Path) -> None:
    path = write_fgb(tmp_path / "finds.fgb", finds_table())
    cf = open_columnar(path)
    assert cf is not None and cf.features == N and "found_on" in cf.timed
    with open_store(store_url) as a, open_store(new_store_url()) as b:
        a.create()
        b.create()
        seen: list[int] = []
        out = bulk.run(a, "finds", cf, opts(), today=TODAY, progress=seen.append,
                       batch_rows=50)
        assert out is not None
        rows = intake.run(b, "finds", read_file(path), None, opts(), today=TODAY)
        assert (out.added, out.rows, out.first_date, out.last_date, out.source_crs) == (
            rows.added, rows.rows, rows.first_date, rows.last_date, rows.source_crs) == (
            N, N, dt.date(2020, 1, 1), dt.date(2020, 1, 1) + dt.timedelta(days=N - 1),
            "EPSG:4326")
        assert sum(seen) == N and len(seen) == 3  # batches of 50
        assert plain(a) == plain(b)
        for s, o in ((a, out), (b, rows)):
            run = s.get("imports", o.import_id)
            assert (run.rows, run.added, run.sha256) == (N, N, o.sha256)  # type: ignore
            assert s.get("finds", "F-0001").source == "synthetic:test"
            assert s.get("finds", f"F-{N - 1:04d}").source == f"import:{o.import_id}"
        for s in (a, b):  # one audit entry per record written, and one for the import
            with s.transaction() as tx:  # type: ignore[attr-defined]
                n = tx.conn.exec_driver_sql(
                    "SELECT count(*) FROM audit_log WHERE layer = 'finds'").scalar()
            assert n == N


def test_a_bad_row_leaves_the_import_to_the_row_path(store_url: str, tmp_path: Path) -> None:
    cats = ["uxo"] * N
    cats[97] = "mine"  # in the second batch: the first one was checked and written
    path = write_fgb(tmp_path / "finds.fgb",
                     finds_table(category=cats, model=pa.array([None] * N, pa.string())))
    cf = open_columnar(path)
    assert cf is not None
    with open_store(store_url) as s:
        s.create()
        assert bulk.run(s, "finds", cf, opts(), today=TODAY, batch_rows=50) is None
        assert s.count("finds") == 0 and s.count("imports") == 0
        with pytest.raises(InvalidInput) as exc:
            intake.run(s, "finds", read_file(path), None, opts(), today=TODAY)
        [p] = exc.value.problems
        assert (p.field, p.code) == ("category", "value.not_in_vocabulary")
        assert p.where.endswith("(id F-0097)")


@pytest.mark.parametrize("change", [
    {"quantity": pa.array([0] + [1] * (N - 1), pa.int32())},
    {"id": ["F-1"] * N},
    {"found_on": pa.array([dt.date(2030, 1, 1)] * N, pa.date32())},
    {"model": ["TM-62M"] * N},  # an anti-vehicle mine reported as uxo, ap or cmr
    {"geometry": shapely.points(np.full(N, 41.5), np.full(N, 95.0))},  # swapped
])
def test_rows_the_row_path_refuses_are_left_to_it(change: dict[str, Any],
                                                   tmp_path: Path) -> None:
    path = write_fgb(tmp_path / "finds.fgb", finds_table(**change))
    cf = open_columnar(path)
    assert cf is not None
    with open_store(str(tmp_path / "s.gpkg")) as s:
        s.create()
        assert bulk.run(s, "finds", cf, opts(), today=TODAY) is None
        with pytest.raises(InvalidInput):
            intake.run(s, "finds", read_file(path), None, opts(), today=TODAY)
        assert s.count("finds") == 0


def test_a_layer_with_records_and_other_files_go_by_rows(tmp_path: Path) -> None:
    path = write_fgb(tmp_path / "finds.fgb", finds_table())
    cf = open_columnar(path)
    assert cf is not None
    assert open_columnar(tmp_path / "finds.geojson") is None
    assert open_columnar(path, encoding="cp1252") is None
    with open_store(str(tmp_path / "s.gpkg")) as s:
        s.create()
        assert bulk.run(s, "finds", cf, intake.Options(dry_run=True), today=TODAY) is not None
        assert s.count("finds") == 0  # a dry run writes nothing
        assert bulk.run(s, "finds", cf, opts(), today=TODAY) is not None
        assert s.count("finds") == N
        assert bulk.run(s, "finds", cf, opts(), today=TODAY) is None  # reconciled by rows
        assert intake.run(s, "finds", read_file(path), None, opts(), today=TODAY
                          ).unchanged == N


def test_hazards_go_by_columns_with_their_history(tmp_path: Path) -> None:
    n = 40
    polys = [shapely.box(50.5 + i * 0.01, 41.0, 50.505 + i * 0.01, 41.004) for i in range(n)]
    polys[3] = shapely.box(50.5 + 2 * 0.01, 41.0, 50.505 + 2 * 0.01, 41.002)  # overlaps 2
    table = pa.table({
        "id": [f"H-{i}" for i in range(n)],
        "kind": ["sha", "CHA"] * (n // 2),
        "recorded_on": pa.array([dt.date(2019, 5, 1)] * n, pa.date32()),
        "contamination": ["ap,av", None] * (n // 2),
        "geometry": pa.array(shapely.to_wkb(polys), pa.binary()),
    })
    path = tmp_path / "h.fgb"
    pyogrio.write_arrow(table, path, driver="FlatGeobuf", geometry_name="geometry",
                        geometry_type="Polygon", crs="EPSG:4326")
    cf = open_columnar(path)
    assert cf is not None
    with open_store(str(tmp_path / "a.gpkg")) as a, open_store(str(tmp_path / "b.gpkg")) as b:
        a.create()
        b.create()
        out = bulk.run(a, "hazards", cf, opts(), today=TODAY)
        assert out is not None
        rows = intake.run(b, "hazards", read_file(path), None, opts(), today=TODAY)
        assert out.messages == rows.messages and out.messages  # the overlap is said
        def rows_of(s: Store, layer: str) -> list[Any]:
            return sorted((r.id, r.geometry.wkb if getattr(r, "geometry", None) else None,
                           {k: v for k, v in r.__dict__.items()
                            if k not in ("geometry", "source")})
                          for r in s.iter(layer))

        for layer in ("hazards", "hazard-versions"):
            assert rows_of(a, layer) == rows_of(b, layer)
        assert a.get("hazards", "H-1").contamination == frozenset()


def test_a_bulk_load_builds_the_plain_indexes_again(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from mineaction.store import geopackage

    monkeypatch.setattr(geopackage, "BULK_INDEX_ROWS", 10)
    path = write_fgb(tmp_path / "finds.fgb", finds_table())
    cf = open_columnar(path)
    assert cf is not None

    def indexes(s: Any) -> set[str]:
        with s.transaction() as tx:
            return set(tx.conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'finds'"
            ).scalars())

    with open_store(str(tmp_path / "s.gpkg")) as s:
        s.create()
        before = indexes(s)
        assert "ix_finds_activity_id" in before
        with pytest.raises(RuntimeError), s.transaction() as tx:
            tx.insert_columns("finds", {"id": ["a"] * 1 + [f"b{i}" for i in range(19)],
                                        "category": ["ap"] * 20},
                              [shapely.Point(50.5, 41.0)] * 20)
            raise RuntimeError
        assert indexes(s) == before and s.count("finds") == 0
        assert bulk.run(s, "finds", cf, opts(), today=TODAY, batch_rows=50) is not None
        assert indexes(s) == before and s.count("finds", activity_id=None) == N


def test_an_impossible_date_stays_impossible(tmp_path: Path) -> None:
    """GDAL keeps 30 February in a Date field; read as Arrow dates it would become 2 March.
    The columnar path reads the field's text, and leaves the row to the row check."""
    import subprocess

    (tmp_path / "f.csv").write_text('id,category,found_on,WKT\nF-1,uxo,2023-02-30,'
                                    '"POINT (50.5 41.0)"\nF-2,uxo,2023-02-01,'
                                    '"POINT (50.6 41.0)"\n')
    (tmp_path / "f.csvt").write_text('"String","String","Date","String"\n')
    path = tmp_path / "f.fgb"
    subprocess.run(["ogr2ogr", "-f", "FlatGeobuf", str(path), str(tmp_path / "f.csv"),
                    "-a_srs", "EPSG:4326", "-oo", "GEOM_POSSIBLE_NAMES=WKT", "-oo",
                    "KEEP_GEOM_COLUMNS=NO"], check=True)
    cf = open_columnar(path)
    assert cf is not None and cf.fields == ("id", "category", "found_on")
    assert "found_on" in cf.timed
    with open_store(str(tmp_path / "s.gpkg")) as s:
        s.create()
        assert bulk.run(s, "finds", cf, opts(), today=TODAY) is None
        with pytest.raises(InvalidInput) as exc:
            intake.run(s, "finds", read_file(path), None, opts(), today=TODAY)
        assert [(p.field, p.code) for p in exc.value.problems] == [
            ("found_on", "value.not_a_date")]

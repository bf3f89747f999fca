"""``copy_store`` and ``mineaction copy``: GeoPackage -> PostGIS -> GeoPackage, nothing lost."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pyogrio.raw
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, box

from mineaction.cli import main
from mineaction.domain.layers import Layer, all_layers
from mineaction.domain.schema import Record
from mineaction.errors import Conflict, StoreError
from mineaction.store import open_store
from mineaction.store.copy import copy_store

from .samples import CORE_LAYERS, sample

D = dt.date(2024, 2, 29)
TEXT = "Ğədəbəy ყვავილი шахта «ø» 🙂"


def _geometry(layer: Layer, n: int):  # type: ignore[no-untyped-def]
    x = 50.4 + (n % 97) * 0.011
    y = 40.95 + (n // 97) * 0.0007
    poly = MultiPolygon([box(x, y, x + 0.003, y + 0.0005),
                         box(x + 0.004, y, x + 0.005, y + 0.0003)])
    if layer.geometry_type == "POINT":
        return Point(x + 1e-9 * n, y)
    if layer.geometry_type == "GEOMETRY":
        return [Point(x, y), LineString([(x, y), (x + 0.002, y + 0.001)]), poly][n % 3]
    return poly


def _value(spec, n: int):  # type: ignore[no-untyped-def]
    if spec.kind == "text":
        return f"{spec.name} {n} {TEXT}"
    if spec.kind == "enum":
        members = list(spec.enum)
        return members[n % len(members)]
    if spec.kind == "enumset":
        members = list(spec.enum)
        return frozenset(members[: 1 + n % len(members)])
    if spec.kind == "integer":
        return n
    if spec.kind == "real":
        return n / 7 + 0.1
    if spec.kind == "boolean":
        return n % 2 == 0
    if spec.kind == "date":
        return D + dt.timedelta(days=n % 300)
    if spec.kind == "json":
        return json.dumps({"n": n, "text": TEXT}, ensure_ascii=False)
    raise AssertionError(spec.kind)


def generic(layer: Layer, n: int) -> Record:
    """A record of any registered layer: every field filled where the domain rules allow."""
    base = {"id": f"{layer.table}-{n:05d}", "source": "synthetic:copy-test"}
    if layer.spatial:
        base["geometry"] = _geometry(layer, n)
    full = dict(base)
    for spec in layer.fields:
        if spec.name not in full and spec.name not in ("version",):
            full[spec.name] = _value(spec, n)
    for values in (full, base | {s.name: _value(s, n) for s in layer.fields if s.required}):
        try:
            return layer.make(values)
        except (ValueError, TypeError):
            continue
    raise AssertionError(f"cannot build a {layer.name} record")


def fill(url: str, per_layer: int = 30, big: int = 2500, skip: frozenset[str] = frozenset()
         ) -> dict[str, list[Record]]:
    """Every layer (but ``skip``) gets its contract sample, generic records, some edited
    (version > 1) and some with empty optional fields; hazards and finds get more than one
    bulk batch."""
    written: dict[str, list[Record]] = {}
    s = open_store(url)
    s.create()
    try:
        with s.transaction() as tx:
            for layer in all_layers():
                records = [sample(layer.name)] if layer.name in CORE_LAYERS else []
                n = big if layer.name in ("hazards", "finds") else per_layer
                n = 0 if layer.name in skip else n
                records += [generic(layer, i) for i in range(1, n + 1)]
                tx.add_many(records)
                written[layer.name] = records
        with s.transaction() as tx:
            for layer in all_layers():
                if layer.name in skip:
                    continue
                for rec in written[layer.name][1:4]:
                    tx.update(rec)
                rec = written[layer.name][1]
                rec.notes = None
                tx.update(rec)  # version 3
    finally:
        s.close()
    return written


def rows(url: str) -> dict[str, list[dict]]:
    s = open_store(url)
    try:
        out = {}
        for layer in all_layers():
            out[layer.name] = [dataclasses.asdict(r) for r in s.iter(layer)]
        return out
    finally:
        s.close()


def assert_same(a: dict[str, list[dict]], b: dict[str, list[dict]]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert len(a[name]) == len(b[name]), name
        for ra, rb in zip(a[name], b[name], strict=True):
            ga, gb = ra.pop("geometry", None), rb.pop("geometry", None)
            assert ra == rb, (name, ra, rb)
            assert (ga is None) == (gb is None), (name, ra["id"])
            if ga is not None:
                assert ga.geom_type == gb.geom_type and ga.equals_exact(gb, 0), (name, ra["id"])


@pytest.fixture
def pg_url(pg_server) -> str:
    return pg_server.new_database()


def test_round_trip_gpkg_postgis_gpkg_keeps_every_row_and_geometry(tmp_path: Path, pg_url):
    first, last = str(tmp_path / "first.gpkg"), str(tmp_path / "last.gpkg")
    written = fill(first)
    original = rows(first)
    assert all(original[name] for name in original), "every layer has rows"
    assert {r["version"] for r in original["hazards"]} == {1, 2, 3}
    for layer in all_layers():  # what was written is what the source holds
        assert [r["id"] for r in original[layer.name]] == sorted(r.id for r in written[
            layer.name])

    with open_store(first) as src, open_store(pg_url) as dst:
        copied = copy_store(src, dst)
    assert copied == {name: len(v) for name, v in original.items()}
    assert_same(rows(first), rows(pg_url))

    with open_store(pg_url) as src, open_store(last) as dst:
        copy_store(src, dst)
    assert_same(original, rows(last))

    # the copy is a GeoPackage GDAL reads, spatial index included
    _meta, _fids, geoms, _fields = pyogrio.raw.read(last, layer="hazards",
                                                    bbox=(50.3, 40.9, 50.45, 41.0))
    assert 0 < len(geoms) < len(original["hazards"])


def _three_hazards_and(tmp_path: Path, pg_url: str, *already: Record) -> str:
    """A GeoPackage with hazards H0-H2, and a PostGIS store holding ``already``."""
    src_url = str(tmp_path / "src.gpkg")
    with open_store(src_url) as src:
        src.create()
        with src.transaction() as tx:
            tx.add_many([sample("hazards", i) for i in range(3)])
    with open_store(pg_url) as dst:
        dst.create()
        with dst.transaction() as tx:
            tx.add_many(list(already))
    return src_url


def test_copy_refuses_an_occupied_destination_and_writes_nothing(tmp_path: Path, pg_url):
    src_url = _three_hazards_and(tmp_path, pg_url, sample("hazards", 2), sample("finds", 0))
    with open_store(src_url) as src, open_store(pg_url) as dst:
        with pytest.raises(StoreError, match="already holds records"):
            copy_store(src, dst)
        with pytest.raises(Conflict):  # H2 is on both sides: the whole copy fails
            copy_store(src, dst, into_existing=True)
        assert [h.id for h in dst.iter("hazards")] == ["H2"]
        assert dst.count("finds") == 1


def test_copy_into_existing_adds_records(tmp_path: Path, pg_url):
    src_url = _three_hazards_and(tmp_path, pg_url, sample("finds", 0))
    with open_store(src_url) as src, open_store(pg_url) as dst:
        assert copy_store(src, dst, into_existing=True)["hazards"] == 3
        assert dst.count("hazards") == 3 and dst.count("finds") == 1


def test_the_programme_s_settings_travel_with_a_copy(tmp_path: Path, pg_url):
    src_url = str(tmp_path / "src.gpkg")
    with open_store(src_url) as src:
        src.create()
        with src.transaction() as tx:
            tx.put_setting("public.suppress_below", "10")
            tx.put_setting("public.grid_km", "2")
    with open_store(src_url) as src, open_store(pg_url) as dst:
        copy_store(src, dst)
        assert dst.stored_settings() == {"public.suppress_below": "10", "public.grid_km": "2"}
    # a store copied into keeps the settings it has, and takes the others
    other = str(tmp_path / "other.gpkg")
    with open_store(other) as dst:
        dst.create()
        with dst.transaction() as tx:
            tx.put_setting("public.suppress_below", "3")
    with open_store(src_url) as src, open_store(other) as dst:
        copy_store(src, dst, into_existing=True)
        assert dst.stored_settings() == {"public.suppress_below": "3", "public.grid_km": "2"}


def test_cli_copy(tmp_path: Path, pg_url, capsys):
    src_url = str(tmp_path / "src.gpkg")
    fill(src_url, per_layer=3, big=10, skip=frozenset({"users"}))  # no accounts: no sign-in
    assert main(["copy", src_url, pg_url]) == 0
    out = capsys.readouterr().out
    total = sum(len(v) for v in rows(src_url).values())
    assert f"copied {total} records" in out
    assert_same(rows(src_url), rows(pg_url))
    # a second copy into the same destination is refused, exit status 1, nothing added
    assert main(["copy", src_url, pg_url]) == 1
    assert "already holds records" in capsys.readouterr().err
    assert_same(rows(src_url), rows(pg_url))
    back = str(tmp_path / "back.gpkg")
    assert main(["copy", pg_url, back]) == 0
    assert_same(rows(src_url), rows(back))


def test_cli_copy_from_missing_store_fails(tmp_path: Path):
    assert main(["copy", str(tmp_path / "none.gpkg"), str(tmp_path / "dst.gpkg")]) == 1
    assert not (tmp_path / "dst.gpkg").exists()


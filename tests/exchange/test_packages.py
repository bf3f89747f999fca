"""Exchange packages: export what the agreements grant, verify, import with provenance."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyogrio
import pyogrio.raw
import pytest
import shapely

from mineaction import audit
from mineaction.access import Actor, authenticate
from mineaction.access import accounts as acc
from mineaction.access.generalise import grid_cells
from mineaction.audit.checkpoint import load_private, load_public
from mineaction.errors import Forbidden, InvalidInput
from mineaction.exchange import package as pkg
from mineaction.geo.measure import area_m2
from mineaction.services import packages as svc
from mineaction.services.context import Context
from mineaction.store import Store, open_store
from tests.contract.samples import sample
from tests.exchange.conftest import HOLDER, KM, fill, hazard_shape

Keys = tuple[Path, Path]


def export(ctx: Context, keys: Keys, path: Path, **kw: object) -> svc.Exported:
    return svc.export_package(ctx, "RP", path, load_private(keys[0]), **kw)  # type: ignore


def package_geometries(path: Path, table: str) -> dict[str, shapely.Geometry]:
    return {r["id"]: pkg.geometry(r["geom"]) for r in pkg.table_rows(path, table)}


def test_round_trip_keeps_what_the_recipient_reads_and_its_provenance(
        ctx: Context, keys: Keys, tmp_path: Path, new_store_url: Callable[[], str]) -> None:
    done = export(ctx, keys, tmp_path / "rp.gpkg")
    assert done.tables == {"accidents_counts": 1, "finds": 3, "hazards": 3}
    checked = svc.verify_package(done.path, load_public(keys[1]))
    assert checked.ok and checked.digest == done.digest
    m = checked.manifest or {}
    assert (m["source"], m["recipient"]["organisation"]) == ({"organisation": "AY"}, "RP")
    assert [a["id"] for a in m["agreements"]] == done.agreements
    assert "@" not in m["store"]["store"] and m["store"]["audit_head"]  # no credentials
    assert m["exported_by"]["actor"] == "exporter" and m["mineaction_version"]
    # the export is in the audit log, with the package's digest
    logged = audit.entries(ctx.store, action=audit.EXPORT)
    assert logged and logged[-1].detail["package_sha256"] == done.digest  # type: ignore
    target = open_store(new_store_url())
    target.create()
    try:
        result = svc.import_package(Context(target, Actor.local("importer")), done.path,
                                    load_public(keys[1]))
        assert result.added == {"finds": 3, "hazards": 3}
        assert result.counts_tables == ["accidents_counts"]
        stamp = (f"received from AY on {dt.date.today().isoformat()}, package SHA-256 "
                 f"{done.digest}")
        source_finds = {f.id: f for f in ctx.store.iter("finds")}
        for layer in ("finds", "hazards"):
            got = target.query(layer)
            assert {r.id for r in got} == {f"AY-{layer[0].upper()}{n}" for n in range(3)}
            assert all(r.source == stamp for r in got)
            assert all("source at AY: synthetic:test" in (r.notes or "") for r in got)
        for f in target.iter("finds"):  # shared exactly: the same points, the same fields
            exact = source_finds[f.id]
            assert shapely.equals_exact(f.geometry, exact.geometry, 0)  # type: ignore
            assert (f.quantity, f.model, f.found_on) == (  # type: ignore[attr-defined]
                exact.quantity, exact.model, exact.found_on)  # type: ignore[attr-defined]
        for h in target.iter("hazards"):  # generalised: the cells, said so in the notes
            n = int(h.id[-1])
            assert h.geometry.equals(grid_cells(hazard_shape(n), KM))  # type: ignore
            assert "geometry generalised: grid of 5 km" in (h.notes or "")
            assert h.notes.startswith(f"surveyed {n}")  # type: ignore[union-attr]
        assert target.count("accidents") == 0 and target.count("victims") == 0
        imports = audit.entries(target, action=svc.IMPORT_ACTION)
        assert len(imports) == 1 and imports[0].detail["package_sha256"] == done.digest  # type: ignore
    finally:
        target.close()


def test_a_write_during_the_export_is_in_no_table_nor_in_the_audit_head(
        ctx: Context, keys: Keys, tmp_path: Path, store_url: str, monkeypatch: Any) -> None:
    """Every table of a package and the audit head its manifest names come from one state
    of the store: a hazard (and its audit entry) committed by another connection once the
    finds are read, before the hazards are, is in none of them."""
    from mineaction.store.sql import SqlTransaction

    before = audit.head(ctx.store)
    other = open_store(store_url)
    written: list[str] = []
    iter_first = SqlTransaction.iter

    def then_write(self: Any, layer: Any, *args: Any, **kw: Any) -> Any:
        yield from iter_first(self, layer, *args, **kw)
        if not written and not self.writable and getattr(layer, "name", layer) == "finds":
            written.append("AY-H9")
            with other.transaction() as tx:
                late = tx.get("hazards", "AY-H0")
                tx.add(replace(late, id="AY-H9"))

    monkeypatch.setattr(SqlTransaction, "iter", then_write)
    try:
        done = export(ctx, keys, tmp_path / "rp.gpkg")
    finally:
        other.close()
    assert written == ["AY-H9"]  # the write landed between the finds and the hazards
    assert done.tables["hazards"] == 3
    assert "AY-H9" not in {r["id"] for r in pkg.table_rows(done.path, "hazards")}
    m = svc.verify_package(done.path, load_public(keys[1])).manifest or {}
    assert before is not None and m["store"]["audit_head"] == f"{before[0]}:{before[1]}"
    assert audit.head(ctx.store)[0] > before[0]  # type: ignore[index]  (the write, logged)
    assert export(ctx, keys, tmp_path / "next.gpkg").tables["hazards"] == 4


def test_import_is_idempotent(ctx: Context, keys: Keys, tmp_path: Path,
                              new_store_url: Callable[[], str]) -> None:
    done = export(ctx, keys, tmp_path / "rp.gpkg")
    target = open_store(new_store_url())
    target.create()
    try:
        into = Context(target, Actor.local("importer"))
        first = svc.import_package(into, done.path, load_public(keys[1]))
        before = (target.count("hazards"), target.count("finds"), audit.head(target))
        again = svc.import_package(into, done.path, load_public(keys[1]))
        assert first.written == 6 and again.written == 0
        assert again.unchanged == {"finds": 3, "hazards": 3}
        assert (target.count("hazards"), target.count("finds"), audit.head(target)) == before
        # a later package of the same sender replaces what an earlier one brought
        with ctx.store.transaction() as tx:
            f = tx.get("finds", "AY-F1")
            f.quantity = 7  # type: ignore[attr-defined]
            tx.update(f)
        later = export(ctx, keys, tmp_path / "rp2.gpkg")
        third = svc.import_package(into, later.path, load_public(keys[1]))
        assert third.replaced == {"finds": 3, "hazards": 3} and not third.added
        assert target.get("finds", "AY-F1").quantity == 7  # type: ignore[attr-defined]
        assert target.count("finds") == 3
    finally:
        target.close()


def test_a_record_of_the_same_id_from_elsewhere_refuses_the_import(
        ctx: Context, keys: Keys, tmp_path: Path, new_store_url: Callable[[], str]) -> None:
    from tests.contract.samples import sample

    done = export(ctx, keys, tmp_path / "rp.gpkg")
    target = open_store(new_store_url())
    target.create()
    try:
        mine = sample("finds", 0)
        mine.id = "AY-F2"
        with target.transaction() as tx:
            tx.add(mine)
        with pytest.raises(InvalidInput) as err:
            svc.import_package(Context(target, Actor.local("importer")), done.path,
                               load_public(keys[1]))
        assert [p.code for p in err.value.problems] == ["package.id_taken"]
        assert target.count("finds") == 1 and target.count("hazards") == 0
    finally:
        target.close()


def test_gdal_reads_the_package(gpkg_package: Path) -> None:
    layers = {name: gtype for name, gtype in pyogrio.list_layers(gpkg_package)}
    assert layers == {"hazards": "MultiPolygon", "finds": "Point",
                      "accidents_counts": None, "package_manifest": None}
    meta, _, geoms, fields = pyogrio.raw.read(gpkg_package, layer="hazards")
    assert len(geoms) == 3 and meta["crs"] == "EPSG:4326"
    ids = list(fields[list(meta["fields"]).index("id")])
    assert sorted(ids) == ["AY-H0", "AY-H1", "AY-H2"]
    info = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(gpkg_package)],
                          capture_output=True, text=True, check=True).stdout
    assert "Layer name: hazards" in info and "Feature Count: 3" in info
    assert "Layer name: package_manifest" in info
    check = subprocess.run(["ogrinfo", "-ro", "-q", str(gpkg_package), "-sql",
                            "SELECT count(*) AS n FROM finds"],
                           capture_output=True, text=True, check=True).stdout
    assert "n (Integer) = 3" in check or "n (Integer64) = 3" in check


def test_a_grid_agreement_never_lets_an_exact_polygon_in(gpkg_package: Path) -> None:
    shown = package_geometries(gpkg_package, "hazards")
    data = gpkg_package.read_bytes()
    for n in range(3):
        exact = hazard_shape(n)
        g = shown[f"AY-H{n}"]
        assert g is not None and not g.equals(exact)
        assert g.equals(grid_cells(exact, KM)) and g.contains(exact)
        assert area_m2(g) > 20 * area_m2(exact)  # a 5 km cell, not a 700 m polygon
        exact_vertices = {tuple(c) for c in shapely.get_coordinates(exact)}
        assert not exact_vertices & {tuple(c) for c in shapely.get_coordinates(g)}
        assert shapely.to_wkb(exact) not in data  # nowhere in the file
    # neither AZ's record, which the public sees generalised, nor the recipient's own record
    # is part of what the agreements grant
    assert set(shown) == {"AY-H0", "AY-H1", "AY-H2"}


def test_administrative_areas_and_snapped_points(ctx: Context, keys: Keys,
                                                tmp_path: Path) -> None:
    from shapely.geometry import MultiPolygon, box

    from mineaction.access.generalise import snap_point
    from mineaction.domain.organisations import AdminArea

    store = ctx.store
    district = MultiPolygon([box(50.55, 41.25, 51.0, 41.45)])
    with store.transaction() as tx:
        tx.add(AdminArea(id="D1", name="District 1", level=2, geometry=district,
                         country="XW", owner="AY"))
        for n in range(3):
            h = tx.get("hazards", f"AY-H{n}")
            h.admin_area_id = "D1"  # type: ignore[attr-defined]
            tx.update(h)
    for a in store.query("agreements"):
        acc.revoke_agreement(store, HOLDER, a.id, "replaced")
    acc.grant(store, HOLDER, grantor="AY", grantee="RP", layer="hazards", precision="admin")
    acc.grant(store, HOLDER, grantor="AY", grantee="RP", layer="finds", precision="grid",
              grid_km=2.0)
    done = export(ctx, keys, tmp_path / "rp.gpkg")
    assert set(done.tables) == {"hazards", "finds"}
    for g in package_geometries(done.path, "hazards").values():
        assert g is not None and g.equals(district)
    exact = {f.id: f.geometry for f in store.iter("finds")}
    for fid, g in package_geometries(done.path, "finds").items():
        assert g is not None and not g.equals(exact[fid])
        assert g.equals(snap_point(exact[fid], 2.0))  # type: ignore[arg-type]


def test_one_record_exact_the_others_on_the_grid(ctx: Context, keys: Keys, tmp_path: Path
                                                ) -> None:
    acc.grant(ctx.store, HOLDER, grantor="AY", grantee="RP", layer="hazards",
              precision="exact", rows_where={"id": "AY-H0"})
    done = export(ctx, keys, tmp_path / "rp.gpkg", layers=["hazards"])
    shown = package_geometries(done.path, "hazards")
    assert shown["AY-H0"].equals(hazard_shape(0))  # type: ignore[union-attr]
    for n in (1, 2):
        assert shown[f"AY-H{n}"].equals(grid_cells(hazard_shape(n), KM))  # type: ignore
    target = open_store(str(tmp_path / "target.gpkg"))
    target.create()
    try:
        svc.import_package(Context(target, Actor.local("importer")), done.path,
                           load_public(keys[1]))
        notes = {h.id: h.notes for h in target.iter("hazards")}
        assert all("geometry exact or generalised: exact, grid of 5 km" in (n or "")
                   for n in notes.values())
    finally:
        target.close()


def test_counts_only_gives_no_geometry(gpkg_package: Path) -> None:
    conn = sqlite3.connect(gpkg_package)
    try:
        kinds = dict(conn.execute("SELECT table_name, data_type FROM gpkg_contents"))
        assert kinds["accidents_counts"] == "attributes" and "accidents" not in kinds
        assert not conn.execute("SELECT 1 FROM gpkg_geometry_columns WHERE table_name = "
                                "'accidents_counts'").fetchall()
        cols = [r[1] for r in conn.execute("PRAGMA table_info(accidents_counts)")]
        assert cols == ["fid", "country", "count", "suppressed"]
        assert conn.execute("SELECT country, count, suppressed FROM accidents_counts"
                            ).fetchall() == [("XW", 3, 0)]  # accidents are no people
    finally:
        conn.close()


def test_counts_of_victims_are_suppressed_below_the_threshold(ctx: Context, keys: Keys,
                                                               tmp_path: Path) -> None:
    """Counts only is the public's precision: a package's count of victims from 1 to the
    programme's threshold less one is not written, whatever the agreement's filter; at a
    threshold the count reaches, it is."""
    acc.grant(ctx.store, HOLDER, grantor="AY", grantee="RP", layer="victims",
              precision="counts")
    done = export(ctx, keys, tmp_path / "v.gpkg")
    assert done.tables["victims_counts"] == 1
    rows = pkg.table_rows(done.path, "victims_counts")
    assert [(r["country"], r["count"], r["suppressed"]) for r in rows] == [("XW", None, 1)]
    second = sample("victims", 1)
    second.owner, second.country = "AY", "XW"
    with ctx.store.transaction() as tx:
        tx.add(second)
        tx.put_setting("public.suppress_below", "2")
    try:
        later = export(Context(ctx.store, ctx.actor), keys, tmp_path / "v2.gpkg")
        rows = pkg.table_rows(later.path, "victims_counts")
        assert [(r["count"], r["suppressed"]) for r in rows] == [(2, 0)]
    finally:
        with ctx.store.transaction() as tx:
            tx.put_setting("public.suppress_below", None)


def test_an_expired_or_revoked_agreement_exports_nothing(ctx: Context, keys: Keys,
                                                         tmp_path: Path) -> None:
    store = ctx.store
    for a in store.query("agreements"):
        if a.shared_layer == "finds":  # type: ignore[attr-defined]
            acc.revoke_agreement(store, HOLDER, a.id, "ended")
    done = export(ctx, keys, tmp_path / "rp.gpkg")
    assert "finds" not in done.tables and "hazards" in done.tables
    with pytest.raises(InvalidInput) as err:
        export(ctx, keys, tmp_path / "finds.gpkg", layers=["finds"])
    assert err.value.code == "package.layer_not_shared"
    for a in store.query("agreements"):
        if a.revoked_on is None:  # type: ignore[attr-defined]
            acc.revoke_agreement(store, HOLDER, a.id, "ended")
    acc.grant(store, HOLDER, grantor="AY", grantee="RP", layer="hazards", precision="exact",
              valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2020, 12, 31))
    with pytest.raises(InvalidInput) as err:
        export(ctx, keys, tmp_path / "none.gpkg")
    assert err.value.code == "package.nothing_shared"
    assert not (tmp_path / "none.gpkg").exists()
    assert sorted(p.name for p in tmp_path.glob("*.gpkg") if p.name != "store.gpkg") == [
        "rp.gpkg"]  # no stray file


def test_the_package_reads_agreements_alone(shared: Store) -> None:
    """The recipient's own records and the public view are no part of a package."""
    from mineaction.services.packages import recipient_actor

    rp = recipient_actor(shared.get("organisations", "RP"))  # type: ignore[arg-type]
    everything = {h.id for h in shared.as_actor(rp).iter("hazards")}
    assert everything == {"AY-H0", "AY-H1", "AY-H2", "AZ-H9", "RP-H8"}
    granted = {h.id for h in shared.as_actor(rp, agreements_only=True).iter("hazards")}
    assert granted == {"AY-H0", "AY-H1", "AY-H2"}
    with pytest.raises(Forbidden):  # no agreement on victims, whatever else RP may read
        list(shared.as_actor(rp, agreements_only=True).iter("victims"))


def test_personal_fields_never_travel(ctx: Context, keys: Keys, tmp_path: Path) -> None:
    from tests.contract.samples import sample

    ev = sample("evidence", 0)
    ev.owner, ev.country = "AY", "XW"
    ev.witness_name, ev.witness_contact = "W. Person", "village 3"  # type: ignore[attr-defined]
    with ctx.store.transaction() as tx:
        tx.add(ev)
    acc.grant(ctx.store, HOLDER, grantor="AY", grantee="RP", layer="evidence",
              precision="exact")
    done = export(ctx, keys, tmp_path / "rp.gpkg", layers=["evidence"])
    assert done.tables == {"evidence": 1}
    (row,) = pkg.table_rows(done.path, "evidence")
    assert row["witness_name"] is None and row["witness_contact"] is None
    assert row["description"] == "shepherd saw mines laid"
    assert b"W. Person" not in done.path.read_bytes()


def test_the_recipient_owns_what_it_imports(ctx: Context, keys: Keys, tmp_path: Path) -> None:
    """Imported by a user of the recipient organisation, the records are its own (it reads
    them; the sender's owner is kept in the notes)."""
    done = export(ctx, keys, tmp_path / "rp.gpkg")
    target = open_store(str(tmp_path / "rp-store.gpkg"))
    target.create()
    try:
        acc.add_organisation(target, HOLDER, "RP", "Regional platform", "regional_platform",
                             "XR")
        acc.add_user(target, HOLDER, "boss", "RP", "admin", "a long enough password")
        boss = authenticate(target, "boss", "a long enough password")
        acc.add_user(target, boss, "ima", "RP", "im_officer", "a long enough password")
        ima = authenticate(target, "ima", "a long enough password")
        svc.import_package(Context(target, ima), done.path, load_public(keys[1]))
        seen = target.as_actor(ima).query("hazards")
        assert {h.owner for h in seen} == {"RP"} and len(seen) == 3
        assert all("owner at AY: AY" in (h.notes or "") for h in seen)
        entry = audit.entries(target, action=svc.IMPORT_ACTION)[-1]
        assert entry.actor == "ima"
    finally:
        target.close()


# -- tampering ------------------------------------------------------------------------------------

def _edit(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    # what the GeoPackage's spatial index triggers call (GDAL defines them; sqlite3 does not)
    conn.create_function("ST_IsEmpty", 1, lambda g: 0)
    for fn in ("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        conn.create_function(fn, 1, lambda g: 0.0)
    with conn:
        for sql in statements:
            conn.execute(sql)
    conn.close()


def _resign(path: Path, key: Path, text: str) -> None:
    """Replace the manifest with ``text`` signed by ``key`` (as an attacker holding a key)."""
    import base64

    from mineaction.audit.checkpoint import key_id

    private = load_private(key)
    signature = base64.b64encode(private.sign(text.encode())).decode()
    _edit(path, f"UPDATE package_manifest SET manifest = '{text}', signature = '{signature}', "
                f"key_id = '{key_id(private.public_key())}'")


def _manifest(path: Path) -> str:
    return str(pkg.manifest_row(path)["manifest"])


TAMPERING = {
    "changed row": (lambda p, k, o: _edit(p, "UPDATE finds SET quantity = 9 WHERE id = 'AY-F1'"),
                    "package.table_changed"),
    "changed text": (lambda p, k, o: _edit(p, "UPDATE hazards SET notes = 'x' WHERE id = "
                                              "'AY-H0'"), "package.table_changed"),
    "moved geometry": (lambda p, k, o: _edit(p, "UPDATE finds SET geom = (SELECT geom FROM "
                                                "finds WHERE id = 'AY-F0') WHERE id = 'AY-F2'"),
                       "package.table_changed"),
    "inserted row": (lambda p, k, o: _edit(p, "INSERT INTO finds (id, geom) SELECT 'AY-F9', "
                                              "geom FROM finds WHERE id = 'AY-F0'"),
                     "package.row_count"),
    "deleted row": (lambda p, k, o: _edit(p, "DELETE FROM hazards WHERE id = 'AY-H2'"),
                    "package.row_count"),
    "deleted and recounted": (lambda p, k, o: (
        _edit(p, "DELETE FROM hazards WHERE id = 'AY-H2'"),
        _edit(p, "UPDATE package_manifest SET manifest = replace(manifest, '\"rows\":3,\"sha256\"',"
                 " '\"rows\":2,\"sha256\"')")), "package.bad_signature"),
    "changed manifest": (lambda p, k, o: _edit(p, "UPDATE package_manifest SET manifest = "
                                                  "replace(manifest, 'RP', 'XX')"),
                         "package.bad_signature"),
    "replaced signature": (lambda p, k, o: _edit(
        p, "UPDATE package_manifest SET signature = '" +
        __import__("base64").b64encode(load_private(k).sign(b"another text")).decode() + "'"),
        "package.bad_signature"),
    "re-signed by another key": (lambda p, k, o: _resign(p, o, _manifest(p)),
                                 "package.other_key"),
    "dropped table": (lambda p, k, o: _edit(p, "DELETE FROM gpkg_contents WHERE table_name = "
                                               "'finds'"), "package.tables_differ"),
    "no manifest": (lambda p, k, o: _edit(p, "DELETE FROM package_manifest"),
                    "package.manifest_rows"),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_after_signing_is_refused(how: str, package_copy: Path, keys: Keys,
                                            other_keys: Keys, tmp_path: Path) -> None:
    public = load_public(keys[1])
    assert svc.verify_package(package_copy, public).ok
    change, code = TAMPERING[how]
    change(package_copy, keys[0], other_keys[0])
    checked = svc.verify_package(package_copy, public)
    assert checked.problem is not None and checked.problem.code == code, checked.problem
    # and the import refuses it, writing nothing
    store = open_store(str(tmp_path / "target.gpkg"))
    store.create()
    try:
        head = audit.head(store)
        with pytest.raises(InvalidInput) as err:
            svc.import_package(Context(store, Actor.local("importer")), package_copy, public)
        assert err.value.problems[0].code == code
        assert err.value.problems[0].where == str(package_copy)  # the file given, not a copy
        assert store.count("finds") == 0 and store.count("hazards") == 0
        assert audit.head(store) == head
    finally:
        store.close()


def test_the_wrong_public_key_is_refused(package_copy: Path, other_keys: Keys) -> None:
    checked = svc.verify_package(package_copy, load_public(other_keys[1]))
    assert checked.problem is not None and checked.problem.code == "package.other_key"


def test_a_file_that_is_no_package(tmp_path: Path, keys: Keys) -> None:
    bad = tmp_path / "x.gpkg"
    bad.write_text("hello")
    checked = svc.verify_package(bad, load_public(keys[1]))
    assert checked.problem is not None and checked.problem.code == "package.not_a_package"


def test_command_line(tmp_path: Path, keys: Keys, other_keys: Keys) -> None:
    from mineaction.cli import main

    db, into = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    assert main(["--db", str(db), "init"]) == 0
    store: Store = open_store(str(db))
    try:
        fill(store)
    finally:
        store.close()
    out = tmp_path / "rp.gpkg"
    assert main(["--db", str(db), "package", "export", "--to", "RP", "--layer", "hazards",
                 "--key", str(keys[0]), "-o", str(out)]) == 0
    assert [t for t in pyogrio.list_layers(out)[:, 0]] == ["hazards", "package_manifest"]
    assert main(["package", "verify", str(out), "--key", str(keys[1])]) == 0
    assert main(["package", "verify", str(out), "--key", str(other_keys[1])]) == 2
    assert main(["--db", str(into), "init"]) == 0
    assert main(["--db", str(into), "package", "import", str(out), "--key",
                 str(other_keys[1])]) == 2
    assert main(["--db", str(into), "package", "import", str(out), "--key",
                 str(keys[1])]) == 0
    assert main(["--db", str(into), "package", "import", str(out), "--key",
                 str(keys[1])]) == 0
    target = open_store(str(into))
    try:
        assert target.count("hazards") == 3
    finally:
        target.close()

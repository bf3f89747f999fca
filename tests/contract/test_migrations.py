"""Migrations of stores made by earlier releases, on every adapter: numeric column types
widened (5) and areas written by the faulty densification recomputed (6)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, box

from mineaction import domain as d
from mineaction.domain.release import HazardChange, HazardVersion, ReleaseStep
from mineaction.geo.measure import area_m2, equal_area_m2
from mineaction.store import open_store, sql
from mineaction.store.migrations import MIGRATIONS
from tests.unit.test_measure import HZ_000051

#: The column types schema 4 was released with: 4-byte reals to GDAL in a GeoPackage, 32-bit
#: integers in PostgreSQL.
RELEASED_TYPES = {**sql._SQL_TYPES, "integer": sa.Integer(), "real": sa.Float()}

D = dt.date(2023, 3, 16)
S = "synthetic:test"


def _version(id: str, seq: int, geom, area: float, notes: str | None = None):
    return HazardVersion(id=id, hazard_id=id.split("@")[0], seq=seq, valid_from=D,
                           change=HazardChange.RELEASED, kind=d.HazardKind.SHA,
                           status=d.HazardStatus.OPEN, area_m2=area, geometry=geom,
                           notes=notes, source=S)


def _step(id: str, geom, area: float):
    return ReleaseStep(id=id, activity_id=id.split("/")[0], hazard_id=id.split("/")[1],
                         method=d.ReleaseOutcome.REDUCED, activity_kind=d.ActivityKind.TS,
                         released_on=D, area_m2=area, geometry=geom, source=S)


GOOD = MultiPolygon([box(50.6, 41.2, 50.61, 41.21)])
MOVED = MultiPolygon([box(51.2, 41.5, 51.204, 41.504)])  # smaller than HZ-000051

#: id -> (what the faulty code stored, by hand below); None: stored right.
WRONG = {"HZ-000051@2": 0.0, "H2@1": 12.5, "T1/H2": 0.0001}


def schema_4_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store as the release with schema 4 made it, holding wrong areas."""
    with monkeypatch.context() as m:
        m.setattr(sql, "_SQL_TYPES", RELEASED_TYPES)
        s = open_store(url)
        try:
            assert s.migrate(target=4) == [1, 2, 3, 4]
            with s.transaction() as tx:
                tx.add_many([
                    _version("HZ-000051@2", 2, HZ_000051, round(area_m2(HZ_000051), 3)),
                    _version("H1@1", 1, GOOD, round(area_m2(GOOD), 3)),
                    _version("H1@2", 2, MultiPolygon(), 0.0),
                    _version("H2@1", 1, MOVED, round(area_m2(MOVED), 3),
                             notes="from the 2019 register"),
                    _step("T1/H2", MOVED, area_m2(MOVED)),
                    _step("T1/H1", GOOD, area_m2(GOOD)),
                ])
            assert isinstance(s, sql.SqlStore)
            with s.engine.begin() as conn:
                for rid, value in WRONG.items():
                    table = "release_steps" if "/" in rid else "hazard_versions"
                    conn.execute(sa.text(f"UPDATE {table} SET area_m2 = :v WHERE id = :id"),
                                 {"v": value, "id": rid})
                types = s.column_types(conn, "hazard_versions")
            assert types["area_m2"].lower() in ("float", "double precision")
            assert types["seq"].lower() in ("integer",)
        finally:
            s.close()


def test_migration_recomputes_wrong_areas_and_notes_them(store_url, monkeypatch):
    schema_4_store(store_url, monkeypatch)
    s = open_store(store_url)
    said: list[tuple[int, str]] = []
    try:
        assert s.schema_version() == 4
        assert s.migrate(report=lambda v, m: said.append((v, m))) == [
            m.version for m in sorted(MIGRATIONS, key=lambda m: m.version) if m.version >= 5]
        versions = {r.id: r for r in s.iter("hazard-versions")}
        steps = {r.id: r for r in s.iter("release-steps")}
        again: list[tuple[int, str]] = []
        assert s.migrate(report=lambda v, m: again.append((v, m))) == [] and again == []
    finally:
        s.close()
    hz = versions["HZ-000051@2"]
    assert hz.area_m2 == round(area_m2(HZ_000051), 3)
    assert hz.area_m2 == pytest.approx(equal_area_m2(HZ_000051), rel=1e-8)
    assert hz.area_m2 > 315_000
    assert hz.notes == f"area_m2 corrected from 0.000 to {hz.area_m2:.3f} by schema migration 6"
    assert hz.version == 2
    h2 = versions["H2@1"]
    assert h2.area_m2 == round(area_m2(MOVED), 3)
    assert h2.notes == (f"from the 2019 register; area_m2 corrected from 12.500 to "
                        f"{h2.area_m2:.3f} by schema migration 6")
    for untouched in ("H1@1", "H1@2"):  # right, or empty (a closed hazard): kept as stored
        assert versions[untouched].notes is None and versions[untouched].version == 1
    assert versions["H1@2"].area_m2 == 0.0
    assert steps["T1/H2"].area_m2 == area_m2(MOVED)  # unrounded, as the engine writes it
    assert steps["T1/H2"].notes == (f"area_m2 corrected from 0.000 to {area_m2(MOVED):.3f} "
                                    "by schema migration 6")
    assert steps["T1/H1"].notes is None and steps["T1/H1"].version == 1
    by_version = dict(said)
    assert by_version[6] == (
        "corrected area_m2 of 2 hazard-versions, 1 release-steps; largest change "
        f"{hz.area_m2:,.1f} m² on hazard-versions HZ-000051@2; each record's notes say from "
        "what to what")
    # GeoPackage: FLOAT reals become DOUBLE; PostgreSQL: integer becomes bigint
    assert "hazard_versions (" in by_version[5] and "release_steps (" in by_version[5]


def test_migrated_columns_are_8_byte_reals_and_64_bit_integers(store_url, monkeypatch):
    schema_4_store(store_url, monkeypatch)
    s = open_store(store_url)
    try:
        s.migrate()
        assert isinstance(s, sql.SqlStore)
        with s.engine.connect() as conn:
            types = {t: s.column_types(conn, t) for t in ("hazard_versions", "figures",
                                                          "hazards", "eore")}
        for table, column in (("hazard_versions", "area_m2"), ("figures", "value")):
            assert types[table][column].lower() in ("double", "double precision")
        for table, column in (("hazards", "estimated_mines"), ("eore", "girls"),
                              ("hazard_versions", "seq"), ("hazards", "version")):
            # 64-bit: SQLite's INTEGER is, PostgreSQL's is not
            assert types[table][column].lower() in ("integer", "bigint")
            if s.engine.dialect.name == "postgresql":
                assert types[table][column] == "bigint"
        # rows, fids and the spatial index survive: a bbox query finds a migrated row, and
        # one moved after the migration where it now lies
        assert [r.id for r in s.iter("hazard-versions", bbox=(51.19, 41.49, 51.22, 41.52))] \
            == ["H2@1"]
        h = s.get("hazard-versions", "H1@1")
        h.geometry = MultiPolygon([box(51.4, 41.7, 51.41, 41.71)])
        big = d.Hazard(id="HB", kind=d.HazardKind.SHA, estimated_mines=3_000_000_000,
                       geometry=GOOD, source=S)
        with s.transaction() as tx:
            tx.update(h)
            tx.add(big)
        assert [r.id for r in s.iter("hazard-versions", bbox=(51.39, 41.69, 51.42, 41.72))] \
            == ["H1@1"]
        assert s.query("hazard-versions", bbox=(50.59, 41.19, 50.62, 41.22)) == []
        assert s.get("hazards", "HB").estimated_mines == 3_000_000_000
    finally:
        s.close()


def test_integers_beyond_32_bits_are_kept_by_every_adapter(store):
    big = 2**40 + 3
    with store.transaction() as tx:
        tx.add(d.Hazard(id="HB", kind=d.HazardKind.SHA, estimated_mines=big, geometry=GOOD,
                        source=S))
    assert store.get("hazards", "HB").estimated_mines == big
    assert store.aggregate("hazards", sums=["estimated_mines"])[0]["estimated_mines"] == big


def test_a_store_of_the_last_release_gains_every_later_layer(store_url):
    """Schema 30 was the last released one: a store at it takes every step numbered above
    it, so none made in parallel with a lower number is skipped (which would leave it without
    the layers that imports, re-imports and reviews write)."""
    released = 30
    later = sorted(m.version for m in MIGRATIONS if m.version > released)
    assert later and all(
        m.version < released for m in MIGRATIONS if m.version not in later and m.version != 30)
    s = open_store(store_url)
    try:
        assert s.migrate(target=released)[-1] == released
        assert s.migrate() == later
        assert isinstance(s, sql.SqlStore)
        with s.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert {"imports", "record_changes", "submissions"} <= tables
        with s.transaction() as tx:
            tx.add(d.Organisation(id="O1", name="Org", kind=d.OrganisationKind.OPERATOR,
                                  country="XS", source=S))
        assert s.count("organisations") == 1
    finally:
        s.close()

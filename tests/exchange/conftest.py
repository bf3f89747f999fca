"""A store where authority AY shares with regional platform RP: hazards at a grid of 5 km,
finds exactly, accidents as counts only; and a key pair to sign packages with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from mineaction.access import Actor
from mineaction.access import accounts as acc
from mineaction.audit.checkpoint import generate
from mineaction.services.context import Context
from mineaction.store import Store, open_store
from tests.contract.samples import sample

HOLDER = Actor.local("holder")
KM = 5.0


def hazard_shape(n: int) -> MultiPolygon:
    """An irregular polygon at sea, well inside one 5 km cell or across two."""
    x, y = 50.62 + 0.11 * n, 41.31 + 0.013 * n
    return MultiPolygon([Polygon([(x, y), (x + 0.0071, y + 0.0013), (x + 0.0093, y + 0.0061),
                                  (x + 0.0022, y + 0.0087)])])


def fill(store: Store) -> None:
    """Organisations, records of AY and of AZ, and AY's agreements with RP."""
    acc.add_organisation(store, HOLDER, "AY", "Authority Y", "authority", "XW")
    acc.add_organisation(store, HOLDER, "AZ", "Operator Z", "operator", "XW")
    acc.add_organisation(store, HOLDER, "RP", "Regional platform", "regional_platform", "XR")
    records = []
    for n in range(3):
        h = sample("hazards", n)
        h.id, h.geometry, h.owner, h.country = f"AY-H{n}", hazard_shape(n), "AY", "XW"
        h.notes = f"surveyed {n}"
        f = sample("finds", n)
        f.id, f.geometry, f.owner, f.country = f"AY-F{n}", Point(50.7 + 0.01 * n,
                                                                  41.5123 + 0.001 * n), "AY", "XW"
        a = sample("accidents", n)
        a.id, a.owner, a.country = f"AY-X{n}", "AY", "XW"
        records += [h, f, a]
    other = sample("hazards", 9)
    other.id, other.owner, other.country = "AZ-H9", "AZ", "XW"
    own = sample("hazards", 8)
    own.id, own.owner, own.country = "RP-H8", "RP", "XR"
    victim = sample("victims", 0)
    victim.owner, victim.country = "AY", "XW"
    records += [other, own, victim]
    with store.transaction() as tx:
        for r in records:
            tx.add(r)
    acc.grant(store, HOLDER, grantor="AY", grantee="RP", layer="hazards", precision="grid",
              grid_km=KM)
    acc.grant(store, HOLDER, grantor="AY", grantee="RP", layer="finds", precision="exact")
    acc.grant(store, HOLDER, grantor="AY", grantee="RP", layer="accidents",
              precision="counts")


@pytest.fixture
def shared(store: Store) -> Store:
    fill(store)
    return store


@pytest.fixture
def ctx(shared: Store) -> Context:
    return Context(shared, Actor.local("exporter"))


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sender's private key file and public key file."""
    return generate(tmp_path_factory.mktemp("keys") / "sender.pem")


@pytest.fixture(scope="session")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate(tmp_path_factory.mktemp("keys") / "someone-else.pem")


@pytest.fixture(scope="session")
def gpkg_package(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]
                 ) -> Path:
    """One package exported from a GeoPackage store, made once (tests copy it)."""
    from mineaction.audit.checkpoint import load_private
    from mineaction.services.packages import export_package

    folder = tmp_path_factory.mktemp("package")
    s = open_store(str(folder / "source.gpkg"))
    s.create()
    try:
        fill(s)
        export_package(Context(s, Actor.local("exporter")), "RP", folder / "rp.gpkg",
                       load_private(keys[0]))
    finally:
        s.close()
    return folder / "rp.gpkg"


@pytest.fixture
def package_copy(gpkg_package: Path, tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "copy.gpkg"
    target.write_bytes(gpkg_package.read_bytes())
    yield target


def today() -> dt.date:
    return dt.date.today()

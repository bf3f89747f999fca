"""Shared fixtures. ``store`` is parametrised over every store adapter: the contract suite in
``tests/contract`` runs once per adapter, and a test of a real part is never skipped under CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mineaction.store import Store, open_store

IN_CI = bool(os.environ.get("CI"))

#: adapter name -> factory(tmp_path, request) returning the URL of a fresh, empty store.
STORE_URLS: dict[str, Callable[[Path, pytest.FixtureRequest], str]] = {
    "gpkg": lambda tmp, _req: str(tmp / "store.gpkg"),
    "postgis": lambda _tmp, req: req.getfixturevalue("pg_server").new_database(),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--adapters", default=None,
                     help="comma list of store adapters to run the contract suite on")


def adapters(config: pytest.Config) -> list[str]:
    chosen = config.getoption("--adapters")
    return chosen.split(",") if chosen else list(STORE_URLS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_url" in metafunc.fixturenames:
        metafunc.parametrize("store_url", adapters(metafunc.config), indirect=True)


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh store of the adapter the test runs on: empty, or, when the test
    also uses ``store``, a copy of a store initialised once per test process (a file copy of
    the GeoPackage, a PostgreSQL database made from the initialised one as its template)."""
    if "store" in request.node.fixturenames:
        return INITIALISED[request.param](tmp_path, request)
    return STORE_URLS[request.param](tmp_path, request)


def _initialised_gpkg(tmp: Path, req: pytest.FixtureRequest) -> str:
    url = STORE_URLS["gpkg"](tmp, req)
    shutil.copyfile(req.getfixturevalue("initialised_gpkg"), url)
    return url


def _initialised_postgis(_tmp: Path, req: pytest.FixtureRequest) -> str:
    return str(req.getfixturevalue("pg_server").new_database(
        like=req.getfixturevalue("initialised_postgis")))


#: adapter name -> factory(tmp_path, request) returning the URL of a fresh, initialised store.
INITIALISED: dict[str, Callable[[Path, pytest.FixtureRequest], str]] = {
    "gpkg": _initialised_gpkg,
    "postgis": _initialised_postgis,
}


@pytest.fixture(scope="session")
def initialised_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage store initialised at the latest schema, to be copied, never opened."""
    path = tmp_path_factory.mktemp("initialised") / "store.gpkg"
    with open_store(str(path)) as s:
        s.create()
    return path


@pytest.fixture(scope="session")
def initialised_postgis(pg_server: Any) -> str:
    """A PostGIS database initialised at the latest schema, the template of the ``store``s
    of the tests (nobody stays connected to it)."""
    url = str(pg_server.new_database())
    with open_store(url) as s:
        s.create()
    return url


@pytest.fixture
def new_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """A factory of further stores of the adapter the test runs on, initialised at the latest
    schema (copies of the store initialised once per test process: ``create()`` on them is a
    no-op)."""
    adapter = request.node.callspec.params["store_url"]
    made = [0]

    def make() -> str:
        made[0] += 1
        folder = tmp_path / f"extra-{made[0]}"
        folder.mkdir()
        return INITIALISED[adapter](folder, request)

    return make


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    s.create()  # a no-op on the initialised copy; the store is at the latest schema
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A PostgreSQL server with PostGIS for this test process: $MINEACTION_TEST_PG, else a
    throwaway cluster (one per xdist worker, each on its own port and directory)."""
    from mineaction.store import pgcluster

    try:
        server = pgcluster.server()
    except pgcluster.ClusterUnavailable as exc:
        skip_or_fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


def skip_or_fail(reason: str) -> None:
    """Skip a test of a real part locally; under CI a missing real part fails the run."""
    if IN_CI:
        pytest.fail(f"real part missing under CI: {reason}")
    pytest.skip(reason)


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: The project's shared folder (seed documents, reference figures, real datasets): beside the
#: checkout, as CI lays it out, else where the developers' machines keep it.
SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
               if p.is_dir()), Path(__file__).resolve().parents[2] / "shared")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a skipped test fails the run: every test of a real part must have run."""
    if not IN_CI or getattr(session.config, "workerinput", None) is not None:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        if reporter:
            reporter.write_line(f"{skipped} test(s) skipped under CI: a real part did not run",
                                red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

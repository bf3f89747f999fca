"""The corpus's stores: per adapter and test process, one store holding the records the cases
refer to (built through the CLI), that every case runs against: refusals write nothing, and
accepted cases write ids of their own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import shapely

from mineaction.cli import main
from mineaction.domain.layers import all_layers
from mineaction.store import Store, open_store
from tests.conftest import STORE_URLS, adapters
from tests.corpus import cases as corpus_cases
from tests.corpus.files import write_rows


def _plain(value: Any) -> Any:
    if isinstance(value, shapely.Geometry):
        return shapely.to_wkb(value, hex=True, output_dimension=4)
    if isinstance(value, (frozenset, set)):
        return sorted(str(v) for v in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def store_state(url: str, store: Store | None = None) -> tuple[str, dict[str, int]]:
    """A checksum of every row of every layer, read through the store interface (so the same
    on both adapters), and the number of rows per layer; ``store`` is ``url`` already open."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    s = store or open_store(url)
    try:
        for layer in all_layers():
            records = sorted(s.query(layer.name), key=lambda r: r.id)
            counts[layer.name] = len(records)
            for r in records:
                row = {f.name: _plain(getattr(r, f.name)) for f in dataclasses.fields(r)}
                digest.update(json.dumps([layer.name, row], sort_keys=True,
                                         default=str).encode("utf-8"))
    finally:
        if store is None:
            s.close()
    return digest.hexdigest(), counts


def build_store(url: str, folder: Path) -> None:
    """The records every case may refer to, written through the command line."""
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        code = main(["--db", url, *args])
        assert code == 0, (args, code)

    run("init")
    for layer, rows in corpus_cases.STORE_ROWS:
        fmt = "geojson" if any("geometry" in r for r in rows) else "csv"
        run("import", layer, str(write_rows(fmt, folder / layer, rows)))
    run("records", "import", corpus_cases._record_file(folder, "0001", lambda r: None))
    run("import-register", "victims", corpus_cases._register(folder, []), "--mapping",
        "colombia-aicma")


@dataclasses.dataclass
class CorpusStores:
    """The stores of one test process: per adapter a base built once, and the store the cases
    run against (a copy of the base, made again should a refusal ever write) with its
    state."""

    adapters: list[str]
    root: Path
    request: pytest.FixtureRequest
    bases: dict[str, str] = dataclasses.field(default_factory=dict)
    shared_urls: dict[str, str] = dataclasses.field(default_factory=dict)
    states: dict[str, tuple[str, dict[str, int]]] = dataclasses.field(default_factory=dict)
    #: stores kept open to read the state of the shared stores
    readers: dict[str, Store] = dataclasses.field(default_factory=dict)

    def _server(self) -> Any:
        return self.request.getfixturevalue("pg_server")

    def base(self, adapter: str) -> str:
        if adapter not in self.bases:
            folder = self.root / f"base-{adapter}"
            folder.mkdir()
            url = STORE_URLS[adapter](folder, self.request)
            build_store(url, folder / "files")
            self.bases[adapter] = url
        return self.bases[adapter]

    def fresh(self, adapter: str) -> str:
        """A new copy of the base store."""
        base = self.base(adapter)
        if adapter == "postgis":
            return str(self._server().new_database(like=base))
        path = self.root / f"copy-{uuid.uuid4().hex[:8]}.gpkg"
        shutil.copyfile(base, path)
        return str(path)

    def shared(self, adapter: str) -> str:
        if adapter not in self.shared_urls:
            url = self.fresh(adapter)
            self.shared_urls[adapter] = url
            self.readers[url] = open_store(url)
            self.states[adapter] = self.state(url)
        return self.shared_urls[adapter]

    def state(self, url: str) -> tuple[str, dict[str, int]]:
        return store_state(url, self.readers.get(url))

    def close(self) -> None:
        for s in self.readers.values():
            s.close()
        self.readers.clear()


@pytest.fixture(scope="session")
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[CorpusStores]:
    stores = CorpusStores(adapters(request.config), tmp_path_factory.mktemp("corpus"), request)
    try:
        yield stores
    finally:
        stores.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config
                            ) -> None:
    """The corpus's size by category and its expected outcomes, when its tests ran."""
    if getattr(config, "workerinput", None) is not None:
        return
    ran = [r for key in ("passed", "failed", "xfailed", "xpassed", "error")
           for r in terminalreporter.stats.get(key, [])
           if getattr(r, "nodeid", "").startswith("tests/corpus/test_corpus.py")]
    if not ran:
        return
    from tests.corpus.summary import summary_lines

    terminalreporter.write_sep("-", "bad-input corpus")
    for line in summary_lines():
        terminalreporter.write_line(line)


Factory = Callable[[], str]

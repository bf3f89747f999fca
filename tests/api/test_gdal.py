"""GDAL's OGC API Features client reads the API: every collection a role may read, paging past
1,000 features, and nothing else (``ogrinfo`` of gdal-bin, and pyogrio's own GDAL)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pyogrio
import pyogrio.raw
import pytest

from mineaction.domain.layers import get_layer
from mineaction.services import features
from mineaction.store import open_store
from tests.access.test_matrix import LAYERS, WHO, expected, fill, layer_readable
from tests.api.conftest import ORGS, make_accounts, served_process, synthetic_hazards
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.real

N = 1100
LOGIN = {"public": None, "ax_analyst": "axa", "ax_im": "axi", "ax_approver": "axp",
         "oa_operator": "oao", "rp_analyst": "rpa", "donor_analyst": "dna", "admin": "adm"}


def _pages(base: str, layer: str, headers: dict[str, str], limit: int) -> list[dict[str, Any]]:
    url: str | None = f"{base}/collections/{layer}/items?limit={limit}"
    pages = []
    while url:
        r = httpx.get(url, headers=headers, timeout=60)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/geo+json")
        body = r.json()
        pages.append(body)
        url = next((lk["href"] for lk in body["links"] if lk["rel"] == "next"), None)
    return pages


def _read(source: str, layer: str) -> tuple[list[str], list[Any]]:
    """Ids and geometries (WKB) of a layer read by pyogrio's GDAL (the reading
    ``read_dataframe`` does, without geopandas)."""
    meta, _, geoms, values = pyogrio.raw.read(source, layer=layer)
    names = list(meta["fields"])
    ids = [str(v) for v in values[names.index("id")]] if "id" in names else []
    return ids, list(geoms) if geoms is not None else []


def test_items_page_past_a_thousand(store_url: str) -> None:
    """On both adapters: 1,100 features in pages of at most 1,000 (the maximum, whatever
    the client asks), linked by next and prev, counted by numberMatched."""
    store = open_store(store_url)
    store.create()
    try:
        tokens = make_accounts(store)
        ids = synthetic_hazards(store, N)
        with served_process(store_url) as base:
            for who, headers in (("public", {}),
                                 ("admin", {"Authorization": f"Bearer {tokens['adm']}"})):
                pages = _pages(base, "hazards", headers, limit=5000)
                assert [p["numberReturned"] for p in pages] == [features.MAX_LIMIT,
                                                                N - features.MAX_LIMIT], who
                assert all(p["numberMatched"] == N for p in pages)
                got = [f["id"] for p in pages for f in p["features"]]
                assert got == sorted(ids), who
                assert any(lk["rel"] == "prev" for lk in pages[1]["links"])
                assert not any(lk["rel"] == "prev" for lk in pages[0]["links"])
            small = _pages(base, "hazards", {}, limit=300)
            assert len(small) == 4 and sum(p["numberReturned"] for p in small) == N
            assert sorted(_read(f"OAPIF:{base}/", "hazards")[0]) == sorted(ids)
    finally:
        store.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The matrix test's records in every layer, 1,100 synthetic hazards, the accounts."""
    path = tmp_path_factory.mktemp("gdal") / "store.gpkg"
    store = open_store(str(path))
    store.create()
    records = fill(store)
    tokens = make_accounts(store)
    synthetic_hazards(store, N)
    store.close()
    with served_process(str(path)) as base:
        yield base, tokens, records


def _expected_ids(who_key: str, layer: str, records: dict[tuple[str, str], Any]) -> set[str]:
    who = next(w for w in WHO if w.key == who_key)
    ids = {records[layer, rel].id for rel, (mode, _) in expected(who, layer).items()
           if mode != "counts"}
    if layer == "hazards":
        ids |= {f"HZ-{i:05d}" for i in range(N)}  # the synthetic ones: AX's, public
    if layer == "organisations":
        ids |= set(ORGS)  # those of the accounts (a public layer)
    return ids


def _readable(who_key: str) -> set[str]:
    who = next(w for w in WHO if w.key == who_key)
    return {lyr for lyr in LAYERS if layer_readable(who, lyr)}


@pytest.mark.parametrize("who_key", ["public", "oa_operator", "rp_analyst", "admin"])
def test_gdal_reads_what_a_role_may_read(world: Any, who_key: str) -> None:
    base, tokens, records = world
    login = LOGIN[who_key]
    header = f"Authorization: Bearer {tokens[login]}" if login else ""
    want = _readable(who_key)
    assert "victims-personal" not in want and "users" not in want
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        skip_or_fail("ogrinfo (gdal-bin) is not installed")
    else:
        cmd = [ogrinfo, "-ro", "-so", "-al", f"OAPIF:{base}/"]
        if header:
            cmd[1:1] = ["--config", "GDAL_HTTP_HEADERS", header]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
        listed = re.findall(r"^Layer name: (\S+)$", out, re.M)
        assert set(listed) == want, who_key
        counts = dict(zip(listed, map(int, re.findall(r"^Feature Count: (\d+)$", out, re.M)),
                          strict=True))
        for layer in listed:
            assert counts[layer] == len(_expected_ids(who_key, layer, records)), layer
    # pyogrio's GDAL takes the token as GDAL_HTTP_BEARER (its GDAL_HTTP_HEADERS is ignored)
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER" if login else None,
                                     "GDAL_HTTP_BEARER": tokens[login] if login else None})
    try:
        assert {name for name, _ in pyogrio.list_layers(f"OAPIF:{base}/")} == want
        for layer in sorted(want):
            got, geoms = _read(f"OAPIF:{base}/", layer)
            assert set(got) == _expected_ids(who_key, layer, records), (who_key, layer)
            assert len(got) == len(set(got)), layer  # every feature once
            if get_layer(layer).spatial:
                assert all(g is not None for g in geoms), layer
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})


def test_a_wrong_token_is_refused_and_no_collection_listed(world: Any, tmp_path: Path) -> None:
    base, tokens, _ = world
    bad = tokens["adm"][:-4] + "AAAA"
    r = httpx.get(f"{base}/collections", headers={"Authorization": f"Bearer {bad}"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "access.bad_token"

"""Every role x every endpoint x every collection x own / shared / not shared / personal data,
through the API served by uvicorn: exactly the records the rules open (the access matrix's
expectations, written from the documented rules), hidden fields null, generalised geometries
never exact, personal values nowhere in any response, and every refusal with its status
(401 for the public, 403 for a signed-in actor without a grant, 404 for what is not served
or not seen)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import shapely
from shapely.geometry import shape

from mineaction.access import Level
from mineaction.api import create_app
from mineaction.domain.layers import ACCOUNT_LAYERS, get_layer
from mineaction.io.writers import record_columns
from mineaction.store import open_store
from tests.access.test_matrix import (
    LAYERS,
    WHO,
    Who,
    expected,
    fill,
    layer_readable,
    level_of,
    relations,
    x_of,
)
from tests.api.conftest import ORGS, make_accounts, served

LOGIN = {"public": None, "ax_analyst": "axa", "ax_im": "axi", "ax_approver": "axp",
         "oa_operator": "oao", "rp_analyst": "rpa", "donor_analyst": "dna", "admin": "adm"}
ROLES = [w for w in WHO if w.key in LOGIN]
#: Values of personal fields in the store: none may appear in any response.
PERSONAL = ("A. Person", "+000 000", "W. Person", "village 3")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("matrix") / "store.gpkg"
    store = open_store(str(path))
    store.create()
    records = fill(store)
    tokens = make_accounts(store)
    with served(create_app(str(path), store=store)) as base, httpx.Client(
            base_url=base, timeout=60) as client:
        yield client, tokens, records
    store.close()


class Checks:
    def __init__(self, client: httpx.Client, headers: dict[str, str]):
        self.client, self.headers, self.n, self.bodies = client, headers, 0, []

    def get(self, url: str, status: int, code: str | None = None, **params: Any
            ) -> httpx.Response:
        r = self.client.get(url, headers=self.headers, params=params or None)
        assert r.status_code == status, (url, params, r.status_code, r.text[:300])
        if status >= 400:
            assert r.headers["content-type"] == "application/problem+json"
            if code:
                assert r.json()["code"] == code, (url, r.json())
        self.bodies.append(r.text)
        self.n += 1
        return r


def refusal(who: Who, layer: str) -> int:
    if layer in ACCOUNT_LAYERS:
        return 404
    return 401 if who.key == "public" else 403


def check_feature(layer: str, feature: dict[str, Any], stored: Any,
                  seen: tuple[str, Level], who: Who) -> None:
    """``seen``: the geometry's mode and the highest level of field the rules show."""
    lyr = get_layer(layer)
    mode, level = seen
    plain = record_columns(lyr, [stored])
    props = feature["properties"]
    for spec in lyr.fields:
        value = props[spec.name]
        if spec.name in ("id", "version") or lyr.field_level(spec) <= level:
            assert value == plain[spec.name][0], (who.key, layer, spec.name)
        else:
            assert value in (None, "", []), (who.key, layer, spec.name, value)
    if not lyr.spatial:
        assert feature["geometry"] is None
        return
    got = shape(feature["geometry"])
    if mode == "exact":
        assert got.equals_exact(stored.geometry, 0), (who.key, layer)
    else:
        assert not got.equals(stored.geometry), (who.key, layer)
        exact = {tuple(c) for c in shapely.get_coordinates(stored.geometry)}
        assert not exact & {tuple(c) for c in shapely.get_coordinates(got)}, (who.key, layer)


@pytest.mark.parametrize("who", ROLES, ids=[w.key for w in ROLES])
def test_matrix(world: Any, who: Who) -> None:
    client, tokens, records = world
    login = LOGIN[who.key]
    c = Checks(client, {"Authorization": f"Bearer {tokens[login]}"} if login else {})
    readable = {lyr for lyr in LAYERS if layer_readable(who, lyr)}
    listed = {b["id"] for b in c.get("/collections", 200).json()["collections"]}
    assert listed == readable, who.key
    assert "victims-personal" not in listed
    for layer in [*LAYERS, *sorted(ACCOUNT_LAYERS)]:
        base = f"/collections/{layer}"
        rels = relations(layer) if layer in LAYERS else []
        if layer not in readable:
            status = refusal(who, layer)
            c.get(base, status)
            c.get(base + "/items", status)
            c.get(base + "/queryables", status)
            for rel in rels:
                c.get(f"{base}/items/{records[layer, rel].id}", status)
            continue
        c.get(base, 200)
        want = {r: m for r, m in expected(who, layer).items() if m[0] != "counts"}
        ids = {records[layer, r].id: r for r in want}
        body = c.get(base + "/items", 200, limit=1000).json()
        # (the organisations of the accounts are public records too)
        extra = set(ORGS) if layer == "organisations" else set()
        got = {f["id"]: f for f in body["features"] if f["id"] not in extra}
        assert set(got) == set(ids), (who.key, layer)
        assert body["numberMatched"] == len(ids) + len(extra) == body["numberReturned"]
        for fid, f in got.items():
            check_feature(layer, f, records[layer, ids[fid]], want[ids[fid]], who)
        for rel in rels:
            rid = records[layer, rel].id
            if rid in ids:
                r = c.get(f"{base}/items/{rid}", 200)
                assert r.headers["etag"] == f'W/"{records[layer, rel].version}"'
                check_feature(layer, r.json(), records[layer, rel], want[rel], who)
            else:  # counted only, or not there at all: the same answer as a missing id
                c.get(f"{base}/items/{rid}", 404)
        queryable = set(c.get(base + "/queryables", 200).json()["properties"])
        lyr = get_layer(layer)
        for spec in lyr.fields:
            hidden = spec.name not in ("id", "version") and \
                lyr.field_level(spec) > level_of(who)
            if hidden:
                assert spec.name not in queryable, (who.key, layer, spec.name)
                # a filter on a field the actor does not see is refused, never evaluated
                c.get(base + "/items", 400, "api.filter_property",
                      filter=f"{spec.name} IS NULL")
        if lyr.spatial:
            for rel in rels:
                x = x_of(rel)
                found = c.get(base + "/items", 200, limit=1000,
                              bbox=f"{x - 0.09},41.32,{x + 0.1},41.48").json()
                mine = {records[layer, rel].id} & set(ids)
                assert {f["id"] for f in found["features"]} == mine, (who.key, layer, rel)
    text = "\n".join(c.bodies)
    for value in PERSONAL:
        assert value not in text, (who.key, value)
    print(f"{who.key}: {c.n} requests checked")
    assert c.n > 60

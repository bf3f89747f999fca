"""Writes through the API go through the review workflow: features POSTed to a collection are
staged as a submission, shown with what approving would change, approved or rejected by an
approver with If-Match (428 without, 412 when stale), each refusal with its status and code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mineaction import audit
from mineaction.api import create_app
from mineaction.store import Store, open_store
from tests.api.conftest import make_accounts, served

PROBLEM = "application/problem+json"


def find(fid: str, x: float = 50.605, y: float = 41.205, quantity: int = 1) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"id": fid, "category": "ap", "quantity": quantity,
                           "found_on": "2024-05-20", "source": "synthetic: api tests"}}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture
def world(store_url: str) -> Iterator[tuple[httpx.Client, dict[str, str], Store]]:
    store = open_store(store_url)
    store.create()
    tokens = make_accounts(store)
    with served(create_app(store_url, store=store)) as base, httpx.Client(
            base_url=base, timeout=60) as client:
        yield client, tokens, store
    store.close()


def auth(tokens: dict[str, str], who: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}", **more}


def problem(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:400])
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    if code is not None:
        assert body["code"] == code, body
    return body


def test_submit_show_approve(world: Any) -> None:
    client, tokens, store = world
    r = client.post("/collections/finds/items", content=json.dumps(collection(
        find("F-API-1"), find("F-API-2", x=50.606, quantity=3))),
        headers=auth(tokens, "oao", **{"Content-Type": "application/geo+json"}))
    assert r.status_code == 202, r.text
    sub = r.json()
    assert sub["status"] == "pending" and sub["records"] == 2 and sub["origin"] == "api"
    assert sub["organisation"] == "OA" and len(sub["checksum"]) == 64
    assert r.headers["location"].endswith(f"/submissions/{sub['id']}")
    assert store.existing_ids("finds", ["F-API-1", "F-API-2"]) == set()  # staged only

    listed = client.get("/submissions", params={"status": "pending"},
                        headers=auth(tokens, "axi")).json()
    assert [s["id"] for s in listed["submissions"]] == [sub["id"]]
    shown = client.get(f"/submissions/{sub['id']}", headers=auth(tokens, "axp"))
    assert shown.status_code == 200
    view = shown.json()
    assert sorted(view["new"]) == ["F-API-1", "F-API-2"] and view["updates"] == []
    assert view["problems"] == [] and view["conflicts"] == []
    tag = shown.headers["etag"]

    url = f"/submissions/{sub['id']}/approve"
    problem(client.post(url, json={"note": "ok"}, headers=auth(tokens, "axp")), 428,
            "api.if_match_required")
    problem(client.post(url, json={"note": "ok"}, headers=auth(tokens, "axp",
                                                               **{"If-Match": '"99"'})),
            412, "api.version_stale")
    problem(client.post(url, json={"note": "ok"}, headers=auth(tokens, "axi",
                                                               **{"If-Match": tag})),
            403, "review.approvers_only")
    problem(client.post(url, json={"note": "ok"}, headers={"If-Match": tag}), 401,
            "api.sign_in")
    assert store.existing_ids("finds", ["F-API-1", "F-API-2"]) == set()

    done = client.post(url, json={"note": "checked"}, headers=auth(tokens, "axp",
                                                                   **{"If-Match": tag}))
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "approved" and body["written"] == 2
    assert body["decided_by"] == "axp" and body["note"] == "checked"
    assert done.headers["etag"] != tag
    assert store.existing_ids("finds", ["F-API-1", "F-API-2"]) == {"F-API-1", "F-API-2"}
    assert store.get("finds", "F-API-2").owner == "OA"

    # the same ETag again: stale now
    problem(client.post(url, json={}, headers=auth(tokens, "axp", **{"If-Match": tag})), 412,
            "api.version_stale")
    # the new one: decided already
    problem(client.post(url, json={}, headers=auth(tokens, "axp",
                                                   **{"If-Match": done.headers["etag"]})),
            409, "review.already_decided")
    assert [e.record_id for e in audit.entries(store, action=audit.APPROVE)] == [sub["id"]]
    assert audit.verify_store(store).ok


def test_reject_and_refusals(world: Any) -> None:
    client, tokens, store = world
    # the public may not write; a bad body is named; a personal layer is refused
    problem(client.post("/collections/finds/items", json=find("F-X")), 401, "api.sign_in")
    bad = problem(client.post("/collections/finds/items", content=b'{"type": "Feature", ',
                              headers=auth(tokens, "oao")), 400)
    assert "JSON" in bad["detail"]
    invalid = problem(client.post("/collections/finds/items",
                                  json=find("F-Y", quantity=-2), headers=auth(tokens, "oao")),
                      400)
    assert "quantity" in invalid["detail"]
    problem(client.post("/collections/victims-personal/items", json=find("F-Z"),
                        headers=auth(tokens, "oao")), 400)
    assert store.count("submissions") == 0

    # the approver's own submission: it may not approve it
    own = client.post("/collections/finds/items", json=find("F-OWN"),
                      headers=auth(tokens, "axp")).json()
    tag = client.get(f"/submissions/{own['id']}", headers=auth(tokens, "axp")).headers["etag"]
    problem(client.post(f"/submissions/{own['id']}/approve", json={},
                        headers=auth(tokens, "axp", **{"If-Match": tag})),
            403, "review.own_submission")

    sub = client.post("/collections/finds/items", json=find("F-REJ"),
                      headers=auth(tokens, "oao")).json()
    url = f"/submissions/{sub['id']}/reject"
    tag = f'"{sub["version"]}"'
    problem(client.post(url, json={}, headers=auth(tokens, "axp", **{"If-Match": tag})), 400,
            "review.reject_needs_note")
    r = client.post(url, json={"note": "wrong field"},
                    headers=auth(tokens, "axp", **{"If-Match": tag}))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected" and r.json()["note"] == "wrong field"
    assert store.existing_ids("finds", ["F-REJ"]) == set()
    # an operator sees its own organisation's submissions, not found otherwise
    mine = client.get("/submissions", headers=auth(tokens, "oao")).json()["submissions"]
    assert [s["id"] for s in mine] == [sub["id"]]
    problem(client.get(f"/submissions/{own['id']}", headers=auth(tokens, "oao")), 404,
            "review.no_submission")
    problem(client.get("/submissions"), 401, "api.sign_in")
    problem(client.get("/submissions", params={"layer": "null"}, headers=auth(tokens, "oao")),
            400, "import.unknown_layer")


def test_an_update_keeps_the_record_in_its_country(world: Any) -> None:
    """An operator's update approved by the authority leaves the record where the authority
    sees it: the stored country is kept when the update names none."""
    client, tokens, store = world
    first = client.post("/collections/finds/items", json=find("F-UPD"),
                        headers=auth(tokens, "oao")).json()
    client.post(f"/submissions/{first['id']}/approve", json={},
                headers=auth(tokens, "axp", **{"If-Match": f'"{first["version"]}"'}))
    assert (store.get("finds", "F-UPD").owner, store.get("finds", "F-UPD").country) == (
        "OA", "XV")
    second = client.post("/collections/finds/items", json=find("F-UPD", quantity=4),
                         headers=auth(tokens, "oao")).json()
    view = client.get(f"/submissions/{second['id']}", headers=auth(tokens, "axp"))
    assert view.json()["updates"] == [{"id": "F-UPD", "version": 1}]
    r = client.post(f"/submissions/{second['id']}/approve", json={},
                    headers=auth(tokens, "axp", **{"If-Match": view.headers["etag"]}))
    assert r.status_code == 200 and r.json()["updated"] == 1, r.text
    stored = store.get("finds", "F-UPD")
    assert (stored.quantity, stored.version, stored.owner, stored.country) == (4, 2, "OA", "XV")
    # the authority still sees it, through the API too
    got = client.get("/collections/finds/items/F-UPD", headers=auth(tokens, "axa"))
    assert got.status_code == 200 and got.json()["properties"]["quantity"] == 4


def test_writes_are_in_the_openapi_document(world: Any) -> None:
    client, _, _ = world
    paths = client.get("/api").json()["paths"]
    assert "post" in paths["/collections/{collection_id}/items"]
    assert "requestBody" in paths["/collections/{collection_id}/items"]["post"]
    for p in ("/submissions", "/submissions/{sub_id}", "/submissions/{sub_id}/approve",
              "/submissions/{sub_id}/reject"):
        assert p in paths

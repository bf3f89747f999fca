"""Twenty clients writing through the API at once to a real PostGIS (``mineaction serve`` in
a process of its own): submissions and approvals interleaved, several approvers racing for the
same submission, several submissions updating the same stored record and adding the same new
one. No update is lost (every stale approval is refused, 412 or 409), no record is stored twice,
and the audit log verifies."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from shapely.geometry import Point

from mineaction import audit
from mineaction import domain as d
from mineaction.store import open_store
from tests.api.conftest import free_port, make_accounts

pytestmark = pytest.mark.real

SUBMITTERS = 10
APPROVERS = 10
ROUNDS = 3


@contextmanager
def server(url: str) -> Iterator[str]:
    """The API on the store at ``url`` under uvicorn in a process of its own, connections kept
    open longer than any pause of a client (no reset of an idle one under load)."""
    port = free_port()
    code = ("import sys, uvicorn; from mineaction.api import create_app; "
            "uvicorn.run(create_app(sys.argv[1]), host='127.0.0.1', port=int(sys.argv[2]), "
            "log_level='warning', access_log=False, timeout_keep_alive=300)")
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([sys.executable, "-c", code, url, str(port)], stdout=log,
                                stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, "the server ended"
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            proc.wait(20)
            log.seek(0)
            text = log.read().decode(errors="replace")
            assert "Traceback" not in text and "server_error" not in text, text[-3000:]


def find(fid: str, quantity: int, x: float = 50.605) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, 41.205]},
            "properties": {"id": fid, "category": "ap", "quantity": quantity,
                           "found_on": "2024-05-20", "source": "synthetic: concurrency"}}


def test_twenty_clients_no_lost_update_no_duplicate(pg_server: Any) -> None:
    url = pg_server.new_database()
    store = open_store(url)
    store.create()
    tokens = make_accounts(store)
    with store.transaction() as tx:  # the operator's find that several submissions update
        tx.add(d.Find(id="F-SHARED", category=d.EOCategory.AP, quantity=1,
                      found_on=dt.date(2024, 5, 20), geometry=Point(50.6, 41.2),
                      source="synthetic: concurrency", owner="OA", country="XV"))
    before = store.count("finds")

    lock = threading.Lock()
    submitted: dict[str, list[str]] = {}  # submission -> ids it carries
    decisions: dict[str, list[int]] = defaultdict(list)  # submission -> statuses of approvals
    statuses: Counter[int] = Counter()
    done_submitting = threading.Event()
    errors: list[str] = []

    def submitter(i: int, client: httpx.Client) -> None:
        head = {"Authorization": f"Bearer {tokens['oao']}",
                "Content-Type": "application/geo+json"}
        for k in range(ROUNDS):
            if k == 0:
                feats = [find(f"F-C{i:02d}-a", 1), find(f"F-C{i:02d}-b", 2)]
            elif k == 1:  # an update of the shared find
                feats = [find("F-SHARED", 10 + i, x=50.6)]
            else:  # the same new record from every submitter
                feats = [find("F-DUP", 100 + i, x=50.607)]
            r = client.post("/collections/finds/items",
                            json={"type": "FeatureCollection", "features": feats},
                            headers=head)
            with lock:
                statuses[r.status_code] += 1
                if r.status_code != 202:
                    errors.append(f"submit {r.status_code} {r.text[:200]}")
                    continue
                submitted[r.json()["id"]] = [f["properties"]["id"] for f in feats]

    def approver(j: int, client: httpx.Client) -> None:
        who = "axp" if j % 2 else "adm"
        head = {"Authorization": f"Bearer {tokens[who]}"}
        rnd = random.Random(j)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            r = client.get("/submissions", params={"status": "pending"}, headers=head)
            pending = [s["id"] for s in r.json()["submissions"]] if r.status_code == 200 else []
            if not pending:
                if done_submitting.is_set():
                    return
                time.sleep(0.05)
                continue
            sid = rnd.choice(pending)
            shown = client.get(f"/submissions/{sid}", headers=head)
            if shown.status_code != 200:
                with lock:
                    errors.append(f"show {shown.status_code} {shown.text[:200]}")
                continue
            tag = shown.headers["etag"]
            time.sleep(rnd.random() * 0.05)  # others may decide meanwhile
            a = client.post(f"/submissions/{sid}/approve", json={"note": f"by {j}"},
                            headers={**head, "If-Match": tag})
            with lock:
                statuses[a.status_code] += 1
                decisions[sid].append(a.status_code)
                if a.status_code not in (200, 400, 409, 412):
                    errors.append(f"approve {a.status_code} {a.text[:300]}")
                if a.status_code == 400 and a.json()["code"] != "input.problems" and \
                        "F-DUP" not in a.text:
                    errors.append(f"approve 400 {a.text[:300]}")
            if a.status_code in (400, 409) and shown.json()["conflicts"] + \
                    shown.json()["problems"]:
                # it cannot be approved any more: reject it with the reason
                now = client.get(f"/submissions/{sid}", headers=head)
                if now.status_code == 200 and now.json()["status"] == "pending":
                    client.post(f"/submissions/{sid}/reject", json={"note": "conflict"},
                                headers={**head, "If-Match": now.headers["etag"]})

    with server(url) as base:
        clients = [httpx.Client(base_url=base, timeout=120)
                   for _ in range(SUBMITTERS + APPROVERS)]
        subs = [threading.Thread(target=submitter, args=(i, clients[i]))
                for i in range(SUBMITTERS)]
        apps = [threading.Thread(target=approver, args=(j, clients[SUBMITTERS + j]))
                for j in range(APPROVERS)]
        for t in subs + apps:
            t.start()
        for t in subs:
            t.join(240)
        done_submitting.set()
        for t in apps:
            t.join(240)
        for c in clients:
            c.close()

    print(f"\nstatuses {dict(sorted(statuses.items()))}, submissions {len(submitted)}, "
          f"approvals tried {sum(map(len, decisions.values()))}")
    assert not errors, errors[:5]
    assert statuses[500] == 0
    assert len(submitted) == SUBMITTERS * ROUNDS

    stored = {s.id: s for s in store.query("submissions")}
    approved = [sid for sid, s in stored.items() if s.status == "approved"]
    # exactly one approval succeeded per approved submission, none for the others
    for sid, codes in decisions.items():
        assert codes.count(200) == (1 if sid in approved else 0), (sid, codes)
    # approvers raced for the same submission, and the stale ones were refused
    assert sum(c in (409, 412) for codes in decisions.values() for c in codes) > 0

    # no duplicate: every id once; F-DUP once, from the one approved submission
    ids = [r.id for r in store.query("finds")]
    assert len(ids) == len(set(ids))
    dup = [sid for sid in approved if submitted[sid] == ["F-DUP"]]
    assert len(dup) == 1 and ids.count("F-DUP") == 1
    new = sum(len(submitted[sid]) for sid in approved if submitted[sid][0].startswith("F-C"))
    assert store.count("finds") == before + new + 1

    # no lost update: the shared find went through one version per approved update, and holds
    # what the last approved one said
    shared = [sid for sid in approved if submitted[sid] == ["F-SHARED"]]
    record = store.get("finds", "F-SHARED")
    assert record.version == 1 + len(shared)
    assert (record.owner, record.country) == ("OA", "XV")  # still in its country's sight
    said = {json.loads(stored[sid].records)["features"][0]["properties"]["quantity"]
            for sid in shared}
    assert (record.quantity in said) if shared else record.quantity == 1
    changes = [e for e in audit.entries(store, layer="finds", record_id="F-SHARED")
               if e.action == audit.UPDATE]
    assert len(changes) == len(shared)
    assert len(audit.entries(store, action=audit.APPROVE)) == len(approved)
    assert audit.verify_store(store).ok
    print(f"approved {len(approved)} (F-SHARED updates {len(shared)}, F-DUP {len(dup)}), "
          f"rejected {sum(s.status == 'rejected' for s in stored.values())}, refused "
          f"{Counter(c for codes in decisions.values() for c in codes if c != 200)}")
    store.close()

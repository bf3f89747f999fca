"""The API served for real: uvicorn on a free port in a thread, over a store with accounts,
tokens and synthetic records at sea (50.3-51.7 E, 40.9-41.9 N)."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from shapely.geometry import MultiPolygon, box

from mineaction.access import Actor
from mineaction.access import accounts as acc
from mineaction.domain.hazards import Hazard
from mineaction.store import Store

#: Organisations: id -> (kind, country).
ORGS = {"AX": ("authority", "XV"), "OA": ("operator", "XV"), "OB": ("operator", "XV"),
        "AY": ("authority", "XW"), "RP": ("regional_platform", "XR"), "DN": ("donor", None)}
#: Users: login -> (organisation, roles); the first is the store's first administrator.
USERS = {"adm": ("AX", "admin"), "axa": ("AX", "analyst"), "axi": ("AX", "im_officer"),
         "axp": ("AX", "approver"), "oao": ("OA", "operator"), "rpa": ("RP", "analyst"),
         "dna": ("DN", "analyst")}
PASSWORD = "a long enough password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` under uvicorn on a free port of 127.0.0.1; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


@contextmanager
def served_process(store_url: str) -> Iterator[str]:
    """``mineaction serve`` on the store at ``store_url`` in a process of its own (a client
    in this process that holds the interpreter's lock, GDAL's, cannot then block it); yields
    its base URL once /health answers."""
    port = free_port()
    code = "import sys; from mineaction.cli import entry; sys.argv[0] = 'mineaction'; entry()"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--db", store_url,
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("mineaction serve ended: "
                                   + (proc.stderr.read().decode() if proc.stderr else ""))
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mineaction serve did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def make_accounts(store: Store) -> dict[str, str]:
    """The organisations and users above, each user with a token; login -> token."""
    local = Actor.local("setup")
    for org, (kind, country) in ORGS.items():
        acc.add_organisation(store, local, org, f"Organisation {org}", kind, country)
    admin: Actor | None = None
    tokens = {}
    for login, (org, roles) in USERS.items():
        acc.add_user(store, admin or local, login, org, roles, PASSWORD)
        if admin is None:
            admin = acc.authenticate(store, login, PASSWORD)
        _, tokens[login] = acc.create_token(store, admin, login, label="tests")
    return tokens


def synthetic_hazards(store: Store, n: int, owner: str = "AX", country: str = "XV"
                      ) -> list[str]:
    """``n`` small synthetic hazards on a grid at sea; their ids."""
    records = []
    for i in range(n):
        x = 50.35 + (i % 40) * 0.03
        y = 40.95 + (i // 40) * 0.025
        records.append(Hazard(id=f"HZ-{i:05d}", kind="sha" if i % 2 else "cha",
                              recorded_on=dt.date(2020, 1, 1) + dt.timedelta(days=i),
                              geometry=MultiPolygon([box(x, y, x + 0.01, y + 0.01)]),
                              source="synthetic: api tests", name=f"hazard {i}",
                              owner=owner, country=country))
    with store.transaction() as tx:
        tx.add_many(records)
    return [r.id for r in records]

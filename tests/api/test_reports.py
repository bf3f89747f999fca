"""Reports and published figures through the API: the same documents as the CLI's JSON, CSV
and PDF, the records behind a cell, and the public version only for the public (counts of
people suppressed whatever it asks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mineaction.access import Actor, authenticate
from mineaction.api import create_app
from mineaction.errors import InvalidInput
from mineaction.io.readers import read_file
from mineaction.services import figures, reports
from mineaction.services.context import Context
from mineaction.store import open_store
from tests.api.conftest import make_accounts, served
from tests.reports.scenario import build as build_scenario

HEAD = ("figure_id,country,area,metric,value,unit,period_start,period_end,decimals,"
        "attributed_to,publication,url,qualifier,notes")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client,
                                                                      dict[str, str], str]]:
    root = tmp_path_factory.mktemp("reports")
    path = str(root / "r.gpkg")
    store = open_store(path)
    store.create()
    build_scenario(store)
    with store.transaction() as tx:  # the scenario's region lies in country XS
        region = tx.get("admin-areas", "R1")
        region.country = "XS"  # type: ignore[attr-defined]
        tx.update(region)
    register = root / "register.csv"
    register.write_text("\n".join([
        HEAD,
        "XS-2,XS,national,ap_mines_destroyed,12,count,2023-01-01,2023-12-31,,Authority,Annual "
        "report,,reported,",
        "XS-3,XS,national,ap_mines_destroyed,20,count,2023-01-01,2023-12-31,,Observer,Review,,"
        "estimate,",
        "XS-4,XS,national,casualties_killed,3,count,2023-01-01,2023-12-31,,Authority,Annual "
        "report,,reported,"]) + "\n", encoding="utf-8")
    figures.import_register(Context(store, Actor.local("setup")), read_file(register))
    tokens = make_accounts(store)
    with served(create_app(path, store=store)) as base, httpx.Client(
            base_url=base, timeout=120) as client:
        yield client, tokens, path
    store.close()


def test_the_list_and_a_report_as_the_cli_gives_it(world: Any) -> None:
    client, tokens, path = world
    names = [r["name"] for r in client.get("/reports").json()["reports"]]
    assert names == reports.names() and "casualties" in names
    admin = {"Authorization": f"Bearer {tokens['adm']}"}
    r = client.get("/reports/casualties", params={"year": 2023, "suppress-below": 0},
                   headers=admin)
    assert r.status_code == 200, r.text
    got = r.json()
    with open_store(path) as store:  # the service as the CLI calls it, as the same user
        ctx = Context(store, authenticate(store, token=tokens["adm"]))
        want = json.loads(reports.json_text(reports.build(
            ctx, "casualties", reports.period(2023), suppress_below=0)))
    assert got["store"] is None and want["store"]  # the store's location is not sent
    for key in ("report", "filter", "tables", "suppress_below"):
        assert got[key] == want[key], key

    csv = client.get("/reports/casualties", params={"year": 2023, "f": "csv"}, headers=admin)
    assert csv.headers["content-type"].startswith("text/csv") and "," in csv.text
    pdf = client.get("/reports/casualties", params={"year": 2023, "f": "pdf"}, headers=admin)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    cells = client.get("/reports/casualties", params={"year": 2023, "explain": "true",
                                                      "suppress-below": 0},
                       headers=admin).json()
    assert cells and any(c.get("ids") for c in cells)

    missing = client.get("/reports/no-such-report")
    assert missing.status_code == 404 and missing.json()["code"] == "api.no_resource"
    bad = client.get("/reports/casualties", params={"from": "2023-13-01"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["code"] == "cli.not_a_date"
    fmt = client.get("/reports/casualties", params={"f": "xlsx"})
    assert fmt.status_code == 400 and fmt.json()["code"] == "api.bad_parameter"


def _values(doc: dict[str, Any]) -> list[Any]:
    return [cell["value"] for t in doc["tables"] for row in t["rows"] + [t["total"] or {}]
            for cell in row.values()]


def test_the_public_gets_the_public_version_only(world: Any) -> None:
    client, tokens, path = world
    admin = {"Authorization": f"Bearer {tokens['adm']}"}
    params = {"year": 2023, "suppress-below": 0}
    full = client.get("/reports/casualties", params=params, headers=admin).json()
    assert full["suppress_below"] == 0 and None not in _values(full)
    usual = client.get("/reports/casualties", params={"year": 2023}, headers=admin).json()
    assert usual["suppress_below"] == 5 and None in _values(usual)  # small counts hidden
    explained = client.get("/reports/casualties", params={"year": 2023, "explain": "true"},
                           headers=admin).json()
    hidden = [c for c in explained if str(c.get("note", "")).startswith("suppressed")]
    assert hidden and all(c["ids"] == [] for c in explained if c["layer"] == "victims")
    # victims are counted for the public, never read: the public version, and no other
    # threshold, lower (what the programme hides) or higher (two thresholds over the same
    # counts give away what each hides)
    public = client.get("/reports/casualties", params={"year": 2023}).json()
    assert public["suppress_below"] == 5 and _values(public) == _values(usual)
    same = client.get("/reports/casualties", params={"year": 2023, "suppress-below": 5})
    assert same.status_code == 200 and _values(same.json()) == _values(usual)
    for asked in (0, 6, 9):
        r = client.get("/reports/casualties", params={"year": 2023, "suppress-below": asked})
        assert r.status_code == 400 and r.json()["code"] == "report.threshold_fixed", asked
        r = client.get("/figures/compare", params={"country": "XS", "suppress-below": asked})
        assert r.status_code == 400 and r.json()["code"] == "report.threshold_fixed", asked
    told = client.get("/reports/casualties", params={"year": 2023, "explain": "true"}).json()
    assert told and all(c["ids"] == [] for c in told if c["layer"] == "victims")
    # capacity is not counted for the public: it is asked to sign in, and told nothing
    r = client.get("/reports/progress", params={"year": 2023})
    assert r.status_code == 401 and r.json()["code"] == "api.sign_in"
    # only who reads every victim counted chooses another threshold: not the public, nor an
    # analyst who counts other countries' victims under the public's grant
    with open_store(path) as store:
        for who in (Actor.anonymous(), authenticate(store, token=tokens["axa"])):
            ctx = Context(store, who)
            assert reports.threshold(ctx) == reports.threshold(ctx, 5) == 5
            for asked in (0, 9):
                with pytest.raises(InvalidInput) as refused:
                    reports.threshold(ctx, asked)
                assert refused.value.problems[0].code == "report.threshold_fixed"
        admin_ctx = Context(store, authenticate(store, token=tokens["adm"]))
        assert reports.threshold(admin_ctx, 0) == 0 and reports.threshold(admin_ctx, 9) == 9

    rows = {r["figure_id"]: r for r in client.get(
        "/figures/compare", params={"country": "XS"}, headers=admin).json()}
    assert rows["XS-4"]["computed"] == "<5" and rows["XS-4"]["agrees"] is None
    rows = {r["figure_id"]: r for r in client.get(
        "/figures/compare", params={"country": "XS", "suppress-below": 0},
        headers=admin).json()}
    assert rows["XS-4"]["computed"] == 3
    assert rows["XS-2"]["agrees"] and rows["XS-3"]["difference"] == -8


def test_figures_register_and_conflicts(world: Any) -> None:
    client, _, _ = world
    listed = client.get("/figures/register", params={"country": "XS"}).json()
    assert sorted(f["figure_id"] for f in listed) == ["XS-2", "XS-3", "XS-4"]
    found = client.get("/figures/conflicts", params={"country": "XS"}).json()
    assert [sorted(c["figure_ids"]) for c in found] == [["XS-2", "XS-3"]]
    csv = client.get("/figures/conflicts", params={"country": "XS", "f": "csv"})
    assert csv.text.splitlines()[0].startswith("metric,") and "XS-2;XS-3" in csv.text


def test_reports_are_in_the_openapi_document(world: Any) -> None:
    paths = world[0].get("/api").json()["paths"]
    for p in ("/reports", "/reports/{name}", "/figures/register", "/figures/conflicts",
              "/figures/compare"):
        assert p in paths


def test_the_programme_s_threshold_applies_to_the_next_request(world: Any) -> None:
    """A threshold set in the store (``mineaction settings set``) reaches the running
    server without a restart: the public's report and an administrator's default alike."""
    from mineaction.services import settings

    client, tokens, path = world
    admin = {"Authorization": f"Bearer {tokens['adm']}"}
    before = client.get("/reports/casualties", params={"year": 2023}).json()
    assert before["suppress_below"] == 5
    with open_store(path) as store:
        settings.change(Context(store, authenticate(store, token=tokens["adm"])),
                        "public.suppress_below", "50")
    try:
        listed = {s["key"]: s for s in client.get("/settings").json()}  # anyone reads them
        assert listed["public.suppress_below"]["value"] == 50 and listed[
            "public.suppress_below"]["set"] is True
        public = client.get("/reports/casualties", params={"year": 2023}).json()
        assert public["suppress_below"] == 50
        counts = [v for v in _values(public) if not isinstance(v, str)]
        assert counts and set(counts) <= {None, 0}  # every count is below 50: hidden
        signed = client.get("/reports/casualties", params={"year": 2023}, headers=admin).json()
        assert signed["suppress_below"] == 50
    finally:
        with open_store(path) as store:
            settings.change(Context(store, authenticate(store, token=tokens["adm"])),
                            "public.suppress_below", None)
    assert client.get("/reports/casualties", params={"year": 2023}).json() == before

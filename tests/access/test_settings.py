"""The programme's settings of what the public sees, kept in the store: on both adapters they
change the public's map and the suppression of its statistics, only administrators change
them, a bad value is refused with its key and reason and nothing is written, and every change
is in the audit log."""

from __future__ import annotations

import json
import sqlite3

import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from mineaction import audit
from mineaction.access import Actor, Role
from mineaction.access import settings as programme
from mineaction.access.generalise import cell
from mineaction.cli import main
from mineaction.errors import Forbidden, InvalidInput
from mineaction.services import observer
from mineaction.services import settings as service
from mineaction.services.context import Context, Settings
from mineaction.store import Store
from tests.access.test_public_view import _coords, _is_corner
from tests.access.test_public_view import public as public  # noqa: F401  (fixture)
from tests.web.test_public_statistics import fill


def _corners_of(geom: object, km: float) -> bool:
    """Every vertex of ``geom`` is a corner of a grid cell of ``km``."""
    return all(any(_is_corner(x, y, cell(x + dx, y + dy, km))
                   for dx in (-1e-9, 1e-9) for dy in (-1e-9, 1e-9))
               for x, y in _coords(geom))


def test_the_public_map_follows_the_programme_s_grid(public) -> None:  # type: ignore
    store, hazards, accidents = public
    admin = Context(store, Actor.local("im"))
    first = {h.id: h.geometry for h in store.as_actor(Actor.anonymous()).iter("hazards")}
    assert all(_corners_of(g, 5.0) for g in first.values())

    done = service.change(admin, "public.grid_km", "2.0")
    assert (done.before, done.after) == (None, "2")
    service.change(admin, "public.point_km", "1")
    view = Context(store, Actor.anonymous()).reader
    shown = {h.id: h.geometry for h in view.iter("hazards")}
    for h in hazards:
        assert shown[h.id].covers(h.geometry)
        assert _corners_of(shown[h.id], 2.0) and not _corners_of(shown[h.id], 5.0)
        assert shown[h.id].area < first[h.id].area  # finer cells, less land shown
    for a in view.iter("accidents"):
        exact = next(x for x in accidents if x.id == a.id).geometry
        c = cell(exact.x, exact.y, 1.0)
        assert shapely.equals_exact(a.geometry, c.centroid, tolerance=1e-9)

    service.change(admin, "public.polygons", "ADMIN")  # any case; stored plainly
    assert store.stored_settings()["public.polygons"] == "admin"
    area = box(50.5, 41.1, 51.5, 41.8)
    for h in store.as_actor(Actor.anonymous()).iter("hazards"):
        assert h.geometry.equals(MultiPolygon([area])) or h.geometry.equals(area)

    for key in ("public.grid_km", "public.point_km", "public.polygons"):
        service.change(admin, key, None)
    assert store.stored_settings() == {}
    again = {h.id: h.geometry for h in store.as_actor(Actor.anonymous()).iter("hazards")}
    assert all(again[k].equals(first[k]) for k in first)


def test_the_public_statistics_follow_the_programme_s_threshold(store: Store) -> None:
    fill(store)  # 9 victims: 7 civilians, 2 military
    admin = Context(store, Actor.local("im"))
    seen = observer.casualties(Context(store, Actor.anonymous()), 2023)
    by_group = {str(r["group"].value): r["total"] for r in seen.table("by-group").all_rows()}
    assert seen.suppress_below == 5
    assert by_group["civilian"].suppressed and by_group["civilian"].secondary

    service.change(admin, "public.suppress_below", "8")
    public = Context(store, Actor.anonymous(), settings=Settings(suppress_below=3))
    assert public.suppress_below == 8  # the programme's, over the installation's
    seen = observer.casualties(public, 2023)
    assert seen.suppress_below == 8
    by_group = {str(r["group"].value): r["total"] for r in seen.table("by-group").all_rows()}
    # 7 is now below the threshold itself, not only hidden to protect the 2
    assert by_group["civilian"].suppressed and not by_group["civilian"].secondary
    assert observer.casualties(admin, 2023).suppress_below == 8  # the same for everyone
    listed = {s.key: s for s in service.show(public)}
    assert listed["public.suppress_below"].value == 8 and listed["public.suppress_below"].stored

    service.change(admin, "public.suppress_below", None)
    assert Context(store, Actor.anonymous(), settings=Settings(suppress_below=3)
                   ).suppress_below == 3
    listed = {s.key: s for s in service.show(Context(store, Actor.anonymous()))}
    assert listed["public.suppress_below"].value == 5 and not listed["public.suppress_below"].stored


@pytest.mark.parametrize("key,value,code", [
    ("public.suppress_below", "1", "settings.out_of_range"),
    ("public.suppress_below", "4.5", "settings.not_an_integer"),
    ("public.grid_km", "0.2", "settings.out_of_range"),
    ("public.grid_km", "nan", "settings.out_of_range"),
    ("public.point_km", "five", "settings.not_a_number"),
    ("public.polygons", "hexagons", "settings.not_a_choice"),
    ("public.nothing", "1", "settings.unknown_key"),
])
def test_a_bad_setting_is_refused_and_nothing_is_written(store: Store, key: str, value: str,
                                                         code: str) -> None:
    admin = Context(store, Actor.local("im"))
    service.change(admin, "public.grid_km", "3")
    before = audit.head(store)
    with pytest.raises(InvalidInput) as caught:
        service.change(admin, key, value)
    (problem,) = caught.value.problems
    assert (problem.field, problem.code) == (key, code)
    assert store.stored_settings() == {"public.grid_km": "3"}
    assert audit.head(store) == before


def test_only_administrators_change_settings_and_each_change_is_logged(store: Store) -> None:
    admin = Context(store, Actor.local("im"))
    for roles in ({Role.IM_OFFICER, Role.APPROVER}, {Role.OPERATOR}, {Role.PUBLIC}):
        who = Actor("someone", frozenset(roles), org_id="AX", country="XV", user_id="someone")
        with pytest.raises(Forbidden) as caught:
            service.change(Context(store, who), "public.suppress_below", "3")
        assert caught.value.code == "access.admins_settings"
        # everyone reads them: they say what the public is shown
        assert {s.key for s in service.show(Context(store, who))} == set(programme.SETTINGS)
    assert store.stored_settings() == {}

    service.change(admin, "public.suppress_below", "10")
    service.change(admin, "public.suppress_below", "10")  # no change: nothing logged
    service.change(admin, "public.suppress_below", "12")
    service.change(admin, "public.suppress_below", None)
    logged = [(e.actor, e.detail) for e in audit.entries(store, action="setting")]
    assert logged == [
        ("im", {"key": "public.suppress_below", "before": None, "after": "10"}),
        ("im", {"key": "public.suppress_below", "before": "10", "after": "12"}),
        ("im", {"key": "public.suppress_below", "before": "12", "after": None})]
    assert audit.verify_store(store).ok


def test_the_command_line_on_a_geopackage(tmp_path, capsys) -> None:  # type: ignore
    db = str(tmp_path / "s.gpkg")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "settings", "set", "public.suppress_below", "10"]) == 0
    assert "public.suppress_below set to 10" in capsys.readouterr().out
    with sqlite3.connect(db) as conn:  # a plain row of the GeoPackage's own table
        rows = conn.execute("SELECT key, value FROM mineaction_meta WHERE key LIKE "
                            "'setting:%'").fetchall()
    assert rows == [("setting:public.suppress_below", "10")]

    assert main(["--db", db, "settings", "show", "--format", "json"]) == 0
    shown = {s["key"]: s for s in json.loads(capsys.readouterr().out)}
    assert shown["public.suppress_below"] == {
        "key": "public.suppress_below", "value": 10, "default": 5, "set": True,
        "about": "counts of people below this are suppressed in what the public reads"}
    assert shown["public.grid_km"]["set"] is False and shown["public.grid_km"]["value"] == 5

    assert main(["--db", db, "--lang", "ru", "settings", "set", "public.grid_km", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "public.grid_km" in err and "0.5" in err and "expected" not in err
    assert main(["--db", db, "--lang", "ru", "settings", "show"]) == 0
    out = capsys.readouterr().out
    assert "public.point_km" in out and "what it does" not in out

    assert main(["--db", db, "settings", "unset", "public.suppress_below"]) == 0
    assert "10 removed" in capsys.readouterr().out
    assert main(["--db", db, "settings", "unset", "public.suppress_below"]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_the_public_map_s_legend_says_how_land_is_shown(public) -> None:  # type: ignore
    import httpx

    from mineaction.api import create_app
    from tests.api.conftest import served

    store, _, _ = public
    admin = Context(store, Actor.local("im"))
    with served(create_app(store.url, store=store)) as base:
        page = httpx.get(f"{base}/en/map", timeout=60).text
        assert "as cells of a 5 km grid" in page
        service.change(admin, "public.grid_km", "2.5")
        assert "as cells of a 2.5 km grid" in httpx.get(f"{base}/en/map", timeout=60).text
        service.change(admin, "public.polygons", "admin")
        page = httpx.get(f"{base}/ru/map", timeout=60).text
        assert "административные единицы, а не их точные" in page and "2.5" not in page
        # the Observer's pages say the threshold in force
        assert "counts of people below 5 are not shown" in httpx.get(f"{base}/en/",
                                                                      timeout=60).text
        service.change(admin, "public.suppress_below", "7")
        home = httpx.get(f"{base}/en/", timeout=60).text
        assert "counts of people below 7 are not shown" in home
        assert "Fewer than 7 accidents" in httpx.get(f"{base}/en/map", timeout=60).text


def test_changes_made_at_once_are_logged_one_after_the_other(store: Store) -> None:
    """Two administrators changing one setting at the same time: every change is logged
    with the value it really replaced, so the log reads as one chain of values."""
    import threading

    errors: list[BaseException] = []

    def admin(values: list[str]) -> None:
        try:
            for v in values:
                service.change(Context(store, Actor.local("im")), "public.suppress_below", v)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=admin, args=([str(v) for v in range(lo, lo + 40, 2)],))
               for lo in (10, 11)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    chain = [e.detail for e in audit.entries(store, action="setting")]
    assert len(chain) == 40
    assert chain[0]["before"] is None
    assert all(a["after"] == b["before"] for a, b in zip(chain, chain[1:], strict=False))
    assert store.stored_settings()["public.suppress_below"] == chain[-1]["after"]

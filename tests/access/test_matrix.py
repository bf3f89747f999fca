"""Every role x every layer x every relation of a record to the reader, on both adapters.

The store holds, in every layer, one record per relation to the readers below: the
operator's own (``oa``), another operator's in the same country (``ob``), the authority's
(``ax``), an authority's of another country shared by an agreement (``ay_shared``) and not
shared (``ay_other``), and, where a layer names who carried the work out, the authority's
record of work the operator did (``ax_by_oa``). Each actor reads every layer with every read
(``iter``, ``get``, ``count``, ``aggregate``, a bbox) and writes to it; the expected outcome
is written from the rules as the documentation states them (:func:`expected`), and the test
asserts the exact set of ids, every field's value (the stored one, or None where hidden), the
geometry (exact, or generalised: never equal to the exact one) and the error of every
refusal.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box

from mineaction import domain as d
from mineaction.access import Actor, Level, Role
from mineaction.domain.accounts import Agreement
from mineaction.domain.figures import PublishedFigure
from mineaction.domain.layers import ACCOUNT_LAYERS, all_layers, get_layer
from mineaction.domain.minefield_records import StoredMinefieldRecord
from mineaction.domain.release import HazardVersion, ReleaseStep
from mineaction.errors import Forbidden, NotFound
from mineaction.store import Store
from tests.contract.samples import sample

D = dt.date(2023, 5, 17)
RELATIONS = ("oa", "ob", "ax", "ay_shared", "ay_other", "ax_by_oa")
OWNER = {"oa": "OA", "ob": "OB", "ax": "AX", "ay_shared": "AY", "ay_other": "AY",
         "ax_by_oa": "AX"}
COUNTRY = {"oa": "XV", "ob": "XV", "ax": "XV", "ay_shared": "XW", "ay_other": "XW",
           "ax_by_oa": "XV"}
#: Every layer holding data (accounts are tested on their own).
LAYERS = [lyr.name for lyr in all_layers() if lyr.name not in ACCOUNT_LAYERS]
#: How the agreement from AY to RP shares each layer's "shared" records (default: exact).
SHARED = {"hazards": ("grid", 5.0), "release-steps": ("admin", None),
          "victims": ("counts", None), "accidents": ("grid", 2.0)}
#: Layers everyone counts (counts and sums only), the public too.
PUBLIC_COUNTS = ("victims", "finds", "hazard-versions")
#: Agreements that grant nothing today: revoked, and not yet valid.
REVOKED, NOT_YET = "finds", "capacity"
GRID_KM = 5.0  # the public view's default grid


def x_of(rel: str) -> float:
    return 50.45 + 0.25 * RELATIONS.index(rel) if rel in RELATIONS else 51.6


def has_operator(layer: str) -> bool:
    return any(s.name == "operator" for s in get_layer(layer).fields)


def relations(layer: str) -> list[str]:
    return [r for r in RELATIONS if r != "ax_by_oa" or has_operator(layer)]


def make(layer: str, rel: str) -> Any:
    """A record of ``layer`` for relation ``rel``, every optional field filled so that a
    None read back means hidden."""
    x, y = x_of(rel), 41.4
    poly = MultiPolygon([box(x, y, x + 0.004, y + 0.003),
                         shapely.Polygon([(x + 0.01, y), (x + 0.013, y + 0.001),
                                          (x + 0.011, y + 0.004)])])
    pt = Point(x + 0.0013, y + 0.0011)
    rid = f"{layer[:3].upper()}-{rel}"
    if layer in ("release-steps", "hazard-versions", "figures", "minefield-records"):
        rec: Any = {
            "release-steps": lambda: ReleaseStep(
                id=rid, activity_id="T0", method=d.ReleaseOutcome.CLEARED,
                activity_kind=d.ActivityKind.CLEARANCE, operator="OB", released_on=D,
                area_m2=1234.5, admin_area_id=f"ADM-{rel}", hazard_id="H0", geometry=poly),
            "hazard-versions": lambda: HazardVersion(
                id=rid, hazard_id="H0", seq=1, valid_from=D, change="recorded",
                kind=d.HazardKind.CHA, status=d.HazardStatus.OPEN, area_m2=99.0,
                geometry=poly),
            "figures": lambda: PublishedFigure(
                id=rid, country="XQ", area="national", metric="ap_mines_destroyed",
                value=3.0, unit="count", as_of=D),
            "minefield-records": lambda: StoredMinefieldRecord(
                id=rid, provider="army", original='{"k": 1}', expected_mines=4,
                received_on=D, document="scan-1", geometry=poly),
        }[layer]()
    else:
        rec = sample(layer, 0)
        rec.id = rid
        if hasattr(rec, "geometry"):
            rec.geometry = pt if get_layer(layer).geometry_type == "POINT" else (
                MultiPolygon([box(x - 0.03, y - 0.03, x + 0.03, y + 0.03)])
                if layer == "admin-areas" else poly)
        if layer == "victims-personal":
            rec.born_on, rec.contact = D, "+000 000"
        if layer == "evidence":
            rec.witness_name, rec.witness_contact = "W. Person", "village 3"
        if layer == "activities":
            rec.hazard_id = "H0"
    if has_operator(layer):
        rec.operator = "OA" if rel == "ax_by_oa" else "OB" if rel == "ob" else "OC"
    rec.source = "shared" if rel == "ay_shared" else "other"
    rec.notes = f"notes of {rel}"
    rec.attributes = json.dumps({"column": rel})
    rec.owner = OWNER.get(rel)
    if layer not in ("figures",):
        rec.country = COUNTRY.get(rel)
    return rec


def fill(store: Store) -> dict[tuple[str, str], Any]:
    records: dict[tuple[str, str], Any] = {}
    with store.transaction() as tx:
        for layer in LAYERS:
            for rel in relations(layer):
                rec = make(layer, rel)
                tx.add(rec)
                records[layer, rel] = rec
        for layer in LAYERS:
            kind, km = SHARED.get(layer, ("exact", None))
            tx.add(Agreement(id=f"AG-{layer}", grantor="AY", grantee="RP", shared_layer=layer,
                             rows_where=json.dumps({"source": "shared"}), precision=kind,
                             grid_km=km,
                             revoked_on=D if layer == REVOKED else None,
                             valid_from=dt.date.today() + dt.timedelta(days=30)
                             if layer == NOT_YET else None,
                             owner="AY", country="XW"))
    return {k: store.get(get_layer(k[0]), v.id) for k, v in records.items()}


@dataclass(frozen=True)
class Who:
    key: str
    actor: Actor
    personal: bool = False

    @property
    def roles(self) -> set[Role]:
        return set(self.actor.roles)


def _actor(name: str, roles: set[Role], org: str | None, country: str | None,
           kind: str | None) -> Actor:
    return Actor(name, frozenset(roles), org_id=org, country=country, user_id=name,
                 org_kind=kind)


WHO = [
    Who("public", Actor.anonymous()),
    Who("ax_analyst", _actor("axa", {Role.ANALYST}, "AX", "XV", "authority")),
    Who("ax_im", _actor("axi", {Role.IM_OFFICER}, "AX", "XV", "authority")),
    Who("ax_im_personal", _actor("axi", {Role.IM_OFFICER}, "AX", "XV", "authority"), True),
    Who("ax_approver", _actor("axp", {Role.APPROVER}, "AX", "XV", "national_authority")),
    Who("oa_operator", _actor("oao", {Role.OPERATOR}, "OA", "XV", "operator")),
    Who("rp_analyst", _actor("rpa", {Role.ANALYST}, "RP", "XR", "regional_platform")),
    Who("donor_analyst", _actor("dna", {Role.ANALYST}, "DN", None, "donor")),
    Who("admin", _actor("adm", {Role.ADMIN}, "AX", "XV", "authority")),
    Who("admin_personal", _actor("adm", {Role.ADMIN}, "AX", "XV", "authority"), True),
    Who("local", Actor.local("someone")),
]


def level_of(who: Who) -> Level:
    roles = who.roles - {Role.PUBLIC}
    if not roles:
        return Level.PUBLIC
    if who.personal:
        return Level.PERSONAL
    return Level.RESTRICTED if roles == {Role.ANALYST} else Level.CONFIDENTIAL


def grants(who: Who, layer: str, rel: str) -> list[tuple[str, Level]]:
    """(mode, level) of each rule that opens record ``rel`` of ``layer`` to ``who``, as the
    documentation states the rules; mode: exact, general, counts."""
    lyr = get_layer(layer)
    lvl = level_of(who)
    out: list[tuple[str, Level]] = []
    a = who.actor
    if Role.ADMIN in who.roles:
        out.append(("exact", lvl))
    elif lvl > Level.PUBLIC:
        if a.org_id == OWNER[rel]:
            out.append(("exact", lvl))  # own
        if rel == "ax_by_oa" and a.org_id == "OA":
            out.append(("exact", lvl))  # carried out
        if a.org_kind in ("authority", "national_authority") and COUNTRY[rel] == a.country \
                and layer != "figures":
            out.append(("exact", lvl))  # the authority's country
        if a.org_id == "RP" and rel == "ay_shared" and layer not in (REVOKED, NOT_YET):
            kind = SHARED.get(layer, ("exact", None))[0]
            mode = {"grid": "general", "admin": "general"}.get(kind, kind)
            out.append((mode, min(lvl, Level.CONFIDENTIAL)))
    if lyr.access_level == Level.PUBLIC:
        out.append(("exact" if lyr.geometry_level == Level.PUBLIC else "general",
                    Level.PUBLIC))
    elif layer in PUBLIC_COUNTS:  # everyone counts victims, finds and the history of hazards
        out.append(("counts", Level.RESTRICTED))
    return [(m, g) for m, g in out if g >= lyr.access_level]


def layer_readable(who: Who, layer: str) -> bool:
    """A layer is open when some rule could open a record of it to the actor: its level is
    within theirs, and it is public, or they administer, or they belong to an organisation
    (whose own records it would show)."""
    lyr = get_layer(layer)
    if level_of(who) < lyr.access_level:
        return False
    return (Role.ADMIN in who.roles or lyr.access_level == Level.PUBLIC
            or who.actor.org_id is not None)


def expected(who: Who, layer: str) -> dict[str, tuple[str, Level]]:
    """Per relation the actor reads: (geometry mode, highest field level); 'counts' rows are
    counted, never returned."""
    out = {}
    for rel in relations(layer):
        gs = grants(who, layer, rel)
        if not gs:
            continue
        rows = [g for g in gs if g[0] != "counts"]
        if not rows:
            out[rel] = ("counts", max(g[1] for g in gs))
            continue
        mode = "exact" if any(m == "exact" for m, _ in rows) else "general"
        out[rel] = (mode, max(g for _, g in rows))
    return out


def view(store: Store, who: Who) -> Store:
    return store.as_actor(who.actor, personal=who.personal,
                          reason="matrix test" if who.personal else None)


def check_record(layer: str, got: Any, stored: Any, mode: str, level: Level) -> None:
    lyr = get_layer(layer)
    for spec in lyr.fields:
        value = getattr(got, spec.name)
        shown = spec.name in ("id", "version") or lyr.field_level(spec) <= level
        if shown:
            assert value == getattr(stored, spec.name), (layer, got.id, spec.name)
        else:
            assert value in (None, frozenset()), (layer, got.id, spec.name, value)
    if not lyr.spatial:
        return
    exact, shown_geom = stored.geometry, got.geometry
    if mode == "exact":
        assert shown_geom.equals_exact(exact, 0), (layer, got.id)
        return
    assert not shown_geom.equals(exact), (layer, got.id)
    if lyr.geometry_type == "POINT":
        assert shown_geom.geom_type == "Point"
    else:
        vertices = {tuple(c) for c in shapely.get_coordinates(exact)}
        assert not vertices & {tuple(c) for c in shapely.get_coordinates(shown_geom)}
        assert shown_geom.covers(exact) or layer == "release-steps"


@pytest.fixture
def filled(store: Store) -> tuple[Store, dict[tuple[str, str], Any]]:
    return store, fill(store)


@pytest.mark.parametrize("who", WHO, ids=[w.key for w in WHO])
def test_reads(filled: tuple[Store, dict[tuple[str, str], Any]], who: Who) -> None:
    store, records = filled
    v = view(store, who)
    checked = 0
    for layer in LAYERS:
        lyr = get_layer(layer)
        if layer in PUBLIC_COUNTS and level_of(who) < lyr.access_level:
            # counted, never read: no record, no field, whatever is asked
            counted = {records[layer, r].id for r in expected(who, layer)}
            assert counted == {records[layer, r].id for r in relations(layer)}
            with pytest.raises(Forbidden, match="counts"):
                v.query(layer)
            with pytest.raises(Forbidden, match="counts"):
                v.get(layer, records[layer, "oa"].id)
            assert v.count(layer) == len(counted), (who.key, layer)
            (agg,) = v.aggregate(layer, with_ids=True)
            assert agg["count"] == len(counted) and set(agg["ids"]) == counted
            checked += 4
            continue
        if not layer_readable(who, layer):
            with pytest.raises(Forbidden):
                v.query(layer)
            with pytest.raises(Forbidden):
                v.count(layer)
            with pytest.raises(Forbidden):
                v.get(layer, records[layer, "oa"].id)
            with pytest.raises(Forbidden):
                v.aggregate(layer, with_ids=True)
            checked += 4
            continue
        want = expected(who, layer)
        rows = {r: m for r, m in want.items() if m[0] != "counts"}
        ids = {records[layer, r].id: r for r in rows}
        counted = {records[layer, r].id for r in want}
        got = {rec.id: rec for rec in v.iter(layer)}
        assert set(got) == set(ids), (who.key, layer)
        for rid, rec in got.items():
            rel = ids[rid]
            check_record(layer, rec, records[layer, rel], *rows[rel])
        for rel in relations(layer):
            rid = records[layer, rel].id
            if rid in ids:
                rec = v.get(layer, rid)
                check_record(layer, rec, records[layer, rel], *rows[rel])
            else:  # counted only, or not there at all: the same answer
                with pytest.raises(NotFound):
                    v.get(layer, rid)
        assert v.count(layer) == len(counted), (who.key, layer)
        (agg,) = v.aggregate(layer, with_ids=True)
        assert agg["count"] == len(counted) and set(agg["ids"]) == counted, (who.key, layer)
        checked += 4 + len(relations(layer))
        if lyr.spatial:
            for rel in relations(layer):
                x = x_of(rel)
                bbox = (x - 0.09, 41.32, x + 0.1, 41.48)
                found = {r.id for r in v.iter(layer, bbox=bbox)}
                mine = {records[layer, rel].id} & set(ids)
                assert found == mine, (who.key, layer, rel)
                assert v.count(layer, bbox=bbox) == len(mine)
                checked += 2
    assert checked > 100


def test_personal_reads_are_reported(filled: tuple[Store, dict[tuple[str, str], Any]]
                                     ) -> None:
    store, records = filled
    events: list[Any] = []
    store.on_personal_read(events.append)
    im = next(w for w in WHO if w.key == "ax_im")
    im_p = next(w for w in WHO if w.key == "ax_im_personal")
    view(store, im).query("evidence")  # witness fields left out: nothing personal read
    view(store, im).query("hazards")
    assert events == []
    got = view(store, im_p).query("victims-personal")
    assert {r.id for r in got} == {records["victims-personal", r].id for r in ("oa", "ob", "ax")}
    (event,) = events
    assert event.layer == "victims-personal" and set(event.ids) == {r.id for r in got}
    assert event.reason == "matrix test" and event.actor == im_p.actor
    view(store, im_p).get("evidence", records["evidence", "ax"].id)
    assert events[-1].layer == "evidence" and events[-1].ids == (records["evidence", "ax"].id,)
    assert "witness_name" in events[-1].fields


def test_personal_needs_the_role_and_a_reason(store: Store) -> None:
    analyst = next(w for w in WHO if w.key == "ax_analyst").actor
    with pytest.raises(Forbidden, match="IM officers and administrators"):
        store.as_actor(analyst, personal=True, reason="curious")
    from mineaction.errors import InvalidInput

    with pytest.raises(InvalidInput, match="reason"):
        store.as_actor(Actor.local(), personal=True)
    with pytest.raises(Forbidden, match="--personal --reason"):
        store.as_actor(Actor.local()).query("victims-personal")


def can_write(who: Who, layer: str) -> bool:
    lyr = get_layer(layer)
    roles = who.roles
    if not roles & {Role.OPERATOR, Role.IM_OFFICER, Role.APPROVER, Role.ADMIN}:
        return False
    if layer == "organisations" and Role.ADMIN not in roles:
        return False
    if lyr.access_level == Level.PERSONAL:
        return bool(roles & {Role.IM_OFFICER, Role.ADMIN})
    return True


def may_change(who: Who, layer: str, rel: str) -> bool:
    a = who.actor
    if Role.ADMIN in who.roles:
        return True
    if a.org_id == OWNER[rel]:
        return True
    country = "XQ" if layer == "figures" else COUNTRY[rel]
    return (a.org_kind in ("authority", "national_authority") and country == a.country
            and bool(who.roles & {Role.IM_OFFICER, Role.APPROVER}))


class Rollback(Exception):
    pass


@pytest.mark.parametrize("who", WHO, ids=[w.key for w in WHO])
def test_writes(filled: tuple[Store, dict[tuple[str, str], Any]], who: Who) -> None:
    store, records = filled
    v = view(store, who)
    for layer in LAYERS:
        readable = layer_readable(who, layer)
        rows = {r for r, m in expected(who, layer).items() if m[0] != "counts"} \
            if readable else set()
        new = make(layer, "new")
        new.id += "-new"
        new.owner = "FORGED"
        new.country = None if layer != "figures" else "XQ"
        try:
            with v.transaction() as tx:
                if can_write(who, layer):
                    tx.add(new)
                else:
                    with pytest.raises(Forbidden):
                        tx.add(new)
                raise Rollback
        except Rollback:
            pass
        if can_write(who, layer):
            assert new.owner == (who.actor.org_id or "FORGED"), (who.key, layer)
            assert new.country == ("XQ" if layer == "figures" else who.actor.country)
        assert store.existing_ids(layer, [new.id]) == set()  # rolled back
        for rel in relations(layer):
            rec = make(layer, rel)
            rec.version = records[layer, rel].version
            rec.notes = "changed"
            try:
                with v.transaction() as tx:
                    if not readable:
                        with pytest.raises(Forbidden):
                            tx.update(rec)
                    elif rel not in rows:
                        with pytest.raises(NotFound):
                            tx.update(rec)
                    elif not can_write(who, layer) or not may_change(who, layer, rel):
                        with pytest.raises(Forbidden):
                            tx.update(rec)
                    else:
                        rec.owner = "FORGED"
                        tx.update(rec)
                        assert rec.owner == OWNER[rel]  # the owner never changes
                        assert tx.get(get_layer(layer), rec.id).notes == "changed"
                    raise Rollback
            except Rollback:
                pass
        assert store.get(get_layer(layer), records[layer, "oa"].id).notes == "notes of oa"

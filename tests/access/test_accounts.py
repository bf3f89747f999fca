"""Accounts, tokens and agreements, and signing in (on both adapters)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mineaction.access import Actor, Role, authenticate
from mineaction.access import accounts as acc
from mineaction.domain.hazards import Hazard
from mineaction.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from mineaction.store import Store

PW = "a long enough password"


@pytest.fixture
def accounts(store: Store) -> Store:
    local = Actor.local("holder")
    # organisations before any account: the holder of the store adds them
    acc.add_organisation(store, local, "AX", "Authority X", "authority", "xv")
    acc.add_organisation(store, local, "RP", "Regional platform", "regional_platform", "XR")
    acc.add_user(store, local, "boss", "AX", "admin", PW)
    return store


def boss(store: Store) -> Actor:
    return authenticate(store, "boss", PW)


def test_first_account_must_be_an_administrator(store: Store) -> None:
    local = Actor.local("holder")
    acc.add_organisation(store, local, "AX", "Authority X", "authority", "XV")
    with pytest.raises(InvalidInput, match="admin role"):
        acc.add_user(store, local, "ana", "AX", "analyst", PW)
    assert not acc.has_accounts(store)
    acc.add_user(store, local, "boss", "AX", "admin,im_officer", PW)
    assert acc.has_accounts(store)
    with pytest.raises(Forbidden, match="only administrators"):
        acc.add_user(store, local.__class__("x", frozenset({Role.ANALYST})), "eve", "AX",
                     "admin", PW)


def test_sign_in_by_password(accounts: Store) -> None:
    a = boss(accounts)
    assert (a.name, a.org_id, a.country, a.org_kind, a.user_id) == (
        "boss", "AX", "XV", "authority", "boss")
    assert a.roles == frozenset({Role.ADMIN})
    for user, pw in (("boss", "wrong password!!"), ("nobody", PW)):
        with pytest.raises(Unauthorized) as err:
            authenticate(accounts, user, pw)
        assert str(err.value) == acc.WRONG  # the same answer for a wrong name and password
    stored = accounts.get("users", "boss").password_hash  # type: ignore[attr-defined]
    assert stored.startswith("$argon2id$") and PW not in stored
    # no view returns the hash, not even an administrator's
    assert accounts.as_actor(a).get("users", "boss").password_hash is None  # type: ignore


def test_passwords_roles_and_disabling(accounts: Store) -> None:
    admin = boss(accounts)
    acc.add_user(accounts, admin, "ana", "AX", "analyst", PW)
    ana = authenticate(accounts, "ana", PW)
    with pytest.raises(InvalidInput, match="12 characters"):
        acc.set_password(accounts, ana, "ana", "short")
    acc.set_password(accounts, ana, "ana", PW + " changed")
    with pytest.raises(Forbidden):
        acc.set_password(accounts, ana, "boss", PW + " mine now")
    with pytest.raises(Forbidden):
        acc.set_roles(accounts, ana, "ana", "admin")
    acc.set_roles(accounts, admin, "ana", "analyst,im_officer")
    assert authenticate(accounts, "ana", PW + " changed").roles == {Role.ANALYST,
                                                                    Role.IM_OFFICER}
    acc.set_disabled(accounts, admin, "ana")
    with pytest.raises(Unauthorized, match="disabled"):
        authenticate(accounts, "ana", PW + " changed")
    with pytest.raises(InvalidInput, match="last"):
        acc.set_disabled(accounts, admin, "boss")
    with pytest.raises(InvalidInput, match="last administrator"):
        acc.set_roles(accounts, admin, "boss", "analyst")
    # a user sees their own account only
    assert [u.id for u in accounts.as_actor(ana).iter("users")] == ["ana"]


def test_tokens(accounts: Store) -> None:
    admin = boss(accounts)
    acc.add_user(accounts, admin, "ana", "AX", "analyst", PW)
    ana = authenticate(accounts, "ana", PW)
    record, secret = acc.create_token(accounts, ana, "ana", label="scripts", days=5)
    assert secret.startswith(f"mat_{record.id}_")
    stored = accounts.get("tokens", record.id)
    assert secret.removeprefix(f"mat_{record.id}_") not in json.dumps(stored.__dict__,
                                                            default=str)
    assert authenticate(accounts, token=secret) == ana
    with pytest.raises(Forbidden):
        acc.create_token(accounts, ana, "boss")
    for bad in (secret[:-1] + ("A" if secret[-1] != "A" else "B"), "mat_x_y", "garbage"):
        with pytest.raises(Unauthorized, match="unknown, expired or revoked"):
            authenticate(accounts, token=bad)
    acc.revoke_token(accounts, ana, record.id)
    with pytest.raises(Unauthorized):
        authenticate(accounts, token=secret)
    assert accounts.get("tokens", record.id).revoked_on == dt.date.today()  # type: ignore
    # expired
    old, old_secret = acc.create_token(accounts, admin, "ana", days=1)
    with accounts.transaction() as tx:
        rec = tx.get("tokens", old.id)
        rec.expires_on = dt.date.today() - dt.timedelta(days=1)  # type: ignore[attr-defined]
        tx.update(rec)
    with pytest.raises(Unauthorized):
        authenticate(accounts, token=old_secret)
    # a disabled user's tokens stop working
    _, live = acc.create_token(accounts, admin, "ana")
    acc.set_disabled(accounts, admin, "ana")
    with pytest.raises(Unauthorized, match="disabled"):
        authenticate(accounts, token=live)
    # tokens are listed to their user and to administrators, never with their hash
    assert all(t.token_hash is None  # type: ignore[attr-defined]
               for t in accounts.as_actor(admin).iter("tokens"))


def test_agreements_grant_and_revoke(accounts: Store) -> None:
    admin = boss(accounts)
    acc.add_user(accounts, admin, "rpa", "RP", "analyst", PW)
    rpa = authenticate(accounts, "rpa", PW)
    from shapely.geometry import MultiPolygon, box

    with accounts.transaction() as tx:
        for i, kind in enumerate(("cha", "sha")):
            tx.add(Hazard(id=f"H{i}", kind=kind, owner="AX", country="XV",  # type: ignore
                          geometry=MultiPolygon([box(50.5 + i, 41, 50.51 + i, 41.01)])))
    with pytest.raises(InvalidInput, match="never shared"):
        acc.grant(accounts, admin, grantor="AX", grantee="RP", layer="victims-personal",
                  precision="exact")
    with pytest.raises(InvalidInput, match="no field"):
        acc.grant(accounts, admin, grantor="AX", grantee="RP", layer="hazards",
                  precision="exact", rows_where={"nope": 1})
    with pytest.raises(InvalidInput, match="grid-km"):
        acc.grant(accounts, admin, grantor="AX", grantee="RP", layer="hazards",
                  precision="grid")
    with pytest.raises(Forbidden):
        acc.grant(accounts, rpa, grantor="AX", grantee="RP", layer="hazards",
                  precision="exact")
    ag = acc.grant(accounts, admin, grantor="AX", grantee="RP", layer="hazards",
                   precision="exact", rows_where={"kind": "cha"})
    exact = {h.id: h for h in accounts.as_actor(rpa).iter("hazards")}
    assert exact["H0"].geometry.equals(accounts.get("hazards", "H0").geometry)  # type: ignore
    assert not exact["H1"].geometry.equals(accounts.get("hazards", "H1").geometry)  # type: ignore
    assert [a.id for a in accounts.as_actor(rpa).iter("agreements")] == [ag.id]
    acc.revoke_agreement(accounts, admin, ag.id, "ended")
    again = accounts.as_actor(rpa).get("hazards", "H0")
    assert not again.geometry.equals(accounts.get("hazards", "H0").geometry)  # type: ignore
    kept = accounts.get("agreements", ag.id)
    assert kept.revoked_on == dt.date.today()  # type: ignore[attr-defined]
    assert kept.revocation_reason == "ended"  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        acc.revoke_agreement(accounts, admin, "AG-9999", "x")

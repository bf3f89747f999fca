"""Organisations, user accounts, API tokens and data-sharing agreements: making them, and
signing in.

Every function takes the store itself (not an actor's view: passwords and token hashes are
read and written here, and nowhere else) and the actor asking, whose rights it checks:
administrators manage everything; a user changes their own password and makes and revokes
their own tokens. The first account of a store is made by whoever holds the store (the actor
of a store without accounts, :meth:`Actor.local`), and it must be an administrator, so that a
store never has accounts and nobody to manage them.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
option); a token is ``mat_<id>_<secret>`` with 256 random bits of secret, of which only the
SHA-256 is kept (a secret of that size needs no slow hash), shown once when it is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from mineaction.access import Actor, Role
from mineaction.access.policy import agreement_filter
from mineaction.domain.accounts import Agreement, Token, User
from mineaction.domain.layers import ACCOUNT_LAYERS, get_layer
from mineaction.domain.organisations import Organisation
from mineaction.domain.schema import PLANNED
from mineaction.domain.vocabulary import OrganisationKind, SharePrecision
from mineaction.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from mineaction.store.base import Store

#: Shortest password accepted (NIST SP 800-63B asks at least 8; we ask more of shared data).
MIN_PASSWORD = 12
#: Days a token is valid unless asked otherwise, and at most.
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = PLANNED.days
WRONG = "wrong user name or password"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_HASHER = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that a wrong name takes as long as a
    wrong password (made when first needed: hashing takes a while, not at every start)."""
    return _HASHER.hash("not a password of anyone")


def _raw(store: Store) -> Store:
    return getattr(store, "base", store)


def _today() -> dt.date:
    return dt.date.today()


def has_accounts(store: Store) -> bool:
    """Whether the store has user accounts (then every command needs someone signed in)."""
    raw = _raw(store)
    if raw.schema_version() < 20:
        return False
    return raw.count("users") > 0


def require_admin(actor: Actor, what: str) -> None:
    if not actor.has(Role.ADMIN):
        raise Forbidden.of("access.admins_only", what=what, name=actor.name)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput.of("access.password_short", minimum=MIN_PASSWORD)
    return _HASHER.hash(password)


def parse_roles(roles: Iterable[str] | str) -> frozenset[Role]:
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    out = set()
    for item in items:
        if not str(item).strip():
            continue
        try:
            out.add(Role(str(item).strip().lower()))
        except ValueError:
            raise InvalidInput.of("access.unknown_role", value=item,
                                  allowed=", ".join(r.value for r in Role)) from None
    if not out:
        raise InvalidInput.of("access.no_role")
    return frozenset(out)


# -- organisations ------------------------------------------------------------------------------

def add_organisation(store: Store, actor: Actor, id: str, name: str, kind: str,
                     country: str | None) -> Organisation:
    require_admin(actor, "add organisations")
    if not _NAME.fullmatch(id):
        raise InvalidInput.of("access.bad_org_id", value=id)
    try:
        org_kind = OrganisationKind(kind.strip().lower())
    except ValueError:
        raise InvalidInput.of("access.unknown_org_kind", value=kind,
                              allowed=", ".join(k.value for k in OrganisationKind)) from None
    code = _country(country)
    org = Organisation(id=id, name=name, kind=org_kind, country=code, owner=id)
    with _raw(store).transaction() as tx:
        tx.add(org)
    return org


def _country(code: str | None) -> str | None:
    if code is None or not code.strip():
        return None
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise InvalidInput.of("access.bad_country", value=code)
    return code


def _organisation(raw: Store, org_id: str) -> Organisation:
    try:
        return raw.get(Organisation, org_id)
    except NotFound:
        raise InvalidInput.of("access.no_org", id=org_id) from None


# -- users --------------------------------------------------------------------------------------

def add_user(store: Store, actor: Actor, login: str, organisation: str,
             roles: Iterable[str] | str, password: str, name: str | None = None) -> User:
    """Make an account. The first account of a store must be an administrator, and may be
    made by the holder of a store without accounts; later ones by administrators."""
    raw = _raw(store)
    role_set = parse_roles(roles)
    first = not has_accounts(raw)
    if first:
        if not actor.has(Role.ADMIN):
            raise Forbidden.of("access.first_account")
        if Role.ADMIN not in role_set:
            raise InvalidInput.of("access.first_not_admin")
    else:
        require_admin(actor, "add accounts")
    if not _NAME.fullmatch(login):
        raise InvalidInput.of("access.bad_user_name", value=login)
    org = _organisation(raw, organisation)
    user = User(id=login, name=name, organisation=org.id, roles=role_set,
                password_hash=hash_password(password), created_on=_today(), owner=org.id,
                country=org.country)
    with raw.transaction() as tx:
        if tx.existing_ids("users", [login]):
            raise InvalidInput.of("access.user_exists", id=login)
        tx.add(user)
    return user


def _user(raw: Store, login: str) -> User:
    try:
        return raw.get(User, login)
    except NotFound:
        raise NotFound.of("access.no_user", id=login) from None


def _enabled_admins(raw: Store) -> set[str]:
    return {u.id for u in raw.iter("users") if not u.disabled  # type: ignore[attr-defined]
            and Role.ADMIN in u.roles}  # type: ignore[attr-defined]


def set_password(store: Store, actor: Actor, login: str, password: str) -> None:
    if actor.user_id != login:
        require_admin(actor, "set other users' passwords")
    raw = _raw(store)
    with raw.transaction() as tx:
        user = tx.get(User, login)
        user.password_hash = hash_password(password)
        tx.update(user)


def set_roles(store: Store, actor: Actor, login: str, roles: Iterable[str] | str) -> User:
    require_admin(actor, "change roles")
    raw = _raw(store)
    role_set = parse_roles(roles)
    if Role.ADMIN not in role_set and _enabled_admins(raw) == {login}:
        raise InvalidInput.of("access.last_admin", id=login)
    with raw.transaction() as tx:
        user = tx.get(User, login)
        user.roles = role_set
        return tx.update(user)  # type: ignore[return-value]


def set_disabled(store: Store, actor: Actor, login: str, disabled: bool = True) -> None:
    require_admin(actor, "disable accounts")
    raw = _raw(store)
    if disabled and _enabled_admins(raw) == {login}:
        raise InvalidInput.of("access.last_enabled_admin", id=login)
    with raw.transaction() as tx:
        user = tx.get(User, login)
        user.disabled = disabled
        tx.update(user)


# -- tokens -------------------------------------------------------------------------------------

def create_token(store: Store, actor: Actor, login: str, *, label: str | None = None,
                 days: int = TOKEN_DAYS) -> tuple[Token, str]:
    """A new token for ``login``: the record and the token itself, which is shown this once
    and never stored."""
    if actor.user_id != login:
        require_admin(actor, "make tokens for other users")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput.of("access.token_days", maximum=MAX_TOKEN_DAYS, value=days)
    raw = _raw(store)
    user = _user(raw, login)
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    record = Token(id=token_id, user_id=login, token_hash=_digest(secret), label=label,
                   created_on=_today(), expires_on=_today() + dt.timedelta(days=days),
                   owner=user.organisation, country=user.country)
    with raw.transaction() as tx:
        tx.add(record)
    return record, f"mat_{token_id}_{secret}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def revoke_token(store: Store, actor: Actor, token_id: str) -> Token:
    raw = _raw(store)
    with raw.transaction() as tx:
        try:
            token = tx.get(Token, token_id)
        except NotFound:
            raise NotFound.of("access.no_token", id=token_id) from None
        if token.user_id != actor.user_id:
            require_admin(actor, "revoke other users' tokens")
        if token.revoked_on is None:
            token.revoked_on = _today()
            tx.update(token)
        return token


# -- signing in ---------------------------------------------------------------------------------

def authenticate(store: Store, user: str | None = None, password: str | None = None, *,
                 token: str | None = None) -> Actor:
    raw = _raw(store)
    if token is not None:
        return _by_token(raw, token)
    if user is None or password is None:
        raise Unauthorized.of("access.no_credentials")
    try:
        account: User | None = raw.get(User, user)
    except NotFound:
        account = None
    try:
        _HASHER.verify(account.password_hash if account and account.password_hash
                       else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise Unauthorized.of("access.wrong_credentials") from None
    if account is None:
        raise Unauthorized.of("access.wrong_credentials")
    if account.disabled:
        raise Unauthorized.of("access.account_disabled", id=user)
    if account.password_hash and _HASHER.check_needs_rehash(account.password_hash):
        with raw.transaction() as tx:
            fresh = tx.get(User, user)
            fresh.password_hash = _HASHER.hash(password)
            tx.update(fresh)
    return actor_of(raw, account)


def _by_token(raw: Store, token: str) -> Actor:
    m = re.fullmatch(r"mat_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})", token.strip())
    bad = Unauthorized.of("access.bad_token")
    if not m:
        raise bad
    try:
        record = raw.get(Token, m.group(1))
    except NotFound:
        raise bad from None
    if not hmac.compare_digest(record.token_hash, _digest(m.group(2))):
        raise bad
    if record.revoked_on is not None or (record.expires_on is not None
                                         and record.expires_on < _today()):
        raise bad
    account = raw.get(User, record.user_id)
    if account.disabled:
        raise Unauthorized.of("access.account_disabled", id=account.id)
    return actor_of(raw, account)


def actor_of(store: Store, account: User) -> Actor:
    """The actor of an account: its roles, its organisation's id, kind and country."""
    raw = _raw(store)
    try:
        org: Organisation | None = raw.get(Organisation, account.organisation)
    except NotFound:
        org = None
    return Actor(account.id, frozenset(account.roles), org_id=account.organisation,
                 country=org.country if org else None, user_id=account.id,
                 org_kind=org.kind.value if org else None)


# -- agreements ---------------------------------------------------------------------------------

def grant(store: Store, actor: Actor, *, grantor: str, grantee: str, layer: str,
          precision: str, rows_where: Mapping[str, Any] | None = None,
          grid_km: float | None = None, valid_from: dt.date | None = None,
          valid_to: dt.date | None = None, notes: str | None = None) -> Agreement:
    """Record an agreement: ``grantor`` shares its records of ``layer`` (those matching
    ``rows_where``) with ``grantee`` at ``precision``. Personal layers and accounts are never
    shared; personal fields of a shared layer are never part of it."""
    require_admin(actor, "record data-sharing agreements")
    raw = _raw(store)
    giver = _organisation(raw, grantor)
    _organisation(raw, grantee)
    if grantor == grantee:
        raise InvalidInput.of("access.self_agreement")
    try:
        lyr = get_layer(layer)
    except KeyError as exc:
        raise InvalidInput.of("text", text=str(exc.args[0])) from None
    if lyr.name in ACCOUNT_LAYERS or lyr.access_level.value == "personal":
        raise InvalidInput.of("access.never_shared", layer=lyr.name)
    try:
        kind = SharePrecision(precision.strip().lower())
    except ValueError:
        raise InvalidInput.of("access.unknown_precision", value=precision,
                              allowed=", ".join(p.value for p in SharePrecision)) from None
    if kind == SharePrecision.GRID:
        if grid_km is None or not grid_km > 0:
            raise InvalidInput.of("access.grid_needs_size")
    elif grid_km is not None:
        raise InvalidInput.of("access.grid_size_alone")
    if valid_from and valid_to and valid_to < valid_from:
        raise InvalidInput.of("access.valid_to_before_from")
    where_text = json.dumps(dict(rows_where), sort_keys=True, default=str) if rows_where \
        else None
    try:
        agreement_filter(lyr, where_text)
    except ValueError as exc:
        raise InvalidInput.of("access.bad_where", reason=str(exc)) from None
    with raw.transaction() as tx:
        taken = {a.id for a in tx.iter("agreements")}
        n = len(taken) + 1
        while f"AG-{n:04d}" in taken:
            n += 1
        record = Agreement(id=f"AG-{n:04d}", grantor=grantor, grantee=grantee,
                           shared_layer=lyr.name, rows_where=where_text, precision=kind,
                           grid_km=grid_km, valid_from=valid_from, valid_to=valid_to,
                           notes=notes, owner=grantor, country=giver.country)
        tx.add(record)
    return record


def revoke_agreement(store: Store, actor: Actor, agreement_id: str, reason: str) -> Agreement:
    """Revoke an agreement from today: it is kept, with the date and the reason."""
    require_admin(actor, "revoke data-sharing agreements")
    if not reason.strip():
        raise InvalidInput.of("access.revoke_needs_reason")
    with _raw(store).transaction() as tx:
        try:
            record = tx.get(Agreement, agreement_id)
        except NotFound:
            raise NotFound.of("access.no_agreement", id=agreement_id) from None
        if record.revoked_on is not None:
            raise InvalidInput.of("access.already_revoked", id=agreement_id,
                                  on=str(record.revoked_on))
        record.revoked_on = _today()
        record.revocation_reason = reason.strip()
        return tx.update(record)  # type: ignore[return-value]

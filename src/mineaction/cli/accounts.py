"""Commands on accounts and sharing: ``users``, ``orgs``, ``tokens``, ``agreements``."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.access import accounts as acc
from mineaction.cli.app import app, console, context, said, say
from mineaction.errors import InvalidInput
from mineaction.services.layers import parse_date

users = typer.Typer(no_args_is_help=True, help="User accounts (administrators).")
orgs = typer.Typer(no_args_is_help=True, help="Organisations (administrators).")
tokens = typer.Typer(no_args_is_help=True, help="API tokens: made for a user, shown once.")
agreements = typer.Typer(no_args_is_help=True, help="Data-sharing agreements between "
                         "organisations.")
app.add_typer(users, name="users")
app.add_typer(orgs, name="orgs")
app.add_typer(tokens, name="tokens")
app.add_typer(agreements, name="agreements")


def _new_password(login: str) -> str:
    """The new password: $MINEACTION_NEW_PASSWORD, else typed twice in a terminal."""
    password = os.environ.get("MINEACTION_NEW_PASSWORD")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise InvalidInput.of("cli.no_new_password", id=login)
    return str(typer.prompt(said("cli.new_password", id=login), hide_input=True,
                            confirmation_prompt=True))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table whose title and headings are message codes, said in --lang."""
    t = Table(*(said(c) for c in columns), title=said(title))
    for row in rows:
        t.add_row(*["" if v is None else escape(str(v)) for v in row])
    console.print(t)


# -- users --------------------------------------------------------------------------------------

@users.command("add")
def users_add(
    login: str = typer.Argument(..., help="User name to sign in with"),
    org: str = typer.Option(..., "--org", help="Organisation (id) the user acts for"),
    roles: str = typer.Option(..., "--roles", help="Comma list: analyst, operator, "
                              "im_officer, approver, admin, public"),
    name: str = typer.Option(None, "--name", help="Full name"),
) -> None:
    """Add a user (password: typed twice, or $MINEACTION_NEW_PASSWORD). The store's first
    user must be an administrator."""
    with context() as ctx:
        store, actor = ctx.store, ctx.actor
        user = acc.add_user(store, actor, login, org, roles, _new_password(login), name)
    say("cli.user_added", id=user.id, roles=", ".join(sorted(user.roles)),
        organisation=user.organisation)


@users.command("list")
def users_list() -> None:
    """List the accounts (an administrator sees all; a user their own)."""
    with context() as ctx:
        store = ctx.reader
        rows = [[u.id, u.name, u.organisation, ",".join(sorted(u.roles)),  # type: ignore
                 said("cli.disabled") if u.disabled else "",  # type: ignore[attr-defined]
                 u.created_on] for u in store.iter("users")]  # type: ignore[attr-defined]
    _table("cli.users_title", ["cli.head_user", "cli.head_name", "cli.head_organisation",
                               "cli.head_roles", "cli.head_state", "cli.head_created"], rows)


@users.command("disable")
def users_disable(
    login: str = typer.Argument(...),
    enable: bool = typer.Option(False, "--enable", help="Enable the account again"),
) -> None:
    """Disable an account (it can no longer sign in; its tokens stop working)."""
    with context() as ctx:
        store = ctx.store
        acc.set_disabled(store, ctx.actor, login, not enable)
    say("cli.user_enabled" if enable else "cli.user_disabled", id=login)


@users.command("passwd")
def users_passwd(login: str = typer.Argument(...)) -> None:
    """Set a password (your own, or anyone's as an administrator)."""
    with context() as ctx:
        store = ctx.store
        acc.set_password(store, ctx.actor, login, _new_password(login))
    say("cli.password_changed", id=login)


@users.command("roles")
def users_roles(login: str = typer.Argument(...),
                roles: str = typer.Argument(..., help="Comma list of roles")) -> None:
    """Set a user's roles."""
    with context() as ctx:
        store = ctx.store
        user = acc.set_roles(store, ctx.actor, login, roles)
    say("cli.user_roles", id=login, roles=", ".join(sorted(user.roles)))


# -- organisations ------------------------------------------------------------------------------

@orgs.command("add")
def orgs_add(
    org_id: str = typer.Argument(..., help="Identifier, e.g. ORG-NMAA"),
    name: str = typer.Option(..., "--name"),
    kind: str = typer.Option(..., "--kind", help="authority, operator, regional_platform, "
                             "donor or media"),
    country: str = typer.Option(None, "--country", help="ISO 3166-1 alpha-2 code"),
) -> None:
    """Add an organisation."""
    with context() as ctx:
        store = ctx.store
        org = acc.add_organisation(store, ctx.actor, org_id, name, kind, country)
    say("cli.organisation_added", id=org.id, kind=org.kind,
        country=org.country or said("cli.no_country"))


@orgs.command("list")
def orgs_list() -> None:
    """List the organisations."""
    with context() as ctx:
        store = ctx.reader
        rows = [[o.id, o.name, o.kind, o.country]  # type: ignore[attr-defined]
                for o in store.iter("organisations")]
    _table("cli.organisations_title", ["cli.head_id", "cli.head_name", "cli.head_kind_of",
                                       "cli.head_country"], rows)


# -- tokens -------------------------------------------------------------------------------------

@tokens.command("create")
def tokens_create(
    user: str = typer.Option(None, "--user", help="User the token acts for (default: you)"),
    label: str = typer.Option(None, "--label", help="What the token is for"),
    days: int = typer.Option(acc.TOKEN_DAYS, "--days", help="Days it is valid"),
) -> None:
    """Make an API token; it is printed once and never again."""
    with context() as ctx:
        store, actor = ctx.store, ctx.actor
        login = user or actor.user_id
        if login is None:
            raise InvalidInput.of("cli.token_whose")
        record, secret = acc.create_token(store, actor, login, label=label, days=days)
    say("cli.token_made", id=record.id, user=login, date=record.expires_on)
    sys.stdout.write(secret + "\n")


@tokens.command("list")
def tokens_list() -> None:
    """List tokens (an administrator sees all; a user their own)."""
    with context() as ctx:
        store = ctx.reader
        rows = [[t.id, t.user_id, t.label, t.created_on, t.expires_on,  # type: ignore
                 t.revoked_on] for t in store.iter("tokens")]  # type: ignore[attr-defined]
    _table("cli.tokens_title", ["cli.head_id", "cli.head_user", "cli.head_label",
                                "cli.head_created", "cli.head_expires", "cli.head_revoked"],
           rows)


@tokens.command("revoke")
def tokens_revoke(token_id: str = typer.Argument(...)) -> None:
    """Revoke a token from now on (it is kept, with the date)."""
    with context() as ctx:
        store = ctx.store
        acc.revoke_token(store, ctx.actor, token_id)
    say("cli.token_revoked", id=token_id)


# -- agreements ---------------------------------------------------------------------------------

def _where(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput.of("cli.where_format", value=item)

        def typed(text: str) -> Any:
            try:
                return json.loads(text)
            except ValueError:
                return text

        values = [typed(v.strip()) for v in value.split(",")]
        out[name.strip()] = values if len(values) > 1 else values[0]
    return out


@agreements.command("grant")
def agreements_grant(
    grantor: str = typer.Option(..., "--grantor", help="Organisation whose records are shared"),
    grantee: str = typer.Option(..., "--grantee", help="Organisation they are shared with"),
    layer: str = typer.Option(..., "--layer"),
    precision: str = typer.Option(..., "--precision", help="exact, grid, admin or counts"),
    grid_km: float = typer.Option(None, "--grid-km", help="Cell size of the grid precision"),
    where: list[str] = typer.Option(None, "--where", metavar="FIELD=VALUE",
                                    help="Share only these records (repeatable)"),
    valid_from: str = typer.Option(None, "--valid-from", metavar="YYYY-MM-DD"),
    valid_to: str = typer.Option(None, "--valid-to", metavar="YYYY-MM-DD"),
) -> None:
    """Record that GRANTOR shares its records of LAYER with GRANTEE."""
    with context() as ctx:
        store = ctx.store
        record = acc.grant(store, ctx.actor, grantor=grantor, grantee=grantee,
                           layer=layer, precision=precision, rows_where=_where(where),
                           grid_km=grid_km,
                           valid_from=parse_date(valid_from, "--valid-from") if valid_from
                           else None,
                           valid_to=parse_date(valid_to, "--valid-to") if valid_to else None)
    say("cli.agreement_made", id=record.id, grantor=grantor, layer=record.shared_layer,
        grantee=grantee, precision=record.precision)


@agreements.command("list")
def agreements_list() -> None:
    """List the agreements an organisation is party to (administrators: all)."""
    with context() as ctx:
        store = ctx.reader
        rows = [[a.id, a.grantor, a.grantee, a.shared_layer,  # type: ignore[attr-defined]
                 a.precision + (f" {a.grid_km:g} km" if a.grid_km else ""),  # type: ignore
                 a.rows_where, a.valid_from, a.valid_to,  # type: ignore[attr-defined]
                 f"{a.revoked_on}: {a.revocation_reason}" if a.revoked_on else ""]  # type: ignore
                for a in store.iter("agreements")]
    _table("cli.agreements_title", ["cli.head_id", "cli.head_grantor", "cli.head_grantee",
                                    "cli.head_layer", "cli.head_precision", "cli.head_records",
                                    "cli.head_from", "cli.head_to", "cli.head_revoked"], rows)


@agreements.command("revoke")
def agreements_revoke(
    agreement_id: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why it is revoked (kept with it)"),
) -> None:
    """Revoke an agreement from today; it is kept, with the date and the reason."""
    with context() as ctx:
        store = ctx.store
        acc.revoke_agreement(store, ctx.actor, agreement_id, reason)
    say("cli.agreement_revoked", id=agreement_id)

"""``mineaction audit``: verify, list and checkpoint the audit log; make a signing key."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from mineaction import audit
from mineaction.access.accounts import require_admin
from mineaction.audit.checkpoint import KEY_ENV, generate, key_id, load_public
from mineaction.cli.app import app, console, context, plain, said, say, state
from mineaction.domain.schema import INT64_MAX
from mineaction.errors import InvalidInput

audit_app = typer.Typer(no_args_is_help=True, help="The audit log: every write, approval, "
                        "export, sharing change and personal read, hash-chained and signed.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(
    from_seq: int = typer.Option(1, "--from", min=1, metavar="SEQ",
                                 help="Start at this entry (trusting the one before it)"),
    trust: list[Path] = typer.Option(
        [], "--trust", metavar="KEY",
        help="A public (or private) key file whose checkpoints are trusted; repeat for more. "
             "Given any, a checkpoint signed with another key fails"),
    expect_head: str = typer.Option(
        None, "--head", metavar="SEQ:HASH",
        help="A head printed earlier by 'audit head': the log must still hold it (this finds "
             "entries deleted after the last checkpoint)"),
    records: bool = typer.Option(
        False, "--records",
        help="Also compare every stored record with the log: finds records changed, added or "
             "deleted in the database without mineaction"),
) -> None:
    """Recompute the hash chain and check every checkpoint's signature. Prints OK with the
    number of entries and the head, or the first bad entry and exits 2."""
    expected = audit.parse_head(expect_head) if expect_head else None
    with context() as ctx:
        require_admin(ctx.actor, "read the audit log")
        store = ctx.store
        report = audit.verify_store(store, from_seq=from_seq, trusted=trust,
                                    expect_head=expected)
        checked = audit.check_store_records(store) if records else None
    plain(report.summary(locale=state.locale))
    if checked is not None:
        plain(checked.summary(locale=state.locale))
    if not report.ok or (checked is not None and not checked.ok):
        raise typer.Exit(2)


@audit_app.command("head")
def head() -> None:
    """Print the head of the log as SEQ:HASH (and its time). Keep it outside the store: it is
    what shows, later, that entries after the last checkpoint were deleted."""
    with context() as ctx:
        require_admin(ctx.actor, "read the audit log")
        store = ctx.store
        found = audit.head(store)
    if found is None:
        console.print("0:" + "0" * 64 + " " + said("cli.audit_empty"), highlight=False,
                      markup=False)
        return
    seq, h, at = found
    console.print(f"{seq}:{h} {at}", highlight=False)


@audit_app.command("checkpoint")
def checkpoint(
    key: Path = typer.Option(None, "--key", metavar="FILE",
                             help=f"Private key file (default: ${KEY_ENV})"),
) -> None:
    """Sign the head of the log (seq, hash, time) with an Ed25519 key and append the signed
    checkpoint to the log."""
    path = key or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else None)
    if path is None:
        raise InvalidInput.of("cli.no_signing_key_give", key_env=KEY_ENV)
    with context() as ctx:
        require_admin(ctx.actor, "read the audit log")
        store = ctx.store
        seq, h, own = audit.make_checkpoint(store, path)
    say("cli.audit_checkpoint", id=own, seq=seq, hash=h,
        key=key_id(load_public(path)))


@audit_app.command("keygen")
def keygen(
    out: Path = typer.Option(..., "-o", "--out", metavar="FILE",
                             help="Private key file to write (the public key goes to FILE.pub)"),
) -> None:
    """Make an Ed25519 signing key for checkpoints: FILE (private, readable by you alone) and
    FILE.pub (public: give it to whoever verifies)."""
    if not out.parent.is_dir():
        raise InvalidInput.of("cli.output_folder_missing", path=str(out), folder=str(out.parent))
    private, public = generate(out)
    say("cli.audit_keygen", private=private, public=public,
        key=key_id(load_public(public)))


@audit_app.command("list")
def list_entries(
    layer: str = typer.Option(None, "--layer", help="Entries of this layer"),
    record: str = typer.Option(None, "--record", metavar="ID", help="Entries of this record"),
    actor: str = typer.Option(None, "--actor", help="Entries by this actor (name or user id)"),
    action: str = typer.Option(None, "--action", help="insert, update, approve, export, ..."),
    since: str = typer.Option(None, "--since", metavar="DATE",
                              help="From this UTC date (YYYY-MM-DD) or time (ISO 8601 with zone)"),
    limit: int = typer.Option(100, "--limit", min=0, max=INT64_MAX,
                              help="The newest N entries matching (0: all)"),
    fmt: str = typer.Option("table", "--format", help="table or json (one entry a line)"),
) -> None:
    """List entries of the log, oldest first (the newest --limit of those matching)."""
    if fmt not in ("table", "json"):
        raise InvalidInput.of("cli.format_table_or_json", fmt=fmt)
    start = _since(since) if since else None
    with context() as ctx:
        require_admin(ctx.actor, "read the audit log")
        store = ctx.store
        found = audit.entries(store, layer=layer, record_id=record, actor=actor, action=action,
                              since=start, limit=limit or None, newest_first=True)
    found.reverse()
    if fmt == "json":
        for e in found:
            console.print(json.dumps(e.as_dict(), ensure_ascii=False), highlight=False,
                          soft_wrap=True, markup=False)
        return
    table = Table(*(said(c) for c in (
        "cli.head_seq", "cli.head_at_utc", "cli.head_actor", "cli.head_action", "cli.head_layer",
        "cli.head_record", "cli.head_before", "cli.head_after", "cli.head_detail")))
    for e in found:
        who = e.actor + (f" ({e.actor_org})" if e.actor_org else "")
        table.add_row(str(e.seq), e.at[:19].replace("T", " "), escape(who), e.action,
                      e.layer or "", escape(e.record_id or ""), (e.before_hash or "")[:12],
                      (e.after_hash or "")[:12],
                      escape(_short(e.detail)) if e.action != "checkpoint" else _signed(e))
    console.print(table)
    say("cli.audit_entries", count=len(found))


def _since(text: str) -> dt.date | dt.datetime:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput.of("cli.since_a_date_yyyy", text=text) from None
    if when.tzinfo is None:
        raise InvalidInput.of("cli.since_give_the_time", text=text)
    return when


def _short(detail: object) -> str:
    if detail is None:
        return ""
    text = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 60 else text[:57] + "..."


def _signed(e: audit.Entry) -> str:
    d = e.detail if isinstance(e.detail, dict) else {}
    signed = d.get("signed", {})
    return f"signs {signed.get('seq')}:{str(signed.get('hash'))[:12]} key {d.get('key_id')}"

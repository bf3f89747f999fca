"""The Typer application and what every command shares: the store option and the consoles."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from mineaction.access import Actor
from mineaction.store import Store, open_store
from mineaction.store.base import scheme_of

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="mineaction: an information system for humanitarian mine action.")
# Wide tables when writing to a file or a pipe; the terminal's width otherwise.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, soft_wrap=True)

DEFAULT_DB = "mineaction.gpkg"


@dataclass
class State:
    db: str = DEFAULT_DB
    user: str | None = None  # --as
    token: str | None = None  # --token
    personal: bool = False
    reason: str | None = None


state = State()


@app.callback()
def _root(
    db: str = typer.Option(None, "--db", metavar="PATH_OR_URL",
                           help="Store: a GeoPackage path or postgresql://... "
                                "(default: $MINEACTION_DB, else ./mineaction.gpkg)"),
    user: str = typer.Option(None, "--as", metavar="USER",
                             help="Act as this user (password: prompted, or "
                                  "$MINEACTION_PASSWORD); needed once the store has accounts"),
    token: str = typer.Option(None, "--token", metavar="TOKEN",
                              help="Act with this API token (default: $MINEACTION_TOKEN)"),
    personal: bool = typer.Option(False, "--personal",
                                  help="Read personal data (IM officers and administrators; "
                                       "with --reason; every read is recorded)"),
    reason: str = typer.Option(None, "--reason", metavar="TEXT",
                               help="Why personal data is read (with --personal)"),
) -> None:
    state.db = db or os.environ.get("MINEACTION_DB") or DEFAULT_DB
    state.user, state.token = user, token
    state.personal, state.reason = personal, reason


def current_actor(store: Store) -> Actor:
    """Who runs the command: on a store without accounts, the person at the command line
    (:meth:`Actor.local`); once it has accounts, the user of --as (password prompted, or
    $MINEACTION_PASSWORD) or of --token / $MINEACTION_TOKEN, and nobody otherwise."""
    from mineaction.access import authenticate
    from mineaction.access.accounts import has_accounts
    from mineaction.errors import Unauthorized

    token = state.token or os.environ.get("MINEACTION_TOKEN")
    if not has_accounts(store):
        if state.user or state.token:
            raise Unauthorized(f"{state.db} has no accounts yet: run without --as/--token, "
                               "or make the first administrator with 'mineaction users add'")
        return Actor.local()
    if state.user:
        password = os.environ.get("MINEACTION_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise Unauthorized(f"no password for {state.user}: set $MINEACTION_PASSWORD "
                                   "or run in a terminal")
            password = typer.prompt(f"password for {state.user}", hide_input=True)
        return authenticate(store, state.user, password)
    if token:
        return authenticate(store, token=token)
    raise Unauthorized(f"{state.db} has user accounts: say who you are with --as USER "
                       "(password prompted, or $MINEACTION_PASSWORD) or --token TOKEN "
                       "($MINEACTION_TOKEN)")


@contextmanager
def opened(*, require: bool = True, raw: bool = False) -> Iterator[Store]:
    """The store named by --db, as the actor running the command may use it (see
    :func:`current_actor`; ``raw``: the store itself, for the commands that check rights
    themselves); with ``require`` it must exist at the current schema."""
    store = open_store(state.db)
    try:
        if require:
            store.require_current()
        if raw:
            yield store
        else:
            yield store.as_actor(current_actor(store), personal=state.personal,
                                 reason=state.reason)
    finally:
        store.close()


def store_file() -> Path | None:
    """The file of the store named by --db when it is a GeoPackage; None for a server."""
    if scheme_of(state.db) not in ("gpkg", "file"):
        return None
    for prefix in ("gpkg://", "file://"):
        if state.db.startswith(prefix):
            return Path(state.db[len(prefix):])
    return Path(state.db)


def checked_output(path: Path) -> Path:
    """``path`` if a command may write its output there (InvalidInput, exit 2, otherwise): its
    folder exists, it is no folder, not the store named by --db, and not any mineaction
    store (see :func:`mineaction.io.writers.check_target`)."""
    from mineaction.io.writers import check_target

    own = store_file()
    return check_target(path, protected=[own] if own is not None else [])


class Advance:
    """Moves a progress bar on: ``advance(n)``; ``advance.set_total(n)`` once it is known."""

    def __init__(self, bar: Progress, task: TaskID):
        self.bar, self.task = bar, task

    def __call__(self, n: int = 1) -> None:
        self.bar.advance(self.task, n)

    def set_total(self, total: int) -> None:
        self.bar.update(self.task, total=total)


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Advance]:
    """A rich progress bar on stderr (none when stderr is not a terminal: a log or a pipe
    gets the messages alone); yields ``advance(n)``."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                  transient=True, refresh_per_second=4,
                  disable=not err_console.is_terminal) as bar:
        task = bar.add_task(description, total=total)
        yield Advance(bar, task)

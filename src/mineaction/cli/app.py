"""The Typer application and what every command shares: the global options (store, actor,
language), the context a command runs in, and the consoles."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from mineaction.messages import normalise_locale
from mineaction.services import context as contexts
from mineaction.services.context import Context

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="mineaction: an information system for humanitarian mine action.")
# Wide tables when writing to a file or a pipe; the terminal's width otherwise.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, soft_wrap=True)

DEFAULT_DB = "mineaction.gpkg"


@dataclass
class State:
    db: str = DEFAULT_DB
    user: str | None = None  # --as: who acts (signed in once the store has accounts)
    token: str | None = None  # --token
    locale: str = "en"  # --lang: the language of messages
    personal: bool = False  # --personal: read personal data (with --reason)
    reason: str | None = None


state = State()


def default_locale() -> str:
    """The language of messages when --lang is not given: from $LC_ALL, $LC_MESSAGES or
    $LANG, the first set (as POSIX has it), else English. "C" or "POSIX" names no language,
    so the next one is looked at (a container's LC_ALL=C.UTF-8 beside the reader's LANG)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        locale = normalise_locale(os.environ.get(name))
        if locale != "en" or os.environ.get(name, "").lower().startswith("en"):
            return locale
    return "en"


@app.callback()
def _root(
    db: str = typer.Option(None, "--db", metavar="PATH_OR_URL",
                           help="Store: a GeoPackage path or postgresql://... "
                                "(default: $MINEACTION_DB, else ./mineaction.gpkg)"),
    user: str = typer.Option(None, "--as", metavar="USER",
                             help="Who acts: on a store without accounts, a name (default: the "
                                  "system user); once it has accounts, a user signed in with a "
                                  "password (prompted, or $MINEACTION_PASSWORD)"),
    token: str = typer.Option(None, "--token", metavar="TOKEN",
                              help="Act with this API token (default: $MINEACTION_TOKEN)"),
    lang: str = typer.Option(None, "--lang", metavar="LOCALE",
                             help="Language of messages and reports: en, az, hy, ka, ru "
                                  "(default: from $LC_ALL, $LC_MESSAGES or $LANG)"),
    personal: bool = typer.Option(False, "--personal",
                                  help="Read personal data (IM officers and administrators; "
                                       "with --reason; every read is recorded)"),
    reason: str = typer.Option(None, "--reason", metavar="TEXT",
                               help="Why personal data is read (with --personal)"),
) -> None:
    state.db = db or os.environ.get("MINEACTION_DB") or DEFAULT_DB
    state.user, state.token = user, token
    state.locale = normalise_locale(lang) if lang else default_locale()
    state.personal, state.reason = personal, reason


def current_actor(store: Any) -> Actor:
    """Who runs the command: on a store without accounts, the person at the command line
    (:meth:`Actor.local`, named by --as or the system user); once it has accounts, the user of
    --as (password prompted, or $MINEACTION_PASSWORD) or of --token / $MINEACTION_TOKEN, and
    nobody otherwise."""
    from mineaction.access import authenticate
    from mineaction.access.accounts import has_accounts
    from mineaction.errors import Unauthorized

    token = state.token or os.environ.get("MINEACTION_TOKEN")
    if not store.initialised() or not has_accounts(store):
        if state.token:
            raise Unauthorized.of("cli.no_accounts_yet", db=state.db)
        return Actor.local(state.user)
    if state.user:
        password = os.environ.get("MINEACTION_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise Unauthorized.of("cli.no_password", id=state.user)
            password = typer.prompt(f"password for {state.user}", hide_input=True)
        return authenticate(store, state.user, password)
    if token:
        return authenticate(store, token=token)
    raise Unauthorized.of("cli.sign_in", db=state.db)


@contextmanager
def context(url: str | None = None, *, require: bool = True) -> Iterator[Context]:
    """The context of a command: the store named by --db (or ``url``), the actor signed in
    (:func:`current_actor`), the language of --lang, and whether personal data is asked for;
    with ``require`` the store must exist at the current schema."""
    with contexts.open_context(url or state.db, identify=current_actor, locale=state.locale,
                               require=require, personal=state.personal,
                               reason=state.reason) as ctx:
        yield ctx


def said(code: str, **params: Any) -> str:
    """The message ``code`` with ``params`` in the language of ``--lang``: the titles and
    headings of the tables people read on the screen."""
    from mineaction.messages import render

    return render(code, params, state.locale)


def plain(text: str) -> None:
    """A line on standard output, printed as it is (stored text is never read as console
    markup)."""
    console.print(text, highlight=False, markup=False)


def say(code: str, **params: Any) -> None:
    """The message ``code`` with ``params``, in the language of ``--lang``, as one plain line
    on standard output."""
    plain(said(code, **params))


def warn(text: str) -> None:
    """A warning on standard error, its prefix and ``text`` (a Note is said so) in the
    language of ``--lang``."""
    from rich.markup import escape

    from mineaction.messages import in_locale

    prefix = said("cli.warning")
    err_console.print(f"[yellow]{escape(prefix)}[/] {escape(in_locale(text, state.locale))}",
                      highlight=False)


def checked_output(path: Path) -> Path:
    """``path`` if a command may write its output there (InvalidInput, exit 2, otherwise): its
    folder exists, it is no folder, not the store named by --db, and not any mineaction
    store (see :func:`mineaction.io.writers.check_target`)."""
    return contexts.checked_output(state.db, path)


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

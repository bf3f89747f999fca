"""The Typer application and what every command shares: the global options (store, actor,
language), the context a command runs in, and the consoles."""

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
    actor: str | None = None  # --as: the person acting (default: the system user)
    locale: str = "en"  # --lang: the language of messages


state = State()


def default_locale() -> str:
    """The language of messages when --lang is not given: from $LANG, else English."""
    return normalise_locale(os.environ.get("LANG"))


@app.callback()
def _root(
    db: str = typer.Option(None, "--db", metavar="PATH_OR_URL",
                           help="Store: a GeoPackage path or postgresql://... "
                                "(default: $MINEACTION_DB, else ./mineaction.gpkg)"),
    actor: str = typer.Option(None, "--as", metavar="NAME",
                              help="Act as this person (default: the system user)"),
    lang: str = typer.Option(None, "--lang", metavar="LOCALE",
                             help="Language of messages, e.g. en, ru (default: from $LANG)"),
) -> None:
    state.db = db or os.environ.get("MINEACTION_DB") or DEFAULT_DB
    state.actor = actor
    state.locale = normalise_locale(lang) if lang else default_locale()


@contextmanager
def context(url: str | None = None, *, require: bool = True) -> Iterator[Context]:
    """The context of a command: the store named by --db (or ``url``), the actor of --as, the
    language of --lang; with ``require`` the store must exist at the current schema."""
    with contexts.open_context(url or state.db, actor=Actor.local(state.actor),
                               locale=state.locale, require=require) as ctx:
        yield ctx


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

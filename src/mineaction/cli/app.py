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


state = State()


@app.callback()
def _root(
    db: str = typer.Option(None, "--db", metavar="PATH_OR_URL",
                           help="Store: a GeoPackage path or postgresql://... "
                                "(default: $MINEACTION_DB, else ./mineaction.gpkg)"),
) -> None:
    state.db = db or os.environ.get("MINEACTION_DB") or DEFAULT_DB


@contextmanager
def opened(*, require: bool = True) -> Iterator[Store]:
    """The store named by --db; with ``require`` it must exist at the current schema."""
    store = open_store(state.db)
    try:
        if require:
            store.require_current()
        yield store
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

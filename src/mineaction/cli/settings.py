"""``mineaction settings``: the programme's settings of what the public sees (the threshold
below which counts of people are suppressed, how the public map generalises hazards and
released land), kept in the store so that every interface applies the same."""

from __future__ import annotations

import json
from enum import StrEnum

import typer
from rich.table import Table

from mineaction.access import settings as programme
from mineaction.cli.app import app, console, context, said, say, state
from mineaction.services import settings as service

settings_app = typer.Typer(no_args_is_help=True, help="The programme's settings of what the "
                           "public sees, kept in the store (changed by administrators).")
app.add_typer(settings_app, name="settings")

KEYS_HELP = "Setting: " + ", ".join(programme.SETTINGS)


class ShowFormat(StrEnum):
    table = "table"
    json = "json"


@settings_app.command("show")
def show(fmt: ShowFormat = typer.Option(ShowFormat.table, "--format",
                                        help="table or json")) -> None:
    """Every setting: its value, its default, whether the programme set it, what it does."""
    with context() as ctx:
        found = service.show(ctx)
    if fmt is ShowFormat.json:
        console.print_json(json.dumps([s.as_dict(state.locale) for s in found],
                                      ensure_ascii=False))
        return
    table = Table(title=said("cli.settings_title"))
    for code in ("cli.settings_key", "cli.settings_value", "cli.settings_default",
                 "cli.settings_about"):
        table.add_column(said(code))
    for s in found:
        value = programme.shown(s.value)
        table.add_row(s.key, value if s.stored else said("cli.settings_default_value",
                                                          value=value),
                      programme.shown(s.default), said(s.about))
    console.print(table)


@settings_app.command("set")
def set_(key: str = typer.Argument(..., metavar="KEY", help=KEYS_HELP),
         value: str = typer.Argument(..., metavar="VALUE")) -> None:
    """Set a setting (administrators). It applies at once to every command, the API, the
    Observer and exchange packages; the change is an entry of the audit log."""
    with context() as ctx:
        done = service.change(ctx, key, value)
    _said(done)


@settings_app.command("unset")
def unset(key: str = typer.Argument(..., metavar="KEY", help=KEYS_HELP)) -> None:
    """Return a setting to its default (administrators)."""
    with context() as ctx:
        done = service.change(ctx, key, None)
    _said(done)


def _said(done: service.Change) -> None:
    code, params = done.said()
    say(code, **params)

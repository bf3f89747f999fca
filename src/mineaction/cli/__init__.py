"""The ``mineaction`` command line. Commands parse arguments, build a context (store, actor,
language), call one service of :mod:`mineaction.services`, and render the result; messages are
rendered here, in the language of ``--lang``.

Each family of commands lives in its own module and registers itself on :data:`app`; this
module imports them all. :func:`main` never lets a traceback through: usage errors and invalid
input exit 2, any other failure exits 1 with one line on stderr (see :mod:`.failure`).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.markup import escape

from mineaction.cli import layers  # noqa: F401,E402  (registers commands)
from mineaction.cli import figures, report  # noqa: F401,E402
from mineaction.cli import copy  # noqa: F401,E402
from mineaction.cli import hazard  # noqa: F401,E402
from mineaction.cli import records  # noqa: F401,E402
from mineaction.cli import demo  # noqa: F401,E402
from mineaction.cli import accounts  # noqa: F401,E402
from mineaction.cli import audit  # noqa: F401,E402
from mineaction.cli import review  # noqa: F401,E402
from mineaction.cli import forms  # noqa: F401,E402
from mineaction.cli import packages  # noqa: F401,E402
from mineaction.cli import serve  # noqa: F401,E402
from mineaction.cli import areas  # noqa: F401,E402
from mineaction.cli import plan  # noqa: F401,E402
from mineaction.cli import qm  # noqa: F401,E402
from mineaction.cli import risk  # noqa: F401,E402
from mineaction.cli import evidence  # noqa: F401,E402
from mineaction.cli import surface  # noqa: F401,E402
from mineaction.cli import settings  # noqa: F401,E402
from mineaction.cli.app import app, console, err_console, state  # noqa: F401
from mineaction.cli.failure import (
    _abort_types,
    _exit_types,
    _usage_error_types,
    show_usage_error,
    unexpected,
)
from mineaction.errors import MineActionError
from mineaction.messages import render


def _summaries(typer_app: Any) -> None:
    """Each command's line in its group's list of commands: the first paragraph of its help
    on one line (the list would keep the docstring's line breaks)."""
    import inspect

    for info in typer_app.registered_commands:
        if info.short_help is None:
            doc = info.help or inspect.getdoc(info.callback) or ""
            info.short_help = " ".join(doc.split("\n\n")[0].split()) or None
    for group in typer_app.registered_groups:
        _summaries(group.typer_instance)


_summaries(app)


def printable(text: str) -> str:
    """``text`` as it can be written out: a lone surrogate (from a broken JSON escape in the
    input) shown as its escape rather than failing the write."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def message(exc: MineActionError, locale: str = "en") -> str:
    """What to print for an error, in ``locale``: one line for a refused argument or option,
    every problem (row, field, reason) for refused input."""
    return exc.text(locale)


_COMMAND: dict[tuple[int, int], Any] = {}


def _command() -> Any:
    """The click command of :data:`app`, built once: building it from the command functions
    takes longer than most commands run (rebuilt if a command was registered since)."""
    key = (len(app.registered_commands), len(app.registered_groups))
    if key not in _COMMAND:
        import typer.main

        _COMMAND.clear()
        _COMMAND[key] = typer.main.get_command(app)
    return _COMMAND[key]


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); returns the exit status.

    0 success, 2 usage error or invalid input (nothing written), 1 any other failure, 130
    interrupted. Nothing but a one-line message (or the list of problems) reaches stderr.
    """
    try:
        rv = _command()(args=argv, prog_name="mineaction", standalone_mode=False)
    except MineActionError as exc:
        head = escape(render("cli.error", {}, state.locale))
        err_console.print(f"[bold red]{head}[/] {escape(printable(message(exc, state.locale)))}",
                          highlight=False, markup=True, soft_wrap=True)
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err_console.print(render("cli.interrupted", {}, state.locale), highlight=False)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``| head``): not an error of ours. Point stdout
        # at nothing so that the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:
        if exc.filename is None:
            return unexpected(exc, argv, err_console, state.locale)
        # A file the command was pointed at cannot be used (missing, a folder, no permission):
        # the user's to fix, so no log.
        err_console.print(f"{render('cli.error', {}, state.locale)} {exc.filename}: "
                          f"{exc.strerror or exc}", markup=False,
                          highlight=False, soft_wrap=True)
        return 1
    except Exception as exc:  # noqa: BLE001  (the last line of defence: see .failure)
        if isinstance(exc, _usage_error_types()):
            return show_usage_error(exc)
        if isinstance(exc, _abort_types()):
            err_console.print(render("cli.aborted", {}, state.locale), highlight=False)
            return 1
        if isinstance(exc, _exit_types()):
            return int(getattr(exc, "exit_code", 1))
        return unexpected(exc, argv, err_console, state.locale)
    return rv if isinstance(rv, int) and not isinstance(rv, bool) else 0


def entry() -> None:
    sys.exit(main())

"""How the command line ends when something goes wrong: one line on stderr, never a traceback.

- A usage error (unknown command, missing argument, ``--limit abc``) prints the usage and the
  error, exit status 2.
- Invalid input (:class:`~mineaction.errors.InvalidInput`) prints every problem, exit 2;
  any other :class:`~mineaction.errors.MineActionError` prints its message, exit 1.
- Anything else is a defect or an environment the code did not expect: one line
  ``error: <what>; details in <log>`` and exit 1. The traceback goes to the log file:
  ``$MINEACTION_LOG`` when set, else ``$XDG_STATE_HOME/mineaction/mineaction.log``, else
  ``~/.local/state/mineaction/mineaction.log``; when none of these can be written, a file in
  the system's temporary folder.

The usage errors come from the click that Typer runs on. Recent Typer releases carry their
own copy (``typer._click``, whose exceptions derive from ``typer.exceptions.TyperException``)
and no longer install ``click``; earlier ones depend on ``click`` itself. Both are recognised,
whichever is installed.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

#: The log is started afresh (the old one kept as ``.1``) once it grows past this size.
LOG_LIMIT_BYTES = 1_000_000


def _usage_error_types() -> tuple[type[BaseException], ...]:
    """Exception classes that click/Typer raise for usage errors (they carry ``exit_code``)."""
    types: list[type[BaseException]] = []
    try:
        from typer.exceptions import TyperException

        types.append(TyperException)
    except ImportError:  # a Typer that still runs on click
        pass
    try:
        import click

        types.append(click.ClickException)
    except ImportError:  # a Typer that carries its own click
        pass
    return tuple(types)


def _exit_types() -> tuple[type[BaseException], ...]:
    import typer

    types: list[type[BaseException]] = [typer.Exit]
    try:
        import click

        types.append(click.exceptions.Exit)
    except ImportError:
        pass
    return tuple(types)


def _abort_types() -> tuple[type[BaseException], ...]:
    import typer

    types: list[type[BaseException]] = [typer.Abort]
    try:
        import click

        types.append(click.exceptions.Abort)
    except ImportError:
        pass
    return tuple(types)


def show_usage_error(exc: BaseException) -> int:
    """Print a click/Typer usage error as click does (usage, hint, 'Error: ...'); its status."""
    show = getattr(exc, "show", None)
    if callable(show):
        show()
    else:
        message = getattr(exc, "format_message", lambda: str(exc))()
        sys.stderr.write(f"Error: {message}\n")
    code = getattr(exc, "exit_code", 2)
    return code if isinstance(code, int) else 2


def log_candidates() -> list[Path]:
    """Where the log of unexpected errors goes, in order of preference."""
    if os.environ.get("MINEACTION_LOG"):
        return [Path(os.environ["MINEACTION_LOG"])]
    state = os.environ.get("XDG_STATE_HOME")
    base = Path(state) if state else Path.home() / ".local" / "state"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return [base / "mineaction" / "mineaction.log",
            Path(tempfile.gettempdir()) / f"mineaction-{uid}.log"]


def write_log(exc: BaseException, argv: list[str] | None) -> Path | None:
    """Append the traceback of ``exc`` with the command and time; the file, or None."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    from mineaction import __version__

    header = (f"--- {dt.datetime.now().isoformat(timespec='seconds')} mineaction "
              f"{__version__} (Python {sys.version.split()[0]})\n"
              f"command: mineaction {' '.join(sys.argv[1:] if argv is None else argv)}\n")
    for path in log_candidates():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size > LOG_LIMIT_BYTES:
                path.replace(path.with_name(path.name + ".1"))
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(header + text + "\n")
            return path
        except OSError:
            continue
    return None


def describe(exc: BaseException) -> str:
    """One line naming an unexpected error: its kind and the first line of its message."""
    text = str(exc).encode("utf-8", "backslashreplace").decode("utf-8")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    kind = type(exc).__name__
    return f"{kind}: {first}" if first else kind


def unexpected(exc: BaseException, argv: list[str] | None, err: Any,
               locale: str = "en") -> int:
    """Report an unexpected error in one line, in ``locale`` (the error's own kind and
    message as Python gives them), its traceback in the log; exit status 1."""
    from mineaction.messages import render

    log = write_log(exc, argv)
    said = (render("cli.unexpected", {"what": describe(exc), "log": str(log)}, locale)
            if log else render("cli.unexpected_no_log", {"what": describe(exc)}, locale))
    err.print(f"{render('cli.error', {}, locale)} {said}", markup=False, highlight=False,
              soft_wrap=True)
    return 1

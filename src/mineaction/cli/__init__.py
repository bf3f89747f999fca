"""The ``mineaction`` command line. Commands parse arguments, call the core, and render.

Each family of commands lives in its own module and registers itself on :data:`app`; this
module imports them all. Errors become exit statuses: 2 for invalid input (nothing written),
1 for any other failure.
"""

from __future__ import annotations

import sys

from mineaction.cli import layers  # noqa: F401,E402  (registers commands)
from mineaction.cli import figures, report  # noqa: F401,E402
from mineaction.cli import copy  # noqa: F401,E402
from mineaction.cli import hazard  # noqa: F401,E402
from mineaction.cli import records  # noqa: F401,E402
from mineaction.cli import demo  # noqa: F401,E402
from mineaction.cli.app import app, console, err_console, state  # noqa: F401
from mineaction.errors import MineActionError


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, prog_name="mineaction", standalone_mode=False)
    except MineActionError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True,
                          soft_wrap=True)
        return exc.exit_code
    except SystemExit as exc:  # raised by typer/click for --help and usage errors
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001
        import click

        if isinstance(exc, click.exceptions.UsageError):
            exc.show()
            return 2
        if isinstance(exc, click.exceptions.Abort):
            err_console.print("aborted")
            return 1
        if isinstance(exc, click.exceptions.Exit):
            return exc.exit_code
        raise
    return 0


def entry() -> None:
    sys.exit(main())

"""``mineaction copy SRC DST``: a whole store into another, GeoPackage or PostGIS."""

from __future__ import annotations

import typer
from rich.table import Table

from mineaction.access.accounts import has_accounts, require_admin
from mineaction.cli.app import app, console, progress_bar
from mineaction.cli.app import current_actor as state_actor
from mineaction.store.copy import copy_store, opened_pair, plan


@app.command("copy")
def copy(
    src: str = typer.Argument(..., metavar="SRC", help="Source store: GeoPackage path or "
                                                        "postgresql://..."),
    dst: str = typer.Argument(..., metavar="DST", help="Destination store, created when "
                                                        "missing; it must hold no records"),
    into_existing: bool = typer.Option(
        False, "--into-existing",
        help="Add to a destination that already holds records (a duplicate id still fails "
             "the whole copy)"),
) -> None:
    """Copy every layer of one store into another, keeping ids and versions, in one
    transaction: all of it or nothing."""
    with opened_pair(src, dst) as (source, target):
        counts = plan(source, target)
        # a copy carries every record and account: administrators only
        for store in (source, target):
            if store.initialised() and has_accounts(store):
                require_admin(state_actor(store), f"copy a store with accounts ({store.url})")
        with progress_bar("copying", sum(counts.values())) as advance:
            copied = copy_store(source, target, into_existing=into_existing, progress=advance)
        table = Table("layer", "records", title=f"{source.url} → {target.url}")
        for name, n in copied.items():
            if n:
                table.add_row(name, str(n))
        console.print(table)
        console.print(f"copied {sum(copied.values())} records in "
                      f"{sum(1 for n in copied.values() if n)} layers")

"""``mineaction copy SRC DST``: a whole store into another, GeoPackage or PostGIS."""

from __future__ import annotations

import typer
from rich.table import Table

from mineaction.cli.app import app, console, context, progress_bar, said, say
from mineaction.services import layers


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
    with context(src, require=False) as ctx, progress_bar(said("cli.progress_copying")) as advance:
        done = layers.copy_to(ctx, dst, into_existing=into_existing, progress=advance,
                              on_total=advance.set_total)
    table = Table(said("cli.head_layer"), said("cli.head_records"),
                  title=said("cli.copy_title", source=done.source, target=done.target))
    for name, n in done.copied.items():
        if n:
            table.add_row(name, str(n))
    console.print(table)
    say("cli.copied", count=sum(done.copied.values()),
        layers=sum(1 for n in done.copied.values() if n))

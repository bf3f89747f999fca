"""Commands for administrative areas: find one by name, place stored records in areas."""

from __future__ import annotations

import typer
from rich.markup import escape

from mineaction.cli.app import app, console, context
from mineaction.errors import InvalidInput
from mineaction.services import areas as service

areas = typer.Typer(no_args_is_help=True, help="Administrative areas: find by name, assign "
                    "records to the area that contains them.")
app.add_typer(areas, name="areas")


@areas.command("find")
def find(name: str = typer.Argument(..., help="A name in any transliteration, or an id")
         ) -> None:
    """The area NAME names (Fuzili, Füzuli and Физули find Fuzuli); several when it is
    ambiguous, each with what tells it apart. Exit status 2 when none fits."""
    with context() as ctx:
        m = service.find(ctx, name)
    if not m.candidates:
        raise InvalidInput.of("areas.no_such_area", name=name)
    if m.ambiguous:
        console.print(f"{escape(name)}: {len(m.candidates)} areas fit; give one of their ids",
                      highlight=False)
    for c in m.candidates:
        console.print(f"{escape(c.id)}\t{escape(c.describe())}\t(score {m.score:.0f})",
                      highlight=False)


@areas.command("assign")
def assign(
    layer: str = typer.Option(None, "--layer", help="Only this layer (default: every layer "
                              "placed by geometry: " + ", ".join(service.layers()) + ")"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change, write "
                                 "nothing"),
) -> None:
    """Give each stored record that has a geometry and no administrative area the smallest
    area that contains it (for a line or polygon in no single area: the one holding most of
    it), as a new version of the record."""
    with context() as ctx:
        done = service.assign(ctx, layer, dry_run=dry_run)
    verb = "would assign" if dry_run else "assigned"
    for d in done:
        console.print(f"{d.layer}: {verb} {len(d.assigned)}, in no area {len(d.unassigned)}, "
                      f"unchanged {d.unchanged}"
                      + (f"; release steps given their hazard's area: {d.steps}"
                         if d.steps else ""), highlight=False)
        for rid in d.unassigned[:20]:
            console.print(f"  in no stored area: {escape(rid)}", highlight=False)

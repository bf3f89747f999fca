"""Commands for administrative areas: find one by name, place stored records in areas."""

from __future__ import annotations

import typer

from mineaction.cli.app import app, console, context, said, say
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
        say("cli.areas_fit", name=name, count=len(m.candidates))
    score = said("cli.areas_score", score=m.score)
    for c in m.candidates:
        console.print(f"{c.id}\t{c.describe()}\t({score})", highlight=False, markup=False)


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
    for d in done:
        counts = {"layer": d.layer, "assigned": len(d.assigned),
                  "unassigned": len(d.unassigned), "unchanged": d.unchanged}
        console.print(said("cli.areas_would_assign" if dry_run else "cli.areas_assigned",
                           **counts)
                      + ("; " + said("cli.areas_steps", count=d.steps) if d.steps else ""),
                      highlight=False, markup=False)
        for rid in d.unassigned[:20]:
            console.print("  " + said("cli.areas_in_none", id=rid), highlight=False,
                          markup=False)

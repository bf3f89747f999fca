"""Administrative areas: find one by name in any transliteration, and give stored records
that have a geometry and no area the area that contains them.

The rules (which area contains a geometry, how names are compared) are in
:mod:`mineaction.geo.areas`; the work on the store in :mod:`mineaction.analysis.areas`.
"""

from __future__ import annotations

from mineaction.analysis import areas as core
from mineaction.analysis.areas import Assigned
from mineaction.errors import InvalidInput
from mineaction.geo.areas import NameMatch
from mineaction.services.context import Context

__all__ = ["Assigned", "NameMatch", "assign", "find", "layers"]


def layers() -> list[str]:
    """The layers whose records are placed in an area by their geometry."""
    return [lyr.name for lyr in core.area_layers(spatial=True)]


def find(ctx: Context, name: str) -> NameMatch:
    """The areas the actor may see that ``name`` names: one, several (ambiguous, best first)
    or none."""
    return core.find(ctx.reader, name)


def assign(ctx: Context, layer: str | None = None, *, dry_run: bool = False
           ) -> list[Assigned]:
    """Give every record of ``layer`` (default: every layer placed by geometry) that has a
    geometry and no administrative area the smallest area that contains it (the largest
    overlap for a line or polygon that no area holds whole), each as a new version of the
    record, in one transaction and in the audit log; with ``dry_run``, write nothing. Returns,
    per layer, the records assigned, those in no area and how many were left as they were."""
    names = layers()
    if layer is not None and layer not in names:
        raise InvalidInput.of("areas.not_placed_layer", layer=layer, known=", ".join(names))
    chosen = [layer] if layer else names
    with ctx.reader.transaction() as tx:
        return core.assign_stored(tx, chosen, write=not dry_run)

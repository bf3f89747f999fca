"""Importing rows of a file already read into a layer, and a national victims register.

The file is read before the service (:func:`mineaction.io.readers.read_file` at the command
line, the request body over HTTP): a service takes a :class:`SourceFile` or rows, never a
path. Every row is checked; any bad row and nothing is written (``InvalidInput`` lists them).
The import hooks (the land release engine for activities) run in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mineaction.domain.layers import Layer, all_layers, get_layer
from mineaction.domain.schema import Record
from mineaction.errors import InvalidInput, Problem
from mineaction.io import load
from mineaction.io.load import ImportResult, RepairEffect
from mineaction.io.readers import SourceFile
from mineaction.services.context import Context
from mineaction.store.base import Progress

__all__ = ["ImportResult", "check", "hook_count", "import_register", "import_source",
           "importable", "layer", "repair_summary"]


def layer(name: str) -> Layer:
    """The layer called ``name`` (InvalidInput naming the known ones otherwise). A look-up in
    the registry, callable before any store is opened."""
    try:
        return get_layer(name)
    except KeyError:
        raise InvalidInput.of("import.unknown_layer", layer=name,
                              known=", ".join(lyr.name for lyr in all_layers())) from None


def importable(name: str) -> Layer:
    """The layer called ``name`` if files may be imported into it (InvalidInput saying why
    not: release steps and hazard history are derived, minefield records have their own
    import)."""
    lyr = layer(name)
    load.check_importable(lyr.name)
    return lyr


def hook_count(ctx: Context, name: str) -> int:
    """How many import hooks run after an import into ``name`` (each reports progress)."""
    return load.hook_count(name)


def check(ctx: Context, name: str, src: SourceFile, *, crs: str | None = None,
          operation: str | None = None, repair: bool = False, allow_large: bool = False
          ) -> tuple[list[Record], list[Problem], ImportResult]:
    """Check every row of ``src`` for layer ``name`` against the layer and the store, writing
    nothing: the records, every problem, and what the import would report."""
    lyr = importable(name)
    territory = ctx.reader.extent("admin-areas") if lyr.spatial else None
    records, problems, result = load.prepare(lyr, src, crs=crs, operation=operation,
                                             do_repair=repair, today=ctx.today(),
                                             allow_large=allow_large,
                                             territory=territory)  # type: ignore[arg-type]
    with ctx.reader.transaction() as tx:
        problems.extend(load.check_against_store(tx, lyr, records, {
            r.id: f.where for r, f in zip(records, load._kept(src, records), strict=False)}))
    return records, problems, result


def import_source(ctx: Context, name: str, src: SourceFile, *, crs: str | None = None,
                  operation: str | None = None, repair: bool = False,
                  allow_large: bool = False, progress: Progress | None = None,
                  on_total: Callable[[int], None] | None = None,
                  source: str | None = None) -> ImportResult:
    """Import the rows of ``src`` into layer ``name``: all of them, or none and
    InvalidInput naming every bad row (row, field, reason). Dates are checked against
    ``ctx.today()``. ``on_total(n)`` is told how many units ``progress`` will count."""
    lyr = importable(name)
    return load.import_source(ctx.reader, lyr.name, src, crs=crs, operation=operation,
                              do_repair=repair, progress=progress, source=source,
                              on_total=on_total, today=ctx.today(), allow_large=allow_large)


def repair_summary(repairs: list[RepairEffect]) -> str | None:
    """One line on what repairs did to areas (None when nothing was repaired)."""
    return load.repair_summary(repairs)


def import_register(ctx: Context, name: str, rows: list[dict[str, str]], mapping: Any, *,
                    progress: Progress | None = None, source: str | None = None) -> int:
    """Import the rows of a national register (read with its mapping's encoding and
    delimiter) into ``name`` (only ``victims``); all rows or none. Returns how many."""
    from mineaction.io.victims_register import import_rows

    if name != "victims":
        raise InvalidInput.of("import.register_layer", layer=name)
    return import_rows(ctx.reader, rows, mapping, progress, today=ctx.today(), source=source)

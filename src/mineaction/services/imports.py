"""Importing rows of a file already read into a layer, and a national victims register.

The file is read before the service (:func:`mineaction.io.readers.read_file` at the command
line, the request body over HTTP): a service takes a :class:`SourceFile` or rows, never a
path. Every row is checked; any bad row and nothing is written (``InvalidInput`` lists them).
The import hooks (the land release engine for activities) run in the same transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mineaction.domain.layers import Layer, all_layers, get_layer
from mineaction.domain.schema import Record
from mineaction.errors import InvalidInput, Problem
from mineaction.io import bulk, load
from mineaction.io import intake as intake_
from mineaction.io import mapping as mappings
from mineaction.io.intake import Outcome, by_reason
from mineaction.io.load import ImportResult, RepairEffect
from mineaction.io.readers import ColumnarFile, SourceFile
from mineaction.services.context import Context
from mineaction.store.base import Progress

__all__ = ["ImportResult", "Outcome", "check", "hook_count", "import_register",
           "import_source", "importable", "intake", "intake_columnar", "layer", "mapping_for",
           "repair_summary", "write_problems", "write_rejects"]


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
        problems.extend(load.check_against_store(tx, lyr, records, dict(result.rows)))
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
                    progress: Progress | None = None, source: str | None = None,
                    options: intake_.Options | None = None) -> Outcome:
    """Import the rows of a national register (read with its mapping's encoding and
    delimiter) into ``name`` (only ``victims``), reconciled with the store as
    :func:`intake` does; all rows or none."""
    from mineaction.io.victims_register import source_file

    if name != "victims":
        raise InvalidInput.of("import.register_layer", layer=name)
    return intake(ctx, name, source_file(rows, source or "register"), mapping,
                  options=options, progress=progress)


def mapping_for(name: str, mapping: str | None, constants: list[str] | None
                ) -> mappings.Mapping | None:
    """The mapping of an import into layer ``name``: a shipped one by name or a TOML file,
    with ``FIELD=VALUE`` constants added (``--set``); None when neither is given."""
    lyr = importable(name)
    sets = mappings.parse_constants(constants)
    if mapping is None and not sets:
        return None
    m = mappings.load_mapping(mapping, lyr.name) if mapping else mappings.empty(lyr.name)
    if sets:
        m = m.with_constants(sets)
        problems = mappings.check(m, lyr, "--set")
        if problems:
            raise InvalidInput(problems)
    return m


def intake(ctx: Context, name: str, src: SourceFile, mapping: mappings.Mapping | None = None,
           *, options: intake_.Options | None = None, progress: Progress | None = None
           ) -> Outcome:
    """Import ``src`` into layer ``name`` through ``mapping``, reconciled with the store
    (:mod:`mineaction.io.intake`): new records added, changed ones given a new version with
    the change recorded, unchanged ones counted, missing ones reported (retired when asked).
    All or nothing unless ``options.partial``; nothing written when ``options.dry_run``.
    The import is recorded with the file's name, checksum, rows and dates."""
    lyr = importable(name)
    opts = options or intake_.Options()
    if opts.actor is None:
        opts = dataclasses.replace(opts, actor=ctx.actor.name)
    return intake_.run(ctx.reader, lyr.name, src, mapping, opts, today=ctx.today(),
                       progress=progress)


def intake_columnar(ctx: Context, name: str, cf: ColumnarFile, *,
                    options: intake_.Options | None = None,
                    progress: Progress | None = None) -> Outcome | None:
    """Import a file opened with :func:`mineaction.io.bulk.open_columnar` into layer ``name``
    column by column (:mod:`mineaction.io.bulk`): the outcome :func:`intake` would give
    without a mapping, or None, having written nothing, when the file is to be imported by
    :func:`intake` (the layer holds records, or a row needs the row path's checks, which
    name every bad row)."""
    lyr = importable(name)
    opts = options or intake_.Options()
    if opts.actor is None:
        opts = dataclasses.replace(opts, actor=ctx.actor.name)
    return bulk.run(ctx.reader, lyr.name, cf, opts, today=ctx.today(), progress=progress)


def problems_by_reason(problems: list[Problem]) -> list[intake_.ReasonCount]:
    """Problems grouped by reason, most frequent first, with the first examples of each."""
    return by_reason(problems)


def write_problems(outcome_or_problems: Outcome | list[Problem], path: Path,
                   locale: str = "en") -> int:
    """Every problem (row, field, value, reason code and text) to a CSV file."""
    problems = (outcome_or_problems.problems if isinstance(outcome_or_problems, Outcome)
                else outcome_or_problems)
    return intake_.write_problems(path, problems, locale)


def write_rejects(outcome: Outcome, src: SourceFile, path: Path, locale: str = "en") -> int:
    """The rows an import left out, in the input's format, with the reason of each."""
    return intake_.write_rejects(path, src, outcome.rejects, locale)

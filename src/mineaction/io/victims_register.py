"""Importing a national register of victims through a column mapping (TOML).

A register is a CSV file with one row per victim, in the register's own words and number
formats. A mapping file (see ``mappings/colombia_aicma.toml`` and ``docs/mappings.md``) names,
for each field of the ``victims`` layer, the column it comes from and the translation of the
register's values into mineaction's codes; so another country's register is mapped by writing a
file, not code. The mapping language is the one of every import (:mod:`mineaction.io.mapping`),
and a register goes through the same path (:mod:`mineaction.io.intake`): every row is checked,
any value the mapping cannot translate is reported with its row, column and value, nothing is
written unless every row is good, and a newer copy is reconciled with what is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from mineaction.domain.layers import get_layer
from mineaction.errors import InvalidInput, Problem
from mineaction.io import intake, load
from mineaction.io.mapping import MAPPINGS, Mapping, apply, available
from mineaction.io.mapping import load_mapping as _load
from mineaction.io.readers import InputFeature, SourceFile
from mineaction.messages import Note
from mineaction.store.base import Progress, Store

__all__ = ["MAPPINGS", "Mapping", "available", "convert", "credit_for", "import_register",
           "import_rows", "load_mapping", "read_register", "source_file"]


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A mapping of the victims layer by name (``colombia-aicma``) or by file path."""
    return _load(name_or_path, "victims")


@cache
def _credits() -> dict[str, str]:
    out = {}
    for p in MAPPINGS.glob("*.toml"):
        try:
            m = _load(p)
        except InvalidInput:
            continue
        if m.credit:
            out[m.source] = m.credit
    return out


def credit_for(source: str) -> str | None:
    """The credit line of a shipped mapping whose records name ``source`` (registers imported
    before imports were recorded)."""
    return _credits().get(source)


def source_file(rows: list[dict[str, str]], path: str | Path = "register",
                first_line: int = 2) -> SourceFile:
    """Rows read from a register as a :class:`SourceFile` (``first_line``: line of row 1)."""
    return SourceFile(Path(path), "CSV", None, [
        InputFeature(Note("input.where_line", number=first_line + i), dict(row))
        for i, row in enumerate(rows)])


def convert(mapping: Mapping, rows: list[dict[str, str]], first_line: int = 2, *,
            today: dt.date | None = None) -> tuple[list[Any], list[Problem]]:
    """Records and problems for the rows of a register, checked as an import checks them
    (nothing is compared with a store)."""
    applied = apply(mapping, source_file(rows, first_line=first_line))
    records, problems, _ = load.prepare(get_layer(mapping.layer), applied.src,
                                        today=today or dt.date.today())
    return records, applied.problems + problems


def read_register(path: Path, mapping: Mapping) -> list[dict[str, str]]:
    """The register's rows, by column name. A column name given twice, or a row with more
    values than the header names, is refused with its place: one of the values would be lost."""
    from mineaction.io.readers import _header_problems

    reg = mapping.head
    try:
        with path.open(encoding=str(reg.get("encoding", "utf-8-sig")), newline="") as fh:
            reader = csv.reader(fh, delimiter=str(reg.get("delimiter", ",")))
            header = [h.strip() for h in next(reader, [])]
            problems = _header_problems(header, lambda i: f"column {i + 1}")
            rows: list[dict[str, str]] = []
            for row in reader:
                if not row:
                    continue
                if len(row) > len(header):
                    problems.append(Problem.of(Note("input.where_line", number=reader.line_num),
                                               None, "file.row_too_long"))
                    continue
                rows.append({name: (row[i] if i < len(row) else "")
                             for i, name in enumerate(header)})
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput.of("import.register_unreadable", path=path, error=exc) from None
    if problems:
        raise InvalidInput(problems[:50], source=str(path))
    return rows


def import_register(store: Store, path: str | Path, mapping: Mapping | str,
                    progress: Progress | None = None, *, today: dt.date | None = None) -> int:
    """Import a register into ``victims``; all rows or none. Returns how many were written."""
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    p = Path(path)
    if not p.exists():
        raise InvalidInput.of("file.not_found", path=p)
    return import_rows(store, read_register(p, m), m, progress, today=today, source=str(p))


def import_rows(store: Store, rows: list[dict[str, str]], mapping: Mapping,
                progress: Progress | None = None, *, today: dt.date | None = None,
                source: str | None = None, options: intake.Options = intake.Options()) -> int:
    """Import rows already read from a register (:func:`read_register`) into ``victims``,
    reconciled with the store; all rows or none. Returns how many records were written."""
    src = source_file(rows, source or "register")
    return intake.run(store, "victims", src, mapping, options, today=today,
                      progress=progress).count

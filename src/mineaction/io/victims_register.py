"""Importing a national register of victims through a column mapping (TOML).

A register is a CSV file with one row per victim, in the register's own words and number
formats. A mapping file (see ``mappings/colombia_aicma.toml``) names, for each field of the
``victims`` layer, the column it comes from and the translation of the register's values into
mineaction's codes; so another country's register is mapped by writing a file, not code.

Every row is checked; any value the mapping cannot translate is reported with its row, column
and value, and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mineaction.domain.layers import get_layer
from mineaction.domain.schema import coerce_value
from mineaction.errors import InvalidInput, Problem, problem_of
from mineaction.store.base import Progress, Store

MAPPINGS = Path(__file__).resolve().parent / "mappings"


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    spec: dict[str, Any]

    @property
    def register(self) -> dict[str, Any]:
        return dict(self.spec.get("register", {}))

    @property
    def source(self) -> str:
        return str(self.register.get("source") or f"register:{self.name}")

    @property
    def credit(self) -> str | None:
        text = self.register.get("credit")
        return " ".join(str(text).split()) if text else None


def available() -> list[str]:
    return sorted(p.stem.replace("_", "-") for p in MAPPINGS.glob("*.toml"))


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A mapping by name (``colombia-aicma``, shipped with mineaction) or by file path."""
    p = Path(name_or_path)
    if not p.exists():
        p = MAPPINGS / (str(name_or_path).replace("-", "_") + ".toml")
    if not p.exists():
        raise InvalidInput.of("import.unknown_mapping", name=str(name_or_path),
                              known=", ".join(available()))
    try:
        spec = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput.of("import.mapping_not_toml", path=p, error=exc) from None
    problems = []
    if spec.get("register", {}).get("layer", "victims") != "victims":
        problems.append(Problem.of(str(p), "register.layer", "import.mapping_layer"))
    fields = spec.get("fields", {})
    layer = get_layer("victims")
    names = {f.name for f in layer.fields}
    for fname in fields:
        if fname not in names:
            problems.append(Problem.of(str(p), f"fields.{fname}", "import.mapping_unknown_field"))
    for f in layer.fields:
        if f.required and f.name not in fields and f.name != "id":
            problems.append(Problem.of(str(p), f"fields.{f.name}", "import.mapping_required_field"))
    if problems:
        raise InvalidInput(problems, source=str(p))
    return Mapping(str(spec.get("register", {}).get("name", p.stem)), p, spec)


@cache
def _credits() -> dict[str, str]:
    out = {}
    for p in MAPPINGS.glob("*.toml"):
        try:
            m = load_mapping(p)
        except InvalidInput:
            continue
        if m.credit:
            out[m.source] = m.credit
    return out


def credit_for(source: str) -> str | None:
    """The credit line to show wherever figures from records of ``source`` appear."""
    return _credits().get(source)


class _BadColumn(Exception):
    """A value that cannot be read, in another column than the field's first."""

    def __init__(self, column: str, error: Exception):
        super().__init__(column, error)
        self.column, self.error = column, error


def _number(text: str, thousands: str) -> int:
    cleaned = text.strip().replace(thousands, "") if thousands else text.strip()
    return int(cleaned)


def convert(mapping: Mapping, rows: list[dict[str, str]], first_line: int = 2, *,
            today: dt.date | None = None) -> tuple[list[Any], list[Problem]]:
    """Records and problems for the rows of a register (``first_line``: the line of row 1).

    ``today`` (default: the system clock) is the latest date an event may carry."""
    today = today or dt.date.today()
    layer = get_layer("victims")
    specs = {f.name: f for f in layer.fields}
    reg = mapping.register
    thousands = str(reg.get("thousands", ""))
    id_pattern = str(reg.get("id", mapping.name + "-{row}"))
    keep = list(mapping.spec.get("keep", {}).get("columns", []))
    fields: dict[str, dict[str, Any]] = mapping.spec.get("fields", {})
    records, problems = [], []
    header = set(rows[0]) if rows else set()
    wanted = {c for f in fields.values() for c in (f.get("column"), f.get("year"),
                                                   f.get("month")) if c} | set(keep)
    for col in sorted(wanted - header):
        problems.append(Problem.of("header", col, "import.mapped_column_missing"))
    if problems:
        return [], problems
    for i, row in enumerate(rows, start=1):
        where = f"line {first_line + i - 1}"
        values: dict[str, Any] = {"id": id_pattern.format(row=i), "source": mapping.source}
        attrs: dict[str, Any] = {}
        bad = False
        for fname, f in fields.items():
            spec = specs[fname]
            try:
                if "year" in f:
                    year = _number(row[f["year"]], thousands)
                    month = _number(row[f["month"]], thousands) if f.get("month") else 1
                    if f.get("month") and not 1 <= month <= 12:
                        raise _BadColumn(f["month"], ValueError(f"month must be in 1..12, got "
                                                                f"{month}"))
                    values[fname] = coerce_value(spec, dt.date(year, month, 1), today=today)
                    attrs["date_precision"] = "month" if f.get("month") else "year"
                    continue
                raw = (row.get(f["column"]) or "").strip()
                if raw == "":
                    if "missing" in f:
                        values[fname] = coerce_value(spec, f["missing"], today=today)
                    continue
                if "values" in f:
                    if raw not in f["values"]:
                        problems.append(Problem.of(where, f["column"],
                                                   "import.register_value_unmapped", raw=raw,
                                                   field=fname, known=', '.join(f['values'])))
                        bad = True
                        continue
                    raw = f["values"][raw]
                value: Any = raw
                if f.get("number"):
                    value = _number(raw, thousands)
                if "format" in f:
                    value = str(f["format"]).format(value=value)
                values[fname] = coerce_value(spec, value, today=today)
            except (ValueError, KeyError, OverflowError, _BadColumn) as exc:
                col = f.get("column") or f.get("year")
                error: Exception = exc
                if isinstance(exc, _BadColumn):
                    col, error = exc.column, exc.error
                problems.append(Problem.of(where, col, "import.register_value_unreadable",
                                           field=fname, error=error))
                bad = True
        for col in keep:
            if (row.get(col) or "").strip():
                attrs[col] = row[col].strip()
        if attrs:
            values["attributes"] = json.dumps(attrs, ensure_ascii=False, sort_keys=True)
        if bad:
            continue
        try:
            records.append(layer.make(values))
        except (ValueError, TypeError) as exc:
            problems.append(problem_of(exc, where, None))
    return records, problems


def read_register(path: Path, mapping: Mapping) -> list[dict[str, str]]:
    reg = mapping.register
    try:
        with path.open(encoding=str(reg.get("encoding", "utf-8-sig")), newline="") as fh:
            return list(csv.DictReader(fh, delimiter=str(reg.get("delimiter", ","))))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.of("import.register_unreadable", path=path, error=exc) from None


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
                source: str | None = None) -> int:
    """Import rows already read from a register (:func:`read_register`) into ``victims``; all
    rows or none. ``source`` names the register in the problems."""
    p = source
    records, problems = convert(mapping, rows, today=today)
    with store.transaction() as tx:
        existing = tx.existing_ids("victims", [r.id for r in records])
        problems += [Problem.of(r.id, "id", "import.register_duplicate")
                     for r in records if r.id in existing][:20]
        if problems:
            raise InvalidInput(problems, source=p)
        return tx.add_many(records, progress)

"""Minefield records in the store (layer ``minefield-records``).

Each stored record keeps its original text verbatim; the perimeter (geometry), the
transformation used (``crs_operation``) and the latest assessment are derived from it. The
expected mines are not stored: they are recomputed from the original on demand (a few
milliseconds), so they can never disagree with the record or with the transformation chosen.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mineaction.domain.minefield_records import (
    MinefieldRecord,
    StoredMinefieldRecord,
    parse_text,
)
from mineaction.domain.schema import coerce_value, field_specs
from mineaction.errors import BadValue, InvalidInput, NotFound, Problem
from mineaction.geo.crs import DatumWarning
from mineaction.messages import Note
from mineaction.records.georef import Georef, georef_json, georeference

LAYER = "minefield-records"


def stored_form(record: MinefieldRecord, g: Georef | None) -> StoredMinefieldRecord:
    return StoredMinefieldRecord(
        id=record.record_id, source=record.source, notes=record.notes,
        geometry=g.perimeter_multipolygon() if g else None,
        src_crs=g.src_crs if g else record.crs,
        crs_operation=g.operation if g else None,
        provider=record.provider, received_on=record.received_on, laid_on=record.laid_on,
        document=record.document, bearing_reference=record.bearings.reference,
        bearing_unit=record.bearings.unit, expected_mines=record.expected_mines,
        confidentiality=record.confidentiality, original=record.original,
        georef=georef_json(g) if g else None)


def read_files(paths: Sequence[Path | str]) -> list[MinefieldRecord]:
    """Every record of every file, or InvalidInput listing every problem of every file."""
    documents: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for path in paths:
        p = Path(path)
        try:
            documents.append((p.name, p.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem.of(str(p), None, "records.unreadable", error=exc))
    return parse_documents(documents, problems)


def parse_documents(documents: Sequence[tuple[str, str]], problems: list[Problem] | None = None,
                    *, today: dt.date | None = None) -> list[MinefieldRecord]:
    """Every record of every document (name, JSON text), or InvalidInput listing every
    problem (``problems`` found before, such as files that could not be read, included);
    a record id given twice is refused, and so is a date of receipt or laying before 1900 or
    after ``today`` (default: the system's clock), as for every date of something that
    happened."""
    records: list[MinefieldRecord] = []
    problems = list(problems or [])
    for name, text in documents:
        try:
            found = parse_text(text, source=name)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        records.extend(found)
        problems.extend(_date_problems(name, found, today or dt.date.today()))
    seen: dict[str, int] = {}
    for r in records:
        seen[r.record_id] = seen.get(r.record_id, 0) + 1
    problems.extend(Problem.of(f"record {rid}", "record_id", "records.id_repeated", n=n)
                    for rid, n in seen.items() if n > 1)
    if problems:
        raise InvalidInput(problems)
    return records


def _date_problems(source: str, records: Iterable[MinefieldRecord], today: dt.date
                   ) -> list[Problem]:
    specs = {f.name: f for f in field_specs(StoredMinefieldRecord)}  # type: ignore[arg-type]
    problems = []
    for r in records:
        for name in ("received_on", "laid_on"):
            day = getattr(r, name)
            if day is None:
                continue
            try:
                coerce_value(specs[name], day, today=today)
            except BadValue as exc:
                problems.append(exc.problem(f"{source}: record {r.record_id}", name))
    return problems


def import_records(store: Any, records: Iterable[MinefieldRecord], *,
                   transformation: str | None = None
                   ) -> tuple[list[StoredMinefieldRecord], list[str]]:
    """Georeference and store records, all or nothing; returns them and the warnings.

    A record whose id is already stored, or that cannot be georeferenced (a row with no length
    between points of different reference points, a CRS with no way to WGS84), makes the
    whole import fail with :class:`InvalidInput`, and nothing is written.
    """
    records = list(records)
    problems: list[Problem] = []
    stored: list[StoredMinefieldRecord] = []
    notes: list[str] = []
    existing = store.existing_ids(LAYER, [r.record_id for r in records])
    for r in records:
        if r.record_id in existing:
            problems.append(Problem.of(Note("input.where_record", id=r.record_id), "record_id",
                                       "records.id_exists"))
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DatumWarning)
                g = georeference(r, transformation, warn=False)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        notes.extend(Note("records.warning_of_record", id=r.record_id, warning=w)
                     for w in g.warnings)
        stored.append(stored_form(r, g))
    if problems:
        raise InvalidInput(problems)
    with store.transaction() as tx:
        tx.add_many(stored)
    return stored, notes


def regeoreference(tx: Any, row: StoredMinefieldRecord, record: MinefieldRecord,
                   transformation: str | None) -> tuple[StoredMinefieldRecord, Georef]:
    g = georeference(record, transformation, warn=False)
    new = replace(row, geometry=g.perimeter_multipolygon(), src_crs=g.src_crs,
                  crs_operation=g.operation, georef=georef_json(g))
    return tx.update(new), g


def withdraw(store: Any, record_id: str, reason: str, on: dt.date | None = None
             ) -> StoredMinefieldRecord:
    """Mark a stored record withdrawn, in one transaction; returns it as stored.

    Nothing is deleted: the original stays verbatim, the date and reason go into
    ``withdrawn_on`` and ``withdrawal_reason`` and a line is added to its notes. A withdrawn
    record is no longer georeferenced or assessed (:func:`mineaction.records.assess.
    stored_records` skips it) and so no longer counts in the share of reliable records.
    InvalidInput when the record does not exist, has been withdrawn already, or no reason is
    given."""
    reason = (reason or "").strip()
    where = Note("input.where_record", id=record_id)
    if not reason:
        raise InvalidInput([Problem.of(where, "reason", "records.reason_required")])
    on = on or dt.date.today()
    with store.transaction() as tx:
        try:
            row = tx.get(LAYER, record_id)
        except NotFound:
            raise InvalidInput([Problem.of(where, None, "records.no_such_record")]) from None
        if row.withdrawn_on is not None:
            raise InvalidInput([Problem.of(where, None, "records.already_withdrawn",
                                           on=row.withdrawn_on, reason=row.withdrawal_reason)])
        line = f"withdrawn on {on.isoformat()}: {reason}"
        notes = f"{row.notes}\n{line}" if row.notes else line
        updated: StoredMinefieldRecord = tx.update(replace(
            row, withdrawn_on=on, withdrawal_reason=reason, notes=notes))
    return updated

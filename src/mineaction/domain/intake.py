"""Imports as records: where each batch of records came from, and what each re-import changed.

An :class:`ImportRun` is written by every import through :mod:`mineaction.io.intake`: the file
(name and SHA-256), how many rows it held, the range of dates found in them, the mapping used,
an optional description given by whoever imported it, and what the import did (new, changed,
unchanged, missing, retired and rejected rows). Records it wrote name it in their ``source``
(``import:ID``), so a report credits the imports its records came from.

A :class:`RecordChange` is one change a re-import made to a stored record: the record keeps
its id and gets a new version, and the change keeps what each field held before and after, so
nothing is overwritten without a trace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum

from mineaction.access import Level
from mineaction.domain.schema import Record, attr

#: What ``source`` holds on a record written by an import: this prefix and the import's id.
IMPORT_SOURCE = "import:"


class ChangeKind(StrEnum):
    CHANGED = "changed"  # a newer copy of the source holds other values for the record
    RETIRED = "retired"  # the newer copy no longer holds the record (--retire-missing)


@dataclasses.dataclass(kw_only=True)
class ImportRun(Record):
    """One import of one file into one layer."""

    layer = "imports"

    target_layer: str = attr("Layer the rows were imported into")
    file_name: str = attr("Name of the file imported (without its folder)")
    sha256: str = attr("SHA-256 checksum of the file's bytes")
    rows: int = attr("Rows (features) the file held", minimum=0)
    first_date: dt.date | None = attr("Earliest date found in the imported records", None)
    last_date: dt.date | None = attr("Latest date found in the imported records", None)
    description: str | None = attr("What the file is, as given by whoever imported it "
                                   "(--source)", None)
    mapping: str | None = attr("Column mapping used, by name", None)
    credit: str | None = attr("Credit line of the source, from its mapping", None)
    imported_at: str = attr("When the import ran (UTC, ISO 8601)")
    imported_by: str | None = attr("Who ran it", None, level=Level.RESTRICTED)
    added: int = attr("Records added", 0, minimum=0)
    changed: int = attr("Stored records given a new version", 0, minimum=0)
    unchanged: int = attr("Rows matching a stored record exactly", 0, minimum=0)
    missing: int = attr("Stored records of the same layer the file no longer holds", 0,
                        minimum=0)
    retired: int = attr("Missing records retired (--retire-missing)", 0, minimum=0)
    rejected: int = attr("Bad rows left out (--rejects)", 0, minimum=0)


@dataclasses.dataclass(kw_only=True)
class RecordChange(Record):
    """One new version of a stored record made by a re-import (or its retirement)."""

    layer = "record-changes"

    target_layer: str = attr("Layer of the record changed")
    record_id: str = attr("Id of the record changed")
    record_version: int = attr("Version of the record after the change", minimum=1)
    import_id: str | None = attr("Import that made the change", None)
    kind: ChangeKind = attr("changed or retired")
    changes: str | None = attr("Each field changed, as JSON {field: [before, after]}", None)
    changed_on: dt.date | None = attr("Date of the change", None)

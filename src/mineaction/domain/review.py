"""Submissions: records waiting for review before they enter the store.

A submission holds the records of one layer as they passed the checks of an import (already in
EPSG:4326, as GeoJSON text), where they came from (a file and its checksum, a field form, the
HTTP API), who submitted them for which organisation, and what became of them: pending until
an approver approves them (they are then written, in one transaction) or rejects them (they
are kept, with the reason). Nothing in it is public.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from mineaction.domain.schema import Record, attr


class SubmissionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SubmissionOrigin(StrEnum):
    FILE = "file"  # a file imported with --submit
    FORM = "form"  # field form submissions (ODK Central, KoboToolbox)
    API = "api"  # sent to the HTTP API


@dataclasses.dataclass(kw_only=True)
class Submission(Record):
    """Records of one layer submitted for review."""

    layer = "submissions"

    target_layer: str = attr("Layer the records are for")
    records: str = attr("The records, checked and in EPSG:4326, as a GeoJSON FeatureCollection")
    record_count: int = attr("How many records", minimum=0)
    base_versions: str | None = attr(
        "Versions of the stored records the submission was checked against, as JSON "
        "(layer/id -> version): approval is refused when one of them has changed", None)
    origin: SubmissionOrigin = attr("file, form or api")
    file_name: str | None = attr("Name of the file submitted", None)
    checksum: str | None = attr("SHA-256 of the file submitted", None)
    form_id: str | None = attr("Field form the records were entered with", None)
    allow_large: bool = attr("Activities larger than the usual limit were accepted", False)
    submitted_by: str = attr("Who submitted (user name)")
    submitter_user: str | None = attr("User account of the submitter", None)
    submitter_org: str | None = attr("Organisation the submission is made for", None)
    submitter_country: str | None = attr("Country of the submitter's organisation", None)
    submitter_org_kind: str | None = attr("Kind of the submitter's organisation", None)
    submitter_roles: str | None = attr("Roles of the submitter when submitting (comma list)",
                                       None)
    submitted_at: str = attr("When it was submitted (ISO 8601, UTC)")
    status: SubmissionStatus = attr("pending, approved or rejected",
                                    SubmissionStatus.PENDING)
    problems: str | None = attr("Warnings found when it was checked, as JSON", None)
    decided_by: str | None = attr("Who approved or rejected it", None)
    decided_at: str | None = attr("When it was approved or rejected (ISO 8601, UTC)", None)
    note: str | None = attr("Why it was approved or rejected", None)

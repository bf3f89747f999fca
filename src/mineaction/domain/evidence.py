"""Evidence of contamination: what a hazard's existence and extent rest on."""

from __future__ import annotations

import dataclasses
import datetime as dt

from mineaction.access import Level
from mineaction.domain.schema import SpatialRecord, attr
from mineaction.domain.vocabulary import Confidentiality, Credibility, EvidenceKind


@dataclasses.dataclass(kw_only=True)
class Evidence(SpatialRecord):
    layer = "evidence"

    kind: EvidenceKind = attr("find, accident, minefield_record, witness_statement, "
                              "military_position or imagery")
    credibility: Credibility = attr("high, medium or low", Credibility.MEDIUM)
    confidentiality: Confidentiality = attr("public, restricted or confidential",
                                            Confidentiality.RESTRICTED)
    recorded_on: dt.date | None = attr("Date the evidence was recorded", None)
    description: str | None = attr("What the evidence says", None)
    hazard_id: str | None = attr("Hazard the evidence supports", None)
    reference: str | None = attr("Reference of the document, record or find", None)
    witness_name: str | None = attr("Name of the witness, for a witness statement", None,
                                    level=Level.PERSONAL)
    witness_contact: str | None = attr("How to reach the witness", None, level=Level.PERSONAL)

"""Controlled vocabularies, in the terms of the International Mine Action Standards (IMAS).

Every enumeration is a ``StrEnum`` whose values are the codes used in files, the store and the
API. Codes are short, lower case and stable; labels for people live in the translations.
"""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    """What an organisation is to the programme; the access policy reads it (an authority
    sees its country, an operator its own records, a regional platform what it is granted).
    ``national_authority``, ``ngo`` and ``observer`` are older codes, still read: as an
    authority, an operator and the media respectively."""

    AUTHORITY = "authority"
    OPERATOR = "operator"
    REGIONAL_PLATFORM = "regional_platform"
    DONOR = "donor"
    MEDIA = "media"
    NATIONAL_AUTHORITY = "national_authority"
    NGO = "ngo"
    OBSERVER = "observer"


class SharePrecision(StrEnum):
    """How precisely a data-sharing agreement shows the records it shares."""

    EXACT = "exact"  # every readable field and the exact geometry
    GRID = "grid"  # geometries generalised to a grid of grid_km cells (points snapped)
    ADMIN = "admin"  # geometries replaced by their administrative area
    COUNTS = "counts"  # counts and sums only: no record is returned


class HazardKind(StrEnum):
    """IMAS 04.10: suspected (SHA) or confirmed (CHA) hazardous area."""

    SHA = "sha"
    CHA = "cha"


class HazardStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    HANDED_OVER = "handed_over"


class Threat(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class EOCategory(StrEnum):
    """Categories of explosive ordnance. They are never lumped together in a figure.

    ``ied`` covers improvised devices of any activation; a find records separately whether the
    device was victim-activated, because victim-activated IEDs are anti-personnel mines under the
    Anti-Personnel Mine Ban Convention.
    """

    AP = "ap"  # anti-personnel mine
    AV = "av"  # anti-vehicle (anti-tank) mine
    CMR = "cmr"  # cluster munition remnant (submunition, bomblet)
    UXO = "uxo"  # unexploded ordnance
    AXO = "axo"  # abandoned explosive ordnance
    IED = "ied"  # improvised explosive device


class LandUse(StrEnum):
    AGRICULTURE = "agriculture"
    PASTURE = "pasture"
    FOREST = "forest"
    RESIDENTIAL = "residential"
    INFRASTRUCTURE = "infrastructure"
    WATER = "water"
    OTHER = "other"
    UNKNOWN = "unknown"


class ActivityKind(StrEnum):
    """Land release activities (IMAS 07.11) and EOD spot tasks."""

    NTS = "nts"  # non-technical survey
    TS = "ts"  # technical survey
    CLEARANCE = "clearance"
    BAC = "bac"  # battle area clearance
    EOD = "eod"  # explosive ordnance disposal spot task


class ReleaseOutcome(StrEnum):
    """How land left the list of hazards. Never summed into one 'cleared' figure."""

    CANCELLED = "cancelled"  # by non-technical survey
    REDUCED = "reduced"  # by technical survey
    CLEARED = "cleared"  # by clearance


class VictimGroup(StrEnum):
    CIVILIAN = "civilian"
    MILITARY = "military"
    DEMINER = "deminer"
    UNKNOWN = "unknown"


class CasualtyOutcome(StrEnum):
    KILLED = "killed"
    INJURED = "injured"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class AgeBand(StrEnum):
    """Child (under 18) or adult, as casualty and risk education reports disaggregate."""

    CHILD = "child"
    ADULT = "adult"
    UNKNOWN = "unknown"


class ActivityAtTime(StrEnum):
    """What the victim was doing when the accident happened."""

    FARMING = "farming"
    HERDING = "herding"
    TRAVELLING = "travelling"
    COLLECTING = "collecting"  # wood, scrap metal, food
    TAMPERING = "tampering"
    DEMINING = "demining"
    MILITARY_DUTY = "military_duty"
    RECONSTRUCTION = "reconstruction"
    OTHER = "other"
    UNKNOWN = "unknown"


class QualityKind(StrEnum):
    QA_VISIT = "qa_visit"
    QC_INSPECTION = "qc_inspection"


class QualityResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    OBSERVATION = "observation"


class Severity(StrEnum):
    """Severity of a non-conformity found by quality management."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class EvidenceKind(StrEnum):
    FIND = "find"
    ACCIDENT = "accident"
    MINEFIELD_RECORD = "minefield_record"
    WITNESS_STATEMENT = "witness_statement"
    MILITARY_POSITION = "military_position"
    IMAGERY = "imagery"


class Credibility(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Confidentiality(StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"
    CONFIDENTIAL = "confidential"


#: Labels for people of the terms reports show, in English: message ids of the gettext
#: catalogues (context: the vocabulary's name; :func:`mineaction.reports.localise.label`).
#: Files, the store and the API keep the codes.
LABELS: dict[StrEnum, str] = {
    HazardKind.SHA: "suspected hazardous area (SHA)",
    HazardKind.CHA: "confirmed hazardous area (CHA)",
    HazardStatus.OPEN: "open",
    HazardStatus.CLOSED: "closed",
    HazardStatus.HANDED_OVER: "handed over",
    Threat.HIGH: "high",
    Threat.MEDIUM: "medium",
    Threat.LOW: "low",
    EOCategory.AP: "anti-personnel mines",
    EOCategory.AV: "anti-vehicle mines",
    EOCategory.CMR: "cluster munition remnants",
    EOCategory.UXO: "unexploded ordnance",
    EOCategory.AXO: "abandoned explosive ordnance",
    EOCategory.IED: "improvised explosive devices",
    LandUse.AGRICULTURE: "agriculture",
    LandUse.PASTURE: "pasture",
    LandUse.FOREST: "forest",
    LandUse.RESIDENTIAL: "residential",
    LandUse.INFRASTRUCTURE: "infrastructure",
    LandUse.WATER: "water",
    LandUse.OTHER: "other",
    LandUse.UNKNOWN: "unknown",
    ActivityKind.NTS: "non-technical survey",
    ActivityKind.TS: "technical survey",
    ActivityKind.CLEARANCE: "clearance",
    ActivityKind.BAC: "battle area clearance",
    ActivityKind.EOD: "explosive ordnance disposal",
    ReleaseOutcome.CANCELLED: "cancelled",
    ReleaseOutcome.REDUCED: "reduced",
    ReleaseOutcome.CLEARED: "cleared",
    VictimGroup.CIVILIAN: "civilian",
    VictimGroup.MILITARY: "military",
    VictimGroup.DEMINER: "deminer",
    VictimGroup.UNKNOWN: "unknown",
    CasualtyOutcome.KILLED: "killed",
    CasualtyOutcome.INJURED: "injured",
    Sex.FEMALE: "female",
    Sex.MALE: "male",
    Sex.UNKNOWN: "unknown",
    AgeBand.CHILD: "child",
    AgeBand.ADULT: "adult",
    AgeBand.UNKNOWN: "unknown",
    ActivityAtTime.FARMING: "farming",
    ActivityAtTime.HERDING: "herding",
    ActivityAtTime.TRAVELLING: "travelling",
    ActivityAtTime.COLLECTING: "collecting (wood, scrap metal, food)",
    ActivityAtTime.TAMPERING: "tampering",
    ActivityAtTime.DEMINING: "demining",
    ActivityAtTime.MILITARY_DUTY: "military duty",
    ActivityAtTime.RECONSTRUCTION: "reconstruction",
    ActivityAtTime.OTHER: "other",
    ActivityAtTime.UNKNOWN: "unknown",
    QualityKind.QA_VISIT: "QA visit",
    QualityKind.QC_INSPECTION: "QC inspection",
    QualityResult.PASS: "pass",
    QualityResult.FAIL: "fail",
    QualityResult.OBSERVATION: "observation",
    Severity.MINOR: "minor",
    Severity.MAJOR: "major",
    Severity.CRITICAL: "critical",
}

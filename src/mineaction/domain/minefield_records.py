"""Minefield records: the laying party's description of a field, as bearings and distances.

The exchange format is JSON, defined by ``docs/minefield-record.schema.json`` (a copy ships in
this package). :func:`parse_record` checks a record against the schema and then against rules
the schema cannot express (points that refer to nothing, rows of no length, more mines than a
row can hold) and returns a :class:`MinefieldRecord`; every problem names the record and the
field. The original text is kept verbatim on the record (``original``).

:class:`StoredMinefieldRecord` is how a record sits in the store (layer ``minefield-records``):
the verbatim original, a few searchable fields, the georeferenced perimeter and the latest
reliability assessment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from mineaction.domain.schema import SpatialRecord, attr
from mineaction.domain.vocabulary import Confidentiality
from mineaction.errors import TEXT, BadValue, InvalidInput, Problem
from mineaction.geo.traverse import FULL_CIRCLE, destination, to_degrees
from mineaction.messages import Message

FORMAT = "mineaction-minefield-record/1"

#: A row may hold its mines over at most this much more than its length (transcription slack).
ROW_SLACK_SHARE = 0.10
ROW_SLACK_M = 5.0


class RecordStatus:
    """Outcomes of a reliability assessment (plain strings in the store and outputs)."""

    RELIABLE = "reliable"
    CORRECTABLE = "correctable"
    UNRELIABLE = "unreliable"
    UNVERIFIED = "unverified"
    ALL = ("reliable", "correctable", "unreliable", "unverified")


@dataclass(frozen=True)
class ReferencePoint:
    id: str
    x: float
    y: float
    description: str | None = None


@dataclass(frozen=True)
class Bearings:
    reference: Literal["magnetic", "grid", "true"]
    unit: Literal["degrees", "mil6400", "mil6000"]
    declination_deg: float | None = None
    declination_epoch: str | None = None
    grid_convergence_deg: float | None = None


@dataclass(frozen=True)
class TurningPoint:
    id: str
    origin: str  # "from" in the exchange format
    bearing: float
    distance_m: float
    description: str | None = None


@dataclass(frozen=True)
class Offset:
    row: str
    distance_m: float
    side: Literal["left", "right"]


@dataclass(frozen=True)
class Row:
    id: str
    count: int
    start: str | None = None
    end: str | None = None
    offset: Offset | None = None
    model: str | None = None
    category: str | None = None
    spacing_m: float | None = None
    first_at_m: float = 0.0


@dataclass(frozen=True)
class SingleMine:
    id: str
    origin: str
    bearing: float
    distance_m: float
    model: str | None = None
    category: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class MinefieldRecord:
    """One record as read; ``original`` is the exact text it was read from."""

    record_id: str
    provider: str
    crs: str
    reference_points: tuple[ReferencePoint, ...]
    bearings: Bearings
    turning_points: tuple[TurningPoint, ...] = ()
    rows: tuple[Row, ...] = ()
    mines: tuple[SingleMine, ...] = ()
    perimeter: tuple[str, ...] | None = None
    transformation: str | None = None
    received_on: dt.date | None = None
    laid_on: dt.date | None = None
    document: str | None = None
    source: str | None = None
    notes: str | None = None
    confidentiality: Confidentiality = Confidentiality.RESTRICTED
    original: str = field(default="", repr=False, compare=False)

    @property
    def expected_mines(self) -> int:
        return sum(r.count for r in self.rows) + len(self.mines)

    @property
    def point_ids(self) -> list[str]:
        return [p.id for p in self.reference_points] + [t.id for t in self.turning_points]

    def perimeter_ids(self) -> list[str]:
        if self.perimeter:
            return list(self.perimeter)
        return [t.id for t in self.turning_points]

    def root_of(self, point_id: str) -> str:
        """The reference point a point's traverse starts from."""
        legs = {t.id: t for t in self.turning_points}
        seen = set()
        while point_id in legs:
            if point_id in seen:
                raise BadValue.of("records.point_from_itself", point=point_id)
            seen.add(point_id)
            point_id = legs[point_id].origin
        return point_id

    def reinterpreted(self, *, crs: str | None = None, unit: str | None = None,
                      reference: str | None = None, declination_deg: float | None = None
                      ) -> MinefieldRecord:
        """The same record read differently (another CRS, angle unit or north)."""
        bearings = self.bearings
        if unit is not None or reference is not None or declination_deg is not None:
            bearings = dataclasses.replace(
                bearings,
                unit=unit or bearings.unit,  # type: ignore[arg-type]
                reference=reference or bearings.reference,  # type: ignore[arg-type]
                declination_deg=(declination_deg if declination_deg is not None
                                 else bearings.declination_deg))
        if crs is not None and crs != self.crs:
            # another CRS: the record's own transformation no longer applies
            return dataclasses.replace(self, crs=crs, bearings=bearings, transformation=None)
        return dataclasses.replace(self, bearings=bearings)


# ---------------------------------------------------------------------------------------------
# Reading and checking.

@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of the exchange format."""
    text = resources.files("mineaction.domain").joinpath("minefield-record.schema.json")
    return json.loads(text.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(record)"


def _where(data: Any, source: str | None, index: int | None) -> str:
    rid = _shown(data.get("record_id")) if isinstance(data, Mapping) else None
    where = f"record {rid}" if isinstance(rid, str) and rid else (
        f"record #{index + 1}" if index is not None else "record")
    return f"{source}: {where}" if source else where


#: Deepest nesting a record may have (the format itself needs 4 levels; extension fields more).
MAX_DEPTH = 32


def _unencodable(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (a JSON escape such as ``\\ud800`` alone),
    which is no character and which no store can keep."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _shown(text: Any) -> Any:
    return text.encode("utf-8", "backslashreplace").decode() if isinstance(text, str) else text


def _unsound(data: Any) -> list[tuple[str, Message]]:
    """(path, reason) of every number that is not finite (NaN, infinity, or too large to be a
    float) and of nesting deeper than :data:`MAX_DEPTH`: what JSON Schema lets through
    (``NaN >= 0`` is false, so no minimum catches it) and what would break the arithmetic.
    Walks without recursion, so that no depth can exhaust the stack."""
    found: list[tuple[str, Message]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            found.append((_path(path), Message.of("records.not_finite", value=value)))
        elif isinstance(value, str) and _unencodable(value):
            found.append((_path(path), Message.of("records.not_unicode")))
        elif isinstance(value, (dict, list)):
            if len(path) >= MAX_DEPTH:
                found.append((_path(path), Message.of("records.nested_too_deep",
                                                      depth=MAX_DEPTH)))
                continue
            if isinstance(value, dict):
                found.extend((_path((*path, _shown(k))), Message.of("records.not_unicode"))
                             for k in value if _unencodable(k))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((v, (*path, _shown(k))) for k, v in items)
    return sorted(found)


def check_record(data: Any, *, source: str | None = None, index: int | None = None,
                 original: str | None = None) -> tuple[MinefieldRecord | None, list[Problem]]:
    """Read one record (a decoded JSON object); returns it, or None and the problems."""
    where = _where(data, source, index)
    problems = [Problem.said(where, path, reason) for path, reason in _unsound(data)]
    if problems:
        return None, problems
    for err in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = list(err.absolute_path)
        if err.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", str(err.message))
            if missing:
                problems.append(Problem.of(where, _path([*path, missing.group(1)]),
                                           "value.required"))
                continue
        problems.append(Problem.said(where, _path(path), _schema_reason(err)))
    if problems:
        return None, problems
    record = _build(data, original if original is not None else
                    json.dumps(data, ensure_ascii=False, indent=2))
    problems.extend(_rules(record, where))
    return (None, problems) if problems else (record, [])


def parse_record(data: Any, *, source: str | None = None, original: str | None = None
                 ) -> MinefieldRecord:
    """One record, or :class:`InvalidInput` naming every problem."""
    record, problems = check_record(data, source=source, original=original)
    if record is None:
        raise InvalidInput(problems, source=source)
    return record


def parse_text(text: str, *, source: str | None = None) -> list[MinefieldRecord]:
    """Records from a JSON text: one object, or an array of them. All or nothing."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput([Problem.of(source or "input", None, "records.not_json", error=exc)],
                           source=source) from None
    except RecursionError:
        raise InvalidInput([Problem.of(source or "input", None, "records.too_deep",
                                       depth=MAX_DEPTH)], source=source) from None
    items = data if isinstance(data, list) else [data]
    records: list[MinefieldRecord] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        unsound = _unsound(item)
        if unsound:  # before json.dumps below, which recursion could break as well
            where = _where(item, source, i if isinstance(data, list) else None)
            problems.extend(Problem.said(where, path, reason) for path, reason in unsound)
            continue
        # A single record keeps its exact text; each of several keeps its own JSON.
        original = text if not isinstance(data, list) else json.dumps(
            item, ensure_ascii=False, indent=2)
        rec, probs = check_record(item, source=source,
                                  index=i if isinstance(data, list) else None, original=original)
        problems.extend(probs)
        if rec is not None:
            records.append(rec)
    if problems:
        raise InvalidInput(problems, source=source)
    return records


def _schema_reason(err: Any) -> Message:
    """The message for a schema error; the validator's own text (English) for the rest."""
    if err.validator == "additionalProperties":
        return Message.of("records.unknown_fields", details=err.message.replace(
            "Additional properties are not allowed", "").strip())
    if err.validator == "exclusiveMinimum":
        return Message.of("records.not_above", value=err.instance, limit=err.validator_value)
    if err.validator == "minimum":
        return Message.of("records.below_minimum", value=err.instance,
                          limit=err.validator_value)
    if err.validator == "oneOf" and "start" in str(err.instance):
        return Message.of("records.ends_and_offset")
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        return Message.of("records.ends_or_offset")
    return Message.of(TEXT, text=str(err.message))


def _build(d: Mapping[str, Any], original: str) -> MinefieldRecord:
    b = d["bearings"]
    return MinefieldRecord(
        record_id=d["record_id"],
        provider=d["provider"],
        crs=str(d["crs"]) if not isinstance(d["crs"], int) else f"EPSG:{d['crs']}",
        reference_points=tuple(ReferencePoint(p["id"], float(p["x"]), float(p["y"]),
                                              p.get("description"))
                               for p in d["reference_points"]),
        bearings=Bearings(b["reference"], b["unit"], b.get("declination_deg"),
                          None if b.get("declination_epoch") is None
                          else str(b["declination_epoch"]),
                          b.get("grid_convergence_deg")),
        turning_points=tuple(TurningPoint(t["id"], t["from"], float(t["bearing"]),
                                          float(t["distance_m"]), t.get("description"))
                             for t in d.get("turning_points", ())),
        rows=tuple(Row(r["id"], int(r["count"]), r.get("start"), r.get("end"),
                       Offset(r["offset"]["row"], float(r["offset"]["distance_m"]),
                              r["offset"]["side"]) if "offset" in r else None,
                       r.get("model"), r.get("category"),
                       None if r.get("spacing_m") is None else float(r["spacing_m"]),
                       float(r.get("first_at_m", 0.0)))
                   for r in d.get("rows", ())),
        mines=tuple(SingleMine(m["id"], m["from"], float(m["bearing"]), float(m["distance_m"]),
                               m.get("model"), m.get("category"), m.get("description"))
                    for m in d.get("mines", ())),
        perimeter=tuple(d["perimeter"]) if d.get("perimeter") else None,
        transformation=d.get("transformation"),
        received_on=dt.date.fromisoformat(d["received_on"]) if d.get("received_on") else None,
        laid_on=dt.date.fromisoformat(d["laid_on"]) if d.get("laid_on") else None,
        document=d.get("document"),
        source=d.get("source"),
        notes=d.get("notes"),
        confidentiality=Confidentiality(d.get("confidentiality", "restricted")),
        original=original,
    )


def _rules(rec: MinefieldRecord, where: str) -> list[Problem]:
    """What the schema cannot say: references, circles, lengths, counts."""
    problems: list[Problem] = []
    circle = FULL_CIRCLE[rec.bearings.unit]
    known: set[str] = set()
    for i, p in enumerate(rec.reference_points):
        if p.id in known:
            problems.append(Problem.of(where, f"reference_points[{i}].id", "records.id_used_twice",
                                       id=p.id))
        known.add(p.id)
    for i, t in enumerate(rec.turning_points):
        if t.id in known:
            problems.append(Problem.of(where, f"turning_points[{i}].id", "records.id_used_twice",
                                       id=t.id))
        if t.origin not in known:
            later = any(u.id == t.origin for u in rec.turning_points)
            problems.append(Problem.of(
                where, f"turning_points[{i}].from",
                "records.point_defined_later" if later else "records.point_unknown",
                point=t.origin))
        if t.bearing >= circle:
            problems.append(Problem.of(where, f"turning_points[{i}].bearing",
                                       "records.bearing_full_circle", bearing=t.bearing,
                                       circle=circle, unit=rec.bearings.unit))
        known.add(t.id)
    for i, m in enumerate(rec.mines):
        if m.origin not in known:
            problems.append(Problem.of(where, f"mines[{i}].from", "records.point_unknown",
                                       point=m.origin))
        if m.bearing >= circle:
            problems.append(Problem.of(where, f"mines[{i}].bearing", "records.bearing_full_circle",
                                       bearing=m.bearing, circle=circle, unit=rec.bearings.unit))
    if rec.perimeter:
        for i, pid in enumerate(rec.perimeter):
            if pid not in known:
                problems.append(Problem.of(where, f"perimeter[{i}]", "records.point_unknown",
                                           point=pid))
    elif rec.turning_points and len(rec.turning_points) < 3:
        problems.append(Problem.of(where, "turning_points", "records.too_few_points"))
    if not rec.turning_points and not rec.perimeter and (rec.rows or rec.mines):
        problems.append(Problem.of(where, "turning_points", "records.mines_no_perimeter"))
    if problems:
        return problems  # lengths need sound references
    plan = _plan(rec)
    rows = {r.id: r for r in rec.rows}
    lengths: dict[str, float | None] = {}
    row_ids: set[str] = set()
    for i, r in enumerate(rec.rows):
        if r.id in row_ids:
            problems.append(Problem.of(where, f"rows[{i}].id", "records.id_used_twice", id=r.id))
        row_ids.add(r.id)
        length = _row_length(r, rows, plan, lengths, set())
        lengths[r.id] = length
        if r.offset is not None and r.offset.row not in rows:
            problems.append(Problem.of(where, f"rows[{i}].offset.row", "records.row_unknown",
                                       row=r.offset.row))
            continue
        if r.offset is not None and r.offset.row == r.id:
            problems.append(Problem.of(where, f"rows[{i}].offset.row",
                                       "records.row_parallel_itself"))
            continue
        if r.start is not None and r.start == r.end:
            problems.append(Problem.of(where, f"rows[{i}].end", "records.row_same_ends",
                                       start=r.start))
            continue
        for name in ("start", "end"):
            pid = getattr(r, name)
            if pid is not None and pid not in known:
                problems.append(Problem.of(where, f"rows[{i}].{name}", "records.point_unknown",
                                           point=pid))
        if length is None:
            continue
        if length < 0.01:
            problems.append(Problem.of(where, f"rows[{i}]", "records.row_no_length"))
            continue
        if r.spacing_m is not None and r.count > 1:
            needed = r.first_at_m + (r.count - 1) * r.spacing_m
            if needed > length * (1 + ROW_SLACK_SHARE) + ROW_SLACK_M:
                problems.append(Problem.of(where, f"rows[{i}].count", "records.row_too_short",
                                           count=r.count, spacing_m=r.spacing_m, needed=needed,
                                           length=length))
        elif r.first_at_m > length * (1 + ROW_SLACK_SHARE) + ROW_SLACK_M:
            problems.append(Problem.of(where, f"rows[{i}].first_at_m", "records.first_mine_beyond",
                                       first_at_m=r.first_at_m, length=length))
    return problems


def _plan(rec: MinefieldRecord) -> dict[str, tuple[str, float, float]]:
    """Each point as (root reference point, east, north) in metres from that root.

    A sketch in a plane with the bearings as written (norths and convergence ignored): enough to
    measure the lengths of rows whose ends share a root.
    """
    plan: dict[str, tuple[str, float, float]] = {p.id: (p.id, 0.0, 0.0)
                                                 for p in rec.reference_points}
    for t in rec.turning_points:
        root, x, y = plan[t.origin]
        x2, y2 = destination(x, y, to_degrees(t.bearing, rec.bearings.unit), t.distance_m)
        plan[t.id] = (root, x2, y2)
    return plan


def _row_length(r: Row, rows: Mapping[str, Row], plan: Mapping[str, tuple[str, float, float]],
                lengths: dict[str, float | None], seen: set[str]) -> float | None:
    if r.offset is not None:
        if r.offset.row in lengths:
            return lengths[r.offset.row]
        parent = rows.get(r.offset.row)
        if parent is None or parent.id in seen or parent.id == r.id:
            return None
        seen.add(r.id)
        return _row_length(parent, rows, plan, lengths, seen)
    if r.start not in plan or r.end not in plan:
        return None
    (ra, xa, ya), (rb, xb, yb) = plan[r.start], plan[r.end]  # type: ignore[index]
    if ra != rb:
        return None  # ends on different reference points: measured after georeferencing
    return math.hypot(xb - xa, yb - ya)


# ---------------------------------------------------------------------------------------------
# The stored form.

@dataclasses.dataclass(kw_only=True)
class StoredMinefieldRecord(SpatialRecord):
    """A minefield record in the store; ``id`` is the record's ``record_id``.

    ``geometry`` is the georeferenced perimeter (EPSG:4326), ``src_crs`` the record's CRS and
    ``crs_operation`` the transformation used to reach WGS84.
    """

    layer = "minefield-records"

    provider: str = attr("Who handed the record over")
    received_on: dt.date | None = attr("Date the record was received", None)
    laid_on: dt.date | None = attr("Date the field was laid, as recorded", None)
    document: str | None = attr("Reference to the original document (scan)", None)
    bearing_reference: str | None = attr("North the bearings are measured from, as recorded",
                                         None)
    bearing_unit: str | None = attr("Angle unit of the bearings, as recorded", None)
    expected_mines: int = attr("Number of mines the record describes", 0, minimum=0)
    confidentiality: Confidentiality = attr("public, restricted or confidential",
                                            Confidentiality.RESTRICTED)
    original: str = attr("The record exactly as received (JSON text)")
    georef: str | None = attr(
        "Result of georeferencing as JSON: transformation, candidates, warnings", None)
    assessment_status: str | None = attr(
        "Latest reliability assessment: reliable, correctable, unreliable or unverified", None)
    assessed_on: dt.date | None = attr("Date of the latest assessment", None)
    assessment: str | None = attr(
        "Latest assessment as JSON, with any proposed corrected geometry awaiting a person's "
        "decision", None)
    withdrawn_on: dt.date | None = attr(
        "Date the record was withdrawn: kept as received, no longer georeferenced or assessed",
        None)
    withdrawal_reason: str | None = attr("Why the record was withdrawn, as given", None)
    decision: str | None = attr(
        "A person's decision on the proposed corrected geometry: accepted or rejected", None)
    decided_by: str | None = attr("Who decided on the proposed correction", None)
    decided_on: dt.date | None = attr("Date of the decision on the proposed correction", None)
    decision_note: str | None = attr("Why, as the person who decided gave it", None)
    decision_change: str | None = attr(
        "What accepting changed: the hazard version written (hazard-versions/ID)", None)

"""The review workbench: records submitted, checked, shown and approved or rejected.

A submission goes through the checks of an import (:func:`mineaction.io.load.prepare` and
:func:`~mineaction.io.load.check_against_store`); with any problem it is refused as an import
is, and nothing is staged. Otherwise its records wait in the ``submissions`` layer, outside
the store's data, until an approver decides:

* :func:`show` says what approving would change now: which records are new, which update a
  stored record (and its version), the land the release engine would release per hazard and
  method (the engine runs in a transaction that is rolled back), and the problems found;
* :func:`approve` writes them in one transaction, with the import hooks (land release) as an
  import runs them, and records who approved, when and why in the submission and the audit
  log. It is refused when a record the submission was checked against has changed since
  (optimistic locking): a stored record it updates, a hazard its activities overlap;
* :func:`reject` keeps the submission with the reason.

Who may do what is the access policy's (:mod:`mineaction.access.policy`): a submission
belongs to the submitter's organisation, so an operator sees its own and an authority's IM
officers and approvers those of their country; approving is for approvers and administrators,
never the submitter; the records written on approval are the submitter's organisation's and
must be records the submitter may add.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import shape

from mineaction import audit
from mineaction.access import Actor, Level, Role
from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.review import Submission, SubmissionOrigin, SubmissionStatus
from mineaction.domain.schema import Record
from mineaction.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    Problem,
)
from mineaction.io import load
from mineaction.io.readers import InputFeature, SourceFile
from mineaction.io.writers import record_columns
from mineaction.messages import Note, note_from_json, note_json
from mineaction.services.context import Context
from mineaction.services.imports import importable
from mineaction.services.imports import layer as layer_named
from mineaction.store.base import Query, Reader, Transaction

__all__ = ["Decision", "Preview", "Released", "approve", "as_json", "checksum", "geojson_source",
           "list_submissions", "parse_status", "preview_json", "reject", "show", "submit",
           "submit_geojson", "submit_geojson_bytes"]

LAYER = "submissions"
#: Layers whose import hooks derive records from each new one (hazard history, land release):
#: a submission adds records to them, it never changes a stored one.
DERIVING = frozenset({"hazards", "activities"})


class _Rollback(Exception):
    """Leaves a trial transaction without writing anything."""


@dataclass(frozen=True)
class Released:
    """Land one approval would release from one hazard (None: outside any) by one method."""

    hazard_id: str | None
    method: str
    area_m2: float
    steps: int


@dataclass
class Preview:
    """What approving a submission would do now."""

    submission: Submission
    #: warnings found when it was checked (a CRS assumed, ...)
    warnings: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    #: (id, stored version) of each stored record the submission changes
    updates: list[tuple[str, int]] = field(default_factory=list)
    released: list[Released] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: (layer/id, version checked against, version stored now or None when gone)
    conflicts: list[tuple[str, int, int | None]] = field(default_factory=list)


@dataclass
class Decision:
    """The outcome of :func:`approve` or :func:`reject`."""

    submission: Submission
    written: int = 0
    updated: int = 0
    messages: list[str] = field(default_factory=list)


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _submitter(sub: Submission) -> Actor:
    roles = frozenset(Role(r) for r in (sub.submitter_roles or "").split(",") if r)
    return Actor(sub.submitted_by, roles, sub.submitter_org, sub.submitter_country,
                 sub.submitter_user, sub.submitter_org_kind)


def _layer(name: str) -> Layer:
    lyr = importable(name)
    if lyr.private_companion or lyr.access_level == Level.PERSONAL:
        raise InvalidInput.of("review.personal_layer", layer=lyr.name)
    return lyr


# -- records in and out of a submission -----------------------------------------------------

def _encode(layer: Layer, records: list[Record]) -> str:
    """The records as a GeoJSON FeatureCollection of their fields (no computed column)."""
    cols = record_columns(layer, records)
    names = [s.name for s in layer.fields]
    features = []
    for i, r in enumerate(records):
        geom = getattr(r, "geometry", None)
        features.append({"type": "Feature", "id": r.id,
                         "geometry": None if geom is None else geom.__geo_interface__,
                         "properties": {n: cols[n][i] for n in names}})
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, sort_keys=True)


def _decode(sub: Submission, today: dt.date) -> tuple[Layer, list[Record], list[Problem]]:
    """The submission's records, checked again as on submission (with today's clock)."""
    lyr = get_layer(sub.target_layer)
    data = json.loads(sub.records)
    src = SourceFile(Path(sub.file_name or sub.id), "GeoJSON", "EPSG:4326",
                     crs_is_default=True)
    kept: dict[str, dict[str, Any]] = {}
    for i, feat in enumerate(data["features"], start=1):
        props = dict(feat["properties"])
        kept[str(props.get("id"))] = props
        geom = None if feat.get("geometry") is None else shape(feat["geometry"])
        src.features.append(InputFeature(Note("input.where_record_number", number=i,
                                                      id=str(props.get("id"))), props, geom))
    records, problems, _ = load.prepare(lyr, src, today=today, allow_large=sub.allow_large)
    for r in records:  # the CRS the geometry came in, as it was before the submission
        props = kept.get(r.id, {})
        for name in ("src_crs", "crs_operation"):
            if hasattr(r, name):
                setattr(r, name, props.get(name))
    return lyr, records, problems


def _where(records: list[Record]) -> dict[str, str]:
    return {r.id: f"record {r.id}" for r in records}


def _watched(reader: Reader, lyr: Layer, records: list[Record], updates: dict[str, int]
             ) -> dict[str, int]:
    """``layer/id -> version`` of the stored records what approving does depends on: those
    the submission updates, and the open hazards its activities overlap."""
    out = {f"{lyr.name}/{rid}": v for rid, v in updates.items()}
    if lyr.name == "activities":
        for r in records:
            geom = getattr(r, "geometry", None)
            if geom is None:
                continue
            for h in reader.iter("hazards", Query(intersects=geom)):
                out[f"hazards/{h.id}"] = h.version
    return out


def _versions(reader: Reader, keys: list[str]) -> dict[str, int]:
    by_layer: dict[str, list[str]] = {}
    for key in keys:
        name, _, rid = key.partition("/")
        by_layer.setdefault(name, []).append(rid)
    now: dict[str, int] = {}
    for name, ids in by_layer.items():
        for start in range(0, len(ids), 500):
            for r in reader.iter(name, Query(where={"id": ids[start:start + 500]})):
                now[f"{name}/{r.id}"] = r.version
    return now


# -- the services ---------------------------------------------------------------------------

def submit(ctx: Context, name: str, src: SourceFile, *,
           origin: SubmissionOrigin | str = SubmissionOrigin.FILE, crs: str | None = None,
           operation: str | None = None, repair: bool = False, allow_large: bool = False,
           checksum: str | None = None, form_id: str | None = None) -> Submission:
    """Check the rows of ``src`` for layer ``name`` as an import does and stage them for
    review. Any problem and nothing is staged (InvalidInput naming row, field and reason).
    A row whose id is a record the actor sees is an update of it (the version seen is kept
    for approval), except in layers whose records derive others (hazards, activities),
    where an existing id is refused as by an import. Returns the pending submission."""
    lyr = _layer(name)
    reader = ctx.reader
    territory = reader.extent("admin-areas") if lyr.spatial else None
    records, problems, result = load.prepare(
        lyr, src, crs=crs, operation=operation, do_repair=repair, today=ctx.today(),
        allow_large=allow_large, territory=territory)  # type: ignore[arg-type]
    where = dict(result.rows)
    updates: dict[str, int] = {}
    watched: dict[str, int] = {}
    try:
        # a transaction rolled back: the checks, and the adds the submitter may not make
        with reader.transaction() as tx:
            found = load.check_against_store(tx, lyr, records, where)
            existing = tx.existing_ids(lyr, [r.id for r in records])
            if lyr.name not in DERIVING and existing:
                stored = _versions(tx, [f"{lyr.name}/{rid}" for rid in sorted(existing)])
                updates = {key.partition("/")[2]: v for key, v in stored.items()}
                found = [p for p in found
                         if not (p.code == "import.id_exists" and p.field == "id")]
            problems.extend(found)
            if problems:
                raise InvalidInput(problems, source=str(src.path))
            watched = _watched(tx, lyr, records, updates)
            tx.add_many(copy.deepcopy([r for r in records if r.id not in existing]))
            raise _Rollback
    except _Rollback:
        pass
    with reader.transaction() as tx:
        actor = ctx.actor
        label = f"{SubmissionOrigin(origin).value}:{src.path.name}"
        for r in records:
            if r.source is None:
                r.source = label
        stamp = ctx.now()
        sub = Submission(
            id=f"S-{stamp.astimezone(dt.UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}",
            target_layer=lyr.name, records=_encode(lyr, records), record_count=len(records),
            base_versions=json.dumps(watched, sort_keys=True) if watched else None,
            origin=SubmissionOrigin(origin), file_name=src.path.name, checksum=checksum,
            form_id=form_id, allow_large=allow_large, submitted_by=actor.name,
            submitter_user=actor.user_id, submitter_org=actor.org_id,
            submitter_country=actor.country, submitter_org_kind=actor.org_kind,
            submitter_roles=",".join(sorted(r.value for r in actor.roles)),
            submitted_at=_stamp(stamp),
            problems=json.dumps([note_json(w) for w in result.warnings])
            if result.warnings else None,
            source=label)
        tx.add(sub)
    return sub


def geojson_source(data: Any, name: str = "request") -> SourceFile:
    """A GeoJSON FeatureCollection or Feature already parsed (an HTTP request's body) as the
    rows of a file, in EPSG:4326 (RFC 7946); InvalidInput when it is neither, and every
    member that is no Feature named."""
    from mineaction.io.readers import geojson_geometry
    from mineaction.messages import Message

    what = Message.of("file.what_geojson")
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "Feature":
        features: Any = [data]
    elif kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise InvalidInput.of("file.features_not_list", path=name, what=what)
    else:
        raise InvalidInput.of("file.not_feature_collection", path=name, what=what,
                              found=f"type {kind!r}")
    src = SourceFile(Path(name), "GeoJSON", "EPSG:4326", crs_is_default=True)
    problems: list[Problem] = []
    for i, feat in enumerate(features, start=1):
        where = Note("input.where_feature", number=i)
        props = feat.get("properties") if isinstance(feat, dict) else None
        if not isinstance(feat, dict) or feat.get("type") != "Feature" or not isinstance(
                props if props is not None else {}, dict):
            found = (f"type {feat.get('type')!r}" if isinstance(feat, dict)
                     else f"a JSON {type(feat).__name__}")
            problems.append(Problem.of(where, None, "file.not_a_feature", found=found))
            continue
        row = dict(props or {})
        if "id" not in row and feat.get("id") is not None:
            row["id"] = feat["id"]
        if row.get("id") not in (None, ""):
            where = Note("input.where_feature_id", number=i, id=str(row["id"]))
        geom, reason = geojson_geometry(feat.get("geometry"))
        src.features.append(InputFeature(where, row, geom, reason))
    if problems:
        raise InvalidInput(problems, source=name)
    return src


def submit_geojson(ctx: Context, name: str, data: Any, *, source_name: str = "request",
                   allow_large: bool = False) -> Submission:
    """:func:`submit` of a GeoJSON document already parsed (an HTTP request's body), as
    submitted through the API; its checksum is that of its canonical JSON text."""
    src = geojson_source(data, source_name)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return submit(ctx, name, src, origin=SubmissionOrigin.API, allow_large=allow_large,
                  checksum=checksum(text.encode("utf-8")))


def parse_status(text: str | None) -> SubmissionStatus | None:
    """The status named by ``text`` (None for None); InvalidInput naming the known ones."""
    if text is None:
        return None
    try:
        return SubmissionStatus(text.strip().lower())
    except ValueError:
        raise InvalidInput.of("review.unknown_status", value=text, allowed=", ".join(
            s.value for s in SubmissionStatus)) from None


def checksum(data: bytes) -> str:
    """The SHA-256 of a file's bytes, as a submission records it."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def list_submissions(ctx: Context, status: SubmissionStatus | str | None = None,
                     layer: str | None = None) -> list[Submission]:
    """The submissions the actor may see (an operator its organisation's, an authority's IM
    officers and approvers their country's), oldest first, optionally of one status or
    layer."""
    where: dict[str, Any] = {}
    if status is not None:
        where["status"] = SubmissionStatus(status).value
    if layer is not None:
        where["target_layer"] = layer_named(layer).name
    subs = ctx.reader.query(LAYER, Query(where=where or None, order_by="submitted_at"))
    return [s for s in subs if isinstance(s, Submission)]


def get(ctx: Context, sub_id: str) -> Submission:
    """The submission ``sub_id`` if the actor may see it (NotFound otherwise)."""
    try:
        sub = ctx.reader.get(LAYER, sub_id)
    except NotFound:
        raise NotFound.of("review.no_submission", id=sub_id) from None
    assert isinstance(sub, Submission)
    return sub


def _split(tx: Reader, lyr: Layer, records: list[Record]) -> tuple[list[Record], list[Record]]:
    existing = tx.existing_ids(lyr, [r.id for r in records]) if lyr.name not in DERIVING \
        else set()
    return ([r for r in records if r.id not in existing],
            [r for r in records if r.id in existing])


def _conflicts(sub: Submission, now: dict[str, int]) -> list[tuple[str, int, int | None]]:
    base: dict[str, int] = json.loads(sub.base_versions) if sub.base_versions else {}
    return [(key, v, now.get(key)) for key, v in sorted(base.items()) if now.get(key) != v]


def _released(tx: Transaction, activity_ids: list[str]) -> list[Released]:
    if not activity_ids:
        return []
    sums: dict[tuple[str | None, str], list[float]] = {}
    for start in range(0, len(activity_ids), 500):
        for step in tx.iter("release-steps",
                            Query(where={"activity_id": activity_ids[start:start + 500]})):
            key = (getattr(step, "hazard_id", None), str(getattr(step, "method", "")))
            acc = sums.setdefault(key, [0.0, 0])
            acc[0] += float(getattr(step, "area_m2", 0.0) or 0.0)
            acc[1] += 1
    return [Released(h, m, round(a, 1), int(n))
            for (h, m), (a, n) in sorted(sums.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))]


def _apply(tx: Transaction, lyr: Layer, sub: Submission, records: list[Record]
           ) -> tuple[list[Record], list[Record], list[str]]:
    """Write the submission's records in ``tx`` as an import does (hooks included); returns
    the new records, the updated ones and the hooks' messages. Conflict when a record it was
    checked against changed, InvalidInput when a check fails now."""
    conflicts = _conflicts(sub, _versions(tx, list(json.loads(sub.base_versions or "{}"))))
    if conflicts:
        raise Conflict.of("review.changed_since", id=sub.id, records=", ".join(
            f"{k} (version {v} then, {'gone' if n is None else n} now)"
            for k, v, n in conflicts[:10]), count=len(conflicts))
    new, changed = _split(tx, lyr, records)
    base: dict[str, int] = json.loads(sub.base_versions or "{}")
    problems = load.check_against_store(tx, lyr, new, _where(new))
    for r in changed:
        if f"{lyr.name}/{r.id}" not in base:  # stored since: the submission did not know it
            problems.append(Problem.of(f"record {r.id}", "id", "import.id_exists", id=r.id))
    if problems:
        raise InvalidInput(problems, source=sub.id)
    tx.add_many(new)
    for r in changed:
        r.version = base[f"{lyr.name}/{r.id}"]
        tx.update(r)
    messages = load.apply_hooks(tx, lyr.name, new)
    return new, changed, messages


def show(ctx: Context, sub_id: str) -> Preview:
    """What approving ``sub_id`` would change now: new records, updates (which record, its
    stored version), land released per hazard and method (the engine runs in a transaction
    that is rolled back; nothing is written), its messages, and every problem or conflict.
    The trial runs with the actor's rights on behalf of the submitter; where the actor may not
    make it (an operator), the problems say so and the land released is not shown."""
    sub = get(ctx, sub_id)
    lyr, records, problems = _decode(sub, ctx.today())
    view = Preview(sub, problems=list(problems),
                   warnings=warnings_of(sub))
    reader = ctx.reader
    base: dict[str, int] = json.loads(sub.base_versions or "{}")
    view.conflicts = _conflicts(sub, _versions(reader, list(base)))
    new, changed = _split(reader, lyr, records)
    view.new = [r.id for r in new]
    stored = _versions(reader, [f"{lyr.name}/{r.id}" for r in changed])
    view.updates = [(r.id, stored.get(f"{lyr.name}/{r.id}", 0)) for r in changed]
    if sub.status != SubmissionStatus.PENDING or view.problems:
        return view
    try:
        trial = ctx.store.as_actor(ctx.actor, on_behalf=_submitter(sub)) \
            if set(ctx.actor.roles) & {Role.APPROVER, Role.ADMIN} and not \
            _is_submitter(ctx.actor, sub) else ctx.reader
        with trial.transaction(clock=ctx.clock) as tx:
            written, _, view.messages = _apply(tx, lyr, sub, records)
            if lyr.name == "activities":
                view.released = _released(tx, [r.id for r in written])
            raise _Rollback
    except _Rollback:
        pass
    except Conflict:
        pass  # listed in view.conflicts
    except InvalidInput as exc:
        view.problems.extend(exc.problems)
    except Forbidden as exc:
        view.problems.append(Problem.of("input", None, "review.no_trial", reason=str(exc)))
    return view


def _is_submitter(actor: Actor, sub: Submission) -> bool:
    from mineaction.access.policy import same_person

    return same_person(actor, _submitter(sub))


def approve(ctx: Context, sub_id: str, note: str | None = None, *,
            version: int | None = None) -> Decision:
    """Approve ``sub_id``: write its records in one transaction, as an import does (land
    release included), owned by the submitter's organisation; mark it approved with who, when
    and ``note``; log the approval in the audit log. Forbidden for anyone but an approver or
    administrator, and for the submitter; Conflict when a record it was checked against has
    changed since it was submitted, or when it is no longer pending; InvalidInput (nothing
    written) when a check fails now. ``version``: the submission's version the caller saw
    (PreconditionFailed when it is no longer the stored one)."""
    sub = get(ctx, sub_id)
    _expect(sub, version)
    _pending(sub)
    lyr, records, problems = _decode(sub, ctx.today())
    if problems:
        raise InvalidInput(problems, source=sub.id)
    view = ctx.store.as_actor(ctx.actor, on_behalf=_submitter(sub))
    with view.transaction(clock=ctx.clock) as tx:
        # the decision first: of two approvers at once, the second waits on the submission's
        # row and finds it decided (Conflict), rather than checking records the first wrote
        _decide(ctx, tx, sub, SubmissionStatus.APPROVED, note)
        new, changed, messages = _apply(tx, lyr, sub, records)
        audit.record(tx, audit.APPROVE, layer=LAYER, record=sub.id, after=sub, detail={
            "layer": lyr.name, "note": note or "", "added": len(new),
            "updated": len(changed), "submitted_by": sub.submitted_by,
            "organisation": sub.submitter_org or "", "checksum": sub.checksum or ""})
    return Decision(sub, len(new), len(changed), messages)


def reject(ctx: Context, sub_id: str, note: str, *, version: int | None = None) -> Decision:
    """Reject ``sub_id``, keeping it with the reason ``note`` (required), who and when; the
    rejection is in the audit log. Same rights and ``version`` as :func:`approve`."""
    if not (note and note.strip()):
        raise InvalidInput.of("review.reject_needs_note")
    sub = get(ctx, sub_id)
    _expect(sub, version)
    _pending(sub)
    view = ctx.store.as_actor(ctx.actor, on_behalf=_submitter(sub))
    with view.transaction(clock=ctx.clock) as tx:
        _decide(ctx, tx, sub, SubmissionStatus.REJECTED, note)
        audit.record(tx, audit.REJECT, layer=LAYER, record=sub.id, after=sub,
                     detail={"layer": sub.target_layer, "note": note})
    return Decision(sub)


def _expect(sub: Submission, version: int | None) -> None:
    if version is not None and sub.version != version:
        raise PreconditionFailed.of("api.version_stale", id=sub.id, version=version,
                                    current=sub.version)


def _pending(sub: Submission) -> None:
    if sub.status != SubmissionStatus.PENDING:
        raise Conflict.of("review.already_decided", id=sub.id, status=sub.status.value,
                          by=sub.decided_by or "", at=sub.decided_at or "")


def _decide(ctx: Context, tx: Transaction, sub: Submission, status: SubmissionStatus,
            note: str | None) -> None:
    sub.status = status
    sub.decided_by = ctx.actor.name
    sub.decided_at = _stamp(ctx.now())
    sub.note = note
    tx.update(sub)


# -- for machines (the HTTP API) ------------------------------------------------------------

def submit_geojson_bytes(ctx: Context, name: str, data: bytes, *,
                         file_name: str = "api.geojson") -> Submission:
    """Stage a GeoJSON Feature or FeatureCollection (``data``, as sent) for layer ``name``:
    read as a GeoJSON file is (:func:`mineaction.io.readers.read_file`), then
    :func:`submit` with origin ``api`` and the SHA-256 of ``data``."""
    import tempfile

    from mineaction.io.readers import read_file

    _layer(name)
    with tempfile.TemporaryDirectory(prefix="mineaction-api-") as folder:
        path = Path(folder) / file_name
        path.write_bytes(data)
        src = read_file(path)
    return submit(ctx, name, src, origin=SubmissionOrigin.API, checksum=checksum(data))


def as_json(sub: Submission) -> dict[str, Any]:
    """A submission without its records: who, when, what for, its status and version."""
    return {"id": sub.id, "version": sub.version, "layer": sub.target_layer,
            "records": sub.record_count, "origin": sub.origin.value,
            "file_name": sub.file_name, "checksum": sub.checksum,
            "submitted_by": sub.submitted_by, "organisation": sub.submitter_org,
            "submitted_at": sub.submitted_at, "status": sub.status.value,
            "decided_by": sub.decided_by, "decided_at": sub.decided_at, "note": sub.note,
            "warnings": [str(w) for w in warnings_of(sub)]}


def warnings_of(sub: Submission) -> list[str]:
    """The warnings found when ``sub`` was checked (a CRS assumed, a datum chosen, ...), each
    sayable in the reader's language (:func:`mineaction.messages.in_locale`); warnings stored
    as plain text are given as they were."""
    return [note_from_json(w) for w in json.loads(sub.problems)] if sub.problems else []


def preview_json(view: Preview, locale: str = "en") -> dict[str, Any]:
    """:func:`show` as JSON: the submission, what approving would change now, its problems
    (code, parameters and text in ``locale``) and conflicts."""
    return {**as_json(view.submission), "warnings": [str(w) for w in view.warnings],
            "new": list(view.new),
            "updates": [{"id": rid, "version": v} for rid, v in view.updates],
            "released": [{"hazard_id": r.hazard_id, "method": r.method, "area_m2": r.area_m2,
                          "steps": r.steps} for r in view.released],
            "messages": list(view.messages),
            "problems": [{"where": p.where, "field": p.field, "code": p.code,
                          "params": {k: str(v) for k, v in p.params},
                          "text": p.text(locale)} for p in view.problems],
            "conflicts": [{"record": key, "checked_version": then, "stored_version": now}
                          for key, then, now in view.conflicts]}


def geometries(ctx: Context, sub_id: str) -> list[tuple[str, Any, Any]]:
    """Each record of ``sub_id`` with its submitted geometry and the geometry stored now
    under its id (None for a new record or one the actor may not see): what a map of the
    change draws."""
    sub = get(ctx, sub_id)
    lyr = get_layer(sub.target_layer)
    out = []
    for feat in json.loads(sub.records)["features"]:
        rid = str(feat["properties"].get("id"))
        new = None if feat.get("geometry") is None else shape(feat["geometry"])
        try:
            stored = getattr(ctx.reader.get(lyr.name, rid), "geometry", None)
        except NotFound:
            stored = None
        out.append((rid, new, stored))
    return out

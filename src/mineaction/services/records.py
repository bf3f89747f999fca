"""Minefield records: import, georeference, assess reliability, show one, withdraw one.

Documents are read before the service (a JSON text per file or request); withdrawn records
are kept as received and skipped by georeferencing and assessment, which say which ones."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mineaction.domain.minefield_records import MinefieldRecord, StoredMinefieldRecord
from mineaction.errors import InvalidInput, NotFound, Problem
from mineaction.io.writers import spreadsheet_text
from mineaction.services.context import Context

#: Largest tolerance: a find farther than this from a mine is no evidence about it.
MAX_TOLERANCE_M = 100.0

CSV_FIELDS = ("record_id", "status", "expected_mines", "matched_finds", "finds_in_field",
              "explained_share", "expected_on_covered_ground", "found_share_on_covered_ground",
              "shift_east_m", "shift_north_m", "rotation_deg", "scale", "residual_rms_m",
              "interpretation", "transformation")


def import_documents(ctx: Context, documents: Sequence[tuple[str, str]], *,
                     transformation: str | None = None, problems: list[Problem] | None = None
                     ) -> tuple[list[StoredMinefieldRecord], list[str]]:
    """Parse, georeference and store the records of ``documents`` (name, JSON text), all or
    nothing (``problems`` found while reading them included); the stored records and the
    warnings."""
    from mineaction.records.storage import import_records, parse_documents

    records = parse_documents(documents, problems, today=ctx.today())
    return import_records(ctx.reader, records, transformation=transformation)


@dataclass
class Selection:
    pairs: list[tuple[StoredMinefieldRecord, MinefieldRecord]]
    withdrawn: list[StoredMinefieldRecord] = field(default_factory=list)


def _select(ctx: Context, ids: list[str] | None) -> Selection:
    from mineaction.records.assess import stored_records

    withdrawn: list[StoredMinefieldRecord] = []
    try:
        pairs = list(stored_records(ctx.reader, ids, withdrawn=withdrawn))
    except NotFound as exc:
        raise InvalidInput([Problem.of("input", None, exc.code, **exc.params)]) from None
    except InvalidInput as exc:
        # A stored record that no longer reads (it came in before records were checked).
        raise InvalidInput([*exc.problems, Problem.of("hint", None, "records.withdraw_hint")],
                           source=exc.source) from None
    return Selection(pairs, withdrawn)


@dataclass
class Georeferenced:
    georefs: list[Any]  # Georef per record
    withdrawn: list[StoredMinefieldRecord]

    def geojson(self) -> dict[str, Any]:
        """Perimeters, rows and expected mines of every record, one FeatureCollection."""
        return {"type": "FeatureCollection",
                "features": [f for g in self.georefs for f in g.to_geojson()["features"]]}


def georef(ctx: Context, ids: list[str] | None = None, *, transformation: str | None = None
           ) -> Georeferenced:
    """Georeference the stored records again (all, or ``ids``) and save them."""
    from mineaction.records.storage import regeoreference

    sel = _select(ctx, ids)
    done = []
    with ctx.reader.transaction() as tx:
        for row, rec in sel.pairs:
            _, g = regeoreference(tx, row, rec, transformation)
            done.append(g)
    return Georeferenced(done, sel.withdrawn)


@dataclass
class Assessed:
    results: list[Any]  # Assessment per record
    aggregate: dict[str, Any]
    withdrawn: list[StoredMinefieldRecord]

    def as_json(self) -> dict[str, Any]:
        return {"records": [a.to_dict() for a in self.results], "aggregate": self.aggregate}

    def csv_text(self) -> str:
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore",
                           lineterminator="\n")
        w.writeheader()
        for a in self.results:
            w.writerow({k: spreadsheet_text(v) for k, v in a.to_dict().items()})
        return out.getvalue()


def assess(ctx: Context, ids: list[str] | None = None, *, tolerance_m: float = 3.0,
           transformation: str | None = None, datum_transformation: str | None = None,
           save: bool = True) -> Assessed:
    """Measure each record's reliability against the finds and the covered ground; with
    ``save``, write the status and assessment (dated ``ctx.today()``) onto each record."""
    from mineaction.records.assess import (
        AssessOptions,
        aggregate,
        assess_stored,
        save_assessment,
    )

    opts = AssessOptions(tolerance_m=tolerance_m, datum_transformation=datum_transformation)
    sel = _select(ctx, ids)
    assessed = [(row, assess_stored(ctx.reader, row, rec, opts, transformation=transformation))
                for row, rec in sel.pairs]
    if save:
        with ctx.reader.transaction() as tx:
            for row, a in assessed:
                save_assessment(tx, row, a, ctx.today())
    results = [a for _, a in assessed]
    return Assessed(results, aggregate(results), sel.withdrawn)


@dataclass
class Shown:
    row: StoredMinefieldRecord
    record: MinefieldRecord | None = None  # None when withdrawn
    georef: Any = None
    assessment: Any = None
    finds: Any = None  # lon/lat of the finds near it
    covered: Any = None  # ground covered by clearance or technical survey


def show(ctx: Context, record_id: str, *, transformation: str | None = None,
         tolerance_m: float = 3.0) -> Shown:
    """One record: what it says and its assessment now; a withdrawn record as it is, not
    assessed."""
    from mineaction.records.assess import (
        AssessOptions,
        assess_record,
        evidence_near,
        search_bbox,
    )
    from mineaction.records.georef import georeference

    try:
        stored = ctx.reader.get(StoredMinefieldRecord, record_id)
    except NotFound as exc:
        raise InvalidInput([Problem.of("input", None, exc.code, **exc.params)]) from None
    if stored.withdrawn_on is not None:
        return Shown(stored)
    ((row, rec),) = _select(ctx, [record_id]).pairs
    opts = AssessOptions(tolerance_m=tolerance_m)
    g = georeference(rec, transformation, warn=False)
    xy, fids, covered = evidence_near(ctx.reader, search_bbox(g, opts.search_m))
    a = assess_record(rec, xy, fids, covered, opts, transformation=transformation)
    return Shown(row, rec, g, a, xy, covered)


def check_figure(path: Path) -> Path:
    """``path`` if a figure can be drawn there (its suffix names a format)."""
    from mineaction.records.plot import FIGURE_SUFFIXES

    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise InvalidInput.of("cli.figure_suffix", path=path,
                              suffixes=", ".join(FIGURE_SUFFIXES))
    return path


def draw(shown: Shown, path: Path, *, locale: str = "en", status: str | None = None) -> None:
    """Draw the record, its correction and the finds around it to ``path``, its words in
    ``locale``."""
    from mineaction.records.plot import draw as draw_record

    draw_record(shown.assessment, shown.finds, shown.covered, path, locale=locale,
                status=status)


def withdraw(ctx: Context, record_id: str, reason: str) -> StoredMinefieldRecord:
    """Withdraw a record (kept as received, with ``ctx.today()`` and the reason); it is no
    longer georeferenced or assessed."""
    from mineaction.records.storage import withdraw as run

    return run(ctx.reader, record_id, reason, ctx.today())


#: What a decision on a proposed correction says.
ACCEPTED, REJECTED = "accepted", "rejected"


def decide(ctx: Context, record_id: str, *, accept: bool, note: str,
           version: int | None = None) -> StoredMinefieldRecord:
    """Accept or reject the corrected geometry proposed for a record (its assessment now,
    :meth:`~mineaction.records.assess.Assessment.proposal`), once; who, when and ``note``
    (required to reject) are kept on the record and in the audit log.

    Accepting applies the correction where hazards are kept
    (:func:`mineaction.release.engine.add_corrected`): the corrected perimeter joins the open
    hazard the record's perimeter lies on most, in a new version whose reason names the record
    and its assessment, else it becomes a new suspected hazardous area; the record refers to
    the version written, and its assessment is saved. Forbidden for anyone but an IM officer,
    approver or administrator (and the store refuses records and hazards of another country);
    Conflict when a decision was taken already; InvalidInput for no such record or one with no
    proposal; PreconditionFailed when ``version`` is not the record's stored version."""
    import json
    from dataclasses import replace

    from shapely.geometry import shape

    from mineaction import audit
    from mineaction.access.policy import check_correction_decider
    from mineaction.errors import Conflict, PreconditionFailed
    from mineaction.release.engine import add_corrected

    check_correction_decider(ctx.actor)
    note = (note or "").strip()
    if not accept and not note:
        raise InvalidInput.of("records.decision_needs_note")
    try:
        row = ctx.reader.get(StoredMinefieldRecord, record_id)
    except NotFound as exc:
        raise InvalidInput([Problem.of("input", None, exc.code, **exc.params)]) from None
    if version is not None and row.version != version:
        raise PreconditionFailed.of("api.version_stale", id=record_id, version=version,
                                    current=row.version)
    if row.decision is not None:
        raise Conflict.of("records.decided", id=record_id, decision=row.decision,
                          by=row.decided_by or "", on=row.decided_on or "")
    shown = show(ctx, record_id)
    row = shown.row
    a = shown.assessment
    proposal = a.proposal() if a is not None else None
    if a is None or proposal is None or not proposal.get("perimeter"):
        raise InvalidInput.of("records.no_proposal", id=record_id)
    today = ctx.today()
    with ctx.reader.transaction(clock=ctx.clock) as tx:
        current = tx.get(StoredMinefieldRecord, record_id)
        if current.version != row.version or current.decision is not None:
            raise PreconditionFailed.of("api.version_stale", id=record_id,
                                        version=row.version, current=current.version)
        change = None
        if accept:
            v = add_corrected(
                tx, row.geometry, shape(proposal["perimeter"]), today,
                new_id=f"{record_id}-corrected", source=row.source or record_id,
                reason=(f"minefield record {record_id}, assessment of {today.isoformat()} "
                        f"({a.status}): {a.interpretation}"))
            change = f"hazard-versions/{v.id}"
        new = replace(current, decision=ACCEPTED if accept else REJECTED,
                      decided_by=ctx.actor.name, decided_on=today, decision_note=note or None,
                      decision_change=change, assessment_status=a.status, assessed_on=today,
                      assessment=json.dumps(a.to_dict(full=True), ensure_ascii=False))
        stored = tx.update(new)
        audit.record(tx, audit.APPROVE if accept else audit.REJECT,
                     layer="minefield-records", record=record_id, after=stored,
                     detail={"what": "proposed correction", "note": note,
                             "changed": change or ""})
    assert isinstance(stored, StoredMinefieldRecord)
    return stored

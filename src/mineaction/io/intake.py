"""Bringing a file into a layer through a mapping, reconciled with what the store holds.

:func:`run` is the one path: the mapping (:mod:`mineaction.io.mapping`) turns the file's rows
into the layer's fields; :func:`mineaction.io.load.prepare` checks every row; then, in one
transaction, every record is matched with the stored ones by the layer's natural key (the
mapping's ``key``, by default the id):

- a record no stored one matches is **new** and added;
- one that matches a stored record with other values is **changed**: the stored record keeps
  its id and gets a new version, and a ``record-changes`` entry keeps each field's value before
  and after (nothing is overwritten without a trace);
- one that matches exactly is **unchanged** and counted;
- for a layer that holds people, the personal data a newer copy holds for a matched record is
  compared with its stored personal record (read only by whoever may read personal data): a
  difference makes the record **changed**, and the personal record is updated, a value the
  copy leaves blank keeping the stored one (nothing is erased); the ``record-changes`` entry
  names the personal fields changed (under ``personal``), never their values;
- a stored record of the same origin (the same mapping, or the same file name without one;
  within the mapping's ``scope``) that the file no longer holds is **missing**: reported, and
  retired only when asked (``retire_missing``: a new version noted as retired).

Matching by key, not by id, means a copy imported again under another id pattern finds its
records already there instead of doubling them. Records with equal keys (two victims of the
same month, place and kind) are matched by how many there are of each.

An import is all or nothing unless the caller accepts a partial one (``partial``: the good
rows are written, the bad ones are returned to be written to a rejects file). A dry run does
everything, the land release of activities included, inside the transaction and then rolls it
back, so its summary is what the import would do. Every import that writes is recorded in the
``imports`` layer (file name, SHA-256, rows, dates found, description) and the records it
writes name it in their ``source``.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from mineaction.domain.intake import IMPORT_SOURCE, ChangeKind, ImportRun, RecordChange
from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.schema import Record, SpatialRecord, is_blank
from mineaction.errors import Forbidden, InvalidInput, Problem
from mineaction.io import load
from mineaction.io import mapping as mappings
from mineaction.io.readers import InputFeature, SourceFile
from mineaction.messages import Note, render
from mineaction.store.base import Progress, Reader, Store, Transaction

#: Fields never compared between a stored record and a newer copy's: set by the store or by
#: the import itself.
NOT_COMPARED = frozenset({"id", "version", "owner", "source"})
#: How many examples of each reason a summary keeps.
EXAMPLES = 3
#: The field of a personal record (of a layer's ``private_companion``) naming its record.
PERSONAL_LINK = "victim_id"
#: The key of a record change naming the personal fields a re-import changed (never their
#: values: the record-changes layer is not personal).
PERSONAL_KEY = "personal"
#: How many records' personal data one read asks for.
PERSONAL_BATCH = 500


@dataclass
class Outcome:
    """What an import did (or, in a dry run, would do)."""

    layer: str
    file_name: str
    sha256: str
    rows: int
    dry_run: bool = False
    import_id: str | None = None
    mapping: str | None = None
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0
    retired: int = 0
    rejected: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    problems: list[Problem] = field(default_factory=list)
    #: (field, column, value) -> rows holding a value the mapping's table does not translate
    unmapped: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    uncovered: list[str] = field(default_factory=list)
    #: method -> m² the import's activities release (the sum of release steps, per method)
    released: dict[str, float] = field(default_factory=dict)
    #: the bad rows, in the input's own terms, each with its reasons (partial imports)
    rejects: list[tuple[InputFeature, list[Problem]]] = field(default_factory=list)
    missing_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    repairs: list[load.RepairEffect] = field(default_factory=list)
    source_crs: str | None = None
    operation: str | None = None

    @property
    def count(self) -> int:
        """Records written: added and changed."""
        return self.added + self.changed


@dataclass(frozen=True)
class Options:
    crs: str | None = None
    operation: str | None = None
    repair: bool = False
    allow_large: bool = False
    dry_run: bool = False
    partial: bool = False  # write the good rows, return the bad ones (--rejects)
    retire_missing: bool = False
    description: str | None = None  # --source TEXT
    actor: str | None = None


class _DryRun(Exception):
    pass


class ImportRefused(InvalidInput):
    """InvalidInput of an all-or-nothing import, with what the import found on the way
    (``outcome``: the values no table translated, the columns no mapping named)."""

    def __init__(self, problems: list[Problem], outcome: Outcome, source: str):
        super().__init__(problems, source=source)
        self.outcome = outcome


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(src: SourceFile) -> str:
    """The SHA-256 of the file ``src`` was read from (of its rows, when it is not a file)."""
    p = Path(src.path)
    if p.is_file():
        return sha256_of(p)
    h = hashlib.sha256()
    for f in src.features:
        h.update(json.dumps(f.properties, sort_keys=True, default=str).encode("utf-8"))
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Natural keys and comparison


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(str(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def key_of(record: Record, key: Sequence[str]) -> tuple[Any, ...]:
    return tuple(_plain(getattr(record, k, None)) for k in key)


def _attrs(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def differences(stored: Record, incoming: Record) -> dict[str, list[Any]]:
    """Each field whose value differs, as {field: [stored, incoming]} (JSON-ready); the
    geometry is compared exactly (as WKT on output)."""
    out: dict[str, list[Any]] = {}
    for f in dataclasses.fields(stored):
        name = f.name
        if name in NOT_COMPARED:
            continue
        a, b = getattr(stored, name, None), getattr(incoming, name, None)
        if name == "geometry":
            same = (a is None and b is None) or (a is not None and b is not None
                                                 and a.equals_exact(b, 1e-9))
            if not same:
                out[name] = [a.wkt[:200] if a is not None else None,
                             b.wkt[:200] if b is not None else None]
            continue
        if name == "country" and b is None:
            continue  # set by the store from the area or the owner when not given
        if name == "attributes":
            a, b = _attrs(a), _attrs(b)
        if _plain(a) != _plain(b):
            out[name] = [_plain(a), _plain(b)]
    return out


@dataclass
class Match:
    new: list[Record] = field(default_factory=list)
    changed: list[tuple[Record, Record, dict[str, list[Any]]]] = field(default_factory=list)
    unchanged: list[tuple[Record, Record]] = field(default_factory=list)
    missing: list[Record] = field(default_factory=list)
    #: stored record id -> (its stored personal record, None when it has none; the personal
    #: record to write; the personal fields that change), for matched records only
    personal: dict[str, tuple[Record | None, Record, list[str]]] = field(default_factory=dict)


def _origins(reader: Reader, m: mappings.Mapping | None, file_name: str,
             layer: Layer) -> set[str]:
    """The ``source`` values of stored records of the same origin as this import."""
    out: set[str] = set()
    if m is not None and m.path is not None:
        out.add(m.source)  # a register imported before imports were recorded
    else:
        out.add(f"file:{file_name}")  # a file imported before imports were recorded
    for run in reader.iter("imports", target_layer=layer.name):
        assert isinstance(run, ImportRun)
        same = (run.mapping == m.name) if (m is not None and m.path is not None) else (
            run.mapping is None and run.file_name == file_name)
        if same:
            out.add(IMPORT_SOURCE + run.id)
    return out


def match(reader: Reader, layer: Layer, records: list[Record], key: Sequence[str],
          origins: set[str], scope: Sequence[str] = ()) -> Match:
    """Pair ``records`` with the stored records of ``layer`` by ``key`` (see the module)."""
    stored_by_key: dict[tuple[Any, ...], list[Record]] = defaultdict(list)
    for r in reader.iter(layer.name):
        stored_by_key[key_of(r, key)].append(r)
    out = Match()
    incoming_by_key: dict[tuple[Any, ...], list[Record]] = defaultdict(list)
    for r in records:
        incoming_by_key[key_of(r, key)].append(r)
    used: set[str] = set()
    for k, group in incoming_by_key.items():
        candidates = list(stored_by_key.get(k, ()))
        by_id = {s.id: s for s in candidates}
        rest: list[Record] = []
        pairs: list[tuple[Record, Record]] = []
        for r in group:  # the same id first, then in order
            s = by_id.pop(r.id, None)
            if s is not None:
                pairs.append((s, r))
            else:
                rest.append(r)
        free = [s for s in candidates if s.id in by_id]
        unpaired: list[Record] = []
        for r in rest:  # then a stored record that is the same in every field
            same = next((i for i, s in enumerate(free) if not differences(s, r)), None)
            if same is None:
                unpaired.append(r)
            else:
                pairs.append((free.pop(same), r))
        for r in unpaired:  # then any, in order: a changed record
            if free:
                pairs.append((free.pop(0), r))
            else:
                out.new.append(r)
        for s, r in pairs:
            used.add(s.id)
            diff = differences(s, r)
            if diff:
                out.changed.append((s, r, diff))
            else:
                out.unchanged.append((s, r))
    scopes = {tuple(_plain(getattr(r, f, None)) for f in scope) for r in records}
    for group in stored_by_key.values():
        for s in group:
            if s.id in used or s.source not in origins:
                continue
            if scope and tuple(_plain(getattr(s, f, None)) for f in scope) not in scopes:
                continue
            out.missing.append(s)
    out.missing.sort(key=lambda r: r.id)
    return out


def merge_personal(stored: Record, incoming: Record) -> tuple[dict[str, Any], list[str]]:
    """What a newer copy's personal record ``incoming`` changes in the ``stored`` one: the
    new values by field, and the names of the fields changed. A field the copy leaves blank
    keeps the stored value (personal data is never erased by a re-import); attributes are
    merged key by key."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(stored):
        name = f.name
        if name in NOT_COMPARED or name == PERSONAL_LINK:
            continue
        old, new = getattr(stored, name, None), getattr(incoming, name, None)
        if is_blank(new):
            continue
        if name == "attributes":
            a, b = _attrs(old), _attrs(new)
            if isinstance(b, dict) and (a is None or isinstance(a, dict)):
                b = {**(a or {}), **b}
                new = json.dumps(b, ensure_ascii=False, sort_keys=True, default=str)
            if _plain(a) == _plain(b):
                continue
        elif _plain(old) == _plain(new):
            continue
        values[name] = new
    return values, sorted(values)


def personal_changes(reader: Reader, layer: Layer, found: Match,
                     private: Sequence[Record]) -> int:
    """Compare the personal records of a newer copy (``private``, of ``layer``'s private
    companion) with the stored personal records of the records ``found`` matched, and note in
    ``found.personal`` those to update or add: a matched record whose personal data changes
    is changed (an unchanged one moves to ``found.changed``), its diff naming the personal
    fields changed under :data:`PERSONAL_KEY`, never their values.

    Returns how many matched records' personal data could not be compared because
    ``reader`` may not read personal data (nothing of it is then changed); else 0."""
    if not layer.private_companion or not private:
        return 0
    companion = get_layer(layer.private_companion)
    incoming: dict[str, Record] = {}
    for p in private:
        incoming.setdefault(getattr(p, PERSONAL_LINK), p)
    pairs = [(s, r) for s, r, _ in found.changed] + list(found.unchanged)
    wanted = {s.id: incoming[r.id] for s, r in pairs if r.id in incoming}
    if not wanted:
        return 0
    stored: dict[str, Record] = {}
    ids = sorted(wanted)
    try:
        for start in range(0, len(ids), PERSONAL_BATCH):
            for p in reader.iter(companion.name, **{PERSONAL_LINK: ids[start:start
                                                                        + PERSONAL_BATCH]}):
                owner_id = getattr(p, PERSONAL_LINK)
                if owner_id not in stored or p.id == f"{owner_id}/personal":
                    stored[owner_id] = p
    except Forbidden:
        return len(wanted)
    for sid, inc in wanted.items():
        old = stored.get(sid)
        if old is None:  # personal data new for a stored record
            linked: dict[str, Any] = {"id": f"{sid}/personal", PERSONAL_LINK: sid}
            rec = dataclasses.replace(inc, **linked)
            names = sorted(f.name for f in dataclasses.fields(inc)
                           if f.name not in NOT_COMPARED and f.name != PERSONAL_LINK
                           and not is_blank(getattr(inc, f.name, None)))
            if names:
                found.personal[sid] = (None, rec, names)
            continue
        values, names = merge_personal(old, inc)
        if names:
            found.personal[sid] = (old, dataclasses.replace(old, **values), names)
    if not found.personal:
        return 0
    for s, _, diff in found.changed:
        if s.id in found.personal:
            diff[PERSONAL_KEY] = found.personal[s.id][2]
    unchanged = []
    for s, r in found.unchanged:
        if s.id in found.personal:
            found.changed.append((s, r, {PERSONAL_KEY: found.personal[s.id][2]}))
        else:
            unchanged.append((s, r))
    found.unchanged = unchanged
    return 0


# ---------------------------------------------------------------------------------------------
# The import


def _dates(records: Iterable[Record], layer: Layer) -> tuple[dt.date | None, dt.date | None]:
    names = [f.name for f in layer.fields if f.kind == "date"]
    found = [d for r in records for n in names if isinstance(d := getattr(r, n, None), dt.date)]
    return (min(found), max(found)) if found else (None, None)


def _where_of(records: list[Record], result: load.ImportResult) -> dict[int, str]:
    return {id(r): result.rows.get(r.id, f"record {r.id}") for r in records}


def _references(tx: Reader, layer: Layer, records: list[Record], where: dict[int, str],
                stored_ids: set[str]) -> list[Problem]:
    """References to records that exist neither in the file nor in the store, and new ids
    that a stored record of another key already has."""
    problems: list[Problem] = []
    taken = tx.existing_ids(layer, [r.id for r in records if r.id not in stored_ids])
    for r in records:
        if r.id in taken:
            problems.append(Problem.of(where[id(r)], "id", "import.id_exists", id=r.id))
    return problems + load.reference_problems(tx, layer, records, lambda r: where[id(r)])


#: Fields of a hazard that the land release engine changes: a re-import may not change them
#: once land has been released from the hazard (a newer copy of the original polygons would
#: give the released land back).
RELEASE_FIELDS = frozenset({"geometry", "status", "closed_on", "closed_by", "kind"})


def _released(tx: Reader, layer: Layer, found: Match, where: dict[int, str]) -> list[Problem]:
    """A change to what the land release engine maintains, on a hazard it has released land
    from: refused, naming the row and the fields."""
    if layer.name != "hazards" or not found.changed:
        return []
    touched = {s.id: (r, diff) for s, r, diff in found.changed if RELEASE_FIELDS & set(diff)}
    if not touched:
        return []
    released = {str(row["hazard_id"]) for row in tx.aggregate(
        "release-steps", ["hazard_id"], where={"hazard_id": sorted(touched)})}
    return [Problem.of(where[id(r)], ", ".join(sorted(RELEASE_FIELDS & set(diff))),
                       "intake.hazard_released", id=hid)
            for hid, (r, diff) in sorted(touched.items()) if hid in released]


def _run_id(tx: Reader, now: dt.datetime, digest: str) -> str:
    base = f"IMP-{now:%Y%m%dT%H%M%S}-{digest[:8]}"
    taken = tx.existing_ids("imports", [base] + [f"{base}-{i}" for i in range(2, 50)])
    if base not in taken:
        return base
    return next(f"{base}-{i}" for i in range(2, 1000) if f"{base}-{i}" not in taken)


def run(store: Store, layer_name: str, src: SourceFile, m: mappings.Mapping | None = None,
        options: Options = Options(), *, today: dt.date | None = None,
        now: Callable[[], dt.datetime] | None = None,
        progress: Progress | None = None) -> Outcome:
    """Import ``src`` into ``layer_name`` through mapping ``m`` (see the module).

    Raises InvalidInput listing every problem when a row is bad and the import is neither a
    dry run nor partial (nothing is written). A dry run raises nothing for bad rows: its
    outcome lists them, and nothing is written."""
    load.check_importable(layer_name)
    load._load_hooks()
    layer = get_layer(layer_name)
    today = today or dt.date.today()
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    digest = file_digest(src)
    out = Outcome(layer.name, Path(src.path).name, digest, len(src.features),
                  dry_run=options.dry_run, mapping=m.name if m and m.path else None)
    unmapped = mappings.unmapped_required(m, src) if m else []
    if unmapped:  # said once, before any row is read
        out.problems = unmapped
        if options.dry_run:
            return out
        raise ImportRefused(unmapped, out, str(src.path))
    applied = mappings.apply(m or mappings.empty(layer.name), src)
    out.unmapped, out.uncovered = applied.unmapped, applied.uncovered
    out.warnings.extend(Note("intake.system_column_ignored", column=c) for c in applied.ignored)
    problems = list(applied.problems)
    territory = store.extent("admin-areas") if layer.spatial else None
    records, more, result = load.prepare(layer, applied.src, crs=options.crs,
                                         operation=options.operation, do_repair=options.repair,
                                         today=today, allow_large=options.allow_large,
                                         territory=territory)  # type: ignore[arg-type]
    problems.extend(more)
    out.warnings.extend(result.warnings)
    out.repairs, out.source_crs, out.operation = result.repairs, result.source_crs, \
        result.operation
    where = _where_of(records, result)
    key = m.key if m else ("id",)
    scope = tuple(m.head.get("scope", ())) if m else ()
    row_wheres = {f.where for f in src.features}
    try:
        with store.transaction() as tx:
            # before matching: a check may complete a record (its area, found by location)
            # a field whose values are codes of an outside list (a register's municipality
            # codes) is not checked against the stored areas
            outside = {name for name, f in (m.fields.items() if m else ())
                       if f.get("outside_codes")}
            problems.extend(p for p in load.run_checks(tx, layer, records, {
                r.id: where.get(id(r), f"record {r.id}") for r in records})
                if not (p.code == "areas.unknown_area" and p.field in outside))
            found = match(tx, layer, records, key, _origins(tx, m, out.file_name, layer), scope)
            unread = personal_changes(tx, layer, found, result.private)
            if unread:
                out.warnings.append(Note("intake.personal_not_compared", count=unread,
                                         layer=layer.name))
            stored_ids = {c[0].id for c in found.changed} | {s.id for s, _ in found.unchanged}
            # a changed record keeps the stored id: references are checked on what is written
            for s, r, _ in found.changed:
                where[id(r)] = where.get(id(r), s.id)
            problems.extend(_references(tx, layer, found.new + [r for _, r, _ in found.changed],
                                        where, stored_ids))
            problems.extend(_released(tx, layer, found, where))
            out.problems = problems
            bad = {p.where for p in problems}
            if bad and not (bad <= row_wheres):  # a problem of the file as a whole
                if options.dry_run:
                    raise _DryRun
                raise ImportRefused(problems, out, str(src.path))
            if bad and not options.partial and not options.dry_run:
                raise ImportRefused(problems, out, str(src.path))
            if options.partial or options.dry_run:
                found.new = [r for r in found.new if where.get(id(r)) not in bad]
                found.changed = [c for c in found.changed if where.get(id(c[1])) not in bad]
                found.unchanged = [c for c in found.unchanged
                                   if where.get(id(c[1])) not in bad]
                by_where: dict[str, list[Problem]] = defaultdict(list)
                for p in problems:
                    by_where[p.where].append(p)
                out.rejects = [(applied.originals.get(f.where, f), by_where[f.where])
                               for f in src.features if f.where in bad]
                out.rejected = len(out.rejects)
                found.missing = _not_rejected(found.missing, applied.src, bad, key, out)
            kept = found.new + [r for _, r, _ in found.changed] + [r for _, r in found.unchanged]
            out.first_date, out.last_date = _dates(kept, layer)
            out.added, out.changed, out.unchanged = (len(found.new), len(found.changed),
                                                     len(found.unchanged))
            out.missing, out.missing_ids = len(found.missing), [r.id for r in found.missing]
            _write(tx, layer, m, out, found, result, options, today, clock(), progress)
            if options.dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return out


def _not_rejected(missing: list[Record], src: SourceFile, bad: set[str],
                  key: Sequence[str], out: Outcome) -> list[Record]:
    """The stored records no row of the file stands for, rejected rows included: a record
    whose row was rejected is still in the file (its row is to be corrected), so it is neither
    missing nor retired. A rejected row whose id and key cannot be read could stand for any
    of them: then none is taken as missing, and the outcome says why."""
    def text(value: Any) -> str:
        return str(_plain(value)).strip().casefold()

    ids: set[str] = set()
    keys: set[tuple[str, ...]] = set()
    for f in src.features:
        if f.where not in bad:
            continue
        found_id = load._raw_id(f)
        values = [f.properties.get(k) for k in key]
        if found_id in (None, "") and any(v in (None, "") for v in values):
            out.warnings.append(Note("intake.missing_unknown_rejected", where=f.where))
            return []
        if found_id not in (None, ""):
            ids.add(text(found_id))
        if all(v not in (None, "") for v in values):
            keys.add(tuple(text(v) for v in values))
    return [s for s in missing if text(s.id) not in ids
            and tuple(text(getattr(s, k, None)) for k in key) not in keys]


def _write(tx: Transaction, layer: Layer, m: mappings.Mapping | None, out: Outcome,
           found: Match, result: load.ImportResult, options: Options, today: dt.date,
           now: dt.datetime, progress: Progress | None) -> None:
    run_id = _run_id(tx, now, out.sha256)
    out.import_id = run_id
    label = IMPORT_SOURCE + run_id
    if options.retire_missing:
        out.retired = out.missing
    tx.add(ImportRun(id=run_id, target_layer=layer.name, file_name=out.file_name,
                     sha256=out.sha256, rows=out.rows, first_date=out.first_date,
                     last_date=out.last_date, description=options.description,
                     mapping=out.mapping, credit=m.credit if m else None,
                     imported_at=now.isoformat(timespec="seconds"),
                     imported_by=options.actor, added=out.added, changed=out.changed,
                     unchanged=out.unchanged, missing=out.missing, retired=out.retired,
                     rejected=out.rejected))
    for r in found.new:
        if r.source is None:
            r.source = label
    new_ids = {r.id for r in found.new}
    private = [p for p in result.private if getattr(p, "victim_id", None) in new_ids]
    for p in private:
        if p.source is None:
            p.source = label
    tx.add_many(found.new, progress)
    if private:
        tx.add_many(private)
    changes: list[Record] = []
    added_private: list[Record] = []
    for stored, incoming, diff in found.changed:
        incoming.id, incoming.version, incoming.owner = stored.id, stored.version, stored.owner
        incoming.source = label
        if isinstance(stored, SpatialRecord) and isinstance(incoming, SpatialRecord) \
                and incoming.geometry is None and "geometry" not in diff:
            incoming.geometry = stored.geometry
        if incoming.country is None:
            incoming.country = stored.country
        done = tx.update(incoming)
        if stored.id in found.personal:  # written as any record is (versioned, audited)
            before, personal, _ = found.personal[stored.id]
            personal.source = label
            if before is None:
                added_private.append(personal)
            else:
                tx.update(personal)
        changes.append(RecordChange(
            id=f"{layer.name}/{stored.id}/v{done.version}", target_layer=layer.name,
            record_id=stored.id, record_version=done.version, import_id=run_id,
            kind=ChangeKind.CHANGED, changed_on=today,
            changes=json.dumps(diff, ensure_ascii=False, sort_keys=True, default=str)))
    if added_private:
        tx.add_many(added_private)
    if options.retire_missing:
        for stored in found.missing:
            note = render("intake.retired_note", {"import_id": run_id,
                                                  "date": today.isoformat()})
            stored.notes = f"{stored.notes}; {note}" if stored.notes else note
            done = tx.update(stored)
            changes.append(RecordChange(
                id=f"{layer.name}/{stored.id}/v{done.version}", target_layer=layer.name,
                record_id=stored.id, record_version=done.version, import_id=run_id,
                kind=ChangeKind.RETIRED, changed_on=today))
    if changes:
        tx.add_many(changes)
    hooks = load._HOOKS.get(layer.name, [])
    for hook in hooks:
        out.messages.extend(hook(tx, found.new, progress))
    if hooks and found.changed:
        out.warnings.append(Note("intake.changed_not_reapplied", count=len(found.changed),
                                 layer=layer.name))
    if layer.name == "activities" and found.new:
        ids = sorted(new_ids)
        for row in tx.aggregate("release-steps", ["method"], sums=["area_m2"],
                                where={"activity_id": ids}):
            out.released[str(row["method"])] = float(row["area_m2"] or 0.0)


# ---------------------------------------------------------------------------------------------
# Summaries and files of problems


@dataclass(frozen=True)
class ReasonCount:
    code: str
    count: int
    examples: list[Problem]


def by_reason(problems: Sequence[Problem]) -> list[ReasonCount]:
    """Problems grouped by reason (message code), most frequent first, with the first
    :data:`EXAMPLES` of each."""
    groups: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        groups[p.code].append(p)
    return sorted((ReasonCount(code, len(ps), ps[:EXAMPLES]) for code, ps in groups.items()),
                  key=lambda g: (-g.count, g.code))


def problem_value(p: Problem, originals: dict[str, InputFeature] | None = None) -> str:
    params = dict(p.params)
    for name in ("value", "raw", "id"):
        if name in params:
            return str(params[name])
    if originals and p.where in originals and p.field:
        v = originals[p.where].properties.get(p.field)
        return "" if v is None else str(v)
    return ""


PROBLEM_COLUMNS = ("row", "field", "value", "code", "reason")


def write_problems(path: Path, problems: Sequence[Problem], locale: str = "en",
                   originals: dict[str, InputFeature] | None = None) -> int:
    """Every problem on a line of a CSV file (row, field, value, reason code and text)."""
    from mineaction.io.writers import spreadsheet_text

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PROBLEM_COLUMNS)
        for p in problems:
            w.writerow([spreadsheet_text(v) for v in (
                p.where, p.field or "", problem_value(p, originals), p.code, p.text(locale))])
    return len(problems)


REASON_COLUMN = "reject_reason"


def write_rejects(path: Path, src: SourceFile,
                  rejects: Sequence[tuple[InputFeature, list[Problem]]],
                  locale: str = "en") -> int:
    """The rejected rows, as they were read, in the input's format (CSV stays CSV, GeoJSON
    stays GeoJSON, any other format becomes a GeoPackage layer), with a column saying why."""
    from mineaction.io.writers import spreadsheet_text

    def reason(problems: list[Problem]) -> str:
        return "; ".join(p.line(locale) for p in problems)

    # a geometry unreadable in a table is its columns as given (a GeoJSON's is its object)
    columns = src.format in ("CSV", "XLSX")
    header: list[str] = []
    for f, _ in rejects:
        for k in [*f.properties, *((f.raw_geometry or {}) if columns else {})]:
            if k not in header:
                header.append(str(k))
    suffix = path.suffix.lower()

    def value(f: InputFeature, h: str) -> Any:
        """A cell of a reject: its value, or its geometry as the file gave it (unreadable)."""
        if h in f.properties:
            return f.properties[h]
        if h == "wkt" and f.geometry is not None:
            return f.geometry.wkt
        return (f.raw_geometry or {}).get(h) if columns else None

    if suffix == ".xlsx" or (src.format == "XLSX" and suffix not in (".csv", ".geojson",
                                                                     ".json", ".gpkg")):
        from openpyxl import Workbook

        from mineaction.io.writers import xlsx_row

        wb = Workbook()
        ws = wb.active
        ws.title = "rejects"
        if any(f.geometry is not None for f, _ in rejects) and "wkt" not in header:
            header.append("wkt")
        xlsx_row(ws, [*header, REASON_COLUMN])
        for f, ps in rejects:
            xlsx_row(ws, [value(f, h) for h in header] + [reason(ps)])
        wb.save(path)
        return len(rejects)
    if src.format == "CSV" or suffix == ".csv":
        # the reader turned geometry columns into the geometry: written back as WKT (a
        # geometry it could not read, as the file gave it)
        if any(f.geometry is not None for f, _ in rejects) and "wkt" not in header:
            header.append("wkt")
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([*header, REASON_COLUMN])
            for f, ps in rejects:
                cells = (value(f, h) for h in header)
                w.writerow([spreadsheet_text("" if v is None else v) for v in cells]
                           + [spreadsheet_text(reason(ps))])
        return len(rejects)
    import shapely

    feats = []
    for f, ps in rejects:
        geom = (json.loads(shapely.to_geojson(f.geometry)) if f.geometry is not None
                else None if columns else (f.raw_geometry or {}).get("geometry"))
        props = {k: (v if isinstance(v, (str, int, float, bool)) or v is None else str(v))
                 for k, v in f.properties.items()}
        feats.append({"type": "Feature", "properties": {**props, REASON_COLUMN: reason(ps)},
                      "geometry": geom})
    if suffix in (".geojson", ".json"):
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats},
                                   ensure_ascii=False), encoding="utf-8")
        return len(rejects)
    import pyogrio.raw

    tmp = path.with_suffix(".tmp.geojson")
    tmp.write_text(json.dumps({"type": "FeatureCollection", "features": feats},
                              ensure_ascii=False), encoding="utf-8")
    try:
        meta, _, geometry, field_data = pyogrio.raw.read(tmp)
        pyogrio.raw.write(path, geometry, field_data, meta["fields"], layer="rejects",
                          driver="GPKG", geometry_type=meta.get("geometry_type"),
                          crs=src.crs or "EPSG:4326", encoding="UTF-8")
    finally:
        tmp.unlink(missing_ok=True)
    return len(rejects)


# ---------------------------------------------------------------------------------------------
# Credits


def credit(reader: Reader, source: str | None) -> str | None:
    """The credit line for records whose ``source`` is ``source``: for an import, its source
    (the mapping's credit or the description given), file, checksum, rows and dates; for a
    register imported before imports were recorded, its mapping's credit; else None."""
    from mineaction.errors import MineActionError
    from mineaction.io.victims_register import credit_for

    if not source:
        return None
    if source.startswith(IMPORT_SOURCE):
        try:
            run = reader.get("imports", source[len(IMPORT_SOURCE):])
        except (MineActionError, KeyError):
            return None
        assert isinstance(run, ImportRun)
        return import_credit(run)
    return credit_for(source)


def import_credit(run: ImportRun) -> Note:
    """An import's credit line, said in the reader's language: its source (the mapping's
    credit or the description given), file, checksum, rows and dates."""
    said: dict[str, Any] = {"what": run.credit or run.description or run.file_name,
                            "file": run.file_name, "sha256": run.sha256[:12],
                            "rows": run.rows, "imported": run.imported_at[:10]}
    if run.first_date and run.last_date and run.first_date != run.last_date:
        return Note("intake.credit_span", **said, first=run.first_date.isoformat(),
                    last=run.last_date.isoformat())
    if run.first_date and run.last_date:
        return Note("intake.credit_day", **said, first=run.first_date.isoformat())
    return Note("intake.credit", **said)

"""Checking the log: the chain recomputed entry by entry, and every checkpoint's signature.

What a verification can and cannot see:

- an entry changed, deleted, inserted or moved anywhere is found, and the first bad one named,
  unless whoever did it also recomputed the hash of every entry after it (which needs only
  write access to the table, once the trigger is dropped);
- such a rewritten chain is found by the first signed checkpoint after the change: the chain no
  longer hashes to the head it signed (the report names the stretch between the last good
  checkpoint and that one);
- entries deleted or rewritten after the last checkpoint are found only by comparing with a
  head exported earlier (``mineaction audit head``; ``verify --head SEQ:HASH``);
- a checkpoint proves who signed it only against keys given as trusted (``--trust``); without
  them it is checked against the public key stored with it, which whoever rewrote the chain
  could have replaced with their own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from mineaction.audit import checkpoint as cp
from mineaction.audit.canonical import GENESIS, entry_hash
from mineaction.audit.log import CHECKPOINT, COLUMNS, TABLE, json_detail
from mineaction.messages import Message, Note, render

#: Entries read per round trip.
READ_BATCH = 5000


@dataclass
class Report:
    """The outcome of :func:`verify`. ``ok`` with the entries checked and the head, or the
    first bad entry (``bad_seq``) and what is wrong with it (``problem``)."""

    from_seq: int = 1
    count: int = 0
    head: tuple[int, str] | None = None
    checkpoints: int = 0
    last_checkpoint: int | None = None
    keys: set[str] = field(default_factory=set)
    trusted: bool = False
    bad_seq: int | None = None
    problem: Note | None = None  # English as text, said in any language

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self, locale: str = "en") -> str:
        """What the verification found, in ``locale``."""
        if not self.ok:
            return render("audit.broken", {"seq": self.bad_seq, "problem": self.problem},
                          locale)
        if self.head is None:
            return render("audit.ok_empty", {}, locale)
        span = (Message.of("audit.span_none", seq=self.from_seq) if self.count == 0 else
                Message.of("audit.span_one", seq=self.from_seq) if self.count == 1 else
                Message.of("audit.span_many", first=self.from_seq, last=self.head[0]))
        parts = [render("audit.ok_entries", {"count": self.count, "span": span,
                                             "head": f"{self.head[0]}:{self.head[1]}"}, locale)]
        if self.checkpoints:
            parts.append(render(
                "audit.checkpoints_trusted" if self.trusted else "audit.checkpoints_untrusted",
                {"count": self.checkpoints, "last": self.last_checkpoint,
                 "keys": ", ".join(sorted(self.keys))}, locale))
        else:
            parts.append(render("audit.no_checkpoint", {}, locale))
        return "; ".join(parts)


def rows(conn: Connection, from_seq: int = 1) -> Iterator[dict[str, Any]]:
    """The entries from ``from_seq`` on, in ``seq`` order, as mappings of :data:`COLUMNS`."""
    result = conn.exec_driver_sql(
        f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE seq >= {int(from_seq)} ORDER BY seq",
        execution_options={"yield_per": READ_BATCH})
    for part in result.partitions(READ_BATCH):
        for r in part:
            yield dict(zip(COLUMNS, r, strict=True))


def verify(conn: Connection, *, from_seq: int = 1,
           trusted: Mapping[str, Ed25519PublicKey] | None = None,
           expect_head: tuple[int, str] | None = None) -> Report:
    """Recompute the chain from entry ``from_seq`` (trusting the stored hash of the entry
    before it) and check every checkpoint on the way; with ``trusted`` (key id -> public key)
    each must be signed by one of those keys; with ``expect_head`` (seq, hash, as
    ``audit head`` printed it earlier) the log must still hold that entry with that hash."""
    report = Report(from_seq=max(1, int(from_seq)), trusted=trusted is not None)
    trust = dict(trusted) if trusted is not None else None
    start = report.from_seq
    prev = GENESIS
    if start > 1:
        found = conn.exec_driver_sql(f"SELECT hash FROM {TABLE} WHERE seq = {start - 1}").scalar()
        if found is None:
            return _bad(report, start - 1, Note("audit.start_missing", seq=start - 1,
                                                start=start))
        prev = str(found)
    expected = start
    recent: deque[tuple[int, str]] = deque(maxlen=3)  # (seq, hash) of the last good entries
    recent.append((start - 1, prev))
    good_from = start  # the first entry after the last good checkpoint
    for row in rows(conn, start):
        seq = int(row["seq"])
        if seq != expected:
            return _bad(report, expected, Note("audit.missing_one", seq=expected, next=seq)
                        if seq == expected + 1 else
                        Note("audit.missing_many", first=expected, last=seq - 1, next=seq))
        own = entry_hash(row["prev_hash"], row)
        if own != row["hash"]:
            moved = _moved(row)
            if moved == seq - 1 and len(recent) >= 2 and row["prev_hash"] == recent[-2][1]:
                return _bad(report, seq - 1, Note("audit.inserted_before", seq=seq - 1,
                                                  prev=seq - 2))
            if moved is not None:
                return _bad(report, seq, Note("audit.renumbered", seq=seq, moved=moved))
            return _bad(report, seq, Note("audit.changed", seq=seq))
        if row["prev_hash"] != prev:
            if len(recent) >= 2 and row["prev_hash"] == recent[-2][1]:
                return _bad(report, seq - 1, Note("audit.inserted", seq=seq - 1, next=seq,
                                                  prev=seq - 2))
            return _bad(report, seq - 1, Note("audit.not_following", seq=seq - 1, next=seq))
        if row["action"] == CHECKPOINT:
            problem = _checkpoint_problem(row, seq, prev, trust)
            if problem == REWRITTEN:
                return _bad(report, good_from, Note(
                    "audit.rewritten_one", seq=seq, signed=seq - 1, first=good_from)
                    if good_from >= seq - 1 else Note(
                    "audit.rewritten_many", seq=seq, signed=seq - 1, first=good_from,
                    last=seq - 1))
            if isinstance(problem, Note):
                return _bad(report, seq, problem)
            report.checkpoints += 1
            report.last_checkpoint = seq
            report.keys.add(cp.key_id(_raw_key(row)))
            good_from = seq + 1
        if expect_head is not None and seq == expect_head[0] and row["hash"] != expect_head[1]:
            return _bad(report, seq, Note("audit.not_the_head", seq=seq, hash=expect_head[1]))
        prev = row["hash"]
        recent.append((seq, prev))
        expected = seq + 1
        report.count += 1
    last = expected - 1
    if expect_head is not None and last < expect_head[0]:
        return _bad(report, last + 1, Note(
            "audit.ends_before_head_one" if last + 1 == expect_head[0] else
            "audit.ends_before_head_many", last=last, head=expect_head[0], first=last + 1))
    if last >= 1:
        report.head = (last, prev)
    elif start == 1:
        report.head = None
    return report


def _bad(report: Report, seq: int, problem: Note) -> Report:
    report.bad_seq, report.problem = seq, problem
    return report


def _moved(row: Mapping[str, Any]) -> int | None:
    """The number an entry had when it was hashed, if it is a neighbour of where it is."""
    seq = int(row["seq"])
    for other in (seq - 1, seq + 1, seq - 2, seq + 2):
        if other >= 1 and entry_hash(row["prev_hash"], {**row, "seq": other}) == row["hash"]:
            return other
    return None


def _raw_key(row: Mapping[str, Any]) -> bytes:
    import base64

    return base64.b64decode(json_detail(row["detail"])["key"])


#: :func:`_checkpoint_problem`'s answer when the chain before the checkpoint was rewritten
#: (the caller says which stretch).
REWRITTEN = "rewritten"


def _checkpoint_problem(row: Mapping[str, Any], seq: int, prev: str,
                        trusted: dict[str, Ed25519PublicKey] | None) -> Note | str | None:
    """What is wrong with a checkpoint entry (None: nothing), or :data:`REWRITTEN` when it is
    that the chain before it was rewritten."""
    try:
        detail = json_detail(row["detail"])
    except ValueError:
        return Note("audit.checkpoint_unreadable", seq=seq)
    checked = cp.check(detail, trusted)
    if checked.problem is not None:
        return Note("audit.checkpoint_bad", seq=seq, problem=checked.problem)
    if checked.seq != seq - 1:
        return Note("audit.checkpoint_moved", seq=seq, signed=checked.seq)
    if checked.hash != prev:
        return REWRITTEN
    return None


def head(conn: Connection) -> tuple[int, str, str] | None:
    """The last entry: (seq, hash, at), or None for an empty log."""
    row = conn.exec_driver_sql(f"SELECT seq, hash, at FROM {TABLE} ORDER BY seq DESC LIMIT 1"
                               ).first()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]))


# ---------------------------------------------------------------------------------------------
# The records against the log

@dataclass
class RecordsReport:
    """Stored records compared with what the log says they are: each kind of difference as
    (layer, record id) pairs, in the order found."""

    records: int = 0
    changed: list[tuple[str, str]] = field(default_factory=list)  # stored != last logged
    unlogged: list[tuple[str, str]] = field(default_factory=list)  # stored, never logged
    missing: list[tuple[str, str]] = field(default_factory=list)  # logged, not stored
    #: (layer, record id, seq): a logged write whose ``before`` is not the state the log
    #: last gave the record, so it was changed outside the log in between
    gaps: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.unlogged or self.missing or self.gaps)

    def summary(self, limit: int = 10, locale: str = "en") -> str:
        """What the comparison found, in ``locale``; at most ``limit`` records named of each
        kind."""
        if self.ok:
            return render("audit.records_ok", {"count": self.records}, locale)

        def listed(items: list[str]) -> str:
            shown = ", ".join(items[:limit])
            if len(items) > limit:
                return render("audit.and_more", {"shown": shown, "count": len(items) - limit},
                              locale)
            return shown

        parts = []
        for code, pairs in (("audit.records_changed", self.changed),
                            ("audit.records_unlogged", self.unlogged),
                            ("audit.records_missing", self.missing)):
            if pairs:
                parts.append(render(code, {"count": len(pairs), "shown": listed(
                    [f"{layer} {rid}" for layer, rid in pairs])}, locale))
        if self.gaps:
            parts.append(render("audit.records_gaps", {"count": len(self.gaps), "shown": listed(
                [render("audit.record_at", {"layer": layer, "id": rid, "seq": seq}, locale)
                 for layer, rid, seq in self.gaps])}, locale))
        return render("audit.records_differ", {"parts": "; ".join(parts)}, locale)


def check_records(reader: Any) -> RecordsReport:
    """Compare every stored record with the log, in one read (``reader``: a read transaction
    of a SQL store): its hash now against the ``after`` hash of the last entry that wrote it,
    and each logged write's ``before`` against the entry before it. Finds what was changed,
    added or deleted in the database without mineaction (a GeoPackage edited in QGIS, SQL by
    hand). Records written before the store had a log have their ``baseline`` entry."""
    from mineaction.audit.canonical import record_hashes
    from mineaction.audit.log import BASELINE, DELETE, INSERT, UPDATE
    from mineaction.domain.layers import all_layers

    report = RecordsReport()
    last: dict[tuple[str, str], str | None] = {}
    result = reader.conn.exec_driver_sql(
        f"SELECT seq, layer, record_id, before_hash, after_hash FROM {TABLE} WHERE action IN "
        f"('{INSERT}', '{UPDATE}', '{DELETE}', '{BASELINE}') ORDER BY seq",
        execution_options={"yield_per": READ_BATCH})
    for part in result.partitions(READ_BATCH):
        for seq, layer, rid, before, after in part:
            key = (layer, rid)
            if key in last and before is not None and last[key] != before:
                report.gaps.append((layer, rid, int(seq)))
            last[key] = after
    for layer in all_layers():
        batch: list[Any] = []

        def compare(records: list[Any], name: str = layer.name, lyr: Any = layer) -> None:
            for rec, h in zip(records, record_hashes(lyr, records), strict=True):
                key = (name, rec.id)
                if key not in last:
                    report.unlogged.append(key)
                elif last.pop(key) != h:
                    report.changed.append(key)

        for rec in reader.iter(layer):
            report.records += 1
            batch.append(rec)
            if len(batch) >= READ_BATCH:
                compare(batch)
                batch = []
        compare(batch)
    report.missing.extend(key for key, h in last.items() if h is not None)
    return report

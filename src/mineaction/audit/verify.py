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
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if not self.ok:
            return f"audit log BROKEN at entry {self.bad_seq}: {self.problem}"
        if self.head is None:
            return "audit log OK: empty"
        span = (f"none from entry {self.from_seq}" if self.count == 0 else
                f"entry {self.from_seq}" if self.count == 1 else
                f"entries {self.from_seq}-{self.head[0]}")
        text = (f"audit log OK: {_n(self.count, 'entry', 'entries')} checked ({span}); head "
                f"{self.head[0]}:{self.head[1]}")
        if self.checkpoints:
            how = "trusted key" if self.trusted else "key stored with it (not checked against a "\
                "trusted key: pass --trust)"
            text += (f"; {_n(self.checkpoints, 'checkpoint', 'checkpoints')} verified, the last "
                     f"at entry "
                     f"{self.last_checkpoint}, signed with {', '.join(sorted(self.keys))} "
                     f"({how})")
        else:
            text += "; no checkpoint"
        return text


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


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
            report.bad_seq, report.problem = start - 1, (
                f"entry {start - 1} is missing, so verification cannot start at {start}")
            return report
        prev = str(found)
    expected = start
    recent: deque[tuple[int, str]] = deque(maxlen=3)  # (seq, hash) of the last good entries
    recent.append((start - 1, prev))
    good_from = start  # the first entry after the last good checkpoint
    for row in rows(conn, start):
        seq = int(row["seq"])
        if seq != expected:
            gone = (f"entry {expected} is" if seq == expected + 1
                    else f"entries {expected}-{seq - 1} are")
            return _bad(report, expected, f"{gone} missing (deleted): the log goes on at entry "
                                          f"{seq}")
        own = entry_hash(row["prev_hash"], row)
        if own != row["hash"]:
            moved = _moved(row)
            if moved == seq - 1 and len(recent) >= 2 and row["prev_hash"] == recent[-2][1]:
                return _bad(report, seq - 1, f"entry {seq - 1} was inserted: the entry after "
                                             f"it was entry {seq - 1} before, and follows "
                                             f"entry {seq - 2}")
            if moved is not None:
                return _bad(report, seq, f"the entry stored as {seq} was entry {moved} (its "
                                         "content hashes to that number): entries were "
                                         "renumbered, inserted, deleted or reordered here")
            return _bad(report, seq, f"entry {seq} was changed: its content no longer hashes to "
                                     "its stored hash")
        if row["prev_hash"] != prev:
            if len(recent) >= 2 and row["prev_hash"] == recent[-2][1]:
                return _bad(report, seq - 1, f"entry {seq - 1} was inserted: entry {seq} "
                                             f"follows entry {seq - 2}")
            return _bad(report, seq - 1, f"entry {seq} no longer follows entry {seq - 1}: "
                                         f"entry {seq - 1} was rewritten with its hash "
                                         "recomputed, or entries were removed or moved here")
        if row["action"] == CHECKPOINT:
            problem, rewritten = _checkpoint_problem(row, seq, prev, trust)
            if rewritten and problem is not None:
                stretch = (f"entry {good_from} was" if good_from >= seq - 1
                           else f"entries {good_from}-{seq - 1} were")
                return _bad(report, good_from, problem.replace("{stretch}", stretch))
            if problem is not None:
                return _bad(report, seq, problem)
            report.checkpoints += 1
            report.last_checkpoint = seq
            report.keys.add(cp.key_id(_raw_key(row)))
            good_from = seq + 1
        if expect_head is not None and seq == expect_head[0] and row["hash"] != expect_head[1]:
            return _bad(report, seq, f"entry {seq} does not have the hash of the exported head "
                                     f"({expect_head[1]}): the log was rewritten at or before "
                                     "it")
        prev = row["hash"]
        recent.append((seq, prev))
        expected = seq + 1
        report.count += 1
    last = expected - 1
    if expect_head is not None and last < expect_head[0]:
        gone = (f"entry {last + 1} was" if last + 1 == expect_head[0]
                else f"entries {last + 1}-{expect_head[0]} were")
        return _bad(report, last + 1, f"the log ends at entry {last}, before the exported head "
                                      f"({expect_head[0]}): {gone} deleted")
    if last >= 1:
        report.head = (last, prev)
    elif start == 1:
        report.head = None
    return report


def _bad(report: Report, seq: int, problem: str) -> Report:
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


def _checkpoint_problem(row: Mapping[str, Any], seq: int, prev: str,
                        trusted: dict[str, Ed25519PublicKey] | None) -> tuple[str | None, bool]:
    """What is wrong with a checkpoint entry (None: nothing), and whether it is that the chain
    before it was rewritten (its text then has a ``{stretch}`` to fill in)."""
    try:
        detail = json_detail(row["detail"])
    except ValueError:
        return f"checkpoint {seq} has no readable signature block", False
    checked = cp.check(detail, trusted)
    if checked.problem is not None:
        return f"checkpoint {seq}: {checked.problem}", False
    if checked.seq != seq - 1:
        return (f"checkpoint {seq} signs entry {checked.seq}, not the entry before it: it was "
                "moved"), False
    if checked.hash != prev:
        return (f"the chain no longer hashes to the head signed by checkpoint {seq} (entry "
                f"{seq - 1}): {{stretch}} rewritten since it was signed"), True
    return None, False


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

    def summary(self, limit: int = 10) -> str:
        if self.ok:
            return (f"records OK: each of {self.records} stored records is as the log last "
                    "wrote it")
        parts = []
        for what, items in (("changed outside mineaction (not as last logged)", self.changed),
                            ("stored but never logged", self.unlogged),
                            ("logged but no longer stored", self.missing)):
            if items:
                shown = ", ".join(f"{layer} {rid}" for layer, rid in items[:limit])
                more = f" and {len(items) - limit} more" if len(items) > limit else ""
                parts.append(f"{len(items)} {what}: {shown}{more}")
        if self.gaps:
            shown = ", ".join(f"{layer} {rid} (entry {seq})" for layer, rid, seq in
                              self.gaps[:limit])
            more = f" and {len(self.gaps) - limit} more" if len(self.gaps) > limit else ""
            parts.append(f"{len(self.gaps)} logged writes found the record changed since its "
                         f"previous entry: {shown}{more}")
        return "records DIFFER from the log: " + "; ".join(parts)


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

"""Signed checkpoints: the head of the chain (seq, hash, time) signed with an Ed25519 key.

A checkpoint is itself an entry of the chain (action ``checkpoint``), appended right after the
head it signs; its ``detail`` holds what was signed, the signature and the public key::

    {"key": "<base64 of the 32-byte raw public key>", "key_id": "<first 16 hex digits of
     SHA-256 of the raw public key>", "signature": "<base64 of the 64-byte signature>",
     "signed": {"at": "<UTC time>", "hash": "<head hash>", "seq": <head seq>}}

and the signed message is the canonical JSON (:mod:`.canonical`) of
``{"at": ..., "format": "mineaction-audit-checkpoint/1", "hash": ..., "seq": ...}``.

A key file is an unencrypted PKCS#8 PEM private key (``mineaction audit keygen`` writes one,
readable by its owner alone, and the public key beside it as ``FILE.pub``). Keep it away from
the store's host: whoever holds it can sign a rewritten chain.

Checkpoints are made on demand (``mineaction audit checkpoint``), or every N entries: with
``$MINEACTION_AUDIT_KEY`` naming a key file and ``$MINEACTION_AUDIT_CHECKPOINT_EVERY`` set to N,
a transaction that brings the log N or more entries past the last checkpoint appends one
before it commits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import Connection

from mineaction.audit.canonical import canonical_json
from mineaction.audit.log import CHECKPOINT, TABLE, Who, chain, detail_text
from mineaction.errors import InvalidInput, Problem
from mineaction.messages import Note

FORMAT = "mineaction-audit-checkpoint/1"
KEY_ENV = "MINEACTION_AUDIT_KEY"
EVERY_ENV = "MINEACTION_AUDIT_CHECKPOINT_EVERY"


# ---------------------------------------------------------------------------------------------
# Keys

def generate(path: Path) -> tuple[Path, Path]:
    """Write a new private key to ``path`` (mode 0600, refusing to overwrite a file) and its
    public key to ``path.pub``; returns both paths."""
    path = Path(path)
    pub = path.with_name(path.name + ".pub")
    for p in (path, pub):
        if p.exists():
            raise InvalidInput([Problem.of(str(p), None, "audit.key_exists")], source=str(p))
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    pub.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, pub


def load_private(path: str | Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file; InvalidInput naming the file otherwise."""
    data = Path(path).read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidInput([Problem.of(str(path), None, "audit.not_private_key",
                                       reason=str(exc))], source=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput([Problem.of(str(path), None, "audit.not_ed25519",
                                       kind=type(key).__name__)], source=str(path))
    return key


def load_public(path: str | Path) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file (a private key file gives its public key)."""
    data = Path(path).read_bytes()
    if b"PRIVATE KEY" in data:
        return load_private(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise InvalidInput([Problem.of(str(path), None, "audit.not_public_key",
                                       reason=str(exc))], source=str(path)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput([Problem.of(str(path), None, "audit.not_ed25519",
                                       kind=type(key).__name__)], source=str(path))
    return key


def raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey | bytes) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    data = key if isinstance(key, bytes) else raw(key)
    return hashlib.sha256(data).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Signing and checking

def message(seq: int, head: str, at: str) -> bytes:
    return canonical_json({"at": at, "format": FORMAT, "hash": head, "seq": int(seq)}).encode()


def sign(key: Ed25519PrivateKey, seq: int, head: str, at: str) -> dict[str, Any]:
    """The detail of a checkpoint entry signing head (``seq``, ``head``) at ``at``."""
    public = raw(key.public_key())
    return {"key": base64.b64encode(public).decode(), "key_id": key_id(public),
            "signature": base64.b64encode(key.sign(message(seq, head, at))).decode(),
            "signed": {"at": at, "hash": head, "seq": int(seq)}}


def entry(key: Ed25519PrivateKey, seq: int, head: str, at: str, who: Who, tx: str
          ) -> tuple[Any, ...]:
    """The row of a checkpoint entry right after head (``seq``, ``head``)."""
    detail = detail_text(sign(key, seq, head, at))
    rows, _, _ = chain([(at, who, CHECKPOINT, None, None, None, None, detail)], tx, seq, head)
    return rows[0]


@dataclass(frozen=True)
class Checked:
    """What checking one checkpoint's detail found: the head it signed, the key, and the
    problem (None when the signature is good)."""

    seq: int | None
    hash: str | None
    key_id: str | None
    problem: Note | None


def check(detail: Any, trusted: dict[str, Ed25519PublicKey] | None = None) -> Checked:
    """Check a checkpoint entry's detail: well formed, the signature good for the public key
    it carries, and, when ``trusted`` (key id -> key) is given, that key one of them."""
    try:
        signed = detail["signed"]
        seq, head, at = int(signed["seq"]), str(signed["hash"]), str(signed["at"])
        public = base64.b64decode(detail["key"], validate=True)
        signature = base64.b64decode(detail["signature"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(public)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        return Checked(None, None, None, Note("audit.signature_malformed", error=str(exc)))
    kid = key_id(public)
    try:
        key.verify(signature, message(seq, head, at))
    except InvalidSignature:
        return Checked(seq, head, kid, Note("audit.signature_bad", key=kid))
    if trusted is not None:
        other = trusted.get(kid)
        if other is None or raw(other) != public:
            return Checked(seq, head, kid, Note("audit.signature_untrusted", key=kid,
                                                trusted=", ".join(sorted(trusted))))
    return Checked(seq, head, kid, None)


# ---------------------------------------------------------------------------------------------
# Periodic checkpoints

@dataclass(frozen=True)
class Policy:
    key: Ed25519PrivateKey
    every: int

    @classmethod
    def from_environment(cls) -> Policy | None:
        """The periodic policy set by ``$MINEACTION_AUDIT_KEY`` and
        ``$MINEACTION_AUDIT_CHECKPOINT_EVERY``; None unless both are set."""
        path, every = os.environ.get(KEY_ENV), os.environ.get(EVERY_ENV)
        if not path or not every:
            return None
        try:
            n = int(every)
        except ValueError:
            raise InvalidInput.of("audit.must_be_a_whole", every_env=EVERY_ENV,
                                  every=every) from None
        if n < 1:
            raise InvalidInput.of("audit.must_be_at_least", every_env=EVERY_ENV, n=n)
        return cls(_cached_key(path, os.stat(path).st_mtime_ns), n)

    def due(self, conn: Connection, head_seq: int) -> bool:
        last = conn.exec_driver_sql(
            f"SELECT seq FROM {TABLE} WHERE action = '{CHECKPOINT}' ORDER BY seq DESC LIMIT 1"
        ).scalar()
        return head_seq - int(last or 0) >= self.every


_KEYS: dict[tuple[str, int], Ed25519PrivateKey] = {}


def _cached_key(path: str, mtime: int) -> Ed25519PrivateKey:
    key = _KEYS.get((path, mtime))
    if key is None:
        key = _KEYS[(path, mtime)] = load_private(path)
    return key

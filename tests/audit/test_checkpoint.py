"""Signed checkpoints: good with the key that signed them, refused with any other."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mineaction import audit
from mineaction.audit import checkpoint as cp
from mineaction.errors import InvalidInput
from tests.contract.samples import sample

from .helpers import raw, rechain, tamper


@pytest.fixture
def keys(tmp_path):
    mine, mine_pub = cp.generate(tmp_path / "mine")
    other, other_pub = cp.generate(tmp_path / "other")
    return {"mine": mine, "mine.pub": mine_pub, "other": other, "other.pub": other_pub}


def write(store, *ns: int) -> None:
    with store.transaction() as tx:
        tx.add_many([sample("finds", n) for n in ns])


def test_a_checkpoint_verifies_with_its_key_and_fails_with_another(store, keys):
    write(store, 1, 2, 3)
    assert audit.make_checkpoint(store, keys["mine"])[:1] == (3,)
    write(store, 4)
    good = audit.verify_store(store, trusted=[keys["mine.pub"]])
    assert good.ok and good.checkpoints == 1 and good.last_checkpoint == 4
    assert good.keys == {cp.key_id(cp.load_public(keys["mine.pub"]))}
    assert audit.verify_store(store, trusted=[keys["mine"]]).ok  # a private key file gives its own
    bad = audit.verify_store(store, trusted=[keys["other.pub"]])
    assert not bad.ok and bad.bad_seq == 4
    assert "not one of the trusted keys" in bad.problem
    # untrusted checks say that they only checked the key stored with the checkpoint
    assert "not checked against a trusted key" in audit.verify_store(store).summary()


def test_a_checkpoint_re_signed_with_another_key_after_a_rewrite_fails(store, keys):
    write(store, 1, 2)
    audit.make_checkpoint(store, keys["mine"])
    # rewrite entry 1, rechain, and sign the new head with a key of one's own
    tamper(store, "UPDATE audit_log SET actor = 'intruder' WHERE seq = 1")
    tamper(store, "DELETE FROM audit_log WHERE seq = 3")
    rechain(store, 1)
    rows = raw(store)
    forged = cp.entry(cp.load_private(keys["other"]), 2, rows[-1]["hash"], rows[0]["at"],
                      audit.log.Who("intruder"), rows[0]["tx"])
    cols = ", ".join(audit.log.COLUMNS)
    tamper(store, f"INSERT INTO audit_log ({cols}) VALUES "
                  f"({', '.join(':' + c for c in audit.log.COLUMNS)})",
           params=dict(zip(audit.log.COLUMNS, forged, strict=True)))
    assert audit.verify_store(store).ok  # consistent in itself ...
    report = audit.verify_store(store, trusted=[keys["mine.pub"]])
    assert not report.ok and report.bad_seq == 3  # ... but not signed by the trusted key


def test_a_forged_signature_fails_even_with_a_consistent_chain(store, keys):
    write(store, 1)
    audit.make_checkpoint(store, keys["mine"])
    row = raw(store)[-1]
    detail = json.loads(row["detail"])
    sig = bytearray(base64.b64decode(detail["signature"]))
    sig[0] ^= 1
    detail["signature"] = base64.b64encode(bytes(sig)).decode()
    tamper(store, "UPDATE audit_log SET detail = :d WHERE seq = 2",
           params={"d": audit.log.detail_text(detail)})
    rechain(store, 2)
    report = audit.verify_store(store)
    assert not report.ok and report.bad_seq == 2
    assert "signature does not verify" in report.problem


def test_a_checkpoint_signing_another_entry_than_the_one_before_it_fails(store, keys):
    write(store, 1, 2)
    private = cp.load_private(keys["mine"])
    rows = raw(store)
    # a checkpoint of entry 1 appended after entry 2
    detail = audit.log.detail_text(cp.sign(private, 1, rows[0]["hash"], rows[0]["at"]))
    chained, _, _ = audit.log.chain([(rows[0]["at"], audit.log.Who("x"), "checkpoint", None,
                                      None, None, None, detail)], "t", 2, rows[1]["hash"])
    cols = ", ".join(audit.log.COLUMNS)
    tamper(store, f"INSERT INTO audit_log ({cols}) VALUES "
                  f"({', '.join(':' + c for c in audit.log.COLUMNS)})",
           params=dict(zip(audit.log.COLUMNS, chained[0], strict=True)))
    report = audit.verify_store(store)
    assert not report.ok and report.bad_seq == 3 and "signs entry 1" in report.problem


def test_periodic_checkpoints_every_n_entries(store, keys, monkeypatch):
    monkeypatch.setenv(cp.KEY_ENV, str(keys["mine"]))
    monkeypatch.setenv(cp.EVERY_ENV, "5")
    write(store, 1, 2, 3)  # 3 entries: none due
    write(store, 4, 5)  # 5 entries past nothing: a checkpoint (entry 6)
    write(store, 6, 7, 8, 9)  # entries 7-10: 4 past the checkpoint
    write(store, 10)  # 11: 5 past it, a checkpoint (entry 12)
    found = [(e.seq, e.detail["signed"]["seq"]) for e in audit.entries(store, action="checkpoint")]
    assert found == [(6, 5), (12, 11)]
    report = audit.verify_store(store, trusted=[keys["mine.pub"]])
    assert report.ok and report.checkpoints == 2
    monkeypatch.setenv(cp.EVERY_ENV, "often")
    with pytest.raises(InvalidInput, match="whole number"):
        write(store, 11)
    assert store.count("finds") == 10


def test_keygen_writes_a_private_key_for_its_owner_alone_and_never_overwrites(tmp_path):
    key, pub = cp.generate(tmp_path / "audit.key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert isinstance(cp.load_private(key), Ed25519PrivateKey)
    assert cp.key_id(cp.load_public(pub)) == cp.key_id(cp.load_private(key).public_key())
    before = key.read_bytes()
    with pytest.raises(InvalidInput, match="exists already"):
        cp.generate(key)
    assert key.read_bytes() == before
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(InvalidInput, match="not an unencrypted PEM private key"):
        cp.load_private(tmp_path / "junk.pem")

"""Handover certificates: written as PDF with the map, corners and checksum; a copy verifies,
an altered one does not."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from pypdf import PdfReader, PdfWriter

from mineaction import domain as d
from mineaction.errors import InvalidInput
from mineaction.quality import certificate as cert
from mineaction.services import certificate as certs
from mineaction.services import quality

from .test_reject import inspection, setup


def test_canonical_content_and_utm_zone():
    a = {"b": 1, "a": "é"}
    assert cert.canonical(a) == '{"a":"é","b":1}'.encode()
    assert cert.digest(a) == hashlib.sha256('{"a":"é","b":1}'.encode()).hexdigest()
    assert cert.utm_epsg(50.9, 41.3) == 32639 and cert.utm_epsg(-70.0, -33.0) == 32719


def _cert(store, tmp_path):
    ctx = setup(store)
    with store.transaction() as tx:
        tx.add(d.Find(id="F1", category=d.EOCategory.AP, quantity=3, activity_id="A1",
                      found_on=dt.date(2023, 1, 20)))
    quality.record(ctx, [inspection("QC1", "A1", dt.date(2023, 3, 1), "pass",
                                    organisation="NMAA")])
    path = tmp_path / "hc.pdf"
    body, checksum = certs.write(ctx, "A1", path)
    return ctx, path, body, checksum


def test_a_certificate_holds_the_facts_and_verifies(store, tmp_path):
    ctx, path, body, checksum = _cert(store, tmp_path)
    assert body["number"] == "HC-A1"
    assert body["area_m2"] == pytest.approx(10_000, abs=1)
    assert body["items_found"] == {"ap": 3}
    assert [q["id"] for q in body["inspections_passed"]] == ["QC1"]
    assert body["parties"] == {"operator": "OP-A", "inspected_by": ["NMAA"]}
    assert len(body["corners_wgs84"][0]) == 4  # a rectangle: four corners
    assert body["grid"]["epsg"] == cert.utm_epsg(*body["corners_wgs84"][0][0])
    assert checksum == cert.digest(body)
    r = PdfReader(str(path))
    assert f"sha256={checksum}" in str(r.metadata["/Keywords"])
    assert json.loads(r.attachments[cert.ATTACHMENT][0]) == body
    assert checksum in " ".join(r.pages[0].extract_text().split())
    res = certs.verify(path)
    assert res.ok and res.number == "HC-A1" and res.checksum == checksum


def _rewrite(path, out, *, keywords=None, content=None):
    r = PdfReader(str(path))
    w = PdfWriter(clone_from=r)
    if keywords is not None:
        w.add_metadata({"/Keywords": keywords})
    if content is not None:
        w = PdfWriter()
        for p in r.pages:
            w.add_page(p)
        w.add_metadata({k: v for k, v in (r.metadata or {}).items()})
        w.add_attachment(cert.ATTACHMENT, content)
    buf = io.BytesIO()
    w.write(buf)
    out.write_bytes(buf.getvalue())
    return out


def test_an_altered_copy_is_detected(store, tmp_path):
    ctx, path, body, checksum = _cert(store, tmp_path)
    bigger = dict(body, area_m2=body["area_m2"] * 2)
    forged = _rewrite(path, tmp_path / "f1.pdf", content=cert.canonical(bigger))
    res = certs.verify(forged)
    assert not res.ok
    assert {m.code for m in res.problems} >= {"qm.cert_checksum_mismatch",
                                              "qm.cert_text_mismatch"}
    # content and checksum replaced together: the printed facts no longer match
    forged2 = _rewrite(forged, tmp_path / "f2.pdf",
                       keywords=f"sha256={cert.digest(bigger)}")
    res2 = certs.verify(forged2)
    assert not res2.ok
    assert {m.code for m in res2.problems} == {"qm.cert_text_mismatch"}
    assert not certs.verify(_rewrite(path, tmp_path / "f3.pdf", keywords="")).ok


def test_cli_certificate_and_verify(store, store_url, tmp_path, capsys):
    from mineaction.cli import main

    setup(store)
    out = tmp_path / "c.pdf"
    assert main(["--db", store_url, "qm", "certificate", "A2", "-o", str(out)]) == 0
    assert main(["--db", store_url, "qm", "verify-certificate", str(out)]) == 0
    assert "verified" in capsys.readouterr().out
    bad = _rewrite(out, tmp_path / "bad.pdf", keywords="sha256=" + "0" * 64)
    assert main(["--db", store_url, "qm", "verify-certificate", str(bad)]) == 1


def test_no_certificate_for_a_rejected_lot(store, tmp_path):
    ctx = setup(store)
    quality.record(ctx, [inspection("QC9", "A1", dt.date(2023, 4, 1), reason="mine")])
    with pytest.raises(InvalidInput) as exc:
        certs.write(ctx, "A1", tmp_path / "x.pdf")
    assert [p.code for p in exc.value.problems] == ["qm.cert_lot_rejected"]
    assert "QC9" in exc.value.problems[0].text()
    assert not (tmp_path / "x.pdf").exists()

"""Handover certificates of released land: built from the store, written as PDF (WeasyPrint,
a matplotlib map), and verified from a copy. The canonical content and its checksum are in
:mod:`mineaction.quality.certificate`."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mineaction.domain.activities import Activity
from mineaction.domain.ordnance import Find
from mineaction.domain.quality import QualityEvent
from mineaction.domain.release import ReleaseStep
from mineaction.domain.vocabulary import QualityKind, QualityResult
from mineaction.errors import InvalidInput, Problem
from mineaction.geo.measure import area_m2
from mineaction.messages import Message
from mineaction.quality import certificate as cert
from mineaction.services.context import Context
from mineaction.services.quality import _activity, lot_geometry
from mineaction.store.base import Query

__all__ = ["Verification", "content", "verify", "write"]


def content(ctx: Context, activity_id: str) -> tuple[dict[str, Any], Any]:
    """The canonical content of the certificate of ``activity_id`` and the released polygon.
    InvalidInput when the activity holds no released land (none, or all of it rejected).
    Everything in it is read from one state of the store (a lot rejected meanwhile is in
    all of it or none)."""
    with ctx.snapshot() as pinned:
        return _content(pinned, activity_id)


def _content(ctx: Context, activity_id: str) -> tuple[dict[str, Any], Any]:
    act: Activity = _activity(ctx, activity_id)
    geom = lot_geometry(ctx, act)
    if geom is None or area_m2(geom) <= 0:
        gone = sorted({str(s.rejected_by) for s in ctx.reader.iter(
            "release-steps", Query(where={"activity_id": act.id}))
            if isinstance(s, ReleaseStep) and s.rejected_by is not None})
        if gone:
            raise InvalidInput([Problem.of(activity_id, None, "qm.cert_lot_rejected",
                                           activity_id=activity_id,
                                           inspections=", ".join(gone))])
        raise InvalidInput([Problem.of(activity_id, None, "qm.no_released_land",
                                       activity_id=activity_id)])
    steps = [s for s in ctx.reader.iter("release-steps", Query(where={
        "activity_id": act.id, "rejected_by": None})) if isinstance(s, ReleaseStep)]
    methods: dict[str, float] = {}
    for s in steps:
        methods[s.method.value] = round(methods.get(s.method.value, 0.0) + s.area_m2, 1)
    items: dict[str, int] = {}
    for f in ctx.reader.iter("finds", Query(where={"activity_id": act.id})):
        if isinstance(f, Find):
            items[f.category.value] = items.get(f.category.value, 0) + f.quantity
    passed = sorted((q for q in ctx.reader.iter("quality", Query(where={
        "activity_id": act.id})) if isinstance(q, QualityEvent)
        and q.kind == QualityKind.QC_INSPECTION and q.result == QualityResult.PASS),
        key=lambda q: (q.held_on, q.id))
    rings = cert.corners(geom)
    c = geom.centroid
    epsg = cert.utm_epsg(c.x, c.y)
    sources = [act.source or "", *(s.source or "" for s in steps)]
    body: dict[str, Any] = {
        "number": f"HC-{act.id}",
        "issued_on": ctx.today().isoformat(),
        "activity": {"id": act.id, "kind": act.kind.value, "operator": act.operator,
                     "started_on": act.started_on.isoformat() if act.started_on else None,
                     "ended_on": act.ended_on.isoformat() if act.ended_on else None,
                     "depth_cm": act.depth_cm},
        "area_m2": round(area_m2(geom), 1),
        "methods_m2": dict(sorted(methods.items())),
        "hazards": sorted({s.hazard_id for s in steps if s.hazard_id}),
        "corners_wgs84": rings,
        "grid": {"epsg": epsg, "corners": cert.utm_corners(rings, epsg)},
        "items_found": dict(sorted(items.items())),
        "inspections_passed": [{"id": q.id, "held_on": q.held_on.isoformat(),
                                "by": q.organisation} for q in passed],
        "parties": {"operator": act.operator,
                    "inspected_by": sorted({q.organisation for q in passed
                                            if q.organisation})},
        "synthetic": any(s.startswith("synthetic:") for s in sources),
    }
    return body, geom


def _map_png(geom: Any, epsg: int) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pyproj
    import shapely

    tr = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    g = shapely.transform(geom, tr.transform, interleaved=False)
    fig, ax = plt.subplots(figsize=(5.5, 4.0), dpi=110)
    for p in getattr(g, "geoms", [g]):
        x, y = p.exterior.xy
        ax.fill(x, y, facecolor="#9fd39f", edgecolor="#1a6b1a", linewidth=1.2)
        ax.plot(x, y, "o", color="#1a6b1a", markersize=2.5)
    ax.set_aspect("equal")
    ax.set_xlabel(f"easting, m (EPSG:{epsg})")
    ax.set_ylabel("northing, m")
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=7)
    ax.set_title("Released land", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _html(body: dict[str, Any], checksum: str, png: bytes) -> str:
    e = html.escape
    a = body["activity"]
    rows = "".join(
        f"<tr><td>{k + 1}</td><td>{lon:.7f}</td><td>{lat:.7f}</td><td>{ux:,.2f}</td>"
        f"<td>{uy:,.2f}</td></tr>"
        for ring, uring in zip(body["corners_wgs84"], body["grid"]["corners"], strict=True)
        for k, ((lon, lat), (ux, uy)) in enumerate(zip(ring, uring, strict=True)))
    items = ", ".join(f"{k}: {v}" for k, v in body["items_found"].items()) or "none"
    methods = ", ".join(f"{k} {v:,.1f} m²" for k, v in body["methods_m2"].items())
    qc = ", ".join(f"{q['id']} ({q['held_on']}, {q['by'] or '-'})"
                   for q in body["inspections_passed"]) or "none"
    lines = "".join(f"<p class='fact'>{e(x)}</p>" for x in cert.summary_lines(body))
    synthetic = ("<p class='synthetic'>SYNTHETIC DATA</p>" if body["synthetic"] else "")
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>Handover certificate {e(body['number'])}</title>
<meta name="keywords" content="{cert.KEYWORD}{checksum}">
<meta name="description" content="Handover certificate of released land">
<style>@page {{ size: A4; margin: 15mm; }}
body {{ font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 9pt; }}
h1 {{ font-size: 15pt; }} table {{ border-collapse: collapse; }}
td, th {{ border: 0.5pt solid #999; padding: 0.6mm 1.5mm; text-align: right; }}
.fact {{ margin: 0.5mm 0; font-weight: bold; }} .sum {{ font-family: monospace; font-size: 8pt; }}
.synthetic {{ border: 1.5pt solid #b00; color: #b00; font-weight: bold; padding: 1.5mm; }}
</style></head><body>
<h1>Handover certificate of released land</h1>{synthetic}
{lines}
<p>Issued on {e(body['issued_on'])}. Operator: {e(str(a['operator']))}; method:
{e(a['kind'])} ({e(methods)}); clearance depth: {e(str(a['depth_cm'] or '-'))} cm;
work {e(str(a['started_on']))} to {e(str(a['ended_on']))}; hazards:
{e(', '.join(body['hazards']) or 'none')}.</p>
<p>Items found by category: {e(items)}.</p>
<p>QC inspections passed: {e(qc)}. Inspected by: {e(', '.join(body['parties']['inspected_by'])
 or '-')}.</p>
<img src="data:image/png;base64,{base64.b64encode(png).decode()}" style="width: 150mm">
<h2>Corners</h2>
<table><tr><th>#</th><th>longitude</th><th>latitude</th>
<th>easting (EPSG:{body['grid']['epsg']})</th><th>northing</th></tr>{rows}</table>
<p>Signatures: operator ____________________ &nbsp; national authority ____________________
&nbsp; receiving party ____________________</p>
<p class="sum">Checksum SHA-256: {checksum}</p>
<p>The certificate's content is attached to this file ({cert.ATTACHMENT}); its SHA-256 is the
checksum above. Verify a copy with: mineaction qm verify-certificate FILE</p>
</body></html>"""


def write(ctx: Context, activity_id: str, path: Path) -> tuple[dict[str, Any], str]:
    """Write the certificate of ``activity_id`` to ``path`` (PDF); returns its content and
    checksum."""
    from weasyprint import HTML, Attachment

    body, geom = content(ctx, activity_id)
    checksum = cert.digest(body)
    page = _html(body, checksum, _map_png(geom, body["grid"]["epsg"]))
    HTML(string=page).write_pdf(str(path), attachments=[Attachment(
        string=cert.canonical(body).decode("utf-8"), name=cert.ATTACHMENT,
        description="canonical content of the certificate")])
    return body, checksum


@dataclass
class Verification:
    ok: bool
    number: str | None = None
    checksum: str | None = None
    problems: list[Message] = field(default_factory=list)


def verify(path: Path) -> Verification:
    """Check a copy of a certificate: the checksum in its metadata, the SHA-256 of its
    attached content, and the facts printed on it must all agree."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    meta: Any = reader.metadata or {}
    keywords = str(meta.get("/Keywords") or "")
    found = re.search(re.escape(cert.KEYWORD) + r"([0-9a-f]{64})", keywords)
    if not found:
        return Verification(False, problems=[Message.of("qm.cert_no_checksum")])
    checksum = found.group(1)
    attached = reader.attachments.get(cert.ATTACHMENT) or []
    if not attached:
        return Verification(False, None, checksum, [Message.of("qm.cert_no_content")])
    raw = attached[0]
    problems = []
    actual = hashlib.sha256(raw).hexdigest()
    if actual != checksum:
        problems.append(Message.of("qm.cert_checksum_mismatch", expected=checksum,
                                   actual=actual))
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError:
        return Verification(False, None, checksum, [*problems,
                                                     Message.of("qm.cert_no_content")])
    if cert.canonical(body) != raw:
        problems.append(Message.of("qm.cert_not_canonical"))
    text = " ".join(" ".join(p.extract_text() or "" for p in reader.pages).split())
    for line in [*cert.summary_lines(body), checksum]:
        if " ".join(line.split()) not in text:
            problems.append(Message.of("qm.cert_text_mismatch", line=line))
    return Verification(not problems, body.get("number"), checksum, problems)

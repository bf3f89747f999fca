"""Evidence-weighted classification of open hazards, following the land release criteria of
IMAS 07.11: each open hazard's direct and indirect evidence scored with the weights of a TOML
file (``evidence_weights.toml`` beside this module is the default, documented there), and a
recommendation with its reasons: confirm (SHA to CHA), keep, or cancel by non-technical
survey.

:func:`mineaction.services.evidence.snapshot` reads the store once into an :class:`Evidence`
snapshot; everything here computes over it and reads nothing else. Distances are metres in a
local azimuthal equidistant plane centred on the hazards (under 0.1 % from the geodesic within
150 km of the centre; tests cross-check it against pyproj's ``Geod``); areas are geodesic
(:func:`mineaction.geo.measure.area_m2`).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mineaction.errors import InvalidInput
from mineaction.geo.traverse import LocalFrame
from mineaction.messages import Message

#: Sections of the weights file.
SECTIONS = ("thresholds", "finds", "accidents", "records", "statements", "survey", "threat",
            "contamination", "risk")
#: Explosive ordnance categories, never lumped (domain.vocabulary.EOCategory).
CATEGORIES = ("ap", "av", "ied", "cmr", "uxo", "axo")
RECOMMENDATIONS = ("confirm", "keep", "cancel")


# ---------------------------------------------------------------------------------------------
# What the store holds, as plain rows


@dataclass
class HazardIn:
    id: str
    kind: str  # sha, cha
    threat: str | None
    contamination: tuple[str, ...]
    admin_area_id: str | None
    geometry: BaseGeometry  # EPSG:4326, as it stands now
    area_m2: float
    recorded_on: dt.date | None = None


@dataclass
class PointIn:
    """A find, an accident or an item of the evidence layer, at a point."""

    id: str
    lon: float
    lat: float
    kind: str  # a find's or an accident's category; an evidence item's kind
    hazard_id: str | None = None
    on: dt.date | None = None
    quantity: int = 1
    credibility: str | None = None  # evidence layer only


@dataclass
class RecordIn:
    """A minefield record: its georeferenced field and its assessed reliability."""

    id: str
    geometry: BaseGeometry | None
    status: str  # reliable, correctable, unreliable, unverified
    expected_mines: int = 0
    on: dt.date | None = None


@dataclass
class ActivityIn:
    id: str
    kind: str  # nts, ts, clearance, bac, eod
    hazard_id: str | None
    outcome: str | None  # cancelled, reduced, cleared
    survey_result: str | None  # confirmed, new_hazard, enlarged
    on: dt.date | None = None


@dataclass
class Evidence:
    """What the assessment reads: open hazards and the evidence around them."""

    hazards: list[HazardIn] = field(default_factory=list)
    finds: list[PointIn] = field(default_factory=list)
    accidents: list[PointIn] = field(default_factory=list)
    statements: list[PointIn] = field(default_factory=list)  # the evidence layer
    records: list[RecordIn] = field(default_factory=list)
    activities: list[ActivityIn] = field(default_factory=list)
    districts: dict[str, str] = field(default_factory=dict)  # admin area id -> district name
    risk: dict[str, float] = field(default_factory=dict)  # hazard id -> probability
    synthetic: bool = False


# ---------------------------------------------------------------------------------------------
# Weights


def default_weights_text() -> str:
    return resources.files("mineaction.risk").joinpath("evidence_weights.toml") \
        .read_text("utf-8")


def load_weights(text: str | None = None) -> dict[str, dict[str, Any]]:
    """The weights: the default file, with what ``text`` (a TOML file's text) changes."""
    base = tomllib.loads(default_weights_text())
    if text is None:
        return base
    try:
        given = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput.of("evidence.bad_toml", error=str(exc)) from None
    for name, table in given.items():
        if name not in SECTIONS:
            raise InvalidInput.of("evidence.unknown_section", name=name,
                                  sections=", ".join(SECTIONS))
        if not isinstance(table, dict):
            raise InvalidInput.of("evidence.bad_weight", key=name)
        for key, value in table.items():
            if key not in base[name]:
                raise InvalidInput.of("evidence.unknown_key", key=f"{name}.{key}")
            if isinstance(value, dict):
                base[name][key] = {**base[name][key], **value}
            else:
                base[name][key] = value
    for name, table in base.items():
        for key, value in table.items():
            values = value.values() if isinstance(value, dict) else [value]
            if isinstance(value, list):
                continue
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                    raise InvalidInput.of("evidence.bad_weight", key=f"{name}.{key}")
    return base


# ---------------------------------------------------------------------------------------------
# Distances in a local metric plane


def frame_of(hazards: Sequence[HazardIn]) -> LocalFrame:
    """A local azimuthal equidistant plane centred on the hazards' extent."""
    geoms = [h.geometry for h in hazards if h.geometry is not None and not h.geometry.is_empty]
    if not geoms:
        return LocalFrame(0.0, 0.0)
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(geoms, dtype=object))
    return LocalFrame((minx + maxx) / 2, (miny + maxy) / 2)


def to_plane(frame: LocalFrame, geom: BaseGeometry) -> BaseGeometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        return frame.to_local(xy[:, 0], xy[:, 1])

    return shapely.transform(geom, fn)


def points_plane(frame: LocalFrame, pts: Sequence[PointIn]) -> np.ndarray:
    if not pts:
        return np.empty((0, 2))
    return frame.to_local(np.array([p.lon for p in pts]), np.array([p.lat for p in pts]))


class Near:
    """Points in the plane, and for a hazard the points within a distance of its edge."""

    def __init__(self, xy: np.ndarray):
        self.geoms = shapely.points(xy) if len(xy) else np.empty(0, dtype=object)
        self.tree = shapely.STRtree(self.geoms)

    def within(self, geom: BaseGeometry, metres: float) -> tuple[np.ndarray, np.ndarray]:
        """(indices, distances in metres) of the points within ``metres`` of ``geom``."""
        if not len(self.geoms):
            return np.empty(0, int), np.empty(0)
        idx = self.tree.query(geom, predicate="dwithin", distance=metres)
        return idx, shapely.distance(geom, self.geoms[idx])


# ---------------------------------------------------------------------------------------------
# The assessment


@dataclass
class Item:
    """One line of a hazard's evidence: what, which records, its points, direct or not."""

    source: str  # finds, accidents, records, statements, survey, threat, risk
    what: str  # a category, a reliability, a credibility, a survey result, a threat level
    direct: bool
    points: float
    ids: list[str] = field(default_factory=list)
    measured: float | None = None  # items counted, metres, probability


@dataclass
class Assessed:
    hazard: HazardIn
    district: str
    direct: float
    indirect: float
    recommendation: str  # confirm, keep, cancel
    reasons: list[Message]
    items: list[Item]

    @property
    def score(self) -> float:
        return self.direct + self.indirect

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        h = self.hazard
        return {"hazard": h.id, "kind": h.kind, "district": self.district,
                "area_m2": round(h.area_m2, 1), "direct": round(self.direct, 3),
                "indirect": round(self.indirect, 3), "score": round(self.score, 3),
                "recommendation": self.recommendation,
                "reasons": [{"code": r.code, "text": r.text(locale)} for r in self.reasons],
                "evidence": [{"source": i.source, "what": i.what,
                              "direct": i.direct, "points": round(i.points, 3),
                              "measured": i.measured, "ids": i.ids} for i in self.items]}


@dataclass
class Assessment:
    items: list[Assessed]
    weights: dict[str, dict[str, Any]]
    notes: list[Message] = field(default_factory=list)

    def by(self, recommendation: str) -> list[Assessed]:
        return [a for a in self.items if a.recommendation == recommendation]


def _saturating(n: float, saturate: float) -> float:
    return min(n / saturate, 1.0) if saturate > 0 else 1.0


def _point_items(source: str, pts: Sequence[PointIn], near: Near, geom: BaseGeometry,
                 hazard_id: str, w: dict[str, Any], kinds: dict[str, float]) -> list[Item]:
    """Direct and indirect items of finds or accidents for one hazard, per category."""
    idx, dist = near.within(geom, float(w["around_m"]))
    direct_m = float(w["direct_m"])
    found: dict[tuple[str, bool], tuple[int, list[str]]] = {}
    for j, d in zip(idx.tolist(), dist.tolist(), strict=True):
        p = pts[j]
        is_direct = d <= direct_m or p.hazard_id == hazard_id
        n, ids = found.get((p.kind, is_direct), (0, []))
        ids.append(p.id)
        found[(p.kind, is_direct)] = (n + p.quantity, ids)
    out = []
    for (kind, is_direct), (n, ids) in sorted(found.items()):
        pts_ = kinds.get(kind, 0.0) * _saturating(n, float(w["saturate"]))
        if not is_direct:
            pts_ *= float(w["around"])
        out.append(Item(source, kind, is_direct, pts_, sorted(ids), float(n)))
    return out


def assess(ev: Evidence, weights: dict[str, dict[str, Any]]) -> Assessment:
    """Every open hazard's evidence, points and recommendation (hazards ordered by id)."""
    notes: list[Message] = []
    hazards = sorted(ev.hazards, key=lambda h: h.id)
    frame = frame_of(hazards)
    planes = [to_plane(frame, h.geometry) for h in hazards]
    f_near = Near(points_plane(frame, ev.finds))
    a_near = Near(points_plane(frame, ev.accidents))
    linked_statements: dict[str, list[int]] = {}
    for k, s in enumerate(ev.statements):
        if s.hazard_id:
            linked_statements.setdefault(s.hazard_id, []).append(k)
    s_near = Near(points_plane(frame, ev.statements))
    rec_geoms = [(r, to_plane(frame, r.geometry)) for r in ev.records
                 if r.geometry is not None and not r.geometry.is_empty]
    r_tree = shapely.STRtree([g for _r, g in rec_geoms])
    surveys: dict[str, list[ActivityIn]] = {}
    for a in ev.activities:
        if a.hazard_id:
            surveys.setdefault(a.hazard_id, []).append(a)
    if not ev.statements:
        notes.append(Message.of("evidence.no_statements"))
    if not ev.records:
        notes.append(Message.of("evidence.no_records"))
    if not ev.risk and float(weights["risk"]["weight"]):
        notes.append(Message.of("evidence.no_risk"))
    out: list[Assessed] = []
    fw, aw = weights["finds"], weights["accidents"]
    cats = {k: float(v) for k, v in fw["categories"].items()}
    acc_kinds = {k: float(aw["weight"]) for k in (*CATEGORIES, "unknown")}
    for h, g in zip(hazards, planes, strict=True):
        items: list[Item] = []
        items += _point_items("finds", ev.finds, f_near, g, h.id, fw, cats)
        items += _point_items("accidents", ev.accidents, a_near, g, h.id, aw, acc_kinds)
        # minefield records overlapping the hazard, by reliability
        rw = weights["records"]
        if rec_geoms:
            for j in r_tree.query(g, predicate="dwithin", distance=float(rw["direct_m"])):
                r, _rg = rec_geoms[int(j)]
                items.append(Item("records", r.status, True,
                                  float(rw["reliability"].get(r.status, 0.0)), [r.id],
                                  float(r.expected_mines)))
        # the evidence layer: linked to the hazard or inside it
        sw = weights["statements"]
        seen = set(linked_statements.get(h.id, []))
        seen |= set(s_near.within(g, 0.0)[0].tolist())
        for k in sorted(seen):
            s = ev.statements[k]
            direct = s.kind in sw["direct_kinds"]
            if not direct and s.kind not in sw["indirect_kinds"]:
                continue
            items.append(Item("statements", f"{s.kind}/{s.credibility or 'medium'}", direct,
                              float(sw["credibility"].get(s.credibility or "medium", 0.0)),
                              [s.id]))
        # survey of the hazard
        sv = weights["survey"]
        for a in sorted(surveys.get(h.id, []), key=lambda a: a.id):
            what = ("ts_reduced" if a.kind == "ts" and a.outcome == "reduced" else
                    "nts_kept_rest" if a.kind == "nts" and a.outcome == "cancelled" else
                    "nts_confirmed" if a.kind == "nts" and a.survey_result == "confirmed"
                    else None)
            if what:
                items.append(Item("survey", what, True, float(sv[what]), [a.id]))
        # indirect: recorded threat, risk estimate
        level = h.threat or "not recorded"
        tp = float(weights["threat"]["levels"].get(level, 0.0))
        if tp:
            items.append(Item("threat", level, False, tp, [h.id]))
        for cat in h.contamination:
            cp = float(weights["contamination"]["categories"].get(cat, 0.0))
            if cp:
                items.append(Item("contamination", cat, False, cp, [h.id]))
        p = ev.risk.get(h.id)
        if p is not None and float(weights["risk"]["weight"]):
            items.append(Item("risk", "probability", False,
                              float(weights["risk"]["weight"]) * p, [h.id], p))
        direct_pts = sum((i.points for i in items if i.direct), 0.0)
        indirect_pts = sum((i.points for i in items if not i.direct), 0.0)
        rec, reasons = _recommend(h, items, direct_pts, indirect_pts,
                                  weights["thresholds"])
        out.append(Assessed(h, ev.districts.get(h.admin_area_id or "", h.admin_area_id or ""),
                            direct_pts, indirect_pts, rec, reasons, items))
    return Assessment(out, weights, notes)


def _recommend(h: HazardIn, items: list[Item], direct: float, indirect: float,
               th: dict[str, Any]) -> tuple[str, list[Message]]:
    confirm, cancel = float(th["confirm"]), float(th["cancel"])
    strongest = sorted((i for i in items if i.points > 0),
                       key=lambda i: (-i.points, i.source, i.what))
    direct_items = [i for i in strongest if i.direct]
    if h.kind == "cha":
        return "keep", [Message.of("evidence.cha_kept", hazard=h.id)]
    if direct_items and direct >= confirm:
        return "confirm", [Message.of("evidence.direct_evidence", source=i.source,
                                      what=i.what, ids=", ".join(i.ids[:5]),
                                      count=len(i.ids), points=round(i.points, 2))
                           for i in direct_items]
    if direct_items:
        return "keep", [Message.of("evidence.direct_below_confirm", points=round(direct, 2),
                                   threshold=confirm)] + [
            Message.of("evidence.direct_evidence", source=i.source, what=i.what,
                       ids=", ".join(i.ids[:5]), count=len(i.ids), points=round(i.points, 2))
            for i in direct_items]
    if direct + indirect < cancel:
        return "cancel", [Message.of("evidence.no_direct_evidence", hazard=h.id),
                          Message.of("evidence.indirect_below_cancel",
                                     points=round(indirect, 2), threshold=cancel)]
    return "keep", [Message.of("evidence.indirect_evidence", source=i.source, what=i.what,
                               points=round(i.points, 2)) for i in strongest]


# ---------------------------------------------------------------------------------------------
# Outputs


def to_csv(a: Assessment, locale: str = "en") -> str:
    import csv
    import io

    from mineaction.io.writers import spreadsheet_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["hazard", "kind", "district", "area_m2", "direct", "indirect", "score",
                "recommendation", "reasons"])
    for r in a.items:
        w.writerow([spreadsheet_text(r.hazard.id), r.hazard.kind, spreadsheet_text(r.district),
                    round(r.hazard.area_m2, 1), round(r.direct, 3), round(r.indirect, 3),
                    round(r.score, 3), r.recommendation,
                    spreadsheet_text("; ".join(m.text(locale) for m in r.reasons))])
    return buf.getvalue()


def read_risk_csv(text: str, where: str = "risk") -> dict[str, float]:
    """hazard_id -> probability from a CSV with those two columns."""
    import csv
    import io

    from mineaction.errors import Problem

    rows = csv.DictReader(io.StringIO(text))
    if not rows.fieldnames or not {"hazard_id", "probability"} <= set(rows.fieldnames):
        raise InvalidInput.of("evidence.risk_columns", where=where)
    out: dict[str, float] = {}
    problems = []
    for n, row in enumerate(rows, start=2):
        raw = row["probability"]
        try:
            p = float(raw)
        except (TypeError, ValueError):
            p = float("nan")
        if not 0.0 <= p <= 1.0:
            problems.append(Problem.of(f"{where}:{n}", "probability", "evidence.bad_probability",
                                       value=raw))
            continue
        out[str(row["hazard_id"])] = p
    if problems:
        raise InvalidInput(problems)
    return out

"""Build the whole demonstration scenario: the operational store, the truth file, the records.

:func:`build` is what ``mineaction demo`` runs. The operational store receives only what a
programme would know (organisations, admin areas, hazards from survey, activities and their
release history, finds, accidents and victims, risk education, QC inspections, capacity), all
marked ``synthetic:``. The truth goes to its own GeoPackage. Minefield records go to a folder
as JSON files in the exchange format, and are imported into the store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point

from mineaction.demo import history as H
from mineaction.demo.contamination import Site, lay_row_field, lay_sites, site_items
from mineaction.demo.frame import BOX, END, START, geom_ll, inside_box, substream, to_ll
from mineaction.demo.records import (
    NEVER_LAID_SHARE,
    RecordSpec,
    RowSpec,
    draw_errors,
    record_json,
)
from mineaction.demo.territory import Territory, make_territory
from mineaction.demo.truth import TruthWriter
from mineaction.domain.activities import Activity
from mineaction.domain.capacity import Capacity
from mineaction.domain.casualties import Accident, Victim
from mineaction.domain.eore import RiskEducationSession
from mineaction.domain.hazards import Hazard
from mineaction.domain.ordnance import Find
from mineaction.domain.organisations import AdminArea, Organisation
from mineaction.domain.quality import QualityEvent
from mineaction.domain.release import polygonal
from mineaction.domain.schema import Record
from mineaction.errors import StoreError
from mineaction.geo.measure import area_m2, length_m
from mineaction.messages import Note
from mineaction.store import open_store

Report = Callable[[str], None]
VICTIM_ACTIVATED = {"improvised pressure plate": True, "improvised tripwire device": True,
                    "booby-trapped grenade": True, "improvised command-wire device": False}


@dataclass
class Summary:
    seed: int
    scale: float
    store: dict[str, int] = field(default_factory=dict)
    truth: dict[str, float] = field(default_factory=dict)
    areas_km2: dict[str, float] = field(default_factory=dict)  # from the store
    seconds: dict[str, float] = field(default_factory=dict)
    records_dir: str | None = None
    records: int = 0
    records_imported: bool = False


def source_of(seed: int, scale: float) -> str:
    return f"synthetic:demo seed={seed} scale={scale:g}"


def default_records_dir(db: str) -> Path:
    if "://" in db:
        return Path("records")
    return Path(db).resolve().parent / "records"


# ---------------------------------------------------------------------------------------------
# Minefield records


def plan_records(seed: int, t: Territory, sites: list[Site], scale: float, source: str
                 ) -> tuple[list[RecordSpec], list[Site]]:
    """Records handed over by side A for about half its row fields, plus fields never laid."""
    rng = substream(seed, 8)
    fields = [s for s in sites if s.kind == "row_field" and s.side == "A"]
    chosen = [s for s in fields if rng.random() < 0.5]
    n_never = max(1, round(len(chosen) * NEVER_LAID_SHARE / (1 - NEVER_LAID_SHARE)))
    never: list[Site] = []
    attempt = 0
    while len(never) < n_never and attempt < n_never * 30:
        attempt += 1
        s = lay_row_field(substream(seed, 8, 1, attempt), t, len(never), "never_laid",
                          dt.date(1993, 1, 1) + dt.timedelta(days=int(rng.integers(0, 500))))
        if s is not None:
            s.id = f"NLF-{len(never) + 1:06d}"
            s.side = "A"
            never.append(s)
    specs: list[RecordSpec] = []
    for k, s in enumerate(sorted(chosen + never, key=lambda f: (f.laid_on, f.id))):
        r = substream(seed, 8, 2, k)
        errors, unit, north = draw_errors(r, len(s.rows), s.kind == "never_laid")
        corners = tuple((float(x), float(y)) for x, y in
                        list(s.polygon_ll.exterior.coords)[:4])  # type: ignore[attr-defined]
        rows = tuple(RowSpec(row.id, *_row_ll(row), row.model, row.category, row.count,
                             row.spacing_m) for row in s.rows)
        cx, cy = s.corners[0]
        d, a = r.uniform(150, 600), r.uniform(0, 2 * math.pi)
        rlon, rlat = to_ll(np.array([cx + d * math.cos(a)]), np.array([cy + d * math.sin(a)]))
        dropped: tuple[str, ...] = ()
        if "rows_missing" in errors:
            n_drop = int(r.integers(1, len(rows)))
            dropped = tuple(sorted(str(x) for x in r.choice([q.id for q in rows], n_drop,
                                                               replace=False)))
        counts: tuple[tuple[str, int], ...] = ()
        if "count_wrong" in errors:
            kept = [q for q in rows if q.id not in dropped]
            picks = [q for q in kept if r.random() < 0.6] or kept[:1]
            written = []
            for q in picks:
                c = q.count
                while c == q.count:
                    c = max(1, int(round(q.count * r.uniform(0.6, 1.4))))
                written.append((q.id, c))
            counts = tuple(written)
        specs.append(RecordSpec(
            f"MR-{k + 1:04d}", s.id, (float(rlon[0]), float(rlat[0])), corners, rows,
            s.laid_on.isoformat(), str(r.choice(["2021-06-12", "2023-06-21"])), unit, north,
            round(float(r.uniform(5.0, 6.6)), 1), errors, dropped, counts, source))
    return specs, never


def _row_ll(row: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    ex, ey = row.end
    lon, lat = to_ll(np.array([row.x0, ex]), np.array([row.y0, ey]))
    return (float(lon[0]), float(lat[0])), (float(lon[1]), float(lat[1]))


def write_records(specs: list[RecordSpec], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("MR-*.json")):
        if re.fullmatch(r"MR-\d{4,}\.json", old.name):
            old.unlink()
    paths = []
    for spec in specs:
        p = folder / f"{spec.record_id}.json"
        p.write_text(record_json(spec), encoding="utf-8")
        paths.append(p)
    return paths


# ---------------------------------------------------------------------------------------------
# Records for the operational store


#: The territory's country code: XV, a user-assigned ISO 3166-1 code (no real country).
COUNTRY = "XV"


def organisations(src: str) -> list[Record]:
    out: list[Record] = [Organisation(id=H.NATIONAL_AUTHORITY[0], name=H.NATIONAL_AUTHORITY[1],
                                      kind="authority", country=COUNTRY,  # type: ignore
                                      source=src)]
    out += [Organisation(id=i, name=n, kind="operator", country=COUNTRY,  # type: ignore
                         source=src) for i, n in H.OPERATORS]
    return out


class Owned:
    """A transaction that gives every record it adds an owner and the territory's country,
    as the access policy needs them: an operator owns its activities, their finds, release
    steps and capacity, an organisation the sessions and inspections it held, the authority
    everything else (it keeps the national database)."""

    def __init__(self, tx: Any):
        self.tx = tx
        self.operator_of: dict[str, str] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tx, name)

    def stamp(self, record: Record) -> Record:
        if isinstance(record, Organisation):
            record.owner = record.id
        else:
            operator = getattr(record, "operator", None)
            if isinstance(record, Activity):
                self.operator_of[record.id] = record.operator
            if operator is None and isinstance(record, Find) and record.activity_id:
                operator = self.operator_of.get(record.activity_id)
            record.owner = (operator or getattr(record, "organisation", None)
                            or H.NATIONAL_AUTHORITY[0])
        if record.country is None:
            record.country = COUNTRY
        return record

    def add(self, record: Record) -> Record:
        return self.tx.add(self.stamp(record))  # type: ignore[no-any-return]

    def add_many(self, records: Any, progress: Any = None, **kw: Any) -> int:
        return self.tx.add_many((self.stamp(r) for r in records), progress,  # type: ignore
                                **kw)


def admin_areas(t: Territory, src: str) -> list[Record]:
    out: list[Record] = [AdminArea(id="VC", name=f"{TERRITORY} (synthetic)", level=1,
                                   code="VC", geometry=polygonal(geom_ll(t.land)), source=src,
                                   country=COUNTRY)]
    for did, name, poly in t.districts:
        out.append(AdminArea(id=f"VC-{did}", name=name, level=2, parent_id="VC",
                             code=f"VC-{did}", geometry=polygonal(geom_ll(poly)), source=src,
                             country=COUNTRY))
    return out


TERRITORY = "Veskaran Coast"


def hazard_records(hazards: list[H.HazardPlan], t: Territory, src: str) -> list[Record]:
    names = {did: name for did, name, _p in t.districts}
    label = {"row_field": "minefield", "nuisance": "position", "ied": "settlement",
             "battle_area": "battle area", "cluster_strike": "strike area", "none": "suspected"}
    return [Hazard(id=h.id, kind=h.kind, threat=h.threat,  # type: ignore[arg-type]
                   contamination=frozenset(h.contamination),  # type: ignore[arg-type]
                   recorded_on=h.recorded_on, name=f"{names[h.admin]} {label[h.origin]} "
                   f"{h.id[3:].lstrip('0')}", land_use=h.land_use,  # type: ignore[arg-type]
                   estimated_mines=h.estimated_mines, admin_area_id=f"VC-{h.admin}",
                   geometry=h.polygon, source=src) for h in hazards]


def activity_records(acts: list[H.ActPlan], hazards: list[H.HazardPlan], src: str
                     ) -> list[Record]:
    by_id = {h.id: h for h in hazards}
    out: list[Record] = []
    for a in acts:
        h = by_id.get(a.hazard_id) if a.hazard_id else None
        depth = None
        if a.kind == "clearance":
            depth = 30 if h is not None and "av" in h.contamination else 15
        elif a.kind == "bac":
            depth = 25
        out.append(Activity(id=a.id, kind=a.kind, operator=a.operator,  # type: ignore[arg-type]
                            started_on=a.started_on, ended_on=a.ended_on,
                            outcome=a.outcome, depth_cm=depth,  # type: ignore[arg-type]
                            hazard_id=a.hazard_id, outside_hazard=a.outside_hazard,
                            survey_result=a.survey_result,  # type: ignore[arg-type]
                            geometry=a.polygon, source=src))
    return out


def bac_shares(acts: list[H.ActPlan]) -> dict[int, float]:
    """Per year, the share of the clearance capacity's work that went to battle area clearance
    (the plan's clearance and BAC areas weighted by their cost, as the budgets spend them)."""
    work: dict[int, dict[str, float]] = {}
    for a in acts:
        if a.kind in ("clearance", "bac"):
            per = work.setdefault(a.ended_on.year, {"clearance": 0.0, "bac": 0.0})
            per[a.kind] += H.COST[a.kind] * H.area_m2_approx(a.polygon)
    return {y: w["bac"] / (w["bac"] + w["clearance"]) if w["bac"] + w["clearance"] else 0.0
            for y, w in work.items()}


def capacity_records(scale: float, src: str, acts: list[H.ActPlan] | None = None
                     ) -> list[Record]:
    """One record per operator, year and kind of work (nts, ts, clearance, bac), at the end of
    each year.

    Clearance and BAC share the national clearance capacity (deminers, dogs, machines) the
    release plan spends, split by the year's BAC share of the plan's work (``acts``); dogs
    detect mines and stay with clearance. NTS and TS staff follow the published end-2023
    figures, grown as the survey budgets are. Every operator active in a year works at every
    stage of the plan, so each has at least one team of each kind: for NTS, whose national
    staff times the territory's share is about one person, the programme's total is therefore
    above the scaled national figure.
    """
    shares = bac_shares(acts or [])
    out: list[Record] = []
    for year in H.YEARS:
        deminers, dogs, machines = H.NATIONAL_CAPACITY[year]
        survey = H.national_survey_staff(year)
        bac = shares.get(year, 0.0)
        start = START if year == 2020 else dt.date(year, 1, 1)
        for (oid, _name), share in zip(H.OPERATORS, H.OPERATOR_SHARES[year], strict=True):
            if share <= 0:
                continue
            f = H.PROGRAMME_SHARE * scale * share
            d = max(1, round(deminers * f))
            bac_d = min(d - 1, round(d * bac)) if d > 1 else 0
            mach = round(machines * f)
            bac_m = round(mach * bac)
            people = {"nts": max(1, round(survey["nts"] * f)),
                      "ts": max(1, round(survey["ts"] * f)),
                      "clearance": d - bac_d, "bac": bac_d}
            gear = {"clearance": (round(dogs * f), mach - bac_m), "bac": (0, bac_m)}
            for kind, n in people.items():
                if n <= 0:
                    continue
                n_dogs, n_machines = gear.get(kind, (0, 0))
                out.append(Capacity(
                    id=f"CAP-{oid[4:]}-{year}-{kind}", operator=oid, period_start=start,
                    period_end=dt.date(year, 12, 31),
                    activity_kind=kind,  # type: ignore[arg-type]
                    teams=max(1, round(n / H.TEAM_SIZE[kind])), deminers=n, dogs=n_dogs,
                    machines=n_machines, staff_total=round(n * 1.3), source=src))
    return out


#: How risk education is delivered: (method, audience, place, weight in a town, in a village).
EORE_KINDS = (
    ("school_lesson", "school", "school", 3.0, 2.0),
    ("group_session", "community", "village_square", 2.0, 4.0),
    ("group_session", "farmers", "field", 0.5, 2.5),
    ("house_to_house", "community", "home", 1.0, 2.0),
    ("group_session", "displaced", "camp", 1.0, 0.5),
    ("group_session", "returnees", "community_centre", 1.5, 1.5),
    ("mass_media", "community", "town_hall", 1.0, 0.2),
)


def _eore_kind(rng: np.random.Generator, settlement_kind: str) -> tuple[str, str, str]:
    w = np.array([k[3] if settlement_kind != "village" else k[4] for k in EORE_KINDS])
    method, audience, place, *_ = EORE_KINDS[int(rng.choice(len(w), p=w / w.sum()))]
    return method, audience, place


def eore_records(seed: int, t: Territory, scale: float, src: str) -> list[Record]:
    rng = substream(seed, 9)
    kinds = substream(seed, 9, 1)  # method, audience, place: a stream of their own
    near = np.array([3.0 if t.front.distance(Point(s.x, s.y)) < 20000 else 1.0
                     for s in t.settlements])
    w = near * np.sqrt([s.population for s in t.settlements])
    w = w / w.sum()
    orgs = [H.NATIONAL_AUTHORITY[0]] + [o for o, _n in H.OPERATORS]
    out: list[Record] = []
    for year in H.YEARS:
        w0 = START if year == 2020 else dt.date(year, 1, 1)
        days = (dt.date(year, 12, 31) - w0).days
        for _ in range(int(round(H.EORE_PER_YEAR[year] * scale))):
            s = t.settlements[int(rng.choice(len(w), p=w))]
            n = int(rng.poisson(min(15 + s.population / 200, 120)))
            g, b, wo, m = (int(v) for v in rng.multinomial(n, [0.22, 0.24, 0.3, 0.24]))
            lon, lat = to_ll(np.array([s.x]), np.array([s.y]))
            method, audience, place = _eore_kind(kinds, s.kind)
            out.append(RiskEducationSession(
                id=f"EORE-{len(out) + 1:06d}", held_on=w0 + dt.timedelta(
                    days=int(rng.integers(0, days + 1))),
                organisation=orgs[int(rng.integers(0, len(orgs)))],
                admin_area_id=f"VC-{s.district}", method=method, audience=audience,
                place=place, girls=g, boys=b, women=wo, men=m,
                geometry=Point(float(lon[0]), float(lat[0])), source=src,
                notes=f"session in {s.name}"))
    return out


def accident_records(accs: list[H.AccidentPlan], seed: int, src: str
                     ) -> tuple[list[Record], list[Record]]:
    rng = substream(seed, 10)
    accidents: list[Record] = []
    victims: list[Record] = []
    for a in accs:
        model = a.model if rng.random() < 0.6 and not a.model.startswith(
            ("improvised", "booby")) else None
        accidents.append(Accident(id=a.id, occurred_on=a.occurred_on,
                                  device_category=a.category,  # type: ignore[arg-type]
                                  device_model=model,
                                  activity_at_time=a.activity_at_time,  # type: ignore
                                  admin_area_id=f"VC-{a.admin}", hazard_id=a.hazard_id,
                                  geometry=Point(a.lon, a.lat), source=src))
        for k, v in enumerate(a.victims, start=1):
            victims.append(Victim(id=f"{a.id}-V{k}", accident_id=a.id,
                                  group=v["group"], outcome=v["outcome"],  # type: ignore
                                  sex=v["sex"], age_band=v["age_band"],  # type: ignore
                                  occurred_on=a.occurred_on,
                                  device_category=a.category,  # type: ignore[arg-type]
                                  activity_at_time=a.activity_at_time,  # type: ignore
                                  admin_area_id=f"VC-{a.admin}", source=src))
    return accidents, victims


#: Findings of QA visits to worksites: (severity, what was observed, corrective action).
QA_FINDINGS = (
    ("minor", "marking of the worksite incomplete", "complete the marking"),
    ("minor", "safety distances not kept at a break", "brief the team on safety distances"),
    ("major", "detector not tested at the start of the day", "retrain the team on detector "
     "tests"),
    ("major", "cleared lanes not recorded on the task map", "update the task map"),
    ("critical", "medic absent from the worksite", "stop work until the medic returns"),
)


def quality_records(seed: int, qcs: list[H.QCPlan], acts: list[H.ActPlan], src: str
                    ) -> list[Record]:
    """QC inspections of released land (one that found items fails: a critical
    non-conformity, the lot rejected) and QA visits to worksites, some of them with
    non-conformities, closed when corrected (those still open at the end stay open)."""
    rng = substream(seed, 11)
    nmaa = H.NATIONAL_AUTHORITY[0]
    out: list[Record] = []
    for q in qcs:
        if q.items_found:
            closed = q.held_on + dt.timedelta(days=int(rng.integers(30, 180)))
            out.append(QualityEvent(
                id=q.id, kind="qc_inspection", held_on=q.held_on,  # type: ignore[arg-type]
                activity_id=acts[q.act].id, organisation=nmaa,
                result="fail", items_found=q.items_found,  # type: ignore[arg-type]
                reason=f"{q.items_found} item(s) found in the sample of released land",
                severity="critical",  # type: ignore[arg-type]
                corrective_action="lot returned to the hazard; survey and clear it again, "
                                  "investigate the release",
                closed_on=closed if closed <= END else None, geometry=q.polygon, source=src))
        else:
            out.append(QualityEvent(
                id=q.id, kind="qc_inspection", held_on=q.held_on,  # type: ignore[arg-type]
                activity_id=acts[q.act].id, organisation=nmaa,
                result="pass", items_found=0, geometry=q.polygon,  # type: ignore[arg-type]
                source=src))
    n = 0
    for a in sorted(acts, key=lambda a: (a.started_on, a.id)):
        days = (a.ended_on - a.started_on).days
        if a.kind not in ("clearance", "bac", "ts") or days < 5 or rng.random() > 0.3:
            continue
        n += 1
        held = a.started_on + dt.timedelta(days=int(rng.integers(1, days)))
        finding = QA_FINDINGS[int(rng.integers(0, len(QA_FINDINGS)))] \
            if rng.random() < 0.35 else None
        extra: dict[str, Any] = {"result": "pass"}
        if finding is not None:
            closed = held + dt.timedelta(days=int(rng.integers(1, 60)))
            extra = {"result": "observation", "severity": finding[0], "reason": finding[1],
                     "corrective_action": finding[2] if rng.random() < 0.9 else None,
                     "closed_on": closed if closed <= END and rng.random() < 0.85 else None}
        out.append(QualityEvent(id=f"QA-{n:06d}", kind="qa_visit",  # type: ignore[arg-type]
                                held_on=held, activity_id=a.id, organisation=nmaa,
                                source=src, **extra))
    return out


# ---------------------------------------------------------------------------------------------
# The streaming pass: finds into the store, items into the truth, site by site


def stream_items(seed: int, sites: list[Site], acts: list[H.ActPlan], qcs: list[H.QCPlan],
                 accs: list[H.AccidentPlan], fate: H.ItemFate, truth: TruthWriter, src: str,
                 counters: Counter[str]) -> Iterator[Record]:
    acc_ids = {(a.site, a.item): a.id for a in accs}
    n_find = 0
    for si, s in enumerate(sites):
        it = site_items(seed, s)
        n = len(it)
        if not n:
            continue
        found = fate.found_by.get(si, np.full(n, -1, np.int32))
        left = fate.left_by.get(si, np.full(n, -1, np.int32))
        qc = fate.qc_by.get(si, np.full(n, -1, np.int32))
        boom = fate.accident_by.get(si, np.full(n, -1, np.int32))
        find_ids: list[str | None] = [None] * n
        for idx in np.nonzero(found >= 0)[0]:
            a = acts[int(found[idx])]
            n_find += 1
            fid = f"FND-{n_find:07d}"
            find_ids[int(idx)] = fid
            cat = str(it.category[idx])
            model = str(it.model[idx])
            yield Find(id=fid, category=cat, model=model,  # type: ignore[arg-type]
                       found_on=a.ended_on, destroyed_on=a.ended_on, activity_id=a.id,
                       hazard_id=a.hazard_id, geometry=Point(float(it.lon[idx]),
                                                             float(it.lat[idx])),
                       victim_activated=VICTIM_ACTIVATED.get(model) if cat == "ied" else None,
                       source=src)
        status = np.full(n, "remaining", dtype=object)
        status[left >= 0] = "left_behind"
        status[qc >= 0] = "qc_found"
        status[boom >= 0] = "exploded"
        status[found >= 0] = "found"
        for k, v in Counter(status.tolist()).items():
            counters[f"items_{k}"] += v
        counters["items"] += n
        counters["mines"] += int(np.isin(it.category, ("ap", "av")).sum())
        ids = np.array([f"{s.id}/{i}" for i in range(n)], dtype=object)
        truth.add_points("items", it.lon, it.lat, {
            "item_id": ids, "site_id": np.full(n, s.id, dtype=object),
            "category": it.category.astype(object), "model": it.model.astype(object),
            "status": status,
            "activity_id": np.array([acts[int(i)].id if i >= 0 else None for i in found],
                                    dtype=object),
            "find_id": np.array(find_ids, dtype=object),
            "left_by": np.array([acts[int(i)].id if i >= 0 else None for i in left],
                                dtype=object),
            "qc_id": np.array([qcs[int(i)].id if i >= 0 else None for i in qc], dtype=object),
            "accident_id": np.array([acc_ids.get((si, i)) for i in range(n)], dtype=object),
        })
        lb = np.nonzero(left >= 0)[0]
        if len(lb):
            truth.add_points("left_behind", it.lon[lb], it.lat[lb], {
                "item_id": ids[lb], "site_id": np.full(len(lb), s.id, dtype=object),
                "category": it.category[lb].astype(object),
                "activity_id": np.array([acts[int(left[i])].id for i in lb], dtype=object),
                "method": np.array([acts[int(left[i])].outcome for i in lb], dtype=object),
                "status": status[lb],
            })


def write_truth_static(truth: TruthWriter, t: Territory, sites: list[Site], never: list[Site],
                       hazards: list[H.HazardPlan], specs: list[RecordSpec],
                       accs: list[H.AccidentPlan]) -> None:
    truth.add("land", polygonal(geom_ll(t.land)), "MultiPolygon", name=TERRITORY,
              area_km2=area_m2(geom_ll(t.land)) / 1e6)
    for st in t.settlements:
        lon, lat = to_ll(np.array([st.x]), np.array([st.y]))
        truth.add("settlements", Point(float(lon[0]), float(lat[0])), "Point",
                  settlement_id=st.id, name=st.name, kind=st.kind,
                  population=int(st.population), district=f"VC-{st.district}")
    for rid, cls, line in t.roads:
        truth.add("roads", geom_ll(line), "LineString", road_id=rid, road_class=cls)
    for wid, name, line in t.rivers:
        truth.add("rivers", geom_ll(line), "LineString", river_id=wid, name=name)
    for cls, geom in t.cover.items():
        truth.add("land_cover", polygonal(geom_ll(geom)), "MultiPolygon", cover=cls,
                  area_km2=area_m2(geom_ll(geom)) / 1e6)
    front = geom_ll(t.front)
    truth.add("front_line", front, "LineString", length_km=length_m(front) / 1000)
    belt = polygonal(geom_ll(t.belt))
    truth.add("belt", belt, "MultiPolygon", width_m=5000.0, area_km2=area_m2(belt) / 1e6)
    for pid, side, x, y in t.positions:
        lon, lat = to_ll(np.array([x]), np.array([y]))
        truth.add("positions", Point(float(lon[0]), float(lat[0])), "Point", position_id=pid,
                  side=side)
    hz_of: dict[int, list[str]] = {}
    for h in hazards:
        for i in h.sites:
            hz_of.setdefault(i, []).append(h.id)
        truth.add("hazard_sites", None, None, hazard_id=h.id, origin=h.origin,
                  site_ids=",".join(sites[i].id for i in h.sites))
    for i, s in enumerate([*sites, *never]):
        poly = s.polygon_ll
        sq = area_m2(poly)
        truth.add("sites", poly, "Polygon", site_id=s.id, kind=s.kind,
                  field_type=s.field_type, side=s.side, setting=s.setting,
                  laid_on=s.laid_on.isoformat(), n_items=int(s.n_items), area_m2=sq,
                  density_per_km2=s.n_items / sq * 1e6 if sq else 0.0,
                  hazard_ids=",".join(hz_of.get(i, [])) if i < len(sites) else "")
        for row in s.rows:
            (x0, y0), (x1, y1) = _row_ll(row)
            truth.add("field_rows", LineString([(x0, y0), (x1, y1)]), "LineString",
                      site_id=s.id, row_id=row.id, category=row.category, model=row.model,
                      count=int(row.count), spacing_m=float(row.spacing_m))
    for spec in specs:
        truth.add("record_errors", Point(*spec.reference), "Point", record_id=spec.record_id,
                  field_id=spec.field_id, errors=",".join(spec.errors) or "exact",
                  unit=spec.unit, reference_north=spec.reference_north,
                  declination_deg=spec.declination_deg,
                  rows_dropped=",".join(spec.rows_dropped),
                  counts_written=json.dumps(dict(spec.counts_written), sort_keys=True),
                  laid_on=spec.laid_on, received_on=spec.received_on, source=spec.source,
                  file=f"{spec.record_id}.json")
    for a in accs:
        truth.add("accident_exposure", Point(a.lon, a.lat), "Point", accident_id=a.id,
                  item_id=f"{sites[a.site].id}/{a.item}", category=a.category,
                  in_belt=a.in_belt, settlement_dist_m=a.settle_dist_m,
                  road_dist_m=a.road_dist_m, cover=a.cover, exposure=a.exposure,
                  occurred_on=a.occurred_on.isoformat())


# ---------------------------------------------------------------------------------------------


def build(db: str, truth_path: str | Path, *, seed: int = 1, scale: float = 1.0,
          records_dir: str | Path | None = None, import_records: bool = True,
          report: Report | None = None,
          progress: Callable[[str, int | None], Callable[[int], None]] | None = None
          ) -> Summary:
    """Generate the scenario into the store ``db`` and the truth file ``truth_path``."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    say = report or (lambda _m: None)
    summary = Summary(seed, scale)
    src = source_of(seed, scale)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        summary.seconds[name] = round(now - clock, 2)
        clock = now

    say(Note("cli.demo_territory"))
    t = make_territory(seed)
    sites = lay_sites(seed, t, scale)
    lap("territory and sites")
    say(Note("cli.demo_sites", count=len(sites)))
    hazards = H.survey_hazards(seed, t, sites, scale)
    rel = H.Releaser(seed, sites, hazards)
    acts = rel.run(scale)
    rel.outside(t, scale)
    lap("survey and release plan")
    fate = H.trace_items(seed, sites, acts)
    qcs = H.plan_qc(seed, sites, acts, fate)
    accs = H.plan_accidents(seed, t, sites, hazards, fate, scale)
    lap("finds, inspections, accidents")
    specs, never = plan_records(seed, t, sites, scale, src)
    folder = Path(records_dir) if records_dir else default_records_dir(db)
    paths = write_records(specs, folder)
    summary.records_dir, summary.records = str(folder), len(paths)
    lap("minefield records")

    store = open_store(db)
    try:
        store.create()
        for layer in ("hazards", "activities", "finds", "admin-areas", "organisations"):
            if store.count(layer):
                raise StoreError.of("store.demo_needs_empty", url=db, layer=layer)
        from mineaction.release.engine import apply_in_order, record_hazards

        truth = TruthWriter(truth_path)
        counters: Counter[str] = Counter()

        def bar(label: str, total: int | None) -> Callable[[int], None] | None:
            return progress(label, total) if progress else None

        say(Note("cli.demo_writing"))
        with store.transaction() as raw_tx:
            tx: Any = Owned(raw_tx)
            tx.add_many(organisations(src) + admin_areas(t, src))
            hz = hazard_records(hazards, t, src)
            tx.add_many(hz, bar(Note("cli.demo_bar_hazards"), len(hz)))
            record_hazards(tx, hz)
            ac = activity_records(acts, hazards, src)
            tx.add_many(ac)
            qe = quality_records(seed, qcs, acts, src)
            tx.add_many(qe)
            # as a programme records them: activities, and each failed inspection rejecting
            # its lot (the land returns to a hazard), in date order
            apply_in_order(tx, ac, qe, bar(Note("cli.demo_bar_release"), len(ac)))
            lap("store: hazards, activities, release")
            tx.add_many(stream_items(seed, sites, acts, qcs, accs, fate, truth, src, counters),
                        bar(Note("cli.demo_bar_finds"), None))
            accidents, victims = accident_records(accs, seed, src)
            tx.add_many(accidents + victims + eore_records(seed, t, scale, src)
                        + capacity_records(scale, src, acts))
        lap("store: finds and the rest; truth items")
        for key, value in (("seed", seed), ("scale", f"{scale:g}"), ("source", src),
                           ("box", ",".join(f"{v:g}" for v in BOX))):
            truth.add("scenario", None, None, key=key, value=str(value))
        write_truth_static(truth, t, sites, never, hazards, specs, accs)
        truth.close()
        lap("truth layers")
        if import_records and paths:
            # the authority receives and keeps the minefield records: they are its own
            from mineaction.access import Actor, Role

            keeper = Actor("demo", frozenset({Role.ADMIN}), org_id=H.NATIONAL_AUTHORITY[0],
                           country=COUNTRY, org_kind="authority")
            summary.records_imported = _import_records(store.as_actor(keeper), paths)
            lap("records import")
        for layer in ("organisations", "admin-areas", "hazards", "hazard-versions",
                      "activities", "release-steps", "finds", "accidents", "victims", "eore",
                      "quality", "capacity", "minefield-records"):
            with contextlib.suppress(KeyError):
                summary.store[layer] = store.count(layer)
        summary.store["hazards_closed"] = store.count("hazards", status="closed")
        first = store.aggregate("hazard-versions", sums=["area_m2"], where={"seq": 1})
        summary.areas_km2["hazards_as_recorded"] = round(first[0]["area_m2"] / 1e6, 1)
        by_method = {str(r["method"]): r["area_m2"] for r in store.aggregate(
            "release-steps", ["method"], sums=["area_m2"], where={"rejected_by": None})}
        for method in ("cancelled", "reduced", "cleared"):
            summary.areas_km2[f"released_{method}"] = round(by_method.get(method, 0.0) / 1e6,
                                                            1)
        every = store.aggregate("release-steps", sums=["area_m2"])[0]["area_m2"] or 0.0
        summary.areas_km2["returned_by_failed_inspections"] = round(
            (every - sum(by_method.values())) / 1e6, 3)
    finally:
        store.close()
    kinds = Counter(s.kind for s in sites)
    summary.truth.update({f"sites_{k}": v for k, v in sorted(kinds.items())})
    summary.truth.update(counters)
    summary.truth["never_laid_fields"] = len(never)
    summary.truth["records_exact"] = sum(1 for s in specs if not s.errors)
    summary.truth["land_km2"] = round(area_m2(geom_ll(t.land)) / 1e6, 1)
    summary.truth["front_km"] = round(length_m(geom_ll(t.front)) / 1000, 1)
    summary.truth["districts"] = len(t.districts)
    summary.truth["settlements"] = len(t.settlements)
    summary.truth["population"] = sum(s.population for s in t.settlements)
    summary.truth["accidents_outside_belt"] = sum(1 for a in accs if not a.in_belt)
    return summary


def _import_records(store: Any, paths: list[Path]) -> bool:
    try:
        from mineaction.records.storage import import_records, read_files
    except ImportError:
        return False
    import_records(store, read_files(paths))
    return True


def check_inside_box(geom: Any) -> bool:
    return inside_box(geom)


__all__ = ["BOX", "END", "MultiPolygon", "build", "shapely"]

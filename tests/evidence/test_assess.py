"""Evidence-weighted classification: direct and indirect evidence, its points by the weights
file, and the recommendation with its reasons; the store read on both adapters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyproj
import pytest

from mineaction import domain as d
from mineaction.access import Actor, Role
from mineaction.domain.evidence import Evidence as EvidenceRecord
from mineaction.errors import InvalidInput
from mineaction.geo.measure import area_m2
from mineaction.risk.evidence import (
    Evidence,
    HazardIn,
    Near,
    PointIn,
    assess,
    frame_of,
    load_weights,
    points_plane,
    read_risk_csv,
    to_plane,
)
from mineaction.services import evidence
from mineaction.services.context import Context

from .conftest import at, square


def hz(hid: str, geom, kind: str = "sha", threat: str | None = "low") -> HazardIn:
    return HazardIn(hid, kind, threat, ("ap",), "VC-1", geom, area_m2(geom))


def find(fid: str, x: float, y: float, cat: str = "ap", **kw) -> PointIn:
    p = at(x, y)
    return PointIn(fid, p.x, p.y, cat, **kw)


def test_default_weights_load_and_a_file_changes_only_what_it_names() -> None:
    w = load_weights()
    assert w["thresholds"]["cancel"] > 0 and w["finds"]["categories"]["ap"] > 0
    w2 = load_weights("[finds]\ncategories = { uxo = 0.1 }\n[thresholds]\ncancel = 2\n")
    assert w2["finds"]["categories"]["uxo"] == 0.1
    assert w2["finds"]["categories"]["ap"] == w["finds"]["categories"]["ap"]
    assert w2["thresholds"]["cancel"] == 2 and w2["thresholds"]["confirm"] == \
        w["thresholds"]["confirm"]
    for bad, code in (("[nope]\nx = 1\n", "evidence.unknown_section"),
                      ("[finds]\nradius = 1\n", "evidence.unknown_key"),
                      ("[threat]\nlevels = { high = -1 }\n", "evidence.bad_weight"),
                      ("[finds\n", "evidence.bad_toml")):
        with pytest.raises(InvalidInput) as exc:
            load_weights(bad)
        assert exc.value.problems[0].code == code


def test_direct_evidence_confirms_none_cancels_and_a_cha_is_kept() -> None:
    ev = Evidence(
        hazards=[hz("H-FIND", square(0, 0, 200, 200)), hz("H-NONE", square(5000, 0, 5200, 200)),
                 hz("H-CHA", square(9000, 0, 9200, 200), kind="cha"),
                 hz("H-NEAR", square(0, 3000, 200, 3200))],
        finds=[find("F1", 100, 100), find("F2", 120, 100), find("F3", 110, 90),
               find("F4", 100, 3500, "uxo"), find("F5", 9100, 100, "uxo")],
        districts={"VC-1": "North"})
    a = {x.hazard.id: x for x in assess(ev, load_weights()).items}
    assert a["H-FIND"].recommendation == "confirm"
    assert [m.code for m in a["H-FIND"].reasons] == ["evidence.direct_evidence"]
    assert a["H-FIND"].items[0].ids == ["F1", "F2", "F3"] and a["H-FIND"].district == "North"
    assert a["H-NONE"].recommendation == "cancel"
    assert [m.code for m in a["H-NONE"].reasons] == ["evidence.no_direct_evidence",
                                                     "evidence.indirect_below_cancel"]
    assert a["H-CHA"].recommendation == "keep"
    assert [m.code for m in a["H-CHA"].reasons] == ["evidence.cha_kept"]
    near = a["H-NEAR"].items
    assert [(i.source, i.what, i.direct) for i in near] == [("finds", "uxo", False)]
    assert a["H-NEAR"].direct == 0.0


def test_categories_are_never_lumped_and_threat_and_risk_are_indirect() -> None:
    ev = Evidence(hazards=[hz("H1", square(0, 0, 300, 300), threat="high")],
                  finds=[find("F1", 10, 10, "ap"), find("F2", 20, 20, "uxo"),
                         find("F3", 30, 30, "uxo", quantity=5)],
                  risk={"H1": 0.5})
    (a,) = assess(ev, load_weights()).items
    w = load_weights()
    by = {(i.source, i.what): i for i in a.items}
    assert by[("finds", "ap")].measured == 1 and by[("finds", "uxo")].measured == 6
    assert by[("finds", "uxo")].points == pytest.approx(w["finds"]["categories"]["uxo"])
    assert not by[("threat", "high")].direct and not by[("risk", "probability")].direct
    assert by[("risk", "probability")].points == pytest.approx(0.5 * w["risk"]["weight"])
    assert a.direct == pytest.approx(by[("finds", "ap")].points + by[("finds", "uxo")].points)


def test_plane_distances_agree_with_the_geodesic() -> None:
    rng = np.random.default_rng(3)
    hazards = [hz("H", square(0, 0, 100, 100))]
    pts = [find(f"P{k}", float(x), float(y)) for k, (x, y) in
           enumerate(rng.uniform(-40_000, 40_000, (50, 2)))]
    frame = frame_of(hazards)
    near = Near(points_plane(frame, pts))
    idx, dist = near.within(to_plane(frame, hazards[0].geometry), 100_000)
    corner = hazards[0].geometry.centroid
    geod = pyproj.Geod(ellps="WGS84")
    for j, dd in zip(idx, dist, strict=True):
        p = pts[int(j)]
        # from the hazard's centre to the point, both ways, against the plane's distance
        g = geod.inv(corner.x, corner.y, p.lon, p.lat)[2]
        c = to_plane(frame, corner)
        q = points_plane(frame, [p])[0]
        planar = float(np.hypot(q[0] - c.x, q[1] - c.y))
        assert planar == pytest.approx(g, rel=1e-3)
        assert dd <= planar + 1e-6


def test_a_risk_csv_is_checked_row_by_row() -> None:
    assert read_risk_csv("hazard_id,probability\nH1,0.25\n") == {"H1": 0.25}
    with pytest.raises(InvalidInput) as exc:
        read_risk_csv("hazard_id,probability\nH1,2\nH2,x\n", "r.csv")
    assert [(p.where, p.code) for p in exc.value.problems] == [
        ("r.csv:2", "evidence.bad_probability"), ("r.csv:3", "evidence.bad_probability")]
    with pytest.raises(InvalidInput):
        read_risk_csv("id,p\n")


def test_the_store_is_read_with_statements_and_dates(store) -> None:
    h1 = d.Hazard(id="H1", kind=d.HazardKind.SHA, contamination=frozenset({d.EOCategory.AP}),
                  recorded_on=dt.date(2021, 1, 1), threat="low",
                  geometry=square(0, 0, 200, 200))
    h2 = d.Hazard(id="H2", kind=d.HazardKind.SHA, contamination=frozenset({d.EOCategory.AP}),
                  recorded_on=dt.date(2021, 1, 1), threat="low",
                  geometry=square(3000, 0, 3200, 200))
    with store.transaction() as tx:
        tx.add_many([h1, h2])
        tx.add(EvidenceRecord(id="E1", kind="witness_statement", credibility="high",
                              recorded_on=dt.date(2022, 5, 1), hazard_id="H1",
                              geometry=at(100, 100)))
        tx.add(d.Find(id="F1", category=d.EOCategory.AV, found_on=dt.date(2022, 6, 1),
                      geometry=at(3100, 100)))
    ctx = Context(store, Actor("im", frozenset({Role.ADMIN})))
    a = {x.hazard.id: x for x in evidence.assess(ctx).items}
    assert a["H1"].recommendation == "confirm"
    assert [(i.source, i.what, i.ids) for i in a["H1"].items] == [
        ("statements", "witness_statement/high", ["E1"])]
    # one AV find: direct evidence, too little to confirm
    assert a["H2"].recommendation == "keep"
    assert [m.code for m in a["H2"].reasons] == ["evidence.direct_below_confirm",
                                                 "evidence.direct_evidence"]
    # before the statement and the find were recorded, both hazards rest on nothing
    early = {x.hazard.id: x.recommendation for x in
             evidence.assess(ctx, before=dt.date(2022, 5, 1)).items}
    assert early == {"H1": "cancel", "H2": "cancel"}


def test_recorded_contamination_seen_on_the_surface_keeps_a_hazard() -> None:
    cmr = HazardIn("H-CMR", "sha", "low", ("cmr",), None, square(0, 0, 200, 200),
                   40_000.0)
    ap = HazardIn("H-AP", "sha", "low", ("ap",), None, square(900, 0, 1100, 200), 40_000.0)
    a = {x.hazard.id: x for x in assess(Evidence(hazards=[cmr, ap]), load_weights()).items}
    assert a["H-CMR"].recommendation == "keep"
    assert [m.code for m in a["H-CMR"].reasons] == ["evidence.indirect_evidence"]
    assert a["H-AP"].recommendation == "cancel"
    off = load_weights("[contamination]\ncategories = { cmr = 0 }\n")
    assert assess(Evidence(hazards=[cmr]), off).items[0].recommendation == "cancel"

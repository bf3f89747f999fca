"""A person's decision on a minefield record's proposed correction, on both adapters:
accepting adds the corrected perimeter to the hazard the record lies on (a new version naming
the record) or makes a new suspected area; rejecting keeps who, when and why; a decision is
taken once, only on a proposal, and only by those who may."""

from __future__ import annotations

import json

import numpy as np
import pytest
from shapely.geometry import shape

from mineaction.access import Actor, Role
from mineaction.domain.activities import Activity
from mineaction.domain.hazards import Hazard
from mineaction.domain.minefield_records import StoredMinefieldRecord
from mineaction.domain.ordnance import Find
from mineaction.domain.release import HazardVersion, polygonal
from mineaction.domain.vocabulary import ActivityKind, EOCategory, HazardKind
from mineaction.errors import Conflict, Forbidden, InvalidInput
from mineaction.records import synthetic as S
from mineaction.release.engine import record_hazards
from mineaction.services import records
from mineaction.services.context import Context
from mineaction.store import Query, Store

pytestmark = pytest.mark.real

SOURCE = "synthetic:decision tests"


def put(store: Store, rid: str, lon: float, error: str, *, by: Actor | None = None,
        lat: float = 41.5) -> StoredMinefieldRecord:
    """A record of a field at ``lon``, ``lat`` handed over with ``error``, the mines found
    where the field was really laid, and the ground cleared (written by ``by``)."""
    truth = S.field_record(rid, lon, lat, crs="EPSG:4284", rows=2, per_row=10)
    rec, laid = S.derive(truth, error)
    gr = S.ground(truth, laid, np.random.default_rng(7))
    ctx = Context(store, by or Actor.local("im"))
    (row,), _ = records.import_documents(ctx, [(f"{rid}.json", json.dumps(rec))])
    with ctx.reader.transaction() as tx:
        tx.add_many([Find(id=f"{rid}-F{i}", category=EOCategory.AP, geometry=shape(
            {"type": "Point", "coordinates": [float(x), float(y)]}), source=SOURCE)
            for i, (x, y) in enumerate(gr.finds_lonlat)])
        tx.add(Activity(id=f"{rid}-C", kind=ActivityKind.CLEARANCE, operator="Op",
                        geometry=polygonal(gr.covered), source=SOURCE))
    return row


def test_decisions_on_proposed_corrections(store: Store) -> None:
    on_hazard = put(store, "MR-D1", 51.20, "sk42_as_wgs84")
    alone = put(store, "MR-D2", 51.30, "sk42_as_wgs84")
    put(store, "MR-D3", 51.40, "sk42_as_wgs84")
    with store.transaction() as tx:  # a hazard drawn on the first record's perimeter
        h = Hazard(id="HZ-D1", kind=HazardKind.CHA, geometry=polygonal(
            on_hazard.geometry.buffer(0.0005)), source=SOURCE)
        tx.add(h)
        record_hazards(tx, [h])
    im = Context(store, Actor.local("im"))
    analyst = Context(store, Actor("ana", frozenset({Role.ANALYST})))

    with pytest.raises(Forbidden) as refused:
        records.decide(analyst, "MR-D1", accept=True, note="")
    assert refused.value.code == "records.decide_not_allowed"
    with pytest.raises(InvalidInput) as no_note:
        records.decide(im, "MR-D2", accept=False, note="  ")
    assert no_note.value.code == "records.decision_needs_note"
    records.withdraw(im, "MR-D3", "handed over twice")  # no longer assessed: no proposal
    with pytest.raises(InvalidInput) as nothing:
        records.decide(im, "MR-D3", accept=True, note="")
    assert nothing.value.code == "records.no_proposal"
    assert store.get(StoredMinefieldRecord, "MR-D3").decision is None

    # accepted on a hazard: a new version of it, naming the record, with the corrected land
    proposal = records.show(im, "MR-D1").assessment.proposal()
    corrected = shape(proposal["perimeter"])
    done = records.decide(im, "MR-D1", accept=True, note="matches the finds")
    assert done.decision == "accepted" and done.decided_by == "im"
    assert done.decision_change == "hazard-versions/HZ-D1@2"
    v = store.get(HazardVersion, "HZ-D1@2")
    assert v.change == "corrected" and "MR-D1" in v.reason and "correctable" in v.reason
    hz = store.get(Hazard, "HZ-D1")
    assert hz.geometry.buffer(1e-9).contains(corrected)
    assert hz.geometry.buffer(1e-9).contains(on_hazard.geometry)  # nothing taken away
    with pytest.raises(Conflict) as twice:
        records.decide(im, "MR-D1", accept=False, note="changed my mind")
    assert twice.value.code == "records.decided"
    if store.url.endswith(".gpkg"):  # the command says so too, and changes nothing
        from mineaction.cli import main

        assert main(["--db", store.url, "records", "decide", "MR-D1", "--reject", "--note",
                     "again"]) != 0

    # rejected: kept on the record, nothing written elsewhere
    hazards = store.count("hazards")
    rejected = records.decide(im, "MR-D2", accept=False, note="the finds are of another field")
    assert (rejected.decision, rejected.decision_note, rejected.decision_change) == (
        "rejected", "the finds are of another field", None)
    assert store.count("hazards") == hazards
    assert store.get(StoredMinefieldRecord, "MR-D2").decided_on == im.today()

    # accepted where no hazard lies: a new suspected area from the record
    fresh = put(store, "MR-D4", 51.50, "sk42_as_wgs84")
    out = records.decide(im, fresh.id, accept=True, note="")
    assert out.decision_change == "hazard-versions/MR-D4-corrected@1"
    new = store.get(Hazard, "MR-D4-corrected")
    assert new.kind == HazardKind.SHA and new.geometry.area > 0
    assert [x.change for x in store.iter("hazard-versions", Query(
        where={"hazard_id": new.id}))] == ["corrected"]
    assert alone.id == "MR-D2"

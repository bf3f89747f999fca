"""The land release engine gives the same history measuring areas together and looking for
overlaps in bulk (the default) as one at a time: on every adapter, a small random programme."""

from __future__ import annotations

import datetime as dt

import numpy as np

from mineaction import domain as d
from mineaction.domain.quality import QualityEvent
from mineaction.domain.vocabulary import QualityKind, QualityResult
from mineaction.release.engine import apply_in_order, record_hazards
from mineaction.store.base import Query

from .test_release import activity, hazard, metric_box


class _Undo(Exception):
    pass


def programme(seed: int = 3) -> tuple[list, list, list]:
    """Hazards on a grid, 70 activities (releases of every method, some over two hazards or
    outside any, two on the same hazard the same day, surveys that add, enlarge and confirm)
    and a failed QC inspection in the middle."""
    rng = np.random.default_rng(seed)
    hazards = [hazard(f"H{i:02d}", metric_box(300 * (i % 4), 300 * (i // 4),
                                              300 * (i % 4) + 200, 300 * (i // 4) + 200))
               for i in range(12)]
    acts = []
    for j in range(70):
        x, y = rng.uniform(-50, 1100), rng.uniform(-50, 800)
        w, h = rng.uniform(30, 250), rng.uniform(20, 150)
        on = dt.date(2022, 1, 1) + dt.timedelta(days=int(rng.integers(0, 40)))
        kind = ("nts", "ts", "clearance", "bac")[j % 4]
        geom = metric_box(x, y, x + w, y + h)
        if j % 10 == 3:
            acts.append(activity(f"S{j:02d}", "nts", geom, on, outcome=None,
                                 survey_result="new_hazard", hazard_id=f"N{j:02d}"))
        elif j % 10 == 7:
            acts.append(activity(f"S{j:02d}", "ts", geom, on, outcome=None,
                                 survey_result=("enlarged", "confirmed")[j % 20 == 7],
                                 hazard_id=f"H{j % 12:02d}"))
        else:
            acts.append(activity(f"A{j:02d}", kind, geom, on, outside_hazard=True))
    # two releases on the same hazard on the same day: applied in id order
    same = dt.date(2022, 3, 1)
    acts += [activity("Z1", "ts", metric_box(0, 0, 120, 200), same),
             activity("Z2", "clearance", metric_box(60, 0, 200, 200), same)]
    failed = QualityEvent(id="QC1", kind=QualityKind.QC_INSPECTION, held_on=dt.date(2022, 1, 20),
                          activity_id=next(a.id for a in acts if a.id.startswith("A")
                                           and a.ended_on <= dt.date(2022, 1, 20)),
                          result=QualityResult.FAIL, reason="item found")
    return hazards, acts, [failed]


def _state(tx) -> dict:
    steps = {s.id: (s.hazard_id, str(s.method), s.area_m2, s.released_on, s.outside_hazard,
                    s.rejected_by, s.geometry.wkb) for s in tx.iter("release-steps", Query())}
    versions = {v.id: (str(v.change), str(v.status), str(v.kind), v.area_m2, v.valid_from,
                       v.activity_id, v.step_id, v.quality_id,
                       None if v.geometry is None else v.geometry.wkb)
                for v in tx.iter("hazard-versions", Query())}
    hazards = {h.id: (str(h.status), str(h.kind), h.closed_on, h.closed_by,
                      None if h.geometry is None else h.geometry.wkb)
               for h in tx.iter(d.Hazard, Query())}
    return {"steps": steps, "versions": versions, "hazards": hazards}


def test_batched_and_one_at_a_time_give_the_same_history(store):
    hazards, acts, qcs = programme()
    with store.transaction() as tx:
        tx.add_many(hazards)
        record_hazards(tx, hazards)
    runs = {}
    for batch in (False, True):
        try:
            with store.transaction() as tx:
                tx.add_many(acts + qcs)
                said = apply_in_order(tx, acts, qcs, batch=batch)
                runs[batch] = (_state(tx), [(m.code, m.params) for m in said])
                raise _Undo
        except _Undo:
            pass
    (one, said_one), (many, said_many) = runs[False], runs[True]
    assert one == many and said_one == said_many
    # the programme exercised what the batched path changes: areas of steps inside and
    # outside hazards, closed and reopened hazards, surveys, land released twice
    assert len(one["steps"]) > 50 and any(s[4] for s in one["steps"].values())
    changes = {v[0] for v in one["versions"].values()}
    assert {"released", "closed", "reopened", "created", "enlarged"} <= changes
    assert all(s[2] > 0 for s in one["steps"].values())
    codes = {c for c, _ in said_one}
    assert {"release.land_released_twice", "release.activities_overlap"} <= codes

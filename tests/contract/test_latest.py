"""Records as they stood on a day: each key's latest version, chosen by the store in one
statement, the same on both adapters and as the interface's plain reading chooses it."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import MultiPolygon, box

from mineaction.domain.release import HazardChange, HazardVersion
from mineaction.domain.vocabulary import HazardKind, HazardStatus
from mineaction.store.base import Reader

D = dt.date


def version(hid: str, seq: int, valid_from: dt.date | None, status: str = "open"
            ) -> HazardVersion:
    x = 50.5 + seq * 0.01
    return HazardVersion(id=f"{hid}-v{seq}", hazard_id=hid, seq=seq, valid_from=valid_from,
                         change=HazardChange.RECORDED, kind=HazardKind.CHA,
                         status=HazardStatus(status), area_m2=100.0 * seq,
                         geometry=MultiPolygon([box(x, 41.0, x + 0.005, 41.004)]),
                         source="synthetic:test")


def test_latest_version_of_each_key_on_a_day(store):
    with store.transaction() as tx:
        tx.add_many([
            version("H2", 1, D(2021, 6, 1)),
            version("H1", 3, D(2022, 1, 1), "closed"),
            version("H1", 1, None),
            version("H1", 2, D(2021, 1, 1)),
            version("H3", 1, D(2023, 1, 1)),
            version("H4", 2, D(2021, 3, 1)),  # the same day as its first: the greater seq
            version("H4", 1, D(2021, 3, 1)),
        ])

    def on(day: dt.date) -> list[str]:
        got = list(store.latest("hazard-versions", "hazard_id", order="seq",
                                date_field="valid_from", on=day))
        plain = list(Reader.latest(store, "hazard-versions", "hazard_id", order="seq",
                                   date_field="valid_from", on=day))
        assert [v.id for v in got] == [v.id for v in plain]
        return [v.id for v in got]

    assert on(D(2020, 1, 1)) == ["H1-v1"]
    assert on(D(2021, 6, 1)) == ["H1-v2", "H2-v1", "H4-v2"]
    (h1, *_) = store.latest("hazard-versions", "hazard_id", order="seq",
                            date_field="valid_from", on=D(2024, 1, 1))
    assert (h1.id, h1.status, h1.area_m2, h1.geometry.bounds[0]) == (
        "H1-v3", HazardStatus.CLOSED, 300.0, 50.53)
    assert on(D(2024, 1, 1)) == ["H1-v3", "H2-v1", "H3-v1", "H4-v2"]

"""Helpers for minefield record tests: store synthetic ground truth in a real GeoPackage."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, Point

from mineaction.domain.activities import Activity
from mineaction.domain.ordnance import Find
from mineaction.domain.vocabulary import ActivityKind, EOCategory
from mineaction.records import synthetic as S
from mineaction.store import open_store

SOURCE = "synthetic:records tests"


def put_ground(db: str, name: str, gr: S.Ground, *, covered: bool = True) -> None:
    """Store the finds (alternating ap/av) and, with ``covered``, the cleared polygon."""
    finds = [Find(id=f"{name}-F{i}", category=EOCategory.AP if i % 2 else EOCategory.AV,
                  geometry=Point(lon, lat), source=SOURCE)
             for i, (lon, lat) in enumerate(gr.finds_lonlat)]
    store = open_store(db)
    try:
        with store.transaction() as tx:
            tx.add_many(finds)
            if covered:
                poly = gr.covered if gr.covered.geom_type == "MultiPolygon" \
                    else MultiPolygon([gr.covered])
                tx.add(Activity(id=f"{name}-C", kind=ActivityKind.CLEARANCE,
                                operator="Synthetic operator", geometry=poly, source=SOURCE))
    finally:
        store.close()

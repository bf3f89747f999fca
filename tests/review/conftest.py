"""A store with an authority and two operators of one country, hazards of the authority and a
find of the first operator; actors and contexts for each person."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, Point, box, mapping

from mineaction import domain as d
from mineaction.access import Actor, Role
from mineaction.io.readers import SourceFile, read_file
from mineaction.services.context import Context
from mineaction.store import Store, open_store

NOW = dt.datetime(2024, 6, 3, 9, 30, tzinfo=dt.UTC)
D = dt.date(2024, 5, 20)
#: Hazard H1: 0.01 x 0.01 degrees at sea (synthetic), owned by the authority.
H1 = box(50.60, 41.20, 50.61, 41.21)
H2 = box(50.70, 41.20, 50.71, 41.21)


def actor(name: str, role: Role, org: str, kind: str) -> Actor:
    return Actor(name, frozenset({role}), org, "XV", name, kind)


APPROVER = actor("appr", Role.APPROVER, "AX", "authority")
IMO = actor("imo", Role.IM_OFFICER, "AX", "authority")
OP = actor("op", Role.OPERATOR, "OA", "operator")
OP2 = actor("op2", Role.OPERATOR, "OB", "operator")
OP_APPROVER = actor("boss", Role.APPROVER, "AX", "authority")


@pytest.fixture
def filled(store: Store) -> Store:
    with store.transaction() as tx:
        tx.add_many([
            d.Hazard(id="H1", kind=d.HazardKind.CHA, recorded_on=dt.date(2020, 1, 1),
                     geometry=MultiPolygon([H1]), source="synthetic:test", owner="AX",
                     country="XV"),
            d.Hazard(id="H2", kind=d.HazardKind.SHA, recorded_on=dt.date(2020, 1, 1),
                     geometry=MultiPolygon([H2]), source="synthetic:test", owner="AX",
                     country="XV"),
        ], keep_versions=True)
        tx.add(d.Find(id="F1", category=d.EOCategory.AP, quantity=1, found_on=D,
                      geometry=Point(50.605, 41.205), source="synthetic:test", owner="OA",
                      country="XV"))
    return store


@pytest.fixture
def as_() -> Iterator[Any]:
    opened: list[Store] = []

    def make(store: Store, who: Actor) -> Context:
        s = open_store(store.url)
        opened.append(s)
        return Context(s, who, clock=lambda: NOW)

    yield make
    for s in opened:
        s.close()


def geojson_file(path: Path, features: list[dict[str, Any]]) -> SourceFile:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return read_file(path)


def feature(geom: Any, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": mapping(geom), "properties": props}

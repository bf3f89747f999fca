"""A short account of what a store holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from mineaction.analysis.statistics import Scope, released
from mineaction.domain.layers import all_layers
from mineaction.errors import Forbidden
from mineaction.geo.measure import area_m2
from mineaction.store.base import Reader


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    hazard_area: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)
    finds: dict[str, int] = field(default_factory=dict)
    released: dict[str, tuple[int, float]] = field(default_factory=dict)
    synthetic: bool = False


def summarise(store: Reader) -> Summary:
    s = Summary()
    for layer in all_layers():
        try:
            s.counts[layer.name] = store.count(layer)
        except Forbidden:  # a layer the reader may not count is left out, not refused
            continue
    areas: dict[tuple[str, str], list[float]] = {}
    synthetic = False
    for h in store.iter("hazards"):
        key = (h.kind.value, h.status.value)  # type: ignore[attr-defined]
        areas.setdefault(key, []).append(area_m2(h.geometry))  # type: ignore[attr-defined]
        synthetic = synthetic or bool(h.source and h.source.startswith("synthetic"))
    s.hazard_area = {k: (len(v), sum(v)) for k, v in areas.items()}
    # items by category, added up by the database (never a record read for it)
    rows = store.aggregate("finds", ["category"], sums=["quantity"])
    s.finds = dict(sorted((str(r["category"]), int(r["quantity"] or 0))
                          for r in rows if r["count"] and r["category"] is not None))
    # Land, not steps: land under two overlapping hazards released once is one area.
    for group in released(store, Scope(), ["method"]):
        s.released[group.key["method"]] = (int(group.figures["count"].value),
                                           float(group.figures["area_m2"].value))
    s.synthetic = synthetic
    return s

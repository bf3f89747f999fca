"""The registry of layers: one entry per record type, from which stores, files and docs derive."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mineaction.domain.activities import DEFAULT_OUTCOME, MAX_RELEASE_AREA_M2, Activity
from mineaction.domain.capacity import Capacity
from mineaction.domain.casualties import Accident, Victim, VictimPersonal
from mineaction.domain.eore import RiskEducationSession
from mineaction.domain.evidence import Evidence
from mineaction.domain.figures import PublishedFigure
from mineaction.domain.hazards import Hazard
from mineaction.domain.minefield_records import StoredMinefieldRecord
from mineaction.domain.ordnance import Find, check_model_category
from mineaction.domain.organisations import AdminArea, Organisation
from mineaction.domain.quality import QualityEvent
from mineaction.domain.release import HazardVersion, ReleaseStep
from mineaction.domain.schema import FieldSpec, GeometryType, Record, field_specs


@dataclass(frozen=True)
class Layer:
    """How one record type is stored and exchanged."""

    name: str  # as typed on the command line and used in URLs: "admin-areas"
    record_type: type[Record]
    title: str
    geometry_type: GeometryType | None = None
    geometry_required: bool = False
    public: bool = True  # whether the public Observer may show it at all
    indexes: tuple[str, ...] = ()  # fields looked up often (besides id)
    #: A layer that takes this one's personal data: every input column that is not a public
    #: field of this layer goes there, never into this layer (not even into ``attributes``).
    private_companion: str | None = None
    defaults: Callable[[dict[str, Any]], None] | None = None
    #: The largest geodesic area (m²) one record's geometry may cover unless an import allows
    #: more explicitly; None: no limit.
    max_area_m2: float | None = None

    @property
    def table(self) -> str:
        return self.name.replace("-", "_")

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return field_specs(self.record_type)  # type: ignore[arg-type]

    @property
    def spatial(self) -> bool:
        return self.geometry_type is not None

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def make(self, values: dict[str, Any]) -> Record:
        """Build a record from coerced values; raises ValueError naming a broken rule."""
        values = dict(values)
        if self.defaults:
            self.defaults(values)
        names = {f.name for f in dataclasses.fields(self.record_type)}
        return self.record_type(**{k: v for k, v in values.items() if k in names})


def _activity_defaults(values: dict[str, Any]) -> None:
    if values.get("outcome") is None and values.get("kind") in DEFAULT_OUTCOME:
        values["outcome"] = DEFAULT_OUTCOME[values["kind"]]


def _find_rules(values: dict[str, Any]) -> None:
    reason = check_model_category(values.get("model"), values.get("category"))
    if reason:
        raise ValueError(reason)


LAYERS: tuple[Layer, ...] = (
    Layer("organisations", Organisation, "Organisations"),
    Layer("admin-areas", AdminArea, "Administrative areas", "MULTIPOLYGON", True),
    Layer("hazards", Hazard, "Hazardous areas", "MULTIPOLYGON", True),
    Layer("activities", Activity, "Land release activities", "MULTIPOLYGON", True,
          defaults=_activity_defaults, max_area_m2=MAX_RELEASE_AREA_M2),
    Layer("finds", Find, "Explosive ordnance finds", "POINT", True, defaults=_find_rules,
          indexes=("activity_id",)),
    Layer("accidents", Accident, "Accidents", "POINT", False),
    Layer("victims", Victim, "Victims", private_companion="victims-personal"),
    Layer("victims-personal", VictimPersonal, "Victims' personal data", public=False),
    Layer("eore", RiskEducationSession, "Risk education sessions", "POINT", False),
    Layer("quality", QualityEvent, "Quality management events", "GEOMETRY", False),
    Layer("capacity", Capacity, "Capacity"),
    Layer("evidence", Evidence, "Evidence", "GEOMETRY", False),
    Layer("release-steps", ReleaseStep, "Land release steps", "MULTIPOLYGON", False,
          indexes=("hazard_id", "activity_id")),
    Layer("hazard-versions", HazardVersion, "Hazard history", "MULTIPOLYGON", False,
          indexes=("hazard_id",)),
    Layer("figures", PublishedFigure, "Published figures"),
    Layer("minefield-records", StoredMinefieldRecord, "Minefield records", "MULTIPOLYGON",
          False, public=False),
)

_BY_NAME = {layer.name: layer for layer in LAYERS}
_BY_TYPE = {layer.record_type: layer for layer in LAYERS}


def register(layer: Layer) -> Layer:
    """Add a layer defined by another part of mineaction (minefield records, figures, ...)."""
    global LAYERS
    if layer.name in _BY_NAME and _BY_NAME[layer.name] is not layer:
        raise ValueError(f"layer {layer.name!r} is already registered")
    _BY_NAME[layer.name] = layer
    _BY_TYPE[layer.record_type] = layer
    LAYERS = (*LAYERS, layer) if layer not in LAYERS else LAYERS
    return layer


def get_layer(name_or_type: str | type[Record]) -> Layer:
    if isinstance(name_or_type, str):
        try:
            return _BY_NAME[name_or_type]
        except KeyError:
            raise KeyError(f"unknown layer {name_or_type!r}; expected one of "
                           + ", ".join(_BY_NAME)) from None
    return _BY_TYPE[name_or_type]


def all_layers() -> Iterator[Layer]:
    yield from _BY_NAME.values()


def export_area_column(layer: Layer) -> str | None:
    """The name of the computed area column of ``layer``'s exports: ``area_m2``, or
    ``geodesic_area_m2`` where the layer stores a field ``area_m2`` of its own (release steps,
    hazard versions), which exports keep as stored. None: not a polygon layer."""
    if layer.geometry_type != "MULTIPOLYGON":
        return None
    return "geodesic_area_m2" if any(f.name == "area_m2" for f in layer.fields) else "area_m2"

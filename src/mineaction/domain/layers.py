"""The registry of layers: one entry per record type, from which stores, files and docs derive."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mineaction.access import Level
from mineaction.domain.accounts import Agreement, Token, User
from mineaction.domain.activities import DEFAULT_OUTCOME, MAX_RELEASE_AREA_M2, Activity
from mineaction.domain.capacity import Capacity
from mineaction.domain.casualties import Accident, Victim, VictimPersonal
from mineaction.domain.eore import RiskEducationSession
from mineaction.domain.evidence import Evidence
from mineaction.domain.figures import PublishedFigure
from mineaction.domain.hazards import Hazard
from mineaction.domain.intake import ImportRun, RecordChange
from mineaction.domain.minefield_records import StoredMinefieldRecord
from mineaction.domain.ordnance import Find, check_model_category
from mineaction.domain.organisations import AdminArea, Organisation
from mineaction.domain.quality import QualityEvent
from mineaction.domain.release import HazardVersion, ReleaseStep
from mineaction.domain.review import Submission
from mineaction.domain.schema import FieldSpec, GeometryType, Record, field_specs


@dataclass(frozen=True)
class Layer:
    """How one record type is stored and exchanged."""

    name: str  # as typed on the command line and used in URLs: "admin-areas"
    record_type: type[Record]
    title: str
    geometry_type: GeometryType | None = None
    geometry_required: bool = False
    #: Whether the public may see the layer at all: set from ``level`` when one is given.
    public: bool = True
    indexes: tuple[str, ...] = ()  # fields looked up often (besides id)
    #: A layer that takes this one's personal data: every input column that is not a public
    #: field of this layer goes there, never into this layer (not even into ``attributes``).
    private_companion: str | None = None
    defaults: Callable[[dict[str, Any]], None] | None = None
    #: The largest geodesic area (m²) one record's geometry may cover unless an import allows
    #: more explicitly; None: no limit.
    max_area_m2: float | None = None
    #: How sensitive the layer is: an actor below this level cannot read it at all. Default:
    #: public for a layer declared ``public``, else confidential.
    level: Level | None = None
    #: How sensitive its exact geometries are (default: the layer's level). Where it is above
    #: the layer's, readers below it get the geometry generalised (a grid, the administrative
    #: area, a snapped point) by the access policy, never the exact one.
    geometry_level: Level | None = None

    def __post_init__(self) -> None:
        level = self.level or (Level.PUBLIC if self.public else Level.CONFIDENTIAL)
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "public", level == Level.PUBLIC)
        object.__setattr__(self, "geometry_level", max(level, self.geometry_level or level))

    @property
    def access_level(self) -> Level:
        assert self.level is not None  # set in __post_init__
        return self.level

    def field_level(self, spec: FieldSpec | str) -> Level:
        """The level in force of a field: its own, never below the layer's. The id and the
        version are the layer's level (the public sees ids of public records)."""
        if isinstance(spec, str):
            spec = self.field(spec)
        own = spec.level
        return self.access_level if own is None else max(own, self.access_level)

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


P, R, C = Level.PUBLIC, Level.RESTRICTED, Level.CONFIDENTIAL

LAYERS: tuple[Layer, ...] = (
    Layer("organisations", Organisation, "Organisations", level=P),
    Layer("admin-areas", AdminArea, "Administrative areas", "MULTIPOLYGON", True, level=P),
    Layer("hazards", Hazard, "Hazardous areas", "MULTIPOLYGON", True, level=P,
          geometry_level=R),
    Layer("activities", Activity, "Land release activities", "MULTIPOLYGON", True,
          defaults=_activity_defaults, max_area_m2=MAX_RELEASE_AREA_M2, level=R),
    Layer("finds", Find, "Explosive ordnance finds", "POINT", True, defaults=_find_rules,
          indexes=("activity_id",), level=R),
    Layer("accidents", Accident, "Accidents", "POINT", False, level=P, geometry_level=R),
    Layer("victims", Victim, "Victims", private_companion="victims-personal", level=R),
    Layer("victims-personal", VictimPersonal, "Victims' personal data",
          level=Level.PERSONAL),
    Layer("eore", RiskEducationSession, "Risk education sessions", "POINT", False, level=P),
    Layer("quality", QualityEvent, "Quality management events", "GEOMETRY", False, level=R),
    Layer("capacity", Capacity, "Capacity", level=R),
    Layer("evidence", Evidence, "Evidence", "GEOMETRY", False, level=C),
    Layer("release-steps", ReleaseStep, "Land release steps", "MULTIPOLYGON", False,
          indexes=("hazard_id", "activity_id"), level=P, geometry_level=R),
    Layer("hazard-versions", HazardVersion, "Hazard history", "MULTIPOLYGON", False,
          indexes=("hazard_id",), level=R),
    Layer("figures", PublishedFigure, "Published figures", level=P),
    Layer("minefield-records", StoredMinefieldRecord, "Minefield records", "MULTIPOLYGON",
          False, level=C),
    Layer("users", User, "User accounts", level=C),
    Layer("tokens", Token, "API tokens", indexes=("user_id",), level=C),
    Layer("agreements", Agreement, "Data-sharing agreements", indexes=("grantee",), level=R),
    Layer("submissions", Submission, "Submissions awaiting review",
          indexes=("status", "target_layer"), level=C),
    Layer("imports", ImportRun, "Imports: files, checksums and what each import did",
          indexes=("target_layer",), level=P),
    Layer("record-changes", RecordChange, "Changes re-imports made to stored records",
          indexes=("record_id",), level=R),
)

#: Layers of accounts and sharing: administrators manage them (see mineaction.access).
ACCOUNT_LAYERS = frozenset({"users", "tokens", "agreements"})

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

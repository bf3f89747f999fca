"""Organisations and administrative areas."""

from __future__ import annotations

import dataclasses

from mineaction.domain.schema import Record, SpatialRecord, attr
from mineaction.domain.vocabulary import OrganisationKind


@dataclasses.dataclass(kw_only=True)
class Organisation(Record):
    layer = "organisations"

    name: str = attr("Name of the organisation")
    kind: OrganisationKind = attr("Role in the programme")
    country: str | None = attr("ISO 3166-1 alpha-2 code of the country it belongs to", None)


@dataclasses.dataclass(kw_only=True)
class AdminArea(SpatialRecord):
    """An administrative area; ``parent_id`` builds the hierarchy (region > district > ...)."""

    layer = "admin-areas"

    name: str = attr("Name of the area")
    level: int = attr("Administrative level: 0 country, 1 region, 2 district, ...",
                      minimum=0)
    parent_id: str | None = attr("Id of the enclosing area", None)
    country: str | None = attr("ISO 3166-1 alpha-2 country code", None)
    code: str | None = attr("Official code of the area, when it has one", None)

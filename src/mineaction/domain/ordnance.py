"""Explosive ordnance finds and the catalogue of known models.

The catalogue maps a model name, however it is spelled in a field report ("PMN2", "pmn-2",
"ПМН-2"), to its category. A model the catalogue does not know stays unknown: its category must
then come from the report itself and is never guessed from the name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from mineaction.domain.schema import SpatialRecord, attr
from mineaction.domain.vocabulary import EOCategory
from mineaction.errors import BadValue

AP, AV, CMR, UXO = EOCategory.AP, EOCategory.AV, EOCategory.CMR, EOCategory.UXO


@dataclass(frozen=True, slots=True)
class OrdnanceModel:
    name: str
    category: EOCategory
    description: str
    aliases: tuple[str, ...] = ()


CATALOGUE: tuple[OrdnanceModel, ...] = (
    # Anti-personnel blast mines
    OrdnanceModel("PMN", AP, "blast AP mine, pressure-operated", ("ПМН",)),
    OrdnanceModel("PMN-2", AP, "blast AP mine, pressure-operated", ("ПМН-2",)),
    OrdnanceModel("PMN-4", AP, "blast AP mine, pressure-operated", ("ПМН-4",)),
    OrdnanceModel("PMN-E", AP, "blast AP mine, pressure-operated", ("ПМН-Э",)),
    OrdnanceModel("PFM-1", AP, "scatterable blast AP mine ('butterfly')", ("ПФМ-1",)),
    OrdnanceModel("PFM-1S", AP, "scatterable blast AP mine with self-destruction", ("ПФМ-1С",)),
    OrdnanceModel("PMD-6", AP, "wooden-cased blast AP mine", ("ПМД-6",)),
    OrdnanceModel("VS-50", AP, "blast AP mine"),
    OrdnanceModel("M14", AP, "blast AP mine, minimum metal"),
    # Anti-personnel fragmentation mines
    OrdnanceModel("OZM-3", AP, "bounding fragmentation AP mine", ("ОЗМ-3",)),
    OrdnanceModel("OZM-4", AP, "bounding fragmentation AP mine", ("ОЗМ-4",)),
    OrdnanceModel("OZM-72", AP, "bounding fragmentation AP mine", ("ОЗМ-72",)),
    OrdnanceModel("POMZ-2", AP, "stake fragmentation AP mine", ("ПОМЗ-2",)),
    OrdnanceModel("POMZ-2M", AP, "stake fragmentation AP mine", ("ПОМЗ-2М",)),
    OrdnanceModel("MON-50", AP, "directional fragmentation AP mine", ("МОН-50",)),
    OrdnanceModel("MON-90", AP, "directional fragmentation AP mine", ("МОН-90",)),
    OrdnanceModel("MON-100", AP, "directional fragmentation AP mine", ("МОН-100",)),
    OrdnanceModel("MON-200", AP, "directional fragmentation AP mine", ("МОН-200",)),
    OrdnanceModel("PROM-1", AP, "bounding fragmentation AP mine"),
    OrdnanceModel("M16", AP, "bounding fragmentation AP mine"),
    # Anti-vehicle mines
    OrdnanceModel("TM-46", AV, "blast AV mine", ("ТМ-46",)),
    OrdnanceModel("TM-57", AV, "blast AV mine", ("ТМ-57",)),
    OrdnanceModel("TM-62", AV, "blast AV mine (family, variant not recorded)", ("ТМ-62",)),
    OrdnanceModel("TM-62M", AV, "blast AV mine, metal case", ("ТМ-62М",)),
    OrdnanceModel("TM-62P", AV, "blast AV mine, plastic case", ("ТМ-62П",)),
    OrdnanceModel("TM-62P2", AV, "blast AV mine, plastic case", ("ТМ-62П2",)),
    OrdnanceModel("TM-62P3", AV, "blast AV mine, plastic case", ("ТМ-62П3",)),
    OrdnanceModel("TM-62B", AV, "blast AV mine, caseless", ("ТМ-62Б",)),
    OrdnanceModel("TM-62D", AV, "blast AV mine, wooden case", ("ТМ-62Д",)),
    OrdnanceModel("TM-62T", AV, "blast AV mine, fabric case", ("ТМ-62Т",)),
    OrdnanceModel("TM-72", AV, "AV mine, shaped charge", ("ТМ-72",)),
    OrdnanceModel("TMK-2", AV, "AV mine, shaped charge, tilt rod", ("ТМК-2",)),
    OrdnanceModel("PTM-1", AV, "scatterable AV mine", ("ПТМ-1",)),
    OrdnanceModel("PTM-3", AV, "scatterable AV mine", ("ПТМ-3",)),
    # Cluster munition submunitions
    OrdnanceModel("9N210", CMR, "fragmentation submunition (Uragan, Smerch rockets)", ("9Н210",)),
    OrdnanceModel("9N235", CMR, "fragmentation submunition (Uragan, Smerch rockets)", ("9Н235",)),
    OrdnanceModel("M095", CMR, "dual-purpose submunition"),
    OrdnanceModel("M77", CMR, "dual-purpose improved conventional submunition"),
    OrdnanceModel("M42", CMR, "dual-purpose improved conventional submunition"),
    OrdnanceModel("M46", CMR, "dual-purpose improved conventional submunition"),
    OrdnanceModel("M85", CMR, "dual-purpose submunition with self-destruct fuze"),
    OrdnanceModel("ShOAB-0.5", CMR, "fragmentation bomblet", ("ШОАБ-0,5", "SHOAB-0.5")),
    OrdnanceModel("AO-2.5RT", CMR, "fragmentation bomblet", ("АО-2,5РТ",)),
    OrdnanceModel("PTAB-1M", CMR, "anti-armour bomblet", ("ПТАБ-1М",)),
    OrdnanceModel("PTAB-2.5M", CMR, "anti-armour bomblet", ("ПТАБ-2,5М",)),
    # Common unexploded ordnance
    OrdnanceModel("RGD-5", UXO, "hand grenade", ("РГД-5",)),
    OrdnanceModel("F-1", UXO, "hand grenade", ("Ф-1",)),
    OrdnanceModel("VOG-17", UXO, "grenade-launcher round", ("ВОГ-17",)),
    OrdnanceModel("PG-7V", UXO, "rocket-propelled grenade", ("ПГ-7В",)),
    OrdnanceModel("OF-462", UXO, "122 mm high-explosive fragmentation projectile"),
    OrdnanceModel("9M22U", UXO, "122 mm rocket (Grad)", ("9М22У",)),
)

_CYRILLIC = str.maketrans({"А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
                           "Р": "P", "С": "C", "Т": "T", "Х": "X"})


def normalise_model(name: str) -> str:
    """A spelling-insensitive key: upper case, one kind of separator, dash after letters.

    >>> normalise_model(" pmn2 ") == normalise_model("PMN-2")
    True
    """
    key = name.strip().upper().replace(",", ".")
    key = re.sub(r"[\s_\u2010-\u2015/]+", "-", key)
    key = re.sub(r"^([A-Z]+)-?(\d)", r"\1-\2", key)
    return key


def _index() -> dict[str, OrdnanceModel]:
    idx: dict[str, OrdnanceModel] = {}
    for model in CATALOGUE:
        for spelling in (model.name, *model.aliases):
            idx[normalise_model(spelling)] = model
            # Cyrillic look-alike letters typed on a Latin keyboard, and the reverse.
            idx[normalise_model(spelling.translate(_CYRILLIC))] = model
    return idx


_INDEX = _index()


def lookup(name: str | None) -> OrdnanceModel | None:
    """The catalogue entry for a model name, or None when the model is unknown."""
    if not name or not name.strip():
        return None
    return _INDEX.get(normalise_model(name))


@dataclasses.dataclass(kw_only=True)
class Find(SpatialRecord):
    """Explosive ordnance found (and usually destroyed) by an activity, as a point."""

    layer = "finds"

    category: EOCategory = attr("ap, av, cmr, uxo, axo or ied")
    model: str | None = attr("Model as reported; kept verbatim, unknown models stay unknown",
                             None)
    quantity: int = attr("Number of items at this point", 1, minimum=1)
    found_on: dt.date | None = attr("Date found", None)
    destroyed_on: dt.date | None = attr("Date destroyed", None)
    activity_id: str | None = attr("Activity that found it", None)
    hazard_id: str | None = attr("Hazard it was found in", None)
    victim_activated: bool | None = attr("For an IED: whether it is victim-activated", None)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.quantity < 1:
            raise BadValue.of("value.quantity_below_one")


def check_model_category(model: str | None, category: EOCategory | None) -> str | None:
    """The reason a reported category contradicts the catalogue, or None when it does not."""
    known = lookup(model)
    if known is None or category is None or known.category == category:
        return None
    return (f"model {model!r} is {known.category.value} ({known.description}) in the ordnance "
            f"catalogue, not {category.value}")

"""Records and the store's administrative areas: which area a record lies in, whether the
area a record names exists, area names that several rows share.

Hooked into every import (:mod:`mineaction.io.load`), once the store holds administrative
areas: before anything is written, a record naming an ``admin_area_id`` that is not stored is
refused (row, field, ``areas.unknown_area``), and a record with a geometry and no area gets
the smallest stored area that contains it (:mod:`mineaction.geo.areas`). A store without
any area yet checks nothing (its areas are imported first, or the records' areas are
placed later with ``mineaction areas assign``). After an import of areas, names
that two of them share are reported, with what tells them apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mineaction.domain.layers import Layer, all_layers, get_layer
from mineaction.domain.schema import Record
from mineaction.errors import InvalidInput, Problem
from mineaction.geo.areas import (
    AreaIndex,
    DuplicateName,
    Named,
    NameMatch,
    duplicate_names,
    match_name,
)
from mineaction.io.load import on_check, on_import
from mineaction.messages import Message
from mineaction.store.base import Progress, Query, Reader, Transaction

AREAS = "admin-areas"
FIELD = "admin_area_id"


def area_layers(*, spatial: bool = False) -> list[Layer]:
    """Layers whose records name an administrative area (with ``spatial``: and have a
    geometry to place them by), derived layers (release steps, hazard history) excepted."""
    return [lyr for lyr in all_layers()
            if any(f.name == FIELD for f in lyr.fields) and (lyr.spatial or not spatial)
            and lyr.name not in ("release-steps", "hazard-versions")]


def index(reader: Reader, bbox: tuple[float, float, float, float] | None = None
          ) -> AreaIndex:
    """The stored areas (those meeting ``bbox`` when given) ready for look-ups."""
    query = Query(bbox=bbox) if bbox else None
    return AreaIndex.of((a.id, getattr(a, "geometry", None)) for a in reader.iter(AREAS, query))


def _bounds(records: Sequence[Record]) -> tuple[float, float, float, float] | None:
    boxes = [g.bounds for r in records
             if (g := getattr(r, "geometry", None)) is not None and not g.is_empty]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def assign(reader: Reader, records: Sequence[Record]) -> dict[str, str | None]:
    """For each record with a geometry and no ``admin_area_id``: the id of the smallest
    stored area containing it (largest overlap for lines and polygons), None when it lies in
    none. Only the areas meeting the records' box are read."""
    todo = [r for r in records
            if getattr(r, FIELD, None) in (None, "") and getattr(r, "geometry", None) is not None
            and not r.geometry.is_empty]  # type: ignore[attr-defined]
    box = _bounds(todo)
    if box is None:
        return {}
    idx = index(reader, box)
    found = idx.assign_many([r.geometry for r in todo])  # type: ignore[attr-defined]
    return {r.id: a for r, a in zip(todo, found, strict=True)}


@on_check("*")
def check_areas(tx: Transaction, layer: Layer, records: list[Record], where: dict[str, str]
                ) -> list[Problem]:
    """The import check: unknown areas refused; records without one placed."""
    if not any(f.name == FIELD for f in layer.fields):
        return []
    named = {getattr(r, FIELD) for r in records if getattr(r, FIELD, None)}
    if not tx.count(AREAS):  # a store without areas yet: nothing to check or place by
        return []
    known = tx.existing_ids(AREAS, named) if named else set()
    problems = [Problem.of(where.get(r.id, f"record {r.id}"), FIELD, "areas.unknown_area",
                           id=getattr(r, FIELD))
                for r in records if getattr(r, FIELD, None) and getattr(r, FIELD) not in known]
    if layer.spatial and not problems:
        by_id = {r.id: r for r in records}
        for rid, area in assign(tx, records).items():
            if area is not None:
                place(by_id[rid], area)
    return problems


#: What the notes of a record placed by its geometry say.
PLACED_NOTE = "admin_area_id: the smallest administrative area containing the geometry"


def place(record: Record, area: str) -> None:
    """Give ``record`` the area ``area``, noting that it was placed by its geometry."""
    setattr(record, FIELD, area)
    record.notes = f"{record.notes}; {PLACED_NOTE}" if record.notes else PLACED_NOTE


def placed_count(tx: Transaction, records: list[Record], progress: Progress | None
                 ) -> list[str]:
    """After an import: how many of its records were placed in an area by their geometry."""
    n = sum(1 for r in records if r.notes and PLACED_NOTE in r.notes)
    if progress:
        progress(len(records))
    return [str(Message.of("areas.placed", count=n, total=len(records)))] if n else []


for _layer in area_layers(spatial=True):
    on_import(_layer.name)(placed_count)


def named(reader: Reader) -> list[Named]:
    """Every stored area as name matching sees it (parent's name and code to tell apart two
    of one name)."""
    areas = list(reader.iter(AREAS))
    names = {a.id: a.name for a in areas}  # type: ignore[attr-defined]
    return [Named(a.id, a.name, names.get(a.parent_id) if a.parent_id else None,  # type: ignore[attr-defined]
                  a.code) for a in areas]  # type: ignore[attr-defined]


def duplicates_message(dup: DuplicateName) -> str:
    ids = "; ".join(a.describe() for a in dup.areas)
    return Message.of("areas.duplicate_name", name=dup.name, count=len(dup.areas),
                      areas=ids).note()


@on_import(AREAS)
def flag_duplicates(tx: Transaction, records: list[Record], progress: Progress | None
                    ) -> list[str]:
    """After an import of areas: every name two or more of the imported areas share, each
    with its id, its parent's name and its code."""
    parents = sorted({p for r in records if (p := getattr(r, "parent_id", None))})
    names = ({a.id: a.name for a in tx.iter(AREAS, Query(where={"id": parents}))}  # type: ignore[attr-defined]
             if parents else {})
    areas = [Named(r.id, r.name, names.get(r.parent_id) if r.parent_id else None,  # type: ignore[attr-defined]
                   r.code) for r in records]  # type: ignore[attr-defined]
    if progress:
        progress(len(records))
    return [duplicates_message(d) for d in duplicate_names(areas)]


@dataclass
class Assigned:
    """What :func:`assign_stored` did to one layer."""

    layer: str
    assigned: dict[str, str] = field(default_factory=dict)  # record id -> area id
    unassigned: list[str] = field(default_factory=list)  # a geometry in no area
    unchanged: int = 0  # an area already, or no geometry
    steps: int = 0  # release steps of the hazards assigned, given the hazard's area


def assign_stored(tx: Transaction, layers: Iterable[str], *, write: bool = True
                  ) -> list[Assigned]:
    """Give each stored record of ``layers`` that has a geometry and no area the area that
    contains it, as a new version of the record (``tx.update``: audited, version checked),
    and the release steps of a hazard so placed that have no area the hazard's; with
    ``write`` False, only say what would change."""
    out = []
    for name in layers:
        lyr = get_layer(name)
        done = Assigned(lyr.name)
        records = list(tx.iter(lyr))
        todo = [r for r in records if not getattr(r, FIELD, None)
                and getattr(r, "geometry", None) is not None]
        done.unchanged = len(records) - len(todo)
        for rid, area in assign(tx, todo).items():
            if area is None:
                done.unassigned.append(rid)
            else:
                done.assigned[rid] = area
        done.unassigned += [r.id for r in todo if r.id not in done.assigned
                            and r.id not in done.unassigned]
        if write:
            for r in todo:
                if r.id in done.assigned:
                    place(r, done.assigned[r.id])
                    tx.update(r)
        if lyr.name == "hazards" and done.assigned:
            # A release step is in its hazard's area (as the engine writes it): those written
            # before the hazard had one follow it.
            for step in tx.iter("release-steps", Query(where={"hazard_id": sorted(
                    done.assigned), FIELD: None})):
                done.steps += 1
                if write:
                    setattr(step, FIELD, done.assigned[step.hazard_id])  # type: ignore[attr-defined]
                    tx.update(step)
        out.append(done)
    return out


def find(reader: Reader, name: str) -> NameMatch:
    """The stored area(s) ``name`` names (:func:`mineaction.geo.areas.match_name`)."""
    return match_name(name, named(reader))


def resolve(reader: Reader, name: str) -> Named:
    """The one stored area ``name`` names, by id or by name in any transliteration;
    InvalidInput listing the candidates when several fit (``areas.ambiguous_name``), or
    saying that none does (``areas.no_such_area``)."""
    m = find(reader, name)
    if m.found is not None:
        return m.found
    if m.candidates:
        raise ambiguous(m)
    raise InvalidInput.of("areas.no_such_area", name=name)


def ambiguous(m: NameMatch) -> InvalidInput:
    """The error of a name that fits several areas, listing them."""
    return InvalidInput.of("areas.ambiguous_name", name=m.query, count=len(m.candidates),
                           candidates="; ".join(c.describe() for c in m.candidates))

"""Importing a file into a layer: every row checked, then one transaction or nothing.

The checks, in order, for each row: field values (types, enumerations, required fields), the
layer's own rules (an ordnance model contradicting its category, dates in the wrong order),
geometry (present, of the right type, transformed from the source CRS, valid or repaired when
asked), duplicate ids within the file and against the store, and references to other records.
Every problem of every row is collected; if there is any, :class:`InvalidInput` lists them and
nothing is written.

Other parts of mineaction hook into imports with :func:`on_import`: the land release engine,
for instance, applies each imported activity to the hazards it overlaps in the same
transaction.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.schema import Record, SpatialRecord, coerce_properties
from mineaction.errors import InvalidInput, Problem
from mineaction.geo.crs import DatumWarning, Reprojection, crs_label, parse_crs, reprojection
from mineaction.geo.validate import as_multipolygon, check_geometry, repair
from mineaction.io.readers import InputFeature, SourceFile, read_file
from mineaction.store.base import Progress, Store, Transaction

#: References checked on import: (layer, field) -> layer the id must exist in.
REFERENCES: dict[tuple[str, str], str] = {
    ("finds", "activity_id"): "activities",
    ("finds", "hazard_id"): "hazards",
    ("activities", "hazard_id"): "hazards",
    ("activities", "evidence_id"): "evidence",
    ("victims", "accident_id"): "accidents",
    ("victims-personal", "victim_id"): "victims",
    ("quality", "activity_id"): "activities",
    ("evidence", "hazard_id"): "hazards",
    ("admin-areas", "parent_id"): "admin-areas",
}

#: References a row may make to a record it creates itself, which need not exist yet:
#: (layer, field) -> test of the row. A survey that finds a new hazard names it in hazard_id.
CREATED_BY_ROW: dict[tuple[str, str], Callable[[Record], bool]] = {
    ("activities", "hazard_id"): lambda r: getattr(r, "survey_result", None) == "new_hazard",
}

#: Layers no file import may write, and why. Release steps and hazard history are derived:
#: only the land release engine produces them, so that the history cannot be forged and every
#: released area comes from an activity. Minefield records must pass their own schema.
NOT_IMPORTED: dict[str, str] = {
    "release-steps": "release steps are derived: the land release engine records them when "
                     "activities are imported (import the activities instead)",
    "hazard-versions": "hazard history is derived: the land release engine records each "
                       "state of a hazard as activities and surveys change it (import the "
                       "hazards or activities instead)",
    "minefield-records": "minefield records are checked against their own format; import "
                         "them with 'mineaction records import FILE'",
}


def check_importable(layer_name: str) -> None:
    """InvalidInput naming the layer and why, when files may never be imported into it."""
    name = get_layer(layer_name).name
    if name in NOT_IMPORTED:
        raise InvalidInput([Problem(f"layer {name}", None,
                                    f"cannot be imported: {NOT_IMPORTED[name]}")])


ImportHook = Callable[[Transaction, list[Record], Progress | None], list[str]]
_HOOKS: dict[str, list[ImportHook]] = {}
#: Modules that register import hooks; imported before the first import runs.
HOOK_MODULES = ["mineaction.analysis.release"]


def _load_hooks() -> None:
    import importlib

    for name in HOOK_MODULES:
        importlib.import_module(name)


def hook_count(layer: str) -> int:
    """How many hooks run after an import into ``layer`` (each reports progress per record)."""
    _load_hooks()
    return len(_HOOKS.get(layer, []))


def on_import(layer: str) -> Callable[[ImportHook], ImportHook]:
    """Register ``fn(tx, records, progress) -> messages`` to run after a layer's rows are
    written, inside the import's transaction. Raising InvalidInput undoes the whole import."""

    def deco(fn: ImportHook) -> ImportHook:
        _HOOKS.setdefault(layer, []).append(fn)
        return fn

    return deco


@dataclass
class ImportResult:
    layer: str
    path: Path
    count: int
    source_crs: str | None
    operation: str | None
    warnings: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    repaired: int = 0
    private: list[Record] = field(default_factory=list)  # personal data, kept apart


def _shapefile_aliases(layer: Layer, props: dict) -> dict:
    """Shapefile field names are cut to 10 characters; map them back to the layer's names."""
    names = [s.name for s in layer.fields]
    out = {}
    for key, value in props.items():
        k = str(key)
        if k not in names and len(k) == 10:
            match = [n for n in names if n.startswith(k)]
            if len(match) == 1:
                k = match[0]
        out[k] = value
    return out


def _resolve_crs(src: SourceFile, crs: str | None, notes: list[str]) -> str:
    if crs:
        chosen = crs_label(parse_crs(crs))
        if src.crs and not src.crs_is_default:
            declared = crs_label(parse_crs(src.crs))
            if declared != chosen:
                notes.append(f"{src.path.name} declares {declared}; read as {chosen} as asked "
                             "with --crs")
        return chosen
    if src.crs:
        return crs_label(parse_crs(src.crs))
    if any(f.geometry is not None for f in src.features):
        notes.append(f"{src.path.name} declares no CRS; read as EPSG:4326 (WGS 84 longitude, "
                     "latitude). Give --crs if it is in another one.")
    return "EPSG:4326"


def prepare(layer: Layer, src: SourceFile, *, crs: str | None = None,
            operation: str | None = None, do_repair: bool = False
            ) -> tuple[list[Record], list[Problem], ImportResult]:
    """Check every row of ``src`` for ``layer``; return the records and every problem."""
    result = ImportResult(layer.name, src.path, 0, None, None)
    problems: list[Problem] = []
    records: list[Record] = []
    try:
        source_crs = _resolve_crs(src, crs, result.warnings)
        geoms = [f.geometry for f in src.features if f.geometry is not None]
        bounds = None
        if geoms:
            import shapely

            b = shapely.total_bounds(geoms)
            bounds = tuple(float(v) for v in b) if all(map(lambda v: v == v, b)) else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DatumWarning)
            rp: Reprojection = reprojection(source_crs, operation, bounds=bounds)  # type: ignore
        result.warnings.extend(str(w.message) for w in caught)
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, source=str(src.path)) from None
    result.source_crs, result.operation = rp.source_label, rp.operation
    seen: dict[str, str] = {}
    is_shp = src.format == "ESRI Shapefile"
    companion = get_layer(layer.private_companion) if layer.private_companion else None
    for feat in src.features:
        personal: dict[str, Any] = {}
        if companion is not None:
            feat, personal = _split_personal(companion, feat)
        rec = _prepare_one(layer, feat, rp, do_repair, problems, is_shp)
        if rec is None:
            continue
        if personal and companion is not None:
            values, more = coerce_properties(
                companion.fields, {**personal, "id": f"{rec.id}/personal",
                                   "victim_id": rec.id}, feat.where)
            if more:
                problems.extend(more)
                continue
            result.private.append(companion.make({**values, "source": rec.source}))
        if rec.id in seen:
            problems.append(Problem(feat.where, "id",
                                    f"duplicate id {rec.id!r} (first at {seen[rec.id]})"))
            continue
        seen[rec.id] = feat.where
        if rec.notes and "geometry repaired" in rec.notes:
            result.repaired += 1
        records.append(rec)
    return records, problems, result


#: Column names that mean a personal field of a private companion layer.
PERSONAL_ALIASES = {"name": "full_name", "date_of_birth": "born_on", "birth_date": "born_on",
                    "phone": "contact", "telephone": "contact", "address": "contact"}


def _split_personal(companion: Layer, feat: InputFeature) -> tuple[InputFeature, dict[str, Any]]:
    """The feature without its personal columns, and those columns under the companion's names."""
    private = {s.name for s in companion.fields if not s.public}
    public: dict[str, Any] = {}
    personal: dict[str, Any] = {}
    for key, value in feat.properties.items():
        name = str(key).strip().lower()
        name = PERSONAL_ALIASES.get(name, name)
        if name in private and name != "victim_id":
            personal[name] = value
        else:
            public[key] = value
    if not personal:
        return feat, {}
    return dataclasses.replace(feat, properties=public), {
        k: v for k, v in personal.items() if v not in (None, "")}


def _prepare_one(layer: Layer, feat: InputFeature, rp: Reprojection, do_repair: bool,
                 problems: list[Problem], is_shp: bool) -> Record | None:
    props = _shapefile_aliases(layer, feat.properties) if is_shp else feat.properties
    values, row_problems = coerce_properties(layer.fields, props, feat.where)
    geom = feat.geometry
    if feat.geometry_problem:
        row_problems.append(Problem(feat.where, "geometry", feat.geometry_problem))
    elif layer.spatial:
        if geom is not None and not geom.is_empty:
            try:
                geom = rp.apply(geom)
            except Exception as exc:  # noqa: BLE001 (pyproj raises several kinds)
                row_problems.append(Problem(feat.where, "geometry",
                                            f"cannot transform from {rp.source_label}: {exc}"))
                geom = None
        if geom is not None or layer.geometry_required or feat.geometry is not None:
            issue = check_geometry(geom, layer.geometry_type or "GEOMETRY",
                                   required=layer.geometry_required)
            if issue and issue.repairable and do_repair:
                geom, note = repair(geom)  # type: ignore[arg-type]
                values["notes"] = f"{values['notes']}; {note}" if values.get("notes") else note
                issue = check_geometry(geom, layer.geometry_type or "GEOMETRY")
            if issue:
                hint = " (use --repair to repair it)" if issue.repairable else ""
                row_problems.append(Problem(feat.where, "geometry", issue.reason + hint))
    elif geom is not None:
        row_problems.append(Problem(feat.where, "geometry",
                                    f"layer {layer.name} has no geometry"))
    if row_problems:
        problems.extend(row_problems)
        return None
    if layer.spatial and geom is not None and layer.geometry_type == "MULTIPOLYGON":
        geom = as_multipolygon(geom)
    try:
        record = layer.make(values)
    except (ValueError, TypeError) as exc:
        problems.append(Problem(feat.where, None, str(exc)))
        return None
    if isinstance(record, SpatialRecord):
        record.geometry = geom
        if geom is not None:
            record.src_crs = rp.source_label
            record.crs_operation = rp.operation
    return record


def check_against_store(tx: Transaction, layer: Layer, records: list[Record],
                        where: dict[str, str]) -> list[Problem]:
    """Ids already stored, and references to records that exist neither here nor there."""
    problems = []
    existing = tx.existing_ids(layer, [r.id for r in records])
    for r in records:
        if r.id in existing:
            problems.append(Problem(where[r.id], "id", f"id {r.id!r} is already in the store"))
    in_file = {r.id for r in records}
    for (lname, fname), target in REFERENCES.items():
        if lname != layer.name:
            continue
        creates = CREATED_BY_ROW.get((lname, fname))
        checked = [r for r in records if getattr(r, fname, None)
                   and not (creates and creates(r))]
        if not checked:
            continue
        known = tx.existing_ids(target, {getattr(r, fname) for r in checked}) | (
            in_file if target == layer.name else set())
        for r in checked:
            ref = getattr(r, fname)
            if ref not in known:
                problems.append(Problem(where[r.id], fname, f"no {target} record {ref!r}"))
    return problems


def import_file(store: Store, layer_name: str, path: str | Path, *, crs: str | None = None,
                operation: str | None = None, do_repair: bool = False,
                progress: Progress | None = None, source: str | None = None,
                on_total: Callable[[int], None] | None = None) -> ImportResult:
    """Import one file into one layer, all rows or none.

    ``on_total(n)`` is told how many units of ``progress`` the import will report, once the
    file has been read: one per row written, and one per row for each import hook."""
    check_importable(layer_name)
    _load_hooks()
    layer = get_layer(layer_name)
    src = read_file(path)
    if on_total:
        on_total(len(src.features) * (1 + len(_HOOKS.get(layer.name, []))))
    records, problems, result = prepare(layer, src, crs=crs, operation=operation,
                                        do_repair=do_repair)
    where = {r.id: f.where for r, f in zip(records, _kept(src, records), strict=False)}
    label = source or f"file:{Path(path).name}"
    for r in [*records, *result.private]:
        if r.source is None:
            r.source = label
    with store.transaction() as tx:
        problems.extend(check_against_store(tx, layer, records, where))
        if problems:
            raise InvalidInput(problems, source=str(path))
        result.count = tx.add_many(records, progress)
        if result.private:
            tx.add_many(result.private)
        for hook in _HOOKS.get(layer.name, []):
            result.messages.extend(hook(tx, records, progress))
    return result


def _kept(src: SourceFile, records: list[Record]) -> list[InputFeature]:
    """The input features that became ``records``, in order (to name rows in later checks)."""
    by_id: dict[str, InputFeature] = {}
    for f in src.features:
        key = f.properties.get("id")
        if key is not None:
            by_id.setdefault(str(key).strip(), f)
    return [by_id.get(r.id, InputFeature(f"record {r.id}", {})) for r in records]

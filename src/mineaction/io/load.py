"""Importing a file into a layer: every row checked, then one transaction or nothing.

The checks, in order, for each row: field values (types, enumerations, required fields,
ranges: no date after today for something that happened, no negative count), the layer's own
rules (an ordnance model contradicting its category, dates in the wrong order), geometry
(present, of the right type, its coordinates plausible in the source CRS, transformed from it,
valid or repaired when asked, an activity no larger than a release can be), duplicate ids
within the file and against the store, and references to other records. Every problem of every
row is collected; if there is any, :class:`InvalidInput` lists them and nothing is written.

Elevations (Z) and measures (M) are dropped on entry, and noted on the record: every layer is
2D, and a GPS track with heights is still a track. For a layer that holds people (one with a
``private_companion``), every input column that is not a public field of the layer goes to the
companion, never into the public record.

Other parts of mineaction hook into imports with :func:`on_import`: the land release engine,
for instance, applies each imported activity to the hazards it overlaps in the same
transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.schema import (
    SYSTEM_FIELDS,
    Record,
    SpatialRecord,
    coerce_properties,
    is_blank,
)
from mineaction.errors import InvalidInput, Problem, problem_of
from mineaction.geo.crs import (
    AREA_OF_USE_MARGIN_DEG,
    DatumWarning,
    Extent,
    Reprojection,
    area_of_use,
    crs_label,
    crs_name,
    degrees_as_projected,
    in_lonlat_range,
    parse_crs,
    reprojection,
)
from mineaction.geo.measure import area_m2
from mineaction.geo.validate import RepairFailed, as_multipolygon, check_geometry, repair
from mineaction.io.readers import InputFeature, SourceFile, read_file
from mineaction.messages import Message, Note, warning_text
from mineaction.store.base import Progress, Reader, Store, Transaction

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

#: Layers no file import may write, and the message saying why. Release steps and hazard
#: history are derived: only the land release engine produces them, so that the history cannot
#: be forged and every released area comes from an activity. Minefield records must pass their
#: own schema.
NOT_IMPORTED: dict[str, str] = {
    "release-steps": "import.not_importable_release_steps",
    "hazard-versions": "import.not_importable_hazard_versions",
    "minefield-records": "import.not_importable_minefield_records",
    "submissions": "review.not_importable",
    "imports": "intake.not_importable_provenance",
    "record-changes": "intake.not_importable_provenance",
}


def check_importable(layer_name: str) -> None:
    """InvalidInput naming the layer and why, when files may never be imported into it."""
    name = get_layer(layer_name).name
    if name in NOT_IMPORTED:
        raise InvalidInput([Problem.of(f"layer {name}", None, NOT_IMPORTED[name])])


ImportHook = Callable[[Transaction, list[Record], Progress | None], list[str]]
_HOOKS: dict[str, list[ImportHook]] = {}
#: Modules that register import hooks; imported before the first import runs.
HOOK_MODULES = ["mineaction.release.engine", "mineaction.analysis.areas"]


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


CheckHook = Callable[[Transaction, Layer, list[Record], dict[str, str]], list[Problem]]
_CHECKS: dict[str, list[CheckHook]] = {}


def on_check(layer: str) -> Callable[[CheckHook], CheckHook]:
    """Register ``fn(tx, layer, records, where) -> problems`` to run with the checks against
    the store (``layer`` "*": every layer), before anything is written and in dry runs too;
    ``where`` maps a record's id to its row. It may complete the records (an area found by
    location)."""

    def deco(fn: CheckHook) -> CheckHook:
        _CHECKS.setdefault(layer, []).append(fn)
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
    repairs: list[RepairEffect] = field(default_factory=list)
    #: Each record's row (its ``where``: "line 3"), by the record's id.
    rows: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RepairEffect:
    """One repaired geometry: the row it came from and its area before and after, in m²."""

    where: str
    area_before_m2: float
    area_after_m2: float

    @property
    def factor(self) -> float:
        """after / before; infinite when the polygon as drawn had no area."""
        if self.area_before_m2 <= 0:
            return float("inf")
        return self.area_after_m2 / self.area_before_m2


def repair_summary(repairs: list[RepairEffect]) -> Note | None:
    """One line on what repairs did to areas: how many, the total change in m², and the row
    whose area changed most (by ratio, either way), since a repair can double or halve a
    polygon. None when nothing was repaired."""
    if not repairs:
        return None
    total = sum(r.area_after_m2 - r.area_before_m2 for r in repairs)

    def spread(r: RepairEffect) -> float:
        f = r.factor
        return f if f >= 1 else (1 / f if f > 0 else float("inf"))

    worst = max(repairs, key=spread)
    said = {"count": len(repairs), "total": total, "where": worst.where,
            "before": worst.area_before_m2, "after": worst.area_after_m2}
    if worst.area_before_m2 > 0:
        return Note("import.repaired", factor=worst.factor, **said)
    return Note("import.repaired_from_nothing", **said)


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
                notes.append(Note("crs.read_as_asked", file=src.path.name, declared=declared,
                                  chosen=chosen))
        return chosen
    if src.crs:
        return crs_label(parse_crs(src.crs))
    if any(f.geometry is not None for f in src.features):
        notes.append(Note("crs.assumed_wgs84", file=src.path.name))
    return "EPSG:4326"


#: How far (degrees) outside the box of the store's administrative areas a row may lie before
#: it counts as outside the territory (for telling swapped longitude and latitude).
TERRITORY_MARGIN_DEG = 0.5


@dataclass(frozen=True)
class _Plausibility:
    """What a file's coordinates are checked against: the CRS's area of use and the store's
    territory, both in degrees and both optional."""

    rp: Reprojection
    area: Extent | None  # the source CRS's area of use, widened by AREA_OF_USE_MARGIN_DEG
    territory: Extent | None  # the store's administrative areas, exactly

    def problems(self, geoms: list[BaseGeometry | None]) -> dict[int, Message]:
        """Why each implausible geometry is refused, by its position in ``geoms``.

        Geographic source: coordinates out of range or out of the CRS's area of use, or far
        outside the territory, and whether longitude and latitude swapped would fit. (The
        datum shift to WGS84, about 100 m, is far below the margins, so source coordinates
        stand for the stored ones.) Projected source: the transformed coordinates out of the
        area of use. Checked for the whole file at once: a check per row costs as much as the
        rest of the import."""
        n = len(geoms)
        xy, index = shapely.get_coordinates(np.array(geoms, dtype=object), return_index=True)
        if len(xy) == 0:
            return {}
        starts = np.searchsorted(index, np.arange(n + 1))

        def each(mask: np.ndarray) -> np.ndarray:  # per geometry: every coordinate in mask
            return np.bincount(index, weights=~mask, minlength=n) == 0

        usable = each(np.isfinite(xy).all(axis=1)) & (np.diff(starts) > 0)
        out: dict[int, Message] = {}
        if not self.rp.source.is_geographic:
            if self.area is None or self.rp.transformer is None:
                return out
            x, y = self.rp.transformer.transform(xy[:, 0], xy[:, 1], errcheck=False)
            lonlat = np.column_stack((x, y))
            # a coordinate pyproj cannot transform is reported by the transformation itself
            inside = self.area.contains(lonlat) | ~np.isfinite(lonlat).all(axis=1)
            for g in np.flatnonzero(usable & ~each(inside)):
                at = _at(lonlat[starts[g]:starts[g + 1]])
                out[int(g)] = Message.of("crs.outside_area_projected", at=at,
                                         crs=crs_name(self.rp.source),
                                         area=self.area.describe())
            return out
        swapped = xy[:, ::-1]
        in_range, swapped_in_range = each(in_lonlat_range(xy)), each(in_lonlat_range(swapped))
        in_area = swapped_in_area = np.ones(n, bool)
        if self.area is not None:
            in_area, swapped_in_area = each(self.area.contains(xy)), each(
                self.area.contains(swapped))
        swapped_fits = swapped_in_range & swapped_in_area
        far_swapped = np.zeros(n, bool)
        if self.territory is not None:
            near = self.territory.widened(TERRITORY_MARGIN_DEG)
            nowhere_near = np.bincount(index, weights=near.contains(xy), minlength=n) == 0
            far_swapped = nowhere_near & each(self.territory.contains(swapped))
        for g in np.flatnonzero(usable & ~(in_range & in_area & ~far_swapped)):
            at = _at(xy[starts[g]:starts[g + 1]])
            if not in_range[g]:
                code = "crs.out_of_range_swapped" if swapped_fits[g] else "crs.out_of_range"
                reason = Message.of(code, at=at)
            elif not in_area[g]:
                code = "crs.outside_area_swapped" if swapped_fits[g] else "crs.outside_area"
                reason = Message.of(code, at=at, crs=crs_name(self.rp.source),
                                    area=self.area.describe() if self.area else "")
            else:
                assert self.territory is not None
                reason = Message.of("crs.far_from_territory_swapped", at=at,
                                    territory=self.territory.describe())
            out[int(g)] = reason
        return out


def _at(xy: np.ndarray) -> str:
    """Where coordinates lie, for a message: one point, or the range of a shape."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    if np.allclose(lo, hi):
        return f"{lo[0]:.6f}, {lo[1]:.6f}"
    return f"{lo[0]:.6f} to {hi[0]:.6f}, {lo[1]:.6f} to {hi[1]:.6f}"


def _span(values: np.ndarray) -> str:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return "no values"
    lo, hi = (f"{round(float(v), 3):.12g}" for v in (finite.min(), finite.max()))
    return lo if lo == hi else f"{lo} to {hi}"


def flatten(geom: BaseGeometry) -> tuple[BaseGeometry, list[str]]:
    """``geom`` in 2D, and notes saying what was dropped: "elevations (Z) dropped on entry:
    412 to 455", "measures (M) dropped on entry: 0 to 1532" (values in the file's units)."""
    notes = []
    if shapely.has_z(geom):
        z = shapely.get_coordinates(geom, include_z=True)[:, 2]
        notes.append(f"elevations (Z) dropped on entry: {_span(z)}")
    if shapely.has_m(geom):
        m = shapely.get_coordinates(geom, include_m=True)[:, -1]
        notes.append(f"measures (M) dropped on entry: {_span(m)}")
    return (shapely.force_2d(geom), notes) if notes else (geom, notes)


def prepare(layer: Layer, src: SourceFile, *, crs: str | None = None,
            operation: str | None = None, do_repair: bool = False,
            today: dt.date | None = None, allow_large: bool = False,
            territory: tuple[float, float, float, float] | None = None
            ) -> tuple[list[Record], list[Problem], ImportResult]:
    """Check every row of ``src`` for ``layer``; return the records and every problem.

    ``today`` is the clock for the latest date a field accepts (default: the system's).
    ``allow_large`` lets a geometry exceed the layer's ``max_area_m2`` (a release larger than
    100 km²). ``territory`` is the box (west, south, east, north) of the store's administrative
    areas, if it has any: a geographic row far outside it that would lie inside with longitude
    and latitude swapped is refused as swapped. Coordinates that look like degrees in a
    projected CRS are refused for the whole file; coordinates outside the CRS's area of use
    (with :data:`~mineaction.geo.crs.AREA_OF_USE_MARGIN_DEG`) are refused per row.
    """
    today = today or dt.date.today()
    result = ImportResult(layer.name, src.path, 0, None, None)
    problems: list[Problem] = []
    records: list[Record] = []
    try:
        source_crs = _resolve_crs(src, crs, result.warnings)
        geoms = [f.geometry for f in src.features if f.geometry is not None]
        bounds = None
        if geoms:
            b = shapely.total_bounds(geoms)
            bounds = tuple(float(v) for v in b) if all(map(lambda v: v == v, b)) else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DatumWarning)
            rp: Reprojection = reprojection(source_crs, operation, bounds=bounds)  # type: ignore
        result.warnings.extend(warning_text(w) for w in caught)
        if operation and rp.transformer is None:  # asked for, and nothing to apply it to
            raise InvalidInput.of("crs.operation_not_needed", operation=operation,
                                  crs=rp.source_label)
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, source=str(src.path)) from None
    if layer.spatial and geoms:
        xy = shapely.get_coordinates(geoms)
        reason = degrees_as_projected(rp.source, xy[np.isfinite(xy).all(axis=1)])
        if reason:
            raise InvalidInput([Problem.said(src.path.name, "geometry", reason)],
                               source=str(src.path))
    aou = area_of_use(rp.source)
    plausible = _Plausibility(
        rp, None if aou is None else aou.widened(AREA_OF_USE_MARGIN_DEG),
        None if territory is None else Extent(*territory))
    misplaced = plausible.problems([
        f.geometry if layer.spatial and not f.geometry_problem else None for f in src.features])
    result.source_crs, result.operation = rp.source_label, rp.operation
    seen: dict[str, str] = {}
    is_shp = src.format == "ESRI Shapefile"
    companion = get_layer(layer.private_companion) if layer.private_companion else None
    for n, feat in enumerate(src.features):
        personal: dict[str, Any] = {}
        if companion is not None:
            feat, personal = split_personal(layer, companion, feat)
        rec = _prepare_one(layer, feat, rp, misplaced.get(n), allow_large, do_repair, problems,
                           is_shp, today, result.repairs)
        if rec is None:
            raw = _raw_id(feat)  # a row refused: its id is still taken (a repeat is refused)
            if raw is not None:
                seen.setdefault(raw, feat.where)
            continue
        if personal and companion is not None:
            values, more = coerce_properties(
                companion.fields, {**personal, "id": f"{rec.id}/personal",
                                   "victim_id": rec.id}, feat.where, today=today)
            if more:
                problems.extend(more)
                continue
            result.private.append(companion.make({**values, "source": rec.source}))
        if rec.id in seen:
            problems.append(Problem.of(feat.where, "id", "import.duplicate_id", id=rec.id,
                                       first=seen[rec.id]))
            continue
        seen[rec.id] = feat.where
        result.rows[rec.id] = feat.where
        records.append(rec)
    result.repaired = len(result.repairs)
    return records, problems, result


#: Column names that hold a personal field of a private companion layer, in the languages of
#: the programmes using mineaction (names are compared in lower case, spaces and hyphens as _).
PERSONAL_ALIASES = {
    "full_name": {"name", "fullname", "full_name", "person", "nombre_completo",
                  "nombres_y_apellidos", "фио", "ф_и_о", "полное_имя", "ad_soyad", "soyad_ad",
                  "ad_soyad_ata_adı", "tam_ad"},
    "born_on": {"date_of_birth", "birth_date", "dob", "birthdate", "born", "fecha_de_nacimiento",
                "fecha_nacimiento", "дата_рождения", "doğum_tarixi", "dogum_tarixi"},
    "contact": {"contact", "phone", "telephone", "tel", "mobile", "cell", "email", "e_mail",
                "address", "teléfono", "telefono", "celular", "dirección", "direccion", "correo",
                "correo_electrónico", "correo_electronico", "телефон", "адрес", "эл_почта",
                "email_адрес", "telefon", "mobil", "ünvan", "unvan", "e_poçt", "e_poct"},
}
#: Columns holding part of a name: joined, in the file's order, into ``full_name`` when the file
#: has no column with the whole name (else kept beside it).
NAME_PARTS = {"first_name", "given_name", "forename", "middle_name", "surname", "last_name",
              "family_name", "patronymic", "nombre", "nombres", "primer_nombre", "apellido",
              "apellidos", "primer_apellido", "segundo_apellido", "имя", "фамилия", "отчество",
              "ad", "soyad", "soyadı", "ata_adı", "ata_adi"}
_ALIAS = {alias: name for name, aliases in PERSONAL_ALIASES.items() for alias in aliases}


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


def split_personal(layer: Layer, companion: Layer, feat: InputFeature
                   ) -> tuple[InputFeature, dict[str, Any]]:
    """The feature with only the public fields of ``layer``, and everything else as values of
    the companion's fields.

    Guarantees: no column that is not a public field of ``layer`` stays in the feature (an
    unknown column in a file about people is taken to be personal); nothing is overwritten:
    several contact columns are joined ("address: ...; phone: ..."), name parts make the name,
    and any other column, or a second one for the same field, is kept in the companion's
    ``attributes``.
    """
    public_names = {s.name for s in layer.fields if s.public} | set(SYSTEM_FIELDS)
    private = {s.name for s in companion.fields if not s.public} - {"victim_id"}
    public: dict[str, Any] = {}
    found: dict[str, list[tuple[str, Any]]] = {}
    parts: list[tuple[str, Any]] = []
    extra: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    for key, value in feat.properties.items():
        name = str(key).strip()
        if name in public_names or name.lower() in public_names:
            public[key] = value
            continue
        if is_blank(value):
            continue
        if "\x00" in name or "\x00" in str(value):
            refused[name] = value  # coercion refuses it, naming the column
            continue
        k = _column_key(name)
        target = k if k in private else _ALIAS.get(k)
        if target in private:
            found.setdefault(target, []).append((name, value))  # type: ignore[arg-type]
        elif k in NAME_PARTS:
            parts.append((name, value))
        else:
            extra[name] = value if isinstance(value, (str, int, float, bool)) else str(value)
    personal: dict[str, Any] = {}
    if parts and "full_name" in private and "full_name" not in found:
        personal["full_name"] = " ".join(str(v).strip() for _, v in parts)
    else:
        extra.update({n: str(v) for n, v in parts})
    for fname, columns in found.items():
        if fname == "contact" and len(columns) > 1:
            personal[fname] = "; ".join(f"{n}: {str(v).strip()}" for n, v in columns)
            continue
        personal[fname] = columns[0][1]
        extra.update({n: v if isinstance(v, (str, int, float, bool)) else str(v)
                      for n, v in columns[1:]})
    if extra:
        personal["attributes"] = json.dumps(extra, ensure_ascii=False, sort_keys=True,
                                            default=str)
    return dataclasses.replace(feat, properties=public), {**personal, **refused}


def _too_large(geom: BaseGeometry, limit_m2: float) -> str | None:
    """How ``geom`` (EPSG:4326) exceeds ``limit_m2``, or None. A ring around more than half the
    Earth has two sides and a geodesic area cannot tell which is meant (the whole globe as a
    box measures 0 m²), so a geometry spanning 180° of longitude or 90° of latitude is too
    large whatever its measured area; below that, the geodesic area is unambiguous."""
    west, south, east, north = geom.bounds
    if east - west >= 180 or north - south >= 90:
        return f"spans {east - west:g}° of longitude and {north - south:g}° of latitude"
    area = area_m2(geom)
    return f"covers {area / 1e6:,.1f} km²" if area > limit_m2 else None


def _prepare_one(layer: Layer, feat: InputFeature, rp: Reprojection, misplaced: Message | None,
                 allow_large: bool, do_repair: bool, problems: list[Problem], is_shp: bool,
                 today: dt.date, repairs: list[RepairEffect] | None = None
                 ) -> Record | None:
    props = _shapefile_aliases(layer, feat.properties) if is_shp else feat.properties
    values, row_problems = coerce_properties(layer.fields, props, feat.where, today=today)
    geom = feat.geometry
    placed = True
    if feat.geometry_problem:
        row_problems.append(Problem.said(feat.where, "geometry", feat.geometry_problem))
    elif layer.spatial:
        if geom is not None and not geom.is_empty:
            geom, dropped = flatten(geom)
            for note in dropped:
                values["notes"] = f"{values['notes']}; {note}" if values.get("notes") else note
            reason = misplaced
            if reason is None:
                try:
                    geom = rp.apply(geom)
                except Exception as exc:  # noqa: BLE001 (pyproj raises several kinds)
                    reason = Message.of("crs.cannot_transform", crs=rp.source_label,
                                        error=str(exc))
            if reason is not None:
                row_problems.append(Problem.said(feat.where, "geometry", reason))
                placed = False
        if placed and (geom is not None or layer.geometry_required
                       or feat.geometry is not None):
            issue = check_geometry(geom, layer.geometry_type or "GEOMETRY",
                                   required=layer.geometry_required)
            repaired = None
            if issue and issue.repairable and do_repair:
                try:
                    repaired = repair(geom)  # type: ignore[arg-type]
                except RepairFailed as exc:
                    row_problems.append(exc.problem(feat.where, "geometry"))
                    issue = None
                else:
                    geom = repaired.geometry
                    note = repaired.note
                    values["notes"] = (f"{values['notes']}; {note}" if values.get("notes")
                                       else note)
                    issue = check_geometry(geom, layer.geometry_type or "GEOMETRY")
            if issue:
                if repaired is not None:
                    row_problems.append(Problem.of(feat.where, "geometry",
                                                   "geometry.repair_result_invalid",
                                                   issue=issue.message))
                elif issue.repairable and not do_repair:
                    row_problems.append(Problem.of(feat.where, "geometry",
                                                   "geometry.repairable", issue=issue.message))
                else:
                    row_problems.append(Problem.said(feat.where, "geometry", issue.message))
            else:
                limit = layer.max_area_m2
                size = (_too_large(geom, limit)
                        if geom is not None and limit and not allow_large else None)
                if size and limit:
                    row_problems.append(Problem.of(feat.where, "geometry", "import.too_large",
                                                   size=size, limit_km2=limit / 1e6,
                                                   layer=layer.name))
                if repaired is not None and repairs is not None and not row_problems:
                    repairs.append(RepairEffect(feat.where, repaired.area_before_m2,
                                                repaired.area_after_m2))
    elif geom is not None:
        row_problems.append(Problem.of(feat.where, "geometry", "import.no_geometry_layer",
                                       layer=layer.name))
    if row_problems:
        problems.extend(row_problems)
        return None
    if layer.spatial and geom is not None and layer.geometry_type == "MULTIPOLYGON":
        geom = as_multipolygon(geom)
    try:
        record = layer.make(values)
    except (ValueError, TypeError) as exc:
        problems.append(problem_of(exc, feat.where, None))
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
            problems.append(Problem.of(where[r.id], "id", "import.id_exists", id=r.id))
    problems += reference_problems(tx, layer, records, lambda r: where[r.id])
    return problems + run_checks(tx, layer, records, where)


def reference_problems(tx: Reader, layer: Layer, records: list[Record],
                       where_of: Callable[[Record], str]) -> list[Problem]:
    """A problem for each reference of ``records`` that names neither a stored record nor
    one of ``records`` (``where_of``: the row of a record)."""
    problems: list[Problem] = []
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
                problems.append(Problem.of(where_of(r), fname, "import.no_reference",
                                           layer=target, id=ref))
    return problems


def run_checks(tx: Transaction, layer: Layer, records: list[Record], where: dict[str, str]
               ) -> list[Problem]:
    """The problems the hooks of :func:`on_check` find in ``records`` (``where``: record id
    -> row). Call it before comparing the records with stored ones: a hook may complete them
    (the administrative area found by location)."""
    _load_hooks()
    problems: list[Problem] = []
    for check in [*_CHECKS.get(layer.name, []), *_CHECKS.get("*", [])]:
        problems.extend(check(tx, layer, records, where))
    return problems


def import_file(store: Store, layer_name: str, path: str | Path, *, crs: str | None = None,
                operation: str | None = None, do_repair: bool = False,
                progress: Progress | None = None, source: str | None = None,
                on_total: Callable[[int], None] | None = None, source_layer: str | None = None,
                encoding: str | None = None, today: dt.date | None = None,
                allow_large: bool = False) -> ImportResult:
    """Import one file into one layer, all rows or none.

    ``source_layer`` and ``encoding`` go to :func:`mineaction.io.readers.read_file`.
    ``on_total(n)`` is told how many units of ``progress`` the import will report, once the
    file has been read: one per row written, and one per row for each import hook. ``today``
    (default: the system clock) and ``allow_large`` are as in :func:`prepare`; the store's
    administrative areas, when it has any, are the territory rows are checked against."""
    check_importable(layer_name)
    src = read_file(path, layer=source_layer, encoding=encoding)
    return import_source(store, layer_name, src, crs=crs, operation=operation,
                         do_repair=do_repair, progress=progress, source=source,
                         on_total=on_total, today=today, allow_large=allow_large)


def import_source(store: Store, layer_name: str, src: SourceFile, *, crs: str | None = None,
                  operation: str | None = None, do_repair: bool = False,
                  progress: Progress | None = None, source: str | None = None,
                  on_total: Callable[[int], None] | None = None, today: dt.date | None = None,
                  allow_large: bool = False) -> ImportResult:
    """Import the rows of a file already read (:func:`mineaction.io.readers.read_file`) into
    one layer, all or none: the checks of :func:`prepare`, ids and references against the
    store, then one transaction that writes the rows and runs the import hooks."""
    check_importable(layer_name)
    _load_hooks()
    layer = get_layer(layer_name)
    path = src.path
    if on_total:
        on_total(len(src.features) * (1 + len(_HOOKS.get(layer.name, []))))
    territory = store.extent("admin-areas") if layer.spatial else None
    records, problems, result = prepare(layer, src, crs=crs, operation=operation,
                                        do_repair=do_repair, today=today,
                                        allow_large=allow_large,
                                        territory=territory)  # type: ignore[arg-type]
    where = dict(result.rows)
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


def _raw_id(feat: InputFeature) -> str | None:
    """The id a row gives, as a record would take it (the column named ``id`` in any case),
    or None."""
    for k, v in feat.properties.items():
        if str(k).strip().lower() == "id" and v not in (None, ""):
            return str(v).strip()
    return None


def apply_hooks(tx: Transaction, layer_name: str, records: list[Record],
                progress: Progress | None = None) -> list[str]:
    """Run the import hooks of ``layer_name`` on ``records`` already added in ``tx`` (as an
    import does after writing its rows); returns their messages. InvalidInput from a hook
    undoes the caller's transaction."""
    _load_hooks()
    messages: list[str] = []
    for hook in _HOOKS.get(get_layer(layer_name).name, []):
        messages.extend(hook(tx, records, progress))
    return messages

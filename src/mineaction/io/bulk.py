"""The columnar path of an import: a file read as Arrow batches, checked column by column,
written in batches.

:func:`mineaction.io.intake.run` checks every row as a record: right for a re-import that must
be reconciled with stored records, and for naming every problem of a bad file, but a
country's archive of finds (a million rows and more) spends most of its time building and
checking row objects. :func:`run` does the same import without them when it can:

- the file is read with GDAL as Arrow batches
  (:func:`mineaction.io.readers.open_columnar`; FlatGeobuf), so memory
  is bounded by the batch size, not by the file;
- each batch is checked with the same rules as a row, on whole columns: text fields for NUL
  characters, padding and length; every other field (numbers, dates, vocabularies, booleans)
  by coercing each *distinct* value once with the row path's own function
  (:func:`mineaction.domain.schema.coerce_value`); the layer's cross-field rule (a model
  contradicting the ordnance catalogue) on each distinct combination; geometries with
  shapely's array functions (type, emptiness, coordinates, validity, area, and the
  plausibility of their place, :class:`mineaction.io.load._Plausibility`); ids unique in the
  file and new to the store; references to stored records;
- rows are written in batches through :meth:`mineaction.store.base.Transaction.insert_columns`
  (GeoPackage: ``executemany`` of prepared blobs and the R-tree filled in bulk; PostGIS: COPY),
  in one transaction with the ``imports`` entry and the audit log's entries.

It is used for a fresh import, the target layer holding no record yet, without a mapping, of
a layer whose rules it knows (:data:`LAYERS`). When any value of any row would not pass a row
check, it stops, the transaction is rolled back, and :func:`run` returns None: the caller then
runs the row path (:func:`mineaction.io.intake.run`), which names every bad row, field and
reason with the same codes as always, writes the problems and rejects files, and keeps the
all-or-nothing and ``--rejects`` semantics. Nothing of the columnar attempt is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from mineaction.domain.intake import IMPORT_SOURCE, ImportRun
from mineaction.domain.layers import Layer, get_layer
from mineaction.domain.schema import (
    MAX_ID_LENGTH,
    SYSTEM_FIELDS,
    FieldSpec,
    Record,
    coerce_value,
    is_blank,
)
from mineaction.errors import Conflict
from mineaction.geo.crs import (
    AREA_OF_USE_MARGIN_DEG,
    DatumWarning,
    Extent,
    Reprojection,
    area_of_use,
    reprojection,
)
from mineaction.geo.validate import _FAMILIES
from mineaction.io import load
from mineaction.io.intake import Options, Outcome, _DryRun, _run_id, sha256_of
from mineaction.io.readers import COLUMNAR_BATCH_ROWS, ColumnarFile, SourceFile, _ogr_datetime_text
from mineaction.messages import warning_text
from mineaction.store.base import Progress, Store, Transaction
from mineaction.store.rows import column_value, from_row

#: Rows per Arrow batch: what the columnar path holds at once.
BATCH_ROWS = COLUMNAR_BATCH_ROWS

#: Layers the columnar path imports, with the fields their cross-field rule
#: (``Layer.defaults``) reads; the rule is run on each distinct combination of them and must
#: change nothing. A layer not named here is imported by the row path.
LAYERS: dict[str, tuple[str, ...]] = {
    "finds": ("model", "category"),
    "hazards": (),
}

#: The import checks (:func:`mineaction.io.load.on_check`) the columnar path knows: the
#: administrative area check, which has nothing to check while the store holds no areas or the
#: layer has no area field.
AREA_FIELD = "admin_area_id"

#: GEOS type ids of each geometry family a layer accepts.
_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4,
             "MultiLineString": 5, "MultiPolygon": 6, "GeometryCollection": 7}

#: Text that padding makes different from what the row path would store or compare (leading or
#: trailing white space of any kind, control characters among them).
_PADDED = r"^[\s\p{Z}\x0b\x1c-\x1f\x85]|[\s\p{Z}\x0b\x1c-\x1f\x85]$"


class NotColumnar(Exception):
    """A value the columnar path does not take as it is: the row path decides (and names the
    row, field and reason when it is a problem)."""


# ---------------------------------------------------------------------------------------------
# Checks of a batch


def _defaults(layer: Layer) -> dict[str, Any]:
    """The value of each field a row leaves out, as the record type's default gives it."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(layer.record_type):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def _text(spec: FieldSpec, col: Any) -> list[Any]:
    """A text column's values as a row would store them; NotColumnar when a value needs the
    row path (NUL, padding, an id too long, a value that is not text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if col.null_count == len(col):
        return [None] * len(col)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        raise NotColumnar(spec.name)
    if pc.any(pc.match_substring(col, "\x00")).as_py():
        raise NotColumnar(spec.name)
    empty = pc.equal(col, "")
    if pc.any(pc.and_(pc.invert(empty), pc.match_substring_regex(col, _PADDED))).as_py():
        raise NotColumnar(spec.name)
    if (spec.name == "id" or spec.name.endswith("_id")) and \
            (pc.max(pc.utf8_length(col)).as_py() or 0) > MAX_ID_LENGTH:
        raise NotColumnar(spec.name)
    return pc.if_else(empty, None, col).to_pylist()  # type: ignore[no-any-return]


def _coerced(spec: FieldSpec, col: Any, today: dt.date, timed: bool) -> list[Any]:
    """A column's values coerced as a row's are (None for a blank), each distinct value once;
    NotColumnar when one would be a problem."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_boolean(col.type) and 0 < col.null_count < len(col):
        # read row by row, a boolean field with empty values comes as numbers
        raise NotColumnar(spec.name)
    uniq = pc.unique(col)
    out: list[Any] = []
    for raw in uniq.to_pylist():
        if timed:
            raw = _ogr_datetime_text(raw)
        if is_blank(raw):
            out.append(None)
            continue
        try:
            value = coerce_value(spec, raw, today=today)
        except ValueError:
            raise NotColumnar(spec.name) from None
        # a date as the text a store writes, made once for each distinct date
        out.append(value.isoformat() if spec.kind == "date" else value)
    index = pc.index_in(col, value_set=uniq, skip_nulls=False).to_numpy(zero_copy_only=False)
    values = np.empty(len(out), dtype=object)
    values[:] = out
    return values[index].tolist()  # type: ignore[no-any-return]


@dataclass
class _Checker:
    """The checks of one import, kept across batches (ids seen, references known)."""

    layer: Layer
    tx: Transaction
    rp: Reprojection
    plausible: load._Plausibility
    today: dt.date
    timed: frozenset[str]
    seen: set[str] = dataclasses.field(default_factory=set)
    known: dict[str, set[str]] = dataclasses.field(default_factory=dict)

    def batch(self, batch: Any, geometry_column: str
              ) -> tuple[dict[str, list[Any]], np.ndarray | None]:
        """The batch's columns as stored values (typed values for the rule), and its
        geometries; NotColumnar at the first value that needs the row path."""
        layer = self.layer
        n = batch.num_rows
        specs = {s.name: s for s in layer.fields}
        names = [name for name in batch.schema.names if name != geometry_column]
        for name in names:
            if name not in specs or name in SYSTEM_FIELDS:
                raise NotColumnar(name)
        typed: dict[str, list[Any]] = {}
        for name in names:
            spec, col = specs[name], batch.column(name)
            typed[name] = (_text(spec, col) if spec.kind == "text" and name not in self.timed
                           else _coerced(spec, col, self.today, name in self.timed))
        defaults = _defaults(layer)
        for spec in layer.fields:
            if spec.name in SYSTEM_FIELDS:
                continue
            values = typed.get(spec.name)
            if spec.required and (values is None or any(v is None for v in values)):
                raise NotColumnar(spec.name)
            if values is not None and spec.name in defaults and defaults[spec.name] is not None:
                d = defaults[spec.name]
                typed[spec.name] = [d if v is None else v for v in values]
        self._rule(typed, n)
        ids = typed["id"]
        if len(set(ids)) != n or not self.seen.isdisjoint(ids):
            raise NotColumnar("id")
        self.seen.update(ids)  # an id stored already is a Conflict on insert: by rows then
        self._references(typed)
        geoms = self._geometries(batch, geometry_column, n) if layer.spatial else None
        stored: dict[str, list[Any]] = {}
        for spec in layer.fields:
            if spec.name in typed:
                if spec.kind in ("enum", "enumset"):
                    stored[spec.name] = [column_value(spec, v) for v in typed[spec.name]]
                else:
                    stored[spec.name] = typed[spec.name]
            elif spec.name in defaults and spec.name not in SYSTEM_FIELDS:
                stored[spec.name] = [column_value(spec, defaults[spec.name])] * n
        if geoms is not None:
            present = (~shapely.is_missing(geoms)).tolist()
            label, operation = self.rp.source_label, self.rp.operation
            stored["src_crs"] = [label if p else None for p in present]
            stored["crs_operation"] = [operation if p else None for p in present]
        return stored, geoms

    def _rule(self, typed: dict[str, list[Any]], n: int) -> None:
        """The layer's cross-field rule on each distinct combination of the fields it reads."""
        rule = self.layer.defaults
        fields = LAYERS[self.layer.name]
        if rule is None:
            return
        columns = [typed.get(f, [None] * n) for f in fields]
        for combo in set(zip(*columns, strict=True)):
            values = dict(zip(fields, combo, strict=True))
            before = dict(values)
            try:
                rule(values)
            except (ValueError, TypeError):
                raise NotColumnar(",".join(fields)) from None
            if values != before:
                raise NotColumnar(",".join(fields))

    def _references(self, typed: dict[str, list[Any]]) -> None:
        """Each reference names a stored record (one the file makes itself goes by rows)."""
        for (lname, fname), target in load.REFERENCES.items():
            if lname != self.layer.name or fname not in typed:
                continue
            if (lname, fname) in load.CREATED_BY_ROW or target == self.layer.name:
                if any(v is not None for v in typed[fname]):
                    raise NotColumnar(fname)
                continue
            wanted = {v for v in typed[fname] if v is not None}
            known = self.known.setdefault(target, set())
            unknown = wanted - known
            if unknown:
                found = self.tx.existing_ids(target, unknown)
                if found != unknown:
                    raise NotColumnar(fname)
                known.update(found)

    def _geometries(self, batch: Any, column: str, n: int) -> np.ndarray:
        """The batch's geometries, checked as :func:`mineaction.geo.validate.check_geometry`
        and the plausibility of their place check each."""
        layer = self.layer
        if column not in batch.schema.names:
            if layer.geometry_required:
                raise NotColumnar("geometry")
            out = np.empty(n, dtype=object)
            out[:] = [None] * n
            return out
        wkb = batch.column(column).to_numpy(zero_copy_only=False)
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        missing = shapely.is_missing(geoms)
        if (missing & (wkb != None)).any():  # noqa: E711 (unparsable)
            raise NotColumnar("geometry")
        if missing.any() and layer.geometry_required:
            raise NotColumnar("geometry")
        present = geoms[~missing]
        if len(present) == 0:
            return geoms  # type: ignore[no-any-return]
        if shapely.is_empty(present).any() or shapely.has_z(present).any() or (
                hasattr(shapely, "has_m") and shapely.has_m(present).any()):
            raise NotColumnar("geometry")
        allowed = [_TYPE_IDS[t] for t in _FAMILIES[layer.geometry_type or "GEOMETRY"]]
        if not np.isin(shapely.get_type_id(present), allowed).all():
            raise NotColumnar("geometry")
        xy = shapely.get_coordinates(present)
        if not np.isfinite(xy).all() or (xy[:, 0] < -180).any() or (xy[:, 0] > 180).any() \
                or (xy[:, 1] < -90).any() or (xy[:, 1] > 90).any():
            raise NotColumnar("geometry")
        if not shapely.is_valid(present).all():
            raise NotColumnar("geometry")
        polygonal = np.isin(shapely.get_type_id(present), (3, 6))
        if polygonal.any() and (shapely.area(present[polygonal]) <= 0).any():
            raise NotColumnar("geometry")
        if self.plausible.problems(geoms):  # type: ignore[arg-type]
            raise NotColumnar("geometry")
        return geoms  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# The import


def run(store: Store, layer_name: str, cf: ColumnarFile, options: Options = Options(), *,
        today: dt.date | None = None, now: Callable[[], dt.datetime] | None = None,
        progress: Progress | None = None, batch_rows: int = BATCH_ROWS) -> Outcome | None:
    """Import ``cf`` into ``layer_name`` column by column, as :func:`mineaction.io.intake.run`
    would without a mapping; None (nothing written) when the row path must do it: a layer or
    options this path does not handle, a layer already holding records, or any value of any
    row that a row check would not pass."""
    load.check_importable(layer_name)
    load._load_hooks()
    layer = get_layer(layer_name)
    if layer.name not in LAYERS or not layer.spatial or layer.private_companion or (
            layer.max_area_m2 and not options.allow_large) or options.operation or \
            (cf.crs is None and options.crs is None):
        return None
    today = today or dt.date.today()
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    warnings_: list[str] = []
    try:
        source_crs = load._resolve_crs(SourceFile(cf.path, cf.driver, cf.crs), options.crs,
                                       warnings_)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DatumWarning)
            rp = reprojection(source_crs, None, bounds=cf.bounds)
    except Exception:  # noqa: BLE001 (the row path says what is wrong with the CRS)
        return None
    warnings_.extend(warning_text(w) for w in caught)
    if rp.transformer is not None or not rp.source.is_geographic:
        return None
    territory = store.extent("admin-areas")
    if territory is not None and any(s.name == AREA_FIELD for s in layer.fields):
        return None  # records are placed in areas by their geometry: the row path
    aou = area_of_use(rp.source)
    plausible = load._Plausibility(
        rp, None if aou is None else aou.widened(AREA_OF_USE_MARGIN_DEG),
        None if territory is None else Extent(*territory))
    digest = sha256_of(cf.path)
    out = Outcome(layer.name, cf.path.name, digest, cf.features, dry_run=options.dry_run)
    out.warnings.extend(warnings_)
    out.source_crs, out.operation = rp.source_label, rp.operation
    hooks = load._HOOKS.get(layer.name, [])
    dates = [s.name for s in layer.fields if s.kind == "date"]
    try:
        with store.transaction() as tx:
            if tx.count(layer):
                return None  # stored records are reconciled by the row path
            checker = _Checker(layer, tx, rp, plausible, today, cf.timed)
            run_id = _run_id(tx, clock(), digest)
            label = IMPORT_SOURCE + run_id
            records: list[Record] = []
            first: dt.date | None = None
            last: dt.date | None = None
            for batch, geometry in cf.batches(batch_rows):
                columns, geoms = checker.batch(batch, geometry)
                columns["source"] = [label if s is None else s
                                     for s in columns.get("source", [None] * batch.num_rows)]
                for name in dates:  # ISO text: in the order of the dates
                    found = [d for d in columns.get(name, ()) if d is not None]
                    if found:
                        lo, hi = dt.date.fromisoformat(min(found)), dt.date.fromisoformat(
                            max(found))
                        first = lo if first is None or lo < first else first
                        last = hi if last is None or hi > last else last
                try:
                    out.added += tx.insert_columns(layer, columns, geoms,  # type: ignore[arg-type]
                                                   progress)
                except Conflict:
                    raise NotColumnar("id") from None
                if hooks:  # a rule after the import needs the records themselves
                    records.extend(_records(layer, columns, geoms))
            out.first_date, out.last_date = first, last
            out.import_id = run_id
            tx.add(ImportRun(id=run_id, target_layer=layer.name, file_name=out.file_name,
                             sha256=out.sha256, rows=out.rows, first_date=out.first_date,
                             last_date=out.last_date, description=options.description,
                             mapping=None, credit=None,
                             imported_at=clock().isoformat(timespec="seconds"),
                             imported_by=options.actor, added=out.added, changed=0,
                             unchanged=0, missing=0, retired=0, rejected=0))
            for hook in hooks:
                out.messages.extend(hook(tx, records, progress))
            if options.dry_run:
                raise _DryRun
    except NotColumnar:
        return None
    except _DryRun:
        pass
    return out


def _records(layer: Layer, columns: dict[str, list[Any]], geoms: np.ndarray | None
             ) -> list[Record]:
    names = list(columns)
    base = {spec.name: None for spec in layer.fields}
    dates = {spec.name for spec in layer.fields if spec.kind == "date"}
    out = []
    for i, values in enumerate(zip(*columns.values(), strict=True)):
        row = {**base, **dict(zip(names, values, strict=True)), "version": 1}
        for name in dates:
            if isinstance(row[name], str):
                row[name] = dt.date.fromisoformat(row[name])
        out.append(from_row(layer, row, None if geoms is None else geoms[i]))
    return out

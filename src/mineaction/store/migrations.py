"""Schema versions. A new store runs every migration in order, so a fresh store and a migrated
one are built by the same code. Add a step at the end; never edit a released one.

A step may return messages saying what it changed in the stored data (``mineaction init``
prints them); a step that changes records' values also notes the change in each record's
``notes`` and raises its ``version``, so that an editor holding the old record gets a conflict
instead of writing the old value back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mineaction.domain.layers import all_layers, get_layer
from mineaction.messages import Note

if TYPE_CHECKING:
    from mineaction.store.sql import SqlStore

Step = Callable[["SqlStore", Connection], Iterable[str] | None]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Step


def create_layers(*names: str) -> Step:
    def step(store: SqlStore, conn: Connection) -> None:
        for name in names:
            store.create_layer(conn, get_layer(name))

    return step


def wide_numbers(store: SqlStore, conn: Connection) -> list[str]:
    """Real fields as 8-byte reals (``DOUBLE`` in a GeoPackage, which GDAL and QGIS read as
    Float64, where ``FLOAT`` is a 4-byte real to them) and integer fields as 64-bit integers
    (``BIGINT`` in PostgreSQL, whose ``integer`` refused values the GeoPackage accepts), as
    the layer registry now declares them. Values are kept as they are: SQLite stored 8 bytes
    whatever the declared type, and PostgreSQL's ``FLOAT`` was already 8 bytes."""
    inspector = sa.inspect(conn)
    changed: list[str] = []
    for layer in all_layers():
        if not inspector.has_table(layer.table):
            continue
        table = store.table(layer)
        current = store.column_types(conn, layer.table)
        stale = [spec.name for spec in layer.fields
                 if spec.kind in ("integer", "real") and spec.name in current
                 and current[spec.name].lower()
                 != table.c[spec.name].type.compile(dialect=conn.dialect).lower()]
        if stale:
            store.retype_columns(conn, layer, stale)
            changed.append(f"{layer.table} ({', '.join(stale)})")
    if not changed:
        return []
    return [Note("store.migrated_numeric", count=len(changed), tables="; ".join(changed))]


#: Layers whose ``area_m2`` is the area of the record's own geometry, with the rounding the
#: land release engine applies (None: unrounded).
AREA_LAYERS: dict[str, int | None] = {"hazard-versions": 3, "release-steps": None}

#: A stored area within this of the recomputed one is left as it is: the two computations
#: densify edges alike, so a correct value differs by round-off alone.
AREA_TOLERANCE_M2 = 0.01


def recompute_areas(version: int) -> Step:
    """Recompute ``area_m2`` of the :data:`AREA_LAYERS` from each record's geometry: the
    values written before schema ``version`` came from a densification in GEOS 3.14 that
    turned some valid polygons into slivers (areas of hazards of 300,000 m² stored as 0).
    A record without a geometry, or with an empty one (a closed hazard's last version, at 0),
    keeps its value."""

    def step(store: SqlStore, conn: Connection) -> list[str]:
        from mineaction.geo.measure import area_m2
        from mineaction.store.rows import GEOM

        inspector = sa.inspect(conn)
        messages: list[str] = []
        counts: list[str] = []
        largest: tuple[float, str, str] | None = None
        for name, decimals in AREA_LAYERS.items():
            layer = get_layer(name)
            if not inspector.has_table(layer.table):
                continue
            table = store.table(layer)
            rows = conn.execute(sa.select(table.c.id, table.c.area_m2, table.c.notes,
                                          table.c[GEOM]).order_by(table.c.id)).all()
            geoms = store.decode_geometries([r[3] for r in rows])
            updates: list[dict[str, Any]] = []
            for (rid, stored, notes, _), geom in zip(rows, geoms, strict=True):
                if geom is None or geom.is_empty:
                    continue
                area = area_m2(geom)
                if decimals is not None:
                    area = round(area, decimals)
                old = float(stored or 0.0)
                if abs(area - old) <= AREA_TOLERANCE_M2:
                    continue
                note = (f"area_m2 corrected from {old:.3f} to {area:.3f} by schema "
                        f"migration {version}")
                updates.append({"_id": rid, "_area": area,
                                "_notes": f"{notes}; {note}" if notes else note})
                if largest is None or abs(area - old) > largest[0]:
                    largest = (abs(area - old), name, rid)
            if updates:
                conn.execute(table.update().where(table.c.id == sa.bindparam("_id")).values(
                    area_m2=sa.bindparam("_area"), notes=sa.bindparam("_notes"),
                    version=table.c.version + 1), updates)
            counts.append(f"{len(updates)} {name}")
        if largest is None:
            return []
        messages.append(Note("store.migrated_area", counts=", ".join(counts),
                             change=largest[0], layer=largest[1], id=largest[2]))
        return messages

    return step


def audit_log(store: SqlStore, conn: Connection) -> list[str]:
    from mineaction.audit.log import migration

    return migration(store, conn)


def add_columns(layer_name: str, *fields: str) -> Callable[[SqlStore, Connection], None]:
    """Add declared fields of a layer to its table, as nullable columns.

    A column already there is left alone: ``create_layers`` builds a table from the fields
    declared now, so a store created after the field was declared has it from the start."""

    def step(store: SqlStore, conn: Connection) -> None:
        table = store.table(get_layer(layer_name))
        # The names from an empty result: no reflection of types it cannot tell (PostGIS).
        have = set(conn.exec_driver_sql(f'SELECT * FROM "{table.name}" LIMIT 0').keys())
        for name in fields:
            if name not in have:
                kind = table.c[name].type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{name}" {kind}')

    return step


def owners_and_countries(store: SqlStore, conn: Connection) -> list[str]:
    """Give every table the system columns ``owner`` and ``country`` (with an index each:
    every read of an actor filters on them) and evidence the witness's identity fields.

    Records stored before keep both empty: no organisation and no country can be told for
    them, so only administrators read them until someone assigns them (``mineaction`` never
    guesses who owns a record)."""
    inspector = sa.inspect(conn)
    for layer in all_layers():
        if not inspector.has_table(layer.table):
            continue
        add_columns(layer.name, *[n for n in ("owner", "country", *_NEW_FIELDS.get(
            layer.name, ())) if n in {s.name for s in layer.fields}])(store, conn)
        for name in ("owner", "country"):
            conn.exec_driver_sql(f'CREATE INDEX IF NOT EXISTS "ix_{layer.table}_{name}" '
                                 f'ON "{layer.table}" ("{name}")')
    return []


_NEW_FIELDS = {"evidence": ("witness_name", "witness_contact")}


def add_quality_fields(store: SqlStore, conn: Connection) -> list[str]:
    """Add the fields of non-conformities to QC inspections, of rejection to release steps
    and of reopening to hazard versions; says which it added (none to a store made with
    them)."""
    said = []
    for layer_name, fields in (("quality", ("reason", "severity", "corrective_action",
                                            "closed_on")),
                               ("release-steps", ("rejected_by", "rejected_on")),
                               ("hazard-versions", ("quality_id", "reason"))):
        table = store.table(get_layer(layer_name))
        have = set(conn.exec_driver_sql(f'SELECT * FROM "{table.name}" LIMIT 0').keys())
        if added := [f for f in fields if f not in have]:
            add_columns(layer_name, *added)(store, conn)
            said.append(f"{layer_name}: {', '.join(added)}")
    return said


MIGRATIONS: list[Migration] = [
    Migration(1, "core layers", create_layers(
        "organisations", "admin-areas", "hazards", "activities", "finds", "accidents",
        "victims", "victims-personal", "eore", "quality", "capacity", "evidence")),
    Migration(2, "land release steps and hazard history",
              create_layers("release-steps", "hazard-versions")),
    Migration(3, "minefield records", create_layers("minefield-records")),
    Migration(4, "published figures", create_layers("figures")),
    Migration(5, "8-byte reals and 64-bit integers", wide_numbers),
    Migration(6, "areas of hazard versions and release steps recomputed", recompute_areas(6)),
    Migration(7, "withdrawal of minefield records",
              add_columns("minefield-records", "withdrawn_on", "withdrawal_reason")),
    # 8-19 are left to steps made on other branches at the same time.
    Migration(20, "owners and countries of records; accounts, tokens and sharing agreements",
              lambda store, conn: [*(create_layers("users", "tokens", "agreements")(
                  store, conn) or ()), *owners_and_countries(store, conn)]),
    Migration(30, "audit log, with a baseline entry for every stored record", audit_log),
    Migration(31, "imports: file, checksum, rows and dates of each import",
              create_layers("imports")),
    Migration(32, "changes re-imports made to stored records", create_layers("record-changes")),
    Migration(40, "submissions waiting for review", create_layers("submissions")),
    Migration(80, "quality management: findings and non-conformities of QC inspections, "
              "rejected release steps, reopened hazard versions",
              add_quality_fields),
    Migration(81, "risk education: method, audience and place of each session",
              add_columns("eore", "method", "audience", "place")),
    Migration(95, "decisions on the corrected geometry proposed for minefield records",
              add_columns("minefield-records", "decision", "decided_by", "decided_on",
                          "decision_note", "decision_change")),
    # A store takes only the steps above its schema version: every new step is numbered
    # above the last one here.
    # Numbers kept for steps made on branches at the same time: 82-89 quality and risk
    # education, 90-94 web, 95-99 tiles and workspace, 100-109 evidence and risk,
    # 110-119 bulk paths and queries.
]

LATEST = max(m.version for m in MIGRATIONS)

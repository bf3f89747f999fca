"""Schema versions. A new store runs every migration in order, so a fresh store and a migrated
one are built by the same code. Add a step at the end; never edit a released one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from mineaction.domain.layers import get_layer

if TYPE_CHECKING:
    from mineaction.store.sql import SqlStore


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[SqlStore, Connection], None]


def create_layers(*names: str) -> Callable[[SqlStore, Connection], None]:
    def step(store: SqlStore, conn: Connection) -> None:
        for name in names:
            store.create_layer(conn, get_layer(name))

    return step


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


MIGRATIONS: list[Migration] = [
    Migration(1, "core layers", create_layers(
        "organisations", "admin-areas", "hazards", "activities", "finds", "accidents",
        "victims", "victims-personal", "eore", "quality", "capacity", "evidence")),
    Migration(2, "land release steps and hazard history",
              create_layers("release-steps", "hazard-versions")),
    Migration(3, "minefield records", create_layers("minefield-records")),
    Migration(4, "published figures", create_layers("figures")),
    Migration(5, "withdrawal of minefield records",
              add_columns("minefield-records", "withdrawn_on", "withdrawal_reason")),
]

LATEST = max(m.version for m in MIGRATIONS)

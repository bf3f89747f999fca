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


MIGRATIONS: list[Migration] = [
    Migration(1, "core layers", create_layers(
        "organisations", "admin-areas", "hazards", "activities", "finds", "accidents",
        "victims", "victims-personal", "eore", "quality", "capacity", "evidence")),
    Migration(2, "land release steps and hazard history",
              create_layers("release-steps", "hazard-versions")),
    Migration(3, "minefield records", create_layers("minefield-records")),
    Migration(4, "published figures", create_layers("figures")),
]

LATEST = max(m.version for m in MIGRATIONS)

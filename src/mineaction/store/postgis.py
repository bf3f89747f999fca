"""PostgreSQL/PostGIS adapter (placeholder until its issue lands: it raises a clear error)."""

from __future__ import annotations

from mineaction.errors import StoreError
from mineaction.store.base import Store, register_adapter


def _open(url: str) -> Store:
    raise StoreError("the PostgreSQL/PostGIS store is not available in this version")


register_adapter("postgresql", _open)

"""Copying a whole store into another, between any two adapters, losslessly.

Every layer in the registry is read from the source in one consistent read and written to the
destination in one transaction, records keeping their ids and versions: either the whole store
arrives or nothing does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from mineaction.domain.layers import Layer, all_layers
from mineaction.errors import StoreError
from mineaction.store.base import Progress, Reader, Store


def _snapshot(store: Store) -> AbstractContextManager[Reader]:
    """One read transaction on ``store`` where the adapter offers it, else the store itself."""
    reading: Callable[[], AbstractContextManager[Reader]] | None = getattr(
        store, "reading", None)
    return reading() if reading is not None else nullcontext(store)


def plan(src: Store, dst: Store) -> dict[str, int]:
    """Records per layer in ``src`` (every registered layer, in registry order)."""
    src.require_current()
    with _snapshot(src) as r:
        return {layer.name: r.count(layer) for layer in all_layers()}


def occupied(dst: Store) -> dict[str, int]:
    """Layers of ``dst`` that already hold records, with their counts."""
    if not dst.initialised():
        return {}
    with _snapshot(dst) as r:
        counts = {layer.name: r.count(layer) for layer in all_layers()}
    return {name: n for name, n in counts.items() if n}


def copy_store(src: Store, dst: Store, *, into_existing: bool = False,
               progress: Progress | None = None,
               on_layer: Callable[[Layer, int], None] | None = None) -> dict[str, int]:
    """Copy every layer of ``src`` into ``dst``; returns records copied per layer.

    ``dst`` is created (or migrated) when needed and must otherwise be empty unless
    ``into_existing``; even then a record whose id is already there is a
    :class:`~mineaction.errors.Conflict` and nothing is written. The programme's settings
    (:mod:`mineaction.access.settings`) are copied too, but for those ``dst`` has set.
    """
    if src.url == dst.url:
        raise StoreError.of("store.copy_same", url=src.url)
    src.require_current()
    full = occupied(dst)
    if full and not into_existing:
        listed = ", ".join(f"{name}: {n}" for name, n in full.items())
        raise StoreError.of("store.copy_not_empty", url=dst.url, listed=listed)
    dst.create()
    dst.require_current()
    copied: dict[str, int] = {}
    # the programme's settings travel with its records; a store copied into keeps its own
    own = dst.stored_settings()
    with _snapshot(src) as reader, dst.transaction() as tx:
        for layer in all_layers():
            if on_layer:
                on_layer(layer, reader.count(layer))
            copied[layer.name] = tx.add_many(reader.iter(layer), progress,
                                             keep_versions=True)
        for key, value in src.stored_settings().items():
            if key not in own:
                tx.put_setting(key, value)
    return copied


@contextmanager
def opened_pair(src_url: str, dst_url: str) -> Iterator[tuple[Store, Store]]:
    from mineaction.store.base import open_store

    src = open_store(src_url)
    try:
        dst = open_store(dst_url)
        try:
            yield src, dst
        finally:
            dst.close()
    finally:
        src.close()

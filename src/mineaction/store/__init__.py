"""Stores: one interface (:mod:`mineaction.store.base`) and its adapters."""

from mineaction.store.base import Query, Store, Transaction, open_store

__all__ = ["Query", "Store", "Transaction", "open_store"]

"""Stores: one interface (:mod:`mineaction.store.base`) and its adapters."""

from mineaction.store.base import Query, Scan, Store, Transaction, open_store

__all__ = ["Query", "Scan", "Store", "Transaction", "open_store"]

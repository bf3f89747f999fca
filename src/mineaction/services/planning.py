"""Planning: productivity, the ranking of open hazards, a schedule, forecasts and backtests.

Each function reads the store once, as the actor may see it (:func:`snapshot`), and hands the
rows to :mod:`mineaction.planning`, which computes without reading anything else. Nothing is
written to the store.
"""

from __future__ import annotations

from mineaction.planning.data import Record
from mineaction.services.context import Context

__all__ = ["snapshot"]


def snapshot(ctx: Context) -> Record:
    """The records planning works from, read through ``ctx.reader``."""
    from mineaction.planning.read import read

    return read(ctx.reader, ctx.today())

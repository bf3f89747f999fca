"""Land release: apply activities to the hazards, one hazard's timeline, the hazards as they
stood on a date, released area. Every call goes through ``ctx.reader`` (the store as the actor
may use it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from mineaction.domain.activities import Activity
from mineaction.domain.hazards import Hazard
from mineaction.messages import Message
from mineaction.release import engine, queries
from mineaction.release.queries import Timeline
from mineaction.services.context import Context

__all__ = ["Timeline", "apply_activities", "hazards_at", "released_area", "timeline"]


def apply_activities(ctx: Context, activities: Sequence[Activity]) -> list[Message]:
    """Add ``activities`` and apply them to the hazards, in one transaction: all of them or,
    with :class:`~mineaction.errors.InvalidInput` naming each activity that cannot be applied,
    none. Returns what the engine says (steps, closed and created hazards, overlaps)."""
    with ctx.reader.transaction(clock=ctx.clock) as tx:
        tx.add_many(list(activities))
        return engine.apply_activities_messages(tx, activities)


def timeline(ctx: Context, hazard_id: str) -> Timeline:
    """The hazard, every version of it and every release step from it (NotFound when there is
    no such hazard the actor may see)."""
    return queries.timeline(ctx.reader, hazard_id)


def hazards_at(ctx: Context, on: dt.date, *,
               bbox: tuple[float, float, float, float] | None = None) -> list[Hazard]:
    """Every hazard as it stood at the end of day ``on``; with ``bbox``, those meeting it."""
    return list(queries.hazards_at(ctx.reader, on, bbox=bbox))


def released_area(ctx: Context, by: Sequence[str] = ("method",), *,
                  start: dt.date | None = None, end: dt.date | None = None
                  ) -> list[dict[str, Any]]:
    """Released m² per group, the sum of the release steps (see
    :func:`mineaction.release.queries.released_area`)."""
    return queries.released_area(ctx.reader, by, start=start, end=end)

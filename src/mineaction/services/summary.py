"""What a store holds, in short: records per layer, hazardous area, release, finds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mineaction.services.context import Context

if TYPE_CHECKING:
    from mineaction.analysis.summary import Summary

__all__ = ["summary", "term"]


def summary(ctx: Context) -> Summary:
    """Records per layer, hazard area by kind and status, land released by method (never
    summed into "cleared"), items found by category: as the actor may see them."""
    from mineaction.analysis.summary import summarise

    with ctx.snapshot() as pinned:  # every figure from one state of the store
        return summarise(pinned.reader)


def term(code: str, locale: str) -> str:
    """A vocabulary code of the summary (a kind, status, method or category) as people read
    it in ``locale``; the code itself in English."""
    from mineaction.reports.localise import label

    return label(code, locale)

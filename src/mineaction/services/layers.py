"""Layers of a store: listing records (box, limit, date), creating or migrating the store,
copying a whole store into another."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from mineaction.domain.layers import Layer
from mineaction.domain.schema import Record
from mineaction.errors import InvalidInput
from mineaction.services.context import Context
from mineaction.services.imports import layer as layer_of
from mineaction.store.base import BBox, Progress, Query

__all__ = ["InitResult", "Listing", "copy_to", "init", "list_records", "parse_bbox",
           "parse_date"]


def parse_bbox(text: str | None, option: str = "--bbox") -> BBox | None:
    """``minx,miny,maxx,maxy`` in degrees (EPSG:4326) as a box, or InvalidInput saying what
    is wrong with it. None for no text."""
    if not text:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput.of("cli.bbox_format", value=text) from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InvalidInput.of("cli.bbox_not_finite", value=text)
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90
            and -90 <= maxy <= 90):
        raise InvalidInput.of("cli.bbox_out_of_range", value=text)
    if minx > maxx or miny > maxy:
        raise InvalidInput.of("cli.bbox_min_above_max", value=text)
    return minx, miny, maxx, maxy


def parse_date(text: str | None, option: str) -> dt.date | None:
    """A date given as YYYY-MM-DD for ``option``; None for no text."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.of("cli.not_a_date", option=option, value=text) from None


@dataclass
class Listing:
    layer: Layer
    records: list[Record]


def list_records(ctx: Context, name: str, *, bbox: BBox | None = None,
                 limit: int | None = None, at: dt.date | None = None) -> Listing:
    """The records of layer ``name`` the actor may see, those whose geometry intersects
    ``bbox`` (edges included), at most ``limit``. ``at`` (hazards only): each hazard as it
    stood that day, from its history."""
    lyr = layer_of(name)
    if at is None:
        return Listing(lyr, ctx.reader.query(lyr, Query(bbox=bbox, limit=limit)))
    if lyr.name != "hazards":
        raise InvalidInput.of("cli.at_hazards_only")
    from mineaction.services.release import hazards_at

    found: list[Record] = list(hazards_at(ctx, at, bbox=bbox))
    return Listing(lyr, found[:limit])




@dataclass
class InitResult:
    url: str
    before: int  # schema version found (0: a new store)
    applied: list[int]
    changes: list[tuple[int, str]] = field(default_factory=list)  # what migrations corrected


def init(ctx: Context) -> InitResult:
    """Create the store, or migrate it to the current schema (a no-op when it is current)."""
    said: list[tuple[int, str]] = []
    before = ctx.store.schema_version()
    applied = ctx.store.create(report=lambda version, message: said.append((version, message)))
    return InitResult(ctx.store.url, before, applied, said)


@dataclass
class CopyResult:
    source: str
    target: str
    copied: dict[str, int]


def copy_to(ctx: Context, target_url: str, *, into_existing: bool = False,
            progress: Progress | None = None,
            on_total: Callable[[int], None] | None = None) -> CopyResult:
    """Copy every layer of the context's store into the store at ``target_url`` (created when
    missing; it must hold no records unless ``into_existing``), keeping ids and versions, in
    one transaction: all of it or nothing."""
    from mineaction.access.accounts import has_accounts, require_admin
    from mineaction.store.base import open_store
    from mineaction.store.copy import copy_store, plan

    target = open_store(target_url)
    try:
        counts = plan(ctx.store, target)  # (refuses a source that is no store, first)
        # A copy carries every record and account: administrators only, once there are any.
        for store in (ctx.store, target):
            if store.initialised() and has_accounts(store):
                require_admin(ctx.actor, f"copy a store with accounts ({store.url})")
        if on_total:
            on_total(sum(counts.values()))
        copied = copy_store(ctx.store, target, into_existing=into_existing, progress=progress)
        return CopyResult(ctx.store.url, target.url, copied)
    finally:
        target.close()

"""What every service call needs: the store, who acts, their language, the clock, settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mineaction.access import Actor
from mineaction.store.base import Store


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Settings:
    """Settings of an installation (from the environment or a file; defaults here)."""

    suppress_below: int = 5
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    store: Store
    actor: Actor = field(default_factory=Actor.local)
    locale: str = "en"
    clock: Callable[[], dt.datetime] = utc_now
    settings: Settings = field(default_factory=Settings)

    @property
    def reader(self) -> Store:
        """The store as the actor may see it: every read of a service goes through this."""
        return self.store.as_actor(self.actor)

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.clock().date()

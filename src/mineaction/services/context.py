"""What every service call needs: the store, who acts, their language, the clock, settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from mineaction.access import Actor
from mineaction.store.base import Reader, Store, open_store, scheme_of


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Settings:
    """Settings of an installation, given by the code that opens the store (``mineaction
    serve --risk-surface``). What the public sees is not among them but in the store itself
    (:mod:`mineaction.access.settings`): read from an environment or a file, two processes
    on one store could disagree on which counts they hide. ``suppress_below`` is the
    threshold of a store whose programme set none."""

    suppress_below: int = 5
    #: The risk surface (a GeoTIFF of ``risk surface``) served as map tiles to signed-in
    #: users; None: no such layer.
    risk_surface: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What a service call runs in. Services read through :attr:`reader` and write through
    ``store.transaction()``; their dates default to :meth:`today`."""

    store: Store
    actor: Actor = field(default_factory=Actor.local)
    locale: str = "en"
    clock: Callable[[], dt.datetime] = utc_now
    settings: Settings = field(default_factory=Settings)
    personal: bool = False  # the caller asks to read personal data (allowed to some roles)
    reason: str | None = None  # why (recorded with every personal read)
    #: The open reading of :meth:`snapshot`, which :attr:`reader` then is.
    pinned: Reader | None = field(default=None, repr=False, compare=False)

    @property
    def reader(self) -> Store:
        """The store as the actor may use it: every read and write of a service goes through
        this (the policy filters reads and checks writes inside the store)."""
        from mineaction.access.settings import policy_settings

        if self.pinned is not None:
            return cast(Store, self.pinned)  # reads only: see snapshot()
        return self.store.as_actor(self.actor, personal=self.personal, reason=self.reason,
                                   settings=policy_settings(self.stored_settings))

    @cached_property
    def stored_settings(self) -> dict[str, str]:
        """The programme's settings as stored in the store (:mod:`mineaction.access.
        settings`), read once per context (one command, one request)."""
        return self.store.stored_settings()

    @property
    def programme(self) -> dict[str, Any]:
        """Every programme setting's value: the stored one, else its default."""
        from mineaction.access import settings

        return settings.values(self.stored_settings)

    @property
    def suppress_below(self) -> int:
        """Counts of people below this are suppressed in what the public reads: the
        programme's setting where it set one, else the installation's."""
        if "public.suppress_below" in self.stored_settings:
            return int(self.programme["public.suppress_below"])
        return self.settings.suppress_below

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.clock().date()

    @contextmanager
    def snapshot(self) -> Iterator[Context]:
        """This context with every read of :attr:`reader` from one state of the store (one
        transaction; see :meth:`mineaction.store.base.Store.reading`), whatever is written
        meanwhile: for an answer made of several reads. Its reader reads, it never writes."""
        if self.pinned is not None:
            yield self
            return
        with self.reader.reading() as r:
            yield replace(self, pinned=r)


@contextmanager
def open_context(url: str, *, actor: Actor | None = None,
                 identify: Callable[[Store], Actor] | None = None, locale: str = "en",
                 require: bool = True, settings: Settings | None = None,
                 personal: bool = False, reason: str | None = None) -> Iterator[Context]:
    """A context on the store at ``url`` (closed on leaving); with ``require`` the store must
    exist at the current schema (:class:`~mineaction.errors.StoreError` otherwise). The actor
    is ``actor``, else who ``identify(store)`` signs in, else the local user."""
    store = open_store(url)
    try:
        if require:
            store.require_current()
        who = actor or (identify(store) if identify else Actor.local())
        yield Context(store, who, locale, settings=settings or Settings(), personal=personal,
                      reason=reason)
    finally:
        store.close()


def store_file(url: str) -> Path | None:
    """The file of the store at ``url`` when it is a GeoPackage; None for a server."""
    if scheme_of(url) not in ("gpkg", "file"):
        return None
    for prefix in ("gpkg://", "file://"):
        if url.startswith(prefix):
            return Path(url[len(prefix):])
    return Path(url)


def protected(url: str) -> list[Path]:
    """Files an output must never be written onto when the store at ``url`` is in use."""
    own = store_file(url)
    return [own] if own is not None else []


def checked_output(url: str, path: Path) -> Path:
    """``path`` if an output may be written there while the store at ``url`` is in use
    (InvalidInput otherwise): its folder exists, it is no folder, not that store, and not any
    mineaction store (:func:`mineaction.io.writers.check_target`)."""
    from mineaction.io.writers import check_target

    return check_target(path, protected=protected(url))

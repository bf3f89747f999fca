"""Who is acting, and what they may see and do.

An :class:`Actor` is whoever calls the application layer: a person with an account, a token of
a system, the anonymous public, or (on a local store without accounts) the operating-system
user. Their roles and organisation decide the policy the store applies inside its queries
(:mod:`mineaction.access.policy`); no interface filters anything itself.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    PUBLIC = "public"  # anonymous: the public views only
    ANALYST = "analyst"  # reads what their organisation may read
    OPERATOR = "operator"  # submits its own tasks, sees them
    IM_OFFICER = "im_officer"  # information management: reviews submissions
    APPROVER = "approver"  # approves or rejects reviewed submissions
    ADMIN = "admin"  # accounts, organisations, tokens, sharing


class Level(StrEnum):
    """How sensitive a layer or a field is, from the least to the most."""

    PUBLIC = "public"
    RESTRICTED = "restricted"
    CONFIDENTIAL = "confidential"
    PERSONAL = "personal"

    @property
    def rank(self) -> int:
        """0 for public up to 3 for personal: compare levels by rank, never by name."""
        return _RANKS[self]

    def __ge__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, Level):
            return self.rank >= other.rank
        return NotImplemented

    def __gt__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, Level):
            return self.rank > other.rank
        return NotImplemented

    def __le__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, Level):
            return self.rank <= other.rank
        return NotImplemented

    def __lt__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, Level):
            return self.rank < other.rank
        return NotImplemented


_RANKS = {Level.PUBLIC: 0, Level.RESTRICTED: 1, Level.CONFIDENTIAL: 2, Level.PERSONAL: 3}


@dataclass(frozen=True)
class Actor:
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    org_id: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 of the organisation
    user_id: str | None = None
    #: The organisation's kind (``authority``, ``operator``, ``regional_platform``, ``donor``,
    #: ``media``; older stores' ``national_authority``, ``ngo``, ``observer``).
    org_kind: str | None = None

    @classmethod
    def anonymous(cls) -> Actor:
        return cls("anonymous", frozenset({Role.PUBLIC}))

    @classmethod
    def local(cls, name: str | None = None) -> Actor:
        """The person at the command line of a store that has no accounts yet."""
        return cls(name or getpass.getuser(), frozenset(Role) - {Role.PUBLIC})

    def has(self, role: Role) -> bool:
        return role in self.roles


def authenticate(store: Any, user: str | None = None, password: str | None = None, *,
                 token: str | None = None) -> Actor:
    """The actor signed in with ``user`` and ``password``, or with an API ``token``.

    Raises :class:`~mineaction.errors.Unauthorized` (HTTP 401) for an unknown user, a wrong
    password, a disabled account, or a token that is unknown, expired or revoked, with the same
    message for a wrong user as for a wrong password. ``store`` is the store itself (not a view
    of it: signing in reads the accounts no actor may read)."""
    from mineaction.access.accounts import authenticate as _authenticate

    return _authenticate(store, user, password, token=token)

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


@dataclass(frozen=True)
class Actor:
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    org_id: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 of the organisation
    user_id: str | None = None

    @classmethod
    def anonymous(cls) -> Actor:
        return cls("anonymous", frozenset({Role.PUBLIC}))

    @classmethod
    def local(cls, name: str | None = None) -> Actor:
        """The person at the command line of a store that has no accounts yet."""
        return cls(name or getpass.getuser(), frozenset(Role) - {Role.PUBLIC})

    def has(self, role: Role) -> bool:
        return role in self.roles

"""Accounts and sharing: users, API tokens and data-sharing agreements.

They are layers like any other, so that a store carries its accounts when it is copied; the
access policy lets administrators alone read them (a user their own account and tokens, an
organisation the agreements it is party to) and never returns a password or token hash.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from mineaction.access import Level, Role
from mineaction.domain.schema import PLANNED, TARGET, Record, attr
from mineaction.domain.vocabulary import SharePrecision


@dataclasses.dataclass(kw_only=True)
class User(Record):
    """A person's account. ``id`` is the name they sign in with."""

    layer = "users"

    name: str | None = attr("Full name of the person", None)
    organisation: str = attr("Organisation (id) the person acts for")
    roles: frozenset[Role] = attr("Roles: public, analyst, operator, im_officer, approver, admin",
                                  frozenset())
    password_hash: str | None = attr("argon2id hash of the password; never read back",
                                     None, level=Level.PERSONAL)
    disabled: bool = attr("True when the account may no longer sign in", False)
    created_on: dt.date | None = attr("Date the account was made", None)


@dataclasses.dataclass(kw_only=True)
class Token(Record):
    """An API token: the secret is shown once when it is made; only its hash is kept."""

    layer = "tokens"

    user_id: str = attr("User the token acts for")
    token_hash: str = attr("SHA-256 of the token's secret part; never read back",
                           level=Level.PERSONAL)
    label: str | None = attr("What the token is for", None)
    created_on: dt.date | None = attr("Date the token was made", None)
    expires_on: dt.date | None = attr("Last day the token is accepted", None, ahead=PLANNED)
    revoked_on: dt.date | None = attr("Date the token was revoked", None)


@dataclasses.dataclass(kw_only=True)
class Agreement(Record):
    """A data-sharing agreement: ``grantor`` lets ``grantee`` read its records of one layer
    (those matching ``rows_where``) at a precision, from ``valid_from`` to ``valid_to``.
    A revoked agreement is kept, with the date and reason."""

    layer = "agreements"

    grantor: str = attr("Organisation (id) whose records are shared")
    grantee: str = attr("Organisation (id) they are shared with")
    shared_layer: str = attr("Layer shared (its name)")
    rows_where: str | None = attr("Records shared: a JSON object of field -> value or list of "
                                  "values (empty: every record of the grantor)", None)
    precision: SharePrecision = attr("exact, grid, admin or counts")
    grid_km: float | None = attr("Cell size of the grid precision, km", None, minimum=0.001)
    valid_from: dt.date | None = attr("First day of the agreement (empty: from the start)", None,
                                      ahead=PLANNED)
    valid_to: dt.date | None = attr("Last day of the agreement (empty: until revoked)", None,
                                    ahead=TARGET)
    revoked_on: dt.date | None = attr("Date it was revoked", None)
    revocation_reason: str | None = attr("Why it was revoked", None)

    def active(self, day: dt.date) -> bool:
        """Whether the agreement grants anything on ``day``."""
        if self.revoked_on is not None and self.revoked_on <= day:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to

"""One root error for the whole project.

Each subclass carries the CLI exit status and the HTTP status it maps to, so that the interfaces
translate errors without knowing where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class MineActionError(Exception):
    """Root of every error mineaction raises on purpose."""

    exit_code = 1
    http_status = 500
    code = "error"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input row: where it is, which field, and why.

    ``code`` names the message (``value.not_a_date``) and ``params`` fill it in: the core speaks
    in codes, and each interface renders them in the reader's language
    (:func:`mineaction.messages.render`). ``reason`` is the English text, for logs and for the
    places that have no catalogue yet. Make one with :meth:`of`.
    """

    where: str
    field: str | None
    reason: str
    code: str = "invalid"
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, where: str, field: str | None, code: str, **params: Any) -> Problem:
        """A problem from a message code of :data:`mineaction.messages.MESSAGES`."""
        from mineaction.messages import render

        return cls(where, field, render(code, params), code, tuple(sorted(params.items())))

    def text(self, locale: str = "en") -> str:
        """The reason in ``locale`` (English when the catalogue has no translation)."""
        from mineaction.messages import MESSAGES, render

        if self.code in MESSAGES:
            return render(self.code, dict(self.params), locale)
        return self.reason

    def __str__(self) -> str:
        if self.field:
            return f"{self.where}, field '{self.field}': {self.reason}"
        return f"{self.where}: {self.reason}"


class InvalidInput(MineActionError):
    """Input that cannot be accepted. Nothing has been written when this is raised."""

    exit_code = 2
    http_status = 400
    code = "InvalidParameterValue"

    def __init__(self, problems: list[Problem] | str, *, source: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(source or "input", None, problems)]
        self.problems = list(problems)
        self.source = source
        super().__init__(self.summary())

    def summary(self, limit: int = 50) -> str:
        head = f"{len(self.problems)} problem(s)"
        if self.source:
            head += f" in {self.source}"
        head += "; nothing was written"
        lines = [head] + [f"  {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)


class NotFound(MineActionError):
    exit_code = 1
    http_status = 404
    code = "NotFound"


class Conflict(MineActionError):
    """A write based on a stale copy of a record (optimistic locking), or a duplicate id."""

    exit_code = 1
    http_status = 409
    code = "Conflict"


class StoreError(MineActionError):
    """The store cannot be opened or used (wrong file, unknown schema version, ...)."""

    exit_code = 1
    http_status = 500
    code = "StoreError"


class Forbidden(MineActionError):
    """The actor may not read or write this (a layer, a field used in a filter, a record to
    change). Rows an actor may not see are never refused one by one: they are simply not
    there (a ``get`` of one is :class:`NotFound`), so a refusal never tells that they exist."""

    exit_code = 1
    http_status = 403
    code = "Forbidden"


class Unauthorized(Forbidden):
    """Nobody is signed in where an account is needed, or the credentials are wrong (the
    message never says which of the user name and the password was wrong)."""

    http_status = 401
    code = "Unauthorized"

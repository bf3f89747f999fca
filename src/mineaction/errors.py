"""One root error for the whole project.

Each subclass carries the CLI exit status and the HTTP status it maps to, so that the interfaces
translate errors without knowing where they came from.

Errors and problems speak in message codes with parameters (``store.no_record`` with
``layer='hazards', id='HZ-9'``); their English text is rendered from
:data:`mineaction.messages.MESSAGES` when they are made (``str(exc)``, ``problem.reason``: for
logs and tests), and each interface renders them again in its reader's language with
``exc.text(locale)`` / ``problem.text(locale)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

#: Code of a message that came as finished text (from a library, or not yet given a code).
TEXT = "text"


def _render(code: str, params: dict[str, Any], locale: str = "en") -> str:
    from mineaction.messages import render

    return render(code, params, locale)


class MineActionError(Exception):
    """Root of every error mineaction raises on purpose.

    Make one from a message code: ``NotFound.of("store.no_record", layer="hazards", id="x")``.
    ``MineActionError("finished text")`` still works (code :data:`TEXT`) for text that comes
    from elsewhere. ``str(exc)`` is the English message; :meth:`text` renders it in a locale.
    """

    exit_code = 1
    http_status = 500
    #: The exception type an HTTP interface reports (OGC API Features names).
    api_code = "error"

    def __init__(self, message: str = "", *args: Any) -> None:
        self.code: str = TEXT
        self.params: dict[str, Any] = {"text": message}
        super().__init__(message, *args)

    @classmethod
    def of(cls, code: str, /, **params: Any) -> Self:
        """The error of message ``code`` with ``params`` (English text rendered now)."""
        exc = cls.__new__(cls)
        exc.code, exc.params = code, dict(params)
        Exception.__init__(exc, _render(code, exc.params))
        return exc

    def text(self, locale: str = "en") -> str:
        """The message in ``locale`` (English when the catalogue has no translation)."""
        if self.code == TEXT:
            return str(self)
        return _render(self.code, self.params, locale)

    def __reduce__(self) -> Any:  # pickling (multiprocessing) keeps the code and parameters
        return (_rebuild, (type(self), self.code, self.params, str(self)))


def _rebuild(cls: type[MineActionError], code: str, params: dict[str, Any], text: str
             ) -> MineActionError:
    exc = cls.__new__(cls)
    exc.code, exc.params = code, dict(params)
    Exception.__init__(exc, text)
    return exc


class BadValue(ValueError):
    """A value a field or a record cannot take, as a message code and its parameters.

    A :class:`ValueError`, so that code catching ValueError (coercion, record checks) still
    does; :meth:`problem` places it on a row and field."""

    def __init__(self, message: str = "", *args: Any) -> None:
        self.code: str = TEXT
        self.params: dict[str, Any] = {"text": message}
        super().__init__(message, *args)

    @classmethod
    def of(cls, code: str, /, **params: Any) -> Self:
        exc = cls(_render(code, params))
        exc.code, exc.params = code, dict(params)
        return exc

    def problem(self, where: str, field: str | None) -> Problem:
        """This value's problem at row ``where``, field ``field``."""
        if self.code == TEXT:
            return Problem.of(where, field, TEXT, text=str(self))
        return Problem.of(where, field, self.code, **self.params)


def problem_of(exc: BaseException, where: str, field: str | None) -> Problem:
    """The problem an exception stands for at ``where``/``field``: its code and parameters
    when it has them (:class:`BadValue`), else its text (a library's message)."""
    if isinstance(exc, BadValue):
        return exc.problem(where, field)
    return Problem.of(where, field, TEXT, text=str(exc))


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input row: where it is, which field, and why.

    ``code`` names the message (``value.not_a_date``) and ``params`` fill it in: the core speaks
    in codes, and each interface renders them in the reader's language
    (:func:`mineaction.messages.render`). ``reason`` is the English text, for logs and tests.
    Make one with :meth:`of`; a test forbids a ``Problem(...)`` with a literal reason in
    ``src/``.
    """

    where: str
    field: str | None
    reason: str
    code: str = TEXT
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, where: str, field: str | None, code: str, /, **params: Any) -> Problem:
        """A problem from a message code of :data:`mineaction.messages.MESSAGES`."""
        return cls(where, field, _render(code, params), code, tuple(sorted(params.items())))

    @classmethod
    def said(cls, where: str, field: str | None, message: Any) -> Problem:
        """A problem saying ``message`` (a :class:`mineaction.messages.Message`)."""
        return cls(where, field, str(message), message.code, message.params)

    def at(self, where: str | None = None, field: str | None | bool = False) -> Problem:
        """The same problem (same code and parameters) placed elsewhere: another row
        ``where``, another ``field`` (None: the row as a whole; False: unchanged)."""
        return Problem(self.where if where is None else where,
                       self.field if field is False else field,  # type: ignore[arg-type]
                       self.reason, self.code, self.params)

    def text(self, locale: str = "en") -> str:
        """The reason in ``locale`` (English when the catalogue has no translation)."""
        if self.code == TEXT:
            return self.reason
        return _render(self.code, dict(self.params), locale)

    def line(self, locale: str = "en") -> str:
        """Where, field and reason on one line, the reason in ``locale``."""
        if self.field:
            return _render("input.at_field", {"where": self.where, "field": self.field,
                                              "reason": self.text(locale)}, locale)
        return _render("input.at", {"where": self.where, "reason": self.text(locale)}, locale)

    def __str__(self) -> str:
        return self.line()


class InvalidInput(MineActionError):
    """Input that cannot be accepted. Nothing has been written when this is raised.

    Holds every :class:`Problem` found; ``InvalidInput.of(code, **params)`` is one problem of
    the input as a whole (an argument, an option)."""

    exit_code = 2
    http_status = 400
    api_code = "InvalidParameterValue"

    def __init__(self, problems: list[Problem] | str, *, source: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(source or "input", None, problems)]
        self.problems = list(problems)
        self.source = source
        Exception.__init__(self, self.summary())
        if len(self.problems) == 1 and self.problems[0].field is None:
            self.code, self.params = self.problems[0].code, dict(self.problems[0].params)
        else:
            self.code, self.params = "input.problems", {"count": len(self.problems)}

    @classmethod
    def of(cls, code: str, /, **params: Any) -> Self:
        """Invalid input with one problem of the input as a whole (no row, no field)."""
        return cls([Problem.of("input", None, code, **params)])

    def summary(self, limit: int = 50, locale: str = "en") -> str:
        """Every problem on its line (the first ``limit``), in ``locale``, under a head line
        saying how many there are and that nothing was written."""
        from mineaction.messages import render

        head = render("input.problems_head", {"count": len(self.problems)}, locale)
        if self.source:
            head = render("input.problems_head_in",
                          {"count": len(self.problems), "source": self.source}, locale)
        lines = [head] + [f"  {p.line(locale)}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append("  " + render("input.problems_more",
                                       {"count": len(self.problems) - limit}, locale))
        return "\n".join(lines)

    def text(self, locale: str = "en") -> str:
        """One problem of the input as a whole: its reason; else every problem (summary)."""
        if len(self.problems) == 1:
            p = self.problems[0]
            if p.field is None and p.where == (self.source or "input"):
                return p.text(locale)  # made from a plain message: no row to name
        return self.summary(locale=locale)

    def __reduce__(self) -> Any:
        return (_rebuild_invalid, (self.problems, self.source))


def _rebuild_invalid(problems: list[Problem], source: str | None) -> InvalidInput:
    return InvalidInput(problems, source=source)


class NotFound(MineActionError):
    exit_code = 1
    http_status = 404
    api_code = "NotFound"


class Conflict(MineActionError):
    """A write based on a stale copy of a record (optimistic locking), or a duplicate id."""

    exit_code = 1
    http_status = 409
    api_code = "Conflict"


class PreconditionFailed(Conflict):
    """A write conditional on a version the caller saw (HTTP If-Match) when another one is
    stored now."""

    http_status = 412
    api_code = "PreconditionFailed"


class PreconditionRequired(PreconditionFailed):
    """A conditional write sent without its condition (HTTP If-Match missing)."""

    http_status = 428
    api_code = "PreconditionRequired"


class StoreError(MineActionError):
    """The store cannot be opened or used (wrong file, unknown schema version, ...)."""

    exit_code = 1
    http_status = 500
    api_code = "StoreError"


class Forbidden(MineActionError):
    """The actor may not read or write this (a layer, a field used in a filter, a record to
    change). Rows an actor may not see are never refused one by one: they are simply not
    there (a ``get`` of one is :class:`NotFound`), so a refusal never tells that they exist."""

    exit_code = 1
    http_status = 403
    api_code = "Forbidden"


class Unauthorized(Forbidden):
    """Nobody is signed in where an account is needed, or the credentials are wrong (the
    message never says which of the user name and the password was wrong)."""

    http_status = 401
    api_code = "Unauthorized"

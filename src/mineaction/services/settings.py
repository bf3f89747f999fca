"""The programme's settings (:mod:`mineaction.access.settings`): listed for everyone, changed
by administrators. Every interface reads them from the store, so they apply at once to the
command line, the API, the Observer and exchange packages alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mineaction.access import settings as programme
from mineaction.services.context import Context


@dataclass(frozen=True)
class Shown:
    """One setting as listed: its value in force, its default, whether the programme set it,
    and the code of what it does."""

    key: str
    value: Any
    default: Any
    stored: bool
    about: str

    def as_dict(self, locale: str = "en") -> dict[str, Any]:
        """As JSON gives it, with what it does in ``locale``."""
        from mineaction.messages import render

        return {"key": self.key, "value": self.value, "default": self.default,
                "set": self.stored, "about": render(self.about, {}, locale)}


@dataclass(frozen=True)
class Change:
    """What a change did: the key, the stored text before and after (None: not set)."""

    key: str
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def said(self) -> tuple[str, dict[str, Any]]:
        """What was done, as a message code and its parameters (said in the reader's
        language by each interface)."""
        if not self.changed:
            return "cli.settings_unchanged", {"key": self.key}
        if self.after is None:
            return "cli.settings_unset", {"key": self.key, "before": self.before}
        if self.before is None:
            return "cli.settings_set", {"key": self.key, "value": self.after}
        return "cli.settings_changed", {"key": self.key, "before": self.before,
                                        "value": self.after}


def show(ctx: Context) -> list[Shown]:
    """Every setting, in the order of :data:`mineaction.access.settings.SETTINGS`. The
    suppression threshold not set by the programme is the installation's."""
    stored, found = ctx.stored_settings, ctx.programme
    out = []
    for key, setting in programme.SETTINGS.items():
        value, default = found[key], setting.default
        if key == "public.suppress_below":
            value, default = ctx.suppress_below, ctx.settings.suppress_below
        out.append(Shown(key, value, default, key in stored, setting.about))
    return out


def change(ctx: Context, key: str, value: str | None) -> Change:
    """Set ``key`` to ``value`` (text, checked and stored in its plain form), or unset it
    (``value`` None: its default applies again). Refused with the key and the reason for an
    unknown key or a bad value, and for anyone but an administrator; nothing is written then.
    The change is an entry of the audit log."""
    if value is None:
        programme.check_key(key)
        text = None
    else:
        text = programme.shown(programme.parse(key, value))
    with ctx.reader.transaction() as tx:
        before = tx.put_setting(key, text)
    ctx.__dict__.pop("stored_settings", None)  # read again: this context sees its change
    return Change(key, before, text)


"""A programme's settings of what the public sees, kept in the store itself.

How small a count of people is suppressed, and how coarse the public's map of hazards and
released land is, are decisions of a programme, not of the machine that serves it: every
interface (the command line, the API, the Observer, exchange packages) reads them from the
store, so that two outputs of one store never differ in what they hide (a count suppressed
in one and printed in another could be worked out from both).

Settings are stored as text under their key (``mineaction settings set KEY VALUE``, by an
administrator; each change is an entry of the audit log). A key not set takes its default.
This module is pure: it parses and checks values and builds what the policy and the reports
use from the stored text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mineaction.errors import InvalidInput, Problem

#: The smallest suppression threshold a programme may set: below it no count is hidden.
MIN_SUPPRESS_BELOW = 2
#: Bounds of a generalisation cell's size (km): finer shows near-exact places.
MIN_CELL_KM = 1.0
MAX_CELL_KM = 100.0


@dataclass(frozen=True)
class Setting:
    """One setting: its key, its default (as a value, not text), how text is read into a
    value (raising :class:`ValueError` with a message code), and the code of its description."""

    key: str
    default: Any
    parse: Callable[[str], Any]
    about: str
    #: The words it accepts, when it is one of a few (none: a number).
    choices: tuple[str, ...] = ()


def _integer(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError("settings.not_an_integer") from None
        if not low <= value <= high:
            raise ValueError("settings.out_of_range")
        return value
    return parse


def _km(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("settings.not_a_number") from None
    if not (math.isfinite(value) and MIN_CELL_KM <= value <= MAX_CELL_KM):
        raise ValueError("settings.out_of_range")
    return value


#: How the public may see hazards and released land.
POLYGONS = ("grid", "admin")


def _polygons(text: str) -> str:
    value = text.strip().lower()
    if value not in POLYGONS:
        raise ValueError("settings.not_a_choice")
    return value


SETTINGS: dict[str, Setting] = {s.key: s for s in (
    Setting("public.suppress_below", 5, _integer(MIN_SUPPRESS_BELOW, 1000),
            "settings.about_suppress_below"),
    Setting("public.polygons", "grid", _polygons, "settings.about_polygons", POLYGONS),
    Setting("public.grid_km", 5.0, _km, "settings.about_grid_km"),
    Setting("public.point_km", 5.0, _km, "settings.about_point_km"),
)}

#: What each key accepts, for messages: the bounds or the choices.
ACCEPTS: dict[str, dict[str, Any]] = {
    "public.suppress_below": {"low": MIN_SUPPRESS_BELOW, "high": 1000},
    "public.polygons": {"choices": ", ".join(POLYGONS)},
    "public.grid_km": {"low": f"{MIN_CELL_KM:g}", "high": f"{MAX_CELL_KM:g}"},
    "public.point_km": {"low": f"{MIN_CELL_KM:g}", "high": f"{MAX_CELL_KM:g}"},
}


def check_key(key: str) -> Setting:
    """The setting of ``key``, or :class:`InvalidInput` naming it and the keys there are."""
    setting = SETTINGS.get(key)
    if setting is None:
        raise InvalidInput([Problem.of("settings", key, "settings.unknown_key", key=key,
                                       known=", ".join(SETTINGS))])
    return setting


def parse(key: str, text: str) -> Any:
    """The value of ``text`` for ``key``, or :class:`InvalidInput` naming the key and the
    reason (an unknown key, a value of the wrong kind or out of range)."""
    setting = check_key(key)
    try:
        return setting.parse(str(text))
    except ValueError as exc:
        raise InvalidInput([Problem.of("settings", key, str(exc), key=key, value=text,
                                       **ACCEPTS[key])]) from None


def values(stored: Mapping[str, str]) -> dict[str, Any]:
    """Every setting's value: the stored one where set, else the default. A stored text that
    no longer parses (a bound tightened since) is refused the same way as on input, so a
    programme never runs on a setting it did not choose."""
    out = {}
    for key, setting in SETTINGS.items():
        out[key] = parse(key, stored[key]) if key in stored else setting.default
    return out


def shown(value: Any) -> str:
    """A value as it is stored and shown: integers without a decimal point, km as given."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def policy_settings(stored: Mapping[str, str]) -> Any:
    """The :class:`mineaction.access.policy.PolicySettings` of these stored settings."""
    from mineaction.access.policy import PolicySettings

    v = values(stored)
    return PolicySettings(grid_km=float(v["public.grid_km"]), polygons=v["public.polygons"],
                          point_km=float(v["public.point_km"]))

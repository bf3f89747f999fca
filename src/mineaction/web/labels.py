"""The interface's names for the codes that reports and records hold (vocabulary values,
table columns), as message ids of the web catalogue; ``label(code, lang)`` says one in a
language. A code without a name here is shown as it is."""

from __future__ import annotations

from mineaction.web.i18n import gettext


def N_(text: str) -> str:  # noqa: N802  (the marker Babel's extraction looks for)
    return text


LABELS: dict[str, str] = {
    # casualties
    "killed": N_("Killed"), "injured": N_("Injured"), "total": N_("Total"),
    "Total": N_("Total"), "unknown": N_("Unknown"),
    "civilian": N_("Civilian"), "military": N_("Military"), "deminer": N_("Deminer"),
    "female": N_("Female"), "male": N_("Male"),
    "child": N_("Child (under 18)"), "adult": N_("Adult"),
    "ap": N_("Anti-personnel mine"), "av": N_("Anti-vehicle mine"),
    "cmr": N_("Cluster munition remnant"), "uxo": N_("Unexploded ordnance"),
    "axo": N_("Abandoned explosive ordnance"), "ied": N_("Improvised explosive device"),
    "farming": N_("Farming"), "herding": N_("Herding"), "travelling": N_("Travelling"),
    "collecting": N_("Collecting wood, scrap or food"), "tampering": N_("Tampering"),
    "demining": N_("Demining"), "military_duty": N_("Military duty"),
    "reconstruction": N_("Reconstruction"), "other": N_("Other"),
    # land release
    "cancelled": N_("Cancelled"), "reduced": N_("Reduced"), "cleared": N_("Cleared"),
    "cancelled_km2": N_("Cancelled"), "reduced_km2": N_("Reduced"),
    "cleared_km2": N_("Cleared"),
    # hazards
    "sha": N_("Suspected hazardous area (SHA)"), "cha": N_("Confirmed hazardous area (CHA)"),
    "sha_km2": N_("Suspected hazardous area (SHA)"),
    "cha_km2": N_("Confirmed hazardous area (CHA)"),
    # published figures
    "reported": N_("Reported"), "estimate": N_("Estimate"), "claim": N_("Claim"),
    "target": N_("Target"), "national": N_("National"),
    # table keys
    "year": N_("Year"), "group": N_("Group"), "sex": N_("Sex"), "age_band": N_("Age"),
    "device_category": N_("Device"), "activity_at_time": N_("Activity at the time"),
    "district": N_("District"),
}

#: Titles of the tables the Observer shows, by report table name.
TABLES: dict[str, str] = {
    "by-year": N_("Casualties by year"), "by-group": N_("Civilians, military and deminers"),
    "by-sex": N_("Casualties by sex"), "by-age-band": N_("Children and adults"),
    "by-device-category": N_("Casualties by device"),
    "by-activity-at-time": N_("What the victims were doing"),
    "districts": N_("Land released by district and method"),
    "years": N_("Land released by year and method"),
    "remaining": N_("Contamination remaining, by district and kind"),
}

#: The headline figures, by key.
HEADLINES: dict[str, str] = {
    "killed": N_("People killed"), "injured": N_("People injured"),
    "cancelled": N_("Land cancelled by non-technical survey (km²)"),
    "reduced": N_("Land reduced by technical survey (km²)"), "cleared": N_("Land cleared (km²)")}

#: Titles of the layers offered as open data.
LAYER_TITLES: dict[str, str] = {
    "organisations": N_("Organisations"), "admin-areas": N_("Administrative areas"),
    "hazards": N_("Hazardous areas (generalised)"), "accidents": N_("Accidents (generalised)"),
    "eore": N_("Explosive ordnance risk education sessions"),
    "release-steps": N_("Land release steps (generalised)"),
    "figures": N_("Published figures register")}

#: Units as the interface writes them.
UNITS: dict[str, str] = {"people": N_("people"), "km²": N_("km²"), "km2": N_("km²"),
                         "m2": N_("m²"), "km": N_("km"), "count": N_("number"),
                         "percent": N_("per cent")}


def label(code: object, lang: str) -> str:
    text = str(code)
    return gettext(lang, LABELS[text]) if text in LABELS else text


def table_title(table: object, lang: str) -> str:
    name = str(getattr(table, "name", ""))
    return gettext(lang, TABLES[name]) if name in TABLES else str(getattr(table, "title", name))


def unit(text: str, lang: str) -> str:
    return gettext(lang, UNITS.get(text, text))


def headline(key: str, lang: str) -> str:
    return gettext(lang, HEADLINES[key])


def offer_title(offer: object, lang: str) -> str:
    """The title of a table of the open data."""
    layer = getattr(offer, "layer", None)
    name = str(getattr(offer, "name", ""))
    if layer in LAYER_TITLES:
        return gettext(lang, LAYER_TITLES[str(layer)])
    table = name.partition("--")[2]
    return gettext(lang, TABLES[table]) if table in TABLES else str(getattr(offer, "title", ""))

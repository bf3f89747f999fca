"""The web interface's own strings in the reader's language: gettext catalogues of the domain
``mineaction-web`` (``locale/<lang>/LC_MESSAGES/mineaction-web.po``, made with Babel), and
numbers, dates and plurals by the CLDR (Babel).

The ``.po`` files are the source; each is compiled to its ``.mo`` beside it when that is
missing or older (a fresh clone needs no step of its own), or in memory when the folder is
not writable.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

DOMAIN = "mineaction-web"
LOCALEDIR = Path(__file__).with_name("locale")
#: The languages of the interface, English first (the language of the message ids).
LANGUAGES = ("en", "az", "hy", "ka", "ru")


def po_path(lang: str) -> Path:
    return LOCALEDIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compiled(po: Path) -> bytes:
    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def compile_catalogues() -> list[Path]:
    """Compile every ``.po`` whose ``.mo`` is missing or older; the ``.mo`` files written."""
    written = []
    for lang in LANGUAGES[1:]:
        po = po_path(lang)
        mo = po.with_suffix(".mo")
        if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            try:
                mo.write_bytes(_compiled(po))
                written.append(mo)
            except OSError:  # a read-only installation: translations() compiles in memory
                pass
    return written


@cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of ``lang`` (no translation for English or a language without one)."""
    if lang == "en":
        return NullTranslations()
    po = po_path(lang)
    if not po.exists():
        return NullTranslations()
    compile_catalogues()
    mo = po.with_suffix(".mo")
    data = (mo.read_bytes() if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime
            else _compiled(po))
    return Translations(io.BytesIO(data), domain=DOMAIN)


def gettext(lang: str, text: str) -> str:
    return translations(lang).gettext(text)


def number(value: Any, lang: str, decimals: int = 0) -> str:
    """A number as the CLDR writes it in ``lang`` (grouping, decimal sign)."""
    if value is None:
        return ""
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=fmt, locale=lang)


def date(value: dt.date | None, lang: str, form: str = "long") -> str:
    return "" if value is None else babel_date(value, format=form, locale=lang)


def language_name(lang: str) -> str:
    """The language's own name for itself (for the language switcher), capitalised where
    its script has capitals (Georgian's Mtavruli are not capitals of running text)."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name if lang == "ka" else name[:1].upper() + name[1:]

"""Messages as codes with parameters: the core says *what* (``value.not_a_date`` with
``value='2023-02-30'``), each interface says it in the reader's language.

:data:`MESSAGES` holds the English text of every code, a :meth:`str.format` template. Other
languages come from gettext catalogues (Babel) whose message ids are these English texts, so a
translator sees the sentence, not the code. A code without a template renders as the code and
its parameters, which a test forbids for codes the core uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: code -> English template. Codes are dotted: the family first (value., geometry., crs., file.,
#: store., import., release., report., access.), then what went wrong.
MESSAGES: dict[str, str] = {
    "invalid": "{text}",
    "value.required": "required value is missing",
}


def translator(locale: str) -> Any:
    """The gettext translation for ``locale`` (English, the identity, until catalogues exist)."""
    import gettext

    return gettext.NullTranslations()


def render(code: str, params: Mapping[str, Any], locale: str = "en") -> str:
    """The message ``code`` with ``params`` in ``locale``."""
    template = MESSAGES.get(code)
    if template is None:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()))
        return f"{code}({args})" if args else code
    text = translator(locale).gettext(template) if locale != "en" else template
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder
        return template.format(**params)

"""The gettext catalogues of the core (domain ``mineaction``): what they must hold, and keeping
them up to date with the code.

A catalogue's message ids are the English texts people read:

- every template of :data:`mineaction.messages.MESSAGES` (the code as a translator's comment;
  a template with a ``{count}`` or ``{n}`` parameter is a plural entry);
- the titles, descriptions, table titles, column headings and units of the reports, found in
  ``reports/*.py`` as the literal texts given to ``report(...)``, ``Table(...)`` and
  ``Column(...)``, the headings made from tables of words and the words of the report frame
  (:mod:`mineaction.reports.localise`);
- the labels of vocabulary terms (:data:`mineaction.domain.vocabulary.LABELS`), each with the
  vocabulary's name as its context (``msgctxt``), so that "open" of a hazard and "open" of a
  non-conformity may be said differently.

English needs a catalogue of its own only for plural forms: a template that hedges its
number ("{count} problem(s)") gets its singular and plural English forms in
``locale/en/LC_MESSAGES/mineaction.po`` (:func:`update_english`), which every other language
falls back on.

``python scripts/messages-pot.py`` writes ``locale/mineaction.pot`` and brings each language's
``locale/<lang>/LC_MESSAGES/mineaction.po`` up to date (new ids added untranslated, changed ones
marked fuzzy, gone ones kept as obsolete), with Babel. ``tests/unit/test_catalogues.py`` fails
when a catalogue lacks a translation of an id the code uses.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mineaction.messages import DOMAIN, MESSAGES, plural_param

#: The languages the core is translated into (besides English): Azerbaijani (Latin script),
#: Armenian, Georgian, Russian.
LANGUAGES = ("az", "hy", "ka", "ru")

PACKAGE = Path(__file__).resolve().parent
LOCALE = PACKAGE / "locale"


@dataclass
class Entry:
    """One message of the catalogue: its English text, context, and where it comes from."""

    msgid: str
    context: str | None = None
    plural: bool = False
    codes: list[str] = field(default_factory=list)  # message codes whose template it is
    origin: str = ""  # "messages", "reports", "vocabulary"

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


def _report_texts() -> Iterator[tuple[str, str]]:
    """(file, text) for the literal English texts of the report definitions."""
    for path in sorted((PACKAGE / "reports").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            positions = {"report": (1, 2), "Table": (1,), "Column": (1, 2), "Chart": (1,)}.get(
                node.func.id, ())
            args: list[ast.expr] = [node.args[i] for i in positions if i < len(node.args)]
            args += [k.value for k in node.keywords if k.arg in ("title", "unit", "label")]
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                    yield path.name, arg.value


def entries() -> list[Entry]:
    """Every message the catalogues must translate, in a stable order."""
    from mineaction.domain.vocabulary import LABELS
    from mineaction.reports.localise import FRAME, extra

    found: dict[tuple[str | None, str], Entry] = {}

    def add(msgid: str, origin: str, code: str | None = None, context: str | None = None
            ) -> None:
        entry = found.setdefault((context, msgid), Entry(
            msgid, context, plural=origin == "messages" and plural_param(msgid) is not None,
            origin=origin))
        if code and code not in entry.codes:
            entry.codes.append(code)

    for code, template in MESSAGES.items():
        if code != "text":  # finished text, passed on as it is
            add(template, "messages", code)
    for text in FRAME.values():
        add(text, "reports")
    for _, text in _report_texts():
        add(text, "reports")
    for text in extra():
        add(text, "reports")
    for member, label in LABELS.items():
        add(label, "vocabulary", context=type(member).__name__)
    return list(found.values())


def template_catalog() -> object:
    """The catalogue template (``.pot``) as a Babel ``Catalog``."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(domain=DOMAIN, project="mineaction", msgid_bugs_address="",
                      copyright_holder="mineaction", fuzzy=False)
    for e in entries():
        comments = [f"code: {c}" for c in e.codes] or [e.origin]
        catalog.add((e.msgid, e.msgid) if e.plural else e.msgid, context=e.context,
                    auto_comments=comments)
    return catalog


#: A word whose plural ending is hedged in an English template: "record(s)", "activity(ies)".
HEDGED = re.compile(r"(\w)\((s|es|ies)\)")


#: The count, then (up to three words or placeholders on) a hedged word: "{count} {layer}
#: record(s)", "{count:,} operator-month(s)"; not "({count}: {ids}), {points} point(s)".
COUNTED = re.compile(r"\{(?:count|n)(?::[^}]*)?\}(?: (?:[\w-]+|\{\w+\})){0,3}? [\w-]*\w"
                     r"\((?:s|es|ies)\)")


def english_entries() -> list[Entry]:
    """The plural entries whose English template hedges the number of its count: those the
    English catalogue gives singular and plural forms."""
    return [e for e in entries() if e.plural and COUNTED.search(e.msgid)]


def english_forms(msgid: str) -> tuple[str, str]:
    """A first guess at the singular and plural of a hedged template, for a person to check
    (a verb may have to agree): "record(s)" -> "record", "records"; "activity(ies)" ->
    "activity", "activities"."""
    def one(m: re.Match[str]) -> str:
        return m.group(1) if m.group(2) != "ies" else m.group(1) + "y"

    def many(m: re.Match[str]) -> str:
        return m.group(1) + m.group(2)

    return HEDGED.sub(one, msgid.replace("y(ies)", "(ies)")), HEDGED.sub(
        many, msgid.replace("y(ies)", "(ies)"))


def update_english() -> tuple[int, int]:
    """Bring ``locale/en/LC_MESSAGES/mineaction.po`` up to date with the hedged templates: a
    form already written is kept; a new template gets :func:`english_forms`, marked fuzzy (so
    not used) until a person has checked it. Returns (entries, fuzzy)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = po_path("en")
    old = None
    if path.exists():
        with open(path, "rb") as fh:
            old = read_po(fh, locale="en")
    catalog = Catalog(locale="en", domain=DOMAIN, project="mineaction",
                      copyright_holder="mineaction", fuzzy=False)
    catalog.header_comment = ("# English plural forms of mineaction's messages whose template "
                              "says \"(s)\".\n# Every other language falls back on them.")
    catalog.last_translator = catalog.language_team = "mineaction"
    fuzzy = 0
    for e in english_entries():
        kept = old.get(e.msgid) if old is not None else None
        if kept is not None and isinstance(kept.string, tuple) and all(kept.string):
            forms, flags = kept.string, kept.flags
        else:
            forms, flags = english_forms(e.msgid), {"fuzzy"}
        fuzzy += "fuzzy" in flags
        catalog.add((e.msgid, e.msgid), forms, flags=flags,
                    auto_comments=[f"code: {c}" for c in e.codes])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False)
    return len(catalog), fuzzy


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def update(languages: tuple[str, ...] = LANGUAGES) -> dict[str, int]:
    """Write ``locale/mineaction.pot`` and bring each language's ``.po`` up to date with it
    (a new language gets a new ``.po``). Returns, per language, the messages translated."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = template_catalog()
    assert isinstance(template, Catalog)
    LOCALE.mkdir(exist_ok=True)
    with open(LOCALE / f"{DOMAIN}.pot", "wb") as fh:
        write_po(fh, template, width=100, omit_header=False, sort_output=False)
    done = {}
    for lang in languages:
        path = po_path(lang)
        if path.exists():
            with open(path, "rb") as fh:
                catalog = read_po(fh, locale=lang)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="mineaction",
                              copyright_holder="mineaction", fuzzy=False)
        catalog.update(template, update_header_comment=False)
        name = catalog.locale.english_name if catalog.locale else lang
        catalog.header_comment = (f"# {name} translations of mineaction's "
                                  "messages, report headings and vocabulary.\n"
                                  "# One term per concept: docs/glossary.csv.")
        catalog.last_translator = catalog.language_team = "mineaction"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=100, sort_output=False, ignore_obsolete=False)
        done[lang] = sum(1 for m in catalog if m.id and m.string and not m.fuzzy
                         and (not isinstance(m.string, tuple) or all(m.string)))
    return done

"""Every string of the web interface is translated in every catalogue: the strings are
extracted from the code and templates as ``make messages`` does (babel.cfg), then each
catalogue must hold each of them, translated, with the same placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from mineaction.web import i18n
from mineaction.web.i18n import LANGUAGES, po_path

ROOT = Path(__file__).resolve().parents[2]


def used() -> set[str]:
    """The message ids the interface uses, extracted with the project's babel.cfg."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def ids() -> set[str]:
    found = used()
    assert len(found) > 50  # the extraction found the interface
    return found


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_string_is_translated(ids: set[str], lang: str) -> None:
    with po_path(lang).open("rb") as f:
        cat = read_po(f, locale=lang)
    translated = {}
    for m in cat:
        if not m.id or m.fuzzy:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        if all(strings):
            translated[key] = m
            python_format(cat, m)  # the same placeholders (TranslationError otherwise)
    missing = sorted(ids - set(translated))
    assert not missing, f"{lang}: {len(missing)} untranslated: {missing[:10]}"
    assert cat.num_plurals == {"az": 2, "hy": 2, "ka": 2, "ru": 3}[lang]


def test_catalogues_compile_from_a_fresh_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """No .mo needed beforehand: each is compiled from its .po when missing or older."""
    for lang in LANGUAGES[1:]:
        src = po_path(lang)
        dst = tmp_path / lang / "LC_MESSAGES" / src.name
        dst.parent.mkdir(parents=True)
        dst.write_bytes(src.read_bytes())
    monkeypatch.setattr(i18n, "LOCALEDIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        written = i18n.compile_catalogues()
        assert len(written) == 4 and all(p.exists() for p in written)
        assert i18n.gettext("ru", "Casualties") != "Casualties"
        assert i18n.compile_catalogues() == []  # up to date: nothing to do
    finally:
        i18n.translations.cache_clear()


def test_numbers_and_dates_by_the_cldr() -> None:
    import datetime as dt

    assert i18n.number(1234567, "en") == "1,234,567"
    assert i18n.number(1234567, "ru") == "1\xa0234\xa0567"
    assert i18n.number(0.5, "az", 2) == "0,50"
    assert "noyabr" in i18n.date(dt.date(2026, 11, 30), "az")


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_the_web_names_methods_and_hazards_as_the_core_does(lang: str) -> None:
    """Cancelled, reduced, cleared and the kinds of hazardous area are the same words on the
    web as in the core's vocabulary (docs/glossary.csv), in every language; the headline
    figures of each method use its word."""
    from mineaction.catalogues import po_path as core_po_path
    from mineaction.domain.vocabulary import LABELS as VOCABULARY
    from mineaction.domain.vocabulary import HazardKind, ReleaseOutcome
    from mineaction.web.labels import HEADLINES, LABELS

    with po_path(lang).open("rb") as f:
        web = read_po(f, locale=lang)
    with core_po_path(lang).open("rb") as f:
        core = read_po(f, locale=lang)

    def core_word(member: object) -> str:
        m = core.get(VOCABULARY[member], context=type(member).__name__)  # type: ignore[index]
        assert m is not None and m.string and not m.fuzzy, (lang, member)
        return str(m.string).casefold()

    def web_word(msgid: str) -> str:
        m = web.get(msgid)
        assert m is not None and m.string and not m.fuzzy, (lang, msgid)
        return str(m.string).casefold()

    for member in (*ReleaseOutcome, *HazardKind):
        word = core_word(member)
        for code in (member.value, f"{member.value}_km2"):
            if code in LABELS:
                assert web_word(LABELS[code]) == word, (lang, code)
        if member.value in HEADLINES:
            assert word in web_word(HEADLINES[member.value]), (lang, member.value)

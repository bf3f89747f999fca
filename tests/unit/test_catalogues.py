"""The core's catalogues (az, hy, ka, ru): every message the code says is translated, each
translation keeps its message's placeholders and renders, plural forms follow CLDR, a ``.po``
is compiled when first used, and the command line speaks the reader's language."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import string
import subprocess
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from mineaction import catalogues, messages
from mineaction.catalogues import (
    COUNTED,
    LANGUAGES,
    Entry,
    english_entries,
    english_forms,
    entries,
    po_path,
)
from mineaction.messages import MESSAGES, render

#: Per language, the message families (the part of a code before its dot) not translated yet;
#: printed by the test, and refused once the family is translated.
NOT_YET: dict[str, tuple[str, ...]] = {lang: () for lang in LANGUAGES}

ENTRIES = entries()


def _catalog(lang: str) -> Catalog:
    with open(po_path(lang), "rb") as fh:
        return read_po(fh, locale=lang)


CATALOGS = {lang: _catalog(lang) for lang in LANGUAGES}


def _families(e: Entry) -> set[str]:
    return {c.split(".")[0] for c in e.codes} or {e.origin}


def _translated(catalog: Catalog, e: Entry) -> Any:
    m = catalog.get(e.msgid, context=e.context)
    if m is None or m.fuzzy:
        return None
    forms = m.string if isinstance(m.string, tuple) else (m.string,)
    return m.string if forms and all(forms) else None


def _fields(template: str) -> list[str]:
    """Each placeholder as written, conversion and format spec included ("{value!r}",
    "{x:,.1f}"), sorted."""
    out = []
    for _, name, spec, conv in string.Formatter().parse(template):
        if name is not None:
            out.append("{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
                       + "}")
    return sorted(out)


def _sample(template: str) -> dict[str, Any]:
    """A value for each parameter of ``template`` that its format spec accepts."""
    params: dict[str, Any] = {}
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is None:
            continue
        if spec and spec[-1] in "dxXob":
            params[name] = 42
        elif spec:
            params[name] = 1234.5
        else:
            params[name] = 3 if name in ("count", "n") else f"<{name}>"
    return params


def _missing(catalog: Catalog, wanted: list[Entry]) -> list[Entry]:
    return [e for e in wanted if _translated(catalog, e) is None]


def test_a_message_added_without_its_translations_is_listed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MESSAGES, "value.not_yet_said", "{value!r} is a new sentence")
    added = entries()
    for lang in LANGUAGES:
        assert [e.codes for e in _missing(CATALOGS[lang], added)] == [["value.not_yet_said"]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalogue_translates_every_message_the_code_uses(lang: str) -> None:
    catalog = CATALOGS[lang]
    not_yet = set(NOT_YET[lang])
    if not_yet:
        print(f"{lang}: families not translated yet: {', '.join(sorted(not_yet))}")
    missing = _missing(catalog, ENTRIES)
    unexpected = [e for e in missing if not _families(e) <= not_yet]
    assert not unexpected, (
        f"{lang}: {len(unexpected)} message(s) without a translation in {po_path(lang)} (run "
        "scripts/messages-pot.py, then translate them):\n"
        + "\n".join(f"  {', '.join(e.codes) or e.origin}: {e.msgid!r}" for e in unexpected))
    finished = {f for f in not_yet if not any(f in _families(e) for e in missing)}
    assert not finished, f"{lang}: translated now, take them off NOT_YET: {sorted(finished)}"


def test_the_catalogues_know_every_code_and_report_heading() -> None:
    ids = {e.msgid for e in ENTRIES}
    assert {t for c, t in MESSAGES.items() if c != "text"} <= ids
    assert {"Casualties of mines and explosive ordnance", "Killed", "District", "m²",
            "Cancelled", "Reduced", "Cleared", "Total", "Sources"} <= ids
    assert ("EOCategory", "anti-personnel mines") in {e.key for e in ENTRIES}
    plural = {e.msgid for e in ENTRIES if e.plural}
    assert MESSAGES["input.problems_head"] in plural
    assert MESSAGES["value.required"] not in plural


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_their_placeholders_and_render(lang: str) -> None:
    bad = []
    for e in ENTRIES:
        found = _translated(CATALOGS[lang], e)
        if found is None:
            continue
        for form in found if isinstance(found, tuple) else (found,):
            if _fields(form) != _fields(e.msgid):
                bad.append(f"{e.msgid!r} -> {form!r}: {_fields(form)}")
                continue
            try:
                form.format(**_sample(e.msgid))
            except (KeyError, IndexError, ValueError) as exc:
                bad.append(f"{form!r}: {exc}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_are_cldr_s(lang: str) -> None:
    catalog = CATALOGS[lang]
    rule = get_plural(lang)
    assert catalog.plural_forms == rule.plural_forms
    for e in ENTRIES:
        found = _translated(catalog, e)
        if e.plural and found is not None:
            assert isinstance(found, tuple) and len(found) == rule.num_plurals, e.msgid


def test_russian_counts_take_the_form_their_number_needs() -> None:
    said = {n: render("input.problems_head", {"count": n}, "ru") for n in (1, 3, 5, 21, 11)}
    assert said[1] != said[3] != said[5]
    assert said[21] == said[1].replace("1", "21", 1)
    assert said[11] == said[5].replace("5", "11", 1)
    assert "ничего не записано" in said[5]


def test_english_says_one_problem_and_two_problems_not_problem_s() -> None:
    assert render("input.problems_head", {"count": 1}, "en") == "1 problem; nothing was written"
    assert render("input.problems_head", {"count": 2}, "en") == "2 problems; nothing was written"
    assert render("input.problems_head", {"count": 0}, "en").startswith("0 problems;")
    # a verb agrees with its number where the guess from "(s)" would not
    assert render("risk.unknown_dropped", {"count": 1, "target": "y"}, "en") == (
        "1 row with an unknown y was not used")
    assert render("risk.unknown_dropped", {"count": 2, "target": "y"}, "en") == (
        "2 rows with an unknown y were not used")
    # English of another country, and a language with no catalogue, take the same forms;
    # a Note's English text (what CSV and JSON keep) too
    for locale in ("en_GB", "de"):
        assert render("cli.problem_count", {"count": 1}, locale) == "1 problem"
    assert str(messages.Note("release.closed", count=1, ids="H1")) == "closed 1 hazard: H1"
    # a hedge on another number than the count stays as it is
    assert "4 point(s)" in render("evidence.direct_evidence", {
        "source": "s", "what": "w", "count": 1, "ids": "A", "points": 4}, "en")


def test_the_english_catalogue_gives_every_hedged_count_its_two_forms() -> None:
    with open(po_path("en"), "rb") as fh:
        catalog = read_po(fh, locale="en")
    wanted = english_entries()
    assert len(wanted) > 40 and MESSAGES["input.problems"] in {e.msgid for e in wanted}
    assert catalog.plural_forms == get_plural("en").plural_forms
    bad = []
    for e in wanted:
        m = catalog.get(e.msgid)
        if m is None or m.fuzzy or not isinstance(m.string, tuple):
            bad.append(f"{e.codes}: missing or not checked (fuzzy)")
            continue
        one, many = m.string
        if one == many or COUNTED.search(one) or COUNTED.search(many):
            bad.append(f"{e.codes}: {m.string}")
        if _fields(one) != _fields(e.msgid) or _fields(many) != _fields(e.msgid):
            bad.append(f"{e.codes}: placeholders {m.string}")
    assert not bad, "\n".join(bad)
    assert len([m for m in catalog if m.id]) == len(wanted)  # nothing else, nothing stale


def test_a_new_hedged_template_gets_guessed_english_forms_marked_for_checking(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert english_forms("{count} activity(ies) and {count} box(es) in {count} field(s)") == (
        "{count} activity and {count} box in {count} field",
        "{count} activities and {count} boxes in {count} fields")
    (tmp_path / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(po_path("en"), tmp_path / "en" / "LC_MESSAGES" / "mineaction.po")
    monkeypatch.setattr(catalogues, "LOCALE", tmp_path)
    monkeypatch.setitem(MESSAGES, "value.new_count", "{count:,} new pit(s) dug")
    total, unchecked = catalogues.update_english()
    assert (total, unchecked) == (len(english_entries()), 1)
    with open(po_path("en"), "rb") as fh:
        new = read_po(fh, locale="en").get("{count:,} new pit(s) dug")
    assert new.fuzzy and new.string == ("{count:,} new pit dug", "{count:,} new pits dug")


def test_the_terms_of_release_stay_three_terms_in_each_language() -> None:
    for lang in (lang for lang in LANGUAGES if "vocabulary" not in NOT_YET[lang]):
        t = messages.translator(lang)
        said = {t.pgettext("ReleaseOutcome", w) for w in ("cancelled", "reduced", "cleared")}
        heads = {t.gettext(w) for w in ("Cancelled", "Reduced", "Cleared")}
        assert len(said) == 3 and len(heads) == 3, lang
        assert said.isdisjoint({"cancelled", "reduced", "cleared"}), lang


def test_a_po_is_compiled_when_first_used_into_the_cache_when_its_folder_is_read_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locale" / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "mineaction.po"
    shutil.copy(po_path("ru"), po)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MINEACTION_LOCALEDIR", str(tmp_path / "locale"))
    folder.chmod(0o555)
    # Root writes into a read-only folder: a folder where the compiled file would be written
    # stops it too.
    blocker = folder / f"mineaction.mo.{os.getpid()}.part"
    if os.access(folder, os.W_OK):
        blocker.mkdir()
    try:
        messages._translation.cache_clear()
        assert render("value.required", {}, "ru_RU") == messages.translator("ru").gettext(
            MESSAGES["value.required"]) != MESSAGES["value.required"]
        assert not (folder / "mineaction.mo").exists()
        assert len(list((tmp_path / "cache").rglob("ru-*.mo"))) == 1
    finally:
        folder.chmod(0o755)
        if blocker.exists():
            blocker.rmdir()
        messages._translation.cache_clear()

    # Writable: compiled beside it, and again once the .po is newer than its .mo.
    messages._translation.cache_clear()
    render("value.required", {}, "ru")
    mo = folder / "mineaction.mo"
    assert mo.exists()
    text = po.read_text(encoding="utf-8").replace('msgstr "обязательное значение отсутствует"',
                                                  'msgstr "ЗНАЧЕНИЕ НУЖНО"')
    po.write_text(text, encoding="utf-8")
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    messages._translation.cache_clear()
    try:
        assert render("value.required", {}, "ru") == "ЗНАЧЕНИЕ НУЖНО"
    finally:
        messages._translation.cache_clear()


@pytest.fixture(scope="module")
def bad_import(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An empty store, and a file of finds that it refuses (a date that does not exist)."""
    from mineaction.cli import main

    tmp_path = tmp_path_factory.mktemp("catalogues")
    db = tmp_path / "store.gpkg"
    assert main(["--db", str(db), "init"]) == 0
    bad = tmp_path / "finds.csv"
    bad.write_text("id,category,model,quantity,found_on,lon,lat\n"
                   "F-1,ap,PMN-2,1,2023-02-30,50.5,41.2\n", encoding="utf-8")
    return db, bad


def test_the_command_line_says_problems_in_russian_under_a_russian_lang(
        bad_import: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from mineaction.cli import main

    db, bad = bad_import
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    capsys.readouterr()
    assert main(["--db", str(db), "import", "finds", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "ожидалась дата в виде ГГГГ-ММ-ДД" in err and "'2023-02-30'" in err
    assert "1 ошибка" in err and "ничего не записано" in err
    assert err.startswith("ошибка:") and "поле 'found_on'" in err
    assert "expected a date" not in err
    assert "строка 2, поле 'found_on'" in err and "line 2" not in err  # where, in Russian

    monkeypatch.setenv("LC_ALL", "ka_GE.UTF-8")  # LC_ALL before LANG, as POSIX has it
    assert main(["--db", str(db), "import", "finds", str(bad)]) == 2
    assert "'2023-02-30'" in (err := capsys.readouterr().err) and "ГГГГ" not in err
    assert render("value.not_a_date", {"value": "2023-02-30"}, "ka") in err

    monkeypatch.setenv("LC_ALL", "C.UTF-8")  # C names no language: LANG's is used
    assert main(["--db", str(db), "import", "finds", str(bad)]) == 2
    assert "ожидалась дата" in capsys.readouterr().err
    assert main(["--db", str(db), "--lang", "hy", "import", "finds", str(bad)]) == 2
    assert render("value.not_a_date", {"value": "2023-02-30"}, "hy") in capsys.readouterr().err


TITLES = {"ru": "Пострадавшие от мин и взрывоопасных предметов",
          "az": "Mina və partlayıcı sursatlardan zərərçəkənlər",
          "hy": "Ականներից և պայթուցիկ զինամթերքից տուժածներ",
          "ka": "ნაღმებითა და ასაფეთქებელი საბრძოლო მასალით დაზარალებულები"}


def test_report_titles_and_headings_are_said_in_the_language_of_the_command_line(
        bad_import: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from mineaction.cli import main

    db, _ = bad_import
    capsys.readouterr()
    assert main(["--db", str(db), "report", "casualties", "--year", "2023"]) == 0
    english = capsys.readouterr().out
    assert "Casualties of mines and explosive ordnance" in english and "Killed" in english
    for lang, title in TITLES.items():
        assert main(["--db", str(db), "--lang", lang, "report", "casualties", "--year",
                     "2023"]) == 0
        out = capsys.readouterr().out
        heading = messages.translator(lang).gettext("Killed")
        assert title in out and heading in out and heading != "Killed", lang
        assert "Casualties of mines" not in out and "Period:" not in out, lang


@pytest.mark.real
def test_a_georgian_pdf_report_holds_its_georgian_title_in_a_font_that_has_georgian(
        bad_import: tuple[Path, Path], tmp_path: Path) -> None:
    """WeasyPrint with Debian's fonts (fonts-noto-core, DejaVu): the title is read back from
    the PDF by poppler, and a font embedded in it has the Georgian letters (no empty boxes)."""
    from mineaction.cli import main

    db, _ = bad_import
    out = tmp_path / "casualties-ka.pdf"
    assert main(["--db", str(db), "--lang", "ka", "report", "casualties", "--year", "2023",
                 "-o", str(out)]) == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert TITLES["ka"] in " ".join(text.split())
    listed = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    embedded = {line.split()[0].split("+")[-1].replace("-", " ").removesuffix(" Bold")
                for line in listed}
    georgian = subprocess.run(["fc-list", ":charset=10d0", "family"], capture_output=True,
                              text=True, check=True).stdout  # U+10D0, Georgian letter an
    having = {name.strip() for line in georgian.splitlines() for name in line.split(",")}
    assert embedded & having, (embedded, having)


def test_rows_named_by_a_vocabulary_code_are_labelled_for_people_not_for_machines() -> None:
    from mineaction.analysis.statistics import Period, Scope
    from mineaction.reports.localise import localise
    from mineaction.reports.model import Chart, Column, Report, Table, total_row
    from mineaction.reports.render import about_lines, as_json, html

    rep = Report("casualties", "Casualties of mines and explosive ordnance",
                 Scope(Period(dt.date(2023, 1, 1), dt.date(2023, 12, 31))))
    t = Table("by-device", "By device", [Column("device_category", "Device", numeric=False),
                                         Column("killed", "Killed", "people")])
    t.add({"device_category": "ap", "killed": 3})
    t.add({"device_category": "Alpha", "killed": 1})  # a name, not a code: as it is
    total_row(t)
    rep.tables = [t]
    rep.charts = [Chart("by-year", "Casualties per year", ["2023"], {"killed": [3.0]}, "people",
                        "the store")]
    assert localise(rep) is rep  # English: the report itself
    rep.locale = "ru"
    shown = localise(rep)
    assert [r["device_category"].value for r in shown.tables[0].all_rows()] == [
        "противопехотные мины", "Alpha", "Итого"]
    assert shown.tables[0].columns[1].title == "Погибшие" and shown.title == TITLES["ru"]
    (chart,) = shown.charts
    assert (chart.title, list(chart.series), chart.unit) == (
        "Пострадавшие по годам", ["погибшие"], "чел.")
    page = html(rep)
    assert '<html lang="ru">' in page and "Период: 2023" in page and "стр. " in page
    assert "противопехотные мины" in page
    assert about_lines(rep)[:2] == [("Отчёт", rep.title), ("Название", "casualties")]
    rep.locale = "pt_BR"  # no catalogue: English, said to be English
    assert '<html lang="en">' in html(rep) and "Period: 2023" in html(rep)
    machine = as_json(rep)  # codes and English headings stay for machines
    assert machine["tables"][0]["rows"][0]["device_category"]["value"] == "ap"
    assert rep.tables[0].rows[0]["device_category"].value == "ap"


def test_notes_are_said_in_the_reports_language_and_stay_english_for_machines() -> None:
    import pickle

    from markupsafe import escape

    from mineaction.analysis.statistics import Period, Scope
    from mineaction.reports.localise import localise
    from mineaction.reports.model import Column, Note, Report, Table
    from mineaction.reports.render import as_json, html

    rep = Report("casualties", "Casualties of mines and explosive ordnance",
                 Scope(Period(dt.date(2023, 1, 1), dt.date(2023, 12, 31))))
    t = Table("by-device", "By device", [Column("killed", "Killed", "people")])
    marks = Note("report.note_suppressed_marks", threshold=5)
    t.notes = [marks, "a note made elsewhere, in English"]
    t.withheld = Note("report.note_breakdown_withheld", threshold=5)
    rep.tables = [t]
    rep.notes = [Note("report.note_no_personal_data")]
    # in English a note is its text, and it survives a copy through pickle (report caches)
    assert marks == ("'<5': fewer than 5 people, not shown; 'x': 5 or more, not shown because "
                     "a hidden count could be worked out from it and the totals.")
    again = pickle.loads(pickle.dumps(marks))
    assert isinstance(again, Note) and again == marks and again.message == marks.message
    for lang in LANGUAGES:
        rep.locale = lang
        shown = localise(rep)
        said = shown.tables[0].notes[0]
        assert said != marks and "'<5'" in said and "'x'" in said, lang
        assert shown.tables[0].notes[1] == "a note made elsewhere, in English"
        assert shown.tables[0].withheld != t.withheld and "5" in shown.tables[0].withheld
        assert shown.notes[0] != rep.notes[0]
        page = html(rep)
        assert str(escape(shown.notes[0])) in page and str(escape(said)) in page
    machine = as_json(rep)  # machines read the English
    assert machine["notes"] == [rep.notes[0]] and machine["tables"][0]["notes"][0] == marks


def test_the_period_in_a_report_s_header_is_said_in_its_language() -> None:
    from mineaction.analysis.statistics import Period, Scope
    from mineaction.reports.model import Report

    half = Report("casualties", "Casualties", Scope(Period(dt.date(2023, 1, 1),
                                                           dt.date(2023, 6, 30))))
    every = Report("casualties", "Casualties", Scope())
    year = Report("casualties", "Casualties", Scope(Period.of(2023)))
    assert half.filter_text() == "Period: 2023-01-01 to 2023-06-30"
    assert every.filter_text() == "Period: all dates" and year.filter_text() == "Period: 2023"
    for rep in (half, every, year):
        rep.locale = "ru"
    assert half.filter_text().endswith("с 2023-01-01 по 2023-06-30")
    assert every.filter_text().endswith("все даты") and year.filter_text().endswith("2023")
    assert "all dates" not in every.filter_text()


def test_the_catalogues_say_the_glossary_s_terms_of_release() -> None:
    """docs/glossary.csv gives one term per concept and language; the catalogues use them."""
    import csv

    path = Path(__file__).resolve().parents[2] / "docs" / "glossary.csv"
    with path.open(encoding="utf-8") as fh:
        rows = {r["concept"]: r for r in csv.DictReader(fh)}
    assert all(all(r[c] for c in ("en", *LANGUAGES)) for r in rows.values())
    for lang in LANGUAGES:
        t = messages.translator(lang)
        for concept in ("cancelled", "reduced", "cleared"):
            assert t.pgettext("ReleaseOutcome", concept) == rows[concept][lang], (lang, concept)
        assert rows["nts"][lang].split(" (")[0] == t.pgettext("ActivityKind",
                                                              "non-technical survey")
        assert t.pgettext("HazardKind", "suspected hazardous area (SHA)") == rows["sha"][lang]

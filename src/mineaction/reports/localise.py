"""Reports in the reader's language: titles, column headings, units, notes, the words of the
report frame and the vocabulary terms a table's rows are named by, through the gettext
catalogues of the core (:mod:`mineaction.catalogues`; the English texts are the message ids;
a note is a message, :class:`~mineaction.reports.model.Note`).

A report is built in English, with codes as the keys of its rows (what CSV, JSON and
``--explain`` give, for machines); :func:`localise` gives the copy people read (screen, HTML,
PDF, XLSX) in the report's ``locale``. In English it is the report itself."""

from __future__ import annotations

import string
from dataclasses import replace
from functools import lru_cache
from typing import Any

from mineaction.messages import translator
from mineaction.reports.model import Cell, Chart, Note, Report, Table

#: The words around a report's tables, in English (message ids).
FRAME = {
    "period": "Period: {period}",
    "all_dates": "all dates",
    "span": "{start} to {end}",
    "area": "; area: {area}",
    "generated": "generated {date}",
    "store": "store {store}",
    "synthetic": "SYNTHETIC DATA",
    "synthetic_note": ("SYNTHETIC DATA: every figure below comes from\ndemonstration records, "
                       "not from a real programme."),
    "no_records": "No records in this period.",
    "sources": "Sources",
    "source": "source: {source}",
    "page": "page {page} of {pages}",
    "total": "Total",
    # the 'About' sheet of XLSX
    "about": "About",
    "about_report": "Report",
    "about_name": "Name",
    "about_filter": "Filter",
    "about_filter_json": "Filter (JSON)",
    "about_generated": "Generated",
    "about_store": "Store",
    "about_data": "Data",
    "about_synthetic": "SYNTHETIC: demonstration data, not real figures",
    "about_suppression": "Suppression",
    "about_suppressed": "counts of people below {threshold} are not shown",
    "about_source": "Source",
    "about_note": "Note",
    "about_table_note": "Note ({table})",
}


def extra() -> list[str]:
    """Headings the report definitions make from tables of words rather than literal
    arguments (casualty dimensions, methods of release, groups of people)."""
    from mineaction.analysis.statistics import METHODS
    from mineaction.planning.priority import CRITERIA
    from mineaction.reports.definitions import BY, DIMENSIONS
    from mineaction.reports.eore import PEOPLE
    from mineaction.reports.planning import criterion_title

    out = [t for _, title, head in DIMENSIONS for t in (title, head)]
    out += [t for _, title, head in BY.values() for t in (title, head)]
    out += [m.capitalize() for m in METHODS]
    out += [p.capitalize() for p in PEOPLE]
    out += ["Cleared, AP only", "Cleared, AP and AV", "Cleared, all AP mined area",
            "Reduced by TS", "Cancelled by NTS"]
    out += ["released", "AP only", "AP and AV"]  # series of charts
    out += [criterion_title(k) for k in CRITERIA]  # columns of the ranked-tasks report
    return list(dict.fromkeys(out))



def spoken(locale: str) -> str:
    """The language a report in ``locale`` is written in, as HTML's ``lang`` names it: "ru"
    for "ru_RU"; "en" where there is no catalogue for ``locale``."""
    import gettext

    if locale == "en" or type(translator(locale)) is gettext.NullTranslations:
        return "en"
    return locale.replace("_", "-").split("-")[0]


def words(locale: str) -> dict[str, str]:
    """:data:`FRAME` in ``locale``."""
    if locale == "en":
        return dict(FRAME)
    t = translator(locale)
    return {k: t.gettext(v) for k, v in FRAME.items()}


def css_counter(text: str) -> str:
    """"page {page} of {pages}" as the ``content`` of a CSS page margin box:
    ``"page " counter(page) " of " counter(pages)``."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(text):
        if literal:
            parts.append('"' + literal.replace("\\", "\\\\").replace('"', '\\"') + '"')
        if name:
            parts.append(f"counter({name})")
    return " ".join(parts)


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, tuple[str, str]]:
    """code -> (vocabulary name, English label), the first vocabulary that has the code."""
    from mineaction.domain.vocabulary import LABELS

    out: dict[str, tuple[str, str]] = {}
    for member, text in LABELS.items():
        out.setdefault(member.value, (type(member).__name__, text))
    return out


def label(code: str, locale: str) -> str:
    """The label of a vocabulary code in ``locale`` ("ap" -> "противопехотные мины"); the code
    itself in English, or when it is no vocabulary's code."""
    if locale == "en" or code not in _vocabulary():
        return code
    context, text = _vocabulary()[code]
    found = translator(locale).pgettext(context, text)
    return code if found == text else found


def title(report: Report, locale: str) -> str:
    """The report's title in ``locale``: its translation, or the translation of the title of
    its definition that it begins with ("Quarterly progress report, 2024 Q1")."""
    from mineaction.reports.definitions import REPORTS

    t = translator(locale)
    found = t.gettext(report.title)
    if found != report.title:
        return found
    base = REPORTS[report.name].title if report.name in REPORTS else None
    if base and report.title.startswith(base):
        return t.gettext(base) + report.title[len(base):]
    return report.title


def note(text: str, locale: str) -> str:
    """A note in ``locale``: the message of a :class:`~mineaction.reports.model.Note`, else the
    text's translation when the catalogue has it (notes made elsewhere, in English)."""
    if isinstance(text, Note):
        return text.text(locale)
    return translator(locale).gettext(text)


def _key_cell(cell: Cell, locale: str) -> Cell:
    if isinstance(cell.value, str) and not cell.suppressed:
        return replace(cell, value=label(cell.value, locale))
    return cell


def _table(table: Table, locale: str) -> Table:
    t = translator(locale)
    columns = [replace(c, title=t.gettext(c.title), unit=t.gettext(c.unit) if c.unit else c.unit)
               for c in table.columns]
    key = table.key_column
    rows = [{**row, key: _key_cell(row[key], locale)} for row in table.rows]
    total: dict[str, Any] | None = None
    if table.total is not None:
        head = table.total[key]
        total = {**table.total, key: replace(head, value=t.gettext(head.value))
                 if isinstance(head.value, str) else head}
    return replace(table, title=note(table.title, locale), columns=columns, rows=rows,
                   total=total, notes=[note(n, locale) for n in table.notes],
                   withheld=note(table.withheld, locale) if table.withheld else table.withheld)


def _chart(chart: Chart, locale: str) -> Chart:
    t = translator(locale)

    def series(name: str) -> str:
        found = label(name, locale)
        return found if found != name else t.gettext(name)

    return replace(chart, title=t.gettext(chart.title), unit=t.gettext(chart.unit),
                   source=note(chart.source, locale),
                   notes=[note(n, locale) for n in chart.notes],
                   series={series(k): v for k, v in chart.series.items()},
                   marks={series(k): v for k, v in chart.marks.items()})


def localise(report: Report) -> Report:
    """The report as people read it in its ``locale`` (itself in English, or once done)."""
    if report.locale == "en" or report.localised:
        return report
    return replace(report, title=title(report, report.locale),
                   notes=[note(n, report.locale) for n in report.notes],
                   sources=[note(s, report.locale) for s in report.sources],
                   credits=[note(c, report.locale) for c in report.credits],
                   tables=[_table(t, report.locale) for t in report.tables],
                   charts=[_chart(c, report.locale) for c in report.charts], localised=True)

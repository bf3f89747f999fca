"""Rendering a report: CSV (one file per table), XLSX (a sheet per table and an 'About' sheet),
HTML (tables and SVG charts), PDF (the same HTML through WeasyPrint) and JSON (every cell in
full precision, for machines).

CSV and XLSX never carry a live formula: text a spreadsheet would run (an area named
``=HYPERLINK(...)``) gets a leading single quote, and XLSX cells are strings or numbers,
never formulas (``mineaction.io.writers.spreadsheet_text``)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from mineaction.io.writers import spreadsheet_text, xlsx_row
from mineaction.reports.localise import css_counter, localise, spoken, words
from mineaction.reports.model import Cell, Column, Report, Table

FORMATS = ("csv", "xlsx", "html", "pdf", "json")


def plain(cell: Cell, col: Column) -> Any:
    """A cell's value for machine-readable output: a suppressed count becomes '<N' (fewer than
    N) or 'x' (N or more, hidden so that a small count cannot be worked out), as on screen."""
    if cell.suppressed:
        return cell.mark
    v = cell.value
    if isinstance(v, float) and col.numeric:
        if col.decimals:
            return round(v, col.decimals)
        return int(v) if v.is_integer() else round(v, 1)
    return v


def shown(cell: Cell, col: Column, threshold: int) -> str:
    """A cell as people read it: thousands separators, '<5' for a suppressed count."""
    if cell.suppressed:
        return "x" if cell.secondary else f"<{cell.below or threshold}"
    v = cell.value
    if v is None:
        return ""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if col.decimals:
        return f"{v:,.{col.decimals}f}"
    return f"{round(v):,}"


def table_csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([spreadsheet_text(c.name) for c in table.columns])
    for row in table.all_rows():
        w.writerow([spreadsheet_text(plain(row[c.name], c)) for c in table.columns])
    return buf.getvalue()


def write_csv(report: Report, path: Path) -> list[Path]:
    """One table: ``path``. Several: ``<stem>-<table>.csv`` beside it, one per table."""
    if len(report.tables) == 1:
        path.write_text(table_csv(report.tables[0]), encoding="utf-8")
        return [path]
    out = []
    for t in report.tables:
        p = path.with_name(f"{path.stem}-{t.name}{path.suffix or '.csv'}")
        p.write_text(table_csv(t), encoding="utf-8")
        out.append(p)
    return out


def about_lines(report: Report) -> list[tuple[str, str]]:
    w = words(report.locale)
    lines = [(w["about_report"], report.title), (w["about_name"], report.name),
             (w["about_filter"], report.filter_text()),
             (w["about_filter_json"], json.dumps(report.scope.describe(), ensure_ascii=False)),
             (w["about_generated"], report.generated_on.isoformat())]
    if report.store:
        lines.append((w["about_store"], report.store))
    if report.synthetic:
        lines.append((w["about_data"], w["about_synthetic"]))
    if report.suppress_below:
        lines.append((w["about_suppression"],
                      w["about_suppressed"].format(threshold=report.suppress_below)))
    lines += [(w["about_source"], s) for s in report.sources]
    lines += [(w["about_note"], n) for n in report.notes]
    for t in report.tables:
        lines += [(w["about_table_note"].format(table=t.name), n) for n in t.notes]
    return lines


def write_xlsx(report: Report, path: Path) -> list[Path]:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    report = localise(report)
    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = words(report.locale)["about"][:31]
    for k, v in about_lines(report):
        xlsx_row(about, [k, v])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 100
    for t in report.tables:
        ws = wb.create_sheet(t.name[:31])
        xlsx_row(ws, [c.title + (f" ({c.unit})" if c.unit else "") for c in t.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in t.all_rows():
            xlsx_row(ws, [plain(row[c.name], c) for c in t.columns])
        if t.total:
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
        for i, c in enumerate(t.columns):
            ws.column_dimensions[chr(65 + i)].width = max(12, min(40, len(c.title) + 6))
    wb.save(path)
    return [path]


TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ r.title }}</title>
<style>
@page { size: A4 {{ orientation }}; margin: 14mm 12mm 16mm 12mm;
  @bottom-left { content: "{{ footer }}"; font-size: 7pt; color: #555;
    font-family: "Noto Sans", "DejaVu Sans", sans-serif; }
  @bottom-right { content: {{ page_counter }}; font-size: 7pt;
    font-family: "Noto Sans", "DejaVu Sans", sans-serif; } }
body { font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 9pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 2mm 0; } h2 { font-size: 11pt; margin: 5mm 0 1.5mm 0; }
.meta { color: #333; margin: 0 0 1mm 0; }
.synthetic { border: 1.5pt solid #b00; color: #b00; font-weight: bold; padding: 1.5mm;
  margin: 2mm 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5mm; table-layout: auto; }
th, td { border-bottom: 0.5pt solid #bbb; padding: 0.8mm 1.5mm; text-align: left;
  vertical-align: top; }
th { background: #eee; font-weight: bold; }
td.num { text-align: right; white-space: nowrap; } th.num { text-align: right; }
table.narrow { width: auto; min-width: 45%; }
tr.total td { font-weight: bold; border-top: 1pt solid #333; }
td.suppressed { color: #777; font-style: italic; }
.note { font-size: 7.5pt; color: #444; margin: 0 0 1mm 0; }
.chart { page-break-inside: avoid; margin: 3mm 0; }
.chart svg { width: 180mm; max-width: 100%; height: auto; }
section { page-break-inside: auto; } thead { display: table-header-group; }
</style></head><body>
<h1>{{ r.title }}</h1>
<p class="meta">{{ r.filter_text() }} · {{ w.generated.format(date=r.generated_on.isoformat()) }}
{% if r.store %} · {{ w.store.format(store=r.store) }}{% endif %}</p>
{% if r.synthetic %}<p class="synthetic">{{ w.synthetic_note }}</p>{% endif %}
{% for n in r.notes %}<p class="note">{{ n }}</p>{% endfor %}
{% for t in r.tables %}<section>
<h2>{{ t.title }}</h2>
<table class="{{ 'narrow' if t.columns|length <= 3 else '' }}"><thead><tr>
{% for c in t.columns %}<th class="{{ 'num' if c.numeric else '' }}">
{{ c.title }}{% if c.unit %} ({{ c.unit }}){% endif %}</th>{% endfor %}</tr></thead><tbody>
{% for row in t.rows %}<tr>{% for c in t.columns %}{% set cell = row[c.name] %}
<td class="{{ 'num' if c.numeric else '' }}{{ ' suppressed' if cell.suppressed else '' }}">
{{ fmt(cell, c) }}</td>{% endfor %}</tr>{% endfor %}
{% if t.total %}<tr class="total">{% for c in t.columns %}
<td class="{{ 'num' if c.numeric else '' }}">{{ fmt(t.total[c.name], c) }}</td>{% endfor %}
</tr>{% endif %}
</tbody></table>
{% if not t.rows %}<p class="note">{{ w.no_records }}</p>{% endif %}
{% for n in t.notes %}<p class="note">{{ n }}</p>{% endfor %}
</section>{% endfor %}
{% for svg in charts %}<div class="chart">{{ svg | safe }}</div>{% endfor %}
<h2>{{ w.sources }}</h2>
{% for s in r.sources %}<p class="note">{{ s }}</p>{% endfor %}
</body></html>
"""


def html(report: Report) -> str:
    from mineaction.reports.charts import svg

    report = localise(report)
    w = words(report.locale)
    env = Environment(autoescape=select_autoescape(default=True))
    template = env.from_string(TEMPLATE)
    widest = max((len(t.columns) for t in report.tables), default=0)
    footer = f"{report.title} · {report.filter_text()}"
    if report.synthetic:
        footer += f" · {w['synthetic']}"
    footer = footer.replace('"', "'")
    charts = [svg(c, locale=report.locale) for c in report.charts]
    return template.render(r=report, charts=charts,
                           fmt=lambda cell, col: shown(cell, col, report.suppress_below),
                           orientation="landscape" if widest >= 6 else "portrait",
                           footer=footer, w=w, lang=spoken(report.locale),
                           page_counter=Markup(css_counter(w["page"])))


def write_html(report: Report, path: Path) -> list[Path]:
    path.write_text(html(report), encoding="utf-8")
    return [path]


def write_pdf(report: Report, path: Path) -> list[Path]:
    from weasyprint import HTML

    HTML(string=html(report)).write_pdf(str(path))
    return [path]


#: Layers whose records are people: while counts are suppressed their ids are never listed
#: beside a figure, since the lists under two cells intersect into a count no table shows
#: (the civilian women killed in one year, say), and an id can single a person out.
PEOPLE = frozenset({"victims"})
#: Said where such a list is withheld.
PEOPLE_NOT_LISTED = ("records of victims are not listed while counts are suppressed "
                     "(--suppress-below 0 lists them)")


def lists_records(layer: str, threshold: int) -> bool:
    """Whether the ids of a figure's records of ``layer`` may be listed beside it."""
    return not (threshold and layer in PEOPLE)


def json_cell(cell: Cell, col: Column, threshold: int) -> dict[str, Any]:
    """A cell in full precision: its exact value, what a reader is shown, whether it is
    suppressed ("primary": below the threshold; "secondary": hidden so that a primary one cannot
    be worked out) and the records and filter behind it.

    A suppressed cell's value and records are never written (``value`` is null), nor the ids
    of people while counts are suppressed (:func:`lists_records`): the JSON is as public as
    the printed table."""
    out: dict[str, Any] = {"shown": shown(cell, col, threshold)}
    if cell.suppressed:
        out.update(value=None, suppressed="secondary" if cell.secondary else "primary")
        return out
    v = cell.value
    out.update(value=v if v is None or isinstance(v, (bool, int, float, str)) else str(v),
               suppressed=None)
    if cell.figure is not None:
        listed = lists_records(cell.figure.layer, threshold)
        out.update(layer=cell.figure.layer,
                   records=list(cell.figure.ids) if listed else [],
                   filter=cell.figure.criteria)
        if not listed:
            out["note"] = PEOPLE_NOT_LISTED
    return out


def as_json(report: Report) -> dict[str, Any]:
    """The report as one JSON document: every table with every cell in full precision (CSV and
    XLSX round), the report's filter, notes and sources."""
    threshold = report.suppress_below

    def row(r: dict[str, Cell], t: Table) -> dict[str, Any]:
        return {c.name: json_cell(r[c.name], c, threshold) for c in t.columns}

    return {
        "report": report.name, "title": report.title, "filter": report.scope.describe(),
        "filter_text": report.filter_text(), "generated_on": report.generated_on.isoformat(),
        "store": report.store, "synthetic": report.synthetic, "suppress_below": threshold,
        "notes": list(report.notes), "sources": list(report.sources),
        "credits": list(report.credits),
        "tables": [{
            "name": t.name, "title": t.title, "key": t.key_column,
            "columns": [{"name": c.name, "title": c.title, "unit": c.unit,
                         "numeric": c.numeric, "decimals": c.decimals} for c in t.columns],
            "rows": [row(r, t) for r in t.rows],
            "total": row(t.total, t) if t.total else None,
            "summed": list(t.summed), "notes": list(t.notes), "withheld": t.withheld}
            for t in report.tables]}


def json_text(report: Report) -> str:
    return json.dumps(as_json(report), ensure_ascii=False, indent=1, default=str) + "\n"


def write_json(report: Report, path: Path) -> list[Path]:
    path.write_text(json_text(report), encoding="utf-8")
    return [path]


def write(report: Report, path: Path, fmt: str | None = None) -> list[Path]:
    fmt = fmt or path.suffix.lower().lstrip(".")
    writers = {"csv": write_csv, "xlsx": write_xlsx, "html": write_html, "pdf": write_pdf,
               "json": write_json}
    if fmt not in writers:
        from mineaction.errors import InvalidInput

        raise InvalidInput.of("report.unknown_format", fmt=fmt, formats=", ".join(FORMATS))
    return writers[fmt](report, path)


def explain(report: Report, table: str | None = None, row: str | None = None,
            column: str | None = None) -> list[dict[str, Any]]:
    """For every cell (or the ones asked for), its value, filter and the records behind it."""
    out = []
    for t in report.tables:
        if table and t.name != table:
            continue
        for r in t.all_rows():
            key = str(r[t.key_column].value)
            if row and key != row:
                continue
            for c in t.columns[1:]:
                if column and c.name != column:
                    continue
                cell = r[c.name]
                if cell.figure is None:
                    continue
                item = {"table": t.name, "row": key, "column": c.name,
                        **cell.figure.explain()}
                if cell.suppressed:
                    # Neither the value nor the number of records behind it.
                    item["value"] = item["records"] = cell.mark
                    item["ids"] = []
                    item["note"] = "suppressed: records are not listed"
                elif not lists_records(cell.figure.layer, report.suppress_below):
                    item["ids"] = []  # only the count (see PEOPLE)
                    item["note"] = PEOPLE_NOT_LISTED
                out.append(item)
    return out

"""The HTML pages of the API: one plain template (a title, links, tables), Jinja2 with
autoescaping, so that stored text is shown as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jinja2

PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.synthetic{color:#a60}</style></head>
<body>
<h1>{{ title }}</h1>
{% if description %}<p>{{ description }}</p>{% endif %}
{% if links %}<ul>{% for l in links %}
<li><a href="{{ l.href }}">{{ l.title or l.rel }}</a>
 ({{ l.rel }}{% if l.type %}, {{ l.type }}{% endif %})</li>
{% endfor %}</ul>{% endif %}
{% for t in tables %}
{% if t.title %}<h2>{{ t.title }}</h2>{% endif %}
<table><thead><tr>{% for c in t.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in t.rows %}<tr>{% for cell in row %}<td>
{%- if cell is mapping %}<a href="{{ cell.href }}">{{ cell.text }}</a>
{%- else %}{{ cell }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endfor %}
</body></html>
"""


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]
    title: str | None = None


@dataclass
class Page:
    title: str
    links: list[dict[str, Any]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    description: str | None = None


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(PAGE)


def render(page: Page, lang: str = "en") -> str:
    return _template().render(title=page.title, description=page.description,
                              links=[{"href": link.get("href"), "rel": link.get("rel"),
                                      "type": link.get("type"), "title": link.get("title")}
                                     for link in page.links],
                              tables=page.tables, lang=lang.split("_")[0])

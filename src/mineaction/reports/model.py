"""What a report is, independent of how it is rendered: tables of cells and charts.

Every cell that holds a computed figure keeps the :class:`~mineaction.analysis.statistics.Figure`
it came from (layer, record ids, filter), so that any cell can be explained and every total can
be checked against the rows above it and against a recount of the exported records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mineaction.analysis.statistics import Figure, Scope
from mineaction.messages import Note as Note  # reports make their notes with it


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    unit: str | None = None  # "m²", "km²", "items", "people", ...
    numeric: bool = True
    decimals: int = 0


@dataclass
class Cell:
    value: Any
    figure: Figure | None = None
    suppressed: bool = False  # a public count not shown: below the threshold, or ...
    secondary: bool = False  # ... hidden because a small one could be worked out from it
    below: int = 0  # the threshold it was hidden under: printed '<below', or 'x' when secondary

    @property
    def mark(self) -> str:
        """How a hidden cell is printed: '<5' (fewer than 5) or 'x' (5 or more, hidden so that a
        small count cannot be worked out)."""
        return "x" if self.secondary else f"<{self.below}" if self.below else "suppressed"

    @property
    def shown(self) -> Any:
        return None if self.suppressed else self.value


@dataclass
class Table:
    name: str  # machine name: "districts", "by-year"
    title: str
    columns: list[Column]
    rows: list[dict[str, Cell]] = field(default_factory=list)
    total: dict[str, Cell] | None = None
    notes: list[str] = field(default_factory=list)
    summed: tuple[str, ...] = ()  # columns whose total is the sum of the rows
    land: tuple[str, ...] = ()  # columns of released land: the total is the union of the rows
    #: Why the rows are not shown, when a breakdown of people is too fine to publish: rows
    #: removed, total row kept.
    withheld: str | None = None
    #: The day a table of a state (hazards open, contamination remaining) describes.
    as_of: dt.date | None = None

    def add(self, values: dict[str, Any]) -> dict[str, Cell]:
        row = {c.name: v if isinstance(v, Cell) else Cell(v) for c, v in
               ((c, values.get(c.name)) for c in self.columns)}
        self.rows.append(row)
        return row

    @property
    def key_column(self) -> str:
        return self.columns[0].name

    def cell(self, row_key: str, column: str) -> Cell:
        for row in self.all_rows():
            if str(row[self.key_column].value) == row_key:
                return row[column]
        raise KeyError(f"table {self.name} has no row {row_key!r}")

    def all_rows(self) -> list[dict[str, Cell]]:
        return self.rows + ([self.total] if self.total else [])


@dataclass
class Chart:
    name: str
    title: str
    categories: list[str]
    series: dict[str, list[float]]
    unit: str
    source: str
    stacked: bool = False
    horizontal: bool = False
    #: series -> per category, what is known of a hidden value: '<5' (fewer than 5), '>=5' (5 or
    #: more; printed 'x'), '' when shown. Such a bar is drawn as a hatched range, never as a bar
    #: of its (unknown) height or of 0
    marks: dict[str, list[str]] = field(default_factory=dict)
    #: sentences said after the source line (how hidden counts are drawn)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    name: str
    title: str
    scope: Scope
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # where the records shown come from
    credits: list[str] = field(default_factory=list)  # credit lines owed to data providers
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False
    suppress_below: int = 0
    generated_on: dt.date = field(default_factory=dt.date.today)
    store: str | None = None
    locale: str = "en"  # the language people read it in (reports.localise)
    localised: bool = False  # its texts are in that language already

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"report {self.name} has no table {name!r}")

    def filter_text(self) -> str:
        from mineaction.reports.localise import words

        w = words(self.locale)
        text = w["period"].format(period=self.scope.period.said(w["all_dates"], w["span"]))
        if self.scope.area:
            text += w["area"].format(area=self.scope.area)
        return text


def total_row(table: Table, label: str = "Total", columns: tuple[str, ...] | None = None
              ) -> dict[str, Cell]:
    """A total row: for each summed column, the sum of the rows' values, with the union of their
    records (a record behind two rows is counted once in the records, never in the value)."""
    cols = columns if columns is not None else tuple(c.name for c in table.columns[1:]
                                                     if c.numeric)
    total: dict[str, Cell] = {c.name: Cell(None) for c in table.columns}
    total[table.key_column] = Cell(label)
    for name in cols:
        value: float = 0
        ids: set[str] = set()
        layer = None
        common: dict[str, Any] | None = None  # the filter all the rows share
        for row in table.rows:
            cell = row[name]
            if isinstance(cell.value, (int, float)):
                value += cell.value
            if cell.figure:
                ids.update(cell.figure.ids)
                layer = cell.figure.layer
                crit = cell.figure.criteria
                common = dict(crit) if common is None else {
                    k: v for k, v in common.items() if k in crit and crit[k] == v}
        criteria = {**(common or {}), "rule": f"sum of the rows of {name}"}
        fig = Figure(value, layer or "", sorted(ids), criteria, len(ids)) if layer else None
        total[name] = Cell(value, fig)
    table.total = total
    table.summed = cols
    return total

"""What an outsider can work out from printed counts of people, by linear programming.

Written apart from :mod:`mineaction.reports.suppression` on purpose: it reads only printed text
(the CSV or JSON a user gets), builds the linear system an outsider can build from it, and asks
``scipy.optimize.linprog`` for the smallest and largest value of every hidden cell. A hidden cell
whose smallest and largest values are equal has been disclosed.

The outsider's knowledge: every cell is a count (>= 0); a printed number is exact; ``<N`` is in
[1, N-1]; ``x`` is at least N (it is not small, and zero is never hidden), and with no threshold
printed anywhere at least 1; each row's killed + injured = total; each column's rows add up to
its ``Total`` row; the total rows of the tables of one output are the same numbers.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy.optimize import linprog

MARK = re.compile(r"^<(\d+)$")


@dataclass
class Printed:
    """One printed table: its name, column names and rows of text (the first column the key)."""

    name: str
    columns: list[str]
    rows: list[list[str]]

    @property
    def body(self) -> list[list[str]]:
        return [r for r in self.rows if r[0] != "Total"]

    @property
    def total(self) -> list[str] | None:
        return next((r for r in self.rows if r[0] == "Total"), None)


def parse_sections(text: str) -> list[Printed]:
    """The tables of ``report ... --format csv`` on stdout (``# name`` before each when there
    are several)."""
    tables: list[Printed] = []
    name, lines = "table", []  # type: ignore[var-annotated]

    def flush() -> None:
        if lines:
            rows = list(csv.reader(io.StringIO("\n".join(lines))))
            tables.append(Printed(name, rows[0], rows[1:]))

    for line in text.splitlines():
        if line.startswith("# "):
            flush()
            name, lines = line[2:].strip(), []
        elif line.strip():
            lines.append(line)
    flush()
    return tables


def section(text: str, name: str) -> Printed:
    return next(t for t in parse_sections(text) if t.name == name)


@dataclass
class Outsider:
    """The linear system an outsider builds: one variable per printed cell."""

    names: list[str] = field(default_factory=list)
    bounds: list[tuple[float, float | None]] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)
    equations: list[dict[int, float]] = field(default_factory=list)
    threshold: int = 0  # read from the '<N' marks

    def cell(self, name: str, text: str) -> int:
        """A variable for a printed cell ('12', '<5', 'x', or a number)."""
        text = str(text).strip()
        index = len(self.names)
        self.names.append(name)
        m = MARK.match(text)
        if m:
            self.threshold = max(self.threshold, int(m.group(1)))
            self.bounds.append((1, int(m.group(1)) - 1))
            self.hidden.append(index)
        elif text == "x":
            self.bounds.append((-1, None))  # set once the threshold is known
            self.hidden.append(index)
        else:
            v = float(text.replace(",", ""))
            self.bounds.append((v, v))
        return index

    def equal(self, left: Iterable[int], right: Iterable[int]) -> None:
        """sum(left) = sum(right)."""
        eq: dict[int, float] = {}
        for i in left:
            eq[i] = eq.get(i, 0) + 1
        for i in right:
            eq[i] = eq.get(i, 0) - 1
        self.equations.append(eq)

    def _solve(self, c: list[float], bounds: list[tuple[float, float | None]],
               integral: bool) -> Any:
        n = len(self.names)
        a_eq = [[eq.get(i, 0.0) for i in range(n)] for eq in self.equations] or None
        b_eq = [0.0] * len(self.equations) or None
        return linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs",
                       integrality=[1] * n if integral else None)

    def _bounds(self) -> list[tuple[float, float | None]]:
        return [(max(self.threshold, 1), None) if lo == -1 else (lo, hi)
                for lo, hi in self.bounds]

    def range_of(self, name: str, integral: bool = False) -> tuple[float, float]:
        """The smallest and largest value of one cell (infinity when unbounded)."""
        i = self.names.index(name)
        out = []
        for sign in (1.0, -1.0):
            c = [0.0] * len(self.names)
            c[i] = sign
            res = self._solve(c, self._bounds(), integral)
            if res.status == 3 or (res.status == 4 and sign < 0):
                out.append(float("inf"))
                continue
            assert res.status == 0, f"the printed figures are inconsistent: {res.message}"
            out.append(float(res.x[i]))
        return out[0], out[1]

    def disclosed(self, integral: bool = False) -> dict[str, float]:
        """Hidden cells whose value the outsider can work out exactly, with that value.

        Two solutions of the system that differ in a cell prove it undetermined; the cells no
        pair of solutions tells apart are then minimised and maximised one by one. With
        ``integral`` the cells are whole numbers (an integer programme, which can only narrow
        the ranges the linear programme gives)."""
        if not self.hidden:
            return {}
        bounds = self._bounds()
        seen: dict[int, set[float]] = {i: set() for i in self.hidden}
        undecided = list(self.hidden)
        rng = random.Random(7)  # varied directions find distinct solutions; fixed: repeatable
        idle = 0
        while undecided and idle < 2:
            before = len(undecided)
            c = [0.0] * len(self.names)
            for i in undecided:
                c[i] = rng.uniform(-1.0, 1.0)
            for sign in (1.0, -1.0):
                res = self._solve([sign * v for v in c], bounds, integral)
                if res.status == 0:
                    for i in self.hidden:
                        seen[i].add(round(float(res.x[i]), 6))
                else:  # unbounded along this direction: the other one still tells
                    assert res.status in (3, 4), res.message
            undecided = [i for i in undecided if len(seen[i]) < 2]
            idle = idle + 1 if len(undecided) == before else 0
        found = {}
        for i in self.hidden:
            if len(seen[i]) > 1:
                continue
            lo, hi = self.range_of(self.names[i], integral)
            if hi - lo < (0.5 if integral else 1e-7):
                found[self.names[i]] = lo
        return found


def add_tables(out: Outsider, tables: Sequence[Printed], columns: Sequence[str], *,
               row_total: str | None = "total", shared_totals: bool = True) -> None:
    """The cells of printed tables and the relations their layout shows."""
    shared: dict[str, int] = {}
    for t in tables:
        at = {c: t.columns.index(c) for c in columns}
        grid: list[dict[str, int]] = []
        for row in t.rows:
            grid.append({c: out.cell(f"{t.name}/{row[0]}/{c}", row[at[c]]) for c in columns})
        total = next((g for g, row in zip(grid, t.rows, strict=True) if row[0] == "Total"),
                     None)
        body = [g for g, row in zip(grid, t.rows, strict=True) if row[0] != "Total"]
        if row_total:
            for g in grid:
                out.equal([g[c] for c in columns if c != row_total], [g[row_total]])
        if total is not None:
            for c in columns:
                if body:  # a withheld breakdown prints its total row alone: no sum to state
                    out.equal([g[c] for g in body], [total[c]])
                if shared_totals:
                    if c in shared:
                        out.equal([shared[c]], [total[c]])
                    else:
                        shared[c] = total[c]

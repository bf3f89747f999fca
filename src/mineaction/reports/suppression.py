"""Suppression of small counts of people, primary and complementary, over the sums a reader
can see.

A public table of counts of people hides every count from 1 to ``threshold - 1`` (primary
suppression, printed ``<5``; zero stays shown). That alone is not enough: a hidden count beside
a row total and the other cells of its row is the difference of printed numbers, and the tables
of one report share their grand totals (a report's tables by year, by group, by sex ... all
count the same people), so a hidden cell can be worked out across tables too. This module keeps
cells hidden until none can be worked out (complementary suppression, printed ``x``).

The model is what an outsider can build from the printed output alone:

- every cell is a non-negative whole number; a printed one is known exactly;
- a ``<N`` cell lies in [1, N-1]; an ``x`` cell is at least N (it was not small, and zero is
  never hidden);
- the additive relations the layout shows: each row's parts add up to its total, each column's
  rows add up to its total row, and total rows that count the same people in several tables
  are one quantity.

A hidden cell is protected when its smallest and largest possible values under all of that
differ. :func:`protect` checks each hidden cell with two integer linear programmes
(``scipy.optimize.linprog``, HiGHS). While one is determined, it hides the printed cells that
let it move at least cost: one more integer programme per direction, in which any printed
non-zero cell may be released to what a reader would allow an ``x`` (at least the threshold) at
a cost of its value, cells of total rows costing more than all other cells together (they are
hidden only when nothing else will do). Each table is protected on its own first, then all of
them together. The result depends only on the cells and their order, so the same table always
comes out the same way.

Where users go wrong: protection holds for one output at a time (one report, one comparison).
Two outputs over overlapping periods or areas can still be subtracted from each other; publish
one period and one area breakdown at a time, or protect them together.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from mineaction.reports.model import Cell, Table

#: States of a quantity.
SHOWN, PRIMARY, SECONDARY = "shown", "primary", "secondary"


@dataclass
class Quantity:
    """One number a reader sees in one or more cells (a grand total printed in six tables is one
    quantity)."""

    value: int
    cells: list[Cell]
    marginal: bool  # a total-row cell: hidden only when no body cell will do
    order: int
    state: str = SHOWN


Programme = tuple[list[int], list[list[float]], list[float]]


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what the solver writes to standard output to standard error meanwhile: some HiGHS
    versions print a stray line from their MIP code (ERGO-Code/HiGHS#2783), which would break
    a CSV or JSON written to standard output."""
    try:
        out, err = sys.__stdout__.fileno(), sys.__stderr__.fileno()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):  # no real descriptors (embedded, captured)
        yield
        return
    sys.__stdout__.flush()  # type: ignore[union-attr]
    saved = os.dup(out)
    os.dup2(err, out)
    try:
        yield
    finally:
        os.dup2(saved, out)
        os.close(saved)


def solve(*args: Any, **kwargs: Any) -> Any:
    """``scipy.optimize.linprog`` (HiGHS), its stray output kept off standard output."""
    from scipy.optimize import linprog

    with _stdout_to_stderr():
        return linprog(*args, method="highs", **kwargs)

@dataclass
class System:
    """Quantities and the linear relations between them that a reader can see."""

    threshold: int
    quantities: list[Quantity] = field(default_factory=list)
    equations: list[dict[int, int]] = field(default_factory=list)  # index -> coefficient; = 0
    #: the relations of each table (or other part), protected one part at a time first
    parts: dict[Hashable, list[int]] = field(default_factory=dict)
    #: hidden quantities that the marks and relations give away whatever else is hidden
    exposed: set[int] = field(default_factory=set)
    _keys: dict[Hashable, int] = field(default_factory=dict)

    def quantity(self, value: float | int, cell: Cell | None = None, *,
                 key: Hashable | None = None, marginal: bool = False) -> int:
        """The index of a quantity; cells added under the same ``key`` are one quantity."""
        if key is not None and key in self._keys:
            q = self.quantities[self._keys[key]]
            if int(round(value)) != q.value:
                raise ValueError(f"quantity {key!r} printed as {q.value} and {value}")
            if cell is not None:
                q.cells.append(cell)
            return self._keys[key]
        self.quantities.append(Quantity(int(round(value or 0)), [cell] if cell else [],
                                        marginal, len(self.quantities)))
        index = len(self.quantities) - 1
        if key is not None:
            self._keys[key] = index
        return index

    def equation(self, terms: dict[int, int], part: Hashable = None) -> None:
        """Add ``sum(coefficient * quantity) = 0``; the values must satisfy it."""
        terms = {i: c for i, c in terms.items() if c}
        if not terms:
            return
        total = sum(c * self.quantities[i].value for i, c in terms.items())
        if total != 0:
            raise ValueError(f"the values do not satisfy the relation {terms} (off by {total})")
        self.equations.append(terms)
        self.parts.setdefault(part, []).append(len(self.equations) - 1)

    # -- what a reader can work out ---------------------------------------------------------

    def bounds(self, q: Quantity) -> tuple[float, float | None]:
        """What a reader knows of a quantity from how it is printed."""
        if q.state == PRIMARY:
            return 1, self.threshold - 1
        if q.state == SECONDARY:
            return self.threshold, None
        return q.value, q.value

    def programme(self, equations: Sequence[int] | None = None) -> Programme:
        """The hidden quantities in ``equations`` (default: all), and those relations with the
        shown quantities moved to the right-hand side."""
        eqs = [self.equations[e] for e in (range(len(self.equations)) if equations is None
                                           else equations)]
        hidden = sorted({i for eq in eqs for i in eq if self.quantities[i].state != SHOWN})
        col = {i: k for k, i in enumerate(hidden)}
        rows, rhs = [], []
        for eq in eqs:
            if not any(i in col for i in eq):
                continue
            row = [0.0] * len(hidden)
            right = 0.0
            for i, c in eq.items():
                if i in col:
                    row[col[i]] = float(c)
                else:
                    right -= c * self.quantities[i].value
            rows.append(row)
            rhs.append(right)
        return hidden, rows, rhs

    def determined(self, index: int, programme: Programme | None = None) -> bool:
        """Whether a reader can work out hidden quantity ``index`` exactly: only one whole
        number is possible under the printed cells, the relations (those of ``programme``,
        default all) and the bounds."""
        q = self.quantities[index]
        lo, hi = self.bounds(q)
        if hi is not None and hi <= lo:
            return True  # e.g. '<2' is 1 by definition
        hidden, rows, rhs = programme or self.programme()
        if index not in hidden:
            return False
        at = hidden.index(index)
        bounds = [self.bounds(self.quantities[i]) for i in hidden]
        # The true values are one solution; the quantity is determined when neither a smaller
        # nor a larger whole number is possible (two feasibility problems: no objective, so no
        # question of an unbounded one).
        for other in ((lo, q.value - 1), (q.value + 1, hi)):
            if other[1] is not None and other[1] < other[0]:
                continue
            trial = list(bounds)
            trial[at] = other
            res = solve([0.0] * len(hidden), A_eq=rows, b_eq=rhs, bounds=trial,
                        integrality=[1] * len(hidden))
            if res.status == 0:
                return False
            if res.status != 2:
                raise RuntimeError(f"suppression: the programme failed ({res.message})")
        return True

    # -- suppression --------------------------------------------------------------------------

    def release(self, index: int, equations: Sequence[int]) -> list[Quantity] | None:
        """The printed cells whose hiding lets hidden quantity ``index`` take another whole
        value under ``equations``, at least cost (see the module); None when none do."""
        eqs = [self.equations[e] for e in equations]
        inside = sorted({i for eq in eqs for i in eq})
        hidden = [i for i in inside if self.quantities[i].state != SHOWN]
        free = [self.quantities[i] for i in inside
                if self.quantities[i].state == SHOWN and self.quantities[i].value > 0]
        if not free:
            return None
        columns = hidden + [q.order for q in free]
        col = {i: k for k, i in enumerate(columns)}
        n = len(columns) + len(free)  # then one switch per printed cell
        # How far a released cell may move: no further than the largest count in these
        # relations (a tighter bound keeps the programme's numbers tame; a smaller move that
        # does the job is as good a proof).
        big = float(max(self.quantities[i].value for i in inside) + self.threshold)
        a_eq, b_eq = [], []
        for eq in eqs:
            row = [0.0] * n
            right = 0.0
            for i, c in eq.items():
                if i in col:
                    row[col[i]] = float(c)
                else:
                    right -= c * self.quantities[i].value
            a_eq.append(row)
            b_eq.append(right)
        a_ub, b_ub = [], []
        for k, q in enumerate(free):  # |x - printed value| <= big * switch
            for sign in (1.0, -1.0):
                row = [0.0] * n
                row[col[q.order]] = sign
                row[len(columns) + k] = -big
                a_ub.append(row)
                b_ub.append(sign * q.value)
        body = sum(q.value for q in free if not q.marginal)
        cost = [0.0] * len(columns) + [q.value + (body + 1) * q.marginal for q in free]
        bounds = ([self.bounds(self.quantities[i]) for i in hidden]
                  + [(self.threshold, None)] * len(free) + [(0, 1)] * len(free))
        q = self.quantities[index]
        lo, hi = self.bounds(q)
        best: tuple[float, list[Quantity]] | None = None
        for other in ((lo, q.value - 1), (q.value + 1, hi)):
            if other[1] is not None and other[1] < other[0]:
                continue
            trial = list(bounds)
            trial[col[index]] = other
            res = solve(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=trial,
                        integrality=[1] * n, options={"mip_rel_gap": 0})
            if res.status == 2:
                continue
            if res.status != 0:
                raise RuntimeError(f"suppression: the programme failed ({res.message})")
            chosen = [p for k, p in enumerate(free) if res.x[len(columns) + k] > 0.5]
            price = sum(cost[len(columns) + k] for k, p in enumerate(free) if p in chosen)
            if best is None or price < best[0]:
                best = (price, chosen)
        return None if best is None else best[1]

    def _moved(self, programme: Programme, safe: set[int], tries: int = 3) -> set[int]:
        """Hidden quantities shown free at once: any whole-number solution that gives one a
        value other than its own proves a reader cannot tell it (solutions pushed in a few
        directions, drawn from a fixed seed so that the result repeats)."""
        hidden, rows, rhs = programme
        todo = [k for k, i in enumerate(hidden) if i not in safe]
        if not rows or not todo:
            return set()
        # A cap on open ranges keeps every direction bounded; a solution under it is still one.
        cap = 2 * max(q.value for q in self.quantities) + self.threshold
        bounds = [(lo, cap if hi is None else hi)
                  for lo, hi in (self.bounds(self.quantities[i]) for i in hidden)]
        draw = random.Random(len(hidden) * 7919 + len(rows))
        moved: set[int] = set()
        for _ in range(tries):
            c = [0.0] * len(hidden)
            for k in todo:
                c[k] = draw.choice((-1.0, 1.0)) * draw.uniform(0.5, 1.5)
            res = solve(c, A_eq=rows, b_eq=rhs, bounds=bounds, integrality=[1] * len(hidden))
            if res.status != 0:
                raise RuntimeError(f"suppression: the programme failed ({res.message})")
            now = {hidden[k] for k in todo
                   if abs(res.x[k] - self.quantities[hidden[k]].value) > 0.5}
            if not now:
                break
            moved |= now
            todo = [k for k in todo if hidden[k] not in moved]
            if not todo:
                break
        return moved

    def _protect(self, equations: Sequence[int], safe: set[int] | None = None) -> bool:
        """Hide cells until no hidden quantity is determined by ``equations``; whether any was
        hidden. ``safe``: quantities known to be free under these equations (hiding more only
        widens a reader's ranges, so they stay free); updated."""
        safe = set() if safe is None else safe
        hid = False
        while True:
            programme = self.programme(equations)
            safe |= self._moved(programme, safe)
            stuck = None
            for index in programme[0]:
                if index in safe:
                    continue
                lo, hi = self.bounds(self.quantities[index])
                if (hi is not None and hi <= lo) or not self.determined(index, programme):
                    safe.add(index)  # free, or '<2', which is 1 by definition
                else:
                    stuck = index
                    break
            if stuck is None:
                return hid
            chosen = self.release(stuck, equations)
            if not chosen:
                # Nothing printed can free it: the marks alone give it away (four '<5' that
                # add up to a '<5' are 1 each). Said, never hidden by a wrong mark.
                self.exposed.add(stuck)
                safe.add(stuck)
                continue
            for q in chosen:
                q.state = SECONDARY
            hid = True

    @property
    def hidden(self) -> int:
        return sum(q.state != SHOWN for q in self.quantities)

    def solve(self) -> int:
        """Hide primary cells, then complementary ones until no hidden cell is determined: each
        part (table) on its own first, until none changes, then all relations together. Marks
        the cells; returns the number of hidden quantities.

        Where users go wrong: a few patterns cannot be protected by hiding cells at all, because
        the marks themselves tell (at a threshold of 5, four categories of '<5' whose total is
        '<5' are 1 each; at 3, two '<3' adding up to a '<3'). Those are listed in
        :attr:`exposed`; publish such a breakdown with fewer categories, or not at all."""
        if self.threshold <= 1:
            return 0
        for q in self.quantities:
            if 0 < q.value < self.threshold:
                q.state = PRIMARY
        if len(self.parts) > 1:
            # A table on its own is small and its patterns are simple; cells it hides also
            # appear in the others (shared totals), hence the rounds.
            safe: dict[Hashable, set[int]] = {part: set() for part in self.parts}
            while any([self._protect(eqs, safe[part]) for part, eqs in self.parts.items()]):
                pass
        self._protect(range(len(self.equations)))
        for q in self.quantities:
            for cell in q.cells:
                cell.suppressed = q.state != SHOWN
                cell.secondary = q.state == SECONDARY
                cell.below = self.threshold if cell.suppressed else 0
        return sum(q.state != SHOWN for q in self.quantities)


def add_table(system: System, table: Table, columns: Sequence[str], *,
              row_total: str | None = None, shared: Hashable | None = None) -> None:
    """Put a table of counts into ``system``: its cells in ``columns`` (rows and total row), the
    relation of each row's parts to ``row_total`` (a column among ``columns``) and of each
    column's rows to the total row. Tables given the same ``shared`` key have the same total
    row (they count the same people), which a reader can see."""
    index: dict[tuple[int, str], int] = {}
    for r, row in enumerate(table.rows):
        for c in columns:
            index[r, c] = system.quantity(row[c].value or 0, row[c])
    total = table.total
    if total is not None:
        for c in columns:
            key = (shared, c) if shared is not None else None
            index[-1, c] = system.quantity(total[c].value or 0, total[c], key=key, marginal=True)
    rows = list(range(len(table.rows))) + ([-1] if total is not None else [])
    if row_total is not None:
        parts = [c for c in columns if c != row_total]
        for r in rows:
            parts_sum = {index[r, c]: 1 for c in parts}
            parts_sum[index[r, row_total]] = parts_sum.get(index[r, row_total], 0) - 1
            system.equation(parts_sum, part=id(table))
    if total is not None and table.rows:  # (a withheld breakdown states no column sums)
        for c in columns:
            terms: dict[int, int] = {}
            for r in range(len(table.rows)):
                terms[index[r, c]] = terms.get(index[r, c], 0) + 1
            terms[index[-1, c]] = terms.get(index[-1, c], 0) - 1
            system.equation(terms, part=id(table))


def protect(tables: Sequence[Table], columns: Sequence[str], threshold: int, *,
            row_total: str | None = None, shared_totals: bool = True) -> System:
    """Suppress small counts in ``tables`` jointly (see the module): the tables of one output
    whose cells in ``columns`` count people. With ``shared_totals`` their total rows are the same
    quantities. Returns the solved system: its hidden quantities (a grand total hidden in six
    tables is one) and any that the marks alone give away (:attr:`System.exposed`)."""
    system = System(threshold)
    if threshold <= 1:
        return system
    for t in tables:
        add_table(system, t, columns, row_total=row_total,
                  shared="totals" if shared_totals else None)
    system.solve()
    return system

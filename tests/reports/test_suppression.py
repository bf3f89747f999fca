"""Suppression on small hand-made tables, attacked from their printed CSV by the outsider of
``tests/reports/attack.py``: hiding only the small counts discloses them, the protected tables
do not; tables without small counts are left as they are."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from mineaction.reports.model import Cell, Chart, Column, Table, total_row
from mineaction.reports.render import table_csv
from mineaction.reports.suppression import protect
from tests.reports.attack import Outsider, add_tables, parse_sections

PEOPLE = ("killed", "injured", "total")


def table(name: str, rows: list[tuple[str, int, int]], *, total_column: bool = True) -> Table:
    cols = [Column("key", "Key", numeric=False), Column("killed", "Killed", "people"),
            Column("injured", "Injured", "people")]
    if total_column:
        cols.append(Column("total", "Total", "people"))
    t = Table(name, name, cols)
    for key, k, i in rows:
        t.add({"key": key, "killed": Cell(k), "injured": Cell(i), "total": Cell(k + i)})
    total_row(t)
    return t


def printed(tables: list[Table]) -> str:
    """As ``report ... --format csv`` prints several tables."""
    return "".join(f"# {t.name}\n{table_csv(t)}" for t in tables)


def outsider(tables: list[Table], columns: tuple[str, ...] = PEOPLE, *,
             row_total: str | None = "total") -> Outsider:
    out = Outsider()
    add_tables(out, parse_sections(printed(tables)), columns, row_total=row_total)
    return out


def hide_small_only(tables: list[Table], threshold: int = 5) -> None:
    """Primary suppression alone: what is not enough."""
    for t in tables:
        for row in t.all_rows():
            for c in PEOPLE:
                cell = row.get(c)
                if cell is not None and 0 < cell.value < threshold:
                    cell.suppressed, cell.below = True, threshold


def test_a_small_count_beside_its_row_total_is_protected() -> None:
    rows = [("2023", 1, 16)]  # killed 1, injured 16, total 17
    naive = [table("by-year", rows)]
    hide_small_only(naive)
    assert outsider(naive).disclosed() == {"by-year/2023/killed": 1,
                                           "by-year/Total/killed": 1}
    safe = [table("by-year", rows)]
    assert protect(safe, PEOPLE, 5, row_total="total").hidden > 0
    text = printed(safe)
    assert "2023,<5," in text
    assert outsider(safe).disclosed() == {}
    assert outsider(safe).disclosed(integral=True) == {}


def test_two_small_counts_of_a_column_that_add_up_to_two() -> None:
    # killed: 1 + 1 + 20 = 22 printed: the two '<5' must be 1 each.
    rows = [("a", 1, 10), ("b", 1, 12), ("c", 20, 30)]
    naive = [table("by-group", rows, total_column=False)]
    hide_small_only(naive)
    found = outsider(naive, ("killed", "injured"), row_total=None).disclosed(integral=True)
    assert found == {"by-group/a/killed": 1, "by-group/b/killed": 1}
    safe = [table("by-group", rows, total_column=False)]
    protect(safe, ("killed", "injured"), 5)
    check = outsider(safe, ("killed", "injured"), row_total=None)
    assert check.disclosed() == {} and check.disclosed(integral=True) == {}
    assert [r["killed"].suppressed for r in safe[0].rows] == [True, True, True]


def test_tables_that_share_their_totals_are_protected_together() -> None:
    year = [("2023", 6, 6)]
    group = [("civilian", 1, 2), ("military", 5, 4)]
    # Each table protected on its own leaks through the totals the other one prints.
    apart = [table("by-year", year), table("by-group", group)]
    for t in apart:
        protect([t], PEOPLE, 5, row_total="total")
    leaked = outsider(apart).disclosed(integral=True)
    assert leaked["by-group/civilian/killed"] == 1
    together = [table("by-year", year), table("by-group", group)]
    protect(together, PEOPLE, 5, row_total="total")
    check = outsider(together)
    assert check.disclosed() == {} and check.disclosed(integral=True) == {}
    # One quantity: the grand totals are printed alike in both tables.
    assert printed(together).count("\nTotal,") == 2
    assert {tuple(t.total[c].suppressed for c in PEOPLE) for t in together} == {  # type: ignore
        tuple(together[0].total[c].suppressed for c in PEOPLE)}  # type: ignore[index]


def test_a_table_without_small_counts_is_left_as_it_is() -> None:
    rows = [("a", 10, 20), ("b", 0, 7), ("c", 5, 5), ("d", 0, 0)]
    t = table("t", rows)
    before = table_csv(t)
    assert protect([t], PEOPLE, 5, row_total="total").hidden == 0
    assert table_csv(t) == before
    assert not any(r[c].suppressed for r in t.all_rows() for c in PEOPLE)


def test_threshold_zero_hides_nothing() -> None:
    t = table("t", [("a", 1, 2)])
    assert protect([t], PEOPLE, 0, row_total="total").hidden == 0
    assert table_csv(t).splitlines()[1] == "a,1,2,3"


def test_hidden_cells_print_as_marks_and_x_is_never_small() -> None:
    t = table("t", [("a", 1, 16), ("b", 7, 9), ("c", 2, 30)])
    protect([t], PEOPLE, 5, row_total="total")
    marks = {cell.mark for r in t.all_rows() for cell in r.values() if cell.suppressed}
    assert marks == {"<5", "x"}
    for r in t.all_rows():
        for c in PEOPLE:
            cell = r[c]
            if cell.secondary:
                assert cell.value >= 5  # what a reader of 'x' is told
            elif cell.suppressed:
                assert 0 < cell.value < 5


def test_the_same_table_comes_out_the_same_way() -> None:
    rows = [("a", 1, 16), ("b", 3, 9), ("c", 2, 30), ("d", 12, 1)]
    first, second = table("t", rows), copy.deepcopy(table("t", rows))
    protect([first], PEOPLE, 5, row_total="total")
    protect([second], PEOPLE, 5, row_total="total")
    assert table_csv(first) == table_csv(second)


counts = hs.integers(0, 4) | hs.integers(5, 40) | hs.just(0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.lists(hs.lists(hs.tuples(counts, counts), min_size=1, max_size=4), min_size=1,
                max_size=3),
       hs.sampled_from([3, 5, 10]))
def test_no_hidden_cell_of_any_tables_can_be_worked_out(
        shapes: list[list[tuple[int, int]]], threshold: int) -> None:
    # Tables of one output count the same people: give every table the first one's totals
    # by adding a balancing row where needed.
    k = sum(a for a, _ in shapes[0])
    i = sum(b for _, b in shapes[0])
    tables = []
    for n, rows in enumerate(shapes):
        rk, ri = sum(a for a, _ in rows), sum(b for _, b in rows)
        if n and (rk > k or ri > i):
            rows = shapes[0]
        elif n:
            rows = [*rows, (k - rk, i - ri)] if (k - rk, i - ri) != (0, 0) else rows
        tables.append(table(f"t{n}", [(f"r{j}", a, b) for j, (a, b) in enumerate(rows)]))
    system = protect(tables, PEOPLE, threshold, row_total="total")
    # Only what the marks alone give away (said in the system, see the next test) is known.
    given_away = {f"{t.name}/{row[t.key_column].value}/{c}" for t in tables
                  for row in t.all_rows() for c in PEOPLE
                  if any(row[c] is cell for i in system.exposed
                         for cell in system.quantities[i].cells)}
    check = outsider(tables)
    assert set(check.disclosed()) <= given_away
    assert set(check.disclosed(integral=True)) <= given_away


def test_what_the_marks_alone_give_away_is_said() -> None:
    # Four categories of one person each and a total of 4: every '<5' is 1, whatever is hidden.
    t = table("by-activity", [("a", 1, 10), ("b", 1, 12), ("c", 1, 9), ("d", 1, 20)])
    system = protect([t], PEOPLE, 5, row_total="total")
    assert len(system.exposed) == 5  # the four cells and their total
    found = outsider([t]).disclosed(integral=True)
    assert set(found) == {
        "by-activity/a/killed", "by-activity/b/killed", "by-activity/c/killed",
        "by-activity/d/killed", "by-activity/Total/killed"}


def test_a_breakdown_too_fine_to_protect_is_withheld_and_nothing_is_disclosed() -> None:
    from mineaction.reports.definitions import suppress

    # Two devices of 1 killed and 1 injured each, 4 people in all: hiding cells cannot help.
    fine = table("by-device", [("ap", 1, 1), ("uxo", 1, 1)])
    coarse = table("by-year", [("2024", 2, 2)])
    suppress([coarse, fine], PEOPLE, 5, row_total="total")
    assert fine.withheld and fine.rows == [] and fine.withheld in fine.notes
    assert coarse.withheld is None and len(coarse.rows) == 1
    assert all(fine.total[c].suppressed for c in PEOPLE)  # type: ignore[index]
    check = outsider([coarse, fine])
    assert check.disclosed() == {} and check.disclosed(integral=True) == {}


def test_the_chart_draws_a_hidden_count_as_a_marked_range() -> None:
    from mineaction.reports.charts import svg

    chart = Chart("by-year", "Casualties per year", ["2020", "2021"],
                  {"killed": [0, 6], "injured": [0, 31]}, "people", "Source: test",
                  marks={"killed": ["<5", ""], "injured": [">=5", ""]})
    text = svg(chart)
    assert "fewer than 5, not shown" in text and "5 or more, not shown" in text
    assert text.count("<pattern") >= 2  # the hatchings
    russian = svg(chart, locale="ru")  # the key in the report's language
    assert "меньше 5, не показано" in russian and "5 или больше, не показано" in russian
    assert "not shown" not in russian
    plain = svg(Chart("by-year", "Casualties per year", ["2020", "2021"],
                      {"killed": [0, 6], "injured": [0, 31]}, "people", "Source: test"))
    assert "not shown" not in plain and "<pattern" not in plain


@pytest.mark.parametrize("threshold", [2])
def test_a_threshold_of_two_leaves_nothing_to_protect_and_still_ends(threshold: int) -> None:
    # '<2' is 1 by definition; the suppression must still end and hide those cells.
    t = table("t", [("a", 1, 16), ("b", 0, 1)])
    protect([t], PEOPLE, threshold, row_total="total")
    assert t.rows[0]["killed"].suppressed and t.rows[0]["killed"].mark == "<2"

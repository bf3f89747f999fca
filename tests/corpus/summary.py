"""The corpus's size by category, format and expected outcome:
``python -m tests.corpus.summary``."""

from __future__ import annotations

from collections import Counter

from tests.corpus.cases import CATEGORIES, all_cases


def summary_lines() -> list[str]:
    cases = all_cases()
    by_cat = Counter(c.category for c in cases)
    by_fmt = Counter(c.fmt for c in cases)
    by_outcome = Counter(c.outcome for c in cases)
    named = sum(1 for c in cases if c.row)
    xfail = [c.id for c in cases if c.xfail]
    lines = [f"{len(cases)} cases, each run on every adapter",
             "by category: " + ", ".join(f"{k} {by_cat[k]}" for k in CATEGORIES),
             "by format: " + ", ".join(f"{k} {n}" for k, n in sorted(by_fmt.items())),
             "expected outcomes: " + ", ".join(f"{k} {n}" for k, n in sorted(
                 by_outcome.items())) + f"; refusals naming a row {named}",
             f"known defects (xfail): {len(xfail)}"]
    lines += [f"  {i}" for i in xfail]
    return lines


if __name__ == "__main__":
    print("\n".join(summary_lines()))

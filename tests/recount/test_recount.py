"""Every figure of every report, recounted from the exported records (``recount.py``: pandas,
shapely, pyproj and numpy, no mineaction) on the demo at three seeds, cell by cell: areas to
0.1 m² per record behind the cell, counts exactly, suppressed counts as the rules allow."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.recount import recount as rc
from tests.recount.conftest import SEEDS, Seeded

YEARS = range(2020, 2026)
QUARTERS = ((2021, 4), (2023, 2), (2024, 4), (2025, 3))
BUSIEST = "<busiest district>"  # resolved per seed: the district with most release steps

YEARLY: dict[str, Callable[..., rc.Expected]] = {
    "ap-release-by-district": rc.ap_release_by_district,
    "ap-clearance-five-year": rc.ap_clearance_five_year,
    "capacity": rc.capacity,
    "casualties": rc.casualties,
    "article7": rc.article7,
    "quality": rc.quality,
    "eore": rc.eore,
    "productivity": rc.productivity,
}

#: Reports recounted at a few periods and areas only (their cases below).
OTHER: dict[str, Callable[..., rc.Expected]] = {
    "land-release": rc.land_release,
}

#: (report, period: ("year", Y) | ("quarter", Y, Q) | ("range", FROM, TO) | ("all",), area,
#: threshold)
CASES: list[tuple[str, tuple[Any, ...], str | None, int]] = [
    *((name, ("year", y), None, 5) for name in YEARLY for y in YEARS),
    *(("progress", ("quarter", y, q), None, 5) for y, q in QUARTERS),
    ("ap-release-by-district", ("year", 2023), BUSIEST, 5),
    ("ap-clearance-five-year", ("year", 2025), BUSIEST, 5),
    ("article7", ("year", 2024), BUSIEST, 5),
    ("casualties", ("range", "2020-01-01", "2025-12-31"), BUSIEST, 5),
    ("progress", ("quarter", 2024, 4), BUSIEST, 5),
    ("casualties", ("range", "2020-01-01", "2025-12-31"), None, 0),
    ("capacity", ("range", "2020-01-01", "2025-12-31"), None, 5),
    ("quality", ("year", 2024), BUSIEST, 5),
    ("quality", ("range", "2020-01-01", "2025-12-31"), None, 5),
    ("eore", ("year", 2024), BUSIEST, 5),
    ("eore", ("year", 2023), None, 0),
    ("eore", ("year", 2024), None, 10),
    ("eore", ("range", "2020-01-01", "2025-12-31"), None, 5),
    ("productivity", ("year", 2024), BUSIEST, 5),
    *(("ranked-tasks", ("year", y), None, 5) for y in (2022, 2025)),
    ("ranked-tasks", ("year", 2025), BUSIEST, 5),
    ("land-release", ("all",), None, 5),
    ("land-release", ("range", "2021-01-01", "2024-06-30"), None, 5),
    ("land-release", ("year", 2023), BUSIEST, 5),
]


def case_id(case: tuple[str, tuple[Any, ...], str | None, int]) -> str:
    name, period, area, threshold = case
    when = {"year": lambda p: str(p[1]), "quarter": lambda p: f"{p[1]}Q{p[2]}",
            "range": lambda p: f"{p[1]}..{p[2]}", "all": lambda p: "all"}[period[0]](period)
    return "-".join([name, when] + (["area"] if area else [])
                    + ([f"suppress{threshold}"] if threshold != 5 else []))


def seeded_params(items: list[Any], ids: Callable[[Any], str]) -> list[Any]:
    return [pytest.param(seed, item, id=f"seed{seed}-{ids(item)}",
                         marks=pytest.mark.xdist_group(f"recount-seed-{seed}"))
            for seed in SEEDS for item in items]


@pytest.mark.parametrize(("seed", "case"), seeded_params(CASES, case_id))
def test_report_agrees_with_the_recount(seeded: Callable[[int], Seeded], seed: int,
                                        case: tuple[str, tuple[Any, ...], str | None, int],
                                        tmp_path: Path,
                                        record_property: Callable[[str, object], None]
                                        ) -> None:
    s = seeded(seed)
    name, period, area, threshold = case
    area = s.busiest if area == BUSIEST else area
    args: list[str] = []
    if period[0] == "year":
        args += ["--year", str(period[1])]
        when = rc.Period.year(period[1])
    elif period[0] == "quarter":
        args += ["--year", str(period[1]), "--quarter", str(period[2])]
    elif period[0] == "all":
        when = rc.Period()
    else:
        args += ["--from", period[1], "--to", period[2]]
        when = rc.Period(period[1], period[2])
    if area:
        args += ["--area", area]
    args += ["--suppress-below", str(threshold)]
    rep = s.report(name, args, tmp_path / "report.json")
    if name == "progress":
        expected = rc.progress(s.data, period[1], period[2], area, threshold)
    elif name == "ranked-tasks":
        expected = rc.ranked_tasks(s.data, when, area, threshold, rep)
    else:
        expected = {**YEARLY, **OTHER}[name](s.data, when, area, threshold)
    outcome = rc.compare(rep, expected, f"{' '.join(args)} (seed {seed})")
    record_property("recount_cells", (seed, outcome.cells))
    assert outcome.cells > 0 or not any(t.rows for t in expected.tables)
    problems = outcome.ordered()
    if problems:
        shown = problems[:40]
        more = len(problems) - len(shown)
        pytest.fail(f"{len(problems)} disagreement(s) with the recount of "
                    f"{outcome.cells} cells:\n" + "\n".join(shown)
                    + (f"\n... and {more} more" if more else ""), pytrace=False)


#: (period, area, threshold) of casualties by administrative area (``--by area``).
BY_AREA: list[tuple[tuple[str, str], str | None, int]] = [
    (("2020-01-01", "2025-12-31"), None, 5), (("2020-01-01", "2025-12-31"), None, 0),
    (("2023-01-01", "2023-12-31"), BUSIEST, 5)]


@pytest.mark.parametrize(("seed", "case"), seeded_params(
    BY_AREA, lambda c: f"{c[0][0][:4]}..{c[0][1][:4]}{'-area' if c[1] else ''}-s{c[2]}"))
def test_casualties_by_area_agree_with_the_recount(
        seeded: Callable[[int], Seeded], seed: int,
        case: tuple[tuple[str, str], str | None, int], tmp_path: Path) -> None:
    """The by-area table of ``report casualties --by area``, suppressed jointly with the other
    tables, cell by cell against the recount."""
    s = seeded(seed)
    (start, end), area, threshold = case
    area = s.busiest if area == BUSIEST else area
    args = ["--from", start, "--to", end, "--by", "area", "--suppress-below", str(threshold)]
    if area:
        args += ["--area", area]
    rep = s.report("casualties", args, tmp_path / "report.json")
    assert any(t["name"] == "by-area" for t in rep["tables"])
    expected = rc.casualties(s.data, rc.Period(start, end), area, threshold, by_area=True)
    outcome = rc.compare(rep, expected, f"{' '.join(args)} (seed {seed})")
    assert outcome.cells > 0
    problems = outcome.ordered()
    assert not problems, "\n".join(problems[:40])


#: (period, area, threshold) of risk education by district and quarter (``--by quarter``).
EORE_QUARTERS: list[tuple[tuple[str, str], str | None, int]] = [
    (("2024-01-01", "2024-12-31"), BUSIEST, 0)]


@pytest.mark.parametrize(("seed", "case"), seeded_params(
    EORE_QUARTERS, lambda c: f"{c[0][0][:4]}..{c[0][1][:4]}{'-area' if c[1] else ''}-s{c[2]}"))
def test_eore_by_quarter_agrees_with_the_recount(
        seeded: Callable[[int], Seeded], seed: int,
        case: tuple[tuple[str, str], str | None, int], tmp_path: Path) -> None:
    """Risk education by district and quarter (``report eore --by quarter``), suppressed
    jointly with the other tables, cell by cell against the recount."""
    s = seeded(seed)
    (start, end), area, threshold = case
    area = s.busiest if area == BUSIEST else area
    args = ["--from", start, "--to", end, "--by", "quarter", "--suppress-below",
            str(threshold)]
    if area:
        args += ["--area", area]
    rep = s.report("eore", args, tmp_path / "report.json")
    periods = {r["period"]["value"] for t in rep["tables"] if t["name"] == "district-period"
               for r in t["rows"]}
    assert periods and all("-Q" in p for p in periods)
    expected = rc.eore(s.data, rc.Period(start, end), area, threshold, quarters=True)
    outcome = rc.compare(rep, expected, f"{' '.join(args)} (seed {seed})")
    assert outcome.cells > 0
    problems = outcome.ordered()
    assert not problems, "\n".join(problems[:40])


#: (area, threshold) of ``report cancellation-candidates`` (it assesses the store as it is).
CANDIDATES: list[tuple[str | None, int]] = [(None, 5), (BUSIEST, 5)]


@pytest.mark.parametrize(("seed", "case"), seeded_params(
    CANDIDATES, lambda c: "all" if c[0] is None else "area"))
def test_cancellation_candidates_agree_with_the_recount(
        seeded: Callable[[int], Seeded], seed: int, case: tuple[str | None, int],
        tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    """Every open hazard's evidence scored again from the exported hazards, finds, accidents,
    activities, evidence items and minefield records (geodesic distances, the default
    weights): the recommendations per district, the land of the candidates and of all open
    hazards (unions), each listed candidate's area, indirect points and reasons."""
    s = seeded(seed)
    area, threshold = case
    area = s.busiest if area == BUSIEST else area
    args = ["--suppress-below", str(threshold)] + (["--area", area] if area else [])
    rep = s.report("cancellation-candidates", args, tmp_path / "report.json")
    expected = rc.cancellation_candidates(s.data, area, threshold, rep)
    outcome = rc.compare(rep, expected, f"{' '.join(args)} (seed {seed})")
    record_property("recount_cells", (seed, outcome.cells))
    assert outcome.cells > 0
    problems = outcome.ordered()
    assert not problems, f"{len(problems)} disagreement(s):\n" + "\n".join(problems[:40])


# ---------------------------------------------------------------------------------------------
# The store's own areas against the recount's measure


POLYGON_LAYERS = {  # layer -> the store's figures of each polygon in its export
    "hazards": ("area_m2",), "activities": ("area_m2",), "admin-areas": ("area_m2",),
    "release-steps": ("area_m2", "geodesic_area_m2"),
    "hazard-versions": ("area_m2", "geodesic_area_m2"),
}


def frame(s: Seeded, layer: str) -> Any:
    return {"release-steps": s.data.steps, "hazards": s.data.hazards,
            "hazard-versions": s.data.versions, "activities": s.data.activities,
            "admin-areas": s.data.areas}[layer]


@pytest.mark.parametrize(("seed", "what"), seeded_params(["open hazards"], str))
def test_open_hazard_areas_agree_with_the_recount(seeded: Callable[[int], Seeded], seed: int,
                                                  what: str) -> None:
    s = seeded(seed)
    h = s.data.hazards
    h = h[(h["status"] == "open") & h["geom"].notna()]
    assert len(h)
    bad = [f"hazard {r['id']}: the store says {float(r['area_m2']):,.1f} m², the recount "
           f"{r['area']:,.1f} m² ({len(r['geom'].geoms)} part(s))"
           for _, r in h.iterrows() if abs(float(r["area_m2"]) - r["area"]) > 0.1]
    assert not bad, f"seed {seed}: {len(bad)} of {len(h)} open hazards:\n" + "\n".join(bad)


@pytest.mark.parametrize(("seed", "layer"), seeded_params(list(POLYGON_LAYERS), str))
def test_no_polygon_measures_zero_and_stored_areas_agree(seeded: Callable[[int], Seeded],
                                                         seed: int, layer: str) -> None:
    """Each of the store's figures of every non-empty polygon (the export's computed column;
    the stored field of release steps and hazard versions) agrees with the recount to 0.1 m²:
    no polygon with an area measures zero. (A residue of a few hundredths of a m² may read 0.0:
    the export rounds to 0.1 m².)"""
    df = frame(seeded(seed), layer)
    df = df[[g is not None and not g.is_empty for g in df["geom"]]]
    assert len(df)
    bad = []
    for _, r in df.iterrows():
        for col in POLYGON_LAYERS[layer]:
            store = float(r[col])
            if abs(store - r["area"]) > 0.1:
                bad.append(f"{layer} {r['id']} {col}: the store says {store:,.1f} m², the "
                           f"recount {r['area']:,.1f} m²"
                           + (" (a non-empty polygon measured as zero)" if store == 0 else ""))
    assert not bad, f"seed {seed}: {len(bad)} figure(s):\n" + "\n".join(bad)


# ---------------------------------------------------------------------------------------------
# The recount is independent


ALLOWED = {"numpy", "pandas", "pyproj", "shapely"}


def test_the_recount_imports_no_mineaction_module() -> None:
    path = Path(rc.__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"line {node.lineno}: relative import in the recount"
            imported.add(node.module or "")
        elif isinstance(node, ast.Name) and node.id in ("__import__", "importlib"):
            pytest.fail(f"line {node.lineno}: dynamic import in the recount")
    roots = {m.split(".")[0] for m in imported}
    assert not any(r == "mineaction" or r == "tests" for r in roots), sorted(imported)
    assert roots <= ALLOWED | set(sys.stdlib_module_names) | {"__future__"}, sorted(
        roots - ALLOWED - set(sys.stdlib_module_names))
    assert roots & ALLOWED == ALLOWED  # it measures and unites with these, not another way


# ---------------------------------------------------------------------------------------------
# No report escapes the recount

#: Reports not (yet) recounted, each with the reason; the guard below fails for any other.
NOT_RECOUNTED: dict[str, str] = {}
#: Reports recounted but for a part, each with what is left and why.
PARTLY: dict[str, str] = {
    "ranked-tasks": "the cost criterion (team-days from the record's yearly productivity and "
                    "survey shares, planning.model) is checked only to lie within its weight's "
                    "share; it enters the recounted score and order as the report prints it",
}


def recounted() -> set[str]:
    """The reports some test of this module recounts, read from the tests' own cases."""
    return ({name for name, *_ in CASES} | ({"casualties"} if BY_AREA else set())
            | ({"cancellation-candidates"} if CANDIDATES else set()))


def test_every_report_is_recounted() -> None:
    """A report added to mineaction without a recount fails here: every name ``mineaction
    report`` knows is recounted by a test of this module, or named with its reason."""
    from mineaction.reports import REPORTS

    known = set(REPORTS)
    assert known, "no reports registered"
    missing = known - recounted() - set(NOT_RECOUNTED)
    assert not missing, (f"report(s) {sorted(missing)} are recounted by no test: add a recount "
                         "to tests/recount/recount.py and cases here")
    stale = (recounted() | set(NOT_RECOUNTED)) - known
    assert not stale, f"recount cases for report(s) mineaction does not know: {sorted(stale)}"
    assert not recounted() & set(NOT_RECOUNTED), sorted(recounted() & set(NOT_RECOUNTED))
    assert set(PARTLY) <= recounted(), sorted(set(PARTLY) - recounted())

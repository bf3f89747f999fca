"""What the recount reads: exports keep stored fields beside computed ones, and the report's JSON
is the report in full precision (the same on screen and in a file)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mineaction.cli import main
from mineaction.store import open_store
from tests.recount.conftest import Seeded

pytestmark = pytest.mark.xdist_group("recount-seed-1")


@pytest.mark.parametrize("layer", ["release-steps", "hazard-versions"])
def test_export_keeps_the_stored_area_beside_the_computed_one(
        seeded: Callable[[int], Seeded], layer: str) -> None:
    s = seeded(1)
    frame = s.data.steps if layer == "release-steps" else s.data.versions
    exported = dict(zip(frame["id"], frame["area_m2"], strict=True))
    assert "geodesic_area_m2" in frame.columns
    with open_store(str(s.db)) as store:
        stored = {r.id: r.area_m2 for r in store.iter(layer)}  # type: ignore[attr-defined]
    assert exported.keys() == stored.keys()
    assert all(float(exported[i]) == pytest.approx(v, abs=1e-6) for i, v in stored.items())


def test_report_json_on_screen_is_the_file(seeded: Callable[[int], Seeded],
                                           tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    s = seeded(1)
    args = ["--db", str(s.db), "report", "casualties", "--year", "2023", "--format", "json"]
    capsys.readouterr()
    assert main(args) == 0
    screen = json.loads(capsys.readouterr().out)
    assert main([*args, "-o", str(tmp_path / "c.json")]) == 0
    assert screen == json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    cells = [c for t in screen["tables"] for r in [*t["rows"], t["total"]] for c in r.values()]
    hidden = [c for c in cells if c["suppressed"]]
    assert hidden, "the 2023 casualties of seed 1 have small counts to suppress"
    assert all(c["value"] is None and "records" not in c and c["shown"] in ("<5", "x")
               for c in hidden)
    assert all(c["suppressed"] in ("primary", "secondary") for c in hidden)

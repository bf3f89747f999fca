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


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_exports_give_every_coordinate_back_exactly(
        seeded: Callable[[int], Seeded], tmp_path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """A coordinate moved by one unit in the last place can make a valid polygon whose hole
    touches its shell self-intersecting once read back, and the recount would then measure
    another shape: exports must write every double so that it reads back as stored."""
    import shapely

    s = seeded(1)
    out = tmp_path / f"steps.{fmt}"
    assert main(["--db", str(s.db), "export", "release-steps", "-o", str(out)]) == 0
    if fmt == "csv":
        import pandas as pd

        frame = pd.read_csv(out, dtype=str, keep_default_na=False)
        read = {i: shapely.from_wkt(w) for i, w in zip(frame["id"], frame["WKT"], strict=True)
                if w}
    else:
        features = json.loads(out.read_text(encoding="utf-8"))["features"]
        read = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in features
                if f["geometry"]}
    with open_store(str(s.db)) as store:
        stored = {r.id: r.geometry for r in store.iter("release-steps")}  # type: ignore
    assert read.keys() == {i for i, g in stored.items() if g is not None}
    moved = [i for i, g in read.items() if not g.equals_exact(stored[i], 0)]
    assert moved == []

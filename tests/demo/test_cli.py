"""``mineaction demo`` end to end on a tiny scenario."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import pyogrio
import pytest

from mineaction.cli import main

pytestmark = pytest.mark.xdist_group("demo")


def test_demo_command_builds_store_truth_records_and_a_map(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, png = tmp_path / "demo.gpkg", tmp_path / "map.png"
    assert main(["--db", str(db), "--lang", "ru", "demo", "--seed", "3", "--scale", "0.05",
                 "--figure", str(png)]) == 0
    said = capsys.readouterr().err  # what it is doing, in the language asked
    assert "территория" in said and "загрязнённ" in said and "запись хранилища" in said
    assert "territory" not in said and "contaminated" not in said
    truth = tmp_path / "demo-truth.gpkg"
    assert truth.exists() and db.exists()
    assert "items" in {str(r[0]) for r in pyogrio.list_layers(str(truth))}
    assert list((tmp_path / "records").glob("MR-*.json"))
    img = matplotlib.image.imread(png)
    assert img.shape[0] > 800 and img.shape[1] > 1500
    # the map's words in the reader's language, every glyph drawn (Georgian here)
    import warnings

    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from mineaction.services import demo as demos

    drawn: list[str] = []
    save = Figure.savefig

    def keep(fig: Figure, *args: object, **kw: object) -> None:
        drawn.extend(t.get_text() for t in fig.findobj(Text))
        save(fig, *args, **kw)

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mp.setattr(Figure, "savefig", keep)
        demos.draw(str(db), truth, tmp_path / "ka.png", title="x", locale="ka")
    assert not [w for w in caught if "missing from" in str(w.message)]
    text = " ".join(drawn)
    for said_ka in ("სინთეზური სადემონსტრაციო მონაცემები", "მთელი ტერიტორია",
                    "გაუქმებული არატექნიკური კვლევით", "ყოფილი ფრონტის ხაზი"):
        assert said_ka in text, said_ka
    assert "SYNTHETIC" not in text and "territory" not in text and "front line" not in text
    # a second run into the same store is refused: the demo needs an empty store
    assert main(["--db", str(db), "demo", "--scale", "0.05",
                 "--truth", str(tmp_path / "t2.gpkg")]) == 1


def test_truth_is_refused_as_the_store_itself(tmp_path: Path) -> None:
    db = tmp_path / "demo.gpkg"
    assert main(["--db", str(db), "demo", "--scale", "0.05", "--truth", str(db)]) == 2
    assert not db.exists()
    assert main(["--db", str(db), "demo", "--scale", "0"]) == 2


def test_output_does_not_depend_on_hash_order(tmp_path: Path) -> None:
    """Two processes with different hash seeds build the same scenario."""
    import os
    import subprocess
    import sys

    from .test_scenario import store_rows, truth_rows

    exe = Path(sys.executable).parent / "mineaction"
    built = []
    for h in ("0", "4242"):
        d = tmp_path / h
        d.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": h}
        subprocess.run([str(exe), "--db", str(d / "s.gpkg"), "demo", "--seed", "5",
                        "--scale", "0.04"], check=True, env=env, capture_output=True)
        built.append(d)
    a, b = built
    assert store_rows(a / "s.gpkg") == store_rows(b / "s.gpkg")
    assert truth_rows(a / "s-truth.gpkg") == truth_rows(b / "s-truth.gpkg")
    assert [p.read_text() for p in sorted((a / "records").glob("*.json"))] == \
        [p.read_text() for p in sorted((b / "records").glob("*.json"))]

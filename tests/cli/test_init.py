"""``mineaction init`` on a store of an earlier schema says what the migration corrected."""

from __future__ import annotations

from mineaction.cli import main
from mineaction.geo.measure import area_m2
from mineaction.store.migrations import LATEST
from tests.contract.test_migrations import schema_4_store
from tests.unit.test_measure import HZ_000051


def test_init_migrates_and_says_what_it_corrected(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "old.gpkg")
    schema_4_store(db, monkeypatch)
    capsys.readouterr()
    assert main(["--db", db, "init"]) == 0
    out = capsys.readouterr().out
    assert f"migrated from 4 to {LATEST}" in out
    assert "schema migration 5: numeric columns of" in out
    assert ("schema migration 6: corrected area_m2 of 2 hazard-versions, 1 release-steps; "
            f"largest change {round(area_m2(HZ_000051), 3):,.1f} m² on hazard-versions "
            "HZ-000051@2") in " ".join(out.split())
    # the same migration, said in Russian
    ru_db = str(tmp_path / "old-ru.gpkg")
    schema_4_store(ru_db, monkeypatch)
    capsys.readouterr()
    assert main(["--db", ru_db, "--lang", "ru", "init"]) == 0
    ru = " ".join(capsys.readouterr().out.split())
    assert "исправлена площадь area_m2: 2 hazard-versions, 1 release-steps" in ru, ru
    assert "numeric columns" not in ru and "corrected" not in ru
    assert main(["--db", db, "init"]) == 0
    assert f"already at schema version {LATEST}" in capsys.readouterr().out
    assert main(["--db", db, "--lang", "ru", "init"]) == 0
    assert f"уже версия схемы {LATEST}" in capsys.readouterr().out
    fresh = str(tmp_path / "new.gpkg")
    assert main(["--db", fresh, "--lang", "ka", "init"]) == 0
    assert f"შეიქმნა (სქემის ვერსია {LATEST})" in capsys.readouterr().out

"""Records placed in the area that contains them, refused when they name an area that does not
exist, and duplicate names flagged: on the real districts of Azerbaijan (geoBoundaries), on
both store adapters."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, Point, mapping

from mineaction.cli import main
from mineaction.errors import InvalidInput
from mineaction.geo.measure import area_m2
from mineaction.io.load import import_file
from mineaction.store import Store
from tests.areas.conftest import areas_file, by_name


def hazards_file(tmp: Path, rows: list[tuple[str, Any, str | None]]) -> Path:
    out = tmp / "hazards.geojson"
    out.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {
            "id": rid, "kind": "sha", "status": "open", "contamination": "ap",
            "recorded_on": "2023-01-10", "admin_area_id": area, "source": "synthetic:test"},
         "geometry": mapping(geom)} for rid, geom, area in rows]}), encoding="utf-8")
    return out


@pytest.fixture
def districts(store: Store, tmp_path: Path, aze_adm2: list[dict[str, Any]]) -> Store:
    """The store with Azerbaijan's districts and, as their parent, one national area (the union
    of the districts) so that the smallest containing area must be chosen."""
    from shapely import union_all

    country = [{"id": "AZ", "name": "Azerbaijan",
                "geometry": union_all([f["geometry"] for f in aze_adm2]).buffer(0)}]
    import_file(store, "admin-areas", areas_file(tmp_path, country, 0, "AZ", name="az.geojson"))
    result = import_file(store, "admin-areas", areas_file(tmp_path, aze_adm2, 2, "AZ", "AZ"),
                         do_repair=True)
    assert result.count == len(aze_adm2)
    return store


def square(center: Point, half_deg: float) -> Any:
    return center.buffer(half_deg, cap_style="square")


def test_import_assigns_the_smallest_containing_area(districts: Store, tmp_path: Path,
                                                     aze_adm2: list[dict[str, Any]]) -> None:
    fuzuli = by_name(aze_adm2, "Fuzuli District")
    agdam = by_name(aze_adm2, "Agdam District")
    inside = square(fuzuli["geometry"].representative_point(), 0.002)
    # A polygon across the border of Agdam, mostly on Agdam's side.
    edge = agdam["geometry"].boundary.interpolate(0.3, normalized=True)
    across = square(edge, 0.01)
    share = area_m2(across.intersection(agdam["geometry"])) / area_m2(across)
    assert 0.0 < share < 0.99
    result = import_file(districts, "hazards", hazards_file(tmp_path, [
        ("HZ-IN", inside, None), ("HZ-ACROSS", across, None),
        ("HZ-SEA", square(Point(50.9, 41.3), 0.01), None),
        ("HZ-GIVEN", inside, agdam["id"])]))
    assert any(m.startswith("2 of 4 records placed") for m in result.messages)
    got = {h.id: h.admin_area_id for h in districts.iter("hazards")}
    notes = {h.id: h.notes or "" for h in districts.iter("hazards")}
    assert "smallest administrative area" in notes["HZ-IN"]
    assert "smallest administrative area" not in notes["HZ-GIVEN"]
    assert got["HZ-IN"] == fuzuli["id"]
    assert got["HZ-GIVEN"] == agdam["id"]  # a given area is kept
    assert got["HZ-SEA"] is None
    # Across a border: the national area holds all of it (the smallest that does).
    assert got["HZ-ACROSS"] == "AZ"


def test_largest_overlap_when_no_area_holds_it(store: Store, tmp_path: Path,
                                               aze_adm2: list[dict[str, Any]]) -> None:
    agdam = by_name(aze_adm2, "Agdam District")
    import_file(store, "admin-areas", areas_file(tmp_path, aze_adm2, 2, "AZ"), do_repair=True)
    edge = agdam["geometry"].boundary.interpolate(0.3, normalized=True)
    across = square(edge, 0.01)
    parts = {f["id"]: area_m2(across.intersection(f["geometry"])) for f in aze_adm2}
    largest = max(parts, key=lambda k: parts[k])
    assert parts[largest] < 0.99 * area_m2(across)
    import_file(store, "hazards", hazards_file(tmp_path, [("HZ-ACROSS", across, None)]))
    assert store.get("hazards", "HZ-ACROSS").admin_area_id == largest  # type: ignore[attr-defined]


def test_an_unknown_area_is_refused_with_row_and_field(districts: Store,
                                                       tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        import_file(districts, "hazards", hazards_file(tmp_path, [
            ("HZ-1", square(Point(47.2, 39.6), 0.001), "NOPE")]))
    (problem,) = err.value.problems
    assert problem.code == "areas.unknown_area"
    assert problem.field == "admin_area_id" and "1" in problem.where
    assert dict(problem.params)["id"] == "NOPE"
    assert districts.count("hazards") == 0


def test_areas_assign_places_stored_records(districts: Store, tmp_path: Path,
                                            aze_adm2: list[dict[str, Any]]) -> None:
    fuzuli = by_name(aze_adm2, "Fuzuli District")
    inside = square(fuzuli["geometry"].representative_point(), 0.002)
    # Stored before any area existed (as in a store filled before this check): written
    # straight through a transaction.
    from mineaction.domain.layers import get_layer

    with districts.transaction() as tx:
        tx.add_many([get_layer("hazards").make({
            "id": rid, "kind": "sha", "status": "open", "contamination": "ap",
            "recorded_on": dt.date(2023, 1, 10), "source": "synthetic:test",
            "geometry": MultiPolygon([g])})
            for rid, g in [("HZ-1", inside), ("HZ-2", square(Point(50.9, 41.3), 0.01))]])
    db = districts.url
    assert main(["--db", db, "areas", "assign", "--dry-run"]) == 0
    assert districts.get("hazards", "HZ-1").admin_area_id is None  # type: ignore[attr-defined]
    assert main(["--db", db, "areas", "assign", "--layer", "hazards"]) == 0
    h = districts.get("hazards", "HZ-1")
    assert h.admin_area_id == fuzuli["id"] and h.version == 2  # type: ignore[attr-defined]
    from mineaction.services import areas as service
    from mineaction.services.context import open_context

    with open_context(db) as ctx:
        (again,) = service.assign(ctx, "hazards")
    assert again.assigned == {} and again.unassigned == ["HZ-2"] and again.unchanged == 1


def test_release_steps_follow_their_hazard(store: Store, tmp_path: Path,
                                           aze_adm2: list[dict[str, Any]]) -> None:
    """Hazards and a clearance stored before the areas: assigning the hazard's area gives its
    release step the same area, so that released land counts in the district."""
    fuzuli = by_name(aze_adm2, "Fuzuli District")
    center = fuzuli["geometry"].representative_point()
    import_file(store, "hazards", hazards_file(tmp_path, [("HZ-1", square(center, 0.002),
                                                           None)]))
    acts = tmp_path / "activities.geojson"
    acts.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {
            "id": "ACT-1", "kind": "clearance", "operator": "OP-A", "started_on": "2023-03-01",
            "ended_on": "2023-03-20", "outcome": "cleared", "hazard_id": "HZ-1",
            "source": "synthetic:test"},
        "geometry": mapping(square(center, 0.001))}]}), encoding="utf-8")
    import_file(store, "activities", acts)
    (step,) = store.query("release-steps")
    assert step.admin_area_id is None  # type: ignore[attr-defined]
    import_file(store, "admin-areas", areas_file(tmp_path, aze_adm2, 2, "AZ"), do_repair=True)
    from mineaction.services import areas as service
    from mineaction.services.context import open_context

    with open_context(store.url) as ctx:
        (dry,) = service.assign(ctx, "hazards", dry_run=True)
        assert dry.assigned == {"HZ-1": fuzuli["id"]} and dry.steps == 1
        assert store.get("hazards", "HZ-1").admin_area_id is None  # type: ignore[attr-defined]
        (done,) = service.assign(ctx, "hazards")
    assert done.steps == 1
    (step,) = store.query("release-steps")
    assert step.admin_area_id == fuzuli["id"]  # type: ignore[attr-defined]
    assert store.get("hazards", "HZ-1").admin_area_id == fuzuli["id"]  # type: ignore[attr-defined]


def test_points_and_the_dry_run_check(districts: Store, tmp_path: Path,
                                      aze_adm2: list[dict[str, Any]]) -> None:
    """An accident (a point) is placed in the district around it; the check that writes
    nothing (the dry run's) refuses an unknown area and places the others the same way."""
    from mineaction.io.readers import read_file
    from mineaction.services import imports
    from mineaction.services.context import open_context

    agdam = by_name(aze_adm2, "Agdam District")
    at = agdam["geometry"].representative_point()
    path = tmp_path / "accidents.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": rid, "occurred_on": "2022-05-02",
                                           "admin_area_id": area, "source": "synthetic:test"},
         "geometry": mapping(at)} for rid, area in (("AC-1", None), ("AC-2", "NOPE"))]}),
        encoding="utf-8")
    with open_context(districts.url) as ctx:
        records, problems, _ = imports.check(ctx, "accidents", read_file(path))
    assert [(p.code, p.field) for p in problems] == [("areas.unknown_area", "admin_area_id")]
    assert "feature 2" in problems[0].where
    assert districts.count("accidents") == 0
    path.write_text(path.read_text(encoding="utf-8").replace('"NOPE"', "null"),
                    encoding="utf-8")
    import_file(districts, "accidents", path)
    assert {a.admin_area_id for a in districts.iter("accidents")} == {agdam["id"]}  # type: ignore[attr-defined]

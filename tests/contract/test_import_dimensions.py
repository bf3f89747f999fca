"""A file with elevations (Z) or measures (M) is accepted the same way by every adapter: the
geometry is stored 2D and the record notes what was dropped, so a GPS track imported into a
GeoPackage can later be copied to PostGIS."""

from __future__ import annotations

import json
from pathlib import Path

import shapely

from mineaction.io.load import import_file
from mineaction.store import Store


def test_z_and_m_are_dropped_and_noted_on_every_adapter(store: Store, tmp_path: Path):
    finds = tmp_path / "finds.geojson"
    finds.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": f"F{i}", "category": "ap"},
         "geometry": {"type": "Point", "coordinates": [50.5 + i / 100, 41.0, z]}}
        for i, z in enumerate((412.0, 455.25))]}))
    result = import_file(store, "finds", finds)
    assert result.count == 2
    quality = tmp_path / "quality.csv"
    quality.write_text("id,kind,held_on,wkt\n"
                       'Q1,qa_visit,2023-01-02,"LINESTRING M (50.5 41 0, 50.6 41.1 1532)"\n'
                       'Q2,qa_visit,2023-01-03,"LINESTRING ZM (50.5 41 10 0, 50.6 41.1 12 9)"\n')
    assert import_file(store, "quality", quality, crs="EPSG:4326").count == 2
    by_id = {r.id: r for r in [*store.query("finds"), *store.query("quality")]}
    for r in by_id.values():
        assert not shapely.has_z(r.geometry) and not shapely.has_m(r.geometry), r.id
    assert by_id["F0"].geometry.equals(shapely.Point(50.5, 41.0))
    assert "elevations (Z) dropped on entry: 412" in by_id["F0"].notes
    assert "elevations (Z) dropped on entry: 455.25" in by_id["F1"].notes
    assert "measures (M) dropped on entry: 0 to 1532" in by_id["Q1"].notes
    assert "elevation" not in by_id["Q1"].notes
    assert "elevations (Z) dropped on entry: 10 to 12" in by_id["Q2"].notes
    assert "measures (M) dropped on entry: 0 to 9" in by_id["Q2"].notes

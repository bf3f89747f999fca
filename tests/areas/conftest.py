"""Administrative areas from the real geoBoundaries files of ``shared/data/boundaries``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import mapping

from mineaction.io.readers import read_file
from tests.conftest import SHARED, skip_or_fail

BOUNDARIES = SHARED / "data" / "boundaries"
AZE_ADM2 = BOUNDARIES / "geoBoundaries-AZE-ADM2_simplified.topojson"
ARM_ADM1 = BOUNDARIES / "geoBoundaries-ARM-ADM1_simplified.geojson"
GEO_ADM1 = BOUNDARIES / "geoBoundaries-GEO-ADM1_simplified.geojson"


def boundary(path: Path) -> list[dict[str, Any]]:
    """The features of a geoBoundaries file, read by GDAL: shapeID, shapeName, geometry."""
    if not path.exists():
        skip_or_fail(f"{path} is missing (shared/data)")
    src = read_file(path)
    return [{"id": f.properties["shapeID"], "name": f.properties["shapeName"],
             "geometry": shapely.make_valid(f.geometry)} for f in src.features]


def areas_file(tmp: Path, features: list[dict[str, Any]], level: int, country: str,
               parent: str | None = None, name: str = "areas.geojson") -> Path:
    """The features as a GeoJSON file of the admin-areas layer's fields."""
    out = tmp / name
    out.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": f["id"], "name": f["name"], "level": level,
                                           "country": country, "parent_id": parent,
                                           "source": "geoBoundaries"},
         "geometry": mapping(f["geometry"])} for f in features]}), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def aze_adm2() -> list[dict[str, Any]]:
    return boundary(AZE_ADM2)


def by_name(features: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(f for f in features if f["name"] == name)

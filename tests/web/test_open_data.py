"""The open data of the Observer: every table it lists downloads as CSV that libhxl reads
(a row of HXL hashtags), layers as GeoJSON and GeoPackage too, each with licence and date;
nothing the public may not read is offered."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx
import hxl
import hxl.input
import pyogrio
import pytest

pytestmark = [pytest.mark.real, pytest.mark.xdist_group("observer")]


def test_every_public_table_downloads(observer_url: str, tmp_path: Path) -> None:
    page = httpx.get(f"{observer_url}/en/data").text
    links = sorted(set(re.findall(r'href="(/download/[^"]+)"', page)))
    names = {link.rsplit("/", 1)[1] for link in links}
    assert {"hazards.csv", "hazards.geojson", "hazards.gpkg", "figures.csv",
            "casualties--by-year.csv", "land-release--districts.csv"} <= names
    assert not any(n.startswith(("victims", "finds", "users", "evidence")) for n in names)
    today = dt.date.today().isoformat()
    for link in links:
        r = httpx.get(observer_url + link)
        assert r.status_code == 200, link
        assert 'rel="license"' in r.headers["link"] and today in r.headers[
            "content-disposition"]
        path = tmp_path / link.rsplit("/", 1)[1]
        path.write_bytes(r.content)
        if path.suffix == ".csv":
            data = hxl.data(str(path), hxl.input.InputOptions(allow_local=True))
            tags = [c.display_tag for c in data.columns]
            assert tags and all(t.startswith("#") for t in tags), link
            rows: list[Any] = [row.values for row in data]
            if "casualties" in link:  # counts of people: numbers, or marked, never blank
                for values in rows:
                    assert all(v not in ("", None) for v in values[1:]), values
        elif path.suffix == ".geojson":
            doc = r.json()
            assert doc["license"].startswith("https://") and doc["date"] == today
        else:
            meta = pyogrio.read_info(path)["dataset_metadata"]
            assert "CC BY" in meta["LICENCE"] and meta["DATE"] == today
    # no computed area on generalised polygons: it would describe the grid, not the land
    header = httpx.get(f"{observer_url}/download/hazards.csv").text.splitlines()[0]
    assert "area_m2" not in header.split(",")

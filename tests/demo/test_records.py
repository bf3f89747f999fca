"""Minefield records: each one rebuilt from the truth file, and their errors doing what they
say when the records are georeferenced."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter

import numpy as np
import pytest

from mineaction.demo import truth as truth_file
from mineaction.demo.records import EXACT_SHARE, RecordSpec, RowSpec, build_record, draw_errors
from mineaction.domain.minefield_records import parse_record
from mineaction.geo.measure import distance_m
from mineaction.records.georef import georeference
from mineaction.store import open_store

from .conftest import Built

pytestmark = pytest.mark.xdist_group("demo")


def specs_from_truth(b: Built) -> list[RecordSpec]:
    """Every record's spec, read back from the truth file alone."""
    site_g, site_c = truth_file.read_layer(b.truth, "sites")
    corners = {sid: tuple(tuple(map(float, xy)) for xy in list(g.exterior.coords)[:4])
               for g, sid in zip(site_g, site_c["site_id"], strict=True)}
    row_g, row_c = truth_file.read_layer(b.truth, "field_rows")
    rows: dict[str, list[RowSpec]] = {}
    for i, g in enumerate(row_g):
        (x0, y0), (x1, y1) = g.coords
        rows.setdefault(row_c["site_id"][i], []).append(RowSpec(
            str(row_c["row_id"][i]), (x0, y0), (x1, y1), str(row_c["model"][i]),
            str(row_c["category"][i]), int(row_c["count"][i]), float(row_c["spacing_m"][i])))
    rec_g, c = truth_file.read_layer(b.truth, "record_errors")
    out = []
    for i, g in enumerate(rec_g):
        fid = str(c["field_id"][i])
        errors = () if c["errors"][i] == "exact" else tuple(str(c["errors"][i]).split(","))
        out.append(RecordSpec(
            str(c["record_id"][i]), fid, g.coords[0], corners[fid], tuple(rows[fid]),
            str(c["laid_on"][i]), str(c["received_on"][i]), str(c["unit"][i]),
            str(c["reference_north"][i]), float(c["declination_deg"][i]), errors,
            tuple(x for x in str(c["rows_dropped"][i] or "").split(",") if x),
            tuple(sorted(json.loads(c["counts_written"][i]).items())), str(c["source"][i])))
    return out


def test_every_record_is_rebuilt_exactly_from_the_truth_file(scenario: Built) -> None:
    specs = specs_from_truth(scenario)
    files = sorted(scenario.records.glob("MR-*.json"))
    assert len(specs) == len(files) >= 3
    for spec in specs:
        handed = json.loads((scenario.records / f"{spec.record_id}.json").read_text())
        rebuilt = build_record(dataclasses.replace(
            spec, counts_written=tuple(sorted(spec.counts_written))))
        # counts_written order does not change the record
        assert rebuilt == handed, spec.record_id
        parse_record(handed)  # valid in the exchange format


def _perimeter_error(spec: RecordSpec, record: dict) -> np.ndarray:
    g = georeference(parse_record(record), warn=False)
    xy = np.asarray(g.perimeter.exterior.coords)[:4]  # type: ignore[union-attr]
    return np.array([distance_m(x, y, cx, cy) for (x, y), (cx, cy)
                     in zip(xy, spec.corners, strict=True)])


def test_errors_move_the_field_as_real_misreadings_do(scenario: Built) -> None:
    spec = specs_from_truth(scenario)[0]
    base = dataclasses.replace(spec, errors=(), rows_dropped=(), counts_written=(),
                               unit="mil6000", reference_north="magnetic")
    exact = _perimeter_error(base, build_record(base))
    assert exact.max() < 1.5  # rounding of bearings to a mil and distances to 0.1 m
    g = georeference(parse_record(build_record(base)), warn=False)
    first_rows = {r.id: r for r in base.rows}
    for rid, line in g.rows.items():
        (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
        r = first_rows[rid]
        assert distance_m(x0, y0, *r.start) < 1.5 and distance_m(x1, y1, *r.end) < 1.5
    sk42 = _perimeter_error(base, build_record(dataclasses.replace(
        base, errors=("sk42_as_wgs84",))))
    assert sk42.min() > 60 and sk42.max() < 200  # SK-42 is about 100 m off WGS84 here
    decl = _perimeter_error(base, build_record(dataclasses.replace(
        base, errors=("declination_left_out",))))
    # rotated about the reference point by the declination
    far = max(distance_m(*spec.reference, *c) for c in spec.corners)
    assert decl.max() > 0.5 * far * math.radians(spec.declination_deg)
    mils = _perimeter_error(base, build_record(dataclasses.replace(
        base, errors=("mils_confused",))))
    assert mils.max() > 10


def test_record_errors_in_the_truth_match_the_records(scenario: Built) -> None:
    _, items = truth_file.read_layer(scenario.truth, "items")
    laid = {s.split("/")[0] for s in items["item_id"]}
    for spec in specs_from_truth(scenario):
        rec = json.loads((scenario.records / f"{spec.record_id}.json").read_text())
        rows = {r["id"]: r for r in rec["rows"]}
        if "never_laid" in spec.errors:
            assert spec.field_id.startswith("NLF-") and spec.field_id not in laid
            continue
        assert spec.field_id in laid
        if "rows_missing" in spec.errors:
            assert spec.rows_dropped and len(rows) < len(spec.rows)
        else:
            assert len(rows) == len(spec.rows)
        counts = dict(spec.counts_written)
        for r in spec.rows:
            if r.id in rows:
                assert rows[r.id]["count"] == counts.get(r.id, r.count)
                assert (r.id in counts) == ("count_wrong" in spec.errors and r.id in counts)
        assert (rec["crs"] == "EPSG:4326") == ("sk42_as_wgs84" in spec.errors)
        if not spec.errors:
            assert rec["crs"] == "EPSG:4284" and rec["transformation"] == "EPSG:1808"


def test_about_a_quarter_of_records_are_exact() -> None:
    rng = np.random.default_rng(0)
    draws = [draw_errors(rng, 3, rng.random() < 0.08)[0] for _ in range(4000)]
    kinds = Counter("exact" if not e else ("never" if "never_laid" in e else "wrong")
                    for e in draws)
    assert abs(kinds["exact"] / len(draws) - EXACT_SHARE) < 0.03
    assert 0.06 < kinds["never"] / len(draws) < 0.10


def test_records_are_imported_into_the_store(scenario: Built) -> None:
    store = open_store(str(scenario.db))
    try:
        ids = sorted(r.id for r in store.iter("minefield-records"))
    finally:
        store.close()
    assert ids == sorted(p.stem for p in scenario.records.glob("MR-*.json"))

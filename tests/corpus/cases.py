"""The bad-input corpus: generated cases, each with its expected outcome.

A case writes its input files into a folder and gives the command line to run (without
``--db``); it says the exit status expected, for a refusal the row and field the message must
name and words it must hold, and for an accepted case how many records each layer gains.

Cases come from generators, not one by one: a table of base rows per layer
(:data:`BASE_ROWS`) crossed with mutations derived from each layer's field declarations
(:func:`value_mutations`), with geometry, CRS and reference mutations; malformed files per
format; minefield records and the victims register; misuse of the command line.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import Point, Polygon, box

from mineaction.domain.layers import get_layer
from mineaction.domain.schema import EVENT, FieldSpec
from mineaction.io.load import REFERENCES
from tests.conftest import EXAMPLES
from tests.corpus.files import SUFFIX, Raw, Wkt, row_label, write_rows, zip_parts

Maker = Callable[[Path], list[str]]

CATEGORIES = ("bad-value", "bad-geometry", "crs", "reference", "malformed-file", "accepted",
              "cli-misuse")


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    fmt: str  # geojson csv xlsx gpkg shp fgb record-json register cli
    make: Maker = dc_field(repr=False, compare=False)
    exit: int = 2
    #: a refusal names this row and this field (``row, field 'name'``), when not None
    row: str | None = None
    field: str | None = None
    #: words the output must hold
    says: tuple[str, ...] = ()
    #: accepted: records each layer gains
    writes: dict[str, int] = dc_field(default_factory=dict, compare=False)
    #: a known defect left open: the case is expected to fail (strict)
    xfail: str | None = None
    #: replaces --db STORE (``{folder}`` is the case's folder); None: the corpus store
    db: str | None = None

    @property
    def outcome(self) -> str:
        return {0: "accepted", 2: "refused", 1: "failed"}.get(self.exit, str(self.exit))


# ---------------------------------------------------------------------------------------------
# What the corpus store holds before any case runs (ids the cases refer to).

TERRITORY = box(50.3, 40.9, 51.7, 41.9)
BASE_HAZARD = box(50.40, 41.60, 50.41, 41.61)

#: (layer, rows) imported, in order, into every corpus store.
STORE_ROWS: list[tuple[str, list[dict[str, Any]]]] = [
    ("organisations", [{"id": "ORG-1", "name": "Demo operator", "kind": "operator",
                        "country": "AZ"}]),
    ("admin-areas", [{"id": "ADM-1", "name": "Demo country", "level": 0, "country": "AZ",
                      "geometry": TERRITORY}]),
    ("hazards", [{"id": "HZ-1", "kind": "sha", "status": "open", "threat": "high",
                  "contamination": "ap", "recorded_on": "2021-01-01",
                  "geometry": BASE_HAZARD}]),
    ("activities", [{"id": "ACT-1", "kind": "nts", "operator": "ORG-1",
                     "started_on": "2021-05-01", "ended_on": "2021-05-02",
                     "outside_hazard": "true", "geometry": box(50.45, 41.65, 50.46, 41.66)}]),
    ("accidents", [{"id": "ACC-1", "occurred_on": "2021-07-01", "device_category": "ap",
                    "geometry": Point(50.7, 41.3)}]),
    ("victims", [{"id": "VIC-1", "accident_id": "ACC-1", "group": "civilian",
                  "outcome": "injured"}]),
    ("evidence", [{"id": "EV-1", "kind": "witness_statement", "hazard_id": "HZ-1",
                   "geometry": Point(50.405, 41.605)}]),
]


# ---------------------------------------------------------------------------------------------
# Base rows per layer: row n (1 or 2) of a case's file.

def _poly(n: int, y: float = 41.0) -> Polygon:
    x = 50.5 + 0.02 * n
    return box(x, y, x + 0.01, y + 0.01)


def _pt(n: int, y: float = 41.3) -> Point:
    return Point(50.6 + 0.01 * n, y)


BASE_ROWS: dict[str, Callable[[int], dict[str, Any]]] = {
    "organisations": lambda n: {"id": f"ORG-C{n}", "name": f"Operator {n}", "kind": "ngo",
                                "country": "AZ"},
    "admin-areas": lambda n: {"id": f"ADM-C{n}", "name": f"District {n}", "level": 2,
                              "parent_id": "ADM-1", "country": "AZ", "code": f"D{n}",
                              "geometry": _poly(n, 41.7)},
    "hazards": lambda n: {"id": f"HZ-C{n}", "kind": "cha", "status": "open", "threat": "high",
                          "contamination": "ap,av", "recorded_on": f"2022-01-0{n}",
                          "estimated_mines": 12, "land_use": "agriculture",
                          "geometry": _poly(n)},
    "activities": lambda n: {"id": f"ACT-C{n}", "kind": "ts", "operator": "ORG-1",
                             "started_on": "2023-03-01", "ended_on": "2023-03-10",
                             "depth_cm": 20, "outside_hazard": "true", "contamination": "ap",
                             "geometry": _poly(n, 41.2)},
    "finds": lambda n: {"id": f"F-C{n}", "category": "ap", "model": "PMN-2", "quantity": 2,
                        "found_on": "2021-05-01", "destroyed_on": "2021-05-02",
                        "activity_id": "ACT-1", "victim_activated": "false",
                        "geometry": Point(50.452 + 0.001 * n, 41.655)},
    "accidents": lambda n: {"id": f"ACC-C{n}", "occurred_on": "2021-07-01",
                            "device_category": "ap", "device_model": "PMN-2",
                            "activity_at_time": "farming", "geometry": _pt(n)},
    "victims": lambda n: {"id": f"V-C{n}", "accident_id": "ACC-1", "group": "civilian",
                          "outcome": "injured", "sex": "female", "age_band": "adult",
                          "occurred_on": "2021-07-01", "activity_at_time": "farming"},
    "eore": lambda n: {"id": f"EORE-C{n}", "held_on": "2023-04-01", "organisation": "ORG-1",
                       "girls": 5, "boys": 6, "women": 7, "men": 8, "geometry": _pt(n, 41.4)},
    "quality": lambda n: {"id": f"QM-C{n}", "kind": "qc_inspection", "held_on": "2023-04-02",
                          "activity_id": "ACT-1", "result": "pass", "items_found": 0,
                          "geometry": Point(50.455, 41.655 + 0.001 * n)},
    "capacity": lambda n: {"id": f"CAP-C{n}", "operator": "ORG-1",
                           "period_start": "2023-01-01", "period_end": "2023-03-31",
                           "activity_kind": "clearance", "teams": 2, "deminers": 16, "dogs": 1,
                           "machines": 1, "staff_total": 25},
    "evidence": lambda n: {"id": f"EV-C{n}", "kind": "imagery", "credibility": "high",
                           "confidentiality": "restricted", "recorded_on": "2022-05-01",
                           "description": "crater field", "hazard_id": "HZ-1",
                           "reference": f"IMG-{n}", "geometry": _pt(n, 41.5)},
    "figures": lambda n: {"id": f"FIG-C{n}", "country": "AZ", "area": "national",
                          "metric": "ap_area_cleared", "value": 12.5, "unit": "km2",
                          "period_start": "2022-01-01", "period_end": "2022-12-31",
                          "as_of": "2023-02-01", "attributed_to": "Demo authority",
                          "qualifier": "reported", "decimals": 1},
}
LAYERS = tuple(BASE_ROWS)

#: Fields a file does not set (the store or the system fills them) or that hold free text.
SKIPPED_FIELDS = {"source", "notes", "attributes", "version", "owner", "src_crs",
                  "crs_operation"}


def spatial(layer: str) -> bool:
    return get_layer(layer).spatial


def primary(layer: str) -> str:
    return "geojson" if spatial(layer) else "csv"


def secondary(layer: str) -> tuple[str, ...]:
    return ("csv", "xlsx", "gpkg", "shp", "fgb") if spatial(layer) else ("xlsx", "geojson",
                                                                         "gpkg")


def rows_of(layer: str, change: Callable[[dict[str, Any]], None] | None = None,
            tag: str = "") -> list[dict[str, Any]]:
    """The two base rows of ``layer``, the second changed by ``change``; ``tag`` ends their
    ids (accepted cases share a store: each writes ids of its own)."""
    rows = [BASE_ROWS[layer](1), BASE_ROWS[layer](2)]
    for r in rows:
        r["id"] += tag
    if change:
        change(rows[1])
    return rows


def tag_of(cid: str) -> str:
    """A short suffix for the ids an accepted case writes, from the case's id."""
    import hashlib

    return "-" + hashlib.sha1(cid.encode()).hexdigest()[:6]


def import_case(cid: str, category: str, fmt: str, layer: str,
                change: Callable[[dict[str, Any]], None] | None, *, field_: str | None,
                says: tuple[str, ...] = (), exit_: int = 2, options: tuple[str, ...] = (),
                writes: dict[str, int] | None = None, crs: str | None = None,
                rows: list[dict[str, Any]] | None = None, bad_row: int = 2,
                xfail: str | None = None, whole_file: bool = False) -> Case:
    """A case importing a two-row file of ``layer`` whose second row ``change`` breaks."""
    cid_full = f"{category}/{layer}/{fmt}/{cid}"
    table = rows if rows is not None else rows_of(layer, change,
                                                  tag_of(cid_full) if exit_ == 0 else "")
    geometry_type = {"POINT": "Point", "MULTIPOLYGON": "Polygon"}.get(
        get_layer(layer).geometry_type or "", "Unknown") if fmt == "shp" else "Unknown"

    def make(folder: Path) -> list[str]:
        path = write_rows(fmt, folder / layer.replace("-", "_"), table, crs=crs,
                          geometry_type=geometry_type)
        return ["import", layer, str(path), *options]

    where = row_label(fmt, bad_row, table[bad_row - 1]) if exit_ == 2 and field_ != "" else None
    if whole_file:  # a problem of every row at once is named on the file
        where = layer.replace("-", "_") + SUFFIX[fmt]
    return Case(cid_full, category, fmt, make, exit_,
                where, field_ or None, says, writes or {}, xfail)


# ---------------------------------------------------------------------------------------------
# Value mutations, derived from the field declarations.

Mutation = tuple[str, Callable[[dict[str, Any]], None], str | None, tuple[str, ...]]


def _set(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.__setitem__(name, value)


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.pop(name, None)


def value_mutations(layer: str, today: dt.date) -> Iterator[Mutation]:
    """(name, change, field named, words said) for every way a value of ``layer`` can be bad."""
    specs = [s for s in get_layer(layer).fields if s.name not in SKIPPED_FIELDS]
    first_date = next((s.name for s in specs if s.kind == "date"), None)
    first_int = next((s.name for s in specs if s.kind == "integer"), None)
    texts = [s.name for s in specs if s.kind == "text" and s.name != "id"]
    for s in specs:
        yield from _mutations_of(s, today, s.name == first_date, s.name == first_int)
    if texts:
        yield ("nul-in-text", _set(texts[0], "ab\x00cd"), texts[0], ("NUL",))
    else:
        yield ("nul-in-id", _set("id", "X\x00Y"), "id", ("NUL",))
    yield ("id-too-long", _set("id", LONG_ID), "id", ("an id of 3000 characters",))
    refs = [s.name for s in specs if s.name.endswith("_id")]
    if refs:
        yield (f"{refs[0]}-too-long", _set(refs[0], LONG_ID), refs[0],
               ("an id of 3000 characters",))
    if spatial(layer):  # JSON can write a lone surrogate; no other format can
        name = texts[0] if texts else "kind"
        yield ("nul-surrogate-in-text", _set(name, "ab\ud800cd"), name, ("lone surrogate",))
        if layer == "hazards":
            yield ("nul-surrogate-in-column", _set("col\udc80", "v"), "col\\udc80",
                   ("lone surrogate",))


#: An id too long for any index (PostgreSQL's has a size limit), random so as not to compress.
LONG_ID = "".join(f"{i * 7919 % 1000:03d}" for i in range(1000))


def _mutations_of(s: FieldSpec, today: dt.date, first_date: bool, first_int: bool
                  ) -> Iterator[Mutation]:
    n = s.name
    if s.required:
        yield (f"{n}-missing", _drop(n), n, ("required value is missing",))
        if n == "id":
            yield (f"{n}-blank", _set(n, "  "), n, ("required value is missing",))
    if s.kind == "enum":
        yield (f"{n}-unknown", _set(n, "zzz"), n, ("unknown value 'zzz'",))
    elif s.kind == "enumset":
        yield (f"{n}-unknown-item", _set(n, "ap,zzz"), n, ("unknown value 'zzz'",))
    elif s.kind == "integer":
        if first_int or s.minimum is None:
            yield (f"{n}-words", _set(n, "many"), n, ("expected a whole number",))
            yield (f"{n}-2^63", _set(n, 2**63), n, ("too large for a whole number",))
        if s.minimum is not None:
            low = int(s.minimum) - 1
            yield (f"{n}-below-minimum", _set(n, low), n,
                   (f"must be {int(s.minimum)} or more",))
        if first_int:
            yield (f"{n}-fraction", _set(n, "1.5"), n, ("expected a whole number",))
            yield (f"{n}--2^63-1", _set(n, -(2**63) - 1), n, ("too large for a whole number",))
    elif s.kind == "real":
        yield (f"{n}-words", _set(n, "abc"), n, ("expected a number",))
        yield (f"{n}-nan", _set(n, "NaN"), n, ("expected a finite number",))
        yield (f"{n}-inf", _set(n, "-inf"), n, ("expected a finite number",))
    elif s.kind == "boolean":
        yield (f"{n}-maybe", _set(n, "maybe"), n, ("expected true or false",))
    elif s.kind == "date":
        yield (f"{n}-year-9999", _set(n, "9999-01-01"), n, ("is after",))
        if first_date:
            yield (f"{n}-feb-30", _set(n, "2023-02-30"), n, ("expected a date",))
            yield (f"{n}-trailing-garbage", _set(n, "2023-01-01garbage"), n,
                   ("expected a date",))
            yield (f"{n}-before-1900", _set(n, "1899-12-31"), n, ("is before 1900-01-01",))
        if first_date and s.name == "recorded_on":
            yield (f"{n}-words", _set(n, "last spring"), n, ("expected a date",))
            yield (f"{n}-day-first", _set(n, "01/02/2023"), n, ("expected a date",))
            yield (f"{n}-hour-25", _set(n, "2023-01-01T25:00"), n, ("expected a date",))
            if s.ahead == EVENT:
                later = (today + dt.timedelta(days=40)).isoformat()
                yield (f"{n}-future", _set(n, later), n, ("is after",))


#: Rules of a layer beyond single values: (layer, name, change, field named, words said).
RULES: list[tuple[str, str, Callable[[dict[str, Any]], None], str | None, tuple[str, ...]]] = [
    ("activities", "ended-before-started", _set("ended_on", "2023-02-01"), None,
     ("ended_on is before started_on",)),
    ("capacity", "period-end-before-start", _set("period_end", "2022-12-01"), None,
     ("period_end is before period_start",)),
    ("figures", "period-end-before-start", _set("period_end", "2021-12-01"), None,
     ("period_end is before period_start",)),
    ("finds", "model-contradicts-category", _set("category", "av"), None,
     ("ordnance catalogue",)),
    ("finds", "quantity-zero", _set("quantity", 0), "quantity", ("1 or more",)),
]


def value_cases(today: dt.date) -> Iterator[Case]:
    k = 0
    for layer in LAYERS:
        muts = list(value_mutations(layer, today))
        muts += [(name, change, f, says) for lyr, name, change, f, says in RULES
                 if lyr == layer]
        for i, (name, change, field_, says) in enumerate(muts):
            fmts = [primary(layer)]
            if i % 6 == 0:
                fmts.append(secondary(layer)[k % len(secondary(layer))])
                k += 1
            for fmt in fmts:
                if "\x00" in name or (name.startswith("nul") and fmt != primary(layer)):
                    continue
                if name.endswith("too-long") and fmt == "shp":  # a DBF keeps 254 characters
                    continue
                yield import_case(name, "bad-value", fmt, layer, change,
                                  field_=field_ or "", says=says)


# ---------------------------------------------------------------------------------------------
# Duplicates and references.

def reference_cases() -> Iterator[Case]:
    for (layer, fname), target in REFERENCES.items():
        if layer not in BASE_ROWS:
            continue
        for fmt in (primary(layer), secondary(layer)[0]):
            yield import_case(f"{fname}-unknown", "reference", fmt, layer,
                              _set(fname, "NOPE-9"), field_=fname,
                              says=(f"no {target} record 'NOPE-9'",))
    for layer in LAYERS:
        fmt = primary(layer)
        stored = next((rows[0]["id"] for lyr, rows in STORE_ROWS if lyr == layer), None)
        if stored:  # a stored id is the stored record again: reconciled, never added twice
            yield import_case("id-in-store", "reference", fmt, layer, _set("id", stored),
                              field_="id", exit_=0, options=("--dry-run",),
                              says=("1 new, 1 changed, 0 unchanged",))
        first = BASE_ROWS[layer](1)["id"]
        yield import_case("id-twice-in-file", "reference", fmt, layer, _set("id", first),
                          field_="id", says=("duplicate id",))
        yield import_case("id-twice-padded", "reference", fmt, layer, _set("id", f" {first} "),
                          field_="id", says=("duplicate id",))


# ---------------------------------------------------------------------------------------------
# Geometries and coordinate reference systems.

BOW_TIE = Polygon([(50.52, 41.0), (50.53, 41.01), (50.53, 41.0), (50.52, 41.01)])
WORLD = box(-179, -80, 179, 80)


def geometry_mutations(layer: str) -> Iterator[tuple[str, Any, str, tuple[str, ...], bool]]:
    """(name, geometry, field, words said, in GeoJSON only) for ``layer``."""
    lyr = get_layer(layer)
    polygons = lyr.geometry_type == "MULTIPOLYGON"
    if lyr.geometry_required:
        yield ("missing", None, "geometry", ("geometry is missing",), False)
    if polygons:
        yield ("point-not-polygon", Point(50.5, 41.0), "geometry", ("geometry is a Point",),
               False)
        yield ("line-not-polygon", shapely.LineString([(50.5, 41.0), (50.6, 41.1)]),
               "geometry", ("geometry is a LineString",), False)
        yield ("self-intersection", BOW_TIE, "geometry", ("self-intersection", "--repair"),
               False)
        yield ("unclosed-ring", Raw(type="Polygon", coordinates=[[[50.5, 41.0], [50.51, 41.0],
                                                                   [50.51, 41.01]]]),
               "geometry", ("geometry",), True)
        yield ("no-area", Raw(type="Polygon", coordinates=[[[50.5, 41.0], [50.51, 41.0],
                                                             [50.52, 41.0], [50.5, 41.0]]]),
               "geometry", ("geometry",), True)
    elif lyr.geometry_type == "POINT":
        yield ("polygon-not-point", _poly(2), "geometry", ("geometry is a Polygon",), False)
    yield ("empty", Raw(type="Polygon" if polygons else "Point", coordinates=[]), "geometry",
           ("empty",), True)
    yield ("not-numbers", Raw(type="Point", coordinates=["x", "y"]), "geometry",
           ("not a position",), True)
    yield ("nan-literal", Raw(type="Point", coordinates=[float("nan"), 41.0]), "geometry",
           ("not a position",), True)
    yield ("unknown-type", Raw(type="Circle", coordinates=[50.5, 41.0]), "geometry",
           ("'Circle'",), True)
    yield ("no-coordinates", Raw(type="Point"), "geometry", ("without 'coordinates'",), True)
    yield ("bad-wkt", Wkt("POLYGON ((50.5 41, 50.6"), "geometry", ("not valid WKT",), True)


def geometry_cases() -> Iterator[Case]:
    for layer in LAYERS:
        if not spatial(layer):
            continue
        for i, (name, geom, field_, says, only) in enumerate(geometry_mutations(layer)):
            if isinstance(geom, Wkt):
                fmts = ["csv"]
            elif only:
                fmts = ["geojson"]
            else:
                fmts = ["geojson", ("csv", "gpkg", "xlsx")[i % 3]]
            for fmt in fmts:
                yield import_case(name, "bad-geometry", fmt, layer, _set("geometry", geom),
                                  field_=field_, says=says)
    # a release larger than any is refused unless allowed
    yield import_case("world-sized", "bad-geometry", "geojson", "activities",
                      _set("geometry", WORLD), field_="geometry", says=("km²",))
    yield import_case("larger-than-100-km2", "bad-geometry", "gpkg", "activities",
                      _set("geometry", box(50.5, 41.0, 50.65, 41.8)), field_="geometry",
                      says=("more than the 100 km²",))
    # geometry given to a layer without one
    yield import_case("geometry-on-capacity", "bad-geometry", "geojson", "capacity",
                      _set("geometry", Point(50.5, 41.0)), field_="geometry",
                      says=("has no geometry",))


def crs_cases() -> Iterator[Case]:
    for layer in LAYERS:
        if not spatial(layer):
            continue
        yield import_case("longitude-200", "crs", "geojson", layer,
                          _set("geometry", shapely.affinity.translate(
                              BASE_ROWS[layer](2)["geometry"], xoff=150)),
                          field_="geometry", says=("outside longitude/latitude range",))
        yield import_case("lonlat-swapped", "crs", ("csv", "gpkg")[len(layer) % 2], layer,
                          _set("geometry", shapely.transform(
                              BASE_ROWS[layer](2)["geometry"], lambda c: c[:, ::-1])),
                          field_="geometry", says=("look swapped",))
        yield import_case("degrees-declared-utm", "crs", "geojson", layer, None,
                          crs="EPSG:32639", field_="geometry", whole_file=True,
                          says=("look like degrees",))
        yield import_case("degrees-as-3857", "crs", "csv", layer, None, field_="geometry",
                          whole_file=True, options=("--crs", "EPSG:3857"),
                          says=("look like degrees",))
        yield import_case("unknown-crs", "crs", primary(layer), layer, None, field_="",
                          options=("--crs", "EPSG:999999"), says=("unknown CRS",))
    yield import_case("crs-words", "crs", "geojson", "hazards", None, field_="",
                      options=("--crs", "my local grid"), says=("unknown CRS",))
    yield import_case("unknown-operation", "crs", "geojson", "hazards", None, field_="",
                      options=("--crs", "EPSG:4284", "--operation", "EPSG:1"),
                      says=("EPSG:1",))
    yield import_case("operation-without-crs", "crs", "geojson", "hazards", None, field_="",
                      options=("--operation", "EPSG:1808"), says=("does not apply",))
    yield import_case("prj-contradicts", "crs", "shp", "hazards", None, crs="EPSG:32639",
                      field_="geometry", whole_file=True, says=("look like degrees",))
    yield import_case("gpkg-utm-with-degrees", "crs", "gpkg", "finds", None, crs="EPSG:32639",
                      field_="geometry", whole_file=True, says=("look like degrees",))


# ---------------------------------------------------------------------------------------------
# Accepted cases: files a user would want imported.

def _utm(geom: Any) -> Any:
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", "EPSG:32639", always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def _projected_rows(layer: str, tag: str) -> list[dict[str, Any]]:
    rows = rows_of(layer, tag=tag)
    for r in rows:
        r["geometry"] = _utm(r["geometry"])
    return rows


def accepted_cases() -> Iterator[Case]:
    for i, layer in enumerate(LAYERS):
        for fmt in (primary(layer), secondary(layer)[i % len(secondary(layer))]):
            yield import_case("two-rows", "accepted", fmt, layer, None, field_="", exit_=0,
                              writes={layer: 2})
    for layer, fmt in (("hazards", "geojson"), ("finds", "gpkg"), ("activities", "shp"),
                       ("evidence", "fgb")):
        yield import_case("in-utm-39n", "accepted", fmt, layer, None, field_="", exit_=0,
                          rows=_projected_rows(layer, f"-utm-{fmt}"), crs="EPSG:32639",
                          writes={layer: 2})
    yield import_case("utm-by-option", "accepted", "csv", "hazards", None, field_="", exit_=0,
                      rows=_projected_rows("hazards", "-utm-option"),
                      options=("--crs", "EPSG:32639"),
                      writes={"hazards": 2})
    yield import_case("pulkovo-with-operation", "accepted", "geojson", "hazards", None,
                      field_="", exit_=0, options=("--crs", "EPSG:4284", "--operation",
                                                   "EPSG:1808"), writes={"hazards": 2})
    yield import_case("repaired-when-asked", "accepted", "geojson", "hazards",
                      _set("geometry", BOW_TIE), field_="", exit_=0, options=("--repair",),
                      writes={"hazards": 2}, says=("repaired 1 geometry",))
    yield import_case("world-when-allowed", "accepted", "geojson", "activities",
                      _set("geometry", box(50.5, 41.0, 50.65, 41.8)), field_="", exit_=0,
                      options=("--allow-large-release",), writes={"activities": 2})
    yield import_case("z-dropped-with-note", "accepted", "geojson", "hazards",
                      _set("geometry", shapely.force_3d(_poly(2), 120.0)), field_="",
                      exit_=0, writes={"hazards": 2})
    yield import_case("unknown-columns-kept", "accepted", "csv", "capacity",
                      _set("shift", "night"), field_="", exit_=0, writes={"capacity": 2})
    yield import_case("personal-columns-apart", "accepted", "csv", "victims",
                      lambda r: r.update({"surname": "Aliyev", "national_id": "AZE-12",
                                          "phone": "+994 50 000", "address": "Quba"}),
                      field_="", exit_=0, writes={"victims": 2, "victims-personal": 1})
    yield import_case("dates-with-time", "accepted", "csv", "eore",
                      _set("held_on", "2023-04-01T10:30:00+04:00"), field_="", exit_=0,
                      writes={"eore": 2})
    yield import_case("enum-in-capitals", "accepted", "xlsx", "hazards",
                      _set("kind", "SHA"), field_="", exit_=0, writes={"hazards": 2})
    yield import_case("integer-as-real", "accepted", "geojson", "hazards",
                      _set("estimated_mines", 12.0), field_="", exit_=0, writes={"hazards": 2})
    yield import_case("largest-int64", "accepted", "csv", "capacity",
                      _set("staff_total", 2**63 - 1), field_="", exit_=0,
                      writes={"capacity": 2})
    yield import_case("cyrillic-model", "accepted", "geojson", "finds", _set("model", "ПМН-2"),
                      field_="", exit_=0, writes={"finds": 2})
    yield import_case("new-hazard-by-survey", "accepted", "geojson", "activities",
                      lambda r: r.update({"survey_result": "new_hazard",
                                          "hazard_id": "HZ-NEW-1", "kind": "nts"}),
                      field_="", exit_=0, writes={"activities": 2})
    yield import_case("beyond-2^31", "accepted", "gpkg", "hazards",
                      _set("estimated_mines", 3_000_000_000), field_="", exit_=0,
                      writes={"hazards": 2})
    yield import_case("z-and-m-in-gpkg", "accepted", "gpkg", "finds",
                      _set("geometry", shapely.Point(50.454, 41.655, 12.5)), field_="",
                      exit_=0, writes={"finds": 2})
    yield import_case("text-over-128-kib", "accepted", "csv", "hazards",
                      _set("name", "n" * 200_000), field_="", exit_=0, writes={"hazards": 2})
    yield Case("accepted/finds/xlsx/dimension-understated", "accepted", "xlsx",
               _xlsx_small_dimension, 0, writes={"finds": 3})
    yield Case("accepted/hazards/shp/cpg-cp1251", "accepted", "shp",
               lambda f: _shp_cp1251(f, tag="-cpg"), 0,
               writes={"hazards": 2})
    yield Case("accepted/hazards/shp/no-cpg-with-encoding", "accepted", "shp",
               lambda f: _shp_cp1251(f, cpg=False, tag="-enc") + ["--encoding", "cp1251"], 0,
               writes={"hazards": 2})
    yield Case("accepted/finds/xlsx/formula-with-cached-value", "accepted", "xlsx",
               lambda f: _xlsx_formula(f, cached=True, tag="-formula"), 0,
               writes={"finds": 2})
    yield Case("accepted/organisations/csv/semicolons-and-bom", "accepted", "csv",
               lambda f: _csv_semicolons(f, "-semi"), 0, writes={"organisations": 2})
    yield Case("accepted/organisations/csv/cp1252-with-encoding", "accepted", "csv",
               lambda f: _csv_cp1252(f, "-1252") + ["--encoding", "cp1252"], 0,
               writes={"organisations": 2})
    yield Case("accepted/finds/csv/lon-lat-columns", "accepted", "csv",
               lambda f: _csv_lonlat(f, "-lonlat"), 0,
               writes={"finds": 2})
    yield Case("accepted/hazards/gpkg/chosen-layer", "accepted", "gpkg",
               lambda f: ["import", "hazards", *_gpkg_two_layers(f, "-chosen"),
                          "--source-layer", "hazards"], 0,
               writes={"hazards": 2})
    yield Case("accepted/minefield-records/record-json/example", "accepted", "record-json",
               lambda f: ["records", "import", _record_file(f, "ok", lambda r: None)], 0,
               writes={"minefield-records": 1})
    yield Case("accepted/minefield-records/record-json/without-format", "accepted",
               "record-json", lambda f: ["records", "import", _record_file(
                   f, "noformat", _at(("format",), _DELETE))], 0,
               writes={"minefield-records": 1})
    yield Case("accepted/minefield-records/record-json/crs-as-epsg-number", "accepted",
               "record-json", lambda f: ["records", "import", _record_file(
                   f, "crsnumber", _at(("crs",), 28409))], 0, writes={"minefield-records": 1})
    yield Case("accepted/victims/register/colombia", "accepted", "register",
               lambda f: ["import-register", "victims", _register_may_2006(f), "--mapping",
                          _colombia_mapping(f)], 0, says=("2 new",), writes={"victims": 2})


def _register_may_2006(folder: Path) -> str:
    """The register's rows as victims of another month than those the store holds."""
    return _register(folder, [], both=[("mes", "5")])


def _shp_cp1251(folder: Path, cpg: bool = True, tag: str = "") -> list[str]:
    rows = rows_of("hazards", tag=tag)
    rows[0]["name"], rows[1]["name"] = "Поле у реки", "Сад"
    shp = folder / "hz_cp1251.shp"
    import numpy as np
    import pyogrio

    names = [k for k in rows[0] if k != "geometry"]
    with warnings.catch_warnings():  # field names cut to 10 characters
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.raw.write(str(shp), np.array([shapely.to_wkb(r["geometry"]) for r in rows],
                                             dtype=object),
                          [np.array([str(r[k]) for r in rows], dtype=object) for k in names],
                          names, driver="ESRI Shapefile", geometry_type="Polygon",
                          crs="EPSG:4326", encoding="cp1251")
    if not cpg:
        for p in folder.glob("hz_cp1251.cpg"):
            p.unlink()
    return ["import", "hazards", str(zip_parts(folder / "hz_cp1251.zip", shp))]


def _xlsx_formula(folder: Path, cached: bool, tag: str = "") -> list[str]:
    """Finds in an XLSX whose quantity of row 3 is a formula, with or without the value a
    spreadsheet program computed for it."""
    path = write_rows("xlsx", folder / "finds_formula", rows_of("finds", tag=tag))
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode("utf-8")
    # the quantity column is D; row 3 holds the second base row
    import re

    cell = re.search(r'<c r="D3"[^>]*>.*?</c>', xml)
    assert cell, xml[:400]
    value = "<v>3</v>" if cached else ""
    xml = xml.replace(cell.group(0), f'<c r="D3"><f>1+2</f>{value}</c>')
    parts[sheet] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return ["import", "finds", str(path)]


def _xlsx_small_dimension(folder: Path) -> list[str]:
    """Three finds in an XLSX whose <dimension> says it holds one row (as some programs
    write it)."""
    import re

    rows = rows_of("finds", tag="-dim") + [BASE_ROWS["finds"](3)]
    rows[2]["id"] += "-dim"
    path = write_rows("xlsx", folder / "finds_dimension", rows)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml, n = re.subn(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:I2"/>',
                     parts[sheet].decode("utf-8"))
    assert n == 1
    parts[sheet] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return ["import", "finds", str(path)]


def _csv_semicolons(folder: Path, tag: str) -> list[str]:
    p = folder / "orgs.csv"
    p.write_bytes(f"\ufeffid;name;kind\nORG-C1{tag};Opérateur;ngo\nORG-C2{tag};Другой;donor\n"
                  .encode())
    return ["import", "organisations", str(p)]


def _csv_cp1252(folder: Path, tag: str) -> list[str]:
    p = folder / "orgs.csv"
    p.write_bytes(f"id,name,kind\nORG-C1{tag},Opérateur,ngo\nORG-C2{tag},Société,donor\n"
                  .encode("cp1252"))
    return ["import", "organisations", str(p)]


def _csv_lonlat(folder: Path, tag: str) -> list[str]:
    p = folder / "finds.csv"
    p.write_text(f"id,category,quantity,lon,lat\nF-C1{tag},ap,1,50.453,41.655\n"
                 f"F-C2{tag},uxo,4,50.454,41.655\n", encoding="utf-8")
    return ["import", "finds", str(p)]


def _gpkg_two_layers(folder: Path, tag: str = "") -> list[str]:
    import numpy as np
    import pyogrio

    p = folder / "two.gpkg"
    for layer in ("hazards", "activities"):
        rows = rows_of(layer, tag=tag)
        names = [k for k in rows[0] if k != "geometry"]
        pyogrio.raw.write(str(p), np.array([shapely.to_wkb(r["geometry"]) for r in rows],
                                           dtype=object),
                          [np.array([str(r[k]) for r in rows], dtype=object) for k in names],
                          names, driver="GPKG", geometry_type="Polygon", crs="EPSG:4326",
                          layer=layer, append=p.exists())
    return [str(p)]


# ---------------------------------------------------------------------------------------------
# Files that cannot be read as their name says.

def _bytes_file(name: str, data: bytes | str, layer: str = "hazards",
                options: tuple[str, ...] = ()) -> Maker:
    def make(folder: Path) -> list[str]:
        p = folder / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return ["import", layer, str(p), *options]
    return make


FC_HEAD = '{"type": "FeatureCollection", "features": ['


def malformed_cases() -> Iterator[Case]:
    m = "malformed-file"
    feature = json.dumps({"type": "Feature", "properties": {"id": "H1", "kind": "sha"},
                          "geometry": {"type": "Point", "coordinates": [50.5, 41.0]}})
    plain: list[tuple[str, str, bytes | str, tuple[str, ...], str, tuple[str, ...]]] = [
        # (id, file name, content, says, layer, options)
        ("geojson/not-json", "h.geojson", "this is not json", ("not JSON",), "hazards", ()),
        ("geojson/truncated", "h.geojson", FC_HEAD + feature[:40], ("not JSON",), "hazards", ()),
        ("geojson/empty", "h.geojson", "", ("GeoJSON",), "hazards", ()),
        ("geojson/a-list", "h.geojson", "[1, 2, 3]", ("a JSON list",), "hazards", ()),
        ("geojson/a-number", "h.geojson", "42", ("a JSON int",), "hazards", ()),
        ("geojson/bare-geometry", "h.geojson",
         '{"type": "Polygon", "coordinates": [[[50.5, 41], [50.6, 41], [50.6, 41.1], '
         '[50.5, 41]]]}', ("bare GeoJSON Polygon",), "hazards", ()),
        ("geojson/features-not-list", "h.geojson",
         '{"type": "FeatureCollection", "features": {"a": 1}}', ("not a list",), "hazards", ()),
        ("geojson/other-type", "h.geojson", '{"type": "Topo"}', ("'Topo'",), "hazards", ()),
        ("geojson/deeply-nested", "h.geojson", "[" * 100_000 + "]" * 100_000,
         ("nested too deeply",), "hazards", ()),
        ("geojson/latin1-bytes", "h.geojson",
         (FC_HEAD + feature.replace("sha", "sha\u00e9") + "]}").encode("latin-1"),
         ("not UTF-8",), "hazards", ()),
        ("geojson/utf16-no-bom", "h.geojson", (FC_HEAD + "]}").encode("utf-16-le"),
         ("UTF-16",), "hazards", ()),
        ("geojson/binary", "h.geojson", bytes(range(256)) * 4, ("h.geojson",), "hazards", ()),
        ("geojson/source-layer", "h.geojson", FC_HEAD + "]}", ("--source-layer",), "hazards",
         ("--source-layer", "x")),
        ("csv/empty", "o.csv", "", ("empty CSV",), "organisations", ()),
        ("csv/blank-header", "o.csv", " , ,\nx,y,z\n", ("empty CSV",), "organisations", ()),
        ("csv/quote-not-closed", "o.csv", 'id,name,kind\nO1,"Open quote,ngo\n',
         ("quoted value",), "organisations", ()),
        ("csv/cp1251-undeclared", "o.csv",
         "id,name,kind\nO1,Оператор,ngo\n".encode("cp1251"), ("not UTF-8",), "organisations",
         ()),
        ("csv/unknown-encoding", "o.csv", "id,name,kind\nO1,a,ngo\n", ("unknown encoding",),
         "organisations", ("--encoding", "klingon-8")),
        ("csv/binary", "o.csv", b"PK\x03\x04" + bytes(range(256)), ("o.csv",), "organisations",
         ()),
        ("csv/source-layer", "o.csv", "id,name,kind\nO1,a,ngo\n", ("holds one table",),
         "organisations", ("--source-layer", "x")),
        ("xlsx/not-a-zip", "o.xlsx", "id,name\n", ("not a readable XLSX",), "organisations",
         ()),
        ("xlsx/encoding", "o.xlsx", "id,name\n", ("--encoding does not apply",),
         "organisations", ("--encoding", "cp1251")),
        ("gpkg/text", "h.gpkg", "not a geopackage\n", ("h.gpkg",), "hazards", ()),
        ("gpkg/empty", "h.gpkg", b"", ("h.gpkg",), "hazards", ()),
        ("fgb/garbage", "h.fgb", b"fgb\x03fgb\x00" + bytes(200), ("h.fgb",), "hazards", ()),
        ("fgb/text", "h.fgb", "hello", ("h.fgb",), "hazards", ()),
        ("shp/not-a-zip", "h.zip", "not a zip", ("h.zip",), "hazards", ()),
        ("kml/garbage", "h.kml", "<kml><Document><Placemark>", ("h.kml",), "hazards", ()),
        ("unknown-extension", "h.doc", "hello", ("h.doc",), "hazards", ()),
    ]
    for cid, name, data, says, layer, options in plain:
        yield Case(f"{m}/{cid}", m, cid.split("/")[0] if "/" in cid else "other",
                   _bytes_file(name, data, layer, options), 2, says=says)
    yield Case(f"{m}/missing-file", m, "other",
               lambda f: ["import", "hazards", str(f / "nowhere.geojson")], 2,
               says=("no such file",))
    # rows that a reader names
    rowsy: list[tuple[str, str, str, str, str, tuple[str, ...]]] = [
        # (id, file name, content, row, field, says)
        ("csv/duplicate-column", "o.csv", "id,name,name,kind\nO1,a,b,ngo\n", "header", "name",
         ("2 columns",)),
        ("csv/unnamed-column-value", "o.csv", "id,name,,kind\nO1,a,x,ngo\n", "line 2",
         "column 3", ("no name",)),
        ("csv/row-too-long", "o.csv", "id,name,kind\nO1,a,ngo\nO2,b,ngo,extra\n", "line 3",
         "geometry", ("more values",)),
        ("csv/nul-in-value", "o.csv", "id,name,kind\nO1,a\x00b,ngo\n", "line 2", "name",
         ("NUL",)),
        ("geojson/duplicate-property", "h.geojson",
         FC_HEAD + feature.replace('"kind": "sha"', '"kind": "sha", "kind": "cha"') + "]}",
         "feature 1 (id H1)", "kind", ("more than once",)),
        ("geojson/not-a-feature", "h.geojson", FC_HEAD + '{"type": "Point"}]}', "feature 1",
         "", ("not a GeoJSON Feature",)),
        ("geojson/properties-a-list", "h.geojson",
         FC_HEAD + '{"type": "Feature", "properties": [1], "geometry": null}]}', "feature 1",
         "properties", ("not a JSON object",)),
        ("geojson/nul-in-value", "h.geojson",
         FC_HEAD + feature.replace('"sha"', '"s\\u0000ha"') + "]}", "feature 1 (id H1)",
         "kind", ("NUL",)),
    ]
    for cid, name, data, row, field_, says in rowsy:
        layer = "organisations" if name.startswith("o.") else "hazards"
        yield Case(f"{m}/{cid}", m, cid.split("/")[0], _bytes_file(name, data, layer), 2,
                   row, field_ or None, says)
    yield Case(f"{m}/xlsx/formula-without-value", m, "xlsx",
               lambda f: _xlsx_formula(f, cached=False), 2, "sheet 'Sheet' row 3", "quantity",
               ("formula without a computed value",))
    yield Case(f"{m}/xlsx/no-such-sheet", m, "xlsx",
               lambda f: [*_xlsx_formula(f, cached=True), "--source-layer", "Nope"], 2,
               says=("has no sheet 'Nope'",))
    yield Case(f"{m}/xlsx/empty-sheet", m, "xlsx", _xlsx_empty, 2, says=("is empty",))
    yield Case(f"{m}/xlsx/duplicate-column", m, "xlsx", _xlsx_duplicate, 2, "header", "kind",
               ("2 columns",))
    yield Case(f"{m}/gpkg/two-layers", m, "gpkg",
               lambda f: ["import", "hazards", *_gpkg_two_layers(f)], 2,
               says=("choose one with --source-layer",))
    yield Case(f"{m}/gpkg/no-such-layer", m, "gpkg",
               lambda f: ["import", "hazards", *_gpkg_two_layers(f), "--source-layer", "x"], 2,
               says=("has no layer 'x'",))
    for part, says in ((".shx", "index of shapes"), (".dbf", "attribute table")):
        yield Case(f"{m}/shp/missing-{part[1:]}", m, "shp", _shp_without(part), 2,
                   says=(says,))
    yield Case(f"{m}/shp/zip-without-shapefile", m, "shp", _zip_of_text, 2,
               says=("holds no Shapefile",))
    yield Case(f"{m}/shp/two-shapefiles", m, "shp", _zip_two_shapefiles, 2,
               says=("--source-layer",))
    yield Case(f"{m}/shp/cp1251-without-cpg", m, "shp", lambda f: _shp_cp1251(f, cpg=False),
               2, says=("not UTF-8",))
    yield Case(f"{m}/fgb/truncated", m, "fgb", _fgb_truncated, 2, says=("h.fgb",))


def _xlsx_empty(folder: Path) -> list[str]:
    from openpyxl import Workbook

    p = folder / "e.xlsx"
    Workbook().save(p)
    return ["import", "organisations", str(p)]


def _xlsx_duplicate(folder: Path) -> list[str]:
    from openpyxl import Workbook

    p = folder / "d.xlsx"
    wb = Workbook()
    wb.active.append(["id", "kind", "kind"])
    wb.active.append(["H1", "sha", "cha"])
    wb.save(p)
    return ["import", "hazards", str(p)]


def _shp_without(part: str) -> Maker:
    def make(folder: Path) -> list[str]:
        p = write_rows("shp", folder / "h", rows_of("hazards"), geometry_type="Polygon")
        z = zip_parts(folder / "cut.zip", folder / "h.shp", skip=(part,))
        p.unlink()
        return ["import", "hazards", str(z)]
    return make


def _zip_of_text(folder: Path) -> list[str]:
    z = folder / "h.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "no shapefile here")
    return ["import", "hazards", str(z)]


def _zip_two_shapefiles(folder: Path) -> list[str]:
    write_rows("shp", folder / "a", rows_of("hazards"), geometry_type="Polygon")
    write_rows("shp", folder / "b", rows_of("hazards"), geometry_type="Polygon")
    z = folder / "two.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(folder.iterdir()):
            if p.suffix != ".zip":
                zf.write(p, p.name)
    return ["import", "hazards", str(z)]


def _fgb_truncated(folder: Path) -> list[str]:
    p = write_rows("fgb", folder / "h", rows_of("hazards"))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return ["import", "hazards", str(p)]


# ---------------------------------------------------------------------------------------------
# Minefield records (records import).

RECORD = json.loads((EXAMPLES / "minefield-records" / "MR-0001.json").read_text("utf-8"))


def _record_file(folder: Path, name: str, change: Callable[[dict[str, Any]], None], *,
                 raw: str | None = None) -> str:
    rec = copy.deepcopy(RECORD)
    rec["record_id"] = f"MR-{name.upper()}"
    change(rec)
    p = folder / f"{name}.json"
    p.write_text(raw if raw is not None else json.dumps(rec), encoding="utf-8")
    return str(p)


def _at(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(rec: dict[str, Any]) -> None:
        target = rec
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return change


_DELETE = object()

#: (name, path, value, field named): values a record cannot take.
RECORD_MUTATIONS: list[tuple[str, tuple[Any, ...], Any, str]] = [
    ("format-v9", ("format",), "mineaction-minefield-record/9", "format"),
    ("no-crs", ("crs",), _DELETE, "crs"),
    ("crs-unknown", ("crs",), "EPSG:999999", "crs"),
    ("transformation-unknown", ("transformation",), "EPSG:1", "transformation"),
    ("received-feb-30", ("received_on",), "2021-02-30", "received_on"),
    ("received-9999", ("received_on",), "9999-01-01", "received_on"),
    ("laid-garbage", ("laid_on",), "1993-04-20garbage", "laid_on"),
    ("confidentiality-unknown", ("confidentiality",), "top", "confidentiality"),
    ("no-reference-points", ("reference_points",), _DELETE, "reference_points"),
    ("reference-points-empty", ("reference_points",), [], "reference_points"),
    ("reference-x-text", ("reference_points", 0, "x"), "east", "reference_points[0].x"),
    ("reference-x-nan", ("reference_points", 0, "x"), float("nan"), "reference_points[0].x"),
    ("reference-y-inf", ("reference_points", 0, "y"), float("inf"), "reference_points[0].y"),
    ("reference-no-id", ("reference_points", 0, "id"), _DELETE, "reference_points[0].id"),
    ("bearing-unit-unknown", ("bearings", "unit"), "grad", "bearings.unit"),
    ("bearing-reference-unknown", ("bearings", "reference"), "north", "bearings.reference"),
    ("declination-text", ("bearings", "declination_deg"), "six", "bearings.declination_deg"),
    ("bearing-negative", ("turning_points", 1, "bearing"), -5, "turning_points[1].bearing"),
    ("bearing-full-circle", ("turning_points", 1, "bearing"), 6000,
     "turning_points[1].bearing"),
    ("bearing-nan", ("turning_points", 1, "bearing"), float("nan"),
     "turning_points[1].bearing"),
    ("distance-negative", ("turning_points", 2, "distance_m"), -60,
     "turning_points[2].distance_m"),
    ("distance-zero", ("turning_points", 2, "distance_m"), 0, "turning_points[2].distance_m"),
    ("distance-text", ("turning_points", 2, "distance_m"), "60 m",
     "turning_points[2].distance_m"),
    ("distance-huge", ("turning_points", 1, "distance_m"), 1e308, "turning_points[1]"),
    ("from-unknown", ("turning_points", 1, "from"), "TP99", "turning_points[1].from"),
    ("from-itself", ("turning_points", 1, "from"), "TP2", "turning_points[1].from"),
    ("from-later", ("turning_points", 1, "from"), "TP4", "turning_points[1].from"),
    ("turning-point-id-twice", ("turning_points", 1, "id"), "TP1", "turning_points[1].id"),
    ("perimeter-unknown", ("perimeter",), ["TP1", "TP2", "TP99"], "perimeter[2]"),
    ("perimeter-not-list", ("perimeter",), "TP1,TP2", "perimeter"),
    ("row-count-negative", ("rows", 0, "count"), -40, "rows[0].count"),
    ("row-count-text", ("rows", 0, "count"), "forty", "rows[0].count"),
    ("row-spacing-zero", ("rows", 0, "spacing_m"), 0, "rows[0].spacing_m"),
    ("row-too-short", ("rows", 0, "count"), 4000, "rows[0].count"),
    ("row-category-unknown", ("rows", 0, "category"), "mines", "rows[0].category"),
    ("row-offset-unknown", ("rows", 1, "offset", "row"), "R9", "rows[1].offset.row"),
    ("row-offset-itself", ("rows", 1, "offset", "row"), "R2", "rows[1].offset.row"),
    ("row-offset-side", ("rows", 1, "offset", "side"), "up", "rows[1].offset.side"),
    ("row-start-unknown", ("rows", 0, "start"), "TP99", "rows[0].start"),
    ("mine-from-unknown", ("mines", 0, "from"), "TP99", "mines[0].from"),
    ("mine-distance-inf", ("mines", 0, "distance_m"), float("inf"), "mines[0].distance_m"),
    ("mine-category-unknown", ("mines", 0, "category"), "boom", "mines[0].category"),
    ("unknown-field", ("colour",), "red", "(record)"),
    ("record-id-empty", ("record_id",), "", "record_id"),
    ("record-id-too-long", ("record_id",), "MR-" + "".join(
        f"{i * 7919 % 1000:03d}" for i in range(1000)), "record_id"),
    ("record-id-surrogate", ("record_id",), "MR-\ud800", "record_id"),
    ("notes-surrogate", ("notes",), "caf\udce9", "notes"),
    ("key-surrogate", ("x-\udc80",), "v", "x-\\udc80"),
]


def record_cases() -> Iterator[Case]:
    cat = {"crs": "crs", "transformation": "crs", "perimeter": "reference",
           "from": "reference"}
    for name, path, value, field_ in RECORD_MUTATIONS:
        rid = f"MR-{name.upper()}"
        category = next((c for k, c in cat.items() if k in name), "bad-value")
        row = None if name.startswith("record-id") else f"record {rid}"
        says = (field_,) if row is None else ()

        def make(folder: Path, name: str = name, path: tuple[Any, ...] = path,
                 value: Any = value) -> list[str]:
            return ["records", "import", _record_file(folder, name, _at(path, value))]

        yield Case(f"{category}/minefield-records/record-json/{name}", category, "record-json",
                   make, 2, row, field_ if row else None, says)
    yield Case("reference/minefield-records/record-json/id-in-store", "reference",
               "record-json",
               lambda f: ["records", "import", _record_file(f, "0001", lambda r: None)], 2,
               "record MR-0001", None, ("already in the store",))
    yield Case("reference/minefield-records/record-json/id-twice", "reference", "record-json",
               lambda f: ["records", "import", _record_file(f, "twice", lambda r: None),
                          _record_file(f, "twice2", _at(("record_id",), "MR-TWICE"))], 2,
               "record MR-TWICE", None, ("2 times",))
    for name, raw, says in (("not-json", "{", "not JSON"), ("a-list-of-numbers", "[1, 2]", ""),
                            ("empty", "", "not JSON"),
                            ("deep", "[" * 50_000 + "]" * 50_000, "deep"),
                            ("nan-literal", json.dumps(RECORD).replace(
                                '"distance_m": 150', '"distance_m": NaN'), "finite")):
        yield Case(f"malformed-file/minefield-records/record-json/{name}", "malformed-file",
                   "record-json",
                   lambda f, name=name, raw=raw: ["records", "import",
                                                  _record_file(f, name, lambda r: None,
                                                               raw=raw)], 2,
                   says=(says,) if says else ())
    yield Case("malformed-file/minefield-records/record-json/latin1", "malformed-file",
               "record-json", _record_latin1, 2, says=("latin1.json",))
    yield Case("malformed-file/minefield-records/record-json/missing", "malformed-file",
               "record-json", lambda f: ["records", "import", str(f / "none.json")], 2,
               says=("none.json",))


def _record_latin1(folder: Path) -> list[str]:
    p = folder / "latin1.json"
    p.write_bytes(json.dumps({**RECORD, "record_id": "MR-LATIN", "notes": "caf\u00e9"},
                             ensure_ascii=False).encode("latin-1"))
    return ["records", "import", str(p)]


# ---------------------------------------------------------------------------------------------
# The victims register (import-register, mapping colombia-aicma).

REGISTER_HEADER = ["departamento", "codigodanedepartamento", "municipio",
                   "codigodanemunicipio", "ano", "mes", "tipoarea", "sitio", "tipoevento",
                   "condicion", "grupoetnico", "estado", "genero", "rangoedad"]
REGISTER_ROW = {"departamento": "ANTIOQUIA", "codigodanedepartamento": "5",
                "municipio": "SONSON", "codigodanemunicipio": "5,756", "ano": "2,006",
                "mes": "3", "tipoarea": "Rural", "sitio": "Vereda", "tipoevento":
                "Accidente por MAP", "condicion": "Civil", "grupoetnico": "",
                "estado": "Herido", "genero": "Masculino", "rangoedad": "Mayor de 18 años"}


def _register(folder: Path, changes: list[tuple[str, Any]], *, drop: str | None = None,
              name: str = "register.csv", both: list[tuple[str, Any]] | None = None) -> str:
    """A register of two rows, ``changes`` made to the second and ``both`` to both."""
    import csv

    header = [h for h in REGISTER_HEADER if h != drop]
    first = {**REGISTER_ROW, **dict(both or [])}
    second = dict(first)
    for col, value in changes:
        second[col] = value
    p = folder / name
    with p.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow([first[h] for h in header])
        w.writerow([second[h] for h in header])
    return str(p)


def register_cases() -> Iterator[Case]:
    mapped = [("condicion", "Desconocido"), ("estado", "Ileso"), ("genero", "X"),
              ("rangoedad", "Anciano"), ("tipoevento", "Accidente por IED")]
    for col, value in mapped:
        yield Case(f"bad-value/victims/register/{col}-unmapped", "bad-value", "register",
                   lambda f, col=col, value=value: [
                       "import-register", "victims", _register(f, [(col, value)]),
                       "--mapping", "colombia-aicma"], 2, "line 3", col, (repr(value),))
    # a value that cannot be read is blamed on its column; a date read from its columns but
    # outside the dates accepted, on the field (the date says which column is wrong)
    for col, value, field_, says in (
            ("ano", "dos mil", "ano", "occurred_on"), ("mes", "13", "mes", "occurred_on"),
            ("ano", "9,999", "occurred_on", "9999-03-01 is after"),
            ("ano", "1,850", "occurred_on", "1850-03-01 is before 1900-01-01"),
            ("codigodanemunicipio", "cinco", "codigodanemunicipio", "admin_area_id"),
            ("ano", "99999999999999999999", "ano", "occurred_on")):
        yield Case(f"bad-value/victims/register/{col}-{value.replace(',', '')}", "bad-value",
                   "register",
                   lambda f, col=col, value=value: [
                       "import-register", "victims", _register(f, [(col, value)]),
                       "--mapping", "colombia-aicma"], 2, "line 3", field_, (says,))
    yield Case("malformed-file/victims/register/column-missing", "malformed-file", "register",
               lambda f: ["import-register", "victims", _register(f, [], drop="estado"),
                          "--mapping", "colombia-aicma"], 2, "header", "estado",
               ("missing",))
    # the rows the store holds, imported again: reconciled, no victim written twice
    yield Case("accepted/victims/register/imported-twice", "accepted", "register",
               lambda f: ["import-register", "victims", _register(f, []), "--mapping",
                          "colombia-aicma"], 0, says=("0 new, 0 changed, 2 unchanged",),
               writes={})
    yield Case("malformed-file/victims/register/latin1", "malformed-file", "register",
               _register_latin1, 2, says=("cannot read",))
    yield Case("malformed-file/victims/register/missing-file", "malformed-file", "register",
               lambda f: ["import-register", "victims", str(f / "none.csv"), "--mapping",
                          "colombia-aicma"], 2, says=("no such file",))
    bad_maps = [("not-toml", "this is = not [toml", ("not valid TOML",), None, None),
                ("unknown-field", '[fields.colour]\ncolumn = "x"\n[fields.group]\n'
                 'column = "condicion"\n[fields.outcome]\ncolumn = "estado"\n',
                 ("no such field",), "fields.colour", "mapping.toml"),
                ("required-unmapped", '[fields.group]\ncolumn = "condicion"\n',
                 ("required field is not mapped",), "fields.outcome", "mapping.toml"),
                ("other-layer", '[register]\nlayer = "hazards"\n[fields.group]\n'
                 'column = "condicion"\n[fields.outcome]\ncolumn = "estado"\n',
                 ("the mapping is for layer 'hazards', not 'victims'",), "register.layer",
                 "mapping.toml")]
    for name, text, says, field_, row in bad_maps:
        yield Case(f"malformed-file/victims/register/mapping-{name}", "malformed-file",
                   "register",
                   lambda f, text=text: ["import-register", "victims", _register(f, []),
                                         "--mapping", _mapping(f, text)], 2,
                   row, field_, says)
    yield Case("cli-misuse/victims/register/unknown-mapping", "cli-misuse", "register",
               lambda f: ["import-register", "victims", _register(f, []), "--mapping",
                          "atlantis"], 2, says=("no mapping 'atlantis'",))
    yield Case("cli-misuse/hazards/register/not-victims", "cli-misuse", "register",
               lambda f: ["import-register", "hazards", _register(f, []), "--mapping",
                          "colombia-aicma"], 2, says=("not 'hazards'",))


def _colombia_mapping(folder: Path) -> str:
    """The shipped Colombian mapping, as a file, giving ids of another prefix."""
    from mineaction.io.victims_register import MAPPINGS

    text = (MAPPINGS / "colombia_aicma.toml").read_text("utf-8")
    assert 'prefix = "CO-AICMA-"' in text
    return _mapping(folder, text.replace('prefix = "CO-AICMA-"', 'prefix = "CO-TEST-"'))


def _mapping(folder: Path, text: str) -> str:
    p = folder / "mapping.toml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def _register_latin1(folder: Path) -> list[str]:
    p = folder / "register.csv"
    p.write_bytes((",".join(REGISTER_HEADER) + "\n" + ",".join(
        '"' + REGISTER_ROW[h] + '"' for h in REGISTER_HEADER) + "\n").encode("latin-1"))
    return ["import-register", "victims", str(p), "--mapping", "colombia-aicma"]


# ---------------------------------------------------------------------------------------------
# Misuse of the command line.

USAGE = "Usage: mineaction"

#: (arguments, exit status, words said); ``{f}`` is the case's folder.
CLI: list[tuple[list[str], int, tuple[str, ...]]] = [
    (["lst"], 2, ("No such command 'lst'",)),
    (["imprt", "hazards", "x.geojson"], 2, ("No such command",)),
    (["list"], 2, ("Missing argument",)),
    (["import"], 2, ("Missing argument",)),
    (["import", "hazards"], 2, ("Missing argument",)),
    (["export", "hazards"], 2, ("Missing option",)),
    (["records"], 2, (USAGE,)),
    (["records", "frobnicate"], 2, ("No such command",)),
    (["report"], 2, (USAGE,)),
    (["list", "hazards", "--limit", "abc"], 2, ("'--limit'",)),
    (["list", "hazards", "--limit", "-1"], 2, ("'--limit'",)),
    (["list", "hazards", "--limit", "99999999999999999999999"], 2, ("--limit",)),
    (["list", "hazards", "--format", "pdf"], 2, ("'--format'",)),
    (["list", "hazards", "--bbox", "1,2,3"], 2, ("--bbox",)),
    (["list", "hazards", "--bbox", "a,b,c,d"], 2, ("--bbox",)),
    (["list", "hazards", "--bbox", "51,41,50,42"], 2, ("min is greater than max",)),
    (["list", "hazards", "--bbox", "inf,41,51,42"], 2, ("finite",)),
    (["list", "hazards", "--at", "2023-02-30"], 2, ("--at",)),
    (["list", "hazards", "--at", "soon"], 2, ("--at",)),
    (["list", "finds", "--at", "2023-01-01"], 2, ("--at applies to hazards only",)),
    (["list", "minefields"], 2, ("unknown layer 'minefields'",)),
    (["list", "hazards", "--no-such-option"], 2, ("No such option",)),
    (["--lang"], 2, ("--lang",)),
    (["import", "hazardz", "{f}/x.geojson"], 2, ("unknown layer 'hazardz'",)),
    (["import", "hazards", "{f}/x.geojson"], 2, ("no such file",)),
    (["import", "hazards", "{f}"], 2, ("{f}",)),
    (["import", "release-steps", "{f}/x.csv"], 2, ("cannot be imported",)),
    (["import", "hazard-versions", "{f}/x.csv"], 2, ("cannot be imported",)),
    (["import", "minefield-records", "{f}/x.csv"], 2, ("records import",)),
    (["export", "hazards", "-o", "{f}/out.doc"], 2, ("cannot tell the format",)),
    (["export", "hazards", "-o", "{f}/out"], 2, ("cannot tell the format",)),
    (["export", "hazards", "-o", "{f}/missing/out.csv"], 2, ("does not exist",)),
    (["export", "hazards", "-o", "{f}"], 2, ("is a folder",)),
    (["export", "hazards", "-o", "{f}/o.csv", "--format", "doc"], 2, ("'--format'",)),
    (["export", "hazardz", "-o", "{f}/o.csv"], 2, ("unknown layer",)),
    (["report", "ap-release-by-district", "--year", "0"], 2, ("'--year'",)),
    (["report", "ap-release-by-district", "--year", "-1"], 2, ("'--year'",)),
    (["report", "ap-release-by-district", "--year", "10000"], 2, ("'--year'",)),
    (["report", "ap-release-by-district", "--year", "twenty"], 2, ("'--year'",)),
    (["report", "progress", "--year", "2023", "--quarter", "5"], 2, ("'--quarter'",)),
    (["report", "progress", "--quarter", "2"], 2, ("--quarter needs --year",)),
    (["report", "progress", "--from", "2023-05-01", "--to", "2023-01-01"], 2,
     ("is after --to",)),
    (["report", "progress", "--from", "2023-13-01", "--to", "2023-12-01"], 2, ("--from",)),
    (["report", "casualties", "--year", "2023", "-o", "{f}/r.doc"], 2,
     ("cannot tell the report format",)),
    (["report", "casualties", "--year", "2023", "-o", "{f}/missing/r.csv"], 2,
     ("does not exist",)),
    (["report", "no-such-report", "--year", "2023"], 2, ("no-such-report",)),
    (["records", "assess", "--tolerance", "inf"], 2, ("'--tolerance'",)),
    (["records", "assess", "--tolerance", "0"], 2, ("'--tolerance'",)),
    (["records", "show", "MR-9999"], 2, ("MR-9999",)),
    (["records", "withdraw", "MR-0001", "--reason", "  "], 2, ("say why",)),
    (["records", "withdraw", "MR-9999", "--reason", "lost"], 2, ("no such minefield record",)),
    (["records", "import", "--transformation", "EPSG:1", "{f}/none.json"], 2, ("none.json",)),
    (["records", "show", "MR-0001", "--figure", "{f}/f.doc"], 2, ("--figure",)),
    (["import-register", "victims", "{f}/x.csv", "--mapping", "{f}"], 1, ("Is a directory",)),
]

#: (--db value, arguments, exit status, words said): stores that are not stores.
CLI_DB: list[tuple[str, list[str], int, tuple[str, ...]]] = [
    ("{f}", ["summary"], 1, ("is a folder, not a GeoPackage",)),
    ("{f}", ["init"], 1, ("is a folder, not a GeoPackage",)),
    ("{f}", ["list", "hazards"], 1, ("is a folder",)),
    ("{f}/text.gpkg", ["summary"], 1, ("is not a GeoPackage",)),
    ("{f}/missing/s.gpkg", ["init"], 1, ("does not exist",)),
    ("{f}/absent.gpkg", ["summary"], 1, ("absent.gpkg",)),
    ("postgresql://nobody@127.0.0.1:1/none", ["summary"], 1, ("cannot connect",)),
    ("mysql://localhost/db", ["summary"], 1, ("mysql",)),
]


def cli_cases() -> Iterator[Case]:
    def make(args: list[str]) -> Maker:
        def run(folder: Path) -> list[str]:
            (folder / "x.csv").write_text("id\nX-1\n", encoding="utf-8")
            (folder / "text.gpkg").write_text("plain text\n", encoding="utf-8")
            return [a.format(f=folder) for a in args]
        return run

    for args, code, says in CLI:
        name = " ".join(a.replace("{f}", "F").replace("/", "_") for a in args)
        yield Case(f"cli-misuse/cli/{name}", "cli-misuse", "cli", make(args), code,
                   says=says)
    for db, args, code, says in CLI_DB:
        name = db.replace("{f}", "F").replace("/", "_") + " " + " ".join(args)
        yield Case(f"cli-misuse/cli/--db {name}", "cli-misuse", "cli", make(args), code,
                   says=says, db=db)


# ---------------------------------------------------------------------------------------------

def all_cases(today: dt.date | None = None) -> list[Case]:
    """Every case of the corpus, in a stable order (ids are unique)."""
    today = today or dt.date.today()
    cases = [*value_cases(today), *reference_cases(), *geometry_cases(), *crs_cases(),
             *malformed_cases(), *record_cases(), *register_cases(), *accepted_cases(),
             *cli_cases()]
    ids = [c.id for c in cases]
    dups = {i for i in ids if ids.count(i) > 1}
    assert not dups, dups
    assert all(c.category in CATEGORIES for c in cases), {c.category for c in cases}
    return cases


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)

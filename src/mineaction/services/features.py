"""Layers as collections of features, as an actor may read them: which collections there are,
pages of items (a box, a time interval, a CQL2 filter, the coordinate system asked for), one
item, and what may be filtered on.

The shapes of OGC API Features live here so that every interface serves the same ones; the
HTTP API (:mod:`mineaction.api`) only turns them into responses. Every read goes through
``ctx.reader``: the policy (layers, fields, rows, generalised geometries) is applied by the
store, and a filter is evaluated on the records as the actor sees them, never on hidden
values.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from mineaction.access import Role
from mineaction.domain.layers import ACCOUNT_LAYERS, Layer, all_layers, get_layer
from mineaction.domain.schema import Record
from mineaction.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from mineaction.services.context import Context
from mineaction.store.base import BBox, Query

__all__ = ["CRS84", "CRSS", "Interval", "Page", "collection", "collections", "feature",
           "parse_bbox", "parse_crs_uri", "parse_datetime", "parse_filter", "page",
           "queryables", "to_crs"]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
#: Coordinate systems features are served in: CRS84 (longitude, latitude), EPSG:4326
#: (latitude, longitude: its axis order) and the UTM zones of the region.
CRSS: tuple[str, ...] = (CRS84, EPSG + "4326", EPSG + "32637", EPSG + "32638", EPSG + "32639")
#: Items per page unless asked otherwise, and at most.
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
#: The largest offset accepted (a store's integers end at 2**63 - 1).
MAX_OFFSET = 10**12
#: Layers never served as collections (accounts and sharing are managed, not published).
UNSERVED = ACCOUNT_LAYERS
#: The date a layer's records are placed in time by (``datetime`` filters on it).
TEMPORAL = ("recorded_on", "occurred_on", "released_on", "started_on", "held_on", "found_on",
            "as_of", "valid_from", "received_on", "period_start")


def _public(ctx: Context) -> bool:
    return not (set(ctx.actor.roles) - {Role.PUBLIC})


def _refused(ctx: Context, exc: Forbidden) -> Forbidden:
    """A refusal to the public is a request to sign in (HTTP 401)."""
    if _public(ctx) and not isinstance(exc, Unauthorized):
        return Unauthorized.of("api.sign_in")
    return exc


def readable(ctx: Context, layer: Layer, policy: Any = None) -> bool:
    """Whether the actor reads records of ``layer`` (not only counts of them). ``policy``:
    the actor's, when the caller has it already (a view of the store reads the agreements
    once)."""
    if layer.name in UNSERVED:
        return False
    if policy is None:
        policy = getattr(ctx.reader, "policy", None)
    if policy is None:
        return True
    try:
        access = policy.access(layer)
    except Forbidden:
        return False
    return any(g.precision.kind != "counts" for g in access.grants)


def collections(ctx: Context) -> list[Layer]:
    """The layers the actor reads, in the registry's order."""
    policy = getattr(ctx.reader, "policy", None)
    return [lyr for lyr in all_layers() if readable(ctx, lyr, policy)]


def collection(ctx: Context, name: str) -> Layer:
    """The layer ``name`` if the actor reads it: NotFound for no such collection,
    Unauthorized (the public) or Forbidden (signed in) for one they may not read."""
    try:
        lyr = get_layer(name)
    except KeyError:
        raise NotFound.of("api.no_collection", id=name) from None
    if lyr.name in UNSERVED or lyr.name != name:
        raise NotFound.of("api.no_collection", id=name)
    policy = getattr(ctx.reader, "policy", None)
    if policy is not None:
        try:
            access = policy.access(lyr)
        except Forbidden as exc:
            raise _refused(ctx, exc) from None
        if not any(g.precision.kind != "counts" for g in access.grants):
            raise _refused(ctx, Forbidden.of("access.counts_only", layer=lyr.name))
    return lyr


def temporal_field(layer: Layer) -> str | None:
    names = {s.name: s for s in layer.fields}
    for name in TEMPORAL:
        if name in names and names[name].kind == "date":
            return name
    return None


def extent(ctx: Context, layer: Layer) -> BBox | None:
    """The bounds of the layer's geometries as the actor sees them (CRS84)."""
    if not layer.spatial:
        return None
    return ctx.reader.extent(layer)


# -- parameters -------------------------------------------------------------------------------

def parse_crs_uri(text: str | None, param: str = "crs") -> str:
    """The CRS URI asked for (CRS84 when none); InvalidInput for one not offered."""
    if text is None or not text.strip():
        return CRS84
    value = text.strip().strip("[]<>")
    for short, uri in (("CRS84", CRS84), ("OGC:CRS84", CRS84)):
        if value.upper() == short:
            value = uri
    if value.upper().startswith("EPSG:"):
        value = EPSG + value[5:]
    if value.startswith("https://"):
        value = "http://" + value[8:]
    if value not in CRSS:
        raise InvalidInput.of("api.crs_not_offered", param=param, value=text,
                              allowed=", ".join(CRSS))
    return value


@lru_cache(maxsize=16)
def _transformer(uri: str, inverse: bool) -> pyproj.Transformer:
    target = pyproj.CRS.from_user_input("OGC:CRS84" if uri == CRS84
                                        else "EPSG:" + uri.rsplit("/", 1)[1])
    crs84 = pyproj.CRS.from_user_input("OGC:CRS84")
    if inverse:
        return pyproj.Transformer.from_crs(target, crs84)
    return pyproj.Transformer.from_crs(crs84, target)


def to_crs(geom: BaseGeometry | None, uri: str) -> BaseGeometry | None:
    """``geom`` (CRS84) in the CRS ``uri``, in that CRS's axis order (EPSG:4326: latitude
    first; UTM: easting, northing)."""
    if geom is None or uri == CRS84:
        return geom
    t = _transformer(uri, False)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def parse_bbox(text: str | None, crs: str = CRS84) -> BBox | None:
    """``minx,miny,maxx,maxy`` (or six numbers, heights ignored) in ``crs`` and its axis
    order, as a CRS84 box; InvalidInput saying what is wrong."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    try:
        values = [float(v) for v in parts]
    except ValueError:
        raise InvalidInput.of("api.bbox_format", value=text) from None
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        raise InvalidInput.of("api.bbox_format", value=text)
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput.of("api.bbox_not_finite", value=text)
    a, b, c, d = values
    if crs != CRS84:
        if a > c or b > d:
            raise InvalidInput.of("api.bbox_min_above_max", value=text)
        t = _transformer(crs, True)
        try:
            a, b, c, d = t.transform_bounds(a, b, c, d, errcheck=True)
        except pyproj.exceptions.ProjError:
            raise InvalidInput.of("api.bbox_out_of_range", value=text) from None
    if not all(math.isfinite(v) for v in (a, b, c, d)):
        raise InvalidInput.of("api.bbox_out_of_range", value=text)
    if not (-180 <= a <= 180 and -180 <= c <= 180 and -90 <= b <= 90 and -90 <= d <= 90):
        raise InvalidInput.of("api.bbox_out_of_range", value=text)
    if a > c or b > d:
        raise InvalidInput.of("api.bbox_min_above_max", value=text)
    return a, b, c, d


@dataclass(frozen=True)
class Interval:
    """Dates from ``start`` to ``end``, both included (None: open)."""

    start: dt.date | None
    end: dt.date | None

    def holds(self, value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            return False
        return ((self.start is None or value >= self.start)
                and (self.end is None or value <= self.end))


def _instant(text: str, whole: str) -> dt.date | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        if "T" in text or "t" in text:
            return dt.datetime.fromisoformat(text.replace("z", "Z")).date()
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.of("api.datetime_format", value=whole) from None


def parse_datetime(text: str | None) -> Interval | None:
    """An instant (``2023-05-17``, ``2023-05-17T10:00:00Z``) or an interval
    (``start/end``, either ``..`` or empty for open) as dates."""
    if text is None or not text.strip():
        return None
    if "/" in text:
        head, _, tail = text.partition("/")
        if "/" in tail:
            raise InvalidInput.of("api.datetime_format", value=text)
        start, end = _instant(head, text), _instant(tail, text)
        if start and end and start > end:
            raise InvalidInput.of("api.datetime_reversed", value=text)
        return Interval(start, end)
    day = _instant(text, text)
    if day is None:
        raise InvalidInput.of("api.datetime_format", value=text)
    return Interval(day, day)


# -- filters ----------------------------------------------------------------------------------

def queryable_fields(layer: Layer, ctx: Context) -> list[str]:
    """Fields a filter may name: those the actor sees on some record (and the geometry)."""
    policy = getattr(ctx.reader, "policy", None)
    names = []
    for spec in layer.fields:
        if policy is not None:
            try:
                under = policy.access(layer).visible_under(spec.name)
            except (Forbidden, KeyError):
                continue
            if not under:
                continue
        names.append(spec.name)
    return names


_JSON_TYPES = {"text": "string", "integer": "integer", "real": "number", "boolean": "boolean",
               "date": "string", "enum": "string", "enumset": "array", "json": "string"}


def queryables(ctx: Context, layer: Layer, base_url: str) -> dict[str, Any]:
    """The queryables of a collection as a JSON Schema (OGC API Features Part 3)."""
    props: dict[str, Any] = {}
    specs = {s.name: s for s in layer.fields}
    for name in queryable_fields(layer, ctx):
        spec = specs[name]
        schema: dict[str, Any] = {"title": name, "type": _JSON_TYPES.get(spec.kind, "string")}
        if spec.kind == "date":
            schema["format"] = "date"
        if spec.doc:
            schema["description"] = spec.doc
        if spec.kind == "enum" and spec.enum:
            schema["enum"] = [m.value for m in spec.enum]
        props[name] = schema
    if layer.spatial:
        props["geometry"] = {"format": f"geometry-{_geometry_format(layer)}",
                             "x-ogc-role": "primary-geometry"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base_url}/collections/{layer.name}/queryables",
            "type": "object", "title": layer.title, "properties": props,
            "additionalProperties": False}


def _geometry_format(layer: Layer) -> str:
    return {"MULTIPOLYGON": "multipolygon", "POINT": "point"}.get(layer.geometry_type or "",
                                                                  "any")


def parse_filter(ctx: Context, layer: Layer, text: str | None, lang: str | None = None,
                 crs: str | None = None) -> Callable[[Record], bool] | None:
    """A CQL2 text filter as a test of a record (as the actor sees it); InvalidInput for
    text that does not parse, a language or CRS not offered, a function, or a property that
    is not a queryable of the collection."""
    if text is None or not text.strip():
        return None
    if lang not in (None, "", "cql2-text"):
        raise InvalidInput.of("api.filter_lang", value=lang)
    if crs not in (None, "") and parse_crs_uri(crs, "filter-crs") != CRS84:
        raise InvalidInput.of("api.filter_crs", value=crs)
    from pygeofilter import ast, values
    from pygeofilter.backends.native.evaluate import NativeEvaluator
    from pygeofilter.parsers.cql2_text import parse

    try:
        tree = parse(text)
    except Exception as exc:  # lark's errors, and the parser's own
        raise InvalidInput.of("api.filter_syntax", error=_first_line(exc)) from None
    allowed = set(queryable_fields(layer, ctx)) | ({"geometry"} if layer.spatial else set())
    for node in _walk(tree, ast, values):
        if isinstance(node, ast.Function):
            raise InvalidInput.of("api.filter_function", name=node.name)
        if isinstance(node, ast.Attribute) and node.name not in allowed:
            raise InvalidInput.of("api.filter_property", name=node.name, collection=layer.name,
                                  allowed=", ".join(sorted(allowed)))
    try:
        test = NativeEvaluator(use_getattr=True, allow_nested_attributes=False).evaluate(tree)
    except Exception as exc:  # an operation the evaluator does not know
        raise InvalidInput.of("api.filter_syntax", error=_first_line(exc)) from None

    def holds(record: Record) -> bool:
        try:
            return bool(test(_plain_record(record)))
        except (TypeError, ValueError, AttributeError):  # None or another type: no match
            return False
        except Exception:  # noqa: BLE001  (shapely on an empty geometry, and the like)
            return False

    return holds


class _Plain:
    """A record's values as a filter compares them: enums as their text."""

    __slots__ = ("_record",)

    def __init__(self, record: Record):
        self._record = record

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._record, name, None)
        if isinstance(value, frozenset):
            return sorted(getattr(v, "value", v) for v in value)
        return getattr(value, "value", value)


def _plain_record(record: Record) -> Any:
    return _Plain(record)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _walk(node: Any, ast: Any, values: Any) -> Iterable[Any]:
    yield node
    children: list[Any] = []
    if isinstance(node, ast.Node):
        children = list(node.get_sub_nodes())
    elif isinstance(node, (list, tuple)):
        children = list(node)
    for child in children:
        if isinstance(child, list):
            for c in child:
                yield from _walk(c, ast, values)
        else:
            yield from _walk(child, ast, values)


# -- items ------------------------------------------------------------------------------------

@dataclass
class Page:
    layer: Layer
    records: list[Record]
    matched: int
    offset: int
    limit: int

    @property
    def returned(self) -> int:
        return len(self.records)

    @property
    def has_next(self) -> bool:
        return self.offset + self.returned < self.matched

    @property
    def has_prev(self) -> bool:
        return self.offset > 0


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(int(limit), MAX_LIMIT))


def page(ctx: Context, layer: Layer, *, bbox: BBox | None = None,
         interval: Interval | None = None, test: Callable[[Record], bool] | None = None,
         limit: int | None = None, offset: int = 0) -> Page:
    """One page of the records the actor reads in ``layer``: those meeting ``bbox`` (CRS84,
    checked by the store), dated within ``interval`` and passing ``test``; ``matched``
    counts them all."""
    size = clamp_limit(limit)
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput.of("api.offset_range", value=offset, maximum=MAX_OFFSET)
    reader = ctx.reader
    if bbox is not None and not layer.spatial:
        bbox = None  # features without geometry: a box filters nothing out (none is there)
    date_field = temporal_field(layer) if interval is not None else None
    # two statements read one state of the store (a write between them could otherwise
    # make the count and the page disagree)
    if interval is None and test is None and bbox is not None:
        # a map window: the ids of every feature in the box (the store checks them, no
        # record is built), then the records of the page alone
        with reader.reading() as r:
            hits = r.scan(layer, bbox=bbox, geometry=False).ids
            wanted = hits[offset:offset + size]
            found = r.query(layer, Query(where={"id": wanted})) if wanted else []
        return Page(layer, found, len(hits), offset, size)
    if interval is None and test is None and not _counts_shared(ctx, layer):
        with reader.reading() as r:
            matched = r.count(layer, Query(bbox=bbox))
            found = r.query(layer, Query(bbox=bbox, limit=size, offset=offset))
        return Page(layer, found, matched, offset, size)
    kept = []
    for record in reader.iter(layer, Query(bbox=bbox)):
        if interval is not None and date_field is not None and \
                not interval.holds(getattr(record, date_field, None)):
            continue
        if test is not None and not test(record):
            continue
        kept.append(record)
    return Page(layer, kept[offset:offset + size], len(kept), offset, size)


def _counts_shared(ctx: Context, layer: Layer) -> bool:
    """Whether some grant shows the actor counts only of records of ``layer``: then a count
    of the store counts records that no page returns."""
    policy = getattr(ctx.reader, "policy", None)
    return policy is not None and any(g.precision.kind == "counts"
                                      for g in policy.access(layer).grants)


def feature(ctx: Context, layer: Layer, id: str) -> Record:
    """One record the actor reads (NotFound for one they do not see: the same answer as
    for one that does not exist)."""
    try:
        return ctx.reader.get(layer, id)
    except NotFound:
        raise NotFound.of("api.no_feature", collection=layer.name, id=id) from None

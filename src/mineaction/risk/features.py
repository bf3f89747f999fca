"""Features for a risk model, per 100 m cell (or per given point), from what the store knew
before a cut-off date; and, from a demo's hidden truth, the label (for evaluation only).

Features (columns of :func:`table`):

- ``d_front_m``, ``d_road_m``, ``d_settlement_m``, ``cover_*``: from a context file of mapped
  facts (layers ``front_line``, ``roads``, ``settlements``, ``land_cover``), which a programme
  has from maps and the history of the conflict; the store holds none of them. The demo's truth
  file holds these four layers among its hidden ones; only they are read from it as context.
  Without a context file these columns are left out.
- ``d_accident_m``, ``d_find_<category>_m``, ``n_find_<category>_500m``: accidents and finds
  dated before the cut-off (categories never lumped).
- ``record_mines_1km``, ``d_record_m``: minefield records received before the cut-off: the
  mines they describe whose field lies within 1 km, and the distance to the nearest field.
- ``d_hazard_m``: distance to the nearest hazard recorded before the cut-off (as recorded).
- ``in_cancelled``, ``in_reduced``, ``in_cleared``: land released by each method before the
  cut-off (three flags, never added together).
- ``days_since_activity``: days from the end of the last activity covering the cell to the
  cut-off (-1: none).

Distances are metres in a local azimuthal equidistant plane centred on the cells (vectorised
with shapely's STRtree; under 0.1 % from the geodesic within 150 km, checked in the tests
against pyproj's ``Geod``), capped at :data:`FAR_M`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mineaction.geo.traverse import LocalFrame

CATEGORIES = ("ap", "av", "ied", "cmr", "uxo", "axo")
FAR_M = 50_000.0
COVERS = ("farmland", "pasture", "forest")
#: Item fates in the truth file that leave the item in the ground at the end of the record.
IN_GROUND = ("remaining", "left_behind")


@dataclass
class Dated:
    geometry: BaseGeometry
    on: dt.date | None
    kind: str = ""
    value: float = 0.0
    id: str = ""


@dataclass
class Known:
    """What the store knew: points, fields, hazards, released land and activities, dated."""

    finds: list[Dated] = field(default_factory=list)
    accidents: list[Dated] = field(default_factory=list)
    records: list[Dated] = field(default_factory=list)  # value: expected mines
    hazards: list[Dated] = field(default_factory=list)  # as first recorded
    released: list[Dated] = field(default_factory=list)  # kind: cancelled/reduced/cleared
    activities: list[Dated] = field(default_factory=list)
    territory: BaseGeometry | None = None
    today: dt.date | None = None

    def before(self, cutoff: dt.date | None) -> Known:
        """What was known before ``cutoff`` (records dated on or after it dropped; undated
        records kept)."""
        if cutoff is None:
            return self

        def keep(rows: list[Dated]) -> list[Dated]:
            return [r for r in rows if r.on is None or r.on < cutoff]

        return Known(keep(self.finds), keep(self.accidents), keep(self.records),
                     keep(self.hazards), keep(self.released), keep(self.activities),
                     self.territory, cutoff)


@dataclass
class Context:
    """Mapped facts: the former front line, roads, settlements, land cover (EPSG:4326)."""

    front_line: list[BaseGeometry] = field(default_factory=list)
    roads: list[BaseGeometry] = field(default_factory=list)
    settlements: list[BaseGeometry] = field(default_factory=list)
    land_cover: list[tuple[str, BaseGeometry]] = field(default_factory=list)


def read_context(path: str | os.PathLike[str]) -> Context:
    """The context layers a file holds (any of the four; others ignored)."""
    from mineaction.demo.truth import layers, read_layer

    have = set(layers(path))
    ctx = Context()
    for name in ("front_line", "roads", "settlements"):
        if name in have:
            geoms, _cols = read_layer(path, name)
            setattr(ctx, name, [g for g in geoms if g is not None])
    if "land_cover" in have:
        geoms, cols = read_layer(path, "land_cover")
        ctx.land_cover = [(str(c), g) for c, g in zip(cols["cover"], geoms, strict=True)
                          if g is not None]
    return ctx


# ---------------------------------------------------------------------------------------------
# Cells


def cells(territory: BaseGeometry, size_m: float,
          bbox: tuple[float, float, float, float] | None = None
          ) -> tuple[np.ndarray, np.ndarray, LocalFrame]:
    """(lon, lat) of the centres of ``size_m`` cells of a grid in the local plane that fall
    inside ``territory`` (and ``bbox``, when given), and the plane."""
    minx, miny, maxx, maxy = territory.bounds if bbox is None else bbox
    frame = LocalFrame((minx + maxx) / 2, (miny + maxy) / 2)
    area = territory if bbox is None else territory.intersection(shapely.box(*bbox))
    corners = frame.to_local(np.array([minx, maxx, minx, maxx]),
                             np.array([miny, miny, maxy, maxy]))
    x0, y0 = np.floor(corners.min(axis=0) / size_m) * size_m
    x1, y1 = corners.max(axis=0)
    xs = np.arange(x0 + size_m / 2, x1, size_m)
    ys = np.arange(y0 + size_m / 2, y1, size_m)
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = frame.to_lonlat(np.column_stack((gx.ravel(), gy.ravel())))
    shapely.prepare(area)
    inside = shapely.contains_xy(area, lon, lat)
    return lon[inside], lat[inside], frame


def _plane(frame: LocalFrame, geoms: Sequence[BaseGeometry]) -> np.ndarray:
    def fn(xy: np.ndarray) -> np.ndarray:
        return frame.to_local(xy[:, 0], xy[:, 1])

    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    return shapely.transform(arr, fn) if len(arr) else arr  # one call for every coordinate


def nearest_m(pts: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Metres from each point (shapely points in the plane) to the nearest of ``geoms``
    (FAR_M when there is none or it is farther)."""
    out = np.full(len(pts), FAR_M)
    if not len(geoms) or not len(pts):
        return out
    tree = shapely.STRtree(geoms)
    (i, j), d = tree.query_nearest(pts, max_distance=FAR_M, return_distance=True,
                                   all_matches=False)
    out[i] = np.minimum(out[i], d)
    return out


def count_within(pts: np.ndarray, geoms: np.ndarray, metres: float,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """For each point, the number (or the sum of ``weights``) of ``geoms`` within
    ``metres``."""
    out = np.zeros(len(pts))
    if not len(geoms) or not len(pts):
        return out
    tree = shapely.STRtree(geoms)
    i, j = tree.query(pts, predicate="dwithin", distance=metres)
    np.add.at(out, i, 1.0 if weights is None else weights[j])
    return out


def table(known: Known, lon: np.ndarray, lat: np.ndarray, frame: LocalFrame, *,
          context: Context | None = None, cell_m: float | None = None
          ) -> dict[str, np.ndarray]:
    """Feature columns for the points (lon, lat), from ``known`` as it stands (call
    :meth:`Known.before` first for a cut-off)."""
    xy = frame.to_local(lon, lat)
    pts = shapely.points(xy)
    cols: dict[str, np.ndarray] = {"lon": np.round(lon, 7), "lat": np.round(lat, 7)}
    if context is not None:
        for name, col in (("front_line", "d_front_m"), ("roads", "d_road_m"),
                          ("settlements", "d_settlement_m")):
            geoms = getattr(context, name)
            if geoms:
                cols[col] = nearest_m(pts, _plane(frame, geoms))
        if context.land_cover:
            for cover in COVERS:
                polys = [g for c, g in context.land_cover if c == cover]
                flag = np.zeros(len(lon), dtype=np.int8)
                for g in polys:
                    shapely.prepare(g)
                    flag |= shapely.contains_xy(g, lon, lat).astype(np.int8)
                cols[f"cover_{cover}"] = flag
    acc = _plane(frame, [a.geometry for a in known.accidents])
    cols["d_accident_m"] = nearest_m(pts, acc)
    for cat in CATEGORIES:
        g = _plane(frame, [f.geometry for f in known.finds if f.kind == cat])
        cols[f"d_find_{cat}_m"] = nearest_m(pts, g)
        cols[f"n_find_{cat}_500m"] = count_within(pts, g, 500.0)
    recs = _plane(frame, [r.geometry for r in known.records])
    cols["d_record_m"] = nearest_m(pts, recs)
    cols["record_mines_1km"] = count_within(
        pts, recs, 1000.0, np.array([r.value for r in known.records], float))
    cols["d_hazard_m"] = nearest_m(pts, _plane(frame, [h.geometry for h in known.hazards]))
    for method in ("cancelled", "reduced", "cleared"):
        flag = np.zeros(len(lon), dtype=np.int8)
        polys = [r.geometry for r in known.released if r.kind == method]
        if polys:
            tree = shapely.STRtree(_plane(frame, polys))
            i, _j = tree.query(pts, predicate="intersects")
            flag[i] = 1
        cols[f"in_{method}"] = flag
    since = np.full(len(lon), -1.0)
    dated = [a for a in known.activities if a.on is not None]
    if dated and known.today is not None:
        tree = shapely.STRtree(_plane(frame, [a.geometry for a in dated]))
        i, j = tree.query(pts, predicate="intersects")
        days = np.array([(known.today - a.on).days for a in dated], float)  # type: ignore
        best = np.full(len(lon), np.inf)
        np.minimum.at(best, i, days[j])
        since = np.where(np.isfinite(best), best, -1.0)
    cols["days_since_activity"] = since
    for k, v in list(cols.items()):
        if k.startswith("d_") and k.endswith("_m"):
            cols[k] = np.round(v, 1)
    del cell_m
    return cols


# ---------------------------------------------------------------------------------------------
# The hidden truth (demo only): what was in the ground


@dataclass
class TruthItems:
    lon: np.ndarray
    lat: np.ndarray
    category: np.ndarray
    gone_on: np.ndarray  # date the item left the ground (found, exploded); None: still there


def truth_items(path: str | os.PathLike[str], removed_on: dict[str, dt.date] | None = None
                ) -> TruthItems:
    """Every item of the truth file with the day it left the ground: the date of the activity,
    accident or inspection that removed it (``removed_on``: their ids to dates, from the
    store); None for items still in the ground at the end of the record."""
    from mineaction.demo.truth import read_layer

    geoms, cols = read_layer(path, "items")
    xy = shapely.get_coordinates(np.array(geoms, dtype=object))
    removed_on = removed_on or {}
    n = len(geoms)
    gone = np.full(n, None, dtype=object)
    status = cols["status"]
    for key in ("activity_id", "qc_id", "accident_id"):
        ids = cols.get(key)
        if ids is None:
            continue
        for k in np.nonzero((status != "remaining") & (status != "left_behind"))[0]:
            rid = ids[k]
            if gone[k] is None and rid is not None and rid in removed_on:
                gone[k] = removed_on[rid]
    # items removed with no dated record behind them are taken as gone from the start
    gone_mask = np.array([s not in IN_GROUND for s in status])
    gone[gone_mask & np.array([g is None for g in gone])] = dt.date.min
    return TruthItems(xy[:, 0], xy[:, 1], cols["category"].astype(str), gone)


def in_ground(items: TruthItems, on: dt.date | None) -> np.ndarray:
    """Mask of the items still in the ground on the day ``on`` (None: at the end)."""
    if on is None:
        return np.array([g is None for g in items.gone_on])
    return np.array([g is None or g >= on for g in items.gone_on])


def cell_labels(items: TruthItems, mask: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                frame: LocalFrame, cell_m: float) -> np.ndarray:
    """1 where a cell of side ``cell_m`` centred on (lon, lat) holds an item of ``mask``."""
    xy = frame.to_local(lon, lat)
    half = cell_m / 2
    boxes = shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half)
    it = shapely.points(frame.to_local(items.lon[mask], items.lat[mask]))
    out = np.zeros(len(lon), dtype=np.int8)
    if len(it):
        j, _k = shapely.STRtree(it).query(boxes, predicate="intersects")
        out[np.unique(j)] = 1
    return out


def hazards_holding(items: TruthItems, mask: np.ndarray, hazards: Sequence[Any]
                    ) -> set[str]:
    """Ids of the hazards (``.id``, ``.geometry`` in EPSG:4326) holding an item of ``mask``."""
    pts = shapely.points(items.lon[mask], items.lat[mask])
    geoms = np.array([h.geometry for h in hazards], dtype=object)
    if not len(pts) or not len(geoms):
        return set()
    hz, _it = shapely.STRtree(pts).query(geoms, predicate="intersects")
    return {hazards[int(i)].id for i in np.unique(hz)}

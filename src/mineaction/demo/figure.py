"""A map of the demonstration territory (PNG): what the store holds over what the truth holds.

Left: the whole land with districts, settlements, roads, rivers, land cover, the former front
line and its belt, hazards by status, released land and accidents. Right: a close-up of a
stretch of the belt where clearance has worked, with rows of the true minefields, finds and
mines left behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from shapely.geometry.base import BaseGeometry  # noqa: E402

from mineaction.demo.frame import BOX  # noqa: E402
from mineaction.demo.truth import read_layer  # noqa: E402
from mineaction.store import Query, open_store  # noqa: E402

SEA = "#cfe3f0"
LAND = "#f4efe1"
COVER = {"farmland": "#efe6b8", "pasture": "#d9e8bd", "forest": "#a9c995"}
RELEASE = {"cancelled": "#7fb7e6", "reduced": "#b39ddb", "cleared": "#43a047"}


def _rings(geoms: Iterable[BaseGeometry | None]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        for part in getattr(g, "geoms", [g]):
            if part.geom_type == "Polygon":
                out.append(np.asarray(part.exterior.coords))
    return out


def _lines(geoms: Iterable[BaseGeometry | None]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        for part in getattr(g, "geoms", [g]):
            if part.geom_type == "LineString":
                out.append(np.asarray(part.coords))
            elif part.geom_type == "Polygon":
                out.append(np.asarray(part.exterior.coords))
    return out


def _polys(ax: Any, geoms: Iterable[BaseGeometry | None], **kw: Any) -> None:
    rings = _rings(geoms)
    if rings:
        ax.add_collection(PolyCollection(rings, **kw))


def _zoom_window(pts: np.ndarray, belt: BaseGeometry, size: float
                 ) -> tuple[float, float, float, float]:
    """A square window (degrees) over the part of the belt where most mines were found."""
    if not len(pts):
        c = belt.representative_point()
        return c.x - size, c.y - size / 1.33, c.x + size, c.y + size / 1.33
    pts = pts[:: max(1, len(pts) // 3000)]
    best, best_n = pts[0], -1
    for p in pts:
        n = int(np.sum((np.abs(pts[:, 0] - p[0]) < size) & (np.abs(pts[:, 1] - p[1]) < size)))
        if n > best_n:
            best, best_n = p, n
    return best[0] - size, best[1] - size / 1.33, best[0] + size, best[1] + size / 1.33


def draw(db: str, truth_path: str | os.PathLike[str], out: str | os.PathLike[str], *,
         title: str = "", locale: str = "en") -> None:
    """Write the PNG map of the scenario in ``db`` with its truth file, its words in
    ``locale``."""
    from mineaction.messages import speaker

    said = speaker(locale)
    truth = str(truth_path)
    store = open_store(db)
    try:
        districts: list[Any] = store.query("admin-areas", Query(where={"level": 2}))
        hazards: list[Any] = store.query("hazards")
        # land a failed QC inspection returned to a hazard is not released land
        steps: list[Any] = store.query("release-steps", Query(where={"rejected_by": None}))
        found: list[Any] = list(store.iter("finds"))
        rows = [(f.geometry.coords[0], str(f.category)) for f in found]
        finds = np.array([r[0] for r in rows]).reshape(-1, 2)
        mine_finds = np.array([r[0] for r in rows if r[1] in ("ap", "av")]).reshape(-1, 2)
        accs: list[Any] = list(store.iter("accidents"))
        accidents = np.array([a.geometry.coords[0] for a in accs
                              if a.geometry is not None]).reshape(-1, 2)
        versions: list[Any] = list(store.iter("hazard-versions", Query(where={"seq": 1})))
        first = {v.hazard_id: v.geometry for v in versions}
    finally:
        store.close()
    land, _ = read_layer(truth, "land")
    cover_g, cover_c = read_layer(truth, "land_cover")
    roads_g, roads_c = read_layer(truth, "roads")
    rivers_g, _ = read_layer(truth, "rivers")
    front_g, _ = read_layer(truth, "front_line")
    belt_g, _ = read_layer(truth, "belt")
    set_g, set_c = read_layer(truth, "settlements")
    pos_g, _ = read_layer(truth, "positions")

    fig, (ax, az) = plt.subplots(1, 2, figsize=(19, 9.6), gridspec_kw={"width_ratios": [1.45, 1]})
    fig.patch.set_facecolor("white")
    for a in (ax, az):
        a.set_facecolor(SEA)
        a.set_aspect(1 / np.cos(np.radians(41.4)))
    open_h = [h for h in hazards if str(h.status) == "open"]
    closed_h = [first.get(h.id) for h in hazards
                if str(h.status) != "open"]
    sha = [h.geometry for h in open_h if str(h.kind) == "sha"]
    cha = [h.geometry for h in open_h if str(h.kind) == "cha"]
    by_method: dict[str, list[BaseGeometry]] = {m: [] for m in RELEASE}
    for s in steps:
        by_method[str(s.method)].append(s.geometry)

    def base(a: Any, detail: bool) -> None:
        _polys(a, land, facecolor=LAND, edgecolor="#6d8da6", linewidth=1.0, zorder=1)
        for g, c in zip(cover_g, cover_c["cover"], strict=True):
            _polys(a, [g], facecolor=COVER[str(c)], edgecolor="none", zorder=1.2)
        a.add_collection(LineCollection(_lines(belt_g), colors="#c62828", linewidths=0.6,
                                        linestyles="--", zorder=2))
        _polys(a, belt_g, facecolor="#e57373", alpha=0.13, edgecolor="none", zorder=1.5)
        a.add_collection(LineCollection(_lines(rivers_g), colors="#3b82c4",
                                        linewidths=1.6 if detail else 1.1, zorder=2.2))
        main = [g for g, c in zip(roads_g, roads_c["road_class"], strict=True) if c == "main"]
        local = [g for g, c in zip(roads_g, roads_c["road_class"], strict=True) if c != "main"]
        a.add_collection(LineCollection(_lines(local), colors="#9e9e9e",
                                        linewidths=1.2 if detail else 0.5, zorder=2.3))
        a.add_collection(LineCollection(_lines(main), colors="#616161",
                                        linewidths=2.0 if detail else 1.1, zorder=2.4))
        a.add_collection(LineCollection(_lines([d.geometry for d in districts]),
                                        colors="#5d4037", linewidths=0.9, alpha=0.6,
                                        linestyles=(0, (4, 3)), zorder=2.5))
        a.add_collection(LineCollection(_lines(front_g), colors="#8e0000", linewidths=2.2,
                                        zorder=3.5))
        _polys(a, closed_h, facecolor="#bdbdbd", edgecolor="#757575", linewidth=0.3,
               alpha=0.8, zorder=3)
        for m, gs in by_method.items():
            _polys(a, gs, facecolor=RELEASE[m], edgecolor="none", alpha=0.95, zorder=3.1)
        _polys(a, sha, facecolor="#ffb74d", edgecolor="#e65100", linewidth=0.4, alpha=0.85,
               zorder=3.2)
        _polys(a, cha, facecolor="#e53935", edgecolor="#8e0000", linewidth=0.4, alpha=0.85,
               zorder=3.3)

    base(ax, False)
    pops = np.asarray(set_c["population"], float)
    sxy = np.array([g.coords[0] for g in set_g])
    ax.scatter(sxy[:, 0], sxy[:, 1], s=4 + 60 * (pops / pops.max()) ** 0.5, c="#212121",
               zorder=4, linewidths=0)
    for (x, y), name, kind in zip(sxy, set_c["name"], set_c["kind"], strict=True):
        if kind != "village":
            ax.annotate(str(name), (x, y), xytext=(4, 3), textcoords="offset points",
                        fontsize=8.5, fontweight="bold" if kind == "capital" else "normal",
                        zorder=6)
    for d in districts:
        p = d.geometry.representative_point()
        ax.text(p.x, p.y - 0.03, d.name.upper(), fontsize=9, color="#5d4037",
                ha="center", alpha=0.85, style="italic", zorder=5)
    if len(accidents):
        ax.scatter(accidents[:, 0], accidents[:, 1], marker="x", s=28, c="#b71c1c",
                   linewidths=1.4, zorder=5.5)
    ax.set_xlim(BOX[0], BOX[2])
    ax.set_ylim(BOX[1], BOX[3])
    ax.set_title(said("cli.map_whole"), fontsize=11)

    win = _zoom_window(mine_finds, belt_g[0], 0.035)
    base(az, True)
    rows_g, rows_c = read_layer(truth, "field_rows")
    sites_g, sites_c = read_layer(truth, "sites")
    wbox = shapely.box(*win)
    near_rows = [g for g in rows_g if g is not None and g.intersects(wbox)]
    near_sites = [g for g, k in zip(sites_g, sites_c["kind"], strict=True)
                  if g is not None and k != "never_laid" and g.intersects(wbox)]
    az.add_collection(LineCollection(_lines(near_sites), colors="#000000", linewidths=0.6,
                                     linestyles=":", zorder=3.6))
    az.add_collection(LineCollection(_lines(near_rows), colors="#4a148c", linewidths=1.0,
                                     zorder=3.7))
    left_g, _ = read_layer(truth, "left_behind") if "left_behind" in _layer_names(truth) \
        else ([], {})
    lb = np.array([g.coords[0] for g in left_g]).reshape(-1, 2)
    inwin = (finds[:, 0] > win[0]) & (finds[:, 0] < win[2]) & (finds[:, 1] > win[1]) & \
        (finds[:, 1] < win[3])
    az.scatter(finds[inwin, 0], finds[inwin, 1], s=4, c="#000000", zorder=4, linewidths=0)
    if len(lb):
        az.scatter(lb[:, 0], lb[:, 1], s=14, marker="^", c="#ff6f00", edgecolors="black",
                   linewidths=0.3, zorder=4.5)
    pxy = np.array([g.coords[0] for g in pos_g]).reshape(-1, 2)
    az.scatter(pxy[:, 0], pxy[:, 1], marker="s", s=16, c="#263238", zorder=4.2)
    if len(accidents):
        az.scatter(accidents[:, 0], accidents[:, 1], marker="x", s=60, c="#b71c1c",
                   linewidths=2, zorder=5.5)
    az.scatter(sxy[:, 0], sxy[:, 1], s=30, c="#212121", zorder=4)
    for (x, y), name in zip(sxy, set_c["name"], strict=True):
        if win[0] < x < win[2] and win[1] < y < win[3]:
            az.annotate(str(name), (x, y), xytext=(4, 3), textcoords="offset points",
                        fontsize=9, zorder=6)
    az.set_xlim(win[0], win[2])
    az.set_ylim(win[1], win[3])
    km = 1000.0 / (111_320.0 * np.cos(np.radians((win[1] + win[3]) / 2)))
    x0, y0 = win[0] + 0.05 * (win[2] - win[0]), win[1] + 0.05 * (win[3] - win[1])
    az.plot([x0, x0 + km], [y0, y0], color="black", linewidth=3, zorder=8)
    az.text(x0 + km / 2, y0 + 0.012 * (win[3] - win[1]), "1 km", ha="center", fontsize=9,
            zorder=8)
    az.set_title(said("cli.map_closeup"), fontsize=11)
    ax.add_patch(Rectangle((win[0], win[1]), win[2] - win[0], win[3] - win[1], fill=False,
                           edgecolor="black", linewidth=1.5, zorder=7))
    for a in (ax, az):
        a.tick_params(labelsize=8)
        a.set_xlabel(said("cli.map_longitude"), fontsize=8)
        a.set_ylabel(said("cli.map_latitude"), fontsize=8)

    handles = [
        Patch(facecolor=LAND, edgecolor="#6d8da6", label=said("cli.map_land")),
        Patch(facecolor=COVER["farmland"], label=said("cli.map_farmland")),
        Patch(facecolor=COVER["pasture"], label=said("cli.map_pasture")),
        Patch(facecolor=COVER["forest"], label=said("cli.map_forest")),
        Line2D([], [], color="#8e0000", linewidth=2.2, label=said("cli.map_front_line")),
        Patch(facecolor="#e57373", alpha=0.35, edgecolor="#c62828", linestyle="--",
              label=said("cli.map_belt")),
        Line2D([], [], color="#616161", linewidth=2, label=said("cli.map_main_road")),
        Line2D([], [], color="#9e9e9e", linewidth=1, label=said("cli.map_local_road")),
        Line2D([], [], color="#3b82c4", linewidth=1.5, label=said("cli.map_river")),
        Line2D([], [], color="#5d4037", linestyle="--", label=said("cli.map_district_boundary")),
        Patch(facecolor="#ffb74d", edgecolor="#e65100", label=said("cli.map_sha")),
        Patch(facecolor="#e53935", edgecolor="#8e0000", label=said("cli.map_cha")),
        Patch(facecolor="#bdbdbd", edgecolor="#757575", label=said("cli.map_closed")),
        Patch(facecolor=RELEASE["cancelled"], label=said("cli.map_cancelled")),
        Patch(facecolor=RELEASE["reduced"], label=said("cli.map_reduced")),
        Patch(facecolor=RELEASE["cleared"], label=said("cli.map_cleared")),
        Line2D([], [], marker="o", linestyle="none", color="#000000", markersize=3,
               label=said("cli.map_find")),
        Line2D([], [], marker="x", linestyle="none", color="#b71c1c", markersize=7,
               markeredgewidth=2, label=said("cli.map_accident")),
        Line2D([], [], color="#4a148c", label=said("cli.map_row")),
        Line2D([], [], color="black", linestyle=":", label=said("cli.map_site")),
        Line2D([], [], marker="^", linestyle="none", color="#ff6f00", markeredgecolor="black",
               label=said("cli.map_left_behind")),
        Line2D([], [], marker="s", linestyle="none", color="#263238", markersize=4,
               label=said("cli.map_position")),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=8.5, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(said("cli.map_synthetic") + (f"  ({title})" if title else ""), fontsize=14,
                 fontweight="bold", color="#b71c1c")
    fig.tight_layout(rect=(0, 0.09, 1, 0.96))
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _layer_names(path: str) -> list[str]:
    from mineaction.demo.truth import layers

    return layers(path)

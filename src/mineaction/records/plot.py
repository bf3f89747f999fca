"""A minefield record drawn against the finds and the covered ground, in metres around its
reference point."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

#: Files a figure may be written as.
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def draw(a: Any, finds_lonlat: Any, covered: Any, path: Path, *, locale: str = "en",
         status: str | None = None) -> None:
    """Expected mines as recorded and corrected, found mines, covered ground (metres); its
    words in ``locale`` (``status``: the assessment's status as the reader says it)."""
    import matplotlib

    from mineaction.messages import speaker

    said = speaker(locale)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch
    from matplotlib.patches import Polygon as MplPolygon

    from mineaction.geo.traverse import LocalFrame

    g0 = a.recorded
    frame = LocalFrame(*g0.reference)

    def local(lonlat: Any) -> Any:
        arr = np.asarray(lonlat, float).reshape(-1, 2)
        return frame.to_local(arr[:, 0], arr[:, 1]) if len(arr) else arr

    def polygons(geom: Any) -> list[Any]:
        if geom is None or geom.is_empty:
            return []
        return [p for p in getattr(geom, "geoms", [geom]) if p.geom_type == "Polygon"]

    fig, ax = plt.subplots(figsize=(11, 7), dpi=110)
    for p in polygons(covered):
        ax.add_patch(MplPolygon(local(np.asarray(p.exterior.coords)), closed=True,
                                facecolor="#cfe8cf", edgecolor="#6aa56a", lw=0.8, zorder=1))
    for p in polygons(g0.perimeter):
        ax.add_patch(MplPolygon(local(np.asarray(p.exterior.coords)), closed=True, fill=False,
                                edgecolor="#555555", lw=1.2, ls="--", zorder=2))
    e0 = local(g0.mine_lonlat)
    if len(e0):
        ax.scatter(e0[:, 0], e0[:, 1], marker="x", s=18, c="#777777", lw=0.9, zorder=3,
                   label=said("records.fig_mine_recorded"))
    if a.corrected is not None:
        for p in polygons(a.corrected.perimeter):
            ax.add_patch(MplPolygon(local(np.asarray(p.exterior.coords)), closed=True,
                                    fill=False, edgecolor="#1f5fbf", lw=1.6, zorder=4))
        ec = local(a.corrected_mines)
        ax.scatter(ec[:, 0], ec[:, 1], marker="o", s=30, facecolors="none",
                   edgecolors="#1f5fbf", lw=1.0, zorder=5,
                   label=said("records.fig_mine_corrected"))
    f = local(finds_lonlat)
    if len(f):
        matched = {fid for _, fid, _ in a.matches}
        is_matched = np.array([i in matched for i in a.find_ids], bool)
        ax.scatter(f[~is_matched, 0], f[~is_matched, 1], s=14, c="#e07b00", zorder=6,
                   label=said("records.fig_find_unmatched"))
        if is_matched.any():
            ax.scatter(f[is_matched, 0], f[is_matched, 1], s=14, c="#b00020", zorder=6,
                       label=said("records.fig_find_matched"))
    ax.scatter([0], [0], marker="^", s=90, c="black", zorder=7,
               label=said("records.fig_reference"))
    if a.corrected is not None:
        rc = local(np.array([a.corrected.reference]))
        ax.scatter(rc[:, 0], rc[:, 1], marker="^", s=90, facecolors="none",
                   edgecolors="#1f5fbf", lw=1.4, zorder=7,
                   label=said("records.fig_reference_corrected"))
    # Frame the record (as recorded and corrected) and the reference point, not every find.
    frame_pts = [np.zeros((1, 2)), e0]
    if a.corrected is not None:
        frame_pts.append(local(a.corrected_mines))
        frame_pts.append(local(np.array([a.corrected.reference])))
    for p in polygons(g0.perimeter):
        frame_pts.append(local(np.asarray(p.exterior.coords)))
    pts = np.vstack([x for x in frame_pts if len(x)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = max(30.0, 0.12 * float((hi - lo).max()))
    lo, hi = lo - pad, hi + pad
    if len(f):
        outside = int((~((f >= lo) & (f <= hi)).all(axis=1)).sum())
        if outside:
            ax.scatter([], [], s=0, label=said("records.fig_outside", count=outside))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(facecolor="#cfe8cf", edgecolor="#6aa56a"),
                Patch(fill=False, edgecolor="#555555", ls="--")]
    labels += [said("records.fig_covered"), said("records.fig_perimeter")]
    if a.corrected is not None:
        handles.append(Patch(fill=False, edgecolor="#1f5fbf", lw=1.6))
        labels.append(said("records.fig_perimeter_corrected"))
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
              frameon=False)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(said("records.fig_east"))
    ax.set_ylabel(said("records.fig_north"))
    ax.grid(True, lw=0.3, alpha=0.6)
    rms = "-" if a.residual_rms_m is None else f"{a.residual_rms_m:.1f} m"
    title = said("records.fig_title", id=a.record_id, status=status or a.status,
                 matched=a.matched_finds, expected=a.expected_mines, rms=rms)
    sub = "\n".join(textwrap.wrap(said("records.fig_interpretation",
                                       interpretation=a.interpretation), 100))
    ax.set_title(f"{title}\n{sub}", fontsize=9, loc="left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

"""How reliable is a minefield record? Compare where it puts mines with what was found.

For one record:

1. The record is georeferenced as written, and again under each known misreading that applies
   to it (SK-42 coordinates read as WGS84 or the reverse; 6000-mil bearings read as 6400-mil
   or the reverse; and their combinations). Magnetic bearings read as true rotate the whole
   traverse about its reference point, so that misreading is recognised from the rotation
   found in step 2 and then tested by georeferencing again with the estimated declination.
2. Under each interpretation a rigid transform (rotation about the record's reference point,
   translation east/north) is estimated robustly from the finds near the record: a vote over
   translations for a fan of rotations (finds unrelated to the record spread their votes and do
   not form a peak), then iterated least squares on the pairs within tolerance. The
   interpretation matching most finds with the smallest remaining transform wins; a
   remaining transform that is significant is kept as a generic correction.
3. Expected and found mines are matched one to one within the tolerance
   (:func:`scipy.optimize.linear_sum_assignment` on the candidate pairs of a k-d tree).
4. Ground covered by clearance or technical survey where the record puts mines and nothing was
   found counts against the record.

The status is ``reliable`` (matches as written), ``correctable`` (a systematic error estimated
with confidence; the corrected geometry is proposed for a person to accept, never applied),
``unreliable`` (covered ground contradicts it and no consistent transform explains the finds,
or the record misses much of what was found in it) or ``unverified`` (too little covered
ground and too few finds to say).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mineaction.domain.minefield_records import (
    MinefieldRecord,
    RecordStatus,
    StoredMinefieldRecord,
    parse_text,
)
from mineaction.geo.crs import parse_crs
from mineaction.geo.traverse import LocalFrame
from mineaction.messages import Note
from mineaction.records.georef import Georef, georeference


@dataclass(frozen=True)
class AssessOptions:
    """Thresholds of the assessment (defaults suit hand-laid rows found by clearance)."""

    tolerance_m: float = 3.0  # an expected and a found mine this close may be the same
    search_m: float = 300.0  # finds this far around the record are considered
    min_matches: int = 10  # matched finds needed to judge (fewer for records of few mines)
    min_recall: float = 0.7  # share of expected mines on covered ground that must be found
    min_explained: float = 0.7  # share of finds inside the field the record must explain
    max_rotation_deg: float = 15.0  # largest rotation considered
    max_declination_deg: float = 15.0  # largest declination a north misreading may imply
    covered_share_to_judge: float = 0.5  # covered share of a record with no match to judge it
    #: Transformation used when testing "SK-42 read as WGS84" (the record names none then);
    #: None: the best-ranked for the area, as for any record that names none.
    datum_transformation: str | None = None


@dataclass
class Fit:
    """A rigid transform p' = R(theta) p + t in the local frame (metres, about the reference)."""

    theta: float  # radians, counter-clockwise
    t: np.ndarray  # (2,)
    pairs: np.ndarray  # (k, 2) indices (expected, found) matched one to one
    rms: float
    sigma_t: float  # standard error of the translation at the reference point, metres
    sigma_theta: float  # radians
    scale: float = 1.0
    center: np.ndarray = field(default_factory=lambda: np.zeros(2))  # the reference point

    @property
    def shift(self) -> np.ndarray:
        """Where the transform moves the reference point (east, north metres)."""
        return self.apply(self.center[None, :])[0] - self.center

    @property
    def matched(self) -> int:
        return len(self.pairs)

    @property
    def rotation_deg(self) -> float:
        """Clockwise, like a change of bearing."""
        return -math.degrees(self.theta)

    def apply(self, xy: np.ndarray) -> np.ndarray:
        return apply_rigid(xy, self.theta, self.t, self.scale)


def apply_rigid(xy: np.ndarray, theta: float, t: np.ndarray, scale: float = 1.0) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    r = np.array([[c, -s], [s, c]]) * scale
    return np.asarray(xy, float) @ r.T + np.asarray(t, float)


def rigid_lsq(a: np.ndarray, b: np.ndarray, *, with_scale: bool = False
              ) -> tuple[float, np.ndarray, float]:
    """Least-squares (theta, t, scale) with b ≈ s R(theta) a + t (2-D Procrustes)."""
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    a0, b0 = a - ca, b - cb
    sxx = float((a0 * b0).sum())  # sum of dot products
    sxy = float((a0[:, 0] * b0[:, 1] - a0[:, 1] * b0[:, 0]).sum())  # sum of cross products
    theta = math.atan2(sxy, sxx)
    scale = 1.0
    if with_scale:
        denom = float((a0 ** 2).sum())
        scale = math.hypot(sxx, sxy) / denom if denom > 0 else 1.0
    t = cb - apply_rigid(ca[None, :], theta, np.zeros(2), scale)[0]
    return theta, t, scale


def match_one_to_one(p: np.ndarray, tree: cKDTree, tol: float) -> np.ndarray:
    """Pairs (i, j) of expected p[i] and found tree.data[j] within ``tol``, one to one,
    minimising the total distance."""
    if len(p) == 0 or tree.n == 0:
        return np.empty((0, 2), int)
    lists = tree.query_ball_point(p, r=tol)
    lens = np.fromiter((len(x) for x in lists), int, len(lists))
    if lens.sum() == 0:
        return np.empty((0, 2), int)
    ei = np.repeat(np.arange(len(p)), lens)
    fj = np.fromiter(itertools.chain.from_iterable(lists), int, int(lens.sum()))
    ue, ie = np.unique(ei, return_inverse=True)
    uf, jf = np.unique(fj, return_inverse=True)
    big = 1e6
    cost = np.full((len(ue), len(uf)), big)
    cost[ie, jf] = np.hypot(*(p[ei] - tree.data[fj]).T)
    rows, cols = linear_sum_assignment(cost)
    keep = cost[rows, cols] < big
    return np.column_stack((ue[rows[keep]], uf[cols[keep]]))


def _finish(e: np.ndarray, f_tree: cKDTree, theta: float, t: np.ndarray, tol: float,
            scale: float = 1.0) -> Fit:
    pairs = match_one_to_one(apply_rigid(e, theta, t, scale), f_tree, tol)
    if len(pairs) == 0:
        return Fit(theta, t, pairs, math.inf, math.inf, math.inf, scale)
    d = apply_rigid(e[pairs[:, 0]], theta, t, scale) - f_tree.data[pairs[:, 1]]
    rms = float(np.sqrt((d ** 2).sum(axis=1).mean()))
    k = len(pairs)
    a = e[pairs[:, 0]]
    c = a.mean(axis=0)
    spread = float(((a - c) ** 2).sum())
    sigma = max(rms, 0.1) / math.sqrt(2)  # per coordinate
    sigma_theta = sigma / math.sqrt(spread) if spread > 0 else math.inf
    sigma_t = sigma * math.sqrt(1.0 / k + float((c ** 2).sum()) / spread) if spread > 0 \
        else math.inf
    return Fit(theta, t, pairs, rms, sigma_t, sigma_theta, scale)


VOTERS = 48  # expected mines that vote for a translation


def robust_rigid(e: np.ndarray, f: np.ndarray, f_tree: cKDTree, opts: AssessOptions,
                 center: np.ndarray | None = None) -> Fit | None:
    """:func:`_robust_rigid` with the rotation about ``center`` (the record's reference point
    under the interpretation tested): the fit is made in coordinates centred there, so that the
    rotation and the shift of the reference point are estimated apart, and returned in the
    frame's coordinates."""
    if center is None or not np.any(center):
        return _robust_rigid(e, f, f_tree, opts)
    c = np.asarray(center, float)
    fit = _robust_rigid(e - c, f - c, cKDTree(f - c), opts)
    if fit is None:
        return None
    # p' = R (p - c) + c + t_c  =  R p + (c - R c + t_c)
    t0 = c - apply_rigid(c[None, :], fit.theta, np.zeros(2), fit.scale)[0] + fit.t
    return replace(fit, t=t0, center=c)


def _robust_rigid(e: np.ndarray, f: np.ndarray, f_tree: cKDTree, opts: AssessOptions
                  ) -> Fit | None:
    """The rigid transform that brings most expected mines ``e`` onto found ones ``f``.

    A Hough vote: for each rotation of a fan, every (expected, found) pair closer than
    ``search_m`` votes for the translation that would join them; the fullest cell (summed over
    its neighbours) wins. Unrelated finds scatter their votes. The best few peaks are refined
    by iterated least squares on the pairs within tolerance.
    """
    if len(e) == 0 or len(f) == 0:
        return None
    tol = opts.tolerance_m
    # Votes from an even sample of the expected mines find the peak as well as all would.
    voters = np.unique(np.linspace(0, len(e) - 1, min(len(e), VOTERS)).round().astype(int))
    lists = f_tree.query_ball_point(e[voters], r=opts.search_m)
    lens = np.fromiter((len(x) for x in lists), int, len(lists))
    if lens.sum() == 0:
        return None
    ei = voters[np.repeat(np.arange(len(voters)), lens)]
    fj = np.fromiter(itertools.chain.from_iterable(lists), int, int(lens.sum()))
    radius = float(np.hypot(*e.T).max()) + 1.0
    # The fan is as fine as a rotation that moves the farthest mine by 1.5 tolerances: the
    # exact count and the refinement below take it the rest of the way.
    step = min(math.radians(1.0), 1.5 * tol / radius)
    nrot = int(math.ceil(math.radians(opts.max_rotation_deg) / step))
    thetas = np.arange(-nrot, nrot + 1) * step
    cell = tol
    half = int(math.ceil((opts.search_m + radius * math.radians(opts.max_rotation_deg)) / cell))
    width = 2 * half + 1
    fe = f[fj]
    ee = e[ei]
    cand_theta: list[float] = []
    cand_t: list[np.ndarray] = []
    per_rotation = 6
    for theta in thetas:
        c, s = math.cos(theta), math.sin(theta)
        rx = c * ee[:, 0] - s * ee[:, 1]
        ry = s * ee[:, 0] + c * ee[:, 1]
        gx = np.floor((fe[:, 0] - rx) / cell).astype(np.int64) + half
        gy = np.floor((fe[:, 1] - ry) / cell).astype(np.int64) + half
        ok = (gx >= 0) & (gx < width) & (gy >= 0) & (gy < width)
        idx = gx[ok] * width + gy[ok]
        votes = np.bincount(idx, minlength=width * width)[idx]
        k = min(len(votes), 16 * per_rotation)
        if k == 0:
            continue
        part = np.argpartition(votes, -k)[-k:]
        counts = dict(zip(idx[part].tolist(), votes[part].tolist(), strict=True))
        top = sorted(counts, key=lambda c: -counts[c])[:per_rotation]
        for flat in (c for c in top if counts[c] >= 2):
            gxc, gyc = divmod(flat, width)
            cand_theta.append(float(theta))
            cand_t.append(np.array([(gxc - half + 0.5) * cell, (gyc - half + 0.5) * cell]))
    if not cand_theta:
        return None
    # Score every candidate exactly: how many expected mines have a find close by. (Votes of
    # a row's neighbouring mines can pile up in a cell; a count of mines near a find cannot.)
    th = np.array(cand_theta)
    tt = np.array(cand_t)
    cos, sin = np.cos(th)[:, None], np.sin(th)[:, None]
    px = cos * e[None, :, 0] - sin * e[None, :, 1] + tt[:, 0:1]
    py = sin * e[None, :, 0] + cos * e[None, :, 1] + tt[:, 1:2]
    d, _ = f_tree.query(np.column_stack((px.ravel(), py.ravel())),
                        distance_upper_bound=1.5 * tol)
    score = np.isfinite(d).reshape(len(th), len(e)).sum(axis=1)
    starts = [(0.0, np.zeros(2))]  # the record as it is, always among the starts
    starts += [(float(th[k]), tt[k]) for k in np.argsort(-score, kind="stable")[:2].tolist()]
    # Least squares from each start; starts that converge to the same fit are refined once.
    converged: list[tuple[float, np.ndarray]] = []
    for theta, t in starts:
        got = _icp(e, f_tree, theta, t, tol)
        if got is not None and not any(abs(got[0] - c[0]) < 0.002 and
                                       float(np.hypot(*(got[1] - c[1]))) < tol / 2
                                       for c in converged):
            converged.append(got)
    fits = [fit for theta, t in converged
            if (fit := _refine(e, f_tree, theta, t, tol)) is not None]
    if not fits:
        return None
    # Of the fits matching (about) the most, the smallest: a row shifted onto its neighbour
    # matches as many mines as no shift at all when rows are missing.
    most = max(fit.matched for fit in fits)
    near = [fit for fit in fits if fit.matched >= most - max(1.0, 0.02 * most)]
    spread = float(np.sqrt((e ** 2).sum(axis=1).mean()))
    return min(near, key=lambda fit: (float(np.hypot(*fit.t)) + abs(fit.theta) * spread,
                                      -fit.matched))


def _icp(e: np.ndarray, f_tree: cKDTree, theta: float, t: np.ndarray, tol: float
         ) -> tuple[float, np.ndarray] | None:
    """Iterated least squares on nearest finds, the radius shrinking to the tolerance."""
    radius = 2.5 * tol
    for _ in range(8):
        p = apply_rigid(e, theta, t)
        d, j = f_tree.query(p, distance_upper_bound=radius)
        ok = np.isfinite(d)
        if ok.sum() < 2:
            return None
        new_theta, new_t, _ = rigid_lsq(e[ok], f_tree.data[j[ok]])
        moved = abs(new_theta - theta) * 200 + float(np.hypot(*(new_t - t)))
        theta, t = new_theta, new_t
        radius = max(tol, radius * 0.7)
        if moved < 0.01 and radius <= tol:
            break
    return theta, t


def _refine(e: np.ndarray, f_tree: cKDTree, theta: float, t: np.ndarray, tol: float
            ) -> Fit | None:
    # Rows are periodic: a fit one spacing along the row matches almost as many mines. Look
    # around the fit on a fine grid of translations for the one matching most, closest.
    p = apply_rigid(e, theta, t)
    span = 2.5 * tol
    steps = np.arange(-span, span + 1e-9, tol / 2)
    ox, oy = np.meshgrid(steps, steps, indexing="ij")
    offsets = np.column_stack((ox.ravel(), oy.ravel()))
    moved_p = (p[None, :, :] + offsets[:, None, :]).reshape(-1, 2)
    d, _ = f_tree.query(moved_p, distance_upper_bound=tol)
    d = d.reshape(len(offsets), len(p))
    hit = np.isfinite(d)
    score = hit.sum(axis=1) - np.where(hit, d, 0.0).sum(axis=1) / (tol * len(p) + 1.0)
    t = t + offsets[int(np.argmax(score))]
    for _ in range(3):
        pairs = match_one_to_one(apply_rigid(e, theta, t), f_tree, tol)
        if len(pairs) < 2:
            break
        theta, t, _ = rigid_lsq(e[pairs[:, 0]], f_tree.data[pairs[:, 1]])
    return _finish(e, f_tree, theta, t, tol)


# ---------------------------------------------------------------------------------------------
# Interpretations.

#: Datum misreadings: the record's CRS, and the CRS its coordinates may really be in.
_DATUM_SWAPS = {"EPSG:4326": ("EPSG:4284", Note("records.interp_sk42_as_wgs84")),
                "EPSG:4284": ("EPSG:4326", Note("records.interp_wgs84_as_sk42"))}


@lru_cache(maxsize=256)
def _datum_alternative(crs_text: str) -> tuple[str, str] | None:
    crs = parse_crs(crs_text)
    auth = crs.to_authority()
    label = f"{auth[0]}:{auth[1]}" if auth else None
    if label in _DATUM_SWAPS:
        return _DATUM_SWAPS[label]
    if crs.is_projected and crs.geodetic_crs is not None:
        geo = crs.geodetic_crs.to_authority()
        geo_label = f"{geo[0]}:{geo[1]}" if geo else None
        if geo_label == "EPSG:4284":
            # The same Gauss-Krüger grid on WGS84: SK-42 grid figures were already WGS84.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                proj = crs.to_proj4().replace("+ellps=krass", "+ellps=WGS84")
            proj = " ".join(p for p in proj.split() if not p.startswith("+towgs84"))
            return proj + " +towgs84=0,0,0", Note("records.interp_wgs84_as_sk42_grid")
    return None


_UNIT_SWAPS = {"mil6400": ("mil6000", Note("records.interp_mils", actual=6000, read=6400)),
               "mil6000": ("mil6400", Note("records.interp_mils", actual=6400, read=6000))}


@dataclass(frozen=True)
class Interpretation:
    labels: tuple[str, ...]
    crs: str | None = None
    unit: str | None = None
    reference: str | None = None
    declination_deg: float | None = None

    def apply(self, record: MinefieldRecord) -> MinefieldRecord:
        return record.reinterpreted(crs=self.crs, unit=self.unit, reference=self.reference,
                                    declination_deg=self.declination_deg)

    @property
    def text(self) -> str:
        """The misreadings, "; "-joined, or "as recorded" (a Note: said in the reader's
        language where shown)."""
        if not self.labels:
            return Note("records.interp_as_recorded")
        return Note("records.interp_labels", labels=tuple(self.labels))


def interpretations(record: MinefieldRecord) -> list[Interpretation]:
    """As recorded first, then every combination of the misreadings that apply."""
    datum_alt = _datum_alternative(record.crs)
    unit_alt = _UNIT_SWAPS.get(record.bearings.unit)
    datum = [None] + ([datum_alt] if datum_alt else [])
    unit = [None] + ([unit_alt] if unit_alt else [])
    return [Interpretation(tuple(x[1] for x in (d, u) if x is not None),
                           crs=d[0] if d else None, unit=u[0] if u else None)
            for d, u in itertools.product(datum, unit)]


# ---------------------------------------------------------------------------------------------
# The assessment of one record.

@dataclass
class Assessment:
    record_id: str
    status: str
    expected_mines: int
    matched_finds: int
    finds_near: int
    finds_in_field: int
    explained_share: float | None  # matched / finds inside the corrected field
    expected_on_covered: int
    found_share_on_covered: float | None
    shift_east_m: float
    shift_north_m: float
    rotation_deg: float
    scale: float
    residual_rms_m: float | None
    interpretation: str
    operation: str | None
    evidence: list[str] = field(default_factory=list)
    hypotheses: list[dict[str, Any]] = field(default_factory=list)
    matches: list[tuple[str, str, float]] = field(default_factory=list)  # mine, find, metres
    corrected: Georef | None = None
    corrected_mines: np.ndarray | None = None  # lon/lat of every expected mine, corrected
    recorded: Georef | None = None
    find_ids: list[str] = field(default_factory=list)  # the finds considered, in order

    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "record_id": self.record_id, "status": self.status,
            "expected_mines": self.expected_mines, "matched_finds": self.matched_finds,
            "finds_near": self.finds_near, "finds_in_field": self.finds_in_field,
            "explained_share": _r(self.explained_share, 3),
            "expected_on_covered_ground": self.expected_on_covered,
            "found_share_on_covered_ground": _r(self.found_share_on_covered, 3),
            "shift_east_m": _r(self.shift_east_m, 2), "shift_north_m": _r(self.shift_north_m, 2),
            "rotation_deg": _r(self.rotation_deg, 3), "scale": _r(self.scale, 5),
            "residual_rms_m": _r(self.residual_rms_m, 2),
            "interpretation": self.interpretation, "transformation": self.operation,
            "evidence": self.evidence,
        }
        if full:
            out["hypotheses"] = self.hypotheses
            out["matches"] = [{"mine": m, "find": f, "distance_m": round(d, 2)}
                              for m, f, d in self.matches]
            if self.status == RecordStatus.CORRECTABLE and self.corrected is not None:
                out["proposed_change"] = self.proposal()
        return out

    def proposal(self) -> dict[str, Any] | None:
        """The corrected geometry, offered as a hazard change for a person to accept."""
        if self.corrected is None or self.corrected_mines is None:
            return None
        perim = self.corrected.perimeter_multipolygon()
        return {
            "kind": "hazard-geometry",
            "state": "proposed",
            "note": "derived from the record and the finds; not applied until accepted",
            "reason": self.interpretation,
            "perimeter": shapely.geometry.mapping(perim) if perim is not None else None,
            "mines": [[round(float(x), 7), round(float(y), 7)] for x, y in self.corrected_mines],
        }


def _r(v: float | None, nd: int) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return round(float(v), nd) + 0.0


def _transform_georef(g: Georef, frame: LocalFrame, theta: float, t: np.ndarray,
                      scale: float = 1.0) -> Georef:
    """``g`` moved by a rigid transform in ``frame``."""
    if theta == 0.0 and not np.any(t) and scale == 1.0:
        return g

    def move(lonlat: np.ndarray) -> np.ndarray:
        if len(lonlat) == 0:
            return lonlat
        xy = apply_rigid(frame.to_local(lonlat[:, 0], lonlat[:, 1]), theta, t, scale)
        lon, lat = frame.to_lonlat(xy)
        return np.column_stack((lon, lat))

    points = dict(zip(g.points, map(tuple, move(np.array(list(g.points.values())))),
                      strict=True))
    perimeter = None
    if g.perimeter is not None:
        perimeter = shapely.transform(g.perimeter, move)
    rows = {k: shapely.transform(v, move) for k, v in g.rows.items()}
    ref = tuple(move(np.array([g.reference]))[0])
    return replace(g, points=points, perimeter=perimeter, rows=rows,  # type: ignore[arg-type]
                   mine_lonlat=move(g.mine_lonlat), reference=ref)  # type: ignore[arg-type]


def assess_record(record: MinefieldRecord, finds_lonlat: np.ndarray, find_ids: Sequence[str],
                  covered: BaseGeometry | None, opts: AssessOptions | None = None, *,
                  transformation: str | None = None) -> Assessment:
    """Assess one record against finds (lon/lat, EPSG:4326) and covered ground."""
    opts = opts or AssessOptions()
    g0 = georeference(record, transformation, warn=False)
    frame = LocalFrame(*g0.reference)
    e0 = frame.to_local(g0.mine_lonlat[:, 0], g0.mine_lonlat[:, 1]) if len(g0.mines) \
        else np.empty((0, 2))
    finds_lonlat = np.asarray(finds_lonlat, float).reshape(-1, 2)
    f = frame.to_local(finds_lonlat[:, 0], finds_lonlat[:, 1]) if len(finds_lonlat) \
        else np.empty((0, 2))
    tree = cKDTree(f) if len(f) else cKDTree(np.empty((0, 2)))
    n = len(g0.mines)
    tol = opts.tolerance_m
    evidence: list[str] = []
    hyps: list[dict[str, Any]] = []

    # 1-2: every interpretation, each with its best rigid transform.
    candidates: list[tuple[Interpretation, Georef, np.ndarray, Fit | None]] = []
    for interp in interpretations(record):
        if not interp.labels:
            g, e = g0, e0
        else:
            try:
                g = georeference(interp.apply(record), _operation(interp, transformation, opts),
                                 warn=False)
            except Exception:  # noqa: BLE001  (an interpretation that cannot be drawn)
                continue
            e = frame.to_local(g.mine_lonlat[:, 0], g.mine_lonlat[:, 1]) if n \
                else np.empty((0, 2))
        fit = robust_rigid(e, f, tree, opts, _ref(frame, g)) if n and len(f) else None
        candidates.append((interp, g, e, fit))
        hyps.append(_hyp_summary(interp, fit, e))

    def magnitude(e: np.ndarray, fit: Fit) -> float:
        spread = float(np.sqrt(((e - fit.center) ** 2).sum(axis=1).mean())) if len(e) else 0.0
        return float(np.hypot(*fit.shift)) + abs(fit.theta) * spread

    usable = [c for c in candidates if c[3] is not None and c[3].matched > 0]
    chosen = candidates[0]
    if usable:
        top = max(c[3].matched for c in usable)  # type: ignore[union-attr]
        near_top = [c for c in usable if c[3].matched >= max(top * 0.95, top - 2)]  # type: ignore[union-attr]
        chosen = min(near_top, key=lambda c: (magnitude(c[2], c[3]), len(c[0].labels)))  # type: ignore[arg-type]
    interp, g, e, fit = chosen

    # The north: a significant rotation about the reference point is a declination.
    if fit is not None and fit.matched >= 3:
        rot = fit.rotation_deg
        if abs(rot) >= max(0.5, 3 * math.degrees(fit.sigma_theta)) \
                and abs(rot) <= opts.max_declination_deg:
            b = record.bearings
            if b.reference == "magnetic":
                new_decl = (b.declination_deg or 0.0) + rot
                label = Note("records.interp_declination", recorded=b.declination_deg or 0.0,
                             found=new_decl)
            else:
                new_decl = rot
                label = Note("records.interp_magnetic", reference=b.reference,
                             found=new_decl)
            north = Interpretation(interp.labels + (label,), crs=interp.crs, unit=interp.unit,
                                   reference="magnetic", declination_deg=new_decl)
            try:
                g2 = georeference(north.apply(record), _operation(north, transformation, opts),
                                  warn=False)
                e2 = frame.to_local(g2.mine_lonlat[:, 0], g2.mine_lonlat[:, 1])
                fit2 = robust_rigid(e2, f, tree, opts, _ref(frame, g2))
            except Exception:  # noqa: BLE001
                fit2 = None
            if fit2 is not None and fit2.matched >= fit.matched * 0.95:
                hyps.append(_hyp_summary(north, fit2, e2))
                interp, g, e, fit = north, g2, e2, fit2

    # The remaining transform: kept when significant, else zero.
    generic = False
    theta_g, t_g, scale_g = 0.0, np.zeros(2), 1.0
    if fit is not None and fit.matched >= 3:
        shift = float(np.hypot(*fit.shift))
        rot = abs(fit.rotation_deg)
        if shift > max(tol / 3, 3 * fit.sigma_t) or rot > max(0.2, 3 * math.degrees(
                fit.sigma_theta)):
            generic = True
            theta_g, t_g = fit.theta, fit.t
            shifted = shift > max(tol / 3, 3 * fit.sigma_t)
            rotated = rot > max(0.2, 3 * math.degrees(fit.sigma_theta))
            east_m, north_m = float(fit.shift[0]), float(fit.shift[1])
            generic_label = (
                Note("records.interp_shift_rotation", east=east_m, north=north_m,
                     rotation=fit.rotation_deg) if shifted and rotated else
                Note("records.interp_shift", east=east_m, north=north_m) if shifted else
                Note("records.interp_rotation", rotation=fit.rotation_deg))
            interp = Interpretation(interp.labels + (generic_label,),
                                    crs=interp.crs, unit=interp.unit,
                                    reference=interp.reference,
                                    declination_deg=interp.declination_deg)
        # Scale only when the evidence demands it.
        if fit.matched >= 10:
            a = e[fit.pairs[:, 0]]
            b_ = f[fit.pairs[:, 1]]
            th_s, t_s, s = rigid_lsq(a, b_, with_scale=True)
            d = apply_rigid(a, th_s, t_s, s) - b_
            rms_s = float(np.sqrt((d ** 2).sum(axis=1).mean()))
            spread = float(np.sqrt(((a - a.mean(axis=0)) ** 2).sum()))
            sigma_s = max(rms_s, 0.1) / math.sqrt(2) / spread if spread else math.inf
            if abs(s - 1) > max(0.005, 4 * sigma_s) and rms_s < 0.7 * fit.rms:
                refit = replace(_finish(e, tree, th_s, t_s, tol, s), center=fit.center)
                if refit.matched >= fit.matched:
                    theta_g, t_g, scale_g, fit, generic = th_s, t_s, s, refit, True
                    interp = Interpretation(interp.labels + (Note("records.interp_scale",
                                                                  scale=s),), crs=interp.crs,
                                            unit=interp.unit, reference=interp.reference,
                                            declination_deg=interp.declination_deg)

    corrected_g = _transform_georef(g, frame, theta_g, t_g, scale_g) if generic else g
    ec = apply_rigid(e, theta_g, t_g, scale_g) if len(e) else e
    pairs = match_one_to_one(ec, tree, tol) if len(ec) and len(f) else np.empty((0, 2), int)
    matched = len(pairs)
    rms = (float(np.sqrt(((ec[pairs[:, 0]] - f[pairs[:, 1]]) ** 2).sum(axis=1).mean()))
           if matched else None)

    # The whole correction, as recorded -> corrected, as one rigid transform.
    if n >= 2 and (interp.labels or generic):
        th_all, t_all, _ = rigid_lsq(e0, ec)
    else:
        th_all, t_all = 0.0, np.zeros(2)

    # Covered ground and finds inside the field.
    on_cov, on_cov_recorded = 0, 0
    found_on_cov = 0
    if covered is not None and not covered.is_empty and n:
        shapely.prepare(covered)
        cl = corrected_g.mine_lonlat
        inside = shapely.contains_xy(covered, cl[:, 0], cl[:, 1])
        on_cov = int(inside.sum())
        on_cov_recorded = int(shapely.contains_xy(covered, g0.mine_lonlat[:, 0],
                                                  g0.mine_lonlat[:, 1]).sum())
        if matched:
            found_on_cov = int(inside[pairs[:, 0]].sum())
    field_poly = _local_field(corrected_g, frame, ec, tol)
    in_field = int(shapely.contains_xy(field_poly, f[:, 0], f[:, 1]).sum()) \
        if field_poly is not None and len(f) else 0
    explained = matched / in_field if in_field else None
    found_share = (found_on_cov + 0.0) / on_cov if on_cov else None

    # Classification.
    need = min(opts.min_matches, max(3, math.ceil(0.5 * n)))
    if n == 0:
        status = RecordStatus.UNVERIFIED
        evidence.append(Note("records.ev_no_mines"))
    elif matched >= need:
        recall_low = found_share is not None and on_cov >= need and found_share < opts.min_recall
        extra_low = explained is not None and in_field >= need and explained < opts.min_explained
        confident = fit is not None and fit.sigma_t < tol and math.degrees(fit.sigma_theta) < 0.5
        if recall_low:
            status = RecordStatus.UNRELIABLE
            evidence.append(Note("records.ev_not_found", missing=on_cov - found_on_cov,
                                 count=on_cov))
        elif extra_low:
            status = RecordStatus.UNRELIABLE
            evidence.append(Note("records.ev_not_in_record", matched=matched, count=in_field))
        elif not interp.labels:
            status = RecordStatus.RELIABLE
        elif confident:
            status = RecordStatus.CORRECTABLE
        else:
            status = RecordStatus.UNRELIABLE
            evidence.append(Note("records.ev_not_determined"))
    else:
        covered_share = on_cov_recorded / n
        if on_cov_recorded >= need or (covered_share >= opts.covered_share_to_judge
                                       and on_cov_recorded >= 3):
            status = RecordStatus.UNRELIABLE
            evidence.append(Note("records.ev_on_covered", covered=on_cov_recorded, count=n,
                                 matched=matched, tol=tol))
        else:
            status = RecordStatus.UNVERIFIED
            evidence.append(Note("records.ev_few_covered", covered=on_cov_recorded, count=n,
                                 matched=matched))
    if matched:
        evidence.insert(0, Note("records.ev_matched", matched=matched, count=n, tol=tol,
                                rms=rms))
    if interp.labels:
        as_rec = next((h for h in hyps if h["interpretation"] == "as recorded"), None)
        if as_rec is not None:
            evidence.append(Note("records.ev_as_recorded", matched=as_rec["matched"],
                                 shift=as_rec["shift_m"], rotation=as_rec["rotation_deg"]))
    ids = list(find_ids)
    match_list = [(g0.mines[i].id, ids[j], float(np.hypot(*(ec[i] - f[j]))))
                  for i, j in pairs.tolist()]
    corrected_final = corrected_g if status == RecordStatus.CORRECTABLE else None
    return Assessment(
        record_id=record.record_id, status=status, expected_mines=n, matched_finds=matched,
        finds_near=len(f), finds_in_field=in_field, explained_share=explained,
        expected_on_covered=on_cov, found_share_on_covered=found_share,
        shift_east_m=float(t_all[0]), shift_north_m=float(t_all[1]),
        rotation_deg=-math.degrees(th_all), scale=scale_g, residual_rms_m=rms,
        interpretation=interp.text if status in (RecordStatus.RELIABLE,
                                                 RecordStatus.CORRECTABLE)
        else (Note("records.interp_not_accepted", interpretation=interp.text)
              if interp.labels else interp.text),
        operation=corrected_g.operation, evidence=evidence, hypotheses=hyps,
        matches=match_list, corrected=corrected_final,
        corrected_mines=corrected_g.mine_lonlat if corrected_final is not None else None,
        recorded=g0, find_ids=ids)


def _ref(frame: LocalFrame, g: Georef) -> np.ndarray:
    return frame.to_local(np.array([g.reference[0]]), np.array([g.reference[1]]))[0]


def _operation(interp: Interpretation, transformation: str | None, opts: AssessOptions
               ) -> str | None:
    if interp.crs is None:
        return transformation
    if interp.crs == "EPSG:4284":
        return opts.datum_transformation
    return None


def _hyp_summary(interp: Interpretation, fit: Fit | None, e: np.ndarray) -> dict[str, Any]:
    if fit is None:
        return {"interpretation": interp.text, "matched": 0, "shift_m": None,
                "rotation_deg": None, "rms_m": None}
    return {"interpretation": interp.text, "matched": fit.matched,
            "shift_m": round(float(np.hypot(*fit.shift)), 1),
            "rotation_deg": round(fit.rotation_deg, 2),
            "rms_m": _r(fit.rms, 2)}


def _local_field(g: Georef, frame: LocalFrame, ec: np.ndarray, tol: float
                 ) -> BaseGeometry | None:
    """The field in the local frame: the perimeter (or the mines' hull), grown by ``tol``."""
    if g.perimeter is not None:
        polys = list(g.perimeter.geoms) if isinstance(g.perimeter, MultiPolygon) \
            else [g.perimeter]
        local = []
        for p in polys:
            xy = np.asarray(p.exterior.coords)
            local.append(Polygon(frame.to_local(xy[:, 0], xy[:, 1])))
        geom: BaseGeometry = shapely.union_all(local)
    elif len(ec) >= 3:
        geom = shapely.MultiPoint(ec).convex_hull
    else:
        return None
    grown = geom.buffer(tol)
    shapely.prepare(grown)
    return grown


# ---------------------------------------------------------------------------------------------
# Against the store.

def stored_records(store: Any, ids: Iterable[str] | None = None, *,
                   withdrawn: list[StoredMinefieldRecord] | None = None
                   ) -> Iterator[tuple[StoredMinefieldRecord, MinefieldRecord]]:
    """The stored records (all, or those named), each with its parsed original.

    Withdrawn records are skipped, before their original is read (one that can no longer be
    read is withdrawn precisely so that it stops failing every assessment); they are appended
    to ``withdrawn`` when a list is given."""
    from mineaction.store import Query

    if ids:
        rows = [store.get("minefield-records", i) for i in ids]
    else:
        rows = store.iter("minefield-records", Query(order_by="id"))
    for row in rows:
        if row.withdrawn_on is not None:
            if withdrawn is not None:
                withdrawn.append(row)
            continue
        (rec,) = parse_text(row.original, source=f"stored record {row.id}")
        yield row, rec


def search_bbox(g: Georef, search_m: float) -> tuple[float, float, float, float]:
    """The record's points and mines, grown by ``search_m``, as a lon/lat box."""
    frame = LocalFrame(*g.reference)
    pts = np.array(list(g.points.values()))
    if len(g.mine_lonlat):
        pts = np.vstack([pts, g.mine_lonlat])
    xy = frame.to_local(pts[:, 0], pts[:, 1])
    lo = xy.min(axis=0) - search_m
    hi = xy.max(axis=0) + search_m
    corners = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    lon, lat = frame.to_lonlat(corners)
    return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())


def evidence_near(store: Any, bbox: tuple[float, float, float, float]
                  ) -> tuple[np.ndarray, list[str], BaseGeometry | None]:
    """Finds of mines (ap, av) and the ground covered by clearance or technical survey."""
    from mineaction.store import Query

    finds = store.query("finds", Query(where={"category": ["ap", "av"]}, bbox=bbox))
    xy = np.array([(r.geometry.x, r.geometry.y) for r in finds if r.geometry is not None],
                  float).reshape(-1, 2)
    ids = [r.id for r in finds if r.geometry is not None]
    acts = store.query("activities", Query(where={"kind": ["clearance", "ts"]}, bbox=bbox))
    polys = [a.geometry for a in acts if a.geometry is not None]
    covered = shapely.union_all(polys) if polys else None
    return xy, ids, covered


def assess_stored(store: Any, row: StoredMinefieldRecord, record: MinefieldRecord,
                  opts: AssessOptions | None = None, *, transformation: str | None = None
                  ) -> Assessment:
    opts = opts or AssessOptions()
    g0 = georeference(record, transformation, warn=False)
    xy, ids, covered = evidence_near(store, search_bbox(g0, opts.search_m))
    return assess_record(record, xy, ids, covered, opts, transformation=transformation)


def save_assessment(tx: Any, row: StoredMinefieldRecord, a: Assessment,
                    on: dt.date | None = None) -> StoredMinefieldRecord:
    """Write the latest assessment onto the stored record (the hazards are not touched)."""
    new = replace(row, assessment_status=a.status, assessed_on=on or dt.date.today(),
                  assessment=json.dumps(a.to_dict(full=True), ensure_ascii=False))
    return tx.update(new)  # type: ignore[no-any-return]


def aggregate(assessments: Sequence[Assessment]) -> dict[str, Any]:
    """The share of records in each status (comparable with a published reliability claim)."""
    total = len(assessments)
    counts = {s: sum(1 for a in assessments if a.status == s) for s in RecordStatus.ALL}
    judged = total - counts[RecordStatus.UNVERIFIED]
    return {
        "records": total,
        "counts": counts,
        "share": {s: (round(c / total, 4) if total else None) for s, c in counts.items()},
        "reliable_share_of_judged": round(counts[RecordStatus.RELIABLE] / judged, 4)
        if judged else None,
        "usable_share_of_judged": round((counts[RecordStatus.RELIABLE]
                                         + counts[RecordStatus.CORRECTABLE]) / judged, 4)
        if judged else None,
        "comparison": Note("records.published_claim"),
    }

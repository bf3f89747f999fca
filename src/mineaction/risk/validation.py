"""Honest validation of a risk model: spatial blocks, blocked cross-validation, scores.

Neighbouring cells are alike, so a random split of cells tests a model on the places it was
trained on and flatters it. Here every fold holds out whole areas: square blocks of
``block_km`` kilometres (on a local azimuthal equidistant projection centred on the data, so
that sides are kilometres on the ground, not degrees), or the values of a group column (a
municipality, a district) when one is given. A block is never split between folds.

Hyperparameters are chosen inside each training fold only (:func:`choose_params`: an inner
blocked cross-validation of the training fold's blocks), so that the outer fold's scores
never saw the rows they score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mineaction.errors import InvalidInput, Problem

#: Candidate settings the inner cross-validation chooses from (``tune``): shallow trees, few
#: or more of them, stronger or weaker regularisation.
GRID: tuple[dict[str, Any], ...] = (
    {"num_leaves": 4, "min_child_samples": 60, "trees": 150},
    {"num_leaves": 7, "min_child_samples": 40, "trees": 200},
    {"num_leaves": 15, "min_child_samples": 20, "trees": 300},
)


def local_xy(lon: NDArray[np.float64], lat: NDArray[np.float64]
             ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Metres east and north of the points' centre on an azimuthal equidistant projection
    (distances from the centre are true on the ellipsoid; over a few hundred km the
    distances between points stay within a fraction of a percent)."""
    import pyproj

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    lon0, lat0 = float(np.nanmean(lon)), float(np.nanmean(lat))
    aeqd = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m",
        always_xy=True)
    x, y = aeqd.transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def spatial_blocks(lon: NDArray[np.float64], lat: NDArray[np.float64], block_km: float
                   ) -> NDArray[np.str_]:
    """The block of each point: squares of ``block_km`` km on an azimuthal equidistant
    projection centred on the points (named ``"E<i>N<j>"``)."""
    if block_km <= 0:
        raise InvalidInput([Problem.of("options", "block_km", "risk.bad_block_size",
                                       value=block_km)])
    x, y = local_xy(lon, lat)
    return blocks_of_xy(np.c_[x, y], block_km)


def blocks_of_xy(xy: NDArray[np.float64], block_km: float) -> NDArray[np.str_]:
    """The square of ``block_km`` km of each position (metres east and north)."""
    if block_km <= 0:
        raise InvalidInput([Problem.of("options", "block_km", "risk.bad_block_size",
                                       value=block_km)])
    size = block_km * 1000.0
    i = np.floor(xy[:, 0] / size).astype(int)
    j = np.floor(xy[:, 1] / size).astype(int)
    return np.char.add(np.char.add("E", i.astype(str)), np.char.add("N", j.astype(str)))


def block_folds(blocks: Sequence[Any] | NDArray[Any], k: int, seed: int = 0) -> NDArray[np.int_]:
    """The fold (0..k-1) of each row, whole blocks at a time: blocks are shuffled (``seed``)
    and each goes to the fold with fewest rows so far, largest blocks first, so that folds
    are of like size and no block is in two folds."""
    labels = np.asarray(blocks).astype(str)
    names, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if len(names) < k:
        raise InvalidInput([Problem.of("table", None, "risk.too_few_blocks",
                                       blocks=len(names), folds=k)])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(names))
    order = order[np.argsort(-counts[order], kind="stable")]
    fold_of_block = np.empty(len(names), dtype=int)
    sizes = np.zeros(k, dtype=int)
    for b in order:
        f = int(np.argmin(sizes))
        fold_of_block[b] = f
        sizes[f] += counts[b]
    return fold_of_block[inverse]


def auc(y: NDArray[np.float64], p: NDArray[np.float64]) -> float | None:
    """ROC AUC, or None when ``y`` holds one class only."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None


def average_precision(y: NDArray[np.float64], p: NDArray[np.float64]) -> float | None:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, p)) if y.sum() > 0 else None


def brier(y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    return float(np.mean((np.asarray(p) - np.asarray(y)) ** 2))


def calibration_table(y: NDArray[np.float64], p: NDArray[np.float64], bins: int = 10
                      ) -> list[dict[str, Any]]:
    """Rows per bin of predicted probability (equal width): how many, the mean predicted
    probability and the observed share of positives. Empty bins are left out."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    out = []
    for b in range(bins):
        m = which == b
        n = int(m.sum())
        if n:
            out.append({"from": round(float(edges[b]), 4), "to": round(float(edges[b + 1]), 4),
                        "rows": n, "predicted": round(float(p[m].mean()), 4),
                        "observed": round(float(y[m].mean()), 4)})
    return out


def scores(y: NDArray[np.float64], p: NDArray[np.float64]) -> dict[str, Any]:
    """ROC AUC, average precision and Brier score of probabilities ``p`` for labels ``y``."""
    return {"rows": int(len(y)), "positives": int(np.sum(y)), "roc_auc": rounded(auc(y, p)),
            "average_precision": rounded(average_precision(y, p)), "brier": rounded(brier(y, p))}


def rounded(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


Fit = Callable[[NDArray[np.float64], NDArray[np.float64], dict[str, Any]],
               Callable[[NDArray[np.float64]], NDArray[np.float64]]]


def training_rows(test: NDArray[np.bool_], xy: NDArray[np.float64] | None,
                  buffer_m: float) -> NDArray[np.bool_]:
    """The rows a fold trains on: not tested, and (with ``buffer_m`` > 0) farther than
    ``buffer_m`` metres from every tested row, so that no training cell neighbours a test
    cell across a block's edge."""
    rows = ~test
    if buffer_m > 0 and xy is not None and test.any() and rows.any():
        from scipy.spatial import cKDTree

        near, _ = cKDTree(xy[test]).query(xy[rows], distance_upper_bound=buffer_m)
        idx = np.flatnonzero(rows)
        rows = rows.copy()
        rows[idx[near < buffer_m]] = False
    return rows


def choose_params(X: NDArray[np.float64], y: NDArray[np.float64], blocks: NDArray[Any],
                  fit: Fit, grid: Sequence[dict[str, Any]], k: int = 3, seed: int = 0,
                  xy: NDArray[np.float64] | None = None, buffer_m: float = 0.0
                  ) -> tuple[dict[str, Any], list[float | None]]:
    """The setting of ``grid`` with the best mean ROC AUC in a blocked cross-validation of
    these rows only (the training part of an outer fold), and each setting's mean AUC."""
    folds = block_folds(blocks, min(k, len(np.unique(blocks))), seed)
    means: list[float | None] = []
    for params in grid:
        found = []
        for f in np.unique(folds):
            test = folds == f
            rows = training_rows(test, xy, buffer_m)
            predict = fit(X[rows], y[rows], params)
            a = auc(y[test], predict(X[test]))
            if a is not None:
                found.append(a)
        means.append(float(np.mean(found)) if found else None)
    scored = [-1.0 if m is None else m for m in means]
    best = int(np.argmax(scored))
    return dict(grid[best]), means


@dataclass
class CrossValidation:
    """Out-of-fold predictions of a blocked cross-validation and each fold's scores."""

    folds: NDArray[np.int_]
    raw: NDArray[np.float64]  # out-of-fold probability of the trees
    per_fold: list[dict[str, Any]] = field(default_factory=list)
    chosen: list[dict[str, Any]] = field(default_factory=list)  # settings per fold (tune)


def cross_validate(X: NDArray[np.float64], y: NDArray[np.float64], blocks: NDArray[Any],
                   fit: Fit, *, k: int, seed: int = 0, params: dict[str, Any] | None = None,
                   grid: Sequence[dict[str, Any]] | None = None,
                   xy: NDArray[np.float64] | None = None, buffer_m: float = 0.0
                   ) -> CrossValidation:
    """Blocked ``k``-fold cross-validation: each fold's model is trained on the other folds'
    blocks (with settings chosen inside them when ``grid`` is given) and predicts its own.
    With ``buffer_m`` > 0 and the rows' positions ``xy`` (metres), training rows within
    ``buffer_m`` of a tested row are left out of that fold's training."""
    folds = block_folds(blocks, k, seed)
    raw = np.full(len(y), np.nan)
    out = CrossValidation(folds, raw)
    for f in range(k):
        test = folds == f
        rows = training_rows(test, xy, buffer_m)
        chosen = dict(params or {})
        if grid:
            chosen, _ = choose_params(X[rows], y[rows], blocks[rows], fit, grid, seed=seed,
                                      xy=None if xy is None else xy[rows], buffer_m=buffer_m)
        predict = fit(X[rows], y[rows], chosen)
        raw[test] = predict(X[test])
        out.chosen.append(chosen)
        out.per_fold.append({"fold": f, "blocks": int(len(np.unique(blocks[test]))),
                             "training_rows": int(rows.sum()),
                             "buffer_left_out": int((~test & ~rows).sum()),
                             **scores(y[test], raw[test])})
    return out


def calibrated_out_of_fold(raw: NDArray[np.float64], y: NDArray[np.float64],
                           folds: NDArray[np.int_], method: str) -> NDArray[np.float64]:
    """Each fold's out-of-fold probabilities calibrated by a map fitted on the other folds'
    out-of-fold predictions: calibration scored on rows it never saw."""
    from mineaction.risk.model import fit_calibration

    out = np.empty(len(raw))
    for f in np.unique(folds):
        test = folds == f
        out[test] = fit_calibration(raw[~test], y[~test], method).apply(raw[test])
    return out

"""Transfer validation of the risk model on the RELand grid (eastern Antioquia, Colombia):
train on some municipalities, test on a group of municipalities far from them.

    .venv/bin/python bench/reland_transfer.py                    # 4 regions, nested choice
    .venv/bin/python bench/reland_transfer.py --json out.json --threads 2
    .venv/bin/python bench/reland_transfer.py --choose-by municipalities

Transfer folds. The 19 municipalities of ``train/train_all.csv`` are put in 4 regions by
k-means of their centroids (km on the ground, seed 0). Each fold tests on one region and
trains on the others, less every cell within ``--buffer-km`` (10) of a test cell, so that no
training cell neighbours a test cell. Unknown labels (-1) are used nowhere.

Nested choices, made inside each fold's training part only (the test region is read once,
for the score):
- the feature set: the training part's municipalities are split the same way into
  ``--inner-regions`` (3) regions, and the candidate whose models carry best from the other
  inner regions to each one (mean ROC AUC, default settings, same buffer) is taken: the choice
  is judged on the task it is for, transfer to a region not seen (``--choose-by
  municipalities``: by the held-out-municipality AUC of the project's training instead);
- the tree settings: the project's own training (:func:`mineaction.risk.training.train`,
  validated by held-out municipalities, ``--groups Municipio``, ``tune``) chooses them by an
  inner blocked cross-validation, and calibrates on out-of-fold predictions.

Feature sets (coordinates and the municipality are never features):
- ``all``: every numeric column of the table;
- ``cell-level``: no municipality-level column and no location-only distance;
- ``transferable``: what should carry to another region. The counts of conflict victims
  by type are one value per municipality: as counts they say how big and how hit a
  municipality is, which another region does not share, so they become shares of the
  municipality's declared victims (the kind of violence, not its amount); distances to
  airports and seaports only say where in the country a cell is, and are left out.

The anchor is the chosen model's held-out-municipality ROC AUC in the training part (its card):
the ratio test/anchor says how much of it carries to a region not seen.

``--variants`` measures instead, on the same folds (and on 3 and 5 regions as a check), one
fixed variant after another, each trained on the training part only with settings fixed
beforehand: LightGBM as it is, strongly regularised, with monotone constraints (signs of
the training part's rank correlations), with each training region weighted alike, without
the features that most tell the training regions apart (adversarial validation), on ranks
within each region; logistic regression on the values, on ranks, on shares; rank-averaged
ensembles; and the project's own ``train(..., transfer=True)`` (``risk train --transfer``),
calibrated, end to end. Then the logistic model on shares with each test cell's probability
averaged over the cells of the test municipalities within 2, 4 and 6 km, labelled or not
(:func:`mineaction.risk.neighbours.neighbour_mean`; no label read), with the radius chosen
inside each training part (its own 3 regions); the same with each cell-level feature as its
deviation from its municipality's mean (beside the municipality-level features, then alone);
and ``risk train --transfer`` followed by ``risk predict --smooth-km 4`` end to end; then
the logistic model with an L1 penalty (``risk train --transfer``'s default), unaveraged,
averaged, with its strength chosen inside each training part, and end to end.

``--partitions SEEDS`` scores the variants instead over every distinct partition of the
municipalities into 3, 4 and 5 regions that k-means finds from ``SEEDS`` seeds, each against
the first variant partition by partition: how much a figure owes to where the regions were
cut.

``--variants --pairs`` says instead where the L1 model's score of a region comes from: its
pairs of a positive and a negative cell inside one municipality and across two, and what an
oracle that knows each test municipality's share of positives would score
(:func:`pair_parts`).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mineaction.risk import validation
from mineaction.risk.training import TrainOptions, train

SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared",
                           Path("/work/shared")) if p.is_dir()),
              Path(__file__).resolve().parents[2] / "shared")
TABLE = SHARED / "data" / "reland" / "train" / "train_all.csv"
TARGET, LON, LAT, GROUP = "mines_outcome", "LONGITUD_X", "LATITUD_Y", "Municipio"
#: Counts of conflict victims by type: one value per municipality.
VICTIMS_TOTAL = "No. Víctimas por Declaración"
#: Distances that say where in the country a cell is, not what is around it.
LOCATION_ONLY = ("airports_dist", "seaport_dist")


def municipality_level(frame: pd.DataFrame) -> list[str]:
    """Numeric columns with one value per municipality (the victim counts)."""
    num = [c for c in frame.select_dtypes("number").columns if c not in (TARGET, LON, LAT)]
    per = frame.groupby(GROUP)[num].nunique()
    return [c for c in num if per[c].max() == 1 and frame[c].nunique() > 1]


def cell_level(frame: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """The table without any municipality-level column or location-only distance."""
    return frame.drop(columns=[*counts, *LOCATION_ONLY])


def transferable(frame: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """The table with victim counts as shares of the declared victims and the
    location-only distances left out."""
    out = frame.drop(columns=[*counts, *LOCATION_ONLY])
    total = frame[VICTIMS_TOTAL].where(frame[VICTIMS_TOTAL] > 0)
    for c in counts:
        if c != VICTIMS_TOTAL:
            out["share: " + c.strip()] = frame[c] / total
    return out


def regions(frame: pd.DataFrame, k: int, seed: int = 0, n_init: int = 10) -> dict[str, int]:
    """Municipality -> region: k-means of the municipalities' centroids in km."""
    from sklearn.cluster import KMeans

    x, y = validation.local_xy(frame[LON].to_numpy(), frame[LAT].to_numpy())
    xy = pd.DataFrame({"x": x / 1000.0, "y": y / 1000.0})
    centroids = xy.groupby(frame[GROUP]).mean()
    labels = KMeans(k, random_state=seed, n_init=n_init).fit(centroids.to_numpy()).labels_
    return dict(zip(centroids.index, (int(v) for v in labels), strict=True))


def partitions(frame: pd.DataFrame, seeds: int) -> list[tuple[int, int, np.ndarray]]:
    """Other ways of cutting the municipalities into 3, 4 and 5 regions: k-means started
    once from each of ``seeds`` seeds, each distinct partition once, as (regions, seed, the
    region of each row)."""
    found: list[tuple[int, int, np.ndarray]] = []
    seen: set[frozenset[frozenset[str]]] = set()
    for k in (3, 4, 5):
        for seed in range(seeds):
            of = regions(frame, k, seed, n_init=1)
            cut = frozenset(frozenset(m for m, r in of.items() if r == q) for q in range(k))
            if cut not in seen:
                seen.add(cut)
                found.append((k, seed, frame[GROUP].map(of).to_numpy()))
    return found


def buffered(frame: pd.DataFrame, test: np.ndarray, buffer_km: float) -> np.ndarray:
    """Training rows: not in the test region, and farther than ``buffer_km`` from it."""
    from scipy.spatial import cKDTree

    x, y = validation.local_xy(frame[LON].to_numpy(), frame[LAT].to_numpy())
    xy = np.c_[x, y] / 1000.0
    near, _ = cKDTree(xy[test]).query(xy[~test])
    keep = ~test
    idx = np.flatnonzero(~test)
    keep[idx[near < buffer_km]] = False
    return keep


def inner_transfer_auc(table: pd.DataFrame, keep: np.ndarray, args: argparse.Namespace
                       ) -> float:
    """Mean ROC AUC of the same transfer split inside the training part only: its
    municipalities in ``args.inner_regions`` regions, each tested on in turn by a model of
    the others (buffered), with the default settings."""
    from mineaction.risk.model import align, fit_booster

    part = table[keep].reset_index(drop=True)
    region = part[GROUP].map(regions(part, args.inner_regions)).to_numpy()
    features = [c for c in part.select_dtypes("number").columns
                if c not in (TARGET, LON, LAT)]
    X, _ = align(part, features, set())
    y = part[TARGET].to_numpy(dtype=float)
    found = []
    for r in range(args.inner_regions):
        test = region == r
        train_rows = buffered(part, test, args.buffer_km)
        booster = fit_booster(X[train_rows], y[train_rows], {"num_threads": args.threads},
                              150)
        a = validation.auc(y[test], booster.predict(X[test]))
        if a is not None:
            found.append(a)
    return float(np.mean(found))


#: Radii tried for averaging the probabilities around a cell, and the one ``risk predict
#: --smooth-km`` is measured with end to end (fixed before the end-to-end run).
RADII_KM = (0.0, 2.0, 4.0, 6.0)
SMOOTH_KM = 4.0
#: Strengths of the L1 penalty chosen from inside each training part.
L1_C = (0.05, 0.1, 0.2, 0.3, 0.5)
#: Strong regularisation: three leaves, 150 cells a leaf, half the features per tree.
STRONG = {"num_leaves": 3, "min_child_samples": 150, "learning_rate": 0.02,
          "feature_fraction": 0.5, "lambda_l2": 20.0}


#: A variant: (test rows, training rows, each row's region) -> the test rows' scores.
Variant = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _matrix(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from mineaction.risk.model import align, is_indicator

    features = [c for c in table.select_dtypes("number").columns
                if c not in (TARGET, LON, LAT)]
    indicators = {f for f in features if is_indicator(table[f])}
    X, _ = align(table, features, indicators)
    return X, np.array([f in indicators for f in features])


def _lgbm(X: np.ndarray, y: np.ndarray, Z: np.ndarray, params: dict[str, Any] | None = None,
          trees: int = 200, weight: np.ndarray | None = None) -> np.ndarray:
    import lightgbm as lgb

    from mineaction.risk.model import DEFAULT_PARAMS

    data = lgb.Dataset(X, label=y, weight=weight, params={"verbose": -1})
    booster = lgb.train({**DEFAULT_PARAMS, **(params or {}), "num_threads": 1}, data,
                        num_boost_round=trees)
    return np.asarray(booster.predict(Z, num_threads=1))


def _logistic(X: np.ndarray, y: np.ndarray, Z: np.ndarray, penalty: str = "l2",
              C: float | None = None) -> np.ndarray:
    """The logistic regression of ``risk train --transfer``: L2 (C 0.1) unless told."""
    from mineaction.risk.transfer import LinearModel

    return LinearModel.fit(X, y, C, penalty).predict(Z)


def _rank(p: np.ndarray) -> np.ndarray:
    return pd.Series(p).rank(pct=True).to_numpy()


def _separation(X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """How well each column alone tells the groups apart: mean one-against-the-rest ROC
    AUC (folded above 0.5), missing values at the column's median."""
    out = []
    for j in range(X.shape[1]):
        col = X[:, j]
        col = np.where(np.isnan(col), np.nanmedian(col) if np.isfinite(col).any() else 0, col)
        found = [validation.auc((groups == g).astype(float), col) for g in np.unique(groups)]
        out.append(np.mean([max(a, 1 - a) for a in found if a is not None]))
    return np.array(out)


def variants(args: argparse.Namespace) -> dict[str, Any]:
    """Per-fold ROC AUC of fixed variants on the transfer folds (``args.regions`` regions),
    with the means on 3 and 5 regions as a check."""
    from scipy.stats import spearmanr

    from mineaction.risk.neighbours import neighbour_mean
    from mineaction.risk.transfer import group_level, rank_within, with_shares

    frame = pd.read_csv(args.table, encoding="utf-8-sig")
    frame = frame[frame[TARGET] >= 0].reset_index(drop=True)
    counts = municipality_level(frame)
    y = frame[TARGET].to_numpy(dtype=float)
    X_all, ind_all = _matrix(frame)
    shared = with_shares(frame.drop(columns=list(LOCATION_ONLY)),
                         group_level(frame, counts, GROUP)).drop(columns=counts)
    X_sh, _ = _matrix(shared)
    options = TrainOptions(target=TARGET, lon=LON, lat=LAT, groups=GROUP, folds=args.folds,
                           threads=1, exclude=("geometry", *LOCATION_ONLY), transfer=True,
                           calibration="platt")

    def ranked(X: np.ndarray, ind: np.ndarray, region: np.ndarray) -> np.ndarray:
        Z = X.copy()
        Z[:, ~ind] = rank_within(X[:, ~ind], region)
        return Z

    def monotone(X: np.ndarray, y: np.ndarray) -> list[int]:
        signs = []
        for j in range(X.shape[1]):
            ok = ~np.isnan(X[:, j])
            c = (spearmanr(X[ok, j], y[ok]).statistic
                 if ok.sum() > 2 and np.ptp(X[ok, j]) > 0 else np.nan)
            signs.append(0 if not np.isfinite(c) or abs(c) < 0.05 else int(np.sign(c)))
        return signs

    def weights(region: np.ndarray) -> np.ndarray:
        w = np.ones(len(region))
        for g in np.unique(region):
            w[region == g] = len(region) / (region == g).sum() / len(np.unique(region))
        return w

    def adversarial(t: np.ndarray, k: np.ndarray, region: np.ndarray, drop: int) -> np.ndarray:
        order = np.argsort(-_separation(X_all[k], region[k]))
        cols = np.ones(X_all.shape[1], dtype=bool)
        cols[order[:drop]] = False
        return _lgbm(X_all[k][:, cols], y[k], X_all[t][:, cols])

    def transfer_cli(t: np.ndarray, k: np.ndarray, penalty: str = "l2") -> np.ndarray:
        return train(frame[k], replace(options, penalty=penalty)).model.predict_proba(frame[t])

    # Averaging within a distance (risk predict --smooth-km): over every cell of the test
    # municipalities, labelled or not (their features are known; no label is read).
    whole = pd.read_csv(args.table, encoding="utf-8-sig")
    labelled_at = np.flatnonzero(whole[TARGET].to_numpy() >= 0)  # frame row -> whole row
    shared_whole = with_shares(whole.drop(columns=list(LOCATION_ONLY)),
                               group_level(frame, counts, GROUP)).drop(columns=counts)
    X_sh_whole, _ = _matrix(shared_whole)
    lon_w = whole[LON].to_numpy(dtype=float)
    lat_w = whole[LAT].to_numpy(dtype=float)
    group_w = whole[GROUP].to_numpy()

    def around(t: np.ndarray, predict: Any, km: float) -> np.ndarray:
        """``predict(pool)``'s probabilities for the whole table's cells of the test rows'
        municipalities, averaged within ``km``, read at the test rows."""
        pool = np.flatnonzero(np.isin(group_w, pd.unique(frame.loc[t, GROUP])))
        p, _n = neighbour_mean(lon_w[pool], lat_w[pool], predict(pool), km)
        return p[np.searchsorted(pool, labelled_at[np.flatnonzero(t)])]

    def logistic_around(t: np.ndarray, k: np.ndarray, km: float, penalty: str = "l2",
                        C: float | None = None) -> np.ndarray:
        return around(t, lambda pool: _logistic(X_sh[k], y[k], X_sh_whole[pool], penalty, C),
                      km)

    # Within and between municipalities: each cell-level feature as its deviation from the
    # mean of its municipality's cells (labelled or not), the municipality-level ones as they
    # are; then the deviations alone (what a cell's place inside its municipality carries).
    filled = np.where(np.isnan(X_sh_whole), np.nanmedian(X_sh_whole, axis=0), X_sh_whole)
    one_value = (pd.DataFrame(filled).groupby(group_w).nunique().max() <= 1).to_numpy()
    deviation = filled - pd.DataFrame(filled).groupby(group_w).transform("mean").to_numpy()
    within = {"deviations and municipality-level": np.c_[deviation[:, ~one_value],
                                                         filled[:, one_value]],
              "deviations only": deviation[:, ~one_value]}

    def within_around(W: np.ndarray, t: np.ndarray, k: np.ndarray) -> np.ndarray:
        k_whole = labelled_at[np.flatnonzero(k)]
        return around(t, lambda pool: _logistic(W[k_whole], y[k], W[pool]), SMOOTH_KM)

    def nested(t: np.ndarray, k: np.ndarray, candidates: list[dict[str, Any]]) -> np.ndarray:
        """The candidate settings of :func:`logistic_around` that carried best between the
        training part's own regions (3, same buffer), then used on the test region."""
        part = frame[k].reset_index(drop=True)
        inner = part[GROUP].map(regions(part, 3)).to_numpy()
        k_idx = np.flatnonzero(k)
        score = []
        for c in candidates:
            found = []
            for r in range(3):
                it = np.zeros(len(frame), bool)
                it[k_idx[inner == r]] = True
                ik = np.zeros(len(frame), bool)
                ik[k_idx[buffered(part, inner == r, args.buffer_km)]] = True
                a = validation.auc(y[it], logistic_around(it, ik, **c))
                if a is not None:
                    found.append(a)
            score.append(float(np.mean(found)))
        best = candidates[int(np.argmax(score))]
        chosen.append(best.get("C", best.get("km")))
        return logistic_around(t, k, **best)

    chosen: list[Any] = []
    radii = [{"km": km} for km in RADII_KM]
    l1_strengths = [{"km": SMOOTH_KM, "penalty": "l1", "C": c} for c in L1_C]

    def transfer_cli_around(t: np.ndarray, k: np.ndarray, penalty: str = "l1") -> np.ndarray:
        model = train(frame[k], replace(options, penalty=penalty)).model
        return around(t, lambda pool: model.predict_proba(whole.iloc[pool]), SMOOTH_KM)

    table: list[tuple[str, Variant]] = [
        ("LightGBM, defaults, all features", lambda t, k, r: _lgbm(X_all[k], y[k], X_all[t])),
        ("LightGBM, strong regularisation", lambda t, k, r: _lgbm(X_all[k], y[k], X_all[t],
                                                                  STRONG, 300)),
        ("LightGBM, monotone (training-part signs)", lambda t, k, r: _lgbm(
            X_all[k], y[k], X_all[t], {"monotone_constraints": monotone(X_all[k], y[k]),
                                       "monotone_constraints_method": "advanced"})),
        ("LightGBM, each training region weighted alike", lambda t, k, r: _lgbm(
            X_all[k], y[k], X_all[t], weight=weights(r[k]))),
        ("LightGBM, adversarial: 5 most region-telling features dropped",
         lambda t, k, r: adversarial(t, k, r, 5)),
        ("LightGBM, adversarial: 10 dropped", lambda t, k, r: adversarial(t, k, r, 10)),
        ("LightGBM, ranks within each region", lambda t, k, r: (
            lambda Z: _lgbm(Z[k], y[k], Z[t]))(ranked(X_all, ind_all, r))),
        ("LightGBM, shares of group totals", lambda t, k, r: _lgbm(X_sh[k], y[k], X_sh[t])),
        ("LightGBM, shares, strong regularisation", lambda t, k, r: _lgbm(
            X_sh[k], y[k], X_sh[t], STRONG, 300)),
        ("logistic, all features", lambda t, k, r: _logistic(X_all[k], y[k], X_all[t])),
        ("logistic, ranks within each region", lambda t, k, r: (
            lambda Z: _logistic(Z[k], y[k], Z[t]))(ranked(X_all, ind_all, r))),
        ("logistic, shares of group totals", lambda t, k, r: _logistic(X_sh[k], y[k], X_sh[t])),
        ("rank average: logistic + LightGBM strong, shares", lambda t, k, r: _rank(
            _logistic(X_sh[k], y[k], X_sh[t])) + _rank(_lgbm(X_sh[k], y[k], X_sh[t],
                                                             STRONG, 300))),
        ("risk train --transfer --penalty l2 (calibrated, end to end)",
         lambda t, k, r: transfer_cli(t, k)),
        *((f"logistic, shares, averaged within {km:g} km", lambda t, k, r, km=km:
           logistic_around(t, k, km)) for km in RADII_KM if km > 0),
        ("logistic, shares, radius chosen inside the training part",
         lambda t, k, r: nested(t, k, radii)),
        *((f"logistic, shares, cell features within municipality: {name}, averaged within "
           f"{SMOOTH_KM:g} km", lambda t, k, r, W=W: within_around(W, t, k))
          for name, W in within.items()),
        (f"risk train --transfer --penalty l2, predict --smooth-km {SMOOTH_KM:g} (end to end)",
         lambda t, k, r: transfer_cli_around(t, k, "l2")),
        ("logistic L1 (C 0.2), shares", lambda t, k, r: _logistic(X_sh[k], y[k], X_sh[t], "l1")),
        (f"logistic L1 (C 0.2), shares, averaged within {SMOOTH_KM:g} km",
         lambda t, k, r: logistic_around(t, k, SMOOTH_KM, "l1")),
        (f"logistic L1, shares, C chosen inside the training part, averaged within "
         f"{SMOOTH_KM:g} km", lambda t, k, r: nested(t, k, l1_strengths)),
        ("risk train --transfer (L1, calibrated, end to end)",
         lambda t, k, r: transfer_cli(t, k, "l1")),
        (f"risk train --transfer (L1), predict --smooth-km {SMOOTH_KM:g} (end to end)",
         lambda t, k, r: transfer_cli_around(t, k, "l1")),
    ]
    if args.pairs:
        return pair_parts(args, frame, y, lambda t, k: logistic_around(t, k, SMOOTH_KM, "l1"))
    rows = []
    assert X_sh_whole.shape[1] == X_sh.shape[1]
    chosen_table = [(name, fn) for name, fn in table
                    if not args.only or any(o in name for o in args.only)]
    if args.partitions:
        return across_partitions(args, frame, y, chosen_table, chosen)
    splits = {}
    for n in sorted({args.regions, 3, 5}):
        region = frame[GROUP].map(regions(frame, n)).to_numpy()
        splits[n] = (region, [(region == r, buffered(frame, region == r, args.buffer_km))
                              for r in range(n)])
    for name, fn in chosen_table:
        row: dict[str, Any] = {"variant": name}
        for n, (region, folds) in splits.items():
            found = [validation.auc(y[t], fn(t, k, region)) for t, k in folds]
            if n == args.regions:
                row["per_fold"] = [round(float(a), 3) for a in found if a is not None]
            row[f"mean_{n}_regions"] = round(float(np.mean([a for a in found if a is not None])),
                                             3)
        if chosen:
            row["chosen"] = list(chosen)
            chosen.clear()
        rows.append(row)
        print(f"{name:62s} " + " ".join(f"{a:.3f}" for a in row["per_fold"])
              + f"  mean {row[f'mean_{args.regions}_regions']:.3f}"
              + "".join(f"  ({n} regions {row[f'mean_{n}_regions']:.3f})"
                        for n in splits if n != args.regions), flush=True)
    return {"regions": args.regions, "buffer_km": args.buffer_km, "variants": rows}


def across_partitions(args: argparse.Namespace, frame: pd.DataFrame, y: np.ndarray,
                      table: list[tuple[str, Any]], chosen: list[Any]) -> dict[str, Any]:
    """Each variant's mean ROC AUC over the regions of every distinct partition of
    :func:`partitions` (3, 4 and 5 regions, ``args.partitions`` k-means seeds each): how
    much a figure depends on where the regions happen to be cut. The first variant is the
    one the others are compared with, partition by partition."""
    cuts = partitions(frame, args.partitions)
    folds = [[(region == r, buffered(frame, region == r, args.buffer_km)) for r in range(n)]
             for n, _seed, region in cuts]
    print(f"{len(cuts)} distinct partitions: "
          + ", ".join(f"{sum(1 for c in cuts if c[0] == n)} of {n} regions" for n in (3, 4, 5)),
          flush=True)
    rows: list[dict[str, Any]] = []
    for name, fn in table:
        means = []
        for (_n, _seed, region), parts in zip(cuts, folds, strict=True):
            found = [validation.auc(y[t], fn(t, k, region)) for t, k in parts]
            means.append(float(np.mean([a for a in found if a is not None])))
        chosen.clear()
        m = np.array(means)
        row: dict[str, Any] = {
            "variant": name, "partitions": [
                {"regions": n, "seed": seed, "mean_roc_auc": round(v, 4)}
                for (n, seed, _r), v in zip(cuts, means, strict=True)],
            "mean": round(float(m.mean()), 3), "median": round(float(np.median(m)), 3),
            "min": round(float(m.min()), 3), "max": round(float(m.max()), 3),
            **{f"mean_{n}_regions": round(float(m[[c[0] == n for c in cuts]].mean()), 3)
               for n in (3, 4, 5)}}
        if rows:
            d = m - np.array([p["mean_roc_auc"] for p in rows[0]["partitions"]])
            row["against_first"] = {"mean_difference": round(float(d.mean()), 4),
                                    "higher_in": int((d > 0).sum()), "of": len(d)}
        rows.append(row)
        print(f"{name:62s} mean {row['mean']:.3f} median {row['median']:.3f} "
              f"range {row['min']:.3f}-{row['max']:.3f} (3, 4, 5 regions: "
              f"{row['mean_3_regions']:.3f}, {row['mean_4_regions']:.3f}, "
              f"{row['mean_5_regions']:.3f})"
              + (f"; against the first {row['against_first']['mean_difference']:+.3f}, "
                 f"higher in {row['against_first']['higher_in']} of {len(cuts)}"
                 if "against_first" in row else ""), flush=True)
    return {"partitions": len(cuts), "seeds": args.partitions, "buffer_km": args.buffer_km,
            "variants": rows}


def _pairs(y: np.ndarray, score: np.ndarray, groups: np.ndarray
           ) -> tuple[float, float, float, float]:
    """Rank sums of (positive, negative) pairs: those inside one group and those across two,
    as (correctly ordered inside, pairs inside, correctly ordered across, pairs across); a
    tie counts a half."""
    from scipy.stats import rankdata

    def ordered(yy: np.ndarray, ss: np.ndarray) -> tuple[float, float]:
        p = float(yy.sum())
        n = len(yy) - p
        if p == 0 or n == 0:
            return 0.0, 0.0
        return float(rankdata(ss)[yy == 1].sum() - p * (p + 1) / 2), p * n

    good, total = ordered(y, score)
    good_in = pairs_in = 0.0
    for g in np.unique(groups):
        a, b = ordered(y[groups == g], score[groups == g])
        good_in, pairs_in = good_in + a, pairs_in + b
    return good_in, pairs_in, good - good_in, total - pairs_in


def pair_parts(args: argparse.Namespace, frame: pd.DataFrame, y: np.ndarray,
               predict: Any) -> dict[str, Any]:
    """Where a region's ROC AUC comes from, over the partitions of :func:`partitions`: the
    share of (positive, negative) pairs of a test region across two municipalities, the AUC
    of ``predict`` on the pairs inside one and across two, and what ordering the cells by
    their municipality's true share of positives (read from the test labels: an oracle, not
    a model) would give, alone and with ``predict``'s order inside each municipality. Each
    figure is a region's, averaged over a partition's regions (those it applies to), then
    over the partitions, as the ROC AUC is; a region's AUC is its share of pairs across
    times their AUC plus the rest times the AUC of the pairs inside."""
    from mineaction.risk import validation as v

    cuts = partitions(frame, args.partitions or 12)
    groups = frame[GROUP].to_numpy()
    found: dict[str, list[float]] = {k: [] for k in (
        "share_across", "auc", "auc_inside", "auc_across", "oracle_alone", "oracle_across",
        "oracle_with_model_inside", "municipality_mean_score")}
    for _n, _seed, region in cuts:
        per: dict[str, list[float]] = {k: [] for k in found}
        for r in np.unique(region):
            t = region == r
            k = buffered(frame, t, args.buffer_km)
            score, yt, gt = predict(t, k), y[t], groups[t]
            rate = pd.Series(yt).groupby(gt).transform("mean").to_numpy()
            mean = pd.Series(score).groupby(gt).transform("mean").to_numpy()
            # the oracle's order of the municipalities, the model's inside each
            both = np.empty(len(score))
            both[np.lexsort((score - mean, rate))] = np.arange(len(score))
            for name, s_ in (("auc", score), ("oracle_alone", rate),
                             ("oracle_with_model_inside", both),
                             ("municipality_mean_score", mean)):
                a = v.auc(yt, s_)
                per[name].append(np.nan if a is None else a)
            good_in, pairs_in, good_across, pairs_across = _pairs(yt, score, gt)
            _, _, oracle_good, _ = _pairs(yt, rate, gt)
            per["share_across"].append(pairs_across / (pairs_in + pairs_across))
            per["auc_inside"].append(good_in / pairs_in if pairs_in else np.nan)
            per["auc_across"].append(good_across / pairs_across if pairs_across else np.nan)
            per["oracle_across"].append(oracle_good / pairs_across if pairs_across else np.nan)
        for name, values in per.items():  # the mean over the partition's regions
            found[name].append(float(np.nanmean(values)))
    out = {k: round(float(np.mean(vals)), 3) for k, vals in found.items()}
    print(f"{len(cuts)} partitions; pairs across two municipalities: {out['share_across']:.3f}"
          f"; ROC AUC {out['auc']:.3f}: inside one {out['auc_inside']:.3f}, across two "
          f"{out['auc_across']:.3f}; by the municipality's mean score "
          f"{out['municipality_mean_score']:.3f}; oracle (the municipality's true share of "
          f"positives): across {out['oracle_across']:.3f}, alone {out['oracle_alone']:.3f}, "
          f"with the model inside {out['oracle_with_model_inside']:.3f}", flush=True)
    return {"partitions": len(cuts), "buffer_km": args.buffer_km, "pairs": out}


def run(args: argparse.Namespace) -> dict[str, Any]:
    frame = pd.read_csv(args.table, encoding="utf-8-sig")
    frame = frame[frame[TARGET] >= 0].reset_index(drop=True)  # unknown labels: never used
    counts = municipality_level(frame)
    candidates = {"all": frame, "transferable": transferable(frame, counts),
                  "cell-level": cell_level(frame, counts)}
    region_of = regions(frame, args.regions)
    region = frame[GROUP].map(region_of).to_numpy()
    options = TrainOptions(target=TARGET, lon=LON, lat=LAT, groups=GROUP, folds=args.folds,
                           tune=True, threads=args.threads, exclude=("geometry",))
    folds = []
    for r in range(args.regions):
        test = region == r
        keep = buffered(frame, test, args.buffer_km)
        chosen: dict[str, Any] = {}
        for name, table in candidates.items():
            if args.choose_by == "transfer":
                score = inner_transfer_auc(table, keep, args)
                done = None
            else:  # held-out municipalities of the training part, settings tuned inside
                done = train(table[keep], options)
                score = done.card["validation"]["mean_roc_auc"]
            print(f"  region {r}: {name:12s} {args.choose_by} AUC inside the training part "
                  f"{score:.3f}", flush=True)
            if not chosen or score > chosen["inner_choice_auc"]:
                chosen = {"features": name, "inner_choice_auc": round(score, 4),
                          "table": table, "done": done}
        done = chosen["done"] or train(chosen["table"][keep], options)
        chosen["inner_auc"] = done.card["validation"]["mean_roc_auc"]
        chosen["model"] = done.model
        chosen["settings"] = done.card["validation"]["tuning"]["final_choice"]
        y = frame.loc[test, TARGET].to_numpy(dtype=float)
        p = chosen["model"].predict_proba(chosen["table"][test])
        s = validation.scores(y, p)
        row = {"region": r, "test_municipalities": sorted(m for m, v in region_of.items()
                                                          if v == r),
               "train_rows": int(keep.sum()), "buffer_dropped": int((~test & ~keep).sum()),
               "features": chosen["features"], "settings": chosen["settings"],
               "chosen_by": args.choose_by, "inner_choice_auc": chosen["inner_choice_auc"],
               "anchor_inner_auc": chosen["inner_auc"], **s,
               "ratio_to_anchor": round(s["roc_auc"] / chosen["inner_auc"], 3)}
        folds.append(row)
        print(f"region {r} ({', '.join(row['test_municipalities'])}): {s['rows']} cells, "
              f"{s['positives']} positive; features {row['features']}; ROC AUC "
              f"{s['roc_auc']:.3f}, AP {s['average_precision']:.3f} (positive share "
              f"{s['positives'] / s['rows']:.3f}); anchor {row['anchor_inner_auc']:.3f}, "
              f"ratio {row['ratio_to_anchor']:.2f}", flush=True)
    aucs = [f["roc_auc"] for f in folds]
    aps = [f["average_precision"] for f in folds]
    summary = {"chosen_by": args.choose_by, "mean_roc_auc": round(float(np.mean(aucs)), 4),
               "mean_average_precision": round(float(np.mean(aps)), 4),
               "min_roc_auc": round(float(np.min(aucs)), 4),
               "buffer_km": args.buffer_km, "regions": args.regions, "folds": folds}
    print(f"mean over {args.regions} transfer folds: ROC AUC {summary['mean_roc_auc']:.3f}, "
          f"AP {summary['mean_average_precision']:.3f} (worst fold ROC AUC "
          f"{summary['min_roc_auc']:.3f})")
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", type=Path, default=TABLE)
    ap.add_argument("--regions", type=int, default=4)
    ap.add_argument("--buffer-km", type=float, default=10.0)
    ap.add_argument("--folds", type=int, default=4, help="inner folds (municipalities)")
    ap.add_argument("--inner-regions", type=int, default=3,
                    help="regions of the training part for choosing the feature set")
    ap.add_argument("--choose-by", choices=("transfer", "municipalities"), default="transfer",
                    help="how the feature set is chosen inside the training part")
    ap.add_argument("--variants", action="store_true",
                    help="per-fold ROC AUC of fixed variants (see the module's text)")
    ap.add_argument("--only", action="append", default=[],
                    help="with --variants: only the variants whose name holds this text "
                         "(repeatable)")
    ap.add_argument("--partitions", type=int, default=0, metavar="SEEDS",
                    help="with --variants: score the variants over every distinct partition "
                         "into 3, 4 and 5 regions that k-means finds from SEEDS seeds, not "
                         "only the fixed one")
    ap.add_argument("--pairs", action="store_true",
                    help="with --variants: where the L1 model's score of a region comes "
                         "from (pairs of cells inside one municipality and across two), "
                         "over the partitions of --partitions (default 12 seeds)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, help="write the scores here")
    args = ap.parse_args()
    t0, c0 = time.perf_counter(), time.process_time()
    summary = variants(args) if args.variants else run(args)
    summary["wall_s"] = round(time.perf_counter() - t0, 1)
    summary["cpu_s"] = round(time.process_time() - c0, 1)
    print(f"{summary['wall_s']} s wall, {summary['cpu_s']} s CPU")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""Training a risk model from a table of labelled cells, with blocked cross-validation,
out-of-fold calibration and the facts of its model card.

Labels are 1 (hazard), 0 (none) or unknown (-1 or empty): unknown rows are not used, and
counted. Features are the table's numeric columns except the target, the coordinates and the
group column, unless named: coordinates and a group (municipality) identity describe where a
cell is, not why it is dangerous, and do not carry over to another region.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mineaction.errors import InvalidInput, Problem
from mineaction.messages import Message, Note
from mineaction.risk import validation
from mineaction.risk.model import (
    DEFAULT_PARAMS,
    DEFAULT_TREES,
    RiskModel,
    align,
    fit_booster,
    fit_calibration,
    is_indicator,
)
from mineaction.risk.transfer import DEFAULT_C, LinearModel
from mineaction.risk.transfer import GRID as LINEAR_GRID

#: Values of the target that mean "not known": such rows are not used.
UNKNOWN_LABELS = (-1,)
#: At most this many rows are named when input is refused.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class TrainOptions:
    target: str
    lon: str
    lat: str
    groups: str | None = None  # blocks are this column's values (else squares of block_km)
    block_km: float = 10.0
    buffer_km: float = 0.0  # training rows this near a fold's test rows are left out of it
    folds: int = 5
    calibration: str = "isotonic"
    features: tuple[str, ...] | None = None  # None: every numeric column but those above
    exclude: tuple[str, ...] = ()
    tune: bool = False  # choose settings by an inner blocked cross-validation (nested)
    trees: int = DEFAULT_TREES
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    threads: int = 1
    #: for another region: group totals as shares, a logistic regression (risk.transfer)
    transfer: bool = False
    #: the logistic regression's penalty with ``transfer``: "l1" or "l2"
    penalty: str = "l1"


@dataclass
class Trained:
    model: RiskModel
    card: dict[str, Any]
    messages: list[Message]


def labels(frame: pd.DataFrame, target: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The labels of ``frame`` as floats and which rows are known (1 or 0); refuses any
    other value, naming the rows."""
    if target not in frame.columns:
        raise InvalidInput([Problem.of("table", target, "risk.no_column", column=target)])
    raw = frame[target]
    y = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    unknown = np.isnan(y) & raw.isna().to_numpy() | np.isin(y, UNKNOWN_LABELS)
    bad = ~unknown & ~np.isin(y, (0, 1))
    if bad.any():
        rows = np.flatnonzero(bad)[:MAX_PROBLEMS]
        raise InvalidInput([Problem.of(Note("input.where_row", number=i + 2), target,
                                       "risk.bad_label", value=str(raw.iloc[i])) for i in rows])
    return y, ~unknown


def feature_columns(frame: pd.DataFrame, options: TrainOptions) -> tuple[list[str], list[str]]:
    """The features to use and the columns left out because they are no numbers."""
    skip = {options.target, options.lon, options.lat, *options.exclude}
    if options.groups:
        skip.add(options.groups)
    if options.features is not None:
        missing = [c for c in options.features if c not in frame.columns]
        if missing:
            raise InvalidInput([Problem.of("table", c, "risk.no_column", column=c)
                                for c in missing])
        bad = [c for c in options.features
               if not (pd.api.types.is_numeric_dtype(frame[c])
                       or pd.api.types.is_bool_dtype(frame[c]))]
        if bad:
            raise InvalidInput([Problem.of("table", c, "risk.not_numeric", column=c)
                                for c in bad])
        return list(options.features), []
    used, text = [], []
    for c in frame.columns:
        if c in skip:
            continue
        if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]):
            used.append(str(c))
        else:
            text.append(str(c))
    if not used:
        raise InvalidInput([Problem.of("table", None, "risk.no_features")])
    return used, text


def blocks_of(frame: pd.DataFrame, options: TrainOptions, keep: NDArray[np.bool_]
              ) -> tuple[NDArray[Any], NDArray[np.float64] | None]:
    """The validation block of each row kept (its group, or its square of ``block_km``), and
    the rows' positions in metres when blocks or a buffer need them (rows are named by their
    line in the file: row 2 is the first after the header)."""
    for c in (options.lon, options.lat, *([options.groups] if options.groups else [])):
        if c not in frame.columns:
            raise InvalidInput([Problem.of("table", c, "risk.no_column", column=c)])
    xy = None
    if not options.groups or options.buffer_km > 0:
        lon = pd.to_numeric(frame[options.lon], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(frame[options.lat], errors="coerce").to_numpy(dtype=float)
        wrong = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90)) & keep
        if wrong.any():
            raise InvalidInput([Problem.of(Note("input.where_row", number=i + 2), options.lon,
                                           "risk.bad_coordinates",
                                           lon=str(frame[options.lon].iloc[i]),
                                           lat=str(frame[options.lat].iloc[i]))
                                for i in np.flatnonzero(wrong)[:MAX_PROBLEMS]])
        x, y = validation.local_xy(lon[keep], lat[keep])
        xy = np.c_[x, y]
    if options.groups:
        g = frame[options.groups]
        bad = np.flatnonzero(g.isna().to_numpy() & keep)[:MAX_PROBLEMS]
        if len(bad):
            raise InvalidInput([Problem.of(Note("input.where_row", number=i + 2),
                                           options.groups, "value.required") for i in bad])
        return g.astype(str).to_numpy()[keep], xy
    assert xy is not None
    return validation.blocks_of_xy(xy, options.block_km), xy


def fitter(options: TrainOptions) -> validation.Fit:
    """Train a booster with ``options``' settings overridden by a grid's, and return its
    prediction function."""
    def fit(X: NDArray[np.float64], y: NDArray[np.float64], chosen: dict[str, Any]
            ) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
        settings = {**options.params, **{k: v for k, v in chosen.items() if k != "trees"},
                    "num_threads": options.threads, "seed": options.seed + 1}
        booster = fit_booster(X, y, settings, int(chosen.get("trees", options.trees)))
        return lambda Z: np.asarray(booster.predict(Z, num_threads=options.threads),
                                    dtype=float)
    return fit


def linear_fitter(options: TrainOptions) -> validation.Fit:
    """Fit the logistic regression of ``--transfer`` (``C`` from a grid's choice, else from
    ``options.params``, else the default) and return its prediction function."""
    def fit(X: NDArray[np.float64], y: NDArray[np.float64], chosen: dict[str, Any]
            ) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
        return LinearModel.fit(X, y, c_of(options, chosen), options.penalty).predict
    return fit


def c_of(options: TrainOptions, chosen: dict[str, Any]) -> float:
    return float(chosen.get("C", options.params.get("C", DEFAULT_C[options.penalty])))


def transfer_features(frame: pd.DataFrame, features: list[str], known: NDArray[np.bool_],
                      options: TrainOptions) -> tuple[pd.DataFrame, list[str], list[str]]:
    """With ``--transfer``: the group-level count columns among ``features`` (one value per
    group) replaced by their shares; returns the table with the share columns, the features
    and the count columns the shares are made of (none when fewer than two are found)."""
    from mineaction.risk.transfer import group_level, share_names, with_shares

    if not options.groups:
        raise InvalidInput([Problem.of("options", "groups", "risk.transfer_needs_groups")])
    part = frame.loc[known]
    numeric_features = [f for f in features if not is_indicator(part[f])]
    found = group_level(part, numeric_features, options.groups)
    if len(found) < 2:
        return frame, features, []
    return (with_shares(frame, found),
            [f for f in features if f not in set(found)] + share_names(found), found)


def train(frame: pd.DataFrame, options: TrainOptions, *, source: str = "",
          created: str = "") -> Trained:
    """Train, validate and calibrate a risk model on ``frame`` (one row per cell)."""
    y_all, known = labels(frame, options.target)
    blocks, xy = blocks_of(frame, options, known)
    features, text_columns = feature_columns(frame, options)
    shares: list[str] = []
    if options.transfer:
        frame, features, shares = transfer_features(frame, features, known, options)
    table = frame.loc[known]
    y = y_all[known]
    if len(np.unique(y)) < 2:
        raise InvalidInput([Problem.of("table", options.target, "risk.one_class",
                                       rows=int(len(y)))])
    indicators = [f for f in features if is_indicator(table[f])]
    X, _ = align(table, features, set(indicators))
    n_blocks = len(np.unique(blocks))
    if n_blocks < 2:
        raise InvalidInput([Problem.of("table", None, "risk.too_few_blocks", blocks=n_blocks,
                                       folds=options.folds)])
    k = min(options.folds, n_blocks)
    fit = linear_fitter(options) if options.transfer else fitter(options)
    grid_used = LINEAR_GRID[options.penalty] if options.transfer else validation.GRID
    grid = grid_used if options.tune else None
    buffer_m = options.buffer_km * 1000.0
    cv = validation.cross_validate(X, y, blocks, fit, k=k, seed=options.seed,
                                   grid=grid, xy=xy, buffer_m=buffer_m)
    calibrated = validation.calibrated_out_of_fold(cv.raw, y, cv.folds, options.calibration)
    for row, f in zip(cv.per_fold, range(k), strict=True):
        m = cv.folds == f
        row["brier_calibrated"] = validation.brier(y[m], calibrated[m])
        row["brier_calibrated"] = round(row["brier_calibrated"], 4)
        if options.tune:
            row["chosen"] = cv.chosen[f]
    final: dict[str, Any] = {}
    means: list[float | None] = []
    if options.tune:
        final, means = validation.choose_params(X, y, blocks, fit, grid_used,
                                                seed=options.seed, xy=xy, buffer_m=buffer_m)
    trees = int(final.get("trees", options.trees))
    params = {**DEFAULT_PARAMS, **options.params,
              **{k: v for k, v in final.items() if k != "trees"},
              "num_threads": options.threads, "seed": options.seed + 1}
    booster: Any
    described: dict[str, Any]
    if options.transfer:
        booster = LinearModel.fit(X, y, c_of(options, final), options.penalty)
        params = {"C": booster.C, "penalty": booster.penalty}
        described = {"library": "scikit-learn", "kind": f"logistic regression "
                     f"({booster.penalty.upper()}) on median-imputed, standardised features",
                     "trees": None, "params": params,
                     "features_kept": int(np.count_nonzero(booster.coef))}
    else:
        booster = fit_booster(X, y, params, trees)
        described = {"library": "LightGBM", "kind": "gradient-boosted trees", "trees": trees,
                     "params": {k: v for k, v in params.items() if k != "verbose"}}
    calibration = fit_calibration(cv.raw, y, options.calibration)
    info = {"target": options.target, "lon": options.lon, "lat": options.lat,
            "groups": options.groups, "trees": None if options.transfer else trees,
            "params": params, "model": "logistic" if options.transfer else "lightgbm",
            "shares": shares,
            "created": created, "source": source,
            "not_used": [str(c) for c in frame.columns if c not in set(features)]}
    model = RiskModel(booster, features, indicators, calibration, info)
    shap = model.shap(X)
    importance = np.abs(shap[:, :-1]).mean(axis=0)
    order = np.argsort(-importance, kind="stable")
    dropped = int((~known).sum())
    fold_aucs = [r["roc_auc"] for r in cv.per_fold if r["roc_auc"] is not None]
    fold_aps = [r["average_precision"] for r in cv.per_fold
                if r["average_precision"] is not None]
    card = {
        "kind": "mineaction.risk.model_card", "created": created, "source": source,
        "data": {"rows": int(len(frame)), "rows_used": int(known.sum()),
                 "unknown_label_rows_dropped": dropped, "positives": int(y.sum()),
                 "negatives": int(len(y) - y.sum()),
                 "positive_share": round(float(y.mean()), 4), "target": options.target},
        "features": {"count": len(features), "indicators": indicators,
                     "numeric": [f for f in features if f not in set(indicators)],
                     "not_used_not_numbers": text_columns,
                     "not_used_by_rule": [c for c in (options.lon, options.lat,
                                                      options.groups, *options.exclude) if c],
                     "importance_mean_abs_shap": [
                         {"feature": features[i], "value": round(float(importance[i]), 5)}
                         for i in order[:15]]},
        "validation": {
            "scheme": "groups" if options.groups else "blocks",
            "groups": options.groups, "block_km": None if options.groups else options.block_km,
            "blocks": n_blocks, "folds": k, "seed": options.seed,
            "buffer_km": options.buffer_km,
            "tuning": ({"grid": list(grid_used), "inner_folds": 3,
                        "final_choice": final, "final_inner_auc": means}
                       if options.tune else None),
            "per_fold": cv.per_fold,
            "mean_roc_auc": round(float(np.mean(fold_aucs)), 4) if fold_aucs else None,
            "mean_average_precision": round(float(np.mean(fold_aps)), 4) if fold_aps else None,
            "pooled_out_of_fold": validation.scores(y, cv.raw),
            "pooled_out_of_fold_calibrated": validation.scores(y, calibrated)},
        "calibration": {"method": options.calibration,
                        "fitted_on": "out-of-fold predictions of the blocked cross-validation",
                        "table_out_of_fold": validation.calibration_table(y, calibrated)},
        "model": described,
        "transfer": ({"shares_of": shares, "model": "logistic regression",
                      "penalty": options.penalty,
                      "why": "group totals become shares of their sum (the kind, not the "
                             "amount, which another region's groups do not share); a linear "
                             "model learns fewer of the training region's places than trees, "
                             "and an L1 penalty sets the features that add little to 0"}
                     if options.transfer else None),
    }
    messages = [Message.of("risk.unknown_dropped", count=dropped, target=options.target)]
    return Trained(model, card, messages)

"""What a risk model needs to carry to a region it was not trained on (``risk train
--transfer``): features that mean the same in another region, and a simple model.

- **Shares instead of group totals.** A column with one value per group (a municipality's
  count of conflict victims of one kind) says, as a count, how large and how hit that
  municipality is; another region's municipalities are of other sizes. Such columns become
  each one's share of their row sum (:func:`with_shares`): the kind of violence, not its
  amount. The share is computed row by row, so a table of another region needs the same
  count columns and no group column.
- **A linear model.** A logistic regression on median-imputed, standardised features
  (:class:`LinearModel`) has fewer ways than trees to learn the training region's places.
  Its exact explanation is ``coef * z`` per feature, the intercept being the expected
  log-odds (standardised features have mean 0 in training).
- **An L1 penalty** (the default; ``--penalty l2`` for the ridge penalty): it sets the
  coefficients of the features that add little to exactly 0 (about a third of RELand's
  60), so that a feature the training region happens to fit does not weigh on another
  region. The intercept is not penalised.

Measured on the RELand grid by ``bench/reland_transfer.py --variants`` (docs/risk.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

#: Prefix of a share feature's name.
SHARE = "share: "
#: Penalties of the logistic regression, as scikit-learn's share of L1 in the penalty.
PENALTIES = {"l1": 1.0, "l2": 0.0}
DEFAULT_PENALTY = "l1"
#: Inverse regularisation strength of the logistic regression unless tuned, per penalty.
DEFAULT_C = {"l1": 0.2, "l2": 0.1}
#: Candidates of ``--tune`` with ``--transfer``, per penalty.
GRID: dict[str, tuple[dict[str, Any], ...]] = {
    "l1": ({"C": 0.05}, {"C": 0.2}, {"C": 0.5}),
    "l2": ({"C": 0.01}, {"C": 0.1}, {"C": 1.0})}


def group_level(frame: pd.DataFrame, columns: list[str], groups: str) -> list[str]:
    """The ``columns`` that hold one value per group, differ between groups and are never
    negative: totals of a group (counts), not measurements of a cell."""
    g = frame[groups].astype(str)
    out = []
    for c in columns:
        v = pd.to_numeric(frame[c], errors="coerce")
        if v.notna().any() and v.min() >= 0 and v.nunique() > 1 \
                and int(v.groupby(g).nunique().max()) <= 1:
            out.append(c)
    return out


def share_names(columns: list[str]) -> list[str]:
    return [SHARE + c.strip() for c in columns]


def with_shares(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with a column ``share: C`` for each of ``columns``: its value over the row's
    sum of ``columns`` (missing where that sum is 0). Nothing is added when one of them is
    absent (the model then reports the share features as absent)."""
    if not columns or any(c not in frame.columns for c in columns):
        return frame
    values = frame[columns].apply(pd.to_numeric, errors="coerce")
    total = values.sum(axis=1, min_count=1)
    total = total.where(total > 0)
    shares = values.div(total, axis=0)
    shares.columns = share_names(columns)
    return pd.concat([frame.drop(columns=[c for c in shares.columns if c in frame.columns]),
                      shares], axis=1)


def rank_within(X: NDArray[np.float64], groups: NDArray[Any]) -> NDArray[np.float64]:
    """Each column's percentile rank (0-1, ties averaged, missing kept) within each group of
    rows: a cell's position among the cells of its own region. Measured on RELand as a
    variant (it did not carry better than the values themselves: docs/risk.md)."""
    out = np.array(X, dtype=float)
    groups = np.asarray(groups)
    for g in pd.unique(groups):
        m = groups == g
        out[m] = pd.DataFrame(X[m]).rank(pct=True, method="average").to_numpy()
    return out


@dataclass
class LinearModel:
    """Logistic regression on features imputed by their training median and standardised by
    their training mean and standard deviation. Quacks like the part of a LightGBM booster
    the risk model uses (``predict``, ``pred_contrib``, ``save_model``, ``num_feature``)."""

    median: NDArray[np.float64]
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: float
    C: float = DEFAULT_C["l2"]
    #: "l1" or "l2" (a file written before the L1 penalty was offered holds no penalty: l2)
    penalty: str = "l2"

    KIND = "mineaction.risk.linear"

    @classmethod
    def fit(cls, X: NDArray[np.float64], y: NDArray[np.float64], C: float | None = None,
            penalty: str = DEFAULT_PENALTY) -> LinearModel:
        """Fit on ``X`` (missing values allowed) and 0/1 labels ``y``; ``C`` defaults to
        the penalty's :data:`DEFAULT_C`."""
        from sklearn.linear_model import LogisticRegression

        if penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {sorted(PENALTIES)}, not {penalty!r}")
        C = DEFAULT_C[penalty] if C is None else float(C)

        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            median = np.nanmedian(np.where(np.isnan(X).all(axis=0), 0.0, X), axis=0)
        median = np.nan_to_num(median)
        filled = np.where(np.isnan(X), median, X)
        mean = filled.mean(axis=0)
        scale = filled.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        # saga leaves the intercept out of the L1 penalty (liblinear would not)
        solver = {"solver": "saga", "random_state": 0} if penalty == "l1" else {}
        lr = LogisticRegression(C=C, l1_ratio=PENALTIES[penalty], max_iter=5000,
                                **solver).fit((filled - mean) / scale, y)
        return cls(median, mean, scale, lr.coef_[0].astype(float), float(lr.intercept_[0]),
                   C, penalty)

    def contributions(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        X = np.asarray(X, dtype=float)
        z = (np.where(np.isnan(X), self.median, X) - self.mean) / self.scale
        return np.asarray(z * self.coef, dtype=float)

    def predict(self, X: NDArray[np.float64], *, pred_contrib: bool = False,
                num_threads: int = 1) -> NDArray[np.float64]:
        c = self.contributions(X)
        if pred_contrib:
            return np.c_[c, np.full(len(c), self.intercept)]
        return np.asarray(1.0 / (1.0 + np.exp(-(c.sum(axis=1) + self.intercept))), dtype=float)

    def num_feature(self) -> int:
        return len(self.coef)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.KIND, "C": self.C, "penalty": self.penalty,
                "intercept": self.intercept,
                **{k: [float(v) for v in getattr(self, k)]
                   for k in ("median", "mean", "scale", "coef")}}

    def save_model(self, path: str) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LinearModel | None:
        """The model written at ``path``, or None when the file is not one."""
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(d, dict) or d.get("kind") != cls.KIND:
            return None
        arrays = {k: np.asarray(d[k], dtype=float) for k in ("median", "mean", "scale",
                                                             "coef")}
        return cls(**arrays, intercept=float(d["intercept"]), C=float(d["C"]),
                   penalty=str(d.get("penalty", "l2")))

"""The risk model: gradient-boosted trees (LightGBM) over a table of cells, with calibrated
probabilities, exact per-prediction explanations (TreeSHAP) and alignment of columns by name.

The API other parts build on (risk surfaces, evidence scores)::

    from mineaction.risk.model import RiskModel

    model = RiskModel.load("risk.model")      # the LightGBM text model and its JSON sidecar
    model.features                            # feature names it expects, in order
    model.indicators                          # those that are 0/1 indicators (absent = 0)
    p = model.predict_proba(frame)            # ndarray: calibrated P(hazard) per row
    raw = model.predict_raw(frame)            # ndarray: the trees' own probability
    shap = model.contributions(frame)         # DataFrame: SHAP value per feature, log-odds
    X, alignment = model.align(frame)         # the feature matrix and what was missing/extra

``frame`` is a :class:`pandas.DataFrame` with a column per feature (named as in the
training table); other columns are ignored. Absent indicator columns count as 0; an absent
numeric column is refused (:class:`~mineaction.errors.InvalidInput`, ``risk.absent_numeric``)
unless ``absent_numeric="missing"`` is passed, which sets it missing for every row and says so
(the trees then send every row down the branch that rows without the value took in training,
which is a guess, not a measurement: hence refused unless asked).

A model trained with ``--transfer`` (:mod:`mineaction.risk.transfer`) is a logistic
regression instead, written as JSON at ``MODEL``; it computes its share features from the
table's count columns itself.

Files: ``MODEL`` is LightGBM's text model (features named ``f0``, ``f1``... because
LightGBM refuses some characters in names); ``MODEL.json`` beside it holds the real feature
names, which are indicators, the calibration map and the training options. Nothing is pickled.
The model card is ``MODEL.card.md`` and ``MODEL.card.json`` (:mod:`mineaction.risk.card`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mineaction.errors import InvalidInput, Problem
from mineaction.messages import Message

#: Version of the sidecar's layout.
FORMAT = 1

#: LightGBM settings used unless the caller gives others: small trees, shrinkage and row and
#: column subsampling (cells next to each other are alike: deep trees learn places, not risk).
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_child_samples": 40,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.7,
    "lambda_l2": 5.0,
    "num_threads": 1,
    "verbose": -1,
    "seed": 1,
    "deterministic": True,
    "force_row_wise": True,
}
DEFAULT_TREES = 200


def sidecar_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".json")


def card_paths(model_path: Path) -> tuple[Path, Path]:
    """The model card's Markdown and JSON files beside ``model_path``."""
    return (model_path.with_name(model_path.name + ".card.md"),
            model_path.with_name(model_path.name + ".card.json"))


def is_indicator(values: pd.Series) -> bool:
    """A column of 0 and 1 only (a one-hot column or a flag): absent in another table, it
    counts as 0."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(v)) and bool(v.isin([0, 1]).all())


def numeric(values: pd.Series) -> pd.Series:
    """``values`` as floats (booleans as 0/1); what is no number becomes missing."""
    if values.dtype == bool:
        return values.astype(float)
    return pd.to_numeric(values, errors="coerce").astype(float)


@dataclass(frozen=True)
class Alignment:
    """How a table's columns met the model's features."""

    absent_indicators: tuple[str, ...] = ()  # set to 0
    absent_numeric: tuple[str, ...] = ()  # set missing (when allowed)
    extra: tuple[str, ...] = ()  # ignored
    not_numbers: tuple[tuple[str, int], ...] = ()  # (column, values that are no number)

    def messages(self) -> list[Message]:
        """What to tell the user, as messages."""
        out = []
        if self.absent_indicators:
            out.append(Message.of("risk.absent_indicators", count=len(self.absent_indicators),
                                  names=", ".join(self.absent_indicators)))
        if self.absent_numeric:
            out.append(Message.of("risk.absent_numeric_missing",
                                  count=len(self.absent_numeric),
                                  names=", ".join(self.absent_numeric)))
        if self.extra:
            out.append(Message.of("risk.extra_columns", count=len(self.extra),
                                  names=", ".join(self.extra)))
        for name, count in self.not_numbers:
            out.append(Message.of("risk.not_numbers", column=name, count=count))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"absent_indicators": list(self.absent_indicators),
                "absent_numeric": list(self.absent_numeric), "extra": list(self.extra),
                "not_numbers": {k: v for k, v in self.not_numbers}}


def align(frame: pd.DataFrame, features: list[str], indicators: set[str], *,
          absent_numeric: str = "refuse", ignore: tuple[str, ...] = ()
          ) -> tuple[NDArray[np.float64], Alignment]:
    """The matrix of ``features`` (in order) from ``frame``, matched by name.

    An absent indicator is 0; an absent numeric feature is refused (``absent_numeric=
    "refuse"``) or set missing (``"missing"``); columns that are no feature are ignored and
    reported (except those named in ``ignore``: the target, coordinates, ids)."""
    present = set(frame.columns)
    absent = [f for f in features if f not in present]
    absent_ind = tuple(f for f in absent if f in indicators)
    absent_num = tuple(f for f in absent if f not in indicators)
    if absent_num and absent_numeric != "missing":
        raise InvalidInput([Problem.of("table", None, "risk.absent_numeric",
                                       count=len(absent_num), names=", ".join(absent_num))])
    wanted = set(features) | set(ignore)
    extra = tuple(c for c in frame.columns if c not in wanted)
    X = np.full((len(frame), len(features)), np.nan)
    bad: list[tuple[str, int]] = []
    for j, name in enumerate(features):
        if name in present:
            col = frame[name]
            values = numeric(col)
            lost = int(values.isna().sum() - col.isna().sum())
            if lost:
                bad.append((name, lost))
            X[:, j] = values.to_numpy()
        elif name in indicators:
            X[:, j] = 0.0
    return X, Alignment(absent_ind, absent_num, extra, tuple(bad))


@dataclass(frozen=True)
class Calibration:
    """A monotone map from the trees' probability to a calibrated one, fitted on
    out-of-fold predictions. ``method`` is ``isotonic`` (a step function through
    ``x``/``y``, linear between steps), ``platt`` (``1/(1+exp(-(a*logit(p)+b)))``) or
    ``none``."""

    method: str = "none"
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def apply(self, p: NDArray[np.float64]) -> NDArray[np.float64]:
        p = np.asarray(p, dtype=float)
        if self.method == "isotonic":
            return np.interp(p, np.array(self.x), np.array(self.y))
        if self.method == "platt":
            z = self.a * _logit(p) + self.b
            return 1.0 / (1.0 + np.exp(-z))
        return p

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "x": list(self.x), "y": list(self.y), "a": self.a,
                "b": self.b}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        return cls(str(d.get("method", "none")), tuple(float(v) for v in d.get("x", ())),
                   tuple(float(v) for v in d.get("y", ())), float(d.get("a", 1.0)),
                   float(d.get("b", 0.0)))


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def fit_calibration(p: NDArray[np.float64], y: NDArray[np.float64], method: str
                    ) -> Calibration:
    """The calibration of probabilities ``p`` against labels ``y`` (out-of-fold predictions:
    never those of the rows a model was trained on)."""
    if method == "none":
        return Calibration()
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
        return Calibration("isotonic", tuple(float(v) for v in iso.X_thresholds_),
                           tuple(float(v) for v in iso.y_thresholds_))
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(p).reshape(-1, 1), y)
        return Calibration("platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    raise InvalidInput([Problem.of("options", "calibration", "risk.bad_calibration",
                                   value=method)])


def fit_booster(X: NDArray[np.float64], y: NDArray[np.float64], params: dict[str, Any],
                trees: int) -> Any:
    """A LightGBM booster trained on ``X``/``y`` (features named f0, f1, ...)."""
    import lightgbm as lgb

    data = lgb.Dataset(X, label=y, feature_name=[f"f{i}" for i in range(X.shape[1])],
                       free_raw_data=True, params={"verbose": -1})
    return lgb.train({**DEFAULT_PARAMS, **params}, data, num_boost_round=trees)


@dataclass
class RiskModel:
    """A trained risk model: the booster, the features it expects, the calibration map."""

    booster: Any
    features: list[str]
    indicators: list[str]
    calibration: Calibration = field(default_factory=Calibration)
    #: target, coordinates, groups, columns of the training table not used, options
    info: dict[str, Any] = field(default_factory=dict)

    def align(self, frame: pd.DataFrame, *, absent_numeric: str = "refuse"
              ) -> tuple[NDArray[np.float64], Alignment]:
        ignore = (*(v for k in ("target", "lon", "lat", "groups")
                    if isinstance(v := self.info.get(k), str)),
                  *self.info.get("not_used", ()))
        shares = list(self.info.get("shares", ()))
        if shares:  # a --transfer model: group totals as shares of their sum, row by row
            from mineaction.risk.transfer import with_shares

            frame = with_shares(frame, shares)
        return align(frame, self.features, set(self.indicators),
                     absent_numeric=absent_numeric, ignore=ignore)

    def predict_raw(self, frame: pd.DataFrame, *, absent_numeric: str = "refuse"
                    ) -> NDArray[np.float64]:
        X, _ = self.align(frame, absent_numeric=absent_numeric)
        return self.raw(X)

    def raw(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """The trees' probability for an aligned matrix."""
        return np.asarray(self.booster.predict(X, num_threads=1), dtype=float)

    def proba(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """The calibrated probability for an aligned matrix."""
        return self.calibration.apply(self.raw(X))

    def predict_proba(self, frame: pd.DataFrame, *, absent_numeric: str = "refuse"
                      ) -> NDArray[np.float64]:
        """Calibrated probability of each row of ``frame`` (columns aligned by name)."""
        X, _ = self.align(frame, absent_numeric=absent_numeric)
        return self.proba(X)

    def shap(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Exact TreeSHAP values of an aligned matrix: one column per feature and a last
        one for the expected value, in log-odds of the trees (before calibration); each row
        sums to the trees' log-odds."""
        return np.asarray(self.booster.predict(X, pred_contrib=True, num_threads=1),
                          dtype=float)

    def contributions(self, frame: pd.DataFrame, *, absent_numeric: str = "refuse"
                      ) -> pd.DataFrame:
        """SHAP values per row and feature (log-odds), and ``(expected)``."""
        X, _ = self.align(frame, absent_numeric=absent_numeric)
        return pd.DataFrame(self.shap(X), columns=[*self.features, "(expected)"],
                            index=frame.index)

    def save(self, path: Path) -> None:
        """Write the LightGBM text model at ``path`` and the sidecar beside it."""
        path = Path(path)
        self.booster.save_model(str(path))
        sidecar = {"format": FORMAT, "kind": "mineaction.risk.model",
                   "features": self.features, "indicators": self.indicators,
                   "calibration": self.calibration.as_dict(), "info": self.info}
        sidecar_path(path).write_text(json.dumps(sidecar, indent=1, ensure_ascii=False)
                                      + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | str) -> RiskModel:
        """The model written at ``path`` by :meth:`save`."""
        import lightgbm as lgb

        path = Path(path)
        side = sidecar_path(path)
        if not path.is_file() or not side.is_file():
            raise InvalidInput([Problem.of(str(path), None, "risk.no_model",
                                           sidecar=side.name)])
        meta = json.loads(side.read_text(encoding="utf-8"))
        if meta.get("kind") != "mineaction.risk.model" or meta.get("format") != FORMAT:
            raise InvalidInput([Problem.of(str(side), None, "risk.bad_sidecar",
                                           format=FORMAT)])
        booster: Any = None
        if meta.get("info", {}).get("model") == "logistic":
            from mineaction.risk.transfer import LinearModel

            booster = LinearModel.load(path)
            if booster is None:
                raise InvalidInput([Problem.of(str(path), None, "risk.bad_sidecar",
                                               format=FORMAT)])
        else:
            booster = lgb.Booster(model_file=str(path))
        features = list(meta["features"])
        if booster.num_feature() != len(features):
            raise InvalidInput([Problem.of(str(side), None, "risk.bad_sidecar",
                                           format=FORMAT)])
        return cls(booster, features, list(meta.get("indicators", [])),
                   Calibration.from_dict(meta.get("calibration", {})), dict(meta.get("info",
                                                                                    {})))


def top_contributions(shap: NDArray[np.float64], features: list[str], top: int
                      ) -> pd.DataFrame:
    """The ``top`` features of each row by absolute SHAP value: columns ``top1_feature``,
    ``top1_shap``, ... (log-odds; positive raises the risk)."""
    values = shap[:, :-1]
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top]
    names = np.array(features, dtype=object)
    out: dict[str, Any] = {}
    for k in range(min(top, values.shape[1])):
        idx = order[:, k]
        out[f"top{k + 1}_feature"] = names[idx]
        out[f"top{k + 1}_shap"] = np.round(values[np.arange(len(values)), idx], 6)
    return pd.DataFrame(out)

"""The predictive risk model as services: train (with its model card), predict (with
explanations), evaluate. Tables come in as data frames, read by the interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mineaction.messages import Message
from mineaction.risk import card as cards
from mineaction.risk import neighbours, validation
from mineaction.risk.model import RiskModel, top_contributions
from mineaction.risk.training import TrainOptions, labels  # noqa: F401  (TrainOptions: for callers)
from mineaction.risk.training import train as train_model
from mineaction.services.context import Context

#: The column predictions are written to.
PROBABILITY = "probability"
#: With smoothing: the row's own probability, and the number of rows averaged.
PROBABILITY_CELL = "probability_cell"
NEIGHBOURS = "neighbours"


@dataclass
class Trained:
    model_path: Path
    card_md: Path
    card_json: Path
    card: dict[str, Any]
    messages: list[Message] = field(default_factory=list)


def train(ctx: Context, frame: pd.DataFrame, options: TrainOptions, output: Path, *,
          source: str = "") -> Trained:
    """Train a risk model on ``frame`` and write it at ``output`` with its sidecar and its
    model card (Markdown and JSON) beside it."""
    done = train_model(frame, options, source=source,
                       created=ctx.now().replace(microsecond=0).isoformat())
    output = Path(output)
    done.model.save(output)
    md, js = cards.write(output, done.card)
    return Trained(output, md, js, done.card, done.messages)


@dataclass
class Predicted:
    table: pd.DataFrame
    messages: list[Message] = field(default_factory=list)


def _smoothed(model: RiskModel, frame: pd.DataFrame, p: np.ndarray, km: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """``p`` averaged over each row's neighbours within ``km`` in ``frame`` (coordinates in
    the columns the model was trained with), and the number of rows averaged."""
    lon_col, lat_col = str(model.info.get("lon", "lon")), str(model.info.get("lat", "lat"))
    lon, lat = neighbours.coordinates(frame, lon_col, lat_col)
    return neighbours.neighbour_mean(lon, lat, p, km)


def predict(ctx: Context, model_path: Path, frame: pd.DataFrame, *, explain: int = 0,
            absent_numeric: str = "refuse", smooth_km: float = 0.0) -> Predicted:
    """``frame``'s rows in order with a ``probability`` column (calibrated), and with
    ``explain`` > 0 the ``explain`` largest SHAP contributions of each row. With
    ``smooth_km`` > 0, ``probability`` is the mean over the rows within that distance
    (:mod:`mineaction.risk.neighbours`), the row's own in ``probability_cell`` and the number
    of rows averaged in ``neighbours``."""
    model = RiskModel.load(model_path)
    X, alignment = model.align(frame, absent_numeric=absent_numeric)
    out = frame.reset_index(drop=True).copy()
    p = model.proba(X)
    if smooth_km > 0:
        mean, count = _smoothed(model, out, p, smooth_km)
        out[PROBABILITY_CELL] = np.round(p, 6)
        out[NEIGHBOURS] = count
        p = mean
    out[PROBABILITY] = np.round(p, 6)
    if explain > 0:
        top = top_contributions(model.shap(X), model.features, explain)
        out = pd.concat([out, top], axis=1)
    return Predicted(out, alignment.messages())


def evaluate(ctx: Context, model_path: Path, frame: pd.DataFrame, target: str, *,
             absent_numeric: str = "refuse", bins: int = 10, smooth_km: float = 0.0
             ) -> dict[str, Any]:
    """ROC AUC, average precision, Brier score and a calibration table of the model's
    probabilities on ``frame``'s rows of known label (unknown ones are counted, not scored).
    With ``smooth_km`` > 0 the probabilities scored are the means over each row's
    neighbours within that distance among all the rows, labelled or not
    (:mod:`mineaction.risk.neighbours`); the cells' own scores are given beside them."""
    model = RiskModel.load(model_path)
    y, known = labels(frame, target)
    extra: dict[str, Any] = {}
    if smooth_km > 0:
        whole = frame.reset_index(drop=True)
        X_all, alignment = model.align(whole, absent_numeric=absent_numeric)
        cell_all = model.proba(X_all)
        mean, count = _smoothed(model, whole, cell_all, smooth_km)
        X, p, cell = X_all[known], mean[known], cell_all[known]
        extra = {"smooth_km": smooth_km,
                 "neighbours_median": float(np.median(count[known])) if known.any() else None,
                 "roc_auc_cell": validation.rounded(validation.auc(y[known], cell)),
                 "average_precision_cell": validation.rounded(
                     validation.average_precision(y[known], cell))}
    else:
        X, alignment = model.align(frame.loc[known], absent_numeric=absent_numeric)
        p = model.proba(X)
    yk = y[known]
    said = [Message.of("risk.unknown_dropped", count=int((~known).sum()), target=target),
            *alignment.messages()]
    return {"model": str(model_path), "target": target,
            "unknown_label_rows_dropped": int((~known).sum()),
            **validation.scores(yk, p), **extra,
            "roc_auc_uncalibrated": validation.rounded(validation.auc(yk, model.raw(X))),
            "calibration": validation.calibration_table(yk, p, bins),
            "alignment": alignment.as_dict(),
            "messages": [m.text(ctx.locale) for m in said]}

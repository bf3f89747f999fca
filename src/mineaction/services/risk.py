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
from mineaction.risk import validation
from mineaction.risk.model import RiskModel, top_contributions
from mineaction.risk.training import TrainOptions, labels  # noqa: F401  (TrainOptions: for callers)
from mineaction.risk.training import train as train_model
from mineaction.services.context import Context

#: The column predictions are written to.
PROBABILITY = "probability"


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


def predict(ctx: Context, model_path: Path, frame: pd.DataFrame, *, explain: int = 0,
            absent_numeric: str = "refuse") -> Predicted:
    """``frame``'s rows in order with a ``probability`` column (calibrated), and with
    ``explain`` > 0 the ``explain`` largest SHAP contributions of each row."""
    model = RiskModel.load(model_path)
    X, alignment = model.align(frame, absent_numeric=absent_numeric)
    out = frame.reset_index(drop=True).copy()
    out[PROBABILITY] = np.round(model.proba(X), 6)
    if explain > 0:
        top = top_contributions(model.shap(X), model.features, explain)
        out = pd.concat([out, top], axis=1)
    return Predicted(out, alignment.messages())


def evaluate(ctx: Context, model_path: Path, frame: pd.DataFrame, target: str, *,
             absent_numeric: str = "refuse", bins: int = 10) -> dict[str, Any]:
    """ROC AUC, average precision, Brier score and a calibration table of the model's
    probabilities on ``frame``'s rows of known label (unknown ones are counted, not used)."""
    model = RiskModel.load(model_path)
    y, known = labels(frame, target)
    table = frame.loc[known]
    X, alignment = model.align(table, absent_numeric=absent_numeric)
    p = model.proba(X)
    yk = y[known]
    said = [Message.of("risk.unknown_dropped", count=int((~known).sum()), target=target),
            *alignment.messages()]
    return {"model": str(model_path), "target": target,
            "unknown_label_rows_dropped": int((~known).sum()),
            **validation.scores(yk, p),
            "roc_auc_uncalibrated": validation.rounded(validation.auc(yk, model.raw(X))),
            "calibration": validation.calibration_table(yk, p, bins),
            "alignment": alignment.as_dict(),
            "messages": [m.text(ctx.locale) for m in said]}

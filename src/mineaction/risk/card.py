"""The model card: what a risk model was trained on, how it was validated, how far to trust
it. Written beside the model as JSON (for programs) and Markdown (for people)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mineaction.risk.model import card_paths

#: What every card says about the limits of such a model, whatever the data.
LIMITS = (
    "The labels are records of events, not a survey of every cell: a cell without a record "
    "may hold mines nobody reported, so probabilities are those of a recorded event.",
    "Scores are from blocked cross-validation inside the training region; in another "
    "region, with other conflict history and reporting, the model may rank cells worse "
    "(validate on held-out groups far from the training ones before relying on it).",
    "Calibration holds for the training region's share of positives; where that share "
    "differs, the ranking may still help while the probabilities do not.",
    "Without a buffer (--buffer-km), adjacent blocks in different folds touch at their "
    "edges: scores may be slightly optimistic for cells near a block's border.",
    "Explanations (SHAP) say how the model uses a feature, not that the feature causes risk.",
    "A model informs non-technical survey; it never releases land by itself.",
)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def markdown(card: dict[str, Any]) -> str:
    """The card as Markdown."""
    d, f, v, c = card["data"], card["features"], card["validation"], card["calibration"]
    lines = ["# Risk model card", ""]
    if card.get("created"):
        lines.append(f"Created {card['created']}" + (f" from `{card['source']}`"
                                                       if card.get("source") else "") + ".")
        lines.append("")
    lines += ["## Data", "",
              f"- Rows in the table: {d['rows']:,}; used: {d['rows_used']:,}; rows with an "
              f"unknown label, not used: {d['unknown_label_rows_dropped']:,}.",
              f"- Target `{d['target']}`: {d['positives']:,} positive, {d['negatives']:,} "
              f"negative ({d['positive_share']:.1%} positive).", "",
              "## Features", "",
              f"- {f['count']} features: {len(f['numeric'])} numeric, {len(f['indicators'])} "
              "indicators (0/1; absent in another table they count as 0).",
              "- Not used: " + (", ".join(f"`{x}`" for x in f["not_used_by_rule"]) or "-")
              + " (coordinates and groups say where a cell is, not why it is dangerous)"
              + ("; not numbers: " + ", ".join(f"`{x}`" for x in f["not_used_not_numbers"])
                 if f["not_used_not_numbers"] else "") + ".", "",
              "Most used (mean absolute SHAP value, log-odds):", "",
              "| feature | mean abs SHAP |", "|---|---:|"]
    lines += [f"| {r['feature']} | {r['value']:.4f} |" for r in f["importance_mean_abs_shap"]]
    scheme = (f"held-out values of `{v['groups']}`" if v["scheme"] == "groups"
              else f"square blocks of {v['block_km']:g} km")
    lines += ["", "## Validation", "",
              f"Blocked cross-validation, {v['folds']} folds of whole {scheme} "
              f"({v['blocks']} blocks); no block is in two folds."
              + (f" Cells within {v['buffer_km']:g} km of a fold's test cells are left out of "
                 "its training." if v.get("buffer_km") else "")
              + (" Settings chosen inside each training fold by an inner blocked "
                 "cross-validation (nested)." if v.get("tuning") else ""), "",
              "| fold | blocks | rows | positives | ROC AUC | average precision | Brier "
              "(calibrated) |", "|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['fold']} | {r['blocks']} | {r['rows']} | {r['positives']} | "
              f"{_fmt(r['roc_auc'])} | {_fmt(r['average_precision'])} | "
              f"{_fmt(r['brier_calibrated'])} |" for r in v["per_fold"]]
    pooled = v["pooled_out_of_fold_calibrated"]
    lines += ["", f"Mean over folds: ROC AUC {_fmt(v['mean_roc_auc'])}, average precision "
              f"{_fmt(v['mean_average_precision'])}. All out-of-fold predictions together, "
              f"calibrated: ROC AUC {_fmt(pooled['roc_auc'])}, average precision "
              f"{_fmt(pooled['average_precision'])}, Brier {_fmt(pooled['brier'])}.", "",
              "## Calibration", "",
              f"Method: {c['method']}, fitted on {c['fitted_on']} (each fold's calibrated "
              "scores above use a map fitted without that fold).", "",
              "| predicted | rows | mean predicted | observed |", "|---|---:|---:|---:|"]
    lines += [f"| {r['from']:.1f}-{r['to']:.1f} | {r['rows']} | {r['predicted']:.3f} | "
              f"{r['observed']:.3f} |" for r in c["table_out_of_fold"]]
    m = card["model"]
    size = f"{m['trees']} trees" if m.get("trees") else m.get("kind", "")
    lines += ["", "## Model", "",
              f"{m['library']}, {size}; settings: "
              + ", ".join(f"{k}={val}" for k, val in sorted(m["params"].items())) + "."]
    t = card.get("transfer")
    if t:
        lines += ["", "## Made for another region (--transfer)", "",
                  "- Columns with one value per group, taken as group totals, are replaced by "
                  "their shares of the row's sum of them (the kind, not the amount): "
                  + (", ".join(f"`{x}`" for x in t["shares_of"]) or "none found") + ".",
                  "- The model is a logistic regression on standardised features, not trees: "
                  "it has fewer ways to learn the training region's places."
                  + (f" Its L1 penalty kept {m['features_kept']} of "
                     f"{card['features']['count']} features; the others weigh 0."
                     if m.get("params", {}).get("penalty") == "l1"
                     and m.get("features_kept") is not None else ""),
                  "- A table of another region needs the same count columns; the shares are "
                  "computed row by row."]
    lines += ["", "## Limits", ""]
    lines += [f"- {text}" for text in card.get("limits", LIMITS)]
    return "\n".join(lines) + "\n"


def write(model_path: Path, card: dict[str, Any]) -> tuple[Path, Path]:
    """Write the card beside the model; returns the Markdown and JSON paths."""
    card = {**card, "limits": list(card.get("limits", LIMITS))}
    md, js = card_paths(Path(model_path))
    md.write_text(markdown(card), encoding="utf-8")
    js.write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return md, js

"""Risk model commands: train a model on a table of labelled cells, predict, evaluate."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape

from mineaction.access import Actor
from mineaction.cli.app import app, checked_output, err_console, say, state
from mineaction.services import risk
from mineaction.services.context import Context, open_context

risk_app = typer.Typer(no_args_is_help=True,
                       help="Predictive risk model of cells (gradient-boosted trees) with "
                            "spatial validation.")
app.add_typer(risk_app, name="risk")


class Calibration(StrEnum):
    isotonic = "isotonic"
    platt = "platt"
    none = "none"


class Penalty(StrEnum):
    l1 = "l1"
    l2 = "l2"


class AbsentNumeric(StrEnum):
    refuse = "refuse"
    missing = "missing"


@contextmanager
def context() -> Iterator[Context]:
    """The context of a risk command: these commands read and write files only and never
    touch the store, so nobody signs in and no store file is created."""
    with open_context(state.db, actor=Actor.local(state.user), locale=state.locale,
                      require=False) as ctx:
        yield ctx


def _read(path: Path) -> pd.DataFrame:
    """A CSV table (UTF-8, a byte-order mark allowed)."""
    return pd.read_csv(path, encoding="utf-8-sig", low_memory=False)


def _names(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(n.strip() for n in text.split(",") if n.strip())


@risk_app.command("train")
def train(
    table: Path = typer.Option(..., "--table", help="CSV table: one row per cell"),
    target: str = typer.Option(..., "--target", help="Label column: 1, 0, or -1/empty "
                               "for unknown (not used)"),
    lon: str = typer.Option(..., "--lon", help="Longitude column (WGS84)"),
    lat: str = typer.Option(..., "--lat", help="Latitude column (WGS84)"),
    output: Path = typer.Option(..., "-o", "--output", help="Model file to write (the "
                                "sidecar and model card are written beside it)"),
    groups: str = typer.Option(None, "--groups", help="Validate by held-out values of this "
                               "column (e.g. a municipality) instead of square blocks"),
    block_km: float = typer.Option(10.0, "--block-km", help="Side of the validation blocks "
                                   "in km"),
    buffer_km: float = typer.Option(0.0, "--buffer-km", min=0.0, help="Leave out of each "
                                    "fold's training the cells this near its test cells"),
    folds: int = typer.Option(5, "--folds", min=2, help="Folds of blocked cross-validation"),
    calibration: Calibration = typer.Option(None, "--calibration", help="Default isotonic; "
                                            "platt with --transfer (a step function would "
                                            "tie the cells of another region)"),
    features: str = typer.Option(None, "--features", help="Comma-separated feature columns "
                                 "(default: every numeric column but target, coordinates "
                                 "and groups)"),
    exclude: str = typer.Option(None, "--exclude", help="Comma-separated columns not to use"),
    tune: bool = typer.Option(False, "--tune", help="Choose tree settings by an inner "
                              "blocked cross-validation of each training fold (nested)"),
    transfer: bool = typer.Option(False, "--transfer", help="For use in another region: "
                                  "group totals as shares, a logistic regression instead of "
                                  "trees (needs --groups)"),
    penalty: Penalty = typer.Option(Penalty.l1, "--penalty", help="With --transfer: the "
                                    "logistic regression's penalty; l1 sets the features "
                                    "that add little to 0, l2 shrinks all"),
    trees: int = typer.Option(200, "--trees", min=1),
    threads: int = typer.Option(1, "--threads", min=1),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Train a risk model with blocked spatial cross-validation and calibrated probabilities;
    write the model, its sidecar and its model card."""
    checked_output(output)
    frame = _read(table)
    options = risk.TrainOptions(target=target, lon=lon, lat=lat, groups=groups,
                                block_km=block_km, buffer_km=buffer_km, folds=folds,
                                calibration=(calibration.value if calibration else
                                             "platt" if transfer else "isotonic"),
                                features=_names(features), exclude=_names(exclude) or (),
                                tune=tune, trees=trees, threads=threads, seed=seed,
                                transfer=transfer, penalty=penalty.value)
    with context() as ctx:
        done = risk.train(ctx, frame, options, output, source=table.name)
    for m in done.messages:
        err_console.print(escape(m.text(ctx.locale)), highlight=False)
    v = done.card["validation"]
    say("cli.risk_trained", path=output, card=done.card_md, folds=v["folds"],
        auc=v["mean_roc_auc"], ap=v["mean_average_precision"])


SMOOTH_HELP = ("Average each row's probability with the table's rows within this many km "
               "(pass the region's whole table, labelled or not); 0: each row alone")


@risk_app.command("predict")
def predict(
    model: Path = typer.Option(..., "--model", help="Model file written by risk train"),
    table: Path = typer.Option(..., "--table", help="CSV table of cells"),
    output: Path = typer.Option(..., "-o", "--output", help="CSV to write: the rows in order "
                                "with a probability column"),
    explain: bool = typer.Option(False, "--explain", help="Add each row's largest SHAP "
                                 "contributions (log-odds)"),
    top: int = typer.Option(3, "--top", min=1, help="How many contributions with --explain"),
    absent_numeric: AbsentNumeric = typer.Option(AbsentNumeric.refuse, "--absent-numeric",
                                                 help="A numeric feature absent from the "
                                                      "table: refuse, or set it missing"),
    smooth_km: float = typer.Option(0.0, "--smooth-km", min=0.0, help=SMOOTH_HELP),
) -> None:
    """Calibrated probability of each row of a table (columns aligned by name)."""
    checked_output(output)
    frame = _read(table)
    with context() as ctx:
        done = risk.predict(ctx, model, frame, explain=top if explain else 0,
                            absent_numeric=absent_numeric.value, smooth_km=smooth_km)
    for m in done.messages:
        err_console.print(escape(m.text(ctx.locale)), highlight=False)
    done.table.to_csv(output, index=False)
    say("cli.risk_scored", path=output, count=len(done.table))


@risk_app.command("evaluate")
def evaluate(
    model: Path = typer.Option(..., "--model", help="Model file written by risk train"),
    table: Path = typer.Option(..., "--table", help="CSV table of labelled cells"),
    target: str = typer.Option(..., "--target", help="Label column"),
    absent_numeric: AbsentNumeric = typer.Option(AbsentNumeric.refuse, "--absent-numeric"),
    smooth_km: float = typer.Option(0.0, "--smooth-km", min=0.0, help=SMOOTH_HELP),
) -> None:
    """ROC AUC, average precision, Brier score and calibration table, as JSON."""
    frame = _read(table)
    with context() as ctx:
        found = risk.evaluate(ctx, model, frame, target, absent_numeric=absent_numeric.value,
                              smooth_km=smooth_km)
    sys.stdout.write(json.dumps(found, indent=1, ensure_ascii=False) + "\n")

"""The risk model: blocked spatial validation, calibration against known probabilities,
alignment of another region's columns, explanations, files and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mineaction.errors import InvalidInput
from mineaction.risk import validation
from mineaction.risk.model import RiskModel, card_paths, fit_calibration, sidecar_path
from mineaction.risk.training import TrainOptions, train
from tests.conftest import SHARED

RELAND = SHARED / "data" / "reland" / "train" / "train_all.csv"


def synthetic(n: int = 2500, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells at sea (synthetic), with a known probability of holding a hazard: higher near
    roads and on crops, lower in forest; one in ten labels unknown (-1)."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(50.3, 51.7, n)
    lat = rng.uniform(40.9, 41.9, n)
    road_km = rng.gamma(2.0, 1.5, n)
    elevation = rng.normal(400, 150, n)
    cover = rng.choice(["forest", "crop", "urban"], n, p=[0.5, 0.4, 0.1])
    logit = (0.3 - 0.6 * road_km + 1.2 * (cover == "crop") - 0.8 * (cover == "forest")
             + 0.002 * (elevation - 400))
    p = 1.0 / (1.0 + np.exp(-logit))
    y = (rng.uniform(size=n) < p).astype(int)
    y[rng.uniform(size=n) < 0.1] = -1
    frame = pd.DataFrame({"cell": np.arange(n), "lon": lon, "lat": lat, "road_km": road_km,
                          "elevation": elevation, "noise": rng.normal(size=n),
                          "lc_forest": (cover == "forest").astype(int),
                          "lc_crop": (cover == "crop").astype(int),
                          "lc_urban": (cover == "urban").astype(int),
                          "district": np.where(lon < 51.0, "west", "east"), "label": y})
    return frame, p


OPTIONS = TrainOptions(target="label", lon="lon", lat="lat", block_km=20.0, folds=4,
                       trees=60, exclude=("cell",))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, np.ndarray,
                                                                  dict]:
    from mineaction.risk import card

    frame, p = synthetic()
    done = train(frame, OPTIONS, source="synthetic.csv", created="2026-01-01T00:00:00+00:00")
    path = tmp_path_factory.mktemp("risk") / "risk.model"
    done.model.save(path)
    card.write(path, done.card)
    return path, frame, p, done.card


def test_blocks_are_squares_of_the_size_asked_and_never_split_between_folds() -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(50.3, 51.7, 3000), rng.uniform(40.9, 41.9, 3000)
    blocks = validation.spatial_blocks(lon, lat, 10.0)
    # about 117 x 111 km of sea in 10 km squares
    assert 100 <= len(np.unique(blocks)) <= 180
    folds = validation.block_folds(blocks, 5, seed=1)
    for b in np.unique(blocks):
        assert len(np.unique(folds[blocks == b])) == 1, b
    sizes = np.bincount(folds)
    assert len(sizes) == 5 and sizes.max() - sizes.min() < 0.1 * sizes.mean()
    # two points 25 km apart along a parallel are never in one block of 10 km
    two = validation.spatial_blocks(np.array([51.0, 51.0 + 25 / 84.0]), np.array([41.4, 41.4]),
                                    10.0)
    assert two[0] != two[1]


def test_no_fold_is_tested_on_a_block_it_was_trained_on() -> None:
    rng = np.random.default_rng(4)
    n = 600
    X = np.c_[rng.normal(size=n), np.arange(n)]  # second column: the row
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(float)
    blocks = np.array([f"B{i}" for i in rng.integers(0, 30, n)])
    rows_seen: list[np.ndarray] = []

    def fit(Xt: np.ndarray, yt: np.ndarray, params: dict) -> object:
        rows_seen.append(Xt[:, 1].astype(int))
        return lambda Z: Z[:, 0]

    cv = validation.cross_validate(X, y, blocks, fit, k=5)  # type: ignore[arg-type]
    for f in range(5):
        tested = set(blocks[cv.folds == f])
        assert tested and not tested & set(blocks[rows_seen[f]])
    assert not np.isnan(cv.raw).any()
    assert all(r["roc_auc"] > 0.6 for r in cv.per_fold)
    # with a buffer, no training row lies within it of a tested row
    xy = rng.uniform(0, 50_000, (n, 2))
    rows_seen.clear()
    cv = validation.cross_validate(X, y, blocks, fit, k=5, xy=xy,  # type: ignore[arg-type]
                                   buffer_m=3000.0)
    for f in range(5):
        tested = xy[cv.folds == f]
        trained = xy[rows_seen[f]]
        gaps = np.hypot(trained[:, None, 0] - tested[None, :, 0],
                        trained[:, None, 1] - tested[None, :, 1])
        assert gaps.min() >= 3000.0
        assert cv.per_fold[f]["buffer_left_out"] > 0


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_recovers_known_probabilities(method: str) -> None:
    rng = np.random.default_rng(5)
    true = rng.uniform(0.02, 0.9, 20000)
    y = (rng.uniform(size=true.size) < true).astype(float)
    raw = true ** 3  # a model that ranks well but says far too little
    fitted = fit_calibration(raw[:10000], y[:10000], method)
    held = fitted.apply(raw[10000:])
    assert np.mean(np.abs(raw[10000:] - true[10000:])) > 0.15
    assert np.mean(np.abs(held - true[10000:])) < (0.03 if method == "isotonic" else 0.06)


def test_trained_model_is_calibrated_out_of_fold_and_ranks_the_known_risk(trained) -> None:
    path, frame, p, card = trained
    v = card["validation"]
    assert v["scheme"] == "blocks" and v["block_km"] == 20.0 and len(v["per_fold"]) == 4
    assert v["mean_roc_auc"] > 0.75
    known = frame["label"] >= 0
    model = RiskModel.load(path)
    prob = model.predict_proba(frame[known])
    # the calibrated probability of the final model is near the true one on average
    assert abs(prob.mean() - p[known].mean()) < 0.03
    assert np.mean(np.abs(prob - p[known])) < 0.08
    table = card["calibration"]["table_out_of_fold"]
    big = [r for r in table if r["rows"] >= 100]
    assert big and all(abs(r["predicted"] - r["observed"]) < 0.08 for r in big)
    # unknown labels were not used, and counted
    assert card["data"]["unknown_label_rows_dropped"] == int((~known).sum()) > 0
    assert card["data"]["rows_used"] == int(known.sum())
    # coordinates, the id column and text columns are no features
    assert set(model.features) == {"road_km", "elevation", "noise", "lc_forest", "lc_crop",
                                   "lc_urban"}
    assert set(model.indicators) == {"lc_forest", "lc_crop", "lc_urban"}
    assert card["features"]["not_used_not_numbers"] == ["district"]
    assert card["features"]["importance_mean_abs_shap"][0]["feature"] == "road_km"


def test_files_card_and_explanations(trained) -> None:
    path, frame, _, card = trained
    side = json.loads(sidecar_path(path).read_text())
    assert side["kind"] == "mineaction.risk.model" and side["calibration"]["method"] == "isotonic"
    md, js = card_paths(path)
    text = md.read_text()
    for heading in ("## Data", "## Features", "## Validation", "## Calibration", "## Limits"):
        assert heading in text
    assert json.loads(js.read_text())["validation"]["folds"] == 4
    model = RiskModel.load(path)
    shap = model.contributions(frame.head(50))
    raw = model.predict_raw(frame.head(50))
    logodds = np.log(raw / (1 - raw))
    assert np.allclose(shap.sum(axis=1).to_numpy(), logodds, atol=1e-6)


def test_another_regions_columns_are_aligned_by_name(trained) -> None:
    path, frame, _, _ = trained
    model = RiskModel.load(path)
    rows = frame.head(200)
    base = model.predict_proba(rows)
    # order of columns does not matter; extra columns are ignored and said
    shuffled = rows[list(reversed(rows.columns))].assign(rainfall=1.0)
    assert np.array_equal(model.predict_proba(shuffled), base)
    _, said = model.align(shuffled)
    assert said.extra == ("rainfall",)
    assert [m.code for m in said.messages()] == ["risk.extra_columns"]
    # an absent one-hot column counts as 0
    no_urban = rows.drop(columns="lc_urban")
    expected = model.predict_proba(rows.assign(lc_urban=0))
    assert np.array_equal(model.predict_proba(no_urban), expected)
    assert model.align(no_urban)[1].absent_indicators == ("lc_urban",)
    # an absent numeric column is refused, or set missing when asked, and said
    no_road = rows.drop(columns="road_km")
    with pytest.raises(InvalidInput) as refused:
        model.predict_proba(no_road)
    assert refused.value.problems[0].code == "risk.absent_numeric"
    X, said = model.align(no_road, absent_numeric="missing")
    assert np.isnan(X[:, model.features.index("road_km")]).all()
    assert said.absent_numeric == ("road_km",)
    assert "risk.absent_numeric_missing" in [m.code for m in said.messages()]
    # values that are no numbers are missing, and counted
    text = rows.assign(elevation=rows["elevation"].astype(object))
    text.loc[text.index[:3], "elevation"] = "n/a"
    X, said = model.align(text)
    assert np.isnan(X[:3, model.features.index("elevation")]).all()
    assert said.not_numbers == (("elevation", 3),)


def test_validation_by_groups_and_refusals() -> None:
    frame, _ = synthetic(800, seed=2)
    with_groups = TrainOptions(target="label", lon="lon", lat="lat", groups="district",
                               folds=5, trees=20, exclude=("cell",))
    card = train(frame, with_groups).card
    # two districts: two folds, each holding out one district
    assert card["validation"]["folds"] == 2 and card["validation"]["blocks"] == 2
    assert "district" in card["features"]["not_used_by_rule"]
    bad = frame.assign(label=frame["label"].astype(object))
    bad.loc[7, "label"] = "yes"
    with pytest.raises(InvalidInput) as refused:
        train(bad, with_groups)
    assert refused.value.problems[0].where == "row 9"
    assert refused.value.problems[0].code == "risk.bad_label"


def test_the_command_line_trains_predicts_and_evaluates(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    from mineaction.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINEACTION_DB", raising=False)

    frame, _ = synthetic(1200, seed=7)
    src = tmp_path / "cells.csv"
    frame.to_csv(src, index=False)
    model = tmp_path / "m.model"
    assert main(["risk", "train", "--table", str(src), "--target", "label", "--lon", "lon",
                 "--lat", "lat", "--block-km", "25", "--buffer-km", "5", "--folds", "3",
                 "--trees", "30", "--exclude", "cell", "-o", str(model)]) == 0
    out = capsys.readouterr()
    assert "mean ROC AUC" in out.out and "were not used" in out.err
    card_md = card_paths(model)[0].read_text()
    assert "within 5 km of a fold's test cells are left out" in card_md
    other = frame.drop(columns=["lc_urban", "label"]).iloc[::-1]
    other.to_csv(tmp_path / "other.csv", index=False)
    pred = tmp_path / "pred.csv"
    assert main(["risk", "predict", "--model", str(model), "--table",
                 str(tmp_path / "other.csv"), "--explain", "-o", str(pred)]) == 0
    assert "counted as 0: lc_urban" in capsys.readouterr().err
    got = pd.read_csv(pred)
    assert got["cell"].tolist() == other["cell"].tolist()
    assert got["probability"].between(0, 1).all()
    assert {"top1_feature", "top1_shap", "top3_feature"} <= set(got.columns)
    assert main(["risk", "evaluate", "--model", str(model), "--table", str(src), "--target",
                 "label"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["roc_auc"] > 0.7 and 0 < found["brier"] < 0.25
    assert found["unknown_label_rows_dropped"] == int((frame["label"] < 0).sum())
    assert sum(r["rows"] for r in found["calibration"]) == found["rows"]
    assert not (tmp_path / "mineaction.gpkg").exists()  # no store was opened or created


@pytest.mark.skipif(not RELAND.is_file(), reason="the RELand table is not here")
def test_reland_municipalities_held_out() -> None:
    """A subsample of the real table: validated by held-out municipalities, coordinates and
    municipality never features, unknown labels dropped."""
    frame = pd.read_csv(RELAND, encoding="utf-8-sig")
    some = frame[frame["Municipio"].isin(["SAN CARLOS", "SAN LUIS", "GRANADA", "COCORNA",
                                          "SAN RAFAEL"])]
    options = TrainOptions(target="mines_outcome", lon="LONGITUD_X", lat="LATITUD_Y",
                           groups="Municipio", folds=5, trees=40)
    card = train(some, options).card
    assert card["validation"]["folds"] == 5
    assert card["data"]["unknown_label_rows_dropped"] == int((some["mines_outcome"] < 0).sum())
    assert not {"LONGITUD_X", "LATITUD_Y", "Municipio"} & set(card["features"]["numeric"])
    assert "geometry" in card["features"]["not_used_not_numbers"]
    assert card["validation"]["pooled_out_of_fold"]["roc_auc"] > 0.55

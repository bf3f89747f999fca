"""What ``risk train --transfer`` adds: group totals as shares, ranks within groups, the
logistic model (files, explanations, another region's table) and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mineaction.errors import InvalidInput
from mineaction.risk.model import RiskModel, card_paths, sidecar_path
from mineaction.risk.training import TrainOptions, train
from mineaction.risk.transfer import group_level, rank_within, with_shares


def districts(n: int = 900, seed: int = 5) -> pd.DataFrame:
    """Synthetic cells at sea in six districts; each district has counts of two kinds of
    events (one value per district, districts of very different sizes) and the risk follows
    the kind (the share of ``attacks``), not the amount, plus a cell-level road distance."""
    rng = np.random.default_rng(seed)
    district = rng.integers(0, 6, n)
    size = np.array([1, 8, 2, 30, 4, 15], dtype=float)
    kind = np.array([0.2, 0.7, 0.5, 0.3, 0.8, 0.4])
    attacks = np.round(100 * size * kind)[district]
    threats = np.round(100 * size * (1 - kind))[district]
    road_km = rng.gamma(2.0, 1.5, n)
    logit = -0.5 + 4.0 * (kind[district] - 0.5) - 0.4 * (road_km - 3)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"lon": 50.3 + 1.4 * (district + rng.uniform(size=n)) / 6,
                         "lat": rng.uniform(40.9, 41.9, n), "district": district.astype(str),
                         "attacks": attacks, "threats": threats, "road_km": road_km,
                         "label": y})


def test_shares_are_found_per_group_and_do_not_depend_on_a_groups_size() -> None:
    frame = districts(300)
    assert group_level(frame, ["attacks", "threats", "road_km"], "district") == [
        "attacks", "threats"]
    shares = with_shares(frame, ["attacks", "threats"])
    assert np.allclose(shares["share: attacks"] + shares["share: threats"], 1.0)
    # a district ten times as large with the same kind of events: the same shares
    bigger = frame.assign(attacks=frame["attacks"] * 10, threats=frame["threats"] * 10)
    assert np.allclose(with_shares(bigger, ["attacks", "threats"])["share: attacks"],
                       shares["share: attacks"])
    # a row with no events has no share; a table without the counts gets none
    none = with_shares(frame.assign(attacks=0.0, threats=0.0).head(3), ["attacks", "threats"])
    assert none["share: attacks"].isna().all()
    assert "share: attacks" not in with_shares(frame.drop(columns="threats"),
                                               ["attacks", "threats"]).columns


def test_ranks_are_computed_within_each_group_and_ignore_monotone_changes() -> None:
    rng = np.random.default_rng(1)
    X = rng.gamma(2.0, 3.0, (200, 2))
    groups = np.repeat(["a", "b"], 100)
    X[:100] += 50.0  # group a lies far above group b: within groups, ranks are alike
    r = rank_within(X, groups)
    for g in ("a", "b"):
        assert r[groups == g].min() > 0 and r[groups == g].max() == 1.0
    assert abs(r[groups == "a"].mean() - r[groups == "b"].mean()) < 1e-9
    changed = np.c_[np.exp(X[:, 0] / 10.0), 3.0 * X[:, 1] - 7.0]
    assert np.array_equal(rank_within(changed, groups), r)
    X[5, 1] = np.nan
    assert np.isnan(rank_within(X, groups)[5, 1])


@pytest.fixture(scope="module")
def transfer_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame,
                                                                       dict]:
    from mineaction.risk import card

    frame = districts()
    options = TrainOptions(target="label", lon="lon", lat="lat", groups="district", folds=3,
                           transfer=True, calibration="platt")
    done = train(frame, options)
    path = tmp_path_factory.mktemp("transfer") / "t.model"
    done.model.save(path)
    card.write(path, done.card)
    return path, frame, done.card


def test_a_transfer_model_is_logistic_on_shares_and_carries_them_to_another_table(
        transfer_model) -> None:
    path, frame, card = transfer_model
    assert card["transfer"]["shares_of"] == ["attacks", "threats"]
    assert card["model"]["library"] == "scikit-learn"
    assert "## Made for another region (--transfer)" in card_paths(path)[0].read_text()
    side = json.loads(sidecar_path(path).read_text())
    assert side["info"]["model"] == "logistic" and side["calibration"]["method"] == "platt"
    model = RiskModel.load(path)
    assert "share: attacks" in model.features and "attacks" not in model.features
    # another region: no group column, its districts ten times as large: the same answers
    other = frame.drop(columns=["district", "label"])
    base = model.predict_proba(other)
    scaled = other.assign(attacks=other["attacks"] * 10, threats=other["threats"] * 10)
    assert np.allclose(model.predict_proba(scaled), base)
    assert model.align(other)[1].extra == ()  # the count columns are read, not extra
    # explanations are exact: contributions and the expected value sum to the log-odds
    raw = model.predict_raw(other.head(40))
    shap = model.contributions(other.head(40)).sum(axis=1).to_numpy()
    assert np.allclose(shap, np.log(raw / (1 - raw)), atol=1e-9)
    # it learnt the kind of events: a higher share of attacks raises the risk
    contrib = model.contributions(other)
    assert np.corrcoef(contrib["share: attacks"], other["attacks"] / (
        other["attacks"] + other["threats"]))[0, 1] > 0.9
    with pytest.raises(InvalidInput) as refused:
        model.predict_proba(other.drop(columns="threats"))
    assert refused.value.problems[0].code == "risk.absent_numeric"


def test_transfer_needs_groups_and_the_command_line_offers_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mineaction.cli import main

    frame = districts(400, seed=9)
    with pytest.raises(InvalidInput) as refused:
        train(frame, TrainOptions(target="label", lon="lon", lat="lat", transfer=True))
    assert refused.value.problems[0].code == "risk.transfer_needs_groups"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINEACTION_DB", raising=False)
    frame.to_csv(tmp_path / "cells.csv", index=False)
    assert main(["risk", "train", "--table", "cells.csv", "--target", "label", "--lon", "lon",
                 "--lat", "lat", "--groups", "district", "--folds", "3", "--transfer",
                 "-o", "t.model"]) == 0
    assert "mean ROC AUC" in capsys.readouterr().out
    side = json.loads((tmp_path / "t.model.json").read_text())
    assert side["calibration"]["method"] == "platt"  # the default with --transfer
    assert json.loads((tmp_path / "t.model").read_text())["penalty"] == "l1"
    assert main(["risk", "train", "--table", "cells.csv", "--target", "label", "--lon", "lon",
                 "--lat", "lat", "--groups", "district", "--folds", "3", "--transfer",
                 "--penalty", "l2", "-o", "r.model"]) == 0
    assert json.loads((tmp_path / "r.model").read_text())["penalty"] == "l2"


def test_the_l1_penalty_sets_features_that_add_nothing_to_zero(tmp_path: Path) -> None:
    from mineaction.risk.transfer import LinearModel

    frame = districts(900, seed=3)
    rng = np.random.default_rng(3)
    noise = [f"noise{i}" for i in range(8)]
    frame = frame.assign(**{c: rng.normal(size=len(frame)) for c in noise})
    options = dict(target="label", lon="lon", lat="lat", groups="district", folds=3,
                   transfer=True, calibration="platt")
    l1 = train(frame, TrainOptions(**options))
    l2 = train(frame, TrainOptions(**options, penalty="l2"))
    coef = {p: dict(zip(d.model.features, d.model.booster.coef, strict=True))
            for p, d in (("l1", l1), ("l2", l2))}
    assert all(v != 0 for v in coef["l2"].values())  # ridge shrinks, keeps every feature
    assert any(coef["l1"][c] == 0 for c in noise)  # L1 sets some noise to exactly nothing
    assert coef["l1"]["road_km"] < 0 and coef["l1"]["share: attacks"] > 0  # the signal stays
    # the stronger the penalty, the more features weigh 0: at C 0.02, all the noise
    X = frame[["road_km", *noise]].to_numpy()
    strong = LinearModel.fit(X, frame["label"].to_numpy(float), C=0.02)
    assert strong.coef[0] < 0 and np.all(strong.coef[1:] == 0)
    assert np.all(LinearModel.fit(X, frame["label"].to_numpy(float), C=0.02,
                                  penalty="l2").coef != 0)
    kept = l1.card["model"]["features_kept"]
    assert kept == sum(v != 0 for v in coef["l1"].values()) < len(l1.model.features)
    assert l1.card["model"]["params"] == {"C": 0.2, "penalty": "l1"}
    assert l2.card["model"]["params"] == {"C": 0.1, "penalty": "l2"}
    from mineaction.risk import card
    card.write(tmp_path / "m", l1.card)
    assert f"Its L1 penalty kept {kept} of {len(l1.model.features)} features" in \
        card_paths(tmp_path / "m")[0].read_text()
    # a model written before the penalty was recorded is read as the ridge one it was
    l1.model.save(tmp_path / "old.model")
    written = json.loads((tmp_path / "old.model").read_text())
    assert written["penalty"] == "l1"
    del written["penalty"]
    (tmp_path / "old.model").write_text(json.dumps(written))
    old = LinearModel.load(tmp_path / "old.model")
    assert old is not None and old.penalty == "l2"
    assert np.array_equal(old.coef, l1.model.booster.coef)
    with pytest.raises(ValueError, match="penalty"):
        LinearModel.fit(np.ones((4, 1)), np.array([0, 1, 0, 1.0]), penalty="l3")

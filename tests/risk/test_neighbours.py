"""``--smooth-km``: a row's probability as the mean over the table's rows around it,
recounted here by brute force with pyproj's geodesic distances and pandas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
from sklearn.metrics import roc_auc_score

from mineaction.errors import InvalidInput
from mineaction.risk.neighbours import coordinates, neighbour_mean


def geodesic_matrix(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    geod = pyproj.Geod(ellps="WGS84")
    n = len(lon)
    i, j = np.triu_indices(n, 1)
    _f, _b, d = geod.inv(lon[i], lat[i], lon[j], lat[j])
    out = np.zeros((n, n))
    out[i, j] = out[j, i] = d
    return out


def test_the_mean_is_over_the_rows_within_the_distance_measured_on_the_ellipsoid() -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(50.4, 50.9, 400), rng.uniform(41.0, 41.4, 400)
    p = rng.uniform(size=400)
    km = 4.0
    got, count = neighbour_mean(lon, lat, p, km)
    d = geodesic_matrix(lon, lat)
    # pairs within 0.5 % of the radius may fall either side (the plane is not the ellipsoid)
    clear = ~(np.abs(d - km * 1000) < 5.0 * km).any(axis=1)
    assert clear.sum() > 300
    within = d <= km * 1000
    assert (within.sum(axis=1) < 64).all()  # the cap is not reached here
    expected = (within * p).sum(axis=1) / within.sum(axis=1)
    assert np.allclose(got[clear], expected[clear], rtol=0, atol=1e-12)
    assert np.array_equal(count[clear], within.sum(axis=1)[clear])
    assert (count >= 1).all()  # a row is always its own neighbour
    same, ones = neighbour_mean(lon, lat, p, 0.0)
    assert np.array_equal(same, p) and (ones == 1).all()
    # a cap of 10: the 10 nearest rows, wherever the 10th and 11th are told apart
    capped, n = neighbour_mean(lon, lat, p, 50.0, k=10)
    assert (n == 10).all()
    order = np.sort(d, axis=1)
    apart = order[:, 10] - order[:, 9] > 0.01 * order[:, 10]
    nearest = np.argsort(d, axis=1)[:, :10]
    assert apart.sum() > 100
    assert np.allclose(capped[apart], p[nearest].mean(axis=1)[apart], atol=1e-12)


def test_coordinates_are_checked_and_bad_rows_named() -> None:
    frame = pd.DataFrame({"x": [50.5, 200.0, 50.6], "y": [41.0, 41.1, "north"]})
    with pytest.raises(InvalidInput) as refused:
        coordinates(frame, "x", "y")
    assert [(p.where, p.code) for p in refused.value.problems] == [
        ("row 3", "risk.bad_coordinates"), ("row 4", "risk.bad_coordinates")]
    with pytest.raises(InvalidInput) as absent:
        coordinates(frame, "lon", "y")
    assert absent.value.problems[0].code == "risk.no_column"


def smooth_by_hand(frame: pd.DataFrame, p: np.ndarray, km: float) -> np.ndarray:
    d = geodesic_matrix(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    within = d <= km * 1000
    return (within * p).sum(axis=1) / within.sum(axis=1)


def test_predict_and_evaluate_smooth_over_the_whole_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mineaction.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MINEACTION_DB", raising=False)
    rng = np.random.default_rng(11)
    n = 500
    lon, lat = rng.uniform(50.4, 50.8, n), rng.uniform(41.0, 41.3, n)
    # risk rises smoothly towards a point at sea; the feature sees it through noise
    dist = np.hypot((lon - 50.6) * 84, (lat - 41.15) * 111)
    feature = dist + rng.normal(0, 6, n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(0.35 * (dist - 10)))).astype(int)
    y[::5] = -1  # unknown labels: scored nowhere, yet neighbours of the others
    frame = pd.DataFrame({"lon": lon, "lat": lat, "feature": feature, "label": y})
    frame.to_csv("cells.csv", index=False)
    assert main(["risk", "train", "--table", "cells.csv", "--target", "label", "--lon", "lon",
                 "--lat", "lat", "--block-km", "10", "--folds", "3", "--trees", "30",
                 "-o", "m.model"]) == 0
    capsys.readouterr()
    assert main(["risk", "predict", "--model", "m.model", "--table", "cells.csv",
                 "--smooth-km", "3", "-o", "p.csv"]) == 0
    assert "p.csv" in capsys.readouterr().out
    got = pd.read_csv("p.csv")
    assert got["feature"].tolist() == frame["feature"].tolist()
    d = geodesic_matrix(lon, lat)
    clear = ~(np.abs(d - 3000) < 15).any(axis=1)
    by_hand = smooth_by_hand(frame, got["probability_cell"].to_numpy(), 3.0)
    assert np.allclose(got["probability"][clear], by_hand[clear], atol=2e-6)
    assert (got["neighbours"] >= 1).all() and got["neighbours"].max() > 5

    assert main(["risk", "evaluate", "--model", "m.model", "--table", "cells.csv",
                 "--target", "label", "--smooth-km", "3"]) == 0
    found = json.loads(capsys.readouterr().out)
    known = y >= 0
    assert found["rows"] == int(known.sum()) and found["smooth_km"] == 3.0
    cell = got["probability_cell"].to_numpy()
    assert found["roc_auc_cell"] == pytest.approx(roc_auc_score(y[known], cell[known]),
                                                  abs=1e-3)
    smoothed = got["probability"].to_numpy()
    assert found["roc_auc"] == pytest.approx(roc_auc_score(y[known], smoothed[known]),
                                             abs=1e-3)
    assert found["roc_auc"] > found["roc_auc_cell"]  # the noise averages out
    assert main(["risk", "evaluate", "--model", "m.model", "--table", "cells.csv",
                 "--target", "label"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["roc_auc"] == found["roc_auc_cell"] and "smooth_km" not in plain

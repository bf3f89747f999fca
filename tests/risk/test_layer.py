"""The feature layers' indexes (points in a k-d tree, lines cut into segments, polygons in an
STRtree) give the distances and counts that a brute-force loop over every geometry gives."""

from __future__ import annotations

import numpy as np
import shapely

from mineaction.risk.features import FAR_M, Layer


def test_nearest_and_counts_equal_a_brute_force_loop() -> None:
    rng = np.random.default_rng(4)
    points = list(shapely.points(rng.uniform(0, 20_000, (40, 2))))
    lines = [shapely.linestrings(np.cumsum(rng.normal(0, 900, (12, 2)), axis=0) + c)
             for c in rng.uniform(0, 20_000, (5, 2))]
    lines.append(shapely.multilinestrings([lines[0], shapely.linestrings([[0, 0], [5, 5]])]))
    polygons = [shapely.box(x, y, x + w, y + h) for x, y, w, h in
                np.c_[rng.uniform(0, 20_000, (8, 2)), rng.uniform(50, 2_000, (8, 2))]]
    polygons.append(shapely.Polygon([(0, 0), (3000, 0), (0, 3000)]).buffer(400))
    everything = np.array(points + lines + polygons, dtype=object)
    xy = rng.uniform(-5_000, 25_000, (3000, 2))
    xy[:3] = [[0, 0], [1e7, 1e7], [2.5, 2.5]]  # on a line, far from all, on the cut-off line
    pts = shapely.points(xy)
    weights = rng.integers(1, 9, len(everything)).astype(float)
    for geoms, w in ((np.array(points, dtype=object), None),
                     (np.array(lines, dtype=object), None),
                     (np.array(polygons, dtype=object), None),
                     (everything, None), (everything, weights),
                     (np.array([], dtype=object), None)):
        layer = Layer(geoms, w)
        d = (shapely.distance(pts[:, None], geoms[None, :]) if len(geoms)
             else np.full((len(pts), 1), np.inf))
        expected = np.minimum(d.min(axis=1), FAR_M)
        assert np.allclose(layer.nearest(pts, xy), expected, rtol=0, atol=1e-6)
        for metres in (500.0, 1000.0):
            within = d <= metres
            count = (within * (1.0 if w is None else w)).sum(axis=1)
            assert np.array_equal(layer.count(pts, xy, metres), count)
    assert Layer(np.array(points, dtype=object)).points is not None  # points took the k-d tree
    assert Layer(np.array(lines, dtype=object)).segments is not None

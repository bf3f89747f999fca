"""A cell's risk as the mean of the model's probabilities around it (``risk predict
--smooth-km``, ``risk evaluate --smooth-km``).

A model scores each cell from that cell's features alone, and the features of one cell are
noisy. Mines are laid in fields and along lines, so the land within a few kilometres of a cell
says as much about it as the cell itself. :func:`neighbour_mean` replaces each row's
probability by the mean of the probabilities of the rows of the same table within ``km`` of
it (itself included; at most :data:`MAX_NEIGHBOURS` nearest), distances in metres on a local
azimuthal equidistant plane (:func:`mineaction.risk.validation.local_xy`). It reads no label:
pass the whole table of the region, labelled or not, so each cell has its neighbours.

Measured on the RELand grid (docs/risk.md): over the transfer folds, averaging within 4 km
raised the mean ROC AUC of ``risk train --transfer`` in every split of the training region
into regions tried (4, 3 and 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mineaction.errors import InvalidInput, Problem
from mineaction.messages import Note
from mineaction.risk import validation

#: At most this many nearest rows are averaged (bounds the cost on fine grids).
MAX_NEIGHBOURS = 64
#: How many rows with bad coordinates are named in one error.
MAX_PROBLEMS = 20


def coordinates(frame: pd.DataFrame, lon: str, lat: str
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The rows' longitude and latitude, refused (naming the rows) when a column is absent or
    a value is not a longitude and latitude (rows are named by their line in the file: row 2
    is the first after the header)."""
    for c in (lon, lat):
        if c not in frame.columns:
            raise InvalidInput([Problem.of("table", c, "risk.no_column", column=c)])
    x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
    wrong = ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
    if wrong.any():
        raise InvalidInput([Problem.of(Note("input.where_row", number=i + 2), lon,
                                       "risk.bad_coordinates", lon=str(frame[lon].iloc[i]),
                                       lat=str(frame[lat].iloc[i]))
                            for i in np.flatnonzero(wrong)[:MAX_PROBLEMS]])
    return x, y


def neighbour_mean(lon: NDArray[np.float64], lat: NDArray[np.float64],
                   p: NDArray[np.float64], km: float, *, k: int = MAX_NEIGHBOURS
                   ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Each row's mean of ``p`` over the rows within ``km`` (itself included, at most ``k``
    nearest), and how many rows each mean is of. ``km`` 0 returns ``p`` unchanged."""
    from scipy.spatial import cKDTree

    p = np.asarray(p, dtype=float)
    n = len(p)
    if km <= 0 or n == 0:
        return p.copy(), np.ones(n, dtype=np.int64)
    x, y = validation.local_xy(lon, lat)
    xy = np.c_[x, y]
    d, j = cKDTree(xy).query(xy, k=min(k, n), distance_upper_bound=km * 1000.0)
    d, j = d.reshape(n, -1), j.reshape(n, -1)
    near = np.isfinite(d)
    values = np.where(near, p[np.where(near, j, 0)], 0.0)
    count = near.sum(axis=1)
    return values.sum(axis=1) / count, count.astype(np.int64)

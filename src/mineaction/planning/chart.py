"""The fan chart of a forecast: land released per year, P10-P90 band and P50 line for each
scenario, the record's own years as bars, and annual targets as lines."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mineaction.planning.forecast import Forecast

KM2 = 1e6
COLOURS = ("#1f5f99", "#c0392b", "#2e8b57", "#8e44ad", "#d35400")


def fan_chart(forecasts: Sequence[Forecast], history: dict[int, float], paths: Sequence[Path],
              *, title: str, targets: Sequence[tuple[str, float]] = (), years: int = 25,
              synthetic: bool = False, locale: str = "en") -> list[Path]:
    """Draw the chart once and write it to each of ``paths`` (PNG, PDF: by suffix), its words
    in ``locale``."""
    import matplotlib

    from mineaction.messages import speaker

    said = speaker(locale)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5.5))
    if history:
        ys = sorted(history)
        ax.bar(ys, [history[y] / KM2 for y in ys], color="#999999", width=0.7,
               label=said("planning.chart_record"))
    for k, fc in enumerate(forecasts):
        n = min(years, len(fc.years))
        x = np.array(fc.years[:n])
        q = np.percentile(fc.released[:, :n], (10, 50, 90), axis=0) / KM2
        c = COLOURS[k % len(COLOURS)]
        ax.fill_between(x, q[0], q[2], color=c, alpha=0.2, label=f"{fc.scenario}: P10-P90")
        ax.plot(x, q[1], color=c, lw=2, label=f"{fc.scenario}: P50")
    for label, value in targets:
        ax.axhline(value / KM2, color="black", ls="--", lw=1)
        ax.annotate(label, (ax.get_xlim()[0], value / KM2), va="bottom", fontsize=8)
    ax.set_xlabel(said("planning.chart_year"))
    ax.set_ylabel(textwrap.fill(said("planning.chart_released"), 45))  # long in some languages
    ax.set_title(said("planning.chart_synthetic", title=title) if synthetic else title)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = []
    for p in paths:
        fig.savefig(p, dpi=150)
        out.append(p)
    plt.close(fig)
    return out

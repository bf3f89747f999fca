"""Charts as SVG (matplotlib), so one drawing serves the web page and the PDF."""

from __future__ import annotations

import io
import textwrap

from mineaction.reports.model import Chart


def svg(chart: Chart, width_in: float = 7.5, height_in: float | None = None) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(chart.categories), 1)
    if height_in is None:
        height_in = max(2.6, min(7.0, 0.9 + 0.28 * n)) if chart.horizontal else 3.4
    fig, ax = plt.subplots(figsize=(width_in, height_in))
    try:
        positions = [float(i) for i in range(len(chart.categories))]
        bottoms = [0.0] * len(positions)
        names = list(chart.series)
        width = 0.8 if chart.stacked or len(names) == 1 else 0.8 / len(names)
        for i, name in enumerate(names):
            values = [float(v or 0) for v in chart.series[name]]
            if chart.stacked or len(names) == 1:
                pos, base = positions, bottoms
            else:
                pos = [p - 0.4 + width * (i + 0.5) for p in positions]
                base = [0.0] * len(positions)
            if chart.horizontal:
                ax.barh(pos, values, height=width, left=base, label=name)
            else:
                ax.bar(pos, values, width=width, bottom=base, label=name)
            if chart.stacked:
                bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        if chart.horizontal:
            ax.set_yticks(positions, chart.categories, fontsize=8)
            ax.invert_yaxis()
            ax.set_xlabel(chart.unit)
        else:
            ax.set_xticks(positions, chart.categories, fontsize=8,
                          rotation=45 if n > 8 else 0, ha="right" if n > 8 else "center")
            ax.set_ylabel(chart.unit)
        ax.set_title(chart.title, fontsize=11)
        if len(names) > 1:  # beside the plot, never over the bars
            ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.spines[["top", "right"]].set_visible(False)
        lines = textwrap.wrap(chart.source, 125)
        fig.text(0.01, 0.01, "\n".join(lines), fontsize=6.5, color="#444444", va="bottom")
        fig.tight_layout(rect=(0, min(0.4, (0.12 * len(lines) + 0.06) / height_in), 1, 1))
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    finally:
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]

"""Charts as SVG (matplotlib), so one drawing serves the web page and the PDF."""

from __future__ import annotations

import io
import textwrap

from mineaction.messages import render
from mineaction.reports.model import Chart

#: Hatching of a bar whose count is hidden: 'fewer than N' and 'N or more'.
HATCH = {"fewer": "////", "more": "xxx"}


def _hidden(mark: str) -> tuple[str, int]:
    """('fewer', N) for '<N', ('more', N) for '>=N'."""
    if mark.startswith("<"):
        return "fewer", int(mark[1:])
    return "more", int(mark.removeprefix(">="))


def svg(chart: Chart, width_in: float = 7.5, height_in: float | None = None,
        locale: str = "en") -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    n = max(len(chart.categories), 1)
    if height_in is None:
        height_in = max(2.6, min(7.0, 0.9 + 0.28 * n)) if chart.horizontal else 3.4
    fig, ax = plt.subplots(figsize=(width_in, height_in))
    try:
        positions = [float(i) for i in range(len(chart.categories))]
        bottoms = [0.0] * len(positions)
        names = list(chart.series)
        width = 0.8 if chart.stacked or len(names) == 1 else 0.8 / len(names)
        hidden_kinds: dict[str, int] = {}
        for i, name in enumerate(names):
            marks = chart.marks.get(name) or [""] * len(positions)
            values = [0.0 if m else float(v or 0) for v, m in zip(chart.series[name], marks,
                                                                  strict=True)]
            if chart.stacked or len(names) == 1:
                pos, base = positions, bottoms
            else:
                pos = [p - 0.4 + width * (i + 0.5) for p in positions]
                base = [0.0] * len(positions)
            bar = ax.barh if chart.horizontal else ax.bar
            size = {"height": width} if chart.horizontal else {"width": width}
            at = {"left": base} if chart.horizontal else {"bottom": base}
            drawn = bar(pos, values, label=name, **size, **at)  # type: ignore[arg-type]
            colour = drawn.patches[0].get_facecolor() if drawn.patches else "#555555"
            for k, mark in enumerate(marks):
                if not mark:
                    continue
                # A hidden count is never drawn at its height (or at 0): a hatched box up to
                # the threshold, labelled '<5', or cross-hatched and labelled '≥5' for an 'x'.
                kind, limit = _hidden(mark)
                hidden_kinds[kind] = limit
                one = {"height": width} if chart.horizontal else {"width": width}
                where = {"left": base[k]} if chart.horizontal else {"bottom": base[k]}
                bar([pos[k]], [limit], facecolor="white", edgecolor=colour, linewidth=0.8,
                    hatch=HATCH[kind], **one, **where)  # type: ignore[arg-type]
                tip = base[k] + limit
                text = "<" + str(limit) if kind == "fewer" else f"≥{limit}"
                if chart.horizontal:
                    ax.text(tip, pos[k], " " + text, va="center", ha="left", fontsize=6.5,
                            color=colour)
                else:
                    ax.text(pos[k], tip, text, va="bottom", ha="center", fontsize=6.5,
                            color=colour)
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
        handles, labels = ax.get_legend_handles_labels()
        for kind, limit in hidden_kinds.items():
            handles.append(Patch(facecolor="white", edgecolor="#444444", hatch=HATCH[kind]))
            labels.append(render("report.chart_key_fewer" if kind == "fewer" else
                                 "report.chart_key_more", {"limit": limit}, locale))
        if len(names) > 1 or hidden_kinds:  # beside the plot, never over the bars
            ax.legend(handles, labels, fontsize=8, frameon=False, loc="upper left",
                      bbox_to_anchor=(1.01, 1.0))
        ax.spines[["top", "right"]].set_visible(False)
        lines = textwrap.wrap(" ".join([chart.source.rstrip(".") + ".", *chart.notes])
                              if chart.notes else chart.source, 125)
        fig.text(0.01, 0.01, "\n".join(lines), fontsize=6.5, color="#444444", va="bottom")
        fig.tight_layout(rect=(0, min(0.4, (0.12 * len(lines) + 0.06) / height_in), 1, 1))
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    finally:
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]

"""A sashimi-style PNG of one gene's junctions (IKZF1 by default).

Exons are drawn at their true widths, introns shrunk to a fixed width so the 100 kb of IKZF1 fit
one figure. Bars above each exon show its mean depth; arcs join the exons a junction connects,
canonical junctions above the axis in grey, aberrant ones (exon skipping etc.) below it in red,
each labelled with its fragment count (and transcript fraction for aberrant ones).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Arc, Rectangle  # noqa: E402

INTRON_WIDTH = 0.35  # of the median exon width, in plot units


def _layout(coverage: pd.DataFrame) -> dict[int, tuple[float, float]]:
    """Plot x-range of each exon, in transcription order left to right."""
    widths = np.sqrt(coverage["length"].to_numpy(dtype=float))  # keep exon 8 from dominating
    gap = INTRON_WIDTH * float(np.median(widths))
    x = 0.0
    spans = {}
    for exon, width in zip(coverage["exon"], widths, strict=True):
        spans[int(exon)] = (x, x + width)
        x += width + gap
    return spans


def plot_sashimi(
    junctions: pd.DataFrame,
    coverage: pd.DataFrame,
    path: str | Path,
    gene: str = "IKZF1",
    title: str = "",
    min_fragments: int = 1,
) -> Path:
    """Write the PNG for `gene` from a junction table and an exon-coverage table."""
    coverage = coverage[coverage["gene"] == gene].sort_values("exon")
    junctions = junctions[
        (junctions["gene"] == gene)
        & junctions["from_exon"].notna()
        & junctions["to_exon"].notna()
        & (junctions["fragments"] >= min_fragments)
    ]
    spans = _layout(coverage)
    depth = coverage["mean_depth"].to_numpy(dtype=float)
    top = float(depth.max()) if depth.size and depth.max() > 0 else 1.0
    fig, ax = plt.subplots(figsize=(10, 4), dpi=120)
    for (exon, (x0, x1)), value in zip(spans.items(), depth, strict=True):
        ax.add_patch(Rectangle((x0, -0.06), x1 - x0, 0.12, color="#1f3b73"))
        ax.add_patch(Rectangle((x0, 0.08), x1 - x0, 0.6 * value / top, color="#8fa8d6"))
        ax.text((x0 + x1) / 2, -0.14, str(exon), ha="center", va="top", fontsize=8)
    ax.plot([0, max(x1 for _, x1 in spans.values())], [0, 0], color="#1f3b73", lw=0.8, zorder=0)
    for row in junctions.itertuples():
        start = spans[int(row.from_exon)][1]
        end = spans[int(row.to_exon)][0]
        canonical = row.junction_class == "canonical"
        height = (0.12 if canonical else 0.35) + 0.08 * (int(row.to_exon) - int(row.from_exon))
        sign = 1 if canonical else -1
        base = 0.72 if canonical else -0.1  # canonical arcs clear the depth bars
        colour = "#7a7a7a" if canonical else "#c0392b"
        width = max(0.6, min(4.0, np.log10(row.fragments + 1) * 1.5))
        angles = (0, 180) if canonical else (180, 360)
        ax.add_patch(
            Arc(((start + end) / 2, base), end - start, 2 * height, theta1=angles[0],
                theta2=angles[1], color=colour, lw=width)
        )  # fmt: skip
        label = str(int(row.fragments))
        if not canonical and pd.notna(row.fraction):
            label += f" ({100 * float(row.fraction):.0f}%)"
        ax.text((start + end) / 2, base + sign * (height + 0.03), label, ha="center",
                va="bottom" if canonical else "top", fontsize=7, color=colour)  # fmt: skip
    ax.set_xlim(-0.5, max(x1 for _, x1 in spans.values()) + 0.5)
    ax.set_ylim(-1.4, 1.6)
    ax.axis("off")
    ax.set_title(title or f"{gene} junctions (grey: canonical, red: aberrant; bars: exon depth)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})  # no version stamp: stable bytes
    plt.close(fig)
    return path

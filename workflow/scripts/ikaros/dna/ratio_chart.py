"""MLPA-like exon ratio chart: IKZF1 and the IKZF1plus genes, one point per exon.

Each exon's copy ratio (2^log2 of its own bins, or of its segment for segment inputs) is
plotted in genomic order within gene blocks; the normal band (the 95% range of a diploid exon
given its own noise, or the MLPA convention 0.8-1.2 when no noise is known) is shaded. Exons
called deleted are red, unresolved orange; dashed lines mark the ratios of a clonal mono-
and biallelic loss when the blast fraction is known. Uses matplotlib's Agg backend (no
display needed).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

CHART_GENES = ("IKZF1", "CDKN2A", "CDKN2B", "PAX5", "ERG", "CSF2RA", "IL3RA", "SLC25A6",
               "ASMTL", "P2RY8")  # fmt: skip
MLPA_BAND = (0.8, 1.2)
COLOURS = {"deleted": "#c0392b", "unresolved": "#e67e22"}


def chart_rows(exons: pd.DataFrame, genes=CHART_GENES) -> pd.DataFrame:
    """The exons to plot, in gene order then genomic order, with ratio and band limits."""
    rows = exons[exons["gene"].isin(genes)].copy()
    rows["gene_order"] = rows["gene"].map({g: k for k, g in enumerate(genes)})
    rows = rows.sort_values(["gene_order", "start"], kind="stable").reset_index(drop=True)
    log2 = rows["exon_log2"].astype(float)
    rows["ratio"] = np.power(2.0, log2)
    se = rows["exon_se"].astype(float)
    has_se = np.isfinite(se) & (rows["exon_bins"].astype(int) > 0)
    rows["band_low"] = np.where(has_se, np.power(2.0, -1.96 * se), MLPA_BAND[0])
    rows["band_high"] = np.where(has_se, np.power(2.0, 1.96 * se), MLPA_BAND[1])
    return rows


def exon_ratio_chart(
    exons: pd.DataFrame,
    path: str | Path,
    title: str,
    blast_fraction: float | None = None,
) -> pd.DataFrame:
    """Draw the chart to ``path`` (PNG); returns the plotted rows."""
    rows = chart_rows(exons)
    width = max(6.0, 0.22 * len(rows) + 2.0)
    fig, ax = plt.subplots(figsize=(width, 4.0), dpi=100)
    x = np.arange(len(rows))
    # One polygon for all exons' bands (a step per exon): one artist, not one per exon.
    edges = np.column_stack([x - 0.5, x + 0.5]).ravel()
    ax.fill_between(edges, np.repeat(rows["band_low"].to_numpy(dtype=float), 2),
                    np.repeat(rows["band_high"].to_numpy(dtype=float), 2),
                    color="#2e86c1", alpha=0.18, linewidth=0)  # fmt: skip
    colours = [COLOURS.get(state, "#222222") for state in rows["state"]]
    ratio = rows["ratio"].to_numpy(dtype=float)
    shown = np.isfinite(ratio)
    ax.scatter(x[shown], np.clip(ratio[shown], 0.0, 2.0), c=np.array(colours)[shown], s=18,
               zorder=3)  # fmt: skip
    ax.axhline(1.0, color="#555555", linewidth=0.8)
    if blast_fraction is not None and np.isfinite(blast_fraction):
        for level, label in ((1 - blast_fraction / 2, "mono"), (1 - blast_fraction, "bi")):
            ax.axhline(level, color="#888888", linestyle="--", linewidth=0.7)
            ax.text(len(rows) - 0.4, level, label, va="center", fontsize=7, color="#666666")
    labels = [
        f"{g} {int(e)}" if pd.notna(e) else g
        for g, e in zip(rows["gene"], rows["exon"], strict=True)
    ]
    # Exon labels as plain text under the axis: one tick object per exon (each with its own
    # lines and texts) would cost more than the rest of the chart.
    ax.set_xticks([])
    under = ax.get_xaxis_transform()
    for k, label in enumerate(labels):
        ax.text(k, -0.01, label, transform=under, rotation=90, ha="center", va="top", fontsize=6)
    boundaries = np.nonzero(rows["gene"].to_numpy()[1:] != rows["gene"].to_numpy()[:-1])[0]
    for b in boundaries:
        ax.axvline(b + 0.5, color="#bbbbbb", linewidth=0.6)
    ax.set_xlim(-0.7, max(len(rows) - 0.3, 0.5))
    ax.set_ylim(0.0, 2.0)
    ax.set_ylabel("copy ratio")
    ax.set_title(title, fontsize=9)
    # Fixed margins in inches (room for the rotated exon labels): tight_layout would draw
    # the whole figure once more just to measure them.
    fig.subplots_adjust(left=0.7 / width, right=1 - 0.25 / width, bottom=0.85 / 4.0, top=0.92)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return rows

"""Figures of the relapse analysis, PNG and PDF, readable in black and white.

Groups are told apart by line style and marker (curves) or hatching (bars), never by colour
alone; curves are also coloured from the Okabe-Ito palette, which colour-blind readers can tell
apart (Okabe & Ito 2008, "Color Universal Design"). Legends sit beside the plot, never over
the curves. PDFs carry no creation date, so reruns give identical files.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ikaros.competing_risks import CumincResult  # noqa: E402
from ikaros.relapse.outcomes import RELAPSE  # noqa: E402
from ikaros.relapse.tables import log_log_ci  # noqa: E402

LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
MARKERS = ("o", "s", "^", "D", "v", "x")
GREYS = ("black", "0.35", "0.55", "0.2", "0.45", "0.65")
# Okabe-Ito: black, blue, vermillion, bluish green, orange, reddish purple
CURVE_COLOURS = ("#000000", "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7")
HATCHES = ("", "///", "...", "xx", "\\\\", "oo")
ONCOPRINT_ROWS = (
    ("IKZF1 del4-7", "ikzf1_class", "del4-7"),
    ("IKZF1 other deletion", "ikzf1_other_deletion", None),
    ("CDKN2A", "cdkn2a", None),
    ("CDKN2B", "cdkn2b", None),
    ("PAX5", "pax5", None),
    ("PAR1", "par1", None),
    ("ERG", "erg", None),
    ("IKZF1plus", "ikzf1plus", None),
)


def save(figure, stem: str | Path) -> list[Path]:
    """Write stem.png and stem.pdf; return both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    figure.savefig(paths[0], dpi=150, metadata={"Software": None})
    figure.savefig(paths[1], metadata={"CreationDate": None, "Creator": None, "Producer": None})
    plt.close(figure)
    return paths


def at_risk_counts(time: np.ndarray, group: np.ndarray, levels, ticks) -> pd.DataFrame:
    """Patients still followed (time >= tick) per group at each tick."""
    return pd.DataFrame(
        {lv: [int(((group == lv) & (time >= t)).sum()) for t in ticks] for lv in levels},
        index=list(ticks),
    ).T


def cir_figure(
    fit: CumincResult,
    time: np.ndarray,
    group: np.ndarray,
    levels,
    title: str,
    horizon: float,
    stem: str | Path,
    gray_p: float | None = None,
    bands: float | None = None,
) -> list[Path]:
    """Cumulative incidence of relapse per group, numbers at risk beneath (aligned with the
    time axis), Gray's P in the legend's title; with `bands` (a confidence level, e.g. 0.95)
    each curve's pointwise log(-log) confidence band, shaded."""
    return save(draw_cir(fit, time, group, levels, title, horizon, gray_p, bands), stem)


def draw_cir(fit, time, group, levels, title, horizon, gray_p=None, bands=None):
    """The figure of `cir_figure`, not yet saved."""
    present = [lv for lv in levels if lv in set(group)]
    present += sorted(set(group) - set(present))
    xmax = float(np.ceil(min(time.max(), 3 * horizon)))
    step = 1.0 if xmax <= 10 else 2.0
    ticks = np.arange(0.0, xmax + 1e-9, step)
    figure, (ax, table_ax) = plt.subplots(
        2, 1, figsize=(8.5, 4.6 + 0.28 * len(present)),
        height_ratios=[4, 0.4 + 0.28 * len(present)], sharex=True,
    )  # fmt: skip
    single = len(fit.groups) == 1
    for k, level in enumerate(present):
        key = (fit.groups[0] if single else level, RELAPSE)
        if key not in fit.curves:
            # No relapse anywhere in the data: cuminc has no relapse curve, the CIR is 0.
            ax.plot(
                [0.0, min(float(time[group == level].max()), xmax)],
                [0.0, 0.0],
                linestyle=LINE_STYLES[k % len(LINE_STYLES)],
                color=CURVE_COLOURS[k % len(CURVE_COLOURS)],
                linewidth=1.8,
                label=f"{level} (n={int((group == level).sum())})",
            )
            continue
        curve = fit.curves[key]
        keep = curve.time <= xmax
        ax.plot(
            curve.time[keep],
            curve.estimate[keep],
            linestyle=LINE_STYLES[k % len(LINE_STYLES)],
            color=CURVE_COLOURS[k % len(CURVE_COLOURS)],
            linewidth=1.8,
            label=f"{level} (n={int((group == level).sum())})",
        )
        if bands is not None:
            lower, upper = log_log_ci(curve.estimate[keep], np.sqrt(curve.variance[keep]), bands)
            ax.fill_between(curve.time[keep], np.nan_to_num(lower), np.nan_to_num(upper),
                            step="post", color=CURVE_COLOURS[k % len(CURVE_COLOURS)],
                            alpha=0.15, linewidth=0)  # fmt: skip
        ends = curve.jump_times <= xmax
        if ends.any():
            ax.plot(
                curve.jump_times[ends][-1:],
                curve.jump_estimates[ends][-1:],
                marker=MARKERS[k % len(MARKERS)],
                color=CURVE_COLOURS[k % len(CURVE_COLOURS)],
                linestyle="none",
            )
    ax.axvline(horizon, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, max(0.1, min(1.0, ax.get_ylim()[1])))
    ax.set_xticks(ticks)
    ax.set_ylabel("Cumulative incidence of relapse")
    ax.set_xlabel("Years from diagnosis")
    ax.set_title(title)
    p_text = None
    if gray_p is not None and np.isfinite(gray_p):
        p_text = "Gray's P < 0.001" if gray_p < 0.001 else f"Gray's P = {gray_p:#.2g}"
    # beside the plot, so that it never covers a curve
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0), handlelength=3,
              title=p_text, alignment="left")  # fmt: skip
    counts = at_risk_counts(time, group, present, ticks)
    table_ax.set_ylim(-0.5, len(present) - 0.5)
    table_ax.axis("off")
    for k, level in enumerate(present):
        y = len(present) - 1 - k
        table_ax.text(-0.06 * xmax, y, level, ha="right", va="center", fontsize=7)
        for t, n in zip(ticks, counts.loc[level], strict=True):
            table_ax.text(t, y, str(n), ha="center", va="center", fontsize=7)
    table_ax.set_title("Number at risk", fontsize=8, loc="left")
    ax.tick_params(labelbottom=True)  # shared x: keep the year labels on the curves' axis
    figure.tight_layout()
    return figure


def forest_figure(rows: pd.DataFrame, title: str, stem: str | Path) -> list[Path]:
    """Forest plot of one Fine-Gray model (finegray.tsv rows of that model)."""
    rows = rows.reset_index(drop=True)
    n = len(rows)
    figure, ax = plt.subplots(figsize=(8, 0.9 + 0.32 * n))
    y = np.arange(n)[::-1]
    labels = []
    for k, row in rows.iterrows():
        is_reference = row["note"] == "reference"
        labels.append(f"{row['term']}: {row['level']}" + (" (ref.)" if is_reference else ""))
        if is_reference:
            ax.plot([1.0], [y[k]], marker="o", markerfacecolor="white", color="black")
            continue
        if pd.notna(row["shr"]):
            ax.plot([row["ci_lower"], row["ci_upper"]], [y[k], y[k]], color="black", linewidth=1.2)
            ax.plot([row["shr"]], [y[k]], marker="s", color="black")
            ax.text(
                1.02,
                y[k],
                f"{row['shr']:.2f} ({row['ci_lower']:.2f}-{row['ci_upper']:.2f})",
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=7,
            )
    ax.axvline(1.0, color="0.5", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("Subdistribution hazard ratio (95% CI), log scale")
    ax.set_title(title, fontsize=9)
    figure.tight_layout()
    return save(figure, stem)


def alteration_bar_figure(frequency: pd.DataFrame, stem: str | Path) -> list[Path]:
    """Percentage of patients with IKZF1 del4-7 / other deletions per subtype (stacked)."""
    klass = frequency[frequency["section"] == "IKZF1 class"]
    subtypes = [s for s in klass["subtype"].drop_duplicates() if s != "all"] + ["all"]
    figure, ax = plt.subplots(figsize=(max(5, 0.7 * len(subtypes) + 2), 4))
    bottom = np.zeros(len(subtypes))
    for k, level in enumerate(("del4-7", "other deletion")):
        values = [
            float(klass.loc[(klass["subtype"] == s) & (klass["level"] == level), "percent"].sum())
            for s in subtypes
        ]
        ax.bar(
            subtypes, values, bottom=bottom, color=CURVE_COLOURS[4 if k else 1], edgecolor="black",
            hatch=HATCHES[k + 1] if k else "", label=f"IKZF1 {level}",
        )  # fmt: skip
        bottom += values
    denominators = [
        int(klass.loc[klass["subtype"] == s, "denominator"].iloc[0]) if s in set(klass["subtype"])
        else 0
        for s in subtypes
    ]  # fmt: skip
    for x, (top, n) in enumerate(zip(bottom, denominators, strict=True)):
        ax.text(x, top + 1, f"n={n}", ha="center", fontsize=7)
    ax.set_ylabel("Patients with an IKZF1 deletion (%)")
    ax.set_ylim(0, max(10, bottom.max() * 1.15))
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.legend(frameon=False)
    figure.tight_layout()
    return save(figure, stem)


def _altered(values: pd.Series, level) -> np.ndarray:
    """0 none, 1 monoallelic/yes, 2 biallelic."""
    if level is not None:
        return (values.astype(str) == level).to_numpy(int)
    text = values.astype(str).str.lower()
    return np.select(
        [text.isin({"bi"}), text.isin({"mono", "true", "1", "1.0", "yes"})], [2, 1], default=0
    )


def oncoprint_figure(table: pd.DataFrame, subtype_column: str, stem: str | Path) -> list[Path]:
    """Grid of IKZF1 class and co-deletions (rows) by patient, patients grouped by subtype."""
    data = table[table["ikzf1_altered"].notna()].copy()
    data[subtype_column] = data.get(subtype_column, pd.Series("", index=data.index)).fillna("")
    rows = [r for r in ONCOPRINT_ROWS if r[1] in data.columns]
    grid = np.array([_altered(data[column], level) for _, column, level in rows])
    # Subtype first (alphabetical), then altered patients first, row by row.
    subtype_code = pd.factorize(data[subtype_column].astype(str), sort=True)[0]
    order = np.lexsort(tuple(-g for g in grid[::-1]) + (subtype_code,))
    grid = grid[:, order]
    subtypes = data[subtype_column].to_numpy()[order]
    figure, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.6))
    cmap = matplotlib.colors.ListedColormap(["white", "0.55", "black"])
    ax.imshow(grid, aspect="auto", cmap=cmap, vmin=0, vmax=2, interpolation="nearest")
    boundaries = np.flatnonzero(subtypes[1:] != subtypes[:-1]) + 0.5
    for b in boundaries:
        ax.axvline(b, color="black", linewidth=0.8)
    starts = np.concatenate([[-0.5], boundaries])
    ends = np.concatenate([boundaries, [len(subtypes) - 0.5]])
    for s, e in zip(starts, ends, strict=True):
        label = subtypes[int(np.ceil(s))] or "unknown"
        ax.text((s + e) / 2, len(rows) - 0.2, label, rotation=45, ha="right", va="top", fontsize=7)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.set_xticks([])
    ax.set_title(f"IKZF1 class and co-deletions: {grid.shape[1]} patients, grouped by subtype")
    ax.legend(
        handles=[
            Patch(facecolor="0.55", edgecolor="black", label="altered (monoallelic)"),
            Patch(facecolor="black", edgecolor="black", label="biallelic"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.35),
        ncol=2,
        frameon=False,
        fontsize=7,
    )
    figure.tight_layout()
    return save(figure, stem)

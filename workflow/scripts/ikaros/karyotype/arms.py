"""Chromosome arms of a tumour: the log2 level and SNP allele counts of each arm.

Segments (chrom, start, end, log2; 1-based inclusive; from ikaros's own CBS, a SEG file or
CNVkit) are cut at the centromere (p/q boundary of `ikaros.panel_design.CENTROMERES`). An
arm's level is the length-weighted median of the log2 of the segments covering it, and the
arm's ``se`` is the length-weighted mean of the segments' standard errors (empty when the
segments carry none, as SEG files do). The arm is *assessable* when segments cover at least
`min_coverage` of its placeable length (the arm minus the centromere and the assembly gaps of
`ikaros.panel_design.UNPLACEABLE`): the p arms of the acrocentric chromosomes 13, 14, 15, 21
and 22 never are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ikaros.genome import contig_lengths
from ikaros.panel_design import CENTROMERES, UNPLACEABLE

ARM_COLUMNS = (
    "chrom", "arm", "start", "end", "placeable_bp", "covered_bp", "log2", "se", "n_segments",
)  # fmt: skip
SEX_CHROMOSOMES = ("chrX", "chrY")


def arm_bounds(build: str) -> pd.DataFrame:
    """One row per arm: chrom, arm, start, end, placeable_bp (1-based inclusive)."""
    rows = []
    gaps = pd.DataFrame(UNPLACEABLE[build], columns=["chrom", "start", "end"])
    for chrom, length in contig_lengths(build).items():
        acen_start, boundary, acen_end = CENTROMERES[build][chrom]
        for arm, start, end in (("p", 1, acen_start - 1), ("q", acen_end + 1, length)):
            mine = gaps[(gaps["chrom"] == chrom) & (gaps["end"] >= start) & (gaps["start"] <= end)]
            gap_bp = int(
                (np.minimum(mine["end"], end) - np.maximum(mine["start"], start) + 1).sum()
            )
            rows.append((chrom, arm, start, end, max(end - start + 1 - gap_bp, 0)))
    return pd.DataFrame(rows, columns=["chrom", "arm", "start", "end", "placeable_bp"])


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def arm_levels(segments: pd.DataFrame, build: str) -> pd.DataFrame:
    """The ARM_COLUMNS table of one sample's segments (log2 NaN where nothing covers the arm)."""
    rows = []
    for arm in arm_bounds(build).itertuples(index=False):
        mine = segments[
            (segments["chrom"] == arm.chrom)
            & (segments["end"] >= arm.start)
            & (segments["start"] <= arm.end)
        ]
        overlap = (
            np.minimum(mine["end"].to_numpy(), arm.end)
            - np.maximum(mine["start"].to_numpy(), arm.start)
            + 1
        ).astype(float)
        log2 = mine["log2"].to_numpy(dtype=float)
        usable = np.isfinite(log2) & (overlap > 0)
        covered = int(overlap[usable].sum())
        level = _weighted_median(log2[usable], overlap[usable]) if usable.any() else np.nan
        se = (
            mine["se"].to_numpy(dtype=float)[usable]
            if "se" in mine.columns
            else np.full(int(usable.sum()), np.nan)
        )
        known = np.isfinite(se)
        arm_se = (
            float(np.average(se[known], weights=overlap[usable][known])) if known.any() else np.nan
        )
        rows.append(
            (arm.chrom, arm.arm, arm.start, arm.end, arm.placeable_bp,
             min(covered, arm.placeable_bp), level, arm_se, int(usable.sum()))
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(ARM_COLUMNS))


def assign_snps(
    snps: pd.DataFrame, arms: pd.DataFrame, segments: pd.DataFrame, tolerance: float = 0.1
) -> list[pd.DataFrame]:
    """The SNP allele counts of each arm (in the arms' order) that lie in its main segments.

    Main segments are those within `tolerance` log2 of the arm's level: the SNPs of a focal
    gain or loss inside the arm would otherwise blur the arm's allele state.
    """
    out = []
    for arm in arms.itertuples(index=False):
        inside = (snps["chrom"] == arm.chrom) & snps["pos"].between(arm.start, arm.end)
        main = segments[
            (segments["chrom"] == arm.chrom)
            & (segments["end"] >= arm.start)
            & (segments["start"] <= arm.end)
            & ((segments["log2"] - arm.log2).abs() <= tolerance)
        ]
        mine = snps[inside]
        in_main = np.zeros(len(mine), dtype=bool)
        positions = mine["pos"].to_numpy()
        for start, end in zip(main["start"], main["end"], strict=True):
            in_main |= (positions >= start) & (positions <= end)
        out.append(mine.loc[in_main, ["ref_reads", "alt_reads"]])
    return out

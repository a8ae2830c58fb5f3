"""Chromosome arms of a tumour: the log2 level and SNP allele counts of each arm.

Segments (chrom, start, end, log2; 1-based inclusive; from ikaros's own CBS, a SEG file or
CNVkit) are cut at the centromere (p/q boundary of `ikaros.dna.panel_design.CENTROMERES`). An
arm's level is the length-weighted median of the log2 of the segments covering it, and the
arm's ``se`` is the length-weighted mean of the segments' standard errors (empty when the
segments carry none, as SEG files do). The arm is *assessable* when segments cover at least
`min_coverage` of its placeable length (the arm minus the centromere and the assembly gaps of
`ikaros.dna.panel_design.UNPLACEABLE`): the p arms of the acrocentric chromosomes 13, 14, 15, 21
and 22 never are.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from ikaros.dna.panel_design import CENTROMERES, UNPLACEABLE
from ikaros.genome import contig_lengths

ARM_COLUMNS = (
    "chrom", "arm", "start", "end", "placeable_bp", "covered_bp", "log2", "se", "n_segments",
)  # fmt: skip
SEX_CHROMOSOMES = ("chrX", "chrY")


@cache
def _arm_bounds(build: str) -> pd.DataFrame:
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


def arm_bounds(build: str) -> pd.DataFrame:
    """One row per arm: chrom, arm, start, end, placeable_bp (1-based inclusive)."""
    return _arm_bounds(build).copy()


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def _by_chrom(table: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]]:
    """The table's columns as numpy arrays per chromosome (one pass instead of one per arm)."""
    return {
        chrom: {c: group[c].to_numpy() for c in columns}
        for chrom, group in table.groupby("chrom", sort=False)
    }


def arm_levels(segments: pd.DataFrame, build: str) -> pd.DataFrame:
    """The ARM_COLUMNS table of one sample's segments (log2 NaN where nothing covers the arm)."""
    has_se = "se" in segments.columns
    columns = ("start", "end", "log2", "se") if has_se else ("start", "end", "log2")
    by_chrom = _by_chrom(segments, columns)
    rows = []
    for arm in _arm_bounds(build).itertuples(index=False):
        mine = by_chrom.get(arm.chrom)
        level, arm_se, covered, n = np.nan, np.nan, 0, 0
        if mine is not None:
            start, end = mine["start"].astype(np.int64), mine["end"].astype(np.int64)
            overlap = (np.minimum(end, arm.end) - np.maximum(start, arm.start) + 1).astype(float)
            log2 = mine["log2"].astype(float)
            usable = np.isfinite(log2) & (overlap > 0)
            n = int(usable.sum())
            if n:
                covered = int(overlap[usable].sum())
                level = _weighted_median(log2[usable], overlap[usable])
                se = mine["se"].astype(float)[usable] if has_se else np.full(n, np.nan)
                known = np.isfinite(se)
                if known.any():
                    arm_se = float(np.average(se[known], weights=overlap[usable][known]))
        rows.append(
            (arm.chrom, arm.arm, arm.start, arm.end, arm.placeable_bp,
             min(covered, arm.placeable_bp), level, arm_se, n)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(ARM_COLUMNS))


def assign_snps(
    snps: pd.DataFrame, arms: pd.DataFrame, segments: pd.DataFrame, tolerance: float = 0.1
) -> list[pd.DataFrame]:
    """The SNP allele counts of each arm (in the arms' order) that lie in its main segments.

    Main segments are those within `tolerance` log2 of the arm's level: the SNPs of a focal
    gain or loss inside the arm would otherwise blur the arm's allele state.
    """
    empty = snps.iloc[0:0][["ref_reads", "alt_reads"]]
    snp_rows = {chrom: group for chrom, group in snps.groupby("chrom", sort=False)}
    by_chrom = _by_chrom(segments, ("start", "end", "log2"))
    out = []
    for arm in arms.itertuples(index=False):
        mine, seg = snp_rows.get(arm.chrom), by_chrom.get(arm.chrom)
        if mine is None or seg is None or not np.isfinite(arm.log2):
            out.append(empty)
            continue
        positions = mine["pos"].to_numpy()
        main = (
            (seg["end"] >= arm.start)
            & (seg["start"] <= arm.end)
            & (np.abs(seg["log2"].astype(float) - arm.log2) <= tolerance)
        )
        in_main = np.zeros(len(mine), dtype=bool)
        for start, end in zip(seg["start"][main], seg["end"][main], strict=True):
            in_main |= (positions >= max(start, arm.start)) & (positions <= min(end, arm.end))
        out.append(mine.loc[in_main, ["ref_reads", "alt_reads"]])
    return out

"""How much noise neighbouring bins share, measured in each sample.

A fragment that overlaps two bins counts in both (ikaros.dna.coverage), so the log2 ratios of
bins closer than a fragment share part of their noise, and a run of n such bins knows its
level less well than n independent bins would. With weights w = 1 / v, the variance of the
weighted mean is

    (sum_i w_i + 2 sum_{i<j} w_i w_j c_ij) / (sum_i w_i)^2          (segmentation.segment_summary)

instead of 1 / sum_i w_i, with c_ij = rho_ij sqrt(v_i v_j). For fragments of length F, bin i
counts those starting in a window of len_i + F bases, and bins i and j (gap g between them)
share those starting in max(0, F - g) of them, so for counts alone

    rho_ij = kappa x max(0, F - g) / sqrt((len_i + F) (len_j + F))

with kappa = 1 (``overlap_share``). Adjacent 500 bp tiles with 100 bp gaps and fragments of
300 bp share a quarter of their counts; 2 kb tiles with the same gaps a twelfth. Other noise
thins the share out (kappa < 1) or, shared between neighbours in the reference or the sample
too, adds to it (kappa > 1: 0.8 to 1.6 on the project's simulated panels, where exon-sized dips
of 10-16 tiles had reached z -4.0 to -4.4 before their SE counted it).

F comes from the sample's coverage table (``fragment_length``); kappa from its log2 ratios
(``measure``): for pairs of usable bins on one chromosome less than ``REACH_BP`` apart,
Var(z_i - z_j) = V (1 - rho_ij) with z = log2 / sqrt(v), where V is the variance of the
differences of pairs ``REACH_BP`` to ``FAR_GAP_BP`` apart (no shared fragment, but the same
slow waves of capture and GC bias, which are a level's uncertainty rather than a neighbour's:
copy_number's ``se_floor``). Pairs are grouped by their overlap share, and kappa is the
least-squares slope of the groups' correlations on their shares. Variances are taken within
4 robust SDs of the median, so the few copy-number steps between neighbours do not count as
noise. On 600 tiled bins kappa is known to about +-0.25 (tests/test_bin_noise.py), which moves
the SE of a 14-tile segment by about 5%. Without enough near and far pairs (bins far apart,
as genome bins of 1 kb and more are), the bins count as independent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import median_abs_deviation

# Longest gap between two bins that one sequenced fragment bridges (short-read libraries).
REACH_BP = 1000
# Pairs beyond a fragment's reach but this close are the reference: same waves, no fragments.
FAR_GAP_BP = 10_000
# Near pairs are looked for up to MAX_LAG usable bins on, far pairs up to FAR_MAX_LAG.
MAX_LAG = 6
FAR_MAX_LAG = 40
# Fragment length used when the coverage table cannot tell it (bins of one length).
DEFAULT_FRAGMENT_BP = 300.0
# Pairs are grouped by their overlap share to measure their correlation.
SHARE_GROUPS = 6
# Bins with fewer fragments do not enter the fragment-length fit.
MIN_FIT_FRAGMENTS = 50
MIN_PAIRS = 50
# Correlations beyond counting (the reference's and the sample's shared errors) can make
# kappa exceed 1; a pair's correlation stays below MAX_RHO.
MAX_KAPPA = 4.0
MAX_RHO = 0.9
OUTLIER_SDS = 4.0
# Variance of a standard normal truncated at +-4
TRUNCATED_VAR = 0.99893


@dataclass(frozen=True)
class NeighbourNoise:
    """The counting share ``kappa`` of a sample's bin noise and its fragment length ``fragment``
    (both 0 when not measured)."""

    kappa: float
    fragment: float
    near_pairs: int
    far_pairs: int
    fragment_assumed: bool = False

    @classmethod
    def independent(cls, near_pairs: int = 0, far_pairs: int = 0) -> NeighbourNoise:
        return cls(kappa=0.0, fragment=0.0, near_pairs=near_pairs, far_pairs=far_pairs)

    def describe(self) -> str:
        if not self.fragment:
            return (
                f"bins counted as independent ({self.near_pairs} pairs under "
                f"{REACH_BP} bp apart, {self.far_pairs} pairs {REACH_BP}-{FAR_GAP_BP} bp)"
            )
        return (
            f"noise shared by bins a fragment apart: kappa {self.kappa:.2f}, fragment "
            f"{self.fragment:.0f} bp{' (assumed)' if self.fragment_assumed else ''} "
            f"(from {self.near_pairs} near pairs)"
        )


def overlap_share(
    gap: np.ndarray, length_i: np.ndarray, length_j: np.ndarray, fragment: float
) -> np.ndarray:
    """The correlation of two bins' fragment counts (see the module docstring)."""
    shared = np.clip(fragment - gap, 0.0, None)
    return shared / np.sqrt((length_i + fragment) * (length_j + fragment))


def _robust_var(values: np.ndarray) -> float:
    """Variance of the values within 4 robust SDs (MAD) of their median: nearly as precise as
    the plain variance on normal noise, and blind to the few copy-number steps."""
    centre = np.median(values)
    spread = median_abs_deviation(values, scale="normal")
    kept = values[np.abs(values - centre) <= OUTLIER_SDS * spread]
    return float(np.var(kept) / TRUNCATED_VAR) if len(kept) > 1 else 0.0


def _pairs(
    chrom: np.ndarray, start: np.ndarray, end: np.ndarray, lag: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions i of the pairs (i, i + lag) on one chromosome, and their gaps in bp."""
    i = np.flatnonzero(chrom[: len(chrom) - lag] == chrom[lag:])
    return i, start[i + lag] - end[i] - 1


def _usable_coordinates(frame: pd.DataFrame, usable: np.ndarray):
    keep = np.flatnonzero(usable)
    chrom = frame["chrom"].to_numpy()[keep]
    start = frame["start"].to_numpy(dtype=np.int64)[keep]
    end = frame["end"].to_numpy(dtype=np.int64)[keep]
    return keep, chrom, start, end


def fragment_length(coverage: pd.DataFrame) -> float:
    """The sample's mean fragment length from its coverage table, NaN when the bins cannot
    tell it: a bin of length len counts the fragments starting in len + F bases, and its
    mean depth is proportional to those starting in len (coverage module), so across tiled
    bins of different lengths fragments = a x depth x len + b x depth with F = b / a."""
    on_target = coverage["kind"].isin(["exon", "intron"]).to_numpy()
    fragments = coverage["fragments"].to_numpy(dtype=float)
    depth = coverage["mean_depth"].to_numpy(dtype=float)
    length = (coverage["end"] - coverage["start"] + 1).to_numpy(dtype=float)
    fit = on_target & (fragments >= MIN_FIT_FRAGMENTS) & (depth > 0)
    if fit.sum() < MIN_PAIRS or np.ptp(length[fit]) < 0.5 * np.median(length[fit]):
        return float("nan")
    design = np.column_stack([depth[fit] * length[fit], depth[fit]])
    (a, b), *_ = np.linalg.lstsq(design, fragments[fit], rcond=None)
    fragment = b / a if a > 0 else np.nan
    return float(fragment) if 0 < fragment < REACH_BP else float("nan")


def measure(bins: pd.DataFrame, fragment: float = float("nan")) -> NeighbourNoise:
    """kappa of a sample's log2 ratios (``bins``: chrom, start, end, log2, var, masked) for
    fragments of length ``fragment`` (``fragment_length``; DEFAULT_FRAGMENT_BP when NaN, as
    when the coverage table cannot tell it; see the module docstring)."""
    assumed = not np.isfinite(fragment)
    fragment = DEFAULT_FRAGMENT_BP if assumed else float(fragment)
    usable = ~bins["masked"].to_numpy(dtype=bool)
    keep, chrom, start, end = _usable_coordinates(bins, usable)
    log2 = bins["log2"].to_numpy(dtype=float)[keep]
    zz = log2 / np.sqrt(bins["var"].to_numpy(dtype=float)[keep])
    length = (end - start + 1).astype(float)
    near_i, near_j, far = [], [], []
    for lag in range(1, FAR_MAX_LAG + 1):
        i, gap = _pairs(chrom, start, end, lag)
        if lag <= MAX_LAG:
            pick = i[gap < REACH_BP]
            near_i.append(pick)
            near_j.append(pick + lag)
        pick = i[(gap >= REACH_BP) & (gap < FAR_GAP_BP)]
        far.append(zz[pick + lag] - zz[pick])
    far_diffs = np.concatenate(far)
    i, j = np.concatenate(near_i), np.concatenate(near_j)
    if len(i) < MIN_PAIRS * SHARE_GROUPS or len(far_diffs) < MIN_PAIRS:
        return NeighbourNoise.independent(len(i), len(far_diffs))
    far_var = _robust_var(far_diffs)
    share = overlap_share(start[j] - end[i] - 1, length[i], length[j], fragment)
    groups = np.array_split(np.argsort(share, kind="stable"), SHARE_GROUPS)
    mean_share = np.array([share[g].mean() for g in groups])
    sizes = np.array([len(g) for g in groups], dtype=float)
    denominator = float(np.sum(sizes * mean_share**2))
    if not (far_var > 0 and denominator > 0):
        return NeighbourNoise.independent(len(i), len(far_diffs))
    rho = np.array([1.0 - _robust_var(zz[j[g]] - zz[i[g]]) / far_var for g in groups])
    kappa = float(np.clip(np.sum(sizes * mean_share * rho) / denominator, 0.0, MAX_KAPPA))
    return NeighbourNoise(kappa, fragment, len(i), len(far_diffs), assumed)


def pair_covariance(bins: pd.DataFrame, kappa: float, fragment: float) -> np.ndarray:
    """Covariance of each bin's log2 with the 1st..MAX_LAG-th usable bin after it (rows =
    bins' rows, column k - 1 = lag k; 0 for masked bins and pairs a fragment apart): the
    ``pair_cov`` that segmentation.segment_summary takes for a run of consecutive usable bins."""
    cov = np.zeros((len(bins), MAX_LAG))
    if not (kappa > 0 and fragment > 0):
        return cov
    keep, chrom, start, end = _usable_coordinates(bins, ~bins["masked"].to_numpy(dtype=bool))
    length = (end - start + 1).astype(float)
    sd = np.sqrt(bins["var"].to_numpy(dtype=float)[keep])
    for lag in range(1, MAX_LAG + 1):
        i, gap = _pairs(chrom, start, end, lag)
        share = overlap_share(gap, length[i], length[i + lag], fragment)
        rho = np.minimum(kappa * share, MAX_RHO)
        cov[keep[i], lag - 1] = rho * sd[i] * sd[i + lag]
    return cov

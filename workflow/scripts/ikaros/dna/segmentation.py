"""Circular binary segmentation (CBS) of log2 copy ratios with known per-bin variances.

Method: Olshen AB, Venkatraman ES, Lucito R, Wigler M. Circular binary segmentation for the
analysis of array-based DNA copy number data. Biostatistics 2004;5:557-572; and Venkatraman
ES, Olshen AB. A faster circular binary segmentation algorithm for the analysis of array CGH
data. Bioinformatics 2007;23:657-663 (the DNAcopy package).

A chromosome's bins are joined end to start into a circle; for every arc (bins i..j-1) the
statistic compares the arc's mean with the mean of the rest. With per-bin variances v known
from the reference, the means are inverse-variance weighted and the statistic is a z-score:

    Z_ij = (m_arc - m_rest) / sqrt(1 / W_arc + 1 / W_rest),   W = sum of 1/v

All arcs are evaluated at once from cumulative sums (vectorised numpy, rows in chunks to bound
memory; the null draws' maximum in a loop compiled by numba). The maximal |Z| is tested
against its null distribution by Monte Carlo:

- ``null="gaussian"`` (default): null series drawn from the model itself, x* = m + N(0, v).
  With known variances this is the exact null of the maximal statistic (the analytical
  null of Olshen et al., sampled), and, unlike permutation, it is not diluted on short
  chromosomes where the loss is a large share of the bins;
- ``null="permutation"``: DNAcopy's permutation reference: standardised residuals
  (x - m) / sqrt(v) permuted and put back on each bin's own scale.

Sampling stops early once the p-value cannot fall below ``alpha``, or once it is clearly below
(fewer than (k alpha - 3) exceedances in k draws); no sampling is needed when one arc's own
two-sided tail is already at least ``alpha``; when a Bonferroni bound
over all arcs (each Z is standard normal under the null) is already below ``alpha / 1000``
sampling is skipped and the bound is the p-value. A significant
arc splits the segment into up to three (each at least ``min_width`` bins, DNAcopy's
``min.width``) and segmentation recurses on the parts. Randomness comes from ``seed`` only.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from numba import njit
from scipy.stats import norm

from ikaros.genome import PRIMARY_CHROMOSOMES

SEGMENT_COLUMNS = (
    "chrom",
    "start",
    "end",
    "first_bin",
    "last_bin",
    "first_row",
    "last_row",
    "n_bins",
    "log2",
    "se",
    "z",
    "log2_drop1",
    "se_drop1",
    "split_p",
)
_CHUNK_CELLS = 2_000_000
NULLS = ("gaussian", "permutation")


@lru_cache(maxsize=64)
def _admissible_arcs(n: int, min_width: int) -> np.ndarray:
    """Arcs (i, j] of a circle of n bins that CBS may cut out: rows i, columns j.

    Depends only on n and ``min_width``, so it is computed once and shared by the observed
    series and every null draw of the same segment.
    """
    i = np.arange(n)[:, None]
    j = np.arange(n + 1)[None, :]
    length = j - i
    return (
        (length >= min_width)
        & ((i == 0) | (i >= min_width))
        & ((j == n) | (n - j >= min_width))
        & ~((i == 0) & (j == n))
    )


class _ArcScorer:
    """max |Z| over the admissible arcs of series sharing one set of weights.

    With S the arc's weighted sum, S_tot the series', and W_in, W_out the arc's and the rest's
    weights, Z = (S / W_in - (S_tot - S) / W_out) / sqrt(1 / W_in + 1 / W_out)
    = S a - S_tot b, where a = (1 / W_in + 1 / W_out) / d and b = 1 / (W_out d) (d the
    square root) depend on the weights alone: they are computed once per segment and reused by
    the observed series and every null draw (zero for arcs CBS may not cut, whose Z is then
    0), so a draw costs one multiply-add per arc. Chunks of rows bound the memory.
    """

    def __init__(self, w: np.ndarray, min_width: int):
        n = len(w)
        self.w = w
        wc = np.concatenate(([0.0], np.cumsum(w)))
        w_tot = wc[-1]
        admissible = _admissible_arcs(n, min_width)
        rows = max(1, _CHUNK_CELLS // (n + 1))
        # Kept in memory when the arcs fit one chunk (every segment of a panel); larger
        # segments recompute each chunk per series, as the weights-only terms would not fit.
        self.cached = n <= rows
        self.chunks = []
        for lo in range(0, n, rows):
            hi = min(n, lo + rows)
            self.chunks.append((lo, hi))
        self._wc, self._w_tot, self._admissible, self._n = wc, w_tot, admissible, n
        self._terms = [self._chunk_terms(lo, hi) for lo, hi in self.chunks] if self.cached else []

    def _chunk_terms(self, lo: int, hi: int):
        wc, w_tot = self._wc, self._w_tot
        w_in = wc[None, :] - wc[lo:hi, None]
        w_out = w_tot - w_in
        ok = self._admissible[lo:hi] & (w_out > 0) & (w_in > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_in, inv_out = 1.0 / w_in, 1.0 / w_out
            d = np.sqrt(inv_in + inv_out)
            a = np.where(ok, (inv_in + inv_out) / d, 0.0)
            b = np.where(ok, inv_out / d, 0.0)
        return a, b, bool(ok.any())

    def _sums(self, x: np.ndarray) -> np.ndarray:
        """Cumulative weighted sums of a series, 0 first (S of arc (i, j] is s_j - s_i)."""
        return np.concatenate(([0.0], np.cumsum(self.w * x)))

    def _chunks_with_arcs(self):
        """(first row, a, b) of every chunk with an admissible arc."""
        for k, (lo, hi) in enumerate(self.chunks):
            a, b, any_ok = self._terms[k] if self.cached else self._chunk_terms(lo, hi)
            if any_ok:
                yield lo, a, b

    def _arc_z(self, x: np.ndarray):
        """(first row, Z of every arc starting in rows first..) per chunk with an admissible
        arc; Z is 0 on arcs CBS may not cut."""
        s = self._sums(x)
        for lo, a, b in self._chunks_with_arcs():
            yield lo, (s[None, :] - s[lo : lo + len(a), None]) * a - s[-1] * b

    def best(self, x: np.ndarray) -> tuple[float, int, int]:
        """(|Z|, i, j) of the best arc (i, j]; (0, -1, -1) if none is admissible."""
        best, best_i, best_j = 0.0, -1, -1
        for lo, z in self._arc_z(x):
            stat = np.abs(z)
            flat = int(np.argmax(stat))
            value = float(stat.flat[flat])
            if value > best:
                r, c = divmod(flat, self._n + 1)
                best, best_i, best_j = value, int(lo + r), int(c)
        return best, best_i, best_j

    def max_stat(self, x: np.ndarray) -> float:
        """max |Z| alone (a null draw needs no position): the same Z as ``_arc_z`` in a
        compiled loop, with no temporary arrays (this runs once per null draw)."""
        s = self._sums(x)
        return max((_max_abs_z(s, a, b, lo) for lo, a, b in self._chunks_with_arcs()), default=0.0)


@njit(cache=True, nogil=True)
def _max_abs_z(s: np.ndarray, a: np.ndarray, b: np.ndarray, lo: int) -> float:
    """max |(s_j - s_i) a_ij - s_tot b_ij| over the rows i = lo.. of a chunk (as ``_arc_z``)."""
    s_tot = s[-1]
    high, low = 0.0, 0.0
    for r in range(a.shape[0]):
        s_i = s[lo + r]
        for c in range(a.shape[1]):
            z = (s[c] - s_i) * a[r, c] - s_tot * b[r, c]
            if z > high:
                high = z
            elif z < low:
                low = z
    return max(high, -low)


def _arc_p_value(
    x: np.ndarray,
    scorer: _ArcScorer,
    observed: float,
    alpha: float,
    n_perm: int,
    rng: np.random.Generator,
    null: str = "gaussian",
) -> float:
    n, w = len(x), scorer.w
    single_arc = 2.0 * norm.sf(observed)
    if single_arc >= alpha:
        # The maximum over arcs exceeds any one arc's |Z|, whose two-sided tail is exact:
        # the p-value of the maximum is at least this, so the arc cannot be significant.
        return float(single_arc)
    n_arcs = n * (n - 1) / 2.0
    bonferroni = min(1.0, n_arcs * single_arc)
    if bonferroni < alpha / 1000.0:
        return float(bonferroni)
    mean = np.sum(w * x) / np.sum(w)
    sd = 1.0 / np.sqrt(w)
    resid = (x - mean) / sd
    exceed = 0
    give_up = alpha * (n_perm + 1)
    for done in range(1, n_perm + 1):
        if null == "permutation":
            permuted = mean + resid[rng.permutation(n)] * sd
        else:
            permuted = mean + rng.standard_normal(n) * sd
        if scorer.max_stat(permuted) >= observed:
            exceed += 1
            if exceed + 1 > give_up:
                return (exceed + 1) / (done + 1)
        elif (exceed + 3) / done < alpha:
            # Clearly significant: with e exceedances in k draws, (e + 3) / k bounds p from
            # above at about 95% confidence, so more draws would not change the decision.
            return (exceed + 1) / (done + 1)
    return (exceed + 1) / (n_perm + 1)


def cbs(
    x: np.ndarray,
    var: np.ndarray,
    alpha: float = 0.01,
    n_perm: int = 1000,
    min_width: int = 2,
    seed: int = 0,
    null: str = "gaussian",
) -> list[tuple[int, int, float]]:
    """Segment one chromosome: list of (first index, last index + 1, split p-value).

    ``split_p`` is the p-value of the split that created the segment's left edge (1.0 for
    the chromosome's first segment and for unsplit chromosomes).
    """
    x = np.asarray(x, dtype=float)
    w = 1.0 / np.asarray(var, dtype=float)
    if len(x) != len(w):
        raise ValueError("x and var differ in length")
    if null not in NULLS:
        raise ValueError(f"null must be one of {', '.join(NULLS)}, got {null!r}")
    if not np.all(np.isfinite(x)) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("cbs needs finite values and positive finite variances")
    rng = np.random.default_rng(seed)
    final: list[tuple[int, int, float]] = []
    pending = [(0, len(x), 1.0)]
    while pending:
        lo, hi, p_left = pending.pop(0)
        if hi - lo < 2 * min_width:
            final.append((lo, hi, p_left))
            continue
        scorer = _ArcScorer(w[lo:hi], min_width)
        stat, i, j = scorer.best(x[lo:hi])
        if i < 0:
            final.append((lo, hi, p_left))
            continue
        p = _arc_p_value(x[lo:hi], scorer, stat, alpha, n_perm, rng, null)
        if p >= alpha:
            final.append((lo, hi, p_left))
            continue
        cuts = sorted({lo, lo + i, lo + j, hi})
        for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
            pending.append((a, b, p_left if k == 0 else p))
    return sorted(final)


def segment_summary(
    x: np.ndarray, var: np.ndarray, pair_cov: np.ndarray | None = None
) -> tuple[float, float]:
    """Inverse-variance weighted mean and its SE, inflated when bins scatter more than
    their variances say (chi-square / df above 1). ``pair_cov`` (one row per bin, column
    k - 1 its covariance with the bin k places on; ikaros.dna.bin_noise.pair_covariance) adds
    the noise that neighbouring bins share."""
    return _weighted_summary(x, var, pair_cov, np.ones(len(x), dtype=bool))


def _weighted_summary(
    x: np.ndarray, var: np.ndarray, pair_cov: np.ndarray | None, keep: np.ndarray
) -> tuple[float, float]:
    w = np.where(keep, 1.0 / var, 0.0)
    total = float(np.sum(w))
    mean = float(np.sum(w * x) / total)
    spread = total
    if pair_cov is not None:
        for lag in range(1, min(pair_cov.shape[1], len(x) - 1) + 1):
            spread += 2.0 * float(np.sum(w[:-lag] * w[lag:] * pair_cov[:-lag, lag - 1]))
    se = np.sqrt(spread) / total
    n = int(np.sum(keep))
    if n >= 3:
        chi2 = float(np.sum(w * (x - mean) ** 2)) / (n - 1)
        se *= np.sqrt(max(1.0, chi2))
    return mean, float(se)


def without_most_extreme(
    x: np.ndarray, var: np.ndarray, mean: float, pair_cov: np.ndarray | None = None
) -> tuple[float, float]:
    """Mean and SE of a segment after removing its most extreme bin in the direction of
    ``mean`` (largest z-score away from 0): a call must not rest on one bin. NaN when the
    segment has fewer than 2 bins."""
    if len(x) < 2:
        return float("nan"), float("nan")
    z = x / np.sqrt(var) * np.sign(mean if mean != 0 else 1.0)
    keep = np.ones(len(x), dtype=bool)
    keep[int(np.argmax(z))] = False
    return _weighted_summary(x, var, pair_cov, keep)


def merge_weak_changes(
    x: np.ndarray,
    var: np.ndarray,
    bounds: list[tuple[int, int, float]],
    min_z: float,
    pair_cov: np.ndarray | None = None,
) -> list[tuple[int, int, float]]:
    """Undo change points whose two sides differ by less than ``min_z`` SEs.

    Like DNAcopy's ``undo.splits``: CBS tests the best arc of a segment, so on noisy data it
    can cut a loss into pieces with a shallow middle piece. The weakest change (smallest
    |difference| / SE of the difference) is removed first and the means recomputed, until
    every remaining change is at least ``min_z`` SEs.
    """
    bounds = list(bounds)
    while len(bounds) > 1:
        stats = [
            segment_summary(x[a:b], var[a:b], None if pair_cov is None else pair_cov[a:b])
            for a, b, _ in bounds
        ]
        z = [
            abs(m1 - m2) / np.hypot(s1, s2)
            for (m1, s1), (m2, s2) in zip(stats[:-1], stats[1:], strict=True)
        ]
        k = int(np.argmin(z))
        if z[k] >= min_z:
            break
        (a, _, p), (_, b, _) = bounds[k], bounds[k + 1]
        bounds[k : k + 2] = [(a, b, p)]
    return bounds


def segment_bins(
    bins: pd.DataFrame,
    alpha: float = 0.01,
    n_perm: int = 1000,
    min_width: int = 2,
    seed: int = 0,
    null: str = "gaussian",
    undo_z: float = 3.0,
    pair_cov: np.ndarray | None = None,
) -> pd.DataFrame:
    """Segment every chromosome arm of a log2-ratio frame (reference.log2_ratios output).

    Arms come from the panel's ``arm`` column (a frame without it is segmented per
    chromosome). Masked bins are left out; change points weaker than ``undo_z`` SEs are undone
    (``merge_weak_changes``). Returns one row per segment with SEGMENT_COLUMNS: genomic
    start/end of its first/last bin (1-based inclusive), bin ids, row positions in ``bins``,
    number of bins, weighted mean log2 with SE, z = log2 / se, the mean and SE without the
    segment's most extreme bin (``log2_drop1``, ``se_drop1``), and the split p-value.
    ``pair_cov`` (ikaros.dna.bin_noise.pair_covariance of ``bins``) makes the SEs count the
    noise that neighbouring bins share.
    """
    rows = []
    chroms = bins["chrom"].to_numpy()
    # Each chromosome arm is segmented on its own (as CNVkit does): the centromere is a
    # natural breakpoint, and CBS costs grow with the square of the bins in a series.
    arms = bins["arm"].to_numpy() if "arm" in bins.columns else np.full(len(bins), "")
    usable = ~bins["masked"].to_numpy(dtype=bool)
    order = {c: k for k, c in enumerate(PRIMARY_CHROMOSOMES)}
    series = sorted(
        set(zip(chroms[usable], arms[usable], strict=True)),
        key=lambda ca: (order.get(ca[0], len(order)), ca[1]),
    )
    for chrom, arm in series:
        positions = np.nonzero((chroms == chrom) & (arms == arm) & usable)[0]
        x = bins["log2"].to_numpy(dtype=float)[positions]
        v = bins["var"].to_numpy(dtype=float)[positions]
        arm_seed = seed + 2 * order.get(chrom, 99) + (arm == "q")
        c = None if pair_cov is None else pair_cov[positions]
        bounds = cbs(x, v, alpha, n_perm, min_width, arm_seed, null)
        for lo, hi, p in merge_weak_changes(x, v, bounds, undo_z, c):
            first, last = positions[lo], positions[hi - 1]
            part = None if c is None else c[lo:hi]
            mean, se = segment_summary(x[lo:hi], v[lo:hi], part)
            mean_drop1, se_drop1 = without_most_extreme(x[lo:hi], v[lo:hi], mean, part)
            rows.append(
                {
                    "chrom": chrom,
                    "start": int(bins["start"].iat[first]),
                    "end": int(bins["end"].iat[last]),
                    "first_bin": bins["bin_id"].iat[first],
                    "last_bin": bins["bin_id"].iat[last],
                    "first_row": int(first),
                    "last_row": int(last),
                    "n_bins": int(hi - lo),
                    "log2": mean,
                    "se": se,
                    "z": mean / se,
                    "log2_drop1": mean_drop1,
                    "se_drop1": se_drop1,
                    "split_p": p,
                }
            )
    return pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))

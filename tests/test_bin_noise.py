"""Noise shared by neighbouring bins, on counts made fragment by fragment (truth by design).

The generator places fragments (uniform starts, normal lengths) on tiles of 500 bp and 2 kb
with 100 bp gaps, and counts them as the coverage module does: a fragment counts once in
every bin it overlaps, and the mean depth is read bases (two reads per fragment) over the bin.
Bins a fragment apart then share counts exactly as the module docstring of
ikaros.dna.bin_noise says, with no other source of correlation (kappa = 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ikaros.dna import bin_noise
from ikaros.dna.segmentation import segment_summary, without_most_extreme

FRAGMENT_MEAN, FRAGMENT_SD, READ_LENGTH = 300.0, 40.0, 100
LN2_SQ = np.log(2.0) ** 2


def tiled_bins(lengths=(500, 2000), tiles_each=300, gap=100) -> pd.DataFrame:
    """Alternating runs of 20 tiles of each length, ``gap`` bases apart, on one chromosome."""
    starts, ends, position = [], [], 1_000_001
    for k in range(2 * tiles_each // 20):
        length = lengths[k % len(lengths)]
        for _ in range(20):
            starts.append(position)
            ends.append(position + length - 1)
            position += length + gap
    bins = pd.DataFrame({"chrom": "chr7", "start": starts, "end": ends})
    bins["kind"] = "intron"
    bins["masked"] = False
    return bins


def count_fragments(bins: pd.DataFrame, per_base: float, rng: np.random.Generator):
    """Fragments overlapping each bin and its mean read depth, from one draw of fragments."""
    lo, hi = int(bins["start"].min()) - 2000, int(bins["end"].max()) + 2000
    n = rng.poisson(per_base * (hi - lo))
    first = rng.integers(lo, hi, n)
    length = np.clip(rng.normal(FRAGMENT_MEAN, FRAGMENT_SD, n), 2 * READ_LENGTH, None).astype(int)
    last = first + length - 1
    starts, ends = bins["start"].to_numpy(), bins["end"].to_numpy()
    order = np.argsort(first)
    first, last = first[order], last[order]
    fragments = np.zeros(len(bins))
    depth = np.zeros(len(bins))
    for k, (s, e) in enumerate(zip(starts, ends, strict=True)):
        # fragments starting before the bin's end and ending after its start
        near = slice(
            np.searchsorted(first, s - 3 * FRAGMENT_MEAN), np.searchsorted(first, e, "right")
        )
        f, g = first[near], last[near]
        fragments[k] = np.sum(g >= s)
        reads = [(f, f + READ_LENGTH - 1), (g - READ_LENGTH + 1, g)]
        bases = sum(
            np.clip(np.minimum(b, e) - np.maximum(a, s) + 1, 0, None).sum() for a, b in reads
        )
        depth[k] = bases / (e - s + 1)
    return fragments, depth


def counted_ratios(bins: pd.DataFrame, per_base: float, rng) -> pd.DataFrame:
    """log2 ratios of counts against their expectation, with Poisson variances."""
    fragments, depth = count_fragments(bins, per_base, rng)
    expected = per_base * (bins["end"] - bins["start"] + 1 + FRAGMENT_MEAN).to_numpy()
    out = bins.copy()
    out["fragments"], out["mean_depth"] = fragments, depth
    out["log2"] = np.log2(fragments / expected)
    out["var"] = 1.0 / (LN2_SQ * expected)
    return out


@pytest.fixture(scope="module")
def counted():
    return counted_ratios(tiled_bins(), per_base=0.1, rng=np.random.default_rng(11))


def test_the_fragment_length_is_read_from_the_coverage_table(counted):
    fragment = bin_noise.fragment_length(counted)
    assert fragment == pytest.approx(FRAGMENT_MEAN, rel=0.08)
    # bins of one length cannot tell it
    same = counted[(counted["end"] - counted["start"]) < 1000]
    assert np.isnan(bin_noise.fragment_length(same))


def test_counting_noise_is_found_shared_and_independent_noise_is_not():
    # counts alone: the shares of the module docstring are the whole correlation (kappa 1);
    # one panel of 600 bins measures kappa to about +-0.25, four to about +-0.13
    rng = np.random.default_rng(12)
    kappas, independent = [], []
    for _ in range(4):
        ratios = counted_ratios(tiled_bins(), per_base=0.1, rng=rng)
        kappas.append(bin_noise.measure(ratios, bin_noise.fragment_length(ratios)).kappa)
        ratios["log2"] = rng.normal(0.0, np.sqrt(ratios["var"]))
        independent.append(bin_noise.measure(ratios, FRAGMENT_MEAN).kappa)
    assert np.mean(kappas) == pytest.approx(1.0, abs=0.25)
    assert max(independent) < 0.3


def test_bins_too_far_apart_are_counted_as_independent():
    bins = tiled_bins(gap=20_000)
    bins["log2"], bins["var"] = 0.0, 0.01
    noise = bin_noise.measure(bins, FRAGMENT_MEAN)
    assert noise.kappa == 0.0 and not noise.near_pairs
    assert not bin_noise.pair_covariance(bins, noise.kappa, noise.fragment).any()


def test_segment_summary_adds_the_pair_covariances():
    # three bins of variance 1, neighbours covarying 0.5: Var(mean) = (3 + 2 x 1) / 9
    x, var = np.zeros(3), np.ones(3)
    pair_cov = np.zeros((3, bin_noise.MAX_LAG))
    pair_cov[:2, 0] = 0.5
    assert segment_summary(x, var, pair_cov)[1] == pytest.approx(np.sqrt(5.0 / 9.0))
    assert segment_summary(x, var)[1] == pytest.approx(np.sqrt(1.0 / 3.0))
    # without the middle bin the two outer ones share nothing: Var = 2 / 4
    x = np.array([0.0, -1.0, 0.0])
    assert without_most_extreme(x, var, -0.5, pair_cov)[1] == pytest.approx(np.sqrt(0.5))


def test_segment_z_scores_are_calibrated_when_the_covariances_are_counted():
    """Means of 14 neighbouring 500 bp tiles about their series' level: with pair_cov their
    z-scores have SD 1 or a little less (segment_summary's chi-square inflation), without it
    about 1.1 times more, as a lag-1 correlation of 0.25 predicts (sqrt(1.46) / 1.1)."""
    bins = tiled_bins(lengths=(500,), tiles_each=420)
    rng = np.random.default_rng(13)
    with_cov, without = [], []
    for _ in range(20):
        ratios = counted_ratios(bins, per_base=0.1, rng=rng)
        noise = bin_noise.measure(ratios, FRAGMENT_MEAN)
        pair_cov = bin_noise.pair_covariance(ratios, noise.kappa, noise.fragment)
        x, v = ratios["log2"].to_numpy(), ratios["var"].to_numpy()
        level = x.mean()
        for a in range(0, len(x) - 14, 14):
            part = slice(a, a + 14)
            mean, se = segment_summary(x[part], v[part], pair_cov[part])
            with_cov.append((mean - level) / se)
            mean, se = segment_summary(x[part], v[part])
            without.append((mean - level) / se)
    assert 0.85 < np.std(with_cov) < 1.05
    assert np.std(without) / np.std(with_cov) > 1.12

"""Circular binary segmentation on series with planted change points (truth known by design)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ikaros.dna.segmentation import SEGMENT_COLUMNS, cbs, segment_bins, segment_summary


def series(levels, lengths, sd, rng):
    x = np.concatenate([np.full(n, level) for level, n in zip(levels, lengths, strict=True)])
    var = np.full(len(x), sd**2)
    return x + rng.normal(0, sd, len(x)), var


def test_single_interior_change_found_within_one_bin():
    rng = np.random.default_rng(1)
    hits = 0
    for rep in range(10):
        x, var = series([0.0, -1.0, 0.0], [80, 25, 95], 0.25, rng)
        segs = cbs(x, var, seed=rep)
        bounds = [(a, b) for a, b, _ in segs]
        if len(bounds) == 3 and abs(bounds[1][0] - 80) <= 1 and abs(bounds[1][1] - 105) <= 1:
            hits += 1
    # |shift| / sd = 4: a neighbour crosses the midpoint with p = 0.02 per edge
    assert hits >= 9


def test_edge_change_and_heteroscedastic_bins():
    rng = np.random.default_rng(2)
    x, var = series([-1.0, 0.0], [12, 150], 0.2, rng)
    # Some bins are ten times noisier: known variances must keep them from making segments.
    noisy = rng.choice(np.arange(20, 162), 15, replace=False)
    var[noisy] = 2.0**2
    x[noisy] += rng.normal(0, 2.0, len(noisy))
    segs = cbs(x, var, seed=3)
    assert [(a, b) for a, b, _ in segs] == [(0, 12), (12, 162)]
    assert segs[1][2] < 0.01


def test_null_series_rarely_split():
    rng = np.random.default_rng(3)
    splits = 0
    for rep in range(40):
        x, var = series([0.0], [120], 0.3, rng)
        splits += len(cbs(x, var, alpha=0.01, n_perm=200, seed=rep)) > 1
    assert splits <= 3  # alpha = 0.01 per series: expect 0.4 of 40; 3 has p < 0.01


def test_seed_makes_results_reproducible_and_min_width_respected():
    rng = np.random.default_rng(4)
    x, var = series([0.0, -0.3, 0.0], [50, 6, 50], 0.25, rng)
    assert cbs(x, var, seed=9) == cbs(x, var, seed=9)
    x[30] = -5.0  # one wild bin
    for a, b, _ in cbs(x, var, min_width=2, seed=9):
        assert b - a >= 2


def test_segment_summary_weighted_mean():
    x = np.array([0.0, -1.0, -1.0])
    var = np.array([1.0, 0.25, 0.25])
    mean, se = segment_summary(x, var)
    assert mean == pytest.approx(-8.0 / 9.0)  # weights 1, 4, 4
    assert se >= np.sqrt(1.0 / 9.0)


def test_segment_bins_per_chromosome_skips_masked():
    rng = np.random.default_rng(5)
    n = 60
    bins = pd.DataFrame(
        {
            "bin_id": [f"b{i}" for i in range(2 * n)],
            "chrom": ["chr7"] * n + ["chr9"] * n,
            "start": np.tile(np.arange(n) * 1000 + 1, 2),
            "end": np.tile(np.arange(n) * 1000 + 500, 2),
            "log2": rng.normal(0, 0.2, 2 * n),
            "var": np.full(2 * n, 0.04),
            "masked": False,
        }
    )
    bins.loc[20:29, "log2"] -= 1.0  # chr7 bins 20..29 lost
    bins.loc[25, "masked"] = True
    bins.loc[25, "log2"] = 5.0  # masked: ignored
    segs = segment_bins(bins, seed=1)
    assert list(segs.columns) == list(SEGMENT_COLUMNS)
    chr7 = segs[segs["chrom"] == "chr7"].reset_index(drop=True)
    assert len(chr7) == 3 and len(segs[segs["chrom"] == "chr9"]) == 1
    assert chr7.loc[1, "start"] == 20 * 1000 + 1 and chr7.loc[1, "end"] == 29 * 1000 + 500
    assert chr7.loc[1, "n_bins"] == 9
    assert abs(chr7.loc[1, "log2"] + 1.0) < 0.2


@pytest.mark.parametrize("n", [7, 60, 2_100])  # 2,100 bins: rows in several chunks
def test_the_null_draws_maximum_is_the_largest_arc_statistic(n):
    """max |Z| of a draw (the compiled loop) against every admissible arc's weighted-means
    statistic written out: Z = (mean inside - mean outside) / sqrt(1/W_in + 1/W_out)."""
    from ikaros.dna.segmentation import _admissible_arcs, _ArcScorer

    rng = np.random.default_rng(n)
    w = rng.uniform(0.5, 4.0, n)
    x = rng.normal(0.0, 1.0 / np.sqrt(w))
    scorer = _ArcScorer(w, min_width=2)
    ok = _admissible_arcs(n, 2)
    if n > 100:  # too many arcs to write out: the vectorised statistic of every chunk
        best = max(max(z.max(), -z.min()) for _, z in scorer._arc_z(x))
        assert scorer.max_stat(x) == best
        return
    cw, cs = np.concatenate(([0.0], np.cumsum(w))), np.concatenate(([0.0], np.cumsum(w * x)))
    best = 0.0
    for i, j in zip(*np.nonzero(ok), strict=True):
        w_in, s_in = cw[j] - cw[i], cs[j] - cs[i]
        w_out, s_out = cw[-1] - w_in, cs[-1] - s_in
        z = (s_in / w_in - s_out / w_out) / np.sqrt(1 / w_in + 1 / w_out)
        best = max(best, abs(z))
    assert scorer.max_stat(x) == pytest.approx(best, rel=1e-12)

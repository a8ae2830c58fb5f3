"""Single-interval refit of a loss inside a gene window: planted breakpoints are the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ikaros.breakpoints import breakpoint_gaps, fit_interval, refine_segments
from ikaros.copy_number import CallParams, call_segments
from ikaros.segmentation import SEGMENT_COLUMNS


def planted(n, start, stop, level, sd, rng):
    x = rng.normal(0.0, sd, n)
    x[start:stop] += level
    return x, np.full(n, sd**2), np.arange(n) * 1000.0


def test_noise_free_interval_is_recovered_exactly():
    x = np.zeros(40)
    x[12:20] = -1.0
    fit = fit_interval(x, np.full(40, 0.09))
    assert (fit.start, fit.stop) == (12, 20)
    assert fit.level == pytest.approx(-1.0)
    assert np.all(fit.inside[12:20] > 0.99) and np.all(fit.inside[:11] < 0.01)


def test_edges_within_one_bin_at_four_sd():
    # |level| / sd = 4: the posterior edge should rarely miss by more than one bin.
    rng = np.random.default_rng(11)
    exact = near = 0
    for _ in range(50):
        start, stop = int(rng.integers(5, 20)), int(rng.integers(30, 45))
        x, var, mid = planted(60, start, stop, -1.2, 0.3, rng)
        fit = fit_interval(x, var)
        exact += (fit.start, fit.stop) == (start, stop)
        near += abs(fit.start - start) <= 1 and abs(fit.stop - stop) <= 1
    # P(one edge bin crosses the midpoint) = P(N > 2) = 0.023 per edge bin
    assert near >= 48
    assert exact >= 40


def test_one_wild_bin_does_not_move_an_edge():
    rng = np.random.default_rng(12)
    x, var, mid = planted(50, 10, 30, -1.0, 0.25, rng)
    x[33] = -6.0  # a bin with next to no reads, three bins past the loss
    fit = fit_interval(x, var)
    assert (fit.start, fit.stop) == (10, 30)


def test_loss_running_off_the_window_is_open():
    rng = np.random.default_rng(13)
    x, var, _ = planted(30, 18, 30, -1.0, 0.25, rng)
    fit = fit_interval(x, var)
    assert fit.stop == 30  # no right edge: the loss runs on past the window
    assert abs(fit.start - 18) <= 1


def test_no_negative_bin_no_fit():
    assert fit_interval(np.full(10, 0.3), np.full(10, 0.04)) is None


def _bins(x, var, gene_from, gene_to):
    n = len(x)
    gene = np.where((np.arange(n) >= gene_from) & (np.arange(n) < gene_to), "G", "")
    return pd.DataFrame(
        {
            "bin_id": [f"b{i}" for i in range(n)],
            "chrom": "chr7",
            "start": np.arange(n) * 1000 + 1,
            "end": np.arange(n) * 1000 + 500,
            "gene": gene,
            "log2": x,
            "var": var,
            "masked": False,
        }
    )


def _segments(bins, cuts):
    from ikaros.breakpoints import _piece

    rows = []
    edges = [0, *cuts, len(bins)]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        rows.append(_piece(bins, np.arange(a, b), 1.0, 0.0))
    return pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))


def test_refine_moves_misplaced_edges_and_joins_pieces():
    # Loss in bins 40..69 of a gene window 30..89; CBS cut it at 43 and 60/61 (a piece
    # split off) and left its last bins in the right segment.
    x = np.zeros(120)
    x[40:70] = -1.0
    var = np.full(120, 0.09)
    bins = _bins(x, var, 30, 90)
    segments = _segments(bins, [43, 60, 62, 66])
    params = CallParams()

    def is_loss(s):
        return call_segments(s, 0.9, params)["deleted"].to_numpy(dtype=bool)

    out = refine_segments(segments, bins, ["G"], is_loss)
    lost = out[is_loss(out)]
    assert lost[["first_row", "last_row"]].values.tolist() == [[40, 69]]
    assert out["n_bins"].sum() == 120
    assert (out["first_row"].to_numpy()[1:] == out["last_row"].to_numpy()[:-1] + 1).all()


def test_refine_leaves_windows_without_a_called_loss_alone():
    rng = np.random.default_rng(14)
    x, var, _ = planted(100, 0, 0, 0.0, 0.3, rng)
    bins = _bins(x, var, 20, 80)
    segments = _segments(bins, [50])
    out = refine_segments(
        segments,
        bins,
        ["G"],
        lambda s: call_segments(s, 0.9, CallParams())["deleted"].to_numpy(dtype=bool),
    )
    pd.testing.assert_frame_equal(out, segments)


def test_refine_keeps_cuts_outside_the_window():
    # A loss from bin 5 (outside the window 20..59) to bin 40 (inside): the outer cut stays.
    x = np.zeros(80)
    x[5:40] = -1.0
    bins = _bins(x, np.full(80, 0.09), 20, 60)
    segments = _segments(bins, [5, 37])
    out = refine_segments(
        segments,
        bins,
        ["G"],
        lambda s: call_segments(s, 0.9, CallParams())["deleted"].to_numpy(dtype=bool),
    )
    assert out[["first_row", "last_row"]].values.tolist() == [[0, 4], [5, 39], [40, 79]]


def test_no_breakpoint_between_bins_of_one_exon():
    window = pd.DataFrame(
        {
            "kind": ["intron", "exon", "exon", "exon", "intron", "exon", "exon"],
            "gene": ["G"] * 5 + ["H", "H"],
            "exon": ["", "8", "8", "8", "", "1", "2"],
        }
    )
    # Before bin k: 0 and 7 are the window's ends; 2 and 3 fall inside exon 8.
    assert breakpoint_gaps(window).tolist() == [True, True, False, False, True, True, True, True]


def test_tiled_exon_is_lost_or_kept_whole():
    # Bins 20..29 tile one exon; the loss (bins 10..24) stops half-way through it, deeper
    # than the noise: the fit may not cut the exon, so it keeps or drops all ten bins.
    rng = np.random.default_rng(15)
    x, var, _ = planted(50, 10, 25, -1.0, 0.25, rng)
    kind = np.where((np.arange(50) >= 20) & (np.arange(50) < 30), "exon", "intron")
    window = pd.DataFrame({"kind": kind, "gene": "G", "exon": np.where(kind == "exon", "8", "")})
    fit = fit_interval(x, var, -1.0, breakpoint_gaps(window))
    assert fit.start == 10
    assert fit.stop in (20, 30)
    free = fit_interval(x, var, -1.0)
    assert free.stop == 25  # without the constraint the edge is where the data put it


def test_arm_loss_through_the_window_is_not_cut():
    # A shallow loss over the whole series (an arm loss) called as one segment: the window
    # cannot place its ends, so the refit leaves the segment whole.
    rng = np.random.default_rng(16)
    x, var, _ = planted(150, 0, 150, -0.3, 0.3, rng)
    bins = _bins(x, var, 60, 100)
    segments = _segments(bins, [])
    out = refine_segments(
        segments,
        bins,
        ["G"],
        lambda s: call_segments(s, 0.6, CallParams())["deleted"].to_numpy(dtype=bool),
    )
    assert out[["first_row", "last_row"]].values.tolist() == [[0, 149]]

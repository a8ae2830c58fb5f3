"""Single-interval refit of a loss inside a gene window: planted breakpoints are the truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from ikaros.dna.breakpoints import breakpoint_gaps, fit_interval, refine_segments
from ikaros.dna.copy_number import CallParams, call_segments
from ikaros.dna.segmentation import SEGMENT_COLUMNS


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
    from ikaros.dna.breakpoints import _piece

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


def test_refine_keeps_a_focal_loss_inside_a_broader_one():
    """A deletion at -1.5 (bins 50..64) inside a loss at -0.5 that runs through the window
    (a focal IKZF1 deletion on a 7p lost in some cells, or read low under gains): one interval
    at one level would join them and hand the broader loss's exons to the focal one; the
    losses at two depths keep CBS's cuts."""
    x = np.full(120, -0.5)
    x[50:65] = -1.5
    bins = _bins(x, np.full(120, 0.09), 30, 90)
    segments = _segments(bins, [50, 65])

    def is_loss(s):
        return call_segments(s, 0.9, CallParams())["deleted"].to_numpy(dtype=bool)

    out = refine_segments(segments, bins, ["G"], is_loss)
    assert out[["first_row", "last_row"]].values.tolist() == [[0, 49], [50, 64], [65, 119]]
    merged = refine_segments(segments, bins, ["G"], is_loss, step_z=np.inf)
    assert len(merged) < 3  # what the single interval would have made of it


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


# --- deletion junctions from the reads ------------------------------------------------------


def _junction(left_end, right_start, pairs=3, split_reads=4, slack=0):
    from ikaros.dna.junction_reads import DeletionJunction

    return DeletionJunction(
        chrom="chr7", left_end=left_end, right_start=right_start,
        left_low=left_end - slack, left_high=left_end + slack,
        right_low=right_start - slack, right_high=right_start + slack,
        pairs=pairs, split_reads=split_reads, left_split_reads=split_reads // 2,
        right_split_reads=split_reads - split_reads // 2, left_exact=slack == 0,
        right_exact=slack == 0, max_fragment=600,
    )  # fmt: skip


def _is_loss(blast=0.9):
    return lambda s: call_segments(s, blast, CallParams())["deleted"].to_numpy(dtype=bool)


def test_a_junction_pins_the_edges_where_the_coverage_cannot():
    # A loss over bins 40..69 (bin i covers i*1000+1..i*1000+500) at 1.3 SD per bin: the
    # coverage alone misplaces an edge in some draws; the reads' junction (last retained base
    # 39,800, first retained 69,900) puts both edges right in every draw.
    rng = np.random.default_rng(21)
    free_exact = pinned_exact = 0
    for _ in range(20):
        x, var, _ = planted(120, 40, 70, -0.4, 0.3, rng)
        bins = _bins(x, var, 30, 90)
        segments = _segments(bins, [40, 70])
        free = refine_segments(segments, bins, ["G"], _is_loss())
        pinned = refine_segments(
            segments, bins, ["G"], _is_loss(), junctions=[_junction(39_800, 69_900)]
        )
        lost = pinned[_is_loss()(pinned)]
        pinned_exact += lost[["first_row", "last_row"]].values.tolist() == [[40, 69]]
        free_lost = free[_is_loss()(free)]
        free_exact += free_lost[["first_row", "last_row"]].values.tolist() == [[40, 69]]
        if len(lost):
            assert lost["junction"].tolist() == ["chr7:39800^69900 (3 pairs, 4 split reads)"]
    assert pinned_exact == 20
    assert free_exact < 20


def test_a_junction_names_an_interval_whose_coverage_is_tested_alone():
    # Bins 40..49 at log2 -0.3 (+-0.3 alternating, mean exactly -0.3, sd 0.3 each): the
    # scatter inflates the SE to 0.3 / sqrt(10) x sqrt(10/9) = 0.1, so z = -3.0, and -2.7 with
    # the SE floor: short of the usual 3.5 but past junction_z = 1.5 (-2.4 without the most
    # extreme bin). CBS left it in one segment with the rest.
    x = np.zeros(100)
    x[40:50] = -0.3 + 0.3 * np.array([1, -1] * 5)
    bins = _bins(x, np.full(100, 0.09), 20, 80)
    segments = _segments(bins, [])
    assert not _is_loss()(segments).any()
    alone = refine_segments(segments, bins, ["G"], _is_loss())
    assert not _is_loss()(alone).any()
    named = refine_segments(
        segments, bins, ["G"], _is_loss(), junctions=[_junction(39_700, 49_800)]
    )
    lost = named[_is_loss()(named)]
    assert lost[["first_row", "last_row"]].values.tolist() == [[40, 49]]
    assert lost["z"].iat[0] == pytest.approx(-3.0)


def test_junctions_without_a_pair_or_outside_the_window_are_not_used():
    x = np.zeros(100)
    x[40:50] = -0.3 + 0.3 * np.array([1, -1] * 5)
    bins = _bins(x, np.full(100, 0.09), 20, 80)
    segments = _segments(bins, [])
    for junction in (
        _junction(39_700, 49_800, pairs=0, split_reads=8),  # split reads alone link nothing
        _junction(39_700, 49_800, pairs=1, split_reads=1),  # two reads: below min_reads
        _junction(90_700, 95_800),  # removes no bin of the window (bins 20..79)
        _junction(40_600, 40_900),  # between two bins: removes no bin midpoint
    ):
        out = refine_segments(segments, bins, ["G"], _is_loss(), junctions=[junction])
        assert not _is_loss()(out).any()


def test_junction_intervals_without_split_reads_allow_every_gap_they_span():
    from ikaros.dna.breakpoints import junction_gaps

    window = pd.DataFrame({"start": np.arange(10) * 1000 + 1, "end": np.arange(10) * 1000 + 500})
    # last retained base in [2,100, 4,600]: bins 2, 3 and 4 (midpoints 2,250.5 to 4,250.5)
    # may be either side, so the first breakpoint lies before bin 2, 3, 4 or 5
    junction = dataclasses.replace(
        _junction(3_000, 7_900), left_low=2_100, left_high=4_600, left_exact=False
    )
    start_ok, stop_ok = junction_gaps(window, junction)
    assert np.flatnonzero(start_ok).tolist() == [2, 3, 4, 5]
    assert np.flatnonzero(stop_ok).tolist() == [8]  # bins 5..7 lost, bin 8 (8,250.5) kept


def test_a_junction_stretches_the_loss_over_a_masked_bin_before_it():
    # Bin 39 (an exon, say) is masked; the loss covers bins 40..49 and, by the reads, the
    # deletion starts at 38,701 (after bin 38, before bin 39): the loss segment must start
    # there, so that the masked exon lies inside it rather than in a gap.
    x = np.zeros(100)
    x[39:50] = -0.8
    bins = _bins(x, np.full(100, 0.09), 20, 80)
    bins.loc[39, "masked"] = True
    usable = bins[~bins["masked"]].reset_index(drop=True)
    segments = _segments(usable, [38, 48])  # CBS rows on the usable bins: 40..49 -> 38..47
    out = refine_segments(
        segments, usable, ["G"], _is_loss(), junctions=[_junction(38_700, 49_800)]
    )
    lost = out[_is_loss()(out)]
    assert lost["start"].tolist() == [38_701]
    assert lost["end"].tolist() == [49_799]  # bin 49 ends at 49,500; the deletion at 49,799
    before = out[out["end"] < 38_701]
    assert before["end"].max() == 38_500  # bin 38, retained


# --- losses without the junction reads a deletion leaves ------------------------------------


def _locus_bins(n=60, expected=100.0):
    """500 bp tiles of gene G end to end (an intron-tiled locus), flank bins at both ends."""
    kind = np.where((np.arange(n) < 5) | (np.arange(n) >= n - 5), "flank", "intron")
    return pd.DataFrame(
        {
            "bin_id": [f"b{i}" for i in range(n)],
            "chrom": "chr7",
            "start": 1_000_001 + np.arange(n) * 500,
            "end": 1_000_500 + np.arange(n) * 500,
            "kind": kind,
            "gene": "G",
            "masked": False,
            "expected": expected,
        }
    )


def _evidence(clips=(), discordant=(), median_fragment=300.0, profile=None):
    from ikaros.dna.junction_reads import ReadProfile, WindowEvidence

    return WindowEvidence(
        junctions=[], clip_positions=tuple(sorted(clips)), discordant=tuple(discordant),
        median_fragment=median_fragment, max_fragment=600, profile=profile or ReadProfile(),
    )  # fmt: skip


def _profile(clipped=1_000, improper=1_000, lone_clips=0):
    """100,000 reads of 150 bases over 100 kb."""
    from ikaros.dna.junction_reads import ReadProfile

    return ReadProfile(
        reads=100_000, read_bases=15_000_000, clipped_reads=clipped, improper_reads=improper,
        bases=100_000, lone_clips=lone_clips,
    )  # fmt: skip


def _one_loss(bins, first, last, fraction=0.8, allelic="mono", junction="", z=-5.0, ratio=None):
    """A called loss of bins first..last in a fraction of the cells; its ratio that of the
    fraction and allelic state (1 - f/2 mono, 1 - f bi) unless given (a level deeper than the
    fraction capped at the blasts)."""
    if ratio is None:
        ratio = 1.0 - (fraction if allelic == "bi" else fraction / 2.0)
    segments = pd.DataFrame(
        {"first_row": [0, first, last + 1], "last_row": [first - 1, last, len(bins) - 1],
         "junction": ["", junction, ""]}
    )  # fmt: skip
    called = pd.DataFrame(
        {"deleted": [False, True, False], "cell_fraction": [np.nan, fraction, np.nan],
         "allelic": ["", allelic, ""], "z": [np.nan, z, np.nan], "ratio": [1.0, ratio, 1.0]}
    )  # fmt: skip
    return segments, called


def test_a_loss_inside_the_locus_without_junction_reads_needs_deeper_coverage():
    from ikaros.dna.breakpoints import unsupported_losses

    bins = _locus_bins()
    segments, called = _one_loss(bins, 20, 22, z=-5.0)
    # share 0.4 x 100 fragments x 300 / (500 + 300) = 15 per edge, 30 in all: without them the
    # loss needs z^2 >= 3.5^2 + 30, z <= -6.5
    reasons = unsupported_losses(segments, called, bins, ["G"], {"G": _evidence()}, 3.5)
    expected = (
        "no junction read at its edges where 30 were expected (z -5.0, needs -6.5 without them)"
    )
    assert reasons.tolist() == ["", expected, ""]
    # deep enough in coverage, it stands (a junction the aligner could not place)
    segments, called = _one_loss(bins, 20, 22, z=-6.6)
    assert (unsupported_losses(segments, called, bins, ["G"], {"G": _evidence()}, 3.5) == "").all()
    # one clipped read at its left edge (between bins 19 and 20) and it stands
    segments, called = _one_loss(bins, 20, 22, z=-5.0)
    left_edge = int(bins["end"].iat[19])
    seen = {"G": _evidence(clips=[left_edge])}
    assert (unsupported_losses(segments, called, bins, ["G"], seen, 3.5) == "").all()
    # a discordant pair whose left read lies within a fragment of the right edge counts too
    right_edge = int(bins["end"].iat[22])
    seen = {"G": _evidence(discordant=[(right_edge - 200, right_edge + 40_000)])}
    assert (unsupported_losses(segments, called, bins, ["G"], seen, 3.5) == "").all()
    # so does a pair across the whole loss, its reads kilobases beyond both fitted edges (a
    # larger deletion whose breakpoints the coverage placed some bins too far in)
    left_start = int(bins["start"].iat[20])
    seen = {"G": _evidence(discordant=[(left_start - 4_000, right_edge + 6_000)])}
    assert (unsupported_losses(segments, called, bins, ["G"], seen, 3.5) == "").all()
    # but not a pair elsewhere in the window
    seen = {"G": _evidence(discordant=[(left_start - 40_000, left_start - 4_000)])}
    assert unsupported_losses(segments, called, bins, ["G"], seen, 3.5).iat[1] != ""


def test_the_missing_reads_weigh_by_how_many_were_expected():
    from ikaros.dna.breakpoints import unsupported_losses

    bins = _locus_bins()
    none = {"G": _evidence()}
    # a subclonal loss: share 0.12 -> 9 expected, z <= -sqrt(12.25 + 9) = -4.61 needed
    segments, called = _one_loss(bins, 20, 22, fraction=0.24, z=-4.7)
    assert (unsupported_losses(segments, called, bins, ["G"], none, 3.5) == "").all()
    segments, called = _one_loss(bins, 20, 22, fraction=0.24, z=-4.5)
    assert (
        "where 9 were expected"
        in unsupported_losses(segments, called, bins, ["G"], none, 3.5).iat[1]
    )
    # a loss reaching into the flanks: its junction need not lie in a tile, so only its right
    # edge counts (15 expected, z <= -5.22 needed)
    segments, called = _one_loss(bins, 3, 22, z=-5.0)
    reasons = unsupported_losses(segments, called, bins, ["G"], none, 3.5)
    assert "where 15 were expected" in reasons.iat[1]
    segments, called = _one_loss(bins, 3, 22, z=-5.3)
    assert (unsupported_losses(segments, called, bins, ["G"], none, 3.5) == "").all()
    # a loss the reads named, and a window without read evidence
    segments, called = _one_loss(bins, 20, 22, junction="chr7:1^2 (1 pairs, 2 split reads)")
    assert (unsupported_losses(segments, called, bins, ["G"], none, 3.5) == "").all()
    segments, called = _one_loss(bins, 20, 22)
    assert (unsupported_losses(segments, called, bins, ["G"], {}, 3.5) == "").all()


def test_a_dip_deeper_than_the_blasts_carry_is_held_to_the_reads_its_depth_implies():
    """A biallelic dip at ratio 0.45 in a tumour of 27% blasts: its cell fraction is capped at
    0.27, but the depth it removed (0.55 of the copies) is what its junctions would carry."""
    from ikaros.dna.breakpoints import unsupported_losses

    bins = _locus_bins()
    none = {"G": _evidence()}
    # share 0.55 x 100 x 300 / 800 = 20.6 per edge, 41 in all: z <= -sqrt(12.25 + 41.25) = -7.3
    segments, called = _one_loss(bins, 20, 22, 0.27, "bi", z=-6.0, ratio=0.45)
    reasons = unsupported_losses(segments, called, bins, ["G"], none, 3.5)
    assert reasons.iat[1] == (
        "no junction read at its edges where 41 were expected (z -6.0, needs -7.3 without them)"
    )
    # at the capped fraction's depth (ratio 0.73) 20 were due and z -6.0 stood
    segments, called = _one_loss(bins, 20, 22, 0.27, "bi", z=-6.0)
    assert (unsupported_losses(segments, called, bins, ["G"], none, 3.5) == "").all()


def test_the_expected_junction_reads_follow_what_the_sample_shows():
    """Loss of bins 20-22 at share 0.4: 30 junction reads due from a library of 300 bp
    fragments and 150 bp reads, whose every fragment across a junction has the junction inside
    a read: one split read per fragment, and a discordant pair in half of them."""
    from ikaros.dna.breakpoints import unsupported_losses

    bins = _locus_bins()

    def reasons(z, profile, clips=()):
        segments, called = _one_loss(bins, 20, 22, z=z)
        seen = {"G": _evidence(clips=clips, profile=profile)}
        return unsupported_losses(segments, called, bins, ["G"], seen, 3.5).iat[1]

    # an end-to-end aligner and a proper-pairs-only BAM: nothing could show, no veto
    assert reasons(-5.0, _profile(clipped=0, improper=0)) == ""
    # split reads only: 2/3 of 30 = 20 due, z <= -sqrt(12.25 + 20) = -5.68 needed
    assert reasons(-5.0, _profile(improper=0)) == (
        "no junction read at its edges where 20 were expected (z -5.0, needs -5.7 without them)"
    )
    assert reasons(-5.7, _profile(improper=0)) == ""
    # discordant pairs only: 1/3 of 30 = 10 due, z <= -4.72 needed
    assert reasons(-5.0, _profile(clipped=0)) == ""
    assert "where 10 were expected" in reasons(-4.6, _profile(clipped=0))
    # a few scattered clips in a sample: 1 in 1,000 reads. The edges' 1,000 bp stretches hold
    # 0.25 reads per base (100 fragments per 500 bp tile of 300 bp fragments: 0.125 fragments
    # per base, two reads each), so 0.5 are expected by chance; 2 seen weigh
    # 2 log(1 + 30 / 0.5) - 30 = -21.8: z <= -5.83 needed
    left_edge = int(bins["end"].iat[19])
    noisy = _profile(lone_clips=100)
    two = [left_edge, left_edge - 300]
    assert reasons(-5.0, noisy, clips=two) == (
        "2 junction-like reads at its edges (0.5 by chance) where 30 were expected "
        "(z -5.0, needs -5.8 without them)"
    )
    # the same reads read over windows ten times longer (a panel: the reads lie on the tiles
    # alone): the chance per read, and so the refusal, is the same
    sparse = dataclasses.replace(noisy, bases=10 * noisy.bases)
    assert reasons(-5.0, sparse, clips=two) == reasons(-5.0, noisy, clips=two)
    # 12 seen: 12 log 61 - 30 = +19.3, the loss stands
    assert reasons(-5.0, noisy, clips=[left_edge] * 12) == ""
    # without background one read is enough, as before
    assert reasons(-5.0, _profile(), clips=[left_edge]) == ""


def test_a_refused_loss_is_not_called():
    segments = pd.DataFrame(
        {"chrom": "chr7", "start": [1, 101], "end": [100, 200], "n_bins": [10, 10],
         "log2": [-1.0, -1.0], "se": [0.1, 0.1], "veto": ["", "no junction read"]}
    )  # fmt: skip
    called = call_segments(segments, 0.9, CallParams())
    assert called["deleted"].tolist() == [True, False]


def test_no_loss_is_refused_where_the_locus_is_not_tiled_end_to_end():
    # Exome-like data: the intron tiles of the locus are masked (no reads), so the usable
    # neighbours of the loss's edges are exon bins kilobases apart, and a junction between
    # them would not be captured: the lack of junction reads says nothing.
    from ikaros.dna.breakpoints import unsupported_losses

    bins = _locus_bins()
    exons = np.arange(len(bins)) % 6 == 0
    bins.loc[~exons & (bins["kind"] == "intron"), "masked"] = True
    bins.loc[exons & (bins["kind"] == "intron"), "kind"] = "exon"
    segments, called = _one_loss(bins, 24, 30)  # exon bins 24 and 30; 25-29 masked
    reasons = unsupported_losses(segments, called, bins, ["G"], {"G": _evidence()}, 3.5)
    assert (reasons == "").all()
    # the same loss with every tile usable is refused
    segments, called = _one_loss(_locus_bins(), 24, 30)
    reasons = unsupported_losses(segments, called, _locus_bins(), ["G"], {"G": _evidence()}, 3.5)
    assert reasons.iat[1] != ""


def _clip_evidence(right=(), left=(), lone_clips=1_000):
    """Evidence of a window whose reads hold the given clips (position, reads) by direction,
    from a sample of 100,000 150-bp reads with ``lone_clips`` scattered ones."""
    from ikaros.dna.junction_reads import WindowEvidence

    return WindowEvidence(
        junctions=[], clip_positions=(), discordant=(), median_fragment=300.0, max_fragment=600,
        profile=_profile(clipped=lone_clips, improper=0, lone_clips=lone_clips),
        right_clips=tuple(right), left_clips=tuple(left),
    )  # fmt: skip


def test_clipped_reads_piled_at_one_base_place_the_edges_of_a_called_loss():
    # As test_a_junction_pins_the_edges_where_the_coverage_cannot, in a BAM of proper pairs
    # only (no discordant pair, so no junction): three reads right-clipped after base 39,800
    # and three left-clipped before 69,900 put both edges right in every draw whose loss the
    # coverage calls (the clips never make a call), where the coverage alone misplaces one in
    # some. Single clips there (as scattered clips fall) weigh
    # nothing, and a window without clips is fitted as before.
    from ikaros.dna.breakpoints import clip_weights

    rng = np.random.default_rng(21)
    free_exact = piled_exact = called = 0
    for _ in range(20):
        x, var, _ = planted(120, 40, 70, -0.4, 0.3, rng)
        bins = _bins(x, var, 30, 90)
        segments = _segments(bins, [40, 70])
        free = refine_segments(segments, bins, ["G"], _is_loss())
        piled = refine_segments(
            segments, bins, ["G"], _is_loss(),
            evidence={"G": _clip_evidence([(39_800, 3)], [(69_900, 3)])},
        )  # fmt: skip
        single = refine_segments(
            segments, bins, ["G"], _is_loss(),
            evidence={"G": _clip_evidence([(39_800, 1)], [(69_900, 1)])},
        )  # fmt: skip
        pd.testing.assert_frame_equal(single, free)
        lost = piled[_is_loss()(piled)]
        called += bool(len(lost))
        piled_exact += lost[["first_row", "last_row"]].values.tolist() == [[40, 69]]
        free_lost = free[_is_loss()(free)]
        free_exact += free_lost[["first_row", "last_row"]].values.tolist() == [[40, 69]]
    assert called >= 18
    assert piled_exact == called
    assert free_exact < called - 2
    # by hand: window bins 30..89, a pile of 3 at 39,800 falls before window bin 10 (bin 40,
    # midpoint 40,250); log1p((1 - 2^-0.4) x 65 / 0.005) = 8.05 per read, averaged over the
    # 1,000 bases between the midpoints of bins 39 and 40
    window = _bins(np.zeros(60), np.full(60, 0.09), 0, 60).assign(
        start=lambda b: b["start"] + 30_000, end=lambda b: b["end"] + 30_000
    )
    start_weight, stop_weight = clip_weights(window, _clip_evidence([(39_800, 3)]), -0.4)
    per_read = np.log1p((1 - 2**-0.4) * 65 / 0.005)
    expected = np.logaddexp(np.log(1000), np.log(np.expm1(3 * per_read))) - np.log(1000)
    assert start_weight[10] == pytest.approx(expected)
    assert np.count_nonzero(start_weight) == 1 and not stop_weight.any()
    # reads that show no clipping (end-to-end aligner) weigh nothing, nor does a gain
    unmeasured = _clip_evidence([(39_800, 3)], lone_clips=0)
    assert not clip_weights(window, unmeasured, 0.2)[0].any()


def test_a_pile_of_split_reads_at_an_edge_stands_for_the_junction():
    # A sample with many scattered clips (20% of reads): two clips near the loss's left edge
    # at different bases are what chance gives there, and the loss at z -5 is refused; the
    # same two reads clipped at one base, in the direction a junction there leaves, are its
    # split reads, and it stands. Clipped the other way, they do not count.
    from ikaros.dna.breakpoints import unsupported_losses

    bins = _locus_bins()
    segments, called = _one_loss(bins, 20, 22, z=-5.0)
    left_edge = int(bins["end"].iat[19])

    def reasons(right=(), left=()):
        evidence = _clip_evidence(right, left, lone_clips=20_000)
        clips = [p for p, n in (*right, *left) for _ in range(n)]
        evidence = dataclasses.replace(evidence, clip_positions=tuple(sorted(clips)))
        return unsupported_losses(segments, called, bins, ["G"], {"G": evidence}, 3.5)

    assert "2 junction-like reads" in reasons([(left_edge - 100, 1), (left_edge + 50, 1)]).iat[1]
    assert (reasons([(left_edge - 100, 2)]) == "").all()
    assert reasons(left=[(left_edge - 100, 2)]).iat[1] != ""


def test_a_sample_showing_one_kind_of_junction_read_needs_fewer_of_them():
    """Reads of 150 bases, fragments of 300: every junction lies inside one of a junction
    fragment's reads, which a local aligner shows as a split read and, half the time, also as
    a discordant pair (share 1.5 reads per fragment). An end-to-end aligner's BAM shows the
    pairs alone, 0.5 / 1.5 = 1/3 of them: three reads become one, and the floor of two holds.
    With fragments of 600 a junction lies inside a read half the time and the pairs show
    0.75 / 1.25 = 0.6: five reads become three. A BAM with both kinds, or no measured read
    (evidence built by hand), keeps the setting."""
    from ikaros.dna.breakpoints import junction_reads_needed

    both = {"IKZF1": _evidence(profile=_profile())}
    pairs_only = {"IKZF1": _evidence(profile=_profile(clipped=0))}
    long_fragments = {"IKZF1": _evidence(median_fragment=600.0, profile=_profile(clipped=0))}
    assert junction_reads_needed(3, both) == 3
    assert junction_reads_needed(3, {"IKZF1": _evidence()}) == 3
    assert junction_reads_needed(3, pairs_only) == 2
    assert junction_reads_needed(5, pairs_only) == 2
    assert junction_reads_needed(5, long_fragments) == 3
    assert junction_reads_needed(3, {"IKZF1": _evidence(median_fragment=np.nan)}) == 3

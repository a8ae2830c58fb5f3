"""Where a loss starts and ends inside a gene's window of bins: one interval, by likelihood.

CBS segments a whole chromosome arm and tests arcs one at a time, so inside a densely tiled
gene it can place an edge a bin or two off, cut a loss into pieces around a few noisy bins, or
leave the loss's last bins in a long neighbouring segment. Where an exon is a single bin, that
decides the exon's state. Inside a gene's window (the consecutive bins labelled with the gene:
its exons, introns and flanks) the usual lesion is one deletion with two breakpoints, so the
window is refitted with that model:

    x_k ~ N(L, v_k) for bins k in [i, j),   x_k ~ N(0, v_k) otherwise,

with the loss level L < 0 fixed (the level of the segment that called the loss, or the
maximum-likelihood level of the best interval). Each level's normal density is mixed with a
1% share of outliers (flat over 10 log2 units): log counts have a heavy lower tail, and one
extreme bin must not drag a breakpoint towards it. A breakpoint lies between two bins or
beyond an end of the window; with a flat prior over these positions the posterior of every
interval (i, j) is exact on the grid, and a bin is *in the loss* when its posterior
probability of lying inside the interval is at least one half (a bp-uniform prior was
tried and rejected: the 50 kb gaps between flank bins then pull edges away from the exons).

This module only places the interval; whether it is a deletion at all is decided by the
segment call (copy_number.call_segments) on the refitted segment, with the same rules as any
other segment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ikaros.dna.junction_reads import MIN_CLIP, MIN_SA_READS, ReadProfile
from ikaros.dna.segmentation import segment_summary, without_most_extreme

# Share of bins that follow neither level (a few reads, a mapping artefact) and their flat
# density over a span of 10 log2 units.
OUTLIER_SHARE = 0.01
OUTLIER_DENSITY = 0.1


# Clipped reads at one base that weigh where an edge lies. A single clip is as likely to be one
# of the scattered clips (on the simulated 30x proper-pair BAMs about one per two bins of the
# IKZF1 window) as a junction's, and its weight (about 3 log units wherever it falls) moved the
# edges of true losses onto stray clips; two at one base almost never come by chance.
MIN_PILE_READS = 2

# A called segment this long counts as broad (arm scale) beside a deeper one inside a gene window
# (refine_segments keeps CBS's cuts between them; a long whole-gene loss keeps its exons either
# way, as each of its pieces is called).
BROAD_LOSS_BP = 1_000_000
# A deeper piece inside it counts only with this many bins: a focal IKZF1 deletion spans its
# exons' and introns' tiles (Delta4-7 about 30 kb), while dips of a few bins inside a 7p or
# chromosome 7 loss are noise that the fit must go on joining to the loss.
NESTED_MIN_BINS = 8


@dataclass(frozen=True)
class IntervalFit:
    """The refitted loss of one window: bins [start, stop) (window positions), its level,
    the per-bin posterior of lying in the loss, and the log-likelihood gain over no loss."""

    start: int
    stop: int
    level: float
    inside: np.ndarray
    gain: float


def _robust_loglik(x: np.ndarray, level: float, sd: np.ndarray) -> np.ndarray:
    """log[(1 - e) N(x; level, sd^2) + e g]: a normal bin model contaminated by outliers
    (share OUTLIER_SHARE, flat density OUTLIER_DENSITY per log2 unit)."""
    normal = np.exp(-0.5 * ((x - level) / sd) ** 2) / (np.sqrt(2.0 * np.pi) * sd)
    return np.log((1.0 - OUTLIER_SHARE) * normal + OUTLIER_SHARE * OUTLIER_DENSITY)


def _interval_gain(x: np.ndarray, w: np.ndarray) -> tuple[int, int, float, float]:
    """Best interval [i, j) of at least two bins at a free negative level: max of S^2 / W
    with S < 0 (two bins, so that one wild bin does not set the level).

    S and W are the inverse-variance weighted sum and total weight of the interval; S^2 / (2W)
    is the log-likelihood gain of level S / W over level 0.
    """
    s = np.concatenate(([0.0], np.cumsum(w * x)))
    wc = np.concatenate(([0.0], np.cumsum(w)))
    seg_s = s[None, :] - s[:, None]
    seg_w = wc[None, :] - wc[:, None]
    n = len(x)
    valid = np.triu(np.ones((n + 1, n + 1), dtype=bool), k=min(2, n)) & (seg_s < 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(valid, seg_s**2 / (2.0 * seg_w), -np.inf)
    flat = int(np.argmax(gain))
    i, j = divmod(flat, n + 1)
    if not np.isfinite(gain[i, j]):
        return 0, 0, 0.0, 0.0
    return i, j, float(seg_s[i, j] / seg_w[i, j]), float(gain[i, j])


def fit_interval(
    x: np.ndarray,
    var: np.ndarray,
    level: float | None = None,
    allowed: np.ndarray | None = None,
    open_start: bool = False,
    open_stop: bool = False,
    allowed_start: np.ndarray | None = None,
    allowed_stop: np.ndarray | None = None,
    start_weight: np.ndarray | None = None,
    stop_weight: np.ndarray | None = None,
) -> IntervalFit | None:
    """Single-loss fit of one window (bins in genomic order); None without any negative bin.

    ``level`` fixes L (e.g. from the segment that called the loss); by default it is the
    maximum-likelihood level of the best interval. ``allowed`` (n + 1 booleans, position k
    = before bin k) says where a breakpoint may lie; by default anywhere. ``allowed_start``
    / ``allowed_stop`` (same shape) restrict the first / second breakpoint alone, e.g. to
    where junction reads put it. ``open_start`` / ``open_stop`` fix the loss to run on past
    the window's first / last bin. ``start_weight`` / ``stop_weight`` (same shape) add log
    likelihood ratios of the first / second breakpoint lying at each position, from reads
    that point there (clip_weights).
    """
    x = np.asarray(x, dtype=float)
    var = np.asarray(var, dtype=float)
    n = len(x)
    if n == 0:
        return None
    w = 1.0 / var
    sd = np.sqrt(var)
    i0, j0, best_level, gain = _interval_gain(x, w)
    if j0 <= i0:
        return None
    level = best_level if level is None else float(level)
    if not level < 0:
        return None
    # Log-likelihood ratio of each bin lying in the loss (level L) rather than outside (0),
    # each level's density mixed with a small share of outliers (bounded influence).
    llr = _robust_loglik(x, level, sd) - _robust_loglik(x, 0.0, sd)
    c = np.concatenate(([0.0], np.cumsum(llr)))
    loglik = c[None, :] - c[:, None]
    if start_weight is not None:
        loglik = loglik + np.asarray(start_weight, dtype=float)[:, None]
    if stop_weight is not None:
        loglik = loglik + np.asarray(stop_weight, dtype=float)[None, :]
    upper = np.triu(np.ones((n + 1, n + 1), dtype=bool), k=1)
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=bool)
        upper &= allowed[:, None] & allowed[None, :]
    if allowed_start is not None:
        upper &= np.asarray(allowed_start, dtype=bool)[:, None]
    if allowed_stop is not None:
        upper &= np.asarray(allowed_stop, dtype=bool)[None, :]
    if open_start:
        upper[1:, :] = False
    if open_stop:
        upper[:, :n] = False
    if not upper.any():
        return None
    loglik = np.where(upper, loglik, -np.inf)
    top = float(loglik.max())
    post = np.exp(loglik - top)
    post /= post.sum()
    # P(bin k inside) = sum over i <= k < j of post[i, j].
    by_start = np.cumsum(post.sum(axis=1))  # P(i <= k) for k = 0..n
    by_stop = np.cumsum(post.sum(axis=0))  # P(j <= k)
    inside = by_start[:n] - by_stop[:n]
    lost = np.nonzero(inside >= 0.5)[0]
    if not len(lost):
        return IntervalFit(i0, j0, level, inside, gain)
    return IntervalFit(int(lost[0]), int(lost[-1]) + 1, level, inside, gain)


def breakpoint_gaps(window: pd.DataFrame) -> np.ndarray:
    """Where a breakpoint may lie in a window of bins (n + 1 booleans, k = before bin k):
    anywhere except between two bins of the same exon. A long exon tiled by several bins
    (IKZF1 exon 8) is lost or kept as a whole: the recurrent deletions break in introns
    (RAG-mediated, at cryptic recombination signals) and the exon-level classes are defined
    per exon, so a cut through an exon's bins would only fit noise."""
    n = len(window)
    allowed = np.ones(n + 1, dtype=bool)
    if n < 2 or not {"kind", "gene", "exon"} <= set(window.columns):
        return allowed
    kind = window["kind"].astype(str).to_numpy()
    key = (window["gene"].astype(str) + ":" + window["exon"].astype(str)).to_numpy()
    same_exon = (kind[1:] == "exon") & (kind[:-1] == "exon") & (key[1:] == key[:-1])
    allowed[1:n] = ~same_exon
    return allowed


def _piece(
    bins: pd.DataFrame,
    rows: np.ndarray,
    split_p: float,
    library_se: float,
    pair_cov: np.ndarray | None = None,
) -> dict:
    """A segment row (segmentation.SEGMENT_COLUMNS) over consecutive usable bin rows ``rows``."""
    x = bins["log2"].to_numpy(dtype=float)[rows]
    v = bins["var"].to_numpy(dtype=float)[rows]
    c = None if pair_cov is None else pair_cov[rows]
    mean, se = segment_summary(x, v, c)
    mean_drop1, se_drop1 = without_most_extreme(x, v, mean, c)
    se = float(np.hypot(se, library_se))
    first, last = int(rows[0]), int(rows[-1])
    return {
        "chrom": bins["chrom"].iat[first],
        "start": int(bins["start"].iat[first]),
        "end": int(bins["end"].iat[last]),
        "first_bin": bins["bin_id"].iat[first],
        "last_bin": bins["bin_id"].iat[last],
        "first_row": first,
        "last_row": last,
        "n_bins": len(rows),
        "log2": mean,
        "se": se,
        "z": mean / se,
        "log2_drop1": mean_drop1,
        "se_drop1": float(np.hypot(se_drop1, library_se)),
        "split_p": split_p,
    }


def junction_text(junction) -> str:
    """How a junction is reported: chrom:last retained base^first retained base (reads)."""
    return (
        f"{junction.chrom}:{junction.left_end}^{junction.right_start} "
        f"({junction.pairs} pairs, {junction.split_reads} split reads"
        + (f", {junction.sa_reads} naming both ends" if junction.sa_reads else "")
        + ")"
    )


def _midpoints(bins: pd.DataFrame) -> np.ndarray:
    """Bin midpoints: a bin counts as lost when its midpoint lies inside a deletion."""
    return (bins["start"].to_numpy() + bins["end"].to_numpy()) / 2


def _window_junction(junctions: Sequence, window_bins: pd.DataFrame, min_reads: int):
    """The best-supported deletion junction that removes at least one bin of the window
    (by bin midpoint), with at least one discordant pair or MIN_SA_READS split reads whose SA
    tags name both its breakpoints, and `min_reads` reads in all."""
    chrom = str(window_bins["chrom"].iat[0])
    mids = _midpoints(window_bins)
    best = None
    for junction in junctions:
        if junction.chrom != chrom:
            continue
        if junction.pairs < 1 and junction.sa_reads < MIN_SA_READS:
            continue
        if junction.pairs + junction.split_reads < min_reads:
            continue
        if not np.any((mids > junction.left_end) & (mids < junction.right_start)):
            continue
        support = junction.pairs + junction.split_reads
        if best is None or support > best.pairs + best.split_reads:
            best = junction
    return best


def junction_gaps(window_bins: pd.DataFrame, junction) -> tuple[np.ndarray, np.ndarray]:
    """Where the loss's first and second breakpoint may lie in the window (n + 1 booleans
    each, k = before bin k) given a deletion junction: a bin is lost when its midpoint lies
    between the last retained base before the deletion and the first one after it, for some
    positions of these within the junction's intervals (one position when split reads fix
    them to the base)."""
    mids = _midpoints(window_bins)
    before = np.concatenate(([-np.inf], mids))  # midpoint of bin k - 1
    after = np.concatenate((mids, [np.inf]))  # midpoint of bin k
    start_ok = (before <= junction.left_high) & (after > junction.left_low)
    stop_ok = (before < junction.right_high) & (after >= junction.right_low)
    return start_ok, stop_ok


def clip_weights(
    window_bins: pd.DataFrame, evidence, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Log likelihood ratios, per breakpoint position of a window (n + 1 each, k = before bin
    k), that the loss's first / second breakpoint lies there, from the window's clipped reads
    (junction_reads.WindowEvidence): a read right-clipped after base L says that a deletion
    may start at L + 1, one left-clipped before base R that it may end at R - 1.

    With d read starts per base, a loss at ``level`` leaves about
    mu = share x d x (read length - 2 min clip) / 2 split reads on each side of its junction,
    all clipped at the same base (share = 1 - 2^level, the derived chromosome's share of the
    copies), while scattered clips of one direction fall on a given base at
    b = (lone clips per read) / 2 x d. A breakpoint at base p rather than at a base without
    clips multiplies the likelihood of the clips by (1 + mu / b)^n_p, n_p the reads clipped
    there; d cancels. A breakpoint position k stands for the bases between the midpoints of
    bins k - 1 and k (a bin is lost when its midpoint is deleted), with a flat prior over them,
    so its weight is the log of that factor averaged over them: one clip in a stretch of
    hundreds of bases weighs little, two or more at one base decide. These weights only move
    the edges of a loss that the coverage calls (refine_segments); they never make one.
    Without clipped reads (end-to-end aligners) every weight is 0.
    """
    n = len(window_bins)
    start_weight, stop_weight = np.zeros(n + 1), np.zeros(n + 1)
    profile = evidence.profile
    if not (level < 0) or not profile.measured or n == 0:
        return start_weight, stop_weight
    starts = window_bins["start"].to_numpy(dtype=float)
    ends = window_bins["end"].to_numpy(dtype=float)
    mids = (starts + ends) / 2
    stretch = np.maximum(np.diff(np.concatenate(([starts[0] - 1], mids, [ends[-1]]))), 1.0)
    spanning = max(profile.read_length - 2.0 * MIN_CLIP, 0.0) / 2.0
    background = max(profile.lone_clips, 1) / profile.reads / 2.0
    per_read = float(np.log1p((1.0 - 2.0**level) * spanning / background))
    for clips, weight, side in (
        (evidence.right_clips, start_weight, "right"),
        (evidence.left_clips, stop_weight, "left"),
    ):
        terms: dict[int, list[float]] = {}
        for position, reads in clips:
            if reads < MIN_PILE_READS:
                continue
            gap = int(np.searchsorted(mids, position, side=side))
            # log((1 + mu / b)^n - 1), in logs: n can be large
            log_factor = reads * per_read
            excess = log_factor + float(np.log1p(-np.exp(-log_factor)))
            terms.setdefault(gap, []).append(excess)
        for gap, excesses in terms.items():
            base = np.log(stretch[gap])
            weight[gap] = float(np.logaddexp.reduce([base, *excesses]) - base)
    return start_weight, stop_weight


def _extend_to_junction(pieces: pd.DataFrame, carrying: np.ndarray, junction) -> None:
    """Stretch the loss's pieces to the deletion the reads name (up to their neighbours):
    an exon whose bin is masked or missing between the loss's last bin and the junction is
    then inside the loss, as the reads say, instead of unresolved in a gap."""
    if not len(carrying):
        return
    first, last = int(carrying[0]), int(carrying[-1])
    floor = int(pieces["end"].iat[first - 1]) + 1 if first > 0 else 1
    start = max(min(int(pieces["start"].iat[first]), junction.left_end + 1), floor)
    pieces.iloc[first, pieces.columns.get_loc("start")] = start
    ceiling = int(pieces["start"].iat[last + 1]) - 1 if last + 1 < len(pieces) else None
    end = max(int(pieces["end"].iat[last]), junction.right_start - 1)
    pieces.iloc[last, pieces.columns.get_loc("end")] = end if ceiling is None else min(end, ceiling)


def refine_segments(
    segments: pd.DataFrame,
    bins: pd.DataFrame,
    genes: Sequence[str],
    is_loss: Callable[[pd.DataFrame], np.ndarray],
    library_se: float = 0.0,
    junctions: Sequence = (),
    junction_min_reads: int = 3,
    step_z: float = 3.0,
    pair_cov: np.ndarray | None = None,
    evidence: Mapping | None = None,
) -> pd.DataFrame:
    """Re-place the edges of a loss inside each gene's window by the single-interval fit.

    ``segments`` are bin-level segments (segmentation.segment_bins, SEs including
    ``library_se``) of ``bins``; ``is_loss`` calls segments (True = deleted); ``pair_cov``
    (bin_noise.pair_covariance) enters the pieces' SEs as it entered the segments'. A window is
    refitted only when CBS already called a loss overlapping it: detection stays with the
    segmentation and the segment call, this step only moves edges. The change points of CBS
    between two bins of the window are replaced by the fitted interval's edges; those outside
    the window stay, and every piece is summarised anew. Segments elsewhere are unchanged.

    ``junctions`` (ikaros.dna.junction_reads.DeletionJunction) are deletions seen in the reads. A
    junction that removes bins of a window (at least one discordant pair, or two split reads
    whose SA tags name both its ends, and ``junction_min_reads`` pairs and split reads; see
    junction_reads_needed for a sample that shows one kind only) confines the breakpoints to
    where its reads put them, and the window is fitted even without a CBS call: the reads name
    the interval in advance, so its coverage is tested alone (the piece carries the junction in
    column ``junction`` and ``is_loss`` may hold it to a lower z).

    Without a junction, a called segment inside a window that reads ``step_z`` SEs or more below
    a broad called segment (running past an end of the window, or ``BROAD_LOSS_BP`` long) is a
    focal loss inside a broader one (an IKZF1 deletion on a 7p lost in some cells, or read low
    under gains): a single interval at one level would merge them and carry the broader loss's
    exons into the focal one, so CBS's cuts are kept there. (Pieces of one loss that CBS cut
    apart inside the window are still joined by the fit.) There the reads of each gene's window
    (``evidence``: gene -> junction_reads.WindowEvidence) still weigh where each edge lies, by
    the piles of clipped reads a breakpoint leaves even without discordant pairs (a BAM
    filtered to proper pairs, or an edge whose other side lies outside the tiles:
    clip_weights).
    """
    out = segments.reset_index(drop=True)
    if len(junctions) and "junction" not in out.columns:
        out["junction"] = ""
    usable = ~bins["masked"].to_numpy(dtype=bool)
    gene_col = bins["gene"].astype(str).to_numpy() if "gene" in bins.columns else None
    if gene_col is None or out.empty:
        return out
    for gene in genes:
        window = np.nonzero((gene_col == gene) & usable)[0]
        if len(window) < 3:
            continue
        first_row = out["first_row"].to_numpy()
        last_row = out["last_row"].to_numpy()
        touching = np.nonzero((first_row <= window[-1]) & (last_row >= window[0]))[0]
        if not len(touching):
            continue
        called = touching[is_loss(out.iloc[touching])]
        junction = _window_junction(junctions, bins.iloc[window], junction_min_reads)
        if not len(called) and junction is None:
            continue
        x = bins["log2"].to_numpy(dtype=float)[window]
        var = bins["var"].to_numpy(dtype=float)[window]
        gaps = breakpoint_gaps(bins.iloc[window])
        if junction is None:
            if _nested(out.iloc[called], window, step_z):
                continue  # a focal loss inside a broader one: one interval would merge them
            # The loss level: that of the called segment with most bins in the window.
            in_window = [np.sum((window >= first_row[k]) & (window <= last_row[k])) for k in called]
            level = float(out["log2"].iat[int(called[int(np.argmax(in_window))])])
            found = (evidence or {}).get(gene)
            weights = (None, None)
            if found is not None:
                weights = clip_weights(bins.iloc[window], found, level)
            # A called loss that already runs past an end of the window (a 7p or whole-gene
            # loss) keeps that end: the window cannot tell where it lies.
            fit = fit_interval(
                x, var, level, gaps,
                open_start=bool(first_row[called[0]] < window[0]),
                open_stop=bool(last_row[called[-1]] > window[-1]),
                start_weight=weights[0], stop_weight=weights[1],
            )  # fmt: skip
        else:
            start_ok, stop_ok = junction_gaps(bins.iloc[window], junction)
            # Exons are kept whole unless the reads put a breakpoint inside one.
            start_ok = start_ok & gaps if np.any(start_ok & gaps) else start_ok
            stop_ok = stop_ok & gaps if np.any(stop_ok & gaps) else stop_ok
            # The level of the bins the junction's best estimate removes.
            mids = _midpoints(bins.iloc[window])
            lost = (mids > junction.left_end) & (mids < junction.right_start)
            level, _ = segment_summary(x[lost], var[lost]) if lost.any() else (np.nan, np.nan)
            if not level < 0:
                continue
            fit = fit_interval(x, var, level, allowed_start=start_ok, allowed_stop=stop_ok)
        if fit is None:
            continue
        lo, hi = int(touching[0]), int(touching[-1])
        # Bin rows of the touched segments, in order, and the CBS cuts among them (the row
        # each later segment starts at) that do not fall between two window bins.
        rows = np.nonzero(usable)[0]
        rows = rows[(rows >= first_row[lo]) & (rows <= last_row[hi])]
        cuts = {int(first_row[k]): float(out["split_p"].iat[k]) for k in range(lo + 1, hi + 1)}
        cuts = {r: p for r, p in cuts.items() if not window[0] < r <= window[-1]}
        for edge in (fit.start, fit.stop):
            if 0 < edge < len(window):
                cuts[int(window[edge])] = np.nan
        starts = [int(rows[0]), *sorted(r for r in cuts if r > rows[0])]
        pieces = []
        for k, start in enumerate(starts):
            stop = starts[k + 1] if k + 1 < len(starts) else int(rows[-1]) + 1
            members = rows[(rows >= start) & (rows < stop)]
            p = float(out["split_p"].iat[lo]) if k == 0 else cuts[start]
            pieces.append(_piece(bins, members, p, library_se, pair_cov))
        pieces = pd.DataFrame(pieces, columns=out.columns)
        if "junction" in pieces.columns:
            pieces["junction"] = ""
        if junction is not None:
            lost_rows = window[fit.start : fit.stop]
            carries = (pieces["first_row"] <= lost_rows[-1]) & (pieces["last_row"] >= lost_rows[0])
            pieces.loc[carries, "junction"] = junction_text(junction)
            _extend_to_junction(pieces, np.flatnonzero(carries.to_numpy()), junction)
        overlap = (pieces["first_row"] <= window[-1]) & (pieces["last_row"] >= window[0])
        if not np.any(is_loss(pieces[overlap])):
            continue  # the refit only moves edges: it never takes away the call itself
        out = pd.concat(
            [out.iloc[:lo], pieces, out.iloc[hi + 1 :]],
            ignore_index=True,
        )
    return out


def _nested(called: pd.DataFrame, window: np.ndarray, step_z: float) -> bool:
    """Whether a called segment of ``NESTED_MIN_BINS`` or more inside the window reads
    ``step_z`` SEs deeper than a broad called segment: one that runs past an end of the window
    or spans ``BROAD_LOSS_BP``."""
    first, last = called["first_row"].to_numpy(), called["last_row"].to_numpy()
    level, se = called["log2"].to_numpy(dtype=float), called["se"].to_numpy(dtype=float)
    span = called["end"].to_numpy(dtype=float) - called["start"].to_numpy(dtype=float) + 1
    broad = (first < window[0]) | (last > window[-1]) | (span >= BROAD_LOSS_BP)
    inside = ~broad & (called["n_bins"].to_numpy() >= NESTED_MIN_BINS)
    if not broad.any() or not inside.any():
        return False
    depth = (level[broad][:, None] - level[inside][None, :]) / np.hypot(
        se[broad][:, None], se[inside][None, :]
    )
    return bool(np.any(depth >= step_z))


def unsupported_losses(
    segments: pd.DataFrame,
    called: pd.DataFrame,
    bins: pd.DataFrame,
    genes: Sequence[str],
    evidence: Mapping,
    z_threshold: float,
) -> pd.Series:
    """Why each called loss is refused for want of junction reads ("" when it stands).

    A loss of a gene window that the reads name no junction for, but whose edges lie between
    two usable tiles of the gene's locus (exon or intron bins) no more than a fragment apart,
    so that a junction there is captured whichever base it falls on, should still have left
    split reads and discordant pairs at those edges: about
    share x mu x L / (len + L) junction fragments per edge, with share the derived
    chromosome's share of the copies, which is the share of the depth the loss removed
    (1 - ratio: f / 2 of a monoallelic loss in a fraction f of the cells, f of a biallelic
    one; read from the level rather than from the cell fraction, which is capped at the
    blasts, so that a dip deeper than the blasts can carry is held to the junction reads its
    depth implies), mu the fragments expected in the retained neighbouring tile (of length len)
    and L the median fragment. Counted as `reads_near` counts them (clipped reads and
    discordant pairs near either edge), that expectation lam is about twice the number of
    junction fragments (on the simulated cohorts of benchmarks/bench_ikzf1_accuracy.py, 0.96
    reads seen per read expected over 45 true deletions at 30x).

    What the sample's own reads show scales lam (junction_reads.ReadProfile over all its
    windows): a junction fragment gives a split read when the junction falls inside one of its
    reads (p = min(1, 2 x read length / L)) and a discordant pair otherwise or, when inside, in
    about half the cases (the read goes to its majority side); a sample whose aligner clips
    nothing (end-to-end mode) cannot show the split reads, one filtered to proper pairs cannot
    show the discordant pairs, and one with neither gives no veto at all. Against it stands the
    background b: the scattered clips and lone discordant pairs that the sample shows per base,
    over the same stretch.

    Split reads piled at one base of an edge, in the direction a junction there leaves
    (MIN_PILE_READS or more), stand for the junction itself: scattered clips almost never
    share a base, so the loss stands as one that carries a junction does.

    A discordant pair whose reads lie on either side of the loss counts as seen too (the fitted
    edges can miss a subclonal loss's breakpoints by some bins). The n reads seen are weighed
    as Poisson counts, in fragments (half the reads): the log likelihood ratio of the loss
    changes by (n log(1 + lam / b) - lam) / 2, which is -lam / 2 when none is seen (a true
    deletion leaves no junction fragment with probability exp(-lam / 2)) and favours the loss
    without limit when some are seen and the sample shows no background (its lone clips and
    discordant pairs per read, times the reads expected over the edges: ``background_near``).
    The coverage's own is z^2 / 2 (a level z standard errors from zero), so the loss stands
    only when
    z^2 + n log(1 + lam / b) - lam still reaches the segment call's z_threshold^2: a short dip
    a few standard errors deep is noise when dozens of junction reads were due, while a loss
    deep in coverage survives a junction hidden from the aligner.
    ``called`` is ``segments`` with the segment calls (copy_number.call_segments).
    """
    reasons = pd.Series("", index=segments.index, dtype=object)
    profile = ReadProfile.of(evidence)
    usable = np.flatnonzero(~bins["masked"].to_numpy(dtype=bool))
    gene_col = bins["gene"].astype(str).to_numpy()
    locus = bins["kind"].isin(["exon", "intron"]).to_numpy()
    starts, ends = bins["start"].to_numpy(), bins["end"].to_numpy()
    expected = bins["expected"].to_numpy(dtype=float)
    for gene in genes:
        window_evidence = evidence.get(gene)
        if window_evidence is None or not np.isfinite(window_evidence.median_fragment):
            continue
        fragment = window_evidence.median_fragment
        shown = shown_junction_share(profile, fragment)
        in_locus = locus & (gene_col == gene)
        for k in np.flatnonzero(called["deleted"].to_numpy(dtype=bool)):
            if str(segments["junction"].iat[k] if "junction" in segments else ""):
                continue
            first, last = int(segments["first_row"].iat[k]), int(segments["last_row"].iat[k])
            if not (in_locus[first] or in_locus[last]):
                continue
            share = float(np.clip(1.0 - called["ratio"].iat[k], 0.0, 1.0))
            position = np.searchsorted(usable, [first, last])
            edges = []
            if position[0] > 0:
                edges.append((int(usable[position[0] - 1]), first))
            if position[1] + 1 < len(usable):
                edges.append((last, int(usable[position[1] + 1])))
            lam = seen = chance = 0.0
            piled = False
            for left, right in edges:
                if not (in_locus[left] and in_locus[right]):
                    continue  # an edge in the flanks: the junction need not be captured
                if starts[right] - ends[left] - 1 > fragment:
                    continue  # bins apart (masked tiles, exome data): nor here
                kept = left if left < first else right
                side = "left" if kept == left else "right"
                piled |= (
                    window_evidence.largest_pile(int(starts[left]), int(ends[right]), side)
                    >= MIN_PILE_READS
                )
                length = ends[kept] - starts[kept] + 1
                lam += shown * share * expected[kept] * fragment / (length + fragment)
                seen += window_evidence.reads_near(int(starts[left]), int(ends[right]))
                chance += background_near(
                    profile,
                    expected[kept] / (length + fragment),
                    ends[right] - starts[left] + 1,
                    window_evidence.max_fragment,
                )
            if lam <= 0 or piled:
                continue  # no junction due, or its split reads seen piled at one base
            # A deletion containing this one leaves pairs across it even when the fitted
            # edges miss its breakpoints by some bins.
            seen += window_evidence.pairs_spanning(int(starts[first]), int(ends[last]))
            if seen == 0:
                support = -lam
            elif chance > 0:
                support = seen * float(np.log1p(lam / chance)) - lam
            else:
                continue  # reads seen where none come by chance
            z = float(called["z"].iat[k])
            needed_sq = z_threshold**2 - support
            if needed_sq > 0 and not z <= -np.sqrt(needed_sq):
                needed = float(np.sqrt(needed_sq))
                found = (
                    "no junction read at its edges"
                    if seen == 0
                    else f"{seen:.0f} junction-like reads at its edges ({chance:.1f} by chance)"
                )
                reasons.iat[k] = (
                    f"{found} where {lam:.0f} were expected "
                    f"(z {z:.1f}, needs {-needed:.1f} without them)"
                )
    return reasons


# A junction always needs this many reads, whatever the sample shows: one discordant pair alone
# is as often a stray (a chimera, a mapping artefact) as a junction.
MIN_JUNCTION_READS = 2


def junction_reads_needed(min_reads: int, evidence: Mapping) -> int:
    """The reads a junction needs in a sample (`min_reads` for one that shows both kinds, split
    reads and discordant pairs), scaled by the share of a junction's reads the sample can show
    (shown_junction_share; evidence: gene -> junction_reads.WindowEvidence), and never under
    MIN_JUNCTION_READS. An end-to-end aligner's BAM shows a junction only by its discordant
    pairs, about a third of the reads a local aligner's shows: two pairs there weigh what
    three reads weigh in a BAM with both kinds."""
    fragments = [e.median_fragment for e in evidence.values() if np.isfinite(e.median_fragment)]
    if not fragments:
        return min_reads
    share = shown_junction_share(ReadProfile.of(evidence), float(np.median(fragments)))
    return max(MIN_JUNCTION_READS, min(min_reads, int(np.ceil(min_reads * share))))


def shown_junction_share(profile: ReadProfile, fragment: float) -> float:
    """The share of a junction's reads (split reads and discordant pairs, as reads_near counts
    them) that a sample with this read profile can show; 1 when it shows both kinds."""
    if profile.shows_clips and profile.shows_improper_pairs:
        return 1.0
    inside = min(1.0, 2.0 * profile.read_length / fragment)  # junction inside a read
    split, discordant = inside, (1.0 - inside) + inside / 2.0
    shown = split * profile.shows_clips + discordant * profile.shows_improper_pairs
    return shown / (split + discordant)


def background_near(
    profile: ReadProfile, fragments_per_base: float, stretch: float, reach: float
) -> float:
    """Scattered clips and discordant reads expected by chance where reads_near counts over a
    stretch of reference bases (clips in it; discordant reads within `reach` of it): the
    sample's rates per read times the reads there, two per fragment at the density of the
    neighbouring tile (``fragments_per_base``: its expected fragments over its length plus a
    fragment, as for the junction reads)."""
    if not profile.measured or not profile.reads:
        return 0.0
    reads_per_base = 2.0 * fragments_per_base
    clips = profile.clips_per_read() * reads_per_base * stretch
    discordant = profile.discordant_per_read() * reads_per_base * (stretch + 2.0 * reach)
    return float(clips + discordant)

"""From log2 segments to copy-number calls per segment, exon and gene, with loss extents.

Segment call. A segment is *deleted* when its mean log2 ratio is significantly below zero,
``z = log2 / se <= -z_threshold`` (one-sided p-value from the normal), it rests on at least
``min_bins`` bins, and its ratio is below ``1 - min_fraction / 2`` (a smaller loss is not
worth reporting even when a very deep sample makes it significant). A segment without an SE
(a SEG file gives only means) is called on ``seg_max_log2`` and ``min_marks`` instead.
Segment SEs count the noise that bins a fragment apart share (ikaros.dna.bin_noise, measured
in each sample from its own coverage table and ratios), and every SE gets ``se_floor`` added
in quadrature: the systematic uncertainty of a level (normalisation, residual GC-like waves)
does not shrink with the number of bins, so a long segment slightly off zero is not a
deletion.
A loss longer than ``focal_max_bp`` (an arm or chromosome loss) must reach ``broad_z``
instead: its level is read against the genome-wide baseline, which regional waves and a
centring on gained chromosomes shift by more than any SE of its many bins says. On the
variant bench's 21 runs (benchmarks/bench_ikzf1_variants.py: 3 seeds x 100 patients, seven
panel and read-style variants), the broad segments over IKZF1, CDKN2A/B, PAX5, ERG and PAR1
of tumours without a loss there reached z -3.53 at most in diploid tumours; deeper ones (to
-6.0) were all two copies under the gains of high hyperdiploid clones, which the two-copy
reading refuses (``losses_above_two_copies``). A 7p loss in 42% of cells read z -4.8; so
4.5. (Before the two-copy reading, five of seven false IKZF1 calls on the simulated cohorts
were such losses at z -3.6 to -4.5, and the threshold was 5.)
A focal loss on a chromosome whose off-target bins read low as a whole (more than 0.1 log2 and
two standard errors below zero: a disomic chromosome under gains, a subclonal loss of it, a
bias along it) is called again against that level (``focal_losses_below_their_level``), and
the junction reads are weighed against its depth below that level.
Bin-level segments must also reach ``z_threshold`` without their most extreme bin
(``log2_drop1``/``se_drop1``): a single noisy bin never makes a call, and short segments that
CBS picked out of many candidates need support from more than one bin.

Cell fraction and allelic state. A monoallelic loss in a fraction f of cells has ratio
``1 - f/2``, a biallelic one ``1 - f``. The loss is biallelic when its ratio is
significantly (``bi_z`` SEs) below what a monoallelic loss could give: ``1 - b/2`` where b is
the blast fraction (plus ``blast_slack`` for the imprecision of a blast count), or 1/2 when
the blast fraction is unknown; otherwise monoallelic. f is then ``2 (1 - r)`` or ``1 - r``,
clipped to [0, b] (the blasts bound f) or [0, 1].

Exon-level edges (BAM route). Inside the window of each gene of ``REFINE_GENES`` (IKZF1, PAX5,
ERG: the gene's exon, intron and flank bins), the edges of a loss that CBS called are re-placed
by the single-interval likelihood fit of ikaros.dna.breakpoints before the segments are called: a
one-bin exon at the edge of a loss (exon 1, exon 2) is then decided by the posterior of the
breakpoint given all bins of the window, not by where the arm-wide segmentation cut.
Deletion junctions seen in the reads (ikaros.dna.junction_reads: discordant pairs and split reads)
pin these edges to where the reads put them, and a loss whose interval the reads name is
called at ``junction_z`` (1.5) instead of ``z_threshold``: the hypothesis comes from the reads,
not from a search over the coverage, and needs at least ``junction_min_reads`` pairs and split
reads, one of them a discordant pair (or two split reads whose SA tags name both ends); a sample
that can show only one kind of junction read (an end-to-end aligner's BAM: discordant pairs
alone) needs as many fewer as it shows fewer, but two at least (breakpoints.junction_reads_needed);
the coverage then only has to confirm a loss (a
deletion-type junction with no drop in depth is an artefact, or a balanced event). The other
way round, a loss whose edges both lie in the tiled locus but where none of the junction reads
it would leave is seen must be deeper in coverage by as much evidence as that absence weighs
(z^2 at least z_threshold^2 plus the junction reads expected from its cell fraction and the
local depth) or it is refused (column ``veto``): a deletion always has a junction, a run of
low bins need not. Without a junction (a BAM filtered to proper pairs keeps no discordant
pair), split reads clipped at one base still place an edge of a loss the coverage calls, and
stand for its junction against that veto (breakpoints.clip_weights, MIN_PILE_READS).

Exon call. Exons are placed on the segments by genomic position. An exon covered by segments
takes their state (deleted when deleted segments cover at least half of its bases). An exon
lying in a gap between two segments (where the breakpoint between them lies, e.g. between
sparse array probes) takes the state of both neighbours when they agree and is
``unresolved`` when they differ: the data cannot tell on which side of the exon the
breakpoint falls. An exon on a chromosome without segments is ``not_assessable``.

Extent. Consecutive deleted segments form one loss; its breakpoints lie between the last
retained bin and the first lost one, reported as an inner (first/last lost bin) and outer
(neighbouring retained bins) interval, and the length estimate uses their midpoints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
from scipy.stats import norm

from ikaros.dna.baseline import low_chromosome_levels, two_copy_reading
from ikaros.dna.bin_noise import pair_covariance
from ikaros.dna.breakpoints import junction_reads_needed, refine_segments, unsupported_losses
from ikaros.dna.karyotype_reading import KaryotypeCopies, karyotype_reading
from ikaros.dna.segmentation import segment_bins

EXON_STATES = ("deleted", "not_deleted", "unresolved", "not_assessable")
GENE_STATES = ("none", "mono", "bi", "unresolved", "not_assessable")
# Genes whose loss edges are refitted at exon level (ikaros.dna.breakpoints) and whose window is
# read for deletion junctions: the panel tiles their loci end to end (resources/panel_genes.tsv).
# IKZF1 for its exon-level classes; PAX5 and ERG because their IKZF1plus-relevant losses are
# mostly intragenic, a few exons between breakpoints in long introns.
REFINE_GENES = ("IKZF1", "PAX5", "ERG")


@dataclass(frozen=True)
class CallParams:
    """Thresholds of the segment calls; every value is a config key of the copy-number step."""

    z_threshold: float = 3.5
    min_fraction: float = 0.1
    min_bins: int = 2
    bi_z: float = 2.5
    blast_slack: float = 0.05
    seg_max_log2: float = -0.15
    min_marks: int = 3
    focal_max_bp: int = 5_000_000
    broad_z: float = 4.5
    se_floor: float = 0.05
    junction_z: float = 1.5
    junction_min_reads: int = 3


@dataclass
class CopyNumberCalls:
    """All calls of one sample; ``source`` is the evidence (BAM, SEG, CNVkit)."""

    sample_id: str
    source: str
    segments: pd.DataFrame
    exons: pd.DataFrame
    genes: pd.DataFrame
    extents: pd.DataFrame
    bins: pd.DataFrame | None = None
    attrs: dict = field(default_factory=dict)


# ---------------------------------------------------------------- fractions


def fraction_from_ratio(ratio: float, allelic: str, blast_fraction: float | None = None) -> float:
    """Cell fraction f of a loss: ratio = 1 - f/2 (mono) or 1 - f (bi), clipped to [0, b]."""
    if allelic == "mono":
        f = 2.0 * (1.0 - ratio)
    elif allelic == "bi":
        f = 1.0 - ratio
    else:
        raise ValueError(f"allelic must be mono or bi, got {allelic!r}")
    upper = 1.0 if blast_fraction is None else min(1.0, blast_fraction)
    return float(np.clip(f, 0.0, upper))


def expected_ratio(fraction: float, allelic: str) -> float:
    return 1.0 - fraction / 2.0 if allelic == "mono" else 1.0 - fraction


def allelic_state(
    log2: float, se: float, blast_fraction: float | None, params: CallParams = CallParams()
) -> str:
    """mono or bi for a deleted segment (see module docstring)."""
    if blast_fraction is None or not np.isfinite(blast_fraction) or blast_fraction <= 0:
        mono_floor = 0.5
    else:
        mono_floor = 1.0 - min(1.0, blast_fraction + params.blast_slack) / 2.0
    limit = np.log2(mono_floor)
    if np.isfinite(se) and se > 0:
        return "bi" if (log2 - limit) / se < -params.bi_z else "mono"
    # Without an SE (SEG input): biallelic when nearer the biallelic than the mono bound.
    if blast_fraction is None or not np.isfinite(blast_fraction) or blast_fraction <= 0:
        return "bi" if log2 < np.log2(0.25) else "mono"
    b = min(1.0, blast_fraction)
    return "bi" if 2.0**log2 < 1.0 - 0.75 * b else "mono"


# ---------------------------------------------------------------- segment calls


def call_segments(
    segments: pd.DataFrame,
    blast_fraction: float | None = None,
    params: CallParams = CallParams(),
) -> pd.DataFrame:
    """Add ratio, p_value, deleted, allelic, cell_fraction (+ 95% range) to segments.

    ``segments`` needs chrom, start, end, n_bins, log2 and se (NaN when unknown).
    """
    out = segments.copy().reset_index(drop=True)
    log2 = out["log2"].to_numpy(dtype=float)
    se = out["se"].to_numpy(dtype=float)
    n_bins = out["n_bins"].to_numpy(dtype=float)
    has_se = np.isfinite(se) & (se > 0)
    # A segment's level is never known better than the sample's systematic wobble
    # (normalisation, residual waves), however many bins it has.
    se = np.sqrt(se**2 + params.se_floor**2)
    out["se"] = se
    z = np.where(has_se, log2 / np.where(has_se, se, 1.0), np.nan)
    ratio = np.power(2.0, log2)
    small_enough = ratio <= 1.0 - params.min_fraction / 2.0
    # A segment whose interval a deletion junction in the reads names is tested alone.
    named = (
        out["junction"].fillna("").astype(str).to_numpy() != ""
        if "junction" in out.columns
        else np.zeros(len(out), dtype=bool)
    )
    length = out["end"].to_numpy(dtype=float) - out["start"].to_numpy(dtype=float) + 1
    broad = length > params.focal_max_bp
    threshold = np.where(
        named,
        params.junction_z,
        np.where(broad, max(params.broad_z, params.z_threshold), params.z_threshold),
    )
    by_z = has_se & (z <= -threshold) & (n_bins >= params.min_bins) & small_enough
    if "log2_drop1" in out.columns:
        # Bin-level segments: the loss must stand without its most extreme bin too.
        se_drop1 = np.hypot(out["se_drop1"].to_numpy(dtype=float), params.se_floor)
        drop_z = out["log2_drop1"].to_numpy(dtype=float) / se_drop1
        by_z &= ~(drop_z > -threshold)
    by_threshold = (
        ~has_se & (log2 <= params.seg_max_log2) & (n_bins >= params.min_marks) & small_enough
    )
    deleted = by_z | by_threshold
    if "veto" in out.columns:
        # refused for want of the junction reads such a loss leaves (breakpoints module)
        deleted &= out["veto"].fillna("").astype(str).to_numpy() == ""
    allelic, fraction, f_low, f_high = [], [], [], []
    for k in range(len(out)):
        if not deleted[k]:
            allelic.append("")
            fraction.append(np.nan)
            f_low.append(np.nan)
            f_high.append(np.nan)
            continue
        state = allelic_state(log2[k], se[k], blast_fraction, params)
        allelic.append(state)
        fraction.append(fraction_from_ratio(ratio[k], state, blast_fraction))
        if has_se[k]:
            # Lower ratio bound -> higher fraction.
            f_high.append(fraction_from_ratio(2.0 ** (log2[k] - 1.96 * se[k]), state, None))
            f_low.append(fraction_from_ratio(2.0 ** (log2[k] + 1.96 * se[k]), state, None))
        else:
            f_low.append(np.nan)
            f_high.append(np.nan)
    out["z"] = z
    out["ratio"] = ratio
    out["p_value"] = np.where(has_se, norm.cdf(np.nan_to_num(z)), np.nan)
    out["deleted"] = deleted
    out["call_basis"] = np.where(has_se, "z", "threshold")
    out["allelic"] = allelic
    out["cell_fraction"] = fraction
    out["fraction_low"] = f_low
    out["fraction_high"] = f_high
    return out


# ---------------------------------------------------------------- exon model


def exon_model(panel: pd.DataFrame) -> pd.DataFrame:
    """Exons of the panel genes: gene, exon, chrom, start, end (1-based inclusive).

    Exon bins are grouped by (gene, exon). A gene with no exon bins but intron bins (a gene
    tiled only as a span, e.g. a PAR1 gene) gets one row with an empty exon number spanning
    its bins, so it can still be called at gene level.
    """
    rows = []
    exon_bins = panel[(panel["kind"] == "exon") & (panel["gene"] != "")]
    for (gene, exon), group in exon_bins.groupby(["gene", "exon"], sort=False, dropna=False):
        rows.append(
            {
                "gene": gene,
                "exon": exon,
                "chrom": group["chrom"].iat[0],
                "start": int(group["start"].min()),
                "end": int(group["end"].max()),
            }
        )
    spanned = panel[(panel["kind"] == "intron") & (panel["gene"] != "")]
    for gene, group in spanned.groupby("gene", sort=False):
        if gene in set(exon_bins["gene"]):
            continue
        rows.append(
            {
                "gene": gene,
                "exon": pd.NA,
                "chrom": group["chrom"].iat[0],
                "start": int(group["start"].min()),
                "end": int(group["end"].max()),
            }
        )
    model = pd.DataFrame(rows, columns=["gene", "exon", "chrom", "start", "end"])
    model["exon"] = model["exon"].astype("Int64")
    return model.sort_values(["gene", "exon"], kind="stable").reset_index(drop=True)


def _exon_own_ratio(bins: pd.DataFrame, chrom: str, start: int, end: int) -> tuple:
    """Weighted mean log2 and SE of the unmasked bins inside an exon (NaN when none)."""
    inside = (
        (bins["chrom"].to_numpy() == chrom)
        & (bins["start"].to_numpy() <= end)
        & (bins["end"].to_numpy() >= start)
        & ~bins["masked"].to_numpy(dtype=bool)
    )
    if not inside.any():
        return np.nan, np.nan, 0
    x = bins["log2"].to_numpy(dtype=float)[inside]
    w = 1.0 / bins["var"].to_numpy(dtype=float)[inside]
    return float(np.sum(w * x) / np.sum(w)), float(np.sqrt(1.0 / np.sum(w))), int(inside.sum())


def _place_exon(chrom, start, end, seg_chrom, seg_start, seg_end, deleted, log2):
    """(state, resolution, deciding segment index or None) of one exon; see module doc."""
    on_chrom = np.nonzero(seg_chrom == chrom)[0]
    if not len(on_chrom):
        return "not_assessable", "no_data", None
    on_chrom = on_chrom[np.argsort(seg_start[on_chrom], kind="stable")]
    s0, e0 = seg_start[on_chrom], seg_end[on_chrom]
    overlap = np.clip(np.minimum(e0, end) - np.maximum(s0, start) + 1, 0, None)
    length = end - start + 1
    touching = on_chrom[overlap > 0]
    if overlap.sum() >= length:
        bp_deleted = overlap[deleted[on_chrom]].sum()
        lost = bool(bp_deleted * 2 >= length)
        pool = on_chrom[(overlap > 0) & (deleted[on_chrom] == lost)]
        chosen = pool[np.argmin(log2[pool])] if lost else pool[0]
        return ("deleted" if lost else "not_deleted"), "covered", int(chosen)
    involved = touching.tolist()
    left_open = not len(touching) or seg_start[touching].min() > start
    right_open = not len(touching) or seg_end[touching].max() < end
    missing_side = False
    if left_open:
        left = on_chrom[e0 < start]
        if len(left):
            involved.append(int(left[-1]))
        else:
            missing_side = True
    if right_open:
        right = on_chrom[s0 > end]
        if len(right):
            involved.append(int(right[0]))
        else:
            missing_side = True
    states = {bool(deleted[n]) for n in involved}
    if missing_side or len(states) != 1:
        return "unresolved", ("chromosome_end" if missing_side else "gap"), None
    lost = states == {True}
    chosen = min(involved, key=lambda n: log2[n]) if lost else involved[0]
    return ("deleted" if lost else "not_deleted"), "gap", int(chosen)


def exon_calls(
    called: pd.DataFrame, model: pd.DataFrame, bins: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per exon of ``model``: state, resolution and the deciding segment's numbers.

    Columns: gene exon chrom start end state resolution segment log2 se ratio z p_value
    allelic cell_fraction exon_log2 exon_se exon_bins (the last three from the exon's own
    bins when ``bins`` is given, else the segment's values).
    """
    rows = []
    seg_chrom = called["chrom"].to_numpy()
    seg_start = called["start"].to_numpy(dtype=np.int64)
    seg_end = called["end"].to_numpy(dtype=np.int64)
    deleted = called["deleted"].to_numpy(dtype=bool)
    log2 = called["log2"].to_numpy(dtype=float)
    for exon in model.itertuples(index=False):
        state, resolution, chosen = _place_exon(
            exon.chrom, exon.start, exon.end, seg_chrom, seg_start, seg_end, deleted, log2
        )
        row = {
            "gene": exon.gene,
            "exon": exon.exon,
            "chrom": exon.chrom,
            "start": exon.start,
            "end": exon.end,
            "state": state,
            "resolution": resolution,
        }
        seg = called.iloc[chosen] if chosen is not None and state != "unresolved" else None
        for column in ("log2", "se", "ratio", "z", "p_value", "cell_fraction"):
            row[column] = float(seg[column]) if seg is not None else np.nan
        row["allelic"] = seg["allelic"] if seg is not None and state == "deleted" else ""
        row["segment"] = int(chosen) if seg is not None else pd.NA
        if bins is not None:
            own, own_se, n_own = _exon_own_ratio(bins, exon.chrom, exon.start, exon.end)
        else:
            own, own_se, n_own = row["log2"], row["se"], 0
        row["exon_log2"], row["exon_se"], row["exon_bins"] = own, own_se, n_own
        rows.append(row)
    table = pd.DataFrame(rows)
    table["segment"] = table["segment"].astype("Int64")
    table["exon"] = table["exon"].astype("Int64")
    return table


# ---------------------------------------------------------------- genes and extents


def gene_calls(exons: pd.DataFrame) -> pd.DataFrame:
    """Per gene: state (none, mono, bi, unresolved, not_assessable), deleted exons, fraction.

    A gene is deleted when any exon is; its state is the deepest of its deleted exons.
    """
    rows = []
    for gene, group in exons.groupby("gene", sort=False):
        lost = group[group["state"] == "deleted"]
        if len(lost):
            state = "bi" if (lost["allelic"] == "bi").any() else "mono"
            deepest = lost.loc[lost["log2"].idxmin()]
            fraction, p_value = float(deepest["cell_fraction"]), float(deepest["p_value"])
        else:
            fraction = p_value = np.nan
            if (group["state"] == "unresolved").any():
                state = "unresolved"
            elif (group["state"] == "not_assessable").all():
                state = "not_assessable"
            elif (group["state"] == "not_assessable").any():
                state = "not_assessable"
            else:
                state = "none"
        rows.append(
            {
                "gene": gene,
                "state": state,
                "exons_deleted": ",".join(str(e) for e in lost["exon"].dropna()),
                "exons_unresolved": ",".join(
                    str(e) for e in group.loc[group["state"] == "unresolved", "exon"].dropna()
                ),
                "cell_fraction": fraction,
                "p_value": p_value,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "gene",
            "state",
            "exons_deleted",
            "exons_unresolved",
            "cell_fraction",
            "p_value",
        ],
    )


def loss_extents(called: pd.DataFrame) -> pd.DataFrame:
    """Runs of consecutive deleted segments on a chromosome, with breakpoint intervals.

    Columns: chrom first_segment last_segment inner_start inner_end outer_start outer_end
    start end length_bp n_bins min_ratio allelic. ``inner`` spans the first to last lost bin,
    ``outer`` the retained neighbours' ends (empty at a chromosome end); ``start``/``end``
    are the midpoints used for ``length_bp``.
    """
    rows = []
    for chrom, group in called.groupby("chrom", sort=False):
        index = group.index.to_numpy()
        lost = group["deleted"].to_numpy(dtype=bool)
        k = 0
        while k < len(index):
            if not lost[k]:
                k += 1
                continue
            m = k
            while m + 1 < len(index) and lost[m + 1]:
                m += 1
            first, last = called.loc[index[k]], called.loc[index[m]]
            outer_start = int(called.at[index[k - 1], "end"]) + 1 if k > 0 else pd.NA
            outer_end = int(called.at[index[m + 1], "start"]) - 1 if m + 1 < len(index) else pd.NA
            inner_start, inner_end = int(first["start"]), int(last["end"])
            start = inner_start if outer_start is pd.NA else (inner_start + outer_start) // 2
            end = inner_end if outer_end is pd.NA else (inner_end + outer_end) // 2
            run = called.loc[index[k : m + 1]]
            rows.append(
                {
                    "chrom": chrom,
                    "first_segment": int(index[k]),
                    "last_segment": int(index[m]),
                    "inner_start": inner_start,
                    "inner_end": inner_end,
                    "outer_start": outer_start,
                    "outer_end": outer_end,
                    "start": start,
                    "end": end,
                    "length_bp": end - start + 1,
                    "n_bins": int(run["n_bins"].sum()),
                    "min_ratio": float(run["ratio"].min()),
                    "allelic": "bi" if (run["allelic"] == "bi").any() else "mono",
                }
            )
            k = m + 1
    columns = [
        "chrom",
        "first_segment",
        "last_segment",
        "inner_start",
        "inner_end",
        "outer_start",
        "outer_end",
        "start",
        "end",
        "length_bp",
        "n_bins",
        "min_ratio",
        "allelic",
    ]
    table = pd.DataFrame(rows, columns=columns)
    for column in ("outer_start", "outer_end"):
        table[column] = table[column].astype("Int64")
    return table


def extent_of_segment(extents: pd.DataFrame, segment: int) -> pd.Series | None:
    """The loss (row of ``loss_extents``) that contains segment number ``segment``."""
    hit = extents[(extents["first_segment"] <= segment) & (extents["last_segment"] >= segment)]
    return None if hit.empty else hit.iloc[0]


def call_from_segments(
    sample_id: str,
    source: str,
    segments: pd.DataFrame,
    model: pd.DataFrame,
    blast_fraction: float | None = None,
    params: CallParams = CallParams(),
    bins: pd.DataFrame | None = None,
) -> CopyNumberCalls:
    """Segments (any source) -> called segments, exon and gene calls, loss extents."""
    called = call_segments(segments, blast_fraction, params)
    exons = exon_calls(called, model, bins)
    return CopyNumberCalls(
        sample_id=sample_id,
        source=source,
        segments=called,
        exons=exons,
        genes=gene_calls(exons),
        extents=loss_extents(called),
        bins=bins,
        attrs={"blast_fraction": blast_fraction},
    )


def call_from_bins(
    sample_id: str,
    bins: pd.DataFrame,
    blast_fraction: float | None = None,
    params: CallParams = CallParams(),
    alpha: float = 0.01,
    n_perm: int = 1000,
    min_width: int = 2,
    seed: int = 0,
    undo_z: float = 3.0,
    refine_genes: Sequence[str] = REFINE_GENES,
    junction_evidence: Mapping | None = None,
    karyotype: KaryotypeCopies | None = None,
) -> CopyNumberCalls:
    """Log2 ratios of panel bins (reference.log2_ratios) -> CBS segments -> calls.

    Inside the windows of ``refine_genes`` the edges of a called loss are re-placed by the
    single-interval likelihood fit of ikaros.dna.breakpoints (exon-level precision).
    ``junction_evidence`` (gene -> junction_reads.WindowEvidence of its window in the sample's
    reads) confines that fit to the deletion junctions found there, and lets a loss with both
    edges inside the gene's tiled locus be refused when none of the junction reads it would
    leave is there (breakpoints.unsupported_losses). ``karyotype`` (the tumour's, from SNP
    allele fractions) names the chromosomes at two copies (losses_above_two_copies).
    """
    junction_evidence = junction_evidence or {}
    junctions = [j for found in junction_evidence.values() for j in found.junctions]
    # neighbouring bins share noise: the segments' SEs count it (bin_noise)
    pair_cov = pair_covariance(
        bins, bins.attrs.get("neighbour_kappa", 0.0), bins.attrs.get("neighbour_fragment", 0.0)
    )
    segments = segment_bins(
        bins,
        alpha=alpha,
        n_perm=n_perm,
        min_width=min_width,
        seed=seed,
        undo_z=undo_z,
        pair_cov=pair_cov,
    )
    # A segment mean is compared with the sample's diploid level, itself known to
    # library_se: add it (fully correlated between bins, so it does not shrink with n).
    library_se = float(bins.attrs.get("library_se", 0.0))
    segments["se"] = np.sqrt(segments["se"] ** 2 + library_se**2)
    segments["z"] = segments["log2"] / segments["se"]
    segments["se_drop1"] = np.sqrt(segments["se_drop1"] ** 2 + library_se**2)
    segments = refine_segments(
        segments,
        bins,
        refine_genes,
        lambda s: call_segments(s, blast_fraction, params)["deleted"].to_numpy(dtype=bool),
        library_se,
        junctions,
        junction_reads_needed(params.junction_min_reads, junction_evidence),
        step_z=undo_z,
        pair_cov=pair_cov,
        evidence=junction_evidence,
    )
    called = call_segments(segments, blast_fraction, params)
    veto = losses_above_two_copies(segments, called, bins, blast_fraction, params, karyotype)
    local, called_local, low = focal_losses_below_their_level(
        segments, called, bins, blast_fraction, params
    )
    veto = veto.where(veto != "", low)
    if junction_evidence:
        # the junction reads weigh against the focal losses' depth below their chromosome
        missing = unsupported_losses(
            local, called_local, bins, refine_genes, junction_evidence, params.z_threshold
        )  # fmt: skip
        veto = veto.where(veto != "", missing)
    if (veto != "").any():
        segments["veto"] = veto
    calls = call_from_segments(
        sample_id, "BAM", segments, exon_model(bins), blast_fraction, params, bins
    )
    calls.attrs.update(bins.attrs)
    return calls


def focal_losses_below_their_level(
    segments: pd.DataFrame,
    called: pd.DataFrame,
    bins: pd.DataFrame,
    blast_fraction: float | None,
    params: CallParams,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Focal losses read against their own chromosome where it reads low as a whole: the
    segments with every focal segment (up to ``focal_max_bp``) of such a chromosome moved up by
    its level (baseline.low_chromosome_levels, its off-target bins), their calls, and why each
    called loss that is no loss there is refused ("" where it stands).

    A chromosome left at two copies in a tumour centred on its gains, or lost in some cells,
    reads below zero along its whole length; a short run of low bins on it then reaches the
    z threshold against zero with only part of its depth its own (on the simulated cohorts,
    exon-sized dips at z -6.2 to -6.6 on a chromosome 7 at -0.17 to -0.29, in tumours without
    any IKZF1 lesion). A real focal loss stands below its chromosome too. Only low levels are
    used: a loss is never made deeper than it reads against zero."""
    reasons = pd.Series("", index=segments.index, dtype=object)
    levels = low_chromosome_levels(bins)
    if not levels:
        return segments, called, reasons
    length = segments["end"].to_numpy(dtype=float) - segments["start"].to_numpy(dtype=float) + 1
    shift = segments["chrom"].map(levels).fillna(0.0).to_numpy(dtype=float)
    shift = np.where(length <= params.focal_max_bp, shift, 0.0)
    local = _moved_up(segments, shift)
    called_local = call_segments(local, blast_fraction, params)
    still = called_local["deleted"].to_numpy(dtype=bool)
    for k in np.flatnonzero(called["deleted"].to_numpy(dtype=bool) & (shift < 0) & ~still):
        chrom, log2 = str(segments["chrom"].iat[k]), float(segments["log2"].iat[k])
        reasons.iat[k] = (
            f"{chrom} reads log2 {shift[k]:+.2f} as a whole (its off-target bins); against that "
            f"level this focal segment reads {round(log2 - shift[k], 2) + 0.0:+.2f}, no loss"
        )
    return local, called_local, reasons


def _moved_up(segments: pd.DataFrame, level) -> pd.DataFrame:
    """The segments read against ``level`` (one value, or one per segment) instead of zero:
    their mean, and their mean without the most extreme bin, minus it."""
    moved = segments.assign(log2=segments["log2"] - level)
    if "log2_drop1" in moved.columns:
        moved["log2_drop1"] = moved["log2_drop1"] - level
    return moved


def losses_above_two_copies(
    segments: pd.DataFrame,
    called: pd.DataFrame,
    bins: pd.DataFrame,
    blast_fraction: float | None,
    params: CallParams,
    karyotype: KaryotypeCopies | None = None,
) -> pd.Series:
    """Why each called loss on a two-copy chromosome of a tumour centred on its gains is not a
    loss ("" when it stands): called again against the two-copy level it no longer is. The
    two-copy chromosomes are those the tumour's karyotype names (karyotype_reading: SNP allele
    fractions) where it has one that names changes, otherwise those its depth shows
    (baseline.two_copy_reading). A whole chromosome left at two copies reads
    about 0 there; a real loss on it stays, as deep as a loss from two copies is. Unless the
    reading is clear, only losses at their whole chromosome's level are read so. Where it is
    clear, a loss on a gained chromosome is read against two copies as well: one that leaves two
    of three copies is no copy below normal (as MLPA, which defines IKZF1plus, reads it), one
    that leaves one is a loss. A chrX that reads with the two-copy chromosomes holds its normal
    copies under the gains, and its losses (PAR1) are read against their level too."""
    reasons = pd.Series("", index=segments.index, dtype=object)
    reading = karyotype_reading(bins, karyotype) or two_copy_reading(bins, blast_fraction)
    if reading is None:
        return reasons
    shifted = _moved_up(segments, reading.level)
    still = call_segments(shifted, blast_fraction, params)["deleted"].to_numpy(dtype=bool)
    chroms = segments["chrom"].astype(str)
    on_normal = chroms.map(reading.at_normal_copies).to_numpy(dtype=bool)
    on_gained = chroms.map(reading.is_gained).to_numpy(dtype=bool) & reading.clear
    for k in np.flatnonzero(called["deleted"].to_numpy(dtype=bool) & ~still):
        chrom, log2 = chroms.iat[k], float(segments["log2"].iat[k])
        if on_normal[k] and (reading.clear or reading.whole_chromosome(chrom, log2)):
            reasons.iat[k] = (
                reading.reason_on_x(log2) if chrom == "chrX" else reading.reason(chrom, log2)
            )
        elif on_gained[k]:
            reasons.iat[k] = reading.reason_on_gain(chrom, log2)
    return reasons


SEGMENTATION_KEYS = {"alpha": float, "n_perm": int, "min_width": int, "undo_z": float, "seed": int}


def settings_from_config(config: Mapping | None) -> tuple[CallParams, dict]:
    """The config block ``copy_number`` -> (CallParams, keyword arguments of call_from_bins).

    Keys: every CallParams field (z_threshold, min_fraction, min_bins, bi_z, blast_slack,
    seg_max_log2, min_marks, focal_max_bp, broad_z, se_floor, junction_z, junction_min_reads)
    and alpha, n_perm, min_width, undo_z, seed. Other keys (e.g. min_count, max_sd,
    max_noise_scale, read by other steps) are ignored here.
    """
    config = dict(config or {})
    call_fields = {f.name: f.type for f in fields(CallParams)}
    call_kwargs, seg_kwargs = {}, {}
    for key, value in config.items():
        target = call_kwargs if key in call_fields else seg_kwargs
        kind = {"int": int, "float": float}.get(str(call_fields.get(key)), None)
        kind = kind or SEGMENTATION_KEYS.get(key)
        if kind is None:
            continue
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"config copy_number.{key}: expected {kind.__name__}, got {value!r}"
            ) from None
        if kind is int and number != float(value):
            raise ValueError(f"config copy_number.{key}: expected an integer, got {value!r}")
        target[key] = number
    return CallParams(**call_kwargs), seg_kwargs

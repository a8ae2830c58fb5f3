"""A sample's copy-neutral level: the log2 depth offset that its ratios are centred on.

Centring on the median of all bins assumes that most bins are copy-neutral. On a whole-
genome or backbone panel the control bins make that true; on a small targeted panel most
usable bins lie inside the genes of interest, and a tumour with losses at several of them
(IKZF1, PAX5, CDKN2A, ERG) would be centred on its deleted level, its losses read as
neutral and its flanks as gains. So:

- with at least ``MIN_CONTROL_BINS`` usable autosomal control bins (bins placed away from
  the genes of interest, on other chromosomes), the level is their median;
- otherwise each *locus* votes once: a gene's exon and intron bins, a gene's flank tiles, a
  chromosome arm's backbone or control bins. A locus needs ``MIN_LOCUS_BINS`` usable bins;
  its vote is its median. Loci whose medians lie within ``SHARED_LEVEL_LOG2`` of a level
  share it. The copy-neutral level is the one shared by the most chromosome arms among the
  *off-target* loci (flanks, backbone, control: a focal loss takes the gene of interest, not
  the tiles around it), then by the most arms among all loci; a whole-chromosome gain (as in
  high hyperdiploidy) takes a minority of the arms. A level that ties another on both
  counts is *ambiguous* (the higher is kept): the calls that depend on it are not made.

A level voted by a few loci is known only as well as they agree: given the bins' variances,
``with_spread`` measures how far the agreeing loci scatter around it beyond their counting
noise (``Baseline.spread``: capture and GC waves that the panel of normals did not remove)
and says so in its basis. The calls do not use it yet: a loss with no edge inside the tiles
of its loci (a whole gene and its flanks) is told from such a wave only by its depth, and
counting the scatter into its SE traded co-deletions for specificity on the simulated
targeted panels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ikaros.genome import PRIMARY_CHROMOSOMES

MIN_CONTROL_BINS = 30
MIN_LOCUS_BINS = 3
# Loci that must agree on the level before their scatter around it is measured.
MIN_SPREAD_LOCI = 3
# Half the step of a clonal single-copy loss in half the cells (log2(1 - 0.25) = -0.42):
# loci closer than this are read as the same copy number.
SHARED_LEVEL_LOG2 = 0.25


@dataclass(frozen=True)
class Baseline:
    """The copy-neutral level of one sample, the bins that set it, and whether it is clear."""

    level: float
    basis: str
    ambiguous: bool = False
    bins: np.ndarray | None = None  # the bins whose values set the level
    agreeing: tuple[str, ...] = ()  # a locus vote's loci that share the level
    # set by with_spread: the SD of the agreeing loci around the level beyond their counting
    # noise
    spread: float = 0.0


def autosomal(panel: pd.DataFrame) -> np.ndarray:
    return ~np.isin(panel["chrom"].to_numpy(), ["chrX", "chrY"])


def locus_labels(panel: pd.DataFrame) -> np.ndarray:
    """One label per bin: the gene, '<gene> flank', or '<chrom><arm> <kind>'."""
    kind = panel["kind"].to_numpy().astype(str)
    gene = panel["gene"].fillna("").to_numpy().astype(str)
    place = panel["chrom"].to_numpy().astype(str) + panel["arm"].fillna("").to_numpy().astype(str)
    return np.where(
        np.isin(kind, ["exon", "intron"]),
        gene,
        np.where(kind == "flank", np.char.add(gene, " flank"), np.char.add(place, " " + kind)),
    )


def chromosome_arms(panel: pd.DataFrame) -> np.ndarray:
    """'chr7p' per bin; the chromosome alone where some of its bins name no arm."""
    chrom = panel["chrom"].astype(str)
    arm = panel["arm"].fillna("").astype(str).str[-1:]
    named = arm.isin(["p", "q"]).groupby(chrom).transform("all")
    return np.where(named, chrom + arm, chrom)


def _voting_bins(values: np.ndarray, panel: pd.DataFrame, usable: np.ndarray) -> np.ndarray:
    return np.asarray(usable, dtype=bool) & np.isfinite(values) & autosomal(panel)


def copy_neutral_level(values: np.ndarray, panel: pd.DataFrame, usable: np.ndarray) -> Baseline:
    """The copy-neutral level of one sample's per-bin ``values`` (log2 depth minus bias)."""
    values = np.asarray(values, dtype=float)
    usable = _voting_bins(values, panel, usable)
    control = usable & (panel["kind"].to_numpy() == "control")
    if control.sum() >= MIN_CONTROL_BINS:
        return Baseline(float(np.median(values[control])), f"{control.sum()} control bins",
                        bins=control)  # fmt: skip
    if not usable.any():
        raise ValueError("no usable autosomal bin to set the copy-neutral level")
    return _locus_vote(values, panel, usable)


def _locus_vote(values: np.ndarray, panel: pd.DataFrame, usable: np.ndarray) -> Baseline:
    labels = locus_labels(panel)
    arms = chromosome_arms(panel)
    frame = pd.DataFrame({"locus": labels[usable], "arm": arms[usable], "value": values[usable]})
    loci = frame.groupby("locus", sort=False).agg(
        arm=("arm", "first"), bins=("value", "size"), median=("value", "median")
    )
    loci = loci[loci["bins"] >= MIN_LOCUS_BINS]
    if loci.empty:
        return Baseline(float(np.median(values[usable])),
                        f"all {usable.sum()} usable bins (no locus has {MIN_LOCUS_BINS})",
                        bins=usable)  # fmt: skip
    medians = loci["median"].to_numpy()
    arm_of = loci["arm"].to_numpy()
    off_target = ~np.isin(loci.index.to_numpy(), panel["gene"].to_numpy())  # not a gene body
    near = np.abs(medians[:, None] - medians[None, :]) <= SHARED_LEVEL_LOG2
    score = [
        (len(set(arm_of[row & off_target])), len(set(arm_of[row])), level)
        for row, level in zip(near, medians, strict=True)
    ]
    chosen = max(range(len(score)), key=score.__getitem__)
    members = near[chosen]
    # a rival: another group of loci, none of them in the chosen group, on as many arms
    rivals = [k for k in range(len(score)) if score[k][:2] == score[chosen][:2]
              and not (near[k] & members).any()]  # fmt: skip
    names = list(loci.index[members])
    # the level from the bins of the off-target loci of the group where it has any: the
    # median of a partly deleted gene lies between levels
    setting = list(loci.index[members & off_target]) or names
    level_bins = usable & np.isin(labels, setting)
    level = float(np.median(values[level_bins]))
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    basis = f"{members.sum()} of {len(loci)} loci on {score[chosen][1]} chromosome arm(s) ({shown})"
    if rivals:
        basis += f"; as many arms agree on log2 {medians[rivals[0]] - level:+.2f} from it"
    return Baseline(level, basis, ambiguous=bool(rivals), bins=level_bins,
                    agreeing=tuple(names))  # fmt: skip


def with_spread(
    baseline: Baseline,
    values: np.ndarray,
    panel: pd.DataFrame,
    usable: np.ndarray,
    var: np.ndarray,
) -> Baseline:
    """``baseline`` (of these ``values``) with the SD of its agreeing loci's medians beyond
    their counting noise, said in its basis; unchanged with fewer than MIN_SPREAD_LOCI of
    them. Each median has a variance of about pi/2 x its bins' mean variance / their number."""
    if len(baseline.agreeing) < MIN_SPREAD_LOCI:
        return baseline
    values = np.asarray(values, dtype=float)
    usable = _voting_bins(values, panel, usable)
    labels = locus_labels(panel)
    votes, counting = [], []
    for name in baseline.agreeing:
        own = usable & (labels == name)
        votes.append(np.median(values[own]))
        counting.append(np.pi / 2.0 * np.mean(var[own]) / own.sum())
    spread = float(np.sqrt(max(np.var(votes, ddof=1) - np.mean(counting), 0.0)))
    if not spread > 0:
        return baseline
    basis = f"{baseline.basis}; they scatter by log2 {spread:.2f} beyond counting noise"
    return replace(baseline, basis=basis, spread=spread)


# Chromosomes at two levels are read against the two steps that could make them (see
# two_copy_reading): more than this many autosomes must share the lower level and at least
# this many the upper one, and the two steps must differ by at least READING_GAP_LOG2.
MIN_SHARING_CHROMOSOMES = 3
READING_GAP_LOG2 = 0.1
CHROMOSOME_LEVEL_LOG2 = 0.1
# Two levels a gain step apart must leave at most this share of the spread of one level: the
# chromosomes of a diploid tumour scatter about one level, and any split of them fits a little.
TWO_LEVEL_SPREAD = 0.5
# The autosomes a high hyperdiploid clone gains most often, each in 56-97% of 182 cases at
# St. Jude (21 97%, 6 86%, 14 80%, 4 76%, 18 and 17 68%, 10 56%; Raimondi et al., Leukemia
# 1996; the nonrandom gains of Paulsson and Johansson, Genes Chromosomes Cancer 2009). A clone
# centred on its gains has gained most of its autosomes and so nearly all of these; a reading
# that leaves most of them at two copies is the scatter of a diploid tumour's chromosome
# levels, not two copies under gains.
USUALLY_GAINED = ("chr4", "chr6", "chr10", "chr14", "chr17", "chr18", "chr21")
# Chromosome levels come from the bins placed away from the genes of interest: a focal loss
# of a panel gene (ETV6 on chr12, RB1 on chr13) would pull its chromosome's median down.
OFF_TARGET_KINDS = ("control", "backbone")


def chromosome_level_table(bins: pd.DataFrame, autosomes_only: bool = True) -> pd.DataFrame:
    """Per autosome (and chrX unless ``autosomes_only``; its bins are read against the sample's
    sex) with MIN_LOCUS_BINS or more usable off-target bins: the median log2 of those bins
    (``level``) and its standard error (``se``: 1.2533 x their robust SD over the square root
    of their number)."""
    usable = ~bins["masked"].to_numpy(dtype=bool) & np.isin(
        bins["kind"].to_numpy(), OFF_TARGET_KINDS
    )
    if autosomes_only:
        usable &= autosomal(bins)
    rows = {}
    for chrom, values in bins[usable].groupby("chrom", sort=False)["log2"]:
        if len(values) < MIN_LOCUS_BINS:
            continue
        level = float(values.median())
        spread = 1.4826 * float(np.median(np.abs(values - level)))
        rows[str(chrom)] = (level, 1.2533 * spread / np.sqrt(len(values)))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["level", "se"])


def chromosome_levels(bins: pd.DataFrame) -> pd.Series:
    """The ``level`` of chromosome_level_table: each autosome's off-target median log2."""
    return chromosome_level_table(bins)["level"]


def low_chromosome_levels(bins: pd.DataFrame, min_se: float = 2.0) -> dict[str, float]:
    """Autosomes whose off-target bins read below the sample's copy-neutral level: chromosome
    -> its median log2, where that lies more than CHROMOSOME_LEVEL_LOG2 and more than
    ``min_se`` standard errors (chromosome_level_table) below zero. Smaller offsets are the
    waves that any chromosome of these samples shows (chromosome medians scatter by about 0.1
    log2 in diploid tumours).

    A disomic chromosome of a tumour centred on its gains, a subclonal loss of the chromosome,
    or a residual bias along it all move every bin of the chromosome; a focal loss on it is
    the step below that level, not below zero (``copy_number.focal_losses_below_their_level``).
    """
    table = chromosome_level_table(bins)
    low = table[table["level"] < -np.maximum(min_se * table["se"], CHROMOSOME_LEVEL_LOG2)]
    return {str(chrom): float(level) for chrom, level in low["level"].items()}


def two_level_fit(levels: pd.Series, step: float) -> tuple[float, float, pd.Series]:
    """Chromosome levels read as a lower level L and L + step: (sum of absolute deviations, L,
    the chromosomes at L). Absolute, not squared: a few chromosomes that scatter far (waves
    over their few control bins) must not choose the step. The best split lies in sorted
    order, so every cut is tried; the cut that leaves every chromosome at L is the one-level
    fit."""
    ordered = levels.sort_values(kind="stable")
    values = ordered.to_numpy(dtype=float)
    best = (np.inf, np.nan, len(values))
    for cut in range(len(values), 0, -1):  # the cut smallest at L, the others at L + step
        shifted = values - step * (np.arange(len(values)) >= cut)
        level = float(np.median(shifted))
        spread = float(np.abs(shifted - level).sum())
        if spread < best[0]:
            best = (spread, level, cut)
    spread, level, cut = best
    return spread, level, ordered.iloc[:cut]


def other_chromosomes(chromosomes: tuple[str, ...], chrom: str) -> str:
    """'5 other chromosomes (chr1, chr13, ...)': the two-copy chromosomes besides ``chrom``,
    for the reasons a loss on it is refused."""
    others = [c for c in chromosomes if c != chrom]
    shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
    return f"{len(others)} other chromosomes ({shown})"


@dataclass(frozen=True)
class TwoCopyReading:
    """A tumour whose chromosomes lie at two levels a gain step apart: the lower ones hold two
    copies under the gained ones (a high hyperdiploid clone), at ``level``."""

    chromosomes: tuple[str, ...]  # in genome order
    level: float
    step: float
    gained: int
    blast_fraction: float
    gain_step: float
    loss_step: float
    # The two levels leave at most TWO_LEVEL_SPREAD of one level's spread: every loss on the
    # two-copy chromosomes is read against their level. Otherwise (a diploid tumour's
    # chromosomes also fit a small step better than a large one) only losses at their whole
    # chromosome's level are.
    clear: bool
    chromosome_levels: dict[str, float]
    # the levels' standard errors (chromosome_level_table)
    chromosome_ses: dict[str, float]
    # chrX where it reads at the two-copy level, not a gain step above: it holds its normal
    # copies (a male's one X, a female's two) under the gains
    normal_x: bool = False

    def whole_chromosome(self, chrom: str, log2: float) -> bool:
        """Whether a segment lies at its chromosome's level: within CHROMOSOME_LEVEL_LOG2, or
        within two standard errors of a level read from few or noisy bins (a male's one X)."""
        level = self.chromosome_levels.get(chrom)
        if level is None:
            return False
        tolerance = max(CHROMOSOME_LEVEL_LOG2, 2.0 * self.chromosome_ses.get(chrom, 0.0))
        return abs(level - log2) <= tolerance

    def reason_on_gain(self, chrom: str, log2: float) -> str:
        """Why a loss on a gained chromosome that leaves two copies is not called."""
        level = round(self.chromosome_levels.get(chrom, float("nan")), 2) + 0.0
        return (
            f"{chrom} reads {level:+.2f}, gained over "
            f"the {len(self.chromosomes)} two-copy chromosomes at {self.level:+.2f} "
            f"({self.blast_fraction:.0%} blasts); against two copies this segment reads "
            f"{round(log2 - self.level, 2) + 0.0:+.2f}: the gain taken back, no copy below two"
        )

    def at_normal_copies(self, chrom: str) -> bool:
        """Whether a chromosome holds its normal copies under the gains."""
        return chrom in self.chromosomes or (chrom == "chrX" and self.normal_x)

    def is_gained(self, chrom: str) -> bool:
        """Whether an autosome lies on the upper level (a gained chrX is left alone: its
        normal copies depend on the sex)."""
        return (
            chrom != "chrX" and chrom in self.chromosome_levels and not self.at_normal_copies(chrom)
        )

    def reason_on_x(self, log2: float) -> str:
        """Why a loss on a chrX that reads with the two-copy chromosomes is not called."""
        level = round(self.chromosome_levels["chrX"], 2) + 0.0
        return (
            f"chrX reads {level:+.2f}, with the {len(self.chromosomes)} two-copy chromosomes "
            f"at {self.level:+.2f}, {self.step:.2f} below the {self.gained} gained ones "
            f"({self.blast_fraction:.0%} blasts): its normal copies under gains; against them "
            f"this segment reads {round(log2 - self.level, 2) + 0.0:+.2f}"
        )

    def reason(self, chrom: str, log2: float) -> str:
        """Why a loss on one of the two-copy chromosomes is not called."""
        return (
            f"{chrom} and {other_chromosomes(self.chromosomes, chrom)} read log2 "
            f"{self.level:+.2f}, {self.step:.2f} below the {self.gained} above them: two copies "
            f"under gains in {self.blast_fraction:.0%} blasts (step {self.gain_step:.2f}), not "
            f"one copy under two ({self.loss_step:.2f}); against two copies this segment reads "
            f"{round(log2 - self.level, 2) + 0.0:+.2f}"
        )


def two_copy_reading(bins: pd.DataFrame, blast_fraction: float | None) -> TwoCopyReading | None:
    """The two-copy chromosomes of a tumour centred on its gains, or None.

    A high hyperdiploid clone gains most of its chromosomes; its depth is centred on the
    gained level when the gained chromosomes hold most of the control bins, and every
    chromosome left at two copies then reads as a whole-chromosome loss. The monosomies of a
    hypodiploid clone read as such losses too, wherever its baseline lies (on the disomic
    chromosomes, or between them and the monosomies when these are many). What tells the two
    apart, whatever the centring, is the step between the two levels of the chromosomes, given
    the blast fraction f: log2(1 + f/2) from two copies to three, -log2(1 - f/2) from one to
    two. The chromosomes' off-target levels (``chromosome_levels``) are fitted as two levels a
    gain step apart and as two levels a loss step apart (``two_level_fit``); the lower group holds
    two copies when the gain fit leaves less spread than the loss fit, the lower group has more
    than MIN_SHARING_CHROMOSOMES chromosomes and the upper at least that many, and the two steps
    differ by READING_GAP_LOG2 or more (at low blast fractions they cannot be told apart), and
    most of the autosomes a high hyperdiploid clone usually gains (USUALLY_GAINED) are not in
    the lower group (slow waves of depth can scatter a diploid tumour's chromosomes into two
    groups a gain step apart, and then these fall on either side alike). The reading is
    ``clear`` when the two levels also leave at most
    TWO_LEVEL_SPREAD of the spread of one level.
    """
    if blast_fraction is None or not np.isfinite(blast_fraction) or blast_fraction <= 0:
        return None
    f = min(float(blast_fraction), 1.0)
    gain_step = float(np.log2(1.0 + f / 2.0))
    loss_step = float(-np.log2(1.0 - f / 2.0))
    # the sex chromosomes are left out of the fit (their copies depend on the sex and on gains
    # of X alone); chrX is read against the fit's two-copy level below
    table = chromosome_level_table(bins, autosomes_only=False)
    levels = table["level"].drop(["chrX", "chrY"], errors="ignore")
    if loss_step - gain_step < READING_GAP_LOG2 or len(levels) < 2 * MIN_SHARING_CHROMOSOMES + 1:
        return None
    one_level = float((levels - levels.median()).abs().sum())
    gain_spread, level, lower = two_level_fit(levels, gain_step)
    loss_spread, _, _ = two_level_fit(levels, loss_step)
    upper = levels.drop(lower.index)
    if gain_spread >= loss_spread:
        return None
    if len(lower) <= MIN_SHARING_CHROMOSOMES or len(upper) < MIN_SHARING_CHROMOSOMES:
        return None
    if 2 * sum(c in lower.index for c in USUALLY_GAINED) > len(USUALLY_GAINED):
        return None
    step = float(upper.median() - lower.median())
    x_level = table["level"].get("chrX")
    normal_x = x_level is not None and abs(float(x_level) - level) < step / 2.0
    all_levels = {str(c): float(v) for c, v in levels.items()}
    if x_level is not None:
        all_levels["chrX"] = float(x_level)
    return TwoCopyReading(
        chromosomes=tuple(sorted(lower.index, key=PRIMARY_CHROMOSOMES.index)),
        level=level,
        step=step,
        gained=len(upper),
        blast_fraction=f,
        gain_step=gain_step,
        loss_step=loss_step,
        clear=gain_spread <= TWO_LEVEL_SPREAD * one_level,
        chromosome_levels=all_levels,
        chromosome_ses={c: float(table["se"][c]) for c in all_levels},
        normal_x=normal_x,
    )

"""The two-copy level of a tumour whose karyotype names its two-copy chromosomes.

A tumour centred on its gains (high hyperdiploid) reads its two-copy chromosomes as losses,
and a loss that leaves two of three copies on a gained chromosome as a loss below normal.
``baseline.two_copy_reading`` finds the two-copy chromosomes from depth alone, where the step
between the chromosomes' levels shows them. A karyotype called with SNP allele fractions
(ikaros.karyotype: ``chromosomes.tsv``, one per tumour) names them outright: the chromosomes
at their normal copies whose SNPs show both alleles (not a doubled clone's two copies of one
allele). Their level on the panel is the two-copy level, and a called loss that is no loss
against it is refused by ``copy_number.losses_above_two_copies`` as under the depth reading,
with the karyotype named as the reason.

A chromosome's level is the median of its off-target bins (control, backbone) where it has
MIN_LOCUS_BINS of them, otherwise the median of its loci's medians (gene bodies and their
flank tiles, each locus MIN_LOCUS_BINS usable bins or more): a targeted panel has no other
bins. The two-copy level is the median over the karyotype's two-copy autosomes that have a
level, and needs MIN_TWO_COPY_CHROMOSOMES of them, so that one chromosome carrying a broad
loss of its panel gene cannot set it. It is read only for a karyotype that gains or loses an
autosome, and only where it lies CHROMOSOME_LEVEL_LOG2 or more below zero: a panel whose two-copy
chromosomes read about zero is centred on them already.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.dna.baseline import (
    CHROMOSOME_LEVEL_LOG2,
    MIN_LOCUS_BINS,
    chromosome_level_table,
    locus_labels,
    other_chromosomes,
)
from ikaros.genome import PRIMARY_CHROMOSOMES
from ikaros.karyotype.usable import usable_karyotypes
from ikaros.tables import read_tsv

MIN_TWO_COPY_CHROMOSOMES = 3


@dataclass(frozen=True)
class KaryotypeCopies:
    """What a tumour's karyotype says of its chromosomes: the autosomes at two copies with
    both alleles seen, the gained ones, and whether chrX holds its normal copies."""

    two_copies: tuple[str, ...]
    gained: tuple[str, ...]
    normal_x: bool
    summary: str  # the karyotype's class and changes, for the reasons
    lost: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether any autosome is gained or lost: only then can the panel's centring be
        off."""
        return bool(self.gained) or bool(self.lost)


def read_karyotype_copies(
    chromosomes: str | Path, karyotypes: str | Path, sample_id: str
) -> KaryotypeCopies | None:
    """The karyotype of ``sample_id`` from its ``chromosomes.tsv`` and the karyotype table
    holding its row; None where the table does not support it (ikaros.karyotype.cohort.
    usable_karyotypes: no SNP alleles, class undetermined, copies undecided)."""
    table = read_tsv(
        karyotypes, ("sample_id", "allele_source", "ploidy_class"), "karyotype table",
        dtype=str, keep_default_na=False,
    )  # fmt: skip
    row = usable_karyotypes(table)
    row = row[row["sample_id"].astype(str) == sample_id]
    if row.empty:
        return None
    copies = read_tsv(chromosomes, ("chrom", "state", "allele_state"), "karyotype chromosomes")
    copies = copies.fillna("").astype(str)
    autosomes = copies[~copies["chrom"].isin(["chrX", "chrY"])]
    both_alleles = autosomes["allele_state"] == "heterozygous"
    two = autosomes[(autosomes["state"] == "normal") & both_alleles]
    x = copies[copies["chrom"] == "chrX"]
    first = row.iloc[0]
    return KaryotypeCopies(
        two_copies=tuple(two["chrom"]),
        gained=tuple(autosomes.loc[autosomes["state"] == "gain", "chrom"]),
        lost=tuple(autosomes.loc[autosomes["state"] == "loss", "chrom"]),
        normal_x=bool(len(x)) and x["state"].iat[0] == "normal",
        summary=f"{first['ploidy_class']}, {first['copy_number_changes'] or 'no changes'}",
    )


def chromosome_panel_levels(bins: pd.DataFrame) -> pd.Series:
    """Each chromosome's level on the panel (see the module's text), chrX included: its
    off-target level (baseline.chromosome_level_table), else the median of its loci's."""
    levels = chromosome_level_table(bins, autosomes_only=False)["level"].to_dict()
    chroms = bins["chrom"].astype(str).to_numpy()
    by_locus = [c for c in pd.unique(chroms) if c not in levels]
    if by_locus:  # a targeted panel: each locus votes its median
        log2 = bins["log2"].to_numpy(dtype=float)
        usable = ~bins["masked"].to_numpy(dtype=bool) & np.isfinite(log2)
        labels = locus_labels(bins)
        for chrom in by_locus:
            on = usable & (chroms == chrom)
            loci = pd.Series(log2[on]).groupby(labels[on]).agg(["size", "median"])
            loci = loci[loci["size"] >= MIN_LOCUS_BINS]
            if len(loci):
                levels[chrom] = float(loci["median"].median())
    return pd.Series(levels, dtype=float)


@dataclass(frozen=True)
class KaryotypeReading:
    """The panel's two-copy level read off the chromosomes the karyotype holds at two copies
    (the interface of baseline.TwoCopyReading that copy_number.losses_above_two_copies uses)."""

    chromosomes: tuple[str, ...]  # the two-copy autosomes with a level, in genome order
    level: float
    gained: tuple[str, ...]
    normal_x: bool
    summary: str
    # SNP allele fractions, not a step in depth, name the chromosomes: every loss on them is
    # read against their level (TwoCopyReading.whole_chromosome is never asked)
    clear: bool = True

    def at_normal_copies(self, chrom: str) -> bool:
        return chrom in self.chromosomes or (chrom == "chrX" and self.normal_x)

    def is_gained(self, chrom: str) -> bool:
        """Whether the karyotype gains an autosome (a gained chrX is left alone: its normal
        copies depend on the sex)."""
        return chrom != "chrX" and chrom in self.gained

    def _against(self, log2: float) -> str:
        return f"against them this segment reads {round(log2 - self.level, 2) + 0.0:+.2f}"

    def reason(self, chrom: str, log2: float) -> str:
        """Why a loss on one of the two-copy chromosomes is not called."""
        return (
            f"the karyotype ({self.summary}; SNP allele fractions) holds {chrom} and "
            f"{other_chromosomes(self.chromosomes, chrom)} at two copies, read at log2 "
            f"{self.level:+.2f}; {self._against(log2)}"
        )

    def reason_on_x(self, log2: float) -> str:
        """Why a loss on a chrX at its normal copies is not called."""
        return (
            f"the karyotype ({self.summary}; SNP allele fractions) holds chrX at its normal "
            f"copies and {len(self.chromosomes)} autosomes at two copies, read at log2 "
            f"{self.level:+.2f}; {self._against(log2)}"
        )

    def reason_on_gain(self, chrom: str, log2: float) -> str:
        """Why a loss on a gained chromosome that leaves two copies is not called."""
        return (
            f"the karyotype ({self.summary}; SNP allele fractions) holds {chrom} gained and "
            f"{len(self.chromosomes)} autosomes at two copies, read at log2 {self.level:+.2f}; "
            f"{self._against(log2)}: the gain taken back, no copy below two"
        )


def karyotype_reading(
    bins: pd.DataFrame, copies: KaryotypeCopies | None
) -> KaryotypeReading | None:
    """The two-copy reading that ``copies`` gives the panel's ``bins``; None without a
    karyotype, where it names no gain or loss, where fewer than MIN_TWO_COPY_CHROMOSOMES of
    its two-copy autosomes have a level, or where they read within CHROMOSOME_LEVEL_LOG2 of
    zero or above it (the panel is centred on two copies already: a shift within the scatter
    of a diploid tumour's chromosome levels would only move borderline calls, and a shift up
    makes no loss shallower)."""
    if copies is None or not copies.changed:
        return None
    levels = chromosome_panel_levels(bins)
    autosome_levels = levels.drop(["chrX", "chrY"], errors="ignore")
    two = [c for c in copies.two_copies if c in autosome_levels.index]
    if len(two) < MIN_TWO_COPY_CHROMOSOMES:
        return None
    level = float(np.median(autosome_levels[two]))
    if level > -CHROMOSOME_LEVEL_LOG2:
        return None  # two copies already read at zero, within a diploid tumour's scatter
    return KaryotypeReading(
        chromosomes=tuple(sorted(two, key=PRIMARY_CHROMOSOMES.index)),
        level=level,
        gained=copies.gained,
        normal_x=copies.normal_x,
        summary=copies.summary,
    )

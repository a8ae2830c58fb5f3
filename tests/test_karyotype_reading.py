"""The two-copy level read from a tumour's karyotype (ikaros.dna.karyotype_reading).

The levels are by hand: a clone of blast fraction f that gains chromosome 9 holds
f x 3 + (1 - f) x 2 copies there, and a panel centred on its gains reads its two-copy
chromosomes at log2(2 / (2 + f)).
"""

import numpy as np
import pandas as pd
import pytest

from ikaros.dna.karyotype_reading import (
    KaryotypeCopies,
    chromosome_panel_levels,
    karyotype_reading,
    read_karyotype_copies,
)
from test_baseline import _chromosome_bins, _segment, targeted_panel, values_with

TWO_COPY = ("chr1", "chr7", "chr13", "chr15", "chr19", "chr20")
# 30% blasts: two copies read log2(2 / 2.3) = -0.20 against the gained majority
TWO_COPY_LOG2 = float(np.log2(2 / 2.3))


def _copies(two_copies=TWO_COPY):
    """A karyotype holding ``two_copies`` at two copies and gaining the other autosomes."""
    autosomes = [f"chr{n}" for n in range(1, 23)]
    return KaryotypeCopies(
        two_copies=tuple(two_copies),
        gained=tuple(c for c in autosomes if c not in two_copies),
        normal_x=True,
        summary="high_hyperdiploid, +4,+9",
    )


def _refused(segments, bins, blast_fraction, karyotype):
    from ikaros.dna.copy_number import CallParams, call_segments, losses_above_two_copies

    called = call_segments(segments, blast_fraction, CallParams())
    reasons = losses_above_two_copies(
        segments, called, bins, blast_fraction, CallParams(), karyotype
    )
    return reasons.where(called["deleted"].to_numpy(dtype=bool), "-")


def test_the_karyotype_names_the_two_copy_chromosomes_that_depth_cannot():
    """At 30% blasts the gain step (0.20) and the loss step (0.23) cannot be told apart from
    depth, so without a karyotype chr7 at two copies and a CDKN2A loss of one of chr9's three
    copies (3 -> 2 in the blasts: log2(2 / 2.3) = -0.20) are called losses. With the karyotype
    naming the two-copy chromosomes, both are refused; a loss of two of chr9's three copies
    (log2(1.7 / 2.3) = -0.44, log2(1.7 / 2) = -0.23 against two copies) stands."""
    bins, whole = _chromosome_bins({c: TWO_COPY_LOG2 for c in TWO_COPY})
    deep = float(np.log2(1.7 / 2.3))
    focal = pd.DataFrame([_segment("chr9", TWO_COPY_LOG2, 30, start=21_000_000),
                          _segment("chr9", deep, 30, start=22_000_000)])  # fmt: skip
    segments = pd.concat([whole, focal], ignore_index=True)
    assert (_refused(segments, bins, 0.3, None) == "").all()
    reasons = _refused(segments, bins, 0.3, _copies())
    chr7 = reasons[segments["chrom"] == "chr7"].iat[0]
    assert chr7.startswith(
        "the karyotype (high_hyperdiploid, +4,+9; SNP allele fractions) holds chr7 and 5 other "
        "chromosomes (chr1, chr13, chr15, chr19, chr20) at two copies, read at log2 -0.20"
    )
    assert chr7.endswith("against them this segment reads +0.00")
    assert reasons.iat[-2].endswith(
        "against them this segment reads +0.00: the gain taken back, no copy below two"
    )
    assert reasons.iat[-1] == ""
    # without a blast percentage the depth reading is not even tried; the karyotype's is
    assert (_refused(segments, bins, None, None) == "").all()
    assert _refused(segments, bins, None, _copies()).iat[-2] != ""


def test_a_karyotype_without_changes_or_with_too_few_two_copy_chromosomes_reads_nothing():
    bins, _ = _chromosome_bins({c: TWO_COPY_LOG2 for c in TWO_COPY})
    autosomes = tuple(f"chr{n}" for n in range(1, 23))
    diploid = KaryotypeCopies(two_copies=autosomes, gained=(), normal_x=True, summary="")
    assert karyotype_reading(bins, diploid) is None
    assert karyotype_reading(bins, None) is None
    # two two-copy chromosomes: one of them carrying a broad loss could set the level
    assert karyotype_reading(bins, _copies(two_copies=("chr1", "chr7"))) is None
    reading = karyotype_reading(bins, _copies(two_copies=("chr1", "chr7", "chr13")))
    assert reading.chromosomes == ("chr1", "chr7", "chr13")
    assert reading.level == pytest.approx(TWO_COPY_LOG2, abs=0.01)
    # a panel centred on its two-copy chromosomes already (they read 0, the gains above):
    # nothing to read against, and a shift within the scatter would only move borderline calls
    centred, _ = _chromosome_bins({c: 0.2 for c in _copies().gained})
    assert karyotype_reading(centred, _copies()) is None


def test_a_targeted_panel_reads_each_chromosome_from_its_loci():
    """Without control or backbone bins, a chromosome's level is the median of its loci's
    medians: chr9's CDKN2A, PAX5 and their flanks at +0.3 but PAX5 at -0.5 (a loss) read +0.3."""
    panel = targeted_panel()
    labels = sorted(set(panel.loc[panel["chrom"] == "chr9", "gene"].dropna()))
    shifts = {g: 0.3 for g in labels} | {f"{g} flank": 0.3 for g in labels} | {"PAX5": -0.5}
    bins = panel.assign(log2=values_with(panel, shifts, offset=0.0), masked=False)
    levels = chromosome_panel_levels(bins)
    assert levels["chr9"] == pytest.approx(0.3, abs=0.05)
    assert levels["chr7"] == pytest.approx(0.0, abs=0.05)


def _write_karyotype(tmp_path, decided="true", alleles="VCF (9000 SNPs)"):
    rows = [(f"chr{n}", 2, 1, "normal", "heterozygous") for n in range(1, 23)]
    rows[3] = ("chr4", 3, 1, "gain", "imbalanced")
    rows[6] = ("chr7", 1, 0, "loss", "loh")
    rows[2] = ("chr3", 2, 0, "normal", "cn_loh")  # two copies of one allele
    rows += [("chrX", 2, 1, "normal", "heterozygous"), ("chrY", "", "", "", "")]
    chromosomes = tmp_path / "chromosomes.tsv"
    pd.DataFrame(rows, columns=["chrom", "copies", "minor_copies", "state", "allele_state"]).to_csv(
        chromosomes, sep="\t", index=False
    )
    table = tmp_path / "karyotypes.tsv"
    pd.DataFrame(
        [{"sample_id": "T1", "patient_id": "P1", "karyotype_source": "BAM",
          "allele_source": alleles, "ploidy_class": "near_diploid",
          "copy_number_changes": "+4", "copies_decided": decided},
         {"sample_id": "T2", "patient_id": "P2", "karyotype_source": "BAM",
          "allele_source": alleles, "ploidy_class": "undetermined",
          "copy_number_changes": "", "copies_decided": "true"}]
    ).to_csv(table, sep="\t", index=False)  # fmt: skip
    return chromosomes, table


def test_the_karyotype_is_read_only_where_its_copies_are_decided_by_snp_alleles(tmp_path):
    chromosomes, table = _write_karyotype(tmp_path)
    copies = read_karyotype_copies(chromosomes, table, "T1")
    assert copies.gained == ("chr4",) and copies.lost == ("chr7",)
    assert not {"chr3", "chr4", "chr7"} & set(copies.two_copies)
    assert len(copies.two_copies) == 19 and copies.normal_x
    assert copies.summary == "near_diploid, +4"
    assert read_karyotype_copies(chromosomes, table, "T2") is None  # class undetermined
    chromosomes, table = _write_karyotype(tmp_path, decided="false")
    assert read_karyotype_copies(chromosomes, table, "T1") is None
    chromosomes, table = _write_karyotype(tmp_path, alleles="")
    assert read_karyotype_copies(chromosomes, table, "T1") is None

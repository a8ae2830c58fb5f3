"""Ploidy from expression on simulated genome-wide count profiles of diploid and high
hyperdiploid tumours, with and without allele fractions from the RNA."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ikaros.karyotype.ploidy import Karyotype
from ikaros.rna.expression_evidence import read_marker_sets
from ikaros.rna.expression_ploidy import (
    ExpressionPloidySettings,
    expression_karyotypes,
    one_x_short,
)
from ikaros.rna.gene_table import read_genes
from ikaros.simulate.expression import simulate_profiles
from ikaros.simulate.karyotypes import design_karyotype, simulate_profile

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
HOUSEKEEPING = ["ACTB", "GAPDH", "B2M", "TBP", "HPRT1", "PGK1"]
RUNX1 = ("chr21", 34787801, 36004667)


@pytest.fixture(scope="module")
def genes():
    return read_genes(RESOURCES / "genes_GRCh38.tsv")


def simulated_cohort(genes, seed, hyperdiploid=8, diploid=22, with_snps=False):
    rng = np.random.default_rng(seed)
    coding = genes[genes["type"] == "protein_coding"]
    kinds = ["high_hyperdiploid"] * hyperdiploid + ["diploid"] * diploid
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    karyotypes = [design_karyotype(k, "female", rng) for k in kinds]
    fractions = list(rng.uniform(0.7, 0.95, len(kinds)))
    markers = read_marker_sets(RESOURCES / "expression_markers.tsv")
    counts = simulate_profiles(
        ["none"] * len(kinds), markers, list(coding["gene"]), HOUSEKEEPING, rng,
        karyotypes=karyotypes, gene_chroms=dict(zip(coding["gene"], coding["chrom"], strict=True)),
        cell_fractions=fractions,
    )  # fmt: skip
    snps = {}
    if with_snps:
        for sample, karyotype, kind, fraction in zip(counts.columns, karyotypes, kinds, fractions,
                                                     strict=True):  # fmt: skip
            _, allele_counts, _ = simulate_profile(
                karyotype, kind, "female", fraction, "GRCh38", rng, RUNX1, snps_per_arm=60,
                mean_depth=30.0,
            )  # fmt: skip
            snps[sample] = allele_counts
    return counts, kinds, snps, dict(zip(counts.columns, fractions, strict=True))


def classes(results):
    return {s: (k.summary["ploidy_class"] if isinstance(k, Karyotype) else k)
            for s, k in results.items()}  # fmt: skip


def test_diploid_and_hyperdiploid_from_expression_with_allele_fractions(genes):
    right = total = 0
    for seed in (1, 2):
        counts, kinds, snps, blasts = simulated_cohort(genes, seed, with_snps=True)
        # the sheet's blast percentages (here the simulated cell fractions) anchor the fit
        sexes = dict.fromkeys(counts.columns, "female")
        called = classes(expression_karyotypes(counts, genes, "GRCh38", snps, sexes, blasts))
        for sample, kind in zip(counts.columns, kinds, strict=True):
            expected = "near_diploid" if kind == "diploid" else "high_hyperdiploid"
            right += called[sample] == expected
            total += 1
    assert right / total >= 0.95, (right, total)


def test_without_allele_fractions_never_a_wrong_class(genes):
    counts, kinds, _, blasts = simulated_cohort(genes, 3)
    sexes = dict.fromkeys(counts.columns, "female")
    called = classes(expression_karyotypes(counts, genes, "GRCh38", None, sexes, blasts))
    for sample, kind in zip(counts.columns, kinds, strict=True):
        expected = "near_diploid" if kind == "diploid" else "high_hyperdiploid"
        assert called[sample] in (expected, "undetermined"), (sample, kind, called[sample])
    diploid = [s for s, k in zip(counts.columns, kinds, strict=True) if k == "diploid"]
    # a flat profile is also a perfect triploid one: without allele fractions the caller may
    # refuse (as for DNA: about half of them in benchmarks/bench_rna_ploidy.py), never mislabel
    assert sum(called[s] == "near_diploid" for s in diploid) >= 0.3 * len(diploid)


def test_a_small_cohort_has_no_reference(genes):
    counts, _, _, _ = simulated_cohort(genes, 4, hyperdiploid=2, diploid=4)
    results = expression_karyotypes(
        counts, genes, "GRCh38", settings=ExpressionPloidySettings(min_cohort=10)
    )
    assert set(results.values()) == {"a cohort of 6 count tables (< 10) gives no diploid reference"}


def karyotype_of(count: int, klass: str, x_state: str = "normal") -> Karyotype:
    summary = {"ploidy_class": klass, "chromosome_count": str(count), "ploidy_evidence": "e"}
    chromosomes = pd.DataFrame({"chrom": ["chr7", "chrX"], "state": ["normal", x_state]})
    return Karyotype(arms=pd.DataFrame(), chromosomes=chromosomes, summary=summary)


@pytest.mark.parametrize(
    "count, klass, expected",
    [(50, "near_diploid", "undetermined"), (49, "near_diploid", "near_diploid"),
     (51, "high_hyperdiploid", "high_hyperdiploid"), (67, "high_hyperdiploid", "undetermined"),
     (30, "near_haploid", "undetermined"), (50, "undetermined", "undetermined")],
)  # fmt: skip
def test_a_count_one_x_short_of_another_class_is_undetermined(count, klass, expected):
    # expression does not show a gained X: 50 chromosomes may be 51 (high hyperdiploid), 67 may
    # be 68 (near triploid), 30 may be 31 (low hypodiploid)
    summary = one_x_short(karyotype_of(count, klass)).summary
    assert summary["ploidy_class"] == expected
    changed = expected != klass
    assert (f"{count + 1} chromosomes" in summary["ploidy_evidence"]) == changed
    assert summary["chromosome_count"] == str(count)


def test_a_count_with_its_x_gain_seen_keeps_its_class():
    # expression showed the X gain (genes escaping inactivation): the count holds it already
    karyotype = karyotype_of(50, "near_diploid", x_state="gain")
    assert one_x_short(karyotype).summary["ploidy_class"] == "near_diploid"

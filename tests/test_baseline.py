"""The copy-neutral level on panels where most bins lie in the genes of interest.

Hand-made per-bin values check the vote itself; Poisson counts from the generative model of
test_reference, on a targeted version of its panel (no control or backbone bins), check
that tumours with losses at several loci keep their exact IKZF1 class and co-deletions,
where the median of all bins would centre them on the deleted level.
"""

from __future__ import annotations

import numpy as np
import pytest

from ikaros.dna.baseline import copy_neutral_level, locus_labels
from ikaros.dna.copy_number import call_from_bins
from ikaros.dna.ikzf1 import call_ikzf1
from ikaros.dna.reference import build_reference, log2_ratios
from test_copy_number import IKZF1_LESIONS
from test_reference import bin_efficiency, copy_ratio, draw_counts, make_panel

LOSSES = {
    "IKZF1 del1-8": ("chr7", *IKZF1_LESIONS["del1-8_focal"][:2]),
    "IKZF1 del4-7": ("chr7", *IKZF1_LESIONS["del4-7"][:2]),
    "CDKN2A/B": ("chr9", 21_900_000, 22_100_000),
    "PAX5": ("chr9", 36_800_000, 37_100_000),  # the whole gene
    "ERG": ("chr21", 38_370_000, 38_670_000),  # the whole gene
    "9p": ("chr9", 1, 43_000_000),
}


def targeted_panel():
    """make_panel without control and backbone bins on the autosomes: the genes of
    interest, their introns and flanks, and chrX/chrY for sex."""
    panel = make_panel()
    keep = ~panel["kind"].isin(["control", "backbone"]) | panel["chrom"].isin(["chrX", "chrY"])
    return panel[keep].reset_index(drop=True)


def values_with(panel, shifts: dict[str, float], offset: float = 3.0, seed: int = 1):
    """Per-bin log2 values: ``offset`` plus a shift per locus label, plus noise of SD 0.05."""
    labels = locus_labels(panel)
    shift = np.array([shifts.get(label, 0.0) for label in labels])
    return offset + shift + np.random.default_rng(seed).normal(0.0, 0.05, len(panel))


def test_control_bins_set_the_level_when_there_are_enough():
    panel = make_panel()
    values = values_with(panel, {"IKZF1": -1.0, "PAX5": -1.0, "ERG": -1.0})
    baseline = copy_neutral_level(values, panel, np.ones(len(panel), bool))
    control = (panel["kind"] == "control") & ~panel["chrom"].isin(["chrX", "chrY"])
    assert baseline.basis == f"{control.sum()} control bins"
    assert baseline.level == pytest.approx(np.median(values[control.to_numpy()]))
    assert not baseline.ambiguous


def test_flanks_outvote_the_genes_of_interest_on_a_targeted_panel():
    panel = targeted_panel()
    usable = np.ones(len(panel), bool)
    lost = {"IKZF1": -0.8, "PAX5": -0.8, "ERG": -0.8, "CDKN2A": -0.8, "CDKN2B": -0.8}
    values = values_with(panel, lost)
    # most usable autosomal bins are deleted here: their median is the deleted level
    auto = ~panel["chrom"].isin(["chrX", "chrY"]).to_numpy()
    assert np.median(values[auto]) < 3.0 - 0.6
    baseline = copy_neutral_level(values, panel, usable)
    assert baseline.level == pytest.approx(3.0, abs=0.02)
    assert not baseline.ambiguous
    assert "IKZF1 flank" in baseline.basis


def test_gains_of_a_minority_of_chromosomes_do_not_move_the_level():
    # high hyperdiploid: a tetrasomy 21 (ERG) beside an IKZF1 loss
    panel = targeted_panel()
    values = values_with(panel, {"ERG": +1.0, "IKZF1": -0.7})
    baseline = copy_neutral_level(values, panel, np.ones(len(panel), bool))
    assert baseline.level == pytest.approx(3.0, abs=0.02)


def test_a_panel_split_between_two_disagreeing_arms_is_ambiguous():
    panel = targeted_panel()
    on_7_and_9 = panel["chrom"].isin(["chr7", "chr9", "chrX", "chrY"]).to_numpy()
    panel = panel[on_7_and_9].reset_index(drop=True)
    values = values_with(
        panel,
        {
            label: -0.6
            for label in set(locus_labels(panel))
            if "chr7" not in label and label.startswith(("CDKN", "PAX5", " flank", "MTAP"))
        },
    )
    baseline = copy_neutral_level(values, panel, np.ones(len(panel), bool))
    assert baseline.ambiguous, baseline.basis
    # the same panel without the 9p loss is clear
    assert not copy_neutral_level(
        values_with(panel, {}), panel, np.ones(len(panel), bool)
    ).ambiguous


@pytest.fixture(scope="module")
def targeted_cohort():
    rng = np.random.default_rng(20261205)
    panel = targeted_panel()
    eff = bin_efficiency(panel, rng)
    normals = np.vstack([draw_counts(eff, copy_ratio(panel), 40.0, rng) for _ in range(8)])
    reference = build_reference(normals, panel, [f"N{i}" for i in range(8)], "panel_of_normals",
                                males=[False] * 8)  # fmt: skip
    return panel, eff, reference


CASES = [
    # (IKZF1 lesion, other losses, blast fraction, expected class)
    ("IKZF1 del1-8", ("PAX5", "ERG"), 0.9, "del1-8"),
    ("IKZF1 del1-8", ("PAX5", "ERG", "CDKN2A/B"), 0.7, "del1-8"),
    ("IKZF1 del1-8", ("PAX5", "CDKN2A/B"), 0.6, "del1-8"),
    ("IKZF1 del4-7", ("PAX5", "ERG", "CDKN2A/B"), 0.8, "del4-7"),
    ("IKZF1 del4-7", ("ERG",), 0.5, "del4-7"),
    (None, ("PAX5", "ERG", "CDKN2A/B"), 0.9, None),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_tumours_with_several_losses_keep_their_exact_calls(targeted_cohort, case):
    ikzf1, others, blasts, expected = CASES[case]
    panel, eff, reference = targeted_cohort
    rng = np.random.default_rng([20261205, case])
    lesions = [(*LOSSES[name], "mono", blasts) for name in (ikzf1, *others) if name]
    counts = draw_counts(eff, copy_ratio(panel, lesions), 40.0, rng)
    bins = log2_ratios(counts, reference, male=False)
    assert not bins.attrs["baseline_ambiguous"]
    assert "control bins" not in bins.attrs["baseline"]
    calls = call_from_bins("T", bins, blasts, n_perm=300, seed=1)
    call = call_ikzf1(calls)
    if expected is None:
        assert call.status == "wildtype", call.evidence
    else:
        assert (call.status, call.deletion_class) == ("deleted", expected), call.evidence
        assert "copy-neutral level from" in call.evidence
    deleted_genes = set(calls.genes.loc[calls.genes["state"].isin(["mono", "bi"]), "gene"])
    truth = {"PAX5": {"PAX5"}, "ERG": {"ERG"}, "CDKN2A/B": {"CDKN2A", "CDKN2B"}}
    for name in others:
        assert truth[name] <= deleted_genes, (name, deleted_genes)


def test_an_ambiguous_level_makes_ikzf1_not_assessable():
    # IKZF1 and the 9p genes only, a 9p loss in 90% of cells: no third arm says which
    # level is copy-neutral, so no IKZF1 call (wildtype or deleted) is made
    panel = targeted_panel()
    panel = panel[panel["chrom"].isin(["chr7", "chr9", "chrX", "chrY"])].reset_index(drop=True)
    rng = np.random.default_rng(7)
    eff = bin_efficiency(panel, rng)
    normals = np.vstack([draw_counts(eff, copy_ratio(panel), 40.0, rng) for _ in range(8)])
    reference = build_reference(normals, panel, [f"N{i}" for i in range(8)], "panel_of_normals",
                                males=[False] * 8)  # fmt: skip
    counts = draw_counts(eff, copy_ratio(panel, [(*LOSSES["9p"], "mono", 0.9)]), 40.0, rng)
    bins = log2_ratios(counts, reference, male=False)
    assert bins.attrs["baseline_ambiguous"]
    call = call_ikzf1(call_from_bins("T", bins, 0.9, n_perm=200, seed=1))
    assert call.status == "not_assessable"
    assert "copy-neutral level ambiguous" in call.evidence


# --- whole-chromosome levels of an aneuploid tumour ----------------------------------------


def _chromosome_bins(levels: dict[str, float], per_chromosome: int = 20):
    """Bins of chr1..chr22, ``per_chromosome`` each, at their chromosome's log2 level (0 when
    not given) with a little noise; the segments and calls: one called loss per chromosome
    listed in ``levels`` below zero, spanning it."""
    import pandas as pd

    rng = np.random.default_rng(5)
    rows, segments = [], []
    for number in range(1, 23):
        chrom = f"chr{number}"
        level = levels.get(chrom, 0.0)
        for k in range(per_chromosome):
            rows.append({"chrom": chrom, "start": 1 + k * 1000, "end": 1000 + k * 1000,
                         "log2": level + rng.normal(0, 0.02), "masked": False})  # fmt: skip
        if level < 0:
            segments.append({"chrom": chrom, "log2": level})
    bins = pd.DataFrame(rows)
    segments = pd.DataFrame(segments)
    called = pd.DataFrame({"deleted": [True] * len(segments)})
    return bins, segments, called


def test_chromosomes_left_at_two_copies_in_a_hyperdiploid_clone_are_not_losses():
    """Blasts 64%: from two copies to three is a step of log2(1.32) = 0.40, from one copy to
    two -log2(0.68) = 0.56. Six chromosomes (7 among them) at -0.40 below 16 gained ones at 0:
    chr7 is two copies, not a loss."""
    from ikaros.dna.baseline import gained_baseline_losses

    disomic = {c: -0.40 for c in ("chr1", "chr7", "chr13", "chr15", "chr19", "chr20")}
    bins, segments, called = _chromosome_bins(disomic)
    reasons = gained_baseline_losses(segments, called, bins, 0.64)
    assert (reasons != "").all()
    chr7 = reasons[segments["chrom"] == "chr7"].iat[0]
    assert chr7.startswith("chr7 reads log2 -0.40 as a whole, as do 5 other chromosomes")
    assert "0.40 below the 16 above them: two copies under gains in 64% blasts (step 0.40)" in chr7
    # the same levels at 30% blasts: steps 0.20 and 0.23 cannot be told apart, the losses stand
    assert (gained_baseline_losses(segments, called, bins, 0.30) == "").all()
    # nor without a blast percentage
    assert (gained_baseline_losses(segments, called, bins, None) == "").all()


def test_monosomies_of_a_hypodiploid_clone_and_a_lone_monosomy_7_stand():
    from ikaros.dna.baseline import gained_baseline_losses

    monosomic = ("chr3", "chr7", "chr13", "chr15", "chr16", "chr20")
    # six chromosomes at one copy in 64% of cells, centred on the disomic ones (-0.56)
    bins, segments, called = _chromosome_bins({c: -0.56 for c in monosomic})
    assert (gained_baseline_losses(segments, called, bins, 0.64) == "").all()
    # ten monosomies in 81% of blasts pull the centre between the levels: they read -0.49,
    # which is where two copies under gains would read, but the disomic chromosomes lie a
    # loss step (0.75) above them, not a gain step (0.49)
    ten = {f"chr{n}": -0.49 for n in (2, 3, 4, 7, 13, 15, 16, 17, 20, 22)}
    ten |= {f"chr{n}": 0.26 for n in range(1, 23) if f"chr{n}" not in ten}
    bins, segments, called = _chromosome_bins(ten)
    losses = called.assign(deleted=segments["log2"] < 0)
    assert (gained_baseline_losses(segments, losses, bins, 0.81) == "").all()
    # chr7 alone at the two-copies level: no other chromosome shares it
    bins, segments, called = _chromosome_bins({"chr7": -0.40})
    assert (gained_baseline_losses(segments, called, bins, 0.64) == "").all()
    # a focal loss inside a chromosome that reads neutral as a whole
    bins, segments, called = _chromosome_bins({c: -0.40 for c in ("chr1", "chr13", "chr15")})
    focal = segments.iloc[:1].assign(chrom="chr7")
    assert (gained_baseline_losses(focal, called.iloc[:1], bins, 0.64) == "").all()

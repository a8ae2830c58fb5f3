"""Marker-gene expression evidence on profiles simulated as different laboratories give them:
library sizes from 2 M to 60 M reads, gene-specific laboratory bias, genes missing from the
annotation, and cohorts of a few dozen samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ikaros.rna.expression_evidence import (
    ExpressionSettings,
    marker_evidence,
    positive_sets,
    read_marker_sets,
    within_sample_levels,
)
from ikaros.simulate.expression import ProfileSettings, simulate_profiles

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
HOUSEKEEPING = ["ACTB", "GAPDH", "B2M", "TBP", "HPRT1", "PGK1"]
OTHER_GENES = [f"GENE{i}" for i in range(2000)]
SUBTYPES = ["DUX4-r", "NUTM1-r", "TCF3::HLF", "BCR::ABL1-like", "KMT2A-r", "ZNF384-r", "MEF2D-r",
            "TCF3::PBX1"]  # fmt: skip


@pytest.fixture(scope="module")
def markers():
    return read_marker_sets(RESOURCES / "expression_markers.tsv")


def cohort(markers, seed, per_subtype=3, others=30, settings=None):
    labels = [s for s in SUBTYPES for _ in range(per_subtype)] + ["no marker subtype"] * others
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    labels = [labels[i] for i in order]
    counts = simulate_profiles(labels, markers, OTHER_GENES, HOUSEKEEPING, rng, settings)
    return labels, counts


def expected_sets(markers, subtype):
    # a CRLF2-rearranged BCR::ABL1-like sample raises CRLF2 with the signature: both sets
    return set(markers.loc[markers["subtype"] == subtype, "set"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_subtype_shows_its_sets_and_no_other(markers, seed):
    labels, counts = cohort(markers, seed)
    evidence = marker_evidence(counts, markers, HOUSEKEEPING)
    positive = positive_sets(evidence)
    for sample, subtype in zip(counts.columns, labels, strict=True):
        called = set(positive.loc[positive["sample_id"] == sample, "set"])
        assert called == expected_sets(markers, subtype), (sample, subtype, called)


def test_a_second_laboratory_with_other_biases_gives_the_same_calls(markers):
    # the same design under another laboratory's biases, libraries and annotation gaps
    harsh = ProfileSettings(lab_bias_sd=1.0, min_library=1e6, missing_fraction=0.1)
    labels, counts = cohort(markers, 7, settings=harsh)
    positive = positive_sets(marker_evidence(counts, markers, HOUSEKEEPING))
    wrong = 0
    for sample, subtype in zip(counts.columns, labels, strict=True):
        called = set(positive.loc[positive["sample_id"] == sample, "set"])
        wrong += called != expected_sets(markers, subtype)
    assert wrong == 0


def test_small_cohort_calls_only_the_silent_genes(markers):
    labels, counts = cohort(markers, 4, per_subtype=1, others=4)
    evidence = marker_evidence(counts, markers, HOUSEKEEPING, ExpressionSettings(min_cohort=20))
    cohort_rows = evidence[evidence["kind"] == "cohort"]
    assert set(cohort_rows["call"]) == {"not_assessable"}
    assert cohort_rows["detail"].str.contains("cohort of 12 < 20 samples").all()
    dux4 = counts.columns[labels.index("DUX4-r")]
    silent = evidence[(evidence["kind"] == "silent") & (evidence["call"] == "expressed")]
    assert list(silent.loc[silent["set"] == "DUX4_expressed", "sample_id"]) == [dux4]


def test_levels_do_not_depend_on_library_size():
    counts = pd.DataFrame(
        {"A": [1000, 2000, 30000, 50], "B": [100000, 200000, 3000000, 5000]},
        index=["ACTB", "GAPDH", "GENE1", "GENE2"],
    )
    levels = within_sample_levels(counts, ["ACTB", "GAPDH"])
    # by hand: GENE1 = log2(30000) - mean(log2 1000, log2 2000) = log2(30000 / sqrt(2e6))
    assert levels.at["GENE1", "A"] == pytest.approx(np.log2(30000.5) - np.mean(
        [np.log2(1000.5), np.log2(2000.5)]))  # fmt: skip
    assert (levels["A"] - levels["B"]).abs().max() < 0.02

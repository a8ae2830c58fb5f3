"""Segment, exon and gene calls: hand calculations, and a seeded cohort from the generative
model of test_reference (truth = the planted lesions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ikaros.dna.copy_number import (
    CallParams,
    allelic_state,
    call_from_bins,
    call_segments,
    exon_calls,
    exon_model,
    expected_ratio,
    fraction_from_ratio,
    gene_calls,
    loss_extents,
)
from ikaros.dna.reference import build_reference, log2_ratios
from test_reference import (
    IKZF1_EXONS_GRCH38,
    IKZF1_SPAN,
    PAR1_DELETION,
    bin_efficiency,
    copy_ratio,
    draw_counts,
    make_panel,
)

# ---------------------------------------------------------------- cohort generator


def _intron_mid(k: int) -> int:
    return (IKZF1_EXONS_GRCH38[k - 1][2] + IKZF1_EXONS_GRCH38[k][1]) // 2


IKZF1_LESIONS = {
    # label: (start, end, exons removed, focal)
    "del4-7": (_intron_mid(3), _intron_mid(7), {4, 5, 6, 7}, True),
    "del2-7": (_intron_mid(1), _intron_mid(7), {2, 3, 4, 5, 6, 7}, True),
    "del2-8": (_intron_mid(1), IKZF1_SPAN[1] + 30_000, {2, 3, 4, 5, 6, 7, 8}, True),
    "del4-8": (_intron_mid(3), IKZF1_SPAN[1] + 30_000, {4, 5, 6, 7, 8}, True),
    "del1-8_focal": (IKZF1_SPAN[0] - 400_000, IKZF1_SPAN[1] + 600_000, set(range(1, 9)), True),
    "del1-8_7p": (1, 58_000_000, set(range(1, 9)), False),
    "other": (_intron_mid(1), _intron_mid(3), {2, 3}, True),
    "intronic": (50_340_000, 50_365_000, set(), None),
}
CODELETION_LESIONS = {
    "CDKN2A_CDKN2B": ("chr9", 21_900_000, 22_100_000),
    "PAX5": ("chr9", 36_900_000, 36_990_000),  # PAX5 intragenic (exons 4-6 of the model)
    "PAR1": PAR1_DELETION,
    "ERG": ("chr21", 38_450_000, 38_560_000),
}


def simulate_cohort(
    n_patients: int, seed: int, depth=(30.0, 60.0), blasts=(0.4, 0.95), wildtypes: int = 3
):
    """Panel, bin efficiencies, 10 normals and n tumours with their truth rows.

    Patients cycle through the IKZF1 lesions of IKZF1_LESIONS and ``wildtypes`` wildtype
    patients; co-deletions are drawn at random; every lesion is clonal (fraction = blasts).
    """
    rng = np.random.default_rng(seed)
    panel = make_panel()
    eff = bin_efficiency(panel, rng)
    normals = np.vstack([draw_counts(eff, copy_ratio(panel), 40.0, rng) for _ in range(10)])
    labels = list(IKZF1_LESIONS) + ["wildtype"] * wildtypes
    truth, tumours = [], []
    for k in range(n_patients):
        label = labels[k % len(labels)]
        blast = float(rng.uniform(*blasts))
        lesions = []
        row = {"patient_id": f"P{k:03d}", "blast": blast, "label": label}
        if label != "wildtype":
            start, end, exons, focal = IKZF1_LESIONS[label]
            lesions.append(("chr7", start, end, "mono", blast))
            row.update(exons=exons, focal=focal)
        else:
            row.update(exons=set(), focal=None)
        for gene, (chrom, start, end) in CODELETION_LESIONS.items():
            allelic = rng.choice(["none", "none", "mono", "bi"] if gene == "CDKN2A_CDKN2B" else
                                 ["none", "none", "none", "mono"])  # fmt: skip
            row[gene] = str(allelic)
            if allelic != "none":
                lesions.append((chrom, start, end, str(allelic), blast))
        tumours.append(draw_counts(eff, copy_ratio(panel, lesions), rng.uniform(*depth), rng))
        truth.append(row)
    return panel, normals, np.vstack(tumours), truth


def call_cohort(panel, normals, tumours, truth, kind="panel_of_normals", n_perm=500):
    if kind == "panel_of_normals":
        ref = build_reference(normals, panel, [f"N{i}" for i in range(len(normals))], kind,
                              males=[False] * len(normals))  # fmt: skip
    else:
        ids = [t["patient_id"] for t in truth]
        ref = build_reference(tumours, panel, ids, "cohort", males=[False] * len(ids))
    out = []
    for k, row in enumerate(truth):
        bins = log2_ratios(tumours[k], ref, male=False)
        out.append(call_from_bins(row["patient_id"], bins, row["blast"], n_perm=n_perm, seed=k))
    return out


@pytest.fixture(scope="module")
def cohort():
    panel, normals, tumours, truth = simulate_cohort(33, seed=2026, blasts=(0.6, 0.95))
    return truth, call_cohort(panel, normals, tumours, truth)


# ---------------------------------------------------------------- hand calculations


def test_fraction_from_ratio_hand_values():
    assert fraction_from_ratio(0.8, "mono") == pytest.approx(0.4)  # 1 - 0.4/2
    assert fraction_from_ratio(0.6, "bi") == pytest.approx(0.4)  # 1 - 0.4
    assert fraction_from_ratio(0.5, "mono") == pytest.approx(1.0)
    assert fraction_from_ratio(0.5, "mono", blast_fraction=0.7) == pytest.approx(0.7)
    assert fraction_from_ratio(1.1, "mono") == 0.0
    assert expected_ratio(0.25, "mono") == pytest.approx(0.875)  # log2 about -0.19
    with pytest.raises(ValueError):
        fraction_from_ratio(0.5, "both")


def test_allelic_state_uses_blast_bound():
    p = CallParams(blast_slack=0.0)
    # 60% blasts: a monoallelic loss cannot go below ratio 0.7.
    assert allelic_state(np.log2(0.7), 0.03, 0.6, p) == "mono"
    assert allelic_state(np.log2(0.4), 0.03, 0.6, p) == "bi"  # clonal biallelic: 1 - 0.6
    assert allelic_state(np.log2(0.65), 0.1, 0.6, p) == "mono"  # not significantly below
    # Unknown blasts: only a ratio significantly below 1/2 proves biallelic.
    assert allelic_state(np.log2(0.4), 0.03, None, p) == "bi"
    assert allelic_state(np.log2(0.6), 0.03, None, p) == "mono"
    # Without an SE (SEG input): nearer 1 - b than 1 - b/2 means biallelic.
    assert allelic_state(np.log2(0.45), np.nan, 0.6, p) == "bi"
    assert allelic_state(np.log2(0.65), np.nan, 0.6, p) == "mono"


def _segments(rows):
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "n_bins", "log2", "se"])


def test_call_segments_significance_and_size():
    segs = _segments(
        [
            ("chr7", 1, 1000, 20, -0.32, 0.05),  # z = -6.4: deleted
            ("chr7", 1001, 2000, 20, -0.10, 0.05),  # z = -2: not significant
            ("chr7", 2001, 3000, 1, -2.0, 0.3),  # one bin: never a call
            ("chr7", 3001, 4000, 400, -0.03, 0.005),  # significant but < min_fraction
            ("chr7", 4001, 5000, 5, -0.5, np.nan),  # SEG-like: threshold and marks
            ("chr7", 5001, 6000, 2, -0.5, np.nan),  # too few marks
        ]
    )
    called = call_segments(segs, blast_fraction=0.8, params=CallParams(se_floor=0.0))
    assert called["deleted"].tolist() == [True, False, False, False, True, False]
    assert called.loc[0, "p_value"] == pytest.approx(7.8e-11, rel=0.05)  # Phi(-6.4)
    # The default SE floor (0.05, in quadrature) makes row 0 z = -0.32 / 0.0707 = -4.53.
    floored = call_segments(segs, blast_fraction=0.8)
    assert floored.loc[0, "z"] == pytest.approx(-0.32 / np.hypot(0.05, 0.05))
    assert floored["deleted"].tolist() == [True, False, False, False, True, False]
    assert called.loc[0, "cell_fraction"] == pytest.approx(2 * (1 - 2**-0.32), rel=1e-6)
    assert called.loc[0, "fraction_low"] < called.loc[0, "cell_fraction"]
    assert called.loc[0, "call_basis"] == "z" and called.loc[4, "call_basis"] == "threshold"


def test_a_broad_loss_must_reach_broad_z():
    """Default SE floor 0.05 in quadrature: se 0.0427 -> 0.0658. A 10 Mb loss at log2 -0.28
    (z -4.26) is not called (broad: z <= -4.5 needed), the same loss over 4 Mb is (focal:
    -3.5), and so is a 10 Mb loss at -0.36 (z -5.47) or one whose junction the reads name."""
    segs = _segments(
        [
            ("chr7", 40_000_001, 50_000_000, 300, -0.28, 0.0427),
            ("chr7", 50_000_001, 54_000_000, 120, -0.28, 0.0427),
            ("chr7", 60_000_001, 70_000_000, 300, -0.36, 0.0427),
            ("chr7", 70_000_001, 80_000_000, 300, -0.28, 0.0427),
        ]
    )
    segs["junction"] = ["", "", "", "chr7:70000000^80000001 (4 pairs, 6 split reads)"]
    called = call_segments(segs, blast_fraction=0.8)
    assert called["z"].tolist() == pytest.approx([-4.26, -4.26, -5.47, -4.26], abs=0.01)
    assert called["deleted"].tolist() == [False, True, True, True]
    lenient = call_segments(segs, blast_fraction=0.8, params=CallParams(broad_z=3.5))
    assert lenient["deleted"].tolist() == [True, True, True, True]


def test_exon_placement_gap_and_unresolved():
    called = call_segments(
        _segments(
            [
                ("chr7", 100, 1000, 10, 0.0, 0.05),
                ("chr7", 3000, 5000, 10, -2.0, 0.05),  # ratio 0.25 < 1/2: biallelic
                ("chr7", 9000, 12000, 10, -1.0, 0.05),
                ("chr7", 20000, 30000, 10, 0.0, 0.05),
            ]
        )
    )
    model = pd.DataFrame(
        {
            "gene": ["G"] * 6,
            "exon": pd.array([1, 2, 3, 4, 5, 6], dtype="Int64"),
            "chrom": ["chr7"] * 5 + ["chr9"],
            "start": [200, 1500, 3500, 6000, 15000, 10],
            "end": [300, 1600, 3600, 6100, 15100, 20],
        }
    )
    exons = exon_calls(called, model)
    assert exons["state"].tolist() == [
        "not_deleted",  # inside a retained segment
        "unresolved",  # between retained and deleted segments: breakpoint unplaceable
        "deleted",  # inside a deleted segment
        "deleted",  # gap between two deleted segments
        "unresolved",  # gap between deleted and retained
        "not_assessable",  # no data on chr9
    ]
    assert exons["resolution"].tolist()[:5] == ["covered", "gap", "covered", "gap", "gap"]
    genes = gene_calls(exons)
    assert genes.loc[0, "state"] == "bi" and genes.loc[0, "exons_deleted"] == "3,4"
    assert genes.loc[0, "exons_unresolved"] == "2,5"


def test_loss_extents_breakpoint_intervals():
    called = call_segments(
        _segments(
            [
                ("chr7", 100, 1000, 10, 0.0, 0.05),
                ("chr7", 3000, 5000, 10, -1.0, 0.05),
                ("chr7", 5500, 8000, 10, -0.5, 0.05),
                ("chr7", 9000, 12000, 10, 0.0, 0.05),
                ("chr9", 100, 900, 10, -1.0, 0.05),
            ]
        )
    )
    ext = loss_extents(called)
    assert len(ext) == 2
    first = ext.iloc[0]
    assert (first["inner_start"], first["inner_end"]) == (3000, 8000)
    assert (first["outer_start"], first["outer_end"]) == (1001, 8999)
    assert (first["start"], first["end"]) == (2000, 8499)
    assert first["length_bp"] == 6500
    assert pd.isna(ext.iloc[1]["outer_start"]) and pd.isna(ext.iloc[1]["outer_end"])


def test_exon_model_from_panel():
    model = exon_model(make_panel())
    ikzf1 = model[model["gene"] == "IKZF1"]
    assert ikzf1["exon"].tolist() == list(range(1, 9))
    assert ikzf1.iloc[7]["start"] == 50399918 and ikzf1.iloc[7]["end"] == 50405101


# ---------------------------------------------------------------- generated cohort


def test_planted_ikzf1_breakpoints_to_bin_resolution(cohort):
    truth, calls = cohort
    panel = make_panel()
    for row, call in zip(truth, calls, strict=True):
        if row["label"] not in ("del4-7", "del2-7"):
            continue
        start, end, _, _ = IKZF1_LESIONS[row["label"]]
        ext = call.extents[call.extents["chrom"] == "chr7"].iloc[0]
        # The true breakpoints lie within the reported outer/inner intervals, give or take
        # one bin (the segment edge may be off by one bin on the noisy side).
        chr7 = panel[panel["chrom"] == "chr7"]
        tol = int((chr7["start"].diff().abs().median()) * 2)
        assert ext["outer_start"] - tol <= start <= ext["inner_start"] + tol
        assert ext["inner_end"] - tol <= end <= ext["outer_end"] + tol


def test_cohort_exon_and_gene_calls_match_truth(cohort):
    truth, calls = cohort
    exon_errors = codel_errors = 0
    for row, call in zip(truth, calls, strict=True):
        ik = call.exons[call.exons["gene"] == "IKZF1"]
        found = set(ik.loc[ik["state"] == "deleted", "exon"].astype(int))
        exon_errors += found != row["exons"]
        genes = dict(zip(call.genes["gene"], call.genes["state"], strict=True))
        expect = {
            "CDKN2A": row["CDKN2A_CDKN2B"],
            "CDKN2B": row["CDKN2A_CDKN2B"],
            "PAX5": row["PAX5"],
            "ERG": row["ERG"],
            "CSF2RA": row["PAR1"],
        }
        for gene, state in expect.items():
            got = genes[gene]
            # Deleted or not must be right; mono/bi must be right for clonal losses.
            codel_errors += (got == "none") != (state == "none") or got != state
        # Fractions: clonal losses in a fraction = blasts of cells.
        lost = ik[ik["state"] == "deleted"]
        if len(lost):
            assert abs(lost["cell_fraction"].iloc[0] - row["blast"]) < 0.2
    assert exon_errors == 0
    assert codel_errors <= 2  # of 165 gene calls; bi vs mono at the blast bound is the risk

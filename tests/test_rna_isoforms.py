"""IKZF1 classes from RNA: every class from its junction or readthrough, DNA/RNA integration,
and RNA-only accuracy on a seeded simulated cohort."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ikaros.rna.exon_coverage import exon_coverage, reference_profile
from ikaros.rna.isoforms import RnaCall, call_ikzf1_rna, integrate, junction_class
from ikaros.rna.junctions import junction_table
from ikaros.rna.models import gene_models, read_transcript_models
from ikaros.rna.reads import GeneReads, scan_alignment_file
from ikaros.rna.simulate import LESION_COLUMNS, simulate_rna_bam

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


@pytest.fixture(scope="module")
def table():
    return read_transcript_models(RESOURCES / "rna_transcript_models_GRCh38.tsv")


@pytest.fixture(scope="module")
def ikzf1(table):
    return gene_models(table)["IKZF1"]


def synthetic_reads(model, junctions, blocks=()):
    """GeneReads with `junctions` {(from_exon, to_exon): fragments} and aligned `blocks`
    [(start0, end0, count)], each fragment distinct."""
    frag, starts, ends = [], [], []
    serial = 0
    for (a, b), count in junctions.items():
        start, end = model.exon_junction(a, b)
        frag += range(serial, serial + count)
        starts += [start] * count
        ends += [end] * count
        serial += count
    b_frag, b_start, b_end = [], [], []
    for start0, end0, count in blocks:
        b_frag += range(serial, serial + count)
        b_start += [start0] * count
        b_end += [end0] * count
        serial += count
    array = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    return GeneReads(
        model.gene, serial, array(b_frag), array(b_start), array(b_end),
        array(frag), array(starts), array(ends),
    )  # fmt: skip


def call_from(model, reads):
    junctions = junction_table(model, reads)
    return call_ikzf1_rna(junctions, exon_coverage(model, reads))


CANONICAL = {(i, i + 1): 60 for i in range(1, 8)}


@pytest.mark.parametrize(
    ("skip", "expected_class", "expected_exons"),
    [
        ((3, 8), "del4-7", "4,5,6,7"),
        ((1, 8), "del2-7", "2,3,4,5,6,7"),
        ((3, 5), "other", "4"),
        ((1, 4), "other", "2,3"),
        ((4, 8), "other", "5,6,7"),
        ((2, 7), "other", "3,4,5,6"),
    ],
)
def test_class_from_exon_skipping_junction(ikzf1, skip, expected_class, expected_exons):
    call = call_from(ikzf1, synthetic_reads(ikzf1, {**CANONICAL, skip: 20}))
    assert (call.rna_status, call.rna_class, call.rna_exons_deleted) == (
        "deleted", expected_class, expected_exons,
    )  # fmt: skip
    assert call.rna_fraction == pytest.approx(20 / 80)
    assert call.rna_ci_low < 0.25 < call.rna_ci_high and call.rna_support == 20
    assert call.rna_source == "junction"


def test_every_skip_maps_to_a_class():
    assert junction_class(3, 8) == ("del4-7", "4,5,6,7")
    assert junction_class(1, 8) == ("del2-7", "2,3,4,5,6,7")
    for a in range(1, 7):
        for b in range(a + 2, 9):
            name, exons = junction_class(a, b)
            assert exons == ",".join(map(str, range(a + 1, b)))
            assert name in ("del4-7", "del2-7", "other")


@pytest.mark.parametrize(("last_kept", "expected"), [(1, "del2-8"), (3, "del4-8")])
def test_three_prime_classes_from_readthrough(ikzf1, last_kept, expected):
    exon_end = ikzf1.exons[last_kept - 1][2]
    junctions = dict(CANONICAL)
    # 30 fragments read from the last kept exon into its intron, against 60 spliced out
    reads = synthetic_reads(ikzf1, junctions, [(exon_end - 50, exon_end + 50, 30)])
    call = call_from(ikzf1, reads)
    assert (call.rna_status, call.rna_class) == ("deleted", expected)
    assert call.rna_exons_deleted == ",".join(map(str, range(last_kept + 1, 9)))
    assert call.rna_fraction == pytest.approx(30 / 90)
    assert call.rna_source == "readthrough"


def test_rare_skipping_and_low_depth(ikzf1):
    noise = call_from(ikzf1, synthetic_reads(ikzf1, {**CANONICAL, (3, 5): 1}))
    assert noise.rna_status == "wildtype"
    thin = call_from(ikzf1, synthetic_reads(ikzf1, {(1, 2): 5, (3, 8): 4}))
    assert thin.rna_status == "not_assessable"


DNA_DEL47 = {"ikzf1_status": "deleted", "ikzf1_class": "del4-7", "ikzf1_exons_deleted": "4,5,6,7"}
DNA_WT = {"ikzf1_status": "wildtype", "ikzf1_class": "", "ikzf1_exons_deleted": ""}
RNA_DEL47 = RnaCall("deleted", "del4-7", "4,5,6,7", 0.3, 0.2, 0.4, 25, "junction")
RNA_WT = RnaCall("wildtype", rna_evidence="300 canonical")


def test_integration_statuses():
    agree = integrate(DNA_DEL47, RNA_DEL47)
    assert (agree.dna_rna_agreement, agree.ikzf1_class) == ("agree", "del4-7")
    assert integrate(DNA_WT, RNA_WT).dna_rna_agreement == "agree"
    missed = integrate(DNA_DEL47, RNA_WT)
    assert (missed.dna_rna_agreement, missed.ikzf1_status) == ("disagree", "deleted")
    assert "not seen in RNA" in missed.integration_note
    whole = {
        "ikzf1_status": "deleted",
        "ikzf1_class": "del1-8",
        "ikzf1_exons_deleted": "1,2,3,4,5,6,7,8",
    }
    assert integrate(whole, RNA_WT).dna_rna_agreement == "dna_only"
    subclonal = integrate(DNA_WT, RNA_DEL47)
    assert (subclonal.dna_rna_agreement, subclonal.ikzf1_status) == ("disagree", "deleted")
    weak = RnaCall("deleted", "del4-7", "4,5,6,7", 0.04, 0.021, 0.1, 3, "junction")
    # strong enough: a lower bound of 0.039 on 27 fragments (a subclonal del4-7)
    low_subclonal = RnaCall("deleted", "del4-7", "4,5,6,7", 0.07, 0.039, 0.12, 27, "junction")
    assert integrate(DNA_WT, low_subclonal).ikzf1_status == "deleted"
    kept = integrate(DNA_WT, weak)
    assert (kept.dna_rna_agreement, kept.ikzf1_status) == ("disagree", "wildtype")
    imprecise = {"ikzf1_status": "deleted", "ikzf1_class": "other", "ikzf1_exons_deleted": "5,6,7"}
    refined = integrate(imprecise, RNA_DEL47)
    assert (refined.dna_rna_agreement, refined.ikzf1_class) == ("agree", "del4-7")
    assert "refined" in refined.integration_note
    assert integrate(None, RNA_DEL47).dna_rna_agreement == "rna_only"
    assert integrate({"ikzf1_status": "not_assessable"}, RNA_WT).dna_rna_agreement == "rna_only"
    assert integrate(DNA_DEL47, None).dna_rna_agreement == "dna_only"
    assert integrate(None, None).ikzf1_status == "not_assessable"
    # a DNA row read from a TSV: empty cells arrive as NaN
    from_table = {
        "ikzf1_status": "wildtype",
        "ikzf1_class": float("nan"),
        "ikzf1_exons_deleted": None,
    }
    assert integrate(from_table, RNA_WT).ikzf1_class == ""
    assert integrate(from_table, None).ikzf1_exons_deleted == ""
    # readthrough after exon k: exon k is kept on the deleted allele, so a 3' loss's exons
    # come from RNA when both sides reach exon 8 (DNA's edge at the short exons is the weak one)
    through = RnaCall("deleted", "del2-8", "2,3,4,5,6,7,8", 0.3, 0.2, 0.4, 30, "readthrough")
    dna18 = {
        "ikzf1_status": "deleted",
        "ikzf1_class": "del1-8",
        "ikzf1_exons_deleted": "1,2,3,4,5,6,7,8",
    }
    refined = integrate(dna18, through)
    assert (refined.dna_rna_agreement, refined.ikzf1_class) == ("agree", "del2-8")
    assert "refined by RNA readthrough" in refined.integration_note
    # ... but never an internal loss that does not reach exon 8
    dna_internal = {"ikzf1_status": "deleted", "ikzf1_class": "other",
                    "ikzf1_exons_deleted": "2,3,4,5,6,7"}  # fmt: skip
    kept = integrate(dna_internal, through)
    assert (kept.dna_rna_agreement, kept.ikzf1_class) == ("disagree", "other")
    # a strong readthrough call makes the call over a DNA wildtype, a weak one does not
    made = integrate(DNA_WT, through)
    assert (made.ikzf1_status, made.ikzf1_class, made.dna_rna_agreement) == (
        "deleted", "del2-8", "disagree")  # fmt: skip
    faint = RnaCall("deleted", "del4-8", "4,5,6,7,8", 0.05, 0.02, 0.1, 8, "readthrough")
    assert integrate(DNA_WT, faint).ikzf1_status == "wildtype"


# --- seeded simulated cohort -------------------------------------------------------------------

CLASS_EXONS = {
    "del4-7": (4, 7),
    "del2-7": (2, 7),
    "del2-8": (2, 8),
    "del4-8": (4, 8),
    "del1-8": (1, 8),
}


def cohort_lesions(model, seed, n_del47=32, n_wild=60, n_other=3):
    """Truth lesions (docs/FORMATS.md) with breakpoints drawn inside the flanking introns."""
    rng = np.random.default_rng(seed)
    spans = {n: (s, e) for n, s, e in model.exons}
    patients, rows = [], []
    plan = ["del4-7"] * n_del47 + ["wildtype"] * n_wild
    plan += [c for c in ("del2-7", "del2-8", "del4-8", "del1-8") for _ in range(n_other)]
    for i, name in enumerate(plan):
        patient = f"P{i:03d}"
        patients.append((patient, name))
        if name == "wildtype":
            continue
        a, b = CLASS_EXONS[name]
        lo = rng.integers(spans[a - 1][1] + 100, spans[a][0] - 100) if a > 1 else spans[1][0] - 9000
        hi = rng.integers(spans[b][1] + 100, spans[b + 1][0] - 100) if b < 8 else spans[8][1] + 9000
        rows.append(
            (patient, patient, f"{patient}.1", "IKZF1", f"IKZF1_{name}", "chr7", int(lo), int(hi),
             "bi" if rng.random() < 0.1 else "mono", round(float(rng.uniform(0.1, 1.0)), 3))
        )  # fmt: skip
    return patients, pd.DataFrame(rows, columns=list(LESION_COLUMNS))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory, table, ikzf1):
    folder = tmp_path_factory.mktemp("rna_cohort")
    patients, lesions = cohort_lesions(ikzf1, seed=20260)
    results = []
    for patient, truth_class in patients:
        path = folder / f"{patient}.bam"
        mine = lesions[lesions["patient_id"] == patient]
        truth = simulate_rna_bam(path, patient, mine, table, "GRCh38", 4242, ["IKZF1"])
        reads = scan_alignment_file(path, [ikzf1], "GRCh38")["IKZF1"]
        results.append(
            (patient, truth_class, float(truth["fraction"].sum()),
             junction_table(ikzf1, reads), exon_coverage(ikzf1, reads))
        )  # fmt: skip
    reference = reference_profile([r[4] for r in results])
    rows = []
    for patient, truth_class, fraction, junctions, coverage in results:
        call = call_ikzf1_rna(junctions, coverage, reference)
        rows.append((patient, truth_class, fraction, call))
    return rows


def test_rna_only_calls_on_a_seeded_cohort(cohort):
    del47 = [(f, c) for _, t, f, c in cohort if t == "del4-7" and f >= 0.10]
    found = sum(c.rna_class == "del4-7" for _, c in del47)
    wild = [c for _, t, _, c in cohort if t == "wildtype"]
    false = sum(c.rna_status == "deleted" for c in wild)
    print(f"\ndelta 4-7 >= 10% of transcripts: {found}/{len(del47)} found; "
          f"wildtype false calls: {false}/{len(wild)}")  # fmt: skip
    assert len(del47) >= 25
    assert found >= 0.95 * len(del47)
    assert false <= 0.01 * len(wild)
    assert all(c.rna_status != "not_assessable" for _, _, _, c in cohort)
    # the other junction and readthrough classes are recognised; whole-gene losses are not visible
    for name in ("del2-7", "del2-8", "del4-8"):
        calls = [c.rna_class for _, t, f, c in cohort if t == name and f >= 0.10]
        assert calls and sum(c == name for c in calls) >= len(calls) - 1
    assert all(c.rna_status == "wildtype" for _, t, _, c in cohort if t == "del1-8")


def test_interval_contains_the_true_fraction(cohort):
    calls = [(f, c) for _, t, f, c in cohort if t == "del4-7" and c.rna_class == "del4-7"]
    inside = sum(c.rna_ci_low <= f <= c.rna_ci_high for f, c in calls)
    print(f"\n95% intervals containing the true isoform fraction: {inside}/{len(calls)}")
    assert inside >= 0.85 * len(calls)

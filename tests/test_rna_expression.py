"""Expression counts and TPM-like values, cohort matrices, a cohort's RNA evidence end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bam_factory import ReadSpec, write_alignments
from ikaros.rna.cohort import (
    RNA_COHORT_OUTPUTS,
    RNA_SAMPLE_OUTPUTS,
    RnaJob,
    RnaSources,
    rna_cohort,
    rna_cohort_reference,
    rna_ikzf1_calls,
    rna_sample_tables,
)
from ikaros.rna.evidence import sample_evidence
from ikaros.rna.expression import expression_matrix, expression_table, gene_fragments
from ikaros.rna.models import gene_models, read_transcript_models
from ikaros.rna.reads import scan_alignment_file
from ikaros.rna.sashimi import plot_sashimi
from ikaros.rna.simulate import RnaSimSettings, simulate_cohort_rna

REPO = Path(__file__).resolve().parents[1]
RESOURCES = REPO / "resources"


@pytest.fixture(scope="module")
def models():
    return gene_models(read_transcript_models(RESOURCES / "rna_transcript_models_GRCh38.tsv"))


def reads_in_exons(models, counts):
    """`counts[gene]` unpaired 50 bp reads inside the gene's first main exon (>= 50 bp long),
    plus one intronic read per gene that must not count."""
    reads = []
    for gene, count in counts.items():
        model = models[gene]
        number, start, end = next((n, s, e) for n, s, e in model.exons if e - s + 1 >= 50)
        for i in range(count):
            reads.append(ReadSpec(f"{gene}{i}", model.chrom, start + i % (end - start - 48), 50))
        pairs = zip(model.union_exons, model.union_exons[1:], strict=False)
        gaps = [(a[1] + 1, b[0] - 1) for a, b in pairs if b[0] - a[1] > 300]
        if gaps:
            middle = (gaps[0][0] + gaps[0][1]) // 2
            reads.append(ReadSpec(f"{gene}_intron", model.chrom, middle, 50))
    return reads


COUNTS = {"IKZF1": 40, "ACTB": 300, "GAPDH": 200, "CD19": 30}


@pytest.fixture(scope="module")
def known_bam(tmp_path_factory, models):
    path = tmp_path_factory.mktemp("expr") / "expr.bam"
    return write_alignments(path, reads_in_exons(models, COUNTS), build="GRCh38")


def test_counts_and_tpm_like_by_hand(known_bam, models):
    genes = {g: models[g] for g in COUNTS}
    scans = scan_alignment_file(known_bam, genes.values(), "GRCh38")
    for gene, count in COUNTS.items():
        assert gene_fragments(models[gene], scans[gene]) == count
    purposes = {"ACTB": "control", "GAPDH": "control", "IKZF1": "panel", "CD19": "subtype_marker"}
    table = expression_table(genes, scans, purposes).set_index("gene")
    rpk = {g: COUNTS[g] / (models[g].exonic_length / 1000) for g in COUNTS}
    total = sum(rpk.values())
    for gene in COUNTS:
        assert table.loc[gene, "fragments"] == COUNTS[gene]
        assert table.loc[gene, "tpm_like"] == pytest.approx(rpk[gene] / total * 1e6)
    control_mean = np.mean([np.log2(rpk[g] / total * 1e6 + 1) for g in ("ACTB", "GAPDH")])
    assert table.loc["CD19", "log2_vs_controls"] == pytest.approx(
        np.log2(rpk["CD19"] / total * 1e6 + 1) - control_mean
    )
    assert table["tpm_like"].sum() == pytest.approx(1e6)


def test_expression_matrix_keeps_samples_and_genes():
    a = pd.DataFrame({"gene": ["IKZF1", "ACTB"], "fragments": [5, 9], "tpm_like": [1.0, 2.0]})
    b = pd.DataFrame({"gene": ["ACTB", "CD19"], "fragments": [7, 3], "tpm_like": [3.0, 4.0]})
    matrix = expression_matrix({"S2": a, "S1": b}, "fragments")
    assert list(matrix.columns) == ["gene", "S2", "S1"]
    assert list(matrix["gene"]) == ["IKZF1", "ACTB", "CD19"]
    assert matrix.set_index("gene").loc["ACTB"].tolist() == [9, 7]
    assert pd.isna(matrix.set_index("gene").loc["CD19", "S2"])
    with pytest.raises(ValueError, match="must be one of"):
        expression_matrix({"S": a}, "gene")


def test_sample_evidence_and_sashimi(tmp_path, known_bam):
    evidence = sample_evidence(
        known_bam,
        RESOURCES / "rna_transcript_models_GRCh38.tsv",
        RESOURCES / "marker_genes.tsv",
        "GRCh38",
    )
    expression = evidence.expression.set_index("gene")
    assert expression.loc["ACTB", "purpose"] == "control"
    assert expression.loc["DUX4", "fragments"] == 0
    # 40 unspliced IKZF1 reads: too few canonical junction fragments to call anything
    assert evidence.ikzf1.rna_status == "not_assessable"
    first = plot_sashimi(evidence.junctions, evidence.exon_coverage, tmp_path / "a.png")
    second = plot_sashimi(evidence.junctions, evidence.exon_coverage, tmp_path / "b.png")
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.read_bytes() == second.read_bytes()


def test_cohort_rna_simulated_then_read_back_in_two_passes(tmp_path):
    """simulate_cohort_rna writes two patients' BAMs from a truth-lesions table; rna_cohort reads
    them, writes every table and calls del4-7 in the patient who carries it, at about the
    simulated transcript fraction, and wildtype in the other."""
    lesions = pd.DataFrame(
        [("P1", "P1_T", "P1_L01", "IKZF1", "IKZF1_del4-7", "chr7", 50340000, 50395000, "mono",
          0.9)],
        columns="patient_id sample_id lesion_id gene label chrom start end allelic "
        "cell_fraction".split(),
    )  # fmt: skip
    samples = pd.DataFrame(
        {"sample_id": ["P1_T", "P2_T"], "patient_id": ["P1", "P2"],
         "rna_bam": [str(tmp_path / "P1_T.rna.bam"), str(tmp_path / "P2_T.rna.bam")]}
    )  # fmt: skip
    models_path = RESOURCES / "rna_transcript_models_GRCh38.tsv"
    truth = simulate_cohort_rna(
        samples, lesions, read_transcript_models(models_path), "GRCh38", 5,
        RnaSimSettings(fragments_per_tpm_kb=4), processes=2,
    )  # fmt: skip
    assert list(truth["sample_id"]) == ["P1_T"]
    jobs = [
        RnaJob(
            sample_id,
            bam,
            {
                name: str(tmp_path / f"{sample_id}.{name}.{'png' if name == 'sashimi' else 'tsv'}")
                for name in RNA_SAMPLE_OUTPUTS
            },
        )  # fmt: skip
        for sample_id, bam in zip(samples["sample_id"], samples["rna_bam"], strict=True)
    ]
    cohort_outputs = {name: str(tmp_path / f"cohort.{name}.tsv") for name in RNA_COHORT_OUTPUTS}
    sources = RnaSources(
        str(models_path), str(RESOURCES / "marker_genes.tsv"), "GRCh38",
        str(RESOURCES / "fusion_partners.tsv"), str(RESOURCES / "genes_GRCh38.tsv"),
    )  # fmt: skip
    calls = rna_cohort(jobs, sources, cohort_outputs, min_reference_samples=2, processes=2)
    assert (calls["P1_T"].rna_status, calls["P1_T"].rna_class) == ("deleted", "del4-7")
    ikzf1_truth = truth[truth["gene"] == "IKZF1"]["fraction"].max()
    assert abs(calls["P1_T"].rna_fraction - ikzf1_truth) < 0.1
    assert calls["P2_T"].rna_status == "wildtype"
    written = pd.read_csv(jobs[0].outputs["ikzf1"], sep="\t", keep_default_na=False).iloc[0]
    assert written["rna_class"] == "del4-7"
    assert Path(jobs[0].outputs["sashimi"]).read_bytes()[:4] == b"\x89PNG"
    counts = pd.read_csv(cohort_outputs["counts"], sep="\t")
    assert list(counts.columns) == ["gene", "P1_T", "P2_T"]
    assert counts.set_index("gene").loc["ACTB"].min() > 100
    # DUX4 is simulated at 0.3 TPM against ACTB's 1500: a handful of fragments at most
    assert counts.set_index("gene").loc["DUX4"].max() < 20
    reference = pd.read_csv(cohort_outputs["reference"], sep="\t")
    assert len(reference) > 0
    assert {"reference_depth", "reference_readthrough"} <= set(reference.columns)

    # The workflow's way: the per-sample steps in batches (here one sample each, one process),
    # the cohort reference between them; every file equals the one-job run's, byte for byte.
    batched = tmp_path / "batched"
    batched.mkdir()
    moved = [
        RnaJob(job.sample_id, job.bam, {k: str(batched / Path(v).name) for k, v in out.items()})
        for job, out in ((job, job.outputs) for job in jobs)
    ]
    for job in moved:
        rna_sample_tables([job], sources, processes=1)
    moved_outputs = {name: str(batched / Path(v).name) for name, v in cohort_outputs.items()}
    rna_cohort_reference(moved, moved_outputs, min_reference_samples=2)
    for job in moved:
        rna_ikzf1_calls([job], moved_outputs["reference"])
    for one, many in zip(jobs, moved, strict=True):
        for name in RNA_SAMPLE_OUTPUTS:
            assert Path(one.outputs[name]).read_bytes() == Path(many.outputs[name]).read_bytes()
    for name in RNA_COHORT_OUTPUTS:
        assert Path(cohort_outputs[name]).read_bytes() == Path(moved_outputs[name]).read_bytes()

"""Expression counts and TPM-like values, cohort matrices, and the per-sample rule end to end."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bam_factory import ReadSpec, write_alignments
from ikaros.rna.evidence import sample_evidence
from ikaros.rna.expression import expression_matrix, expression_table, gene_fragments
from ikaros.rna.models import gene_models, read_transcript_models
from ikaros.rna.reads import scan_alignment_file
from ikaros.rna.sashimi import plot_sashimi

REPO = Path(__file__).resolve().parents[1]
RESOURCES = REPO / "resources"
SCRIPTS = REPO / "workflow" / "scripts"


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


class _Params(SimpleNamespace):
    def get(self, key, default=None):
        return getattr(self, key, default)

    def keys(self):
        return list(vars(self))

    def __getitem__(self, key):
        return getattr(self, key)


def run_script(name, **sections):
    stand_in = SimpleNamespace(
        **{k: _Params(**v) for k, v in sections.items() if k != "log"}, log=sections["log"]
    )
    stand_in.threads = 1
    runpy.run_path(str(SCRIPTS / name), init_globals={"snakemake": stand_in})


def test_rule_scripts_simulate_count_and_merge(tmp_path):
    """The three rule scripts chained: simulate two RNA samples, read them, merge a matrix."""
    lesions = pd.DataFrame(
        [("P1", "P1", "P1.1", "IKZF1", "IKZF1_del4-7", "chr7", 50340000, 50395000, "mono", 0.9)],
        columns="patient_id sample_id lesion_id gene label chrom start end allelic "
        "cell_fraction".split(),
    )
    lesions.to_csv(tmp_path / "truth_lesions.tsv", sep="\t", index=False)
    models = RESOURCES / "rna_transcript_models_GRCh38.tsv"
    markers = RESOURCES / "marker_genes.tsv"
    outputs = {}
    for patient in ("P1", "P2"):
        sample = f"{patient}_rna"
        run_script(
            "simulate_rna_sample.py",
            input={"lesions": str(tmp_path / "truth_lesions.tsv"), "models": str(models)},
            params={
                "sample_id": sample,
                "patient_id": patient,
                "build": "GRCh38",
                "seed": 5,
                "genes": ["IKZF1", "ACTB", "GAPDH", "CD19"],
                "fragments_per_tpm_kb": 4,
            },
            output={
                "bam": str(tmp_path / f"{sample}.bam"),
                "truth": str(tmp_path / f"{sample}.truth.tsv"),
            },
            log=[str(tmp_path / f"{sample}.sim.log")],
        )
        out = {k: str(tmp_path / f"{sample}.{k}") for k in
               ("junctions", "exon_coverage", "expression", "ikzf1", "sashimi")}  # fmt: skip
        out["sashimi"] += ".png"
        run_script(
            "rna_junctions.py",
            input={
                "bam": str(tmp_path / f"{sample}.bam"),
                "models": str(models),
                "markers": str(markers),
            },
            params={"build": "GRCh38", "sample_id": sample},
            output=out,
            log=[str(tmp_path / f"{sample}.log")],
        )
        outputs[sample] = out
    call = pd.read_csv(outputs["P1_rna"]["ikzf1"], sep="\t", keep_default_na=False).iloc[0]
    assert (call["rna_status"], call["rna_class"]) == ("deleted", "del4-7")
    truth = pd.read_csv(tmp_path / "P1_rna.truth.tsv", sep="\t")
    assert abs(float(call["rna_fraction"]) - truth["fraction"].iloc[0]) < 0.1
    wild = pd.read_csv(outputs["P2_rna"]["ikzf1"], sep="\t", keep_default_na=False).iloc[0]
    assert wild["rna_status"] == "wildtype"
    run_script(
        "rna_expression_matrix.py",
        input={
            "expression": [outputs[s]["expression"] for s in outputs],
            "exon_coverage": [outputs[s]["exon_coverage"] for s in outputs],
        },
        params={"sample_ids": list(outputs)},
        output={
            k: str(tmp_path / f"cohort.{k}.tsv") for k in ("counts", "tpm", "relative", "reference")
        },
        log=[str(tmp_path / "matrix.log")],
    )
    counts = pd.read_csv(tmp_path / "cohort.counts.tsv", sep="\t")
    assert list(counts.columns) == ["gene", "P1_rna", "P2_rna"]
    assert counts.set_index("gene").loc["ACTB"].min() > 100
    assert counts.set_index("gene").loc["DUX4"].max() == 0
    reference = pd.read_csv(tmp_path / "cohort.reference.tsv", sep="\t")
    assert {"reference_depth", "reference_readthrough"} <= set(reference.columns)

"""A cohort of gene-count tables only (no BAM): HTSeq-count, featureCounts and STAR tables with
Ensembl IDs or symbols run end to end into patients.tsv; bad count tables stop the run at
parse time, naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run_snakemake
from ikaros.rna.expression_evidence import read_marker_sets
from ikaros.rna.gene_table import read_gene_ids, read_genes
from ikaros.simulate.expression import simulate_profiles

RESOURCES = REPO / "resources"
HOUSEKEEPING = ["ACTB", "GAPDH", "B2M", "TBP", "HPRT1", "PGK1"]


def ensembl_of(genes: list[str]) -> dict[str, str]:
    ids = read_gene_ids(RESOURCES / "gene_ids.tsv")
    # one ID per gene and one gene per ID, as a real annotation's count table has
    ids = ids.drop_duplicates("gene").drop_duplicates("ensembl_gene_id", keep=False)
    first = ids.set_index("gene")["ensembl_gene_id"]
    return {g: first[g] for g in genes if g in first.index}


def write_table(path: Path, kind: str, counts: pd.Series, ids: dict[str, str]) -> None:
    counts = counts.dropna().astype(int)
    if kind == "htseq":  # Ensembl IDs with GENCODE versions, summary rows at the end
        lines = [f"{ids[g]}.7\t{n}" for g, n in counts.items() if g in ids]
        lines += ["__no_feature\t1200", "__ambiguous\t300", "__alignment_not_unique\t900"]
    elif kind == "featurecounts":  # symbols, one sample
        lines = ["# Program:featureCounts v2.0.6; Command:...",
                 "Geneid\tChr\tStart\tEnd\tStrand\tLength\tsample.bam"]  # fmt: skip
        lines += [f"{g}\tchr1\t1\t100\t+\t100\t{n}" for g, n in counts.items()]
    else:  # STAR ReadsPerGene, stranded (read 2 sense: column 4)
        lines = ["N_unmapped\t100\t100\t100", "N_multimapping\t50\t50\t50",
                 "N_noFeature\t10\t900\t20", "N_ambiguous\t5\t5\t5"]  # fmt: skip
        lines += [f"{ids[g]}\t{n}\t{n // 40}\t{n}" for g, n in counts.items() if g in ids]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def count_cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("counts")
    markers = read_marker_sets(RESOURCES / "expression_markers.tsv")
    genes = read_genes(RESOURCES / "genes_GRCh38.tsv")
    coding = list(genes.loc[genes["type"] == "protein_coding", "gene"])
    rng = np.random.default_rng(5)
    background = list(rng.choice(coding, 8000, replace=False))
    subtypes = ["DUX4-r", "DUX4-r", "NUTM1-r", "KMT2A-r", "KMT2A-r"] + ["no marker subtype"] * 19
    profiles = simulate_profiles(subtypes, markers, background, HOUSEKEEPING, rng)
    profiles = profiles.drop(index=[g for g in profiles.index if g not in set(coding)])
    ids = ensembl_of(list(profiles.index))
    rows = []
    for i, (sample, subtype) in enumerate(zip(profiles.columns, subtypes, strict=True)):
        kind = ("htseq", "featurecounts", "star")[i % 3]
        path = folder / f"{sample}.{kind}.tsv"
        write_table(path, kind, profiles[sample], ids)
        rows.append({"sample_id": f"{sample}_T", "patient_id": sample, "role": "tumor",
                     "rna_counts": str(path), "truth": subtype})  # fmt: skip
    samples = pd.DataFrame(rows)
    # an Arriba table for the first KMT2A-r patient, ALLSorts predictions for the cohort
    kmt2a = samples.index[samples["truth"] == "KMT2A-r"][0]
    arriba = folder / "arriba_fusions.tsv"
    arriba.write_text(
        "#gene1\tgene2\tstrand1(gene/fusion)\tstrand2(gene/fusion)\tbreakpoint1\tbreakpoint2\t"
        "site1\tsite2\ttype\tsplit_reads1\tsplit_reads2\tdiscordant_mates\tcoverage1\t"
        "coverage2\tconfidence\treading_frame\n"
        "KMT2A\tAFF1\t+/+\t+/+\tchr11:118484314\tchr4:87046695\tsplice-site\tsplice-site\t"
        "translocation\t8\t5\t6\t80\t60\thigh\tin-frame\n"
    )
    samples["fusions"] = ""
    samples.loc[kmt2a, "fusions"] = str(arriba)
    label = {"DUX4-r": "DUX4", "NUTM1-r": "NUTM1", "KMT2A-r": "KMT2A"}
    lines = [",DUX4,NUTM1,KMT2A,Pred"] + [
        f"{s},0.1,0.1,0.1,{label.get(t, 'Unclassified')}"
        for s, t in zip(samples["sample_id"], samples["truth"], strict=True)
    ]
    (folder / "predictions.csv").write_text("\n".join(lines) + "\n")
    samples.drop(columns="truth").to_csv(folder / "samples.tsv", sep="\t", index=False)
    clinical = pd.DataFrame({"patient_id": samples["patient_id"], "followup_years": 5.0,
                             "event": "censored"})  # fmt: skip
    clinical.to_csv(folder / "clinical.tsv", sep="\t", index=False)
    return folder, samples


def config_of(folder: Path) -> dict:
    return {"cohorts": {"cnt": {"build": "GRCh38", "samples": str(folder / "samples.tsv"),
                                "clinical": str(folder / "clinical.tsv"),
                                "classifier_calls": str(folder / "predictions.csv")}}}  # fmt: skip


def test_a_cohort_of_count_tables_only_gets_expression_evidence(count_cohort, tmp_path):
    folder, samples = count_cohort
    result = run_snakemake(tmp_path, config_of(folder), "--cores", "2", "results/cnt/patients.tsv")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    patients = pd.read_csv(tmp_path / "results/cnt/patients.tsv", sep="\t", keep_default_na=False)
    truth = dict(zip(samples["patient_id"], samples["truth"], strict=True))
    for row in patients.itertuples(index=False):
        expected = {"DUX4-r": "DUX4-r", "NUTM1-r": "NUTM1-r", "KMT2A-r": "KMT2A-r"}.get(
            truth[row.patient_id], ""
        )
        assert row.expression_subtypes == expected, (row.patient_id, row.expression_calls)
        assert row.ikzf1_status == "not_assessable"
        assert row.classifier_subtype == (expected or "undetermined")
        assert row.classifier == "ALLSorts"
    kmt2a = patients[patients["fusion_subtype"] != ""]
    assert list(kmt2a["fusion_subtype"]) == ["KMT2A-r"]
    assert kmt2a.iloc[0]["rna_fusions"].startswith("KMT2A::AFF1 ex9>ex4 13 split/6 pairs")
    # all profiles are diploid: ploidy from expression says so, or refuses; never another class
    assert set(patients["rna_ploidy_class"]) <= {"near_diploid", "undetermined"}
    assert (patients["rna_ploidy_class"] == "near_diploid").sum() >= 12
    diploid = patients[patients["rna_ploidy_class"] == "near_diploid"]
    assert (diploid["ploidy_source"] == "rna").all() and (
        diploid["ploidy_class"] == "near_diploid"
    ).all()
    matrix = pd.read_csv(tmp_path / "results/cnt/rna/gene_counts.tsv", sep="\t")
    assert list(matrix.columns[1:]) == list(samples["sample_id"])
    assert len(matrix) > 5000


@pytest.mark.parametrize(
    "problem, message",
    [
        ("duplicated", r"gene \S+ is listed more than once"),
        ("mouse", r"only 0 of the \d+ human protein-coding genes"),
        ("negative", r"expected a non-negative integer count, got '-3'"),
        ("empty", "gene count table is empty"),
        ("fusion_format", r"not a fusion table of a known caller"),
        ("classifier_sample", r"sample 'NOT_IN_SHEET' is not in the samples sheet"),
    ],
)
def test_bad_count_tables_stop_the_run_before_any_job(count_cohort, tmp_path, problem, message):
    folder, samples = count_cohort
    bad = tmp_path / "bad.tsv"
    good = Path(samples["rna_counts"].iloc[0]).read_text().splitlines()
    if problem in ("fusion_format", "classifier_sample"):
        bad.write_text("fusion\treads\nBCR-ABL1\t10\n")
    elif problem == "duplicated":
        bad.write_text("\n".join(good + good[:1]) + "\n")
    elif problem == "mouse":
        bad.write_text("\n".join(f"ENSMUSG{i:011d}\t{i}" for i in range(8000)) + "\n")
    elif problem == "negative":
        bad.write_text("\n".join([good[0].split("\t")[0] + "\t-3", *good[1:]]) + "\n")
    else:
        bad.write_text("")
    sheet = samples.drop(columns="truth").copy()
    column = {"fusion_format": "fusions", "classifier_sample": "classifier_calls"}.get(
        problem, "rna_counts"
    )
    if problem == "classifier_sample":
        bad = tmp_path / "bad.csv"
        bad.write_text(",Ph,Pred\nS001_T,0.9,Ph\nNOT_IN_SHEET,0.8,Ph\n")
    sheet[column] = sheet.get(column, "")
    sheet.loc[0, column] = str(bad)
    sheet.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    config = config_of(folder)
    config["cohorts"]["cnt"]["samples"] = str(tmp_path / "samples.tsv")
    result = run_snakemake(
        tmp_path, config, "--dry-run", "--cores", "1", "results/cnt/patients.tsv"
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"column {column}" in output and str(bad) in output, output[-2000:]
    assert pd.Series([output]).str.contains(message).iloc[0], output[-2000:]

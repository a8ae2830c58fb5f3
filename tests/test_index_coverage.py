"""Genome-wide bins from the index: read estimates against exact counts, and karyotypes of
simulated BAMs whose truth is known."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pysam
import pytest

from bam_factory import pair, write_alignments, write_reference_fasta
from conftest import REPO
from ikaros.alignment_files import AlignmentFileError
from ikaros.annotation import read_gene_spans
from ikaros.dna.genome_copy_number import (
    GenomeSample,
    genome_bins,
    genome_copy_number,
    read_genome_counts,
    segment_genome_tumours,
)
from ikaros.dna.index_coverage import index_bin_counts
from ikaros.dna.panel import read_panel
from ikaros.dna.reference import read_reference
from ikaros.karyotype.cohort import KaryotypeJob, call_karyotypes, join_batch_tables, run_job
from ikaros.simulate.design import design_cohort
from ikaros.simulate.reads import simulate_sample_bam
from ikaros.simulate.settings import SimulationSettings
from ikaros.simulate.variants import simulate_tumour_vcf
from ikaros.tables import write_table

CHR21 = 46_709_983


@pytest.fixture(scope="module")
def varying_depth(tmp_path_factory):
    """Read pairs on chr21 at a density that changes from one 1 Mb bin to the next."""
    folder = tmp_path_factory.mktemp("index")
    rng = np.random.default_rng(5)
    density = rng.integers(40, 400, 47)
    reads = []
    for number, pairs in enumerate(density):
        low, high = number * 1_000_000, min((number + 1) * 1_000_000, CHR21 - 400)
        for k, start in enumerate(rng.integers(low, high, pairs)):
            reads += pair(f"r{number}_{k}", "chr21", int(start) + 1, 300)
    bam = write_alignments(folder / "reads.bam", reads, contigs=["chr21", "chr22"])
    starts = np.arange(47) * 1_000_000 + 1
    bins = pd.DataFrame(
        {"chrom": "chr21", "start": starts, "end": np.minimum(starts + 999_999, CHR21)}
    )
    with pysam.AlignmentFile(str(bam)) as handle:
        exact = np.array(
            [
                sum(r.reference_start >= s - 1 for r in handle.fetch("chr21", s - 1, e))
                for s, e in zip(bins["start"], bins["end"], strict=True)
            ]
        )
    return folder, bam, reads, bins, exact


def test_bai_estimates_follow_exact_read_starts_per_bin(varying_depth):
    _, bam, _, bins, exact = varying_depth
    estimate = index_bin_counts(bam, bins)
    # the last bin is partial; the rest must be within a few percent of the truth
    ratio = estimate[:-1] / exact[:-1]
    assert np.abs(ratio - 1).max() < 0.08
    assert abs(estimate.sum() / exact.sum() - 1) < 0.02
    # bins left out (a centromere, a gap) give their reads to no neighbour
    kept = np.r_[0:10, 13:46]
    sparse = index_bin_counts(bam, bins.iloc[kept])
    assert np.abs(sparse / exact[kept] - 1).max() < 0.08


def test_csi_index_gives_the_same_estimates(varying_depth, tmp_path):
    _, bam, _, bins, exact = varying_depth
    copy = shutil.copy(bam, tmp_path / "csi.bam")
    pysam.index("-c", str(copy))
    estimate = index_bin_counts(copy, bins)
    # merged sparse bins make CSI windows coarser than 16 kb: a few reads of slack per bin
    error = np.abs(estimate[:-1] - exact[:-1])
    assert np.all(error <= 0.1 * exact[:-1] + 20)
    assert abs(estimate.sum() / exact.sum() - 1) < 0.02


def test_shallow_cram_is_counted_read_by_read(varying_depth):
    folder, _, reads, bins, exact = varying_depth
    reference = write_reference_fasta(folder / "ref.fa", {"chr21": CHR21, "chr22": 1000})
    cram = write_alignments(folder / "reads.cram", reads, reference_fasta=reference)
    estimate = index_bin_counts(cram, bins, reference)
    # reads crossing a bin edge count in both bins: at most a few per bin
    assert np.all(estimate >= exact) and np.all(estimate - exact <= 6)


def test_an_index_of_another_file_is_refused(varying_depth, tmp_path):
    folder, bam, _, bins, _ = varying_depth
    other = write_alignments(tmp_path / "other.bam", [*pair("x", "chr1", 100, 300)])
    shutil.copy(f"{other}.bai", tmp_path / "swapped.bam.bai")
    shutil.copy(bam, tmp_path / "swapped.bam")
    with pytest.raises(AlignmentFileError, match=r"swapped\.bam.*another file"):
        index_bin_counts(tmp_path / "swapped.bam", bins)
    shutil.copy(bam, tmp_path / "bare.bam")
    with pytest.raises(AlignmentFileError, match=r"bare\.bam: no index"):
        index_bin_counts(tmp_path / "bare.bam", bins)


def test_genome_bins_leave_out_centromeres_and_gaps():
    bins = genome_bins("GRCh38")
    assert set(bins["chrom"]) == {f"chr{c}" for c in [*range(1, 23), "X"]}
    chr1 = bins[bins["chrom"] == "chr1"]
    # GRCh38 chr1 centromere 121.7-125.1 Mb: no bin lies mostly inside it
    mid = (chr1["start"] + chr1["end"]) / 2
    assert not ((mid > 122_500_000) & (mid < 124_500_000)).any()
    assert set(chr1["arm"]) == {"p", "q"}
    # the acrocentric p arms are gaps
    assert bins[(bins["chrom"] == "chr21") & (bins["end"] < 5_000_000)].empty


@pytest.fixture(scope="module")
def simulated_genomes(tmp_path_factory):
    """Simulated BAMs of 6 panel normals and of tumours with known karyotypes."""
    folder = tmp_path_factory.mktemp("genomes")
    settings = SimulationSettings(patients=40, panel_normals=6, seed=11)
    design = design_cohort(settings, "g", "GRCh38", folder)
    panel = read_panel(REPO / "resources" / "panel_GRCh38.tsv")
    truth = design.karyotype_truth.set_index("sample_id")
    kinds = truth["kind"]
    tumours = [
        *kinds.index[kinds == "high_hyperdiploid"][:2],
        *kinds.index[kinds.str.contains("haploid|hypodiploid")][:1],
        *kinds.index[kinds == "diploid"][:1],
    ]
    normals = [f"PON{n:02d}" for n in range(1, 7)]
    for sample in [*normals, *tumours]:
        simulate_sample_bam(design, sample, panel, "GRCh38", folder / f"{sample}.bam", settings)
    samples = [
        GenomeSample(n, "normal", str(folder / f"{n}.bam"), sex=design.true_sex[n])
        for n in normals
    ] + [
        GenomeSample(t, "tumor", str(folder / f"{t}.bam"), sex=design.true_sex[t],
                     bins=str(folder / f"{t}.bins.tsv"), segments=str(folder / f"{t}.seg.tsv"))
        for t in tumours
    ]  # fmt: skip
    counts = genome_copy_number(
        samples, "GRCh38", folder / "counts.tsv", folder / "reference.tsv", {"seed": 1}
    )
    return folder, design, truth, tumours, counts


def test_simulated_karyotypes_are_recovered_from_index_bins_and_vcf(simulated_genomes):
    folder, design, truth, tumours, counts = simulated_genomes
    assert len(counts) == len(genome_bins("GRCh38"))
    spans = read_gene_spans(REPO / "resources" / "gene_spans_GRCh38.tsv")
    blast = design.samples.set_index("sample_id")["blast_percent"]
    for number, sample in enumerate(tumours):
        pieces = design.karyotypes[design.karyotypes["sample_id"] == sample]
        vcf = folder / f"{sample}.vcf.gz"
        simulate_tumour_vcf(
            vcf, sample[:5], sample, design.true_sex[sample], blast[sample] / 100, 11, number,
            spans, "GRCh38", pieces,
        )  # fmt: skip
        job = KaryotypeJob(
            sample_id=sample, patient_id=sample[:5], source="BAM",
            segments=str(folder / f"{sample}.seg.tsv"), build="GRCh38",
            gene_spans=str(REPO / "resources" / "gene_spans_GRCh38.tsv"),
            chromosomes=str(folder / f"{sample}.chromosomes.tsv"),
            arms=str(folder / f"{sample}.arms.tsv"), vcf=str(vcf), vcf_sample="",
            sex=design.true_sex[sample], blast_percent=blast[sample],
        )  # fmt: skip
        called = run_job(job, {})
        assert called["ploidy_class"] == truth.loc[sample, "ploidy_class"], (sample, called)
        assert int(called["chromosome_count"]) == truth.loc[sample, "chromosome_count"]


def test_a_bam_that_failed_qc_gets_no_karyotype(simulated_genomes, tmp_path):
    """A high hyperdiploid tumour with its VCF, flagged by the coverage QC: undetermined with
    the reason, every chromosome not assessable; without the flag it is called."""
    folder, design, truth, tumours, _ = simulated_genomes
    sample = tumours[0]
    blast = design.samples.set_index("sample_id")["blast_percent"][sample]
    spans = read_gene_spans(REPO / "resources" / "gene_spans_GRCh38.tsv")
    pieces = design.karyotypes[design.karyotypes["sample_id"] == sample]
    vcf = tmp_path / f"{sample}.vcf.gz"
    simulate_tumour_vcf(vcf, sample[:5], sample, design.true_sex[sample], blast / 100, 11, 0,
                        spans, "GRCh38", pieces)  # fmt: skip
    job = KaryotypeJob(
        sample_id=sample, patient_id=sample[:5], source="BAM",
        segments=str(folder / f"{sample}.seg.tsv"), build="GRCh38",
        gene_spans=str(REPO / "resources" / "gene_spans_GRCh38.tsv"),
        chromosomes=str(tmp_path / "chromosomes.tsv"), arms=str(tmp_path / "arms.tsv"),
        vcf=str(vcf), sex=design.true_sex[sample], blast_percent=blast,
    )  # fmt: skip
    table = call_karyotypes([job], {}, 1, qc_failures={sample: "low_depth, empty_bins"})
    row = table.iloc[0]
    assert row["ploidy_class"] == "undetermined" and row["chromosome_count"] == ""
    assert row["ploidy_evidence"] == "BAM failed QC (low_depth, empty_bins)"
    chromosomes = pd.read_csv(tmp_path / "chromosomes.tsv", sep="\t", keep_default_na=False)
    assert (chromosomes["evidence"] == "not assessable").all()
    called = call_karyotypes([job], {}, 1, qc_failures={sample: ""}).iloc[0]
    assert called["ploidy_class"] == truth.loc[sample, "ploidy_class"] == "high_hyperdiploid"


def test_tumours_segmented_in_batches_give_the_files_of_one_job(simulated_genomes, tmp_path):
    """The workflow segments a cohort's tumours in batches from the written count matrix and
    reference: one tumour per batch, in one process, writes the same bins and segments as the
    fixture's one job with all of them."""
    folder, design, truth, tumours, _ = simulated_genomes
    reference = read_reference(folder / "reference.tsv")
    for sample_id in tumours:
        batch = [
            GenomeSample(sample_id, "tumor", str(folder / f"{sample_id}.bam"),
                         sex=design.true_sex[sample_id], bins=str(tmp_path / "bins.tsv"),
                         segments=str(tmp_path / "seg.tsv"))
        ]  # fmt: skip
        counts = read_genome_counts(folder / "counts.tsv", [sample_id])
        segment_genome_tumours(batch, counts, reference, {"seed": 1}, processes=1)
        for name in ("bins", "seg"):
            batched = (tmp_path / f"{name}.tsv").read_bytes()
            assert batched == (folder / f"{sample_id}.{name}.tsv").read_bytes(), sample_id


def test_karyotype_batches_join_into_the_cohort_table(simulated_genomes, tmp_path):
    """call_karyotypes on two halves of the tumours, joined by join_batch_tables, is the table
    of one call on all of them, cell for cell (the workflow's batches and its one table)."""
    folder, design, truth, tumours, _ = simulated_genomes
    jobs = [
        KaryotypeJob(
            sample_id=s,
            patient_id=s[:5],
            source="BAM",
            segments=str(folder / f"{s}.seg.tsv"),
            build="GRCh38",
            gene_spans=str(REPO / "resources" / "gene_spans_GRCh38.tsv"),
            chromosomes=str(tmp_path / f"{s}.chromosomes.tsv"),
            arms=str(tmp_path / f"{s}.arms.tsv"),
            sex=design.true_sex[s],
        )  # fmt: skip
        for s in tumours
    ]
    write_table(call_karyotypes(jobs, {}, 1), tmp_path / "one.tsv")
    halves = [jobs[:1], jobs[1:]]
    for number, half in enumerate(halves):
        write_table(call_karyotypes(half, {}, 1), tmp_path / f"batch{number}.tsv")
    rows = join_batch_tables(
        [tmp_path / "batch0.tsv", tmp_path / "batch1.tsv"], tmp_path / "all.tsv"
    )
    assert rows == len(tumours)
    assert (tmp_path / "all.tsv").read_bytes() == (tmp_path / "one.tsv").read_bytes()

"""Bad input stops the workflow at parse time, before any job, with a message that names
the file, the row or sample, the column and what was expected."""

import shutil
from pathlib import Path

import pytest

from bam_factory import pair, write_alignments, write_reference_fasta

GOOD_SAMPLES = [
    ("P1_T", "P1", "tumor", "bams/P1_T.bam", "80", "female"),
    ("P2_T", "P2", "tumor", "bams/P2_T.bam", "55", ""),
    ("PON1", "", "normal", "bams/PON1.bam", "", "male"),
]
GOOD_CLINICAL = [("P1", "female", "6.5"), ("P2", "male", "12.0")]


def write_sheet(path, header, rows):
    path.write_text("\n".join("\t".join(row) for row in [header, *rows]) + "\n")


def reads_near_ikzf1(count=20):
    reads = []
    for i in range(count):
        reads.extend(pair(f"frag{i}", "chr7", 50_319_000 + 37 * i, 300))
    return reads


@pytest.fixture
def cohort(tmp_path):
    """A valid two-patient cohort with real indexed GRCh38 BAMs; tests then break one thing."""
    (tmp_path / "bams").mkdir()
    for sample_id, *_ in GOOD_SAMPLES:
        write_alignments(tmp_path / "bams" / f"{sample_id}.bam", reads_near_ikzf1())
    samples = tmp_path / "samples.tsv"
    clinical = tmp_path / "clinical.tsv"
    header = ("sample_id", "patient_id", "role", "dna_bam", "blast_percent", "sex")
    write_sheet(samples, header, GOOD_SAMPLES)
    write_sheet(clinical, ("patient_id", "sex", "age_years"), GOOD_CLINICAL)
    config = {"cohorts": {"study": {"build": "GRCh38", "samples": "samples.tsv",
                                    "clinical": "clinical.tsv"}}}  # fmt: skip
    return tmp_path, config, header


def dry_run(runner, workdir, config):
    result = runner(workdir, config, "--dry-run", "--cores", "1", timeout=120)
    return result.returncode, result.stdout + result.stderr


def test_valid_cohort_passes_the_parse_time_checks(cohort, snakemake_runner):
    workdir, config, _ = cohort
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code == 0, output
    assert "count_coverage" in output


def rewrite_samples(workdir, header, rows):
    write_sheet(workdir / "samples.tsv", header, rows)


SHEET_ERRORS = {
    "duplicate sample ID": (
        lambda rows: [*rows, ("P1_T", "P3", "tumor", "bams/P1_T.bam", "40", "")],
        "samples.tsv: row 5, column sample_id: duplicate sample 'P1_T' (first seen in row 2)",
    ),
    "unsafe sample ID": (
        lambda rows: [("P1 T", *rows[0][1:]), *rows[1:]],
        "samples.tsv: row 2 (sample_id P1 T), column sample_id: 'P1 T' does not match",
    ),
    "unknown role": (
        lambda rows: [rows[0], ("P2_T", "P2", "relapse", *rows[1][3:]), rows[2]],
        "samples.tsv: row 3 (sample_id P2_T), column role: 'relapse' is not one of",
    ),
    "tumour without patient": (
        lambda rows: [rows[0], ("P2_T", "", "tumor", *rows[1][3:]), rows[2]],
        "samples.tsv: row 3 (sample P2_T), column patient_id: a tumor sample needs a patient_id",
    ),
    "missing BAM": (
        lambda rows: [rows[0], (*rows[1][:3], "bams/absent.bam", *rows[1][4:]), rows[2]],
        "samples.tsv: row 3 (sample P2_T), column dna_bam: bams/absent.bam: alignment file "
        "not found",
    ),
}


@pytest.mark.parametrize(("edit", "message"), SHEET_ERRORS.values(), ids=SHEET_ERRORS.keys())
def test_sheet_errors_are_named(cohort, snakemake_runner, edit, message):
    workdir, config, header = cohort
    rewrite_samples(workdir, header, edit(list(GOOD_SAMPLES)))
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert message in output, output
    assert not (workdir / "results").exists()


def test_missing_index(cohort, snakemake_runner):
    workdir, config, _ = cohort
    Path(workdir / "bams" / "P2_T.bam.bai").unlink()
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert "row 3 (sample P2_T), column dna_bam: bams/P2_T.bam: no index found" in output, output
    assert "samtools index bams/P2_T.bam" in output


def test_bam_of_the_other_build(cohort, snakemake_runner):
    workdir, config, _ = cohort
    write_alignments(workdir / "bams" / "P2_T.bam", reads_near_ikzf1(), build="GRCh37")
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert (
        "row 3 (sample P2_T), column dna_bam: bams/P2_T.bam: contig lengths do not match "
        "genome build GRCh38" in output
    ), output
    assert "the header looks like GRCh37" in output


def test_empty_bam(cohort, snakemake_runner):
    workdir, config, _ = cohort
    write_alignments(workdir / "bams" / "PON1.bam", [])
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert "row 4 (sample PON1), column dna_bam: bams/PON1.bam: contains no reads" in output, output


def test_cram_without_reference(cohort, snakemake_runner):
    workdir, config, header = cohort
    reference = write_reference_fasta(workdir / "ref.fa", {"chr7": 2000})
    write_alignments(
        workdir / "bams" / "P2_T.cram", [*pair("f", "chr7", 100, 300)], reference_fasta=reference
    )
    rows = [GOOD_SAMPLES[0], (*GOOD_SAMPLES[1][:3], "bams/P2_T.cram", "55", ""), GOOD_SAMPLES[2]]
    rewrite_samples(workdir, header, rows)
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert (
        "row 3 (sample P2_T), column dna_bam: bams/P2_T.cram is a CRAM, but the cohort sets no "
        "reference_fasta" in output
    ), output


def test_clinical_row_for_unknown_patient(cohort, snakemake_runner):
    workdir, config, _ = cohort
    write_sheet(workdir / "clinical.tsv", ("patient_id", "sex", "age_years"),
                [*GOOD_CLINICAL, ("P9", "male", "3.0")])  # fmt: skip
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert "clinical.tsv: row 4, column patient_id: patient 'P9' has no tumor sample" in output, (
        output
    )


def test_unknown_config_key(cohort, snakemake_runner):
    workdir, config, _ = cohort
    config["cohorts"]["study"]["bulid"] = "GRCh38"
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert "bulid" in output, output
    shutil.rmtree(workdir / "bams")


def test_rna_bam_is_checked_like_a_dna_bam(cohort, snakemake_runner):
    workdir, config, header = cohort
    rows = [(*row, "bams/P2_T.rna.bam" if row[0] == "P2_T" else "") for row in GOOD_SAMPLES]
    rewrite_samples(workdir, (*header, "rna_bam"), rows)
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert (
        "samples.tsv: row 3 (sample P2_T), column rna_bam: bams/P2_T.rna.bam: alignment file "
        "not found" in output
    ), output


def test_seg_file_with_a_sample_the_sheet_does_not_know(cohort, snakemake_runner):
    workdir, config, _ = cohort
    (workdir / "cohort.seg").write_text(
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
        "P1_T\tchr7\t1\t159345973\t500\t0.0\n"
        "P9_T\tchr7\t1\t159345973\t500\t0.0\n"
    )
    config["cohorts"]["study"]["seg"] = "cohort.seg"
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code != 0
    assert "cohort.seg: column ID: sample(s) 'P9_T' are not tumor samples" in output, output

"""Bad input stops the workflow at parse time, before any job, with a message that names
the file, the row or sample, the column and what was expected."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bam_factory import ReadSpec, pair, write_alignments, write_reference_fasta

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


def refused(runner, workdir, config):
    """The dry run's output, after checking that it stopped (non-zero) and wrote nothing."""
    code, output = dry_run(runner, workdir, config)
    assert code != 0, output
    assert not (workdir / "results").exists() and not (workdir / "logs").exists()
    return output


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
    output = refused(snakemake_runner, workdir, config)
    assert message in output, output


def test_missing_index(cohort, snakemake_runner):
    workdir, config, _ = cohort
    Path(workdir / "bams" / "P2_T.bam.bai").unlink()
    output = refused(snakemake_runner, workdir, config)
    assert "row 3 (sample P2_T), column dna_bam: bams/P2_T.bam: no index found" in output, output
    assert "samtools index bams/P2_T.bam" in output


def test_bam_of_the_other_build(cohort, snakemake_runner):
    workdir, config, _ = cohort
    write_alignments(workdir / "bams" / "P2_T.bam", reads_near_ikzf1(), build="GRCh37")
    output = refused(snakemake_runner, workdir, config)
    assert (
        "row 3 (sample P2_T), column dna_bam: bams/P2_T.bam: contig lengths do not match "
        "genome build GRCh38" in output
    ), output
    assert "the header looks like GRCh37" in output


def test_empty_bam(cohort, snakemake_runner):
    workdir, config, _ = cohort
    write_alignments(workdir / "bams" / "PON1.bam", [])
    output = refused(snakemake_runner, workdir, config)
    assert "row 4 (sample PON1), column dna_bam: bams/PON1.bam: contains no reads" in output, output


def test_cram_without_reference(cohort, snakemake_runner):
    workdir, config, header = cohort
    reference = write_reference_fasta(workdir / "ref.fa", {"chr7": 2000})
    write_alignments(
        workdir / "bams" / "P2_T.cram", [*pair("f", "chr7", 100, 300)], reference_fasta=reference
    )
    rows = [GOOD_SAMPLES[0], (*GOOD_SAMPLES[1][:3], "bams/P2_T.cram", "55", ""), GOOD_SAMPLES[2]]
    rewrite_samples(workdir, header, rows)
    output = refused(snakemake_runner, workdir, config)
    assert (
        "row 3 (sample P2_T), column dna_bam: bams/P2_T.cram is a CRAM, but the cohort sets no "
        "reference_fasta" in output
    ), output


def test_clinical_row_for_unknown_patient(cohort, snakemake_runner):
    workdir, config, _ = cohort
    write_sheet(workdir / "clinical.tsv", ("patient_id", "sex", "age_years"),
                [*GOOD_CLINICAL, ("P9", "male", "3.0")])  # fmt: skip
    output = refused(snakemake_runner, workdir, config)
    assert "clinical.tsv: row 4, column patient_id: patient 'P9' has no tumor sample" in output, (
        output
    )


def test_unknown_config_key(cohort, snakemake_runner):
    workdir, config, _ = cohort
    config["cohorts"]["study"]["bulid"] = "GRCh38"
    output = refused(snakemake_runner, workdir, config)
    assert "bulid" in output, output


def test_rna_bam_is_checked_like_a_dna_bam(cohort, snakemake_runner):
    workdir, config, header = cohort
    rows = [(*row, "bams/P2_T.rna.bam" if row[0] == "P2_T" else "") for row in GOOD_SAMPLES]
    rewrite_samples(workdir, (*header, "rna_bam"), rows)
    output = refused(snakemake_runner, workdir, config)
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
    output = refused(snakemake_runner, workdir, config)
    assert "cohort.seg: column ID: sample(s) 'P9_T' are not tumor samples" in output, output


# --- samples and clinical sheets ------------------------------------------------------------

MORE_SHEET_ERRORS = {
    "sample ID with a slash": (
        lambda rows: [("P1/T", *rows[0][1:]), *rows[1:]],
        "samples.tsv: row 2 (sample_id P1/T), column sample_id: 'P1/T' does not match",
    ),
    "blast percent not a number, in row 3": (
        lambda rows: [rows[0], (*rows[1][:4], "eighty", rows[1][5]), rows[2]],
        "samples.tsv: row 3 (sample_id P2_T), column blast_percent: 'eighty' is not a number",
    ),
    "blast percent out of range": (
        lambda rows: [rows[0], (*rows[1][:4], "150", rows[1][5]), rows[2]],
        "samples.tsv: row 3 (sample_id P2_T), column blast_percent: 150.0 is greater than the "
        "maximum of 100",
    ),
    "sex not female or male": (
        lambda rows: [(*rows[0][:5], "F"), *rows[1:]],
        "samples.tsv: row 2 (sample_id P1_T), column sex: 'F' is not one of",
    ),
}


@pytest.mark.parametrize(
    ("edit", "message"), MORE_SHEET_ERRORS.values(), ids=MORE_SHEET_ERRORS.keys()
)
def test_more_sample_sheet_errors_are_named(cohort, snakemake_runner, edit, message):
    workdir, config, header = cohort
    rewrite_samples(workdir, header, edit(list(GOOD_SAMPLES)))
    output = refused(snakemake_runner, workdir, config)
    assert message in output, output


def test_samples_sheet_without_a_role_column(cohort, snakemake_runner):
    workdir, config, header = cohort
    rewrite_samples(workdir, header[:2] + header[3:], [r[:2] + r[3:] for r in GOOD_SAMPLES])
    output = refused(snakemake_runner, workdir, config)
    assert "samples.tsv: row 2 (sample_id P1_T), column role: 'role' is a required" in output, (
        output
    )


@pytest.mark.parametrize("sheet", ["samples.tsv", "clinical.tsv"])
@pytest.mark.parametrize(("content", "message"), [
    ("", "the sheet is empty; expected a header line"),
    ("\ufeff\r\n", "the sheet is empty; expected a header line"),
    ("sample_id\tpatient_id\trole\n", "the sheet has a header but no rows"),
])  # fmt: skip
def test_empty_sheets_are_named(cohort, snakemake_runner, sheet, content, message):
    workdir, config, _ = cohort
    (workdir / sheet).write_text(content)
    output = refused(snakemake_runner, workdir, config)
    assert f"{sheet}: {message}" in output, output


def test_bom_crlf_and_no_sex_column_are_read(cohort, snakemake_runner):
    """Sheets saved by spreadsheet programs (UTF-8 BOM, CRLF) and without the optional sex
    and blast_percent columns are valid."""
    workdir, config, header = cohort
    lines = ["\t".join(header[:4]), *("\t".join(row[:4]) for row in GOOD_SAMPLES)]
    (workdir / "samples.tsv").write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code == 0, output
    assert "build_reference" in output


CLINICAL_HEADER = ("patient_id", "sex", "age_years", "followup_years", "event")


def write_clinical(workdir, rows, covariates=True):
    """The clinical sheet with `rows`, and the default models' covariates wbc and mrd_eoi."""
    extra = ("wbc", "mrd_eoi") if covariates else ()
    rows = [(*row, *(("12", "0.001") if covariates else ())) for row in rows]
    write_sheet(workdir / "clinical.tsv", (*CLINICAL_HEADER, *extra), rows)


CLINICAL_ERRORS = {
    "duplicate patient": (
        [("P1", "female", "6.5", "5.0", "censored"), ("P1", "male", "12.0", "4.0", "relapse")],
        "clinical.tsv: row 3, column patient_id: duplicate patient 'P1'",
    ),
    "follow-up 'seven' in row 3": (
        [("P1", "female", "6.5", "6.65", "censored"), ("P2", "male", "12.0", "seven", "relapse")],
        "clinical.tsv: row 3 (patient_id P2), column followup_years: 'seven' is not a number",
    ),
    "follow-up a date in row 3": (
        [
            ("P1", "female", "6.5", "6.65", "censored"),
            ("P2", "male", "12.0", "2019-03-02", "relapse"),
        ],
        "clinical.tsv: row 3 (patient_id P2), column followup_years: '2019-03-02' is not a number",
    ),
    "negative follow-up": (
        [("P1", "female", "6.5", "6.65", "censored"), ("P2", "male", "12.0", "-1", "relapse")],
        "clinical.tsv: row 3 (patient_id P2), column followup_years: -1.0 is less than the "
        "minimum of 0",
    ),
    "age not a number": (
        [("P1", "female", "six", "6.65", "censored"), ("P2", "male", "12.0", "3", "relapse")],
        "clinical.tsv: row 2 (patient_id P1), column age_years: 'six' is not a number",
    ),
    "age out of range": (
        [("P1", "female", "6.5", "6.65", "censored"), ("P2", "male", "45", "3", "relapse")],
        "clinical.tsv: row 3 (patient_id P2), column age_years: 45.0 is greater than the "
        "maximum of 30",
    ),
    "event code 'relapsed'": (
        [("P1", "female", "6.5", "6.65", "censored"), ("P2", "male", "12.0", "3", "relapsed")],
        "clinical.tsv: row 3 (patient P2), column event: unknown event code 'relapsed'",
    ),
    "event code '1'": (
        [("P1", "female", "6.5", "6.65", "1"), ("P2", "male", "12.0", "3", "relapse")],
        "clinical.tsv: row 2 (patient P1), column event: unknown event code '1'",
    ),
    "sex not female or male": (
        [("P1", "f", "6.5", "6.65", "censored"), ("P2", "male", "12.0", "3", "relapse")],
        "clinical.tsv: row 2 (patient_id P1), column sex: 'f' is not one of",
    ),
}


@pytest.mark.parametrize(("rows", "message"), CLINICAL_ERRORS.values(), ids=CLINICAL_ERRORS.keys())
def test_clinical_sheet_errors_name_their_own_row(cohort, snakemake_runner, rows, message):
    workdir, config, _ = cohort
    write_clinical(workdir, rows)
    output = refused(snakemake_runner, workdir, config)
    assert message in output, output


def test_na_and_empty_clinical_cells_are_missing_values(cohort, snakemake_runner):
    """R writes NA for a missing value: read as missing in numeric columns, like an empty cell
    (the patient without follow-up is then listed in dropped_patients.tsv by the analysis)."""
    workdir, config, _ = cohort
    write_clinical(workdir, [("P1", "female", "NA", "6.65", "censored"),
                             ("P2", "male", "", "NaN", "relapse")])  # fmt: skip
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code == 0, output


# --- config ---------------------------------------------------------------------------------


CONFIG_ERRORS = {
    "misspelt cohort key": (
        lambda c: c["cohorts"]["study"].update(bulid="GRCh38"),
        "cohorts.study: unknown key(s) 'bulid' (did you mean 'build'?)",
    ),
    "misspelt top-level block": (
        lambda c: c.update(copy_numbr={"seed": 1}),
        "(top level): unknown key(s) 'copy_numbr' (did you mean 'copy_number'?)",
    ),
    "wrong type": (
        lambda c: c.update(coverage={"samples_per_job": "two"}),
        "coverage.samples_per_job: 'two' is not of type 'integer'",
    ),
    "threshold out of range": (
        lambda c: c.update(qc={"min_median_depth": -5}),
        "qc.min_median_depth: -5 is less than the minimum of 0",
    ),
    "unknown build": (
        lambda c: c["cohorts"]["study"].update(build="GRCh36"),
        "cohorts.study.build: 'GRCh36' is not one of 'GRCh37', 'GRCh38'",
    ),
}


@pytest.mark.parametrize(("edit", "message"), CONFIG_ERRORS.values(), ids=CONFIG_ERRORS.keys())
def test_config_errors_name_the_file_and_the_key(cohort, snakemake_runner, edit, message):
    workdir, config, _ = cohort
    edit(config)
    output = refused(snakemake_runner, workdir, config)
    assert f"config ({workdir / 'config.yaml'}): {message}" in output, output


# --- BAM/CRAM -------------------------------------------------------------------------------


def test_stale_index_is_refused(cohort, snakemake_runner):
    """The BAM rewritten after indexing (other reads, the old .bai kept)."""
    workdir, config, _ = cohort
    bam = workdir / "bams" / "P2_T.bam"
    index = bam.with_name(bam.name + ".bai")
    first = [r for i in range(4000) for r in pair(f"f{i}", "chr7", 50_200_000 + 53 * i, 300)]
    write_alignments(bam, first)
    old_index = index.read_bytes()
    # realigned: more reads before IKZF1, so its reads now lie in other compressed blocks
    other = [r for i in range(6000) for r in pair(f"g{i}", "chr7", 50_000_000 + 61 * i, 300)]
    write_alignments(bam, other)
    index.write_bytes(old_index)
    os.utime(index, (bam.stat().st_mtime - 60,) * 2)
    output = refused(snakemake_runner, workdir, config)
    assert "row 3 (sample P2_T), column dna_bam: bams/P2_T.bam: " in output, output
    assert "the index is older than the file" in output
    assert "samtools index bams/P2_T.bam" in output


def test_index_of_another_file_is_refused(cohort, snakemake_runner):
    workdir, config, _ = cohort
    other = [r for i in range(3000) for r in pair(f"g{i}", "chr7", 50_100_000 + 91 * i, 300)]
    write_alignments(workdir / "bams" / "big.bam", other)
    shutil.copy(workdir / "bams" / "big.bam.bai", workdir / "bams" / "P1_T.bam.bai")
    output = refused(snakemake_runner, workdir, config)
    assert "row 2 (sample P1_T), column dna_bam: bams/P1_T.bam: " in output, output
    assert "does not fit the file" in output


def test_truncated_bam_is_refused(cohort, snakemake_runner):
    workdir, config, _ = cohort
    bam = workdir / "bams" / "P1_T.bam"
    data = bam.read_bytes()
    bam.write_bytes(data[: len(data) // 2])
    output = refused(snakemake_runner, workdir, config)
    assert "row 2 (sample P1_T), column dna_bam: bams/P1_T.bam: cannot be read as BAM" in output
    assert "truncated" in output


def test_rna_seq_bam_given_as_dna_is_refused(cohort, snakemake_runner):
    workdir, config, _ = cohort
    spliced = [
        ReadSpec(f"s{i}", "chr7", 50_319_000 + 37 * i, 100, cigar="40M1500N60M") for i in range(150)
    ]
    write_alignments(workdir / "bams" / "P2_T.bam", [*spliced, *reads_near_ikzf1(20)])
    output = refused(snakemake_runner, workdir, config)
    assert (
        "row 3 (sample P2_T), column dna_bam: bams/P2_T.bam: 150 of 190 reads read through the "
        "index are spliced (CIGAR N): this looks like an RNA-seq alignment" in output
    ), output


def test_bams_naming_chromosome_7_without_chr_are_read(cohort, snakemake_runner):
    workdir, config, _ = cohort
    write_alignments(workdir / "bams" / "P2_T.bam", reads_near_ikzf1(), chr_prefix=False)
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code == 0, output


# --- SEG and CNVkit -------------------------------------------------------------------------


def test_seg_of_the_other_build_is_refused(cohort, snakemake_runner):
    workdir, config, _ = cohort
    (workdir / "cohort.seg").write_text(
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\nP1_T\tchr7\t1\t159345973\t500\t0.0\n"
    )
    config["cohorts"]["study"].update(seg="cohort.seg", build="GRCh37")
    for name in ("P1_T", "P2_T", "PON1"):
        write_alignments(workdir / "bams" / f"{name}.bam", reads_near_ikzf1(), build="GRCh37")
    output = refused(snakemake_runner, workdir, config)
    assert (
        "cohort.seg: sample P1_T: segment chr7:1-159345973 ends past chr7 of GRCh37 "
        "(159,138,663 bp): the file is not of the cohort's build GRCh37; is it GRCh38?" in output
    ), output


def test_seg_with_a_missing_column_is_refused(cohort, snakemake_runner):
    workdir, config, _ = cohort
    (workdir / "cohort.seg").write_text(
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tmean\nP1_T\tchr7\t1\t159345973\t500\t0.0\n"
    )
    config["cohorts"]["study"]["seg"] = "cohort.seg"
    output = refused(snakemake_runner, workdir, config)
    assert "cohort.seg: missing column(s) seg.mean" in output, output


CNS = "chromosome\tstart\tend\tgene\tlog2\tprobes\nchr7\t0\t159345973\t-\t0.0\t900\n"
CNR_HEADER = "chromosome\tstart\tend\tgene\tdepth\tweight\n"


@pytest.mark.parametrize(("cns", "cnr", "message"), [
    (CNS, CNR_HEADER + "chr7\t0\t1000\tIKZF1\t1.0\t1.0\n",
     "column cnvkit_cnr: P1.cnr: missing column(s) log2 (a CNVkit .cnr file needs"),
    (CNS.replace("log2", "ratio"), None,
     "column cnvkit_cns: P1.cns: missing column(s) log2 (a CNVkit .cns file needs"),
    (CNS + "chr7\t100000\t200000\t-\t-1.0\t40\n", None,
     "column cnvkit_cns: P1.cns: sample P1: segments overlap at chr7:100001"),
])  # fmt: skip
def test_cnvkit_files_are_checked_before_any_job(cohort, snakemake_runner, cns, cnr, message):
    workdir, config, header = cohort
    (workdir / "P1.cns").write_text(cns)
    columns = ["cnvkit_cns"]
    if cnr is not None:
        (workdir / "P1.cnr").write_text(cnr)
        columns.append("cnvkit_cnr")
    files = ["P1.cns", "P1.cnr"][: len(columns)]
    rows = [(*row, *(files if row[0] == "P1_T" else [""] * len(files))) for row in GOOD_SAMPLES]
    rewrite_samples(workdir, (*header, *columns), rows)
    output = refused(snakemake_runner, workdir, config)
    assert f"samples.tsv: row 2 (sample P1_T), {message}" in output, output


def test_a_covariate_column_the_models_need_is_missing(cohort, snakemake_runner):
    """Warned at parse time (a run may stop at patients.tsv); the analysis job refuses it."""
    workdir, config, _ = cohort
    write_clinical(workdir, [("P1", "female", "6.5", "6.65", "censored"),
                             ("P2", "male", "12.0", "3", "relapse")], covariates=False)  # fmt: skip
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code == 0, output
    assert (
        "clinical.tsv: column 'mrd_eoi' is missing: the Fine-Gray models adjust for it (config "
        "relapse.covariates, 'MRD end of induction')" in output
    ), output
    from ikaros.relapse.analysis import run_analysis
    from ikaros.relapse.settings import RelapseSettings
    from ikaros.sheets import read_sheet

    patients = pd.DataFrame({"patient_id": ["P1", "P2"], "ikzf1_status": "wildtype",
                             "ikzf1_class": "", "ikzf1plus": "false",
                             "ikzf1plus_focal": "false"})  # fmt: skip
    with pytest.raises(KeyError, match="column 'mrd_eoi' is not in the clinical sheet"):
        run_analysis(read_sheet(workdir / "clinical.tsv"), patients, {}, RelapseSettings())


def test_the_bad_input_table_names_tests_that_exist():
    """docs/BAD_INPUTS.md: at least 40 cases, each naming a test function (and case id) that
    exists."""
    import re

    repo = Path(__file__).resolve().parents[1]
    table = (repo / "docs" / "BAD_INPUTS.md").read_text()
    rows = [line for line in table.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) >= 40
    for row in rows:
        references = re.findall(r"`(test_\w+\.py)::(\w+)(?:\[([^\]]+)\])?`", row)
        assert references, row
        for module, function, case in references:
            source = (repo / "tests" / module).read_text()
            assert re.search(rf"^def {function}\(", source, re.M), (module, function)
            if case and "," not in case:
                assert case in source, (module, function, case)


def test_a_config_file_of_ones_own_does_not_also_run_the_demo(cohort, snakemake_runner):
    """The workflow's config/config.yaml (the demo cohort) sits in the working directory, as
    in a clone; --configfile with the user's cohorts runs those alone."""
    workdir, config, _ = cohort
    (workdir / "config").mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "config" / "config.yaml",
                workdir / "config" / "config.yaml")  # fmt: skip
    code, output = dry_run(snakemake_runner, workdir, config)
    assert code == 0, output
    assert "results/study/patients.tsv" in output
    assert "results/demo" not in output and "simulate_demo" not in output

"""The workflow end to end on a small simulated cohort with known truth."""

import hashlib

import pandas as pd
import pytest

from conftest import REPO, run_snakemake

MINI = {
    "cohorts": {
        "mini": {
            "build": "GRCh38",
            "simulate": {
                "seed": 314,
                "patients": 6,
                "panel_normals": 3,
                "matched_normals": 2,
                "depth": 20,
            },
        }
    }
}


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mini")
    result = run_snakemake(workdir, MINI, "--cores", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir


def test_every_sample_gets_a_coverage_table_and_a_qc_row(mini_run):
    results = mini_run / "results" / "mini"
    samples = pd.read_csv(results / "simulated" / "samples.tsv", sep="\t")
    assert len(samples) == 6 + 3 + 2
    panel = pd.read_csv(REPO / "resources" / "panel_GRCh38.tsv", sep="\t")
    qc = pd.read_csv(results / "qc" / "coverage_qc.tsv", sep="\t", keep_default_na=False)
    assert list(qc["sample_id"]) == list(samples["sample_id"])
    for sample_id in samples["sample_id"]:
        table = pd.read_csv(results / "coverage" / f"{sample_id}.tsv", sep="\t")
        assert list(table["bin_id"]) == list(panel["bin_id"])
        assert table["fragments"].sum() > 1000
    assert (qc["median_depth"] > 10).all()


def test_inferred_sex_matches_the_simulated_truth(mini_run):
    results = mini_run / "results" / "mini"
    qc = pd.read_csv(results / "qc" / "coverage_qc.tsv", sep="\t", keep_default_na=False)
    truth = pd.read_csv(results / "simulated" / "truth_patients.tsv", sep="\t")
    tumours = qc[qc["role"] == "tumor"].merge(truth[["patient_id", "sex"]], on="patient_id",
                                              suffixes=("", "_truth"))  # fmt: skip
    assert len(tumours) == 6
    assert (tumours["sex_inferred"] == tumours["sex_truth"]).all(), tumours


def test_rerun_in_a_fresh_directory_gives_identical_tables(mini_run, tmp_path):
    result = run_snakemake(tmp_path, MINI, "--cores", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    first = mini_run / "results" / "mini"
    second = tmp_path / "results" / "mini"
    tables = sorted(p.relative_to(first) for p in first.rglob("*.tsv"))
    assert len(tables) > 11
    for table in tables:
        assert digest(first / table) == digest(second / table), table
    for bam in sorted((first / "simulated" / "bam").glob("*.bam")):
        assert digest(bam) == digest(second / "simulated" / "bam" / bam.name), bam.name


def test_patients_table_and_report_cover_every_patient(mini_run):
    results = mini_run / "results" / "mini"
    clinical = pd.read_csv(results / "simulated" / "clinical.tsv", sep="\t")
    patients = pd.read_csv(results / "patients.tsv", sep="\t", keep_default_na=False)
    assert list(patients["patient_id"]) == list(clinical["patient_id"])
    assert set(patients["ikzf1_status"]) <= {"deleted", "wildtype", "not_assessable"}
    for column in ("cdkn2a", "cdkn2b", "pax5", "par1", "erg"):
        assert set(patients[column]) <= {"none", "mono", "bi", "unresolved", "not_assessable"}
    assert (patients["dna_evidence"] == "BAM").all()
    for patient in patients["patient_id"]:
        sample = results / "copy_number" / f"{patient}_T"
        assert (sample / "exon_ratios.png").read_bytes().startswith(b"\x89PNG")
        seg = (sample / "segments.seg").read_text().splitlines()
        assert seg[0].split("\t")[:3] == ["ID", "chrom", "loc.start"]
    report = (results / "report.html").read_text()
    assert "<img" in report and "data:image/png;base64," in report
    assert "http://" not in report and "https://" not in report
    for table in ("cir", "gray", "finegray", "frequency", "dropped_patients"):
        assert (results / "relapse" / f"{table}.tsv").is_file()


def test_validation_cohort_on_the_other_build_reports_both_side_by_side(tmp_path):
    """Two cohorts in one config, the second (GRCh37) validating the first (GRCh38)."""
    tiny = {"patients": 6, "panel_normals": 3, "matched_normals": 1, "depth": 20}
    config = {
        "cohorts": {
            "discovery": {"build": "GRCh38", "simulate": {"seed": 5, **tiny}},
            "validation": {
                "build": "GRCh37",
                "validates": "discovery",
                "simulate": {"seed": 6, **tiny},
            },
        }
    }
    result = run_snakemake(tmp_path, config, "--cores", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    for name, other in (("discovery", "validation"), ("validation", "discovery")):
        report = (tmp_path / "results" / name / "report.html").read_text()
        assert f"Validation: {name} and {other}" in report
    header = (tmp_path / "results/validation/simulated/bam/P0001_T.bam").read_bytes()
    assert header  # written on GRCh37: the coverage step's build check accepted it
    qc = pd.read_csv(tmp_path / "results/validation/qc/coverage_qc.tsv", sep="\t")
    assert len(qc) == 6 + 3 + 1


def test_validates_must_name_another_cohort(tmp_path):
    config = {"cohorts": {"a": {"build": "GRCh38", "validates": "b", "simulate": {"seed": 1}}}}
    result = run_snakemake(tmp_path, config, "--dry-run", "--cores", "1")
    assert result.returncode != 0
    assert "cohorts.a.validates: 'b' is not another cohort" in result.stdout + result.stderr

"""Cohort QC table: flags on constructed coverage, and the two rule scripts end to end."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from snakemake.iocontainers import Namedlist

from bam_factory import make_panel, pair, write_alignments
from ikaros.qc import QC_COLUMNS, QcThresholds, cohort_qc, sample_qc
from ikaros.sex import SexThresholds

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"

BINS = [
    ("chr1", 10_000_001, 10_002_000, "control"),
    ("chr2", 20_000_001, 20_002_000, "control"),
    ("chr3", 30_000_001, 30_002_000, "control"),
    ("chr7", 50_300_001, 50_300_200, "exon"),
    ("chr7", 50_310_001, 50_310_300, "exon"),
    ("chr7", 50_320_001, 50_320_400, "exon"),
    ("chrX", 5_000_001, 5_002_000, "control"),
    ("chrX", 40_000_001, 40_002_000, "control"),
    ("chrY", 7_000_001, 7_002_000, "control"),
    ("chrY", 14_000_001, 14_002_000, "control"),
]
PANEL = make_panel(BINS)


def coverage(x: int, y: int, exon_depths=(30.0, 20.0, 40.0), auto: int = 200) -> pd.DataFrame:
    """Coverage with `auto` fragments per autosomal control bin, `x`/`y` per chrX/chrY bin."""
    table = PANEL.copy()
    per_chrom = {"chrX": x, "chrY": y}
    table["fragments"] = [
        per_chrom.get(c, auto) if k == "control" else 50
        for c, k in zip(table["chrom"], table["kind"], strict=True)
    ]
    depths = iter(exon_depths)
    table["mean_depth"] = [next(depths) if k == "exon" else 1.0 for k in table["kind"]]
    return table


def record(sample_id, sex="", role="tumor", patient_id="P1"):
    return {
        "sample_id": sample_id,
        "patient_id": patient_id,
        "role": role,
        "sex": sex,
        "blast_percent": 80,
    }


LOW = QcThresholds(min_fragments=500, min_median_depth=25.0)


def test_clean_female_sample():
    row = sample_qc(record("S1", "female"), coverage(x=200, y=0), LOW)
    assert row["fragments"] == 3 * 200 + 2 * 200 + 3 * 50
    assert row["median_depth"] == 30.0  # median of 30, 20, 40
    assert (row["sex_inferred"], row["chrx_ratio"], row["chry_ratio"]) == ("female", 1.0, 0.0)
    assert row["sex"] == "female"
    assert row["flags"] == ""


def test_sheet_and_inference_disagree():
    row = sample_qc(record("S2", "female"), coverage(x=100, y=100), LOW)
    assert (row["sex_inferred"], row["chrx_ratio"], row["chry_ratio"]) == ("male", 0.5, 0.5)
    assert row["sex"] == "female"  # the sheet wins; the flag tells the user
    assert row["flags"] == "sex_mismatch"


def test_inferred_sex_fills_an_empty_sheet_cell():
    row = sample_qc(record("S3", ""), coverage(x=100, y=100), LOW)
    assert (row["sex_sheet"], row["sex_inferred"], row["sex"], row["flags"]) == (
        "",
        "male",
        "male",
        "",
    )


def test_uncertain_sex_without_sheet_is_flagged_but_not_with_sheet():
    # one X and no Y: uncertain (Y loss or X0)
    without = sample_qc(record("S4", ""), coverage(x=100, y=0), LOW)
    assert (without["sex_inferred"], without["sex"], without["flags"]) == (
        "uncertain",
        "",
        "sex_uncertain",
    )
    with_sheet = sample_qc(record("S4", "male"), coverage(x=100, y=0), LOW)
    assert (with_sheet["sex"], with_sheet["flags"]) == ("male", "")


def test_low_depth_and_few_fragments():
    row = sample_qc(record("S5", "male"), coverage(100, 100, (10.0, 24.9, 30.0)), LOW)
    assert row["median_depth"] == 24.9
    assert row["flags"] == "low_depth"
    few = sample_qc(record("S6", "male"), coverage(10, 10, auto=20), LOW)
    assert few["fragments"] == 3 * 20 + 4 * 10 + 150
    # 60 autosomal control fragments are too few for a sex call, and are reported as such
    assert few["sex_inferred"] == "uncertain"
    assert few["flags"] == "few_fragments"


def test_panel_without_exons_is_flagged():
    cov = coverage(200, 0)
    cov["kind"] = cov["kind"].replace("exon", "control")
    row = sample_qc(record("S7", "female"), cov, LOW)
    assert row["median_depth"] is None
    assert row["flags"] == "no_exon_bins"


def test_bad_sheet_sex_names_the_sample():
    with pytest.raises(ValueError, match="sample S8, column sex: expected female, male or empty"):
        sample_qc(record("S8", "F"), coverage(200, 0), LOW)


def test_cohort_table_order_and_missing_coverage():
    records = [record("B", "male"), record("A", "", role="normal", patient_id="")]
    table = cohort_qc(records, {"A": coverage(200, 0), "B": coverage(100, 100)}, LOW)
    assert list(table.columns) == list(QC_COLUMNS)
    assert table["sample_id"].tolist() == ["B", "A"]
    assert table["sex"].tolist() == ["male", "female"]
    with pytest.raises(ValueError, match="no coverage table for sample.*B"):
        cohort_qc(records, {"A": coverage(200, 0)}, LOW)


def test_thresholds_from_config():
    thresholds = QcThresholds.from_mapping(
        {"min_fragments": 10, "male_min_y": 0.3, "min_control_fragments": 50}
    )
    assert thresholds.min_fragments == 10 and thresholds.sex.male_min_y == 0.3
    # The sample-level fragment floor must not leak into the sex call's control floor.
    assert thresholds.sex.min_control_fragments == 50
    assert QcThresholds.from_mapping({"min_fragments": 10}).sex == SexThresholds()
    with pytest.raises(ValueError, match="unknown key.*min_depth"):
        QcThresholds.from_mapping({"min_depth": 10})
    with pytest.raises(ValueError, match="min_median_depth must be a number"):
        QcThresholds.from_mapping({"min_median_depth": "ten"})


# -- rule scripts end to end -------------------------------------------------------------------


def run_script(name: str, **sections) -> None:
    """Run a rule script with a stand-in for the `snakemake` object Snakemake injects.

    Snakemake runs a script in a fresh interpreter whose root logger has no handlers; the
    test's handlers are set aside meanwhile so the script's `logging.basicConfig` takes effect.
    """
    fake = SimpleNamespace(
        **{key: Namedlist(fromdict=value) for key, value in sections.items() if key != "log"},
        log=Namedlist(sections["log"]),
        threads=2,
    )
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers.clear()
    try:
        runpy.run_path(str(SCRIPTS / name), init_globals={"snakemake": fake})
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def bam_with(tmp_path, name: str, x_copies: int, y_copies: int) -> Path:
    reads = []
    for chrom, start, end, kind in BINS:
        copies = {"chrX": x_copies, "chrY": y_copies}.get(chrom, 2)
        n = copies * 40 if kind == "control" else (end - start + 1) // 2
        for k in range(n):
            reads += pair(f"{chrom}_{start}_{k}", chrom, start + (k * 7) % (end - start - 200), 200)
    return write_alignments(tmp_path / f"{name}.bam", reads)


def test_rule_scripts_end_to_end(tmp_path):
    panel_path = tmp_path / "panel.tsv"
    PANEL.to_csv(panel_path, sep="\t", index=False)
    samples = [record("girl", "female"), record("boy", ""), record("mislabelled", "female")]
    bams = {"girl": (2, 0), "boy": (1, 1), "mislabelled": (1, 1)}
    coverage_paths = [str(tmp_path / "coverage" / f"{sample_id}.tsv") for sample_id in bams]
    (tmp_path / "coverage").mkdir()
    run_script(
        "count_coverage.py",
        input={
            "bams": [str(bam_with(tmp_path, s, x, y)) for s, (x, y) in bams.items()],
            "panel": str(panel_path),
        },
        params={
            "sample_ids": list(bams),
            "build": "GRCh38",
            "filters": {"min_mapq": 20, "skip_duplicates": True},
        },
        output={"coverage": coverage_paths},
        log=[str(tmp_path / "coverage.log")],
    )
    assert "chr7: 3 bins" in (tmp_path / "coverage.log").read_text()

    def qc(path):
        run_script(
            "cohort_qc.py",
            input={"coverage": coverage_paths},
            params={"samples": samples, "thresholds": {"min_fragments": 100}, "build": "GRCh38"},
            output={"qc": str(path)},
            log=[str(tmp_path / "qc.log")],
        )

    qc(tmp_path / "qc.tsv")
    table = pd.read_csv(tmp_path / "qc.tsv", sep="\t", keep_default_na=False)
    assert table["sample_id"].tolist() == ["girl", "boy", "mislabelled"]
    assert table["sex_inferred"].tolist() == ["female", "male", "male"]
    assert table["sex"].tolist() == ["female", "male", "female"]
    assert table["chrx_ratio"].tolist() == [1.0, 0.5, 0.5]
    assert table["chry_ratio"].tolist() == [0.0, 0.5, 0.5]
    assert table["flags"].tolist() == ["", "", "sex_mismatch"]
    # every exon bin holds length / 2 pairs of two 100 bp mates: depth 200 * (length / 2) / length
    assert table["median_depth"].tolist() == [100.0, 100.0, 100.0]
    assert "mislabelled flagged: sex_mismatch" in (tmp_path / "qc.log").read_text()
    qc(tmp_path / "qc2.tsv")
    assert (tmp_path / "qc.tsv").read_bytes() == (tmp_path / "qc2.tsv").read_bytes()


def test_coverage_script_logs_and_raises_on_bad_input(tmp_path):
    panel_path = tmp_path / "panel.tsv"
    PANEL.to_csv(panel_path, sep="\t", index=False)
    bam = write_alignments(tmp_path / "b37.bam", pair("a", "chr7", 50_300_001, 200), build="GRCh37")
    with pytest.raises(ValueError, match="b37.bam: contig lengths do not match"):
        run_script(
            "count_coverage.py",
            input={"bams": [str(bam)], "panel": str(panel_path)},
            params={"sample_ids": ["b37"], "build": "GRCh38", "filters": {}},
            output={"coverage": [str(tmp_path / "out.tsv")]},
            log=[str(tmp_path / "bad.log")],
        )
    log_text = (tmp_path / "bad.log").read_text()
    assert "contig lengths do not match" in log_text
    assert "coverage of sample b37" in log_text
    assert not (tmp_path / "out.tsv").exists()
    assert not (tmp_path / "out.tsv.partial").exists()

"""The workflow end to end on a small simulated cohort with known truth."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import MINI, REPO, run_snakemake


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_dna_sample_gets_a_coverage_table_and_a_qc_row(mini_run):
    results = mini_run / "results" / "mini"
    samples = pd.read_csv(results / "simulated" / "samples.tsv", sep="\t")
    assert len(samples) == 6 + 3 + 2
    assert samples["dna_bam"].isna().sum() == 1  # the RNA-only patient
    samples = samples[samples["dna_bam"].notna()]
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
    assert len(tumours) == 5  # one patient has RNA only
    assert (tumours["sex_inferred"] == tumours["sex_truth"]).all(), tumours


def run_reproduce(bundle, rerun_dir, cores):
    env = dict(os.environ, IKAROS_WORKFLOW=str(REPO))
    return subprocess.run(["bash", str(bundle / "reproduce.sh"), str(rerun_dir), str(cores)],
                          capture_output=True, text=True, timeout=900, env=env)  # fmt: skip


def test_reproduce_from_the_bundle_on_one_core_gives_identical_tables(mini_run, tmp_path):
    """The bundle's reproduce.sh reruns the cohort in a fresh directory on one core (the first
    run used two) and checks every table and figure against the bundle's checksums."""
    first = mini_run / "results" / "mini"
    bundle = first / "provenance"
    versions = json.loads((bundle / "versions.json").read_text())
    assert versions["git"]["commit"] and versions["seeds"] == {
        "cohorts.mini.simulate.seed": 314, "copy_number.seed": 1}  # fmt: skip
    assert versions["packages"]["pysam"] and versions["packages"]["snakemake"]
    checked = (bundle / "checksums.sha256").read_text().splitlines()
    names = {line.split("  ", 1)[1] for line in checked}
    assert "results/mini/patients.tsv" in names and "results/mini/relapse/cir.tsv" in names
    assert any(name.endswith(".png") for name in names)
    assert len(names) == len(
        [p for p in first.rglob("*") if p.suffix in (".tsv", ".seg", ".png")
         and "provenance" not in p.parts]
    )  # fmt: skip
    result = run_reproduce(bundle, tmp_path / "rerun", 1)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cohort mini: every checked table and figure is identical" in result.stdout
    second = tmp_path / "rerun" / "results" / "mini"
    for bam in sorted((first / "simulated" / "bam").glob("*.bam")):
        assert digest(bam) == digest(second / "simulated" / "bam" / bam.name), bam.name
    # and the check can fail: a changed table is reported
    patients = second / "patients.tsv"
    patients.write_text(patients.read_text().replace("wildtype", "deleted", 1))
    check = subprocess.run(["sha256sum", "--check", "--quiet", str(bundle / "checksums.sha256")],
                           cwd=tmp_path / "rerun", capture_output=True, text=True)  # fmt: skip
    assert check.returncode != 0 and "results/mini/patients.tsv: FAILED" in check.stdout


def test_patients_table_and_report_cover_every_patient(mini_run):
    results = mini_run / "results" / "mini"
    clinical = pd.read_csv(results / "simulated" / "clinical.tsv", sep="\t")
    patients = pd.read_csv(results / "patients.tsv", sep="\t", keep_default_na=False)
    assert list(patients["patient_id"]) == list(clinical["patient_id"])
    assert set(patients["ikzf1_status"]) <= {"deleted", "wildtype", "not_assessable"}
    samples = pd.read_csv(results / "simulated" / "samples.tsv", sep="\t")
    with_dna = set(samples.loc[samples["dna_bam"].notna(), "patient_id"].dropna())
    dna_rows = patients["patient_id"].isin(with_dna)
    for column in ("cdkn2a", "cdkn2b", "pax5", "par1", "erg"):
        # empty: not assessable from DNA (and always so for the RNA-only patient)
        assert set(patients.loc[dna_rows, column]) <= {"none", "mono", "bi", ""}
        assert set(patients.loc[~dna_rows, column]) == {""}
    assert (patients.loc[dna_rows, "dna_evidence"] == "BAM").all()
    assert (patients.loc[~dna_rows, "dna_evidence"] == "").all()
    for patient in sorted(with_dna):
        sample = results / "copy_number" / f"{patient}_T"
        assert (sample / "exon_ratios.png").read_bytes().startswith(b"\x89PNG")
        seg = (sample / "segments.seg").read_text().splitlines()
        assert seg[0].split("\t")[:3] == ["ID", "chrom", "loc.start"]
    report = (results / "report.html").read_text()
    assert "<img" in report and "data:image/png;base64," in report
    assert "http://" not in report and "https://" not in report
    for table in ("cir", "gray", "finegray", "frequency", "dropped_patients"):
        assert (results / "relapse" / f"{table}.tsv").is_file()


def test_rna_evidence_joins_the_patients_table(mini_run):
    """Three patients have RNA-seq, one of them RNA only: each has its RNA tables and sashimi,
    the RNA-only patient's IKZF1 call comes from RNA, and RNA calls match the truth."""
    results = mini_run / "results" / "mini"
    samples = pd.read_csv(results / "simulated" / "samples.tsv", sep="\t")
    rna = samples[samples["rna_bam"].notna()]
    assert len(rna) == 3
    patients = pd.read_csv(results / "patients.tsv", sep="\t", keep_default_na=False)
    truth = pd.read_csv(results / "simulated" / "truth_patients.tsv", sep="\t",
                        keep_default_na=False)  # fmt: skip
    merged = patients.merge(truth, on="patient_id", suffixes=("", "_truth")).set_index("patient_id")
    for record in rna.itertuples():
        folder = results / "rna" / record.sample_id
        assert (folder / "sashimi.png").read_bytes().startswith(b"\x89PNG")
        junctions = pd.read_csv(folder / "junctions.tsv", sep="\t")
        assert (junctions["gene"] == "IKZF1").any()
        row = merged.loc[record.patient_id]
        assert row["rna_sample_id"] == record.sample_id
        if row["ikzf1_class_truth"] in ("del4-7", "del2-7", "del2-8", "del4-8", ""):
            # every class but whole-gene loss shows in RNA (the truth of the RNA simulator is
            # the DNA truth; a wildtype patient has no aberrant isoform)
            assert row["rna_ikzf1_class"] == row["ikzf1_class_truth"], row
        if pd.isna(record.dna_bam):
            assert row["dna_rna_agreement"] == "rna_only"
            assert row["ikzf1_status"] == row["rna_ikzf1_status"]
        else:
            assert row["dna_rna_agreement"] in ("agree", "disagree", "dna_only")
    no_rna = merged[~merged.index.isin(rna["patient_id"])]
    assert (no_rna["dna_rna_agreement"] == "dna_only").all()
    assert (no_rna["integration_note"] == "no RNA").all()
    counts = pd.read_csv(results / "rna" / "expression_counts.tsv", sep="\t")
    assert list(counts.columns) == ["gene", *rna["sample_id"]]


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


def _gene_exons(gene):
    models = pd.read_csv(REPO / "resources" / "gene_models_GRCh38.tsv", sep="\t")
    return models[models["gene"] == gene].set_index("exon")


CHROM_LENGTHS = {"chr7": 159_345_973, "chr9": 138_394_717, "chr21": 46_709_983,
                 "chrX": 156_040_895}  # fmt: skip
# a clonal monoallelic loss in 90% blasts: copy ratio 1 - 0.9 / 2
LOSS_LOG2 = float(np.log2(1 - 0.9 / 2))


def _segments(losses):
    """Contiguous segments over the test chromosomes, `losses` = {chrom: (start, end)}."""
    rows = []
    for chrom, length in CHROM_LENGTHS.items():
        if chrom in losses:
            start, end = losses[chrom]
            rows += [(chrom, 1, start - 1, 0.0), (chrom, start, end, LOSS_LOG2),
                     (chrom, end + 1, length, 0.0)]  # fmt: skip
        else:
            rows.append((chrom, 1, length, 0.0))
    return rows


def write_segment_cohort(tmp_path):
    """SEG and CNVkit tables of three tumours and their sheets (see the test below); returns
    the config."""
    ikzf1, cdkn2a = _gene_exons("IKZF1"), _gene_exons("CDKN2A")
    # breakpoints mid-intron 3 and mid-intron 7
    del47 = ((ikzf1.loc[3, "end"] + ikzf1.loc[4, "start"]) // 2,
             (ikzf1.loc[7, "end"] + ikzf1.loc[8, "start"]) // 2)  # fmt: skip
    cdkn2a_loss = (cdkn2a["start"].min() - 20_000, cdkn2a["end"].max() + 20_000)
    seg_rows = [("P1_T", *row) for row in _segments({"chr7": del47, "chr9": cdkn2a_loss})]
    seg_rows += [("P2_T", *row) for row in _segments({})]
    seg = pd.DataFrame(seg_rows, columns=["ID", "chrom", "loc.start", "loc.end", "seg.mean"])
    seg.insert(4, "num.mark", 40)
    seg.to_csv(tmp_path / "cohort.seg", sep="\t", index=False)
    whole = (ikzf1["start"].min() - 100_000, ikzf1["end"].max() + 100_000)
    cns = pd.DataFrame(_segments({"chr7": whole}), columns=["chromosome", "start", "end", "log2"])
    cns["start"] -= 1  # CNVkit writes 0-based starts
    cns.to_csv(tmp_path / "P3_T.cns", sep="\t", index=False)
    bins = []
    for chrom, start, end, log2 in _segments({"chr7": whole}):
        edges = np.linspace(start - 1, end, 41).astype(int)
        for k, (left, right) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
            bins.append((chrom, left, right, log2 + (0.08 if k % 2 else -0.08), 1.0))
    pd.DataFrame(bins, columns=["chromosome", "start", "end", "log2", "weight"]).to_csv(
        tmp_path / "P3_T.cnr", sep="\t", index=False
    )
    (tmp_path / "samples.tsv").write_text(
        "sample_id\tpatient_id\trole\tcnvkit_cns\tcnvkit_cnr\tblast_percent\tsex\n"
        "P1_T\tP1\ttumor\t\t\t90\tfemale\n"
        "P2_T\tP2\ttumor\t\t\t90\tfemale\n"
        "P3_T\tP3\ttumor\tP3_T.cns\tP3_T.cnr\t90\tfemale\n"
    )
    (tmp_path / "clinical.tsv").write_text("patient_id\tsex\nP1\tfemale\nP2\tfemale\nP3\tfemale\n")
    config = {"cohorts": {"segs": {"build": "GRCh38", "samples": "samples.tsv",
                                   "clinical": "clinical.tsv", "seg": "cohort.seg"}}}  # fmt: skip
    return config


def test_seg_and_cnvkit_inputs_give_the_same_calls_without_bams(tmp_path):
    """A cohort without BAMs: two patients from a multi-sample SEG, one from CNVkit files.
    The truth is how the segments were written: del4-7 with a CDKN2A loss (IKZF1plus),
    wildtype, and a focal whole-gene loss."""
    config = write_segment_cohort(tmp_path)
    result = run_snakemake(tmp_path, config, "--cores", "2", "results/segs/patients.tsv")
    assert result.returncode == 0, result.stdout + result.stderr
    patients = pd.read_csv(tmp_path / "results/segs/patients.tsv", sep="\t", dtype=str,
                           keep_default_na=False).set_index("patient_id")  # fmt: skip
    p1, p2, p3 = (patients.loc[p] for p in ("P1", "P2", "P3"))
    assert (p1["dna_evidence"], p1["ikzf1_class"], p1["ikzf1_exons_deleted"]) == (
        "SEG", "del4-7", "4,5,6,7")  # fmt: skip
    assert (p1["cdkn2a"], p1["ikzf1plus"], p1["ikzf1_focal"]) == ("mono", "true", "true")
    assert float(p1["ikzf1_fraction"]) == pytest.approx(0.9, abs=0.05)
    assert (p2["dna_evidence"], p2["ikzf1_status"], p2["ikzf1plus"]) == ("SEG", "wildtype", "false")
    assert (p3["dna_evidence"], p3["ikzf1_class"], p3["ikzf1_focal"]) == (
        "CNVkit",
        "del1-8",
        "true",
    )
    assert (tmp_path / "results/segs/copy_number/P3_T/cnvkit/exon_ratios.png").is_file()
    assert (tmp_path / "results/segs/copy_number/P1_T/seg/segments.seg").is_file()


def test_a_bundle_of_real_sheets_reruns_without_the_original_tables(tmp_path):
    """A cohort of sheets, a SEG and CNVkit files: the bundle copies the tables, points its
    sheets at the copies, and reruns from a bundle moved elsewhere after the originals are
    gone; the report links to the bundle."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    config = write_segment_cohort(run_dir)
    (run_dir / "clinical.tsv").write_text(
        "patient_id\tsex\tage_years\twbc\tmrd_eoi\tfollowup_years\tevent\n"
        "P1\tfemale\t4\t12\t0.01\t2.5\trelapse\n"
        "P2\tfemale\t6\t30\t0\t7.1\tcensored\n"
        "P3\tfemale\t9\t80\t0.001\t5.2\tcensored\n"
    )
    result = run_snakemake(run_dir, config, "--cores", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    bundle = run_dir / "results" / "segs" / "provenance"
    samples = pd.read_csv(bundle / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert list(samples["cnvkit_cns"]) == ["", "", "bundle/inputs/P3_T.cnvkit_cns.P3_T.cns"]
    copied = bundle / "inputs" / "P3_T.cnvkit_cns.P3_T.cns"
    assert copied.read_bytes() == (run_dir / "P3_T.cns").read_bytes()
    bundled = yaml.safe_load((bundle / "config.yaml").read_text())["cohorts"]["segs"]
    assert bundled["seg"] == "bundle/inputs/seg.cohort.seg"
    assert bundled["samples"] == "bundle/samples.tsv"
    assert (bundle / "clinical.tsv").read_bytes() == (run_dir / "clinical.tsv").read_bytes()
    assert (bundle / "resources" / "panel_GRCh38.tsv").is_file()
    assert not list((bundle / "resources").glob("*GRCh37*"))
    report = (run_dir / "results" / "segs" / "report.html").read_text()
    assert '<a href="provenance/checksums.sha256">' in report
    moved = shutil.copytree(bundle, tmp_path / "elsewhere" / "bundle")
    for name in ("cohort.seg", "P3_T.cns", "P3_T.cnr", "samples.tsv", "clinical.tsv"):
        (run_dir / name).unlink()
    result = run_reproduce(moved, tmp_path / "rerun", 2)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cohort segs: every checked table and figure is identical" in result.stdout


def test_a_cohort_with_rna_seq_only_gets_its_calls_from_rna(tmp_path):
    """No genome data at all (no normals, every tumour RNA only): no coverage, reference or
    copy-number job runs, and every patient's IKZF1 call is the RNA call."""
    settings = {"seed": 11, "patients": 8, "panel_normals": 0, "matched_normals": 0,
                "rna_fraction": 1.0, "rna_only_fraction": 1.0, "ikzf1_rate": 0.5}  # fmt: skip
    config = {"cohorts": {"rnaonly": {"build": "GRCh38", "simulate": settings}}}
    result = run_snakemake(tmp_path, config, "--cores", "2", "results/rnaonly/patients.tsv")
    assert result.returncode == 0, result.stdout + result.stderr
    results = tmp_path / "results" / "rnaonly"
    assert not (results / "coverage").exists() and not (results / "copy_number").exists()
    patients = pd.read_csv(results / "patients.tsv", sep="\t", keep_default_na=False)
    truth = pd.read_csv(results / "simulated" / "truth_patients.tsv", sep="\t",
                        keep_default_na=False)  # fmt: skip
    merged = patients.merge(truth, on="patient_id", suffixes=("", "_truth"))
    assert len(merged) == 8 and (merged["dna_rna_agreement"] == "rna_only").all()
    assert (merged["ikzf1_status"] == merged["rna_ikzf1_status"]).all()
    visible = merged[merged["ikzf1_class_truth"] != "del1-8"]  # a silent allele shows no RNA
    assert (visible["ikzf1_class"] == visible["ikzf1_class_truth"]).all(), visible
    assert (merged["ikzf1_class_truth"] != "").any()  # the check above saw a deletion


def test_a_run_killed_in_the_copy_number_step_resumes_to_identical_outputs(mini_run, tmp_path):
    """kill -9 of the whole run while the copy-number job works; after `--unlock` the same
    command (the profile sets --rerun-incomplete) finishes with every table and figure equal
    to an uninterrupted run's."""
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(MINI, sort_keys=False))
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(tmp_path), "--configfile", str(config_path),
               "--cores", "2"]  # fmt: skip
    env = dict(os.environ, PYTHONHASHSEED="0")
    log = tmp_path / "logs" / "mini" / "call_copy_number" / "batch_1.log"
    with (tmp_path / "first.out").open("w") as out:
        run = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 600
        while not (log.is_file() and "IKZF1" in log.read_text()) and run.poll() is None:
            assert time.monotonic() < deadline, "the copy-number step never started"
            time.sleep(0.05)
        assert run.poll() is None, (tmp_path / "first.out").read_text()
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert not (tmp_path / "results" / "mini" / "patients.tsv").exists()
    locked = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    unlock = subprocess.run([*command, "--unlock"], capture_output=True, text=True, env=env)
    assert unlock.returncode == 0, unlock.stdout + unlock.stderr
    resumed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "call_copy_number_mini_1" in resumed.stdout + resumed.stderr  # run again, not skipped
    check = subprocess.run(
        ["sha256sum", "--check", "--quiet",
         str(mini_run / "results" / "mini" / "provenance" / "checksums.sha256")],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_report_in_a_real_browser(mini_run):
    """Headless Chromium at 1280 px: no JavaScript error, nothing wider than the window, every
    figure decoded, the patient table sorts and filters, and printing gives a PDF of a sane
    length. The first screen is kept as results/mini/report_first_screen.png."""
    from selenium import webdriver
    from selenium.webdriver.common.by import By

    report = mini_run / "results" / "mini" / "report.html"
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.get(report.as_uri())
        assert driver.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        ), "the page is wider than the window"
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
        )
        assert len(images) >= 8 and all(done and width > 0 for done, width in images)
        driver.save_screenshot(str(report.with_name("report_first_screen.png")))
        table = driver.find_element(By.CSS_SELECTOR, "table.patients")
        first_column = (
            "return Array.from(document.querySelectorAll('table.patients tbody tr'))"
            ".filter(r => r.style.display !== 'none').map(r => r.cells[0].textContent)"
        )
        shown = driver.execute_script(first_column)
        assert len(shown) == 6
        header = table.find_elements(By.TAG_NAME, "th")[0]
        header.click()
        header.click()  # second click: descending
        assert driver.execute_script(first_column) == sorted(shown, reverse=True)
        driver.find_element(By.ID, "patient-filter").send_keys(shown[2])
        assert driver.execute_script(first_column) == [shown[2]]
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()
    pdf = mini_run / "report.pdf"
    subprocess.run(
        [shutil.which("chromium"), "--headless=new", "--no-sandbox", "--disable-gpu",
         f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert 8 <= pages <= 60, pages

"""The rule scripts end to end on a simulated cohort: tables, report page and provenance."""

import hashlib
import json
import re
import runpy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ikaros.outcome_simulation import OutcomeModel, simulate_cohort, true_cir_by_group
from ikaros.relapse.analysis import TABLE_FILES
from ikaros.relapse.report import fold_constant_columns, read_tsv

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"
CALL_COLUMNS = ["ikzf1_status", "ikzf1_class", "ikzf1plus", "ikzf1plus_focal"]


def run_script(name, **sections):
    runpy.run_path(str(SCRIPTS / name), init_globals={"snakemake": SimpleNamespace(**sections)})


@pytest.fixture(scope="module")
def cohort_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort")
    model = OutcomeModel()
    # Seed of the demo config; each 95% CI covers its truth with probability ~0.95.
    cohort = simulate_cohort(688, seed=20261124, model=model)
    clinical = cohort.drop(columns=CALL_COLUMNS + ["true_cif_5y"])
    clinical.loc[0, "followup_years"] = np.nan  # a patient without follow-up
    clinical.to_csv(root / "clinical.tsv", sep="\t", index=False)
    cohort[["patient_id"] + CALL_COLUMNS].to_csv(root / "patients.tsv", sep="\t", index=False)
    relapse = root / "results" / "relapse"
    outputs = {key: str(relapse / name) for key, name in TABLE_FILES.items()}
    run_script(
        "relapse_analysis.py",
        input=SimpleNamespace(
            clinical=str(root / "clinical.tsv"),
            patients=str(root / "patients.tsv"),
            risk_groups=str(REPO / "resources" / "subtype_risk_groups.tsv"),
        ),
        params=SimpleNamespace(relapse={"horizon_years": 5}),
        output=SimpleNamespace(**outputs, figures=str(relapse / "figures")),
        log=[str(root / "analysis.log")],
    )
    report = root / "results" / "report.html"
    run_script(
        "relapse_report.py",
        input=SimpleNamespace(
            cir=outputs["cir"],
            figures=str(relapse / "figures"),
            clinical=str(root / "clinical.tsv"),
            patients=str(root / "patients.tsv"),
            validation_cir=outputs["cir"],
        ),
        params=SimpleNamespace(
            cohort="discovery",
            relapse={"horizon_years": 5},
            config={"cohorts": {"discovery": {}}},
            validation_name="validation",
        ),
        output=SimpleNamespace(report=str(report), provenance=str(root / "results" / "prov.json")),
        log=[str(root / "report.log")],
    )
    return SimpleNamespace(root=root, cohort=cohort, model=model, relapse=relapse, report=report)


def test_report_is_one_self_contained_page(cohort_run):
    page = cohort_run.report.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"https?://|<link|<script[^>]*src|@import|url\(", page)
    sources = re.findall(r'src="([^"]*)"', page)
    index = read_tsv(cohort_run.relapse / "figures" / "figures.tsv")
    assert len(sources) == len(index) >= 10  # 5 CIR + 3 forest + bar + oncoprint
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    for heading in ("Cohort summary", "Methods", "Cumulative incidence of relapse at 5 years",
                    "Gray&#x27;s test", "Fine-Gray models", "Per-patient table",
                    "Validation: discovery and validation"):  # fmt: skip
        assert heading in page
    assert "lifelines 0.30.3" in page and "time origin" in page
    assert page.count("P0002") >= 1 and "no follow-up time" in page


def test_dropped_patient_is_listed_and_tables_are_written(cohort_run):
    dropped = read_tsv(cohort_run.relapse / "dropped_patients.tsv")
    assert dropped["patient_id"].tolist() == ["P0001"]
    patients = read_tsv(cohort_run.relapse / "analysis_patients.tsv")
    assert len(patients) == 687
    for name in TABLE_FILES.values():
        assert (cohort_run.relapse / name).stat().st_size > 0
    log = (cohort_run.root / "analysis.log").read_text()
    assert "P0001 dropped" in log


def test_provenance_records_settings_inputs_versions_and_commit(cohort_run):
    record = json.loads((cohort_run.root / "results" / "prov.json").read_text())
    assert record["relapse_settings"]["horizon_years"] == 5
    assert record["versions"]["lifelines"] == "0.30.3"
    digest = hashlib.sha256((cohort_run.root / "clinical.tsv").read_bytes()).hexdigest()
    assert record["inputs"]["clinical"]["sha256"] == digest
    assert set(record["git"]) == {"commit", "modified"}
    assert record["config"] == {"cohorts": {"discovery": {}}}


def test_headline_cir_covers_the_simulated_truth(cohort_run):
    cir = read_tsv(cohort_run.relapse / "cir.tsv")
    cir = cir[cir["comparison"] == "IKZF1 alteration"].set_index("group")
    cohort = cohort_run.cohort
    altered = np.where(cohort["ikzf1_status"] == "deleted", "IKZF1 altered", "IKZF1 not altered")
    truth = true_cir_by_group(cohort, cohort_run.model, altered, 5.0)
    for group in ("IKZF1 altered", "IKZF1 not altered"):
        row = cir.loc[group]
        assert row["ci_lower"] <= truth[group] <= row["ci_upper"], (group, row, truth[group])
    assert cir.loc["IKZF1 altered", "cir"] > cir.loc["IKZF1 not altered", "cir"]


def test_headline_shr_cover_the_simulated_truth(cohort_run):
    # The model "IKZF1 alteration and IKZF1plus" has the simulator's form; the risk-group table
    # groups subtypes as the simulator does, so every sHR has a true value.
    fg = read_tsv(cohort_run.relapse / "finegray.tsv")
    fg = fg[(fg["model"] == "IKZF1 alteration and IKZF1plus") & (fg["note"] != "reference")]
    shr = cohort_run.model.shr
    truth = {
        ("IKZF1 alteration", "yes"): shr["ikzf1_altered"],
        ("IKZF1plus", "yes"): shr["ikzf1plus"],
        ("Subtype group", "unfavourable"): shr["subtype_unfavourable"],
        ("Subtype group", "favourable"): shr["subtype_favourable"],
        ("MRD end of induction", ">= 0.0001"): shr["mrd_positive"],
        ("Age", ">= 10"): shr["age_ge_10"],
        ("WBC", ">= 50"): shr["wbc_ge_50"],
    }
    assert len(fg) == len(truth)
    for row in fg.itertuples(index=False):
        true = truth[(row.term, row.level)]
        assert row.ci_lower <= true <= row.ci_upper, (row.term, row.level, true)


def test_bad_clinical_sheet_fails_with_the_row(tmp_path):
    clinical = pd.DataFrame({"patient_id": ["A"], "followup_years": [2.0], "event": ["relapsed?"]})
    clinical.to_csv(tmp_path / "c.tsv", sep="\t", index=False)
    pd.DataFrame({"patient_id": ["A"], "ikzf1_status": ["wildtype"]}).to_csv(
        tmp_path / "p.tsv", sep="\t", index=False
    )
    relapse = tmp_path / "relapse"
    with pytest.raises(ValueError, match=r"c\.tsv: row 2 \(patient A\), column event"):
        run_script(
            "relapse_analysis.py",
            input=SimpleNamespace(
                clinical=str(tmp_path / "c.tsv"),
                patients=str(tmp_path / "p.tsv"),
                risk_groups=str(REPO / "resources" / "subtype_risk_groups.tsv"),
            ),
            params=SimpleNamespace(relapse={}),
            output=SimpleNamespace(
                **{k: str(relapse / n) for k, n in TABLE_FILES.items()},
                figures=str(relapse / "figures"),
            ),
            log=[str(tmp_path / "log")],
        )
    assert not relapse.exists()


def test_tumour_bams_that_failed_qc_are_flagged_in_the_report(cohort_run):
    from ikaros.relapse.report import build_report, load_results
    from ikaros.relapse.settings import RelapseSettings

    patients = cohort_run.cohort[["patient_id", *CALL_COLUMNS]].astype(str).assign(notes="")
    patients.loc[4, ["ikzf1_status", "notes"]] = [
        "not_assessable", "DNA failed QC (low_depth): 812 fragments (min 1000), ...",
    ]  # fmt: skip
    page = build_report("discovery", load_results(cohort_run.relapse), RelapseSettings(), {},
                        patients=patients, bundle="provenance")  # fmt: skip
    section = page.split("<h2>Tumour BAMs that failed QC</h2>", 1)[1].split("<h2>", 1)[0]
    assert "P0005" in section and "DNA failed QC (low_depth)" in section
    assert section.count("</tr>") == 2  # header and the one patient
    assert '<a href="provenance/checksums.sha256">' in page
    assert "Tumour BAMs that failed QC" not in build_report(
        "discovery", load_results(cohort_run.relapse), RelapseSettings(), {},
        patients=patients.assign(notes=""),
    )  # fmt: skip


def test_p_values_are_printed_as_a_paper_prints_them():
    from ikaros.relapse.report import format_p

    assert [format_p(v) for v in (0.00037, 0.001, 0.0371, 0.15, 0.5, float("nan"))] == [
        "< 0.001", "0.0010", "0.037", "0.15", "0.50", ""]  # fmt: skip


def test_report_opens_with_findings_written_from_the_tables(cohort_run):
    """The first section states each comparison's 5-year CIR +- SE per group and Gray's P, and
    each model's adjusted sHR, as the TSVs hold them; the Fine-Gray section has one table per
    model with the reference level marked; every raw table is a download inside the page."""
    import base64
    import html

    page = html.unescape(cohort_run.report.read_text())
    assert page.index("<h2>Findings</h2>") < page.index("<h2>Cohort summary</h2>")
    findings = page.split("<h2>Findings</h2>", 1)[1].split("<h3>", 1)[0]
    cir = read_tsv(cohort_run.relapse / "cir.tsv")
    rows = cir[cir["comparison"] == "IKZF1 alteration"].set_index("group")
    gray = read_tsv(cohort_run.relapse / "gray.tsv")
    p = gray[(gray["comparison"] == "IKZF1 alteration") & (gray["cause"] == "relapse")]
    altered, not_altered = rows.loc["IKZF1 altered"], rows.loc["IKZF1 not altered"]
    expected = (
        f"IKZF1 alteration: 5-year CIR {100 * not_altered.cir:.1f}% ± {100 * not_altered.se:.1f}% "
        f"(IKZF1 not altered, n = {not_altered.n}) vs {100 * altered.cir:.1f}% ± "
        f"{100 * altered.se:.1f}% (IKZF1 altered, n = {altered.n}); Gray's P "
    )
    assert expected in findings, findings
    assert float(p["p_value"].iloc[0]) < 0.001 and expected + "< 0.001." in findings
    fg = read_tsv(cohort_run.relapse / "finegray.tsv")
    first = fg[(fg["model"] == "IKZF1 del4-7") & (fg["note"] != "reference")].iloc[0]
    assert (
        f"Fine-Gray model IKZF1 del4-7: IKZF1 del4-7 yes vs no, adjusted sHR {first.shr:.2f} "
        f"(95% CI {first.ci_lower:.2f}-{first.ci_upper:.2f}), P = " in findings
    )
    section = page.split("<h2>Fine-Gray models</h2>", 1)[1].split("<h2>", 1)[0]
    assert section.count("<h3>") == fg["model"].nunique() == 4
    assert section.count('<div class="model">') == section.count("<img") == 4  # forest beside
    assert "no (reference)" in section and "True" not in section
    link = section.split('download="finegray.tsv" href="data:text/tab-separated-values;base64,')
    decoded = base64.b64decode(link[1].split('"', 1)[0]).decode()
    assert decoded.splitlines()[0].split("\t")[:3] == ["model", "term", "level"]
    assert len(decoded.splitlines()) == len(fg) + 1
    table = page.split("Cumulative incidence of relapse at 5 years</h2>", 1)[1].split("<h2>")[0]
    assert f"{100 * altered.cir:.1f}% ({100 * altered.ci_lower:.1f}%-" in table
    assert "0.0462" not in table


def test_table_one_follows_the_summary(cohort_run):
    import html

    page = html.unescape(cohort_run.report.read_text())
    section = page.split("<h2>Table 1: patient characteristics by IKZF1 status</h2>", 1)[1]
    section = section.split("<h2>", 1)[0]
    patients = read_tsv(cohort_run.relapse / "analysis_patients.tsv")
    altered = int((patients["ikzf1_altered"] == 1).sum())
    assert f"IKZF1 altered (n = {altered})" in section
    assert "median (IQR)" in section and "Wilcoxon" in section and "Fisher" in section


def test_columns_equal_in_every_row_become_one_line_above_the_table():
    gray = pd.DataFrame({
        "comparison": ["IKZF1", "IKZF1plus"], "cause": [1, 1], "n": [688, 688],
        "P": ["< 0.001", "0.021"], "note": ["", ""],
    })  # fmt: skip
    table, lines = fold_constant_columns(gray)
    assert list(table.columns) == ["comparison", "P"]
    assert lines == ["cause: 1", "n: 688"]  # the empty note column is dropped unannounced
    one_row = gray.iloc[:1]
    assert fold_constant_columns(one_row) == (one_row, [])  # nothing to compare a row with
    same = pd.DataFrame({"a": [1, 1], "b": ["x", "x"]})
    assert fold_constant_columns(same)[0] is same  # a table is never folded away entirely


def test_frequencies_are_one_row_per_subtype_with_counts_and_percentages():
    """frequency.tsv rows (section, subtype, level, n, denominator, percent) become one row per
    subtype with "n (percent)" per alteration; a class absent in a subtype reads 0, a class
    absent everywhere is no column, and the two-way IKZF1 class split is left to the TSV."""
    from ikaros.relapse.report import frequency_display

    rows = [
        ("IKZF1 alteration", "all", "IKZF1 altered", 3, 8),
        ("IKZF1 class", "all", "del4-7", 2, 8),
        ("IKZF1 deletion class", "all", "del4-7", 2, 8),
        ("IKZF1 deletion class", "all", "del1-8", 1, 8),
        ("IKZF1plus", "all", "IKZF1plus", 1, 8),
        ("IKZF1plus", "all", "IKZF1plus focal", 0, 8),
        ("IKZF1 alteration", "BCR::ABL1", "IKZF1 altered", 1, 3),
        ("IKZF1 class", "BCR::ABL1", "del4-7", 1, 3),
        ("IKZF1 deletion class", "BCR::ABL1", "del4-7", 1, 3),
        ("IKZF1plus", "BCR::ABL1", "IKZF1plus", 0, 3),
        ("IKZF1plus", "BCR::ABL1", "IKZF1plus focal", 0, 3),
    ]
    frequency = pd.DataFrame(rows, columns=["section", "subtype", "level", "n", "denominator"])
    frequency["percent"] = 100 * frequency["n"] / frequency["denominator"]
    table = frequency_display(frequency)
    assert list(table.columns) == [
        "subtype", "patients", "IKZF1 altered", "del4-7", "del1-8", "IKZF1plus",
        "IKZF1plus focal",
    ]  # fmt: skip
    assert table.iloc[0].tolist() == [
        "all", 8, "3 (37.5%)", "2 (25.0%)", "1 (12.5%)", "1 (12.5%)", "0 (0.0%)"]  # fmt: skip
    assert table.iloc[1].tolist() == [
        "BCR::ABL1", 3, "1 (33.3%)", "1 (33.3%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)"]  # fmt: skip


def test_survival_is_printed_in_percent_with_one_log_rank_p_per_comparison():
    from ikaros.relapse.report import survival_display

    survival = pd.DataFrame({
        "endpoint": ["event-free survival"] * 3, "comparison": ["IKZF1", "IKZF1", "plus"],
        "group": ["no", "yes", "no"], "n": [76, 24, 90], "events": [9, 5, 12],
        "horizon_years": 5, "survival": [0.8939271, 0.875, 0.9],
        "ci_lower": [0.7989996, 0.6607553, np.nan], "ci_upper": [0.9455086, 0.9578821, np.nan],
        "estimable": ["true", "true", "false"], "logrank_statistic": [1.02, 1.02, 0.5],
        "logrank_df": 1, "logrank_p": [0.3125674, 0.3125674, 0.00012], "note": ["", "", "x"],
    })  # fmt: skip
    table = survival_display(survival)
    assert table["survival (95% CI)"].tolist() == ["89.4% (79.9%-94.6%)", "87.5% (66.1%-95.8%)", ""]
    assert table["log-rank P"].tolist() == ["0.31", "", "< 0.001"]
    assert table["comparison"].tolist() == ["IKZF1", "", "plus"]
    assert table["endpoint"].tolist() == ["event-free survival", "", ""]

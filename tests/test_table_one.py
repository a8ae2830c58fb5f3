"""Table 1 by IKZF1 status: counts, medians and P values, checked against R (fisher.test,
chisq.test, wilcox.test with exact = FALSE) on the same patients."""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from ikaros.relapse.table_one import table_one

R_TESTS = """
d <- read.delim(commandArgs(trailingOnly = TRUE)[1])
d <- d[!is.na(d$ikzf1_altered), ]
a <- d$ikzf1_altered == 1
cat(sprintf("%.17g", c(fisher.test(table(a, d$sex))$p.value,
    chisq.test(table(a, d$subtype_group), correct = FALSE)$p.value,
    wilcox.test(d$age_years[a], d$age_years[!a], exact = FALSE, correct = TRUE)$p.value,
    wilcox.test(d$wbc[a], d$wbc[!a], exact = FALSE, correct = TRUE)$p.value,
    fisher.test(table(a, d$mrd_eoi >= 1e-4))$p.value)), sep = "\\n")
"""


def cohort(n=240, seed=9):
    rng = np.random.default_rng(seed)
    altered = rng.random(n) < 0.3
    frame = pd.DataFrame({
        "patient_id": [f"P{i:03d}" for i in range(n)],
        "ikzf1_altered": np.where(altered, 1.0, 0.0),
        "age_years": np.round(rng.gamma(2.0, 3.0, n) + 2.0 * altered, 1),  # ties on purpose
        "sex": np.where(rng.random(n) < 0.45 + 0.15 * altered, "male", "female"),
        "wbc": np.round(rng.lognormal(3.0, 1.0, n), 0),
        "mrd_eoi": np.where(rng.random(n) < 0.2 + 0.2 * altered, 1e-3, 0.0),
        "subtype_group": rng.choice(["favourable", "intermediate", "unfavourable"], n,
                                    p=[0.5, 0.3, 0.2]),
        "ikzf1plus": np.where(altered & (rng.random(n) < 0.4), 1.0, 0.0),
    })  # fmt: skip
    frame.loc[[3, 17], "ikzf1_altered"] = np.nan  # status unknown: left out
    frame.loc[[5, 40], "wbc"] = np.nan  # a characteristic missing: counted
    return frame


def test_counts_and_medians_by_hand():
    patients = cohort()
    table = table_one(patients)
    known = patients[patients["ikzf1_altered"].notna()]
    altered = known[known["ikzf1_altered"] == 1]
    assert table.iloc[0].tolist()[:4] == ["Patients", "", str(len(altered)),
                                          str(len(known) - len(altered))]  # fmt: skip
    sex = table[table["characteristic"].eq("Sex") | table["level"].isin(["male"])]
    females = int((altered["sex"] == "female").sum())
    assert sex.iloc[0]["altered"] == f"{females} ({100 * females / len(altered):.1f}%)"
    age = table[table["characteristic"] == "Age, years"].iloc[0]
    q1, median, q3 = np.percentile(altered["age_years"], [25, 50, 75])
    assert age["altered"] == f"{median:.1f} ({q1:.1f}-{q3:.1f})"
    missing = table[(table["level"] == "missing")]
    assert len(missing) == 1  # the two missing WBCs, in their own row
    assert int(missing.iloc[0]["altered"]) + int(missing.iloc[0]["not_altered"]) == 2


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not on PATH")
def test_p_values_equal_r(tmp_path):
    patients = cohort()
    patients.to_csv(tmp_path / "patients.tsv", sep="\t", index=False, na_rep="NA")
    (tmp_path / "tests.R").write_text(R_TESTS)
    out = subprocess.run(["Rscript", str(tmp_path / "tests.R"), str(tmp_path / "patients.tsv")],
                         capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    r_sex, r_subtype, r_age, r_wbc, r_mrd = map(float, out)
    table = table_one(patients)
    p = table.set_index("characteristic")["p_value"]
    assert p["Sex"] == pytest.approx(r_sex, rel=1e-9)
    assert p["Subtype group"] == pytest.approx(r_subtype, rel=1e-9)
    assert p["Age, years"] == pytest.approx(r_age, rel=1e-9)
    assert p["WBC at diagnosis, x10^9/L"] == pytest.approx(r_wbc, rel=1e-9)
    assert p["End-of-induction MRD"] == pytest.approx(r_mrd, rel=1e-9)
    tests = table.set_index("characteristic")["test"]
    assert (tests["Sex"], tests["Subtype group"], tests["Age, years"]) == (
        "Fisher", "chi-squared", "Wilcoxon")  # fmt: skip

"""Table 1: patient characteristics by IKZF1 status, as the study's tables print them.

Counts with column percentages for categories, medians with interquartile ranges for numbers.
P values: Fisher's exact test for a 2 x 2 table, Pearson's chi-squared test (no continuity
correction) for larger ones, and the Wilcoxon rank-sum test (normal approximation with
continuity correction and tie correction) for numbers; these are R's ``fisher.test``,
``chisq.test`` and ``wilcox.test(exact = FALSE)``, against which the tests check them.
Patients whose IKZF1 status is unknown are left out; missing values of a characteristic are
counted in its own row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

# characteristic, analysis-table column, kind; MRD is split at the study's 0.01% (1e-4)
CHARACTERISTICS = (
    ("Age, years", "age_years", "number"),
    ("Sex", "sex", "category"),
    ("WBC at diagnosis, x10^9/L", "wbc", "number"),
    ("End-of-induction MRD", "mrd_eoi", "mrd"),
    ("Protocol", "protocol", "category"),
    ("Subtype group", "subtype_group", "category"),
    ("IKZF1plus", "ikzf1plus", "flag"),
)
MRD_THRESHOLD = 1e-4
TABLE_ONE_COLUMNS = ("characteristic", "level", "altered", "not_altered", "p_value", "test")


def _count(values: pd.Series, level) -> str:
    known = values.notna().sum()
    n = int((values == level).sum())
    return f"{n} ({100 * n / known:.1f}%)" if known else "0"


def _median_iqr(values: pd.Series) -> str:
    values = values.dropna()
    if values.empty:
        return ""
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return f"{median:.1f} ({q1:.1f}-{q3:.1f})"


def category_test(first: pd.Series, second: pd.Series) -> tuple[float, str]:
    """Fisher (2 x 2) or chi-squared test of two groups' categories (missing left out)."""
    levels = sorted(set(first.dropna()) | set(second.dropna()), key=str)
    table = np.array([[int((g == lv).sum()) for lv in levels] for g in (first, second)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return float("nan"), ""
    if table.shape == (2, 2):
        return float(stats.fisher_exact(table).pvalue), "Fisher"
    return float(stats.chi2_contingency(table, correction=False).pvalue), "chi-squared"


def number_test(first: pd.Series, second: pd.Series) -> tuple[float, str]:
    first, second = first.dropna(), second.dropna()
    if first.empty or second.empty:
        return float("nan"), ""
    result = stats.mannwhitneyu(first, second, use_continuity=True, method="asymptotic")
    return float(result.pvalue), "Wilcoxon"


def table_one(patients: pd.DataFrame) -> pd.DataFrame:
    """Characteristics of the analysis table's patients by `ikzf1_altered` (1 / 0)."""
    known = patients[patients["ikzf1_altered"].notna()]
    altered = known[known["ikzf1_altered"] == 1]
    other = known[known["ikzf1_altered"] == 0]
    rows = [("Patients", "", str(len(altered)), str(len(other)), np.nan, "")]
    for name, column, kind in CHARACTERISTICS:
        if column not in patients.columns:
            continue
        a, b = altered[column], other[column]
        if kind == "mrd":
            a, b = (v.where(v.isna(), np.where(v >= MRD_THRESHOLD, ">= 0.01%", "< 0.01%"))
                    for v in (a, b))  # fmt: skip
        if kind == "flag":
            a, b = (v.map({1: "yes", 0: "no"}) for v in (a, b))
        if kind == "number":
            p, test = number_test(a, b)
            rows.append((name, "median (IQR)", _median_iqr(a), _median_iqr(b), p, test))
        else:
            p, test = category_test(a, b)
            levels = sorted(set(a.dropna()) | set(b.dropna()), key=str)
            for k, level in enumerate(levels):
                first = k == 0  # the name and the test on the characteristic's first row
                counts = (_count(a, level), _count(b, level))
                rows.append((name if first else "", str(level), *counts,
                             p if first else np.nan, test if first else ""))  # fmt: skip
        missing = int(a.isna().sum()), int(b.isna().sum())
        if any(missing):
            rows.append(("", "missing", str(missing[0]), str(missing[1]), np.nan, ""))
    return pd.DataFrame(rows, columns=list(TABLE_ONE_COLUMNS))

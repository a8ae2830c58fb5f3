"""The relapse tables: frequency.tsv, cir.tsv, gray.tsv and finegray.tsv.

CIR is the Aalen-Johansen cumulative incidence with cmprsk's variance (``ikaros.competing_risks``);
its 95% CI uses the log(-log) transform, F^exp(+-z SE / (F log F)), which keeps the interval in
(0, 1). A group whose longest follow-up is shorter than the horizon has no CIR there ("not
estimable"), as in cmprsk's ``timepoints``. Fine-Gray models use cmprsk's sandwich variance; a
factor with several dummies gets a global Wald test from the covariance sub-matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from ikaros.competing_risks import CompetingRisksInputError, cuminc, fine_gray, gray_test
from ikaros.relapse.groups import ALTERED, DEL4_7, OTHER_DELETION
from ikaros.relapse.outcomes import COMPETING, RELAPSE
from ikaros.relapse.settings import RelapseSettings

FREQUENCY_COLUMNS = ("section", "subtype", "level", "n", "denominator", "percent")
CIR_COLUMNS = (
    "comparison", "group", "n", "relapses", "competing", "censored", "horizon_years", "cir", "se",
    "ci_lower", "ci_upper", "estimable", "note",
)  # fmt: skip
GRAY_COLUMNS = ("comparison", "cause", "groups", "n", "statistic", "df", "p_value", "note")
FINEGRAY_COLUMNS = (
    "model", "term", "level", "reference", "n", "events", "coef", "se", "shr", "ci_lower",
    "ci_upper", "p_value", "global_df", "global_p", "converged", "n_used", "n_omitted", "note",
)  # fmt: skip
CAUSE_NAMES = {RELAPSE: "relapse", COMPETING: "competing"}
EXPOSURE_LABELS = {
    "ikzf1_altered": "IKZF1 alteration",
    "ikzf1_del4_7": "IKZF1 del4-7",
    "ikzf1plus": "IKZF1plus",
    "ikzf1plus_focal": "IKZF1plus (focal IKZF1 deletion)",
}


def write_tsv(table: pd.DataFrame, path: str | Path) -> None:
    """TSV with empty cells for missing values, floats to 10 significant digits, true/false."""
    table = table.copy()
    for column in table.columns:
        values = table[column]
        if values.dtype == bool or values.map(lambda v: isinstance(v, bool | np.bool_)).any():
            table[column] = values.map(
                lambda v: ("true" if v else "false") if isinstance(v, bool | np.bool_) else v
            )
    table.to_csv(path, sep="\t", index=False, na_rep="", float_format="%.10g")


# ---------------------------------------------------------------------------------------------
# frequency.tsv


def _frequency_rows(frame: pd.DataFrame, subtype: str) -> list[dict]:
    denominator = len(frame)
    counts = [
        ("IKZF1 alteration", ALTERED, int((frame["ikzf1_altered"] == 1).sum())),
        ("IKZF1 class", DEL4_7, int((frame["ikzf1_del4_7"] == 1).sum())),
        ("IKZF1 class", OTHER_DELETION, int((frame["ikzf1_other_deletion"] == 1).sum())),
    ]
    if "ikzf1_class" in frame.columns:
        deleted = frame.loc[frame["ikzf1_status"] == "deleted", "ikzf1_class"].astype(str)
        for klass in sorted(deleted.unique()):
            counts.append(("IKZF1 deletion class", klass, int((deleted == klass).sum())))
    counts += [
        ("IKZF1plus", "IKZF1plus", int((frame["ikzf1plus"] == 1).sum())),
        ("IKZF1plus", "IKZF1plus focal", int((frame["ikzf1plus_focal"] == 1).sum())),
    ]
    return [
        {
            "section": section,
            "subtype": subtype,
            "level": level,
            "n": n,
            "denominator": denominator,
            "percent": 100.0 * n / denominator if denominator else np.nan,
        }
        for section, level, n in counts
    ]


def frequency_table(table: pd.DataFrame, subtype_column: str = "subtype") -> pd.DataFrame:
    """IKZF1 alteration counts and percentages among assessable patients, overall and per subtype.

    Rows: section (IKZF1 alteration, IKZF1 class, IKZF1 deletion class, IKZF1plus), subtype
    ("all" or the subtype), level, n, denominator (assessable patients), percent.
    """
    assessable = table[table["ikzf1_altered"].notna()]
    rows = _frequency_rows(assessable, "all")
    if subtype_column in assessable.columns:
        subtypes = assessable[subtype_column].fillna("").astype(str)
        for subtype in sorted(set(subtypes) - {""}):
            rows += _frequency_rows(assessable[subtypes == subtype], subtype)
    return pd.DataFrame(rows, columns=list(FREQUENCY_COLUMNS))


# ---------------------------------------------------------------------------------------------
# cir.tsv and gray.tsv


def log_log_ci(estimate, se, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """log(-log) confidence limits F^exp(-+z SE/(F log F)); NaN where F is 0 or 1."""
    f = np.asarray(estimate, dtype=float)
    s = np.asarray(se, dtype=float)
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = z * s / (f * np.log(f))
        lower = f ** np.exp(-scale)
        upper = f ** np.exp(scale)
    undefined = ~((f > 0) & (f < 1))
    return np.where(undefined, np.nan, lower), np.where(undefined, np.nan, upper)


def _in_comparison(labels: pd.Series) -> np.ndarray:
    return labels.notna().to_numpy() & np.array([v is not None for v in labels])


def cir_table(
    table: pd.DataFrame, comparisons: dict, settings: RelapseSettings
) -> tuple[pd.DataFrame, dict]:
    """CIR at the horizon per comparison and group; also the cuminc fits (for figures)."""
    horizon = settings.horizon_years
    rows, fits = [], {}
    for name, (labels, levels) in comparisons.items():
        mask = _in_comparison(labels)
        if not mask.any():
            continue
        sub = table.loc[mask]
        group = labels[mask].astype(str).to_numpy()
        single = len(set(group)) == 1  # cuminc takes no grouping variable with one level
        fit = cuminc(
            sub["time_years"].to_numpy(), sub["status"].to_numpy(), group=None if single else group
        )
        fits[name] = fit
        at = fit.timepoints([horizon])
        at = at[at["cause"] == RELAPSE]
        if single:
            at = at.assign(group=group[0])
        at = at.set_index("group")
        present = [lv for lv in levels if lv in set(group)]
        present += sorted(set(group) - set(levels))
        for level in present:
            in_group = group == level
            status = sub["status"].to_numpy()[in_group]
            est = at.loc[level, "estimate"] if level in at.index else 0.0
            var = at.loc[level, "variance"] if level in at.index else 0.0
            longest = float(sub["time_years"].to_numpy()[in_group].max())
            estimable = bool(np.isfinite(est))
            se = float(np.sqrt(var)) if estimable else np.nan
            lower, upper = log_log_ci(est, se, settings.confidence) if estimable else (np.nan,) * 2
            note = ""
            if not estimable:
                note = f"not estimable: longest follow-up {longest:.2f} y < horizon {horizon:g} y"
            elif est == 0:
                note = "no relapse before the horizon: CI undefined"
            rows.append(
                {
                    "comparison": name,
                    "group": level,
                    "n": int(in_group.sum()),
                    "relapses": int((status == RELAPSE).sum()),
                    "competing": int((status == COMPETING).sum()),
                    "censored": int((status == 0).sum()),
                    "horizon_years": horizon,
                    "cir": float(est) if estimable else np.nan,
                    "se": se,
                    "ci_lower": float(lower),
                    "ci_upper": float(upper),
                    "estimable": estimable,
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=list(CIR_COLUMNS)), fits


def gray_table(table: pd.DataFrame, comparisons: dict) -> pd.DataFrame:
    """Gray's K-sample test per comparison and cause (relapse, competing)."""
    rows = []
    for name, (labels, _levels) in comparisons.items():
        mask = _in_comparison(labels)
        group = labels[mask].astype(str).to_numpy()
        sub = table.loc[mask]
        n_groups = len(set(group))
        if n_groups < 2:
            rows.append(
                {
                    "comparison": name,
                    "cause": "relapse",
                    "groups": n_groups,
                    "n": int(mask.sum()),
                    "note": "fewer than two groups with patients: no test",
                }  # fmt: skip
            )
            continue
        tests = gray_test(sub["time_years"].to_numpy(), sub["status"].to_numpy(), group)
        if not (sub["status"] == RELAPSE).any():
            note = "no relapse in the comparison: no test"
            rows.append({"comparison": name, "cause": "relapse", "groups": n_groups,
                         "n": int(mask.sum()), "note": note})  # fmt: skip
        for test in tests.itertuples():
            singular = test.statistic < 0
            rows.append(
                {
                    "comparison": name,
                    "cause": CAUSE_NAMES.get(int(test.cause), str(test.cause)),
                    "groups": n_groups,
                    "n": int(mask.sum()),
                    "statistic": np.nan if singular else float(test.statistic),
                    "df": int(test.df),
                    "p_value": np.nan if singular else float(test.p_value),
                    "note": "singular variance: no test" if singular else "",
                }
            )
    return pd.DataFrame(rows, columns=list(GRAY_COLUMNS))


# ---------------------------------------------------------------------------------------------
# finegray.tsv


@dataclass(frozen=True)
class DesignTerm:
    """One factor of a model and the dummy columns that code it."""

    term: str
    columns: list  # design column names
    levels: list  # level per column ("" for numeric)
    reference: str  # "" for numeric
    indicators: list  # per column: 0/1 Series (numeric: None)
    reference_indicator: pd.Series | None


def _binary_term(term: str, flag: pd.Series, yes: str, no: str, column: str) -> DesignTerm:
    return DesignTerm(term, [column], [yes], no, [flag], 1.0 - flag)


def build_design(
    table: pd.DataFrame, exposure: str, settings: RelapseSettings
) -> tuple[pd.DataFrame, list[DesignTerm]]:
    """Covariate columns (with NaN where a value is missing) and their factor structure.

    The exposure (one name or a list) is a 0/1 column of the table; the subtype group is
    dummy-coded against ``settings.subtype_reference``; clinical covariates follow their kind.
    """
    exposures = [exposure] if isinstance(exposure, str) else list(exposure)
    design = pd.DataFrame(index=table.index)
    terms: list[DesignTerm] = []
    for name in exposures:
        if name not in table.columns:
            raise KeyError(f"model exposure {name!r} is not a column of the analysis table")
        label = EXPOSURE_LABELS.get(name, name)
        design[name] = table[name].astype(float)
        terms.append(_binary_term(label, design[name], "yes", "no", name))

    def categorical(term: str, values: pd.Series, reference: str, prefix: str) -> None:
        text = values.where(values.notna(), None)
        levels = sorted({str(v) for v in text if v is not None} - {reference})
        columns, indicators = [], []
        for level in levels:
            column = f"{prefix}={level}"
            design[column] = np.where(text.isna(), np.nan, (text.astype(str) == level) * 1.0)
            columns.append(column)
            indicators.append(design[column])
        ref = pd.Series(np.where(text.isna(), np.nan, (text.astype(str) == reference) * 1.0))
        ref.index = values.index
        terms.append(DesignTerm(term, columns, levels, reference, indicators, ref))

    if settings.adjust_for_subtype_group:
        categorical(
            "Subtype group", table["subtype_group"], settings.subtype_reference, "subtype_group"
        )
    for covariate in settings.covariates:
        if covariate.column not in table.columns:
            raise KeyError(
                f"relapse.covariates[{covariate.name!r}]: column {covariate.column!r} is not in "
                "the clinical sheet"
            )
        raw = table[covariate.column]
        if covariate.kind == "categorical":
            categorical(covariate.name, raw, str(covariate.reference), covariate.name)
            continue
        values = pd.to_numeric(raw, errors="coerce")
        if covariate.kind == "binary":
            flag = (values >= covariate.threshold).astype(float).where(values.notna())
            design[covariate.name] = flag
            terms.append(
                _binary_term(
                    covariate.name,
                    flag,
                    covariate.level_label,
                    f"< {covariate.threshold:g}",
                    covariate.name,
                )
            )
        else:
            if covariate.log10:
                values = np.log10(np.maximum(values, covariate.floor))
            design[covariate.name] = values
            level = "per log10 unit" if covariate.log10 else "per unit"
            terms.append(DesignTerm(covariate.name, [covariate.name], [level], "", [None], None))
    return design, terms


def fit_model(table: pd.DataFrame, name: str, exposure, settings: RelapseSettings):
    """Fit one Fine-Gray model; returns (rows for finegray.tsv, fit or None)."""
    design, terms = build_design(table, exposure, settings)
    complete = design.notna().all(axis=1).to_numpy()
    n_omitted = int((~complete).sum())
    used = design.loc[complete]
    status = table["status"].to_numpy()[complete]
    time = table["time_years"].to_numpy()[complete]
    notes = {}
    keep = []
    for column in used.columns:
        if used[column].nunique() < 2:
            notes[column] = "no variation among complete rows: term left out"
        else:
            keep.append(column)
    base = {"model": name, "n_used": int(complete.sum()), "n_omitted": n_omitted}
    fit, error = None, ""
    try:
        fit = fine_gray(time, status, used[keep], failcode=RELAPSE, cencode=0)
    except CompetingRisksInputError as exc:
        error = f"model not fitted: {exc}"
    summary = fit.summary(settings.confidence).set_index("term") if fit is not None else None
    relapsed = status == RELAPSE
    rows = []
    for term in terms:
        fitted = [c for c in term.columns if fit is not None and c in fit.terms]
        global_df, global_p = np.nan, np.nan
        if fitted:
            wald = fit.wald_test(fitted)
            global_df, global_p = wald["df"], wald["p_value"]
        if term.reference_indicator is not None:
            ref = term.reference_indicator.to_numpy()[complete] == 1
            rows.append(
                {**base, "term": term.term, "level": term.reference, "reference": term.reference,
                 "n": int(ref.sum()), "events": int((ref & relapsed).sum()),
                 "global_df": global_df, "global_p": global_p,
                 "converged": None if fit is None else fit.converged, "note": "reference"}
            )  # fmt: skip
        for column, level, indicator in zip(
            term.columns, term.levels, term.indicators, strict=True
        ):
            if indicator is None:
                at_level = np.ones(int(complete.sum()), dtype=bool)
            else:
                at_level = indicator.to_numpy()[complete] == 1
            row = {
                **base, "term": term.term, "level": level, "reference": term.reference,
                "n": int(at_level.sum()), "events": int((at_level & relapsed).sum()),
                "global_df": global_df, "global_p": global_p,
                "converged": None if fit is None else fit.converged,
                "note": notes.get(column, error),
            }  # fmt: skip
            if summary is not None and column in summary.index:
                s = summary.loc[column]
                row |= {
                    "coef": s["coef"], "se": s["se"], "shr": s["sHR"], "ci_lower": s["ci_lower"],
                    "ci_upper": s["ci_upper"], "p_value": s["p_value"],
                }  # fmt: skip
                if indicator is not None and row["events"] == 0:
                    row["note"] = "no relapses at this level: estimate unbounded"
            rows.append(row)
    if fit is not None and not fit.converged:
        for row in rows:
            row["note"] = "; ".join(x for x in (row["note"], "model did not converge") if x)
    return rows, fit


def finegray_table(table: pd.DataFrame, settings: RelapseSettings) -> tuple[pd.DataFrame, dict]:
    """All configured Fine-Gray models (``settings.models``) as finegray.tsv rows, plus fits."""
    rows, fits = [], {}
    for name, exposure in settings.models.items():
        model_rows, fit = fit_model(table, name, exposure, settings)
        rows += model_rows
        fits[name] = fit
    out = pd.DataFrame(rows, columns=list(FINEGRAY_COLUMNS))
    return out, fits

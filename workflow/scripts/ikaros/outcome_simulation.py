"""Competing-risks outcomes drawn from a Fine-Gray model with known subdistribution hazard ratios.

Design of Fine & Gray (1999, section 5) as generalised by Beyersmann et al. (2009): for a patient
with linear predictor eta = x'beta the cumulative incidence of relapse is

    F1(t | x) = 1 - (1 - p (1 - exp(-lambda t)))^exp(eta),

so relapse eventually happens with probability P1 = 1 - (1 - p)^exp(eta), the subdistribution
hazards are proportional with ratios exp(beta), and a relapse time is drawn from F1(t | x) / P1
by inversion. A patient who does not relapse gets a competing event (death in remission or second
malignancy) after an exponential time; everyone is censored administratively at a uniform time.
Competing events may fall after censoring, so the observed competing fraction is a few percent.

Defaults are calibrated so that a cohort like the reference study (688 patients, about 16.7% with
an IKZF1 alteration, concentrated in BCR::ABL1 and Ph-like cases) has a 5-year CIR near 15% with an
IKZF1 alteration and near 5% without.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Model terms and how each is read from a cohort table (patients.tsv/truth merged with clinical).
TERMS = (
    "ikzf1_altered", "ikzf1plus", "subtype_unfavourable", "subtype_favourable", "mrd_positive",
    "age_ge_10", "wbc_ge_50",
)  # fmt: skip
DEFAULT_SHR = {
    "ikzf1_altered": 1.6,
    "ikzf1plus": 1.3,
    "subtype_unfavourable": 1.6,
    "subtype_favourable": 0.6,
    "mrd_positive": 2.5,
    "age_ge_10": 1.4,
    "wbc_ge_50": 1.3,
}
# Pediatric B-ALL subtype frequencies and P(IKZF1 alteration | subtype) for standalone cohorts.
SUBTYPE_FREQUENCIES = {
    "hyperdiploid": 0.30, "ETV6::RUNX1": 0.22, "TCF3::PBX1": 0.05, "KMT2A": 0.04,
    "BCR::ABL1": 0.03, "Ph-like": 0.11, "DUX4": 0.05, "other": 0.20,
}  # fmt: skip
IKZF1_RATE_BY_SUBTYPE = {
    "hyperdiploid": 0.05, "ETV6::RUNX1": 0.03, "TCF3::PBX1": 0.05, "KMT2A": 0.05,
    "BCR::ABL1": 0.70, "Ph-like": 0.40, "DUX4": 0.40, "other": 0.28,
}  # fmt: skip
UNFAVOURABLE = {
    "BCR::ABL1", "KMT2A", "Ph-like", "hypodiploid", "near haploid", "low hypodiploid", "TCF3::HLF",
}  # fmt: skip
FAVOURABLE = {"hyperdiploid", "ETV6::RUNX1"}
IKZF1_CLASSES = (("del4-7", 0.35), ("del1-8", 0.30), ("del2-7", 0.10), ("del2-8", 0.10))
IKZF1_CLASSES += (("del4-8", 0.05), ("other", 0.10))


class OutcomeSimulationError(ValueError):
    """Bad simulation settings or cohort table; the message names the key or column."""


@dataclass(frozen=True)
class OutcomeModel:
    """True model: baseline eventual relapse probability p, rate lambda, sHR per term."""

    baseline_relapse_probability: float = 0.045
    relapse_rate: float = 0.45  # per year: ~90% of relapses within 5 years at baseline
    shr: dict = field(default_factory=lambda: dict(DEFAULT_SHR))
    competing_rate: float = 0.006  # per year, among patients who never relapse
    second_malignancy_share: float = 0.25  # of competing events
    censor_min_years: float = 4.0
    censor_max_years: float = 14.0

    @classmethod
    def from_config(cls, block: dict | None) -> OutcomeModel:
        block = dict(block or {})
        unknown = sorted(set(block) - set(cls.__dataclass_fields__))
        if unknown:
            raise OutcomeSimulationError(f"outcomes: unknown keys {unknown}")
        if "shr" in block:
            block["shr"] = {**DEFAULT_SHR, **block["shr"]}
        model = cls(**block)
        model.check()
        return model

    def check(self) -> None:
        if not 0 < self.baseline_relapse_probability < 1:
            raise OutcomeSimulationError(
                "outcomes.baseline_relapse_probability: expected in (0, 1)"
            )
        for key in ("relapse_rate", "competing_rate"):
            if not getattr(self, key) > 0:
                raise OutcomeSimulationError(f"outcomes.{key}: expected > 0")
        if not 0 <= self.second_malignancy_share <= 1:
            raise OutcomeSimulationError("outcomes.second_malignancy_share: expected in [0, 1]")
        if not 0 < self.censor_min_years <= self.censor_max_years:
            raise OutcomeSimulationError(
                "outcomes.censor_min_years/censor_max_years: expected 0 < min <= max"
            )
        for term, value in self.shr.items():
            if term not in TERMS:
                raise OutcomeSimulationError(f"outcomes.shr: unknown term {term!r}; known {TERMS}")
            if not value > 0:
                raise OutcomeSimulationError(f"outcomes.shr[{term!r}]: {value}; expected > 0")

    @property
    def coefficients(self) -> pd.Series:
        """True log subdistribution hazard ratios, in TERMS order."""
        return pd.Series({t: float(np.log(self.shr.get(t, 1.0))) for t in TERMS})

    def cif(self, eta: np.ndarray, t: float) -> np.ndarray:
        """True cumulative incidence of relapse at t for linear predictors eta."""
        base = self.baseline_relapse_probability * (1.0 - np.exp(-self.relapse_rate * t))
        return 1.0 - (1.0 - base) ** np.exp(eta)


def _flag(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip().str.lower()
    return text.isin({"true", "1", "1.0", "yes"}).to_numpy(float)


def model_design(cohort: pd.DataFrame) -> pd.DataFrame:
    """The model's 0/1 terms from a cohort table.

    Needs ikzf1_status (deleted = altered), ikzf1plus (true/false), subtype, mrd_eoi (fraction;
    positive at >= 1e-4), age_years (>= 10) and wbc (>= 50 x10^9/L).
    """
    needed = ("ikzf1_status", "ikzf1plus", "subtype", "mrd_eoi", "age_years", "wbc")
    missing = [c for c in needed if c not in cohort.columns]
    if missing:
        raise OutcomeSimulationError(f"cohort table: columns {missing} are missing")
    subtype = cohort["subtype"].fillna("").astype(str)
    design = pd.DataFrame(
        {
            "ikzf1_altered": (cohort["ikzf1_status"] == "deleted").to_numpy(float),
            "ikzf1plus": _flag(cohort["ikzf1plus"]),
            "subtype_unfavourable": subtype.isin(UNFAVOURABLE).to_numpy(float),
            "subtype_favourable": subtype.isin(FAVOURABLE).to_numpy(float),
            "mrd_positive": (pd.to_numeric(cohort["mrd_eoi"]) >= 1e-4).to_numpy(float),
            "age_ge_10": (pd.to_numeric(cohort["age_years"]) >= 10).to_numpy(float),
            "wbc_ge_50": (pd.to_numeric(cohort["wbc"]) >= 50).to_numpy(float),
        },
        index=cohort.index,
    )
    return design[list(TERMS)]


def linear_predictor(cohort: pd.DataFrame, model: OutcomeModel) -> np.ndarray:
    return model_design(cohort).to_numpy() @ model.coefficients.to_numpy()


def draw_outcomes(cohort: pd.DataFrame, model: OutcomeModel, seed: int | list[int]) -> pd.DataFrame:
    """followup_years and event (relapse, death_in_remission, second_malignancy, censored).

    Returns patient_id, followup_years, event, true_cif_5y (the patient's true 5-year CIR).
    Same cohort, model and seed give the same outcomes.
    """
    model.check()
    eta = linear_predictor(cohort, model)
    n = len(cohort)
    rng = np.random.default_rng(seed)
    u_cause, u_time, u_comp, u_kind, u_cens = rng.random((5, n))
    p = model.baseline_relapse_probability
    eventual = 1.0 - (1.0 - p) ** np.exp(eta)
    relapses = u_cause < eventual
    # Invert F1(t|x)/P1 = u: 1 - p(1 - e^{-lambda t}) = (1 - u P1)^{exp(-eta)}.
    inner = (1.0 - (1.0 - u_time * eventual) ** np.exp(-eta)) / p
    relapse_time = -np.log1p(-np.clip(inner, 0.0, 1.0 - 1e-15)) / model.relapse_rate
    competing_time = -np.log1p(-u_comp) / model.competing_rate
    time = np.where(relapses, relapse_time, competing_time)
    competing_event = np.where(
        u_kind < model.second_malignancy_share, "second_malignancy", "death_in_remission"
    )
    event = np.where(relapses, "relapse", competing_event)
    censor = model.censor_min_years + u_cens * (model.censor_max_years - model.censor_min_years)
    censored = censor < time
    followup = np.where(censored, censor, time)
    return pd.DataFrame(
        {
            "patient_id": cohort["patient_id"].astype(str).to_numpy()
            if "patient_id" in cohort.columns
            else [f"P{i + 1:04d}" for i in range(n)],
            "followup_years": np.round(np.maximum(followup, 1e-4), 4),
            "event": np.where(censored, "censored", event),
            "true_cif_5y": model.cif(eta, 5.0),
        }
    )


def simulate_cohort(n: int, seed: int, model: OutcomeModel | None = None) -> pd.DataFrame:
    """A standalone cohort (no BAMs): IKZF1 calls, clinical covariates and outcomes.

    Columns: patient_id, subtype, ikzf1_status, ikzf1_class, ikzf1plus, ikzf1plus_focal, sex,
    age_years, wbc, mrd_eoi, protocol, followup_years, event, true_cif_5y.
    """
    model = model or OutcomeModel()
    if n < 1:
        raise OutcomeSimulationError(f"n: {n}; expected >= 1")
    rng = np.random.default_rng([seed, 1])
    names = list(SUBTYPE_FREQUENCIES)
    weights = np.array([SUBTYPE_FREQUENCIES[s] for s in names])
    subtype = np.array(names)[rng.choice(len(names), size=n, p=weights / weights.sum())]
    altered = rng.random(n) < np.array([IKZF1_RATE_BY_SUBTYPE[s] for s in subtype])
    class_names = [c for c, _ in IKZF1_CLASSES]
    class_p = np.array([w for _, w in IKZF1_CLASSES])
    klass = np.array(class_names)[rng.choice(len(class_names), size=n, p=class_p / class_p.sum())]
    ikzf1plus = altered & (rng.random(n) < 0.40)
    focal = ikzf1plus & (rng.random(n) < 0.60)
    mrd_positive = rng.random(n) < np.where(altered, 0.45, 0.20)
    mrd = np.where(
        mrd_positive,
        10 ** rng.uniform(-4, -1, n),
        np.where(rng.random(n) < 0.6, 0.0, 10 ** rng.uniform(-6, -4.05, n)),
    )
    age = np.where(rng.random(n) < 0.7, rng.uniform(1, 10, n), rng.uniform(10, 18.9, n))
    wbc = np.minimum(np.exp(rng.normal(np.log(12), 1.2, n)), 900)
    cohort = pd.DataFrame(
        {
            "patient_id": [f"P{i + 1:04d}" for i in range(n)],
            "subtype": subtype,
            "ikzf1_status": np.where(altered, "deleted", "wildtype"),
            "ikzf1_class": np.where(altered, klass, ""),
            "ikzf1plus": np.where(ikzf1plus, "true", "false"),
            "ikzf1plus_focal": np.where(focal, "true", "false"),
            "sex": np.where(rng.random(n) < 0.55, "male", "female"),
            "age_years": np.round(age, 1),
            "wbc": np.round(wbc, 1),
            "mrd_eoi": [float(f"{v:.3g}") for v in mrd],
            "protocol": np.where(rng.random(n) < 0.45, "Total XV", "Total XVI"),
        }
    )
    outcomes = draw_outcomes(cohort, model, seed)
    return cohort.merge(outcomes, on="patient_id")


def true_cir_by_group(cohort: pd.DataFrame, model: OutcomeModel, group, t: float) -> pd.Series:
    """Average true CIR at t within each group (the estimand of an Aalen-Johansen CIR)."""
    cif = model.cif(linear_predictor(cohort, model), t)
    return pd.Series(cif, index=cohort.index).groupby(np.asarray(group)).mean()

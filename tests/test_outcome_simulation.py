"""The Fine-Gray outcome simulator: known model quantities, calibration and recovery of sHRs."""

import numpy as np
import pandas as pd
import pytest

from ikaros.competing_risks import fine_gray
from ikaros.outcome_simulation import (
    TERMS,
    OutcomeModel,
    OutcomeSimulationError,
    draw_outcomes,
    model_design,
    simulate_cohort,
    true_cir_by_group,
)


def uniform_cohort(n, altered):
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(n)],
            "ikzf1_status": ["deleted" if altered else "wildtype"] * n,
            "ikzf1plus": ["false"] * n,
            "subtype": ["DUX4"] * n,  # intermediate: no subtype term
            "mrd_eoi": [0.0] * n,
            "age_years": [5.0] * n,
            "wbc": [10.0] * n,
        }
    )


def test_eventual_relapse_probability_and_5_year_cir_follow_the_model():
    # Censoring far beyond every event: the empirical proportions estimate F1 directly.
    model = OutcomeModel(censor_min_years=1e6, censor_max_years=1e6)
    n = 40000
    for altered in (False, True):
        out = draw_outcomes(uniform_cohort(n, altered), model, seed=11)
        eta = np.log(model.shr["ikzf1_altered"]) if altered else 0.0
        p_eventual = 1 - (1 - model.baseline_relapse_probability) ** np.exp(eta)
        observed = (out["event"] == "relapse").mean()
        assert observed == pytest.approx(p_eventual, abs=4 * np.sqrt(p_eventual / n))
        base = model.baseline_relapse_probability * (1 - np.exp(-model.relapse_rate * 5))
        f5 = 1 - (1 - base) ** np.exp(eta)
        by5 = ((out["event"] == "relapse") & (out["followup_years"] <= 5)).mean()
        assert by5 == pytest.approx(f5, abs=4 * np.sqrt(f5 / n))
        assert out["true_cif_5y"].iloc[0] == pytest.approx(f5)


def test_same_seed_same_outcomes_and_different_seed_differs():
    cohort = simulate_cohort(300, seed=5)
    again = simulate_cohort(300, seed=5)
    pd.testing.assert_frame_equal(cohort, again)
    assert not cohort["followup_years"].equals(simulate_cohort(300, seed=6)["followup_years"])


def test_default_calibration_resembles_the_reference_study():
    model = OutcomeModel()
    cohort = simulate_cohort(20000, seed=1, model=model)
    altered = (cohort["ikzf1_status"] == "deleted").to_numpy()
    assert altered.mean() == pytest.approx(0.167, abs=0.01)
    by_subtype = cohort.groupby("subtype")["ikzf1_status"].apply(lambda s: (s == "deleted").mean())
    assert by_subtype["BCR::ABL1"] > 0.5 and by_subtype["Ph-like"] > 0.3
    assert by_subtype["ETV6::RUNX1"] < 0.1 and by_subtype["hyperdiploid"] < 0.1
    truth = true_cir_by_group(cohort, model, altered, 5.0)
    assert truth[True] == pytest.approx(0.15, abs=0.01)
    assert truth[False] == pytest.approx(0.05, abs=0.01)
    competing = cohort["event"].isin(["death_in_remission", "second_malignancy"]).mean()
    assert 0.02 < competing < 0.08


def test_fine_gray_recovers_the_true_shr_on_a_large_cohort():
    model = OutcomeModel()
    cohort = simulate_cohort(4000, seed=20261124, model=model)
    design = model_design(cohort)
    status = cohort["event"].map(
        {"relapse": 1, "death_in_remission": 2, "second_malignancy": 2, "censored": 0}
    )
    fit = fine_gray(cohort["followup_years"], status, design)
    assert fit.converged
    truth = model.coefficients.to_numpy()
    lower, upper = fit.coef - 1.96 * fit.se, fit.coef + 1.96 * fit.se
    for term, lo, hi, true in zip(TERMS, lower, upper, truth, strict=True):
        assert lo <= true <= hi, f"{term}: true {true:.3f} outside [{lo:.3f}, {hi:.3f}]"


def test_bad_settings_name_the_key():
    with pytest.raises(OutcomeSimulationError, match="unknown term 'tp53'"):
        OutcomeModel.from_config({"shr": {"tp53": 2.0}})
    with pytest.raises(OutcomeSimulationError, match="unknown keys"):
        OutcomeModel.from_config({"seed": 1})
    with pytest.raises(OutcomeSimulationError, match="censor"):
        OutcomeModel(censor_min_years=5, censor_max_years=2).check()
    with pytest.raises(OutcomeSimulationError, match="columns"):
        model_design(pd.DataFrame({"patient_id": ["A"]}))
    custom = OutcomeModel.from_config({"shr": {"mrd_positive": 3.0}})
    assert custom.shr["mrd_positive"] == 3.0 and custom.shr["ikzf1_altered"] == 1.6

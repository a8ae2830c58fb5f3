"""frequency/cir/gray/finegray tables against hand calculations and R cmprsk reference values."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from ikaros.relapse import groups, tables
from ikaros.relapse.settings import RelapseSettings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "competing_risks"
if not SHARED.exists():
    SHARED = Path("/work/shared/competing_risks")


def one_comparison(labels):
    labels = pd.Series(labels, dtype=object)
    return {"grouping": (labels, sorted(set(labels)))}


def test_cir_without_censoring_is_the_empirical_proportion():
    # 10 patients, no censoring: 3 relapses and 2 competing events by year 5, the rest later.
    time = [0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    status = [1, 2, 1, 2, 1, 1, 2, 1, 2, 1]
    table = pd.DataFrame({"time_years": time, "status": status})
    cir, _ = tables.cir_table(table, one_comparison(["all"] * 10), RelapseSettings())
    row = cir.iloc[0]
    assert row["cir"] == pytest.approx(3 / 10, abs=1e-12)
    assert (row["n"], row["relapses"], row["competing"], row["censored"]) == (10, 6, 4, 0)
    assert bool(row["estimable"])


def test_log_log_interval_on_a_known_value():
    # F = 0.2, SE = 0.05: scale = 1.959964 * 0.05 / (0.2 ln 0.2) = -0.304442;
    # lower = 0.2^exp(0.304442) = 0.2^1.355853 = 0.11278, upper = 0.2^exp(-0.304442) = 0.30512.
    lower, upper = tables.log_log_ci(0.2, 0.05)
    assert float(lower) == pytest.approx(0.11278, abs=5e-5)
    assert float(upper) == pytest.approx(0.30512, abs=5e-5)
    lower, upper = tables.log_log_ci([0.0, 1.0], [0.1, 0.1])
    assert np.isnan(lower).all() and np.isnan(upper).all()


def test_cir_and_gray_match_r_cmprsk_on_bmt35():
    data = pd.read_csv(SHARED / "bmt35.csv")
    table = pd.DataFrame({"time_years": data["ftime"] / 12, "status": data["status"]})
    labels = data["dis"].map({0: "ALL", 1: "AML"})
    settings = RelapseSettings.from_config({"horizon_years": 20 / 12})
    cir, _ = tables.cir_table(table, one_comparison(labels), settings)
    cir = cir.set_index("group")
    # R: timepoints(cuminc(ftime, status, dis), 20) (months)
    assert cir.loc["ALL", "cir"] == pytest.approx(0.1764705882352941, abs=1e-12)
    assert cir.loc["ALL", "se"] == pytest.approx(math.sqrt(0.0093441688723230974), abs=1e-12)
    assert cir.loc["AML", "cir"] == pytest.approx(0.3681857638888888, abs=1e-12)
    assert cir.loc["AML", "se"] == pytest.approx(math.sqrt(0.016011046005978385), abs=1e-12)
    gray = tables.gray_table(table, one_comparison(labels)).set_index("cause")
    assert gray.loc["relapse", "statistic"] == pytest.approx(1.3016345436172607, abs=1e-10)
    assert gray.loc["competing", "p_value"] == pytest.approx(0.0077849980149731213, abs=1e-10)
    assert gray.loc["relapse", "df"] == 1


def test_group_followed_less_than_the_horizon_is_not_estimable():
    table = pd.DataFrame(
        {"time_years": [1.0, 2.0, 6.0, 7.0, 1.0, 3.0], "status": [1, 0, 0, 1, 0, 1]}
    )
    labels = ["long", "long", "long", "long", "short", "short"]
    cir, _ = tables.cir_table(table, one_comparison(labels), RelapseSettings())
    short = cir.set_index("group").loc["short"]
    assert not bool(short["estimable"])
    assert np.isnan(short["cir"]) and np.isnan(short["ci_lower"])
    assert short["note"].startswith("not estimable: longest follow-up 3.00 y < horizon 5 y")
    long = cir.set_index("group").loc["long"]
    assert long["cir"] == pytest.approx(0.25)  # 1 relapse among 4 at risk, before any censoring


def bmtcrr_settings():
    return RelapseSettings.from_config(
        {
            "adjust_for_subtype_group": False,
            "models": {"bmtcrr": []},
            "covariates": [
                {"name": "Age", "column": "Age"},
                {"name": "Sex", "column": "Sex", "kind": "categorical", "reference": "F"},
                {"name": "D", "column": "D", "kind": "categorical", "reference": "ALL"},
                {"name": "Phase", "column": "Phase", "kind": "categorical", "reference": "CR1"},
                {
                    "name": "Source",
                    "column": "Source",
                    "kind": "categorical",
                    "reference": "BM+PB",
                },  # fmt: skip
            ],
        }
    )


def read_reference(key):
    for line in (SHARED / "cmprsk_reference_values.txt").read_text().splitlines():
        name, _, values = line.partition(" = ")
        if name == key:
            return np.array(values.split(), dtype=float)
    raise KeyError(key)


def test_finegray_rows_match_r_crr_with_dummy_coding_and_global_wald():
    data = pd.read_csv(SHARED / "bmtcrr.csv")
    table = data.rename(columns={"ftime": "time_years", "Status": "status"})
    out, fits = tables.finegray_table(table, bmtcrr_settings())
    coef = read_reference("crr1.coef")
    var = read_reference("crr1.var").reshape(7, 7)
    fitted = out[out["note"] != "reference"]
    assert fitted["level"].tolist() == ["per unit", "M", "AML", "CR2", "CR3", "Relapse", "PB"]
    np.testing.assert_allclose(fitted["coef"], coef, atol=1e-7)
    np.testing.assert_allclose(fitted["se"], np.sqrt(np.diag(var)), atol=1e-7)
    np.testing.assert_allclose(fitted["shr"], np.exp(coef), rtol=1e-6)
    # Global Wald test of Phase (3 df) from R's covariance sub-matrix.
    b, v = coef[3:6], var[3:6, 3:6]
    expected = chi2.sf(b @ np.linalg.solve(v, b), 3)
    phase = out[out["term"] == "Phase"]
    assert (phase["global_df"] == 3).all()
    assert phase["global_p"].iloc[0] == pytest.approx(expected, rel=1e-6)
    # For a 1-df factor the global Wald p equals the term's own Wald p.
    sex = fitted[fitted["term"] == "Sex"].iloc[0]
    assert sex["global_p"] == pytest.approx(sex["p_value"], rel=1e-12)
    # n and events per level, by hand from the data.
    reference = out[(out["term"] == "Phase") & (out["note"] == "reference")].iloc[0]
    assert reference["level"] == "CR1"
    assert reference["n"] == int((data["Phase"] == "CR1").sum())
    assert reference["events"] == int(((data["Phase"] == "CR1") & (data["Status"] == 1)).sum())
    assert bool(fitted["converged"].all()) and (out["n_omitted"] == 0).all()


def simulated_analysis_table(n=300, seed=3):
    rng = np.random.default_rng(seed)
    altered = rng.random(n) < 0.3
    table = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(n)],
            "time_years": rng.exponential(6, n).round(3) + 0.01,
            "status": rng.choice([0, 1, 2], n, p=[0.6, 0.3, 0.1]),
            "ikzf1_status": np.where(altered, "deleted", "wildtype"),
            "ikzf1_class": np.where(altered, np.where(rng.random(n) < 0.5, "del4-7", "del1-8"), ""),
            "ikzf1plus": np.where(altered & (rng.random(n) < 0.5), "true", "false"),
            "subtype": rng.choice(["hyperdiploid", "DUX4", "BCR::ABL1"], n),
            "mrd_eoi": rng.choice([0.0, 1e-3], n),
            "age_years": rng.uniform(1, 18, n),
            "wbc": rng.uniform(1, 100, n),
        }
    )
    table["ikzf1plus_focal"] = table["ikzf1plus"]
    risk = {"hyperdiploid": "favourable", "BCR::ABL1": "unfavourable"}
    return groups.add_exposures(table, risk, RelapseSettings())


def test_missing_covariates_are_omitted_and_counted():
    table = simulated_analysis_table()
    table.loc[[0, 5, 9], "mrd_eoi"] = np.nan
    out, fits = tables.finegray_table(table, RelapseSettings())
    assert (out["n_omitted"] == 3).all() and (out["n_used"] == len(table) - 3).all()
    model = out[out["model"] == "IKZF1 del4-7"]
    exposed = model[(model["term"] == "IKZF1 del4-7") & (model["level"] == "yes")].iloc[0]
    used = table.drop(index=[0, 5, 9])
    assert exposed["n"] == int((used["ikzf1_class"] == "del4-7").sum())
    assert exposed["events"] == int(
        ((used["ikzf1_class"] == "del4-7") & (used["status"] == 1)).sum()
    )
    assert fits["IKZF1 del4-7"].n_used == len(table) - 3


def test_a_level_without_relapses_is_flagged():
    table = simulated_analysis_table()
    table.loc[table["ikzf1plus"] == 1, "status"] = 0
    out, _ = tables.finegray_table(table, RelapseSettings())
    row = out[(out["term"] == "IKZF1plus") & (out["level"] == "yes")].iloc[0]
    assert row["events"] == 0
    assert "no relapses at this level" in row["note"]


def test_frequency_percentages_by_hand(tmp_path):
    table = pd.DataFrame(
        {
            "patient_id": list("ABCDEF"),
            "subtype": [
                "BCR::ABL1",
                "BCR::ABL1",
                "hyperdiploid",
                "hyperdiploid",
                "hyperdiploid",
                "DUX4",
            ],  # fmt: skip
            "ikzf1_status": [
                "deleted",
                "deleted",
                "wildtype",
                "deleted",
                "wildtype",
                "not_assessable",
            ],  # fmt: skip
            "ikzf1_class": ["del4-7", "del1-8", "", "del4-7", "", ""],
            "ikzf1plus": ["true", "false", "false", "false", "false", ""],
            "ikzf1plus_focal": ["false"] * 6,
        }
    )
    table = groups.add_exposures(table, {}, RelapseSettings())
    freq = tables.frequency_table(table).set_index(["section", "subtype", "level"]).sort_index()
    overall = freq.loc[("IKZF1 alteration", "all", groups.ALTERED)]
    assert (overall["n"], overall["denominator"]) == (3, 5)  # F not assessable
    assert overall["percent"] == pytest.approx(60.0)
    assert freq.loc[("IKZF1 class", "all", "del4-7"), "percent"] == pytest.approx(40.0)
    assert freq.loc[("IKZF1 alteration", "BCR::ABL1", groups.ALTERED), "percent"] == pytest.approx(
        100.0
    )
    assert freq.loc[
        ("IKZF1 alteration", "hyperdiploid", groups.ALTERED), "percent"
    ] == pytest.approx(100 / 3)
    assert freq.loc[("IKZF1plus", "all", "IKZF1plus"), "n"] == 1
    assert "DUX4" not in freq.index.get_level_values("subtype")
    path = tmp_path / "frequency.tsv"
    tables.write_tsv(tables.frequency_table(table), path)
    first = path.read_bytes()
    tables.write_tsv(tables.frequency_table(table), path)
    assert path.read_bytes() == first


def test_write_tsv_uses_empty_cells_and_lowercase_booleans(tmp_path):
    path = tmp_path / "t.tsv"
    tables.write_tsv(pd.DataFrame({"a": [1.5, np.nan], "ok": [True, False]}), path)
    assert path.read_text() == "a\tok\n1.5\ttrue\n\tfalse\n"


def test_event_free_and_overall_survival_by_hand():
    from ikaros.relapse.survival import survival_table

    # Group a: events at 1 and 3, censored at 6 and 8 -> S(5) = (3/4)(2/3) = 0.5.
    # Group b: one event at 2 among 4, then censored at 6, 7, 9 -> S(5) = 3/4.
    table = pd.DataFrame(
        {
            "time_years": [1.0, 3.0, 6.0, 8.0, 2.0, 6.0, 7.0, 9.0],
            "event": [
                "relapse",
                "death_in_remission",
                "censored",
                "censored",
                "relapse",
                "censored",
                "censored",
                "censored",
            ],  # fmt: skip
            "os_years": [9.0, 3.0, 6.0, 8.0, 9.0, 6.0, 7.0, 9.0],
            "vital": ["alive", "dead", "alive", "alive", "dead", "alive", "alive", "alive"],
        }
    )
    labels = pd.Series(["a"] * 4 + ["b"] * 4, dtype=object)
    settings = RelapseSettings.from_config(
        {"os_time_column": "os_years", "os_status_column": "vital"}
    )
    out = survival_table(table, {"g": (labels, ["a", "b"])}, settings)
    efs = out[out["endpoint"] == "event-free survival"].set_index("group")
    assert efs.loc["a", "survival"] == pytest.approx(0.5)
    assert efs.loc["b", "survival"] == pytest.approx(0.75)
    assert (efs.loc["a", "events"], efs.loc["b", "events"]) == (2, 1)
    # Log-rank by hand: event times 1, 2, 3 with (n_a, n_b) at risk (4,4), (3,4), (3,3).
    observed_a = 2
    expected_a = 4 / 8 + 3 / 7 + 3 / 6
    variance = (4 * 4 / 64) * 1 + (3 * 4 / 49) * 1 + (3 * 3 / 36) * 1
    statistic = (observed_a - expected_a) ** 2 / variance
    assert efs.loc["a", "logrank_statistic"] == pytest.approx(statistic, rel=1e-9)
    assert efs.loc["a", "logrank_p"] == pytest.approx(chi2.sf(statistic, 1), rel=1e-9)
    os_rows = out[out["endpoint"] == "overall survival"].set_index("group")
    assert os_rows.loc["a", "events"] == 1 and os_rows.loc["b", "events"] == 1
    assert os_rows.loc["a", "survival"] == pytest.approx(0.75)  # death at 3 among 4

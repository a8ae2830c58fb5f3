"""Edge cases of METHODS.md §8, bad input, and recovery of simulated truth.

Expected numbers are hand calculations from the formulas in METHODS.md §1-§3 (each was also
checked against R cmprsk 2.2-11 when written), invariances that must hold exactly (recoding
failcode/cencode, constant cengroup, tf = 1), or the truth of simulated data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ikaros.competing_risks import CompetingRisksInputError, cuminc, fine_gray, gray_test
from ikaros.competing_risks._censoring import censoring_weights


def _curve(result, cause, group="all"):
    c = result.curve(group, cause)
    return c.time, c.estimate, c.variance


# --- CIF and its variance: hand calculations ------------------------------------------------


def test_events_at_time_zero():
    # t=0: n=5, one failure of each cause -> F1 = 1/5, S = 3/5; t=1: n=3 cause 1 -> F1 = 0.4.
    # Var F1(1) = .04 (1 - .2/.6)^2 + .04 (.2/.6)^2 + .04 = .04 * 14/9.
    result = cuminc([0, 0, 1, 2, 3], [1, 2, 1, 0, 2])
    time, est, var = _curve(result, 1)
    np.testing.assert_array_equal(time, [0, 0, 0, 1, 1, 3])
    np.testing.assert_allclose(est, [0, 0, 0.2, 0.2, 0.4, 0.4], atol=1e-15)
    np.testing.assert_allclose(var, [0, 0, 0.04, 0.04, 0.04 * 14 / 9, 0.04 * 14 / 9], atol=1e-15)
    # Cause 2 ends with the last subject failing alone (S = 0): Var = 2/9.
    time, est, var = _curve(result, 2)
    np.testing.assert_array_equal(time, [0, 0, 0, 3, 3, 3])
    np.testing.assert_allclose(est[-1], 0.6, atol=1e-15)
    np.testing.assert_allclose(var[-1], 2 / 9, atol=1e-15)


def test_tied_cause_and_other_cause_use_separate_tie_factors():
    # n=4 at t=1 with 2 failures of the cause and 1 of the other cause: the tie factor applies to
    # d1 alone, (4-2)/(4-1), so Var = 2 * (2/3) / 16 = 1/12 (pooling d = 3 would give 1/16).
    time, est, var = _curve(cuminc([1, 1, 1, 2], [1, 1, 2, 0]), 1)
    assert est[2] == pytest.approx(0.5, abs=1e-15)
    assert var[2] == pytest.approx(1 / 12, abs=1e-15)


def test_last_subject_at_risk_failing():
    # F1 = 1/3, then the other cause, then the last subject fails (n = 1, tie factor 1):
    # Var = 1/9 (1/2)^2 + 1/9 * 1 + 1/9 = 1/4.
    time, est, var = _curve(cuminc([1, 2, 3], [1, 2, 1]), 1)
    np.testing.assert_allclose(est, [0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3], atol=1e-15)
    np.testing.assert_allclose(var[-1], 0.25, atol=1e-15)


def test_timepoints_past_follow_up_are_missing():
    time = [1, 2, 3, 10, 1, 2, 4, 30]
    status = [1, 0, 2, 0, 2, 1, 1, 0]
    group = ["short"] * 4 + ["long"] * 4
    tp = cuminc(time, status, group).timepoints([3, 10, 11, 30, 31])
    short = tp[(tp.group == "short") & (tp.cause == 1)].set_index("time")
    long_ = tp[(tp.group == "long") & (tp.cause == 1)].set_index("time")
    assert short.loc[10.0, "estimate"] == pytest.approx(0.25)  # at the last follow-up: defined
    assert np.isnan(short.loc[11.0, "estimate"]) and np.isnan(short.loc[11.0, "variance"])
    assert long_.loc[30.0, "estimate"] == pytest.approx(0.5)  # 0.75/3 + 0.5/2
    assert np.isnan(long_.loc[31.0, "estimate"])
    assert list(tp.columns) == ["group", "cause", "time", "estimate", "variance"]


def test_group_without_events_of_a_cause():
    result = cuminc([1, 2, 3, 4, 5, 6], [1, 2, 0, 2, 2, 0], [0, 0, 0, 1, 1, 1])
    time, est, var = _curve(result, 1, group=1)
    np.testing.assert_array_equal(time, [0, 6])
    np.testing.assert_array_equal(est, [0, 0])
    np.testing.assert_array_equal(var, [0, 0])
    tp = result.timepoints([5])
    assert tp[(tp.group == 1) & (tp.cause == 1)].estimate.item() == 0.0


def test_singular_gray_variance_gives_minus_one():
    # Group "a" is censored before the first event: it contributes nothing to the variance,
    # which is singular, and cmprsk reports statistic -1 (p = 1).
    time = [0.5, 0.5, 1, 2, 3, 4, 5]
    status = [0, 0, 1, 2, 1, 0, 1]
    group = ["a", "a", "b", "b", "b", "b", "b"]
    tests = gray_test(time, status, group)
    assert tests.statistic.tolist() == [-1.0, -1.0]
    assert tests.p_value.tolist() == [1.0, 1.0]
    assert tests.df.tolist() == [1, 1]


def test_cif_recovers_simulated_truth():
    # Constant cause-specific hazards 0.10 and 0.05: F1(t) = 2/3 (1 - exp(-0.15 t)).
    rng = np.random.default_rng(42)
    n = 6000
    t = rng.exponential(1 / 0.15, n)
    cause = np.where(rng.uniform(size=n) < 2 / 3, 1, 2)
    c = rng.uniform(0, 30, n)
    result = cuminc(np.minimum(t, c), np.where(t <= c, cause, 0))
    tp = result.timepoints([2, 5, 10])
    truth = 2 / 3 * (1 - np.exp(-0.15 * np.array([2, 5, 10])))
    rows = tp[tp.cause == 1]
    z = (rows.estimate.to_numpy() - truth) / np.sqrt(rows.variance.to_numpy())
    assert np.all(np.abs(z) < 4), z
    # The SE is of the right size: binomial-like at this n, within a factor of 1.5.
    naive = np.sqrt(truth * (1 - truth) / n)
    assert np.all(np.sqrt(rows.variance.to_numpy()) / naive < 1.5)
    assert np.all(np.sqrt(rows.variance.to_numpy()) / naive > 0.9)


# --- Fine-Gray -----------------------------------------------------------------------------


def _fine_gray_sample(n, beta, p=0.6, seed=3):
    """Fine & Gray (1999) design: F1(t | x) = 1 - (1 - p (1 - e^-t))^exp(beta x)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    r = np.exp(beta * x)
    f_inf = 1 - (1 - p) ** r
    is1 = rng.uniform(size=n) < f_inf
    v = rng.uniform(size=n)
    inner = (1 - (1 - v * f_inf) ** (1 / r)) / p
    t1 = -np.log1p(-np.minimum(inner, 1 - 1e-12))
    t2 = rng.exponential(1 / r)
    t = np.where(is1, t1, t2)
    c = rng.uniform(0, 3, n)
    status = np.where(t <= c, np.where(is1, 1, 2), 0)
    return np.minimum(t, c), status, x


def test_fine_gray_recovers_simulated_truth():
    time, status, x = _fine_gray_sample(4000, beta=0.5)
    fit = fine_gray(time, status, pd.DataFrame({"x": x}))
    assert fit.converged
    assert abs(fit.coef[0] - 0.5) < 4 * fit.se[0]
    pred = fit.predict(pd.DataFrame({"x": [0.0]}))
    truth = 0.6 * (1 - np.exp(-pred.time.to_numpy()))
    assert np.max(np.abs(pred[0].to_numpy() - truth)) < 0.03
    summary = fit.summary()
    assert summary.loc[0, "ci_lower"] < np.exp(0.5) < summary.loc[0, "ci_upper"]
    assert summary.loc[0, "sHR"] == pytest.approx(np.exp(fit.coef[0]))


def test_separation_is_not_silently_converged():
    rng = np.random.default_rng(5)
    n = 200
    x = rng.integers(0, 2, n).astype(float)
    status = np.where(x == 1, rng.choice([0, 2], n), rng.integers(0, 3, n))
    time = rng.exponential(10, n)
    fit = fine_gray(time, status, pd.DataFrame({"x": x, "z": rng.normal(size=n)}))
    assert not fit.converged
    assert fit.coef[0] < -5
    # The naive SE explodes; the sandwich SE does not (it collapses with the scores), so
    # ``converged`` is what the pipeline must check.
    assert np.sqrt(fit.invinf[0, 0]) > 10


def test_maxiter_zero_evaluates_at_start_only():
    time, status, x = _fine_gray_sample(300, beta=0.5)
    fit = fine_gray(time, status, x, maxiter=0)
    assert not fit.converged and fit.iterations == 0
    np.testing.assert_array_equal(fit.coef, [0.0])
    assert fit.loglik == pytest.approx(fit.loglik_null, abs=1e-12)


def test_censoring_weights_follow_cmprsk():
    # Group 0 (5 subjects) times 0(cens) 0(fail) 1(fail) 2(cens) 4(fail):
    # G(0) = 1 - 1/5 = 0.8, G(2) = 0.8 * (1 - 1/2) = 0.4.
    time = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    censored = np.array([1, 0, 0, 1, 0, 0, 0], dtype=bool)
    group = np.array([0, 0, 0, 0, 1, 0, 1])
    w = censoring_weights(time, censored, group, 2)
    # Subjects at time 0 get G(0) (censoring at 0 included), not G(0-) = 1.
    np.testing.assert_allclose(w[0, :2], [0.8, 0.8])
    np.testing.assert_allclose(w[0, 2:4], [0.8, 0.8])  # G(1-), G(2-)
    np.testing.assert_allclose(w[0, 4:6], [0.4, 0.4])  # G(3-), G(4-)
    assert w[0, 6] == 0.0  # past group 0's last time the weight drops to 0
    np.testing.assert_allclose(w[1], [1, 1, 1, 1, 1, 1, 1])


def test_constant_cengroup_equals_default_and_two_groups_differ():
    bm = _bmtcrr_like(seed=9)
    x = bm[["x1", "x2"]]
    base = fine_gray(bm.time, bm.status, x)
    same = fine_gray(bm.time, bm.status, x, cengroup=np.full(len(bm), "one"))
    np.testing.assert_array_equal(base.coef, same.coef)
    np.testing.assert_array_equal(base.var, same.var)
    split = fine_gray(bm.time, bm.status, x, cengroup=bm.site)
    assert split.cengroups == ["A", "B"]
    assert np.max(np.abs(split.coef - base.coef)) > 1e-6


def _bmtcrr_like(seed, n=300):
    rng = np.random.default_rng(seed)
    site = rng.choice(["A", "B"], n)
    x1, x2 = rng.normal(size=n), rng.integers(0, 2, n).astype(float)
    t = rng.exponential(10 * np.exp(-0.3 * x1), n)
    c = np.where(site == "A", rng.uniform(2, 20, n), rng.uniform(5, 40, n))
    cause = rng.choice([1, 2, 3], n, p=[0.5, 0.3, 0.2])
    return pd.DataFrame(
        {
            "time": np.round(np.minimum(t, c), 1),
            "status": np.where(t <= c, cause, 0),
            "x1": x1,
            "x2": x2,
            "site": site,
            "group": rng.integers(0, 3, n),
        }
    )


def test_failcode_and_cencode_are_labels_only():
    d = _bmtcrr_like(seed=11)
    x = d[["x1", "x2"]]
    swapped = d.status.map({0: 0, 1: 2, 2: 1, 3: 3})
    a = fine_gray(d.time, d.status, x, failcode=1)
    b = fine_gray(d.time, swapped, x, failcode=2)
    np.testing.assert_allclose(b.coef, a.coef, atol=1e-14)
    np.testing.assert_allclose(b.var, a.var, atol=1e-14)
    recoded = d.status.where(d.status != 0, 9)
    c = fine_gray(d.time, recoded, x, cencode=9)
    np.testing.assert_allclose(c.coef, a.coef, atol=1e-14)
    ci_a = cuminc(d.time, d.status, d.group)
    ci_c = cuminc(d.time, recoded, d.group, cencode=9)
    pd.testing.assert_frame_equal(ci_a.tests, ci_c.tests)
    pd.testing.assert_frame_equal(ci_a.timepoints([5, 10]), ci_c.timepoints([5, 10]))
    # Lumping causes 2 and 3 leaves cause 1's CIF, variance and Gray test unchanged.
    lumped = cuminc(d.time, d.status.replace(3, 2), d.group)
    pd.testing.assert_frame_equal(
        lumped.timepoints([5, 10]).query("cause == 1").reset_index(drop=True),
        ci_a.timepoints([5, 10]).query("cause == 1").reset_index(drop=True),
    )
    assert lumped.tests.statistic[0] == pytest.approx(ci_a.tests.statistic[0], abs=1e-12)


def test_missing_values_dropped_and_counted():
    d = _bmtcrr_like(seed=13)
    holed = d.copy()
    holed.loc[[3, 50], "time"] = np.nan
    holed.loc[[7], "status"] = np.nan
    holed.loc[[9, 50], "x1"] = np.nan
    holed["group"] = holed.group.astype(object)
    holed.loc[[11], "group"] = None
    fit = fine_gray(holed.time, holed.status, holed[["x1", "x2"]])
    assert (fit.n_dropped, fit.n_used) == (4, len(d) - 4)
    complete = d.drop(index=[3, 7, 9, 50])
    ref = fine_gray(complete.time, complete.status, complete[["x1", "x2"]])
    np.testing.assert_allclose(fit.coef, ref.coef, atol=1e-14)
    ci = cuminc(holed.time, holed.status, holed.group)
    assert ci.n_dropped == 4  # time (2), status, group
    keep = d.drop(index=[3, 7, 11, 50])
    ref_ci = cuminc(keep.time, keep.status, keep.group)
    pd.testing.assert_frame_equal(ci.tests, ref_ci.tests)


def test_time_varying_with_constant_tf_equals_fixed_covariate():
    d = _bmtcrr_like(seed=17)
    fixed = fine_gray(d.time, d.status, d[["x1", "x2"]])
    tv = fine_gray(d.time, d.status, d[["x1"]], cov2=d[["x2"]], tf=lambda t: np.ones((len(t), 1)))
    assert tv.terms == ["x1", "x2*tf1"]
    np.testing.assert_allclose(tv.coef, fixed.coef, atol=1e-12)
    np.testing.assert_allclose(tv.var, fixed.var, atol=1e-12)
    np.testing.assert_allclose(tv.loglik, fixed.loglik, atol=1e-10)
    np.testing.assert_allclose(tv.baseline_jumps, fixed.baseline_jumps, rtol=1e-11)
    rows = pd.DataFrame({"x1": [0.0, 1.0], "x2": [1.0, 0.0]})
    np.testing.assert_allclose(
        tv.predict(rows[["x1"]], cov2=rows[["x2"]]).to_numpy(), fixed.predict(rows).to_numpy()
    )


def test_wald_test_of_one_term_equals_squared_z():
    d = _bmtcrr_like(seed=19)
    fit = fine_gray(d.time, d.status, d[["x1", "x2"]])
    wald = fit.wald_test(["x1"])
    assert wald["statistic"] == pytest.approx((fit.coef[0] / fit.se[0]) ** 2)
    assert wald["p_value"] == pytest.approx(fit.summary().p_value[0])


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cuminc([1, -2, 3], [1, 0, 1]), "position 1: expected a time >= 0"),
        (lambda: cuminc([1, 2, 3], [1, -1, 1]), "position 1: code -1"),
        (lambda: cuminc([1, 2, 3], [1, 1.5, 1]), "neither the censoring code"),
        (lambda: cuminc([1, 2, 3], [1, 0, 0], cencode=9), "position 1: code 0"),
        (lambda: cuminc([1, 2, 3], [1, 0, 1], ["a", "a", "a"]), "only one level"),
        (lambda: gray_test([1, 2, 3], [1, 0, 1], [1, 1, None]), "only one level"),
        (lambda: cuminc([1, 2, 3], [1, 0], [1, 2, 1]), "same length"),
        (lambda: cuminc(["1", "x", "3"], [1, 0, 1]), "time: position 1: expected a number"),
        (lambda: fine_gray([1, 2, 3], [1, 0, 2], [[1.0], [2.0]]), "same length"),
        (lambda: fine_gray([1, 2, 3], [2, 0, 2], [1.0, 2.0, 3.0]), "no subject has the failcode"),
        (
            lambda: fine_gray([1, 2, 3], [1, 0, 2], [1.0, 2.0, 3.0], cov2=[1.0, 0.0, 1.0]),
            "cov2 and tf",
        ),
        (
            lambda: fine_gray(
                [1, 2, 3], [1, 0, 1], [1.0, 2, 3], cov2=[1.0, 0, 1], tf=lambda t: np.ones(5)
            ),
            "tf: expected a 2 x 1 matrix",
        ),
        (lambda: cuminc([np.nan, np.nan], [1, 0]), "no complete rows"),
    ],
)
def test_bad_input_raises_clear_error(call, message):
    with pytest.raises(CompetingRisksInputError, match=message):
        call()


def test_predict_checks_width():
    d = _bmtcrr_like(seed=23)
    fit = fine_gray(d.time, d.status, d[["x1", "x2"]])
    with pytest.raises(CompetingRisksInputError, match="has 1 columns, the model has 2"):
        fit.predict([[1.0]])


def test_constant_or_collinear_covariates_raise():
    d = _bmtcrr_like(seed=29)
    with pytest.raises(CompetingRisksInputError, match="column 'k' is constant"):
        fine_gray(d.time, d.status, d[["x1"]].assign(k=1.0))
    with pytest.raises(CompetingRisksInputError, match="collinear"):
        fine_gray(d.time, d.status, d[["x1", "x2"]].assign(x3=lambda f: f.x1 + f.x2))


def test_unnamed_covariates_get_positional_names():
    d = _bmtcrr_like(seed=31)
    fit = fine_gray(d.time, d.status, d[["x1", "x2"]].to_numpy())
    assert fit.terms == ["x1", "x2"]
    tv = fine_gray(d.time, d.status, cov2=d[["x1"]].to_numpy(), tf=lambda t: np.log1p(t)[:, None])
    assert tv.terms == ["cov2_1*tf1"]
    pred = tv.predict(cov2=[[0.0], [1.0]])
    assert pred.shape == (len(tv.fail_times), 3)
    assert np.all(np.diff(pred[1].to_numpy()) >= 0)


# --- The compiled sort and statistic ---------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 9, 3000])
def test_the_radix_sort_orders_rows_as_a_stable_sort_does(n):
    """Times with ties, zeros and a negative zero (validated times are >= 0): the rows come back
    in numpy's stable order, the other columns moved with their times."""
    from ikaros.competing_risks._event_grid import _sorted_by_time

    rng = np.random.default_rng(n)
    time = np.round(rng.exponential(5.0, n), 1)
    time[: min(2, n)] = 0.0
    if n > 3:
        time[3] = -0.0
        time[4] = 1e300  # the largest exponent digits differ from the rest
    group, kind = rng.integers(0, 3, n), rng.integers(0, 3, n)
    order = np.argsort(time, kind="stable")
    got = _sorted_by_time(time, group, kind, np.arange(n))
    for column, want in zip(got, (time, group, kind, np.arange(n)), strict=True):
        np.testing.assert_array_equal(column, want[order])


def test_the_compiled_statistic_flags_a_singular_variance_and_leaves_nonfinite_to_numpy():
    from ikaros.competing_risks.gray import _chi_square_statistics, qr_rank

    assert qr_rank(np.array([[1.0, 2.0], [2.0, 4.0]])) == 1  # second column = 2 x first
    assert qr_rank(np.eye(3)) == 3 and qr_rank(np.zeros((2, 2))) == 0
    score = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, np.inf]])
    var = np.array([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 2.0]]])
    stats = _chi_square_statistics(score, var)
    # [1 2] [[2 1] [1 2]]^-1 [1 2]' = [1 2] . [0, 1] = 2 (by hand)
    assert stats[0] == pytest.approx(2.0, abs=1e-14)
    assert stats[1] == -1.0 and np.isnan(stats[2])


@pytest.mark.parametrize("n_groups", [2, 3])
@pytest.mark.parametrize("rho", [0.0, 0.5, -1.0])
def test_the_scalar_gray_kernel_equals_the_array_kernel(n_groups, rho):
    """Two or three groups run on scalars; the array kernel (any G) must give the same score
    and variance on designs with ties, a group that never fails of a cause, and risk sets that
    empty before the last time."""
    from ikaros.competing_risks._event_grid import EventGrid, SortedRows, cause_kinds
    from ikaros.competing_risks.gray import (
        _any_group_moments,
        _cause_free,
        _cause_moments,
        _pooled_cif,
    )

    rng = np.random.default_rng(100 * n_groups + int(10 * rho))
    for _ in range(20):
        n = int(rng.integers(5, 400))
        time = np.round(rng.exponential(3.0, n), 1)
        group = rng.integers(0, n_groups, n)
        status = rng.integers(0, 3, n)
        status[(group == 0) & (status == 2)] = 1  # group 0 never fails of cause 2
        time[group == 1] *= 0.3  # group 1's risk set empties early
        causes, kind = cause_kinds(status, status == 0)
        rows = SortedRows.build(time, group, kind, np.zeros(n, dtype=np.int64), n_groups,
                                len(causes))  # fmt: skip
        grid = EventGrid(rows)
        cause_free = _cause_free(grid.n, grid.surv, grid.surv_prev)
        for c in range(len(causes)):
            args = (grid.n, grid.d[c], grid.d_all, grid.surv, grid.surv_prev, cause_free)
            pooled = _pooled_cif(grid.d[c], cause_free[3], cause_free[4], rho)
            assert pooled[4]  # finite weights: the scalar kernel is the one used
            k = n_groups - 1
            scalar = (np.zeros(k), np.zeros((k, k)))
            _cause_moments(*args, rho, *scalar)
            arrays = (np.zeros(k), np.zeros((k, k)))
            _any_group_moments(*args, pooled[:4], True, *arrays)
            np.testing.assert_allclose(scalar[0], arrays[0], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(scalar[1], arrays[1], rtol=1e-12, atol=1e-12)
            assert np.any(arrays[1] != 0)

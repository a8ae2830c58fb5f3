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


def _times_to_sort(n, rng, pattern):
    if pattern == "ties":
        time = np.round(rng.exponential(5.0, n), 1)
    elif pattern == "continuous":
        time = rng.exponential(5.0, n)
    elif pattern == "alike":  # every time alike in the top 31 bits: ordered after the passes
        time = 1.0 + rng.integers(0, 50, n) * 1e-12
    else:  # half of them in runs alike in the top bits, some longer than an insertion run
        time = np.where(rng.uniform(size=n) < 0.5, 3.0 + rng.integers(0, 5, n) * 1e-13,
                        rng.exponential(1.0, n))  # fmt: skip
    time[: min(2, n)] = 0.0
    if n > 3:
        time[3] = -0.0
        time[4] = 1e300  # the largest exponent digits differ from the rest
    return time


@pytest.mark.parametrize("n", [1, 2, 9, 3000])
@pytest.mark.parametrize("pattern", ["ties", "continuous", "alike", "mixed"])
def test_the_radix_sorts_order_rows_as_a_stable_sort_does(n, pattern):
    """Both radix sorts give numpy's stable order with the other columns moved with their times,
    and +0.0 for -0.0 (validated times are >= 0)."""
    from ikaros.competing_risks._event_grid import _sorted_by_time, sorted_cells

    rng = np.random.default_rng(n)
    time = _times_to_sort(n, rng, pattern)
    group, kind = rng.integers(0, 3, n), rng.integers(0, 3, n)
    order = np.argsort(time, kind="stable")
    got = _sorted_by_time(time, group, kind, np.arange(n))
    for column, want in zip(got, (time, group, kind, np.arange(n)), strict=True):
        np.testing.assert_array_equal(column, want[order])
    sorted_time, cells = sorted_cells(time, np.arange(n, dtype=np.int32))
    np.testing.assert_array_equal(sorted_time, time[order])
    np.testing.assert_array_equal(cells, order)
    assert not np.signbit(sorted_time).any()


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


def _kernel_designs(n_groups, n_causes, seed):
    """Designs with ties, a group that never fails of one cause, a risk set that empties before
    the last time, and censored-only times."""
    rng = np.random.default_rng(seed)
    for _ in range(15):
        n = int(rng.integers(5, 400))
        time = np.round(rng.exponential(3.0, n), 1)
        group = rng.integers(0, n_groups, n)
        status = rng.integers(0, n_causes + 1, n)
        if n_causes > 1:
            status[(group == 0) & (status == 2)] = 1  # group 0 never fails of cause 2
        if n_groups > 1:
            time[group == 1] *= 0.3  # group 1's risk set empties early
        yield time, status, group


@pytest.mark.parametrize("n_groups", [1, 2, 3])
@pytest.mark.parametrize("n_causes", [1, 2, 3])
@pytest.mark.parametrize("rho", [0.0, 0.5, -1.0])
def test_the_streamed_kernel_equals_the_grid_kernels(n_groups, n_causes, rho):
    """One read of the sorted rows (curves, and Gray's score and variance split as quadratics in
    the totals of c(t)) gives the curves of ``cif_curves`` and the moments of the grid's array
    kernel to rounding."""
    from ikaros.competing_risks._event_grid import EventGrid, SortedRows, cause_kinds
    from ikaros.competing_risks._streamed import cells_of, stream_cells
    from ikaros.competing_risks.cuminc import _longest_followup, cif_curves
    from ikaros.competing_risks.gray import _cause_free, _pooled_cif, _stratum_score

    seed = 100 * n_groups + 10 * n_causes + int(10 * rho)
    compared = 0
    for time, status, group in _kernel_designs(n_groups, n_causes, seed):
        causes, kind = cause_kinds(status, status == 0)
        if not causes:
            continue
        rows = SortedRows.build(time, group, kind, np.zeros(len(time), dtype=np.int64), n_groups,
                                len(causes))  # fmt: skip
        grid = EventGrid(rows)
        y_max = _longest_followup(rows.time, rows.group, n_groups)
        curve_time, estimate, variance, offsets = cif_curves(
            grid.time, grid.n, grid.d, grid.d_all, grid.surv, grid.surv_prev, y_max
        )
        cells = cells_of(group, kind, len(causes) + 1)
        out = stream_cells(time, cells, n_groups, len(causes), rho)
        np.testing.assert_array_equal(out.length, np.diff(offsets))
        for start, first, length in zip(out.start, offsets, out.length, strict=False):
            mine, grids = slice(start, start + length), slice(first, first + length)
            np.testing.assert_array_equal(out.time[mine], curve_time[grids])
            np.testing.assert_allclose(out.estimate[mine], estimate[grids], rtol=1e-13)
            np.testing.assert_allclose(out.variance_of_estimate[mine], variance[grids],
                                       rtol=1e-12, atol=1e-15)  # fmt: skip
        if n_groups == 1:
            continue
        cause_free = _cause_free(grid.n, grid.surv, grid.surv_prev)
        finite = all(_pooled_cif(grid.d[c], cause_free[3], cause_free[4], rho)[4]
                     for c in range(len(causes)))  # fmt: skip
        assert out.finite == finite  # F0 can pass 1 once a group's risk set is empty
        if not finite:
            continue  # (1 - F0)^rho is NaN: cuminc and gray_test take the grid
        score, var = _stratum_score(grid, rho)
        k = n_groups - 1
        streamed_var = out.variance[:, [0, 1, 1, 2]].reshape(-1, 2, 2)[:, :k, :k]
        scale = max(np.abs(var).max(), 1.0)
        np.testing.assert_allclose(out.score[:, :k], score, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(streamed_var, var, rtol=1e-10, atol=1e-12 * scale)
        compared += bool(np.any(var != 0))
    assert n_groups == 1 or compared >= 5


@pytest.mark.parametrize("k", [1, 2])
def test_the_few_df_statistic_equals_the_general_one(k):
    """The compiled statistic for one or two df (closed-form tails, 2 x 2 elimination) against
    numba's solve and scipy's chdtrc; a singular variance gives -1 and p 1 in both."""
    from scipy.special import chdtrc

    from ikaros.competing_risks.gray import _chi_square_statistics, _few_df_statistics

    rng = np.random.default_rng(k)
    score = rng.normal(0, 5, (40, 2))
    a = rng.normal(0, 3, (40, 2, 2))
    full = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(2)
    full[3] = [[1.0, 2.0], [2.0, 4.0]]  # singular
    full[5, 0, 0] = 1e-9  # a small pivot: the rows are swapped
    full[5, 0, 1] = full[5, 1, 0] = 1e-6
    packed = np.stack([full[:, 0, 0], full[:, 0, 1], full[:, 1, 1]], axis=1)
    stats, p = _few_df_statistics(score, packed, k)
    want = _chi_square_statistics(score[:, :k].copy(), full[:, :k, :k].copy())
    np.testing.assert_allclose(stats, want, rtol=1e-12)
    ok = want >= 0
    np.testing.assert_allclose(p[ok], chdtrc(k, want[ok]), rtol=1e-12, atol=1e-300)
    if k == 2:
        assert stats[3] == -1.0 and p[3] == 1.0


def test_coded_input_and_general_input_give_the_same_result():
    """Integer groups and codes take the compiled coding (``coded_rows``); the same data with
    string groups, a missing row or strata take ``clean_input`` and ``factor_levels``: the
    same curves and tests (strata aside), in the same level order."""
    from ikaros.competing_risks._validation import coded_rows

    rng = np.random.default_rng(5)
    n = 300
    time = np.round(rng.exponential(3.0, n), 1)
    status = rng.integers(0, 3, n)
    group = rng.integers(0, 3, n) * 2 + 1  # values 1, 3, 5
    assert coded_rows(time, status, group, 0) is not None
    fast = cuminc(time, status, group)
    labels = np.array(["a", "b", "c"])[(group - 1) // 2]
    assert coded_rows(time, status, labels, 0) is None
    general = cuminc(time, status, labels)
    holed = cuminc(np.append(time, np.nan), np.append(status, 1), np.append(group, 1))
    assert fast.groups == [1, 3, 5] and general.groups == ["a", "b", "c"]
    assert holed.n_dropped == 1 and holed.groups == [1, 3, 5]
    for other in (general, holed):
        for (g1, cause), (g2, _) in zip(fast.curves, other.curves, strict=True):
            np.testing.assert_array_equal(fast.curve(g1, cause).estimate,
                                          other.curve(g2, cause).estimate)  # fmt: skip
        pd.testing.assert_frame_equal(fast.tests, other.tests)
    pd.testing.assert_frame_equal(fast.tests, gray_test(time, status, group))
    one_stratum = gray_test(time, status, group, strata=np.zeros(n))
    np.testing.assert_allclose(one_stratum.statistic, fast.tests.statistic, rtol=1e-10)

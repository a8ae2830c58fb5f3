"""Gray's (1988) K-sample test for equality of cumulative incidence functions.

Per stratum, the score for group j compares its failures of the cause with those expected under
the pooled subdistribution "risk set" R_j = n_j (1 - F_j-) / S_j-, weighted by (1 - F0-)^rho;
scores and variances are summed over strata and the statistic is z' V^-1 z on G - 1 df. The
variance is Gray's, with cmprsk's tie factors (METHODS.md §2). Without strata, up to three
groups (the usual tests) are computed while the sorted rows are read (``_streamed``); strata,
more groups and infinite weights run here, one compiled pass per cause over each stratum's
failure-time grid (``_event_grid``), visiting only the times that add a nonzero term; all
causes share the cause-free risk sets.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numba import njit
from scipy.special import chdtrc

from ikaros.competing_risks._event_grid import EventGrid, SortedRows, cause_kinds, tie_factor
from ikaros.competing_risks._streamed import cells_of, stream_cells, streams
from ikaros.competing_risks._validation import (
    CompetingRisksInputError,
    as_level_list,
    clean_input,
    coded_rows,
    factor_levels,
)

QR_TOLERANCE = 1e-7  # R's qr() default: a column is negligible below tol x its original norm


@njit(cache=True, nogil=True)
def qr_rank(matrix: np.ndarray, tol: float = QR_TOLERANCE) -> int:
    """Rank as R's ``qr()`` (LINPACK dqrdc2) decides it, scanning columns left to right."""
    n_rows, n_cols = matrix.shape
    basis = np.empty((n_cols, n_rows))
    rank = 0
    for j in range(n_cols):
        residual = matrix[:, j].astype(np.float64)
        norm0 = np.sqrt(np.sum(residual * residual))
        for q in range(rank):
            residual -= basis[q] * np.sum(basis[q] * residual)
        norm = np.sqrt(np.sum(residual * residual))
        if norm >= tol * (norm0 if norm0 > 0 else 1.0) and norm > 0:
            basis[rank] = residual / norm
            rank += 1
    return rank


@njit(cache=True, nogil=True)
def _chi_square_statistics(score: np.ndarray, var: np.ndarray) -> np.ndarray:
    """z' V^-1 z per cause; -1 where V is singular by R's qr() rank (cmprsk's flag, p = 1).

    NaN where V or z holds an inf or NaN that the rank check let through: the compiled solve
    refuses those, so the caller solves them with numpy (whatever LAPACK makes of them).
    """
    n_causes, k = score.shape
    stats = np.empty(n_causes)
    for c in range(n_causes):
        if qr_rank(var[c]) < k:
            stats[c] = -1.0
        elif not (np.all(np.isfinite(var[c])) and np.all(np.isfinite(score[c]))):
            stats[c] = np.nan
        else:
            stats[c] = np.sum(score[c] * np.linalg.solve(var[c], score[c]))
    return stats


def _stratum_score(grid: EventGrid, rho: float):
    """Score (causes, G-1) and variance (causes, G-1, G-1) of one stratum."""
    n_causes, n_groups = grid.d.shape[:2]
    if grid.n_times == 0:
        return np.zeros((n_causes, n_groups - 1)), np.zeros((n_causes, n_groups - 1, n_groups - 1))
    return _stratum_moments(grid.n, grid.d, grid.d_all, grid.surv, grid.surv_prev, float(rho))


@njit(cache=True, nogil=True)
def _stratum_moments(n, d, d_all, surv, surv_prev, rho):
    """Gray's score and variance of one stratum for every cause (cmprsk's ``crstm``).

    The cause-free factors (h, 1/H, S_j-/n_j, 1/S_j) are divided out once, before the causes'
    passes (``_cause_moments``).
    """
    n_causes, n_groups, n_times = d.shape
    k = n_groups - 1
    cause_free = _cause_free(n, surv, surv_prev)
    score, var = np.zeros((n_causes, k)), np.zeros((n_causes, k, k))
    for c in range(n_causes):
        _cause_moments(n, d[c], d_all, surv, surv_prev, cause_free, rho, score[c], var[c])
    return score, var


@njit(cache=True, nogil=True)
def _cause_free(n, surv, surv_prev):
    """h = n_j / S_j-, S_j- / n_j, 1 / S_j (0 where S_j = 0), H and 1 / H, time-major so that
    one time's groups sit together."""
    n_groups, n_times = n.shape
    h, per_n = np.zeros((n_times, n_groups)), np.empty((n_times, n_groups))
    inv_s = np.empty((n_times, n_groups))
    big_h, inv_h = np.zeros(n_times), np.empty(n_times)
    for t in range(n_times):
        for g in range(n_groups):
            nt, s = n[g, t], surv[g, t]
            if nt > 0:
                h[t, g] = nt / surv_prev[g, t]
            big_h[t] += h[t, g]
            per_n[t, g] = surv_prev[g, t] / (nt if nt > 0 else 1.0)
            inv_s[t, g] = 1.0 / s if s > 0 else 0.0
        inv_h[t] = 1.0 / big_h[t]
    return h, per_n, inv_s, big_h, inv_h


@njit(cache=True, nogil=True)
def _cause_moments(n, d, d_all, surv, surv_prev, cause_free, rho, score, var):
    """One cause's score (G-1) and variance (G-1, G-1), added into ``score`` and ``var``.

    h_j = n_j / S_j- is group j's subdistribution risk set before the CIF factor, H = sum_j h_j,
    F0 the pooled CIF of the cause. The score sums, over the cause's failure times, observed
    minus expected failures with R_j = h_j (1 - F_j-). The variance has a term per cause failure
    time, with a(t) = w h_j (delta_jk - h_k / H) and c(t) the running sum of
    a D1 / (H (1 - F0-)), and a term per (group, time) with a competing failure and S_j > 0.
    Only those times add nonzero terms as long as every weight is finite; otherwise every time
    and pair is visited so that NaN and inf propagate as in cmprsk.
    """
    f0, w, scale, big_d1, finite = _pooled_cif(d, cause_free[3], cause_free[4], rho)
    pooled = (f0, w, scale, big_d1)
    _any_group_moments(n, d, d_all, surv, surv_prev, cause_free, pooled, finite, score, var)


@njit(cache=True, nogil=True)
def _pooled_cif(d, big_h, inv_h, rho):
    """The cause's pooled CIF F0, weights (1 - F0-)^rho, c(t) scale D1 / (H (1 - F0-)) and
    failures D1 per time, and whether every weight and scale is finite."""
    n_groups, n_times = d.shape
    f0, w = np.empty(n_times), np.ones(n_times)
    scale, big_d1 = np.zeros(n_times), np.zeros(n_times)
    finite, f0_prev = True, 0.0
    for t in range(n_times):
        total = 0.0
        for g in range(n_groups):
            total += d[g, t]
        big_d1[t] = total
        if rho != 0:
            w[t] = (1.0 - f0_prev) ** rho
        f0[t] = f0_prev + total * inv_h[t]
        scale[t] = total / (big_h[t] * (1.0 - f0_prev)) if total > 0 else 0.0
        finite = finite and np.isfinite(scale[t]) and np.isfinite(w[t])
        f0_prev = f0[t]
    return f0, w, scale, big_d1, finite


@njit(cache=True, nogil=True, inline="always")
def _tie_factor_cause(d1_t, big_h_t, surv_prev_gt):
    """cmprsk's tie factor of the cause's failures in one group's term."""
    if d1_t == 1:
        return 1.0
    return 1.0 - (d1_t - 1.0) / (big_h_t * surv_prev_gt - 1.0)


@njit(cache=True, nogil=True, inline="always")
def _competing_weight(d_all_gt, d_gt, n_gt, surv_gt, per_n_gt):
    """tau2 (S_j-/n_j)^2 d2 of a group's competing failures (0 when none or S_j = 0)."""
    d2 = d_all_gt - d_gt
    if d2 <= 0 or surv_gt <= 0:
        return 0.0
    return tie_factor(d2, n_gt) * per_n_gt * per_n_gt * d2


@njit(cache=True, nogil=True)
def _any_group_moments(n, d, d_all, surv, surv_prev, cause_free, pooled, finite, score, var):
    """Gray's score and variance terms for any number of groups, on small arrays (see
    ``_cause_moments``); with ``finite`` false every time and pair is visited. a(t) is cheap
    and is computed again in the variance pass rather than kept for every time."""
    h, per_n, inv_s, big_h, inv_h = cause_free
    f0, w, scale, big_d1 = pooled
    n_groups, n_times = d.shape
    k = n_groups - 1
    a = np.empty((n_groups, k))
    c_run, c_total = np.zeros((n_groups, k)), np.zeros((n_groups, k))
    cif, u = np.zeros(n_groups), np.empty(k)
    # The score and the total of c(t), at the times that add a term.
    for t in range(n_times):
        if finite and big_d1[t] == 0:
            continue
        big_r = 0.0
        for g in range(n_groups):
            big_r += h[t, g] * (1.0 - cif[g])
        ratio = big_d1[t] / (big_r if big_r > 0 else 1.0)
        wt = w[t]
        for g in range(n_groups):
            d1 = d[g, t]
            excess = d1 - h[t, g] * (1.0 - cif[g]) * ratio
            if g < k:
                score[g] += excess * wt
            cif[g] += per_n[t, g] * d1
        _fill_a(a, h[t], inv_h[t], wt)
        for g in range(n_groups):
            for m in range(k):
                if finite or a[g, m] != 0:
                    c_total[g, m] += a[g, m] * scale[t]
    # The variance: per cause failure time, then per competing failure of a group.
    for t in range(n_times):
        d1_t, remaining_f0 = big_d1[t], 1.0 - f0[t]
        if not finite or d1_t > 0:
            _fill_a(a, h[t], inv_h[t], w[t])
            for g in range(n_groups):
                for m in range(k):
                    if finite or a[g, m] != 0:
                        c_run[g, m] += a[g, m] * scale[t]
            jump = d1_t * inv_h[t]
            for g in range(n_groups):
                e = 0.0
                if d1_t > 0 and n[g, t] > 0:
                    e = _tie_factor_cause(d1_t, big_h[t], surv_prev[g, t]) * per_n[t, g] * jump
                b = 1.0 - remaining_f0 * inv_s[t, g] if surv[g, t] > 0 else 1.0
                for m in range(k):
                    u[m] = a[g, m] + b * (c_total[g, m] - c_run[g, m])
                _add_outer(var, u, e)
        for g in range(n_groups):
            e2 = _competing_weight(d_all[g, t], d[g, t], n[g, t], surv[g, t], per_n[t, g])
            if finite and e2 == 0:
                continue
            b2 = remaining_f0 * inv_s[t, g] if e2 != 0 else 0.0
            for m in range(k):
                u[m] = b2 * (c_total[g, m] - c_run[g, m])
            _add_outer(var, u, e2)


@njit(cache=True, nogil=True, inline="always")
def _fill_a(a, h_t, inv_h_t, wt):
    """a(t) = w h_j (delta_jm - h_m / H) for groups j and the first G-1 groups m."""
    n_groups, k = a.shape
    for g in range(n_groups):
        for m in range(k):
            value = -(h_t[g] * (h_t[m] * inv_h_t)) * wt
            if g == m:
                value += wt * h_t[g]
            a[g, m] = value


@njit(cache=True, nogil=True, inline="always")
def _add_outer(var, u, e):
    """var += (u e) u' (symmetric: the upper triangle is computed and mirrored)."""
    k = len(u)
    for m1 in range(k):
        ue = u[m1] * e
        for m2 in range(m1, k):
            term = ue * u[m2]
            var[m1, m2] += term
            if m2 != m1:
                var[m2, m1] += term


def _stratum_grids(
    rows: SortedRows, n_strata: int, whole_grid: EventGrid | None
) -> list[EventGrid]:
    """One grid per stratum; with a single stratum the caller's whole-data grid is reused."""
    if n_strata == 1:
        return [whole_grid if whole_grid is not None else EventGrid(rows)]
    return [EventGrid(rows.subset(rows.stratum == s)) for s in range(n_strata)]


def gray_statistics(
    rows: SortedRows, n_strata: int, causes: list, rho=0.0, whole_grid: EventGrid | None = None
) -> pd.DataFrame:
    """Gray's test per cause on sorted clean rows (strata 0..n_strata-1, all present), on the
    grid: the path for strata, more than three groups and weights that are not finite.

    ``whole_grid``: a grid of all rows, if the caller built one (reused when n_strata is 1).
    """
    k = rows.n_groups - 1
    score = np.zeros((len(causes), k))
    var = np.zeros((len(causes), k, k))
    if causes:
        for grid in _stratum_grids(rows, n_strata, whole_grid):
            z, v = _stratum_score(grid, rho)
            score += z
            var += v
    return tests_table(causes, score, var)


def tests_table(causes: list, score: np.ndarray, var: np.ndarray) -> pd.DataFrame:
    """z' V^-1 z per cause on G - 1 df, with its p-value; statistic -1 and p 1 where V is
    singular, as cmprsk reports it."""
    k = score.shape[1]
    if not causes:
        return pd.DataFrame([], columns=["cause", "statistic", "df", "p_value"])
    stats = _chi_square_statistics(score, var)
    for c in np.flatnonzero(np.isnan(stats)):
        stats[c] = score[c] @ np.linalg.solve(var[c], score[c])
    # chi2.sf is chdtrc for statistics >= 0 and 1 below the support (the -1 flag).
    p_values = np.where(stats < 0, 1.0, chdtrc(k, np.maximum(stats, 0.0)))
    return _table(causes, stats, k, p_values)


def _table(causes: list, stats: np.ndarray, k: int, p_values: np.ndarray) -> pd.DataFrame:
    # From a dict in column order (columns= would cost a reindex); the arrays are new, so no copy.
    return pd.DataFrame(
        {
            "cause": np.asarray(causes, dtype=np.int64),
            "statistic": stats,
            "df": np.full(len(causes), k, dtype=np.int64),
            "p_value": p_values,
        },
        copy=False,
    )


def streamed_tests(causes: list, n_groups: int, score: np.ndarray, var: np.ndarray):
    """``tests_table`` from ``_streamed.stream``'s score (causes, 2) and variance (causes, 3:
    v00, v01, v11), of which two groups use the first column; compiled for these one or two
    degrees of freedom, whose chi-square tails have closed forms."""
    k = n_groups - 1
    stats, p_values = _few_df_statistics(score, var, k)
    if np.isnan(stats).any():  # a value that is not finite: numpy's solve decides
        full = np.empty((len(causes), 2, 2))
        full[:, 0, 0], full[:, 0, 1], full[:, 1, 0], full[:, 1, 1] = (
            var[:, 0],
            var[:, 1],
            var[:, 1],
            var[:, 2],
        )
        return tests_table(causes, score[:, :k].copy(), full[:, :k, :k].copy())
    return _table(causes, stats, k, p_values)


@njit(cache=True, nogil=True)
def _few_df_statistics(score, var, k):
    """z' V^-1 z and its chi-square tail on k = 1 or 2 df per cause: -1 and p 1 where V is
    singular by R's qr() rank, NaN where a value is not finite. V is solved as LAPACK's dgesv
    (R's solve) does for 2 x 2, by elimination with the larger first-column pivot; the tails
    are erfc(sqrt(x / 2)) for one df and exp(-x / 2) for two."""
    n_causes = score.shape[0]
    stats, p_values = np.empty(n_causes), np.empty(n_causes)
    matrix = np.empty((k, k))
    for c in range(n_causes):
        z0, z1 = score[c, 0], score[c, 1] if k == 2 else 0.0
        matrix[0, 0] = var[c, 0]
        if k == 2:
            matrix[0, 1], matrix[1, 0], matrix[1, 1] = var[c, 1], var[c, 1], var[c, 2]
        if not (np.all(np.isfinite(matrix)) and np.isfinite(z0) and np.isfinite(z1)):
            stats[c] = p_values[c] = np.nan
            continue
        if qr_rank(matrix) < k:
            stats[c], p_values[c] = -1.0, 1.0
            continue
        if k == 1:
            stat = z0 * (z0 / matrix[0, 0])
        else:
            swap = abs(matrix[1, 0]) > abs(matrix[0, 0])
            top, bottom = (1, 0) if swap else (0, 1)
            z_top, z_bottom = (z1, z0) if swap else (z0, z1)
            factor = matrix[bottom, 0] / matrix[top, 0]
            x1 = (z_bottom - factor * z_top) / (matrix[bottom, 1] - factor * matrix[top, 1])
            x0 = (z_top - matrix[top, 1] * x1) / matrix[top, 0]
            stat = z0 * x0 + z1 * x1
        stats[c] = stat
        if stat < 0:
            p_values[c] = 1.0
        else:
            p_values[c] = math.erfc(math.sqrt(stat / 2.0)) if k == 1 else math.exp(-stat / 2.0)
    return stats, p_values


def gray_test(time, status, group, strata=None, rho=0, cencode=0) -> pd.DataFrame:
    """Gray's K-sample test per cause: columns cause, statistic, df, p_value.

    A singular variance matrix gives statistic -1 and p 1, as cmprsk does.
    """
    if group is None:
        raise CompetingRisksInputError("group: Gray's test needs a grouping variable")
    coded = coded_rows(time, status, group, cencode) if strata is None else None
    if coded is not None and len(coded.groups) > 1:
        return unstratified_tests(coded.time, coded.cells, len(coded.groups), coded.causes, rho)
    clean = clean_input(time, status, cencode, vectors={"group": group, "strata": strata})
    levels, gidx = factor_levels(clean.columns["group"], "group")
    if len(levels) < 2:
        raise CompetingRisksInputError(
            f"group: only one level ({as_level_list(levels)[0]!r}) among complete rows; "
            "Gray's test needs at least two groups"
        )
    if strata is None:
        n_strata, sidx = 1, np.zeros(len(clean.time), dtype=np.int64)
    else:
        strata_levels, sidx = factor_levels(clean.columns["strata"], "strata")
        n_strata = len(strata_levels)
    censored = clean.status == cencode
    causes, kind = cause_kinds(clean.status, censored)
    if n_strata == 1:
        cells = cells_of(gidx, kind, len(causes) + 1)
        return unstratified_tests(clean.time, cells, len(levels), causes, rho)
    rows = SortedRows.build(clean.time, gidx, kind, sidx, len(levels), len(causes))
    return gray_statistics(rows, n_strata, causes, rho=rho)


def unstratified_tests(time, cells, n_groups: int, causes: list, rho, streamed=None):
    """Gray's test of clean rows without strata, given as ``_streamed`` cells: streamed when
    it can be (``streamed``: a ``stream_cells`` result of these rows, if the caller has one),
    on the grid otherwise (more than three groups, no cause, or a weight that is not finite)."""
    if streamed is None and streams(n_groups, len(causes)):
        streamed = stream_cells(time, cells, n_groups, len(causes), rho, curves=False)
    if streamed is not None and streamed.finite:
        return streamed_tests(causes, n_groups, streamed.score, streamed.variance)
    rows = SortedRows.from_cells(time, cells, n_groups, len(causes))
    return gray_statistics(rows, 1, causes, rho)

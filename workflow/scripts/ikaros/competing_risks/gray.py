"""Gray's (1988) K-sample test for equality of cumulative incidence functions.

Per stratum, the score for group j compares its failures of the cause with those expected under
the pooled subdistribution "risk set" R_j = n_j (1 - F_j-) / S_j-, weighted by (1 - F0-)^rho;
scores and variances are summed over strata and the statistic is z' V^-1 z on G - 1 df. The
variance is Gray's, with cmprsk's tie factors (METHODS.md §2). Everything is computed on arrays
of shape (event times, groups[, groups]); the number of groups is small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import chdtrc

from ikaros.competing_risks._event_grid import EventGrid, SortedRows, _previous, cause_kind
from ikaros.competing_risks._validation import (
    CompetingRisksInputError,
    as_level_list,
    clean_input,
    factor_levels,
)

QR_TOLERANCE = 1e-7  # R's qr() default: a column is negligible below tol x its original norm


def qr_rank(matrix: np.ndarray, tol: float = QR_TOLERANCE) -> int:
    """Rank as R's ``qr()`` (LINPACK dqrdc2) decides it, scanning columns left to right."""
    basis: list[np.ndarray] = []
    rank = 0
    for column in matrix.T:
        norm0 = np.linalg.norm(column)
        residual = column.astype(float).copy()
        for q in basis:
            residual -= q * (q @ residual)
        norm = np.linalg.norm(residual)
        if norm >= tol * (norm0 if norm0 > 0 else 1.0) and norm > 0:
            basis.append(residual / norm)
            rank += 1
    return rank


class _PooledRisk:
    """What one stratum's test needs that does not depend on the cause (groups x grid times).

    h_j = n_j / S_j- is group j's subdistribution risk set before the CIF factor, H = sum_j h_j;
    ``cross`` holds -h_j h_k / H for k < G - 1, the off-diagonal part of a(t) before rho.
    """

    def __init__(self, grid: EventGrid):
        self.grid = grid
        k = grid.n.shape[0] - 1
        # Stacked (S-, n, h, S, H S- - 1) so that one np.take per cause gathers them all at the
        # cause's columns or at its (group, time) pairs.
        self.by_time = np.empty((5,) + grid.n.shape)
        surv_prev, n, h, surv, h_surv_prev_1 = self.by_time
        surv_prev[:], n[:], surv[:] = grid.surv_prev, grid.n, grid.surv
        h[:] = 0.0
        np.divide(grid.n, grid.surv_prev, out=h, where=grid.has)
        self.big_h = h.sum(axis=0)
        np.subtract(self.big_h * grid.surv_prev, 1.0, out=h_surv_prev_1)
        self.cross = h[:, None, :] * (h[None, :k, :] * -(1.0 / self.big_h))
        self.alive = grid.surv > 0


def _stratum_score(grid: EventGrid, rho: float):
    """Score (causes, G-1) and variance (causes, G-1, G-1) of one stratum."""
    n_causes, n_groups = grid.d.shape[:2]
    k = n_groups - 1
    score, var = np.zeros((n_causes, k)), np.zeros((n_causes, k, k))
    if grid.n_times == 0:
        return score, var
    risk = _PooledRisk(grid)
    for c in range(n_causes):
        score[c], var[c] = _cause_score(risk, grid.d[c], rho)
    return score, var


def _cause_score(risk: _PooledRisk, d1_all: np.ndarray, rho: float):
    """Score (G-1) and variance (G-1, G-1) of one stratum for one cause (d1_all: its failures).

    Only some times contribute: the cause's failure times to the score and the first variance
    term, (group, time) pairs with a competing failure to the second. Summing over those alone
    gives the same sums (the others add exact zeros) as long as every weight is finite;
    otherwise all are kept so that NaN and inf propagate exactly as in cmprsk.
    """
    grid, big_h = risk.grid, risk.big_h
    k = d1_all.shape[0] - 1
    big_d1_all = d1_all.sum(axis=0)
    f0_all = np.cumsum(big_d1_all / big_h)
    f0_prev_all = _previous(f0_all, 0.0)
    w_all = (1.0 - f0_prev_all) ** rho if rho != 0 else None  # rho = 0: weights exactly 1
    active_all = big_d1_all > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_all = np.where(active_all, big_d1_all / (big_h * (1.0 - f0_prev_all)), 0.0)
    d2_all = grid.d_all - d1_all
    sel2_all = (d2_all > 0) & risk.alive
    finite = np.all(np.isfinite(scale_all)) and (w_all is None or np.all(np.isfinite(w_all)))
    if finite:  # the cause's failure times; (group, time) pairs with a competing failure
        cols = np.flatnonzero(active_all)
        pair_j, pair_t = np.nonzero(sel2_all)
    else:  # every time and every pair
        cols = np.arange(grid.n_times)
        pair_j, pair_t = np.divmod(np.arange(d2_all.size), grid.n_times)

    # Score: observed minus expected failures, R_j = h_j (1 - F_j-) the subdistribution risk set.
    surv_prev, n, h, surv, h_surv_prev_1 = _at(risk.by_time, cols)
    has, alive = n > 0, surv > 0
    safe_n, safe_s = np.where(has, n, 1.0), np.where(alive, surv, 1.0)
    d1, big_d1 = _at(d1_all, cols), _at(big_d1_all, cols)
    cif = np.cumsum(surv_prev * d1 / safe_n, axis=1)  # F_j changes only at the cause's failures
    r_j = h * (1.0 - _previous(cif, 0.0))
    big_r = r_j.sum(axis=0)
    w = None if w_all is None else _at(w_all, cols)
    excess = d1 - r_j * (big_d1 / np.where(big_r > 0, big_r, 1.0))
    score = (excess if w is None else excess * w).sum(axis=1)[:k]

    # a(t) = w h_j (delta_jk - h_k / H), symmetric; c(t) cumulates a D1 / (H (1 - F0-)),
    # skipping entries with a = 0 (cmprsk 2.2-12's guard against 0/0 when F0- = 1).
    diag = np.arange(k)
    a = _at(risk.cross, cols) if w is None else _at(risk.cross, cols) * w
    a[diag, diag, :] += h[:k] if w is None else w * h[:k]
    c_inc = a * _at(scale_all, cols)
    if not finite:
        c_inc = np.where(a != 0, c_inc, 0.0)
    c_t = np.zeros(a.shape[:2] + (len(cols) + 1,))  # c(t) after each column, 0 before the first
    np.cumsum(c_inc, axis=-1, out=c_t[..., 1:])
    total = c_t[..., -1:]

    # Cause-of-interest terms for groups at risk at times with a failure of the cause:
    # u[j, :, t] = a_j.(t) + b_j(t) (C_j. - c_j.(t)).
    f0 = _at(f0_all, cols)
    b = np.where(alive, 1.0 - (1.0 - f0) / safe_s, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(big_d1 == 1, 1.0, 1.0 - (big_d1 - 1.0) / h_surv_prev_1)
        jump = big_d1 / _at(big_h, cols)
        e = np.where(_at(active_all, cols) & has, tau * surv_prev * jump / safe_n, 0.0)
    u = a + b[:, None, :] * (total - c_t[..., 1:])
    var = np.einsum("jkt,jlt->kl", u * e[:, None, :], u)

    # Other-cause terms, one per (group j, time t) with a competing failure and S_j(t) > 0;
    # c(t) is its value at the cause's last failure up to t.
    width = c_t.shape[-1]
    row = (pair_j * k + np.arange(k)[:, None]) * width  # start of c_t[j, k', :] in c_t.ravel()
    flat_c = c_t.ravel()
    remaining = np.take(flat_c, row + (width - 1)) - np.take(
        flat_c, row + np.searchsorted(cols, pair_t, side="right")
    )
    pair = pair_j * grid.n_times + pair_t
    surv_prev, n, _, surv, _ = np.take(risk.by_time.reshape(5, -1), pair, axis=1)
    safe_n, safe_s = np.where(n > 0, n, 1.0), np.where(surv > 0, surv, 1.0)
    sel2, d2 = np.take(sel2_all.ravel(), pair), np.take(d2_all.ravel(), pair)
    b2 = np.where(sel2, (1.0 - f0_all[pair_t]) / safe_s, 0.0)
    tau2 = np.where(d2 <= 1, 1.0, (n - d2) / np.where(n > 1, n - 1.0, 1.0))
    e2 = np.where(sel2, tau2 * (surv_prev / safe_n) ** 2 * d2, 0.0)
    u2 = b2 * remaining  # (G-1, pairs)
    var += np.einsum("kp,lp->kl", u2 * e2, u2)
    return score, var


def _at(values: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """The given time columns (last axis); np.take is several times faster than fancy indexing."""
    return np.take(values, columns, axis=-1)


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
    """Gray's test per cause on sorted clean rows (strata 0..n_strata-1, all present).

    ``whole_grid``: a grid of all rows, if the caller built one (reused when n_strata is 1).
    """
    k = rows.n_groups - 1
    if not causes:
        return pd.DataFrame([], columns=["cause", "statistic", "df", "p_value"])
    score = np.zeros((len(causes), k))
    var = np.zeros((len(causes), k, k))
    for grid in _stratum_grids(rows, n_strata, whole_grid):
        z, v = _stratum_score(grid, rho)
        score += z
        var += v
    stats = np.empty(len(causes))
    for c in range(len(causes)):
        if qr_rank(var[c]) < k:
            stats[c] = -1.0  # cmprsk's flag for a singular variance (p = 1)
        else:
            stats[c] = score[c] @ np.linalg.solve(var[c], score[c])
    # chi2.sf is chdtrc for statistics >= 0 and 1 below the support (the -1 flag).
    p_values = np.where(stats < 0, 1.0, chdtrc(k, np.maximum(stats, 0.0)))
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


def gray_test(time, status, group, strata=None, rho=0, cencode=0) -> pd.DataFrame:
    """Gray's K-sample test per cause: columns cause, statistic, df, p_value.

    A singular variance matrix gives statistic -1 and p 1, as cmprsk does.
    """
    if group is None:
        raise CompetingRisksInputError("group: Gray's test needs a grouping variable")
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
    cause_codes = np.unique(clean.status[~censored])
    kind = cause_kind(clean.status, censored, cause_codes)
    rows = SortedRows.build(clean.time, gidx, kind, sidx, len(levels), len(cause_codes))
    return gray_statistics(rows, n_strata, [int(c) for c in cause_codes], rho=rho)

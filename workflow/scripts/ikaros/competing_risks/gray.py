"""Gray's (1988) K-sample test for equality of cumulative incidence functions.

Per stratum, the score for group j compares its failures of the cause with those expected under
the pooled subdistribution "risk set" R_j = n_j (1 - F_j-) / S_j-, weighted by (1 - F0-)^rho;
scores and variances are summed over strata and the statistic is z' V^-1 z on G - 1 df. The
variance is Gray's, with cmprsk's tie factors (METHODS.md §2). Arrays are laid out
(groups[, groups], times) on the stratum's failure-time grid (``_event_grid``); per cause only
the times that add a nonzero term are visited, and all causes share the cause-free arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import chdtrc

from ikaros.competing_risks._event_grid import EventGrid, SortedRows, cause_kinds, previous
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


class _CauseTimes:
    """One cause's pooled quantities over all grid times, and the times that contribute.

    Only some times contribute: the cause's failure times (``cols``) to the score and the first
    variance term, (group, time) pairs with a competing failure to the second. Summing over those
    alone gives the same sums (the others add exact zeros) as long as every weight is finite;
    otherwise all are kept so that NaN and inf propagate exactly as in cmprsk.
    """

    def __init__(self, risk: _PooledRisk, d1_all: np.ndarray, rho: float):
        grid = risk.grid
        self.d1_all = d1_all
        self.big_d1 = d1_all.sum(axis=0)
        self.f0 = np.cumsum(self.big_d1 / risk.big_h)
        f0_prev = previous(self.f0, 0.0)
        self.w = (1.0 - f0_prev) ** rho if rho != 0 else None  # rho = 0: weights exactly 1
        self.active = self.big_d1 > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            self.scale = np.where(self.active, self.big_d1 / (risk.big_h * (1.0 - f0_prev)), 0.0)
        self.d2 = grid.d_all - d1_all
        self.sel2 = (self.d2 > 0) & risk.alive
        self.finite = np.all(np.isfinite(self.scale)) and (
            self.w is None or np.all(np.isfinite(self.w))
        )
        if self.finite:
            self.cols = np.flatnonzero(self.active)
            self.pair_j, self.pair_t = np.nonzero(self.sel2)
        else:
            self.cols = np.arange(grid.n_times)
            self.pair_j, self.pair_t = np.divmod(np.arange(self.d2.size), grid.n_times)


def _cause_score(risk: _PooledRisk, d1_all: np.ndarray, rho: float):
    """Score (G-1) and variance (G-1, G-1) of one stratum for one cause (d1_all: its failures)."""
    cause = _CauseTimes(risk, d1_all, rho)
    at_cols = _at(risk.by_time, cause.cols)  # S-, n, h, S, H S- - 1 at the cause's failures
    score = _score(cause, at_cols)
    var, c_t = _cause_terms(risk, cause, at_cols)
    return score, var + _other_cause_terms(risk, cause, c_t)


def _score(cause: _CauseTimes, at_cols: np.ndarray) -> np.ndarray:
    """Observed minus expected failures, R_j = h_j (1 - F_j-) the subdistribution risk set."""
    surv_prev, n, h = at_cols[:3]
    d1, big_d1 = _at(cause.d1_all, cause.cols), _at(cause.big_d1, cause.cols)
    cif = np.cumsum(surv_prev * d1 / np.where(n > 0, n, 1.0), axis=1)  # changes only at cols
    r_j = h * (1.0 - previous(cif, 0.0))
    big_r = r_j.sum(axis=0)
    excess = d1 - r_j * (big_d1 / np.where(big_r > 0, big_r, 1.0))
    if cause.w is not None:
        excess *= _at(cause.w, cause.cols)
    return excess.sum(axis=1)[:-1]


def _cause_terms(risk: _PooledRisk, cause: _CauseTimes, at_cols: np.ndarray):
    """First variance term (groups at risk at the cause's failures) and c(t) at those times."""
    surv_prev, n, h, surv, h_surv_prev_1 = at_cols
    cols, big_d1 = cause.cols, _at(cause.big_d1, cause.cols)
    k = h.shape[0] - 1
    # a(t) = w h_j (delta_jk - h_k / H), symmetric; c(t) cumulates a D1 / (H (1 - F0-)),
    # skipping entries with a = 0 (cmprsk 2.2-12's guard against 0/0 when F0- = 1).
    diag = np.arange(k)
    w = None if cause.w is None else _at(cause.w, cols)
    a = _at(risk.cross, cols) if w is None else _at(risk.cross, cols) * w
    a[diag, diag, :] += h[:k] if w is None else w * h[:k]
    c_t = np.zeros(a.shape[:2] + (len(cols) + 1,))  # c(t) after each column, 0 before the first
    c_inc = np.multiply(a, _at(cause.scale, cols), out=c_t[..., 1:])
    if not cause.finite:
        c_inc[a == 0] = 0.0
    np.cumsum(c_inc, axis=-1, out=c_inc)  # in place: fewer fresh pages
    # u[j, :, t] = a_j.(t) + b_j(t) (C_j. - c_j.(t)), weighted by e_j(t).
    has, alive = n > 0, surv > 0
    safe_n, safe_s = np.where(has, n, 1.0), np.where(alive, surv, 1.0)
    b = np.where(alive, 1.0 - (1.0 - _at(cause.f0, cols)) / safe_s, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(big_d1 == 1, 1.0, 1.0 - (big_d1 - 1.0) / h_surv_prev_1)
        jump = big_d1 / _at(risk.big_h, cols)
        e = np.where(_at(cause.active, cols) & has, tau * surv_prev * jump / safe_n, 0.0)
    u = np.subtract(c_t[..., -1:], c_t[..., 1:])
    u *= b[:, None, :]
    u += a
    return np.einsum("jkt,jlt->kl", u * e[:, None, :], u), c_t


def _other_cause_terms(risk: _PooledRisk, cause: _CauseTimes, c_t: np.ndarray) -> np.ndarray:
    """Second variance term: one per (group j, time t) with a competing failure, S_j(t) > 0.

    c(t) there is its value at the cause's last failure up to t.
    """
    k, width = c_t.shape[1], c_t.shape[-1]
    pair_j, pair_t = cause.pair_j, cause.pair_t
    row = (pair_j * k + np.arange(k)[:, None]) * width  # start of c_t[j, k', :] in c_t.ravel()
    flat_c = c_t.ravel()
    last = np.searchsorted(cause.cols, pair_t, side="right")
    remaining = np.take(flat_c, row + (width - 1)) - np.take(flat_c, row + last)
    pair = pair_j * risk.grid.n_times + pair_t
    surv_prev, n, _, surv, _ = np.take(risk.by_time.reshape(5, -1), pair, axis=1)
    safe_n, safe_s = np.where(n > 0, n, 1.0), np.where(surv > 0, surv, 1.0)
    sel2, d2 = np.take(cause.sel2.ravel(), pair), np.take(cause.d2.ravel(), pair)
    b2 = np.where(sel2, (1.0 - cause.f0[pair_t]) / safe_s, 0.0)
    tau2 = np.where(d2 <= 1, 1.0, (n - d2) / np.where(n > 1, n - 1.0, 1.0))
    e2 = np.where(sel2, tau2 * (surv_prev / safe_n) ** 2 * d2, 0.0)
    u2 = b2 * remaining  # (G-1, pairs)
    return np.einsum("kp,lp->kl", u2 * e2, u2)


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
    causes, kind = cause_kinds(clean.status, censored)
    rows = SortedRows.build(clean.time, gidx, kind, sidx, len(levels), len(causes))
    return gray_statistics(rows, n_strata, causes, rho=rho)

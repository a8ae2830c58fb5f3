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
    """What one stratum's test needs that does not depend on the cause.

    h_j = n_j / S_j- is group j's subdistribution risk set before the CIF factor, H = sum_j h_j;
    ``cross`` holds -h_j h_k / H for k < G - 1, the off-diagonal part of a(t) before rho.
    """

    def __init__(self, grid: EventGrid):
        n_groups = grid.n.shape[0]
        self.h = np.divide(grid.n, grid.surv_prev, out=np.zeros_like(grid.n), where=grid.has)
        self.big_h = self.h.sum(axis=0)
        k = n_groups - 1
        self.cross = self.h[:, None, :] * (self.h[None, :k, :] * -(1.0 / self.big_h))
        self.h_surv_prev_1 = self.big_h * grid.surv_prev - 1.0


def _stratum_score(grid: EventGrid, rho: float):
    """Score (causes, G-1) and variance (causes, G-1, G-1) of one stratum, every cause at once.

    Arrays are (cause, group[, group], time); the numbers of causes and groups are small.
    """
    n_causes, n_groups = grid.d.shape[:2]
    k = n_groups - 1
    if grid.n_times == 0:
        return np.zeros((n_causes, k)), np.zeros((n_causes, k, k))
    risk = _PooledRisk(grid)
    n, has, safe_n, surv, surv_prev = grid.n, grid.has, grid.safe_n, grid.surv, grid.surv_prev
    h, big_h = risk.h, risk.big_h
    d1, cif = grid.d, grid.cif
    d2 = grid.d_all - d1
    r_j = h * (1.0 - _previous(cif, 0.0))
    big_r = r_j.sum(axis=1)
    big_d1 = d1.sum(axis=1)  # (C, T)
    f0 = np.cumsum(big_d1 / big_h, axis=-1)
    f0_prev = _previous(f0, 0.0)
    w = (1.0 - f0_prev) ** rho if rho != 0 else None  # rho = 0: every weight is exactly 1

    expected = r_j * (big_d1 / np.where(big_r > 0, big_r, 1.0))[:, None, :]
    excess = d1 - expected
    score = (excess if w is None else excess * w[:, None, :]).sum(axis=-1)[:, :k]

    # a(t) = w h_j (delta_jk - h_k / H), symmetric; c(t) cumulates a D1 / (H (1 - F0-)),
    # skipping entries with a = 0 (cmprsk 2.2-12's guard against 0/0 when F0- = 1).
    diag = np.arange(k)
    if w is None:
        a = risk.cross.copy()
        a[diag, diag, :] += h[:k]
    else:
        a = risk.cross * w[:, None, None, :]
        a[:, diag, diag, :] += w[:, None, :] * h[None, :k]
    active = big_d1 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(active, big_d1 / (big_h * (1.0 - f0_prev)), 0.0)
    c_inc = a * scale[:, None, None, :]
    if not np.all(np.isfinite(scale)):
        c_inc = np.where(a != 0, c_inc, 0.0)
    c_t = np.cumsum(c_inc, axis=-1)
    remaining = c_t[..., -1:] - c_t  # C_jk - c_jk(t), k < G-1

    # Cause-of-interest terms for groups at risk at times with a failure of the cause:
    # u[j, :, t] = a_j.(t) + b_j(t) (C_j. - c_j.(t)).
    sel1 = active[:, None, :] & has
    alive = surv > 0
    safe_s = np.where(alive, surv, 1.0)
    f0_left = (1.0 - f0)[:, None, :] / safe_s  # (1 - F0) / S_j
    b = np.where(alive, 1.0 - f0_left, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(
            (big_d1 == 1)[:, None, :], 1.0, 1.0 - (big_d1 - 1.0)[:, None, :] / risk.h_surv_prev_1
        )
        e = np.where(sel1, tau * surv_prev * (big_d1 / big_h)[:, None, :] / safe_n, 0.0)
    u = a + b[:, :, None, :] * remaining
    var = np.einsum("cjkt,cjlt->ckl", u * e[:, :, None, :], u)
    # Other-cause terms for groups with competing failures and S_j > 0 after the time.
    sel2 = (d2 > 0) & alive
    b2 = np.where(sel2, f0_left, 0.0)
    tau2 = np.where(d2 <= 1, 1.0, (n - d2) / np.where(n > 1, n - 1.0, 1.0))
    e2 = np.where(sel2, tau2 * (surv_prev / safe_n) ** 2 * d2, 0.0)
    u2 = b2[:, :, None, :] * remaining
    var += np.einsum("cjkt,cjlt->ckl", u2 * e2[:, :, None, :], u2)
    return score, var


def _stratum_grids(rows: SortedRows, whole_grid: EventGrid | None) -> list[EventGrid]:
    """One grid per stratum; with a single stratum the caller's whole-data grid is reused."""
    strata = np.unique(rows.stratum)
    if len(strata) == 1:
        return [whole_grid if whole_grid is not None else EventGrid(rows)]
    return [EventGrid(rows.subset(rows.stratum == s)) for s in strata]


def gray_statistics(
    rows: SortedRows, causes: list, rho=0.0, whole_grid: EventGrid | None = None
) -> pd.DataFrame:
    """Gray's test per cause on sorted clean rows (``whole_grid``: a grid of all rows, if built)."""
    k = rows.n_groups - 1
    if not causes:
        return pd.DataFrame([], columns=["cause", "statistic", "df", "p_value"])
    score = np.zeros((len(causes), k))
    var = np.zeros((len(causes), k, k))
    for grid in _stratum_grids(rows, whole_grid):
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
    return pd.DataFrame(  # from a dict, in column order (columns= would cost a reindex)
        {
            "cause": np.asarray(causes, dtype=np.int64),
            "statistic": stats,
            "df": np.full(len(causes), k, dtype=np.int64),
            "p_value": p_values,
        }
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
        sidx = np.zeros(len(clean.time), dtype=np.int64)
    else:
        sidx = factor_levels(clean.columns["strata"], "strata")[1]
    censored = clean.status == cencode
    cause_codes = np.unique(clean.status[~censored])
    kind = cause_kind(clean.status, censored, cause_codes)
    rows = SortedRows.build(clean.time, gidx, kind, sidx, len(levels), len(cause_codes))
    return gray_statistics(rows, [int(c) for c in cause_codes], rho=rho)

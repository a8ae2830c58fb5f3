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
from scipy.stats import chi2

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


def _stratum_score(time, code, gidx, n_groups, rho):
    """Score vector (G-1) and variance matrix for one stratum (code: 0 cens, 1 cause, 2 other)."""
    utimes, inverse = np.unique(time, return_inverse=True)
    n_t = len(utimes)
    flat = inverse * n_groups + gidx
    size = n_t * n_groups
    observed = np.bincount(flat, minlength=size).reshape(n_t, n_groups).astype(float)
    d1 = np.bincount(flat, weights=code == 1, minlength=size).reshape(n_t, n_groups)
    d2 = np.bincount(flat, weights=code == 2, minlength=size).reshape(n_t, n_groups)
    group_size = observed.sum(axis=0)
    at_risk = group_size - np.vstack([np.zeros(n_groups), np.cumsum(observed, axis=0)[:-1]])
    events = (d1 + d2).sum(axis=1) > 0
    n, d1, d2 = at_risk[events], d1[events], d2[events]
    k = n_groups - 1
    if n.shape[0] == 0:
        return np.zeros(k), np.zeros((k, k))

    has = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(has, (n - d1 - d2) / n, 1.0)
        surv = np.cumprod(factor, axis=0)
        surv_prev = np.vstack([np.ones(n_groups), surv[:-1]])
        cif = np.cumsum(np.where(has, surv_prev * d1 / n, 0.0), axis=0)
        cif_prev = np.vstack([np.zeros(n_groups), cif[:-1]])
        h = np.where(has, n / surv_prev, 0.0)
        big_h = h.sum(axis=1)
        r_j = np.where(has, n * (1.0 - cif_prev) / surv_prev, 0.0)
    big_r = r_j.sum(axis=1)
    big_d1 = d1.sum(axis=1)
    f0 = np.cumsum(big_d1 / big_h)
    f0_prev = np.concatenate([[0.0], f0[:-1]])
    w = (1.0 - f0_prev) ** rho

    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(big_r[:, None] > 0, big_d1[:, None] * r_j / big_r[:, None], 0.0)
    score = (w[:, None] * (d1 - expected))[:, :k].sum(axis=0)

    # a(t): w h_j (delta_jk - h_k / H); c(t) cumulates a D1 / (H (1 - F0-)) (skip a = 0 entries).
    a = -w[:, None, None] * h[:, :, None] * h[:, None, :] / big_h[:, None, None]
    diag = np.arange(n_groups)
    a[:, diag, diag] += w[:, None] * h
    scale = np.zeros_like(big_d1)
    active = big_d1 > 0
    scale[active] = big_d1[active] / (big_h[active] * (1.0 - f0_prev[active]))
    c_inc = np.where(a != 0, a * scale[:, None, None], 0.0)
    c_t = np.cumsum(c_inc, axis=0)
    c_end = c_t[-1]
    remaining = c_end[None, :, :] - c_t  # C_kj - c_kj(t)

    var = np.zeros((k, k))
    # Cause-of-interest terms, for groups at risk at times with a failure of the cause.
    sel1 = active[:, None] & has
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(surv > 0, 1.0 - (1.0 - f0[:, None]) / surv, 1.0)
        tau = np.where(
            big_d1[:, None] == 1,
            1.0,
            1.0 - (big_d1[:, None] - 1.0) / (big_h[:, None] * surv_prev - 1.0),
        )
        e = np.where(sel1, tau * surv_prev * big_d1[:, None] / (big_h[:, None] * n), 0.0)
    # u[t, j, k] = a_kj(t) + b_j (C_kj - c_kj(t)), k < G-1
    u = (
        np.transpose(a, (0, 2, 1))[:, :, :k]
        + b[:, :, None] * np.transpose(remaining, (0, 2, 1))[:, :, :k]
    )
    u = np.where(sel1[:, :, None], u, 0.0)
    var += np.einsum("tj,tjk,tjl->kl", e, u, u)
    # Other-cause terms, for groups with competing failures and S_j > 0 after the time.
    sel2 = (d2 > 0) & (surv > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        b2 = np.where(sel2, (1.0 - f0[:, None]) / surv, 0.0)
        tau2 = np.where(d2 <= 1, 1.0, 1.0 - (d2 - 1.0) / (n - 1.0))
        e2 = np.where(sel2, tau2 * surv_prev**2 * d2 / n**2, 0.0)
    u2 = b2[:, :, None] * np.transpose(remaining, (0, 2, 1))[:, :, :k]
    var += np.einsum("tj,tjk,tjl->kl", e2, u2, u2)
    return score, var


def gray_statistics(time, status, gidx, sidx, causes, rho=0.0, cencode=0) -> pd.DataFrame:
    """Gray's test per cause on clean arrays (group and strata as 0-based level indices)."""
    n_groups = int(gidx.max()) + 1
    k = n_groups - 1
    rows = []
    censored = status == cencode
    for cause in causes:
        code = np.where(censored, 0, np.where(status == cause, 1, 2))
        score = np.zeros(k)
        var = np.zeros((k, k))
        for stratum in np.unique(sidx):
            sel = sidx == stratum
            z, v = _stratum_score(time[sel], code[sel], gidx[sel], n_groups, rho)
            score += z
            var += v
        if qr_rank(var) < k:
            stat = -1.0  # cmprsk's flag for a singular variance (p = 1)
        else:
            stat = float(score @ np.linalg.solve(var, score))
        rows.append(
            {"cause": cause, "statistic": stat, "df": k, "p_value": float(chi2.sf(stat, k))}
        )
    return pd.DataFrame(rows, columns=["cause", "statistic", "df", "p_value"])


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
    causes = [int(c) for c in np.unique(clean.status[clean.status != cencode])]
    return gray_statistics(clean.time, clean.status, gidx, sidx, causes, rho=rho, cencode=cencode)

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


class _StratumRisk:
    """What one stratum's test needs that does not depend on the cause.

    Arrays are laid out (group, time) and (group, group, time) so numpy runs along time; only
    times with an event of any cause are kept (censoring-only times just shrink risk sets).
    """

    def __init__(self, time: np.ndarray, gidx: np.ndarray, event: np.ndarray, n_groups: int):
        utimes, inverse = np.unique(time, return_inverse=True)
        n_t = len(utimes)
        self.flat = gidx * n_t + inverse
        self.size, self.n_t, self.n_groups = n_t * n_groups, n_t, n_groups
        observed = self._counts(np.ones(len(time), dtype=bool))
        at_risk = observed[:, ::-1].cumsum(axis=1)[:, ::-1]  # time >= t, per group
        d_all = self._counts(event)
        self.event_times = d_all.sum(axis=0) > 0
        n, d_all = at_risk[:, self.event_times], d_all[:, self.event_times]
        self.n, self.d_all = n, d_all
        self.has = n > 0
        self.safe_n = np.where(self.has, n, 1.0)  # nobody at risk: contributes nothing
        self.surv = np.cumprod(np.where(self.has, (n - d_all) / self.safe_n, 1.0), axis=1)
        self.surv_prev = np.hstack([np.ones((n_groups, 1)), self.surv[:, :-1]])
        self.h = np.where(self.has, n / np.where(self.has, self.surv_prev, 1.0), 0.0)
        self.big_h = self.h.sum(axis=0)
        # -h_j h_k / H: the off-diagonal part of a(t) before the rho weight.
        self.cross = self.h[:, None, :] * (self.h[None, :, :] * -(1.0 / self.big_h))

    def _counts(self, mask: np.ndarray) -> np.ndarray:
        counts = np.bincount(self.flat[mask], minlength=self.size)
        return counts.reshape(self.n_groups, self.n_t).astype(float)

    def cause_counts(self, is_cause: np.ndarray) -> np.ndarray:
        return self._counts(is_cause)[:, self.event_times]


def _stratum_score(risk: _StratumRisk, is_cause: np.ndarray, rho: float):
    """Score vector (G-1) and variance matrix of one stratum for one cause."""
    n_groups = risk.n_groups
    k = n_groups - 1
    if risk.n.shape[1] == 0:
        return np.zeros(k), np.zeros((k, k))
    n, has, safe_n = risk.n, risk.has, risk.safe_n
    surv, surv_prev, h, big_h = risk.surv, risk.surv_prev, risk.h, risk.big_h
    d1 = risk.cause_counts(is_cause)
    d2 = risk.d_all - d1
    cif = np.cumsum(surv_prev * d1 / safe_n, axis=1)
    cif_prev = np.hstack([np.zeros((n_groups, 1)), cif[:, :-1]])
    r_j = h * (1.0 - cif_prev)
    big_r = r_j.sum(axis=0)
    big_d1 = d1.sum(axis=0)
    f0 = np.cumsum(big_d1 / big_h)
    f0_prev = np.concatenate([[0.0], f0[:-1]])
    w = (1.0 - f0_prev) ** rho

    expected = r_j * (big_d1 / np.where(big_r > 0, big_r, 1.0))
    score = ((d1 - expected) * w).sum(axis=1)[:k]

    # a(t) = w h_j (delta_jk - h_k / H), symmetric; c(t) cumulates a D1 / (H (1 - F0-)),
    # skipping entries with a = 0 (cmprsk 2.2-12's guard against 0/0 when F0- = 1).
    a = risk.cross * w if rho != 0 else risk.cross.copy()
    diag = np.arange(n_groups)
    a[diag, diag, :] += w * h
    active = big_d1 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(active, big_d1 / (big_h * (1.0 - f0_prev)), 0.0)
    c_inc = a * scale
    if not np.all(np.isfinite(scale)):
        c_inc = np.where(a != 0, c_inc, 0.0)
    c_t = np.cumsum(c_inc, axis=2)
    remaining = (c_t[:, :, -1:] - c_t)[:, :k, :]  # C_jk - c_jk(t), k < G-1

    # Cause-of-interest terms for groups at risk at times with a failure of the cause:
    # u[j, :, t] = a_j.(t) + b_j(t) (C_j. - c_j.(t)).
    sel1 = active & has
    alive = surv > 0
    safe_s = np.where(alive, surv, 1.0)
    b = np.where(alive, 1.0 - (1.0 - f0) / safe_s, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(big_d1 == 1, 1.0, 1.0 - (big_d1 - 1.0) / (big_h * surv_prev - 1.0))
        e = np.where(sel1, tau * surv_prev * (big_d1 / big_h) / safe_n, 0.0)
    u = a[:, :k, :] + b[:, None, :] * remaining
    var = np.einsum("jkt,jlt->kl", u * e[:, None, :], u)
    # Other-cause terms for groups with competing failures and S_j > 0 after the time.
    sel2 = (d2 > 0) & alive
    b2 = np.where(sel2, (1.0 - f0) / safe_s, 0.0)
    tau2 = np.where(d2 <= 1, 1.0, (n - d2) / np.where(n > 1, n - 1.0, 1.0))
    e2 = np.where(sel2, tau2 * (surv_prev / safe_n) ** 2 * d2, 0.0)
    u2 = b2[:, None, :] * remaining
    var += np.einsum("jkt,jlt->kl", u2 * e2[:, None, :], u2)
    return score, var


def gray_statistics(time, status, gidx, sidx, causes, rho=0.0, cencode=0) -> pd.DataFrame:
    """Gray's test per cause on clean arrays (group and strata as 0-based level indices)."""
    n_groups = int(gidx.max()) + 1
    k = n_groups - 1
    rows = []
    event = status != cencode
    by_stratum = []
    for stratum in np.unique(sidx):
        sel = sidx == stratum
        by_stratum.append((sel, _StratumRisk(time[sel], gidx[sel], event[sel], n_groups)))
    for cause in causes:
        is_cause = status == cause
        score = np.zeros(k)
        var = np.zeros((k, k))
        for sel, risk in by_stratum:
            z, v = _stratum_score(risk, is_cause[sel], rho)
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

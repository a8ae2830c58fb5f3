"""Censoring-distribution weights for Fine-Gray regression, evaluated the way cmprsk does.

For censoring group g, G_g is the Kaplan-Meier estimate of the censoring distribution among the
group's subjects (survfit convention: failures at v stay in the censoring risk set at v). crr
evaluates it for every subject i at y_i (1 - 100 eps) on a right-continuous step function that
starts at 1 and drops to 0 just past the group's largest time. Consequences kept on purpose
(METHODS.md §3.2): W(i) = G(y_i-) for y_i > 0, but G(0) (censorings at 0 included) for y_i = 0,
and G_g = 0 beyond group g's follow-up, so competing-event subjects then leave the risk set.
"""

from __future__ import annotations

import numpy as np

EPS = np.finfo(float).eps


def censoring_survival(time: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct times and Kaplan-Meier survival of the censoring distribution at them."""
    utimes, first, inverse = np.unique(time, return_index=True, return_inverse=True)
    at_risk = (len(time) - first).astype(float)
    n_censored = np.bincount(inverse, weights=censored.astype(float), minlength=len(utimes))
    return utimes, np.cumprod(1.0 - n_censored / at_risk)


def censoring_weights(
    time_sorted: np.ndarray, censored: np.ndarray, cengroup: np.ndarray, n_groups: int
) -> np.ndarray:
    """Matrix (groups x subjects): G_g evaluated at each subject's time, as crr's ``uuu``."""
    out = np.empty((n_groups, len(time_sorted)))
    xout = time_sorted * (1.0 - 100.0 * EPS)
    for g in range(n_groups):
        sel = cengroup == g
        utimes, surv = censoring_survival(time_sorted[sel], censored[sel])
        grid = np.concatenate(
            [[min(0.0, utimes[0]) - 10.0 * EPS], utimes, [utimes[-1] * (1.0 + 10.0 * EPS)]]
        )
        values = np.concatenate([[1.0], surv, [0.0]])
        idx = np.clip(np.searchsorted(grid, xout, side="right") - 1, 0, len(grid) - 1)
        out[g] = values[idx]
    return out

"""Cumulative incidence functions with cmprsk's Aalen-type variance (R ``cmprsk::cuminc``).

Within one group, at each distinct time t_i with n_i at risk, d1_i failures of the cause and
d2_i of any other cause, the all-cause Kaplan-Meier S and the cause's CIF F are

    S_i = S_{i-1} (n_i - d_i) / n_i,        F_i = F_{i-1} + S_{i-1} d1_i / n_i.

The variance is Aalen's (1978) form with cmprsk's hypergeometric tie factor applied to d1 and d2
separately; written with running sums V1, V2, V3 it is V1 - 2 F V2 + F^2 V3 (METHODS.md §1.2).
Curves follow cmprsk's layout: time = [0, t1, t1, ..., tK, tK, y_max] and the estimate/variance
just before and after each jump, so a plot or ``timepoints`` reads them the same way R does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ikaros.competing_risks._validation import (
    CompetingRisksInputError,
    as_level_list,
    clean_input,
    factor_levels,
)
from ikaros.competing_risks.gray import gray_statistics

ALL_SUBJECTS = "all"  # group label when no grouping variable is given


@dataclass(frozen=True)
class CumincCurve:
    """One (group, cause) step function in cmprsk's layout (see module docstring)."""

    group: object
    cause: object
    time: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    max_followup: float

    @property
    def jump_times(self) -> np.ndarray:
        return self.time[1:-1:2]

    @property
    def jump_estimates(self) -> np.ndarray:
        return self.estimate[2:-1:2]

    @property
    def jump_variances(self) -> np.ndarray:
        return self.variance[2:-1:2]


@dataclass(frozen=True)
class CumincResult:
    """CIF curves per (group, cause), Gray's tests per cause, and row bookkeeping."""

    curves: dict[tuple, CumincCurve]
    groups: list
    causes: list
    tests: pd.DataFrame
    n_used: int
    n_dropped: int
    rho: float = 0.0
    strata: list = field(default_factory=list)

    def curve(self, group, cause) -> CumincCurve:
        return self.curves[(group, cause)]

    def timepoints(self, times) -> pd.DataFrame:
        """CIF and variance at each time (sorted, unique), right-continuous, like R.

        A time beyond a group's longest follow-up (any status) gives NaN: cmprsk reports such
        values as NA because the curve is not estimable there.
        """
        grid = np.unique(np.asarray(times, dtype=float))
        rows = []
        for cause in self.causes:
            for group in self.groups:
                curve = self.curves[(group, cause)]
                jumps = curve.jump_times
                k = np.searchsorted(jumps, grid, side="right")
                est = np.concatenate([[0.0], curve.jump_estimates])[k]
                var = np.concatenate([[0.0], curve.jump_variances])[k]
                beyond = grid > curve.max_followup
                est = np.where(beyond, np.nan, est)
                var = np.where(beyond, np.nan, var)
                rows.append(
                    pd.DataFrame(
                        {
                            "group": [group] * len(grid),
                            "cause": [cause] * len(grid),
                            "time": grid,
                            "estimate": est,
                            "variance": var,
                        }
                    )
                )
        return pd.concat(rows, ignore_index=True)


def _tie_factor(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Hypergeometric tie correction (n - d)/(n - 1); 1 when d <= 1 (even for n = 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d <= 1, 1.0, (n - d) / (n - 1.0))


class _TimeGrid:
    """Distinct times of one group and the number at risk at each (time >= t_i)."""

    def __init__(self, time: np.ndarray):
        utimes, inverse, total = np.unique(time, return_inverse=True, return_counts=True)
        self.utimes, self.inverse = utimes, inverse
        self.n_at = total[::-1].cumsum()[::-1].astype(float)

    def counts(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.inverse[mask], minlength=len(self.utimes)).astype(float)


def cif_curve(time: np.ndarray, is_cause: np.ndarray, is_other: np.ndarray, grid=None):
    """Jump times, CIF and variance at the cause's jumps for one group (cmprsk ``cinc``)."""
    grid = _TimeGrid(time) if grid is None else grid
    utimes, n_at = grid.utimes, grid.n_at
    d1, d2 = grid.counts(is_cause), grid.counts(is_other)
    event = (d1 + d2) > 0
    t, n, d1, d2 = utimes[event], n_at[event], d1[event], d2[event]
    if not np.any(d1 > 0):
        return np.empty(0), np.empty(0), np.empty(0)
    surv = np.cumprod((n - d1 - d2) / n)
    surv_prev = np.concatenate([[1.0], surv[:-1]])
    cif = np.cumsum(surv_prev * d1 / n)
    e1 = surv_prev**2 * d1 * _tie_factor(d1, n) / n**2
    e2 = surv_prev**2 * d2 * _tie_factor(d2, n) / n**2
    alive = surv > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(alive, 1.0 / surv, 0.0)
        ratio = np.where(alive, cif / surv, 0.0)
    # Cause terms (e1 * (a - F(t) b)^2 with a = 1 + F_i/S_i, b = 1/S_i; a = 1, b = 0 if S_i = 0)
    # and other-cause terms (e2 * (F_i/S_i - F(t)/S_i)^2, skipped when S_i = 0).
    a1, b1 = 1.0 + ratio, inv_s
    e2 = np.where(alive, e2, 0.0)
    v1 = np.cumsum(e2 * ratio**2 + e1 * a1**2)
    v2 = np.cumsum(e2 * ratio * inv_s + e1 * a1 * b1)
    v3 = np.cumsum(e2 * inv_s**2 + e1 * b1**2)
    var = v1 - 2.0 * cif * v2 + cif**2 * v3
    jumps = d1 > 0
    return t[jumps], cif[jumps], var[jumps]


def _layout(jt: np.ndarray, je: np.ndarray, jv: np.ndarray, y_max: float):
    """cmprsk's before/after-jump vectors of length 2K + 2 ([0, y_max] without a jump)."""
    if len(jt) == 0:
        return np.array([0.0, y_max]), np.zeros(2), np.zeros(2)
    prev_e = np.concatenate([[0.0], je[:-1]])
    prev_v = np.concatenate([[0.0], jv[:-1]])
    time = np.concatenate([[0.0], np.repeat(jt, 2), [y_max]])
    est = np.concatenate(
        [[0.0], np.column_stack([prev_e, je]).ravel(), je[-1:] if len(je) else [0.0]]
    )
    var = np.concatenate(
        [[0.0], np.column_stack([prev_v, jv]).ravel(), jv[-1:] if len(jv) else [0.0]]
    )
    return time, est, var


def cuminc(time, status, group=None, strata=None, rho=0, cencode=0) -> CumincResult:
    """Cumulative incidence per group and cause, with Gray's test across groups per cause.

    ``status``: ``cencode`` for censored, any positive integer for an event of that cause.
    Every non-censoring code is a cause; for a cause's CIF all other codes are competing events.
    ``strata`` only affects the tests. Rows with a missing value anywhere are dropped (counted in
    ``n_dropped``). With a ``group`` it must have at least two levels (Gray's test needs them).
    """
    clean = clean_input(time, status, cencode, vectors={"group": group, "strata": strata})
    t, s = clean.time, clean.status
    if group is None:
        levels, gidx = [ALL_SUBJECTS], np.zeros(len(t), dtype=np.int64)
    else:
        levels, gidx = factor_levels(clean.columns["group"], "group")
        if len(levels) < 2:
            raise CompetingRisksInputError(
                f"group: only one level ({levels[0]!r}) among complete rows; Gray's test needs "
                "at least two groups (pass group=None for a single curve)"
            )
    if strata is None:
        strata_levels, sidx = [], np.zeros(len(t), dtype=np.int64)
    else:
        strata_levels, sidx = factor_levels(clean.columns["strata"], "strata")
    censored = s == cencode
    cause_codes = np.unique(s[~censored])
    causes = as_level_list([int(c) for c in cause_codes])
    levels = as_level_list(levels)

    curves: dict[tuple, CumincCurve] = {}
    for gi, glabel in enumerate(levels):
        in_g = gidx == gi
        tg, sg, cg = t[in_g], s[in_g], censored[in_g]
        y_max = float(tg.max())
        grid = _TimeGrid(tg)
        for cause in causes:
            is_cause = sg == cause
            jt, je, jv = cif_curve(tg, is_cause, ~cg & ~is_cause, grid)
            ct, ce, cv = _layout(jt, je, jv, y_max)
            curves[(glabel, cause)] = CumincCurve(glabel, cause, ct, ce, cv, y_max)

    if len(levels) > 1:
        tests = gray_statistics(t, s, gidx, sidx, causes, rho=rho, cencode=cencode)
    else:
        tests = pd.DataFrame({"cause": [], "statistic": [], "df": [], "p_value": []})
    return CumincResult(
        curves=curves,
        groups=levels,
        causes=causes,
        tests=tests,
        n_used=len(t),
        n_dropped=clean.n_dropped,
        rho=float(rho),
        strata=as_level_list(strata_levels),
    )

"""Cumulative incidence functions with cmprsk's Aalen-type variance (R ``cmprsk::cuminc``).

Within one group, at each distinct time t_i with n_i at risk, d1_i failures of the cause and
d2_i of any other cause, the all-cause Kaplan-Meier S and the cause's CIF F are

    S_i = S_{i-1} (n_i - d_i) / n_i,        F_i = F_{i-1} + S_{i-1} d1_i / n_i.

The variance is Aalen's (1978) form with cmprsk's hypergeometric tie factor applied to d1 and d2
separately; written with running sums V1, V2, V3 it is V1 - 2 F V2 + F^2 V3 (METHODS.md §1.2).
Curves follow cmprsk's layout: time = [0, t1, t1, ..., tK, tK, y_max] and the estimate/variance
just before and after each jump, so a plot or ``timepoints`` reads them the same way R does.
All groups and causes are computed at once from one sorted pass over the data, on each group's
own failure times; the same grid feeds Gray's test when there are no strata.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ikaros.competing_risks._event_grid import EventGrid, SortedRows, cause_kinds
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
        if not rows:  # no event of any cause: no curve to read
            return pd.DataFrame(columns=["group", "cause", "time", "estimate", "variance"])
        return pd.concat(rows, ignore_index=True)


def _tie_factor(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Hypergeometric tie correction (n - d)/(n - 1); 1 when d <= 1 (even for n = 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d <= 1, 1.0, (n - d) / (n - 1.0))


class _GroupTimes:
    """Each group's own failure times, gathered from the pooled grid (cause, group, time).

    A group's survival and at-risk count change only at its own failure times, so the pooled
    values there are exactly the group's. Rows are left-aligned; the padding after a group's
    last time repeats the grid's last column with zero failures, so it adds nothing.
    """

    def __init__(self, grid: EventGrid):
        own = grid.d_all > 0
        counts = own.sum(axis=1)
        group, column = np.nonzero(own)
        starts = np.cumsum(counts) - counts
        self.columns = np.full((len(counts), counts.max(initial=0)), grid.n_times - 1)
        self.columns[group, np.arange(len(group)) - starts[group]] = column
        real = np.arange(self.columns.shape[1]) < counts[:, None]
        flat = self.columns + grid.n_times * np.arange(len(counts))[:, None]  # into (G * T)
        n_causes = grid.d.shape[0]
        self.n, self.surv, self.surv_prev, d_all = (
            np.take(v.ravel(), flat) for v in (grid.safe_n, grid.surv, grid.surv_prev, grid.d_all)
        )
        self.d = np.take(grid.d.reshape(n_causes, grid.d_all.size), flat, axis=1) * real
        self.d_all = d_all * real
        self.cif = np.cumsum(self.surv_prev * self.d / self.n, axis=-1)


def cif_variance(times: _GroupTimes) -> np.ndarray:
    """cmprsk's variance of every (cause, group) CIF at the group's failure times (``cinc``).

    Written as V1 - 2 F V2 + F^2 V3 with running sums of the cause terms e1 (a - F(t) b)^2,
    a = 1 + F_i/S_i, b = 1/S_i (a = 1, b = 0 if S_i = 0), and the other-cause terms
    e2 (F_i/S_i - F(t)/S_i)^2 (skipped when S_i = 0). Products are formed in place (fewer
    fresh pages) in the same order as the plain expressions, so the sums are unchanged.
    """
    n, d1, surv, surv_prev, cif = times.n, times.d, times.surv, times.surv_prev, times.cif
    surv_prev2, n2 = surv_prev**2, n**2
    e1 = surv_prev2 * d1
    e1 *= _tie_factor(d1, n)
    e1 /= n2
    d2 = times.d_all - d1
    e2 = surv_prev2 * d2
    e2 *= _tie_factor(d2, n)
    e2 /= n2
    alive = surv > 0
    e2[:, ~alive] = 0.0
    inv_s = np.divide(1.0, surv, out=np.zeros_like(surv), where=alive)
    ratio = np.divide(cif, surv, out=np.zeros_like(cif), where=alive)
    a1 = 1.0 + ratio
    variance = _running_sum(e2 * ratio**2, e1 * a1**2)  # V1
    e2_ratio = e2 * ratio
    e2_ratio *= inv_s
    e1_a1 = e1 * a1
    e1_a1 *= inv_s
    v2 = _running_sum(e2_ratio, e1_a1)
    v2 *= 2.0 * cif
    variance -= v2
    v3 = _running_sum(e2 * inv_s**2, e1 * inv_s**2)
    v3 *= cif**2
    variance += v3
    return variance


def _running_sum(other_terms: np.ndarray, cause_terms: np.ndarray) -> np.ndarray:
    """Cumulative sum over time of other_terms + cause_terms (reuses other_terms' memory)."""
    other_terms += cause_terms
    return np.cumsum(other_terms, axis=-1, out=other_terms)


def _before_after(values: np.ndarray) -> np.ndarray:
    """[0, then (before, after) each jump, then the last value]: cmprsk's est/var layout."""
    out = np.zeros(2 * len(values) + 2)
    out[2:-1:2] = values
    out[3:-1:2] = values[:-1]
    if len(values):
        out[-1] = values[-1]
    return out


def _layout(jt: np.ndarray, je: np.ndarray, jv: np.ndarray, y_max: float):
    """cmprsk's before/after-jump vectors of length 2K + 2 ([0, y_max] without a jump)."""
    time = np.empty(2 * len(jt) + 2)
    time[0], time[-1] = 0.0, y_max
    time[1:-1:2] = jt
    time[2:-1:2] = jt
    return time, _before_after(je), _before_after(jv)


def _curves(grid: EventGrid, levels: list, causes: list, y_max: np.ndarray) -> dict:
    """Every (group, cause) curve, read off the grid at the cause's failure times."""
    times = _GroupTimes(grid)
    variance = cif_variance(times)
    jumps = times.d > 0  # (C, G, time)
    ends = np.concatenate([[0], np.cumsum(jumps.sum(axis=-1).ravel())])  # cause-major
    _, group, column = np.nonzero(jumps)
    jump_time = grid.time[times.columns[group, column]]
    jump_est, jump_var = times.cif[jumps], variance[jumps]
    curves: dict[tuple, CumincCurve] = {}
    for gi, glabel in enumerate(levels):
        for ci, cause in enumerate(causes):
            k = ci * len(levels) + gi
            part = slice(ends[k], ends[k + 1])
            ct, ce, cv = _layout(jump_time[part], jump_est[part], jump_var[part], y_max[gi])
            curves[(glabel, cause)] = CumincCurve(glabel, cause, ct, ce, cv, float(y_max[gi]))
    return curves


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
    causes, kind = cause_kinds(s, censored)
    levels = as_level_list(levels)

    rows = SortedRows.build(t, gidx, kind, sidx, len(levels), len(causes))
    grid = EventGrid(rows)
    y_max = np.full(len(levels), -np.inf)
    np.maximum.at(y_max, gidx, t)
    curves = _curves(grid, levels, causes, y_max)

    if len(levels) > 1:
        tests = gray_statistics(rows, max(len(strata_levels), 1), causes, rho=rho, whole_grid=grid)
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

"""Cumulative incidence functions with cmprsk's Aalen-type variance (R ``cmprsk::cuminc``).

Within one group, at each distinct time t_i with n_i at risk, d1_i failures of the cause and
d2_i of any other cause, the all-cause Kaplan-Meier S and the cause's CIF F are

    S_i = S_{i-1} (n_i - d_i) / n_i,        F_i = F_{i-1} + S_{i-1} d1_i / n_i.

The variance is Aalen's (1978) form with cmprsk's hypergeometric tie factor applied to d1 and d2
separately; written with running sums V1, V2, V3 it is V1 - 2 F V2 + F^2 V3 (METHODS.md §1.2).
Curves follow cmprsk's layout: time = [0, t1, t1, ..., tK, tK, y_max] and the estimate/variance
just before and after each jump, so a plot or ``timepoints`` reads them the same way R does.
All groups and causes are computed at once, on each group's own failure times: for up to three
groups while the time-sorted rows are read, with Gray's test in the same read when there are no
strata (``_streamed``); for more groups from the failure-time grid (``cif_curves``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numba import njit

from ikaros.competing_risks._event_grid import EventGrid, SortedRows, cause_kinds, tie_factor
from ikaros.competing_risks._streamed import cells_of, stream_cells, streams
from ikaros.competing_risks._validation import (
    CompetingRisksInputError,
    as_level_list,
    clean_input,
    coded_rows,
    factor_levels,
)
from ikaros.competing_risks.gray import gray_statistics, unstratified_tests

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


@njit(cache=True, nogil=True)
def cif_curves(grid_time, n, d, d_all, surv, surv_prev, y_max):
    """Every (cause, group) CIF and its cmprsk variance (``cinc``), in cmprsk's curve layout.

    One pass per group over the group's own failure times (there the pooled grid's survival and
    risk set are exactly the group's), all causes at once, so that the cause-free factors
    S_{i-1}/n_i and 1/S_i are divided out once per time. F_i = F_{i-1} + S_{i-1} d1_i / n_i; the
    variance is V1 - 2 F V2 + F^2 V3 with running sums of the cause terms e1 (a - F(t) b)^2,
    a = 1 + F_i/S_i, b = 1/S_i (a = 1, b = 0 if S_i = 0), and the other-cause terms
    e2 (F_i/S_i - F(t)/S_i)^2 (skipped when S_i = 0). A curve with K jumps takes 2K + 2 places
    (module docstring; ``y_max`` is each group's longest follow-up); curves are cause-major,
    then group, curve i at offsets[i]:offsets[i + 1] of the returned time, estimate, variance.
    """
    n_causes, n_groups, n_times = d.shape
    offsets = np.zeros(n_causes * n_groups + 1, dtype=np.int64)
    for c in range(n_causes):
        for g in range(n_groups):
            i = c * n_groups + g
            jumps = 0
            for t in range(n_times):
                if d[c, g, t] > 0:
                    jumps += 1
            offsets[i + 1] = offsets[i] + 2 * jumps + 2
    time, estimate = np.empty(offsets[-1]), np.empty(offsets[-1])
    variance = np.empty(offsets[-1])
    at = np.empty(n_causes, dtype=np.int64)  # each cause's next place in the group's curve
    cif, v1, v2, v3 = np.empty(n_causes), np.empty(n_causes), np.empty(n_causes), np.empty(n_causes)
    for g in range(n_groups):
        for c in range(n_causes):
            first = offsets[c * n_groups + g]
            time[first], estimate[first], variance[first] = 0.0, 0.0, 0.0
            estimate[first + 1], variance[first + 1] = 0.0, 0.0
            at[c] = first + 1
        cif[:], v1[:], v2[:], v3[:] = 0.0, 0.0, 0.0, 0.0
        for t in range(n_times):
            d_any = d_all[g, t]
            if d_any == 0:
                continue  # not the group's failure time: adds nothing
            nt, s = n[g, t], surv[g, t]
            per_n = surv_prev[g, t] / nt
            per_n2 = per_n * per_n
            inv_s = 1.0 / s if s > 0 else 0.0
            for c in range(n_causes):
                d1 = d[c, g, t]
                d2 = d_any - d1
                cif[c] += per_n * d1
                e1 = per_n2 * d1 * tie_factor(d1, nt)
                e2 = per_n2 * d2 * tie_factor(d2, nt) if s > 0 else 0.0
                ratio = cif[c] * inv_s
                a1 = 1.0 + ratio
                v1[c] += e2 * ratio * ratio + e1 * a1 * a1
                v2[c] += e2 * ratio * inv_s + e1 * a1 * inv_s
                v3[c] += e2 * inv_s * inv_s + e1 * inv_s * inv_s
                if d1 > 0:  # the jump: time twice, the value before it, then after it
                    i, value = at[c], v1[c] - v2[c] * (2.0 * cif[c]) + v3[c] * (cif[c] * cif[c])
                    time[i], time[i + 1] = grid_time[t], grid_time[t]
                    estimate[i + 1], variance[i + 1] = cif[c], value
                    estimate[i + 2], variance[i + 2] = cif[c], value
                    at[c] = i + 2
        for c in range(n_causes):
            time[at[c]] = y_max[g]  # the curve's last place: the group's longest follow-up
    return time, estimate, variance, offsets


@njit(cache=True, nogil=True)
def _longest_followup(time, group, n_groups):
    """Each group's largest time, any status (where cmprsk's curves end)."""
    y_max = np.full(n_groups, -np.inf)
    for i in range(len(time)):
        y_max[group[i]] = max(y_max[group[i]], time[i])
    return y_max


def _curves(levels, causes, time, estimate, variance, start, length, y_max) -> dict:
    """Every (group, cause) curve: views of the cause-major, then group, curve arrays."""
    curves: dict[tuple, CumincCurve] = {}
    for gi, glabel in enumerate(levels):
        for ci, cause in enumerate(causes):
            k = ci * len(levels) + gi
            part = slice(start[k], start[k] + length[k])
            curves[(glabel, cause)] = CumincCurve(
                glabel, cause, time[part], estimate[part], variance[part], float(y_max[gi])
            )
    return curves


def cuminc(time, status, group=None, strata=None, rho=0, cencode=0) -> CumincResult:
    """Cumulative incidence per group and cause, with Gray's test across groups per cause.

    ``status``: ``cencode`` for censored, any positive integer for an event of that cause.
    Every non-censoring code is a cause; for a cause's CIF all other codes are competing events.
    ``strata`` only affects the tests. Rows with a missing value anywhere are dropped (counted in
    ``n_dropped``). With a ``group`` it must have at least two levels (Gray's test needs them).
    """
    coded = coded_rows(time, status, group, cencode) if strata is None else None
    if (
        coded is not None
        and (group is None or len(coded.groups) > 1)
        and streams(len(coded.groups), len(coded.causes))
    ):
        levels = [ALL_SUBJECTS] if group is None else coded.groups
        return _streamed_cuminc(coded.time, coded.cells, levels, coded.causes, rho)

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
    n_groups = len(levels)
    if strata is None and streams(n_groups, len(causes)):
        cells = cells_of(gidx, kind, len(causes) + 1)
        return _streamed_cuminc(t, cells, levels, causes, rho, clean.n_dropped)
    rows = SortedRows.build(t, gidx, kind, sidx, n_groups, len(causes))
    grid = EventGrid(rows)
    y_max = _longest_followup(rows.time, rows.group, n_groups)
    time_, estimate, variance, offsets = cif_curves(
        grid.time, grid.n, grid.d, grid.d_all, grid.surv, grid.surv_prev, y_max
    )
    curves = _curves(levels, causes, time_, estimate, variance, offsets[:-1], np.diff(offsets),
                     y_max)  # fmt: skip
    n_strata = max(len(strata_levels), 1)
    tests = _no_tests() if n_groups == 1 else gray_statistics(rows, n_strata, causes, rho, grid)
    return CumincResult(curves, levels, causes, tests, len(t), clean.n_dropped, float(rho),
                        as_level_list(strata_levels))  # fmt: skip


def _streamed_cuminc(time, cells, levels: list, causes: list, rho, n_dropped=0) -> CumincResult:
    """cuminc of complete coded rows without strata, up to three groups (``_streamed``)."""
    n_groups = len(levels)
    out = stream_cells(time, cells, n_groups, len(causes), rho)
    curves = _curves(levels, causes, out.time, out.estimate, out.variance_of_estimate,
                     out.start, out.length, out.longest_followup)  # fmt: skip
    # With an infinite weight the grid lets NaN and inf run through as cmprsk does.
    tests = (
        _no_tests()
        if n_groups == 1
        else unstratified_tests(time, cells, n_groups, causes, rho, streamed=out)
    )
    return CumincResult(curves, levels, causes, tests, len(time), n_dropped, float(rho), [])


def _no_tests() -> pd.DataFrame:
    """The tests of a single group: none."""
    return pd.DataFrame({"cause": [], "statistic": [], "df": [], "p_value": []})

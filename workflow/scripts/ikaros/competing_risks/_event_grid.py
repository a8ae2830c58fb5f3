"""Risk sets on a shared time grid: what the CIF curves and Gray's test both need.

For a set of rows (all of them, or one stratum) the grid holds the distinct times with a failure
of any cause in any group and, per group, the number at risk, the failures of each cause, the
all-cause Kaplan-Meier survival after and before each time, laid out (cause, group, time).
The grid, the curves and Gray's test are loops compiled by numba: cmprsk's own recursions,
which numpy could only run as many passes over temporary arrays. At a grid time where a group
has no failure its survival factor is exactly 1 and its increments exactly 0, so a group's
values at its own failure times equal, bit for bit, those of a grid built from that group alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class SortedRows:
    """Complete rows sorted by time (sorted once, shared by every grid built from them)."""

    time: np.ndarray
    group: np.ndarray  # 0-based group index
    kind: np.ndarray  # 0 censored, c + 1 for a failure of the c-th cause
    stratum: np.ndarray  # 0-based stratum index (Gray's test only)
    n_groups: int
    n_causes: int

    @classmethod
    def build(cls, time, group, kind, stratum, n_groups: int, n_causes: int) -> SortedRows:
        # The order of tied rows does not matter: only counts are used.
        return cls(*_sorted_by_time(time, group, kind, stratum), n_groups, n_causes)

    def subset(self, mask: np.ndarray) -> SortedRows:
        """The rows where ``mask`` holds (still sorted)."""
        return SortedRows(
            self.time[mask],
            self.group[mask],
            self.kind[mask],
            self.stratum[mask],
            self.n_groups,
            self.n_causes,
        )


RADIX_BITS = 11  # 2,048 buckets: six passes over 64-bit keys, a table that stays in L1 cache


@njit(cache=True, nogil=True)
def _sorted_by_time(time, group, kind, stratum):
    """The rows in time order, by a least-significant-digit radix sort of the times' bits.

    Times are validated finite and >= 0, and a non-negative double's bit pattern, read as an
    unsigned integer, orders as its value does (-0.0 is first made +0.0). Each pass is stable
    and costs two reads of the rows, against n log n comparisons; a pass whose digit is the
    same for every row is skipped. The keys travel with the order, so every pass reads them in
    sequence.
    """
    n = len(time)
    keys = (time + 0.0).view(np.uint64)
    order = np.arange(n)
    next_keys, next_order = np.empty_like(keys), np.empty_like(order)
    mask = np.uint64((1 << RADIX_BITS) - 1)
    count = np.empty(1 << RADIX_BITS, dtype=np.int64)
    for shift in range(0, 64, RADIX_BITS):
        count[:] = 0
        for i in range(n):
            count[(keys[i] >> np.uint64(shift)) & mask] += 1
        if count.max() == n:
            continue  # one digit for all rows: this pass would not move any
        total = 0
        for digit in range(len(count)):
            total, count[digit] = total + count[digit], total
        for i in range(n):
            digit = (keys[i] >> np.uint64(shift)) & mask
            at = count[digit]
            next_keys[at], next_order[at] = keys[i], order[i]
            count[digit] = at + 1
        keys, next_keys = next_keys, keys
        order, next_order = next_order, order
    return time[order], group[order], kind[order], stratum[order]


def cause_kinds(status: np.ndarray, censored: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The cause codes (sorted) and each row's kind: 0 censored, c + 1 for the c-th cause.

    Event codes are validated positive integers, so they are counted rather than sorted.
    """
    codes = status[~censored]
    if len(codes) == 0 or codes.max() >= 2 * len(status):
        unique = np.unique(codes)
        return [int(c) for c in unique], np.where(censored, 0, np.searchsorted(unique, status) + 1)
    present = np.bincount(codes.astype(np.int64)) > 0
    kind_of_code = np.cumsum(present)  # c + 1 at the c-th present code
    kind = np.zeros(len(status), dtype=np.int64)
    kind[~censored] = kind_of_code[codes.astype(np.int64)]
    return np.flatnonzero(present).tolist(), kind


@njit(cache=True, nogil=True)
def tie_factor(d: float, n: float) -> float:
    """Hypergeometric tie correction (n - d)/(n - 1) of d tied failures among n at risk; 1 when
    d <= 1 (even for n = 1). The CIF variance and Gray's competing terms both use it."""
    return 1.0 if d <= 1 else (n - d) / (n - 1.0)


class EventGrid:
    """Per-group risk sets and Kaplan-Meier survival at the failure times of some rows."""

    def __init__(self, rows: SortedRows):
        (self.time, self.n, self.d, self.d_all, self.surv, self.surv_prev) = _count_grid(
            rows.time, rows.group, rows.kind, rows.n_groups, rows.n_causes
        )

    @property
    def n_times(self) -> int:
        return len(self.time)


@njit(cache=True, nogil=True)
def _count_grid(time, group, kind, n_groups, n_causes):
    """One pass over time-sorted rows: the failure times, and per group the number at risk
    (time >= t), the failures of each cause, all failures, the survival after and before t.

    Times with censoring only are not kept: they only shrink the later risk sets. Counts are
    floats (they enter every formula as such).
    """
    n_rows = len(time)
    n_times, i = 0, 0  # first pass: how many distinct times have a failure
    while i < n_rows:
        start, has_failure = i, False
        while i < n_rows and time[i] == time[start]:
            has_failure = has_failure or kind[i] > 0
            i += 1
        n_times += has_failure
    times = np.empty(n_times)
    at_risk = np.empty((n_groups, n_times))
    failures = np.zeros((n_causes, n_groups, n_times))
    all_failures = np.zeros((n_groups, n_times))
    remaining = np.zeros(n_groups)  # rows of each group with time >= the current time
    for i in range(n_rows):
        remaining[group[i]] += 1.0
    column, i = 0, 0
    while i < n_rows:
        start, has_failure = i, False
        while i < n_rows and time[i] == time[start]:
            if kind[i] > 0:
                has_failure = True
                failures[kind[i] - 1, group[i], column] += 1.0
                all_failures[group[i], column] += 1.0
            i += 1
        if has_failure:
            times[column] = time[start]
            for g in range(n_groups):
                at_risk[g, column] = remaining[g]
            column += 1
        for r in range(start, i):
            remaining[group[r]] -= 1.0
    surv, surv_prev = np.empty_like(at_risk), np.empty_like(at_risk)
    for g in range(n_groups):
        s = 1.0
        for t in range(n_times):
            surv_prev[g, t] = s
            if at_risk[g, t] > 0:
                s *= (at_risk[g, t] - all_failures[g, t]) / at_risk[g, t]
            surv[g, t] = s
    return times, at_risk, failures, all_failures, surv, surv_prev

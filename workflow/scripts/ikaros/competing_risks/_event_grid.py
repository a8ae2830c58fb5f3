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

    @classmethod
    def from_cells(cls, time, cells, n_groups: int, n_causes: int) -> SortedRows:
        """Rows of one stratum given as ``_streamed`` cells, g (causes + 1) + kind."""
        width = n_causes + 1
        stratum = np.zeros(len(time), dtype=np.int64)
        return cls.build(time, cells // width, cells % width, stratum, n_groups, n_causes)

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


RADIX_BITS = 11  # 2,048 buckets per digit: six digits over 64-bit keys, tables in L1 cache
N_DIGITS = (64 + RADIX_BITS - 1) // RADIX_BITS
UNSORTED_DIGITS = 3  # the low 33 bits: times alike to 1 in 2**20 are ordered after the passes
SHORT_RUN = 32  # a run of such times up to this long is put in order by insertion


NEGATIVE_ZERO = np.uint64(1 << 63)  # -0.0's bits: the sign bit alone


@njit(cache=True, nogil=True, inline="always")
def _positive_zero(key):
    """A time's bits with -0.0 read as +0.0 (the one negative value a validated time can be)."""
    return np.uint64(0) if key == NEGATIVE_ZERO else key


@njit(cache=True, nogil=True)
def sorted_cells(time, cell):
    """Times in order with their cells: a least-significant-digit radix sort of the top bits,
    then the rows alike in those bits put in order.

    Times are validated finite and >= 0, and a non-negative double's bit pattern, read as an
    unsigned integer, orders as its value does (-0.0 is read as +0.0); ``time`` must be
    contiguous. The top three 11-bit digits (the exponent and 20 bits of the fraction) tell
    apart times that differ by more than about 1 part in a million; each digit costs a stable
    scatter of keys and cells (none for a digit all rows share), their counts all come from one
    read, and times alike in those bits but not equal, which real follow-up times rarely are,
    are ordered afterwards (``_order_alike``).
    """
    n = len(time)
    keys = time.view(np.uint64)
    mask = np.uint64((1 << RADIX_BITS) - 1)
    counts = np.zeros((N_DIGITS - UNSORTED_DIGITS, 1 << RADIX_BITS), dtype=np.int64)
    for i in range(n):
        key = _positive_zero(keys[i])
        for p in range(UNSORTED_DIGITS, N_DIGITS):
            counts[p - UNSORTED_DIGITS, (key >> np.uint64(p * RADIX_BITS)) & mask] += 1
    # The first pass reads the input, later passes move between two buffers.
    source_keys, source_cells = keys, cell
    target_keys, target_cells = np.empty_like(keys), np.empty_like(cell)
    passes = 0
    for p in range(UNSORTED_DIGITS, N_DIGITS):
        count = counts[p - UNSORTED_DIGITS]
        if count.max() == n:
            continue  # one digit for all rows: this pass would not move any
        total = 0
        for digit in range(len(count)):
            total, count[digit] = total + count[digit], total
        shift = np.uint64(p * RADIX_BITS)
        for i in range(n):
            key = _positive_zero(source_keys[i])
            digit = (key >> shift) & mask
            at = count[digit]
            target_keys[at], target_cells[at] = key, source_cells[i]
            count[digit] = at + 1
        passes += 1
        if passes == 1:
            source_keys, source_cells = target_keys, target_cells
            target_keys, target_cells = np.empty_like(keys), np.empty_like(cell)
        else:
            source_keys, target_keys = target_keys, source_keys
            source_cells, target_cells = target_cells, source_cells
    if passes == 0:  # every time alike in the top digits: order them all afterwards
        source_keys, source_cells = np.empty_like(keys), cell.copy()
        for i in range(n):
            source_keys[i] = _positive_zero(keys[i])
    _order_alike(source_keys, source_cells, UNSORTED_DIGITS * RADIX_BITS)
    return source_keys.view(np.float64), source_cells


@njit(cache=True, nogil=True)
def _order_alike(keys, cells, low_bits):
    """Order, in place, each run of keys that agree above ``low_bits`` (the radix passes left
    them in input order): by insertion when short, by a sort of the run otherwise."""
    n, i = len(keys), 0
    high = ~np.uint64((1 << low_bits) - 1)
    while i < n - 1:
        if keys[i] <= keys[i + 1]:
            i += 1
            continue
        first, last = i, i + 1  # out of order: find the run of keys alike with these
        while first > 0 and (keys[first - 1] & high) == (keys[i] & high):
            first -= 1
        while last + 1 < n and (keys[last + 1] & high) == (keys[i] & high):
            last += 1
        if last - first < SHORT_RUN:
            for j in range(first + 1, last + 1):
                key, value, k = keys[j], cells[j], j - 1
                while k >= first and keys[k] > key:
                    keys[k + 1], cells[k + 1] = keys[k], cells[k]
                    k -= 1
                keys[k + 1], cells[k + 1] = key, value
        else:
            order = np.argsort(keys[first : last + 1], kind="mergesort") + first
            keys[first : last + 1], cells[first : last + 1] = keys[order], cells[order]
        i = last + 1


def _sorted_by_time(time, group, kind, stratum):
    """The rows in time order (``sorted_cells`` of the times with each row's position), the
    other columns moved with their times."""
    sorted_time, order = sorted_cells(
        np.ascontiguousarray(time, dtype=np.float64), np.arange(len(time), dtype=np.int32)
    )
    return sorted_time, group[order], kind[order], stratum[order]


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

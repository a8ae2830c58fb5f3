"""Risk sets on a shared time grid: what the CIF curves and Gray's test both need.

For a set of rows (all of them, or one stratum) the grid holds the distinct times with a failure
of any cause in any group and, per group, the number at risk, the failures of each cause, the
all-cause Kaplan-Meier survival after and before each time. Arrays are laid out
(cause, group, time) so numpy runs along time. At a grid time where a group has no failure
its survival factor is exactly 1 and its increments exactly 0, so a group's values at its own
failure times equal, bit for bit, those of a grid built from that group alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
        order = np.argsort(time)  # the order of tied rows does not matter: only counts are used
        return cls(time[order], group[order], kind[order], stratum[order], n_groups, n_causes)

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


class EventGrid:
    """Per-group risk sets and Kaplan-Meier survival at the failure times of some rows."""

    def __init__(self, rows: SortedRows):
        n_groups, n_kinds = rows.n_groups, rows.n_causes + 1
        t = rows.time
        new_time = np.ones(len(t), dtype=bool)
        new_time[1:] = t[1:] != t[:-1]
        rank = np.cumsum(new_time) - 1
        n_times = int(rank[-1]) + 1 if len(t) else 0
        # One bincount gives every (kind, group, time) count.
        key = (rows.kind * n_groups + rows.group) * n_times + rank
        counts = np.bincount(key, minlength=n_kinds * n_groups * n_times)
        counts = counts.reshape(n_kinds, n_groups, n_times)
        rows_at = counts.sum(axis=0)
        at_risk = rows_at.sum(axis=1, keepdims=True) - np.cumsum(rows_at, axis=1) + rows_at
        failures = counts[1:]
        all_failures = failures.sum(axis=0)
        keep = np.flatnonzero(all_failures.any(axis=0))  # censoring-only times shrink risk sets
        self.time = np.take(t[new_time], keep)
        # np.take copies in C order (broadcasting over strided views is several times slower).
        self.n = np.take(at_risk, keep, axis=-1).astype(float)  # (G, T), number with time >= t
        self.d = np.take(failures, keep, axis=-1).astype(float)  # (C, G, T)
        self.d_all = np.take(all_failures, keep, axis=-1).astype(float)  # (G, T)
        self.has = self.n > 0
        self.safe_n = np.where(self.has, self.n, 1.0)  # nobody at risk: contributes nothing
        factor = np.where(self.has, (self.n - self.d_all) / self.safe_n, 1.0)
        self.surv = np.cumprod(factor, axis=1)
        self.surv_prev = previous(self.surv, 1.0)

    @property
    def n_times(self) -> int:
        return len(self.time)


def previous(values: np.ndarray, first: float) -> np.ndarray:
    """Values shifted one step along the last axis (time), ``first`` at the start."""
    out = np.empty_like(values)
    if values.shape[-1]:
        out[..., 0] = first
        out[..., 1:] = values[..., :-1]
    return out

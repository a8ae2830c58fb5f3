"""CIF curves and Gray's test streamed over time-sorted rows, without a grid (the usual case).

A cuminc call without strata, with up to three groups, needs no table of risk sets: its rows,
sorted once by time, are read once, and the risk sets, survival and subdistribution weights of
each failure time are kept only while that time is read. The read writes every curve, sums
Gray's scores, and sums Gray's variance in parts that are quadratic in the totals of c(t),
which are known only at the end (``stream``). The formulas are those of ``cuminc.py`` and
``gray.py`` term for term; strata, more groups and infinite weights take the grid path
(``_event_grid``, ``gray``). Each row travels through the sort as one integer, its cell
g (causes + 1) + kind (kind 0 censored, c + 1 for the c-th cause).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ikaros.competing_risks._event_grid import sorted_cells, tie_factor

MAX_GROUPS = 3  # the streamed kernels hold each group's values as scalars
# Multiply-adds may be fused (one rounding instead of two); no other fast-math licence, so NaN
# and inf keep IEEE meaning.
CONTRACT = {"contract"}


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _cells_per_group(time, cells, n_groups, width):
    """Rows per group (padded to three groups), failures per (cause, group), cause-major, and
    each group's longest follow-up (its last row's time)."""
    per_cell = np.zeros(MAX_GROUPS * width, dtype=np.int64)
    for i in range(len(cells)):
        per_cell[cells[i]] += 1
    sizes = np.zeros(MAX_GROUPS)
    failures = np.zeros((width - 1) * n_groups, dtype=np.int64)
    for g in range(n_groups):
        for kind in range(width):
            sizes[g] += per_cell[g * width + kind]
            if kind > 0:
                failures[(kind - 1) * n_groups + g] = per_cell[g * width + kind]
    # Each group's last row, read from the end (-inf for a group without rows, as the grid has).
    y_max, seen, i = np.full(n_groups, -np.inf), 0, len(time) - 1
    while seen < n_groups and i >= 0:
        g = cells[i] // width
        if y_max[g] == -np.inf:
            y_max[g] = time[i]
            seen += 1
        i -= 1
    return sizes, failures, y_max


@njit(cache=True, nogil=True, inline="always", fastmath=CONTRACT)
def _group_step(nt, s_prev, inv_s_prev, d_all):
    """One group at a failure time: h = n / S-, S- / n, S after it and 1 / S (0 where S = 0).
    One division by n serves S- / n and S; 1 / S- is kept from the group's last step, and S
    and 1 / S stay as they were when the group has no failure (n / n is 1 exactly, n (1 / n)
    need not be)."""
    if nt <= 0:
        return 0.0, s_prev, s_prev, inv_s_prev
    inv_n = 1.0 / nt
    h, per_n = nt * inv_s_prev, s_prev * inv_n
    if d_all == 0:
        return h, per_n, s_prev, inv_s_prev
    s = s_prev * ((nt - d_all) * inv_n)
    return h, per_n, s, (1.0 / s if s > 0 else 0.0)


@njit(cache=True, nogil=True, inline="always", fastmath=CONTRACT)
def _cause_term(nt, s, inv_s, s_prev, per_n, a_0, a_1, r_0, r_1, big_d1, big_h, rest, jump):
    """A group's variance term at a failure time of the cause, e u u' with u = a + b c_left,
    split for c_left = C - R: e p p' (3), e b p (2) and e b^2, with p = a - b R."""
    b = 1.0 - rest * inv_s if s > 0 else 1.0
    tie = 1.0 if big_d1 == 1 else 1.0 - (big_d1 - 1.0) / (big_h * s_prev - 1.0)
    e = tie * per_n * jump
    p0, p1 = a_0 - b * r_0, a_1 - b * r_1
    eb = e * b
    return e * p0 * p0, e * p0 * p1, e * p1 * p1, eb * p0, eb * p1, eb * b


@njit(cache=True, nogil=True, inline="always", fastmath=CONTRACT)
def _competing_term(d2, nt, inv_s, per_n, r_0, r_1, rest):
    """A group's term of its competing failures, w c_left c_left' with w = tau2 (S-/n)^2 d2
    b2^2, split as for ``_cause_term``: w R R' (3), -w R (2) and w."""
    b2 = rest * inv_s
    w = tie_factor(d2, nt) * per_n * per_n * d2 * (b2 * b2)
    return w * r_0 * r_0, w * r_0 * r_1, w * r_1 * r_1, -w * r_0, -w * r_1, w


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def stream(time, cells, n_groups, n_causes, rho, with_curves, with_test):
    """Curves of every (cause, group) and Gray's score and variance of every cause, in one
    read of time-sorted rows, for up to three groups.

    ``cells`` are g (causes + 1) + kind. Curves are cause-major then group; curve j is
    ``start[j]:start[j] + length[j]`` of the returned time, estimate and variance, in
    ``cuminc``'s layout (2K + 2 places for K jumps). Each group's risk-set values are scalars (an
    absent third group reads as empty: no row, h = 0, no term). Gray's variance (``gray``)
    sums, over failure times, terms in c_left(t) = C - R(t), where R(t) is the running sum of
    a c(t)-increments and C its total, known only at the end; each term is a quadratic in C,
    so its parts are summed per group as the rows are read and C is put in at the end
    (``_variance_from_parts``). Returns the curves, the score (causes, 2), the variance
    (causes, 3: v00, v01, v11), and whether every weight was finite (if not, the test must be
    computed on the grid, which lets NaN and inf propagate as cmprsk does).
    """
    n, width = len(time), n_causes + 1
    sizes, failures, y_max = _cells_per_group(time, cells, n_groups, width)
    n_curves = n_causes * n_groups
    start = np.zeros(n_curves, dtype=np.int64)
    size = 0
    for j in range(n_curves):  # at most one jump per failure
        start[j] = size
        size += 2 * failures[j] + 2 if with_curves else 0
    curve_time, estimate, variance = np.empty(size), np.empty(size), np.empty(size)
    at = start + 1  # each curve's last written place
    if with_curves:
        for j in range(n_curves):
            curve_time[start[j]] = 0.0
            estimate[start[j] : start[j] + 2] = 0.0
            variance[start[j] : start[j] + 2] = 0.0

    count = np.zeros(MAX_GROUPS * width)  # this time's rows by cell
    n_at, per_n, surv, inv_s = np.empty(3), np.empty(3), np.empty(3), np.empty(3)
    cif, sums = np.zeros((n_causes, MAX_GROUPS)), np.zeros((n_causes, MAX_GROUPS, 3))
    f0, score = np.zeros(n_causes), np.zeros((n_causes, 2))
    running = np.zeros((n_causes, 6))  # R(t) per group and column: r00, r01, r10, ..., r21
    parts = np.zeros((n_causes, MAX_GROUPS, 6))
    n0, n1, n2 = sizes[0], sizes[1], sizes[2]
    s0 = s1 = s2 = 1.0
    inv_s0 = inv_s1 = inv_s2 = 1.0
    finite = True
    i = 0
    while i < n:
        now = time[i]
        while i < n and time[i] == now:
            count[cells[i]] += 1.0
            i += 1
        da0 = da1 = da2 = 0.0
        for kind in range(1, width):
            da0 += count[kind]
            da1 += count[width + kind]
            da2 += count[2 * width + kind]
        if da0 + da1 + da2 > 0:
            h0, pn0, s0_next, is0 = _group_step(n0, s0, inv_s0, da0)
            h1, pn1, s1_next, is1 = _group_step(n1, s1, inv_s1, da1)
            h2, pn2, s2_next, is2 = _group_step(n2, s2, inv_s2, da2)
            big_h = h0 + h1 + h2
            inv_h = 1.0 / big_h
            for c in range(n_causes if with_test else 0):
                d0, d1, d2 = count[1 + c], count[width + 1 + c], count[2 * width + 1 + c]
                big_d1 = d0 + d1 + d2
                f_prev = f0[c]
                wt = (1.0 - f_prev) ** rho if rho != 0 else 1.0
                finite &= np.isfinite(wt)
                r00, r01, r10, r11 = running[c, 0], running[c, 1], running[c, 2], running[c, 3]
                r20, r21 = running[c, 4], running[c, 5]
                if big_d1 > 0:
                    scale = big_d1 / (big_h * (1.0 - f_prev))
                    finite &= np.isfinite(scale)
                    q0, q1 = h0 * (1.0 - cif[c, 0]), h1 * (1.0 - cif[c, 1])
                    q2 = h2 * (1.0 - cif[c, 2])
                    big_q = q0 + q1 + q2
                    ratio = big_d1 / (big_q if big_q > 0 else 1.0)
                    score[c, 0] += (d0 - q0 * ratio) * wt
                    score[c, 1] += (d1 - q1 * ratio) * wt
                    f0[c] = f_prev + big_d1 * inv_h
                    rest, jump = 1.0 - f0[c], big_d1 * inv_h
                    # a(t) = w h_j (delta_jm - h_m / H), j = 0..2, m = 0..1
                    p0, p1 = h0 * inv_h, h1 * inv_h
                    a00, a01 = h0 * (1.0 - p0) * wt, -h0 * p1 * wt
                    a10, a11 = -h1 * p0 * wt, h1 * (1.0 - p1) * wt
                    a20, a21 = -h2 * p0 * wt, -h2 * p1 * wt
                    r00, r01 = r00 + a00 * scale, r01 + a01 * scale
                    r10, r11 = r10 + a10 * scale, r11 + a11 * scale
                    r20, r21 = r20 + a20 * scale, r21 + a21 * scale
                    running[c, 0], running[c, 1], running[c, 2] = r00, r01, r10
                    running[c, 3], running[c, 4], running[c, 5] = r11, r20, r21
                    if n0 > 0:
                        t = _cause_term(n0, s0_next, is0, s0, pn0, a00, a01, r00, r01, big_d1,
                                        big_h, rest, jump)  # fmt: skip
                        for q in range(6):
                            parts[c, 0, q] += t[q]
                    if n1 > 0:
                        t = _cause_term(n1, s1_next, is1, s1, pn1, a10, a11, r10, r11, big_d1,
                                        big_h, rest, jump)  # fmt: skip
                        for q in range(6):
                            parts[c, 1, q] += t[q]
                    if n2 > 0:
                        t = _cause_term(n2, s2_next, is2, s2, pn2, a20, a21, r20, r21, big_d1,
                                        big_h, rest, jump)  # fmt: skip
                        for q in range(6):
                            parts[c, 2, q] += t[q]
                rest = 1.0 - f0[c]
                if da0 > d0 and s0_next > 0:
                    t = _competing_term(da0 - d0, n0, is0, pn0, r00, r01, rest)
                    for q in range(6):
                        parts[c, 0, q] += t[q]
                if da1 > d1 and s1_next > 0:
                    t = _competing_term(da1 - d1, n1, is1, pn1, r10, r11, rest)
                    for q in range(6):
                        parts[c, 1, q] += t[q]
                if da2 > d2 and s2_next > 0:
                    t = _competing_term(da2 - d2, n2, is2, pn2, r20, r21, rest)
                    for q in range(6):
                        parts[c, 2, q] += t[q]
            n_at[0], n_at[1], n_at[2] = n0, n1, n2
            per_n[0], per_n[1], per_n[2] = pn0, pn1, pn2
            surv[0], surv[1], surv[2] = s0_next, s1_next, s2_next
            inv_s[0], inv_s[1], inv_s[2] = is0, is1, is2
            for g in range(n_groups):
                d_any = 0.0
                for kind in range(1, width):
                    d_any += count[g * width + kind]
                if d_any == 0:
                    continue  # not the group's failure time: its curves do not move
                nt, pn, s, ivs = n_at[g], per_n[g], surv[g], inv_s[g]
                pn2 = pn * pn
                for c in range(n_causes):
                    d1 = count[g * width + 1 + c]
                    d2 = d_any - d1
                    cif[c, g] += pn * d1
                    if not with_curves:
                        continue
                    # cmprsk's variance V1 - 2 F V2 + F^2 V3 (``cuminc.cif_curves``)
                    e1 = pn2 * d1 * tie_factor(d1, nt)
                    e2 = pn2 * d2 * tie_factor(d2, nt) if s > 0 else 0.0
                    ratio = cif[c, g] * ivs
                    a1 = 1.0 + ratio
                    sums[c, g, 0] += e2 * ratio * ratio + e1 * a1 * a1
                    sums[c, g, 1] += e2 * ratio * ivs + e1 * a1 * ivs
                    sums[c, g, 2] += e2 * ivs * ivs + e1 * ivs * ivs
                    if d1 > 0:  # the jump: time twice, the value before it, then after it
                        j = c * n_groups + g
                        p, f = at[j], cif[c, g]
                        value = sums[c, g, 0] - sums[c, g, 1] * (2.0 * f) + sums[c, g, 2] * (f * f)
                        curve_time[p], curve_time[p + 1] = now, now
                        estimate[p + 1], variance[p + 1] = f, value
                        estimate[p + 2], variance[p + 2] = f, value
                        at[j] = p + 2
            s0, s1, s2 = s0_next, s1_next, s2_next
            inv_s0, inv_s1, inv_s2 = is0, is1, is2
        for kind in range(width):  # this time's rows leave the risk sets
            n0 -= count[kind]
            n1 -= count[width + kind]
            n2 -= count[2 * width + kind]
            count[kind] = count[width + kind] = count[2 * width + kind] = 0.0
    length = np.zeros(n_curves, dtype=np.int64)
    if with_curves:
        for j in range(n_curves):
            curve_time[at[j]] = y_max[j % n_groups]  # the last place: longest follow-up
            length[j] = at[j] + 1 - start[j]
    var = _variance_from_parts(parts, running)
    return curve_time, estimate, variance, start, length, y_max, score, var, finite


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _variance_from_parts(parts, total):
    """v00, v01, v11 per cause: sum over groups of Q + L C' + C L' + M C C' (``stream``)."""
    n_causes = parts.shape[0]
    var = np.zeros((n_causes, 3))
    for c in range(n_causes):
        for g in range(MAX_GROUPS):
            q00, q01, q11, l0, l1, m = parts[c, g]
            c0, c1 = total[c, 2 * g], total[c, 2 * g + 1]
            var[c, 0] += q00 + 2.0 * l0 * c0 + m * c0 * c0
            var[c, 1] += q01 + l0 * c1 + c0 * l1 + m * c0 * c1
            var[c, 2] += q11 + 2.0 * l1 * c1 + m * c1 * c1
    return var


@dataclass(frozen=True)
class Streamed:
    """``stream``'s output: curves (cause-major, then group) and Gray's moments."""

    time: np.ndarray
    estimate: np.ndarray
    variance_of_estimate: np.ndarray
    start: np.ndarray
    length: np.ndarray
    longest_followup: np.ndarray
    score: np.ndarray
    variance: np.ndarray
    finite: bool


def streams(n_groups: int, n_causes: int) -> bool:
    """Whether ``stream`` takes these data: up to three groups and at least one cause."""
    return 1 <= n_groups <= MAX_GROUPS and n_causes >= 1


def stream_cells(time, cells, n_groups: int, n_causes: int, rho, curves=True, test=True):
    """Sort clean rows by time and stream them (``stream``); Gray's moments only with groups."""
    sorted_time, sorted_cell = sorted_cells(np.ascontiguousarray(time, dtype=np.float64), cells)
    return Streamed(*stream(sorted_time, sorted_cell, n_groups, n_causes, float(rho), curves,
                            test and n_groups > 1))  # fmt: skip


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def cells_of(group, kind, width):
    """Each row's cell, g (causes + 1) + kind, the one integer the sort moves."""
    cells = np.empty(len(group), dtype=np.int32)
    for i in range(len(group)):
        cells[i] = group[i] * width + kind[i]
    return cells

"""Fine-Gray pseudo-likelihood, score, information and score residuals (Breslow ties).

At failure time u_l subject j has weight 1 if y_j >= u_l, G_g(u_l-)/W_g(j) if it had a competing
event earlier (g its censoring group), else 0 (METHODS.md §3.3). Two evaluators share one data
layout:

- ``FixedDesign``: time-fixed covariates. Risk-set sums are reverse cumulative sums over subjects
  sorted by time plus, per censoring group, forward sums over competing-event subjects scaled by
  G_g(u_l-); the information is sum_j e_j c_j x_j x_j' - sum_l d_l xbar_l xbar_l' with c_j the
  subject's accumulated hazard weight. Cost O(n p^2) per evaluation, no n x n arrays.
- ``TimeVaryingDesign``: covariates cov2 * tf(u_l) change with the failure time, so the sums are
  formed per failure time (O(n p^2) each); used only when ``cov2``/``tf`` are given.

Covariates are centred before fitting: f, the score and the information do not change, but raw
moments of large-valued covariates would lose digits. Baseline jumps are scaled back to raw
covariates in ``baseline_jumps``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SortedData:
    """Subjects sorted by time, with everything that does not depend on beta."""

    time: np.ndarray  # (n,)
    kind: np.ndarray  # 1 failure of interest, 2 competing event, 0 censored
    cengroup: np.ndarray  # 0-based censoring group
    n_cengroups: int
    own_weight: np.ndarray  # W_g(i) for each subject's own group
    fail_times: np.ndarray  # u_1 < ... < u_L
    fail_weight: np.ndarray  # (groups, L): G_g(u_l-)
    d: np.ndarray  # failures per failure time
    d_by_group: np.ndarray  # (groups, L): failures at u_l whose own censoring group is g
    start: np.ndarray  # first subject index with time >= u_l
    fail_index: np.ndarray  # for failures: index l of their time; -1 otherwise
    n_fail_before: np.ndarray  # per subject: number of u_l <= y_j

    @classmethod
    def build(cls, time, kind, cengroup, n_cengroups, weights_matrix):
        fail_times = np.unique(time[kind == 1])
        loc = np.searchsorted(fail_times, time)
        failing = kind == 1
        fail_index = np.where(failing, loc, -1)
        start = np.searchsorted(time, fail_times, side="left")
        d = np.bincount(loc[failing], minlength=len(fail_times)).astype(float)
        d_by_group = np.zeros((n_cengroups, len(fail_times)))
        np.add.at(d_by_group, (cengroup[failing], loc[failing]), 1.0)
        return cls(
            time=time,
            kind=kind,
            cengroup=cengroup,
            n_cengroups=n_cengroups,
            own_weight=weights_matrix[cengroup, np.arange(len(time))],
            fail_times=fail_times,
            fail_weight=weights_matrix[:, start],
            d=d,
            d_by_group=d_by_group,
            start=start,
            fail_index=fail_index,
            n_fail_before=np.searchsorted(fail_times, time, side="right"),
        )

    def competing_mask(self, g: int) -> np.ndarray:
        return (self.kind == 2) & (self.cengroup == g)


def _prefix(values: np.ndarray) -> np.ndarray:
    """Sums over the first k rows for k = 0..n (leading zero row)."""
    zero = np.zeros((1,) + values.shape[1:])
    return np.concatenate([zero, np.cumsum(values, axis=0)])


def _suffix(values: np.ndarray) -> np.ndarray:
    """Sums over rows k..end for k = 0..n (trailing zero row)."""
    zero = np.zeros((1,) + values.shape[1:])
    return np.concatenate([np.cumsum(values[::-1], axis=0)[::-1], zero])


@dataclass
class Moments:
    f: float
    gradient: np.ndarray | None = None
    information: np.ndarray | None = None
    s0: np.ndarray | None = None
    xbar: np.ndarray | None = None


class FixedDesign:
    """Time-fixed covariates (centred), evaluated with cumulative sums."""

    def __init__(self, data: SortedData, x: np.ndarray):
        self.data = data
        self.x = x
        fi = data.fail_index
        failing = fi >= 0
        self.sum_fail_x = np.zeros((len(data.fail_times), x.shape[1]))
        np.add.at(self.sum_fail_x, fi[failing], x[failing])
        self.comp_masks = [data.competing_mask(g) for g in range(data.n_cengroups)]

    def _risk_sums(self, e: np.ndarray, with_x: bool):
        """S0_l (and S1_l) over the Fine-Gray risk sets; per-group competing prefix sums."""
        data, x = self.data, self.x
        s0 = _suffix(e)[data.start]
        s1 = _suffix(e[:, None] * x)[data.start] if with_x else None
        comp_prefix = []
        for g, mask in enumerate(self.comp_masks):
            w = np.where(mask, e / data.own_weight, 0.0)
            p0 = _prefix(w)
            p1 = _prefix(w[:, None] * x) if with_x else None
            gl = data.fail_weight[g]
            s0 = s0 + gl * p0[data.start]
            if with_x:
                s1 = s1 + gl[:, None] * p1[data.start]
            comp_prefix.append((p0, p1))
        return s0, s1, comp_prefix

    def objective(self, beta: np.ndarray) -> float:
        e = np.exp(self.x @ beta)
        s0, _, _ = self._risk_sums(e, with_x=False)
        d = self.data.d
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-(self.sum_fail_x @ beta).sum() + (d * np.log(s0)).sum())

    def _subject_hazard(self, lam: np.ndarray, per_time: np.ndarray):
        """sum_l lambda_l omega_j(l) v_l per subject j (v = per_time, shape (L, ...))."""
        data = self.data
        weighted = lam.reshape((-1,) + (1,) * (per_time.ndim - 1)) * per_time
        own = _prefix(weighted)[data.n_fail_before]
        for g, mask in enumerate(self.comp_masks):
            gl = data.fail_weight[g].reshape((-1,) + (1,) * (per_time.ndim - 1))
            later = _suffix(weighted * gl)[data.n_fail_before]
            scale = np.where(mask, 1.0 / data.own_weight, 0.0)
            own = own + scale.reshape((-1,) + (1,) * (per_time.ndim - 1)) * later
        return own

    def moments(self, beta: np.ndarray) -> Moments:
        data, x = self.data, self.x
        e = np.exp(x @ beta)
        s0, s1, _ = self._risk_sums(e, with_x=True)
        d = data.d
        xbar = s1 / s0[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            f = float(-(self.sum_fail_x @ beta).sum() + (d * np.log(s0)).sum())
        gradient = -(self.sum_fail_x - d[:, None] * xbar).sum(axis=0)
        lam = d / s0
        c = self._subject_hazard(lam, np.ones(len(d)))
        information = (x * (e * c)[:, None]).T @ x - (xbar * d[:, None]).T @ xbar
        return Moments(f, gradient, information, s0, xbar)

    def score_residuals(self, beta: np.ndarray, m: Moments) -> np.ndarray:
        """U_i = eta_i + psi_i (METHODS.md §3.5), one row per subject."""
        data, x = self.data, self.x
        e = np.exp(x @ beta)
        lam = data.d / m.s0
        c = self._subject_hazard(lam, np.ones(len(lam)))
        cx = self._subject_hazard(lam, m.xbar)
        eta = -e[:, None] * (x * c[:, None] - cx)
        failing = data.fail_index >= 0
        eta[failing] += x[failing] - m.xbar[data.fail_index[failing]]
        _, _, comp_prefix = self._risk_sums(e, with_x=True)

        def q_at(g, v_times):
            k = np.searchsorted(data.fail_times, v_times, side="left")
            coef = data.d_by_group[g] * data.fail_weight[g] / m.s0
            a = _suffix(coef)[k]
            b = _suffix(coef[:, None] * m.xbar)[k]
            j = np.searchsorted(data.time, v_times, side="left")
            p0, p1 = comp_prefix[g]
            return a[:, None] * p1[j] - b * p0[j][:, None]

        return eta + censoring_correction(data, q_at, x.shape[1])

    def baseline_jumps(self, beta: np.ndarray, m: Moments, shift: float) -> np.ndarray:
        return self.data.d / m.s0 * np.exp(-shift)

    def schoenfeld(self, m: Moments) -> np.ndarray:
        return self.sum_fail_x - self.data.d[:, None] * m.xbar


def censoring_correction(data: SortedData, q_at, p: int) -> np.ndarray:
    """psi_i from q_g(v) at each group's distinct censoring times (METHODS.md §3.5)."""
    psi = np.zeros((len(data.time), p))
    for g in range(data.n_cengroups):
        in_g = data.cengroup == g
        cens = in_g & (data.kind == 0)
        if not cens.any():
            continue
        v_times, counts = np.unique(data.time[cens], return_counts=True)
        group_times = data.time[in_g]  # sorted
        at_risk = len(group_times) - np.searchsorted(group_times, v_times, side="left")
        q = q_at(g, v_times)
        cum = _prefix(counts[:, None] * q / (at_risk**2)[:, None])
        members = np.flatnonzero(in_g)
        k = np.searchsorted(v_times, data.time[members], side="right")
        psi[members] -= cum[k]
        cens_members = np.flatnonzero(cens)
        kc = np.searchsorted(v_times, data.time[cens_members], side="left")
        psi[cens_members] += q[kc] / at_risk[kc][:, None]
    return psi


class TimeVaryingDesign:
    """Covariates x_j(u_l) = (cov1_j, cov2_j * tf(u_l)), summed per failure time."""

    def __init__(self, data: SortedData, x1: np.ndarray, x2: np.ndarray, tfs: np.ndarray):
        self.data, self.x1, self.x2, self.tfs = data, x1, x2, tfs
        self.failing = [np.flatnonzero(data.fail_index == li) for li in range(len(data.fail_times))]
        self.earlier_comp = data.kind == 2

    def design(self, li: int) -> np.ndarray:
        return np.hstack([self.x1, self.x2 * self.tfs[li]])

    def _omega(self, li: int) -> np.ndarray:
        data = self.data
        s = data.start[li]
        omega = np.ones(len(data.time))
        head = slice(0, s)
        gl = data.fail_weight[data.cengroup[head], li]
        omega[head] = np.where(self.earlier_comp[head], gl / data.own_weight[head], 0.0)
        return omega

    def objective(self, beta: np.ndarray) -> float:
        f = 0.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for li, d_l in enumerate(self.data.d):
                xl = self.design(li)
                eta = xl @ beta
                s0 = (self._omega(li) * np.exp(eta)).sum()
                f -= eta[self.failing[li]].sum() - d_l * np.log(s0)
        return float(f)

    def _per_time(self, beta, li):
        xl = self.design(li)
        we = self._omega(li) * np.exp(xl @ beta)
        s0 = we.sum()
        xbar = we @ xl / s0
        return xl, we, s0, xbar

    def moments(self, beta: np.ndarray) -> Moments:
        p = len(beta)
        n_l = len(self.data.d)
        f, grad, info = 0.0, np.zeros(p), np.zeros((p, p))
        s0s, xbars = np.empty(n_l), np.empty((n_l, p))
        for li, d_l in enumerate(self.data.d):
            xl, we, s0, xbar = self._per_time(beta, li)
            fail = self.failing[li]
            f -= (xl[fail] @ beta).sum() - d_l * np.log(s0)
            grad -= xl[fail].sum(axis=0) - d_l * xbar
            centred = xl - xbar
            info += (d_l / s0) * (centred * we[:, None]).T @ centred
            s0s[li], xbars[li] = s0, xbar
        return Moments(float(f), grad, info, s0s, xbars)

    def score_residuals(self, beta: np.ndarray, m: Moments) -> np.ndarray:
        data = self.data
        n, p = len(data.time), len(beta)
        eta = np.zeros((n, p))
        v_by_group = []
        for g in range(data.n_cengroups):
            cens = (data.cengroup == g) & (data.kind == 0)
            v_times = np.unique(data.time[cens])
            v_by_group.append((v_times, np.zeros((len(v_times), p))))
        comp_masks = [data.competing_mask(g) for g in range(data.n_cengroups)]
        for li, d_l in enumerate(data.d):
            xl, we, s0, xbar = self._per_time(beta, li)
            centred = xl - xbar
            fail = self.failing[li]
            eta[fail] += centred[fail]
            eta -= (d_l / s0) * we[:, None] * centred
            e = np.exp(xl @ beta)
            for g, (v_times, q) in enumerate(v_by_group):
                coef = data.d_by_group[g, li] * data.fail_weight[g, li] / s0
                if coef == 0 or len(v_times) == 0:
                    continue
                h = np.where(comp_masks[g], e / data.own_weight, 0.0)[:, None] * centred
                prefix = _prefix(h)
                upto = v_times <= data.fail_times[li]
                j = np.searchsorted(data.time, v_times[upto], side="left")
                q[upto] += coef * prefix[j]
        lookup = {
            g: dict(zip(v.tolist(), range(len(v)), strict=True))
            for g, (v, _) in enumerate(v_by_group)
        }

        def q_at(g, v_times):
            v_all, q = v_by_group[g]
            return q[[lookup[g][v] for v in v_times.tolist()]]

        return eta + censoring_correction(data, q_at, p)

    def baseline_jumps(self, beta: np.ndarray, m: Moments, shift: np.ndarray) -> np.ndarray:
        return self.data.d / m.s0 * np.exp(-shift)

    def schoenfeld(self, m: Moments) -> np.ndarray:
        rows = [self.design(li)[self.failing[li]].sum(axis=0) for li in range(len(self.data.d))]
        return np.asarray(rows) - self.data.d[:, None] * m.xbar

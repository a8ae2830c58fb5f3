"""Fine-Gray proportional subdistribution hazards regression (R ``cmprsk::crr``).

The fit reproduces crr's Newton-Raphson exactly (start at 0 unless ``init`` is given, the same
convergence test, Armijo step halving up to 20 times, ``gtol``, ``maxiter``), because at default
settings crr stops a few 1e-9 short of the optimum and parity to 1e-8 needs the same path
(METHODS.md §3.4). The variance is cmprsk's sandwich I^-1 (sum_i U_i U_i') I^-1 with the
censoring-weight correction; ``predict`` matches ``predict.crr``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from ikaros.competing_risks._censoring import censoring_weights
from ikaros.competing_risks._fg_likelihood import FixedDesign, SortedData, TimeVaryingDesign
from ikaros.competing_risks._validation import (
    CompetingRisksInputError,
    as_level_list,
    clean_input,
    factor_levels,
)

ARMIJO = 1e-4
MAX_HALVINGS = 20


@dataclass
class FineGrayResult:
    """A fitted Fine-Gray model; arrays follow the covariate order (cov1 then cov2 terms)."""

    terms: list[str]
    coef: np.ndarray
    var: np.ndarray  # sandwich variance (what crr's summary uses)
    invinf: np.ndarray  # naive I^-1
    information: np.ndarray
    score: np.ndarray
    loglik: float
    loglik_null: float
    converged: bool
    iterations: int
    n_used: int
    n_dropped: int
    failcode: int
    cencode: int
    cengroups: list
    fail_times: np.ndarray  # uftime
    baseline_jumps: np.ndarray  # bfitj: jumps of the baseline cumulative subdistribution hazard
    schoenfeld: np.ndarray  # res: L x p score residuals per failure time
    tfs: np.ndarray | None  # tf(uftime) when cov2 is used
    n_cov1: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.var))

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """coef, sHR = exp(coef), sandwich SE, CI for the sHR and two-sided Wald p."""
        z_crit = norm.ppf(0.5 + level / 2)
        se = self.se
        z = self.coef / se
        return pd.DataFrame(
            {
                "term": self.terms,
                "coef": self.coef,
                "sHR": np.exp(self.coef),
                "se": se,
                "ci_lower": np.exp(self.coef - z_crit * se),
                "ci_upper": np.exp(self.coef + z_crit * se),
                "z": z,
                "p_value": 2.0 * norm.sf(np.abs(z)),
            }
        )

    def wald_test(self, terms: list[str]) -> dict:
        """Joint Wald chi-square for several coefficients (e.g. the dummies of one factor)."""
        idx = [self.terms.index(t) for t in terms]
        b = self.coef[idx]
        stat = float(b @ np.linalg.solve(self.var[np.ix_(idx, idx)], b))
        return {"statistic": stat, "df": len(idx), "p_value": float(chi2.sf(stat, len(idx)))}

    def predict(self, covariates=None, cov2=None) -> pd.DataFrame:
        """Predicted CIF at each failure time (value after the jump), one column per row.

        CIF(u_l | z) = 1 - exp(-sum_{m<=l} exp(beta' z(u_m)) bfitj_m), as ``predict.crr``.
        Columns: ``time`` then one column per covariate row (named by the row's index label).
        """
        if self.n_cov1:
            z1, labels = _rows(covariates, self.n_cov1, self.terms[: self.n_cov1], "covariates")
            lin = np.zeros((len(self.fail_times), z1.shape[0]))
            lin += (z1 @ self.coef[: self.n_cov1])[None, :]
        else:
            z1, labels, lin = None, None, 0.0
        if self.tfs is not None:
            n2 = self.tfs.shape[1]
            if cov2 is None:
                raise CompetingRisksInputError("predict: the model has cov2 terms; pass cov2")
            z2, _ = _rows(cov2, n2, None, "cov2")
            if z1 is not None and z2.shape[0] != z1.shape[0]:
                raise CompetingRisksInputError(
                    f"predict: covariates has {z1.shape[0]} rows but cov2 has {z2.shape[0]}"
                )
            lin = lin + self.tfs @ (z2 * self.coef[self.n_cov1 :]).T
            labels = labels if z1 is not None else list(range(z2.shape[0]))
        cum = np.cumsum(np.exp(lin) * self.baseline_jumps[:, None], axis=0)
        out = pd.DataFrame(1.0 - np.exp(-cum), columns=labels)
        out.insert(0, "time", self.fail_times)
        return out


def _rows(values, width: int, names, what: str) -> tuple[np.ndarray, list]:
    if isinstance(values, pd.DataFrame):
        if names is not None and set(names) <= set(values.columns):
            values = values.loc[:, names]
        labels = values.index.tolist()
        array = values.to_numpy(dtype=float)
    else:
        array = np.asarray(values, dtype=float)
        if array.ndim == 1:
            array = array[None, :]
        labels = list(range(array.shape[0]))
    if array.shape[1] != width:
        raise CompetingRisksInputError(
            f"predict: {what} has {array.shape[1]} columns, the model has {width}"
        )
    return array, labels


def _matrix(frame: pd.DataFrame | None, order: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Covariate matrix in time order and its column names (empty when not given)."""
    if frame is None:
        return np.zeros((len(order), 0)), []
    return frame.to_numpy(dtype=float)[order], [str(c) for c in frame.columns]


def _check_design(x1: np.ndarray, x2: np.ndarray, terms: list[str]) -> None:
    """Refuse columns that cannot be estimated (crr would stop on a singular matrix)."""
    for name, column in zip(terms, np.hstack([x1, x2]).T, strict=True):
        if np.ptp(column) == 0:
            raise CompetingRisksInputError(
                f"covariates: column {name!r} is constant among complete rows; it cannot be "
                "estimated (drop it, or check the dummy coding)"
            )
    if x1.shape[1] and np.linalg.matrix_rank(x1 - x1.mean(axis=0)) < x1.shape[1]:
        raise CompetingRisksInputError(
            f"covariates: columns {terms[: x1.shape[1]]} are collinear among complete rows (the "
            "information matrix is singular); drop a redundant column or dummy"
        )


def _evaluate_tf(tf: Callable, fail_times: np.ndarray, n_cov2: int) -> np.ndarray:
    """tf at the sorted unique failure times, checked to be a finite L x ncol(cov2) matrix."""
    tfs = np.asarray(tf(fail_times), dtype=float)
    if tfs.ndim == 1:
        tfs = tfs[:, None]
    if tfs.shape != (len(fail_times), n_cov2):
        raise CompetingRisksInputError(
            f"tf: expected a {len(fail_times)} x {n_cov2} matrix (failure times x cov2 "
            f"columns), got shape {tfs.shape}"
        )
    if not np.all(np.isfinite(tfs)):
        raise CompetingRisksInputError("tf: returned non-finite values at the failure times")
    return tfs


def _newton(objective: Callable, moments: Callable, beta: np.ndarray, gtol: float, maxiter: int):
    """crr's Newton-Raphson with Armijo halving; returns beta, last moments, converged, iters."""
    iteration = 0
    while True:
        m = moments(beta)
        scale = np.max(np.abs(m.gradient) * np.maximum(np.abs(beta), 1.0))
        if scale < max(abs(m.f), 1.0) * gtol:
            return beta, m, True, iteration
        if iteration == maxiter:
            return beta, m, False, iteration
        try:
            step = -np.linalg.solve(m.information, m.gradient)
        except np.linalg.LinAlgError:
            return beta, m, False, iteration
        halvings = 0
        candidate = beta + step
        f_new = objective(candidate)
        while not (f_new <= m.f + ARMIJO * float(step @ m.gradient)):
            halvings += 1
            step = step * 0.5
            candidate = beta + step
            f_new = objective(candidate)
            if halvings > MAX_HALVINGS:
                break
        if halvings > MAX_HALVINGS:
            return beta, m, False, iteration
        beta = candidate
        iteration += 1


def fine_gray(
    time,
    status,
    covariates=None,
    failcode=1,
    cencode=0,
    cengroup=None,
    cov2=None,
    tf: Callable | None = None,
    gtol=1e-6,
    maxiter=10,
    init=None,
) -> FineGrayResult:
    """Fit crr's Fine-Gray model for ``failcode`` with every other event code competing.

    ``covariates``: DataFrame (column names become term names) or array, numeric, dummies for
    factors. ``cov2`` with ``tf``: terms cov2 * tf(t), ``tf`` mapping the sorted unique failure
    times to a matrix with one column per cov2 column. ``cengroup``: censoring distribution
    estimated separately per group (cmprsk's convention, including its weighting of the
    correction term by the failing subject's own group, METHODS.md §3.5).
    """
    if covariates is None and cov2 is None:
        raise CompetingRisksInputError("fine_gray: give covariates and/or cov2")
    if (cov2 is None) != (tf is None):
        raise CompetingRisksInputError("fine_gray: cov2 and tf must be given together")
    clean = clean_input(
        time,
        status,
        cencode,
        vectors={"cengroup": cengroup},
        matrices={"covariates": covariates, "cov2": cov2},
    )
    order = np.argsort(clean.time, kind="stable")
    t = clean.time[order]
    s = clean.status[order]
    if not np.any(s == failcode):
        raise CompetingRisksInputError(
            f"status: no subject has the failcode {failcode!r} among complete rows"
        )
    kind = np.where(s == failcode, 1, np.where(s == cencode, 0, 2))
    if cengroup is None:
        cg_levels, cg = [1], np.zeros(len(t), dtype=np.int64)
    else:
        cg_levels, cg = factor_levels(clean.columns["cengroup"], "cengroup")
        cg = cg[order]
    weights = censoring_weights(t, kind == 0, cg, len(cg_levels))
    data = SortedData.build(t, kind, cg, len(cg_levels), weights)

    x1, terms1 = _matrix(clean.columns.get("covariates"), order)
    x2, names2 = _matrix(clean.columns.get("cov2"), order)
    terms = terms1 + [f"{c}*tf{k + 1}" for k, c in enumerate(names2)]
    _check_design(x1, x2, terms)
    # Centre the covariates (see _fg_likelihood): m1, m2 are undone in the baseline jumps.
    m1, m2 = x1.mean(axis=0), x2.mean(axis=0)
    tfs = None
    if cov2 is None:
        design = FixedDesign(data, x1 - m1)
    else:
        tfs = _evaluate_tf(tf, data.fail_times, x2.shape[1])
        design = TimeVaryingDesign(data, x1 - m1, x2 - m2, tfs)
    n_cov1 = x1.shape[1]
    p = len(terms)
    beta0 = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()
    if beta0.shape != (p,):
        raise CompetingRisksInputError(f"init: expected {p} values, got shape {beta0.shape}")

    beta, m, converged, iterations = _newton(design.objective, design.moments, beta0, gtol, maxiter)
    # Sandwich variance, score residuals and baseline jumps at the final beta (as crr).
    try:
        invinf = np.linalg.inv(m.information)
    except np.linalg.LinAlgError:
        raise CompetingRisksInputError(
            f"covariates: the information matrix is singular at the fit (terms {terms}); a "
            "covariate is collinear with others or has no variation among subjects at risk"
        ) from None
    residuals = design.score_residuals(beta, m)
    var = invinf @ (residuals.T @ residuals) @ invinf.T
    # Raw-covariate baseline jumps: S0 with raw covariates is S0(centred) * exp(beta' m(u_l)).
    shift = beta[:n_cov1] @ m1
    if tfs is not None:
        shift = shift + tfs @ (beta[n_cov1:] * m2)
    return FineGrayResult(
        terms=terms,
        coef=beta,
        var=var,
        invinf=invinf,
        information=m.information,
        score=-m.gradient,
        loglik=-m.f,
        loglik_null=-design.objective(np.zeros(p)),
        converged=converged,
        iterations=iterations,
        n_used=len(t),
        n_dropped=clean.n_dropped,
        failcode=failcode,
        cencode=cencode,
        cengroups=as_level_list(cg_levels),
        fail_times=data.fail_times,
        baseline_jumps=design.baseline_jumps(beta, m, shift),
        schoenfeld=design.schoenfeld(m),
        tfs=tfs,
        n_cov1=n_cov1,
    )

"""Input checks shared by the competing-risks estimators.

cmprsk drops rows with a missing value in any input (``na.omit``) and counts them; we do the
same, then refuse input that would give silently wrong numbers (negative times, status codes
that are neither the censoring code nor a positive event code, inputs of different lengths).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

_COLUMN_PREFIX = {"covariates": "x", "cov2": "cov2_"}  # names for unnamed matrix columns


class CompetingRisksInputError(ValueError):
    """Input to a competing-risks estimator that cannot be analysed as given."""


@dataclass(frozen=True)
class CleanInput:
    """Complete-case arrays (original order) and how many rows were dropped."""

    time: np.ndarray
    status: np.ndarray
    columns: dict[str, np.ndarray | pd.DataFrame]
    kept_positions: np.ndarray
    n_dropped: int


def _as_series(values, name: str) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    if isinstance(values, (pd.Categorical, pd.Index)):
        return pd.Series(values)
    array = np.asarray(values)
    if array.ndim != 1:
        raise CompetingRisksInputError(
            f"{name}: expected a one-dimensional vector, got shape {array.shape}"
        )
    return pd.Series(array)


def _as_frame(values, name: str, prefix: str) -> pd.DataFrame:
    if isinstance(values, pd.DataFrame):
        return values.reset_index(drop=True)
    if isinstance(values, pd.Series):
        label = values.name if values.name is not None else f"{prefix}1"
        return values.reset_index(drop=True).to_frame(name=label)
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise CompetingRisksInputError(f"{name}: expected a matrix, got shape {array.shape}")
    return pd.DataFrame(array, columns=[f"{prefix}{k + 1}" for k in range(array.shape[1])])


def clean_input(
    time,
    status,
    cencode,
    vectors: dict[str, object] | None = None,
    matrices: dict[str, object] | None = None,
) -> CleanInput:
    """Check lengths, drop incomplete rows and validate time and status.

    ``vectors`` are one-dimensional inputs (group, strata, cengroup); ``matrices`` are covariate
    tables (DataFrame or array). Positions in error messages are 0-based positions in the input.
    """
    vectors = {k: v for k, v in (vectors or {}).items() if v is not None}
    matrices = {k: v for k, v in (matrices or {}).items() if v is not None}
    if not matrices:
        fast = _clean_numeric(time, status, cencode, vectors)
        if fast is not None:
            return fast
    time_s = _as_series(time, "time")
    status_s = _as_series(status, "status")
    series = {k: _as_series(v, k) for k, v in vectors.items()}
    frames = {k: _as_frame(v, k, _COLUMN_PREFIX.get(k, k)) for k, v in matrices.items()}
    lengths = {"time": len(time_s), "status": len(status_s)}
    lengths.update({k: len(v) for k, v in series.items()})
    lengths.update({k: len(v) for k, v in frames.items()})
    if len(set(lengths.values())) != 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise CompetingRisksInputError(f"inputs must all have the same length; got {detail}")
    n = len(time_s)

    time_num = pd.to_numeric(time_s, errors="coerce")
    bad_time = time_s.notna() & time_num.isna()
    if bad_time.any():
        pos = int(np.flatnonzero(bad_time.to_numpy())[0])
        raise CompetingRisksInputError(
            f"time: position {pos}: expected a number, got {time_s.iloc[pos]!r}"
        )
    status_num = pd.to_numeric(status_s, errors="coerce")
    bad_status = status_s.notna() & status_num.isna()
    if bad_status.any():
        pos = int(np.flatnonzero(bad_status.to_numpy())[0])
        raise CompetingRisksInputError(
            f"status: position {pos}: expected an integer status code, got {status_s.iloc[pos]!r}"
        )
    complete = time_num.notna() & status_num.notna()
    for values in series.values():
        complete &= values.notna()
    for frame in frames.values():
        numeric = frame.apply(pd.to_numeric, errors="coerce")
        bad = frame.notna() & numeric.isna()
        if bad.to_numpy().any():
            row, col = (int(a[0]) for a in np.nonzero(bad.to_numpy()))
            raise CompetingRisksInputError(
                f"covariates: position {row}, column {frame.columns[col]!r}: expected a number, "
                f"got {frame.iat[row, col]!r}"
            )
        complete &= numeric.notna().all(axis=1)
    keep = complete.to_numpy()
    t, s, positions = _checked_time_status(
        time_num.to_numpy(dtype=float),
        status_num.to_numpy(dtype=float),
        keep,
        lambda pos: time_num.iloc[pos],
        lambda pos: status_s.iloc[pos],
        cencode,
    )
    columns: dict[str, np.ndarray | pd.DataFrame] = {}
    for k, v in series.items():
        columns[k] = _kept_vector(v, keep)
    for k, frame in frames.items():
        columns[k] = frame.apply(pd.to_numeric).iloc[keep].reset_index(drop=True)
    if len(t) == 0:
        raise CompetingRisksInputError("no complete rows: every row has a missing value")
    return CleanInput(t, s, columns, positions, int(n - len(t)))


def _kept_vector(values: pd.Series, keep: np.ndarray):
    """A vector's complete rows: a factor stays a Series (its levels matter), else an array."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values[keep].reset_index(drop=True)
    return values.to_numpy()[keep]


def _checked_time_status(t_all, s_all, keep, time_value, status_value, cencode):
    """Complete-row times and codes (floats) and their positions, after the value checks.

    ``time_value(pos)`` and ``status_value(pos)`` give the input's value for error messages.
    """
    positions = np.flatnonzero(keep)
    t = t_all[keep]
    if not np.all(np.isfinite(t)):
        pos = int(positions[np.flatnonzero(~np.isfinite(t))[0]])
        raise CompetingRisksInputError(
            f"time: position {pos}: expected a finite time, got {_plain(time_value(pos))!r}"
        )
    if np.any(t < 0):
        pos = int(positions[np.flatnonzero(t < 0)[0]])
        raise CompetingRisksInputError(
            f"time: position {pos}: expected a time >= 0, got {_plain(time_value(pos))!r}"
        )
    s = s_all[keep]
    is_event = (s >= 1) & (s == np.round(s)) & np.isfinite(s)
    invalid = ~(is_event | (s == cencode))
    if invalid.any():
        pos = int(positions[np.flatnonzero(invalid)[0]])
        code = _plain(status_value(pos))
        raise CompetingRisksInputError(
            f"status: position {pos}: code {code!r} is neither the censoring code "
            f"{cencode!r} nor an event code (a positive integer)"
        )
    return t, s, positions


def _numeric_vector(values) -> np.ndarray | None:
    """A 1-D int/float numpy array or Series as its array; None for anything else."""
    if isinstance(values, pd.Series):
        if not isinstance(values.dtype, np.dtype):
            return None  # pandas extension types (nullable, categorical) take the general path
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iuf":
        return values
    return None


def _clean_numeric(time, status, cencode, vectors: dict) -> CleanInput | None:
    """``clean_input`` for numeric arrays without covariates, skipping pandas (the hot path).

    Returns None when time or status is not a plain numeric array; the result and the errors
    are otherwise those of the general path (NaN is the only missing value of such arrays).
    """
    t_all, s_all = _numeric_vector(time), _numeric_vector(status)
    if t_all is None or s_all is None:
        return None
    numeric = {k: _numeric_vector(v) for k, v in vectors.items()}
    general = {k: _as_series(v, k) for k, v in vectors.items() if numeric[k] is None}
    lengths = {"time": len(t_all), "status": len(s_all)}
    lengths.update({k: len(general[k] if numeric[k] is None else numeric[k]) for k in vectors})
    if len(set(lengths.values())) != 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise CompetingRisksInputError(f"inputs must all have the same length; got {detail}")
    t_float, s_float = t_all.astype(float, copy=False), s_all.astype(float, copy=False)
    keep = ~(np.isnan(t_float) | np.isnan(s_float))
    for v in numeric.values():
        if v is not None and v.dtype.kind == "f":
            keep &= ~np.isnan(v)
    for v in general.values():
        keep &= v.notna().to_numpy()
    t, s, positions = _checked_time_status(
        t_float, s_float, keep, t_all.__getitem__, s_all.__getitem__, cencode
    )
    columns = {
        k: _kept_vector(general[k], keep) if v is None else v[keep] for k, v in numeric.items()
    }
    if len(t) == 0:
        raise CompetingRisksInputError("no complete rows: every row has a missing value")
    return CleanInput(t, s, columns, positions, int(len(t_all) - len(t)))


@dataclass(frozen=True)
class CodedRows:
    """Complete, valid rows of plain numeric input, coded for the streamed kernels."""

    time: np.ndarray  # float64, contiguous, input order
    cells: np.ndarray  # int32: group index * (causes + 1) + kind (0 censored, c + 1 cause c)
    groups: list  # the group values in order (R's factor levels)
    causes: list  # the cause codes in order


def coded_rows(time, status, group, cencode) -> CodedRows | None:
    """Rows coded by a compiled kernel, when every row is complete and valid and the group
    values and cause codes are integers below ``SMALL_CODE``; None otherwise: ``clean_input``,
    ``factor_levels`` and ``_event_grid.cause_kinds`` then drop, check and explain, and give
    the same coding."""
    t_all, s_all = _numeric_vector(time), _numeric_vector(status)
    if t_all is None or s_all is None or len(t_all) != len(s_all) or len(t_all) == 0:
        return None
    if group is None:
        g_all = np.zeros(len(t_all), dtype=np.int8)
    else:
        g_all = _numeric_vector(group)
        if g_all is None or g_all.dtype.kind not in "iu" or len(g_all) != len(t_all):
            return None
    if not isinstance(cencode, (int, float, np.integer, np.floating)):
        return None
    t = np.ascontiguousarray(t_all, dtype=np.float64)
    cells, groups, causes = _code_rows(t, s_all, g_all, float(cencode))
    if len(groups) == 0:
        return None
    return CodedRows(t, cells, groups.tolist(), causes.tolist())


SMALL_CODE = 256  # group values and cause codes below this are coded by table


@njit(cache=True, nogil=True)
def _code_rows(time, status, group, cencode):
    """Cells, present group values and cause codes, in two reads; no groups where any row is
    missing or invalid, or a group value or code is not in [0, SMALL_CODE)."""
    n, none = len(time), np.empty(0, dtype=np.int64)
    group_index = np.zeros(SMALL_CODE, dtype=np.int64)
    kind_of_code = np.zeros(SMALL_CODE, dtype=np.int64)
    for i in range(n):
        t, code, g = time[i], float(status[i]), group[i]
        if not (0 <= t < np.inf) or not (0 <= g < SMALL_CODE):  # NaN fails too
            return np.empty(0, dtype=np.int32), none, none
        if code != cencode:
            if not (1 <= code < SMALL_CODE and code == np.floor(code)):
                return np.empty(0, dtype=np.int32), none, none
            kind_of_code[int(code)] = 1
        group_index[g] = 1
    groups, causes = np.flatnonzero(group_index), np.flatnonzero(kind_of_code)
    for j in range(len(groups)):
        group_index[groups[j]] = j
    for j in range(len(causes)):
        kind_of_code[causes[j]] = j + 1
    width = len(causes) + 1
    cells = np.empty(n, dtype=np.int32)
    for i in range(n):
        code = float(status[i])
        kind = 0 if code == cencode else kind_of_code[int(code)]
        cells[i] = group_index[group[i]] * width + kind
    return cells, groups, causes


def _plain(value):
    """A numpy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def factor_levels(values: np.ndarray, name: str) -> tuple[list, np.ndarray]:
    """Sorted distinct levels and the 0-based level index of each value (R's factor())."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu" and len(values):
        small = _small_int_levels(values)
        if small is not None:
            return small
    series = pd.Series(values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        levels = [c for c in series.cat.categories if c in present]
    else:
        try:
            codes, uniques = pd.factorize(series, sort=True)
        except TypeError as err:
            raise CompetingRisksInputError(
                f"{name}: values of mixed types cannot be ordered ({err})"
            ) from None
        return list(uniques), codes.astype(np.int64)
    codes = pd.Categorical(series, categories=levels).codes.astype(np.int64)
    return levels, codes


def _small_int_levels(values: np.ndarray) -> tuple[list, np.ndarray] | None:
    """factor() of non-negative integers below 2 n by counting (no sort); None otherwise."""
    low, high = values.min(), values.max()
    if low < 0 or high >= 2 * len(values):
        return None
    present = np.bincount(values, minlength=int(high) + 1) > 0
    code_of = np.cumsum(present) - 1
    return np.flatnonzero(present).tolist(), code_of[values].astype(np.int64)


def as_level_list(levels: Sequence) -> list:
    """Levels as plain Python scalars (numpy scalars print badly in tables)."""
    return [v.item() if isinstance(v, np.generic) else v for v in levels]

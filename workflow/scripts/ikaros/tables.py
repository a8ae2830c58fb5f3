"""The project's tab-separated tables: the checks every reader makes, one deterministic writer.

Every table has a header row; a reader names the columns it needs. A missing file, an empty
file or a missing column raises the caller's error type with the path in the message, so each
module keeps its own exception class while the wording stays the same everywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def read_tsv(
    path: str | Path,
    columns: tuple[str, ...],
    what: str,
    error: type[Exception] = ValueError,
    **read_options,
) -> pd.DataFrame:
    """The table at `path` (pandas.read_csv with `read_options`), checked for `columns`."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: {what} not found")
    try:
        table = pd.read_csv(path, sep="\t", **read_options)
    except pd.errors.EmptyDataError:
        raise error(f"{path}: {what} is empty") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise error(
            f"{path}: missing column(s) {', '.join(missing)} (a {what} needs {', '.join(columns)})"
        )
    return table


def read_text_table(
    path: str | Path,
    what: str,
    columns: tuple[str, ...] = (),
    error: type[Exception] = ValueError,
    comments: bool = False,
) -> pd.DataFrame:
    """A table cell for cell as text ("true" stays a word, an empty cell an empty string),
    checked like `read_tsv`; `comments` drops `#` lines (resource tables have them)."""
    return read_tsv(path, columns, what, error, dtype=str, keep_default_na=False,
                    comment="#" if comments else None)  # fmt: skip


def header_line(
    path: str | Path, what: str, error: type[Exception] = ValueError, empty: str = ""
) -> str:
    """The first line of a text table (a UTF-8 BOM dropped), refusing a missing or empty file;
    `empty` adds to the empty-file message."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: {what} not found")
    with open(path, encoding="utf-8-sig") as handle:
        header = handle.readline().rstrip("\r\n")
    if not header:
        raise error(f"{path}: {what} is empty{empty}")
    return header


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Deterministic TSV: booleans as true/false, 6 significant digits, empty = missing.

    Written to a partial file first, so a failure never leaves a truncated table behind.
    """
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = np.where(out[column], "true", "false")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    partial = Path(f"{path}.partial")
    out.to_csv(partial, sep="\t", index=False, float_format="%.6g", na_rep="")
    partial.replace(path)

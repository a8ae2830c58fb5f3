"""Reading the project's tab-separated tables: one place for the checks every reader makes.

Every table has a header row; a reader names the columns it needs. A missing file, an empty
file or a missing column raises the caller's error type with the path in the message, so each
module keeps its own exception class while the wording stays the same everywhere.
"""

from __future__ import annotations

from pathlib import Path

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

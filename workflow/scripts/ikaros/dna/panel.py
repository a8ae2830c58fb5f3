"""The panel: the genomic bins in which ikaros counts coverage and calls copy number.

A panel table is a TSV, one row per bin, 1-based inclusive coordinates, sorted in karyotype
order and non-overlapping:

    bin_id  chrom  start  end  kind  gene  exon  intron  arm

``kind`` says what a bin is for:

- ``exon``: an exon (or a piece of a long exon) of a panel gene; ``exon`` holds its number.
- ``intron``: an intronic tile of a panel gene (breakpoint resolution); ``intron`` holds its number.
- ``flank``: a tile near a panel gene, to measure how far a focal loss extends.
- ``backbone``: a low-resolution tile along chromosome 7 or 9p, to tell focal from arm loss.
- ``control``: elsewhere (other autosomes, chrX and chrY outside PAR1) for normalisation and sex.

``chrom`` always uses the ``chr`` prefix; BAMs named ``7`` are mapped at read time.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ikaros.genome import PRIMARY_CHROMOSOMES

PANEL_COLUMNS = ("bin_id", "chrom", "start", "end", "kind", "gene", "exon", "intron", "arm")
BIN_KINDS = ("exon", "intron", "flank", "backbone", "control")

_CHROM_ORDER = {name: i for i, name in enumerate(PRIMARY_CHROMOSOMES)}


class PanelError(ValueError):
    """A panel table breaks the format above."""


def read_panel(path: str | Path) -> pd.DataFrame:
    """Read and validate a panel table; `exon` and `intron` become nullable integers."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    except FileNotFoundError:
        raise PanelError(f"{path}: panel table not found") from None
    return validate_panel(table, source=str(path))


def validate_panel(table: pd.DataFrame, source: str = "panel") -> pd.DataFrame:
    """Check columns, coordinates, kinds, order and overlap; return a typed copy."""
    missing = [c for c in PANEL_COLUMNS if c not in table.columns]
    if missing:
        raise PanelError(f"{source}: missing column(s) {', '.join(missing)}")
    panel = table.loc[:, list(PANEL_COLUMNS)].copy()
    for column in ("start", "end"):
        numeric = pd.to_numeric(panel[column], errors="coerce")
        bad = numeric.isna() | (numeric < 1)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise PanelError(
                f"{source}: row {row + 2}, column {column}: expected a positive integer, "
                f"got {table[column].iloc[row]!r}"
            )
        panel[column] = numeric.astype("int64")
    for column in ("exon", "intron"):
        panel[column] = pd.to_numeric(panel[column].replace("", None), errors="raise").astype(
            "Int64"
        )
    for column in ("gene", "arm"):
        panel[column] = panel[column].fillna("").astype(str)

    problems = []
    unknown_chrom = ~panel["chrom"].isin(_CHROM_ORDER)
    if unknown_chrom.any():
        problems.append(
            ("chrom", unknown_chrom, "a primary chromosome named with the chr prefix (chr1..chrY)")
        )
    bad_kind = ~panel["kind"].isin(BIN_KINDS)
    if bad_kind.any():
        problems.append(("kind", bad_kind, "one of " + ", ".join(BIN_KINDS)))
    inverted = panel["end"] < panel["start"]
    if inverted.any():
        problems.append(("end", inverted, "end >= start"))
    duplicated = panel["bin_id"].duplicated()
    if duplicated.any():
        problems.append(("bin_id", duplicated, "a unique bin_id"))
    for column, mask, expectation in problems:
        row = int(mask.to_numpy().nonzero()[0][0])
        raise PanelError(
            f"{source}: row {row + 2} (bin {panel['bin_id'].iloc[row]}), column {column}: "
            f"expected {expectation}, got {table[column].iloc[row]!r}"
        )

    order = panel["chrom"].map(_CHROM_ORDER)
    same_chrom = order.to_numpy()[1:] == order.to_numpy()[:-1]
    out_of_order = (order.to_numpy()[1:] < order.to_numpy()[:-1]) | (
        same_chrom & (panel["start"].to_numpy()[1:] <= panel["end"].to_numpy()[:-1])
    )
    if out_of_order.any():
        row = int(out_of_order.nonzero()[0][0]) + 1
        raise PanelError(
            f"{source}: row {row + 2} (bin {panel['bin_id'].iloc[row]}): bins must be sorted "
            "by chromosome (chr1..chr22, chrX, chrY) and start, without overlap"
        )
    return panel.reset_index(drop=True)


def panel_path(resources_dir: str | Path, build: str) -> Path:
    """Where the shipped panel for `build` lives."""
    return Path(resources_dir) / f"panel_{build}.tsv"

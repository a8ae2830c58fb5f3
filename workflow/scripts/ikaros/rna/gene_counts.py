"""Per-sample gene count tables as the usual counters write them, keyed by project gene symbol.

Formats, told apart by their shape:

- HTSeq-count: two tab-separated columns, gene and count, no header; summary rows start with
  `__` (`__no_feature`, `__ambiguous`, ...) and are dropped.
- featureCounts: a `#` comment line, then `Geneid Chr Start End Strand Length <bam>`; the count
  is the last column (one sample per table).
- STAR `ReadsPerGene.out.tab`: four columns, no header, first rows `N_unmapped`,
  `N_multimapping`, `N_noFeature`, `N_ambiguous`; counts unstranded (column 2), read 1 sense
  (3) and read 2 sense (4). The column is chosen from the data: a stranded library puts
  most reads in column 3 or 4 (the larger sum is more than `STRANDED_RATIO` times the smaller),
  an unstranded one splits them evenly, which makes column 2 the right one.

Gene IDs are Ensembl gene IDs (a version suffix is dropped; GENCODE `_PAR_Y` rows are the chrY
copies of PAR genes and dropped) or HGNC symbols, translated to the symbols of
resources/genes_{build}.tsv (previous symbols as for fusions). Several IDs of one symbol are
summed. The table is refused, naming the file and what was found, when it is empty, repeats a
gene, has a negative or non-integer count, holds transcript IDs, or when fewer than
`min_recognised` of the project's protein-coding genes are found in it (another species,
another annotation, a transcript-level or filtered table).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.rna.fusion_imports import PREVIOUS_SYMBOLS
from ikaros.rna.gene_table import strip_version

STRANDED_RATIO = 3.0
STAR_SUMMARY = ("N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous")
MIN_RECOGNISED = 5000


class GeneCountError(ValueError):
    """A gene count table that breaks its format or does not describe human genes."""


def detect_format(path: Path, lines: list[str]) -> str:
    first = lines[0].split("\t")
    if lines[0].startswith("#") or first[:2] == ["Geneid", "Chr"]:
        return "featureCounts"
    if first[0] in STAR_SUMMARY and len(first) == 4:
        return "STAR"
    if len(first) == 2:
        return "HTSeq"
    raise GeneCountError(
        f"{path}: not a gene count table of HTSeq-count (2 columns), featureCounts (Geneid "
        f"Chr Start End Strand Length ...) or STAR ReadsPerGene.out.tab (4 columns); its first "
        f"line is {lines[0][:100]!r}"
    )


def _raw_counts(path: Path) -> tuple[str, pd.Series]:
    """(format, gene ID -> count text) of the table, summary rows dropped."""
    if not path.is_file():
        raise GeneCountError(f"{path}: gene count table not found")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig") as handle:
        text = handle.read().replace("\r\n", "\n")
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise GeneCountError(f"{path}: gene count table is empty")
    kind = detect_format(path, lines)
    if kind == "featureCounts":
        body = [line for line in lines if not line.startswith("#")]
        header = body[0].split("\t")
        rows = [line.split("\t") for line in body[1:]]
        return kind, pd.Series([r[-1] for r in rows], index=[r[0] for r in rows], name=header[-1])
    rows = [line.split("\t") for line in lines]
    width = 4 if kind == "STAR" else 2
    bad = next((i for i, r in enumerate(rows) if len(r) != width), None)
    if bad is not None:
        raise GeneCountError(
            f"{path}: line {bad + 1}: expected {width} tab-separated columns ({kind}), "
            f"found {len(rows[bad])}"
        )
    if kind == "HTSeq":
        rows = [r for r in rows if not r[0].startswith("__")]
        return kind, pd.Series([r[1] for r in rows], index=[r[0] for r in rows])
    rows = [r for r in rows if r[0] not in STAR_SUMMARY]
    columns = np.column_stack([_integers(path, [r[k] for r in rows], k) for k in (1, 2, 3)])
    sense, antisense = columns[:, 1].sum(), columns[:, 2].sum()
    stranded = max(sense, antisense) > STRANDED_RATIO * max(1, min(sense, antisense))
    column = (1 if sense >= antisense else 2) if stranded else 0
    return kind, pd.Series(columns[:, column], index=[r[0] for r in rows])


def _integers(path: Path, values, column: int) -> np.ndarray:
    """The counts of one column as integers; the first that is not a non-negative integer
    is named (data row, column, value)."""
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(numbers) | (numbers < 0) | (numbers != np.floor(numbers))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise GeneCountError(
            f"{path}: data row {row + 1}, count column {column + 1}: expected a non-negative "
            f"integer count, got {values[row]!r}"
        )
    return numbers.astype(np.int64)


def read_gene_counts(
    path: str | Path,
    genes: pd.DataFrame,
    symbols: dict[str, str],
    min_recognised: int = MIN_RECOGNISED,
) -> pd.Series:
    """Counts by project gene symbol (every protein-coding gene of `genes`, 0 where absent)."""
    path = Path(path)
    kind, raw = _raw_counts(path)
    if raw.empty:
        raise GeneCountError(f"{path}: the {kind} table has no gene rows")
    ids = pd.Index(raw.index.astype(str).str.strip())
    if ids.str.startswith("ENST").mean() > 0.5:
        raise GeneCountError(
            f"{path}: the IDs are transcript IDs ({ids[0]} ...): give a gene-level count table"
        )
    counts = _integers(path, list(raw.to_numpy()), 1)
    keep = ~ids.str.endswith("_PAR_Y")
    ids, counts = ids[keep], counts[keep]
    ensembl = ids.str.startswith("ENSG")
    stripped = pd.Index([strip_version(i) if e else i for i, e in zip(ids, ensembl, strict=True)])
    repeated = stripped[stripped.duplicated()]
    if len(repeated):
        raise GeneCountError(
            f"{path}: gene {repeated[0]} is listed more than once ({len(repeated)} repeated IDs)"
        )
    named = [
        symbols.get(i, "") if e else PREVIOUS_SYMBOLS.get(i, i)
        for i, e in zip(stripped, ensembl, strict=True)
    ]
    coding = set(genes.loc[genes["type"] == "protein_coding", "gene"])
    table = pd.DataFrame({"gene": named, "count": counts})
    table = table[table["gene"].isin(coding)]
    recognised = table["gene"].nunique()
    if recognised < min_recognised:
        raise GeneCountError(
            f"{path}: only {recognised} of the {len(coding)} human protein-coding genes of the "
            f"project's annotation are in this {kind} table (first IDs: "
            f"{', '.join(ids[:3])}); expected at least {min_recognised}: is it another "
            "species, another annotation, a transcript-level or a filtered table?"
        )
    summed = table.groupby("gene")["count"].sum()
    return summed.reindex(sorted(coding), fill_value=0).astype(np.int64)

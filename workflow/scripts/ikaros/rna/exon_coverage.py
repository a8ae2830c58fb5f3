"""Per-exon RNA coverage of the panel genes, normalised within the gene.

For each exon of a gene's main transcript: the fragments with an aligned block in it, the aligned
bases inside it, its mean depth (aligned bases / exon length) and its depth relative to the gene
(mean depth / the gene's exon-wide mean depth, i.e. all aligned exon bases / all exon bases).
Relative depths near 1 are expected along a uniformly covered transcript; an exon lost from a
fraction f of the transcripts drops towards 1 - f relative to a reference profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ikaros.rna.models import GeneModel
from ikaros.rna.reads import GeneReads

EXON_COVERAGE_COLUMNS = (
    "gene",
    "chrom",
    "exon",
    "start",
    "end",
    "length",
    "fragments",
    "aligned_bases",
    "mean_depth",
    "relative_depth",
)


def overlap_bases(reads: GeneReads, start: int, end: int) -> np.ndarray:
    """Aligned bases of every block inside [start, end] (1-based inclusive)."""
    lo = np.maximum(reads.block_start, start - 1)
    hi = np.minimum(reads.block_end, end)
    return np.clip(hi - lo, 0, None)


def exon_coverage(model: GeneModel, reads: GeneReads) -> pd.DataFrame:
    """One row per main-transcript exon, in transcription order; columns EXON_COVERAGE_COLUMNS."""
    rows = []
    for number, start, end in model.exons:
        bases = overlap_bases(reads, start, end)
        fragments = np.unique(reads.block_fragment[bases > 0]).size
        length = end - start + 1
        rows.append((model.gene, model.chrom, number, start, end, length, fragments, int(bases.sum())))
    table = pd.DataFrame(rows, columns=list(EXON_COVERAGE_COLUMNS[:8]))
    table["mean_depth"] = table["aligned_bases"] / table["length"]
    gene_depth = table["aligned_bases"].sum() / table["length"].sum()
    table["relative_depth"] = table["mean_depth"] / gene_depth if gene_depth > 0 else np.nan
    return table


def exon_coverage_tables(models: dict[str, GeneModel], scans: dict[str, GeneReads]) -> pd.DataFrame:
    parts = [exon_coverage(models[g], scans[g]) for g in models if g in scans]
    return pd.concat(parts, ignore_index=True)


def reference_profile(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Median relative depth per (gene, exon) over a set of samples (e.g. the cohort)."""
    stacked = pd.concat(tables, ignore_index=True)
    return (
        stacked.groupby(["gene", "exon"], sort=False)["relative_depth"]
        .median()
        .rename("reference_depth")
        .reset_index()
    )


def write_exon_coverage(table: pd.DataFrame, path) -> None:
    out = table.copy()
    for column in ("mean_depth", "relative_depth"):
        out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:.6f}")
    out.to_csv(path, sep="\t", index=False)

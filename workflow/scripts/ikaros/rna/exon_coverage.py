"""Per-exon RNA coverage of the panel genes, normalised within the gene.

For each exon of a gene's main transcript: the fragments with an aligned block in it, the aligned
bases inside it, its mean depth (aligned bases / exon length) and its depth relative to the gene
(mean depth / the gene's exon-wide mean depth, i.e. all aligned exon bases / all exon bases).
Relative depths near 1 are expected along a uniformly covered transcript; an exon lost from a
fraction f of the transcripts drops towards 1 - f relative to a reference profile.

At the 3' end of each exon (in transcription order; not the last exon) the table also counts how
transcripts leave it: `spliced_out_fragments` splice away from its last base (any intron starting
there), `readthrough_fragments` read on into the intron (an aligned block with at least
`min_anchor` bases on both sides of the boundary). A transcript that ends in the intron because
its downstream exons are deleted (IKZF1 delta 2-8, delta 4-8) reads through; normal transcripts
only do so by intron retention or as pre-mRNA. `readthrough_fraction` = readthrough /
(readthrough + spliced out).
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
    "spliced_out_fragments",
    "readthrough_fragments",
    "readthrough_fraction",
)
MIN_ANCHOR = 8


def overlap_bases(reads: GeneReads, start: int, end: int) -> np.ndarray:
    """Aligned bases of every block inside [start, end] (1-based inclusive)."""
    lo = np.maximum(reads.block_start, start - 1)
    hi = np.minimum(reads.block_end, end)
    return np.clip(hi - lo, 0, None)


def _leaving(model: GeneModel, reads: GeneReads, start: int, end: int, anchor: int):
    """(spliced out, read through) fragments at the 3' boundary of exon [start, end]."""
    if model.strand == "+":
        spliced = reads.intron_fragment[reads.intron_start == end + 1]
        # bases end and end + 1 (1-based) are 0-based end - 1 and end
        crossing = (reads.block_start <= end - anchor) & (reads.block_end >= end + anchor)
    else:
        spliced = reads.intron_fragment[reads.intron_end == start - 1]
        crossing = (reads.block_start <= start - 1 - anchor) & (
            reads.block_end >= start - 1 + anchor
        )
    return np.unique(spliced).size, np.unique(reads.block_fragment[crossing]).size


def exon_coverage(model: GeneModel, reads: GeneReads, min_anchor: int = MIN_ANCHOR) -> pd.DataFrame:
    """One row per main-transcript exon, in transcription order; columns EXON_COVERAGE_COLUMNS."""
    rows = []
    last = len(model.exons)
    for number, start, end in model.exons:
        bases = overlap_bases(reads, start, end)
        fragments = np.unique(reads.block_fragment[bases > 0]).size
        length = end - start + 1
        spliced, through = (None, None)
        if number < last:
            spliced, through = _leaving(model, reads, start, end, min_anchor)
        rows.append(
            (model.gene, model.chrom, number, start, end, length, fragments, int(bases.sum()))
            + (spliced, through)
        )
    columns = list(EXON_COVERAGE_COLUMNS[:8]) + ["spliced_out_fragments", "readthrough_fragments"]
    table = pd.DataFrame(rows, columns=columns)
    table["mean_depth"] = table["aligned_bases"] / table["length"]
    gene_depth = table["aligned_bases"].sum() / table["length"].sum()
    table["relative_depth"] = table["mean_depth"] / gene_depth if gene_depth > 0 else np.nan
    for column in ("spliced_out_fragments", "readthrough_fragments"):
        table[column] = table[column].astype("Int64")
    leaving = table["spliced_out_fragments"] + table["readthrough_fragments"]
    table["readthrough_fraction"] = (table["readthrough_fragments"] / leaving).astype("Float64")
    return table[list(EXON_COVERAGE_COLUMNS)]


def exon_coverage_tables(models: dict[str, GeneModel], scans: dict[str, GeneReads]) -> pd.DataFrame:
    parts = [exon_coverage(models[g], scans[g]) for g in models if g in scans]
    return pd.concat(parts, ignore_index=True)


def reference_profile(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Median relative depth and background readthrough fraction per (gene, exon) of samples.

    Built from the cohort (most patients carry no deletion of any given exon), it is the baseline
    of 3' coverage loss and of intron retention at each exon.
    """
    stacked = pd.concat(tables, ignore_index=True)
    stacked["readthrough_fraction"] = stacked["readthrough_fraction"].astype(float)
    grouped = stacked.groupby(["gene", "exon"], sort=False)
    background = {
        key: _background_readthrough(rows) for key, rows in grouped[list(stacked.columns)]
    }
    profile = grouped["relative_depth"].median().rename("reference_depth").reset_index()
    profile["reference_readthrough"] = [
        background[key] for key in zip(profile["gene"], profile["exon"], strict=True)
    ]
    return profile


def _background_readthrough(rows: pd.DataFrame) -> float:
    """Pooled readthrough fraction of the samples at or below the 75th percentile.

    Pooling counts is stable where single samples have a handful of fragments (their median is
    often 0); leaving out the top quarter keeps 3' deletions of some patients out of the
    baseline.
    """
    fractions = rows["readthrough_fraction"]
    if fractions.notna().sum() == 0:
        return float("nan")
    kept = rows[fractions <= fractions.quantile(0.75)]
    through = kept["readthrough_fragments"].astype(float).sum()
    leaving = through + kept["spliced_out_fragments"].astype(float).sum()
    return float(through / leaving) if leaving > 0 else float("nan")


def write_exon_coverage(table: pd.DataFrame, path) -> None:
    out = table.copy()
    for column in ("mean_depth", "relative_depth", "readthrough_fraction"):
        out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:.6f}")
    out.to_csv(path, sep="\t", index=False)

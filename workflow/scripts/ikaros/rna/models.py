"""Transcript models of the RNA genes and the marker-gene table.

A transcript-model table (resources/rna_transcript_models_{build}.tsv) has one row per exon:

    gene  transcript  chrom  strand  exon  start  end     (1-based inclusive, chr-prefixed)

Exons are numbered in transcription order within each transcript (minus-strand genes: exon 1 has
the highest coordinates). The first transcript listed for a gene is its main transcript: its exon
numbers are the ones junctions and deletion classes are named by (IKZF1: ENST00000331340, exons
1-8). Further transcripts of a gene (CDKN2A p14ARF beside p16INK4a) add canonical junctions.

The marker-gene table (resources/marker_genes.tsv) lists every RNA gene with its purpose:

    gene  purpose  note  builds  source
    purpose: panel | control | subtype_marker | fusion_partner

Optional columns `cds_start cds_end` give each transcript's coding span (first base of the start
codon to last base of the stop codon, genomic, inclusive; empty for a non-coding transcript): the
exon phases that tell whether a fusion keeps the reading frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.genome import PRIMARY_CHROMOSOMES
from ikaros.tables import read_tsv

MODEL_COLUMNS = ("gene", "transcript", "chrom", "strand", "exon", "start", "end")
# optional: the transcript's coding span (start codon to stop codon), repeated on each exon row
CODING_COLUMNS = ("cds_start", "cds_end")
MARKER_COLUMNS = ("gene", "purpose", "note", "builds", "source")
PURPOSES = ("panel", "control", "subtype_marker", "fusion_partner")


class TranscriptModelError(ValueError):
    """A transcript-model or marker-gene table breaks its format."""


def _read_tsv(path: str | Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    return read_tsv(
        path, columns, what, TranscriptModelError, dtype=str, keep_default_na=False, comment="#"
    )


def read_transcript_models(path: str | Path) -> pd.DataFrame:
    """Read and validate a transcript-model table."""
    return validate_transcript_models(_read_tsv(path, MODEL_COLUMNS, "transcript models"), path)


def validate_transcript_models(table: pd.DataFrame, source: str | Path = "models") -> pd.DataFrame:
    coding = [c for c in CODING_COLUMNS if c in table.columns]
    models = table.loc[:, list(MODEL_COLUMNS) + coding].copy()
    for column in coding:
        values = models[column].replace("", np.nan)
        numeric = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & (numeric.isna() | (numeric < 1))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise TranscriptModelError(
                f"{source}: row {row + 2}, column {column}: expected a positive integer or "
                f"empty, got {table[column].iloc[row]!r}"
            )
        models[column] = numeric.astype("Int64")
    for column in ("exon", "start", "end"):
        numeric = pd.to_numeric(models[column], errors="coerce")
        bad = numeric.isna() | (numeric < 1)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise TranscriptModelError(
                f"{source}: row {row + 2}, column {column}: expected a positive integer, "
                f"got {table[column].iloc[row]!r}"
            )
        models[column] = numeric.astype("int64")
    checks = [
        ("chrom", ~models["chrom"].isin(PRIMARY_CHROMOSOMES), "a chr-prefixed primary chromosome"),
        ("strand", ~models["strand"].isin(["+", "-"]), "+ or -"),
        ("end", models["end"] < models["start"], "end >= start"),
        ("gene", models["gene"].eq(""), "a gene name"),
        ("transcript", models["transcript"].eq(""), "a transcript label"),
    ]
    for column, mask, expectation in checks:
        if mask.any():
            row = int(np.flatnonzero(mask.to_numpy())[0])
            raise TranscriptModelError(
                f"{source}: row {row + 2}, column {column}: expected {expectation}, "
                f"got {table[column].iloc[row]!r}"
            )
    for transcript, rows in models.groupby("transcript", sort=False):
        if rows["chrom"].nunique() > 1 or rows["strand"].nunique() > 1:
            raise TranscriptModelError(
                f"{source}: transcript {transcript} spans several chromosomes or strands"
            )
        if list(rows["exon"]) != list(range(1, len(rows) + 1)):
            raise TranscriptModelError(
                f"{source}: transcript {transcript}: exons must be numbered 1..n in table order"
            )
        starts = rows["start"].to_numpy()
        ascending = rows["strand"].iloc[0] == "+"
        order = starts if ascending else starts[::-1]
        ends = rows["end"].to_numpy() if ascending else rows["end"].to_numpy()[::-1]
        if len(rows) > 1 and not (order[1:] > ends[:-1]).all():
            raise TranscriptModelError(
                f"{source}: transcript {transcript}: exons overlap or are not in transcription "
                "order (minus strand: exon 1 has the highest coordinates)"
            )
    return models.reset_index(drop=True)


def read_marker_genes(path: str | Path) -> pd.DataFrame:
    """Read the marker-gene table; `purpose` must be panel, control or subtype_marker."""
    table = _read_tsv(path, MARKER_COLUMNS, "marker-gene table")
    bad = ~table["purpose"].isin(PURPOSES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TranscriptModelError(
            f"{path}: row {row + 2} (gene {table['gene'].iloc[row]}), column purpose: expected "
            f"one of {', '.join(PURPOSES)}, got {table['purpose'].iloc[row]!r}"
        )
    return table.loc[:, list(MARKER_COLUMNS)].reset_index(drop=True)


def markers_of_build(markers: pd.DataFrame, build: str) -> pd.DataFrame:
    """The marker-table rows whose `builds` list `build` (a gene renamed or absent in one
    assembly's annotation, such as NOL4L in GRCh37, is left out there)."""
    listed = markers["builds"].str.split(",").map(lambda builds: build in builds)
    return markers[listed].reset_index(drop=True)


@dataclass(frozen=True)
class GeneModel:
    """One gene: its main transcript's numbered exons and every annotated junction.

    Coordinates are 1-based inclusive. A junction is named by its intron (first and last intronic
    base), as STAR's SJ.out.tab does.
    """

    gene: str
    chrom: str
    strand: str
    exons: tuple[tuple[int, int, int], ...]  # (number, start, end) of the main transcript
    canonical: frozenset[tuple[int, int]]  # introns of every transcript of the gene
    union_exons: tuple[tuple[int, int], ...]  # merged exons of every transcript, by position
    cds: tuple[int, int] | None = None  # the main transcript's coding span, genomic

    def coding_offset(self, position: int) -> int | None:
        """Coding bases of the main transcript 5' of `position` (an exonic base): its frame is
        this modulo 3. None without a coding span or outside it."""
        if self.cds is None or not self.cds[0] <= position <= self.cds[1]:
            return None
        plus = self.strand == "+"
        bases = 0
        for _, start, end in self.exons:  # transcription order
            lo, hi = max(start, self.cds[0]), min(end, self.cds[1])
            if lo > hi:
                continue
            if lo <= position <= hi:
                return bases + (position - lo if plus else hi - position)
            bases += hi - lo + 1
        return None

    @property
    def start(self) -> int:
        return min(s for s, _ in self.union_exons)

    @property
    def end(self) -> int:
        return max(e for _, e in self.union_exons)

    @property
    def exonic_length(self) -> int:
        return sum(e - s + 1 for s, e in self.union_exons)

    def exon_at_intron_start(self, intron_start: int) -> int | None:
        """The main-transcript exon whose last base precedes this intron start (by position)."""
        for number, _, end in self.exons:
            if end == intron_start - 1:
                return number
        return None

    def exon_at_intron_end(self, intron_end: int) -> int | None:
        for number, start, _ in self.exons:
            if start == intron_end + 1:
                return number
        return None

    def junction_exons(self, intron_start: int, intron_end: int) -> tuple[int | None, int | None]:
        """(from_exon, to_exon) in transcription order; None where an end is not a main exon."""
        left = self.exon_at_intron_start(intron_start)
        right = self.exon_at_intron_end(intron_end)
        return (left, right) if self.strand == "+" else (right, left)

    def exon_junction(self, from_exon: int, to_exon: int) -> tuple[int, int]:
        """The intron (start, end) joining main exons `from_exon` -> `to_exon`."""
        spans = {n: (s, e) for n, s, e in self.exons}
        if self.strand == "+":
            return spans[from_exon][1] + 1, spans[to_exon][0] - 1
        return spans[to_exon][1] + 1, spans[from_exon][0] - 1


def _merge(intervals: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def transcript_introns(rows: pd.DataFrame) -> list[tuple[int, int]]:
    spans = sorted(zip(rows["start"], rows["end"], strict=True))
    return [(int(a[1]) + 1, int(b[0]) - 1) for a, b in zip(spans, spans[1:], strict=False)]


def gene_models(models: pd.DataFrame) -> dict[str, GeneModel]:
    """One `GeneModel` per gene, in table order."""
    genes = {}
    for gene, rows in models.groupby("gene", sort=False):
        main_label = rows["transcript"].iloc[0]
        main = rows[rows["transcript"] == main_label]
        canonical = set()
        for _, transcript in rows.groupby("transcript", sort=False):
            canonical.update(transcript_introns(transcript))
        cds = None
        if "cds_start" in main and main["cds_start"].notna().iloc[0]:
            cds = (int(main["cds_start"].iloc[0]), int(main["cds_end"].iloc[0]))
        genes[gene] = GeneModel(
            gene=str(gene),
            chrom=str(main["chrom"].iloc[0]),
            strand=str(main["strand"].iloc[0]),
            exons=tuple(
                (int(n), int(s), int(e))
                for n, s, e in zip(main["exon"], main["start"], main["end"], strict=True)
            ),
            canonical=frozenset(canonical),
            union_exons=_merge(list(zip(rows["start"], rows["end"], strict=True))),
            cds=cds,
        )
    return genes

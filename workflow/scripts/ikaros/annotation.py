"""Gene and exon models of the panel genes, read from a GENCODE/Ensembl GTF.

A gene model is one row per exon, exons numbered in transcription order (exon 1 is the 5'-most
exon: the lowest coordinate on the plus strand, the highest on the minus strand):

    gene  chrom  strand  exon  start  end        (1-based inclusive, chrom chr-prefixed)

Each gene of the panel gene list says how its exons are modelled (`exon_model`):

- ``canonical``: the exons of one transcript: the one named in the `transcript` column, else the
  transcript tagged ``Ensembl_canonical``, else ``MANE_Select``, else the longest spliced
  transcript (ties: more exons, then lower start, then transcript ID).
- ``collapsed``: the union of the exons of all the gene's transcripts, overlapping exons merged;
  used where one canonical transcript would miss exons that matter for copy number (CDKN2A: the
  p16INK4a exon 1-alpha and the p14ARF exon 1-beta).

Pseudoautosomal genes are annotated on chrX and chrY; the chrX copy is kept.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ikaros.genome import PRIMARY_CHROMOSOMES, canonical_name
from ikaros.tables import read_tsv

MODEL_COLUMNS = ("gene", "chrom", "strand", "exon", "start", "end")
EXON_COLUMNS = ("gene", "transcript_id", "chrom", "strand", "start", "end", "tags")
PANEL_GENE_COLUMNS = ("gene", "role", "exon_model", "transcript", "flank", "intron_tiles")
# Optional: the tile size of a tiled gene's introns (empty = the panel design's default).
OPTIONAL_PANEL_GENE_COLUMNS = ("tile_bp",)
EXON_MODELS = ("canonical", "collapsed")
# Tags that mark the canonical transcript in GENCODE/Ensembl GTFs, most trusted first.
CANONICAL_TAGS = ("Ensembl_canonical", "MANE_Select")

_ATTRIBUTE = re.compile(r'(\S+) "([^"]*)"')


class AnnotationError(ValueError):
    """A GTF or panel gene list cannot give the requested gene models."""


def read_panel_genes(path: str | Path) -> pd.DataFrame:
    """Read and check the panel gene list (resources/panel_genes.tsv)."""
    table = read_tsv(
        path, PANEL_GENE_COLUMNS, "panel gene list", AnnotationError,
        dtype=str, keep_default_na=False, comment="#",
    )  # fmt: skip
    for column in OPTIONAL_PANEL_GENE_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    for row, record in enumerate(table.itertuples(index=False), start=2):
        if record.tile_bp and not (record.tile_bp.isdigit() and int(record.tile_bp) >= 100):
            raise AnnotationError(
                f"{path}: row {row} (gene {record.gene}), column tile_bp: expected a tile size "
                f"of at least 100 bp or empty, got {record.tile_bp!r}"
            )
        if not record.gene:
            raise AnnotationError(f"{path}: row {row}, column gene: expected a gene name")
        if record.exon_model not in EXON_MODELS:
            raise AnnotationError(
                f"{path}: row {row} (gene {record.gene}), column exon_model: expected one of "
                f"{', '.join(EXON_MODELS)}, got {record.exon_model!r}"
            )
        if record.flank not in ("", "PAR1") and not record.flank.isdigit():
            raise AnnotationError(
                f"{path}: row {row} (gene {record.gene}), column flank: expected a distance in "
                f"bp, 'PAR1' or empty, got {record.flank!r}"
            )
        if record.intron_tiles not in ("yes", "contiguous", "no", ""):
            raise AnnotationError(
                f"{path}: row {row} (gene {record.gene}), column intron_tiles: expected yes, "
                f"contiguous, no or empty, got {record.intron_tiles!r}"
            )
    duplicated = table["gene"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0])
        raise AnnotationError(
            f"{path}: row {row + 2}, column gene: gene {table['gene'].iloc[row]} listed twice"
        )
    columns = PANEL_GENE_COLUMNS + OPTIONAL_PANEL_GENE_COLUMNS
    return table.loc[:, list(columns)].reset_index(drop=True)


def _open_text(path: Path):
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt") if gzipped else open(path)


def read_gtf_exons(path: str | Path, genes: Iterable[str]) -> pd.DataFrame:
    """Exon records of `genes` from a GTF (plain or gzipped), one row per transcript exon.

    Columns: gene, transcript_id, chrom (chr-prefixed), strand, start, end (1-based), tags
    (the transcript's `tag` attributes, comma-separated). Records off the primary chromosomes
    are skipped.
    """
    path = Path(path)
    wanted = set(genes)
    needles = tuple(f'gene_name "{g}";' for g in wanted)
    rows = []
    try:
        handle = _open_text(path)
    except FileNotFoundError:
        raise AnnotationError(f"{path}: GTF not found") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            # Cheap text tests first: a GENCODE GTF has millions of lines, few of them wanted.
            if "\texon\t" not in line or not any(n in line for n in needles):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 9:
                raise AnnotationError(
                    f"{path}: line {number}: expected 9 tab-separated GTF columns, "
                    f"got {len(fields)}"
                )
            if fields[2] != "exon":
                continue
            attributes: dict[str, list[str]] = {}
            for key, value in _ATTRIBUTE.findall(fields[8]):
                attributes.setdefault(key, []).append(value)
            gene = attributes.get("gene_name", [""])[0]
            if gene not in wanted:
                continue
            chrom = canonical_name(fields[0])
            if chrom not in PRIMARY_CHROMOSOMES:
                continue
            try:
                start, end = int(fields[3]), int(fields[4])
            except ValueError:
                raise AnnotationError(
                    f"{path}: line {number}: expected integer start/end, "
                    f"got {fields[3]!r}/{fields[4]!r}"
                ) from None
            transcript = attributes.get("transcript_id", [""])[0]
            if not transcript:
                raise AnnotationError(f"{path}: line {number}: exon without a transcript_id")
            rows.append(
                (
                    gene,
                    transcript,
                    chrom,
                    fields[6],
                    start,
                    end,
                    ",".join(attributes.get("tag", [])),
                )
            )
    if not rows:
        raise AnnotationError(
            f"{path}: no exon records for any of {', '.join(sorted(wanted))}; expected a "
            "GENCODE/Ensembl GTF with gene_name attributes"
        )
    return pd.DataFrame(rows, columns=list(EXON_COLUMNS))


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of closed intervals, overlapping or touching ones merged, sorted by start."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def number_exons(intervals: Iterable[tuple[int, int]], strand: str) -> list[tuple[int, int, int]]:
    """(exon number, start, end) in transcription order: minus-strand genes count down."""
    ordered = sorted(intervals, reverse=(strand == "-"))
    return [(number, start, end) for number, (start, end) in enumerate(ordered, start=1)]


def _strip_version(transcript_id: str) -> str:
    return transcript_id.split(".")[0]


def choose_transcript(exons: pd.DataFrame, preferred: str = "") -> str:
    """The canonical transcript ID among one gene's exon rows (see the module docstring)."""
    gene = exons["gene"].iloc[0]
    ids = exons["transcript_id"].unique()
    if preferred:
        hits = [t for t in ids if _strip_version(t) == _strip_version(preferred)]
        if not hits:
            raise AnnotationError(
                f"gene {gene}: transcript {preferred} is not in the annotation; transcripts "
                f"found: {', '.join(sorted(ids)[:8])}"
            )
        return hits[0]
    tags = exons.groupby("transcript_id", sort=True)["tags"].first()
    for tag in CANONICAL_TAGS:
        tagged = sorted(t for t, value in tags.items() if tag in value.split(","))
        if tagged:
            return tagged[0]
    lengths = exons.assign(length=exons["end"] - exons["start"] + 1)
    summary = lengths.groupby("transcript_id", sort=True).agg(
        spliced=("length", "sum"), count=("length", "size"), first=("start", "min")
    )
    summary = summary.reset_index().sort_values(
        ["spliced", "count", "first", "transcript_id"],
        ascending=[False, False, True, True],
        kind="mergesort",
    )
    return str(summary["transcript_id"].iloc[0])


def _primary_copy(exons: pd.DataFrame) -> pd.DataFrame:
    """Keep one chromosome per gene: chrX for pseudoautosomal genes, else insist on one."""
    chroms = set(exons["chrom"])
    if chroms == {"chrX", "chrY"}:
        return exons[exons["chrom"] == "chrX"]
    if len(chroms) > 1:
        raise AnnotationError(
            f"gene {exons['gene'].iloc[0]}: annotated on several chromosomes "
            f"({', '.join(sorted(chroms))}); expected one"
        )
    return exons


def gene_model(exons: pd.DataFrame, exon_model: str, transcript: str = "") -> pd.DataFrame:
    """One gene's exon model from its exon rows (read_gtf_exons format)."""
    exons = _primary_copy(exons)
    gene = exons["gene"].iloc[0]
    strands = set(exons["strand"])
    if len(strands) != 1 or strands - {"+", "-"}:
        raise AnnotationError(f"gene {gene}: expected one strand (+ or -), got {sorted(strands)}")
    strand = strands.pop()
    if exon_model == "canonical":
        chosen = choose_transcript(exons, transcript)
        picked = exons[exons["transcript_id"] == chosen]
        intervals = list(zip(picked["start"], picked["end"], strict=True))
        if merge_intervals(intervals) != sorted(intervals):
            raise AnnotationError(f"gene {gene}: transcript {chosen} has overlapping exons")
    elif exon_model == "collapsed":
        intervals = merge_intervals(zip(exons["start"], exons["end"], strict=True))
    else:
        raise AnnotationError(f"gene {gene}: unknown exon_model {exon_model!r}")
    chrom = exons["chrom"].iloc[0]
    rows = [(gene, chrom, strand, n, s, e) for n, s, e in number_exons(intervals, strand)]
    return pd.DataFrame(rows, columns=list(MODEL_COLUMNS))


def build_gene_models(exons: pd.DataFrame, panel_genes: pd.DataFrame) -> pd.DataFrame:
    """Exon models of every panel gene, in panel-gene order; every gene must be annotated."""
    models = []
    by_gene = {gene: rows for gene, rows in exons.groupby("gene", sort=False)}
    absent = [g for g in panel_genes["gene"] if g not in by_gene]
    if absent:
        raise AnnotationError(f"gene(s) not found in the annotation: {', '.join(absent)}")
    for record in panel_genes.itertuples(index=False):
        models.append(gene_model(by_gene[record.gene], record.exon_model, record.transcript))
    table = pd.concat(models, ignore_index=True)
    return table.astype({"exon": "int64", "start": "int64", "end": "int64"})


def read_gene_models(path: str | Path) -> pd.DataFrame:
    """Read a gene model table (resources/gene_models_<build>.tsv)."""
    table = read_tsv(
        path, MODEL_COLUMNS, "gene model table", AnnotationError,
        dtype={"gene": str, "chrom": str, "strand": str},
    )  # fmt: skip
    return table.loc[:, list(MODEL_COLUMNS)]


# resources/gene_spans_<build>.tsv: per gene its span (kind gene) and merged coding intervals
# (kind cds), 1-based inclusive (workflow/scripts/make_gene_spans.py)
SPAN_COLUMNS = ("gene", "chrom", "strand", "kind", "start", "end")


def read_gene_spans(path: str | Path) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", comment="#", dtype={"start": int, "end": int})
    missing = [c for c in SPAN_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    return table

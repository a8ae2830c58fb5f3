"""One pass over an RNA BAM/CRAM in the RNA genes, through the index.

Each gene's span (first to last exon base of its transcripts) is fetched once. A read counts when
it is mapped, primary, not a duplicate, passes QC and has mapping quality >= `min_mapq`. Its CIGAR
is split into aligned blocks (M, =, X) and introns (N; deletions D are not introns). Reads are
kept per fragment (query name), so the two overlapping mates of one pair count once.

The result holds flat integer arrays, cheap to aggregate with numpy in the junction, coverage and
expression steps: every step below reads the same `GeneReads` and never rereads the BAM.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ikaros.alignment_files import open_alignment_file
from ikaros.genome import header_contig, verify_header_build
from ikaros.rna.models import GeneModel

log = logging.getLogger(__name__)

# unmapped, secondary, QC fail, duplicate, supplementary
SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800
_ALIGNED = (0, 7, 8)  # M, =, X consume both query and reference
_REF_ONLY_GAP = 2  # D
_INTRON = 3  # N


@dataclass
class GeneReads:
    """Fragments of one gene: aligned blocks and introns (0-based half-open, reference coords)."""

    gene: str
    fragments: int  # distinct fragments with at least one read in the span
    block_fragment: np.ndarray
    block_start: np.ndarray
    block_end: np.ndarray
    intron_fragment: np.ndarray
    intron_start: np.ndarray  # 1-based first intronic base
    intron_end: np.ndarray  # 1-based last intronic base


def scan_gene(alignments, contig: str, model: GeneModel, min_mapq: int) -> GeneReads:
    """Read one gene's span from an open pysam AlignmentFile (see the module docstring)."""
    names: dict[str, int] = {}
    b_frag: list[int] = []
    b_start: list[int] = []
    b_end: list[int] = []
    i_frag: list[int] = []
    i_start: list[int] = []
    i_end: list[int] = []
    for read in alignments.fetch(contig, model.start - 1, model.end):
        if read.flag & SKIP_FLAGS or read.mapping_quality < min_mapq:
            continue
        fragment = names.setdefault(read.query_name, len(names))
        position = read.reference_start
        cigar = read.cigartuples
        if len(cigar) == 1:  # the common case: one aligned block
            b_frag.append(fragment)
            b_start.append(position)
            b_end.append(position + cigar[0][1])
            continue
        for operation, length in cigar:
            if operation in _ALIGNED:
                b_frag.append(fragment)
                b_start.append(position)
                b_end.append(position + length)
                position += length
            elif operation == _INTRON:
                i_frag.append(fragment)
                i_start.append(position + 1)
                i_end.append(position + length)
                position += length
            elif operation == _REF_ONLY_GAP:
                position += length
    as_array = lambda values: np.asarray(values, dtype=np.int64)  # noqa: E731
    return GeneReads(
        gene=model.gene,
        fragments=len(names),
        block_fragment=as_array(b_frag),
        block_start=as_array(b_start),
        block_end=as_array(b_end),
        intron_fragment=as_array(i_frag),
        intron_start=as_array(i_start),
        intron_end=as_array(i_end),
    )


def scan_alignment_file(
    path: str | Path,
    genes: Iterable[GeneModel],
    build: str,
    min_mapq: int = 10,
    reference_fasta: str | Path | None = None,
) -> dict[str, GeneReads]:
    """`GeneReads` for every gene, checking the file's build first; contigs named 7 or chr7."""
    with open_alignment_file(path, reference_fasta) as alignments:
        lengths = dict(zip(alignments.references, alignments.lengths, strict=True))
        chr_prefix = verify_header_build(lengths, build, str(path))
        result = {}
        for model in genes:
            contig = header_contig(model.chrom, chr_prefix)
            if contig not in lengths:
                raise ValueError(
                    f"{path}: contig {contig} of gene {model.gene} is not in the header"
                )
            result[model.gene] = scan_gene(alignments, contig, model, min_mapq)
            log.info("%s: %s fragments in %s", path, result[model.gene].fragments, model.gene)
    return result

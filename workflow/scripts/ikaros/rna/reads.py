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
_CONSUMES_REFERENCE = (0, 2, 3, 7, 8)  # M, D, N, =, X
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
    # fragment ids: one integer per query name, in order of first sight, shared by blocks
    # and introns; coordinates go to flat lists (cheaper than lists of tuples to convert)
    fragment_of: dict[str, int] = {}
    block_fragment: list[int] = []
    block_start: list[int] = []
    block_end: list[int] = []
    intron_fragment: list[int] = []
    intron_start: list[int] = []
    intron_end: list[int] = []
    for read in alignments.fetch(contig, model.start - 1, model.end):
        if read.flag & SKIP_FLAGS or read.mapping_quality < min_mapq:
            continue
        fragment = fragment_of.setdefault(read.query_name, len(fragment_of))
        aligned = read.get_blocks()  # htslib splits at N and D: aligned blocks only
        if len(aligned) == 1:  # the common case, kept cheap
            block_fragment.append(fragment)
            block_start.append(aligned[0][0])
            block_end.append(aligned[0][1])
            continue
        for left, right in aligned:
            block_fragment.append(fragment)
            block_start.append(left)
            block_end.append(right)
        position = read.reference_start
        for operation, length in read.cigartuples:
            if operation == _INTRON:
                intron_fragment.append(fragment)
                intron_start.append(position + 1)
                intron_end.append(position + length)
            if operation in _CONSUMES_REFERENCE:
                position += length
    return GeneReads(
        gene=model.gene,
        fragments=len(fragment_of),
        block_fragment=np.array(block_fragment, dtype=np.int64),
        block_start=np.array(block_start, dtype=np.int64),
        block_end=np.array(block_end, dtype=np.int64),
        intron_fragment=np.array(intron_fragment, dtype=np.int64),
        intron_start=np.array(intron_start, dtype=np.int64),
        intron_end=np.array(intron_end, dtype=np.int64),
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

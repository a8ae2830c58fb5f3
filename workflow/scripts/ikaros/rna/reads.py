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
import pandas as pd

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
    block_names: list[str] = []
    blocks: list[tuple[int, int]] = []
    intron_names: list[str] = []
    introns: list[tuple[int, int]] = []
    add_name, add_block = block_names.append, blocks.append
    for read in alignments.fetch(contig, model.start - 1, model.end):
        if read.flag & SKIP_FLAGS or read.mapping_quality < min_mapq:
            continue
        name = read.query_name
        aligned = read.get_blocks()  # htslib splits at N and D: aligned blocks only
        if len(aligned) == 1:  # the common case, kept cheap
            add_name(name)
            add_block(aligned[0])
            continue
        blocks.extend(aligned)
        block_names.extend([name] * len(aligned))
        position = read.reference_start
        for operation, length in read.cigartuples:
            if operation == _INTRON:
                intron_names.append(name)
                introns.append((position + 1, position + length))
            if operation in _CONSUMES_REFERENCE:
                position += length
    # fragment ids: one integer per query name, shared by blocks and introns
    ids, uniques = pd.factorize(pd.Series(block_names + intron_names, dtype=object), sort=False)
    block_array = np.asarray(blocks, dtype=np.int64).reshape(-1, 2)
    intron_array = np.asarray(introns, dtype=np.int64).reshape(-1, 2)
    return GeneReads(
        gene=model.gene,
        fragments=len(uniques),
        block_fragment=ids[: len(blocks)].astype(np.int64),
        block_start=block_array[:, 0],
        block_end=block_array[:, 1],
        intron_fragment=ids[len(blocks) :].astype(np.int64),
        intron_start=intron_array[:, 0],
        intron_end=intron_array[:, 1],
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

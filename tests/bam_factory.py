"""Write small coordinate-sorted, indexed BAM/CRAM files with known content for tests.

Reads are described by `ReadSpec` records (or built in pairs with `pair`, singly with
`single`), using the project's internal chromosome names (``chr7``); the writer renames them
to bare names (``7``) when asked. Headers carry the real GRCh37/GRCh38 primary contig lengths
from `ikaros.genome`, so build checks see a genuine header. For CRAM, which needs the reference
sequence itself, `write_reference_fasta` writes a small random reference and `write_alignments`
uses that reference's contig lengths instead.

Records are written as SAM text and sorted/indexed with pysam (samtools), which is much faster
than building `AlignedSegment` objects one by one and makes large benchmark files cheap.

Coordinates in `ReadSpec` are 1-based (SAM POS); spans are inclusive of `start`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pysam

from ikaros.dna.panel import PANEL_COLUMNS, validate_panel
from ikaros.genome import contig_lengths, header_contig

# SAM flag bits
PAIRED = 0x1
PROPER_PAIR = 0x2
UNMAPPED = 0x4
MATE_UNMAPPED = 0x8
REVERSE = 0x10
MATE_REVERSE = 0x20
READ1 = 0x40
READ2 = 0x80
SECONDARY = 0x100
QCFAIL = 0x200
DUPLICATE = 0x400
SUPPLEMENTARY = 0x800


@dataclass(frozen=True)
class ReadSpec:
    """One SAM record. `chrom`/`mate_chrom` are internal names (chr-prefixed) or None (`*`)."""

    name: str
    chrom: str | None
    start: int  # 1-based leftmost aligned position (SAM POS); 0 when unplaced
    length: int = 100  # read length; CIGAR is `{length}M` unless `cigar` is given
    flag: int = 0
    mapq: int = 60
    cigar: str | None = None
    mate_chrom: str | None = None
    mate_start: int = 0
    tlen: int = 0
    tags: str = ""  # further SAM fields (TAG:TYPE:VALUE, tab-separated)


def single(
    name: str, chrom: str, start: int, length: int = 100, *, mapq: int = 60, flag: int = 0
) -> ReadSpec:
    """An unpaired read at 1-based `start`, `flag` adds extra bits (e.g. DUPLICATE)."""
    return ReadSpec(name=name, chrom=chrom, start=start, length=length, flag=flag, mapq=mapq)


def pair(
    name: str,
    chrom: str,
    start: int,
    fragment_length: int,
    read_length: int = 100,
    *,
    proper: bool = True,
    mapq: int | tuple[int, int] = 60,
    flag: int | tuple[int, int] = 0,
    mate_chrom: str | None = None,
    mate_start: int | None = None,
) -> tuple[ReadSpec, ReadSpec]:
    """A forward read1 at `start` and a reverse read2 ending at `start + fragment_length - 1`.

    `mapq` and extra `flag` bits may be given per mate as a tuple (read1, read2). Passing
    `mate_chrom`/`mate_start` places read2 elsewhere (a discordant pair, TLEN 0 across
    chromosomes); such pairs are never flagged proper.
    """
    mapq1, mapq2 = mapq if isinstance(mapq, tuple) else (mapq, mapq)
    extra1, extra2 = flag if isinstance(flag, tuple) else (flag, flag)
    chrom2 = mate_chrom or chrom
    start2 = mate_start if mate_start is not None else start + fragment_length - read_length
    if chrom2 != chrom:
        proper = False
        tlen = 0
    else:
        left = min(start, start2)
        right = max(start + read_length, start2 + read_length)
        tlen = right - left
    base = PAIRED | (PROPER_PAIR if proper else 0)
    first_is_left = start <= start2
    read1 = ReadSpec(
        name=name,
        chrom=chrom,
        start=start,
        length=read_length,
        flag=base | READ1 | MATE_REVERSE | extra1,
        mapq=mapq1,
        mate_chrom=chrom2,
        mate_start=start2,
        tlen=tlen if first_is_left else -tlen,
    )
    read2 = ReadSpec(
        name=name,
        chrom=chrom2,
        start=start2,
        length=read_length,
        flag=base | READ2 | REVERSE | extra2,
        mapq=mapq2,
        mate_chrom=chrom,
        mate_start=start,
        tlen=-tlen if first_is_left else tlen,
    )
    return read1, read2


def header_lengths(
    build: str = "GRCh38",
    chr_prefix: bool = True,
    contigs: Iterable[str] | None = None,
    override: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Header @SQ names and lengths: the build's primary contigs (or a subset, internal names),
    renamed for `chr_prefix`, with `override` replacing lengths (internal names) to fake a
    wrong build."""
    lengths = contig_lengths(build)
    if contigs is not None:
        wanted = list(contigs)
        lengths = {name: lengths[name] for name in wanted}
    if override:
        lengths.update(override)
    return {header_contig(name, chr_prefix): length for name, length in lengths.items()}


def write_reference_fasta(path: str | Path, lengths: Mapping[str, int], seed: int = 7) -> Path:
    """A random reference (header names as given) with a .fai index, for CRAM tests."""
    path = Path(path)
    rng = random.Random(seed)
    with path.open("w") as handle:
        for name, length in lengths.items():
            handle.write(f">{name}\n")
            sequence = "".join(rng.choices("ACGT", k=length))
            for offset in range(0, length, 60):
                handle.write(sequence[offset : offset + 60] + "\n")
    pysam.faidx(str(path))
    return path


def _sam_line(read: ReadSpec, chr_prefix: bool, sequence: str) -> str:
    def rename(chrom: str | None) -> str:
        return "*" if chrom is None else header_contig(chrom, chr_prefix)

    rname = rename(read.chrom)
    rnext = rename(read.mate_chrom)
    if read.mate_chrom is not None and read.mate_chrom == read.chrom:
        rnext = "="
    unmapped = bool(read.flag & UNMAPPED)
    cigar = "*" if unmapped else (read.cigar or f"{read.length}M")
    return "\t".join(
        (
            read.name,
            str(read.flag),
            rname,
            str(read.start),
            str(0 if unmapped else read.mapq),
            cigar,
            rnext,
            str(read.mate_start),
            str(read.tlen),
            sequence,
            "*",
            *([read.tags] if read.tags else []),
        )
    )


def write_alignments(
    path: str | Path,
    reads: Iterable[ReadSpec],
    *,
    build: str = "GRCh38",
    chr_prefix: bool = True,
    contigs: Iterable[str] | None = None,
    length_override: Mapping[str, int] | None = None,
    reference_fasta: str | Path | None = None,
    index: bool = True,
) -> Path:
    """Write `reads` to a sorted BAM, or a CRAM when `path` ends in .cram (needs
    `reference_fasta`, whose contigs then make the header). Returns `path`.

    Bases are taken from the reference for CRAM (so CRAM stores few differences) and are all
    `A` otherwise; base qualities are absent.
    """
    path = Path(path)
    is_cram = path.suffix == ".cram"
    reference = None
    if is_cram:
        if reference_fasta is None:
            raise ValueError("a CRAM needs reference_fasta")
        reference = pysam.FastaFile(str(reference_fasta))
        lengths = dict(zip(reference.references, reference.lengths, strict=True))
    else:
        lengths = header_lengths(build, chr_prefix, contigs, length_override)
    sam_path = path.with_name(path.name + ".unsorted.sam")
    with sam_path.open("w") as handle:
        handle.write("@HD\tVN:1.6\tSO:unsorted\n")
        for name, length in lengths.items():
            handle.write(f"@SQ\tSN:{name}\tLN:{length}\n")
        for read in reads:
            if reference is not None and read.chrom is not None and not read.flag & UNMAPPED:
                contig = header_contig(read.chrom, chr_prefix)
                sequence = reference.fetch(contig, read.start - 1, read.start - 1 + read.length)
            else:
                sequence = "A" * read.length
            handle.write(_sam_line(read, chr_prefix, sequence) + "\n")
    sort_args = ["-o", str(path)]
    if is_cram:
        sort_args = ["-O", "cram", "--reference", str(reference_fasta), *sort_args]
    pysam.sort(*sort_args, str(sam_path))
    sam_path.unlink()
    if index:
        pysam.index(str(path))
    return path


def make_panel(bins: Iterable[tuple]) -> pd.DataFrame:
    """A validated panel from ``(chrom, start, end[, kind[, gene]])`` tuples (1-based, sorted).

    Bin IDs are ``b0, b1, ...``; kind defaults to ``exon``, gene to ``G``.
    """
    rows = []
    for number, spec in enumerate(bins):
        chrom, start, end, *rest = spec
        kind = rest[0] if rest else "exon"
        gene = rest[1] if len(rest) > 1 else ("G" if kind == "exon" else "")
        rows.append(
            {
                "bin_id": f"b{number}",
                "chrom": chrom,
                "start": str(start),
                "end": str(end),
                "kind": kind,
                "gene": gene,
                "exon": str(number + 1) if kind == "exon" else "",
                "intron": "",
                "arm": "",
            }
        )
    return validate_panel(pd.DataFrame(rows, columns=list(PANEL_COLUMNS)))

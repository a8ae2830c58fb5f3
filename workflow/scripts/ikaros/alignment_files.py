"""Opening BAM/CRAM files safely: index present, build checked, reads present; and the CIGAR
strings that SA and MC tags hold, parsed.

Everything here reads the header, the index and a few hundred records, so it is cheap enough
to run for every sample at workflow parse time.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pysam

from ikaros.genome import BuildMismatchError, detect_chr_prefix, verify_header_build

INDEX_SUFFIXES = {".bam": (".bai", ".csi"), ".cram": (".crai",)}
# Index probe: reads taken from the start of a few contigs through the index. A stale index
# (the file rewritten after indexing) or one of another file points into the wrong bytes: the
# reads come out garbled, of another contig or out of order, or decoding fails.
PROBE_CONTIGS = 3
PROBE_READS = 200
IKZF1_PROBE_START = 50_300_000  # 0-based; IKZF1 starts near 50.3 Mb of chr7 in both builds
# Genome aligners (BWA, Bowtie2, minimap2 -ax sr) never write a CIGAR `N` (a skipped intron);
# in RNA-seq alignments (STAR, HISAT2) a fifth to a half of the reads are spliced.
MAX_SPLICED_SHARE = 0.02
MIN_SPLICED_READS = 5
_CIGAR = re.compile(r"(\d+)([MIDNSHP=X])")
REFERENCE_OPS = frozenset("MDN=X")  # CIGAR operations that consume reference bases


def parse_cigar(text: str) -> list[tuple[str, int]]:
    """A CIGAR string (as an SA or MC tag holds it) as (operation, length) pairs."""
    return [(op, int(n)) for n, op in _CIGAR.findall(text)]


def reference_length(cigar: list[tuple[str, int]]) -> int:
    """The reference bases that an alignment of this parsed CIGAR spans."""
    return sum(n for op, n in cigar if op in REFERENCE_OPS)


class AlignmentFileError(ValueError):
    """A BAM/CRAM cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class AlignmentFileInfo:
    path: Path
    index: Path
    chr_prefix: bool
    is_cram: bool


def find_index(path: Path) -> Path | None:
    """`x.bam.bai`, `x.bai`, `x.bam.csi`, `x.cram.crai` or `x.crai`, whichever exists."""
    for suffix in INDEX_SUFFIXES.get(path.suffix, ()):
        for candidate in (Path(f"{path}{suffix}"), path.with_suffix(suffix)):
            if candidate.is_file():
                return candidate
    return None


def open_alignment_file(
    path: str | Path, reference_fasta: str | Path | None = None, threads: int = 1
) -> pysam.AlignmentFile:
    """Open an indexed BAM/CRAM with a clear error for each way it can be unusable.

    Refuses: a missing file, a CRAM without (or with a missing) reference FASTA, a file pysam
    cannot parse, a missing index, a header without contigs, and a file without a single read.
    """
    path = Path(path)
    if path.suffix not in INDEX_SUFFIXES:
        raise AlignmentFileError(f"{path}: expected a .bam or .cram file")
    if not path.is_file():
        raise AlignmentFileError(f"{path}: alignment file not found")
    is_cram = path.suffix == ".cram"
    reference_fasta = reference_fasta or None
    if is_cram and reference_fasta is None:
        raise AlignmentFileError(
            f"{path}: a CRAM needs the reference FASTA it was written against; "
            "set reference_fasta for this cohort"
        )
    if reference_fasta is not None and not Path(reference_fasta).is_file():
        raise AlignmentFileError(f"{path}: reference FASTA {reference_fasta} not found")
    index = find_index(path)
    if index is None:
        expected = " or ".join(f"{path}{s}" for s in INDEX_SUFFIXES[path.suffix])
        raise AlignmentFileError(
            f"{path}: no index found (expected {expected}); run `samtools index {path}`"
        )
    try:
        alignments = pysam.AlignmentFile(
            str(path),
            "rc" if is_cram else "rb",
            index_filename=str(index),
            reference_filename=str(reference_fasta) if is_cram else None,
            threads=max(1, int(threads)),
        )
    except (OSError, ValueError) as error:
        kind = "CRAM" if is_cram else "BAM"
        raise AlignmentFileError(f"{path}: cannot be read as {kind} ({error})") from None
    if not alignments.references:
        alignments.close()
        raise AlignmentFileError(f"{path}: header lists no contigs (@SQ lines)")
    if next(alignments.fetch(until_eof=True), None) is None:
        alignments.close()
        raise AlignmentFileError(f"{path}: contains no reads at all (header only); is it empty?")
    return alignments


def header_chr_prefix(
    alignments: pysam.AlignmentFile, build: str | None, source: str | Path
) -> bool:
    """Chromosome naming of an open file's header, after checking it against `build`.

    `build=None` skips the build check (for CRAMs against small test references).
    """
    lengths = dict(zip(alignments.references, alignments.lengths, strict=True))
    try:
        if build is None:
            return detect_chr_prefix(lengths)
        return verify_header_build(lengths, build, str(source))
    except BuildMismatchError as error:
        message = str(error)
        if not message.startswith(str(source)):
            message = f"{source}: {message}"
        raise AlignmentFileError(message) from None


def _probe_regions(alignments: pysam.AlignmentFile) -> list[tuple[str, int | None]]:
    """Where the probe reads: the start of up to PROBE_CONTIGS contigs with mapped reads
    (first, middle, last, from the index), and the IKZF1 locus that every panel covers (the
    index's offsets there lie deep in the file, where a stale index goes wrong)."""
    try:
        mapped = [s.contig for s in alignments.get_index_statistics() if s.mapped > 0]
    except (AttributeError, ValueError, OSError):  # CRAM indexes hold no per-contig counts
        mapped = list(alignments.references)
    if len(mapped) > PROBE_CONTIGS:
        mapped = [mapped[0], mapped[len(mapped) // 2], mapped[-1]]
    regions = [(contig, None) for contig in mapped]
    chrom7 = next((c for c in ("chr7", "7") if c in alignments.references), None)
    if chrom7 is not None:
        regions.append((chrom7, IKZF1_PROBE_START))
    return regions


def probe_reads(alignments: pysam.AlignmentFile, path: Path, index: Path) -> list:
    """A few hundred reads fetched through the index; refuses an index that does not fit."""
    sort_order = alignments.header.to_dict().get("HD", {}).get("SO", "")
    hint = (
        f"the header says SO:{sort_order}: sort it with `samtools sort`, then index it"
        if sort_order not in ("", "coordinate", "unknown")
        else f"re-create it with `samtools index {path}`"
    )
    if index.stat().st_mtime < path.stat().st_mtime:
        hint = f"the index is older than the file; {hint}"
    reads = {}  # the probes may overlap: each read once
    for contig, start in _probe_regions(alignments):
        previous = -1
        try:
            fetched = alignments.fetch(contig, start) if start else alignments.fetch(contig)
            for read in itertools.islice(fetched, PROBE_READS):
                if read.reference_name != contig or read.reference_start < previous:
                    raise AlignmentFileError(
                        f"{path}: index {index.name} does not fit the file (a read of "
                        f"{read.reference_name}:{read.reference_start + 1} came back for "
                        f"{contig}, after position {previous + 1}); {hint}"
                    )
                previous = read.reference_start
                reads[(read.query_name, read.flag, read.reference_start)] = read
        except (OSError, ValueError) as error:
            raise AlignmentFileError(
                f"{path}: reading {contig} through index {index.name} fails ({error}): the "
                f"index does not fit the file, or the file is damaged; {hint}"
            ) from None
    return list(reads.values())


def check_genome_library(reads: list, path: Path) -> None:
    """Refuse spliced (RNA-seq) alignments where genome data is expected."""
    spliced = sum(
        1 for read in reads if read.cigartuples and any(op == 3 for op, _ in read.cigartuples)
    )
    if spliced >= MIN_SPLICED_READS and spliced > MAX_SPLICED_SHARE * len(reads):
        raise AlignmentFileError(
            f"{path}: {spliced} of {len(reads)} reads read through the index are spliced "
            "(CIGAR N): this looks like an RNA-seq alignment; genome data (WGS/WES/panel) is "
            "expected here; give RNA-seq BAMs as rna_bam"
        )


def inspect_alignment_file(
    path: str | Path,
    build: str,
    reference_fasta: str | Path | None = None,
    genome_library: bool = False,
) -> AlignmentFileInfo:
    """Check that a BAM/CRAM exists, is indexed by an index that fits it, matches `build` and
    holds reads; with `genome_library`, that its reads are not spliced RNA-seq alignments."""
    path = Path(path)
    alignments = open_alignment_file(path, reference_fasta)
    verbosity = pysam.set_verbosity(0)  # the probe's decoding errors are reported below
    try:
        chr_prefix = header_chr_prefix(alignments, build, path)
        index = find_index(path)
        reads = probe_reads(alignments, path, index)
        if genome_library:
            check_genome_library(reads, path)
    finally:
        with contextlib.suppress(OSError):  # closing after a failed decode fails too
            alignments.close()
        pysam.set_verbosity(verbosity)
    return AlignmentFileInfo(
        path=path, index=index, chr_prefix=chr_prefix, is_cram=path.suffix == ".cram"
    )

"""Opening BAM/CRAM files safely: index present, build checked, reads present.

Everything here reads the header, the index and at most one record, so it is cheap enough to
run for every sample at workflow parse time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pysam

from ikaros.genome import BuildMismatchError, detect_chr_prefix, verify_header_build

INDEX_SUFFIXES = {".bam": (".bai", ".csi"), ".cram": (".crai",)}


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


def inspect_alignment_file(
    path: str | Path, build: str, reference_fasta: str | Path | None = None
) -> AlignmentFileInfo:
    """Check that a BAM/CRAM exists, is indexed, matches `build` and holds at least one read."""
    path = Path(path)
    with open_alignment_file(path, reference_fasta) as alignments:
        chr_prefix = header_chr_prefix(alignments, build, path)
        index = find_index(path)
    return AlignmentFileInfo(
        path=path, index=index, chr_prefix=chr_prefix, is_cram=path.suffix == ".cram"
    )

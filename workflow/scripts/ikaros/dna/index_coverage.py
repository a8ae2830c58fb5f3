"""Read counts in genome-wide bins estimated from a BAM/CRAM index, without reading the reads.

An index records, for every 16 kb window of a contig, where in the file its first record lies
(BAI linear index; CSI: the first-record offset of each 16 kb leaf bin; CRAI: the byte extent
of each slice and the reference span it covers). The bytes between the first records of two
windows hold the records that start between them, so file bytes per bin are proportional to
read starts per bin (the principle of goleft indexcov; Pedersen et al., GigaScience 2017).
Bytes are turned into reads with the contig's mapped and placed-unmapped read totals from the
BAI/CSI pseudo-bin (``records = bytes x records_on_contig / bytes_on_contig``); for a CRAM,
whose index holds no read totals, the unit stays bytes / `CRAM_BYTES_PER_READ`.

A BGZF virtual offset is (compressed block offset << 16 | offset inside the uncompressed
block); bytes between two of them are counted on the uncompressed scale (`BlockScale`), exactly
within a block and across a few blocks, so that a shallow file where one block holds several
bins still gets them right, and to the file's compression ratio across many. The cost is one
pass over the index (a few MB for a 30x genome), independent of depth; no read is decoded, so
MAPQ, duplicate and flag filters cannot apply: the panel of normals, counted the same way,
carries their average effect into the expected count of each bin.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.alignment_files import AlignmentFileError, find_index, open_alignment_file
from ikaros.genome import canonical_name

WINDOW_SHIFT = 14  # BAI linear-index windows are 16 kb
_BAI_PSEUDO_BIN = 37450
# Reads per CRAM slice byte are unknown from the .crai; a 30x CRAM 3.0 record of a 150 bp
# read with binned qualities takes about this many bytes.
CRAM_BYTES_PER_READ = 40.0


class IndexCoverageError(AlignmentFileError):
    """An index cannot be read as BAI, CSI or CRAI; the message names the file."""


@dataclass(frozen=True)
class BlockScale:
    """How a file's BGZF blocks relate compressed and uncompressed bytes."""

    ratio: float  # uncompressed / compressed bytes
    full: float  # uncompressed bytes of a full block (htslib fills blocks to about 65,280)

    def between(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Uncompressed bytes from virtual offsets `first` to `second` (element-wise).

        In one block: the in-block difference, exactly. Across k blocks: the rest of the first
        block, k - 1 full blocks and the start of the last; k is the compressed distance in
        blocks, rounded, which is exact while k is small (shallow files, where one block
        holds many bins) and a relative estimate when k is large (where that is enough).
        """
        first = np.asarray(first, dtype=np.uint64)
        second = np.asarray(second, dtype=np.uint64)
        block_a = (first >> np.uint64(16)).astype(np.int64)
        block_b = (second >> np.uint64(16)).astype(np.int64)
        in_a = (first & np.uint64(0xFFFF)).astype(float)
        in_b = (second & np.uint64(0xFFFF)).astype(float)
        blocks = np.maximum(np.rint((block_b - block_a) * self.ratio / self.full), 1)
        across = (self.full - in_a) + (blocks - 1) * self.full + in_b
        return np.maximum(np.where(block_a == block_b, in_b - in_a, across), 0.0)


def _block_scale(path: Path, blocks: int = 64) -> BlockScale:
    """Measured on the file's first BGZF blocks (the header's included)."""
    sizes = []
    with open(path, "rb") as handle:
        for _ in range(blocks):
            head = handle.read(18)
            if len(head) < 18 or head[:4] != b"\x1f\x8b\x08\x04":
                break
            bsize = struct.unpack_from("<H", head, 16)[0] + 1
            handle.seek(bsize - 18 - 4, 1)
            isize = struct.unpack("<I", handle.read(4))[0]
            if isize == 0:  # the EOF marker block
                break
            sizes.append((bsize, isize))
    if not sizes:
        raise IndexCoverageError(f"{path}: not a BGZF-compressed BAM")
    compressed, uncompressed = np.array(sizes, dtype=float).T
    full = uncompressed[uncompressed >= 0.9 * uncompressed.max()]
    return BlockScale(uncompressed.sum() / compressed.sum(), float(np.median(full)))


def _spread(
    start0: np.ndarray, end: np.ndarray, amount: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Integrate amounts spread uniformly over [start0, end) into the intervals [lo, hi)."""
    density = amount / np.maximum(end - start0, 1)
    points = np.concatenate([start0, end])
    steps = np.concatenate([density, -density])
    order = np.argsort(points, kind="stable")
    points, level = points[order], np.cumsum(steps[order])
    area = np.concatenate([[0.0], np.cumsum(level[:-1] * np.diff(points))])
    return np.interp(hi, points, area) - np.interp(lo, points, area)


@dataclass(frozen=True)
class ContigBytes:
    """Where one contig's records lie: byte amounts over genomic intervals, and read totals."""

    start0: np.ndarray
    end: np.ndarray
    amount: np.ndarray  # bytes on the file's uncompressed scale
    records: float  # mapped + placed unmapped reads (nan: unknown, CRAM)
    span: float  # bytes of all the contig's records


def _bin_start(bin_id: int, min_shift: int, depth: int) -> int:
    """0-based start of a CSI bin (levels of 8**level bins, the widest first)."""
    level, first = 0, 0
    while bin_id >= first + (1 << (3 * level)):
        first += 1 << (3 * level)
        level += 1
    return (bin_id - first) << (min_shift + 3 * (depth - level))


def _read_bai_or_csi(index: Path, scale: BlockScale) -> list[ContigBytes | None]:
    """BAI: bytes between the linear index's successive 16 kb windows. CSI has no linear
    index, but each bin stores the offset of the first record overlapping it; bin starts and
    those offsets, sorted, make a linear index whose windows are 16 kb where leaf bins
    survived and coarser where htslib merged sparse bins into their parents. (Chunk extents
    cannot be summed instead: merged chunks overlap the records of other bins.)"""
    data = index.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)  # CSI is BGZF-compressed
    magic = data[:4]
    if magic == b"BAI\x01":
        csi, pos = False, 4
        min_shift, depth = WINDOW_SHIFT, 5
    elif magic == b"CSI\x01":
        csi = True
        min_shift, depth, l_aux = struct.unpack_from("<iii", data, 4)
        pos = 16 + l_aux
    else:
        raise IndexCoverageError(f"{index}: not a BAI or CSI index (magic {magic!r})")
    pseudo_bin = ((1 << (3 * (depth + 1))) - 1) // 7 + 1 if csi else _BAI_PSEUDO_BIN
    (n_ref,) = struct.unpack_from("<i", data, pos)
    pos += 4
    contigs: list[ContigBytes | None] = []
    try:
        for _ in range(n_ref):
            (n_bin,) = struct.unpack_from("<i", data, pos)
            pos += 4
            meta = None
            starts, loffsets = [], []
            for _ in range(n_bin):
                if csi:
                    bin_id, loffset, n_chunk = struct.unpack_from("<IQi", data, pos)
                    pos += 16
                else:
                    bin_id, n_chunk = struct.unpack_from("<Ii", data, pos)
                    pos += 8
                if bin_id == pseudo_bin:
                    meta = struct.unpack_from("<QQQQ", data, pos)
                elif csi:
                    starts.append(_bin_start(bin_id, min_shift, depth))
                    loffsets.append(loffset)
                pos += 16 * n_chunk
            if not csi:
                (n_intv,) = struct.unpack_from("<i", data, pos)
                pos += 4
                # htslib has filled empty windows with the previous window's offset
                windows = np.frombuffer(data, "<u8", n_intv, pos)
                pos += 8 * n_intv
            if meta is None:
                contigs.append(None)  # no records on this contig
                continue
            begin, end = np.uint64(meta[0]), np.uint64(meta[1])
            if csi:
                order = np.argsort(starts, kind="stable")
                points = np.array(starts, dtype=np.int64)[order]
                offsets = np.array(loffsets, dtype=np.uint64)[order]
                offsets = np.maximum.accumulate(np.append(offsets, end))
                last = points[-1] + (1 << min_shift) if len(points) else 1 << min_shift
                start0, stop = points, np.append(points[1:], last)
            else:
                offsets = np.append(windows, end)
                start0 = np.arange(len(windows), dtype=np.int64) << WINDOW_SHIFT
                stop = start0 + (1 << WINDOW_SHIFT)
            amount = scale.between(offsets[:-1], offsets[1:])
            span = float(scale.between(np.array([begin]), np.array([end]))[0])
            contigs.append(ContigBytes(start0, stop, amount, float(meta[2] + meta[3]), span))
    except (struct.error, ValueError):
        raise IndexCoverageError(f"{index}: truncated index (stopped at byte {pos})") from None
    return contigs


def _read_crai(index: Path, n_contigs: int) -> list[ContigBytes | None]:
    """Slice bytes over the reference span each slice covers."""
    try:
        text = gzip.decompress(index.read_bytes()).decode()
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise IndexCoverageError(f"{index}: not a gzip-compressed CRAI ({error})") from None
    rows = [line.split("\t") for line in text.splitlines() if line]
    if any(len(row) != 6 for row in rows):
        raise IndexCoverageError(f"{index}: expected 6 tab-separated columns per CRAI line")
    table = np.array(rows, dtype=np.int64).reshape(-1, 6)
    contigs: list[ContigBytes | None] = []
    for contig in range(n_contigs):
        mine = table[table[:, 0] == contig]
        if not len(mine):
            contigs.append(None)
            continue
        start0 = np.maximum(mine[:, 1] - 1, 0)
        amount = mine[:, 5].astype(float)
        contigs.append(
            ContigBytes(start0, start0 + np.maximum(mine[:, 2], 1), amount, np.nan, amount.sum())
        )
    return contigs


def _counted_reads(handle, bins: pd.DataFrame) -> np.ndarray:
    """Reads overlapping each bin, decoded through the index (one fetch per bin)."""
    counts = np.zeros(len(bins))
    contigs = {canonical_name(name): name for name in handle.references}
    for row, (chrom, start, end) in enumerate(
        zip(bins["chrom"], bins["start"], bins["end"], strict=True)
    ):
        if chrom in contigs:
            counts[row] = handle.count(contigs[chrom], int(start) - 1, int(end))
    return counts


def index_bin_counts(
    alignment: str | Path, bins: pd.DataFrame, reference_fasta: str | Path | None = None
) -> np.ndarray:
    """Estimated reads per bin of `bins` (chrom, start, end; 1-based inclusive; internal
    chromosome names) from the index of `alignment`. Bins on contigs the file lacks get 0.

    CRAM slices hold a fixed number of reads (10,000 by default), so in a shallow CRAM one
    slice spans many bins; when the median slice is wider than a quarter of the median bin,
    the reads are counted instead (decoded, one fetch per bin; cheap exactly because the file
    is shallow).
    """
    alignment = Path(alignment)
    index = find_index(alignment)
    if index is None:
        raise IndexCoverageError(f"{alignment}: no index found; run `samtools index {alignment}`")
    with open_alignment_file(alignment, reference_fasta) as handle:
        header_contigs = list(handle.references)
        if index.suffix == ".crai":
            contigs = _read_crai(index, len(header_contigs))
            widths = np.concatenate([c.end - c.start0 for c in contigs if c is not None] or [[0]])
            bin_width = float(np.median(bins["end"] - bins["start"] + 1)) if len(bins) else 0.0
            if np.median(widths) > bin_width / 4:
                return _counted_reads(handle, bins)
        else:
            contigs = _read_bai_or_csi(index, _block_scale(alignment))
            if len(contigs) != len(header_contigs):
                raise IndexCoverageError(
                    f"{index}: indexes {len(contigs)} contigs but {alignment} has "
                    f"{len(header_contigs)}; the index belongs to another file: rerun "
                    f"`samtools index {alignment}`"
                )
    canonical = {canonical_name(name): tid for tid, name in enumerate(header_contigs)}
    counts = np.zeros(len(bins))
    chroms = bins["chrom"].to_numpy()
    starts0 = bins["start"].to_numpy(dtype=np.int64) - 1
    ends = bins["end"].to_numpy(dtype=np.int64)
    for chrom in pd.unique(chroms):
        tid = canonical.get(chrom)
        contig = contigs[tid] if tid is not None else None
        if contig is None or not len(contig.amount):
            continue
        rows = np.nonzero(chroms == chrom)[0]
        spread = _spread(contig.start0, contig.end, contig.amount, starts0[rows], ends[rows])
        if np.isnan(contig.records):
            per_byte = 1.0 / CRAM_BYTES_PER_READ
        else:
            per_byte = contig.records / contig.span if contig.span > 0 else 0.0
        counts[rows] = spread * per_byte
    return counts

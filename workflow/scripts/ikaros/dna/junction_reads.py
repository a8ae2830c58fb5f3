"""Deletion breakpoints from read evidence: discordant pairs, placed base-exactly by clipped reads.

Coverage bins cannot say whether a 54 bp exon next to a breakpoint is lost; the reads that cross
the breakpoint can. For a deletion of bases S..E (1-based, inclusive) the last retained base on
the left is L = S - 1 and the first retained base on the right is R = E + 1, and a mixed tumour
leaves two kinds of evidence in a paired-end DNA BAM/CRAM:

- discordant pairs: a forward read left of the deletion whose reverse mate lies right of it, so
  the pair's outer span on the reference exceeds any normal fragment (and the aligner did not
  flag it proper). Their geometry bounds each breakpoint to an interval: L is at or after the
  last aligned base of every left read and, as the fragment in the tumour genome is at most
  `max_fragment` long, L <= left start + max_fragment - mate's aligned length; the right side
  mirrors this (R at or before the first aligned base of every right read).
- split reads: a read crossing the junction is aligned on its majority side and soft-clipped.
  Aligned on the left, it ends exactly at L with a right clip (``110M40S``); aligned on the
  right, it starts exactly at R with a left clip (``40S110M``). The clip position is therefore
  base-exact, whether its mate is on the same side (a proper pair) or across the deletion.

- SA tags: a local aligner (BWA-MEM, minimap2) also aligns a split read's clipped part when it
  is long enough, as a supplementary record on the junction's other side, and names it in the
  primary's SA tag (``SA:Z:chr7,50395487,+,107S43M,60,0;``). A right-clipped read ending at L
  whose SA alignment on the same contig and strand starts after L with a left clip names both
  breakpoints, L and R = the SA position; a left-clipped read starting at R whose SA alignment
  ends before R with a right clip likewise. Such a read also counts as clipped at the other
  breakpoint (the supplementary record itself, like every non-primary record, is skipped, so
  that each read counts once per side).

Discordant pairs are clustered into candidate deletions (left read starts within max_fragment of
the cluster's first pair, and likewise the mate starts); a cluster with at least `min_pairs`
pairs gives the breakpoint intervals, and within each interval the clip position with the most
reads (ties: the one nearest the pairs' own evidence, then the smaller position) fixes the
breakpoint exactly. Without a clip in an interval, the breakpoint's best estimate is the
interval's middle. Split reads whose SA tags name the same two breakpoints, MIN_SA_READS or
more, give a deletion of their own where no pair cluster names it (a BAM filtered to proper
pairs keeps no discordant pair, but keeps the split reads whose mates lie on their own side).

Only the requested region is read, through the index, in one pass. A mate outside the region is
known by its position alone (RNEXT/PNEXT); its aligned length comes from its MC tag when present,
else it is taken to equal the query length of the read in hand, and its mapping quality is
checked through the MQ tag when present. A pair whose other mate was seen in the region and
failed the filters does not count.

Deletions shorter than a fragment produce no discordant pairs and are not found here.

`window_evidence` returns the junctions together with the raw evidence of the same pass (clip
positions, also by direction with their reads, discordant pair spans, the median fragment), so
that a caller can also ask how many junction reads lie near a breakpoint that coverage alone
proposes (none, for a noise dip), or where split reads pile up without any discordant pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field, replace
from numbers import Integral
from pathlib import Path

import numpy as np
import pysam

from ikaros.alignment_files import (
    REFERENCE_OPS,
    AlignmentFileError,
    open_alignment_file,
    parse_cigar,
    reference_length,
)
from ikaros.genome import canonical_name, header_contig

# SAM flag bits used here
_PAIRED = 0x1
_PROPER_PAIR = 0x2
_UNMAPPED = 0x4
_MATE_UNMAPPED = 0x8
_REVERSE = 0x10
_MATE_REVERSE = 0x20
_SECONDARY = 0x100
_QCFAIL = 0x200
_DUPLICATE = 0x400
_SUPPLEMENTARY = 0x800

_NOT_PRIMARY = _SECONDARY | _SUPPLEMENTARY
_FAILED_RECORD = _UNMAPPED | _QCFAIL | _DUPLICATE
_SOFT_CLIP = 4
_HARD_CLIP = 5

# Fragment-length limit when the caller gives none: median + MAD_FACTOR x MAD of the region's
# proper-pair TLENs. A normal library's fragment lengths are unimodal with a tail of a few MADs,
# so 10 MADs leaves no normal fragment discordant while keeping the breakpoint intervals (whose
# width is about max_fragment) short. Never below MIN_MEDIAN_FACTOR x median, so a library with
# nearly fixed fragments (MAD 0) does not call a pair a few bases longer than usual discordant.
# With fewer than MIN_PROPER_PAIRS proper pairs the estimate is unreliable: FALLBACK_MAX_FRAGMENT
# (longer than the fragments of usual short-read DNA libraries, far shorter than any deletion
# that removes an exon's worth of bins) is used instead.
MAD_FACTOR = 10
# Clips shorter than this are ignored (the default min_clip).
MIN_CLIP = 10
MIN_MEDIAN_FACTOR = 1.5
MIN_PROPER_PAIRS = 30
FALLBACK_MAX_FRAGMENT = 1000
# Split reads whose SA tags name the same two breakpoints that make a deletion without any
# discordant pair: two reads agreeing to the base on both ends do not come by chance.
MIN_SA_READS = 2


@dataclass(frozen=True)
class DeletionJunction:
    """One deletion supported by read evidence (1-based coordinates).

    The deleted bases are ``left_end + 1 .. right_start - 1``. A side is *exact* when a clipped
    read placed it (then low == high == the estimate); otherwise its estimate is the middle of
    the interval the discordant pairs allow.
    """

    chrom: str
    left_end: int  # best estimate of the last retained base before the deletion
    right_start: int  # best estimate of the first retained base after it
    left_low: int  # the last retained base lies in [left_low, left_high]
    left_high: int
    right_low: int  # the first retained base lies in [right_low, right_high]
    right_high: int
    pairs: int  # discordant pairs supporting it
    split_reads: int  # clipped reads whose clip position is left_end or right_start
    left_split_reads: int  # of which right-clipped reads ending at left_end
    right_split_reads: int  # of which left-clipped reads starting at right_start
    left_exact: bool
    right_exact: bool
    max_fragment: int  # the fragment-length limit used for this region
    sa_reads: int = 0  # split reads whose SA tag names both breakpoints (left_end, right_start)

    @property
    def deleted_start(self) -> int:
        """First deleted base (S)."""
        return self.left_end + 1

    @property
    def deleted_end(self) -> int:
        """Last deleted base (E)."""
        return self.right_start - 1


@dataclass(frozen=True)
class _Mate:
    """What one read of a candidate pair tells: its own span and its mate's position."""

    start0: int  # 0-based first aligned base
    end: int  # 1-based last aligned base
    query_length: int
    mate_start0: int
    mate_aligned: int | None  # from the MC tag
    mate_mapq: int | None  # from the MQ tag


@dataclass(frozen=True, order=True)
class _Pair:
    """A candidate deletion pair in 1-based coordinates; `left_end_known` is False when the
    left read was not seen and its end is only assumed."""

    left_start: int
    right_start: int
    left_end: int
    right_end: int
    left_end_known: bool
    name: str


def estimate_max_fragment(proper_lengths: list[int]) -> int:
    """The fragment-length limit from proper-pair TLENs (see MAD_FACTOR above)."""
    if len(proper_lengths) < MIN_PROPER_PAIRS:
        return FALLBACK_MAX_FRAGMENT
    lengths = np.asarray(proper_lengths, dtype=np.float64)
    median = float(np.median(lengths))
    mad = float(np.median(np.abs(lengths - median)))
    return int(np.ceil(max(median + MAD_FACTOR * mad, MIN_MEDIAN_FACTOR * median)))


def _resolve_contig(alignments: pysam.AlignmentFile, chrom: str, source: str) -> str:
    """The header's name for internal `chrom` (``chr7`` or ``7``)."""
    internal = canonical_name(chrom)
    for candidate in (header_contig(internal, True), header_contig(internal, False)):
        if candidate in alignments.references:
            return candidate
    raise AlignmentFileError(
        f"{source}: no contig {header_contig(internal, True)} or "
        f"{header_contig(internal, False)} in the header"
    )


def _aligned_length_of_cigar(cigar: str) -> int | None:
    lengths = [n for op, n in parse_cigar(cigar) if op in REFERENCE_OPS]
    return sum(lengths) if lengths else None


def _mate_of(read: pysam.AlignedSegment) -> _Mate:
    mate_aligned = _aligned_length_of_cigar(str(read.get_tag("MC"))) if read.has_tag("MC") else None
    mate_mapq = int(read.get_tag("MQ")) if read.has_tag("MQ") else None
    return _Mate(
        start0=read.reference_start,
        end=read.reference_end,
        query_length=read.infer_query_length() or read.query_length,
        mate_start0=read.next_reference_start,
        mate_aligned=mate_aligned,
        mate_mapq=mate_mapq,
    )


@dataclass
class _RegionReads:
    """Everything one pass over the region collects."""

    proper_lengths: list[int]
    lefts: dict[str, _Mate]  # forward reads whose reverse mate lies to the right
    rights: dict[str, _Mate]  # reverse reads whose forward mate lies to the left
    rejected: set[str]  # names of primary records that failed the filters
    right_clips: Counter  # 1-based last aligned base of right-clipped reads -> reads
    left_clips: Counter  # 1-based first aligned base of left-clipped reads -> reads
    split_junctions: Counter = field(default_factory=Counter)  # (L, R) named by SA -> reads
    reads: int = 0  # primary reads that passed the filters
    read_bases: int = 0  # their query lengths, summed
    clipped_reads: int = 0  # of which clipped (soft or hard) by at least min_clip bases
    improper_reads: int = 0  # of which paired, mate mapped, not a proper pair (any contig)


def _scan(
    alignments: pysam.AlignmentFile, contig: str, start: int, end: int, min_mapq: int, min_clip: int
) -> _RegionReads:
    proper_lengths: list[int] = []
    lefts: dict[str, _Mate] = {}
    rights: dict[str, _Mate] = {}
    rejected: set[str] = set()
    right_clips: Counter = Counter()
    left_clips: Counter = Counter()
    region = _RegionReads(proper_lengths, lefts, rights, rejected, right_clips, left_clips)
    for read in alignments.fetch(contig, start - 1, end):
        flag = read.flag
        if flag & _NOT_PRIMARY:
            continue
        if flag & _FAILED_RECORD or read.mapping_quality < min_mapq:
            rejected.add(read.query_name)
            continue
        paired = flag & _PAIRED
        region.reads += 1
        region.read_bases += read.infer_read_length() or 0
        if paired and not flag & (_MATE_UNMAPPED | _PROPER_PAIR):
            region.improper_reads += 1
        if paired and (flag & _MATE_UNMAPPED or read.next_reference_id != read.reference_id):
            continue
        cigar = read.cigartuples
        if len(cigar) > 1:
            # A hard clip places the junction as exactly as a soft clip (the clipped bases are
            # only missing from SEQ); both together count once, by their sum.
            left_clip = _clipped_bases(cigar[:2])
            right_clip = _clipped_bases(cigar[:-3:-1])
            if left_clip >= min_clip:
                left_clips[read.reference_start + 1] += 1
            if right_clip >= min_clip:
                right_clips[read.reference_end] += 1
            region.clipped_reads += left_clip >= min_clip or right_clip >= min_clip
            if (left_clip >= min_clip or right_clip >= min_clip) and read.has_tag("SA"):
                named = _sa_junction(read, contig, left_clip, right_clip, min_mapq, min_clip)
                if named is not None:
                    region.split_junctions[named] += 1
                    if right_clip >= min_clip:  # the supplementary part starts at R
                        left_clips[named[1]] += 1
                    else:  # it ends at L
                        right_clips[named[0]] += 1
        if not paired:
            continue
        if flag & _PROPER_PAIR:
            tlen = read.template_length
            if tlen > 0:  # each proper pair once, through its leftmost mate
                proper_lengths.append(tlen)
            continue
        mate_start0 = read.next_reference_start
        read_start0 = read.reference_start
        if not flag & _REVERSE and flag & _MATE_REVERSE and mate_start0 > read_start0:
            lefts[read.query_name] = _mate_of(read)
        elif flag & _REVERSE and not flag & _MATE_REVERSE and mate_start0 < read_start0:
            rights[read.query_name] = _mate_of(read)
    return region


def _sa_junction(
    read: pysam.AlignedSegment,
    contig: str,
    left_clip: int,
    right_clip: int,
    min_mapq: int,
    min_clip: int,
) -> tuple[int, int] | None:
    """(L, R) of the deletion that a clipped read's first SA alignment names (module
    docstring), or None when it names none: another contig or strand, low MAPQ, or a
    geometry other than a deletion's."""
    first = str(read.get_tag("SA")).split(";", 1)[0].split(",")
    if len(first) < 6 or first[0] != contig or not first[1].isdigit() or not first[4].isdigit():
        return None
    if (first[2] == "-") != read.is_reverse or int(first[4]) < min_mapq:
        return None
    operations = parse_cigar(first[3])
    if not operations:
        return None
    start = int(first[1])
    end = start + reference_length(operations) - 1
    if right_clip >= min_clip and _end_clip(operations) >= min_clip and start > read.reference_end:
        return read.reference_end, start
    if left_clip >= min_clip and _end_clip(operations[::-1]) >= min_clip:
        if end < read.reference_start + 1:
            return end, read.reference_start + 1
    return None


def _end_clip(operations: list[tuple[str, int]]) -> int:
    """Bases clipped (soft or hard) at the end of a parsed CIGAR that `operations` start at."""
    clipped = 0
    for operation, length in operations:
        if operation not in "SH":
            break
        clipped += length
    return clipped


def _clipped_bases(ends: list[tuple[int, int]]) -> int:
    """Bases clipped at one end of a read, given its CIGAR operations from that end inwards
    (a hard clip may stand outside a soft clip)."""
    clipped = 0
    for operation, length in ends:
        if operation not in (_SOFT_CLIP, _HARD_CLIP):
            break
        clipped += length
    return clipped


def _pairs(reads: _RegionReads, min_mapq: int) -> list[_Pair]:
    """Join left and right reads into pairs; a mate outside the region is reconstructed from
    RNEXT/PNEXT (and MC/MQ when present)."""
    pairs: list[_Pair] = []
    for name, left in reads.lefts.items():
        if name in reads.rejected:
            continue
        right = reads.rights.get(name)
        if right is not None:
            pairs.append(_Pair(left.start0 + 1, right.start0 + 1, left.end, right.end, True, name))
            continue
        if left.mate_mapq is not None and left.mate_mapq < min_mapq:
            continue
        mate_length = left.mate_aligned or left.query_length
        right_start = left.mate_start0 + 1
        pairs.append(
            _Pair(left.start0 + 1, right_start, left.end, right_start + mate_length - 1, True, name)
        )
    for name, right in reads.rights.items():
        if name in reads.lefts or name in reads.rejected:
            continue
        if right.mate_mapq is not None and right.mate_mapq < min_mapq:
            continue
        known = right.mate_aligned is not None
        mate_length = right.mate_aligned or right.query_length
        left_start = right.mate_start0 + 1
        pairs.append(
            _Pair(
                left_start, right.start0 + 1, left_start + mate_length - 1, right.end, known, name
            )
        )
    return pairs


def _cluster(pairs: list[_Pair], max_fragment: int) -> list[list[_Pair]]:
    """Group pairs whose left starts and right starts both lie within max_fragment of the
    cluster's first pair (pairs of one deletion start within max_fragment of its breakpoints)."""
    clusters: list[list[_Pair]] = []
    for candidate in sorted(pairs):
        for cluster in clusters:
            anchor = cluster[0]
            if (
                candidate.left_start - anchor.left_start <= max_fragment
                and abs(candidate.right_start - anchor.right_start) <= max_fragment
            ):
                cluster.append(candidate)
                break
        else:
            clusters.append([candidate])
    return clusters


def _best_clip(clips: Counter, low: int, high: int, anchor: int) -> tuple[int, int] | None:
    """(position, reads) of the most supported clip in [low, high]; ties: nearest `anchor`,
    then the smaller position."""
    best = None
    best_key = None
    for position, count in clips.items():
        if low <= position <= high:
            key = (-count, abs(position - anchor), position)
            if best_key is None or key < best_key:
                best, best_key = (position, count), key
    return best


def _junction(
    chrom: str, cluster: list[_Pair], reads: _RegionReads, max_fragment: int, overshoot: int
) -> DeletionJunction:
    # What is certain: L is at or after every known left-read end (or at least a left read's
    # first base), R at or before every right read's first base. What follows from
    # max_fragment: the tumour fragment (left start .. L, R .. right end) is no longer.
    # An aligner that clips nothing (end-to-end mode) aligns a read across the junction whole
    # on its majority side, up to half its length past L (or before R): then only that much
    # less is certain (`overshoot`, end_to_end_overshoot).
    left_low = max(p.left_end if p.left_end_known else p.left_start for p in cluster) - overshoot
    right_high = min(p.right_start for p in cluster) + overshoot
    left_high = min(p.left_start - 1 + max_fragment - (p.right_end - p.right_start + 1)
                    for p in cluster)  # fmt: skip
    right_low = max(p.right_end + 1 - max_fragment + (p.left_end - p.left_start + 1)
                    for p in cluster)  # fmt: skip
    # a deletion removes at least one base; geometry that contradicts max_fragment (a fragment
    # longer than the limit) keeps the certain bound
    left_high = max(min(left_high, right_high - 2), left_low)
    right_low = min(max(right_low, left_low + 2), right_high)

    left_clip = _best_clip(reads.right_clips, left_low, left_high, left_low)
    right_clip = _best_clip(reads.left_clips, right_low, right_high, right_high)
    if left_clip is not None:
        left_end = left_low = left_high = left_clip[0]
    else:
        left_end = (left_low + left_high) // 2
    if right_clip is not None:
        right_start = right_low = right_high = right_clip[0]
    else:
        right_start = (right_low + right_high + 1) // 2
    left_split = left_clip[1] if left_clip else 0
    right_split = right_clip[1] if right_clip else 0
    return DeletionJunction(
        chrom=chrom,
        left_end=left_end,
        right_start=right_start,
        left_low=left_low,
        left_high=left_high,
        right_low=right_low,
        right_high=right_high,
        pairs=len(cluster),
        split_reads=left_split + right_split,
        left_split_reads=left_split,
        right_split_reads=right_split,
        left_exact=left_clip is not None,
        right_exact=right_clip is not None,
        max_fragment=max_fragment,
    )


def _with_split_junctions(
    chrom: str, junctions: list[DeletionJunction], reads: _RegionReads, max_fragment: int
) -> list[DeletionJunction]:
    """The pair clusters' junctions with their SA-named split reads counted, and a junction
    for every (L, R) that MIN_SA_READS split reads name and no cluster does."""
    named = {(j.left_end, j.right_start) for j in junctions}
    out = [
        replace(j, sa_reads=reads.split_junctions.get((j.left_end, j.right_start), 0))
        for j in junctions
    ]
    for (left_end, right_start), count in sorted(reads.split_junctions.items()):
        if count < MIN_SA_READS or (left_end, right_start) in named:
            continue
        left_split, right_split = reads.right_clips[left_end], reads.left_clips[right_start]
        out.append(
            DeletionJunction(
                chrom=chrom, left_end=left_end, right_start=right_start, left_low=left_end,
                left_high=left_end, right_low=right_start, right_high=right_start, pairs=0,
                split_reads=left_split + right_split, left_split_reads=left_split,
                right_split_reads=right_split, left_exact=True, right_exact=True,
                max_fragment=max_fragment, sa_reads=count,
            )
        )  # fmt: skip
    return out


def end_to_end_overshoot(profile: ReadProfile) -> int:
    """Half the mean read length when the region's reads show no clipping, else 0: how far an
    end-to-end aligner may align a read past a junction."""
    if not profile.measured or profile.shows_clips:
        return 0
    return int(profile.read_length // 2)


def deletion_junctions(
    alignment_file: str | Path | pysam.AlignmentFile,
    chrom: str,
    start: int,
    end: int,
    *,
    min_mapq: int = 20,
    min_pairs: int = 2,
    min_clip: int = MIN_CLIP,
    max_fragment: int | None = None,
    reference_fasta: str | None = None,
) -> list[DeletionJunction]:
    """Deletions with read evidence in ``chrom:start-end`` (1-based, inclusive) of an indexed,
    coordinate-sorted paired-end BAM/CRAM (a path, or an open pysam AlignmentFile, which is left
    open). See the module docstring for the evidence and how it is combined.

    `chrom` is the internal name (``chr7``); the header may call it ``7``. Reads count when
    mapped, primary, not duplicate, QC-passed, of mapping quality >= `min_mapq`, with the mate
    mapped on the same contig. Clips shorter than `min_clip` bases are ignored; clusters of
    fewer than `min_pairs` discordant pairs are dropped. `max_fragment` (bp) is the longest
    normal fragment, estimated from the region's proper pairs when None (`estimate_max_fragment`:
    median + 10 MAD of their TLEN, at least 1.5 x median; 1,000 bp with fewer than 30 pairs).

    Returns the junctions sorted by position; the same input always gives the same list.
    """
    return window_evidence(
        alignment_file, chrom, start, end, min_mapq=min_mapq, min_pairs=min_pairs,
        min_clip=min_clip, max_fragment=max_fragment, reference_fasta=reference_fasta,
    ).junctions  # fmt: skip


# A sample "shows" clipped reads or improper pairs when at least this share of its reads, and
# MIN_ARTEFACT_READS of them, are so. Local aligners (BWA-MEM, minimap2) clip about 1-5% of
# reads and leave about 1% in improper pairs; an end-to-end aligner clips none, and a BAM
# filtered to proper pairs (`samtools view -f 2`) keeps none.
MIN_ARTEFACT_SHARE = 1e-4
MIN_ARTEFACT_READS = 3


@dataclass(frozen=True)
class ReadProfile:
    """What a sample's reads show of its aligner and library over the windows read: reads,
    clipped reads, reads in improper pairs, and the scattered clips and discordant pairs that
    no second read supports (the background a junction's reads are counted against)."""

    reads: int = 0
    read_bases: int = 0
    clipped_reads: int = 0
    improper_reads: int = 0
    bases: int = 0  # length of the windows read
    lone_clips: int = 0  # clip positions with a single read
    lone_discordant: int = 0  # discordant pairs clustered with no other

    def __add__(self, other: ReadProfile) -> ReadProfile:
        return ReadProfile(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @classmethod
    def of(cls, evidence: Mapping) -> ReadProfile:
        """A sample's profile over all its windows (gene -> WindowEvidence)."""
        return sum((found.profile for found in evidence.values()), cls())

    def _shows(self, count: int) -> bool:
        return count >= max(MIN_ARTEFACT_READS, MIN_ARTEFACT_SHARE * self.reads)

    @property
    def measured(self) -> bool:
        """Whether any read was profiled (evidence built by hand has none)."""
        return self.reads > 0

    @property
    def shows_clips(self) -> bool:
        """The aligner clips reads (soft or hard), so a junction leaves split reads."""
        return not self.measured or self._shows(self.clipped_reads)

    @property
    def shows_improper_pairs(self) -> bool:
        """Improper pairs were kept, so a junction leaves discordant pairs."""
        return not self.measured or self._shows(self.improper_reads)

    @property
    def read_length(self) -> float:
        return self.read_bases / self.reads if self.reads else float("nan")

    def clips_per_read(self) -> float:
        """Background clips per read (NaN when nothing was profiled). Per read, not per base
        of the windows: on a panel the reads lie on the tiles, not spread over the windows."""
        return self.lone_clips / self.reads if self.reads else float("nan")

    def discordant_per_read(self) -> float:
        """Background discordant reads per read (each lone pair counted at its two reads)."""
        return 2.0 * self.lone_discordant / self.reads if self.reads else float("nan")

    def describe(self) -> str:
        share = (lambda n: f"{100.0 * n / self.reads:.2f}%") if self.reads else (lambda n: "-")
        return (
            f"{self.reads} reads, {share(self.clipped_reads)} clipped, "
            f"{share(self.improper_reads)} in improper pairs"
        )


@dataclass(frozen=True)
class WindowEvidence:
    """One pass over a region: its deletion junctions and the raw junction evidence."""

    junctions: list[DeletionJunction]
    clip_positions: tuple[int, ...]  # sorted: last aligned base of right clips, first of left
    discordant: tuple[tuple[int, int], ...]  # (left read start, right read end) per pair
    median_fragment: float  # of the region's proper pairs (NaN without any)
    max_fragment: int
    profile: ReadProfile = ReadProfile()
    # (position, reads) of the clips by direction: right clips at the read's last aligned
    # base (where a deletion's left side ends), left clips at its first (where it resumes)
    right_clips: tuple[tuple[int, int], ...] = ()
    left_clips: tuple[tuple[int, int], ...] = ()

    def reads_near(self, start: int, end: int) -> int:
        """Clipped reads whose clip lies in [start, end], plus discordant pairs with a read
        within a fragment of it: the reads a deletion breaking there would leave."""
        clips = np.asarray(self.clip_positions, dtype=np.int64)
        n = int(np.searchsorted(clips, end, side="right") - np.searchsorted(clips, start))
        reach = self.max_fragment
        n += sum(
            1
            for left, right in self.discordant
            if start - reach <= left <= end + reach or start - reach <= right <= end + reach
        )
        return n

    def largest_pile(self, start: int, end: int, side: str) -> int:
        """The most reads clipped at one base in [start, end], right clips (``side`` "left":
        a deletion's left edge) or left clips ("right")."""
        clips = self.right_clips if side == "left" else self.left_clips
        return max((n for position, n in clips if start <= position <= end), default=0)

    def pairs_spanning(self, start: int, end: int) -> int:
        """Discordant pairs whose reads lie on either side of [start, end]: the pairs a
        deletion containing it would leave, wherever its breakpoints lie."""
        return sum(1 for left, right in self.discordant if left < start and right > end)


def window_evidence(
    alignment_file: str | Path | pysam.AlignmentFile,
    chrom: str,
    start: int,
    end: int,
    *,
    min_mapq: int = 20,
    min_pairs: int = 1,
    min_clip: int = MIN_CLIP,
    max_fragment: int | None = None,
    reference_fasta: str | None = None,
) -> WindowEvidence:
    """`deletion_junctions` over ``chrom:start-end`` with the evidence it saw (one pass)."""
    if not all(isinstance(v, Integral) for v in (start, end)) or not 1 <= start <= end:
        raise ValueError(
            f"region {chrom}:{start}-{end}: expected 1-based integers with 1 <= start <= end"
        )
    start, end = int(start), int(end)
    if max_fragment is not None and (isinstance(max_fragment, bool) or max_fragment < 1):
        raise ValueError(f"max_fragment must be a positive number of bases, got {max_fragment!r}")
    if min_pairs < 1:
        raise ValueError(f"min_pairs must be at least 1, got {min_pairs!r}")
    settings = (min_mapq, min_pairs, min_clip, max_fragment)
    if isinstance(alignment_file, pysam.AlignmentFile):
        source = str(alignment_file.filename, "utf-8", "replace")
        return _evidence_in(alignment_file, source, chrom, start, end, *settings)
    with open_alignment_file(alignment_file, reference_fasta) as alignments:
        return _evidence_in(alignments, str(alignment_file), chrom, start, end, *settings)


def _evidence_in(
    alignments: pysam.AlignmentFile,
    source: str,
    chrom: str,
    start: int,
    end: int,
    min_mapq: int,
    min_pairs: int,
    min_clip: int,
    max_fragment: int | None,
) -> WindowEvidence:
    contig = _resolve_contig(alignments, chrom, source)
    end = min(end, alignments.get_reference_length(contig))
    reads = _scan(alignments, contig, start, end, min_mapq, min_clip)
    if max_fragment is None:
        max_fragment = estimate_max_fragment(reads.proper_lengths)
    discordant = [
        p for p in _pairs(reads, min_mapq) if p.right_end - p.left_start + 1 > max_fragment
    ]
    internal = canonical_name(chrom)
    clusters = _cluster(discordant, max_fragment)
    profile = ReadProfile(
        reads=reads.reads,
        read_bases=reads.read_bases,
        clipped_reads=reads.clipped_reads,
        improper_reads=reads.improper_reads,
        bases=end - start + 1,
        lone_clips=sum(
            n == 1 for clips in (reads.right_clips, reads.left_clips) for n in clips.values()
        ),
        lone_discordant=sum(len(cluster) == 1 for cluster in clusters),
    )
    overshoot = end_to_end_overshoot(profile)
    junctions = [
        _junction(internal, cluster, reads, max_fragment, overshoot)
        for cluster in clusters
        if len(cluster) >= min_pairs
    ]
    junctions = _with_split_junctions(internal, junctions, reads, max_fragment)
    junctions = sorted(
        junctions, key=lambda j: (j.left_end, j.right_start, j.left_low, j.right_high)
    )
    clips = sorted([*reads.right_clips.elements(), *reads.left_clips.elements()])
    return WindowEvidence(
        junctions=junctions,
        clip_positions=tuple(clips),
        discordant=tuple((p.left_start, p.right_end) for p in discordant),
        median_fragment=float(np.median(reads.proper_lengths))
        if reads.proper_lengths
        else float("nan"),
        max_fragment=int(max_fragment),
        profile=profile,
        right_clips=tuple(sorted(reads.right_clips.items())),
        left_clips=tuple(sorted(reads.left_clips.items())),
    )

"""Chimeric RNA reads for the simulated BAMs: fusion transcripts and the noise a caller must resist.

A fusion joins the 5' gene's main-transcript exons 1..`five_exon` to the 3' gene's exons
`three_exon`..last. Only the fragments that cross the junction are drawn (`fragments` of them,
Poisson; the rest of the fusion transcript looks like either gene's own reads): the fragment's
start is uniform over the offsets that put the junction inside it. A mate crossing the junction by
at least `chimeric_min` bases on each side is written as STAR writes chimeric alignments within
the BAM: the longer part as the primary alignment, soft-clipped at the junction, the shorter as a
supplementary alignment (flag 0x800), hard-clipped, each with an `SA` tag naming the other; a
mate crossing by less is soft-clipped only. Mates in the two genes are an improper pair.

Noise, per sample, drawn from the same generator:

- read-through: split reads and pairs joining a scanned gene's last exon to the first base of the
  next gene downstream on the same strand (polymerase read-through between neighbours);
- paralog noise: split reads from a scanned gene to a random locus whose segment has mapping
  quality below 4 (a multi-mapping segment, as in repeat and paralog families);
- random chimeras: single split reads joining two random genes at random bases (library
  artefacts).

None of them is a fusion; a caller that reports one is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ikaros.genome import header_contig

TRUTH_FUSION_COLUMNS = (
    "patient_id",
    "fusion",
    "five_prime",
    "five_exon",
    "three_prime",
    "three_exon",
    "subtype",
    "subclass",
    "cell_fraction",
    "fragments",
)
MIN_SPLICE_ANCHOR = 8  # as the RNA simulator's spliced reads
RECORD_COLUMNS = (
    "qname", "flag", "rname", "pos", "mapq", "cigar", "rnext", "pnext", "tlen", "tag1", "tag2",
)  # fmt: skip


@dataclass(frozen=True)
class FusionNoise:
    readthrough_events: int = 1  # read-through gene pairs per sample
    readthrough_fragments: float = 6.0
    paralog_events: int = 2
    paralog_fragments: float = 6.0
    random_chimeras: int = 5  # single-read artefacts per sample
    paralog_mapq: int = 1


@dataclass(frozen=True)
class Part:
    """One gene's share of a fusion transcript: exons in transcription order."""

    chrom: str
    strand: str
    exons: tuple[tuple[int, int], ...]

    @property
    def length(self) -> int:
        return sum(e - s + 1 for s, e in self.exons)

    def genomic(self, first: int, last: int) -> list[tuple[int, int]]:
        """Ascending genomic blocks of part offsets [first, last) (0-based, transcription
        order)."""
        blocks, offset = [], 0
        for start, end in self.exons:
            size = end - start + 1
            lo, hi = max(first, offset), min(last, offset + size)
            if lo < hi:
                if self.strand == "+":
                    blocks.append((start + lo - offset, start + hi - offset - 1))
                else:
                    blocks.append((end - (hi - offset) + 1, end - (lo - offset)))
            offset += size
        return sorted(blocks)


def _cigar(blocks: list[tuple[int, int]], clip_left: str, clip_right: str) -> str:
    text = clip_left
    for i, (start, end) in enumerate(blocks):
        if i:
            text += f"{start - blocks[i - 1][1] - 1}N"
        text += f"{end - start + 1}M"
    return text + clip_right


def fusion_parts(models: pd.DataFrame, row) -> tuple[Part, Part]:
    def main_exons(gene: str) -> pd.DataFrame:
        rows = models[models["gene"] == gene]
        if rows.empty:
            raise ValueError(f"fusion {row.fusion}: gene {gene} has no transcript model")
        return rows[rows["transcript"] == rows["transcript"].iloc[0]].sort_values("exon")

    five, three = main_exons(row.five_prime), main_exons(row.three_prime)
    five = five[five["exon"] <= int(row.five_exon)]
    three = three[three["exon"] >= int(row.three_exon)]
    if five.empty or three.empty:
        raise ValueError(f"fusion {row.fusion}: exon {row.five_exon} or {row.three_exon} unknown")

    def part(rows: pd.DataFrame) -> Part:
        exons = tuple((int(s), int(e)) for s, e in zip(rows["start"], rows["end"], strict=True))
        return Part(str(rows["chrom"].iloc[0]), str(rows["strand"].iloc[0]), exons)

    return part(five), part(three)


class ChimericWriter:
    """Collects SAM records of chimeric fragments (RECORD_COLUMNS)."""

    def __init__(self, sample_id: str, chr_prefix: bool, read_length: int, mapq: int):
        self.sample_id, self.chr_prefix = sample_id, chr_prefix
        self.read_length, self.mapq = read_length, mapq
        self.rows: list[tuple] = []
        self.serial = 0

    def contig(self, chrom: str) -> str:
        return header_contig(chrom, self.chr_prefix)

    def fragment(
        self,
        five: Part,
        three: Part,
        start: int,
        insert: int,
        chimeric_min: int,
        mapq_three: int | None = None,
        tag: str = "fusion",
    ) -> None:
        """One fragment over the joined transcript five+three, offsets [start, start+insert)."""
        self.serial += 1
        name = f"{self.sample_id}.{tag}{self.serial}"
        junction = five.length
        length = self.read_length
        mates = ((start, start + length, True), (start + insert - length, start + insert, False))
        read1_left = self.serial % 2 == 1
        alignments = []  # per mate: list of (part, blocks, clip_left, clip_right, mapq, primary)
        for first, last, forward in mates:
            alignments.append(self._mate(five, three, junction, first, last, forward,
                                         chimeric_min, mapq_three))  # fmt: skip
        primaries = [next(a for a in mate if a["primary"]) for mate in alignments]
        for index, mate in enumerate(alignments):
            other = primaries[1 - index]
            first_in_pair = read1_left if index == 0 else not read1_left
            for alignment in mate:
                flag = 0x1 | (0x40 if first_in_pair else 0x80)
                flag |= 0x10 if alignment["reverse"] else 0
                flag |= 0x20 if other["reverse"] else 0
                flag |= 0 if alignment["primary"] else 0x800
                partner = [a for a in mate if a is not alignment]
                tag2 = "HI:i:1"
                if partner:
                    p = partner[0]
                    tag2 = (
                        f"SA:Z:{p['rname']},{p['pos']},{'-' if p['reverse'] else '+'},"
                        f"{p['sa_cigar']},{p['mapq']},0;"
                    )
                same = other["rname"] == alignment["rname"]
                self.rows.append(
                    (name, flag, alignment["rname"], alignment["pos"], alignment["mapq"],
                     alignment["cigar"], "=" if same else other["rname"], other["pos"], 0,
                     "NH:i:1", tag2)
                )  # fmt: skip

    def _mate(self, five, three, junction, first, last, forward, chimeric_min, mapq_three):
        pieces = []
        if first < junction:
            pieces.append((five, first, min(last, junction), "five"))
        if last > junction:
            pieces.append((three, max(first, junction) - junction, last - junction, "three"))
        if len(pieces) == 2 and min(p[2] - p[1] for p in pieces) < chimeric_min:
            pieces = [max(pieces, key=lambda p: p[2] - p[1])]  # a short overhang is clipped
        total = last - first
        result = []
        main = max(range(len(pieces)), key=lambda i: pieces[i][2] - pieces[i][1])
        for index, (part, lo, hi, role) in enumerate(pieces):
            blocks = part.genomic(lo, hi)
            # an overhang of a few bases across an exon junction is soft-clipped, as aligners do
            trim_left = blocks[0][1] - blocks[0][0] + 1 if len(blocks) > 1 else 0
            trim_right = blocks[-1][1] - blocks[-1][0] + 1 if len(blocks) > 1 else 0
            extra_left = trim_left if 0 < trim_left < MIN_SPLICE_ANCHOR else 0
            extra_right = trim_right if 0 < trim_right < MIN_SPLICE_ANCHOR else 0
            if extra_left:
                blocks = blocks[1:]
            if extra_right and len(blocks) > 1:
                blocks = blocks[:-1]
            else:
                extra_right = 0
            clipped = total - (hi - lo)
            # the junction lies at the part's transcription 3' end (five) or 5' end (three)
            junction_right = (role == "five") == (part.strand == "+")
            primary = index == main
            letter = "S" if primary else "H"
            # the junction side's clip (hard in a supplementary alignment) takes in any
            # overhang trimmed on that side; an overhang on the other side is a soft clip
            left_clip = (0 if junction_right else clipped) + extra_left
            right_clip = (clipped if junction_right else 0) + extra_right
            left_letter = letter if (clipped and not junction_right) else "S"
            right_letter = letter if (clipped and junction_right) else "S"
            left = f"{left_clip}{left_letter}" if left_clip else ""
            right = f"{right_clip}{right_letter}" if right_clip else ""
            cigar = _cigar(blocks, left, right)
            reverse = forward != (part.strand == "+")
            mapq = mapq_three if (role == "three" and mapq_three is not None) else self.mapq
            result.append(
                {
                    "rname": self.contig(part.chrom),
                    "pos": blocks[0][0],
                    "cigar": cigar,
                    "sa_cigar": cigar.replace("H", "S"),
                    "reverse": reverse,
                    "mapq": mapq,
                    "primary": primary,
                }
            )
        return result

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(RECORD_COLUMNS))


def _fragment_starts(rng, count, junction, total, insert_mean, insert_sd, read_length):
    inserts = np.rint(rng.normal(insert_mean, insert_sd, count)).astype(np.int64)
    inserts = np.clip(inserts, read_length + 1, None)
    low = np.maximum(0, junction - inserts + 1)
    high = np.minimum(junction - 1, total - inserts)
    keep = high >= low
    starts = low + np.floor(rng.random(count) * (high - low + 1)).astype(np.int64)
    return starts[keep], inserts[keep]


def add_fusion_fragments(
    writer: ChimericWriter,
    fusions: pd.DataFrame,
    models: pd.DataFrame,
    rng: np.random.Generator,
    library: float,
    insert_mean: float,
    insert_sd: float,
    chimeric_min: int = 12,
) -> None:
    """The junction-crossing fragments of each truth fusion of the patient."""
    for row in fusions.itertuples(index=False):
        five, three = fusion_parts(models, row)
        count = int(rng.poisson(float(row.fragments) * library))
        _junction_fragments(writer, five, three, count, rng, (insert_mean, insert_sd),
                            chimeric_min=chimeric_min)  # fmt: skip


def _junction_fragments(
    writer, five, three, count, rng, spread, chimeric_min: int = 12, **options
) -> None:
    """`count` fragments across the five/three junction (fewer where they do not fit)."""
    starts, inserts = _fragment_starts(
        rng, count, five.length, five.length + three.length, *spread, writer.read_length
    )
    for start, insert in zip(starts.tolist(), inserts.tolist(), strict=True):
        writer.fragment(five, three, start, insert, chimeric_min, **options)


def _next_downstream(genes: pd.DataFrame, gene: pd.Series) -> pd.Series | None:
    same = genes[(genes["chrom"] == gene["chrom"]) & (genes["strand"] == gene["strand"])]
    if gene["strand"] == "+":
        after = same[same["start"] > gene["end"]].sort_values("start")
    else:
        after = same[same["end"] < gene["start"]].sort_values("end", ascending=False)
    return None if after.empty else after.iloc[0]


def _locus_part(gene: pd.Series, offset: int, size: int = 2000) -> Part:
    """A stretch of `size` bases of a gene's genomic sequence from its 5' end + `offset`."""
    if gene["strand"] == "+":
        start = int(gene["start"]) + offset
        return Part(str(gene["chrom"]), "+", ((start, start + size - 1),))
    end = int(gene["end"]) - offset
    return Part(str(gene["chrom"]), "-", ((end - size + 1, end),))


def add_noise_fragments(
    writer: ChimericWriter,
    noise: FusionNoise,
    scanned: list[str],
    models: pd.DataFrame,
    genes: pd.DataFrame,
    rng: np.random.Generator,
    insert_mean: float,
    insert_sd: float,
) -> None:
    """Read-through, paralog and random chimeric fragments (see the module docstring)."""
    spread = (insert_mean, insert_sd)
    coding = genes[genes["type"] == "protein_coding"].reset_index(drop=True)
    modelled = [g for g in scanned if (models["gene"] == g).any()]
    by_name = coding.set_index("gene", drop=False)

    def whole_part(name: str) -> Part:
        rows = models[models["gene"] == name]
        rows = rows[rows["transcript"] == rows["transcript"].iloc[0]].sort_values("exon")
        exons = tuple((int(s), int(e)) for s, e in zip(rows["start"], rows["end"], strict=True))
        return Part(str(rows["chrom"].iloc[0]), str(rows["strand"].iloc[0]), exons)

    for _ in range(noise.readthrough_events):
        name = modelled[int(rng.integers(len(modelled)))]
        if name not in by_name.index:
            continue
        neighbour = _next_downstream(coding, by_name.loc[name])
        if neighbour is None:
            continue
        five, three = whole_part(name), _locus_part(neighbour, 0)
        count = int(rng.poisson(noise.readthrough_fragments))
        _junction_fragments(writer, five, three, count, rng, spread, tag="readthrough")
    for _ in range(noise.paralog_events):
        five = whole_part(modelled[int(rng.integers(len(modelled)))])
        other = coding.iloc[int(rng.integers(len(coding)))]
        three = _locus_part(other, 0)
        count = int(rng.poisson(noise.paralog_fragments))
        _junction_fragments(writer, five, three, count, rng, spread, tag="paralog",
                            mapq_three=noise.paralog_mapq)  # fmt: skip
    for _ in range(noise.random_chimeras):
        five = whole_part(modelled[int(rng.integers(len(modelled)))])
        cut = int(rng.integers(30, max(31, five.length - 30)))
        five = Part(five.chrom, five.strand, tuple(_trim(five, cut)))
        other = coding.iloc[int(rng.integers(len(coding)))]
        three = _locus_part(other, int(rng.integers(0, 500)))
        _junction_fragments(writer, five, three, 1, rng, spread, tag="artefact")


def _trim(part: Part, length: int) -> list[tuple[int, int]]:
    """The first `length` transcript bases of a part, as exons (a junction inside an exon)."""
    exons, left = [], length
    for start, end in part.exons:
        size = end - start + 1
        if left <= 0:
            break
        if size <= left:
            exons.append((start, end))
        elif part.strand == "+":
            exons.append((start, start + left - 1))
        else:
            exons.append((end - left + 1, end))
        left -= size
    return exons

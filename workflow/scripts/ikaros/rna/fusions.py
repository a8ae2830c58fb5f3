"""Gene fusions from an RNA BAM/CRAM: chimeric split reads and spanning pairs of known partners.

Each gene named in the partner table (resources/fusion_partners.tsv) is fetched once through the
index over its span; nothing else of the BAM is read. A fusion is seen from its named gene:

- a **split read** carries an `SA` tag (STAR `--chimOutType WithinBAM`, BWA-MEM, minimap2 and
  HISAT2 all write one) whose other segment lies in another gene of the genome-wide gene table.
  Each segment is clipped at the junction; the side of the clip says which part of its gene the
  segment keeps, and with the gene's strand whether the gene is the 5' or the 3' partner
  (a segment keeping the part left of the junction is 5' in a plus-strand gene, 3' in a
  minus-strand gene). The breakpoint is the segment's last (or first) aligned base.
- a **spanning pair** has its mates in two genes, neither read split; the strands of the mates
  give the same 5'/3' reading.

A fragment (query name) counts once, as split if any of its reads is split. Evidence is kept
only where both segments (or mates) have mapping quality >= `min_mapq` and split segments align
>= `min_anchor` bases (paralogous and repeat loci, where chimeric alignments are mostly wrong,
fall below), the orientation is that of a sense fusion, and the pair is not a read-through: two
genes on the same strand, the 5' one upstream, within `readthrough_distance` or with no gene of
that strand between them, are transcribed across the gap by polymerase read-through, unless the
pair is listed (P2RY8::CRLF2 is an interstitial PAR1 deletion and looks alike). The pair must
match a row of the partner table.

A call is one gene pair: its split and spanning fragments, the breakpoint with the most split
fragments (genome and, where the gene has a model, main-transcript exon), the other breakpoints,
the reading frame from the coding spans of the two models, and a confidence:

- high: >= `high_split` split fragments at the main breakpoint, both ends at exon boundaries
  where models exist, and at least one spanning pair (or >= 2 x `high_split` split fragments);
- medium: >= `min_split` split fragments at the main breakpoint, or a breakpoint at exon
  boundaries on both sides with spanning pairs;
- a pair below medium is not reported, nor one with spanning pairs only (below
  `min_spanning_only`, whose breakpoint stays unknown).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.alignment_files import open_alignment_file, parse_cigar, reference_length
from ikaros.genome import header_contig, verify_header_build
from ikaros.rna.gene_table import Gene, GeneLocator
from ikaros.rna.models import GeneModel
from ikaros.subtype_names import PH_LIKE_CLASSES, SUBTYPES
from ikaros.tables import read_tsv, write_table

log = logging.getLogger(__name__)

PARTNER_COLUMNS = ("five_prime", "three_prime", "subtype", "subclass", "source")
ANY = "*"
IG_LOCI = ("IGH", "IGK", "IGL")
FUSION_COLUMNS = (
    "sample_id",
    "fusion",
    "five_prime",
    "three_prime",
    "subtype",
    "subclass",
    "five_chrom",
    "five_breakpoint",
    "five_exon",
    "three_chrom",
    "three_breakpoint",
    "three_exon",
    "split_reads",
    "spanning_pairs",
    "breakpoint_split_reads",
    "other_breakpoints",
    "reading_frame",
    "breakpoint_name",
    "confidence",
    "source",
)
# unmapped, secondary, QC fail, duplicate (supplementary segments are the point here)
SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400
_QUERY_OPS = frozenset("MIS=X")


@dataclass(frozen=True)
class FusionSettings:
    min_mapq: int = 10
    min_anchor: int = 12  # aligned bases of each split segment (STAR chimSegmentMin default)
    min_clip: int = 10  # a segment clipped by less is not at a junction
    min_split: int = 2
    high_split: int = 3
    min_spanning_only: int = 1_000_000  # spanning pairs alone never make a call by default
    readthrough_distance: int = 200_000


@dataclass(frozen=True)
class Segment:
    gene: Gene
    chrom: str
    breakpoint: int | None  # 1-based junction base of a split segment; None for a mate
    side: str  # "left": the segment keeps the part left of the junction; "right"
    mapq: int
    aligned: int


@dataclass
class PairEvidence:
    five: str
    three: str
    split: dict[str, tuple[int, int]] = field(default_factory=dict)  # fragment -> breakpoints
    spanning: set[str] = field(default_factory=set)


def read_partner_table(path: str | Path) -> pd.DataFrame:
    table = read_tsv(
        path, PARTNER_COLUMNS, "fusion-partner table", comment="#", dtype=str,
        keep_default_na=False,
    )  # fmt: skip
    bad = ~table["subtype"].isin(SUBTYPES)
    bad |= (table["subclass"] != "") & ~table["subclass"].isin(PH_LIKE_CLASSES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{path}: data row {row + 1} ({table['five_prime'].iloc[row]}::"
            f"{table['three_prime'].iloc[row]}): subtype must be one of {', '.join(SUBTYPES)} "
            f"and subclass empty or one of {', '.join(PH_LIKE_CLASSES)}"
        )
    return table.loc[:, list(PARTNER_COLUMNS)]


def match_partner(partners: pd.DataFrame, five: str, three: str) -> pd.Series | None:
    """The first partner-table row naming this 5'::3' pair (`*` matches any gene)."""
    for _, row in partners.iterrows():
        if row["five_prime"] in (five, ANY) and row["three_prime"] in (three, ANY):
            if row["five_prime"] == ANY and row["three_prime"] == ANY:
                continue
            return row
    return None


def scanned_genes(partners: pd.DataFrame) -> list[str]:
    """The named genes of the partner table, in table order (the IG loci are seen from their
    partners, never fetched: they hold most of a B cell's reads)."""
    names = pd.concat([partners["five_prime"], partners["three_prime"]])
    return [g for g in dict.fromkeys(names) if g != ANY and g not in IG_LOCI]


def _clips(cigar: list[tuple[str, int]]) -> tuple[int, int]:
    left = cigar[0][1] if cigar and cigar[0][0] in "SH" else 0
    right = cigar[-1][1] if len(cigar) > 1 and cigar[-1][0] in "SH" else 0
    return left, right


def _split_segment(
    gene: Gene, chrom: str, start: int, cigar: list[tuple[str, int]], mapq: int, minimum: int
) -> Segment | None:
    """The junction side of an alignment at `start` (1-based): the end clipped by more."""
    left, right = _clips(cigar)
    if max(left, right) < minimum:
        return None
    reference = reference_length(cigar)
    aligned = sum(n for op, n in cigar if op in "M=X")
    if right >= left:
        return Segment(gene, chrom, start + reference - 1, "left", mapq, aligned)
    return Segment(gene, chrom, start, "right", mapq, aligned)


def is_five_prime(segment: Segment) -> bool:
    return (segment.side == "left") == (segment.gene.strand == "+")


def orient(a: Segment, b: Segment) -> tuple[Segment, Segment] | None:
    """(5' segment, 3' segment), or None when the two do not make a sense fusion. An IG locus
    takes the role its partner leaves (its segments lie in either orientation)."""
    a_ig, b_ig = a.gene.gene in IG_LOCI, b.gene.gene in IG_LOCI
    if a_ig and b_ig:
        return None
    if a_ig:
        return (b, a) if is_five_prime(b) else (a, b)
    if b_ig:
        return (a, b) if is_five_prime(a) else (b, a)
    if is_five_prime(a) == is_five_prime(b):
        return None
    return (a, b) if is_five_prime(a) else (b, a)


def is_readthrough(five: Gene, three: Gene, distance: int, locator: GeneLocator) -> bool:
    """Same strand, the 3' gene downstream of the 5' one, and either closer than `distance` or
    with no gene of that strand between them (neighbours)."""
    if five.chrom != three.chrom or five.strand != three.strand:
        return False
    plus = five.strand == "+"
    if (three.start < five.start) if plus else (three.end > five.end):
        return False
    gap = three.start - five.end if plus else five.start - three.end
    if gap < distance:
        return True
    low, high = (five.end, three.start) if plus else (three.end, five.start)
    return locator.genes_between(five.chrom, five.strand, low, high) == 0


def listed_pairs(partners: pd.DataFrame) -> frozenset[tuple[str, str]]:
    """The pairs the table names on both sides (exempt from the read-through filter)."""
    named = partners[(partners["five_prime"] != ANY) & (partners["three_prime"] != ANY)]
    return frozenset(zip(named["five_prime"], named["three_prime"], strict=True))


def scan_fusion_reads(
    path: str | Path,
    genes: list[Gene],
    locator: GeneLocator,
    build: str,
    settings: FusionSettings,
    exempt: frozenset[tuple[str, str]] = frozenset(),
    reference_fasta: str | Path | None = None,
) -> dict[tuple[str, str], PairEvidence]:
    """Every fragment of the genes' spans that joins two genes, by (5' gene, 3' gene);
    read-throughs dropped unless the pair is in `exempt`."""
    pairs: dict[tuple[str, str], PairEvidence] = {}
    with open_alignment_file(path, reference_fasta) as alignments:
        lengths = dict(zip(alignments.references, alignments.lengths, strict=True))
        prefix = verify_header_build(lengths, build, str(path))
        for gene in genes:
            contig = header_contig(gene.chrom, prefix)
            if contig not in lengths:
                raise ValueError(
                    f"{path}: contig {contig} of gene {gene.gene} is not in the header"
                )
            for read in alignments.fetch(contig, gene.start - 1, gene.end):
                found = _read_evidence(read, gene, contig, locator, settings)
                if found is None:
                    continue
                kind, five, three = found
                key = (five.gene.gene, three.gene.gene)
                if key not in exempt and is_readthrough(
                    five.gene, three.gene, settings.readthrough_distance, locator
                ):
                    continue
                evidence = pairs.setdefault(key, PairEvidence(*key))
                if kind == "split":
                    evidence.split[read.query_name] = (five.breakpoint, three.breakpoint)
                else:
                    evidence.spanning.add(read.query_name)
    for evidence in pairs.values():
        evidence.spanning -= set(evidence.split)
    return pairs


def _overlapping(a: Gene, b: Gene) -> bool:
    """The same gene, or genes sharing bases (a read-through or antisense annotation over the
    scanned gene): no fusion between them."""
    return a.chrom == b.chrom and a.start <= b.end and b.start <= a.end


def _read_evidence(read, gene: Gene, contig: str, locator: GeneLocator, settings):
    if read.flag & SKIP_FLAGS or read.mapping_quality < settings.min_mapq:
        return None
    if read.has_tag("SA"):
        first = read.get_tag("SA").split(";")[0].split(",")
        sa_chrom, sa_pos, _, sa_cigar, sa_mapq = first[:5]
        partner = locator.at(sa_chrom, int(sa_pos))
        if partner is None or _overlapping(partner, gene) or int(sa_mapq) < settings.min_mapq:
            return None
        own_cigar = [("MIDNSHP=XB"[op], n) for op, n in read.cigartuples]
        own = _split_segment(
            gene, contig, read.reference_start + 1, own_cigar, read.mapping_quality,
            settings.min_clip,
        )  # fmt: skip
        other = _split_segment(
            partner, sa_chrom, int(sa_pos), parse_cigar(sa_cigar), int(sa_mapq),
            settings.min_clip,
        )  # fmt: skip
        if own is None or other is None or min(own.aligned, other.aligned) < settings.min_anchor:
            return None
        oriented = orient(own, other)
        return None if oriented is None else ("split", *oriented)
    if not read.is_paired or read.mate_is_unmapped:
        return None
    if read.next_reference_id == read.reference_id and (
        gene.start <= read.next_reference_start + 1 <= gene.end
    ):
        return None  # the common case, kept cheap: the mate is in the same gene
    partner = locator.at(read.next_reference_name, read.next_reference_start + 1)
    if partner is None or _overlapping(partner, gene):
        return None
    if read.has_tag("MQ") and read.get_tag("MQ") < settings.min_mapq:
        return None
    own = Segment(gene, contig, None, "right" if read.is_reverse else "left", 0, 0)
    mate = Segment(
        partner, read.next_reference_name, None, "right" if read.mate_is_reverse else "left", 0, 0
    )
    oriented = orient(own, mate)
    return None if oriented is None else ("pair", *oriented)


def exon_at_breakpoint(model: GeneModel | None, position: int, five_prime: bool) -> int | None:
    """The main-transcript exon ending (5' partner) or starting (3' partner) at `position`:
    the exon beside a junction at that base, as for a splice junction."""
    if model is None:
        return None
    if five_prime == (model.strand == "+"):  # the junction lies right of the base
        return model.exon_at_intron_start(position + 1)
    return model.exon_at_intron_end(position - 1)


def reading_frame(
    five: GeneModel | None, five_bp: int, three: GeneModel | None, three_bp: int
) -> str:
    """in-frame, out-of-frame, 5'UTR (the 5' partner contributes no coding base: the 3' gene
    keeps its own start codon if the junction lies before it), or unknown."""
    if five is None or three is None or five.cds is None or three.cds is None:
        return "unknown"
    before_five = five.coding_offset(five_bp)
    if before_five is None:
        five_first = five.cds[0] if five.strand == "+" else five.cds[1]
        upstream = five_bp < five_first if five.strand == "+" else five_bp > five_first
        return "5'UTR" if upstream else "unknown"
    before_three = three.coding_offset(three_bp)
    if before_three is None:
        return "unknown"
    return "in-frame" if (before_five + 1) % 3 == before_three % 3 else "out-of-frame"


def bcr_abl1_name(five_exon: int | None, three_exon: int | None) -> str:
    """e1a2, e13a2 (b2a2), e14a2 (b3a2), e19a2 ... from the BCR and ABL1 main-transcript exons."""
    if five_exon is None or three_exon is None:
        return ""
    name = f"e{five_exon}a{three_exon}"
    alias = {13: "b2", 14: "b3"}.get(five_exon)
    return f"{name} ({alias}a{three_exon})" if alias else name


def _confidence(
    breakpoint_split: int, spanning: int, at_boundaries: bool, settings: FusionSettings
) -> str | None:
    if breakpoint_split >= settings.high_split and at_boundaries and spanning >= 1:
        return "high"
    if breakpoint_split >= 2 * settings.high_split and at_boundaries:
        return "high"
    if breakpoint_split >= settings.min_split:
        return "medium"
    if breakpoint_split >= 1 and at_boundaries and spanning >= 1:
        return "medium"
    if breakpoint_split == 0 and spanning >= settings.min_spanning_only:
        return "medium"
    return None


def call_fusions(
    pairs: dict[tuple[str, str], PairEvidence],
    partners: pd.DataFrame,
    models: dict[str, GeneModel],
    locator: GeneLocator,
    sample_id: str,
    settings: FusionSettings,
) -> pd.DataFrame:
    """The reported fusions of one sample (FUSION_COLUMNS), strongest first."""
    rows = []
    for (five, three), evidence in sorted(pairs.items()):
        split = evidence.split
        row = match_partner(partners, five, three)
        if row is None:
            continue
        breakpoints = Counter(split.values())
        (five_bp, three_bp), at_main = (
            breakpoints.most_common(1)[0] if breakpoints else ((None, None), 0)
        )
        five_model, three_model = models.get(five), models.get(three)
        five_exon = exon_at_breakpoint(five_model, five_bp, True) if five_bp else None
        three_exon = exon_at_breakpoint(three_model, three_bp, False) if three_bp else None
        at_boundaries = (five_model is None or five_exon is not None) and (
            three_model is None or three_exon is not None
        )
        confidence = _confidence(at_main, len(evidence.spanning), at_boundaries, settings)
        if confidence is None:
            continue
        five_gene, three_gene = locator.get(five), locator.get(three)
        frame = reading_frame(five_model, five_bp, three_model, three_bp) if five_bp else "unknown"
        rows.append(
            {
                "sample_id": sample_id,
                "fusion": f"{five}::{three}",
                "five_prime": five,
                "three_prime": three,
                "subtype": row["subtype"],
                "subclass": row["subclass"],
                "five_chrom": five_gene.chrom if five_gene else "",
                "five_breakpoint": five_bp,
                "five_exon": five_exon,
                "three_chrom": three_gene.chrom if three_gene else "",
                "three_breakpoint": three_bp,
                "three_exon": three_exon,
                "split_reads": len(split),
                "spanning_pairs": len(evidence.spanning),
                "breakpoint_split_reads": at_main,
                "other_breakpoints": max(0, len(breakpoints) - 1),
                "reading_frame": frame,
                "breakpoint_name": (
                    bcr_abl1_name(five_exon, three_exon) if (five, three) == ("BCR", "ABL1") else ""
                ),
                "confidence": confidence,
                "source": "ikaros",
            }
        )
    table = pd.DataFrame(rows, columns=list(FUSION_COLUMNS))
    if table.empty:
        return table
    strength = table["confidence"].map({"high": 0, "medium": 1})
    order = np.lexsort((table["fusion"], -table["split_reads"], strength))
    return table.iloc[order].reset_index(drop=True)


def sample_fusions(
    bam: str | Path,
    sample_id: str,
    partners: pd.DataFrame,
    models: dict[str, GeneModel],
    locator: GeneLocator,
    build: str,
    settings: FusionSettings | None = None,
    reference_fasta: str | Path | None = None,
) -> pd.DataFrame:
    """Fusion calls of one RNA BAM/CRAM, reading the partner genes' spans only."""
    settings = settings or FusionSettings()
    genes = []
    for name in scanned_genes(partners):
        gene = locator.get(name)
        if gene is None:
            log.warning("fusion partner %s is not in the gene table of %s; not read", name, build)
            continue
        genes.append(gene)
    pairs = scan_fusion_reads(
        bam, genes, locator, build, settings, listed_pairs(partners), reference_fasta
    )
    return call_fusions(pairs, partners, models, locator, sample_id, settings)


def write_fusions(table: pd.DataFrame, path: str | Path) -> None:
    write_table(table.loc[:, list(FUSION_COLUMNS)], path)

"""The lesion catalogue of the simulator: where deletions fall, drawn from real coordinates.

Every breakpoint is drawn from the coordinates of the chosen build: IKZF1 breakpoints fall in
the introns of the canonical transcript (NM_006060 / ENST00000331340), other genes use the exon
models of a gene-model table (``gene chrom strand exon start end``) when one is given, and the
gene spans below otherwise. All coordinates are 1-based inclusive and chr-prefixed.

The built-in facts (IKZF1 exons and gene spans) are the Ensembl/GENCODE records of the project's
reference notes; they let the cohort design run at workflow parse time without reading files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ikaros.genome import contig_lengths

# IKZF1 canonical exons (exon, start, end); chr7, plus strand. Not a constant offset between
# builds: intron 3 is 28,102 bp shorter in GRCh38.
IKZF1_EXONS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "GRCh37": (
        (1, 50344378, 50344518), (2, 50358644, 50358697), (3, 50367234, 50367353),
        (4, 50444231, 50444491), (5, 50450238, 50450405), (6, 50455043, 50455168),
        (7, 50459427, 50459561), (8, 50467616, 50472799),
    ),
    "GRCh38": (
        (1, 50304716, 50304922), (2, 50319048, 50319101), (3, 50327638, 50327757),
        (4, 50376533, 50376793), (5, 50382540, 50382707), (6, 50387345, 50387470),
        (7, 50391729, 50391863), (8, 50399918, 50405101),
    ),
}  # fmt: skip

# Gene spans (chrom, start, end, strand) of Ensembl/GENCODE gene records.
GENE_SPANS: dict[str, dict[str, tuple[str, int, int, str]]] = {
    "GRCh37": {
        "IKZF1": ("chr7", 50343720, 50472799, "+"),
        "MTAP": ("chr9", 21802542, 21931646, "+"),
        "CDKN2A": ("chr9", 21967751, 21995300, "-"),
        "CDKN2B": ("chr9", 22002902, 22009362, "-"),
        "PAX5": ("chr9", 36833272, 37034103, "-"),
        "ERG": ("chr21", 39751949, 40033704, "-"),
        "CRLF2": ("chrX", 1314890, 1331616, "-"),
        "CSF2RA": ("chrX", 1387693, 1429274, "+"),
        "IL3RA": ("chrX", 1455509, 1501578, "+"),
        "SLC25A6": ("chrX", 1505045, 1511617, "-"),
        "ASMTL": ("chrX", 1522032, 1572655, "-"),
        "P2RY8": ("chrX", 1581465, 1656000, "-"),
        "ETV6": ("chr12", 11802788, 12048336, "+"),
        "RB1": ("chr13", 48877887, 49056122, "+"),
        "BTG1": ("chr12", 92536286, 92539673, "-"),
        "EBF1": ("chr5", 158122928, 158526769, "-"),
    },
    "GRCh38": {
        "IKZF1": ("chr7", 50304068, 50405101, "+"),
        "MTAP": ("chr9", 21802636, 21937651, "+"),
        "CDKN2A": ("chr9", 21967752, 21995301, "-"),
        "CDKN2B": ("chr9", 22002903, 22009305, "-"),
        "PAX5": ("chr9", 36833269, 37034268, "-"),
        "ERG": ("chr21", 38380027, 38661780, "-"),
        "CRLF2": ("chrX", 1187549, 1212723, "-"),
        "CSF2RA": ("chrX", 1268800, 1310381, "+"),
        "IL3RA": ("chrX", 1336616, 1382689, "+"),
        "SLC25A6": ("chrX", 1386152, 1392113, "-"),
        "ASMTL": ("chrX", 1403139, 1453762, "-"),
        "P2RY8": ("chrX", 1462581, 1537185, "-"),
        "ETV6": ("chr12", 11649674, 11895377, "+"),
        "RB1": ("chr13", 48303744, 48599436, "+"),
        "BTG1": ("chr12", 92140278, 92145846, "-"),
        "EBF1": ("chr5", 158695916, 159099916, "-"),
    },
}

# Pseudo-autosomal regions (chrX, chrY) as (start, end) pairs: reads there map to chrX.
PSEUDOAUTOSOMAL: dict[str, dict[str, tuple[tuple[int, int], ...]]] = {
    "GRCh37": {
        "chrX": ((60001, 2699520), (154931044, 155260560)),
        "chrY": ((10001, 2649520), (59034050, 59363566)),
    },
    "GRCh38": {
        "chrX": ((10001, 2781479), (155701383, 156030895)),
        "chrY": ((10001, 2781479), (56887903, 57217415)),
    },
}

# Where terminal arm losses end: inside the pericentromeric band of 7p11 / past 9p13 (PAX5),
# short of the centromere in both builds, so a "7p loss" never claims 7q bins.
ARM_LOSS_END_RANGE: dict[str, dict[str, tuple[int, int]]] = {
    "GRCh37": {"7p": (56_500_000, 57_600_000), "9p": (38_500_000, 39_000_000)},
    "GRCh38": {"7p": (56_500_000, 57_600_000), "9p": (38_500_000, 39_000_000)},
}

# IKZF1 deletion classes by the set of exons removed (the truth table's ikzf1_class).
IKZF1_CLASS_BY_EXONS = {
    (4, 5, 6, 7): "del4-7",
    (2, 3, 4, 5, 6, 7): "del2-7",
    (2, 3, 4, 5, 6, 7, 8): "del2-8",
    (4, 5, 6, 7, 8): "del4-8",
    (1, 2, 3, 4, 5, 6, 7, 8): "del1-8",
}

GENE_MODEL_COLUMNS = ("gene", "chrom", "strand", "exon", "start", "end")


@dataclass(frozen=True)
class Lesion:
    """One deletion before it is placed in a patient (cell fraction is set by the design)."""

    gene: str
    label: str
    chrom: str
    start: int
    end: int
    allelic: str  # mono | bi


class GeneCoordinates:
    """Gene spans and exon models of one build, from a gene-model table or the built-in facts."""

    def __init__(self, build: str, gene_models: pd.DataFrame | None = None):
        self.build = build
        self.chrom_lengths = contig_lengths(build)
        self.spans = dict(GENE_SPANS[build])
        self.exons: dict[str, list[tuple[int, int, int]]] = {
            "IKZF1": [tuple(e) for e in IKZF1_EXONS[build]]
        }
        if gene_models is not None:
            missing = [c for c in GENE_MODEL_COLUMNS if c not in gene_models.columns]
            if missing:
                raise ValueError(f"gene models: missing column(s) {', '.join(missing)}")
            for gene, rows in gene_models.groupby("gene", sort=True):
                rows = rows.sort_values("exon")
                exons = [
                    (int(r.exon), int(r.start), int(r.end)) for r in rows.itertuples(index=False)
                ]
                self.exons[gene] = exons
                first = rows.iloc[0]
                self.spans.setdefault(
                    gene,
                    (
                        str(first["chrom"]),
                        min(e[1] for e in exons),
                        max(e[2] for e in exons),
                        str(first["strand"]),
                    ),
                )

    def span(self, gene: str) -> tuple[str, int, int, str]:
        return self.spans[gene]

    def intron(self, gene: str, number: int) -> tuple[int, int]:
        """Intron `number` (between exons number and number+1, transcript order)."""
        exons = {e[0]: e for e in self.exons[gene]}
        a, b = exons[number], exons[number + 1]
        lo, hi = sorted((a, b), key=lambda e: e[1])
        return lo[2] + 1, hi[1] - 1

    def exon_numbers(self, gene: str) -> list[int]:
        return [e[0] for e in self.exons.get(gene, [])]

    def exons_hit(self, gene: str, start: int, end: int) -> tuple[int, ...]:
        """Exons of `gene` overlapping [start, end]."""
        return tuple(e[0] for e in self.exons[gene] if e[1] <= end and e[2] >= start)


def _inside(rng: np.random.Generator, lo: int, hi: int, margin: int = 200) -> int:
    """A breakpoint in [lo, hi], kept `margin` bp (at most a quarter of the span) off the ends."""
    margin = min(margin, (hi - lo) // 4)
    return int(rng.integers(lo + margin, hi - margin + 1))


def _focal_around(
    rng: np.random.Generator, start: int, end: int, min_bp: int, max_bp: int, chrom_len: int
) -> tuple[int, int]:
    """A loss of log-uniform length in [min_bp, max_bp] that contains [start, end]."""
    length = int(np.exp(rng.uniform(np.log(min_bp), np.log(max_bp))))
    length = max(length, end - start + 2_000)
    slack = length - (end - start + 1)
    left = start - 1_000 - int(rng.integers(0, max(slack - 2_000, 1)))
    left = max(left, 1)
    return left, min(left + length - 1, chrom_len)


def _transcript_piece(
    rng: np.random.Generator, coords: GeneCoordinates, gene: str, first: float, last: float
) -> tuple[int, int]:
    """A sub-interval of a gene between transcript fractions drawn near `first` and `last`.

    Used for intragenic losses when no exon model of the gene is available: fractions run
    5' to 3', so the strand decides which genomic end they start from.
    """
    _, g_start, g_end, strand = coords.span(gene)
    length = g_end - g_start + 1
    a = min(max(first + rng.uniform(-0.05, 0.05), 0.02), 0.95)
    b = min(max(last + rng.uniform(-0.05, 0.05), a + 0.03), 0.98)
    if strand == "+":
        return g_start + int(a * length), g_start + int(b * length)
    return g_end - int(b * length), g_end - int(a * length)


def _exon_subset(
    rng: np.random.Generator, coords: GeneCoordinates, gene: str, first: int, last: int
) -> tuple[int, int]:
    """Breakpoints in the introns flanking exons first..last (transcript order)."""
    exons = coords.exon_numbers(gene)
    _, g_start, g_end, strand = coords.span(gene)
    chrom_len = coords.chrom_lengths[coords.span(gene)[0]]
    if first > min(exons):
        lo5 = coords.intron(gene, first - 1)
        five = _inside(rng, *lo5)
    else:
        five = None
    if last < max(exons):
        three = _inside(rng, *coords.intron(gene, last))
    else:
        three = None
    # Open ends run past the gene: 5' upstream or 3' downstream by 2-150 kb.
    beyond = int(rng.integers(2_000, 150_000))
    if strand == "+":
        start = five if five is not None else max(g_start - beyond, 1)
        end = three if three is not None else min(g_end + beyond, chrom_len)
    else:
        end = five if five is not None else min(g_end + beyond, chrom_len)
        start = three if three is not None else max(g_start - beyond, 1)
    return start, end


# --- IKZF1 -----------------------------------------------------------------------------------

# Deletion classes of IKZF1 and their share among IKZF1-lesioned patients (pediatric B-ALL:
# delta 4-7 dominates, whole-gene losses next; intronic-only losses remove no exon).
IKZF1_LESION_WEIGHTS = {
    "del4-7": 0.34,
    "del2-7": 0.08,
    "del2-8": 0.06,
    "del4-8": 0.06,
    "del1-8_focal": 0.14,
    "del1-8_7p": 0.07,
    "del1-8_chr7": 0.05,
    "other": 0.12,
    "intronic": 0.08,
}

# "other" intragenic losses: exon lists (transcript order), 5' partials included.
IKZF1_OTHER_EXONS = ((2, 3), (4, 5), (5, 6), (4, 5, 6), (1, 2, 3), (2, 3, 4, 5, 6))


def ikzf1_lesion(
    rng: np.random.Generator, coords: GeneCoordinates, kind: str, allelic: str
) -> Lesion:
    """One IKZF1 lesion of class `kind` (a key of IKZF1_LESION_WEIGHTS)."""
    chrom, g_start, g_end, _ = coords.span("IKZF1")
    chrom_len = coords.chrom_lengths[chrom]
    three_prime = min(g_end + int(rng.integers(2_000, 150_000)), chrom_len)
    if kind in ("del4-7", "del2-7", "del2-8", "del4-8"):
        first, last = int(kind[3]), int(kind[5])
        start = _inside(rng, *coords.intron("IKZF1", first - 1))
        end = _inside(rng, *coords.intron("IKZF1", last)) if last < 8 else three_prime
        return Lesion("IKZF1", f"IKZF1_{kind}", chrom, start, end, allelic)
    if kind == "del1-8_focal":
        start, end = _focal_around(rng, g_start, g_end, 50_000, 500_000, chrom_len)
        return Lesion("IKZF1", "IKZF1_del1-8_focal", chrom, start, end, allelic)
    if kind == "del1-8_7p":
        end = int(rng.integers(*ARM_LOSS_END_RANGE[coords.build]["7p"]))
        return Lesion("IKZF1", "IKZF1_del1-8_7p", chrom, 1, end, "mono")
    if kind == "del1-8_chr7":
        return Lesion("IKZF1", "IKZF1_del1-8_chr7", chrom, 1, chrom_len, "mono")
    if kind == "other":
        exons = IKZF1_OTHER_EXONS[int(rng.integers(len(IKZF1_OTHER_EXONS)))]
        first, last = exons[0], exons[-1]
        start = (
            _inside(rng, *coords.intron("IKZF1", first - 1))
            if first > 1
            else max(g_start - int(rng.integers(5_000, 80_000)), 1)
        )
        end = _inside(rng, *coords.intron("IKZF1", last)) if last < 8 else three_prime
        return Lesion("IKZF1", f"IKZF1_del{first}-{last}", chrom, start, end, allelic)
    if kind == "intronic":
        # Inside intron 1 or the long intron 3: no exon lost, the gene stays wild type.
        lo, hi = coords.intron("IKZF1", 3 if rng.random() < 0.7 else 1)
        length = int(rng.integers(1_000, max(min(20_000, (hi - lo) // 2), 1_500)))
        start = int(rng.integers(lo + 500, hi - 500 - length))
        return Lesion("IKZF1", "IKZF1_intronic", chrom, start, start + length - 1, allelic)
    raise ValueError(f"unknown IKZF1 lesion kind {kind!r}")


# --- co-deleted genes ------------------------------------------------------------------------


def cdkn2a_lesions(rng: np.random.Generator, coords: GeneCoordinates, allelic: str) -> list[Lesion]:
    """9p21 losses (0.1-5 Mb), sometimes sparing CDKN2B or MTAP; biallelic ones are often a
    small homozygous loss nested in a larger heterozygous one."""
    chrom, a_start, a_end, _ = coords.span("CDKN2A")
    _, b_start, b_end, _ = coords.span("CDKN2B")
    _, _, mtap_end, _ = coords.span("MTAP")
    chrom_len = coords.chrom_lengths[chrom]
    shape = rng.choice(["both", "spare_b", "spare_mtap", "a_only"], p=[0.6, 0.15, 0.17, 0.08])
    length = int(np.exp(rng.uniform(np.log(100_000), np.log(5_000_000))))
    if shape == "both":
        start, end = _focal_around(rng, a_start, b_end, 100_000, 5_000_000, chrom_len)
        label = "CDKN2A_CDKN2B"
    elif shape == "spare_b":
        end = _inside(rng, a_end + 1, b_start - 1)
        start, label = max(end - length, 1), "CDKN2A"
    elif shape == "spare_mtap":
        start = _inside(rng, mtap_end + 1, a_start - 1)
        end, label = min(start + length, chrom_len), "CDKN2A_CDKN2B"
    else:
        start = _inside(rng, mtap_end + 1, a_start - 1)
        end, label = _inside(rng, a_end + 1, b_start - 1), "CDKN2A"
    if allelic == "bi" and rng.random() < 0.6 and shape == "both" and end - start > 60_000:
        # Nested: outer heterozygous loss plus an inner one within it over CDKN2A.
        inner_start = int(rng.integers(start, a_start - 1_000))
        inner_end = int(rng.integers(a_end + 1_000, min(end, a_end + 400_000)))
        return [
            Lesion("CDKN2A", label, chrom, start, end, "mono"),
            Lesion("CDKN2A", "CDKN2A_nested", chrom, inner_start, inner_end, "mono"),
        ]
    return [Lesion("CDKN2A", label, chrom, start, end, allelic)]


def pax5_lesion(rng: np.random.Generator, coords: GeneCoordinates, allelic: str) -> Lesion:
    chrom, g_start, g_end, _ = coords.span("PAX5")
    if rng.random() < 0.5:
        start, end = _focal_around(
            rng, g_start, g_end, 250_000, 2_000_000, coords.chrom_lengths[chrom]
        )
        return Lesion("PAX5", "PAX5_whole", chrom, start, end, allelic)
    exons = coords.exon_numbers("PAX5")
    if len(exons) >= 8:
        first, last = [(2, 5), (2, 6), (6, 8), (8, 10), (2, 10), (7, 10)][int(rng.integers(6))]
        last = min(last, max(exons))
        start, end = _exon_subset(rng, coords, "PAX5", first, last)
    else:
        first_frac, last_frac = [(0.1, 0.6), (0.45, 0.98), (0.3, 0.7)][int(rng.integers(3))]
        start, end = _transcript_piece(rng, coords, "PAX5", first_frac, last_frac)
    return Lesion("PAX5", "PAX5_intragenic", chrom, start, end, allelic)


def par1_lesion(rng: np.random.Generator, coords: GeneCoordinates, allelic: str) -> Lesion:
    """P2RY8 intron 1 to just upstream of CRLF2 (CRLF2 kept: the P2RY8::CRLF2 fusion)."""
    chrom, _, crlf2_end, _ = coords.span("CRLF2")
    _, csf2ra_start, _, _ = coords.span("CSF2RA")
    start = _inside(rng, crlf2_end + 1, csf2ra_start - 1, margin=1_000)
    if len(coords.exon_numbers("P2RY8")) >= 2:
        end = _inside(rng, *coords.intron("P2RY8", 1))
    else:
        _, end = _transcript_piece(rng, coords, "P2RY8", 0.1, 0.3)
        end = _inside(rng, end - 5_000, end + 5_000)
    return Lesion("PAR1", "PAR1", chrom, start, end, allelic)


def erg_lesion(rng: np.random.Generator, coords: GeneCoordinates, allelic: str) -> Lesion:
    chrom = coords.span("ERG")[0]
    exons = coords.exon_numbers("ERG")
    if len(exons) >= 9:
        first = int(rng.choice([2, 3, 3, 3, 4]))
        last = min(int(rng.choice([7, 8, 9, 9])), max(exons) - 1)
        start, end = _exon_subset(rng, coords, "ERG", first, last)
    else:
        start, end = _transcript_piece(rng, coords, "ERG", 0.2, 0.7)
    return Lesion("ERG", "ERG_intragenic", chrom, start, end, allelic)


def other_gene_lesion(
    rng: np.random.Generator, coords: GeneCoordinates, gene: str, allelic: str
) -> Lesion:
    """ETV6, RB1, BTG1, EBF1: a focal loss over the gene or a partial (intragenic) one."""
    chrom, g_start, g_end, _ = coords.span(gene)
    if rng.random() < 0.6 or g_end - g_start < 20_000:
        start, end = _focal_around(
            rng, g_start, g_end, 30_000, 1_500_000, coords.chrom_lengths[chrom]
        )
        return Lesion(gene, f"{gene}_whole", chrom, start, end, allelic)
    start, end = _transcript_piece(rng, coords, gene, 0.2, 0.75)
    return Lesion(gene, f"{gene}_intragenic", chrom, start, end, allelic)


def arm_9p_lesion(rng: np.random.Generator, coords: GeneCoordinates) -> Lesion:
    """Terminal 9p loss taking CDKN2A/B and PAX5 (heterozygous)."""
    end = int(rng.integers(*ARM_LOSS_END_RANGE[coords.build]["9p"]))
    return Lesion("9p", "9p_loss", "chr9", 1, end, "mono")


# --- truth -----------------------------------------------------------------------------------


def alleles_lost(lesions: list[tuple[int, int, int]], start: int, end: int) -> int:
    """Most alleles lost at any point of [start, end] by (start, end, alleles) losses."""
    inside = [(max(s, start), min(e, end), n) for s, e, n in lesions if s <= end and e >= start]
    if not inside:
        return 0
    points = sorted({s for s, _, _ in inside} | {e + 1 for _, e, _ in inside})
    return max(sum(n for s, e, n in inside if s <= p <= e) for p in points)


def ikzf1_class(exons: tuple[int, ...]) -> str:
    """Deletion class of an IKZF1 loss from the exons it removes ('' when none)."""
    if not exons:
        return ""
    return IKZF1_CLASS_BY_EXONS.get(tuple(sorted(exons)), "other")

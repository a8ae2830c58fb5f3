"""Simulated tumour karyotypes with known truth: arm copy numbers, segments and SNP counts.

Karyotype kinds and how they are drawn (chromosome frequencies from the literature):

- ``diploid``: 46 chromosomes, all heterozygous;
- ``high_hyperdiploid``: 51-67 chromosomes, each recurrent gain drawn on its own with the frequency
  it has in 182 St. Jude cases (Raimondi et al., Leukemia 1996; the nonrandom gains X, 4, 6, 10,
  14, 17, 18 and 21 of Paulsson and Johansson, Genes Chromosomes Cancer 2009; tetrasomy 21 in
  most cases), a clone outside 51-67 drawn again, the rest heterozygous;
- ``near_haploid`` (24-30) and ``low_hypodiploid`` (31-39): monosomies with LOH, retaining the
  chromosomes most often kept disomic (near haploid: 14, 18, 21, X, 10, 8; low hypodiploid:
  1, 5, 6, 8, 10, 11, 12, 14, 18, 19, 21, 22, X; Holmfeldt et al., Nat Genet 2013);
- ``masked_near_haploid`` and ``masked_low_hypodiploid``: the same clones doubled (Carroll et
  al., Cancer Genet 2019): LOH chromosomes at two copies, retained ones at four (2:2);
- ``iamp21``: diploid with chromosome 21 rearranged (Harrison et al., Leukemia 2014): proximal
  21q at 2 copies, gain to 3, an amplicon over RUNX1 at 5-7 copies, a distal loss to 1.

Segments are per arm (per amplicon piece on chromosome 21), log2 by the ASCAT mixture of
``ikaros.karyotype.fit`` with normal noise; SNPs are a mixture of heterozygous and homozygous
germline SNPs with binomial read counts at Poisson depth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from ikaros.genome import PRIMARY_CHROMOSOMES, contig_lengths
from ikaros.karyotype.arms import arm_bounds
from ikaros.karyotype.ploidy import ploidy_class

KINDS = (
    "diploid", "high_hyperdiploid", "near_haploid", "low_hypodiploid", "masked_near_haploid",
    "masked_low_hypodiploid", "iamp21",
)  # fmt: skip
TRUE_CLASS = {
    "diploid": "near_diploid", "iamp21": "near_diploid", "near_haploid": "near_haploid",
    "low_hypodiploid": "low_hypodiploid", "masked_near_haploid": "near_haploid",
    "masked_low_hypodiploid": "low_hypodiploid",
}  # fmt: skip
# How often a high hyperdiploid clone gains each chromosome: the ten gains Raimondi et al.
# (Leukemia 1996) count in 182 St. Jude cases of 51-67 chromosomes, and the rarer ones
# (HYPERDIPLOID_RARE_GAINS) that their ten leave out, so each under 26%.
HYPERDIPLOID_GAINS = {
    "chr21": 0.97, "chr6": 0.86, "chrX": 0.81, "chr14": 0.80, "chr4": 0.76, "chr18": 0.68,
    "chr17": 0.68, "chr10": 0.56, "chr8": 0.34, "chr5": 0.26,
}  # fmt: skip
HYPERDIPLOID_RARE_GAINS = ("chr2", "chr3", "chr9", "chr11", "chr12", "chr16", "chr22")
# One frequency for the rare gains, set so that the drawn clones have 51-55 chromosomes as often
# as Raimondi's did (105 of 168, 63%; with 0.2 the draw gives 63%).
HYPERDIPLOID_RARE_GAIN = 0.2
# A gained chromosome 21 is tetrasomic in most cases (Paulsson and Johansson 2009).
TETRASOMY_21 = 0.8
HYPERDIPLOID_COUNTS = (51, 67)
NEAR_HAPLOID_KEPT = ("chr14", "chr18", "chr21", "chrX", "chr10", "chr8")
LOW_HYPODIPLOID_KEPT = (
    "chr1", "chr5", "chr6", "chr8", "chr10", "chr11", "chr12", "chr14", "chr18", "chr19",
    "chr21", "chr22", "chrX",
)  # fmt: skip
TRUTH_COLUMNS = ("kind", "ploidy_class", "chromosome_count", "iamp21", "gains")
# RUNX1 gene span (GENCODE; resources/gene_spans_<build>.tsv), the iAMP21 amplicon's centre
RUNX1 = {"GRCh38": ("chr21", 34787801, 36004667), "GRCh37": ("chr21", 36160098, 37376965)}
# The karyotype kind of each simulated subtype (ikaros.simulate.design.SUBTYPES) with its
# probability; masked (doubled) hypodiploidy in about a third of cases (Carroll et al. 2019).
SUBTYPE_KARYOTYPES = {
    "hyperdiploid": (("high_hyperdiploid", 1.0),),
    "near haploid": (("near_haploid", 0.65), ("masked_near_haploid", 0.35)),
    "low hypodiploid": (("low_hypodiploid", 0.65), ("masked_low_hypodiploid", 0.35)),
    "iAMP21": (("iamp21", 1.0),),
}
KARYOTYPE_TRUTH_COLUMNS = ("patient_id", "sample_id", *TRUTH_COLUMNS)


def design_karyotype(kind: str, sex: str, rng: np.random.Generator) -> dict[str, tuple[int, int]]:
    """chrom -> (copies, minor copies) of the tumour, chrY excluded; male chrX normal is (1, 0)."""
    normal_x = (2, 1) if sex == "female" else (1, 0)
    base = {c: (2, 1) for c in PRIMARY_CHROMOSOMES[:22]} | {"chrX": normal_x}
    if kind in ("diploid", "iamp21"):
        return base
    if kind == "high_hyperdiploid":
        return _hyperdiploid(base, sex, rng)
    doubled = kind.startswith("masked_")
    core = kind.removeprefix("masked_")
    kept_pool = NEAR_HAPLOID_KEPT if core == "near_haploid" else LOW_HYPODIPLOID_KEPT
    low, high = (24, 30) if core == "near_haploid" else (31, 39)
    count = int(rng.integers(low, high + 1))
    kept_n = min(count - 23 if sex == "female" else count - 22, len(kept_pool))
    kept = set(rng.choice(kept_pool, size=max(kept_n, 0), replace=False).tolist())
    karyotype = {}
    for chrom in (*PRIMARY_CHROMOSOMES[:22], "chrX"):
        disomic = chrom in kept and not (chrom == "chrX" and sex == "male")
        copies, minor = (2, 1) if disomic else (1, 0)
        if doubled:
            copies, minor = 2 * copies, 2 * minor
        karyotype[chrom] = (copies, minor)
    return karyotype


def _hyperdiploid(
    base: dict[str, tuple[int, int]], sex: str, rng: np.random.Generator
) -> dict[str, tuple[int, int]]:
    """A high hyperdiploid karyotype: each gain drawn with its frequency, until the clone has
    HYPERDIPLOID_COUNTS chromosomes."""
    frequency = HYPERDIPLOID_GAINS | dict.fromkeys(HYPERDIPLOID_RARE_GAINS, HYPERDIPLOID_RARE_GAIN)
    names = list(frequency)
    low, high = HYPERDIPLOID_COUNTS
    while True:
        gained = rng.random(len(names)) < np.array([frequency[n] for n in names])
        extra = {n: int(g) for n, g in zip(names, gained, strict=True)}
        if extra["chr21"] and rng.random() < TETRASOMY_21:
            extra["chr21"] += 1
        # a gained pair keeps both parents' copies; a male's gained X is one X twice
        karyotype = {
            name: (copies + extra.get(name, 0), minor) for name, (copies, minor) in base.items()
        }
        if low <= karyotype_count(karyotype, sex) <= high:
            return karyotype


def karyotype_count(karyotype: dict[str, tuple[int, int]], sex: str) -> int:
    return sum(c for c, _ in karyotype.values()) + (1 if sex == "male" else 0)


def tumour_karyotype(
    subtype: str, sex: str, build: str, rng: np.random.Generator
) -> tuple[str, pd.DataFrame, dict]:
    """(kind, copy pieces, truth row) of a simulated tumour of `subtype`: its karyotype kind
    drawn from SUBTYPE_KARYOTYPES (diploid for every other subtype)."""
    options = SUBTYPE_KARYOTYPES.get(subtype, (("diploid", 1.0),))
    kinds, weights = zip(*options, strict=True)
    kind = str(kinds[int(rng.choice(len(kinds), p=np.array(weights) / sum(weights)))])
    karyotype = design_karyotype(kind, sex, rng)
    pieces = copy_pieces(karyotype, kind, sex, build, rng, RUNX1[build])
    normal_x = 2 if sex == "female" else 1
    gains = sorted(
        (c for c, (n, _) in karyotype.items() if n > (normal_x if c == "chrX" else 2)),
        key=PRIMARY_CHROMOSOMES.index,
    )
    count = karyotype_count(karyotype, sex)
    truth = {
        "kind": kind,
        "ploidy_class": TRUE_CLASS.get(kind) or ploidy_class(count),
        "chromosome_count": count,
        "iamp21": kind == "iamp21",
        "gains": ",".join(gains),
    }
    return kind, pieces, truth


def _log2(f, copies, normal):
    return np.log2((f * copies + normal * (1 - f)) / (normal * 1.0))


PIECE_COLUMNS = ("chrom", "start", "end", "copies", "minor", "normal")


def par1_copies(copies: np.ndarray, normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(copies, normal copies) of PAR1 given chrX pieces' copies and normal copies: a male's
    (normal 1) holds his chrY's copy on top of his chrX's, of two normal; a female's is her
    chrX's."""
    male = np.asarray(normal) == 1
    return np.asarray(copies) + male, np.where(male, 2, np.asarray(normal))


def copy_pieces(
    karyotype: dict[str, tuple[int, int]],
    kind: str,
    sex: str,
    build: str,
    rng: np.random.Generator,
    runx1: tuple[str, int, int],
) -> pd.DataFrame:
    """The tumour's genome as pieces of constant copy number (PIECE_COLUMNS; 1-based
    inclusive): one per placeable arm, and for iAMP21 five pieces over 21q."""
    arms = arm_bounds(build)
    arms = arms[(arms["chrom"] != "chrY") & (arms["placeable_bp"] > 1_000_000)]
    pieces = []
    for arm in arms.itertuples(index=False):
        copies, minor = karyotype[arm.chrom]
        normal = 1 if (arm.chrom == "chrX" and sex == "male") else 2
        if kind == "iamp21" and arm.chrom == runx1[0] and arm.arm == "q":
            _, r_start, r_end = runx1
            amp = int(rng.integers(5, 8))
            cuts = [arm.start, r_start - 6_000_000, r_start - 1_500_000, r_end + 1_500_000,
                    r_end + 4_000_000, arm.end]  # fmt: skip
            levels = [(2, 1), (3, 1), (amp, 1), (3, 1), (1, 0)]
            for (a, b), (c, m) in zip(zip(cuts[:-1], cuts[1:], strict=True), levels, strict=True):
                pieces.append((arm.chrom, a, b - 1 if b != arm.end else b, c, m, normal))
            continue
        pieces.append((arm.chrom, arm.start, arm.end, copies, minor, normal))
    return pd.DataFrame(pieces, columns=list(PIECE_COLUMNS))


def simulate_profile(
    karyotype: dict[str, tuple[int, int]],
    kind: str,
    sex: str,
    purity: float,
    build: str,
    rng: np.random.Generator,
    runx1: tuple[str, int, int],
    log2_sd: float = 0.03,
    snps_per_arm: int = 300,
    mean_depth: float = 40.0,
    het_fraction: float = 0.6,
    pieces: pd.DataFrame | None = None,
    lesions: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple]]:
    """(segments, SNP allele counts, truth rows of the arms) of one tumour; `pieces`
    (copy_pieces) when the tumour's genome is already drawn. `lesions` (the tumour's rows of
    the design's lesions: chrom, start, end, allelic, cell_fraction) take their alleles from
    the SNPs under them (``minor_allele_share``); the segments follow the pieces alone.

    The sample's log2 zero is its median arm level, as a SEG file centred on the median has it.
    """
    if pieces is None:
        pieces = copy_pieces(karyotype, kind, sex, build, rng, runx1)
    frame = pieces.loc[:, list(PIECE_COLUMNS)].reset_index(drop=True)
    raw = _log2(purity, frame["copies"].to_numpy(float), frame["normal"].to_numpy(float))
    lengths = (frame["end"] - frame["start"] + 1).to_numpy(float)
    order = np.argsort(raw)
    centre = raw[order][np.searchsorted(np.cumsum(lengths[order]), lengths.sum() / 2)]
    frame["log2"] = raw - centre + rng.normal(0, log2_sd, len(frame))
    frame["n_bins"] = np.maximum((lengths / 50_000).astype(int), 1)
    frame["se"] = log2_sd
    rows = []
    for piece in frame.itertuples(index=False):
        n = max(int(snps_per_arm * (piece.end - piece.start + 1) / 60e6), 20)
        positions = np.unique(rng.integers(piece.start, piece.end + 1, size=n))
        n = len(positions)
        depth = np.maximum(rng.poisson(mean_depth, n), 1)
        het = rng.random(n) < het_fraction
        if piece.normal == 1:
            het[:] = False
        beta = minor_allele_share(
            piece.chrom, positions, piece.copies, piece.minor, purity, lesions
        )
        p = np.where(rng.random(n) < 0.5, beta, 1 - beta)
        alt = np.where(het, rng.binomial(depth, p), rng.binomial(depth, 0.99))
        keep = alt > 0  # a caller reports no variant without alternate reads
        counts = {"ref_reads": (depth - alt)[keep], "alt_reads": alt[keep]}
        rows.append(pd.DataFrame({"chrom": piece.chrom, "pos": positions[keep], **counts}))
    snps = pd.concat(rows, ignore_index=True)
    segments = frame[["chrom", "start", "end", "n_bins", "log2", "se"]].copy()
    return (
        segments,
        snps,
        list(frame[["chrom", "start", "end", "copies", "minor"]].itertuples(index=False)),
    )


def minor_allele_share(
    chrom: str,
    positions: np.ndarray,
    copies: int,
    minor: int,
    purity: float,
    lesions: pd.DataFrame | None = None,
) -> np.ndarray:
    """The share of a heterozygous SNP's reads from the blasts' minor allele at each position.

    Normal cells (1 - purity) hold one copy of each allele; the blasts ``copies``, ``minor``
    of them the minor allele. A lesion over a position takes its alleles (one, or two when
    biallelic) from its cell fraction of the cells, the minor allele's copies first (a
    monoallelic loss of a disomic region leaves the other allele alone: loss of
    heterozygosity), never more than the cells hold; lesions at one position lie in the same
    cells as far as their fractions allow (a nested loss in the cells of the larger one).
    """
    mine = [] if lesions is None else list(lesions[lesions["chrom"] == chrom].itertuples())
    fractions = [min(float(lesion.cell_fraction), purity) for lesion in mine]
    cuts = sorted({0.0, purity, *fractions})
    n = len(positions)
    total = np.full(n, 2.0 * (1.0 - purity))
    minor_reads = np.full(n, 1.0 - purity)
    # the blasts as slices of cells, each under the lesions whose fraction reaches it
    for low, high in zip(cuts[:-1], cuts[1:], strict=True):
        minor_left = np.full(n, float(minor))
        major_left = np.full(n, float(copies - minor))
        for lesion, fraction in zip(mine, fractions, strict=True):
            if fraction < high:
                continue
            inside = (positions >= lesion.start) & (positions <= lesion.end)
            taken = 2.0 if lesion.allelic == "bi" else 1.0
            from_minor = np.minimum(taken, minor_left)
            from_major = np.minimum(taken - from_minor, major_left)
            minor_left = np.where(inside, minor_left - from_minor, minor_left)
            major_left = np.where(inside, major_left - from_major, major_left)
        total += (high - low) * (minor_left + major_left)
        minor_reads += (high - low) * minor_left
    return minor_reads / np.maximum(total, 1e-12)


def write_snp_vcf(path: str | Path, sample: str, snps: pd.DataFrame, build: str) -> Path:
    """A bgzipped, tabix-indexed single-sample VCF of the SNPs (GT:AD:DP, as GATK writes)."""
    path = Path(path)
    lengths = contig_lengths(build)
    header = ["##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">']
    header += [f"##contig=<ID={c},length={n}>" for c, n in lengths.items()]
    header += [
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]
        ),
    ]
    order = {c: i for i, c in enumerate(lengths)}
    table = snps.sort_values(
        ["chrom", "pos"], key=lambda s: s.map(order) if s.name == "chrom" else s
    )
    lines = []
    for r in table.itertuples(index=False):
        vaf = r.alt_reads / (r.ref_reads + r.alt_reads)
        gt = "1/1" if vaf > 0.9 else "0/1"
        lines.append(
            f"{r.chrom}\t{r.pos}\t.\tA\tG\t50\tPASS\t.\tGT:AD:DP\t"
            f"{gt}:{r.ref_reads},{r.alt_reads}:{r.ref_reads + r.alt_reads}"
        )
    text = path.with_suffix("")  # name.vcf
    text.write_text("\n".join(header + lines) + "\n")
    pysam.tabix_compress(str(text), str(path), force=True)
    text.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path

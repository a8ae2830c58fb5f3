"""Simulated tumour VCFs: germline SNPs and VEP-annotated driver variants, with truth.

Each DNA tumour chosen (share `vcf_fraction` of the simulator settings) gets a VCF as GATK
with VEP writes it (GT:AD:DP; INFO CSQ on the driver records): about 300 germline SNPs per
chromosome arm from ``ikaros.simulate.karyotypes`` (a diploid tumour, as the simulated BAMs
are), and driver variants drawn per patient at the rates of DRIVER_RATES. A driver's VAF is
its cell fraction / 2 (heterozygous) with binomial read counts at Poisson depth (mean 60).
Positions lie in a coding interval of the gene (resources/gene_spans_<build>.tsv); IKZF1
N159Y sits at its true c.475 (GRCh38 chr7:50,382,593 on the canonical exons), the others at a
deterministic coding position of their gene, not at their codon's true place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from ikaros.genome import contig_lengths
from ikaros.processes import map_in_processes
from ikaros.simulate.karyotypes import design_karyotype, simulate_profile

# hotspots that define a subtype (PAX5 P80R, IKZF1 N159Y, ZEB2/CEBP; WHO-HAEM5, ICC 2022)
SUBTYPE_DEFINING = {("PAX5", "p.P80R"), ("IKZF1", "p.N159Y"), ("ZEB2", "p.H1038R")}
# gene, one-letter change, VEP HGVSp (three-letter), consequence, share of patients; rates of
# the order reported for pediatric B-ALL (Zhang et al. Blood 2011; Brady et al. Nat Genet 2022;
# Gu et al. Nat Genet 2019)
DRIVER_RATES = (
    ("NRAS", "p.G12D", "p.Gly12Asp", "missense_variant", 0.10),
    ("KRAS", "p.G13D", "p.Gly13Asp", "missense_variant", 0.08),
    ("PTPN11", "p.E76K", "p.Glu76Lys", "missense_variant", 0.03),
    ("FLT3", "p.D835Y", "p.Asp835Tyr", "missense_variant", 0.02),
    ("PAX5", "p.P80R", "p.Pro80Arg", "missense_variant", 0.03),
    ("IKZF1", "p.N159Y", "p.Asn159Tyr", "missense_variant", 0.02),
    ("JAK2", "p.R683G", "p.Arg683Gly", "missense_variant", 0.02),
    ("TP53", "p.R248Q", "p.Arg248Gln", "missense_variant", 0.02),
    ("CREBBP", "p.R1446C", "p.Arg1446Cys", "missense_variant", 0.02),
)
IKZF1_N159Y_GRCH38 = 50382593
VEP_FORMAT = "Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSc|HGVSp|CANONICAL"
TRUTH_COLUMNS = ("patient_id", "sample_id", "gene", "chrom", "pos", "protein_change", "vaf")


def _position(spans: pd.DataFrame, gene: str, build: str) -> tuple[str, int]:
    if gene == "IKZF1" and build == "GRCh38":
        return "chr7", IKZF1_N159Y_GRCH38
    cds = spans[(spans["gene"] == gene) & (spans["kind"] == "cds")]
    widest = cds.loc[(cds["end"] - cds["start"]).idxmax()]
    return str(widest["chrom"]), int(widest["start"] + (widest["end"] - widest["start"]) // 2)


def draw_drivers(
    patient_id: str, sample_id: str, cell_fraction: float, rng: np.random.Generator,
    spans: pd.DataFrame, build: str, defining: bool = True,
) -> pd.DataFrame:  # fmt: skip
    """The driver variants of one tumour (TRUTH_COLUMNS plus the VCF fields); without
    `defining`, none of the hotspots that define a subtype of their own (SUBTYPE_DEFINING: a
    tumour of another simulated subtype does not carry them)."""
    rows = []
    for gene, change, hgvsp, consequence, rate in DRIVER_RATES:
        if rng.random() >= rate or (not defining and (gene, change) in SUBTYPE_DEFINING):
            continue
        chrom, pos = _position(spans, gene, build)
        depth = max(int(rng.poisson(60)), 10)
        vaf = cell_fraction / 2
        alt_reads = int(rng.binomial(depth, vaf))
        csq = "|".join(["T", consequence, "MODERATE", gene, f"ENST_{gene}", "", hgvsp, "YES"])
        rows.append(
            dict(patient_id=patient_id, sample_id=sample_id, gene=gene, chrom=chrom, pos=pos,
                 protein_change=change, vaf=round(vaf, 4), ref="A", alt="T",
                 ref_reads=depth - alt_reads, alt_reads=alt_reads, csq=csq)
        )  # fmt: skip
    return pd.DataFrame(
        rows, columns=[*TRUTH_COLUMNS, "ref", "alt", "ref_reads", "alt_reads", "csq"]
    )


def write_tumour_vcf(
    path: str | Path, sample: str, snps: pd.DataFrame, build: str, drivers: pd.DataFrame | None
) -> Path:
    """A bgzipped, tabix-indexed single-sample VCF (GT:AD:DP; CSQ on the driver records)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lengths = contig_lengths(build)
    header = ["##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">']
    header += [f"##contig=<ID={c},length={n}>" for c, n in lengths.items()]
    header += [
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl '
        f'VEP. Format: {VEP_FORMAT}">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]
        ),
    ]
    records = snps.assign(ref="A", alt="G", csq="")
    if drivers is not None and len(drivers):
        taken = set(zip(drivers["chrom"], drivers["pos"], strict=True))
        keep = [(c, p) not in taken for c, p in zip(records["chrom"], records["pos"], strict=True)]
        records = pd.concat([records[keep], drivers[list(records.columns)]], ignore_index=True)
    order = {c: i for i, c in enumerate(lengths)}
    records = records.assign(rank=records["chrom"].map(order)).sort_values(["rank", "pos"])
    lines = []
    for r in records.itertuples(index=False):
        depth = r.ref_reads + r.alt_reads
        gt = "1/1" if r.alt_reads > 0.9 * depth else "0/1"
        info = f"CSQ={r.csq}" if r.csq else "."
        lines.append(f"{r.chrom}\t{r.pos}\t.\t{r.ref}\t{r.alt}\t50\tPASS\t{info}\tGT:AD:DP\t"
                     f"{gt}:{r.ref_reads},{r.alt_reads}:{depth}")  # fmt: skip
    text = path.with_name(path.name.removesuffix(".gz"))
    text.write_text("\n".join(header + lines) + "\n")
    pysam.tabix_compress(str(text), str(path), force=True)
    text.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def simulate_tumour_vcf(
    path: str | Path, patient_id: str, sample_id: str, sex: str, cell_fraction: float,
    seed: int, index: int, spans: pd.DataFrame, build: str,
    pieces: pd.DataFrame | None = None, defining: bool = True,
    lesions: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Write one tumour's VCF; return its driver truth (TRUTH_COLUMNS). `pieces` (the
    design's copy pieces of the tumour) and `lesions` (its rows of the design's lesions) set
    the SNP allele fractions; without either, diploid."""
    rng = np.random.default_rng([seed, 7, index])
    karyotype = design_karyotype("diploid", sex, rng)
    runx1 = spans[(spans["gene"] == "RUNX1") & (spans["kind"] == "gene")].iloc[0]
    _, snps, _ = simulate_profile(
        karyotype, "diploid", sex, cell_fraction, build, rng,
        (str(runx1["chrom"]), int(runx1["start"]), int(runx1["end"])),
        pieces=pieces if pieces is not None and len(pieces) else None, lesions=lesions,
    )  # fmt: skip
    drivers = draw_drivers(patient_id, sample_id, cell_fraction, rng, spans, build, defining)
    write_tumour_vcf(path, sample_id, snps, build, drivers)
    return drivers[list(TRUTH_COLUMNS)]


def _simulate_one(job: tuple) -> pd.DataFrame:
    return simulate_tumour_vcf(*job)


def simulate_cohort_vcfs(
    samples: pd.DataFrame, spans: pd.DataFrame, build: str, seed: int, processes: int = 1,
    karyotypes: pd.DataFrame | None = None, true_sex: dict[str, str] | None = None,
    subtypes: dict[str, str] | None = None, lesions: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Every sheet row's `vcf` written; the cohort's driver truth (TRUTH_COLUMNS).
    `karyotypes` (the design's copy pieces, with sample_id) and `true_sex` make the SNPs
    follow each tumour's karyotype; without them a tumour is diploid and, where the sheet's
    sex is empty, female (its SNPs on chrX heterozygous); `lesions` (the design's) take their
    alleles from the SNPs under them, as from the reads. With `subtypes` (patient_id ->
    simulated subtype, none of which a hotspot defines) no tumour carries a SUBTYPE_DEFINING
    hotspot."""
    true_sex = true_sex or {}
    by_sample = dict(tuple(karyotypes.groupby("sample_id"))) if karyotypes is not None else {}
    lesions_of = dict(tuple(lesions.groupby("sample_id"))) if lesions is not None else {}
    jobs = [
        (r.vcf, r.patient_id, r.sample_id,
         true_sex.get(r.sample_id) or (r.sex if isinstance(r.sex, str) else "female"),
         float(r.blast_percent) / 100, seed, index, spans, build, by_sample.get(r.sample_id),
         subtypes is None, lesions_of.get(r.sample_id))
        for index, r in enumerate(samples.itertuples(index=False))
        if isinstance(r.vcf, str) and r.vcf
    ]  # fmt: skip
    truths = [t for t in map_in_processes(_simulate_one, jobs, processes) if len(t)]
    if not truths:
        return pd.DataFrame(columns=list(TRUTH_COLUMNS))
    return pd.concat(truths, ignore_index=True)

"""Simulated RNA-seq BAMs: spliced paired-end reads from the transcript models and a truth table.

The truth is the DNA simulator's truth-lesions table (docs/FORMATS.md: patient_id sample_id
lesion_id gene label chrom start end allelic cell_fraction), so DNA and RNA of a patient share
one truth.

Per gene, each transcript of the model is expressed from its alleles. A lesion deleting exons of a
transcript in a fraction `cell_fraction` of cells, on one allele (mono) or both (bi), turns a
share w = cell_fraction x (1/2 or 1) of the transcript's molecules into the matching aberrant
isoform:

- internal exons deleted: the remaining exons spliced together (IKZF1 delta 4-7 -> exon 3 joined
  to exon 8, the IK6 isoform);
- exon 1 deleted (the promoter is gone): the allele is silent;
- the last exon deleted: the remaining exons, read on into the next intron for up to
  `readthrough` bases (no polyadenylation site is left);
- no exon touched (intronic deletion): the normal transcript.

The wildtype share 1 - sum(w) keeps the normal transcript, of which small parts are made into
retained-intron isoforms (one intron kept), rare single-exon-skipping isoforms (splicing noise)
and unspliced pre-mRNA covering the whole gene. Expression varies between patients: each gene's
level is its base TPM times a lognormal factor, and the library size is lognormal too. A PAR1
deletion (label ``PAR1...``, the P2RY8::CRLF2 rearrangement) multiplies CRLF2 expression by
1 + `crlf2_fold_with_par1` x its cell fraction.

Fragments are drawn per isoform in proportion to molecules x length, uniformly along the
isoform, insert sizes normal; both mates are mapped back to the genome with `N` for every intron
they cross. Overhangs shorter than `min_anchor` are soft-clipped as aligners do. The library is
unstranded. Records are built as columns (CIGARs by groups of reads crossing the same exons),
sorted by position with numpy, written as SAM text and encoded and indexed with pysam
(samtools); SEQ and QUAL are `*`. The header lists the build's real primary contigs
(ikaros.genome). Everything is drawn from a generator seeded by (seed, sample_id): the same
inputs give the same BAM.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from ikaros.genome import contig_lengths, header_contig
from ikaros.processes import map_in_processes
from ikaros.rna.simulate_fusions import (
    ChimericWriter,
    add_fusion_fragments,
    add_noise_fragments,
)
from ikaros.subtypes.assign import normalise_subtype

LESION_COLUMNS = (
    "patient_id",
    "sample_id",
    "lesion_id",
    "gene",
    "label",
    "chrom",
    "start",
    "end",
    "allelic",
    "cell_fraction",
)
ISOFORM_TRUTH_COLUMNS = ("sample_id", "gene", "transcript", "isoform", "exons_deleted", "fraction")

# Base expression (TPM) in B-ALL blasts; a guide to realistic magnitudes, not measured values.
BASE_TPM = {
    "IKZF1": 60.0, "PAX5": 80.0, "ERG": 8.0, "CDKN2A": 15.0,
    "ACTB": 1500.0, "GAPDH": 1200.0, "B2M": 1500.0, "TBP": 8.0, "HPRT1": 25.0, "PGK1": 150.0,
    "CD19": 120.0, "CD34": 60.0, "MME": 100.0, "DNTT": 120.0, "CRLF2": 6.0, "DUX4": 0.3,
    "NUTM1": 0.2, "HLF": 0.3, "CDX2": 0.3, "EPOR": 5.0,
}  # fmt: skip
DEFAULT_TPM = 10.0

SAM_FLAG_LEFT_R1 = 99  # paired, proper, mate reverse, first in pair
SAM_FLAG_RIGHT_R2 = 147  # paired, proper, reverse, second in pair
SAM_FLAG_LEFT_R2 = 163  # paired, proper, mate reverse, second in pair
SAM_FLAG_RIGHT_R1 = 83  # paired, proper, reverse, first in pair


@dataclass(frozen=True)
class RnaSimSettings:
    fragments_per_tpm_kb: float = 15.0  # ~ a 30 M fragment library
    expression_sd: float = 0.5  # log-scale SD of a gene's level between patients
    library_sd: float = 0.25  # log-scale SD of library size between samples
    read_length: int = 100
    insert_mean: float = 250.0
    insert_sd: float = 40.0
    min_anchor: int = 8
    intron_retention: float = 0.02  # share of normal molecules keeping one intron
    splicing_noise: float = 0.002  # share of normal molecules skipping one internal exon
    unspliced: float = 0.005  # share of normal molecules that are pre-mRNA
    readthrough: int = 2000
    other_transcripts_share: float = 0.3  # of a gene's molecules, to its non-main transcripts
    mapq: int = 60
    crlf2_fold_with_par1: float = 20.0  # CRLF2 overexpression in cells with P2RY8::CRLF2
    base_tpm: dict[str, float] = field(default_factory=lambda: dict(BASE_TPM))


@dataclass(frozen=True)
class Isoform:
    gene: str
    transcript: str
    label: str  # wildtype, retained_intron_3, skip_5, unspliced, or del:<exons>
    blocks: tuple[tuple[int, int], ...]  # genomic, ascending, 1-based inclusive
    share: float  # of the gene's molecules
    exons_deleted: tuple[int, ...] = ()


def sample_generator(seed: int, sample_id: str) -> np.random.Generator:
    digest = int.from_bytes(hashlib.sha256(sample_id.encode()).digest()[:8], "little")
    return np.random.default_rng([int(seed), digest])


def validate_lesions(table: pd.DataFrame, source: str = "truth lesions") -> pd.DataFrame:
    missing = [c for c in LESION_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")
    lesions = table.copy()
    for column in ("start", "end", "cell_fraction"):
        values = pd.to_numeric(lesions[column], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise ValueError(
                f"{source}: row {row + 2}, column {column}: expected a number, "
                f"got {table[column].iloc[row]!r}"
            )
        lesions[column] = values
    bad = ~lesions["allelic"].isin(["mono", "bi"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{source}: row {row + 2}, column allelic: expected mono or bi")
    bad = (lesions["cell_fraction"] < 0) | (lesions["cell_fraction"] > 1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{source}: row {row + 2}, column cell_fraction: expected 0..1")
    return lesions


def _transcript_isoforms(
    rows: pd.DataFrame, lesions: pd.DataFrame, share: float, settings: RnaSimSettings
) -> list[Isoform]:
    gene, transcript = str(rows["gene"].iloc[0]), str(rows["transcript"].iloc[0])
    strand = rows["strand"].iloc[0]
    exons = [
        (int(n), int(s), int(e))
        for n, s, e in zip(rows["exon"], rows["start"], rows["end"], strict=True)
    ]
    last = len(exons)
    here = lesions[
        (lesions["chrom"] == rows["chrom"].iloc[0])
        & (lesions["start"] <= max(e for _, _, e in exons))
        & (lesions["end"] >= min(s for _, s, _ in exons))
    ]
    isoforms = []
    weights = [
        float(f) * (1.0 if a == "bi" else 0.5)
        for f, a in zip(here["cell_fraction"], here["allelic"], strict=True)
    ]
    scale = 1.0 / sum(weights) if sum(weights) > 1 else 1.0
    deleted_share = 0.0
    for (_, lesion), weight in zip(here.iterrows(), weights, strict=True):
        weight *= scale
        lost = tuple(n for n, s, e in exons if s <= lesion["end"] and e >= lesion["start"])
        if not lost:
            continue
        deleted_share += weight
        if 1 in lost:
            continue  # promoter gone: the allele is silent
        kept = [(s, e) for n, s, e in exons if n not in lost]
        if last in lost:
            # read on into the intron after the last kept exon, short of the deletion
            final = max(n for n, _, _ in exons if n not in lost)
            _, fs, fe = exons[final - 1]
            if strand == "+":
                tail = (fe + 1, min(fe + settings.readthrough, int(lesion["start"]) - 1))
            else:
                tail = (max(fs - settings.readthrough, int(lesion["end"]) + 1), fs - 1)
            if tail[1] >= tail[0]:
                kept.append(tail)
        blocks = _merge_adjacent(sorted(kept))
        label = "del:" + ",".join(map(str, lost))
        isoforms.append(Isoform(gene, transcript, label, blocks, share * weight, lost))
    normal = share * max(0.0, 1.0 - deleted_share)
    spans = sorted((s, e) for _, s, e in exons)
    introns = len(spans) - 1
    retained = settings.intron_retention * normal if introns else 0.0
    skipping = settings.splicing_noise * normal if last >= 3 else 0.0
    unspliced = settings.unspliced * normal if introns else 0.0
    isoforms.append(
        Isoform(
            gene, transcript, "wildtype", tuple(spans), normal - retained - skipping - unspliced
        )
    )
    for i in range(introns):
        blocks = _merge_adjacent(spans[:i] + [(spans[i][0], spans[i + 1][1])] + spans[i + 2 :])
        isoforms.append(
            Isoform(gene, transcript, f"retained_intron_{i + 1}", blocks, retained / introns)
        )
    internal = [(n, s, e) for n, s, e in exons if 1 < n < last]
    for n, s, e in internal:
        blocks = tuple(span for span in spans if span != (s, e))
        isoforms.append(
            Isoform(gene, transcript, f"skip_{n}", blocks, skipping / len(internal), (n,))
        )
    if unspliced:
        isoforms.append(
            Isoform(gene, transcript, "unspliced", ((spans[0][0], spans[-1][1]),), unspliced)
        )
    return isoforms


def _merge_adjacent(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def gene_isoforms(
    models: pd.DataFrame, gene: str, lesions: pd.DataFrame, settings: RnaSimSettings
) -> list[Isoform]:
    """Every isoform of `gene` with its share of the gene's molecules, given a patient's lesions."""
    rows = models[models["gene"] == gene]
    labels = list(dict.fromkeys(rows["transcript"]))
    shares = (
        [1.0]
        if len(labels) == 1
        else [1.0 - settings.other_transcripts_share]
        + [settings.other_transcripts_share / (len(labels) - 1)] * (len(labels) - 1)
    )
    isoforms = []
    for label, share in zip(labels, shares, strict=True):
        isoforms += _transcript_isoforms(
            rows[rows["transcript"] == label], lesions, share, settings
        )
    return isoforms


def isoform_truth(
    models: pd.DataFrame,
    lesions: pd.DataFrame,
    sample_id: str,
    genes: list[str] | None = None,
    settings: RnaSimSettings | None = None,
) -> pd.DataFrame:
    """The aberrant (deletion) isoforms and their fraction of the transcript's molecules.

    The fraction is the isoform's molecules over all expressed molecules of the same transcript
    (silent alleles express none), i.e. what a junction fraction estimates.
    """
    settings = settings or RnaSimSettings()
    lesions = validate_lesions(lesions)
    rows = []
    for gene in genes or list(dict.fromkeys(models["gene"])):
        isoforms = gene_isoforms(models, gene, lesions, settings)
        for transcript in dict.fromkeys(i.transcript for i in isoforms):
            mine = [i for i in isoforms if i.transcript == transcript]
            total = sum(i.share for i in mine)
            for isoform in mine:
                if isoform.label.startswith("del:"):
                    rows.append(
                        (
                            sample_id,
                            gene,
                            transcript,
                            isoform.label,
                            ",".join(map(str, isoform.exons_deleted)),
                            isoform.share / total if total > 0 else 0.0,
                        )
                    )
    return pd.DataFrame(rows, columns=list(ISOFORM_TRUTH_COLUMNS))


def _map_reads(
    starts: np.ndarray, blocks: tuple[tuple[int, int], ...], settings: RnaSimSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map reads at transcript offsets `starts` to the genome: (pos, end, CIGAR), 1-based."""
    length = settings.read_length
    anchor = settings.min_anchor
    block_start = np.array([s for s, _ in blocks], dtype=np.int64)
    block_len = np.array([e - s + 1 for s, e in blocks], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(block_len)])  # transcript offset of each block
    gaps = block_start[1:] - (block_start[:-1] + block_len[:-1])
    first = starts.copy()
    last = starts + length  # exclusive
    i0 = np.searchsorted(offsets, first, side="right") - 1
    i1 = np.searchsorted(offsets, last - 1, side="right") - 1
    clip_left = np.zeros_like(first)
    clip_right = np.zeros_like(first)
    short_left = (i1 > i0) & (offsets[np.minimum(i0 + 1, len(blocks))] - first < anchor)
    clip_left[short_left] = offsets[i0[short_left] + 1] - first[short_left]
    i0 = np.where(short_left, i0 + 1, i0)
    first = first + clip_left
    short_right = (i1 > i0) & (last - offsets[i1] < anchor)
    clip_right[short_right] = last[short_right] - offsets[i1[short_right]]
    i1 = np.where(short_right, i1 - 1, i1)
    last = last - clip_right
    position = block_start[i0] + (first - offsets[i0])
    end = block_start[i1] + (last - 1 - offsets[i1])
    cigars = np.empty(starts.size, dtype=object)
    # reads crossing the same blocks with the same clipping share the CIGAR's middle part:
    # build each group's strings with one vectorised concatenation
    keys = ((i0 * len(blocks) + i1) * 2 + (clip_left > 0)) * 2 + (clip_right > 0)
    groups, inverse = np.unique(keys, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse))])
    for g, key in enumerate(groups.tolist()):
        clipped_right, clipped_left = key % 2, (key // 2) % 2
        a, b = divmod(key // 4, len(blocks))
        rows = order[bounds[g] : bounds[g + 1]]
        text = _numbers(clip_left[rows]) + "S" if clipped_left else np.full(rows.size, "", object)
        if a == b:
            text = text + _numbers(last[rows] - first[rows]) + "M"
        else:
            middle = "".join(f"{gaps[j - 1]}N{block_len[j]}M" for j in range(a + 1, b))
            text = text + _numbers(offsets[a + 1] - first[rows]) + f"M{middle}{gaps[b - 1]}N"
            text = text + _numbers(last[rows] - offsets[b]) + "M"
        if clipped_right:
            text = text + _numbers(clip_right[rows]) + "S"
        cigars[rows] = text
    return position, end, cigars


def _numbers(values: np.ndarray) -> np.ndarray:
    """Integers as an object array of Python strings (concatenates with `+`)."""
    return values.astype(str).astype(object)


def simulate_fragments(
    isoform: Isoform, count: int, rng: np.random.Generator, settings: RnaSimSettings
) -> pd.DataFrame:
    """`count` read pairs from one isoform: pos, end and CIGAR of the left and right mate."""
    total = sum(e - s + 1 for s, e in isoform.blocks)
    length = settings.read_length
    if count == 0 or total < length:
        return pd.DataFrame()
    inserts = np.rint(rng.normal(settings.insert_mean, settings.insert_sd, count)).astype(np.int64)
    inserts = np.clip(inserts, length, total)
    starts = np.floor(rng.random(count) * (total - inserts + 1)).astype(np.int64)
    left_pos, left_end, left_cigar = _map_reads(starts, isoform.blocks, settings)
    right_pos, right_end, right_cigar = _map_reads(
        starts + inserts - length, isoform.blocks, settings
    )
    return pd.DataFrame(
        {
            "left_pos": left_pos,
            "left_end": left_end,
            "left_cigar": left_cigar,
            "right_pos": right_pos,
            "right_end": right_end,
            "right_cigar": right_cigar,
            "read1_left": rng.random(count) < 0.5,
        }
    )


def simulate_rna_bam(
    out_bam: str | Path,
    sample_id: str,
    lesions: pd.DataFrame,
    models: pd.DataFrame,
    build: str,
    seed: int,
    genes: list[str] | None = None,
    settings: RnaSimSettings | None = None,
    chr_prefix: bool = True,
    fusions: pd.DataFrame | None = None,
    chimeric_noise: tuple | None = None,
    expression_shifts: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Write a sorted, indexed RNA BAM for one sample; return its isoform truth.

    `lesions` holds the sample's patient's rows of the truth-lesions table (other patients' rows
    must be filtered out by the caller); `models` is a transcript-model table; `genes` limits the
    simulated genes (default: all of the table). `fusions` holds the patient's rows of the
    truth-fusions table (simulate_fusions.TRUTH_FUSION_COLUMNS); `chimeric_noise` is
    (FusionNoise, scanned gene names, genome-wide gene table) for the noise chimeras;
    `expression_shifts` (gene -> log2 change) is the patient's subtype expression profile
    (`subtype_expression_shifts`).
    """
    settings = settings or RnaSimSettings()
    lesions = validate_lesions(lesions)
    rng = sample_generator(seed, sample_id)
    genes = genes or list(dict.fromkeys(models["gene"]))
    library = float(np.exp(rng.normal(0.0, settings.library_sd)))
    lengths = contig_lengths(build)
    # SAM columns gathered as arrays and joined once: one frame, not one per isoform and mate
    columns: dict[str, list[np.ndarray]] = {
        name: [] for name in ("qname", "flag", "rname", "pos", "cigar", "pnext", "tlen")
    }
    chimeric = ChimericWriter(sample_id, chr_prefix, settings.read_length, settings.mapq)
    serial = 0
    par1 = lesions.loc[lesions["label"].astype(str).str.startswith("PAR1"), "cell_fraction"]
    # the patient's expression profile is drawn before any read, so it does not depend on depth
    factors = np.exp(rng.normal(0.0, settings.expression_sd, len(genes)))
    for gene, factor in zip(genes, factors, strict=True):
        level = settings.base_tpm.get(gene, DEFAULT_TPM) * float(factor)
        level *= 2.0 ** (expression_shifts or {}).get(gene, 0.0)
        if gene == "CRLF2" and not par1.empty:
            # P2RY8::CRLF2: the PAR1 deletion puts CRLF2 under the P2RY8 promoter
            level *= 1.0 + settings.crlf2_fold_with_par1 * float(par1.max())
        chrom = header_contig(str(models.loc[models["gene"] == gene, "chrom"].iloc[0]), chr_prefix)
        for isoform in gene_isoforms(models, gene, lesions, settings):
            size_kb = sum(e - s + 1 for s, e in isoform.blocks) / 1000.0
            expected = settings.fragments_per_tpm_kb * library * level * isoform.share * size_kb
            pairs = simulate_fragments(isoform, int(rng.poisson(expected)), rng, settings)
            if pairs.empty:
                continue
            names = [f"{sample_id}.{serial + i}" for i in range(len(pairs))]
            serial += len(pairs)
            span = pairs["right_end"] - pairs["left_pos"] + 1
            left_flag = np.where(pairs["read1_left"], SAM_FLAG_LEFT_R1, SAM_FLAG_LEFT_R2)
            right_flag = np.where(pairs["read1_left"], SAM_FLAG_RIGHT_R2, SAM_FLAG_RIGHT_R1)
            mates = (
                (left_flag, pairs["left_pos"], pairs["left_cigar"], pairs["right_pos"], span),
                (right_flag, pairs["right_pos"], pairs["right_cigar"], pairs["left_pos"], -span),
            )
            for flag, pos, cigar, mate, tlen in mates:
                columns["qname"].append(np.asarray(names, dtype=object))
                columns["flag"].append(np.asarray(flag, dtype=np.int64))
                columns["rname"].append(np.full(len(names), chrom, dtype=object))
                columns["pos"].append(pos.to_numpy(dtype=np.int64))
                columns["cigar"].append(cigar.to_numpy(dtype=object))
                columns["pnext"].append(mate.to_numpy(dtype=np.int64))
                columns["tlen"].append(tlen.to_numpy(dtype=np.int64))
    if fusions is not None and not fusions.empty:
        add_fusion_fragments(
            chimeric, fusions, models, rng, library, settings.insert_mean, settings.insert_sd
        )
    if chimeric_noise is not None:
        noise, scanned, genome_genes = chimeric_noise
        add_noise_fragments(
            chimeric, noise, scanned, models, genome_genes, rng, settings.insert_mean,
            settings.insert_sd,
        )  # fmt: skip
    header = ["@HD\tVN:1.6\tSO:coordinate"] + [
        f"@SQ\tSN:{header_contig(name, chr_prefix)}\tLN:{length}"
        for name, length in lengths.items()
    ]
    header.append(f"@RG\tID:{sample_id}\tSM:{sample_id}")
    header.append(f"@CO\tikaros.rna.simulate seed={seed} build={build}")
    out_bam = Path(out_bam)
    out_bam.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_bam.parent) as tmp:
        sam = Path(tmp) / "reads.sam"
        with open(sam, "w") as handle:
            handle.write("\n".join(header) + "\n")
            if columns["qname"] or chimeric.rows:
                # sorted here (contig order, then position; stable) so samtools only encodes
                table = pd.DataFrame(
                    {name: np.concatenate(parts) for name, parts in columns.items()}
                    if columns["qname"]
                    else {name: [] for name in columns}
                )
                table.insert(4, "mapq", settings.mapq)
                table.insert(6, "rnext", "=")
                table["tag1"], table["tag2"] = "NH:i:1", "HI:i:1"
                if chimeric.rows:
                    table = pd.concat([table, chimeric.table()], ignore_index=True)
                table.insert(9, "seq", "*")
                table.insert(10, "qual", "*")
                contig_order = {header_contig(c, chr_prefix): i for i, c in enumerate(lengths)}
                order = np.lexsort((table["pos"].to_numpy(), table["rname"].map(contig_order)))
                table.iloc[order].to_csv(handle, sep="\t", header=False, index=False)
        # --no-PG: the temporary paths must not reach the header (byte-identical reruns)
        pysam.view("--no-PG", "-b", "-o", str(out_bam), str(sam), catch_stdout=False)
    pysam.index(str(out_bam))
    return isoform_truth(models, lesions, sample_id, genes, settings)


def subtype_expression_shifts(
    markers: pd.DataFrame, subtype: str, subclass: str, fold_log2: float = 4.0
) -> dict[str, float]:
    """gene -> log2 change of a tumour of `subtype` (and BCR::ABL1-like `subclass`): the
    genes of its marker sets (resources/expression_markers.tsv) up or down by `fold_log2`,
    a `silent` gene switched on (+7 log2: from about 0.3 to 40 TPM-like units); sets of
    another subclass stay unchanged."""
    mine = markers[
        (markers["subtype"] == subtype)
        & ((markers["subclass"] == "") | (markers["subclass"] == subclass))
    ]
    shifts = {}
    for row in mine.itertuples(index=False):
        change = 7.0 if row.kind == "silent" else fold_log2
        shifts[row.gene] = change if row.direction == "up" else -change
    return shifts  # fmt: skip


def _simulate_cohort_sample(job: tuple) -> pd.DataFrame:
    sample_id, bam, lesions, models, build, seed, settings, fusions, noise, shifts = job
    return simulate_rna_bam(
        bam, sample_id, lesions, models, build, seed, settings=settings, fusions=fusions,
        chimeric_noise=noise, expression_shifts=shifts,
    )  # fmt: skip


def _patient_shifts(fusions, markers, patient_id, subtypes=None) -> dict[str, float] | None:
    """The expression profile of the patient's subtype: its truth fusion's, else the subtype
    the simulated clinical sheet gives it (DUX4-r has no fusion but its DUX4 expression)."""
    if markers is None:
        return None
    mine = fusions[fusions["patient_id"] == patient_id] if fusions is not None else fusions
    if mine is not None and not mine.empty:
        row = mine.iloc[0]
        subclass = "" if pd.isna(row["subclass"]) else str(row["subclass"])
        return subtype_expression_shifts(markers, str(row["subtype"]), subclass)
    subtype = normalise_subtype((subtypes or {}).get(patient_id, ""))
    return subtype_expression_shifts(markers, subtype, "") if subtype == "DUX4-r" else None


def simulate_cohort_rna(
    samples: pd.DataFrame,
    lesions: pd.DataFrame,
    models: pd.DataFrame,
    build: str,
    seed: int,
    settings: RnaSimSettings | None = None,
    processes: int = 1,
    fusions: pd.DataFrame | None = None,
    chimeric_noise: tuple | None = None,
    markers: pd.DataFrame | None = None,
    subtypes: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Write the RNA BAM of every sample with an `rna_bam` (samples sheet columns sample_id,
    patient_id, rna_bam) from the cohort's truth lesions; return the isoform truth of all.
    `fusions` is the cohort's truth-fusions table (rows by patient_id); `chimeric_noise` as
    for `simulate_rna_bam`; with `markers` (the expression marker sets) a patient's fusion
    subtype also sets its marker-gene expression (`subtype_expression_shifts`).

    Each sample draws from its own stream (`sample_generator`), so the BAMs do not depend on
    the number of workers; the truth rows come back in sheet order.
    """
    with_rna = samples[samples["rna_bam"].notna()] if "rna_bam" in samples else samples.iloc[:0]
    jobs = [
        (
            record.sample_id,
            record.rna_bam,
            lesions[lesions["patient_id"] == record.patient_id],
            models,
            build,
            seed,
            settings,
            None if fusions is None else fusions[fusions["patient_id"] == record.patient_id],
            chimeric_noise,
            _patient_shifts(fusions, markers, record.patient_id, subtypes),
        )
        for record in with_rna.itertuples(index=False)
    ]
    truths = map_in_processes(_simulate_cohort_sample, jobs, processes)
    truths = [truth for truth in truths if not truth.empty]
    if not truths:
        return pd.DataFrame(columns=list(ISOFORM_TRUTH_COLUMNS))
    return pd.concat(truths, ignore_index=True).loc[:, list(ISOFORM_TRUTH_COLUMNS)]

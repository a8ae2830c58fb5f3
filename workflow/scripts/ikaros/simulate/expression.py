"""Gene count profiles with subtype marker expression, as different laboratories would give them.

Each gene has a cohort-wide relative abundance (log2, against the housekeeping genes):
housekeeping genes about 0, other genes normal around `typical_level` (marker genes near it),
the `silent` marker
genes (DUX4, NUTM1, HLF, CDX2) at `silent_level`. A sample of subtype S has the genes of S's
marker sets moved by `fold_log2` (up or down; a silent gene to `driven_level`). On top: the
patient's biological noise (`noise_sd` per gene), a laboratory's gene-specific bias shared by
all its samples (`lab_bias_sd`: 3' bias, read length, annotation), a library size drawn
log-uniformly between `min_library` and `max_library` reads, negative-binomial counting noise,
and a share `missing_fraction` of genes the laboratory's annotation does not count (absent
from its tables). Everything comes from the generator passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.subtypes.assign import normalise_subtype


@dataclass(frozen=True)
class ProfileSettings:
    typical_level: float = -6.0
    typical_sd: float = 2.0
    silent_level: float = -16.0
    driven_level: float = -2.0
    fold_log2: float = 4.0
    noise_sd: float = 0.4
    lab_bias_sd: float = 0.5
    min_library: float = 2e6
    max_library: float = 6e7
    dispersion: float = 0.05
    missing_fraction: float = 0.03
    dosage_slope: float = 0.8


def simulate_profiles(
    subtypes: list[str],
    markers: pd.DataFrame,
    genes: list[str],
    housekeeping: list[str],
    rng: np.random.Generator,
    settings: ProfileSettings | None = None,
    karyotypes: list[dict[str, tuple[int, int]] | None] | None = None,
    gene_chroms: dict[str, str] | None = None,
    cell_fractions: list[float] | None = None,
    subclasses: list[str] | None = None,
) -> pd.DataFrame:
    """Counts, genes x samples (columns S001 ...), NaN for genes the laboratory does not count;
    `subtypes[i]` is sample i's subtype token (markers of other subtypes stay at baseline).

    With `karyotypes` (per sample: chrom -> (copies, minor copies), as
    ikaros.simulate.karyotypes.design_karyotype draws them; None = diploid) and `gene_chroms`,
    a gene on a chromosome at c copies in a fraction f of the cells (`cell_fractions`) moves by
    `dosage_slope` x log2((f c + 2 (1 - f)) / 2): expression follows dosage, damped. With
    `subclasses` (the BCR::ABL1-like class per sample), marker sets of another class (EPOR for
    a CRLF2-r tumour) stay at baseline."""
    settings = settings or ProfileSettings()
    genes = list(dict.fromkeys(list(genes) + list(markers["gene"]) + list(housekeeping)))
    index = {g: i for i, g in enumerate(genes)}
    base = rng.normal(settings.typical_level, settings.typical_sd, len(genes))
    for gene in housekeeping:
        base[index[gene]] = rng.normal(0.0, 0.3)
    silent = set(markers.loc[markers["kind"] == "silent", "gene"])
    for gene in sorted(set(markers["gene"]) - silent):
        # marker genes are chosen among well-expressed ones: no unlucky near-silent marker
        base[index[gene]] = settings.typical_level + rng.normal(0.0, 0.5)
    for gene in silent:
        base[index[gene]] = settings.silent_level
    bias = rng.normal(0.0, settings.lab_bias_sd, len(genes))
    missing = rng.random(len(genes)) < settings.missing_fraction
    for gene in list(markers["gene"]) + list(housekeeping):
        missing[index[gene]] = False  # the laboratory counts the genes the test is about
    chromosome_genes: dict[str, list[str]] = {}
    for gene, chrom in (gene_chroms or {}).items():
        if gene in index:
            chromosome_genes.setdefault(chrom, []).append(gene)
    columns = {}
    for number, subtype in enumerate(subtypes, start=1):
        level = base + rng.normal(0.0, settings.noise_sd, len(genes))
        subclass = subclasses[number - 1] if subclasses else None
        mine = markers[markers["subtype"] == subtype]
        if subclass is not None:
            mine = mine[(mine["subclass"] == "") | (mine["subclass"] == subclass)]
        for row in mine.itertuples(index=False):
            i = index[row.gene]
            if row.gene in silent:
                level[i] = settings.driven_level + rng.normal(0.0, settings.noise_sd)
            else:
                level[i] += settings.fold_log2 if row.direction == "up" else -settings.fold_log2
        karyotype = karyotypes[number - 1] if karyotypes else None
        if karyotype:
            fraction = cell_fractions[number - 1] if cell_fractions else 1.0
            for chrom, (copies, _) in karyotype.items():
                normal = 1 if chrom == "chrX" and karyotype.get("chrX", (2, 1))[0] < 2 else 2
                if copies == normal or chrom in ("chrX", "chrY"):
                    continue
                shift = settings.dosage_slope * np.log2(
                    (fraction * copies + normal * (1 - fraction)) / normal
                )
                for gene in chromosome_genes.get(chrom, ()):
                    level[index[gene]] += shift
        share = np.exp2(level + bias)
        library = float(np.exp(rng.uniform(np.log(settings.min_library),
                                           np.log(settings.max_library))))  # fmt: skip
        mean = library * share / share.sum()
        shape = 1.0 / settings.dispersion
        counts = rng.poisson(rng.gamma(shape, mean / shape)).astype(float)
        counts[missing] = np.nan
        columns[f"S{number:03d}"] = counts
    return pd.DataFrame(columns, index=pd.Index(genes, name="gene"))


def write_htseq_counts(path, counts: pd.Series) -> None:
    """One sample's counts as HTSeq-count writes them (genes the laboratory did not count are
    left out; the summary rows at the end)."""
    kept = counts.dropna().astype(np.int64)
    lines = [f"{gene}\t{value}" for gene, value in kept.items()]
    lines += ["__no_feature\t0", "__ambiguous\t0", "__too_low_aQual\t0", "__not_aligned\t0",
              "__alignment_not_unique\t0"]  # fmt: skip
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def simulate_cohort_counts(
    samples: pd.DataFrame,
    fusions: pd.DataFrame,
    clinical_subtypes: dict[str, str],
    markers: pd.DataFrame,
    genes: pd.DataFrame,
    housekeeping: list[str],
    seed: int,
    karyotypes: pd.DataFrame | None = None,
) -> None:
    """Write the `rna_counts` table of every sample that has one: a genome-wide profile of the
    protein-coding genes with the markers of the patient's fusion subtype (truth fusions; DUX4
    expressed for the clinical sheet's DUX4 patients), from a stream of its own, (seed, 6).
    With `karyotypes` (the design's copy pieces, sample_id + PIECE_COLUMNS) each gene follows
    the copies of its chromosome (the longest piece's) in the tumour's blasts."""
    with_counts = samples[samples["rna_counts"].notna()] if "rna_counts" in samples else samples[:0]
    if with_counts.empty:
        return
    subtype = dict(zip(fusions["patient_id"], fusions["subtype"], strict=True))
    subclass = dict(zip(fusions["patient_id"], fusions["subclass"].fillna(""), strict=True))
    # without a fusion, a DUX4-r patient of the clinical sheet still expresses DUX4
    labels = [
        subtype.get(p, "DUX4-r" if normalise_subtype(clinical_subtypes.get(p, "")) == "DUX4-r"
                    else "none")
        for p in with_counts["patient_id"]
    ]  # fmt: skip
    classes = [subclass.get(p, "") for p in with_counts["patient_id"]]
    coding = list(genes.loc[genes["type"] == "protein_coding", "gene"])
    rng = np.random.default_rng([int(seed), 6])
    dosage = {}
    if karyotypes is not None and len(karyotypes):
        longest = karyotypes.assign(bp=karyotypes["end"] - karyotypes["start"]).sort_values("bp")
        for sample, mine in longest.groupby("sample_id"):
            last = mine.drop_duplicates("chrom", keep="last")
            pairs = zip(last["copies"], last["minor"], strict=True)
            dosage[sample] = dict(zip(last["chrom"], pairs, strict=True))
    profiles = simulate_profiles(
        labels, markers, coding, housekeeping, rng, ProfileSettings(missing_fraction=0.02),
        karyotypes=[dosage.get(s) for s in with_counts["sample_id"]] if dosage else None,
        gene_chroms=dict(zip(genes["gene"], genes["chrom"], strict=False)) if dosage else None,
        cell_fractions=list(with_counts["blast_percent"].astype(float) / 100) if dosage else None,
        subclasses=classes,
    )  # fmt: skip
    for column, path in zip(profiles.columns, with_counts["rna_counts"], strict=True):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_htseq_counts(path, profiles[column])

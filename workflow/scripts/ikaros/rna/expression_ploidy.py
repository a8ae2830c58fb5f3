"""Chromosome number from expression, in the manner of RNAseqCNV (Barinka et al., Leukemia 2022).

Genome-wide gene counts (count tables; a BAM-derived table of the RNA genes is too small) are
normalised to counts per million over the protein-coding genes; genes expressed in the cohort
(median CPM >= `min_median_cpm`) and placed on a chromosome arm are kept. Each gene's log2 CPM
is taken relative to its median over the cohort (the diploid reference: most patients of a
cohort are near diploid for any given chromosome), and each sample is centred on the median of
its autosomal genes. An arm's level is the median over its genes; its standard error
1.2533 x SD / sqrt(n) (that of a median), from at least `min_genes_per_arm` genes.

Expression follows copy number less than fully (dosage compensation): a trisomy in every cell
moves expression by about `dosage_slope` x log2(3/2). Arm levels are divided by the slope and
handed, as one segment per arm, to the genome karyotype caller (`ikaros.karyotype.ploidy`),
together with the SNP allele counts of an RNA VCF when the sample has one (allele-specific
expression gives B-allele fractions of expressed heterozygous SNPs). The classes are the DNA
side's tokens. Without allele fractions, a doubled near-haploid or hypodiploid clone and a high
hyperdiploid one can explain the same levels: the caller then says `undetermined` with the
reason, as it does for DNA without SNPs, rather than guess. Expression does not follow a
gained X (all X chromosomes of a cell but one are inactivated), so a count one X short of
another class (50 chromosomes, where high hyperdiploidy starts at 51) is ``undetermined``.

The slope is an assumption taken from the simulator's model (0.8); calibrate it on tumours of
known karyotype before trusting counts from a new laboratory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ikaros.karyotype.arms import arm_bounds
from ikaros.karyotype.fit import KaryotypeSettings
from ikaros.karyotype.ploidy import Karyotype, call_karyotype, ploidy_class

AUTOSOMES = tuple(f"chr{i}" for i in range(1, 23))


@dataclass(frozen=True)
class ExpressionPloidySettings:
    min_cohort: int = 10
    min_median_cpm: float = 10.0
    min_genes_per_arm: int = 20
    dosage_slope: float = 0.8
    log2_sd: float = 0.08  # arm noise beyond the standard error, in copy-number log2 units


def gene_arms(genes: pd.DataFrame, build: str) -> pd.Series:
    """chrom+arm (`chr7q`) of each gene's midpoint; absent for genes off the arms."""
    bounds = arm_bounds(build)
    middle = (genes["start"] + genes["end"]) // 2
    arms = pd.Series(pd.NA, index=genes["gene"].to_numpy(), dtype=object)
    for arm in bounds.itertuples(index=False):
        inside = (genes["chrom"] == arm.chrom) & middle.between(arm.start, arm.end)
        arms[genes.loc[inside, "gene"].to_numpy()] = f"{arm.chrom}{arm.arm}"
    return arms.dropna()


def relative_expression(
    counts: pd.DataFrame, genes: pd.DataFrame, build: str, settings: ExpressionPloidySettings
) -> tuple[pd.DataFrame, pd.Series]:
    """(genes x samples log2 ratios to the cohort median, sample-centred; the genes' arms)."""
    coding = set(genes.loc[genes["type"] == "protein_coding", "gene"])
    counts = counts.loc[[g for g in counts.index if g in coding]].astype(float)
    cpm = counts / counts.sum(axis=0) * 1e6
    arms = gene_arms(genes[genes["gene"].isin(counts.index)], build)
    expressed = cpm.median(axis=1, skipna=True) >= settings.min_median_cpm
    keep = [
        g for g in cpm.index[expressed] if g in arms.index and not str(arms[g]).startswith("chrY")
    ]
    logs = np.log2(cpm.loc[keep] + 0.5)
    ratios = logs.sub(logs.median(axis=1), axis=0)
    autosomal = [g for g in keep if arms[g][:-1] in AUTOSOMES]
    ratios = ratios - ratios.loc[autosomal].median(axis=0)
    return ratios, arms[keep]


def arm_segments(
    ratios: pd.Series, arms: pd.Series, build: str, settings: ExpressionPloidySettings
) -> pd.DataFrame:
    """One segment per arm with enough genes: chrom start end log2 se (copy-number scale)."""
    bounds = arm_bounds(build).assign(key=lambda t: t["chrom"] + t["arm"]).set_index("key")
    rows = []
    measured = ratios.dropna()
    grouped = measured.groupby(arms[measured.index])
    for key, values in grouped:
        if len(values) < settings.min_genes_per_arm:
            continue
        arm = bounds.loc[key]
        se = 1.2533 * float(values.std(ddof=1)) / np.sqrt(len(values))
        rows.append(
            (arm["chrom"], int(arm["start"]), int(arm["end"]),
             float(values.median()) / settings.dosage_slope, se / settings.dosage_slope)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "log2", "se"])


def expression_karyotypes(
    counts: pd.DataFrame,
    genes: pd.DataFrame,
    build: str,
    snps: dict[str, pd.DataFrame] | None = None,
    sexes: dict[str, str] | None = None,
    blasts: dict[str, float | None] | None = None,
    settings: ExpressionPloidySettings | None = None,
) -> dict[str, Karyotype | str]:
    """Per sample (column of `counts`): its Karyotype, or the reason none can be given."""
    settings = settings or ExpressionPloidySettings()
    snps, sexes, blasts = snps or {}, sexes or {}, blasts or {}
    if counts.shape[1] < settings.min_cohort:
        reason = (f"a cohort of {counts.shape[1]} count tables (< {settings.min_cohort}) gives "
                  "no diploid reference")  # fmt: skip
        return {sample: reason for sample in counts.columns}
    ratios, arms = relative_expression(counts, genes, build, settings)
    karyotype_settings = KaryotypeSettings(log2_sd=settings.log2_sd)
    results: dict[str, Karyotype | str] = {}
    for sample in counts.columns:
        segments = arm_segments(ratios[sample], arms, build, settings)
        if segments.empty:
            results[sample] = "no chromosome arm with enough expressed genes"
            continue
        karyotype = call_karyotype(
            segments, build, snps.get(sample), sexes.get(sample, ""), blasts.get(sample),
            settings=karyotype_settings,
        )  # fmt: skip
        results[sample] = one_x_short(karyotype)
    return results


def one_x_short(karyotype: Karyotype) -> Karyotype:
    """`undetermined` where one more X would change the class. All X chromosomes of a cell but
    one are inactivated, so expression does not follow a gained X; and most high hyperdiploid
    clones gain one (81% of 182 cases, Raimondi et al., Leukemia 1996): a count from expression
    may be an X short. Where the X reads gained all the same (genes that escape inactivation),
    the count has it."""
    summary = karyotype.summary
    count = str(summary.get("chromosome_count", ""))
    if not count.isdigit() or summary.get("ploidy_class") in ("", "undetermined"):
        return karyotype
    chromosomes = karyotype.chromosomes
    if (
        len(chromosomes)
        and ((chromosomes["chrom"] == "chrX") & (chromosomes["state"] == "gain")).any()
    ):
        return karyotype
    with_x = int(count) + 1
    if ploidy_class(int(count)) == ploidy_class(with_x):
        return karyotype
    reason = (
        f"; {with_x} chromosomes ({ploidy_class(with_x)}) with a gained X, "
        "which expression does not show (X inactivation)"
    )
    summary = summary | {
        "ploidy_class": "undetermined",
        "ploidy_evidence": summary.get("ploidy_evidence", "") + reason,
    }
    return replace(karyotype, summary=summary)

"""Allele counts of the single-nucleotide variants of a tumour VCF, for B-allele fractions.

Every PASS (or unfiltered) biallelic SNV with both depths known and at least `min_depth` reads
is kept; most are germline SNPs. Heterozygous ones give the B-allele fraction of their
segment; homozygous ones (and heterozygous SNPs whose other allele is lost in the tumour) sit
near 1. The karyotype fit models both (``ikaros.karyotype.fit``), so no genotype filter is
applied here: a tumour-only caller's genotype is wrong exactly where the tumour has lost an
allele.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ikaros.variants.vcf import BASES, VcfInfo, allele_depths, passed_filters, read_records

SNP_COLUMNS = ("chrom", "pos", "ref_reads", "alt_reads")


def snp_allele_counts(info: VcfInfo, min_depth: int = 15) -> pd.DataFrame:
    records = read_records(info)
    if not records:
        return pd.DataFrame(columns=list(SNP_COLUMNS))
    ref_depth, alt_depth = allele_depths(info, records)
    ref = records["variants/REF"].astype(str)
    alt = records["variants/ALT"].astype(str)
    snv = np.isin(ref, list(BASES)) & np.isin(alt, list(BASES))
    keep = (
        snv
        & passed_filters(info, records)
        & (ref_depth >= 0)
        & (alt_depth >= 1)
        & (ref_depth + alt_depth >= min_depth)
    )
    table = pd.DataFrame(
        {
            "chrom": records["variants/CHROM"][keep],
            "pos": records["variants/POS"][keep].astype(int),
            "ref_reads": ref_depth[keep],
            "alt_reads": alt_depth[keep],
        }
    )
    return table.reset_index(drop=True)

"""Which rows of a karyotype table other steps may read copies from.

Only karyotypes that SNP allele fractions support (``allele_source`` set), whose class is
determined and whose copies are decided (``copies_decided``: a near-haploid clone and its
doubling, one copy of most chromosomes or two with LOH, fit depth and allele fractions alike,
and only the blast fraction can tell them apart) say which chromosomes a tumour holds at how
many copies.
"""

from __future__ import annotations

import pandas as pd


def usable_karyotypes(karyotypes: pd.DataFrame) -> pd.DataFrame:
    """The rows of a karyotype table (karyotypes.tsv columns) whose copies can be read."""
    decided = karyotypes.get("copies_decided", pd.Series("", index=karyotypes.index))
    return karyotypes[
        (karyotypes["allele_source"].fillna("").astype(str) != "")
        & ~karyotypes["ploidy_class"].fillna("").isin(["", "undetermined"])
        & (decided.fillna("").astype(str) == "true")
    ]

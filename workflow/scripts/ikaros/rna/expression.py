"""Expression of the panel and marker genes: fragment counts and TPM-like values.

A gene's count is the number of fragments with an aligned block in any of its exons (union over
its transcripts). TPM-like values follow the TPM recipe within the measured gene set: fragments
per kilobase of exonic length, scaled so the set sums to one million. They compare genes within a
sample and samples with each other only through the same gene set, so the table also gives each
gene relative to the housekeeping controls (log2 of its TPM-like value over the geometric mean of
the control genes'), which does not depend on which other genes were measured.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.rna.exon_coverage import overlap_bases
from ikaros.rna.models import GeneModel
from ikaros.rna.reads import GeneReads
from ikaros.tables import read_tsv

EXPRESSION_COLUMNS = (
    "gene",
    "purpose",
    "exonic_length",
    "fragments",
    "tpm_like",
    "log2_vs_controls",
)
PSEUDOCOUNT = 1.0  # TPM-like units, keeps log2 finite for silent genes


def gene_fragments(model: GeneModel, reads: GeneReads) -> int:
    """Fragments with an aligned block in any exon of the gene."""
    touching = np.zeros(reads.block_fragment.size, dtype=bool)
    for start, end in model.union_exons:
        touching |= overlap_bases(reads, start, end) > 0
    return int(np.unique(reads.block_fragment[touching]).size)


def expression_table(
    models: dict[str, GeneModel], scans: dict[str, GeneReads], purposes: dict[str, str]
) -> pd.DataFrame:
    """One row per scanned gene; `purposes` maps gene -> panel | control | subtype_marker."""
    genes = [g for g in models if g in scans]
    table = pd.DataFrame(
        {
            "gene": genes,
            "purpose": [purposes.get(g, "") for g in genes],
            "exonic_length": [models[g].exonic_length for g in genes],
            "fragments": [gene_fragments(models[g], scans[g]) for g in genes],
        }
    )
    rpk = table["fragments"] / (table["exonic_length"] / 1000.0)
    total = rpk.sum()
    table["tpm_like"] = rpk / total * 1e6 if total > 0 else 0.0
    controls = table["purpose"] == "control"
    if controls.any():
        reference = np.log2(table.loc[controls, "tpm_like"] + PSEUDOCOUNT).mean()
        table["log2_vs_controls"] = np.log2(table["tpm_like"] + PSEUDOCOUNT) - reference
    else:
        table["log2_vs_controls"] = np.nan
    return table


def write_expression(table: pd.DataFrame, path) -> None:
    out = table.copy()
    for column in ("tpm_like", "log2_vs_controls"):
        out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    out.to_csv(path, sep="\t", index=False)


def expression_matrix(tables: dict[str, pd.DataFrame], value: str) -> pd.DataFrame:
    """Genes x samples matrix of one column (`fragments`, `tpm_like`, `log2_vs_controls`).

    `tables` maps sample_id -> per-sample expression table; genes keep the first table's order
    (a gene missing from a sample is an empty cell), samples keep the mapping's order.
    """
    if value not in EXPRESSION_COLUMNS[3:]:
        raise ValueError(f"expression matrix value must be one of {EXPRESSION_COLUMNS[3:]}")
    genes: list[str] = []
    for table in tables.values():
        genes += [g for g in table["gene"] if g not in genes]
    matrix = pd.DataFrame({"gene": genes})
    for sample_id, table in tables.items():
        matrix[sample_id] = matrix["gene"].map(dict(zip(table["gene"], table[value], strict=True)))
    return matrix


def read_expression(path: str | Path) -> pd.DataFrame:
    return read_tsv(
        path, EXPRESSION_COLUMNS, "expression table", keep_default_na=False, na_values=[""]
    )

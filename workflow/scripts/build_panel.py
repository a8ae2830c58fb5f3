"""Rule build_panel: a GENCODE/Ensembl GTF + a panel gene list -> gene models and panel table.

As a Snakemake rule script: input `gtf`; params `genes` (panel gene list TSV), `build`;
output `panel`, `models`; log. As a command line:

    python workflow/scripts/build_panel.py --gtf gencode.v44.annotation.gtf.gz \
        --genes resources/panel_genes.tsv --build GRCh38 --out-panel P.tsv --out-models M.tsv

The layout logic is that of the shipped resources/panel_<build>.tsv (ikaros.dna.panel_design).
"""

import argparse
import logging
import sys
from pathlib import Path

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ikaros.annotation import build_gene_models, read_gtf_exons, read_panel_genes  # noqa: E402
from ikaros.dna.panel_design import design_panel, write_gene_models, write_panel  # noqa: E402


def build(gtf: str, genes: str, build_name: str, out_panel: str, out_models: str) -> None:
    panel_genes = read_panel_genes(genes)
    logging.info("reading exons of %d genes from %s", len(panel_genes), gtf)
    exons = read_gtf_exons(gtf, panel_genes["gene"])
    models = build_gene_models(exons, panel_genes)
    panel = design_panel(models, panel_genes, build_name)
    for kind, count in panel["kind"].value_counts(sort=False).items():
        logging.info("%s: %d bins", kind, count)
    # Write to temporary names first so a failure never leaves a partial table behind.
    for table, path, writer in (
        (models, out_models, write_gene_models),
        (panel, out_panel, write_panel),
    ):
        partial = Path(f"{path}.partial")
        writer(table, partial)
        partial.replace(path)
    logging.info("wrote %s (%d bins) and %s", out_panel, len(panel), out_models)


if "snakemake" in globals():
    log_to(snakemake.log[0])
    build(
        gtf=snakemake.input.gtf,
        genes=snakemake.params.genes,
        build_name=snakemake.params.build,
        out_panel=snakemake.output.panel,
        out_models=snakemake.output.models,
    )
elif __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Build panel bins from a GTF and a gene list.")
    parser.add_argument("--gtf", required=True, help="GENCODE/Ensembl GTF, plain or gzipped")
    parser.add_argument(
        "--genes", required=True, help="panel gene list (resources/panel_genes.tsv)"
    )
    parser.add_argument("--build", required=True, choices=["GRCh37", "GRCh38"])
    parser.add_argument("--out-panel", required=True)
    parser.add_argument("--out-models", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    build(args.gtf, args.genes, args.build, args.out_panel, args.out_models)

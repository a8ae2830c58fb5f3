"""Rebuild the panel for another gene list from a GENCODE GTF (run on demand).

    snakemake --cores 1 results/panel/GRCh38/panel.tsv --config panel_builder='{gtf: gencode.gtf.gz}'

then point a cohort's `panel` key at the new table.
"""


rule build_panel:
    input:
        gtf=config.get("panel_builder", {}).get(
            "gtf", "panel_builder.gtf-not-configured"
        ),
        genes=config.get("panel_builder", {}).get("genes", "resources/panel_genes.tsv"),
    output:
        panel="results/panel/{build}/panel.tsv",
        models="results/panel/{build}/gene_models.tsv",
    log:
        "logs/build_panel/{build}.log",
    wildcard_constraints:
        build="GRCh37|GRCh38",
    conda:
        "../../envs/panel.yaml"
    params:
        build=lambda wildcards: wildcards.build,
    script:
        "../scripts/build_panel.py"

"""Cohort QC: fragments counted, median depth, inferred sex and flags per sample; and the
normalisation and noise of each tumour's copy-number ratios."""


rule cohort_qc:
    input:
        coverage=coverage_tables,
    output:
        qc=report(
            "results/{cohort}/qc/coverage_qc.tsv",
            category="Quality control",
            caption="../report/coverage_qc.rst",
        ),
    log:
        "logs/{cohort}/cohort_qc.log",
    conda:
        "../../envs/coverage.yaml"
    params:
        samples=sample_records,
        thresholds=config["qc"],
        build=lambda wildcards: cohort_of(wildcards).build,
    script:
        "../scripts/cohort_qc.py"


rule copy_number_noise:
    input:
        noise=call_noise_tables,
    output:
        table="results/{cohort}/qc/copy_number_noise.tsv",
    log:
        "logs/{cohort}/copy_number_noise.log",
    conda:
        "../../envs/copy_number.yaml"
    script:
        "../scripts/copy_number_noise.py"

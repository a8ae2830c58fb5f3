"""Per-sample fragment counts in the panel's bins, read through the BAM/CRAM index."""


rule count_coverage:
    input:
        unpack(alignment_inputs),
    output:
        coverage="results/{cohort}/coverage/{sample}.tsv",
    log:
        "logs/{cohort}/count_coverage/{sample}.log",
    conda:
        "../../envs/coverage.yaml"
    threads: 1
    params:
        build=lambda wildcards: cohort_of(wildcards).build,
        reference_fasta=lambda wildcards: cohort_of(wildcards).reference_fasta,
        filters=coverage_filters(),
    script:
        "../scripts/count_coverage.py"

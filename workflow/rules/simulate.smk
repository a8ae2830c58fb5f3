"""Simulated cohorts (demo and tests): sheets, truth tables and BAMs with known lesions."""


def simulation_params(wildcards):
    cohort = cohort_of(wildcards)
    return dict(config["cohorts"][cohort.name]["simulate"])


rule simulate_design:
    input:
        gene_models=lambda wildcards: cohort_of(wildcards).gene_models,
    output:
        samples="results/{cohort}/simulated/samples.tsv",
        clinical="results/{cohort}/simulated/clinical.tsv",
        truth_lesions="results/{cohort}/simulated/truth_lesions.tsv",
        truth_patients="results/{cohort}/simulated/truth_patients.tsv",
    log:
        "logs/{cohort}/simulate_design.log",
    conda:
        "../../envs/simulate.yaml"
    params:
        settings=simulation_params,
        build=lambda wildcards: cohort_of(wildcards).build,
        cohort=lambda wildcards: wildcards.cohort,
        bam_dir=lambda wildcards: f"results/{wildcards.cohort}/simulated/bam",
    script:
        "../scripts/simulate_design.py"


rule simulate_sample:
    input:
        panel=lambda wildcards: cohort_of(wildcards).panel,
        gene_models=lambda wildcards: cohort_of(wildcards).gene_models,
    output:
        bam="results/{cohort}/simulated/bam/{sample}.bam",
        bai="results/{cohort}/simulated/bam/{sample}.bam.bai",
    log:
        "logs/{cohort}/simulate_sample/{sample}.log",
    conda:
        "../../envs/simulate.yaml"
    params:
        settings=simulation_params,
        build=lambda wildcards: cohort_of(wildcards).build,
        cohort=lambda wildcards: wildcards.cohort,
        bam_dir=lambda wildcards: f"results/{wildcards.cohort}/simulated/bam",
    script:
        "../scripts/simulate_sample.py"

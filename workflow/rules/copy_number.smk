"""Copy number: reference, log2 ratios, segments, exon/gene calls, IKZF1 and IKZF1plus."""


rule build_reference:
    input:
        coverage=lambda wildcards: [
            f"results/{wildcards.cohort}/coverage/{sample_id}.tsv"
            for sample_id in reference_samples(wildcards)[1]["sample_id"]
        ],
    output:
        reference="results/{cohort}/copy_number/reference.tsv",
    log:
        "logs/{cohort}/build_reference.log",
    conda:
        "../../envs/copy_number.yaml"
    params:
        kind=lambda wildcards: reference_samples(wildcards)[0],
        samples=lambda wildcards: list(reference_samples(wildcards)[1]["sample_id"]),
        sexes=lambda wildcards: [
            sheet_value(sex) for sex in reference_samples(wildcards)[1]["sex"]
        ],
        settings=config["copy_number"],
    script:
        "../scripts/build_reference.py"


rule call_copy_number:
    input:
        unpack(call_inputs),
    output:
        bins="results/{cohort}/copy_number/{sample}/bins.tsv",
        segments="results/{cohort}/copy_number/{sample}/segments.tsv",
        exons="results/{cohort}/copy_number/{sample}/exons.tsv",
        genes="results/{cohort}/copy_number/{sample}/genes.tsv",
        summary="results/{cohort}/copy_number/{sample}/summary.tsv",
        seg="results/{cohort}/copy_number/{sample}/segments.seg",
        chart=report(
            "results/{cohort}/copy_number/{sample}/exon_ratios.png",
            category="IKZF1 exon ratio charts",
            subcategory="{cohort}",
            caption="../report/exon_ratios.rst",
        ),
    log:
        "logs/{cohort}/call_copy_number/{sample}.log",
    conda:
        "../../envs/copy_number.yaml"
    params:
        sample_id=lambda wildcards: wildcards.sample,
        patient_id=lambda wildcards: cohort_of(wildcards).sample(wildcards.sample)[
            "patient_id"
        ],
        blast_percent=lambda wildcards: sheet_value(
            cohort_of(wildcards).sample(wildcards.sample).get("blast_percent")
        ),
        sex=lambda wildcards: sheet_value(
            cohort_of(wildcards).sample(wildcards.sample).get("sex")
        ),
        settings=config["copy_number"],
    script:
        "../scripts/call_copy_number.py"


rule patients_table:
    input:
        summaries=call_summaries,
    output:
        patients=report(
            "results/{cohort}/patients.tsv",
            category="IKZF1 calls",
            caption="../report/patients.rst",
        ),
    log:
        "logs/{cohort}/patients_table.log",
    conda:
        "../../envs/copy_number.yaml"
    params:
        patients=lambda wildcards: list(cohort_of(wildcards).clinical["patient_id"]),
    script:
        "../scripts/patients_table.py"

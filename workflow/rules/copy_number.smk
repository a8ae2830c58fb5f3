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
    priority: CALL_PATH_PRIORITY
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


for cohort in COHORTS.values():
    for number, batch in enumerate(call_batches(cohort), start=1):

        rule:
            name:
                f"call_copy_number_{cohort.name}_{number}"
            input:
                **call_inputs(cohort, batch),
            output:
                **call_outputs(batch),
            log:
                f"logs/{cohort.name}/call_copy_number/batch_{number}.log",
            priority: CALL_PATH_PRIORITY
            conda:
                "../../envs/copy_number.yaml"
            threads: JOB_THREADS
            resources:
                mem_mb=3000,
                runtime=30,
            params:
                jobs=batch,
                # the QC thresholds decide which BAMs can be called (ikaros.qc.DEPTH_FLAGS)
                settings={**config["copy_number"], "qc": config["qc"]},
            script:
                "../scripts/call_cohort.py"


rule patients_table:
    input:
        summaries=call_summaries,
        rna_calls=rna_calls,
        rna_junctions=rna_junctions,
        karyotypes=karyotype_tables,
        variant_flags=variant_flags,
        rna_subtype=rna_subtype_tables,
        clinical=clinical_sheet,
        risk_groups=str(REPO / "resources" / "subtype_risk_groups.tsv"),
    output:
        patients=report(
            "results/{cohort}/patients.tsv",
            category="IKZF1 calls",
            caption="../report/patients.rst",
        ),
        subtypes="results/{cohort}/subtypes.tsv",
        concordance="results/{cohort}/subtype_concordance.tsv",
    log:
        "logs/{cohort}/patients_table.log",
    conda:
        "../../envs/copy_number.yaml"
    params:
        patients=lambda wildcards: list(cohort_of(wildcards).clinical["patient_id"]),
        rna_patients=rna_patients,
    script:
        "../scripts/patients_table.py"

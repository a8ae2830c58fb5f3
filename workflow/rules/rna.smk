"""RNA-seq evidence: junctions, exon coverage, expression, fusions and the RNA-only IKZF1 call.

Two passes (ikaros.rna.cohort): one rule per batch of a cohort's RNA samples
(`rna.samples_per_job`), rna_tables_<cohort>_<batch>, reads the BAMs and writes each sample's
junction, exon-coverage, expression and fusion tables; then one rule per cohort,
rna_evidence_<cohort>, builds the exon-coverage reference from all of them and makes the calls.
One rule per cohort with any RNA subtype evidence (RNA BAMs, imported fusion tables, classifier
calls, gene count tables), rna_subtype_evidence_<cohort>: the cohort's fusion, classifier and
marker-expression evidence, per patient.
"""

for cohort in COHORTS.values():
    for number, batch in enumerate(rna_batches(cohort), start=1):

        rule:
            name:
                f"rna_tables_{cohort.name}_{number}"
            input:
                **rna_table_inputs(cohort, batch),
            output:
                **rna_table_outputs(cohort, batch),
            log:
                f"logs/{cohort.name}/rna_tables/batch_{number}.log",
            priority: CALL_PATH_PRIORITY
            conda:
                "../../envs/rna.yaml"
            threads: JOB_THREADS
            resources:
                mem_mb=2000,
                runtime=60,
            params:
                jobs=rna_jobs(cohort, batch),
                build=cohort.build,
                settings=config["rna"],
            script:
                "../scripts/rna_tables.py"


for cohort in [c for c in COHORTS.values() if not rna_samples(c).empty]:

    rule:
        name:
            f"rna_evidence_{cohort.name}"
        input:
            **rna_evidence_inputs(cohort),
        output:
            **rna_outputs(cohort),
        log:
            f"logs/{cohort.name}/rna_evidence.log",
        priority: CALL_PATH_PRIORITY
        conda:
            "../../envs/rna.yaml"
        threads: JOB_THREADS
        params:
            jobs=rna_jobs(cohort),
            settings=config["rna"],
        script:
            "../scripts/rna_evidence.py"


for cohort in [c for c in COHORTS.values() if has_rna_subtype_evidence(c)]:

    rule:
        name:
            f"rna_subtype_evidence_{cohort.name}"
        input:
            **rna_subtype_inputs(cohort),
        output:
            fusions=f"results/{cohort.name}/rna/fusions.tsv",
            classifier=f"results/{cohort.name}/rna/classifier_calls.tsv",
            expression=f"results/{cohort.name}/rna/expression_evidence.tsv",
            counts_matrix=f"results/{cohort.name}/rna/gene_counts.tsv",
            ploidy=f"results/{cohort.name}/rna/karyotypes.tsv",
            evidence=f"results/{cohort.name}/rna/subtype_evidence.tsv",
        log:
            f"logs/{cohort.name}/rna_subtype_evidence.log",
        conda:
            "../../envs/rna.yaml"
        params:
            imports=list(cohort.with_data("fusions")["sample_id"]),
            own_samples=list(rna_samples(cohort)["sample_id"]),
            count_samples=list(cohort.with_data("rna_counts")["sample_id"]),
            patients=sample_patients(cohort),
            settings=config["rna"].get("expression", {}),
            ploidy_settings=config["rna"].get("ploidy", {}),
            rna_vcf_samples=rna_vcf_samples(cohort),
            sample_info=sample_info(cohort),
            build=cohort.build,
        script:
            "../scripts/rna_subtype_evidence.py"

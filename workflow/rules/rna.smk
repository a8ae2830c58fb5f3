"""RNA-seq evidence: junctions, exon coverage, expression, fusions and the RNA-only IKZF1 call.

Three steps per cohort with RNA BAMs (ikaros.rna.cohort): rna_tables_<cohort>_<batch> reads a
batch of `rna.samples_per_job` BAMs and writes each sample's junction, exon-coverage,
expression and fusion tables; rna_reference_<cohort> builds the cohort's exon-coverage reference
and expression matrices from all of them; rna_calls_<cohort>_<batch> makes each sample's IKZF1
call against that reference. Batches keep the per-sample files of one job few: Snakemake's
bookkeeping of a job grows with its outputs times its inputs.
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
                **rna_sample_outputs(cohort, batch, RNA_TABLES),
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

        rule:
            name:
                f"rna_calls_{cohort.name}_{number}"
            input:
                **rna_sample_outputs(cohort, batch, ("junctions", "exon_coverage")),
                reference=rna_reference_outputs(cohort)["reference"],
            output:
                **rna_sample_outputs(cohort, batch, RNA_CALLS),
            log:
                f"logs/{cohort.name}/rna_calls/batch_{number}.log",
            priority: CALL_PATH_PRIORITY
            conda:
                "../../envs/rna.yaml"
            threads: JOB_THREADS
            resources:
                mem_mb=2000,
                runtime=30,
            params:
                jobs=rna_jobs(cohort, batch),
            script:
                "../scripts/rna_calls.py"


for cohort in [c for c in COHORTS.values() if not rna_samples(c).empty]:

    rule:
        name:
            f"rna_reference_{cohort.name}"
        input:
            **rna_sample_outputs(
                cohort, rna_samples(cohort), ("exon_coverage", "expression")
            ),
        output:
            **rna_reference_outputs(cohort),
        log:
            f"logs/{cohort.name}/rna_reference.log",
        priority: CALL_PATH_PRIORITY
        conda:
            "../../envs/rna.yaml"
        params:
            jobs=rna_jobs(cohort),
            settings=config["rna"],
        script:
            "../scripts/rna_reference.py"


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

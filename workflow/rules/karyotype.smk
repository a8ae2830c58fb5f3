"""Genome-wide karyotype (chromosome copies, ploidy class, iAMP21) and driver variants."""

for cohort in COHORTS.values():
    if genome_tumours(cohort):

        rule:
            name:
                f"genome_copy_number_{cohort.name}"
            input:
                alignments=[s["alignment"] for s in genome_samples(cohort)],
                indexes=alignment_indexes(
                    cohort, [s["alignment"] for s in genome_samples(cohort)]
                ),
            output:
                counts=f"results/{cohort.name}/genome_counts.tsv",
                bins=[s["bins"] for s in genome_tumours(cohort)],
                segments=[s["segments"] for s in genome_tumours(cohort)],
            log:
                f"logs/{cohort.name}/genome_copy_number.log",
            conda:
                "../../envs/copy_number.yaml"
            threads: JOB_THREADS
            params:
                samples=genome_samples(cohort),
                build=cohort.build,
                settings=config.get("copy_number", {}),
            script:
                "../scripts/genome_copy_number.py"

    if karyotype_jobs(cohort):

        rule:
            name:
                f"call_karyotypes_{cohort.name}"
            input:
                **vcf_inputs(karyotype_jobs(cohort)),
                segments=[job["segments"] for job in karyotype_jobs(cohort)],
                gene_spans=gene_spans(cohort),
                qc=karyotype_qc(cohort),
            output:
                table=f"results/{cohort.name}/karyotypes.tsv",
                chromosomes=[job["chromosomes"] for job in karyotype_jobs(cohort)],
                arms=[job["arms"] for job in karyotype_jobs(cohort)],
            log:
                f"logs/{cohort.name}/call_karyotypes.log",
            conda:
                "../../envs/karyotype.yaml"
            threads: JOB_THREADS
            params:
                jobs=karyotype_jobs(cohort),
                settings=config.get("karyotype", {}),
            script:
                "../scripts/call_karyotypes.py"

    if variant_jobs(cohort):

        rule:
            name:
                f"call_variants_{cohort.name}"
            input:
                **vcf_inputs(variant_jobs(cohort)),
                drivers=str(REPO / "resources" / "driver_genes.tsv"),
                gene_spans=gene_spans(cohort),
            output:
                flags=f"results/{cohort.name}/variants/flags.tsv",
                variants=[job["output"] for job in variant_jobs(cohort)],
            log:
                f"logs/{cohort.name}/call_variants.log",
            conda:
                "../../envs/karyotype.yaml"
            threads: JOB_THREADS
            params:
                jobs=variant_jobs(cohort),
                settings=config.get("variants", {}),
            script:
                "../scripts/call_variants.py"

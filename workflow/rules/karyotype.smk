"""Genome-wide karyotype (chromosome copies, ploidy class, iAMP21) and driver variants.

Per cohort: genome_counts_<cohort> counts every DNA sample's 1 Mb bins from the index and
builds their reference; genome_segments_<cohort>_<batch> segments a batch of tumours against
it; call_karyotypes_<cohort>_<batch> calls a batch's karyotypes and karyotype_table_<cohort>
joins the batches' tables. Batches are `copy_number.tumours_per_job` tumours: Snakemake's
bookkeeping of a job grows with its outputs times its inputs, so no job declares a per-tumour
output of the whole cohort. Tumours whose karyotype rests on their BAM are batched apart from
those read from SEG or CNVkit segments: the panel calls of a BAM tumour with a VCF read its
karyotype's two-copy chromosomes (ikaros.dna.karyotype_reading), while a SEG tumour's
karyotype reads its calls' segments.
"""

for cohort in COHORTS.values():
    if genome_tumours(cohort):

        rule:
            name:
                f"genome_counts_{cohort.name}"
            input:
                alignments=[s["alignment"] for s in genome_samples(cohort)],
                indexes=alignment_indexes(
                    cohort, [s["alignment"] for s in genome_samples(cohort)]
                ),
            output:
                **genome_tables(cohort),
            log:
                f"logs/{cohort.name}/genome_counts.log",
            # one job for the whole cohort that every genome batch waits for: start it early
            priority: CALL_PATH_PRIORITY
            conda:
                "../../envs/copy_number.yaml"
            threads: JOB_THREADS
            params:
                samples=genome_samples(cohort),
                build=cohort.build,
                settings=config.get("copy_number", {}),
            script:
                "../scripts/genome_counts.py"

        for number, tumours in enumerate(
            tumour_batches(genome_tumours(cohort)), start=1
        ):

            rule:
                name:
                    f"genome_segments_{cohort.name}_{number}"
                input:
                    **genome_tables(cohort),
                output:
                    bins=[s["bins"] for s in tumours],
                    segments=[s["segments"] for s in tumours],
                log:
                    f"logs/{cohort.name}/genome_segments/batch_{number}.log",
                conda:
                    "../../envs/copy_number.yaml"
                threads: JOB_THREADS
                resources:
                    mem_mb=2000,
                    runtime=30,
                params:
                    tumours=tumours,
                    settings=config.get("copy_number", {}),
                script:
                    "../scripts/genome_segments.py"

    batches = karyotype_batches(cohort)
    for number, jobs in enumerate(batches, start=1):

        rule:
            name:
                f"call_karyotypes_{cohort.name}_{number}"
            input:
                **vcf_inputs(jobs),
                segments=[job["segments"] for job in jobs],
                gene_spans=gene_spans(cohort),
                qc=karyotype_qc(cohort),
            output:
                # a piece of karyotypes.tsv whose rows depend on the batch size: not a result
                table=temp(karyotype_batch_table(cohort, number)),
                chromosomes=[job["chromosomes"] for job in jobs],
                arms=[job["arms"] for job in jobs],
            log:
                f"logs/{cohort.name}/call_karyotypes/batch_{number}.log",
            conda:
                "../../envs/karyotype.yaml"
            threads: JOB_THREADS
            resources:
                mem_mb=2000,
                runtime=30,
            params:
                jobs=jobs,
                settings=config.get("karyotype", {}),
            script:
                "../scripts/call_karyotypes.py"

    if batches:

        rule:
            name:
                f"karyotype_table_{cohort.name}"
            input:
                batches=[
                    karyotype_batch_table(cohort, n)
                    for n in range(1, len(batches) + 1)
                ],
            output:
                table=f"results/{cohort.name}/karyotypes.tsv",
            log:
                f"logs/{cohort.name}/karyotype_table.log",
            conda:
                "../../envs/karyotype.yaml"
            script:
                "../scripts/karyotype_table.py"

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

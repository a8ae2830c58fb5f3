"""Fragment counts in the panel's bins, read through each BAM/CRAM's index.

One rule per batch of a cohort's DNA samples (`coverage.samples_per_job`), named
count_coverage_<cohort>_<batch>: a sample takes well under a second to count, about as long
as a job takes to start, so batches keep the start-up cost from dominating.
"""

for cohort in COHORTS.values():
    for number, batch in enumerate(coverage_batches(cohort), start=1):

        rule:
            name:
                f"count_coverage_{cohort.name}_{number}"
            input:
                **coverage_batch_inputs(cohort, batch),
            output:
                coverage=[
                    f"results/{cohort.name}/coverage/{sample_id}.tsv"
                    for sample_id in batch["sample_id"]
                ],
            log:
                f"logs/{cohort.name}/count_coverage/batch_{number}.log",
            priority: CALL_PATH_PRIORITY
            conda:
                "../../envs/coverage.yaml"
            threads: JOB_THREADS
            resources:
                mem_mb=2000,
                runtime=30,
            params:
                sample_ids=list(batch["sample_id"]),
                build=cohort.build,
                filters=coverage_filters(),
            script:
                "../scripts/count_coverage.py"

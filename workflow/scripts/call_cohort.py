"""Rule call_copy_number_<cohort>: every tumour of a cohort from coverage to calls.

input: reference (build_reference), coverage (tumours' and matched normals' tables)
params: jobs (per tumour: sample_id, patient_id, coverage, matched_normal, blast_percent, sex,
        outputs = {bins, segments, exons, genes, summary, seg, chart}), settings (the
        config's copy_number block)
output: every path named in the jobs' outputs
threads: worker processes
"""

import logging

from ikaros.sample_calls import SampleJob, call_cohort

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
jobs = [SampleJob(**job) for job in snakemake.params.jobs]
results = call_cohort(
    jobs, snakemake.input.reference, dict(snakemake.params.settings), snakemake.threads
)
for sample_id in sorted(results):
    logging.info("%s: IKZF1 %s", sample_id, results[sample_id])

"""Rule rna_calls_<cohort>_<batch>: a batch of RNA samples' RNA-only IKZF1 calls and sashimi
plots (step 3 of the RNA evidence; ikaros.rna.cohort).

input:  junctions, exon_coverage   the batch's tables (rna_tables_<cohort>_<batch>)
        reference        the cohort's exon-coverage reference (rna_reference_<cohort>)
params: jobs             per sample: sample_id, bam, outputs = {junctions, exon_coverage,
                         ikzf1, sashimi, ...} (ikaros.rna.cohort.RnaJob)
output: per sample (lists): ikzf1, sashimi
threads: worker processes
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.rna.cohort import RnaJob, rna_ikzf1_calls

log_to(snakemake.log[0])
jobs = [RnaJob(**job) for job in snakemake.params.jobs]
calls = rna_ikzf1_calls(jobs, snakemake.input.reference, processes=snakemake.threads)
for sample_id in sorted(calls):
    call = calls[sample_id]
    logging.info("%s: RNA IKZF1 %s %s", sample_id, call.rna_status, call.rna_class)

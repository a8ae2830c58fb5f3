"""Rule rna_evidence_<cohort>: the cohort's RNA matrices and every sample's RNA-only IKZF1 call
(pass 2 of the RNA evidence, on the tables of the rna_tables_<cohort>_<batch> jobs).

input:  junctions, exon_coverage, expression   every RNA sample's tables (lists, sample order
                         of params.jobs)
params: jobs             per sample: sample_id, bam, outputs = {junctions, exon_coverage,
                         expression, ikzf1, sashimi, fusions} (ikaros.rna.cohort.RnaJob)
        settings         the config's rna block: min_reference_samples (10)
output: per sample (lists): ikzf1, sashimi;
        cohort: counts, tpm, relative (genes x samples), reference (exon-coverage profile)
threads: worker processes
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.rna.cohort import RnaJob, rna_cohort_calls

log_to(snakemake.log[0])
settings = dict(snakemake.params.settings or {})
jobs = [RnaJob(**job) for job in snakemake.params.jobs]
out = snakemake.output
calls = rna_cohort_calls(
    jobs,
    {name: out[name] for name in ("counts", "tpm", "relative", "reference")},
    min_reference_samples=int(settings.get("min_reference_samples", 10)),
    processes=snakemake.threads,
)
for sample_id in sorted(calls):
    call = calls[sample_id]
    logging.info("%s: RNA IKZF1 %s %s", sample_id, call.rna_status, call.rna_class)

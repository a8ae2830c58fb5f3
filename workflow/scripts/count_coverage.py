"""Rule count_coverage_<cohort>_<batch>: fragment counts and mean depth in the panel bins of a
batch of the cohort's BAM/CRAMs (read through their indexes).

input: bams, indexes (lists, in the order of params.sample_ids), panel, reference_fasta
       (optional; needed for CRAM)
params: sample_ids, build, filters (min_mapq, skip_duplicates, skip_secondary,
        skip_supplementary, skip_qcfail)
output: coverage (list, same order)
threads: worker processes (one sample each at a time)
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.coverage import CoverageJob, ReadFilters, count_coverage_batch
from ikaros.dna.panel import read_panel
from ikaros.logs import log_to

inputs, params = snakemake.input, snakemake.params
log_to(snakemake.log[0])
logging.captureWarnings(True)

jobs = [
    CoverageJob(sample_id, bam, coverage)
    for sample_id, bam, coverage in zip(
        params.sample_ids, inputs.bams, snakemake.output.coverage, strict=True
    )
]
try:
    fragments = count_coverage_batch(
        jobs,
        read_panel(inputs.panel),
        params.build,
        reference_fasta=inputs.get("reference_fasta", None) or None,
        filters=ReadFilters.from_mapping(params.get("filters", None), source="config read filters"),
        processes=snakemake.threads,
    )
    for sample_id in params.sample_ids:
        logging.info("%s: %d fragments counted", sample_id, fragments[sample_id])
except Exception:
    logging.exception("coverage counting failed")
    raise

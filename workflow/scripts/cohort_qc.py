"""Rule cohort_qc: the cohort's QC table (depth, fragments, sex check) from coverage tables.

input: coverage (list of results/{cohort}/coverage/{sample_id}.tsv)
params: samples (records with sample_id, patient_id, role, sex, blast_percent),
        thresholds (mapping: min_median_depth, min_fragments, and the sex ratio keys of
        ikaros.sex.SexThresholds; all optional), build (optional; refines the
        pseudoautosomal exclusion)
output: qc
"""

import logging
from pathlib import Path

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.coverage import read_coverage
from ikaros.logs import log_to
from ikaros.qc import QcThresholds, cohort_qc, write_qc

coverage_paths = list(snakemake.input.coverage)
samples = snakemake.params.samples
thresholds = snakemake.params.get("thresholds", None)
build = snakemake.params.get("build", None) or None
qc_path = snakemake.output.qc

log_to(snakemake.log[0])

try:
    coverages = {Path(p).name.removesuffix(".tsv"): read_coverage(p) for p in coverage_paths}
    table = cohort_qc(
        samples,
        coverages,
        QcThresholds.from_mapping(thresholds, source="config qc thresholds"),
        build=build,
    )
    write_qc(table, qc_path)
except Exception:
    logging.exception("cohort QC failed")
    raise

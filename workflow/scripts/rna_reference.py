"""Rule rna_reference_<cohort>: the cohort's expression matrices and exon-coverage reference
(step 2 of the RNA evidence; ikaros.rna.cohort).

input:  exon_coverage, expression   every RNA sample's tables (rna_tables_<cohort>_<batch>)
params: jobs             per sample: sample_id, bam, outputs = {exon_coverage, expression, ...}
                         (ikaros.rna.cohort.RnaJob), in sheet order (the matrices' columns)
        settings         the config's rna block: min_reference_samples (10)
output: counts, tpm, relative (genes x samples), reference (exon-coverage profile; header only
        below min_reference_samples)
"""

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.rna.cohort import RNA_COHORT_OUTPUTS, RnaJob, rna_cohort_reference

log_to(snakemake.log[0])
settings = dict(snakemake.params.settings or {})
rna_cohort_reference(
    [RnaJob(**job) for job in snakemake.params.jobs],
    {name: snakemake.output[name] for name in RNA_COHORT_OUTPUTS},
    min_reference_samples=int(settings.get("min_reference_samples", 10)),
)

"""Rule call_variants_<cohort>: every tumour VCF to its driver variants and per-patient flags.

input: drivers (resources/driver_genes.tsv), gene_spans, vcfs + vcf_indexes
params: jobs (ikaros.variants.cohort.VariantJob fields), settings (config `variants`)
output: flags (results/{cohort}/variants/flags.tsv), variants (one table per tumour)
threads: worker processes
"""

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.tables import write_table
from ikaros.variants.cohort import VariantJob, call_variants

log_to(snakemake.log[0])
jobs = [VariantJob(**job) for job in snakemake.params.jobs]
table = call_variants(jobs, dict(snakemake.params.settings), snakemake.threads)
write_table(table, snakemake.output.flags)

"""Rule copy_number_noise: the cohort's tumours' normalisation and noise in one table.

input: noise (list of results/{cohort}/copy_number/{sample_id}/.../noise.tsv)
output: table (results/{cohort}/qc/copy_number_noise.tsv; ikaros.dna.sample_calls.NOISE_COLUMNS)
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.sample_calls import noise_table
from ikaros.logs import log_to
from ikaros.tables import write_table

log_to(snakemake.log[0])

try:
    write_table(noise_table(list(snakemake.input.noise)), snakemake.output.table)
except Exception:
    logging.exception("copy-number noise table failed")
    raise

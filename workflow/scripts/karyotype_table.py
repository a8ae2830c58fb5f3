"""Rule karyotype_table_<cohort>: the cohort's karyotype table from its batches' tables.

input:  batches (call_karyotypes_<cohort>_<batch> tables, in batch order)
output: table (results/{cohort}/karyotypes.tsv: the batches' rows in order, cell for cell)
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.karyotype.cohort import join_batch_tables
from ikaros.logs import log_to

log_to(snakemake.log[0])
rows = join_batch_tables(list(snakemake.input.batches), snakemake.output.table)
logging.info("%d tumours from %d batches", rows, len(snakemake.input.batches))

"""Rule call_karyotypes_<cohort>: every tumour's segments (and VCF SNPs) to its karyotype.

input: segments (each tumour's segments.tsv of its preferred DNA source: BAM, CNVkit, SEG),
       gene_spans (RUNX1 for iAMP21), vcfs + vcf_indexes (tumours with a `vcf`)
params: jobs (ikaros.karyotype.cohort.KaryotypeJob fields), settings (config `karyotype`)
output: table (results/{cohort}/karyotypes.tsv), chromosomes and arms per tumour
threads: worker processes
"""

import logging

from ikaros.karyotype.cohort import KaryotypeJob, call_karyotypes
from ikaros.tables import write_table

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
jobs = [KaryotypeJob(**job) for job in snakemake.params.jobs]
table = call_karyotypes(jobs, dict(snakemake.params.settings), snakemake.threads)
logging.info("ploidy classes: %s", table["ploidy_class"].value_counts().to_dict())
write_table(table, snakemake.output.table)

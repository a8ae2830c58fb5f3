"""Rule call_karyotypes_<cohort>_<batch>: a batch of tumours' segments (and VCF SNPs) to their
karyotypes (karyotype_table_<cohort> joins the batches' tables).

input: segments (each tumour's segments.tsv of its preferred DNA source: BAM, CNVkit, SEG),
       gene_spans (RUNX1 for iAMP21), vcfs + vcf_indexes (tumours with a `vcf`),
       qc (optional: coverage_qc.tsv, whose inferred sex stands in for an empty sheet sex
       and whose depth flags withhold a BAM tumour's karyotype)
params: jobs (ikaros.karyotype.cohort.KaryotypeJob fields), settings (config `karyotype`)
output: table (the batch's rows of results/{cohort}/karyotypes.tsv), chromosomes and arms
        per tumour
threads: worker processes
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.karyotype.cohort import KaryotypeJob, call_karyotypes
from ikaros.logs import log_to
from ikaros.qc import DEPTH_FLAGS
from ikaros.tables import read_text_table, write_table

log_to(snakemake.log[0])
jobs = [KaryotypeJob(**job) for job in snakemake.params.jobs]
qc_paths = list(snakemake.input.get("qc", []))
sexes, failures = {}, {}
if qc_paths:
    qc = read_text_table(qc_paths[0], "coverage QC table", ("sample_id", "sex", "flags"))
    sexes = dict(zip(qc["sample_id"], qc["sex"], strict=True))
    failures = {
        sample: ", ".join(f for f in flags.split(";") if f in DEPTH_FLAGS)
        for sample, flags in zip(qc["sample_id"], qc["flags"], strict=True)
    }
settings = dict(snakemake.params.settings)
table = call_karyotypes(jobs, settings, snakemake.threads, sexes, failures)
logging.info("ploidy classes: %s", table["ploidy_class"].value_counts().to_dict())
write_table(table, snakemake.output.table)

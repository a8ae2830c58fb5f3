"""Rule provenance_bundle: results/{cohort}/provenance/, what a reviewer needs to rerun the
cohort from its inputs and check every table (ikaros.bundle).

input: the cohort's final tables (patients.tsv, the relapse tables and figures; the QC table
       and the simulator's truth where the cohort has them): the bundle's checksums cover every
       table and figure under results/{cohort}/ once they exist
params: cohort (name), config (the merged config), sheets (samples and clinical sheets the
        run read: a simulated cohort's are the simulator's), workflow_dir
output: bundle (directory results/{cohort}/provenance)
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.bundle import write_bundle
from ikaros.logs import log_to

log_to(snakemake.log[0])
record = write_bundle(
    snakemake.output.bundle,
    cohort=snakemake.params.cohort,
    config=dict(snakemake.params.config),
    repo_dir=snakemake.params.workflow_dir,
    sheets=dict(snakemake.params.sheets),
)
logging.info(
    "bundle of %s at %s: ikaros %s, commit %s (modified: %s)",
    record["cohort"], snakemake.output.bundle, record["ikaros"], record["git"]["commit"],
    record["git"]["modified"],
)  # fmt: skip

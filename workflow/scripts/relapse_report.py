"""Rule relapse_report: results/{cohort}/report.html (self-contained) and its provenance.

Inputs (snakemake.input):
  cir          results/{cohort}/relapse/cir.tsv (the other tables of write_analysis and the
               figures directory must sit beside it; listing them as inputs is recommended)
  figures      results/{cohort}/relapse/figures (directory output of relapse_analysis)
  clinical     the clinical sheet, patients  results/{cohort}/patients.tsv, concordance
               results/{cohort}/subtype_concordance.tsv (digested for provenance; the
               patients table and concordance also make the report's subtype section)
  bundle       optional: results/{cohort}/provenance (the report links to it)
  validation_cir  optional: results/{validation}/relapse/cir.tsv of the cohort this one
               validates (or is validated by); the report then shows both side by side
Params (snakemake.params):
  cohort       cohort name
  relapse      the config's `relapse` block (dict)
  config       the effective config (dict) recorded in the provenance
  validation_name  optional: name of the other cohort (empty or None when there is none)
Outputs (snakemake.output):
  report       results/{cohort}/report.html
  provenance   results/{cohort}/report_provenance.json
Log: snakemake.log[0].
"""

import logging
from pathlib import Path

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.relapse.report import write_report
from ikaros.relapse.settings import RelapseSettings

inputs = snakemake.input
params = snakemake.params
report_path = snakemake.output.report
provenance_path = snakemake.output.provenance
log_path = snakemake.log[0]

log_to(log_path)
validation_cir = getattr(inputs, "validation_cir", None) or None
report_inputs = {"clinical": inputs.clinical, "patients": inputs.patients}
if getattr(inputs, "concordance", None):
    report_inputs["concordance"] = inputs.concordance
validation_name = getattr(params, "validation_name", None) or None
write_report(
    report_path,
    provenance_path,
    cohort=params.cohort,
    relapse_dir=Path(inputs.cir).parent,
    settings=RelapseSettings.from_config(params.relapse),
    inputs=report_inputs,
    config=dict(params.config),
    validation_dir=Path(validation_cir).parent if validation_cir else None,
    validation_name=validation_name,
    bundle=getattr(inputs, "bundle", None) or None,
)
logging.info("report written to %s", report_path)

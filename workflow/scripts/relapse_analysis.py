"""Rule relapse_analysis: the cohort relapse analysis (tables and figures) of one cohort.

Inputs (snakemake.input):
  clinical     clinical sheet (TSV: patient_id, follow-up time, event, age_years, wbc, sex,
               mrd_eoi, protocol, subtype, ...; column names and time unit from config)
  patients     results/{cohort}/patients.tsv (IKZF1 calls; docs/FORMATS.md columns)
  risk_groups  resources/subtype_risk_groups.tsv (subtype, risk_group, source)
Params (snakemake.params):
  relapse      the config's `relapse` block (dict; every key optional, see
               ikaros.relapse.settings.RelapseSettings)
Outputs (snakemake.output; all in results/{cohort}/relapse/, names fixed by
ikaros.relapse.analysis.TABLE_FILES):
  frequency    frequency.tsv
  cir          cir.tsv
  gray         gray.tsv
  finegray     finegray.tsv
  survival     survival.tsv
  dropped      dropped_patients.tsv (patient_id, reason: patients without follow-up)
  patients     analysis_patients.tsv (per-patient analysis table)
  figures      directory(results/{cohort}/relapse/figures): PNG + PDF per figure, figures.tsv
Log: snakemake.log[0].
"""

import logging
from pathlib import Path

import pandas as pd

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.relapse.analysis import TABLE_FILES, run_analysis, write_analysis
from ikaros.relapse.groups import read_risk_groups
from ikaros.relapse.settings import RelapseSettings
from ikaros.subtypes.assign import analysis_subtypes

clinical_path = snakemake.input.clinical
patients_path = snakemake.input.patients
risk_groups_path = snakemake.input.risk_groups
relapse_block = snakemake.params.relapse
outputs = snakemake.output
log_path = snakemake.log[0]

log_to(log_path)
outdir = Path(outputs.cir).parent
for key, name in TABLE_FILES.items():
    if Path(getattr(outputs, key)) != outdir / name:
        raise ValueError(f"output {key}: expected {outdir / name}, got {getattr(outputs, key)}")
if Path(outputs.figures) != outdir / "figures":
    raise ValueError(f"output figures: expected {outdir / 'figures'}")

settings = RelapseSettings.from_config(relapse_block)
read = {"sep": "\t", "keep_default_na": False, "na_values": [""]}
patients = pd.read_csv(patients_path, **read)
# the subtype the models adjust for: derived by the pipeline unless the config says otherwise
clinical = analysis_subtypes(
    pd.read_csv(clinical_path, **read), patients, settings.subtype_column, settings.subtype_source
)
logging.info("subtypes analysed (%s): %s", settings.subtype_source,
             clinical[settings.subtype_column].value_counts().to_dict()
             if settings.subtype_column in clinical else {})  # fmt: skip
analysis = run_analysis(
    clinical,
    patients,
    read_risk_groups(risk_groups_path),
    settings,
    clinical_source=str(clinical_path),
    patients_source=str(patients_path),
)
for row in analysis.dropped.itertuples(index=False):
    logging.warning("patient %s dropped: %s", row.patient_id, row.reason)
logging.info(
    "%d patients analysed, %d dropped, %d relapses",
    len(analysis.table),
    len(analysis.dropped),
    int((analysis.table["status"] == 1).sum()),
)
for model, fit in analysis.finegray_fits.items():
    if fit is None or not fit.converged:
        logging.warning("Fine-Gray model %r did not converge or was not fitted", model)
write_analysis(analysis, outdir)

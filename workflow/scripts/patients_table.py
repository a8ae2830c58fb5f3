"""Rule patients_table: per-sample copy-number summaries -> results/{cohort}/patients.tsv.

Input
  summaries  list of one-row summary TSVs written by call_copy_number (columns
             ikaros.dna.ikzf1plus.PATIENT_COLUMNS), one per tumour sample (BAM, SEG or CNVkit)
  rna_calls  (optional) list of one-row RNA IKZF1 call TSVs (rna_calls_<cohort>_<batch> output,
             columns sample_id and ikaros.rna.isoforms.RNA_CALL_COLUMNS)
  rna_junctions (optional) the same samples' junction tables, same order (PAX5 and ERG
             exon skipping is reported in rna_pax5 and rna_erg)
  karyotypes (optional) results/{cohort}/karyotypes.tsv (karyotype_table_<cohort>); the
             losses of a karyotype with SNP allele data are added to the DNA calls first
             (ikaros.patients.add_karyotype_losses)
  variant_flags (optional) results/{cohort}/variants/flags.tsv (call_variants_<cohort>)
  rna_subtype (optional) results/{cohort}/rna/subtype_evidence.tsv (rna_subtype_evidence_<cohort>)
  clinical   the clinical sheet (its optional `subtype` is reported beside the derived one)
  risk_groups resources/subtype_risk_groups.tsv (subtype -> favourable | intermediate |
             unfavourable)
Params
  patients   all patient IDs of the cohort (optional); a patient without any DNA summary
             gets ikzf1_status not_assessable unless RNA makes the call
  rna_patients  mapping RNA sample_id -> patient_id (needed with rna_calls)
Output
  patients   one row per patient: patient_id sample_id ikzf1_status ikzf1_class
             ikzf1_exons_deleted ikzf1_focal ikzf1_fraction ikzf1_allelic ikzf1_intronic_loss
             ikzf1_loss cdkn2a cdkn2b pax5 par1 erg ikzf1plus ikzf1plus_focal dna_evidence
             ikzf1_evidence notes, then the DNA-only and RNA-only calls and their
             integration (ikaros.patients.RNA_COLUMNS); ikzf1_status, ikzf1_class and
             ikzf1_exons_deleted are the integrated call. A patient with several DNA sources
             gets the BAM one, else CNVkit, else SEG; the others are named in `notes`.
             Then the karyotype (ikaros.patients.KARYOTYPE_COLUMNS) and driver-variant
             columns (ikaros.patients.VARIANT_COLUMNS) and the RNA subtype evidence
             (ikaros.rna.subtype_evidence.RNA_SUBTYPE_COLUMNS: fusions, imported classifier
             labels), empty where the step had no input.
  subtypes   results/{cohort}/subtypes.tsv: patient_id + ikaros.subtypes.assign.SUBTYPE_COLUMNS
             (also the last columns of patients.tsv)
  concordance results/{cohort}/subtype_concordance.tsv: derived against the clinical and the
             imported classifier subtypes (derived other patients agree compared)
Log
  the rule's log file.
"""

import logging
from pathlib import Path

import pandas as pd

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.ikzf1plus import PATIENT_COLUMNS, patients_table
from ikaros.logs import log_to
from ikaros.patients import (
    RNA_REPORTED_GENES,
    add_karyotype_losses,
    add_rna_evidence,
    add_tumour_tables,
)
from ikaros.relapse.groups import read_risk_groups
from ikaros.rna.isoforms import read_rna_call
from ikaros.rna.junctions import exon_skipping_evidence, read_junction_table
from ikaros.subtypes.assign import assign_subtypes, concordance
from ikaros.tables import read_text_table, write_table

log_to(snakemake.log[0])
rows = []
for path in snakemake.input.summaries:
    rows.extend(read_text_table(path, "copy-number summary", PATIENT_COLUMNS).to_dict("records"))
patients = snakemake.params.get("patients", None)
table = patients_table(rows, list(patients) if patients else None)


def optional_table(name):
    paths = list(snakemake.input.get(name, []))
    return read_text_table(paths[0], name.replace("_", " ") + " table") if paths else None


karyotypes = optional_table("karyotypes")
table = add_karyotype_losses(table, karyotypes)
rna_patients = dict(snakemake.params.get("rna_patients", None) or {})
rna_calls, rna_genes = {}, {}
call_paths = list(snakemake.input.get("rna_calls", []))
junction_paths = list(snakemake.input.get("rna_junctions", []))
for call_path, junction_path in zip(call_paths, junction_paths, strict=True):
    sample_id, call = read_rna_call(call_path)
    if sample_id not in rna_patients:
        raise ValueError(f"{call_path}: RNA sample {sample_id!r} has no patient in the sheet")
    rna_calls[rna_patients[sample_id]] = (sample_id, call)
    junctions = read_junction_table(junction_path)
    rna_genes[rna_patients[sample_id]] = {
        gene: exon_skipping_evidence(junctions, gene) for gene in RNA_REPORTED_GENES
    }
table = add_rna_evidence(table, rna_calls, rna_genes)

table = add_tumour_tables(
    table, karyotypes, optional_table("variant_flags"),
    optional_table("rna_subtype"),
)  # fmt: skip
clinical = read_text_table(snakemake.input.clinical, "clinical sheet", ("patient_id",))
clinical_subtype = (
    dict(zip(clinical["patient_id"], clinical["subtype"], strict=True))
    if "subtype" in clinical.columns
    else {}
)
table["clinical_subtype"] = table["patient_id"].map(clinical_subtype).fillna("")
subtypes = assign_subtypes(table, read_risk_groups(snakemake.input.risk_groups))
table = table.drop(columns="clinical_subtype").merge(subtypes, on="patient_id", how="left")
write_table(subtypes, snakemake.output.subtypes)
concordances = [
    concordance(subtypes, subtypes["clinical_subtype"], "other").assign(compared="clinical"),
    concordance(subtypes, table["classifier_subtype"], "other").assign(compared="classifier"),
]
write_table(pd.concat(concordances, ignore_index=True), snakemake.output.concordance)
logging.info("subtypes: %s", subtypes["subtype"].value_counts().to_dict())
logging.info("%d patients; IKZF1 status: %s; DNA/RNA: %s", len(table),
             table["ikzf1_status"].value_counts().to_dict(),
             table["dna_rna_agreement"].value_counts().to_dict())  # fmt: skip
out = Path(snakemake.output.patients)
partial = Path(f"{out}.partial")
table.to_csv(partial, sep="\t", index=False)
partial.replace(out)

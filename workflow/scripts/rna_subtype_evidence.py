"""Rule rna_subtype_evidence_<cohort>: the cohort's fusion calls and classifier labels, per patient.

input:  own_fusions      fusions.tsv of every RNA BAM (rna_evidence_<cohort>; may be empty)
        imported         the samples' caller tables (sheet column `fusions`), in `imports` order
        classifiers      the classifier tables (sheet column `classifier_calls` and the cohort's
                         `classifier_calls` in config)
        own_expression   expression.tsv of every RNA BAM (fragments of the RNA genes)
        counts           the samples' gene count tables (sheet column `rna_counts`), in
                         `count_samples` order
        genes, markers, expression_markers   resources (genome-wide genes, marker-gene table
                         with the housekeeping controls, expression marker sets)
        rna_vcfs         the count-table samples' RNA VCFs (sheet column `rna_vcf`)
        partners, models, gene_ids, labels   resources (fusion partners, transcript models,
                         Ensembl IDs, classifier label map)
params: imports          sample_id per imported caller table (same order as `imported`)
        own_samples      sample_id per own expression / fusion table
        count_samples    sample_id per count table
        settings         the config's rna.expression block (ikaros.rna.expression_evidence)
        ploidy_settings  the config's rna.ploidy block (ikaros.rna.expression_ploidy)
        rna_vcf_samples  sample_id per RNA VCF
        sample_info      sample_id -> patient_id, sex, blast_percent, vcf_sample
        build            GRCh37 | GRCh38
        patients         sample_id -> patient_id of every sample of the cohort
output: fusions          results/{cohort}/rna/fusions.tsv (every call, own and imported)
        classifier       results/{cohort}/rna/classifier_calls.tsv
        expression       results/{cohort}/rna/expression_evidence.tsv (sample x marker set)
        counts_matrix    results/{cohort}/rna/gene_counts.tsv (genes x samples, the counts the
                         evidence used; empty cells: gene not counted for that sample)
        ploidy           results/{cohort}/rna/karyotypes.tsv (ploidy from expression, per
                         count-table sample)
        evidence         results/{cohort}/rna/subtype_evidence.tsv (one row per patient)
"""

import logging

import pandas as pd

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.rna.classifier_imports import import_classifier_calls, read_label_map
from ikaros.rna.expression import read_expression
from ikaros.rna.expression_evidence import (
    EVIDENCE_COLUMNS,
    ExpressionSettings,
    marker_evidence,
    read_marker_sets,
)
from ikaros.rna.expression_ploidy import ExpressionPloidySettings, expression_karyotypes
from ikaros.rna.fusion_imports import import_fusions
from ikaros.rna.fusions import read_partner_table
from ikaros.rna.gene_counts import read_gene_counts
from ikaros.rna.gene_table import read_gene_ids, read_genes, symbol_of_ids
from ikaros.rna.models import gene_models, read_marker_genes, read_transcript_models
from ikaros.rna.subtype_evidence import cohort_fusions, empty_classifier_table, patient_rna_evidence
from ikaros.tables import write_table
from ikaros.variants.snps import snp_allele_counts
from ikaros.variants.vcf import inspect_vcf

PLOIDY_COLUMNS = ("sample_id", "patient_id", "chromosome_count", "ploidy_class", "ploidy_evidence",
                  "allele_source")  # fmt: skip

log_to(snakemake.log[0])
inputs, params = snakemake.input, snakemake.params
patients = dict(params.patients)
partners = read_partner_table(inputs.partners)
models = gene_models(read_transcript_models(inputs.models))
symbols = symbol_of_ids(read_gene_ids(inputs.gene_ids))
tables = [
    pd.read_csv(p, sep="\t", keep_default_na=False, na_values=[""]) for p in inputs.own_fusions
]
tables = [t.assign(original_fusion="") for t in tables]
for path, sample_id in zip(inputs.imported, params.imports, strict=True):
    calls = import_fusions(path, sample_id, partners, models, symbols)
    logging.info("%s: %d known fusion(s) imported from %s", sample_id, len(calls), path)
    tables.append(calls)
fusions = cohort_fusions(tables, patients)
labels = read_label_map(inputs.labels)
classifier_tables = [import_classifier_calls(p, labels, list(patients)) for p in inputs.classifiers]
classifier = (
    pd.concat(classifier_tables, ignore_index=True)
    if classifier_tables
    else empty_classifier_table()
)
duplicated = sorted(set(classifier.loc[classifier["sample_id"].duplicated(), "sample_id"]))
if duplicated:
    raise ValueError(
        f"classifier calls: sample(s) {', '.join(duplicated)} are called in more than one "
        "classifier table (sheet column classifier_calls and the cohort's classifier_calls)"
    )
genes = read_genes(inputs.genes)
columns = {}
for path, sample_id in zip(inputs.own_expression, params.own_samples, strict=True):
    table = read_expression(path)
    columns[sample_id] = pd.Series(table["fragments"].to_numpy(), index=table["gene"])
for path, sample_id in zip(inputs.counts, params.count_samples, strict=True):
    columns[sample_id] = read_gene_counts(path, genes, symbols)  # a count table wins over a BAM
counts = pd.DataFrame(columns)
counts.index.name = "gene"
marker_table = read_marker_genes(inputs.markers)
housekeeping = list(marker_table.loc[marker_table["purpose"] == "control", "gene"])
expression = (
    marker_evidence(counts, read_marker_sets(inputs.expression_markers), housekeeping,
                    ExpressionSettings(**dict(params.settings or {})))
    if not counts.empty
    else pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
)  # fmt: skip
write_table(counts.reset_index(), snakemake.output.counts_matrix)
write_table(expression, snakemake.output.expression)
# ploidy from the genome-wide count tables only (a BAM-derived table holds the RNA genes)
genome_wide = counts.loc[:, list(params.count_samples)]
snps = {}
for path, sample_id in zip(inputs.rna_vcfs, params.rna_vcf_samples, strict=True):
    record = params.sample_info[sample_id]
    info = inspect_vcf(path, params.build, sample_id, record["patient_id"], record["vcf_sample"])
    snps[sample_id] = snp_allele_counts(info)
info = params.sample_info
results = expression_karyotypes(
    genome_wide, genes, params.build, snps,
    {s: info[s]["sex"] for s in genome_wide.columns},
    {s: (float(info[s]["blast_percent"]) / 100 if info[s]["blast_percent"] != "" else None)
     for s in genome_wide.columns},
    ExpressionPloidySettings(**dict(params.ploidy_settings or {})),
)  # fmt: skip
ploidy_rows = []
for sample_id, result in results.items():
    if isinstance(result, str):
        summary = {"chromosome_count": "", "ploidy_class": "undetermined",
                   "ploidy_evidence": result}  # fmt: skip
    else:
        summary = {k: result.summary[k] for k in ("chromosome_count", "ploidy_class",
                                                  "ploidy_evidence")}  # fmt: skip
    allele = f"RNA VCF ({len(snps[sample_id])} SNPs)" if sample_id in snps else "none"
    ploidy_rows.append({"sample_id": sample_id, "patient_id": patients[sample_id], **summary,
                        "allele_source": allele})  # fmt: skip
ploidy = pd.DataFrame(ploidy_rows, columns=list(PLOIDY_COLUMNS))
write_table(ploidy, snakemake.output.ploidy)
assessed = list(params.own_samples) + list(params.imports)
evidence = patient_rna_evidence(fusions, classifier, patients, expression, ploidy, assessed)
write_table(fusions, snakemake.output.fusions)
write_table(classifier, snakemake.output.classifier)
write_table(evidence, snakemake.output.evidence)
logging.info("%d fusion calls, %d classifier calls, %d patients with RNA subtype evidence",
             len(fusions), len(classifier), len(evidence))  # fmt: skip

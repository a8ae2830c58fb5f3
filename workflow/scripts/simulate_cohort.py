"""Rule simulate_<cohort>: a simulated cohort's sheets, truth tables and every sample's BAM.

input: panel, gene_models, rna_models (resources/rna_transcript_models_{build}.tsv),
       partners (resources/fusion_partners.tsv), genes (resources/genes_{build}.tsv): the
       fusion genes and the genome-wide genes of the chimeric noise reads, expression_markers
       (resources/expression_markers.tsv: the marker genes a fusion's subtype moves), markers
       (resources/marker_genes.tsv: the housekeeping genes of the count tables),
       gene_spans (resources/gene_spans_{build}.tsv: where the simulated driver variants go)
params: settings (the cohort's `simulate` block), build, cohort, bam_dir
output: samples, clinical, truth_lesions, truth_patients, truth_fusions (the RNA tumours'
        fusions, ikaros.simulate.fusions), truth_rna (aberrant isoforms of the
        RNA BAMs: sample_id gene transcript isoform exons_deleted fraction), bams, indexes,
        rna_bams, rna_indexes, rna_counts (lists; count tables when `rna_counts` is set),
        truth_variants (driver variants of the simulated VCFs:
        patient_id sample_id gene chrom pos protein_change vaf), vcfs, vcf_indexes (lists),
        truth_karyotypes (per tumour: karyotype kind, ploidy class, chromosome count, iAMP21,
        gained chromosomes; the BAMs' depth and the VCFs' allele fractions follow it)
threads: worker processes for the BAMs (each sample has its own random stream, so the files
do not depend on the number of workers)
"""

import logging
import os
import time

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.annotation import read_gene_models, read_gene_spans
from ikaros.dna.panel import read_panel
from ikaros.logs import log_to
from ikaros.rna.expression_evidence import read_marker_sets
from ikaros.rna.fusions import read_partner_table, scanned_genes
from ikaros.rna.gene_table import read_genes
from ikaros.rna.models import read_marker_genes, read_transcript_models
from ikaros.rna.simulate import RnaSimSettings, simulate_cohort_rna
from ikaros.rna.simulate_fusions import FusionNoise
from ikaros.simulate import (
    SimulationSettings,
    design_cohort,
    simulate_cohort_bams,
    write_design,
)
from ikaros.simulate.expression import simulate_cohort_counts
from ikaros.simulate.fusions import draw_fusions
from ikaros.simulate.variants import simulate_cohort_vcfs
from ikaros.tables import write_table

params, outputs = snakemake.params, snakemake.output
log_to(snakemake.log[0])

started = time.perf_counter()
settings = SimulationSettings.from_config(params.settings)
design = design_cohort(
    settings,
    cohort=params.cohort,
    build=params.build,
    bam_dir=params.bam_dir,
    gene_models=read_gene_models(snakemake.input.gene_models),
)
write_design(
    design,
    samples_path=outputs.samples,
    clinical_path=outputs.clinical,
    lesions_path=outputs.truth_lesions,
    truth_path=outputs.truth_patients,
)
records = simulate_cohort_bams(
    design, read_panel(snakemake.input.panel), params.build, settings, snakemake.threads
)
clinical_subtypes = dict(
    zip(design.clinical["patient_id"], design.clinical["subtype"], strict=True)
)
fusion_truth = draw_fusions(
    design.samples, design.lesions, settings.seed, settings.fusion_rate,
    subtypes=clinical_subtypes,
)  # fmt: skip
write_table(fusion_truth, outputs.truth_fusions)
partners = read_partner_table(snakemake.input.partners)
rna_truth = simulate_cohort_rna(
    design.samples,
    design.lesions,
    read_transcript_models(snakemake.input.rna_models),
    params.build,
    settings.seed,
    RnaSimSettings(fragments_per_tpm_kb=settings.rna_fragments_per_tpm_kb),
    snakemake.threads,
    fusions=fusion_truth,
    chimeric_noise=(FusionNoise(), scanned_genes(partners), read_genes(snakemake.input.genes)),
    markers=read_marker_sets(snakemake.input.expression_markers),
    subtypes=clinical_subtypes,
)
marker_table = read_marker_genes(snakemake.input.markers)
simulate_cohort_counts(
    design.samples, fusion_truth, clinical_subtypes,
    read_marker_sets(snakemake.input.expression_markers),
    read_genes(snakemake.input.genes),
    list(marker_table.loc[marker_table["purpose"] == "control", "gene"]), settings.seed,
    karyotypes=design.karyotypes,
)  # fmt: skip
partial = f"{outputs.truth_rna}.partial"
rna_truth.to_csv(partial, sep="\t", index=False, float_format="%.6f")
os.replace(partial, outputs.truth_rna)
variant_truth = simulate_cohort_vcfs(
    design.samples, read_gene_spans(snakemake.input.gene_spans), params.build, settings.seed,
    snakemake.threads, karyotypes=design.karyotypes, true_sex=design.true_sex,
    subtypes=clinical_subtypes, lesions=design.lesions,
)  # fmt: skip
write_table(design.karyotype_truth, outputs.truth_karyotypes)
partial = f"{outputs.truth_variants}.partial"
variant_truth.to_csv(partial, sep="\t", index=False)
os.replace(partial, outputs.truth_variants)
logging.info(
    "cohort %s (%s, seed %d): %d DNA BAMs, %d records, %d RNA BAMs, %d lesions, %d VCFs, %.1f s",
    params.cohort,
    params.build,
    settings.seed,
    len(records),
    sum(records.values()),
    int(design.samples["rna_bam"].notna().sum()),
    len(design.lesions),
    int(design.samples["vcf"].notna().sum()),
    time.perf_counter() - started,
)

"""Rule rna_evidence_<cohort>: every RNA sample's evidence and RNA-only IKZF1 call.

input:  bams, indexes    the samples' RNA BAM/CRAMs (spliced alignments) and their indexes
        models           resources/rna_transcript_models_{build}.tsv
        markers          resources/marker_genes.tsv
        partners         resources/fusion_partners.tsv (the genes read for chimeric reads)
        genes            resources/genes_{build}.tsv (names the partner of a chimeric read)
        reference_fasta  (optional; needed for CRAM)
params: jobs             per sample: sample_id, bam, outputs = {junctions, exon_coverage,
                         expression, ikzf1, sashimi, fusions} (ikaros.rna.cohort.RnaJob)
        build            GRCh37 | GRCh38 (checked against each header)
        settings         the config's rna block: min_mapq (10), min_reference_samples (10),
                         fusions (ikaros.rna.fusions.FusionSettings fields)
output: per sample (lists): junctions, exon_coverage, expression, ikzf1, sashimi, fusions;
        cohort: counts, tpm, relative (genes x samples), reference (exon-coverage profile)
threads: worker processes
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.rna.cohort import RnaJob, RnaSources, rna_cohort
from ikaros.rna.fusions import FusionSettings

log_to(snakemake.log[0])
settings = dict(snakemake.params.settings or {})
sources = RnaSources(
    models=snakemake.input.models,
    markers=snakemake.input.markers,
    build=snakemake.params.build,
    partners=snakemake.input.partners,
    genes=snakemake.input.genes,
    min_mapq=int(settings.get("min_mapq", 10)),
    reference_fasta=snakemake.input.get("reference_fasta", None) or None,
    fusion_settings=FusionSettings(**dict(settings.get("fusions", None) or {})),
)
jobs = [RnaJob(**job) for job in snakemake.params.jobs]
out = snakemake.output
calls = rna_cohort(
    jobs,
    sources,
    {name: out[name] for name in ("counts", "tpm", "relative", "reference")},
    min_reference_samples=int(settings.get("min_reference_samples", 10)),
    processes=snakemake.threads,
)
for sample_id in sorted(calls):
    call = calls[sample_id]
    logging.info("%s: RNA IKZF1 %s %s", sample_id, call.rna_status, call.rna_class)

"""Rule rna_tables_<cohort>_<batch>: a batch of RNA samples' junction, exon-coverage, expression
and fusion tables (step 1 of the RNA evidence; ikaros.rna.cohort).

input:  bams, indexes    the batch's RNA BAM/CRAMs (spliced alignments) and their indexes
        models           resources/rna_transcript_models_{build}.tsv
        markers          resources/marker_genes.tsv
        partners         resources/fusion_partners.tsv (the genes read for chimeric reads)
        genes            resources/genes_{build}.tsv (names the partner of a chimeric read)
        reference_fasta  (optional; needed for CRAM)
params: jobs             per sample: sample_id, bam, outputs = {junctions, exon_coverage,
                         expression, fusions, ...} (ikaros.rna.cohort.RnaJob)
        build            GRCh37 | GRCh38 (checked against each header)
        settings         the config's rna block: min_mapq (10), fusions (FusionSettings fields)
output: per sample (lists): junctions, exon_coverage, expression, fusions
threads: worker processes
"""

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.logs import log_to
from ikaros.rna.cohort import RnaJob, RnaSources, rna_sample_tables
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
rna_sample_tables(jobs, sources, processes=snakemake.threads)

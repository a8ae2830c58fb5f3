"""Rule rna_junctions: one sample's RNA evidence from its RNA BAM/CRAM (indexed reads only).

input:  bam            the sample's RNA BAM/CRAM (spliced alignments, STAR/HISAT2 style); its
                       index (.bai/.crai) should be a separate input so Snakemake checks it
        models         resources/rna_transcript_models_{build}.tsv
        markers        resources/marker_genes.tsv
        reference      (optional) cohort reference profile, written by rna_expression_matrix
params: build          GRCh37 | GRCh38 (checked against the header)
        sample_id
        min_mapq       (optional, default 10)
        reference_fasta (optional; needed for CRAM)
output: junctions      per junction: gene chrom strand intron_start intron_end from_exon to_exon
                       junction_class fragments competing_fragments fraction ci_low ci_high
        exon_coverage  per exon: gene chrom exon start end length fragments aligned_bases
                       mean_depth relative_depth spliced_out_fragments readthrough_fragments
                       readthrough_fraction
        expression     per gene: gene purpose exonic_length fragments tpm_like log2_vs_controls
        ikzf1          one row: sample_id rna_status rna_class rna_exons_deleted rna_fraction
                       rna_ci_low rna_ci_high rna_support rna_evidence
        sashimi        PNG of the IKZF1 junctions
log:    one file
"""

import logging

from ikaros.rna.evidence import read_reference_profile, sample_evidence
from ikaros.rna.exon_coverage import write_exon_coverage
from ikaros.rna.expression import write_expression
from ikaros.rna.isoforms import write_rna_call
from ikaros.rna.junctions import write_junction_table
from ikaros.rna.sashimi import plot_sashimi

bam = snakemake.input.bam
models_path = snakemake.input.models
markers_path = snakemake.input.markers
reference_path = snakemake.input.get("reference", "") or None
build = snakemake.params.build
sample_id = snakemake.params.sample_id
min_mapq = int(snakemake.params.get("min_mapq", 10))
reference_fasta = snakemake.params.get("reference_fasta", "") or None
out = snakemake.output

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
logging.captureWarnings(True)

try:
    reference = read_reference_profile(reference_path) if reference_path else None
    evidence = sample_evidence(
        bam, models_path, markers_path, build, min_mapq, reference_fasta, reference
    )
    write_junction_table(evidence.junctions, out.junctions)
    write_exon_coverage(evidence.exon_coverage, out.exon_coverage)
    write_expression(evidence.expression, out.expression)
    write_rna_call(evidence.ikzf1, sample_id, out.ikzf1)
    plot_sashimi(
        evidence.junctions, evidence.exon_coverage, out.sashimi, title=f"{sample_id}: IKZF1"
    )
    logging.info("%s: IKZF1 RNA call %s %s", sample_id, evidence.ikzf1.rna_status,
                 evidence.ikzf1.rna_class)  # fmt: skip
except Exception:
    logging.exception("RNA evidence failed for %s", bam)
    raise

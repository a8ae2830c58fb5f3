"""Transcriptome evidence: spliced reads of RNA-seq BAMs, read through the index in the panel genes.

- `models`: the transcript models and the marker-gene table (resources/rna_transcript_models_*,
  resources/marker_genes.tsv).
- `reads`: one indexed pass over each gene's reads, the raw material of the steps below.
- `junctions`: split-read counts per junction, canonical vs aberrant, aberrant transcript fractions.
- `exon_coverage`: per-exon coverage normalised within the gene.
- `expression`: counts and TPM-like values of panel and marker genes, cohort matrices.
- `isoforms`: the IKZF1 class from junctions and exon coverage; integration with the DNA call.
- `simulate`: RNA BAMs with spliced reads from a truth-lesions table.
- `sashimi`: the sashimi-style PNG of IKZF1 junctions.
"""

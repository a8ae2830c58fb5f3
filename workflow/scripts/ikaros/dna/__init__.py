"""Genome data: coverage from BAM/CRAM (panel bins and genome-wide bins from the index), the
copy-number reference, segmentation, deletion junctions, exon and gene calls, IKZF1 and
IKZF1plus, SEG and CNVkit inputs, and the per-tumour calls that join them."""

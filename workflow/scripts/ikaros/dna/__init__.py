"""Genome data: coverage from BAM/CRAM (panel bins and genome-wide bins from the index), the
copy-number reference, segmentation, deletion junctions, exon and gene calls, IKZF1 and
IKZF1plus, SEG and CNVkit inputs, and the per-tumour calls that join them."""

# Where each DNA source's calls go below results/{cohort}/copy_number/{sample}/: a BAM's in
# the sample's folder, a SEG's and a CNVkit's in their own subfolders.
SOURCE_FOLDERS = {"BAM": "", "CNVkit": "cnvkit/", "SEG": "seg/"}

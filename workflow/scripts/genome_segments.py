"""Rule genome_segments_<cohort>_<batch>: a batch of tumours' genome-wide log2 ratios and CBS
segments (step 2 of the genome copy number; ikaros.dna.genome_copy_number).

input: counts (the cohort's bins x samples matrix), reference (its reference model), both from
       genome_counts_<cohort>
params: tumours (GenomeSample records of the batch), settings (the config's copy_number block:
        alpha, min_width, undo_z, seed)
output: per tumour its bins (log2 ratios) and segments (CBS), the karyotype step's input
threads: worker processes
"""

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.genome_copy_number import (
    GenomeSample,
    read_genome_counts,
    segment_genome_tumours,
)
from ikaros.dna.reference import read_reference
from ikaros.logs import log_to

log_to(snakemake.log[0])
tumours = [GenomeSample(**record) for record in snakemake.params.tumours]
segment_genome_tumours(
    tumours,
    read_genome_counts(snakemake.input.counts, [t.sample_id for t in tumours]),
    read_reference(snakemake.input.reference),
    dict(snakemake.params.settings),
    snakemake.threads,
)

"""Rule genome_copy_number_<cohort>: genome-wide 1 Mb bins of every DNA sample, from the index.

input: alignments, indexes (every DNA BAM/CRAM of the cohort, tumours and normals; only the
       indexes and the first BGZF blocks are read)
params: samples (ikaros.dna.genome_copy_number.GenomeSample records: sample_id, role, alignment,
        reference_fasta, sex, bins, segments), build, settings (the config's copy_number block:
        genome_bin_size, min_panel_normals, min_count, max_sd, alpha, min_width, undo_z, seed)
output: counts (bins x samples read estimates), and per tumour its bins (log2 ratios) and
        segments (CBS), the karyotype step's input
threads: worker processes for reading the indexes
"""

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.genome_copy_number import GenomeSample, genome_copy_number
from ikaros.logs import log_to
from ikaros.tables import write_table

log_to(snakemake.log[0])
samples = [GenomeSample(**record) for record in snakemake.params.samples]
counts = genome_copy_number(
    samples, snakemake.params.build, dict(snakemake.params.settings), snakemake.threads
)
write_table(counts, snakemake.output.counts)

"""Rule genome_counts_<cohort>: genome-wide 1 Mb bins of every DNA sample, from the index, and
the reference model built from them (step 1 of the genome copy number;
ikaros.dna.genome_copy_number).

input: alignments, indexes (every DNA BAM/CRAM of the cohort, tumours and normals; only the
       indexes and the first BGZF blocks are read)
params: samples (ikaros.dna.genome_copy_number.GenomeSample records: sample_id, role, alignment,
        reference_fasta, sex, bins, segments), build, settings (the config's copy_number block:
        genome_bin_size, min_panel_normals, min_count, max_sd)
output: counts (bins x samples read estimates), reference (the genome bins' reference model,
        ikaros.dna.reference.write_reference)
threads: worker processes for reading the indexes
"""

from pathlib import Path

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.genome_copy_number import GenomeSample, count_genome_bins
from ikaros.dna.reference import write_reference
from ikaros.logs import log_to
from ikaros.tables import write_table

log_to(snakemake.log[0])
samples = [GenomeSample(**record) for record in snakemake.params.samples]
counts, reference = count_genome_bins(
    samples, snakemake.params.build, dict(snakemake.params.settings), snakemake.threads
)
write_table(counts, Path(snakemake.output.counts))
write_reference(reference, snakemake.output.reference)

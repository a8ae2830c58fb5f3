"""Rules call_copy_number_<cohort>_<batch>: a batch of a cohort's tumours from coverage to calls.

input: reference (build_reference; absent when no tumour has a dna_bam), coverage (tumours'
       and matched normals' tables), alignments + indexes (the tumours' BAM/CRAMs, read in
       the IKZF1, PAX5 and ERG windows for deletion junctions), segment files (the SEG, CNVkit
       .cns/.cnr), karyotypes (the chromosomes.tsv and karyotype batch tables of BAM tumours
       with a VCF)
params: jobs (per tumour and DNA source: sample_id, patient_id, source (BAM, CNVkit, SEG),
        alignment, reference_fasta, coverage, matched_normal, segments, cnr, gene_models,
        blast_percent, sex, karyotype_chromosomes, karyotype_table,
        outputs = {bins, segments, exons, genes, summary, seg, chart}; see
        ikaros.dna.sample_calls.SampleJob), settings (the config's copy_number block)
output: every path named in the jobs' outputs
threads: worker processes
"""

import logging

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.sample_calls import SampleJob, call_cohort
from ikaros.logs import log_to

log_to(snakemake.log[0])
jobs = [SampleJob(**job) for job in snakemake.params.jobs]
reference = snakemake.input.get("reference", None) or None
results = call_cohort(jobs, reference, dict(snakemake.params.settings), snakemake.threads)
for sample in sorted(results):
    logging.info("%s: IKZF1 %s", sample, results[sample])

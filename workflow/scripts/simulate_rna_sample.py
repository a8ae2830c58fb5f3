"""Rule simulate_rna_sample: one simulated RNA-seq BAM from the shared truth-lesions table.

input:  lesions        truth_lesions.tsv of the DNA simulator (docs/FORMATS.md); the rows of
                       params.patient_id are used (none = a wildtype patient)
        models         resources/rna_transcript_models_{build}.tsv
params: sample_id      the RNA sample's ID (read names, @RG, and the random stream)
        patient_id
        build          GRCh37 | GRCh38
        seed           integer; same inputs and seed give a byte-identical BAM
        chr_prefix     (optional, default true) contig names chr7 vs 7
        genes          (optional) list of genes to simulate; default every gene of the models
        fragments_per_tpm_kb (optional, default 15; ~ a 30 M fragment library)
output: bam            sorted BAM; its index bam + ".bai" is written beside it
        truth          aberrant isoforms: sample_id gene transcript isoform exons_deleted fraction
log:    one file
"""

import logging

import pandas as pd

from ikaros.rna.models import read_transcript_models
from ikaros.rna.simulate import RnaSimSettings, simulate_rna_bam

lesions_path = snakemake.input.lesions
models_path = snakemake.input.models
params = snakemake.params
out = snakemake.output

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)

lesions = pd.read_csv(lesions_path, sep="\t", dtype={"patient_id": str, "sample_id": str})
lesions = lesions[lesions["patient_id"] == str(params.patient_id)]
settings = RnaSimSettings(
    fragments_per_tpm_kb=float(params.get("fragments_per_tpm_kb", 15.0) or 15.0)
)
truth = simulate_rna_bam(
    out.bam,
    str(params.sample_id),
    lesions,
    read_transcript_models(models_path),
    params.build,
    int(params.seed),
    genes=list(params.get("genes", []) or []) or None,
    settings=settings,
    chr_prefix=bool(params.get("chr_prefix", True)),
)
truth.to_csv(out.truth, sep="\t", index=False, float_format="%.6f")
logging.info("%s: %d aberrant isoforms simulated", params.sample_id, len(truth))

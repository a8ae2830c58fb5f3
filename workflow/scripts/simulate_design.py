"""Rule simulate_design: the sheets and truth tables of a simulated cohort.

The design is the same one the workflow computed at parse time (same settings, cohort, build
and BAM directory), so the written sheets list exactly the samples whose BAMs are simulated.
"""

import logging

from ikaros.annotation import read_gene_models
from ikaros.simulate import SimulationSettings, design_cohort, write_design

settings_config = snakemake.params.settings
build = snakemake.params.build
cohort = snakemake.params.cohort
bam_dir = snakemake.params.bam_dir
outputs = snakemake.output
log_path = snakemake.log[0]

logging.basicConfig(
    filename=log_path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
settings = SimulationSettings.from_config(settings_config)
design = design_cohort(
    settings,
    cohort=cohort,
    build=build,
    bam_dir=bam_dir,
    gene_models=read_gene_models(snakemake.input.gene_models),
)
write_design(
    design,
    samples_path=outputs.samples,
    clinical_path=outputs.clinical,
    lesions_path=outputs.truth_lesions,
    truth_path=outputs.truth_patients,
)
logging.info(
    "cohort %s (%s, seed %d): %d samples, %d patients, %d lesions, %d IKZF1-deleted, %d IKZF1plus",
    cohort,
    build,
    settings.seed,
    len(design.samples),
    len(design.clinical),
    len(design.lesions),
    int((design.patient_truth["ikzf1_status"] == "deleted").sum()),
    int((design.patient_truth["ikzf1plus"] == "true").sum()),
)

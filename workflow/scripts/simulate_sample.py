"""Rule simulate_sample: one simulated sample's coordinate-sorted, indexed BAM.

The sample's reads depend only on (seed, sample ID), so jobs may run in any order.
"""

import logging
import os
import time

from ikaros.annotation import read_gene_models
from ikaros.panel import read_panel
from ikaros.simulate import SimulationSettings, design_cohort, simulate_sample_bam

sample_id = snakemake.wildcards.sample
settings_config = snakemake.params.settings
build = snakemake.params.build
cohort = snakemake.params.cohort
bam_dir = snakemake.params.bam_dir
panel_path = snakemake.input.panel
out_bam = snakemake.output.bam
out_bai = snakemake.output.bai
log_path = snakemake.log[0]

logging.basicConfig(
    filename=log_path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
started = time.perf_counter()
settings = SimulationSettings.from_config(settings_config)
design = design_cohort(
    settings,
    cohort=cohort,
    build=build,
    bam_dir=bam_dir,
    gene_models=read_gene_models(snakemake.input.gene_models),
)
panel = read_panel(panel_path)
records = simulate_sample_bam(design, sample_id, panel, build, out_bam, settings)
if os.path.abspath(f"{out_bam}.bai") != os.path.abspath(out_bai):
    os.replace(f"{out_bam}.bai", out_bai)
logging.info(
    "%s: %d records, %d lesions, %.2f s",
    sample_id,
    records,
    int((design.lesions["sample_id"] == sample_id).sum()),
    time.perf_counter() - started,
)

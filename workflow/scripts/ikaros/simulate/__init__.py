"""The cohort simulator: a cohort design with known truth, and one BAM per sample.

`design_cohort` is pure and fast (the workflow calls it at parse time); `simulate_sample_bam`
writes one sample's coordinate-sorted, indexed BAM, deterministically per (seed, sample).
"""

from ikaros.simulate.design import CohortDesign, design_cohort, write_design
from ikaros.simulate.reads import simulate_cohort_bams, simulate_sample_bam
from ikaros.simulate.settings import SimulationSettings

__all__ = [
    "CohortDesign",
    "SimulationSettings",
    "design_cohort",
    "simulate_cohort_bams",
    "simulate_sample_bam",
    "write_design",
]

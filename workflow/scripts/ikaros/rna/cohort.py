"""A cohort's RNA evidence in three steps: every sample's tables, the cohort's reference, the calls.

1. `rna_sample_tables` (any subset of samples at a time) reads each RNA BAM once over its genes
   (through its index) and writes its junction, exon-coverage and expression tables, then reads
   the fusion partner genes for chimeric reads (`fusions`) and writes its fusion calls.
2. `rna_cohort_reference` (the whole cohort) reads the exon-coverage and expression tables back,
   writes the expression matrices and the cohort's exon-coverage reference (median relative depth
   and background intron readthrough per exon, `exon_coverage.reference_profile`) when there are
   at least `min_reference_samples` samples: most patients carry no deletion at any given exon,
   so the median is the normal profile.
3. `rna_ikzf1_calls` (any subset again) makes each sample's RNA-only IKZF1 call against the
   written reference and draws its sashimi plot.
Each step reads what the one before wrote, so the files are the same whether a step ran as one
job or many; steps 1 and 3 run with a process pool, and every result depends on the sample and
the cohort only, not on the workers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from ikaros.processes import map_in_processes
from ikaros.rna.evidence import read_exon_coverage, read_reference_profile, sample_tables
from ikaros.rna.exon_coverage import reference_profile, write_exon_coverage
from ikaros.rna.expression import expression_matrix, read_expression, write_expression
from ikaros.rna.fusions import FusionSettings, read_partner_table, sample_fusions, write_fusions
from ikaros.rna.gene_table import GeneLocator, read_genes
from ikaros.rna.isoforms import RnaCall, RnaCallSettings, call_ikzf1_rna, write_rna_call
from ikaros.rna.junctions import read_junction_table, write_junction_table
from ikaros.rna.models import gene_models, read_transcript_models
from ikaros.rna.sashimi import plot_sashimi

log = logging.getLogger(__name__)

RNA_SAMPLE_OUTPUTS = ("junctions", "exon_coverage", "expression", "ikzf1", "sashimi", "fusions")
RNA_COHORT_OUTPUTS = ("counts", "tpm", "relative", "reference")
# cohort output, expression-table column, decimals
MATRICES = (
    ("counts", "fragments", None),
    ("tpm", "tpm_like", 4),
    ("relative", "log2_vs_controls", 4),
)


@dataclass(frozen=True)
class RnaJob:
    """One RNA sample: its BAM/CRAM and where its tables go (RNA_SAMPLE_OUTPUTS)."""

    sample_id: str
    bam: str
    outputs: dict


@dataclass(frozen=True)
class RnaSources:
    """What every sample of a cohort is read with."""

    models: str
    markers: str
    build: str
    partners: str
    genes: str
    min_mapq: int = 10
    reference_fasta: str | None = None
    fusion_settings: FusionSettings = FusionSettings()


_WORKER: dict = {}


def _init_worker(sources: RnaSources) -> None:
    _WORKER["sources"] = sources
    _WORKER["partners"] = read_partner_table(sources.partners)
    _WORKER["locator"] = GeneLocator(read_genes(sources.genes))
    _WORKER["models"] = gene_models(read_transcript_models(sources.models))


def _tables(job: RnaJob) -> str:
    sources: RnaSources = _WORKER["sources"]
    junctions, coverage, expression = sample_tables(
        job.bam, sources.models, sources.markers, sources.build, sources.min_mapq,
        sources.reference_fasta,
    )  # fmt: skip
    write_junction_table(junctions, job.outputs["junctions"])
    write_exon_coverage(coverage, job.outputs["exon_coverage"])
    write_expression(expression, job.outputs["expression"])
    fusions = sample_fusions(
        job.bam, job.sample_id, _WORKER["partners"], _WORKER["models"], _WORKER["locator"],
        sources.build, sources.fusion_settings, sources.reference_fasta,
    )  # fmt: skip
    write_fusions(fusions, job.outputs["fusions"])
    log.info("%s: %d fusion call(s)", job.sample_id, len(fusions))
    return job.sample_id


def _call(task: tuple) -> tuple[str, RnaCall]:
    job, reference, settings = task
    junctions = read_junction_table(job.outputs["junctions"])
    coverage = read_exon_coverage(job.outputs["exon_coverage"])
    call = call_ikzf1_rna(junctions, coverage, reference, settings)
    write_rna_call(call, job.sample_id, job.outputs["ikzf1"])
    plot_sashimi(junctions, coverage, job.outputs["sashimi"], title=f"{job.sample_id}: IKZF1")
    return job.sample_id, call


def rna_sample_tables(jobs: list[RnaJob], sources: RnaSources, processes: int = 1) -> None:
    """Step 1: each sample's junction, exon-coverage, expression and fusion tables."""
    map_in_processes(_tables, jobs, processes, _init_worker, (sources,))


def rna_cohort_reference(
    jobs: list[RnaJob], cohort_outputs: dict, min_reference_samples: int = 10
) -> None:
    """Step 2 on every sample's written tables: the cohort matrices and the exon-coverage
    reference (RNA_COHORT_OUTPUTS at `cohort_outputs`; the reference table is header-only when
    the cohort is too small for one)."""
    if len(jobs) >= min_reference_samples:
        tables = [read_exon_coverage(job.outputs["exon_coverage"]) for job in jobs]
        reference = reference_profile(tables)
        log.info("exon-coverage reference from %d RNA samples", len(jobs))
    else:
        reference = pd.DataFrame(
            columns=["gene", "exon", "reference_depth", "reference_readthrough"]
        )
        log.info(
            "%d RNA samples (< %d): calls without a cohort exon-coverage reference",
            len(jobs), min_reference_samples,
        )  # fmt: skip
    reference.to_csv(cohort_outputs["reference"], sep="\t", index=False, float_format="%.6f")
    expression = {job.sample_id: read_expression(job.outputs["expression"]) for job in jobs}
    for name, column, digits in MATRICES:
        matrix = expression_matrix(expression, column)
        matrix.to_csv(
            cohort_outputs[name], sep="\t", index=False,
            float_format=f"%.{digits}f" if digits else None,
        )  # fmt: skip


def rna_ikzf1_calls(
    jobs: list[RnaJob],
    reference_path,
    settings: RnaCallSettings | None = None,
    processes: int = 1,
) -> dict[str, RnaCall]:
    """Step 3: each sample's RNA-only IKZF1 call and sashimi plot, against the cohort reference
    written by step 2 (uniform coverage and no readthrough background when it is header-only).
    Returns sample_id -> RNA call."""
    reference = read_reference_profile(reference_path)
    reference = reference if len(reference) else None
    tasks = [(job, reference, settings) for job in jobs]
    return dict(map_in_processes(_call, tasks, processes))


def rna_cohort(
    jobs: list[RnaJob],
    sources: RnaSources,
    cohort_outputs: dict,
    min_reference_samples: int = 10,
    settings: RnaCallSettings | None = None,
    processes: int = 1,
) -> dict[str, RnaCall]:
    """The three steps over one set of samples (what the workflow runs as several jobs)."""
    rna_sample_tables(jobs, sources, processes)
    rna_cohort_reference(jobs, cohort_outputs, min_reference_samples)
    return rna_ikzf1_calls(jobs, cohort_outputs["reference"], settings, processes)

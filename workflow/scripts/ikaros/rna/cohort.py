"""A cohort's RNA evidence in two passes: every sample's tables, then the IKZF1 calls.

Pass 1 (`rna_sample_tables`, any subset of samples at a time) reads each RNA BAM once over its
genes (through its index) and writes its junction, exon-coverage and expression tables, then
reads the fusion partner genes for chimeric reads (`fusions`) and writes its fusion calls.
Pass 2 (`rna_cohort_calls`, the whole cohort) reads those tables back, builds the cohort's
exon-coverage reference (median relative depth and background intron readthrough per exon,
`exon_coverage.reference_profile`) when there are at least `min_reference_samples` samples
(most patients carry no deletion at any given exon, so the median is the normal profile), writes
the expression matrices, and makes each sample's RNA-only IKZF1 call against that reference with
its sashimi plot. Pass 2 works from the written tables, so a cohort's calls are the same whether
pass 1 ran as one job or many. Both passes run with a process pool; every result depends on the
sample and the cohort only, not on the workers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from ikaros.processes import map_in_processes
from ikaros.rna.evidence import read_exon_coverage, sample_tables
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


def _read_tables(job: RnaJob) -> tuple[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    return job.sample_id, (
        read_junction_table(job.outputs["junctions"]),
        read_exon_coverage(job.outputs["exon_coverage"]),
        read_expression(job.outputs["expression"]),
    )


def _call(task: tuple) -> tuple[str, RnaCall]:
    job, junctions, coverage, reference, settings = task
    call = call_ikzf1_rna(junctions, coverage, reference, settings)
    write_rna_call(call, job.sample_id, job.outputs["ikzf1"])
    plot_sashimi(junctions, coverage, job.outputs["sashimi"], title=f"{job.sample_id}: IKZF1")
    return job.sample_id, call


def rna_sample_tables(jobs: list[RnaJob], sources: RnaSources, processes: int = 1) -> None:
    """Pass 1: each sample's junction, exon-coverage, expression and fusion tables."""
    map_in_processes(_tables, jobs, processes, _init_worker, (sources,))


def rna_cohort_calls(
    jobs: list[RnaJob],
    cohort_outputs: dict,
    min_reference_samples: int = 10,
    settings: RnaCallSettings | None = None,
    processes: int = 1,
) -> dict[str, RnaCall]:
    """Pass 2 on every sample's written tables: the cohort matrices (RNA_COHORT_OUTPUTS at
    `cohort_outputs`; the reference table is header-only when the cohort is too small for
    one) and each sample's IKZF1 call and sashimi plot. Returns sample_id -> RNA call."""
    tables = dict(map(_read_tables, jobs))
    coverages = [tables[job.sample_id][1] for job in jobs]
    reference = None
    if len(jobs) >= min_reference_samples:
        reference = reference_profile(coverages)
        log.info("exon-coverage reference from %d RNA samples", len(jobs))
    else:
        log.info(
            "%d RNA samples (< %d): calls without a cohort exon-coverage reference",
            len(jobs), min_reference_samples,
        )  # fmt: skip
    reference_table = (
        reference
        if reference is not None
        else pd.DataFrame(columns=["gene", "exon", "reference_depth", "reference_readthrough"])
    )
    reference_table.to_csv(cohort_outputs["reference"], sep="\t", index=False, float_format="%.6f")
    expression = {job.sample_id: tables[job.sample_id][2] for job in jobs}
    for name, column, digits in MATRICES:
        matrix = expression_matrix(expression, column)
        matrix.to_csv(
            cohort_outputs[name], sep="\t", index=False,
            float_format=f"%.{digits}f" if digits else None,
        )  # fmt: skip
    tasks = [
        (job, tables[job.sample_id][0], tables[job.sample_id][1], reference, settings)
        for job in jobs
    ]
    return dict(map_in_processes(_call, tasks, processes))


def rna_cohort(
    jobs: list[RnaJob],
    sources: RnaSources,
    cohort_outputs: dict,
    min_reference_samples: int = 10,
    settings: RnaCallSettings | None = None,
    processes: int = 1,
) -> dict[str, RnaCall]:
    """Both passes over one set of samples (what the workflow runs as many jobs and one)."""
    rna_sample_tables(jobs, sources, processes)
    return rna_cohort_calls(jobs, cohort_outputs, min_reference_samples, settings, processes)

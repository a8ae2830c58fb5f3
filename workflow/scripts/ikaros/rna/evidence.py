"""One sample's RNA evidence end to end: scan the BAM once, then every table and the IKZF1 call.

This is what the per-sample rule runs; the pieces live in the sibling modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ikaros.rna.exon_coverage import EXON_COVERAGE_COLUMNS, exon_coverage_tables
from ikaros.rna.expression import expression_table
from ikaros.rna.isoforms import RnaCall, RnaCallSettings, call_ikzf1_rna
from ikaros.rna.junctions import junction_tables
from ikaros.rna.models import (
    gene_models,
    markers_of_build,
    read_marker_genes,
    read_transcript_models,
)
from ikaros.rna.reads import scan_alignment_file
from ikaros.tables import read_tsv


@dataclass
class SampleEvidence:
    junctions: pd.DataFrame
    exon_coverage: pd.DataFrame
    expression: pd.DataFrame
    ikzf1: RnaCall


def sample_tables(
    bam: str | Path,
    models_path: str | Path,
    markers_path: str | Path,
    build: str,
    min_mapq: int = 10,
    reference_fasta: str | Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(junctions, exon coverage, expression) of one RNA BAM/CRAM, from one indexed pass."""
    models = gene_models(read_transcript_models(models_path))
    markers = markers_of_build(read_marker_genes(markers_path), build)
    unknown = sorted(set(markers["gene"]) - set(models))
    if unknown:
        raise ValueError(
            f"{markers_path}: gene(s) {', '.join(unknown)} have no transcript model "
            f"in {models_path}"
        )
    scans = scan_alignment_file(bam, models.values(), build, min_mapq, reference_fasta)
    purposes = dict(zip(markers["gene"], markers["purpose"], strict=True))
    return (
        junction_tables(models, scans),
        exon_coverage_tables(models, scans),
        expression_table(models, scans, purposes),
    )


def sample_evidence(
    bam: str | Path,
    models_path: str | Path,
    markers_path: str | Path,
    build: str,
    min_mapq: int = 10,
    reference_fasta: str | Path | None = None,
    reference: pd.DataFrame | None = None,
    settings: RnaCallSettings | None = None,
) -> SampleEvidence:
    """Junctions, exon coverage, expression and the RNA-only IKZF1 call of one RNA BAM/CRAM.

    `reference` is an optional `exon_coverage.reference_profile` (cohort baseline).
    """
    junctions, coverage, expression = sample_tables(
        bam, models_path, markers_path, build, min_mapq, reference_fasta
    )
    call = call_ikzf1_rna(junctions, coverage, reference, settings)
    return SampleEvidence(junctions, coverage, expression, call)


def read_exon_coverage(path: str | Path) -> pd.DataFrame:
    return read_tsv(
        path, EXON_COVERAGE_COLUMNS, "exon-coverage table", keep_default_na=False, na_values=[""]
    )


def read_reference_profile(path: str | Path) -> pd.DataFrame:
    columns = ("gene", "exon", "reference_depth", "reference_readthrough")
    return read_tsv(path, columns, "exon-coverage reference", keep_default_na=False, na_values=[""])

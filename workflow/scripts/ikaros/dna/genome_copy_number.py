"""Genome-wide copy number of BAM/CRAM tumours: 1 Mb bins counted from the index, segmented.

The panel bins see the IKZF1 region and its co-deletion loci closely and the rest of the
genome through one backbone tile per 10 Mb; chromosome counts, arm changes and iAMP21 need the
whole genome. Here every DNA sample gets read counts in fixed genome-wide bins from its index
(`ikaros.dna.index_coverage`: no read is decoded, so the cost does not grow with depth), bins that
overlap a centromere or an assembly gap (`ikaros.dna.panel_design`) by more than half are left
out, and the same reference model as the panel's (`ikaros.dna.reference`: per-bin bias and noise
from the panel of normals, or from the cohort's tumours when it has too few normals; library
size, sex and shared bias components) gives each tumour's log2 ratios, which the project's CBS
(`ikaros.dna.segmentation`) cuts per chromosome arm. The segments feed the karyotype step exactly
as SEG or CNVkit segments do.

Two steps, so that a cohort's tumours can be segmented in batches: `count_genome_bins` counts
every sample and builds the reference (the cohort's count matrix and reference tables), then
`segment_genome_tumours` normalises and segments any subset of tumours from those two tables.
The second step always reads the written tables, so one job and many give the same files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.dna.index_coverage import index_bin_counts
from ikaros.dna.panel import PANEL_COLUMNS
from ikaros.dna.panel_design import CENTROMERES, UNPLACEABLE
from ikaros.dna.reference import (
    Reference,
    build_reference,
    log2_ratios,
    read_reference,
    write_reference,
)
from ikaros.dna.segmentation import segment_bins
from ikaros.genome import PRIMARY_CHROMOSOMES, check_build, contig_lengths
from ikaros.processes import map_in_processes
from ikaros.sex import sheet_male
from ikaros.tables import read_tsv, write_table

log = logging.getLogger(__name__)

GENOME_BIN_SIZE = 1_000_000
# chrY is left out: its reads are few, mostly in repeats, and absent in females.
GENOME_CHROMOSOMES = tuple(c for c in PRIMARY_CHROMOSOMES if c not in ("chrY", "chrM"))
GENOME_BIN_COLUMNS = (*PANEL_COLUMNS, "fragments", "expected", "log2", "var", "masked")


@dataclass(frozen=True)
class GenomeSample:
    """One DNA sample of a cohort (tumour or normal) and where its genome tables go."""

    sample_id: str
    role: str  # "tumor" or "normal"
    alignment: str
    reference_fasta: str | None = None
    sex: str = ""
    bins: str | None = None  # tumours: per-bin log2 ratios
    segments: str | None = None  # tumours: CBS segments


def genome_bins(build: str, size: int = GENOME_BIN_SIZE) -> pd.DataFrame:
    """Fixed bins over chr1-22 and chrX (panel columns; kind `backbone`; arm by midpoint),
    without the bins that lie more than half in a centromere or an assembly gap."""
    check_build(build)
    rows = []
    for chrom, length in contig_lengths(build).items():
        if chrom not in GENOME_CHROMOSOMES:
            continue
        acen_start, boundary, acen_end = CENTROMERES[build][chrom]
        blocked = [(acen_start, acen_end)]
        blocked += [(s, e) for c, s, e in UNPLACEABLE[build] if c == chrom]
        for start in range(1, length + 1, size):
            end = min(start + size - 1, length)
            overlap = sum(max(0, min(end, e) - max(start, s) + 1) for s, e in blocked)
            if overlap > (end - start + 1) / 2 or end - start + 1 < size / 2:
                continue
            arm = "p" if (start + end) / 2 < boundary else "q"
            rows.append((f"G_{chrom}_{start // size:04d}", chrom, start, end, "backbone", "", 0, 0,
                         arm))  # fmt: skip
    return pd.DataFrame(rows, columns=list(PANEL_COLUMNS))


def _count(item) -> np.ndarray:
    sample, bins = item
    return index_bin_counts(sample.alignment, bins, sample.reference_fasta)


COUNT_DECIMALS = 1  # read estimates in the count matrix (what the segmentation reads)

_WORKER: dict = {}  # the cohort's reference model and settings, set once per worker


def _init_worker(reference: Reference, settings: dict) -> None:
    _WORKER["reference"], _WORKER["settings"] = reference, settings


def _segment_tumour(item) -> None:
    """Log2 ratios and CBS segments of one tumour, written to its bins and segments tables."""
    sample, counts = item
    reference, settings = _WORKER["reference"], _WORKER["settings"]
    ratios = log2_ratios(counts, reference, sheet_male(sample.sex))
    segments = segment_bins(
        ratios, alpha=float(settings.get("alpha", 0.01)),
        min_width=int(settings.get("min_width", 2)), seed=int(settings.get("seed", 1)),
        undo_z=float(settings.get("undo_z", 3.0)),
    )  # fmt: skip
    write_table(ratios.loc[:, list(GENOME_BIN_COLUMNS)], Path(sample.bins))
    write_table(segments, Path(sample.segments))
    log.info("%s: %d genome segments, library log2 %.2f, noise x%.2f", sample.sample_id,
             len(segments), ratios.attrs.get("library_log2", np.nan),
             ratios.attrs.get("noise_scale", np.nan))  # fmt: skip


def count_genome_bins(
    samples: list[GenomeSample],
    build: str,
    settings: dict | None = None,
    processes: int = 1,
) -> tuple[pd.DataFrame, Reference]:
    """Every sample's read estimates in the genome bins, and the reference built from them.

    Returns the cohort's count matrix (the bin columns, then one column per sample, rounded to
    COUNT_DECIMALS) and the reference, built from the panel normals, or from the tumours when
    there are fewer than `min_panel_normals` normals.
    """
    settings = dict(settings or {})
    size = int(settings.get("genome_bin_size", GENOME_BIN_SIZE))
    bins = genome_bins(build, size)
    counts = np.vstack(map_in_processes(_count, [(s, bins) for s in samples], processes))
    counts = np.round(counts, COUNT_DECIMALS)
    normals = [i for i, s in enumerate(samples) if s.role == "normal"]
    tumours = [i for i, s in enumerate(samples) if s.role == "tumor"]
    min_normals = int(settings.get("min_panel_normals", 3))
    reference_rows, kind = (normals, "panel_of_normals") if len(normals) >= min_normals else (
        tumours, "cohort")  # fmt: skip
    reference = build_reference(
        counts[reference_rows], bins, [samples[i].sample_id for i in reference_rows], kind,
        males=[sheet_male(samples[i].sex) for i in reference_rows],
        min_count=float(settings.get("min_count", 10.0)),
        max_sd=float(settings.get("max_sd", 1.0)),
    )  # fmt: skip
    log.info("genome bins: %d of %s bp; %s reference from %d samples; %d bins masked",
             len(bins), size, kind, len(reference_rows), int(reference.masked.sum()))  # fmt: skip
    # one frame of all sample columns at once: a column at a time fragments a cohort's frame
    per_sample = pd.DataFrame(counts.T, columns=[s.sample_id for s in samples], index=bins.index)
    matrix = pd.concat([bins.loc[:, ["bin_id", "chrom", "start", "end"]], per_sample], axis=1)
    return matrix, reference


def read_genome_counts(path, sample_ids: list[str]) -> pd.DataFrame:
    """The named samples' columns of a cohort count matrix (count_genome_bins), as floats;
    only those columns are parsed (a large cohort's matrix has thousands)."""
    wanted = set(sample_ids)
    table = read_tsv(
        path, tuple(sample_ids), "genome count matrix", usecols=lambda c: c in wanted, dtype=float
    )
    return table.loc[:, list(sample_ids)]


def segment_genome_tumours(
    tumours: list[GenomeSample],
    counts: pd.DataFrame,
    reference: Reference,
    settings: dict | None = None,
    processes: int = 1,
) -> None:
    """Normalise and segment each tumour (its column of `counts`, bins in the reference's
    order) against `reference`; each worker writes its tumours' bins and segments tables."""
    items = [(sample, counts[sample.sample_id].to_numpy()) for sample in tumours]
    setup = (reference, dict(settings or {}))
    map_in_processes(_segment_tumour, items, processes, _init_worker, setup)


def genome_copy_number(
    samples: list[GenomeSample],
    build: str,
    counts_path,
    reference_path,
    settings: dict | None = None,
    processes: int = 1,
) -> pd.DataFrame:
    """Both steps over one set of samples (what the workflow runs as several jobs): the count
    matrix and reference written to their paths, every tumour's bins and segments from them.
    Returns the count matrix."""
    matrix, reference = count_genome_bins(samples, build, settings, processes)
    write_table(matrix, Path(counts_path))
    write_reference(reference, reference_path)
    tumours = [sample for sample in samples if sample.role == "tumor"]
    segment_genome_tumours(
        tumours,
        read_genome_counts(counts_path, [sample.sample_id for sample in tumours]),
        read_reference(reference_path),
        settings,
        processes,
    )
    return matrix

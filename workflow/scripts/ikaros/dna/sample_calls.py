"""One tumour sample from coverage or segments to calls, and a cohort's samples in parallel.

`call_sample` runs one route of the copy-number step for one tumour, then the IKZF1
alteration and the one-row summary that the patients table is built from:

- BAM route (`source` "BAM"): log2 ratios of the sample's coverage against the cohort's
  reference (or against the patient's matched normal, with the reference's noise model),
  deletion junctions in the sample's reads over the IKZF1, PAX5 and ERG windows
  (ikaros.dna.junction_reads),
  segmentation, exon and gene calls;
- segment routes (`source` "SEG" or "CNVkit"): the sample's segments from a multi-sample SEG
  file or a CNVkit .cns (with its .cnr for standard errors) go straight to the exon and gene
  calls, which say `unresolved` where the segments are too coarse to decide an exon.

`write_sample_calls` writes its files, among them a one-row table of how the sample's ratios
were normalised and how noisy they are (`noise_row`, NOISE_COLUMNS; `noise_table` joins a
cohort's). `call_cohort` does both for many samples with a process pool, so a cohort pays the
library's import cost once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from ikaros.dna import bin_noise
from ikaros.dna.breakpoints import junction_text
from ikaros.dna.copy_number import REFINE_GENES, call_from_bins, settings_from_config
from ikaros.dna.coverage import read_coverage
from ikaros.dna.ikzf1 import Ikzf1Call, call_ikzf1
from ikaros.dna.ikzf1plus import sample_summary
from ikaros.dna.junction_reads import ReadProfile, window_evidence
from ikaros.dna.karyotype_reading import read_karyotype_copies
from ikaros.dna.ratio_chart import exon_ratio_chart
from ikaros.dna.reference import build_reference, log2_ratios, read_reference
from ikaros.dna.seg_output import seg_table, write_seg
from ikaros.dna.segment_inputs import (
    SEGMENT_FRAME,
    calls_from_segment_input,
    read_cns,
    read_gene_models,
    read_seg,
)
from ikaros.processes import map_in_processes
from ikaros.qc import QcThresholds, depth_failure
from ikaros.sex import sheet_male
from ikaros.tables import read_text_table, write_table

log = logging.getLogger(__name__)

SAMPLE_OUTPUTS = ("bins", "segments", "exons", "genes", "summary", "noise", "seg", "chart")
SOURCES = ("BAM", "CNVkit", "SEG")
BIN_COLUMNS = ("bin_id", "chrom", "start", "end", "log2", "var", "masked")
# The BAM route's normalisation and noise (ikaros.dna.reference, ikaros.dna.bin_noise), one
# row per sample; empty for the segment routes and for a BAM that failed QC.
NOISE_COLUMNS = (
    "sample_id",
    "dna_source",
    "library_log2",
    "library_se",
    "baseline",
    "baseline_ambiguous",
    "baseline_spread",
    "noise_scale",
    "neighbour_kappa",
    "fragment_bp",
    "fragment_assumed",
)


@dataclass(frozen=True)
class SampleJob:
    """Everything one tumour's calls need: paths, sheet values and where to write."""

    sample_id: str
    patient_id: str
    coverage: str
    matched_normal: str | None
    blast_percent: float | None
    sex: str
    outputs: dict
    source: str = "BAM"
    segments: str | None = None  # the SEG file (source SEG) or the .cns (source CNVkit)
    cnr: str | None = None  # CNVkit bins of the .cns, for segment standard errors
    gene_models: str | None = None  # exon coordinates: segment routes, and BAMs that fail QC
    alignment: str | None = None  # the tumour's BAM/CRAM, for deletion junctions (BAM route)
    reference_fasta: str | None = None  # needed to read a CRAM
    # the tumour's karyotype (BAM route; ikaros.dna.karyotype_reading): its chromosomes.tsv
    # and the karyotype table holding its row
    karyotype_chromosomes: str | None = None
    karyotype_table: str | None = None


def _blast_fraction(blast_percent) -> float | None:
    if blast_percent in (None, "") or pd.isna(blast_percent):
        return None
    return float(blast_percent) / 100.0


def call_sample(job: SampleJob, reference, settings: dict):
    """Calls of one tumour: (bins, calls, ikzf1 call, summary row).

    `reference` is the cohort's reference (BAM route; None is fine for segment routes).
    """
    call_params, seg_kwargs = settings_from_config(settings)
    blast = _blast_fraction(job.blast_percent)
    if job.source == "BAM":
        tumour = read_coverage(job.coverage)
        failure = depth_failure(tumour, QcThresholds.from_mapping(settings.get("qc"), "config qc"))
        if failure:
            return _unassessable(job, failure)
        bins = _bam_log2_ratios(job, tumour, reference, settings)
        evidence = _window_evidence(job, bins, settings)
        karyotype = (
            read_karyotype_copies(job.karyotype_chromosomes, job.karyotype_table, job.sample_id)
            if job.karyotype_chromosomes and job.karyotype_table
            else None
        )
        calls = call_from_bins(
            job.sample_id, bins, blast, call_params, junction_evidence=evidence,
            karyotype=karyotype, **seg_kwargs,
        )  # fmt: skip
    elif job.source in ("SEG", "CNVkit"):
        segments = (
            _seg_segments(job.segments, job.sample_id)
            if job.source == "SEG"
            else read_cns(job.segments, job.cnr)
        )
        model = read_gene_models(job.gene_models)
        calls = calls_from_segment_input(
            job.sample_id, segments, model, job.source, blast, call_params
        )
        bins = pd.DataFrame(columns=list(BIN_COLUMNS))
    else:
        raise ValueError(f"{job.sample_id}: unknown source {job.source!r}; expected {SOURCES}")
    ikzf1 = call_ikzf1(calls, call_params.focal_max_bp, float(settings.get("max_noise_scale", 3.0)))
    log.info("%s (%s): IKZF1 %s %s; %s", job.sample_id, job.source, ikzf1.status,
             ikzf1.deletion_class, ikzf1.evidence)  # fmt: skip
    return bins, calls, ikzf1, sample_summary(job.patient_id, calls, ikzf1)


def _unassessable(job: SampleJob, failure: str):
    """A tumour whose BAM failed QC: no segments, every exon and gene not assessable."""
    log.warning("%s (BAM): %s; IKZF1 not assessable", job.sample_id, failure)
    no_segments = pd.DataFrame(columns=list(SEGMENT_FRAME))
    calls = calls_from_segment_input(
        job.sample_id, no_segments, read_gene_models(job.gene_models), "BAM"
    )
    ikzf1 = Ikzf1Call("not_assessable", evidence=f"BAM {failure}")
    summary = sample_summary(job.patient_id, calls, ikzf1)
    summary["notes"] = "; ".join(n for n in (f"DNA {failure}", summary["notes"]) if n)
    return pd.DataFrame(columns=list(BIN_COLUMNS)), calls, ikzf1, summary


def _bam_log2_ratios(
    job: SampleJob, tumour: pd.DataFrame, reference, settings: dict
) -> pd.DataFrame:
    """Log2 ratios of the tumour's coverage table against its reference."""
    male = sheet_male(job.sex)
    extra_mask = None
    if job.matched_normal:
        normal = read_coverage(job.matched_normal)
        counts = normal["fragments"].to_numpy(dtype=float)[None, :]
        # The matched normal gives the expected depth; the cohort reference its noise model.
        reference = build_reference(
            counts, reference.panel, ["matched_normal"], "matched_normal", [male],
            noise_from=reference,
        )  # fmt: skip
        extra_mask = counts[0] < float(settings.get("min_count", 10.0))
    bins = log2_ratios(tumour["fragments"].to_numpy(dtype=float), reference, male, extra_mask)
    noise = bin_noise.measure(bins, bin_noise.fragment_length(tumour))
    bins.attrs.update(
        neighbour_kappa=noise.kappa,
        neighbour_fragment=noise.fragment,
        neighbour_fragment_assumed=noise.fragment_assumed,
    )
    log.info(
        "%s: %s reference, library log2 %.3f from %s%s, noise scale %.2f; %s",
        job.sample_id, reference.kind, bins.attrs["library_log2"], bins.attrs["baseline"],
        " (ambiguous)" if bins.attrs["baseline_ambiguous"] else "", bins.attrs["noise_scale"],
        noise.describe(),
    )  # fmt: skip
    return bins


def _window_evidence(job: SampleJob, bins: pd.DataFrame, settings: dict) -> dict:
    """Deletion junctions and junction reads in the tumour's reads over each refitted gene's
    window of bins (an indexed read of that region only); none without an alignment file."""
    if not job.alignment:
        return {}
    evidence = {}
    genes = bins["gene"].astype(str).to_numpy()
    for gene in REFINE_GENES:
        window = bins[genes == gene]
        if window.empty:
            continue
        found = window_evidence(
            job.alignment, str(window["chrom"].iat[0]), int(window["start"].min()),
            int(window["end"].max()), min_mapq=int(settings.get("junction_min_mapq", 20)),
            reference_fasta=job.reference_fasta,
        )  # fmt: skip
        log.info("%s: %d deletion junction(s) in the %s window: %s", job.sample_id,
                 len(found.junctions), gene,
                 "; ".join(junction_text(j) for j in found.junctions) or "none")  # fmt: skip
        evidence[gene] = found
    if evidence:
        profile = ReadProfile.of(evidence)
        log.info(
            "%s: %s over the junction windows: a deletion's split reads are %s, its "
            "discordant pairs %s", job.sample_id, profile.describe(),
            "expected" if profile.shows_clips else "not expected (no clipped read)",
            "expected" if profile.shows_improper_pairs else "not expected (no improper pair)",
        )  # fmt: skip
    return evidence


# A cohort's SEG file is read once per process, not once per sample.
_SEG_FILES: dict[str, dict[str, pd.DataFrame]] = {}


def _seg_segments(path: str, sample_id: str) -> pd.DataFrame:
    if path not in _SEG_FILES:
        _SEG_FILES[path] = read_seg(path)
    by_sample = _SEG_FILES[path]
    if sample_id not in by_sample:
        raise ValueError(f"{path}: column ID: no rows for sample {sample_id!r}")
    return by_sample[sample_id]


def noise_row(sample_id: str, calls) -> dict:
    """The NOISE_COLUMNS row of one sample's calls (from the attrs its ratios carry)."""
    attrs = calls.attrs
    row = dict.fromkeys(NOISE_COLUMNS, "")
    row.update(sample_id=sample_id, dna_source=calls.source)
    if "library_log2" not in attrs:
        return row
    row.update(
        library_log2=attrs["library_log2"],
        library_se=attrs["library_se"],
        baseline=attrs["baseline"],
        baseline_ambiguous=bool(attrs["baseline_ambiguous"]),
        baseline_spread=attrs.get("baseline_spread", 0.0),
        noise_scale=attrs["noise_scale"],
        neighbour_kappa=attrs.get("neighbour_kappa", ""),
        fragment_bp=attrs.get("neighbour_fragment", ""),
        fragment_assumed=bool(attrs.get("neighbour_fragment_assumed", False)),
    )
    return row


def noise_table(paths) -> pd.DataFrame:
    """A cohort's noise rows (the samples' noise.tsv files) in one table."""
    rows = [read_text_table(path, "copy-number noise table", NOISE_COLUMNS) for path in paths]
    if not rows:
        return pd.DataFrame(columns=list(NOISE_COLUMNS))
    return pd.concat(rows, ignore_index=True).loc[:, list(NOISE_COLUMNS)]


def write_sample_calls(job: SampleJob, bins, calls, ikzf1, summary: dict) -> None:
    """The sample's tables, IGV SEG and exon ratio chart at `job.outputs`."""
    outputs = job.outputs
    write_table(bins, outputs["bins"])
    write_table(calls.segments, outputs["segments"])
    write_table(calls.exons, outputs["exons"])
    write_table(calls.genes, outputs["genes"])
    write_table(pd.DataFrame([summary]), outputs["summary"])
    write_table(pd.DataFrame([noise_row(job.sample_id, calls)]), outputs["noise"])
    write_seg([seg_table(job.sample_id, calls.segments)], outputs["seg"])
    title = f"{job.sample_id} ({calls.source}): IKZF1 {ikzf1.status} {ikzf1.deletion_class}"
    exon_ratio_chart(
        calls.exons, outputs["chart"], title.strip(), _blast_fraction(job.blast_percent)
    )


# Set in each worker by `_init_worker`, so the reference is read once per process.
_WORKER: dict = {}


def _init_worker(reference_path: str | None, settings: dict) -> None:
    _WORKER["reference"] = read_reference(reference_path) if reference_path else None
    _WORKER["settings"] = settings


def _run(job: SampleJob) -> tuple[str, str]:
    bins, calls, ikzf1, summary = call_sample(job, _WORKER["reference"], _WORKER["settings"])
    write_sample_calls(job, bins, calls, ikzf1, summary)
    return f"{job.sample_id} ({job.source})", f"{ikzf1.status} {ikzf1.deletion_class}".strip()


def call_cohort(
    jobs: list[SampleJob], reference_path: str | None, settings: dict, processes: int = 1
) -> dict[str, str]:
    """Call and write every job; return "sample (source)" -> IKZF1 status and class.

    `reference_path` may be None when no job takes the BAM route.

    Each sample's segmentation takes its seed from the settings alone, so results do not
    depend on the number of processes or the order samples finish in.
    """
    return dict(map_in_processes(_run, jobs, processes, _init_worker, (reference_path, settings)))

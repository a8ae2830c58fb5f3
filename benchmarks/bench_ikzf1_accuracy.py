"""Benchmark: accuracy of ikaros' IKZF1 exon-level calls on simulated cohorts, with CNVkit beside.

Not a test. For each depth of a grid, simulates a fresh cohort (seed 9001 by default, a seed
the tests never use; the same seed at every depth, so every depth sees the same patients and
lesions and only the reads differ), then runs ikaros in-process as the workflow wires it:
coverage (ikaros.dna.coverage) -> panel-of-normals reference (ikaros.dna.reference) ->
per-sample calls (ikaros.dna.sample_calls.call_cohort, whose summary.tsv rows are the patients
table's rows).
Matched normals are switched off, so every tumour is called against the panel of normals.

Truth: the simulator's patient truth (ikzf1_status, ikzf1_class, ikzf1_exons_deleted, co-deletion
states, ikzf1plus, ikzf1plus_focal) and its lesions (an IKZF1 deletion is clonal when its
cell_fraction equals the blast fraction, subclonal when smaller).

Tables (TSV in --workdir, also printed):
  accuracy_by_class.tsv  depth x truth class (del4-7 del2-7 del2-8 del4-8 del1-8 other, and
                         wildtype) x blast band (<40, >=40) x clonality: n, exact (class and exon
                         set agree), sensitivity (any IKZF1 deletion called), specificity
                         (wildtype rows: no deletion called), exon sensitivity (truly deleted
                         exons called deleted), IKZF1plus / IKZF1plus-focal agreement,
                         co-deletion agreement per gene (state none/mono/bi equal).
  accuracy_by_depth.tsv  the same measures per depth over all patients.
  headline.tsv           the issue's headline numbers per depth, and IKZF1plus agreement
                         among patients with >= 40% blasts whose every lesion is clonal.
  cnvkit_comparison.tsv  per depth with CNVkit and truth class (and all deleted patients):
                         exon-level sensitivity and precision, exact class agreement and
                         sensitivity of ikaros and CNVkit side by side; wildtype specificity.
  codeletions.tsv        depth x co-deletion gene (CDKN2A, CDKN2B, PAX5, PAR1, ERG, and all):
                         losses in >= 40% of cells found (mono or bi called) and with the true
                         state, losses in fewer cells found, false calls among patients without
                         the loss (truth: the largest cell fraction among the lesions over the
                         gene). headline.tsv adds IKZF1plus sensitivity where the IKZF1
                         deletion and a qualifying co-deletion are in >= 40% of cells.
  by_fraction.tsv        depth x truth class x band of the IKZF1 deletion's cell fraction
                         (<0.2, 0.2-0.35, 0.35-0.5, 0.5-0.75, >=0.75; wildtype: no band): n,
                         exact, sensitivity (wildtype: specificity), exon sensitivity; with --rna
                         also RNA-only and DNA+RNA exact / sensitivity / specificity.
  With --rna:
  rna_accuracy.tsv       mode (DNA, RNA, DNA+RNA) x depth (empty for RNA) x truth class (and
                         "all"): n, n_deleted, exact, sensitivity, n_wildtype, specificity,
                         not_assessable.
  rna_by_isoform_fraction.tsv  RNA-only by truth class x band of the true aberrant isoform's
                         share of IKZF1 transcripts (the RNA simulator's isoform truth).
  rna_vs_dna.tsv         depth x truth class: DNA-only and DNA+RNA exact / sensitivity /
                         specificity, patients gained and lost by adding RNA, and
                         dna_rna_at_least_dna (exact; wildtype: specificity).
  rna_headline.tsv       issue 5's acceptance: RNA-only del4-7 found (called del4-7) where the
                         true aberrant isoform is >= 10% of IKZF1 transcripts (target >= 0.95),
                         RNA-only false calls on wildtype (<= 0.01), and per depth the share of
                         classes where DNA+RNA >= DNA-only (= 1).

RNA (--rna, off by default: it adds ~5 s of CPU per tumour): once per run, not per depth (RNA
does not depend on DNA depth, and every depth has the same design), every tumour gets an RNA BAM
from ikaros.rna.simulate (sample <patient>_R, the run's seed, the patient's truth lesions), then,
in the workflow's order: evidence without a reference (ikaros.rna.evidence.sample_evidence), the
cohort's reference profile from all tumours' exon coverage (ikaros.rna.exon_coverage), the
RNA-only call against it (ikaros.rna.isoforms.call_ikzf1_rna), and per depth the DNA+RNA call
(ikaros.rna.isoforms.integrate with the summary row's ikzf1_status/class/exons_deleted).

CNVkit (optional): the same BAMs and the same bins (the panel's exon and intron bins as the
targets BED, every other bin as the antitargets BED), `coverage` per BAM, `reference` from the
panel normals (no FASTA, so no GC/repeat correction), `fix`, `segment -m hmm` (the default CBS
needs R's DNAcopy, absent here; `--cnvkit-method haar` is the other choice) and `call`. An IKZF1
exon is deleted when the segment covering its midpoint has log2 below --cnvkit-threshold
(default -0.2); the deleted exon set is classed with ikaros.dna.ikzf1.deletion_class. The steps run
through CNVkit's own command-line parser (cnvlib.commands.parse_args) in one subprocess of the
interpreter that runs cnvkit.py, with a pool of --processes workers, so CNVkit's start-up cost
is paid once rather than once per step and sample.

Usage: python benchmarks/bench_ikzf1_accuracy.py [--seed 9001] [--depths 10,20,30,60]
       [--patients 150] [--panel-normals 10] [--processes 2] [--workdir benchmarks/out/accuracy]
       [--cnvkit PATH | --no-cnvkit] [--cnvkit-depths 20] [--cnvkit-method hmm]
       [--cnvkit-threshold -0.2] [--rna] [--rna-fragments-per-tpm-kb 15] [--no-junctions]
       [--karyotype]

Karyotype step (--karyotype): every tumour also gets a VCF (the simulator's germline SNPs,
allele counts following its karyotype and lesions; drawn from streams of their own, so the
BAMs and the panel calls are the same as without), and the workflow's karyotype step runs
beside the panel: genome-wide 1 Mb bins read from each BAM's index with their reference from
the panel normals, CBS, and the karyotype fit of depth and allele fractions
(ikaros.karyotype). The tumours are then called again as the workflow calls a BAM tumour with
a VCF, reading the two-copy chromosomes its karyotype names (ikaros.dna.karyotype_reading;
<depth>/copy_number_karyotype), and those calls with the karyotype's losses added
(ikaros.patients.add_karyotype_losses, as the patients table adds them: a near-haploid
clone's monosomies 7 and 9) are scored in patients_compared_karyotype.tsv and
headline_karyotype.tsv; the other tables stay the panel's own.

Deletion junctions (on by default): each tumour's BAM is read over the IKZF1, PAX5 and ERG
windows for discordant pairs and split reads (ikaros.dna.junction_reads), as the workflow does;
--no-junctions calls from coverage alone, for comparison.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from ikaros.annotation import read_gene_models, read_gene_spans  # noqa: E402
from ikaros.dna.coverage import count_coverage, read_coverage, write_coverage  # noqa: E402
from ikaros.dna.genome_copy_number import (  # noqa: E402
    GenomeSample,
    count_genome_bins,
    segment_genome_tumours,
)
from ikaros.dna.ikzf1 import deletion_class  # noqa: E402
from ikaros.dna.panel import read_panel  # noqa: E402
from ikaros.dna.reference import build_reference, stack_coverage, write_reference  # noqa: E402
from ikaros.dna.sample_calls import SAMPLE_OUTPUTS, SampleJob, call_cohort  # noqa: E402
from ikaros.karyotype.cohort import KaryotypeJob, call_karyotypes  # noqa: E402
from ikaros.patients import add_karyotype_losses  # noqa: E402
from ikaros.rna.evidence import sample_evidence  # noqa: E402
from ikaros.rna.exon_coverage import reference_profile  # noqa: E402
from ikaros.rna.isoforms import RnaCall, call_ikzf1_rna, integrate  # noqa: E402
from ikaros.rna.junctions import wilson_interval  # noqa: E402
from ikaros.rna.models import read_transcript_models  # noqa: E402
from ikaros.rna.simulate import RnaSimSettings, simulate_rna_bam  # noqa: E402
from ikaros.simulate import SimulationSettings, design_cohort, simulate_cohort_bams  # noqa: E402
from ikaros.simulate.design import codeletion_spans  # noqa: E402
from ikaros.simulate.lesions import GeneCoordinates  # noqa: E402
from ikaros.simulate.variants import simulate_cohort_vcfs  # noqa: E402

log = logging.getLogger("bench_ikzf1_accuracy")

BUILD = "GRCh38"
CLASSES = ("del4-7", "del2-7", "del2-8", "del4-8", "del1-8", "other")
CODELETION_GENES = ("cdkn2a", "cdkn2b", "pax5", "par1", "erg")
# The workflow's copy_number block with the schema's defaults (config/schemas/config.schema.yaml).
CALL_SETTINGS = {"seed": 1, "focal_max_bp": 5_000_000}
SEED_UNUSED_BY_TESTS = 9001
CNVKIT_DEFAULT_PATHS = ("/tmp/cnvkit-venv/bin/cnvkit.py",)
CNVKIT_FALLBACK_LOG2 = -0.2
# Bands of the IKZF1 deletion's cell fraction (blast fraction x clonal fraction), lower bounds.
FRACTION_BANDS = ((0.0, "<0.2"), (0.2, "0.2-0.35"), (0.35, "0.35-0.5"), (0.5, "0.5-0.75"),
                  (0.75, ">=0.75"))  # fmt: skip
# Bands of the true aberrant IKZF1 isoform's share of the transcripts (RNA simulator truth).
ISOFORM_BANDS = ((0.0, "<0.05"), (0.05, "0.05-0.1"), (0.1, "0.1-0.2"), (0.2, "0.2-0.4"),
                 (0.4, ">=0.4"))  # fmt: skip
# Issue 5's acceptance: RNA-only delta 4-7 sensitivity where the aberrant isoform is at least
# 10% of IKZF1 transcripts, and false RNA calls on wildtype patients.
RNA_HEADLINE_MIN_ISOFORM = 0.10
RNA_HEADLINE_SENSITIVITY = 0.95
RNA_HEADLINE_FALSE_CALLS = 0.01
# The three ways of calling IKZF1: (status, class, exons) columns of the compared table.
MODES = {
    "DNA": ("call_ikzf1_status", "call_ikzf1_class", "call_ikzf1_exons_deleted"),
    "RNA": ("rna_status", "rna_class", "rna_exons_deleted"),
    "DNA+RNA": ("int_status", "int_class", "int_exons_deleted"),
}


# --- simulation and ikaros ------------------------------------------------


# What the aligner leaves of a deletion's junction reads (ikaros.simulate.SimulationSettings):
# a local aligner's split reads (with supplementary alignments and SA tags, as BWA-MEM writes
# them) and discordant pairs, an end-to-end aligner's discordant pairs only, a BAM filtered to
# proper pairs (split reads only), or neither.
ALIGNERS = {
    "local": {},
    "end_to_end": {"split_reads": False},
    "proper_pairs": {"improper_pairs": False},
    "end_to_end_proper_pairs": {"split_reads": False, "improper_pairs": False},
}


# Panel designs: the shipped panel, or a small targeted panel made of its genes' exon, intron
# and flank tiles alone (three quarters of the bins then lie in the genes themselves).
PANEL_DESIGNS = {
    "full": lambda panel: panel,
    "targeted": lambda panel: panel[panel["kind"].isin(["exon", "intron", "flank"])].reset_index(
        drop=True
    ),
}


def simulation_settings(
    seed: int,
    depth: float,
    patients: int,
    panel_normals: int,
    aligner: str = "local",
    vcfs: bool = False,
):
    """The simulator's settings of one run; ``vcfs`` gives every tumour a VCF (drawn from
    streams of their own, so the BAMs are the same with and without)."""
    return SimulationSettings.from_config(
        {
            "seed": seed,
            "patients": patients,
            "panel_normals": panel_normals,
            "matched_normals": 0,
            "depth": depth,
            "ikzf1_rate": 0.5,
            "vcf_fraction": 1.0 if vcfs else 0.0,
            **ALIGNERS[aligner],
        }
    )


# The panel, set before the coverage pool forks so that workers share it.
_PANEL: dict = {}


def _count_one(job: tuple[str, str, str]) -> str:
    sample_id, bam, out = job
    write_coverage(count_coverage(bam, _PANEL["panel"], BUILD), out)
    return sample_id


def run_ikaros(
    design, settings, panel, cohort_dir: Path, processes: int, junctions: bool = True
) -> pd.DataFrame:
    """Simulate BAMs, count coverage, build the reference and call every tumour; return the
    summary rows (one per patient) and the stage timings in attrs."""
    timings = {}
    bam_dir = cohort_dir / "bams"
    bam_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    simulate_cohort_bams(design, panel, BUILD, settings, processes)
    timings["simulate_s"] = time.perf_counter() - started
    log.info("  simulated %d BAMs in %.1f s", len(design.samples), timings["simulate_s"])

    coverage_dir = cohort_dir / "coverage"
    coverage_dir.mkdir(exist_ok=True)
    samples = design.samples
    jobs = [
        (s, bam, str(coverage_dir / f"{s}.tsv"))
        for s, bam in zip(samples["sample_id"], samples["dna_bam"], strict=True)
    ]
    started = time.perf_counter()
    _PANEL["panel"] = panel
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        list(pool.imap_unordered(_count_one, jobs))
    timings["coverage_s"] = time.perf_counter() - started
    log.info("  counted coverage in %.1f s", timings["coverage_s"])

    started = time.perf_counter()
    normals = samples[(samples["role"] == "normal") & samples["patient_id"].isna()]
    normal_ids = list(normals["sample_id"])
    tables = {s: read_coverage(coverage_dir / f"{s}.tsv") for s in normal_ids}
    ref_panel, counts = stack_coverage(tables)
    males = [{"male": True, "female": False}.get(str(s)) for s in normals["sex"]]
    reference = build_reference(counts, ref_panel, normal_ids, "panel_of_normals", males=males)
    reference_path = cohort_dir / "reference.tsv"
    write_reference(reference, reference_path)

    timings["reference_s"] = time.perf_counter() - started
    summaries = call_tumours(design, cohort_dir, processes, junctions)
    timings["call_s"] = summaries.attrs["call_s"]
    summaries.attrs["timings"] = timings
    return summaries


def call_tumours(
    design, cohort_dir: Path, processes: int, junctions: bool = True,
    karyotype_dir: Path | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Call every tumour against the cohort's reference (run_ikaros made it), in
    <cohort>/copy_number, or with the karyotype step's tables (``karyotype_dir``, run_karyotypes:
    the two-copy chromosomes its SNP allele fractions name, as the workflow passes them) in
    <cohort>/copy_number_karyotype; return the summary rows, the time taken in attrs."""
    started = time.perf_counter()
    samples = design.samples
    tumours = samples[samples["role"] == "tumor"]
    folder = cohort_dir / ("copy_number" if karyotype_dir is None else "copy_number_karyotype")
    call_jobs = []
    for record in tumours.itertuples(index=False):
        out_dir = folder / record.sample_id
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = {"seg": "seg", "chart": "png"}
        karyotype = {}
        if karyotype_dir is not None:
            karyotype = {
                "karyotype_chromosomes": str(karyotype_dir / record.sample_id / "chromosomes.tsv"),
                "karyotype_table": str(karyotype_dir / "karyotypes.tsv"),
            }
        call_jobs.append(
            SampleJob(
                sample_id=record.sample_id,
                patient_id=record.patient_id,
                coverage=str(cohort_dir / "coverage" / f"{record.sample_id}.tsv"),
                alignment=record.dna_bam if junctions else None,
                matched_normal=None,
                blast_percent=record.blast_percent,
                sex="" if pd.isna(record.sex) else record.sex,
                outputs={
                    name: str(out_dir / f"{name}.{suffix.get(name, 'tsv')}")
                    for name in SAMPLE_OUTPUTS
                },
                **karyotype,
            )
        )
    call_cohort(call_jobs, str(cohort_dir / "reference.tsv"), dict(CALL_SETTINGS), processes)
    elapsed = time.perf_counter() - started
    log.info("  %d tumour calls%s in %.1f s", len(call_jobs),
             "" if karyotype_dir is None else " with their karyotypes", elapsed)  # fmt: skip
    summaries = pd.concat(
        [
            pd.read_csv(job.outputs["summary"], sep="\t", dtype=str, keep_default_na=False)
            for job in call_jobs
        ],
        ignore_index=True,
    )
    summaries.attrs["call_s"] = elapsed
    return summaries


def run_karyotypes(design, seed: int, cohort_dir: Path, processes: int) -> pd.DataFrame:
    """The workflow's karyotype step behind the panel calls, for tumours with a BAM and a
    VCF: each tumour's VCF (germline SNPs whose allele counts follow its karyotype,
    ikaros.simulate.variants), every sample's genome-wide 1 Mb bins read from its BAM index
    and their reference from the panel normals (genome_counts), each tumour's CBS segments
    (genome_segments), and the karyotype fit of depth and allele fractions (call_karyotypes).
    Returns the karyotypes table (results/<cohort>/karyotypes.tsv); timings in attrs."""
    started = time.perf_counter()
    samples = design.samples
    spans_path = ROOT / f"resources/gene_spans_{BUILD}.tsv"
    simulate_cohort_vcfs(
        samples, read_gene_spans(spans_path), BUILD, seed, processes,
        karyotypes=design.karyotypes, true_sex=design.true_sex, lesions=design.lesions,
    )  # fmt: skip
    vcf_s = time.perf_counter() - started
    genome_dir = cohort_dir / "karyotype"
    records = []
    for record in samples.itertuples(index=False):
        tumour = record.role == "tumor"
        folder = genome_dir / record.sample_id
        if tumour:
            folder.mkdir(parents=True, exist_ok=True)
        records.append(
            GenomeSample(
                sample_id=record.sample_id,
                role=record.role,
                alignment=record.dna_bam,
                sex="" if pd.isna(record.sex) else record.sex,
                bins=str(folder / "genome_bins.tsv") if tumour else None,
                segments=str(folder / "genome_segments.tsv") if tumour else None,
            )
        )
    counts, reference = count_genome_bins(records, BUILD, {}, processes)
    tumours = [r for r in records if r.role == "tumor"]
    segment_genome_tumours(tumours, counts, reference, {}, processes)
    genome_s = time.perf_counter() - started - vcf_s
    by_id = samples.set_index("sample_id")
    jobs = [
        KaryotypeJob(
            sample_id=t.sample_id,
            patient_id=by_id.at[t.sample_id, "patient_id"],
            source="BAM",
            segments=t.segments,
            build=BUILD,
            gene_spans=str(spans_path),
            chromosomes=str(genome_dir / t.sample_id / "chromosomes.tsv"),
            arms=str(genome_dir / t.sample_id / "arms.tsv"),
            vcf=by_id.at[t.sample_id, "vcf"],
            sex=t.sex,
            blast_percent=by_id.at[t.sample_id, "blast_percent"],
        )
        for t in tumours
    ]
    karyotypes = call_karyotypes(jobs, {}, processes)
    karyotypes.to_csv(genome_dir / "karyotypes.tsv", sep="\t", index=False, na_rep="")
    karyotypes.attrs["timings"] = {
        "vcf_simulate_s": vcf_s,
        "genome_bins_s": genome_s,
        "karyotype_s": time.perf_counter() - started - vcf_s - genome_s,
    }
    kinds = design.karyotype_truth.set_index("sample_id")["kind"]
    table = pd.crosstab(karyotypes["sample_id"].map(kinds), karyotypes["ploidy_class"])
    log.info(
        "  karyotypes (simulated kind -> ploidy class): %s",
        {kind: {k: n for k, n in row.items() if n} for kind, row in table.to_dict("index").items()},
    )
    return karyotypes


# --- truth ------------------------------------------------------------------


def codeletion_fractions(lesions: pd.DataFrame, coords: GeneCoordinates) -> pd.DataFrame:
    """Per patient, the cell fraction of each co-deletion gene's loss (``<gene>_fraction``: the
    largest among the lesions over the span the simulator's truth scores it on,
    ikaros.simulate.design.codeletion_spans; 0 where none)."""
    out = pd.DataFrame({"patient_id": pd.unique(lesions["patient_id"])})
    for gene, (chrom, start, end) in codeletion_spans(coords).items():
        hit = lesions[
            (lesions["chrom"] == chrom) & (lesions["start"] <= end) & (lesions["end"] >= start)
        ]
        largest = hit.groupby("patient_id")["cell_fraction"].max()
        out[f"{gene}_fraction"] = out["patient_id"].map(largest).fillna(0.0).to_numpy()
    return out


def truth_table(design, coords: GeneCoordinates | None = None) -> pd.DataFrame:
    """Patient truth with blast band, the clonality of the IKZF1 deletion and, given the
    simulator's gene coordinates, the cell fraction of each co-deletion."""
    truth = design.patient_truth.copy()
    for column in truth.columns:
        if column not in ("blast_percent", "ikzf1_fraction"):
            truth[column] = truth[column].fillna("").astype(str)
    lesions = design.lesions
    ikzf1 = lesions[(lesions["gene"] == "IKZF1") & (lesions["label"] != "IKZF1_intronic")]
    blast = truth.set_index("patient_id")["blast_percent"] / 100.0
    subclonal = {
        patient
        for patient, group in ikzf1.groupby("patient_id")
        if (group["cell_fraction"] < round(float(blast[patient]), 4) - 1e-9).any()
    }
    # Patients whose every lesion is in all blasts: IKZF1plus there does not hinge on a
    # subclonal co-deletion.
    lesion_blast = lesions["patient_id"].map(blast).round(4)
    subclonal_any = set(lesions.loc[lesions["cell_fraction"] < lesion_blast - 1e-9, "patient_id"])
    truth["all_clonal"] = ~truth["patient_id"].isin(subclonal_any)
    deleted = truth["ikzf1_status"] == "deleted"
    truth["truth_class"] = np.where(deleted, truth["ikzf1_class"], "wildtype")
    truth["blast_band"] = np.where(truth["blast_percent"] >= 40, ">=40", "<40")
    truth["clonality"] = np.where(
        ~deleted, "", np.where(truth["patient_id"].isin(subclonal), "subclonal", "clonal")
    )
    # the tumour's karyotype kind (a near-haploid clone's monosomy 7 is read from the panel
    # alone, without the karyotype step's SNP allele fractions)
    kinds = (
        design.karyotype_truth.set_index("patient_id")["kind"]
        if len(design.karyotype_truth)
        else pd.Series(dtype=object)
    )
    truth["karyotype"] = truth["patient_id"].map(kinds).fillna("").astype(str)
    if coords is not None:
        fractions = codeletion_fractions(lesions, coords)
        truth = truth.merge(fractions, on="patient_id", how="left")
        columns = [f"{gene}_fraction" for gene in CODELETION_GENES]
        truth[columns] = truth[columns].fillna(0.0)
    return truth


def exon_set(text: str) -> frozenset[int]:
    text = str(text or "").strip()
    return frozenset(int(e) for e in text.split(",") if e.strip())


def compare(truth: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """One row per patient: truth, the call, and per-measure agreement (booleans)."""
    calls = calls.add_prefix("call_").rename(columns={"call_patient_id": "patient_id"})
    merged = truth.merge(calls, on="patient_id", how="left", validate="one_to_one")
    missing = merged["call_ikzf1_status"].isna()
    if missing.any():
        raise RuntimeError(f"no call for patients {list(merged.loc[missing, 'patient_id'])}")
    true_exons = merged["ikzf1_exons_deleted"].map(exon_set)
    called_exons = merged["call_ikzf1_exons_deleted"].map(exon_set)
    merged["true_exons"] = true_exons
    merged["called_exons"] = called_exons
    merged["called_deleted"] = merged["call_ikzf1_status"] == "deleted"
    merged["exact"] = (merged["call_ikzf1_class"] == merged["ikzf1_class"]) & (
        true_exons == called_exons
    )
    merged["exons_true_n"] = true_exons.map(len)
    merged["exons_found_n"] = [len(t & c) for t, c in zip(true_exons, called_exons, strict=True)]
    merged["plus_agree"] = merged["call_ikzf1plus"] == merged["ikzf1plus"]
    merged["plus_focal_agree"] = merged["call_ikzf1plus_focal"] == merged["ikzf1plus_focal"]
    for gene in CODELETION_GENES:
        merged[f"{gene}_agree"] = merged[f"call_{gene}"] == merged[gene]
    return merged


def _rate(numerator: float, denominator: float) -> float:
    return float(numerator) / denominator if denominator else float("nan")


def measures(group: pd.DataFrame) -> dict:
    deleted = group["ikzf1_status"] == "deleted"
    wild = ~deleted
    row = {
        "n": len(group),
        "n_deleted": int(deleted.sum()),
        "exact": _rate(group.loc[deleted, "exact"].sum(), deleted.sum()),
        "sensitivity": _rate(group.loc[deleted, "called_deleted"].sum(), deleted.sum()),
        "exon_sensitivity": _rate(
            group.loc[deleted, "exons_found_n"].sum(), group.loc[deleted, "exons_true_n"].sum()
        ),
        "n_wildtype": int(wild.sum()),
        "specificity": _rate((~group.loc[wild, "called_deleted"]).sum(), wild.sum()),
        "not_assessable": int((group["call_ikzf1_status"] == "not_assessable").sum()),
        "ikzf1plus_agree": group["plus_agree"].mean(),
        "ikzf1plus_focal_agree": group["plus_focal_agree"].mean(),
    }
    for gene in CODELETION_GENES:
        row[f"{gene}_agree"] = group[f"{gene}_agree"].mean()
    return row


def by_class(compared: pd.DataFrame) -> pd.DataFrame:
    order = {name: k for k, name in enumerate((*CLASSES, "wildtype"))}
    rows = []
    keys = ["depth", "truth_class", "blast_band", "clonality"]
    for key, group in compared.groupby(keys, sort=False):
        rows.append({**dict(zip(keys, key, strict=True)), **measures(group)})
    table = pd.DataFrame(rows)
    table["_order"] = table["truth_class"].map(order)
    table = table.sort_values(["depth", "_order", "blast_band", "clonality"], kind="stable")
    return table.drop(columns="_order").reset_index(drop=True)


def by_depth(compared: pd.DataFrame) -> pd.DataFrame:
    rows = [{"depth": d, **measures(g)} for d, g in compared.groupby("depth", sort=True)]
    return pd.DataFrame(rows)


def _clonal_plus(group: pd.DataFrame) -> dict:
    """IKZF1plus agreement among patients with >= 40% blasts whose every lesion is clonal."""
    if "all_clonal" not in group.columns:
        return {}
    core = group[group["all_clonal"].astype(bool) & (group["blast_percent"] >= 40)]
    return {
        "clonal_blast40_patients": len(core),
        "ikzf1plus_agree_clonal_blast40": _rate(core["plus_agree"].sum(), len(core)),
    }


def deleted_in_forty_percent(group: pd.DataFrame) -> pd.Series:
    """The patients whose true IKZF1 deletion is in 40% of cells or more (the headline's)."""
    return (group["ikzf1_status"] == "deleted") & (group["ikzf1_fraction"] >= 0.4)


def wildtype(group: pd.DataFrame) -> pd.Series:
    """The patients whose IKZF1 is truly wildtype (the specificity's denominator)."""
    return group["ikzf1_status"] == "wildtype"


def _in_forty_percent(group: pd.DataFrame) -> dict:
    """Exact class and sensitivity over IKZF1 deletions in 40% of cells or more, and IKZF1plus
    sensitivity (true IKZF1plus patients called so) and false IKZF1plus calls."""
    deleted = group[deleted_in_forty_percent(group)]
    plus = group["ikzf1plus"] == "true"
    called_plus = group["call_ikzf1plus"] == "true"
    return {
        "fraction40_n": len(deleted),
        "fraction40_exact": _rate(deleted["exact"].sum(), len(deleted)),
        "fraction40_sensitivity": _rate(deleted["called_deleted"].sum(), len(deleted)),
        "ikzf1plus_n": int(plus.sum()),
        "ikzf1plus_sensitivity": _rate((plus & called_plus).sum(), plus.sum()),
        "ikzf1plus_false_calls": int((~plus & called_plus).sum()),
    }


def codeletions(compared: pd.DataFrame) -> pd.DataFrame:
    """Per depth and co-deletion gene (and all genes): losses in >= 40% of cells found (called
    mono or bi) and with the true allelic state, those in fewer cells found, and false calls
    among patients without the loss. Needs the ``<gene>_fraction`` truth columns."""
    rows = []
    for depth, group in compared.groupby("depth", sort=True):
        pooled = {"depth": depth, "gene": "all"}
        for gene in CODELETION_GENES:
            truth, call = group[gene], group[f"call_{gene}"]
            fraction = group[f"{gene}_fraction"].astype(float)
            lost, found = truth.isin(["mono", "bi"]), call.isin(["mono", "bi"])
            high = lost & (fraction >= 0.4)
            counts = {
                "n_40": int(high.sum()),
                "found_40": int((high & found).sum()),
                "state_40": int((high & (call == truth)).sum()),
                "n_below_40": int((lost & ~high).sum()),
                "found_below_40": int((lost & ~high & found).sum()),
                "n_none": int((truth == "none").sum()),
                "false_calls": int(((truth == "none") & found).sum()),
            }
            rows.append({"depth": depth, "gene": gene, **counts})
            for key, value in counts.items():
                pooled[key] = pooled.get(key, 0) + value
        rows.append(pooled)
    table = pd.DataFrame(rows)
    table["sensitivity_40"] = table["found_40"] / table["n_40"].where(table["n_40"] > 0)
    table["sensitivity_below_40"] = table["found_below_40"] / table["n_below_40"].where(
        table["n_below_40"] > 0
    )
    return table


def _plus_in_forty_percent(group: pd.DataFrame) -> dict:
    """IKZF1plus sensitivity where the IKZF1 deletion and a co-deletion that makes the patient
    IKZF1plus (CDKN2A, CDKN2B, PAX5 or PAR1) are in >= 40% of cells."""
    if "pax5_fraction" not in group.columns:
        return {}
    qualifying = [f"{gene}_fraction" for gene in ("cdkn2a", "cdkn2b", "pax5", "par1")]
    core = group[
        (group["ikzf1plus"] == "true")
        & (group["ikzf1_fraction"] >= 0.4)
        & (group[qualifying].astype(float).max(axis=1) >= 0.4)
    ]
    found = core["call_ikzf1plus"] == "true"
    return {"ikzf1plus40_n": len(core), "ikzf1plus40_sensitivity": _rate(found.sum(), len(core))}


def headline(compared: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for depth, group in compared.groupby("depth", sort=True):
        core = group[
            (group["ikzf1_status"] == "deleted")
            & (group["clonality"] == "clonal")
            & (group["blast_percent"] >= 40)
        ]
        wild = group[wildtype(group)]
        rows.append(
            {
                "depth": depth,
                "clonal_blast40_n": len(core),
                "clonal_blast40_exact": _rate(core["exact"].sum(), len(core)),
                "clonal_blast40_sensitivity": _rate(core["called_deleted"].sum(), len(core)),
                **_in_forty_percent(group),
                "wildtype_n": len(wild),
                "specificity": _rate((~wild["called_deleted"]).sum(), len(wild)),
                "ikzf1plus_agree": group["plus_agree"].mean(),
                "ikzf1plus_focal_agree": group["plus_focal_agree"].mean(),
                **_clonal_plus(group),
                **_plus_in_forty_percent(group),
            }
        )
    table = pd.DataFrame(rows)
    pooled = compared[compared["depth"] >= 30]
    if len(pooled) and compared["depth"].nunique() > 1:
        core = pooled[
            (pooled["ikzf1_status"] == "deleted")
            & (pooled["clonality"] == "clonal")
            & (pooled["blast_percent"] >= 40)
        ]
        wild = pooled[pooled["ikzf1_status"] == "wildtype"]
        total = {
            "depth": ">=30",
            "clonal_blast40_n": len(core),
            "clonal_blast40_exact": _rate(core["exact"].sum(), len(core)),
            "clonal_blast40_sensitivity": _rate(core["called_deleted"].sum(), len(core)),
            **_in_forty_percent(pooled),
            "wildtype_n": len(wild),
            "specificity": _rate((~wild["called_deleted"]).sum(), len(wild)),
            "ikzf1plus_agree": pooled["plus_agree"].mean(),
            "ikzf1plus_focal_agree": pooled["plus_focal_agree"].mean(),
            **_clonal_plus(pooled),
            **_plus_in_forty_percent(pooled),
        }
        table = pd.concat([table.astype({"depth": object}), pd.DataFrame([total])])
    return table.reset_index(drop=True)


# --- RNA ----------------------------------------------------------------------

# Set before the RNA pool forks so that workers share them.
_RNA: dict = {}


def rna_sample_id(patient_id: str) -> str:
    return f"{patient_id}_R"


def _rna_one(job: tuple[str, str]) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    """Simulate one patient's RNA BAM and scan it (no reference yet: the cohort's own exon
    coverage makes it). Returns the patient, its junctions, exon coverage, isoform truth and
    the worker's seconds."""
    patient_id, bam = job
    started = time.perf_counter()
    lesions = _RNA["lesions"]
    truth = simulate_rna_bam(
        bam,
        rna_sample_id(patient_id),
        lesions[lesions["patient_id"] == patient_id],
        _RNA["models"],
        BUILD,
        _RNA["seed"],
        settings=_RNA["settings"],
    )
    evidence = sample_evidence(bam, _RNA["models_path"], _RNA["markers_path"], BUILD)
    elapsed = time.perf_counter() - started
    return patient_id, evidence.junctions, evidence.exon_coverage, truth, elapsed


def run_rna(
    design, rna_dir: Path, seed: int, processes: int, fragments_per_tpm_kb: float
) -> tuple[pd.DataFrame, dict[str, RnaCall], dict]:
    """RNA-seq of every tumour: simulated BAM, evidence, cohort reference, RNA-only IKZF1 call.

    As the workflow orders it: every sample's exon coverage first (rna_junctions without a
    reference), then the cohort reference profile over all of them (rna_expression_matrix),
    then each sample's call against that reference (rna_junctions with it). The call is a pure
    function of the junction and exon-coverage tables and the reference, so the second pass
    reuses the first pass's tables rather than scanning the BAMs again.

    Returns one row per patient (the call and the isoform truth: `rna_true_isoform` the exons
    of the largest aberrant IKZF1 isoform, `rna_true_fraction` its share of the IKZF1 main
    transcript's molecules, 0 when none), the calls by patient, and the timings.
    """
    models_path = ROOT / f"resources/rna_transcript_models_{BUILD}.tsv"
    markers_path = ROOT / "resources/marker_genes.tsv"
    models = read_transcript_models(models_path)
    main_transcript = str(models.loc[models["gene"] == "IKZF1", "transcript"].iloc[0])
    bam_dir = rna_dir / "bams"
    bam_dir.mkdir(parents=True, exist_ok=True)
    patients = list(design.patient_truth["patient_id"])
    jobs = [(p, str(bam_dir / f"{rna_sample_id(p)}.bam")) for p in patients]
    _RNA.update(
        lesions=design.lesions,
        models=models,
        models_path=models_path,
        markers_path=markers_path,
        seed=seed,
        settings=RnaSimSettings(fragments_per_tpm_kb=fragments_per_tpm_kb),
    )
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        scanned = {result[0]: result for result in pool.imap_unordered(_rna_one, jobs)}
    timings = {
        "rna_simulate_and_scan_s": time.perf_counter() - started,
        "rna_worker_s": sum(result[4] for result in scanned.values()),
    }
    started = time.perf_counter()
    reference = reference_profile([scanned[p][2] for p in patients])
    reference.to_csv(rna_dir / "reference.tsv", sep="\t", index=False, float_format="%.6f")
    rows, calls = [], {}
    for patient_id in patients:
        _, junctions, coverage, truth, _ = scanned[patient_id]
        call = call_ikzf1_rna(junctions, coverage, reference)
        calls[patient_id] = call
        aberrant = truth[(truth["gene"] == "IKZF1") & (truth["transcript"] == main_transcript)]
        aberrant = aberrant.sort_values("fraction", ascending=False, kind="stable")
        rows.append(
            {
                "patient_id": patient_id,
                "rna_sample_id": rna_sample_id(patient_id),
                **call.as_row(),
                "rna_true_isoform": aberrant["exons_deleted"].iloc[0] if len(aberrant) else "",
                "rna_true_fraction": float(aberrant["fraction"].iloc[0]) if len(aberrant) else 0.0,
            }
        )
    timings["rna_reference_and_calls_s"] = time.perf_counter() - started
    table = pd.DataFrame(rows)
    table.to_csv(rna_dir / "rna_calls.tsv", sep="\t", index=False, float_format="%.6g", na_rep="")
    log.info(
        "  RNA of %d tumours in %.1f s",
        len(patients),
        sum(timings.values()) - timings["rna_worker_s"],
    )
    return table, calls, timings


def add_rna(compared: pd.DataFrame, rna: pd.DataFrame, calls: dict[str, RnaCall]) -> pd.DataFrame:
    """The compared table with the RNA-only call and the integrated DNA+RNA call beside the DNA
    call (ikaros.rna.isoforms.integrate on the summary row's ikzf1_status/class/exons)."""
    rna_columns = [c for c in rna.columns if c != "rna_evidence"]
    merged = compared.merge(rna[rna_columns], on="patient_id", how="left", validate="one_to_one")
    missing = merged["rna_status"].isna()
    if missing.any():
        raise RuntimeError(f"no RNA call for patients {list(merged.loc[missing, 'patient_id'])}")
    integrated = []
    for row in merged.itertuples(index=False):
        dna_call = {
            "ikzf1_status": row.call_ikzf1_status,
            "ikzf1_class": row.call_ikzf1_class,
            "ikzf1_exons_deleted": row.call_ikzf1_exons_deleted,
        }
        integrated.append(integrate(dna_call, calls[row.patient_id]))
    merged["int_status"] = [c.ikzf1_status for c in integrated]
    merged["int_class"] = [c.ikzf1_class for c in integrated]
    merged["int_exons_deleted"] = [c.ikzf1_exons_deleted for c in integrated]
    merged["int_agreement"] = [c.dna_rna_agreement for c in integrated]
    merged["int_note"] = [c.integration_note for c in integrated]
    return merged


def mode_outcomes(compared: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Per patient for one calling mode: called (any IKZF1 deletion), exact (class and exon set
    equal to the truth; deleted patients only), not_assessable."""
    status, klass, exons = MODES[mode]
    called = compared[status] == "deleted"
    exact = (
        (compared["ikzf1_status"] == "deleted")
        & called
        & (compared[klass].fillna("") == compared["ikzf1_class"])
        & (compared[exons].map(exon_set) == compared["ikzf1_exons_deleted"].map(exon_set))
    )
    return pd.DataFrame(
        {"called": called, "exact": exact, "not_assessable": compared[status] == "not_assessable"},
        index=compared.index,
    )


def mode_measures(group: pd.DataFrame, outcomes: pd.DataFrame) -> dict:
    deleted = group["ikzf1_status"] == "deleted"
    wild = ~deleted
    mine = outcomes.loc[group.index]
    return {
        "n": len(group),
        "n_deleted": int(deleted.sum()),
        "exact": _rate(mine.loc[deleted, "exact"].sum(), deleted.sum()),
        "sensitivity": _rate(mine.loc[deleted, "called"].sum(), deleted.sum()),
        "n_wildtype": int(wild.sum()),
        "specificity": _rate((~mine.loc[wild, "called"]).sum(), wild.sum()),
        "not_assessable": int(mine["not_assessable"].sum()),
    }


def _class_groups(compared: pd.DataFrame):
    """(truth class, rows) for each class present, wildtype, then all patients."""
    for name in (*CLASSES, "wildtype"):
        group = compared[compared["truth_class"] == name]
        if len(group):
            yield name, group
    yield "all", compared


def rna_accuracy(compared: pd.DataFrame) -> pd.DataFrame:
    """Per mode (DNA, RNA, DNA+RNA), depth (none for RNA: it does not depend on DNA depth) and
    truth class: n, exact, sensitivity, specificity, not assessable."""
    rows = []
    first_depth = compared["depth"].iloc[0]
    for mode in MODES:
        outcomes = mode_outcomes(compared, mode)
        for depth, at_depth in compared.groupby("depth", sort=True):
            if mode == "RNA" and depth != first_depth:
                continue
            for name, group in _class_groups(at_depth):
                rows.append(
                    {
                        "mode": mode,
                        "depth": "" if mode == "RNA" else depth,
                        "truth_class": name,
                        **mode_measures(group, outcomes),
                    }
                )
    return pd.DataFrame(rows)


def rna_vs_dna(compared: pd.DataFrame) -> pd.DataFrame:
    """Per depth and truth class: DNA-only against DNA+RNA, and whether DNA+RNA is at least as
    accurate (exact for deleted classes, specificity for wildtype); gained / lost count the
    patients right with DNA+RNA but not DNA-only and the reverse."""
    dna, both = mode_outcomes(compared, "DNA"), mode_outcomes(compared, "DNA+RNA")
    dna_right = dna["exact"].where(compared["ikzf1_status"] == "deleted", ~dna["called"])
    both_right = both["exact"].where(compared["ikzf1_status"] == "deleted", ~both["called"])
    rows = []
    for depth, at_depth in compared.groupby("depth", sort=True):
        for name, group in _class_groups(at_depth):
            a, b = mode_measures(group, dna), mode_measures(group, both)
            key = "specificity" if name == "wildtype" else "exact"
            index = group.index
            row = {"depth": depth, "truth_class": name, "n": len(group)}
            for measure in ("exact", "sensitivity", "specificity"):
                row[f"dna_{measure}"] = a[measure]
                row[f"dna_rna_{measure}"] = b[measure]
            row["gained"] = int((both_right[index] & ~dna_right[index]).sum())
            row["lost"] = int((dna_right[index] & ~both_right[index]).sum())
            row["dna_rna_at_least_dna"] = bool(b[key] >= a[key] - 1e-12)
            if name == "all":
                row["dna_rna_at_least_dna"] = bool(
                    b["exact"] >= a["exact"] - 1e-12
                    and b["specificity"] >= a["specificity"] - 1e-12
                )
            rows.append(row)
    return pd.DataFrame(rows)


def rna_headline(compared: pd.DataFrame) -> pd.DataFrame:
    """Issue 5's acceptance numbers: RNA-only delta 4-7 found (called del4-7) where the true
    aberrant isoform is >= 10% of IKZF1 transcripts; RNA-only false calls on wildtype (both with
    count and 95% Wilson interval); per depth, whether DNA+RNA exact >= DNA-only exact in every
    class (wildtype: specificity)."""
    first = compared[compared["depth"] == compared["depth"].iloc[0]]
    rna = mode_outcomes(first, "RNA")
    target = first[
        (first["truth_class"] == "del4-7")
        & (first["rna_true_fraction"] >= RNA_HEADLINE_MIN_ISOFORM - 1e-12)
    ]
    found = (target["rna_class"] == "del4-7").sum()
    wild = first[first["truth_class"] == "wildtype"]
    false_calls = rna.loc[wild.index, "called"].sum()
    rows = []
    for measure, count, n, goal, passes in (
        (
            f"RNA-only del4-7 found, isoform >= {RNA_HEADLINE_MIN_ISOFORM:g}",
            int(found),
            len(target),
            f">= {RNA_HEADLINE_SENSITIVITY:g}",
            lambda rate: rate >= RNA_HEADLINE_SENSITIVITY,
        ),
        (
            "RNA-only false calls on wildtype",
            int(false_calls),
            len(wild),
            f"<= {RNA_HEADLINE_FALSE_CALLS:g}",
            lambda rate: rate <= RNA_HEADLINE_FALSE_CALLS,
        ),
    ):
        low, high = wilson_interval(count, n)
        rate = _rate(count, n)
        rows.append(
            {
                "measure": measure,
                "depth": "",
                "n": n,
                "count": count,
                "value": rate,
                "ci95_low": low,
                "ci95_high": high,
                "target": goal,
                "pass": bool(passes(rate)),
            }
        )
    check = rna_vs_dna(compared)
    for depth, group in check[check["truth_class"] != "all"].groupby("depth", sort=True):
        ok = group["dna_rna_at_least_dna"]
        rows.append(
            {
                "measure": "classes with DNA+RNA >= DNA-only (exact; wildtype: specificity)",
                "depth": depth,
                "n": len(group),
                "count": int(ok.sum()),
                "value": _rate(ok.sum(), len(group)),
                "target": "= 1",
                "pass": bool(ok.all()),
            }
        )
    return pd.DataFrame(rows)


def band(values: pd.Series, bands) -> pd.Series:
    """Band label of each value (bands: ascending (lower bound, label)); '' for missing."""
    bounds = np.array([lower for lower, _ in bands])
    labels = np.array([label for _, label in bands], dtype=object)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    index = np.searchsorted(bounds, numbers + 1e-12, side="right") - 1
    out = labels[np.clip(index, 0, len(bands) - 1)]
    return pd.Series(np.where(np.isnan(numbers), "", out), index=values.index, dtype=object)


def _banded(compared: pd.DataFrame, band_column: str, bands, modes, keys) -> pd.DataFrame:
    outcomes = {mode: mode_outcomes(compared, mode) for mode in modes}
    class_order = {name: k for k, name in enumerate((*CLASSES, "wildtype"))}
    band_order = {label: k for k, (_, label) in enumerate(bands)}
    rows = []
    for key, group in compared.groupby([*keys, "truth_class", band_column], sort=False):
        row = dict(zip([*keys, "truth_class", band_column], key, strict=True))
        row["n"] = len(group)
        for mode in modes:
            prefix = {"DNA": "dna", "RNA": "rna", "DNA+RNA": "dna_rna"}[mode]
            measured = mode_measures(group, outcomes[mode])
            wildtype = row["truth_class"] == "wildtype"
            for measure in ("specificity",) if wildtype else ("exact", "sensitivity"):
                row[f"{prefix}_{measure}"] = measured[measure]
        if "DNA" in modes and row["truth_class"] != "wildtype":
            row["dna_exon_sensitivity"] = _rate(
                group["exons_found_n"].sum(), group["exons_true_n"].sum()
            )
        rows.append(row)
    columns = [*keys, "truth_class", band_column, "n"]
    for mode in modes:
        prefix = {"DNA": "dna", "RNA": "rna", "DNA+RNA": "dna_rna"}[mode]
        columns += [f"{prefix}_{m}" for m in ("exact", "sensitivity", "specificity")]
    columns += ["dna_exon_sensitivity"] if "DNA" in modes else []
    table = pd.DataFrame(rows)
    table = table[[c for c in columns if c in table.columns]].copy()
    table["_c"] = table["truth_class"].map(class_order)
    table["_b"] = table[band_column].map(band_order).fillna(-1)
    table = table.sort_values([*keys, "_c", "_b"], kind="stable").drop(columns=["_c", "_b"])
    return table.reset_index(drop=True)


def by_fraction(compared: pd.DataFrame) -> pd.DataFrame:
    """Depth x truth class x band of the IKZF1 deletion's cell fraction (wildtype: no band):
    n, DNA exact / sensitivity / exon sensitivity (wildtype: specificity), and the same for
    RNA-only and DNA+RNA when the run has RNA."""
    compared = compared.assign(fraction_band=band(compared["ikzf1_fraction"], FRACTION_BANDS))
    modes = [m for m in MODES if m == "DNA" or "rna_status" in compared.columns]
    return _banded(compared, "fraction_band", FRACTION_BANDS, modes, ["depth"])


def rna_by_isoform_fraction(compared: pd.DataFrame) -> pd.DataFrame:
    """RNA-only by truth class x band of the true aberrant isoform fraction (one depth's rows:
    RNA does not depend on DNA depth)."""
    first = compared[compared["depth"] == compared["depth"].iloc[0]]
    isoform = first["rna_true_fraction"].where(first["ikzf1_status"] == "deleted")
    first = first.assign(isoform_band=band(isoform, ISOFORM_BANDS))
    return _banded(first, "isoform_band", ISOFORM_BANDS, ["RNA"], [])


# --- CNVkit -------------------------------------------------------------------

# Run by the interpreter of cnvkit.py: each task is a list of CNVkit command lines run in turn,
# each through CNVkit's own parser, exactly as `cnvkit.py <argv>` would run it.
CNVKIT_DRIVER = """\
import json, logging, sys
from multiprocessing import get_context
from cnvlib.commands import parse_args

def run(task):
    for argv in task:
        args = parse_args(argv)
        args.func(args)
    return task[0][-1]

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    plan = json.load(open(sys.argv[1]))
    with get_context("fork").Pool(plan["processes"]) as pool:
        for stage in plan["stages"]:
            for done in pool.imap_unordered(run, stage):
                pass
            print("stage done:", len(stage), "tasks", flush=True)
"""


def find_cnvkit(option: str | None) -> Path | None:
    candidates = [option] if option else [shutil.which("cnvkit.py"), *CNVKIT_DEFAULT_PATHS]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def cnvkit_python(cnvkit: Path) -> str:
    """The interpreter named by cnvkit.py's shebang (its virtual environment)."""
    first = cnvkit.read_text(errors="replace").splitlines()[0]
    if first.startswith("#!"):
        words = first[2:].split()
        if words and Path(words[0]).name == "env" and len(words) > 1:
            return shutil.which(words[1]) or words[1]
        if words:
            return words[0]
    return str(cnvkit.parent / "python")


def write_beds(panel: pd.DataFrame, out_dir: Path) -> tuple[Path, Path]:
    """The panel's exon+intron bins as CNVkit targets, every other bin as antitargets (BED)."""
    is_target = panel["kind"].isin(["exon", "intron"])
    paths = []
    for name, rows in (("targets", panel[is_target]), ("antitargets", panel[~is_target])):
        bed = pd.DataFrame(
            {
                "chrom": rows["chrom"],
                "start": rows["start"].astype(int) - 1,
                "end": rows["end"].astype(int),
                "name": rows["gene"].fillna("").replace("", "-").astype(str)
                if name == "targets"
                else "Antitarget",
            }
        )
        path = out_dir / f"{name}.bed"
        bed.to_csv(path, sep="\t", header=False, index=False)
        paths.append(path)
    return paths[0], paths[1]


def run_cnvkit(
    cnvkit: Path, design, panel, cohort_dir: Path, processes: int, method: str
) -> tuple[dict[str, Path], float]:
    """CNVkit on the cohort's BAMs; returns tumour sample -> .cns path and the wall time."""
    out = cohort_dir / "cnvkit"
    out.mkdir(exist_ok=True)
    targets, antitargets = write_beds(panel, out)
    samples = design.samples
    coverage = []
    for sample_id, bam in zip(samples["sample_id"], samples["dna_bam"], strict=True):
        for bed, kind in ((targets, "targetcoverage"), (antitargets, "antitargetcoverage")):
            coverage.append(
                [
                    [
                        "coverage",
                        bam,
                        str(bed),
                        "-q",
                        "20",
                        "-o",
                        str(out / f"{sample_id}.{kind}.cnn"),
                    ]
                ]
            )
    normals = samples.loc[
        (samples["role"] == "normal") & samples["patient_id"].isna(), "sample_id"
    ].tolist()
    reference = out / "reference.cnn"
    reference_cmd = ["reference"]
    for sample_id in normals:
        reference_cmd += [
            str(out / f"{sample_id}.targetcoverage.cnn"),
            str(out / f"{sample_id}.antitargetcoverage.cnn"),
        ]
    reference_cmd += ["--no-gc", "--no-edge", "--no-rmask", "-o", str(reference)]
    tumours = samples.loc[samples["role"] == "tumor", "sample_id"].tolist()
    per_tumour = []
    cns = {}
    for sample_id in tumours:
        cnr, seg = out / f"{sample_id}.cnr", out / f"{sample_id}.cns"
        cns[sample_id] = seg
        per_tumour.append(
            [
                ["fix", str(out / f"{sample_id}.targetcoverage.cnn"),
                 str(out / f"{sample_id}.antitargetcoverage.cnn"), "-r", str(reference),
                 "--no-gc", "--no-edge", "--no-rmask", "-o", str(cnr)],
                ["segment", str(cnr), "-m", method, "-o", str(seg)],
                ["call", str(seg), "-o", str(out / f"{sample_id}.call.cns")],
            ]
        )  # fmt: skip
    plan = {"processes": processes, "stages": [coverage, [[reference_cmd]], per_tumour]}
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan, indent=1))
    driver = out / "driver.py"
    driver.write_text(CNVKIT_DRIVER)
    started = time.perf_counter()
    result = subprocess.run(
        [cnvkit_python(cnvkit), str(driver), str(plan_path)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    (out / "cnvkit.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(
            f"CNVkit failed (exit {result.returncode}); see {out / 'cnvkit.log'}:\n"
            + result.stderr[-2000:]
        )
    return cns, elapsed


def cnvkit_exon_calls(
    cns_paths: dict[str, Path], panel: pd.DataFrame, threshold: float
) -> pd.DataFrame:
    """Per tumour: IKZF1 exons whose covering CNVkit segment has log2 < threshold."""
    exons = panel[(panel["gene"] == "IKZF1") & (panel["kind"] == "exon")].copy()
    exons["exon"] = exons["exon"].astype(int)
    exons["mid0"] = (exons["start"].astype(int) - 1 + exons["end"].astype(int)) // 2
    rows = []
    for sample_id, path in cns_paths.items():
        segments = pd.read_csv(path, sep="\t")
        deleted = set()
        for exon in exons.itertuples(index=False):
            hit = segments[
                (segments["chromosome"] == exon.chrom)
                & (segments["start"] <= exon.mid0)
                & (segments["end"] > exon.mid0)
            ]
            if len(hit) and float(hit["log2"].iloc[0]) < threshold:
                deleted.add(int(exon.exon))
        rows.append(
            {
                "sample_id": sample_id,
                "cnvkit_exons": frozenset(deleted),
                "cnvkit_class": deletion_class(deleted),
            }
        )
    return pd.DataFrame(rows)


def cnvkit_comparison(compared: pd.DataFrame) -> pd.DataFrame:
    """Per depth and truth class (and all deleted patients pooled): each tool's exon-level
    sensitivity (truly deleted exons called) and precision (called exons truly deleted),
    exact class, any-deletion sensitivity; wildtype rows: specificity."""
    rows = []
    pooled = compared[compared["truth_class"] != "wildtype"].assign(truth_class="all deleted")
    groups = pd.concat([compared, pooled]).groupby(["depth", "truth_class"], sort=False)
    for (depth, truth_class), group in groups:
        deleted = group["ikzf1_status"] == "deleted"
        row = {"depth": depth, "truth_class": truth_class, "n": len(group)}
        for tool, exons, klass in (
            ("ikaros", "called_exons", "call_ikzf1_class"),
            ("cnvkit", "cnvkit_exons", "cnvkit_class"),
        ):
            found = [len(t & c) for t, c in zip(group["true_exons"], group[exons], strict=True)]
            any_call = group[exons].map(len) > 0
            if truth_class == "wildtype":
                row[f"{tool}_specificity"] = _rate((~any_call).sum(), len(group))
                continue
            exact = (group[klass] == group["ikzf1_class"]) & (group["true_exons"] == group[exons])
            row[f"{tool}_exon_sensitivity"] = _rate(
                sum(found), group.loc[deleted, "exons_true_n"].sum()
            )
            row[f"{tool}_exon_precision"] = _rate(sum(found), group[exons].map(len).sum())
            row[f"{tool}_exact"] = _rate(exact.sum(), len(group))
            row[f"{tool}_sensitivity"] = _rate(any_call.sum(), len(group))
        rows.append(row)
    order = {name: k for k, name in enumerate((*CLASSES, "all deleted", "wildtype"))}
    table = pd.DataFrame(rows)
    table["_order"] = table["truth_class"].map(order)
    return (
        table.sort_values(["depth", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


# --- main ---------------------------------------------------------------------


def write_and_print(table: pd.DataFrame, path: Path, title: str) -> None:
    table.to_csv(path, sep="\t", index=False, float_format="%.4g", na_rep="")
    print(f"\n== {title} ({path})")
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep=""))


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def write_compared(compared: pd.DataFrame, path: Path) -> None:
    """A per-patient table without the exon-set helper columns."""
    keep = [c for c in compared.columns if c not in ("true_exons", "called_exons")]
    compared[keep].to_csv(path, sep="\t", index=False, na_rep="")


def report_karyotype(karyotype_all, workdir: Path) -> None:
    """The calls with the karyotype step's losses added: their per-patient table and headline."""
    compared = pd.concat(karyotype_all, ignore_index=True)
    write_compared(compared, workdir / "patients_compared_karyotype.tsv")
    write_and_print(
        headline(compared), workdir / "headline_karyotype.tsv", "headline, with the karyotype step"
    )


def report(compared_all, cnvkit_all, timing_rows, workdir: Path, args) -> None:
    """Write and print every table from the depths done so far."""
    compared = pd.concat(compared_all, ignore_index=True)
    write_compared(compared, workdir / "patients_compared.tsv")
    write_and_print(by_class(compared), workdir / "accuracy_by_class.tsv", "ikaros by class")
    write_and_print(by_depth(compared), workdir / "accuracy_by_depth.tsv", "ikaros by depth")
    write_and_print(headline(compared), workdir / "headline.tsv", "headline")
    write_and_print(
        by_fraction(compared), workdir / "by_fraction.tsv", "by IKZF1 cell-fraction band"
    )
    if "pax5_fraction" in compared.columns:
        write_and_print(codeletions(compared), workdir / "codeletions.tsv", "co-deletions")
    if "rna_status" in compared.columns:
        write_and_print(
            rna_accuracy(compared), workdir / "rna_accuracy.tsv", "DNA-only, RNA-only, DNA+RNA"
        )
        write_and_print(
            rna_by_isoform_fraction(compared),
            workdir / "rna_by_isoform_fraction.tsv",
            "RNA-only by true aberrant isoform fraction",
        )
        write_and_print(rna_vs_dna(compared), workdir / "rna_vs_dna.tsv", "DNA+RNA vs DNA-only")
        write_and_print(rna_headline(compared), workdir / "rna_headline.tsv", "RNA headline")
    if cnvkit_all:
        table = cnvkit_comparison(pd.concat(cnvkit_all, ignore_index=True))
        title = (
            f"ikaros vs CNVkit (segment -m {args.cnvkit_method}, "
            f"exon deleted when log2 < {args.cnvkit_threshold:g})"
        )
        write_and_print(table, workdir / "cnvkit_comparison.tsv", title)
    write_and_print(pd.DataFrame(timing_rows), workdir / "timings.tsv", "wall time (s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED_UNUSED_BY_TESTS)
    parser.add_argument("--depths", default="10,20,30,60", help="comma-separated mean depths")
    parser.add_argument("--patients", type=int, default=150, help="patients per depth")
    parser.add_argument("--panel-normals", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks/out/accuracy")
    parser.add_argument("--cnvkit", help="path to cnvkit.py (default: PATH, then the venv)")
    parser.add_argument("--no-cnvkit", action="store_true", help="skip CNVkit")
    parser.add_argument("--cnvkit-depths", default="20", help="depths CNVkit runs at")
    parser.add_argument("--cnvkit-method", default="hmm", choices=["hmm", "haar"])
    parser.add_argument("--cnvkit-threshold", type=float, default=CNVKIT_FALLBACK_LOG2)
    parser.add_argument(
        "--panel",
        choices=sorted(PANEL_DESIGNS),
        default="full",
        help="the shipped panel, or its targeted part alone (genes and their flanks, no "
        "backbone or control bins: most bins lie in the genes of interest)",
    )
    parser.add_argument(
        "--aligner",
        choices=sorted(ALIGNERS),
        default="local",
        help="what the simulated BAMs keep of the junction reads (split reads, discordant pairs)",
    )
    parser.add_argument(
        "--no-junctions",
        action="store_true",
        help="call from coverage alone (no deletion junctions from the tumours' reads)",
    )
    parser.add_argument(
        "--karyotype",
        action="store_true",
        help="also give every tumour a VCF, run the karyotype step (genome bins from the BAM "
        "index, SNP allele fractions) and score the calls with its losses added, as the "
        "patients table does (patients_compared_karyotype.tsv, headline_karyotype.tsv)",
    )
    parser.add_argument(
        "--rna",
        action="store_true",
        help="also simulate an RNA BAM per tumour (once per run) and score RNA-only and DNA+RNA",
    )
    parser.add_argument(
        "--rna-fragments-per-tpm-kb",
        type=float,
        default=RnaSimSettings().fragments_per_tpm_kb,
        help="RNA library size (the simulator's default is ~30 M fragments)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("ikaros").setLevel(logging.WARNING)  # per-sample lines: see the call files

    depths = [_number(d) for d in args.depths.split(",") if d.strip()]
    cnvkit_depths = {_number(d) for d in args.cnvkit_depths.split(",") if d.strip()}
    cnvkit = None if args.no_cnvkit else find_cnvkit(args.cnvkit)
    if cnvkit is None and not args.no_cnvkit:
        print("CNVkit not found (cnvkit.py on PATH or /tmp/cnvkit-venv/bin): skipping CNVkit")
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    panel = PANEL_DESIGNS[args.panel](read_panel(ROOT / f"resources/panel_{BUILD}.tsv"))
    gene_models = read_gene_models(ROOT / f"resources/gene_models_{BUILD}.tsv")

    started_all = time.perf_counter()
    compared_all, cnvkit_all, karyotype_all, timing_rows = [], [], [], []
    rna = None
    if args.rna:
        # RNA does not depend on DNA depth (the design is the same at every depth): once per run
        rna_dir = workdir / "rna"
        if rna_dir.exists():
            shutil.rmtree(rna_dir)
        rna_dir.mkdir(parents=True)
        settings = simulation_settings(args.seed, depths[0], args.patients, args.panel_normals)
        rna_design = design_cohort(
            settings, cohort="rna", build=BUILD, bam_dir=rna_dir / "dna", gene_models=gene_models
        )
        log.info("RNA: %d tumours, seed %d", len(rna_design.patient_truth), args.seed)
        rna_table, rna_calls, rna_timings = run_rna(
            rna_design, rna_dir, args.seed, args.processes, args.rna_fragments_per_tpm_kb
        )
        rna = (rna_design.lesions.reset_index(drop=True), rna_table, rna_calls)
        timing_rows.append({"depth": "rna", **rna_timings})
    for depth in depths:
        label = f"depth{depth:g}x"
        cohort_dir = workdir / label
        if cohort_dir.exists():
            shutil.rmtree(cohort_dir)  # fresh every run: no stale BAMs or calls
        cohort_dir.mkdir(parents=True)
        log.info("%s: %d patients, %d panel normals, seed %d", label, args.patients,
                 args.panel_normals, args.seed)  # fmt: skip
        settings = simulation_settings(
            args.seed, depth, args.patients, args.panel_normals, args.aligner, args.karyotype
        )
        design = design_cohort(
            settings, cohort=label, build=BUILD, bam_dir=cohort_dir / "bams",
            gene_models=gene_models,
        )  # fmt: skip
        started = time.perf_counter()
        calls = run_ikaros(
            design, settings, panel, cohort_dir, args.processes, not args.no_junctions
        )
        timings = {"depth": depth, **calls.attrs["timings"]}
        timings["ikaros_total_s"] = time.perf_counter() - started
        truth = truth_table(design, GeneCoordinates(BUILD, gene_models))
        compared = compare(truth, calls)
        compared.insert(0, "depth", depth)
        if args.karyotype:
            karyotypes = run_karyotypes(design, args.seed, cohort_dir, args.processes)
            timings.update(karyotypes.attrs["timings"])
            with_karyotypes = call_tumours(
                design, cohort_dir, args.processes, not args.no_junctions,
                cohort_dir / "karyotype",
            )  # fmt: skip
            timings["call_with_karyotype_s"] = with_karyotypes.attrs["call_s"]
            with_karyotype = compare(truth, add_karyotype_losses(with_karyotypes, karyotypes))
            with_karyotype.insert(0, "depth", depth)
            karyotype_all.append(with_karyotype)
        if rna is not None:
            lesions, rna_table, rna_calls = rna
            if not design.lesions.reset_index(drop=True).equals(lesions):
                raise RuntimeError(f"{label}: the design's lesions differ from the RNA run's")
            compared = add_rna(compared, rna_table, rna_calls)
        if cnvkit is not None and depth in cnvkit_depths:
            log.info("  CNVkit (%s, segment -m %s)", cnvkit, args.cnvkit_method)
            cns, elapsed = run_cnvkit(
                cnvkit, design, panel, cohort_dir, args.processes, args.cnvkit_method
            )
            timings["cnvkit_s"] = elapsed
            log.info("  CNVkit done in %.1f s", elapsed)
            peer = cnvkit_exon_calls(cns, panel, args.cnvkit_threshold)
            both = compared.merge(peer, left_on="call_sample_id", right_on="sample_id")
            cnvkit_all.append(both)
        compared_all.append(compared)
        timings["elapsed_s"] = time.perf_counter() - started_all
        timing_rows.append(timings)
        final = depth == depths[-1]
        if not final:
            print(f"\n-------- tables after depth {depth:g} (final tables follow the last depth)")
        report(compared_all, cnvkit_all, timing_rows, workdir, args)
        if karyotype_all:
            report_karyotype(karyotype_all, workdir)
    print(f"\ntotal wall time {time.perf_counter() - started_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

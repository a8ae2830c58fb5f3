"""Sheet loading, validation and input functions shared by every rule.

Everything here runs at parse time: a bad config, sheet or BAM stops the workflow with a
message naming the file, the row or sample, the column and the expectation, before any job.
"""

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.utils import validate

# This workflow's library first (rule scripts do the same through _library_path).
SCRIPTS = (Path(workflow.basedir) / "workflow" / "scripts").resolve()
for _entry in sys.path:
    # an editable install of another clone puts that clone's workflow/scripts on every
    # Python's path: its _library_path would then steer the rule scripts to its own code
    _other = Path(_entry or ".") / "_library_path.py"
    if _other.is_file() and _other.resolve().parent != SCRIPTS:
        raise WorkflowError(
            f"{_other.parent} is on Python's path (an editable install of another ikaros "
            f"clone, or PYTHONPATH): its rule-script helpers would shadow this workflow's "
            f"({SCRIPTS}). Run `python3 -m pip install -e {Path(workflow.basedir)}` here, or "
            "`python3 -m pip uninstall ikaros`, then start again."
        )
sys.path.insert(0, str(SCRIPTS))

from ikaros.dna import SOURCE_FOLDERS  # noqa: E402
from ikaros.sheets import (  # noqa: E402
    SheetError,
    check_alignment_files,
    check_clinical,
    check_rna_tables,
    check_samples,
    check_seg_samples,
    coerce_numeric_columns,
    data_column,
    read_sheet,
)

REPO = Path(workflow.basedir)
SCHEMAS = REPO / "config" / "schemas"


def validate_sheet(sheet, schema, source, key_column):
    """Schema-validate a sheet, re-raising with the file, row, key and column named; returns
    the sheet with the schema's numeric columns as numbers."""
    import yaml

    properties = yaml.safe_load((SCHEMAS / schema).read_text())["properties"]
    numeric = [
        c for c, p in properties.items() if p.get("type") in ("number", "integer")
    ]
    sheet = coerce_numeric_columns(sheet, numeric, source, key_column)
    try:
        validate(sheet, schema=str(SCHEMAS / schema))
    except WorkflowError as error:
        cause = error.__context__
        match = re.search(r"row (\d+)", str(error))
        if match is None or cause is None or not hasattr(cause, "message"):
            raise
        position = int(match.group(1))
        column = cause.path[0] if cause.path else "?"
        if cause.validator == "required":
            column = cause.message.split("'")[1]
        key = sheet[key_column].iloc[position] if key_column in sheet.columns else "?"
        raise WorkflowError(
            f"{source}: row {position + 2} ({key_column} {key}), column {column}: "
            f"{cause.message}"
        ) from None
    return sheet


@dataclass
class Cohort:
    name: str
    build: str
    samples: pd.DataFrame
    clinical: pd.DataFrame
    simulated: bool
    panel: str
    gene_models: str
    rna_models: str
    genes: str
    markers: str
    reference_fasta: str
    seg: str
    seg_samples: frozenset

    def sample(self, sample_id):
        return self.samples.loc[self.samples["sample_id"] == sample_id].iloc[0]

    def with_data(self, column):
        """The sample rows that have a file in `column` (dna_bam, rna_bam, cnvkit_cns)."""
        return self.samples[data_column(self.samples, column).notna()]


def simulated_bam_dir(cohort_name):
    return f"results/{cohort_name}/simulated/bam"


def load_cohort(name, settings):
    build = settings["build"]
    panel = settings.get("panel", str(REPO / "resources" / f"panel_{build}.tsv"))
    gene_models = str(REPO / "resources" / f"gene_models_{build}.tsv")
    if "simulate" in settings:
        # Imported here: only simulated cohorts need the simulator at parse time.
        from ikaros.annotation import read_gene_models
        from ikaros.simulate import SimulationSettings, design_cohort

        design = design_cohort(
            SimulationSettings.from_config(settings["simulate"]),
            cohort=name,
            build=build,
            bam_dir=simulated_bam_dir(name),
            gene_models=read_gene_models(gene_models),
        )
        samples, clinical = design.samples, design.clinical
        samples_source = f"simulated samples of cohort {name}"
        clinical_source = f"simulated clinical sheet of cohort {name}"
    else:
        samples_source, clinical_source = settings["samples"], settings["clinical"]
        samples = read_sheet(samples_source)
        clinical = read_sheet(clinical_source)
    samples = validate_sheet(
        samples, "samples.schema.yaml", samples_source, "sample_id"
    )
    # documented optional columns: absent means every cell empty
    for column, empty in (
        ("patient_id", None),
        ("sex", None),
        ("blast_percent", float("nan")),
    ):
        if column not in samples.columns:
            samples[column] = pd.Series(
                empty, index=samples.index, dtype=object if empty is None else float
            )
    clinical = validate_sheet(
        clinical, "clinical.schema.yaml", clinical_source, "patient_id"
    )
    seg = settings.get("seg", "")
    seg_samples = frozenset()
    if seg:
        from ikaros.dna.segment_inputs import (
            SegmentInputError,
            check_segment_build,
            read_seg,
        )

        try:
            seg_segments = read_seg(seg)
            for sample_id, segments in seg_segments.items():
                check_segment_build(segments, build, seg, sample_id)
            seg_ids = list(seg_segments)
        except (OSError, SegmentInputError) as error:
            raise SheetError(f"config: cohorts.{name}.seg: {error}") from None
        check_seg_samples(seg_ids, samples, seg)
        seg_samples = frozenset(seg_ids)
    check_samples(samples, samples_source, seg_samples)
    if (
        "simulate" not in settings
    ):  # a simulated cohort's tables are written by its rule
        check_rna_tables(
            samples,
            samples_source,
            shared_classifier=settings.get("classifier_calls"),
            labels=REPO / "resources" / "classifier_labels.tsv",
            gene_table=REPO / "resources" / f"genes_{build}.tsv",
            gene_ids=REPO / "resources" / "gene_ids.tsv",
            build=build,
        )
    check_clinical(clinical, samples, clinical_source)
    if "simulate" not in settings:
        check_alignment_files(
            samples, build, settings.get("reference_fasta"), samples_source
        )
    return Cohort(
        name=name,
        build=build,
        samples=samples,
        clinical=clinical,
        simulated="simulate" in settings,
        panel=panel,
        gene_models=gene_models,
        rna_models=str(REPO / "resources" / f"rna_transcript_models_{build}.tsv"),
        genes=str(REPO / "resources" / f"genes_{build}.tsv"),
        markers=str(REPO / "resources" / "marker_genes.tsv"),
        reference_fasta=settings.get("reference_fasta", ""),
        seg=seg,
        seg_samples=seg_samples,
    )


def validate_config():
    """Schema-validate the merged config; an error names the config files, the key path and
    the expectation, with the nearest known key for a misspelt one."""
    import difflib

    files = ", ".join(str(f) for f in dict.fromkeys(workflow.configfiles)) or "--config"
    try:
        validate(config, schema=str(SCHEMAS / "config.schema.yaml"))
    except WorkflowError as error:
        cause = error.__context__
        if cause is None or not hasattr(cause, "message"):
            raise
        where = ".".join(str(p) for p in cause.absolute_path) or "(top level)"
        message = cause.message
        if cause.validator == "additionalProperties":
            known = list(cause.schema.get("properties", {}))
            unknown = [k for k in cause.instance if k not in known]
            hints = []
            for key in unknown:
                near = difflib.get_close_matches(str(key), known, n=1)
                hints.append(
                    f"{key!r}" + (f" (did you mean {near[0]!r}?)" if near else "")
                )
            message = f"unknown key(s) {', '.join(hints)}; known keys here: {', '.join(known)}"
        elif cause.validator == "enum":
            message = f"{cause.instance!r} is not one of {', '.join(map(repr, cause.validator_value))}"
        raise WorkflowError(f"config ({files}): {where}: {message}") from None


def keep_command_line_cohorts():
    """A config file given with --configfile that names cohorts sets the cohorts: those of the
    workflow's own config/config.yaml (the demo) are then not run beside them."""
    import yaml

    named = set()
    for path in workflow.overwrite_configfiles or ():
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        named |= set(loaded.get("cohorts") or {})
    if named:
        config["cohorts"] = {k: v for k, v in config["cohorts"].items() if k in named}


keep_command_line_cohorts()
validate_config()

try:
    COHORTS = {
        name: load_cohort(name, settings)
        for name, settings in config["cohorts"].items()
    }
except SheetError as error:
    raise WorkflowError(str(error)) from None

for name, settings in config["cohorts"].items():
    partner = settings.get("validates")
    if partner is not None and (partner not in COHORTS or partner == name):
        raise WorkflowError(
            f"config: cohorts.{name}.validates: {partner!r} is not another cohort of this "
            f"config (cohorts: {', '.join(COHORTS)})"
        )


def check_relapse_settings():
    """Refuse a bad `relapse` block, and follow-up times or event codes the analysis cannot
    read, at parse time rather than in the analysis job after every other step."""
    from ikaros.relapse.outcomes import ClinicalSheetError, prepare_outcomes
    from ikaros.relapse.settings import RelapseSettings

    try:
        settings = RelapseSettings.from_config(config["relapse"])
    except ValueError as error:
        raise WorkflowError(f"config: relapse: {error}") from None
    for name, cohort in COHORTS.items():
        columns = (settings.followup_column, settings.event_column)
        if cohort.simulated or not set(columns) <= set(cohort.clinical.columns):
            continue  # a sheet without outcome columns is refused by the analysis job
        source = config["cohorts"][name]["clinical"]
        try:
            prepare_outcomes(cohort.clinical, settings, source)
        except ClinicalSheetError as error:
            raise WorkflowError(str(error)) from None
        missing = [
            c for c in settings.covariates if c.column not in cohort.clinical.columns
        ]
        for covariate in missing:
            # a warning, not an error: a run may stop at patients.tsv; the analysis job
            # refuses the missing column with the same words
            logger.warning(
                f"{source}: column {covariate.column!r} is missing: the Fine-Gray models "
                f"adjust for it (config relapse.covariates, {covariate.name!r}); add the "
                "column (empty cells are allowed) or change relapse.covariates, or the "
                "relapse analysis will stop"
            )


check_relapse_settings()


wildcard_constraints:
    cohort="|".join(re.escape(name) for name in COHORTS),
    sample=r"[A-Za-z0-9_.-]+",


# --- input functions -------------------------------------------------------------------------


def cohort_of(wildcards):
    return COHORTS[wildcards.cohort]


def alignment_index(path):
    """The index next to a BAM/CRAM, as the parse-time check found it."""
    for suffix in (".bai", ".csi", ".crai"):
        for candidate in (f"{path}{suffix}", str(Path(path).with_suffix(suffix))):
            if Path(candidate).is_file():
                return candidate
    return f"{path}.crai" if path.endswith(".cram") else f"{path}.bai"


def alignment_indexes(cohort, bams):
    """The BAM/CRAMs' indexes; simulated BAMs' indexes are written by the simulate rule."""
    return [f"{bam}.bai" if cohort.simulated else alignment_index(bam) for bam in bams]


# The jobs that work through many samples (coverage and copy-number batches, the genome bins,
# karyotypes, variants, RNA evidence) take half the cores each, so that two run at once: one
# job's start-up, serial steps and last, unevenly long samples overlap the other's work
# (benchmarks/bench_cohort_scale.py found a third of the cores idle with one job at a time).
JOB_THREADS = max(1, workflow.cores // 2)
# The path to the patients table runs through the coverage batches, the reference and the
# copy-number batches; they go first, and the genome bins, karyotypes and RNA evidence fill
# the cores around them (otherwise a coverage batch scheduled last holds up every call).
CALL_PATH_PRIORITY = 10


def in_chunks(items, size):
    """`items` (a list, or a table's rows) in order, `size` at a time."""
    rows = items.iloc if isinstance(items, pd.DataFrame) else items
    return [rows[start : start + size] for start in range(0, len(items), size)]


def tumour_batches(items):
    """Per-tumour items, `copy_number.tumours_per_job` at a time (genome, karyotype batches)."""
    return in_chunks(items, int(config["copy_number"]["tumours_per_job"]))


def coverage_batches(cohort):
    """The cohort's DNA samples in sheet order, `coverage.samples_per_job` at a time."""
    return in_chunks(
        cohort.with_data("dna_bam"), int(config["coverage"]["samples_per_job"])
    )


def coverage_batch_inputs(cohort, batch):
    """A batch's BAM/CRAMs and their indexes (simulated ones are made by the simulate rule)."""
    bams = list(batch["dna_bam"])
    inputs = {
        "bams": bams,
        "indexes": alignment_indexes(cohort, bams),
        "panel": cohort.panel,
    }
    if cohort.reference_fasta:
        inputs["reference_fasta"] = cohort.reference_fasta
    return inputs


def coverage_tables(wildcards):
    cohort = cohort_of(wildcards)
    return [
        f"results/{cohort.name}/coverage/{sample_id}.tsv"
        for sample_id in cohort.with_data("dna_bam")["sample_id"]
    ]


def sample_records(wildcards):
    """DNA sample rows as plain dicts (empty cells as None) for the QC script."""
    samples = cohort_of(wildcards).with_data("dna_bam")
    columns = [
        c
        for c in ("sample_id", "patient_id", "role", "sex", "blast_percent")
        if c in samples
    ]
    return (
        samples.loc[:, columns]
        .astype(object)
        .where(samples.loc[:, columns].notna(), None)
    ).to_dict("records")


def coverage_filters():
    """The read filters of the coverage block (its other keys shape the jobs)."""
    return {
        key: value
        for key, value in config["coverage"].items()
        if key != "samples_per_job"
    }


def all_outputs():
    outputs = []
    for cohort in COHORTS.values():
        if not cohort.with_data("dna_bam").empty:
            outputs.append(f"results/{cohort.name}/qc/coverage_qc.tsv")
        if call_jobs(cohort):
            outputs.append(f"results/{cohort.name}/qc/copy_number_noise.tsv")
        outputs.append(f"results/{cohort.name}/patients.tsv")
        outputs.append(f"results/{cohort.name}/report.html")
        if cohort.simulated:
            outputs.append(f"results/{cohort.name}/simulated/truth_patients.tsv")
    return outputs


# --- copy number inputs ---------------------------------------------------


def reference_samples(wildcards):
    """Panel-of-normals samples when the cohort has enough, else its tumours (robust)."""
    samples = cohort_of(wildcards).with_data("dna_bam")
    normals = samples[(samples["role"] == "normal") & samples["patient_id"].isna()]
    if len(normals) >= config["copy_number"]["min_panel_normals"]:
        return "panel_of_normals", normals
    return "cohort", samples[samples["role"] == "tumor"]


def tumour_samples(cohort):
    return cohort.samples[cohort.samples["role"] == "tumor"]


def sheet_value(value):
    """A sheet cell for params: missing becomes empty."""
    return "" if pd.isna(value) else value


def matched_normal(cohort, patient_id):
    samples = cohort.samples
    normal = samples[
        (samples["role"] == "normal") & (samples["patient_id"] == patient_id)
    ]
    return None if normal.empty else normal["sample_id"].iloc[0]


CALL_FILES = {
    "bins": "bins.tsv",
    "segments": "segments.tsv",
    "exons": "exons.tsv",
    "genes": "genes.tsv",
    "summary": "summary.tsv",
    "noise": "noise.tsv",
    "seg": "segments.seg",
    "chart": "exon_ratios.png",
}


def sample_call_files(cohort, sample_id, source="BAM"):
    folder = f"results/{cohort.name}/copy_number/{sample_id}/{SOURCE_FOLDERS[source]}"
    return {name: f"{folder}{file}" for name, file in CALL_FILES.items()}


def call_jobs(cohort):
    """One record per tumour and DNA source for the cohort's copy-number job
    (ikaros.dna.sample_calls.SampleJob): its BAM, its CNVkit segments, its rows of the SEG.
    """
    jobs = []
    for record in tumour_samples(cohort).to_dict("records"):
        sample_id, patient_id = record["sample_id"], record["patient_id"]
        common = {
            "sample_id": sample_id,
            "patient_id": patient_id,
            "blast_percent": sheet_value(record.get("blast_percent")),
            "sex": sheet_value(record.get("sex")),
            "coverage": "",
            "matched_normal": None,
            "gene_models": cohort.gene_models,
        }
        if not pd.isna(record.get("dna_bam")):
            normal = matched_normal(cohort, patient_id)
            jobs.append(
                {
                    **common,
                    "source": "BAM",
                    "alignment": record["dna_bam"],
                    "reference_fasta": cohort.reference_fasta or None,
                    "coverage": f"results/{cohort.name}/coverage/{sample_id}.tsv",
                    "matched_normal": (
                        f"results/{cohort.name}/coverage/{normal}.tsv"
                        if normal
                        else None
                    ),
                    "outputs": sample_call_files(cohort, sample_id),
                }
            )
        if not pd.isna(record.get("cnvkit_cns")):
            cnr = record.get("cnvkit_cnr")
            jobs.append(
                {
                    **common,
                    "source": "CNVkit",
                    "segments": record["cnvkit_cns"],
                    "cnr": None if pd.isna(cnr) else cnr,
                    "outputs": sample_call_files(cohort, sample_id, "CNVkit"),
                }
            )
        if sample_id in cohort.seg_samples:
            jobs.append(
                {
                    **common,
                    "source": "SEG",
                    "segments": cohort.seg,
                    "outputs": sample_call_files(cohort, sample_id, "SEG"),
                }
            )
    return jobs


def call_batches(cohort):
    """The cohort's copy-number jobs, `copy_number.tumours_per_job` tumours at a time (all of
    a tumour's DNA sources in one batch): one job's bookkeeping grows with its inputs times
    its outputs, so a whole cohort in one job grows with the square of the cohort. A BAM job
    names the karyotype its calls read where the tumour has one (calls_karyotype)."""
    karyotypes = calls_karyotype(cohort)
    by_tumour = {}
    for job in call_jobs(cohort):
        if job["source"] == "BAM":
            job = {**job, **karyotypes.get(job["sample_id"], {})}
        by_tumour.setdefault(job["sample_id"], []).append(job)
    return [
        [job for jobs in batch for job in jobs]
        for batch in tumour_batches(list(by_tumour.values()))
    ]


def call_inputs(cohort, jobs):
    """A copy-number batch's inputs: reference (when any tumour has a BAM), coverage tables,
    the tumours' BAM/CRAMs (read in the IKZF1, PAX5 and ERG windows for deletion junctions),
    segment files.
    """
    alignments = [job["alignment"] for job in jobs if job.get("alignment")]
    inputs = {
        "alignments": alignments,
        "indexes": alignment_indexes(cohort, alignments),
        "coverage": sorted(
            {job["coverage"] for job in jobs if job["coverage"]}
            | {job["matched_normal"] for job in jobs if job["matched_normal"]}
        ),
        "segments": sorted(
            {job["segments"] for job in jobs if job.get("segments")}
            | {job["cnr"] for job in jobs if job.get("cnr")}
        ),
        "gene_models": cohort.gene_models,
    }
    if any(job["source"] == "BAM" for job in jobs):
        inputs["reference"] = f"results/{cohort.name}/copy_number/reference.tsv"
    karyotypes = [job for job in jobs if job.get("karyotype_chromosomes")]
    if karyotypes:
        inputs["karyotypes"] = sorted(
            {job["karyotype_chromosomes"] for job in karyotypes}
            | {job["karyotype_table"] for job in karyotypes}
        )
    if cohort.reference_fasta and alignments:
        inputs["reference_fasta"] = cohort.reference_fasta
    return inputs


def call_outputs(jobs):
    """Named output lists (bins, segments, ...) over a batch's tumours and sources."""
    return {name: [job["outputs"][name] for job in jobs] for name in CALL_FILES}


def call_summaries(wildcards):
    return [job["outputs"]["summary"] for job in call_jobs(cohort_of(wildcards))]


def call_noise_tables(wildcards):
    return [job["outputs"]["noise"] for job in call_jobs(cohort_of(wildcards))]


# --- karyotype and variant inputs ---------------------------------------------

# The DNA source whose segments give a tumour's karyotype, in order of preference.
KARYOTYPE_SOURCES = ("BAM", "CNVkit", "SEG")


def gene_spans(cohort):
    return str(REPO / "resources" / f"gene_spans_{cohort.build}.tsv")


def sample_vcf(record):
    """(vcf, vcf_sample) of a sheet row; empty strings when the row has none."""
    return sheet_value(record.get("vcf", "")), sheet_value(record.get("vcf_sample", ""))


def genome_samples(cohort):
    """Every DNA BAM/CRAM of a cohort (tumours and normals) for the genome-wide bins
    (ikaros.dna.genome_copy_number.GenomeSample); the tumours' bin and segment tables.
    """
    records = []
    for record in cohort.samples.to_dict("records"):
        if pd.isna(record.get("dna_bam")):
            continue
        folder = f"results/{cohort.name}/copy_number/{record['sample_id']}"
        tumour = record["role"] == "tumor"
        records.append(
            {
                "sample_id": record["sample_id"],
                "role": record["role"],
                "alignment": record["dna_bam"],
                "reference_fasta": cohort.reference_fasta or None,
                "sex": sheet_value(record.get("sex")),
                "bins": f"{folder}/genome_bins.tsv" if tumour else None,
                "segments": f"{folder}/genome_segments.tsv" if tumour else None,
            }
        )
    return records


def genome_tumours(cohort):
    return [s for s in genome_samples(cohort) if s["role"] == "tumor"]


def genome_tables(cohort):
    """The cohort's genome count matrix and reference model (genome_counts_<cohort>)."""
    return {
        "counts": f"results/{cohort.name}/genome_counts.tsv",
        "reference": f"results/{cohort.name}/genome_reference.tsv",
    }


def karyotype_batch_table(cohort, number):
    return f"results/{cohort.name}/karyotype_batches/batch_{number}.tsv"


def karyotype_batches(cohort):
    """The cohort's karyotype jobs, `copy_number.tumours_per_job` tumours at a time, those
    read from a BAM's genome bins apart from those read from SEG or CNVkit segments: a BAM
    tumour's calls wait for its karyotype (calls_karyotype) and a SEG tumour's karyotype for
    its calls, so one batch holding both kinds could wait on itself."""
    jobs = karyotype_jobs(cohort)
    from_bam = [job for job in jobs if job["source"] == "BAM"]
    return tumour_batches(from_bam) + tumour_batches(
        [job for job in jobs if job["source"] != "BAM"]
    )


def calls_karyotype(cohort):
    """sample_id -> the karyotype its BAM calls read (ikaros.dna.karyotype_reading): its
    chromosomes.tsv and the table of its karyotype batch, for tumours whose karyotype rests on
    their BAM and a VCF (SNP allele fractions name the two-copy chromosomes)."""
    named = {}
    for number, batch in enumerate(karyotype_batches(cohort), start=1):
        for job in batch:
            if job["source"] == "BAM" and job["vcf"]:
                named[job["sample_id"]] = {
                    "karyotype_chromosomes": job["chromosomes"],
                    "karyotype_table": karyotype_batch_table(cohort, number),
                }
    return named


def karyotype_jobs(cohort):
    """One record per tumour with segments (ikaros.karyotype.cohort.KaryotypeJob)."""
    by_sample = {}
    for job in call_jobs(cohort):
        by_sample.setdefault(job["sample_id"], []).append(job)
    jobs = []
    for record in tumour_samples(cohort).to_dict("records"):
        sources = {j["source"]: j for j in by_sample.get(record["sample_id"], [])}
        source = next((s for s in KARYOTYPE_SOURCES if s in sources), None)
        if source is None:
            continue
        folder = f"results/{cohort.name}/copy_number/{record['sample_id']}"
        vcf, vcf_name = sample_vcf(record)
        jobs.append(
            {
                "sample_id": record["sample_id"],
                "patient_id": record["patient_id"],
                "source": source,
                # BAM tumours: the genome-wide bins' segments, not the panel's
                "segments": (
                    f"{folder}/genome_segments.tsv"
                    if source == "BAM"
                    else sources[source]["outputs"]["segments"]
                ),
                "build": cohort.build,
                "gene_spans": gene_spans(cohort),
                "chromosomes": f"{folder}/chromosomes.tsv",
                "arms": f"{folder}/arms.tsv",
                "vcf": vcf,
                "vcf_sample": vcf_name,
                "sex": sheet_value(record.get("sex")),
                "blast_percent": sheet_value(record.get("blast_percent")),
            }
        )
    return jobs


def variant_jobs(cohort):
    """One record per tumour with a VCF (ikaros.variants.cohort.VariantJob)."""
    jobs = []
    for record in tumour_samples(cohort).to_dict("records"):
        vcf, vcf_name = sample_vcf(record)
        if vcf:
            jobs.append(
                {
                    "sample_id": record["sample_id"],
                    "patient_id": record["patient_id"],
                    "vcf": vcf,
                    "vcf_sample": vcf_name,
                    "build": cohort.build,
                    "drivers": str(REPO / "resources" / "driver_genes.tsv"),
                    "gene_spans": gene_spans(cohort),
                    "output": f"results/{cohort.name}/variants/{record['sample_id']}.tsv",
                }
            )
    return jobs


def vcf_inputs(jobs):
    """The jobs' VCFs with their indexes (.tbi or .csi, whichever is there)."""
    vcfs = sorted({job["vcf"] for job in jobs if job["vcf"]})
    indexes = [
        next(
            (f"{v}{s}" for s in (".tbi", ".csi") if Path(f"{v}{s}").is_file()),
            f"{v}.tbi",
        )
        for v in vcfs
    ]
    return {"vcfs": vcfs, "vcf_indexes": indexes}


def karyotype_qc(cohort):
    """The coverage QC table (inferred sex) when any tumour's karyotype rests on its BAM."""
    if any(job["source"] == "BAM" for job in karyotype_jobs(cohort)):
        return [f"results/{cohort.name}/qc/coverage_qc.tsv"]
    return []


def karyotype_tables(wildcards):
    cohort = cohort_of(wildcards)
    return [f"results/{cohort.name}/karyotypes.tsv"] if karyotype_jobs(cohort) else []


def variant_flags(wildcards):
    cohort = cohort_of(wildcards)
    return [f"results/{cohort.name}/variants/flags.tsv"] if variant_jobs(cohort) else []


# --- RNA inputs -----------------------------------------------------------

RNA_FILES = {
    "junctions": "junctions.tsv",
    "exon_coverage": "exon_coverage.tsv",
    "expression": "expression.tsv",
    "ikzf1": "ikzf1_rna.tsv",
    "sashimi": "sashimi.png",
    "fusions": "fusions.tsv",
}
RNA_COHORT_FILES = {
    "counts": "expression_counts.tsv",
    "tpm": "expression_tpm.tsv",
    "relative": "expression_log2_vs_controls.tsv",
    "reference": "exon_coverage_reference.tsv",
}


FUSION_PARTNERS = str(REPO / "resources" / "fusion_partners.tsv")


def rna_samples(cohort):
    return cohort.with_data("rna_bam")


def rna_sample_files(cohort, sample_id):
    return {
        name: f"results/{cohort.name}/rna/{sample_id}/{file}"
        for name, file in RNA_FILES.items()
    }


# Step 1 of the RNA evidence writes these per sample; step 3 writes the calls.
RNA_TABLES = ("junctions", "exon_coverage", "expression", "fusions")
RNA_CALLS = ("ikzf1", "sashimi")


def rna_batches(cohort):
    """The cohort's RNA samples in sheet order, `rna.samples_per_job` at a time."""
    return in_chunks(rna_samples(cohort), int(config["rna"]["samples_per_job"]))


def rna_jobs(cohort, samples=None):
    """One record per RNA sample (ikaros.rna.cohort.RnaJob), of `samples` or the cohort's."""
    samples = rna_samples(cohort) if samples is None else samples
    return [
        {
            "sample_id": record.sample_id,
            "bam": record.rna_bam,
            "outputs": rna_sample_files(cohort, record.sample_id),
        }
        for record in samples.itertuples(index=False)
    ]


def rna_table_inputs(cohort, batch):
    """A batch's RNA BAM/CRAMs, their indexes, and what every sample is read with."""
    bams = list(batch["rna_bam"])
    inputs = {
        "bams": bams,
        "indexes": alignment_indexes(cohort, bams),
        "models": cohort.rna_models,
        "markers": cohort.markers,
        "partners": FUSION_PARTNERS,
        "genes": cohort.genes,
    }
    if cohort.reference_fasta:
        inputs["reference_fasta"] = cohort.reference_fasta
    return inputs


def rna_reference_outputs(cohort):
    return {
        name: f"results/{cohort.name}/rna/{file}"
        for name, file in RNA_COHORT_FILES.items()
    }


def rna_sample_outputs(cohort, batch, names):
    """The batch's per-sample files of the given kinds, a list per kind."""
    files = [rna_sample_files(cohort, s) for s in batch["sample_id"]]
    return {name: [f[name] for f in files] for name in names}


def rna_calls(wildcards):
    cohort = cohort_of(wildcards)
    return [
        rna_sample_files(cohort, s)["ikzf1"] for s in rna_samples(cohort)["sample_id"]
    ]


def rna_junctions(wildcards):
    cohort = cohort_of(wildcards)
    return [
        rna_sample_files(cohort, s)["junctions"]
        for s in rna_samples(cohort)["sample_id"]
    ]


def rna_patients(wildcards):
    samples = rna_samples(cohort_of(wildcards))
    return dict(zip(samples["sample_id"], samples["patient_id"]))


def sheet_files(cohort, column):
    """The non-empty values of a file column of the sheet, in sheet order."""
    return list(data_column(cohort.samples, column).dropna())


def classifier_tables(cohort):
    """The sheet's per-sample classifier tables and the cohort's one, each once."""
    files = list(dict.fromkeys(sheet_files(cohort, "classifier_calls")))
    shared = config["cohorts"][cohort.name].get("classifier_calls")
    return files + ([shared] if shared and shared not in files else [])


def has_rna_subtype_evidence(cohort):
    return (
        not rna_samples(cohort).empty
        or not cohort.with_data("fusions").empty
        or not cohort.with_data("rna_counts").empty
        or bool(classifier_tables(cohort))
    )


def rna_subtype_inputs(cohort):
    return {
        "own_fusions": [
            rna_sample_files(cohort, s)["fusions"]
            for s in rna_samples(cohort)["sample_id"]
        ],
        "imported": sheet_files(cohort, "fusions"),
        "classifiers": classifier_tables(cohort),
        "own_expression": [
            rna_sample_files(cohort, s)["expression"]
            for s in rna_samples(cohort)["sample_id"]
        ],
        "counts": sheet_files(cohort, "rna_counts"),
        "rna_vcfs": [cohort.sample(s)["rna_vcf"] for s in rna_vcf_samples(cohort)],
        "genes": cohort.genes,
        "markers": cohort.markers,
        "expression_markers": str(REPO / "resources" / "expression_markers.tsv"),
        "partners": FUSION_PARTNERS,
        "models": cohort.rna_models,
        "gene_ids": str(REPO / "resources" / "gene_ids.tsv"),
        "labels": str(REPO / "resources" / "classifier_labels.tsv"),
    }


def rna_vcf_samples(cohort):
    """The count-table samples with an RNA VCF (ploidy from expression uses its SNPs)."""
    with_counts = cohort.with_data("rna_counts")
    return [
        s
        for s, v in zip(with_counts["sample_id"], data_column(with_counts, "rna_vcf"))
        if isinstance(v, str)
    ]


def sample_info(cohort):
    """sample_id -> the sheet fields the RNA ploidy fit needs (empty strings when absent)."""
    samples = cohort.samples
    info = {}
    for position, sample_id in enumerate(samples["sample_id"]):
        row = {}
        for column in ("patient_id", "sex", "blast_percent", "vcf_sample"):
            value = data_column(samples, column).iloc[position]
            row[column] = "" if pd.isna(value) else str(value)
        row["patient_id"] = row["patient_id"] or sample_id
        info[sample_id] = row
    return info


def sample_patients(cohort):
    samples = cohort.samples
    patients = data_column(samples, "patient_id")
    return {
        s: (p if isinstance(p, str) else s)
        for s, p in zip(samples["sample_id"], patients)
    }


def rna_subtype_tables(wildcards):
    cohort = cohort_of(wildcards)
    if not has_rna_subtype_evidence(cohort):
        return []
    return [f"results/{cohort.name}/rna/subtype_evidence.tsv"]


# --- relapse inputs -------------------------------------------------------


def clinical_sheet(wildcards):
    cohort = cohort_of(wildcards)
    if cohort.simulated:
        return f"results/{cohort.name}/simulated/clinical.tsv"
    return config["cohorts"][cohort.name]["clinical"]


def validation_partner(wildcards):
    """The cohort this one validates, or the one that validates it (empty when none)."""
    name = wildcards.cohort
    validates = config["cohorts"][name].get("validates")
    if validates:
        return validates
    for other, settings in config["cohorts"].items():
        if settings.get("validates") == name:
            return other
    return ""


def validation_inputs(wildcards):
    partner = validation_partner(wildcards)
    return {"validation_cir": f"results/{partner}/relapse/cir.tsv"} if partner else {}


# --- provenance inputs ----------------------------------------------------


def sheet_path(wildcards, kind):
    """The samples or clinical sheet the run reads (a simulated cohort's: the simulator's)."""
    cohort = cohort_of(wildcards)
    if cohort.simulated:
        return f"results/{cohort.name}/simulated/{kind}.tsv"
    return config["cohorts"][cohort.name][kind]


def provenance_inputs(wildcards):
    """The cohort's last tables: every other result table and figure exists once they do."""
    cohort = cohort_of(wildcards)
    inputs = {
        "patients": f"results/{cohort.name}/patients.tsv",
        "relapse": rules.relapse_analysis.output,
        "samples": sheet_path(wildcards, "samples"),
        "clinical": clinical_sheet(wildcards),
    }
    if not cohort.with_data("dna_bam").empty:
        inputs["qc"] = f"results/{cohort.name}/qc/coverage_qc.tsv"
    if cohort.simulated:
        inputs["truth"] = f"results/{cohort.name}/simulated/truth_patients.tsv"
    return inputs

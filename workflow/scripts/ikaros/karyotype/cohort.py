"""A cohort's tumours from segments (and VCF SNPs) to karyotype tables, in worker processes.

Per tumour: ``chromosomes.tsv`` and ``arms.tsv`` (ikaros.karyotype.ploidy) beside its
copy-number calls, and one row of the cohort's ``karyotypes.tsv`` (sample_id, patient_id,
karyotype_source, SUMMARY_COLUMNS). Every file is written to a ``.partial`` name first and
renamed when complete, so a killed job leaves no half-written table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import pandas as pd

from ikaros.annotation import read_gene_spans
from ikaros.karyotype.fit import KaryotypeSettings
from ikaros.karyotype.ploidy import SUMMARY_COLUMNS, call_karyotype, withheld_karyotype
from ikaros.processes import map_in_processes
from ikaros.tables import read_tsv, write_table
from ikaros.variants.snps import snp_allele_counts
from ikaros.variants.vcf import inspect_vcf

log = logging.getLogger(__name__)
COHORT_COLUMNS = ("sample_id", "patient_id", "karyotype_source", "allele_source", *SUMMARY_COLUMNS)


@dataclass(frozen=True)
class KaryotypeJob:
    sample_id: str
    patient_id: str
    source: str  # BAM, CNVkit or SEG: whose segments.tsv is read
    segments: str
    build: str
    gene_spans: str
    chromosomes: str  # output
    arms: str  # output
    vcf: str = ""
    vcf_sample: str = ""
    sex: str = ""
    blast_percent: str | float = ""
    qc_failure: str = ""  # the coverage QC's depth flags of a BAM that failed (ikaros.qc)


def runx1_span(spans: pd.DataFrame) -> tuple[str, int, int]:
    row = spans[(spans["gene"] == "RUNX1") & (spans["kind"] == "gene")].iloc[0]
    return str(row["chrom"]), int(row["start"]), int(row["end"])


def run_job(job: KaryotypeJob, settings: dict) -> dict[str, str]:
    segments = read_tsv(job.segments, ("chrom", "start", "end", "log2"), "segments table")
    snps = None
    if job.vcf:
        info = inspect_vcf(job.vcf, job.build, job.sample_id, job.patient_id, job.vcf_sample)
        snps = snp_allele_counts(info, int(settings.get("min_snp_depth", 15)))
    blast = None if job.blast_percent in ("", None) else float(job.blast_percent) / 100.0
    if job.qc_failure:  # its depth says nothing reliable about its chromosomes
        result = withheld_karyotype(segments, job.build, f"BAM failed QC ({job.qc_failure})")
    else:
        result = call_karyotype(
            segments, job.build, snps, job.sex, blast,
            runx1_span(read_gene_spans(job.gene_spans)), KaryotypeSettings.from_config(settings),
        )  # fmt: skip
    write_table(result.arms, job.arms)
    write_table(result.chromosomes, job.chromosomes)
    log.info("%s: %s, %s; iAMP21 %s", job.sample_id, result.summary["ploidy_class"],
             result.summary["ploidy_evidence"], result.summary["iamp21"])  # fmt: skip
    return {
        "sample_id": job.sample_id,
        "patient_id": job.patient_id,
        "karyotype_source": job.source,
        "allele_source": f"VCF ({len(snps)} SNPs)" if snps is not None else "",
        **result.summary,
    }


def _run(item):
    job, settings = item
    return run_job(job, settings)


def call_karyotypes(
    jobs: list[KaryotypeJob],
    settings: dict,
    processes: int = 1,
    inferred_sex: dict[str, str] | None = None,
    qc_failures: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The cohort's karyotype table; a job without a sheet sex takes `inferred_sex` (the
    coverage QC's call from chrX/chrY depth), so that chrX is fitted and counted; a BAM job
    of a sample in `qc_failures` (sample -> depth flags) is withheld (undetermined)."""
    inferred_sex, qc_failures = inferred_sex or {}, qc_failures or {}
    jobs = [
        replace(job, sex=inferred_sex.get(job.sample_id, "")) if not job.sex else job
        for job in jobs
    ]
    jobs = [
        replace(job, qc_failure=qc_failures[job.sample_id])
        if job.source == "BAM" and qc_failures.get(job.sample_id) else job
        for job in jobs
    ]  # fmt: skip
    rows = map_in_processes(_run, [(job, settings) for job in jobs], processes)
    return pd.DataFrame(rows, columns=list(COHORT_COLUMNS))


def join_batch_tables(paths: list, out_path) -> int:
    """Batches' karyotype tables (written by `call_karyotypes` for parts of a cohort) joined in
    order into the cohort's table, cell for cell; returns the number of tumours."""
    tables = [
        read_tsv(path, COHORT_COLUMNS, "karyotype batch table", dtype=str, keep_default_na=False)
        for path in paths
    ]
    joined = (
        pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=COHORT_COLUMNS)
    )
    write_table(joined.loc[:, list(COHORT_COLUMNS)], out_path)
    return len(joined)

"""A cohort's tumour VCFs to driver-variant tables and per-patient flags.

Per tumour ``results/{cohort}/variants/{sample}.tsv`` (VARIANT_COLUMNS) and one row of the
cohort's ``variants/flags.tsv`` (sample_id, patient_id, annotation, the FLAGS and
driver_variants). Files are written under ``.partial`` names and renamed when complete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from ikaros.annotation import read_gene_spans
from ikaros.processes import map_in_processes
from ikaros.tables import write_table
from ikaros.variants.drivers import (
    FLAGS,
    VariantSettings,
    driver_variants,
    patient_flags,
    read_driver_genes,
)
from ikaros.variants.vcf import inspect_vcf

log = logging.getLogger(__name__)
FLAG_COLUMNS = (
    "sample_id", "patient_id", "variant_annotation", "ikzf1_mutation", *FLAGS, "driver_variants",
)  # fmt: skip


@dataclass(frozen=True)
class VariantJob:
    sample_id: str
    patient_id: str
    vcf: str
    build: str
    drivers: str
    gene_spans: str
    output: str
    vcf_sample: str = ""


def run_job(job: VariantJob, settings: dict) -> dict[str, str]:
    info = inspect_vcf(job.vcf, job.build, job.sample_id, job.patient_id, job.vcf_sample)
    table = driver_variants(
        info, job.sample_id, read_driver_genes(job.drivers), read_gene_spans(job.gene_spans),
        VariantSettings.from_config(settings),
    )  # fmt: skip
    write_table(table, job.output)
    flags = patient_flags(table, annotated=bool(info.annotation))
    counted = flags["driver_variants"] or "none counted"
    log.info("%s: %d driver-gene variant(s) from sample %s of %s; %s", job.sample_id,
             len(table), info.sample, job.vcf, counted)  # fmt: skip
    annotation = {"CSQ": "VEP", "ANN": "SnpEff"}.get(info.annotation, "none")
    return {"sample_id": job.sample_id, "patient_id": job.patient_id,
            "variant_annotation": annotation, **flags}  # fmt: skip


def _run(item):
    job, settings = item
    return run_job(job, settings)


def call_variants(jobs: list[VariantJob], settings: dict, processes: int = 1) -> pd.DataFrame:
    rows = map_in_processes(_run, [(job, settings) for job in jobs], processes)
    return pd.DataFrame(rows, columns=list(FLAG_COLUMNS))

"""Rule build_reference: coverage tables of reference samples -> one copy-number reference.

Inputs
  coverage   list of coverage tables (docs/FORMATS.md: panel columns + fragments + mean_depth), one
             per reference sample, all counted on the same panel: the cohort's panel-of-normals
             samples (`role: normal` without a patient) or, when the cohort has no normals,
             its tumours (deletions are a minority at every bin; see ikaros.dna.reference).
Params
  kind       "panel_of_normals" or "cohort"
  samples    sample IDs, in the order of `coverage`
  sexes      per sample "female", "male" or "" (inferred), same order; optional
  settings   the config block `copy_number` (keys used here: min_count = minimum median
             fragments of a usable bin, default 10; max_sd = largest robust SD (log2) of a
             usable bin, default 1.0)
Output
  reference  TSV: panel columns + log2_expected excess_var ref_var masked mask_reason, with
             header lines `# reference_kind=` and `# samples=` (ikaros.dna.reference.read_reference)
Log
  the rule's log file: samples used, bins masked and why.
"""

import logging
from pathlib import Path

import numpy as np

import _library_path  # noqa: F401  (this workflow's ikaros first)
from ikaros.dna.coverage import read_coverage
from ikaros.dna.reference import build_reference, stack_coverage, write_reference
from ikaros.logs import log_to
from ikaros.sex import sheet_male

coverage_paths = list(snakemake.input.coverage)
kind = snakemake.params.kind
samples = list(snakemake.params.samples)
sexes = list(snakemake.params.get("sexes", None) or [""] * len(samples))
settings = dict(snakemake.params.get("settings", None) or {})
out_path = snakemake.output.reference
log_to(snakemake.log[0])

if len(coverage_paths) != len(samples):
    raise ValueError(f"{len(coverage_paths)} coverage tables but {len(samples)} sample IDs")
tables = {sample: read_coverage(path) for sample, path in zip(samples, coverage_paths, strict=True)}
panel, counts = stack_coverage(tables)
males = [sheet_male(s) for s in sexes]
reference = build_reference(
    counts,
    panel,
    samples,
    kind,
    males=males,
    min_count=float(settings.get("min_count", 10.0)),
    max_sd=float(settings.get("max_sd", 1.0)),
)
logging.info("%s reference from %d samples: %s", kind, len(samples), ", ".join(samples))
reasons, numbers = np.unique(reference.mask_reason[reference.masked], return_counts=True)
for reason, number in zip(reasons, numbers, strict=True):
    logging.info("masked %d of %d bins: %s", number, len(panel), reason)
partial = Path(f"{out_path}.partial")
write_reference(reference, partial)
partial.replace(out_path)

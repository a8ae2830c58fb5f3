"""Rule call_copy_number: one tumour sample -> segments, exon/gene calls, IKZF1, IKZF1plus.

Two evidence routes, chosen by which inputs the rule gives:

BAM route (dna_evidence "BAM")
  input.coverage        the tumour's coverage table
  input.reference       a reference from build_reference (panel of normals or cohort)
  input.matched_normal  optional: the patient's normal's coverage table; when given, the
                        expected depth comes from it and the noise model from `reference`
Segment route (dna_evidence "SEG" or "CNVkit")
  input.seg             a multi-sample SEG file (the sample's rows have ID = params.seg_id)
  or input.cns          a CNVkit .cns file, with optional input.cnr (its bins, for SEs)
  input.gene_models     resources/gene_models_{build}.tsv (where the exons are)

Params
  sample_id, patient_id
  blast_percent   0-100 or empty/None (bounds the cell fraction, decides mono/bi)
  sex             "female", "male" or empty (inferred from chrX/chrY depth)
  seg_id          the sample's ID inside the SEG file (default: sample_id)
  settings        the config block `copy_number`: z_threshold (3.5), min_fraction (0.1),
                  min_bins (2), bi_z (2.5), blast_slack (0.05), seg_max_log2 (-0.15),
                  min_marks (3), focal_max_bp (5000000), alpha (0.01), n_perm (1000),
                  min_width (2), undo_z (3.0), seed (0), min_count (10; matched normal
                  bins below it are masked), max_noise_scale (3.0)
Outputs
  bins      per-bin log2 ratios (BAM route; a header-only table for segment inputs)
  segments  called segments; exons: per-exon calls; genes: per-gene calls
  summary   one patients-table row (ikaros.ikzf1plus.PATIENT_COLUMNS)
  seg       IGV-loadable SEG of the log2 segments
  chart     PNG exon ratio chart of IKZF1 and the IKZF1plus genes
Log
  the rule's log file.
"""

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.copy_number import call_from_bins, settings_from_config
from ikaros.ikzf1 import call_ikzf1
from ikaros.ikzf1plus import sample_summary
from ikaros.ratio_chart import exon_ratio_chart
from ikaros.reference import build_reference, log2_ratios, read_coverage, read_reference
from ikaros.seg_output import seg_table, write_seg
from ikaros.segment_inputs import calls_from_segment_input, read_cns, read_gene_models, read_seg

inputs, params, outputs = snakemake.input, snakemake.params, snakemake.output
sample_id = params.sample_id
patient_id = params.patient_id
blast = params.get("blast_percent", None)
blast_fraction = None if blast in (None, "") or pd.isna(blast) else float(blast) / 100.0
sex = str(params.get("sex", "") or "").strip().lower()
male = {"male": True, "female": False}.get(sex)
settings = dict(params.get("settings", None) or {})
logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(message)s", force=True)

call_params, seg_kwargs = settings_from_config(settings)
if "coverage" in inputs.keys():
    tumour = read_coverage(inputs.coverage)
    reference = read_reference(inputs.reference)
    extra_mask = None
    if "matched_normal" in inputs.keys():
        normal = read_coverage(inputs.matched_normal)
        counts = normal["fragments"].to_numpy(dtype=float)[None, :]
        reference = build_reference(
            counts, reference.panel, ["matched_normal"], "matched_normal", [male],
            noise_from=reference,
        )  # fmt: skip
        extra_mask = counts[0] < float(settings.get("min_count", 10.0))
    bins = log2_ratios(tumour["fragments"].to_numpy(dtype=float), reference, male, extra_mask)
    logging.info("%s: %s reference, library log2 %.3f, noise scale %.2f", sample_id,
                 reference.kind, bins.attrs["library_log2"], bins.attrs["noise_scale"])  # fmt: skip
    calls = call_from_bins(sample_id, bins, blast_fraction, call_params, **seg_kwargs)
else:
    model = read_gene_models(inputs.gene_models)
    if "seg" in inputs.keys():
        seg_id = params.get("seg_id", None) or sample_id
        by_sample = read_seg(inputs.seg)
        if seg_id not in by_sample:
            raise ValueError(f"{inputs.seg}: no rows with ID {seg_id!r} (sample {sample_id})")
        segments, source = by_sample[seg_id], "SEG"
    else:
        cnr = inputs.cnr if "cnr" in inputs.keys() else None
        segments, source = read_cns(inputs.cns, cnr), "CNVkit"
    calls = calls_from_segment_input(
        sample_id, segments, model, source, blast_fraction, call_params
    )
    bins = pd.DataFrame(columns=["bin_id", "chrom", "start", "end", "log2", "var", "masked"])

ikzf1 = call_ikzf1(calls, call_params.focal_max_bp, float(settings.get("max_noise_scale", 3.0)))
logging.info("%s: IKZF1 %s %s; %s", sample_id, ikzf1.status, ikzf1.deletion_class,
             ikzf1.evidence)  # fmt: skip


def write(table: pd.DataFrame, path: str) -> None:
    """Deterministic TSV: booleans as true/false, 6 significant digits, empty = missing."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = np.where(out[column], "true", "false")
    partial = Path(f"{path}.partial")
    out.to_csv(partial, sep="\t", index=False, float_format="%.6g", na_rep="")
    partial.replace(path)


write(bins, outputs.bins)
write(calls.segments, outputs.segments)
write(calls.exons, outputs.exons)
write(calls.genes, outputs.genes)
write(pd.DataFrame([sample_summary(patient_id, calls, ikzf1)]), outputs.summary)
write_seg([seg_table(sample_id, calls.segments)], outputs.seg)
exon_ratio_chart(
    calls.exons, outputs.chart, f"{sample_id} ({calls.source}): IKZF1 {ikzf1.status} "
    f"{ikzf1.deletion_class}".strip(), blast_fraction,
)  # fmt: skip

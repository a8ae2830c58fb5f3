"""Rule rna_expression_matrix: cohort expression matrices of the panel and marker genes.

input:  expression     per-sample expression tables (rna_junctions output), one per sample
        exon_coverage  (optional) per-sample exon-coverage tables, same sample order
params: sample_ids     the samples, in the order of the inputs
output: counts         genes x samples fragment counts: gene <sample_id> ...
        tpm            genes x samples TPM-like values (within the gene set)
        relative       genes x samples log2 TPM-like relative to the housekeeping controls
        reference      (optional, needs exon_coverage) cohort reference profile: gene exon
                       reference_depth reference_readthrough (median over the samples)
log:    one file
"""

import logging

from ikaros.rna.evidence import read_exon_coverage
from ikaros.rna.exon_coverage import reference_profile
from ikaros.rna.expression import expression_matrix, read_expression

expression_paths = list(snakemake.input.expression)
coverage_paths = list(snakemake.input.get("exon_coverage", []) or [])
sample_ids = list(snakemake.params.sample_ids)
out = snakemake.output

logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)

if len(sample_ids) != len(expression_paths):
    raise ValueError(
        f"rna_expression_matrix: {len(sample_ids)} sample_ids for {len(expression_paths)} "
        "expression tables"
    )
tables = {s: read_expression(p) for s, p in zip(sample_ids, expression_paths, strict=True)}
for name, column, digits in (
    ("counts", "fragments", None),
    ("tpm", "tpm_like", 4),
    ("relative", "log2_vs_controls", 4),
):
    if name in out.keys():
        matrix = expression_matrix(tables, column)
        matrix.to_csv(
            out[name], sep="\t", index=False, float_format=f"%.{digits}f" if digits else None
        )
if "reference" in out.keys():
    if len(coverage_paths) != len(sample_ids):
        raise ValueError("rna_expression_matrix: the reference needs one exon_coverage per sample")
    profile = reference_profile([read_exon_coverage(p) for p in coverage_paths])
    profile.to_csv(out.reference, sep="\t", index=False, float_format="%.6f")
logging.info("expression matrices of %d samples written", len(sample_ids))

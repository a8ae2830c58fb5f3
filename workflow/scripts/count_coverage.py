"""Rule dna_coverage: fragment counts and mean depth in the panel bins of one BAM/CRAM.

input: bam (the BAM/CRAM; its index is a separate input), panel
params: build, reference_fasta (may be empty), filters (min_mapq, skip_duplicates,
        skip_secondary, skip_supplementary, skip_qcfail)
output: coverage
threads: used by htslib to decompress the BAM/CRAM
"""

import logging

from ikaros.coverage import ReadFilters, count_coverage, write_coverage
from ikaros.panel import read_panel

bam = snakemake.input.bam
panel_path = snakemake.input.panel
build = snakemake.params.build
reference_fasta = snakemake.params.get("reference_fasta", "") or None
filters = snakemake.params.get("filters", None)
coverage_path = snakemake.output.coverage

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(message)s",
)
logging.captureWarnings(True)

try:
    table = count_coverage(
        bam,
        read_panel(panel_path),
        build,
        reference_fasta=reference_fasta,
        filters=ReadFilters.from_mapping(filters, source="config read filters"),
        threads=snakemake.threads,
    )
    write_coverage(table, coverage_path)
except Exception:
    logging.exception("coverage counting failed for %s", bam)
    raise

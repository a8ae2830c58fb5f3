"""Time the RNA junction step against `samtools view -c` over the same regions (the I/O floor).

A simulated RNA BAM (ikaros.rna.simulate, every gene of the transcript models, the simulator's
default ~30 M-fragment library scaled by ``--depth``) is written once. Then, best of
``--repeats``:

- the junction step: ikaros.rna.reads.scan_alignment_file over the gene spans of the transcript
  models (the indexed pass that also feeds exon coverage and expression) plus junction_tables
  (counts, classes, fractions with intervals);
- the floor: ``samtools view -c -F 0xF04 -q 10 <bam> <the same regions>``, which decodes the same
  records and does nothing else.

It prints records, times and the ratio (junction step / samtools), and for context the time of a
bare pysam loop that only decodes the same records into Python objects.

Usage: python benchmarks/bench_rna_junctions.py [--depth 1.0] [--repeats 3] [--build GRCh38]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pysam

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

from timing import best_of  # noqa: E402

from ikaros.rna.junctions import junction_tables  # noqa: E402
from ikaros.rna.models import gene_models, read_transcript_models  # noqa: E402
from ikaros.rna.reads import scan_alignment_file  # noqa: E402
from ikaros.rna.simulate import LESION_COLUMNS, RnaSimSettings, simulate_rna_bam  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depth", type=float, default=1.0, help="library size multiplier")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--build", default="GRCh38")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    table = read_transcript_models(REPO / "resources" / f"rna_transcript_models_{args.build}.tsv")
    models = gene_models(table)
    settings = RnaSimSettings(fragments_per_tpm_kb=15.0 * args.depth)
    with tempfile.TemporaryDirectory() as tmp:
        bam = Path(tmp) / "bench.bam"
        start = time.perf_counter()
        simulate_rna_bam(
            bam, "BENCH", pd.DataFrame(columns=list(LESION_COLUMNS)), table, args.build,
            args.seed, settings=settings,
        )  # fmt: skip
        simulated = time.perf_counter() - start
        regions = [f"{m.chrom}:{m.start}-{m.end}" for m in models.values()]

        def ikaros_step():
            scans = scan_alignment_file(bam, models.values(), args.build)
            junction_tables(models, scans)
            return scans

        def samtools_floor():
            command = ["samtools", "view", "-c", "-F", "0xF04", "-q", "10", str(bam), *regions]
            return int(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

        def pysam_loop():
            # decoding every record into a Python object and nothing else: Python's own floor
            with pysam.AlignmentFile(str(bam)) as alignments:
                return sum(
                    1
                    for m in models.values()
                    for _ in alignments.fetch(m.chrom, m.start - 1, m.end)
                )

        ours, scans = best_of(args.repeats, ikaros_step)
        bare, _ = best_of(args.repeats, pysam_loop)
        floor, records = best_of(args.repeats, samtools_floor)
    reads = sum(int(s.block_fragment.size) for s in scans.values())
    print(f"simulated BAM: {records:,} records in {len(regions)} gene regions ({simulated:.1f} s)")
    print(f"junction step (scan + junction tables): {ours:.3f} s")
    print(f"samtools view -c over the same regions: {floor:.3f} s")
    print(f"bare pysam iteration over the same regions: {bare:.3f} s ({bare / floor:.2f}x)")
    print(f"ratio: {ours / floor:.2f}x the I/O floor  ({reads:,} aligned blocks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time the DNA junction-read step against `samtools view -c` over the same region (I/O floor).

Simulated tumour BAMs (ikaros.simulate, the shipped GRCh38 panel, ``--depth``, a del4-7 in half
the cells of each) are written once. Then, best of ``--repeats`` over all of them:

- the junction step: ikaros.dna.junction_reads.window_evidence over the windows of bins the
  copy-number step reads (every bin labelled with a gene of copy_number.REFINE_GENES: IKZF1
  with its 2 Mb flanks, PAX5 with its 1 Mb flanks, ERG), which decodes the records, finds the
  deletion junctions and keeps the raw junction evidence;
- the floor: ``samtools view -c -F 0xF04 -q 20 <bam> <the same regions>``, which decodes the
  same records and does nothing else (one process per BAM, as the step opens each BAM once);
- for context, a bare pysam loop that only decodes the same records into Python objects.

It prints records, times per BAM and the ratio (junction step / samtools).

Usage: python benchmarks/bench_junction_reads.py [--depth 60] [--samples 10] [--repeats 3]
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

from ikaros.dna.copy_number import REFINE_GENES  # noqa: E402
from ikaros.dna.junction_reads import window_evidence  # noqa: E402
from ikaros.dna.panel import read_panel  # noqa: E402
from ikaros.simulate import SimulationSettings  # noqa: E402
from ikaros.simulate.reads import write_sample_bam  # noqa: E402

# a del4-7 (GRCh38: intron 3 to intron 7 of ENST00000331340)
DELETION = ("chr7", 50_356_836, 50_392_526)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depth", type=float, default=60.0)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    panel = read_panel(REPO / "resources" / "panel_GRCh38.tsv")
    windows = []
    for gene in REFINE_GENES:
        bins = panel[panel["gene"] == gene]
        windows.append(
            (str(bins["chrom"].iat[0]), int(bins["start"].min()), int(bins["end"].max()))
        )
    settings = SimulationSettings(seed=args.seed, depth=args.depth)
    with tempfile.TemporaryDirectory() as tmp:
        bams = []
        started = time.perf_counter()
        for k in range(args.samples):
            sample_id = f"T{k:02d}"
            lesions = pd.DataFrame(
                [
                    {
                        "chrom": DELETION[0], "start": DELETION[1], "end": DELETION[2],
                        "allelic": "mono", "cell_fraction": 0.5,
                    }
                ]
            )  # fmt: skip
            bam = Path(tmp) / f"{sample_id}.bam"
            write_sample_bam(panel, "GRCh38", sample_id, "female", lesions, bam, settings)
            bams.append(str(bam))
        simulated = time.perf_counter() - started

        def ikaros_step():
            # IKZF1's window first: the del4-7's junction is looked for there
            return [[window_evidence(bam, *window) for window in windows] for bam in bams]

        def samtools_floor():
            regions = [f"{chrom}:{start}-{end}" for chrom, start, end in windows]
            command = ["samtools", "view", "-c", "-F", "0xF04", "-q", "20"]
            return sum(
                int(subprocess.run([*command, bam, *regions], check=True, capture_output=True,
                                   text=True).stdout)
                for bam in bams
            )  # fmt: skip

        def pysam_loop():
            total = 0
            for bam in bams:
                with pysam.AlignmentFile(bam) as alignments:
                    for chrom, start, end in windows:
                        total += sum(1 for _ in alignments.fetch(chrom, start - 1, end))
            return total

        ours, evidence = best_of(args.repeats, ikaros_step)
        bare, _ = best_of(args.repeats, pysam_loop)
        floor, records = best_of(args.repeats, samtools_floor)
    found = sum(
        any(
            j.left_end == DELETION[1] - 1 and j.right_start == DELETION[2] + 1
            for j in e[0].junctions
        )
        for e in evidence
    )
    spurious = sum(len(e[1].junctions) + len(e[2].junctions) for e in evidence)
    n = len(bams)
    regions = ", ".join(
        f"{gene} {c}:{s}-{e}" for gene, (c, s, e) in zip(REFINE_GENES, windows, strict=True)
    )
    print(f"simulated {n} BAMs at {args.depth:g}x in {simulated:.1f} s; windows {regions}")
    print(f"records passing the filters in the windows: {records / n:,.0f} per BAM")
    print(f"junction step (window_evidence): {1000 * ours / n:.1f} ms per BAM")
    print(f"samtools view -c over the same regions: {1000 * floor / n:.1f} ms per BAM")
    print(f"bare pysam iteration over the same regions: {1000 * bare / n:.1f} ms per BAM")
    print(f"ratio: {ours / floor:.2f}x the I/O floor")
    print(f"junction placed to the base in {found}/{n} BAMs; junctions in PAX5/ERG: {spurious}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

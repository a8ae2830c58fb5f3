"""Fusion calls from simulated RNA BAMs: sensitivity by read support, false calls, and time
against `samtools view -c` over the same partner regions (the I/O floor).

    python benchmarks/bench_fusion_accuracy.py --per-fusion 20 --clean 200 --seeds 1 2 3

Each fusion sample carries one fusion of a list of B-ALL fusions (the classic breakpoints),
with an expected number of junction-crossing fragments drawn log-uniformly from 2 to 40, and
the simulator's read-through, paralog and artefact chimeras. Clean samples carry the noise
only, at twice the rate. Only the scanned partner genes are simulated, at a 10 M fragment
library. A call is right when it names the same 5' and 3' gene and both breakpoint exons.
Sensitivity is reported by the number of junction fragments actually drawn.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from timing import best_of  # noqa: E402

from ikaros.processes import map_in_processes  # noqa: E402
from ikaros.rna.fusions import read_partner_table, sample_fusions, scanned_genes  # noqa: E402
from ikaros.rna.gene_table import GeneLocator, read_genes  # noqa: E402
from ikaros.rna.models import gene_models, read_transcript_models  # noqa: E402
from ikaros.rna.simulate import LESION_COLUMNS, RnaSimSettings, simulate_rna_bam  # noqa: E402
from ikaros.rna.simulate_fusions import TRUTH_FUSION_COLUMNS, FusionNoise  # noqa: E402

FUSIONS = (
    ("BCR", 1, "ABL1", 2),
    ("BCR", 13, "ABL1", 2),
    ("BCR", 14, "ABL1", 2),
    ("ETV6", 5, "RUNX1", 3),
    ("TCF3", 16, "PBX1", 3),
    ("TCF3", 15, "HLF", 4),
    ("KMT2A", 9, "AFF1", 4),
    ("KMT2A", 11, "MLLT3", 6),
    ("KMT2A", 10, "MLLT1", 2),
    ("P2RY8", 1, "CRLF2", 1),
    ("EBF1", 15, "PDGFRB", 11),
    ("NUP214", 31, "ABL1", 2),
    ("PAX5", 5, "JAK2", 19),
    ("EP300", 6, "ZNF384", 3),
    ("TCF3", 13, "ZNF384", 3),
    ("MEF2D", 9, "BCL9", 10),
    ("PAX5", 6, "ETV6", 3),
    ("ACIN1", 5, "NUTM1", 3),
)


def _simulate_and_call(job):
    (sample, path, truth, seed, noise, sources) = job
    table, partners, locator_genes, build = sources
    scanned = scanned_genes(partners)
    genes = [g for g in dict.fromkeys(table["gene"]) if g in scanned]
    simulate_rna_bam(
        path, sample, pd.DataFrame(columns=list(LESION_COLUMNS)), table, build, seed,
        genes=genes, settings=RnaSimSettings(fragments_per_tpm_kb=5.0), fusions=truth,
        chimeric_noise=(noise, scanned, locator_genes),
    )  # fmt: skip
    drawn = 0
    if truth is not None:
        import pysam

        with pysam.AlignmentFile(str(path)) as bam:
            names = {r.query_name for r in bam.fetch() if ".fusion" in r.query_name}
        drawn = len(names)
    calls = sample_fusions(path, sample, partners, gene_models(table), GeneLocator(locator_genes),
                           build)  # fmt: skip
    return sample, drawn, calls


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-fusion", type=int, default=10)
    parser.add_argument("--clean", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--build", default="GRCh38")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)

    resources = ROOT / "resources"
    table = read_transcript_models(resources / f"rna_transcript_models_{args.build}.tsv")
    partners = read_partner_table(resources / "fusion_partners.tsv")
    genome = read_genes(resources / f"genes_{args.build}.tsv")
    sources = (table, partners, genome, args.build)
    found = defaultdict(lambda: [0, 0])  # support bin -> [right, total]
    wrong_partner = false_in_fusion_samples = false_in_clean = 0
    by_fusion = defaultdict(lambda: [0, 0])
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            rng = np.random.default_rng(seed)
            jobs = []
            truths = {}
            for i in range(args.per_fusion * len(FUSIONS)):
                five, five_exon, three, three_exon = FUSIONS[i % len(FUSIONS)]
                fragments = float(np.exp(rng.uniform(np.log(2), np.log(40))))
                name = f"{five}::{three}"
                truth = pd.DataFrame(
                    [(f"S{seed}_{i}", name, five, five_exon, three, three_exon, "", "", 1.0,
                      fragments)],
                    columns=list(TRUTH_FUSION_COLUMNS),
                )  # fmt: skip
                sample = f"S{seed}_{i}"
                truths[sample] = (five, five_exon, three, three_exon)
                jobs.append((sample, Path(tmp) / f"{sample}.bam", truth, seed, FusionNoise(),
                             sources))  # fmt: skip
            heavy = FusionNoise(readthrough_events=2, paralog_events=4, random_chimeras=10)
            for i in range(args.clean):
                sample = f"C{seed}_{i}"
                jobs.append((sample, Path(tmp) / f"{sample}.bam", None, seed, heavy, sources))
            for sample, drawn, calls in map_in_processes(_simulate_and_call, jobs,
                                                         args.processes):  # fmt: skip
                truth = truths.get(sample)
                if truth is None:
                    false_in_clean += len(calls)
                    continue
                five, five_exon, three, three_exon = truth
                right = calls[
                    (calls["five_prime"] == five) & (calls["three_prime"] == three)
                    & (calls["five_exon"] == five_exon) & (calls["three_exon"] == three_exon)
                ]  # fmt: skip
                wrong_partner += int(len(calls) > len(right) and not right.empty)
                false_in_fusion_samples += len(calls) - len(right)
                support = "2-4" if drawn < 5 else ("5-9" if drawn < 10 else ">=10")
                if drawn < 2:
                    support = "<2"
                found[support][0] += int(not right.empty)
                found[support][1] += 1
                if drawn >= 5:
                    by_fusion[f"{five}::{three}"][0] += int(not right.empty)
                    by_fusion[f"{five}::{three}"][1] += 1
            last_bam = Path(tmp) / f"S{seed}_0.bam"
        print("junction fragments drawn  found/total  sensitivity")
        for support in ("<2", "2-4", "5-9", ">=10"):
            right, total = found[support]
            if total:
                print(f"{support:>24}  {right:>5}/{total:<5}  {right / total:.3f}")
        five_plus = [found[s] for s in ("5-9", ">=10")]
        right = sum(r for r, _ in five_plus)
        total = sum(t for _, t in five_plus)
        print(f"at >= 5 fragments: {right}/{total} = {right / max(total, 1):.4f}")
        for name, (r, t) in sorted(by_fusion.items()):
            print(f"  {name:<14} {r}/{t}")
        print(f"extra calls in fusion samples: {false_in_fusion_samples}")
        print(f"calls in {args.clean * len(args.seeds)} fusion-free samples: {false_in_clean}")

        # time: the fusion step against samtools view -c over the same partner spans
        locator = GeneLocator(genome)
        regions = [
            f"{g.chrom}:{g.start}-{g.end}"
            for g in (locator.get(n) for n in scanned_genes(partners))
            if g is not None
        ]
        models = gene_models(table)

        def ikaros_step():
            return sample_fusions(last_bam, "S", partners, models, locator, args.build)

        def samtools_floor():
            command = ["samtools", "view", "-c", str(last_bam), *regions]
            return subprocess.run(command, check=True, capture_output=True, text=True).stdout

        step, _ = best_of(3, ikaros_step)
        floor, records = best_of(3, samtools_floor)
        print(f"fusion step {step:.3f} s; samtools view -c ({records.strip()} records) "
              f"{floor:.3f} s; ratio {step / floor:.1f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ploidy class from expression on simulated genome-wide count profiles, with and without RNA
allele fractions.

    python benchmarks/bench_rna_ploidy.py --cohort 40 --hyperdiploid 12 --seeds 1 2 3

Each cohort: diploid and high hyperdiploid tumours (ikaros.simulate.karyotypes.design_karyotype;
cell fraction U(0.6, 0.95), given as the blast fraction), count profiles of every protein-coding
gene with laboratory bias, 2-60 M reads (ikaros.simulate.expression, dosage slope 0.8, the same
slope the caller assumes); SNP allele counts of 60 expressed SNPs per arm at 30x for the runs
with allele data. Prints, per kind, right / undetermined / wrong. The profiles come from the
caller's own dosage model: these numbers bound what it can do, they do not show it on real data.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from ikaros.karyotype.ploidy import Karyotype  # noqa: E402
from ikaros.rna.expression_evidence import read_marker_sets  # noqa: E402
from ikaros.rna.expression_ploidy import expression_karyotypes  # noqa: E402
from ikaros.rna.gene_table import read_genes  # noqa: E402
from ikaros.simulate.expression import simulate_profiles  # noqa: E402
from ikaros.simulate.karyotypes import design_karyotype, simulate_profile  # noqa: E402

HOUSEKEEPING = ["ACTB", "GAPDH", "B2M", "TBP", "HPRT1", "PGK1"]
RUNX1 = ("chr21", 34787801, 36004667)
EXPECTED = {"diploid": "near_diploid", "high_hyperdiploid": "high_hyperdiploid"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=int, default=40)
    parser.add_argument("--hyperdiploid", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    genes = read_genes(ROOT / "resources" / "genes_GRCh38.tsv")
    coding = genes[genes["type"] == "protein_coding"]
    markers = read_marker_sets(ROOT / "resources" / "expression_markers.tsv")
    tally = {mode: Counter() for mode in ("with allele data", "without allele data")}
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        kinds = ["high_hyperdiploid"] * args.hyperdiploid
        kinds += ["diploid"] * (args.cohort - args.hyperdiploid)
        kinds = [kinds[i] for i in rng.permutation(len(kinds))]
        karyotypes = [design_karyotype(k, "female", rng) for k in kinds]
        fractions = list(rng.uniform(0.6, 0.95, len(kinds)))
        counts = simulate_profiles(
            ["none"] * len(kinds), markers, list(coding["gene"]), HOUSEKEEPING, rng,
            karyotypes=karyotypes,
            gene_chroms=dict(zip(coding["gene"], coding["chrom"], strict=True)),
            cell_fractions=fractions,
        )  # fmt: skip
        snps = {
            sample: simulate_profile(k, kind, "female", f, "GRCh38", rng, RUNX1,
                                     snps_per_arm=60, mean_depth=30.0)[1]
            for sample, k, kind, f in zip(counts.columns, karyotypes, kinds, fractions,
                                          strict=True)
        }  # fmt: skip
        sexes = dict.fromkeys(counts.columns, "female")
        blasts = dict(zip(counts.columns, fractions, strict=True))
        for mode, allele in (("with allele data", snps), ("without allele data", None)):
            results = expression_karyotypes(counts, genes, "GRCh38", allele, sexes, blasts)
            for sample, kind in zip(counts.columns, kinds, strict=True):
                result = results[sample]
                called = result.summary["ploidy_class"] if isinstance(result, Karyotype) else ""
                outcome = (
                    "right"
                    if called == EXPECTED[kind]
                    else "undetermined"
                    if called in ("", "undetermined")
                    else "wrong"
                )
                tally[mode][(kind, outcome)] += 1  # fmt: skip
    for mode, counter in tally.items():
        print(mode)
        for kind in EXPECTED:
            total = sum(v for (k, _), v in counter.items() if k == kind)
            right, und, wrong = (counter[(kind, o)] for o in ("right", "undetermined", "wrong"))
            print(f"  {kind:<18} right {right}/{total} ({right / total:.3f}), "
                  f"undetermined {und}, wrong {wrong}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

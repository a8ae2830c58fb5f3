"""Ploidy class and iAMP21 accuracy of ikaros.karyotype on simulated tumour profiles.

    python benchmarks/bench_karyotype_accuracy.py --per-kind 20 --seeds 1 2 3

Each tumour: a karyotype of ikaros.simulate.karyotypes (kind drawn in turn), cell fraction
U(0.4, 1) given as the blast fraction, arm-level SEG-like segments and SNP allele counts at
40x; called with and without the SNPs. Prints, per kind, the share with the exact ploidy
class, the counts called `undetermined` and given a wrong class, the tumours whose chromosome
count is the truth's (a doubled clone's count is the doubled one: a near-haploid clone and its
doubling have the same class but not the same losses), those whose copies are left
undecided between the two readings and those decided with a count that is not the truth's
(the patients table takes their losses), and the iAMP21 calls. The
profiles come from the same mixture model as the fit: these numbers bound what the caller can
do, they do not show it on real arrays.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from ikaros.karyotype import ploidy_class  # noqa: E402
from ikaros.karyotype.ploidy import call_karyotype  # noqa: E402
from ikaros.simulate.karyotypes import (  # noqa: E402
    KINDS,
    TRUE_CLASS,
    design_karyotype,
    karyotype_count,
    simulate_profile,
)

RUNX1 = ("chr21", 34787801, 36004667)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    tally: dict[tuple[str, bool], Counter] = defaultdict(Counter)
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        for kind in KINDS:
            for _ in range(args.per_kind):
                sex = "female" if rng.random() < 0.5 else "male"
                karyotype = design_karyotype(kind, sex, rng)
                purity = float(rng.uniform(0.4, 1.0))
                segments, snps, _ = simulate_profile(
                    karyotype, kind, sex, purity, "GRCh38", rng, RUNX1
                )
                count = karyotype_count(karyotype, sex)
                truth = TRUE_CLASS.get(kind) or ploidy_class(count)
                for with_snps in (True, False):
                    result = call_karyotype(
                        segments, "GRCh38", snps if with_snps else None, sex, purity, RUNX1
                    )
                    s = result.summary
                    counter = tally[(kind, with_snps)]
                    counter["n"] += 1
                    counter["exact"] += s["ploidy_class"] == truth
                    counter["count"] += s["chromosome_count"] == str(count)
                    counter["undecided"] += s["copies_decided"] == "false"
                    # a decided count that is not the truth's: losses taken downstream wrongly
                    counter["wrong_decided"] += s["copies_decided"] == "true" and s[
                        "chromosome_count"
                    ] != str(count)
                    counter["undetermined"] += s["ploidy_class"] == "undetermined"
                    counter["wrong"] += s["ploidy_class"] not in (truth, "undetermined")
                    counter["iamp21"] += s["iamp21"] == "true"
                    counter["masked"] += "masked:" in s["ploidy_evidence"]
    print("kind\tsnps\tn\texact_class\tundetermined\twrong_class\texact_count\t"
          "copies_undecided\twrong_count_decided\tiamp21_called\tmasked_named")  # fmt: skip
    for (kind, with_snps), c in tally.items():
        print(f"{kind}\t{'yes' if with_snps else 'no'}\t{c['n']}\t{c['exact'] / c['n']:.3f}\t"
              f"{c['undetermined']}\t{c['wrong']}\t{c['count']}\t{c['undecided']}\t"
              f"{c['wrong_decided']}\t{c['iamp21']}\t{c['masked']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

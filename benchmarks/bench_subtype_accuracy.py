"""Benchmark: derived subtypes against the simulated truth, through the whole workflow.

Not a test. For each seed, simulates a cohort (--patients, every tumour with DNA and RNA-seq,
a VCF and a gene-count table; --normals panel normals; --background genome-wide fragments
per BAM, which set the genome bins' noise) and runs the workflow up to
`results/<cohort>/subtypes.tsv` (`snakemake --cores 2`). The simulated subtype of each patient
(the clinical sheet's label, which the simulator drew first and made the fusion, karyotype and
marker expression follow; ikaros.subtypes.normalise_subtype gives its token) is the truth; the
derived `subtype` column is what is scored (the clinical label is not used for it).

Reported per seed and pooled:

- exact: derived subtype = truth, among patients whose blasts are >= --min-blasts percent
  (the defining lesion is clonal, so it is present in that share of cells);
- confident wrong: a defined subtype (not `undetermined`, not `B-other`) that is not the truth,
  among all patients; the target is none;
- the confusion matrix (truth x derived), pooled over seeds;
- the karyotypes (ploidy class by simulated kind) and, from `patients.tsv`, the IKZF1 calls
  against the simulator's patient truth by karyotype kind: exact class and exon set where the
  deletion is in >= 40% of cells, wildtype called wildtype, IKZF1plus found and false. Here,
  unlike benchmarks/bench_ikzf1_accuracy.py, the calls have the karyotype step behind them
  (a near-haploid clone's monosomies 7 and 9).

Usage: python benchmarks/bench_subtype_accuracy.py [--workdir DIR] [--seeds 1,2,3]
       [--patients 60] [--normals 8] [--min-blasts 30] [--cores 2] [--background 200000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from ikaros.subtypes.assign import normalise_subtype  # noqa: E402

UNDEFINED = ("undetermined", "B-other")


def run_seed(workdir: Path, seed: int, args) -> pd.DataFrame:
    cohort = f"s{seed}"
    config = {
        "cohorts": {
            cohort: {
                "build": "GRCh38",
                "simulate": {
                    "seed": seed, "patients": args.patients, "panel_normals": args.normals,
                    "matched_normals": 0, "depth": 30, "rna_fraction": 1.0,
                    "rna_only_fraction": 0.0, "fusion_rate": 1.0, "rna_counts": True,
                    "vcf_fraction": 1.0, "background_fragments": args.background,
                },
            }
        },
        "rna": {"min_reference_samples": 10},
    }  # fmt: skip
    path = workdir / f"{cohort}.yaml"
    path.write_text(yaml.safe_dump(config))
    started = time.perf_counter()
    subprocess.run(
        ["snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
         "--configfile", str(path), "--cores", str(args.cores),
         f"results/{cohort}/subtypes.tsv", "--quiet", "rules"],
        check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    derived = pd.read_csv(workdir / f"results/{cohort}/subtypes.tsv", sep="\t", dtype=str)
    clinical = pd.read_csv(workdir / f"results/{cohort}/simulated/clinical.tsv", sep="\t")
    samples = pd.read_csv(workdir / f"results/{cohort}/simulated/samples.tsv", sep="\t")
    blasts = samples[samples["role"] == "tumor"].set_index("patient_id")["blast_percent"]
    truth = clinical.set_index("patient_id")["subtype"].map(normalise_subtype)
    table = derived.set_index("patient_id")[["subtype", "subtype_confidence", "subtype_evidence"]]
    table = table.assign(truth=truth, blasts=blasts, seed=seed).reset_index()
    karyotypes = pd.read_csv(workdir / f"results/{cohort}/karyotypes.tsv", sep="\t", dtype=str)
    karyotype_truth = pd.read_csv(
        workdir / f"results/{cohort}/simulated/truth_karyotypes.tsv", sep="\t", dtype=str
    )
    karyotypes = karyotype_truth.merge(
        karyotypes, on=["sample_id", "patient_id"], suffixes=("_true", "")
    ).assign(blasts=lambda t: t["patient_id"].map(blasts), seed=seed)
    patients = pd.read_csv(
        workdir / f"results/{cohort}/patients.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    truth_patients = pd.read_csv(
        workdir / f"results/{cohort}/simulated/truth_patients.tsv", sep="\t", dtype=str,
        keep_default_na=False,
    )  # fmt: skip
    kinds = karyotype_truth.set_index("patient_id")["kind"]
    ikzf1 = truth_patients.merge(patients, on="patient_id", suffixes=("_true", ""))
    ikzf1 = ikzf1.assign(kind=ikzf1["patient_id"].map(kinds).fillna(""), seed=seed)
    print(f"seed {seed}: {len(table)} patients, workflow {seconds:.0f} s", flush=True)
    return table, karyotypes, ikzf1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--normals", type=int, default=8)
    parser.add_argument("--min-blasts", type=float, default=30.0)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--background", type=int, default=200_000,
        help="genome-wide fragments per BAM (about 65 per Mb; real WGS has thousands)",
    )  # fmt: skip
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_subtypes_"))
    workdir.mkdir(parents=True, exist_ok=True)
    runs = [run_seed(workdir, int(seed), args) for seed in args.seeds.split(",")]
    pooled = pd.concat([table for table, _, _ in runs], ignore_index=True)
    karyotypes = pd.concat([k for _, k, _ in runs], ignore_index=True)
    ikzf1 = pd.concat([i for _, _, i in runs], ignore_index=True)
    pooled["exact"] = pooled["subtype"] == pooled["truth"]
    pooled["confident_wrong"] = ~pooled["exact"] & ~pooled["subtype"].isin(UNDEFINED)
    pooled.to_csv(workdir / "subtype_calls.tsv", sep="\t", index=False)

    print(f"\n{'seed':<8}{'patients':>9}{'blasts>=':>10}{'exact':>8}{'%':>8}{'wrong':>7}")
    for seed, mine in [*pooled.groupby("seed"), ("all", pooled)]:
        eligible = mine[mine["blasts"] >= args.min_blasts]
        exact = int(eligible["exact"].sum())
        print(f"{seed!s:<8}{len(mine):>9}{len(eligible):>10}{exact:>8}"
              f"{100 * exact / max(len(eligible), 1):>8.1f}"
              f"{int(mine['confident_wrong'].sum()):>7}")  # fmt: skip
    print("\nconfusion matrix (rows: simulated truth; columns: derived), all seeds:")
    print(pd.crosstab(pooled["truth"], pooled["subtype"]).to_string())
    wrong = pooled[pooled["confident_wrong"]]
    if len(wrong):
        print("\nconfident wrong calls:")
        for row in wrong.itertuples(index=False):
            print(f"  seed {row.seed} {row.patient_id}: truth {row.truth}, derived {row.subtype}"
                  f" ({row.subtype_confidence}): {row.subtype_evidence[:160]}")  # fmt: skip
    missed = pooled[~pooled["exact"] & (pooled["blasts"] >= args.min_blasts)]
    print(f"\nnot exact with blasts >= {args.min_blasts:g}%, by truth and derived:")
    print(missed.groupby(["truth", "subtype"]).size().to_string())
    print(f"\ncalls: {workdir / 'subtype_calls.tsv'}")
    report_karyotypes(karyotypes, args.min_blasts)
    report_ikzf1(ikzf1)
    ikzf1.to_csv(workdir / "ikzf1_calls.tsv", sep="\t", index=False)


def report_karyotypes(karyotypes: pd.DataFrame, min_blasts: float) -> None:
    """The same runs' karyotypes (BAM genome bins + VCF) against the karyotype truth."""
    karyotypes = karyotypes.assign(
        exact=karyotypes["ploidy_class"] == karyotypes["ploidy_class_true"],
        iamp21_true=karyotypes["iamp21_true"].str.lower(),
    )
    eligible = karyotypes[karyotypes["blasts"] >= min_blasts]
    print(f"\nkaryotypes of tumours with blasts >= {min_blasts:g}% (genome bins + VCF):")
    print(f"{'kind':<24}{'n':>5}{'exact':>7}{'undet.':>8}{'wrong':>7}")
    for kind, mine in eligible.groupby("kind"):
        undetermined = int((mine["ploidy_class"] == "undetermined").sum())
        exact = int(mine["exact"].sum())
        print(f"{kind:<24}{len(mine):>5}{exact:>7}{undetermined:>8}"
              f"{len(mine) - exact - undetermined:>7}")  # fmt: skip
    calls = pd.crosstab(karyotypes["iamp21_true"], karyotypes["iamp21"])
    print("\niAMP21 (rows: truth; columns: called), all tumours:")
    print(calls.to_string())


def report_ikzf1(ikzf1: pd.DataFrame) -> None:
    """The patients table's IKZF1 calls against the patient truth, by karyotype kind."""
    fraction = pd.to_numeric(ikzf1["ikzf1_fraction_true"], errors="coerce").fillna(0.0)
    deleted = (ikzf1["ikzf1_status_true"] == "deleted") & (fraction >= 0.4)
    wildtype = ikzf1["ikzf1_status_true"] == "wildtype"
    exact = (ikzf1["ikzf1_class"] == ikzf1["ikzf1_class_true"]) & (
        ikzf1["ikzf1_exons_deleted"] == ikzf1["ikzf1_exons_deleted_true"]
    )
    called = ikzf1["ikzf1_status"] == "deleted"
    plus_true, plus = ikzf1["ikzf1plus_true"] == "true", ikzf1["ikzf1plus"] == "true"
    print("\nIKZF1 (patients.tsv against the truth; deletions in >= 40% of cells), by kind:")
    print(f"{'kind':<24}{'deleted':>8}{'exact':>7}{'wildtype':>9}{'called':>7}"
          f"{'plus':>6}{'found':>7}{'false':>7}")  # fmt: skip
    for kind, rows in [*ikzf1.groupby("kind"), ("all", ikzf1)]:
        k = rows.index
        print(f"{kind:<24}{int(deleted[k].sum()):>8}{int((deleted & exact)[k].sum()):>7}"
              f"{int(wildtype[k].sum()):>9}{int((wildtype & called)[k].sum()):>7}"
              f"{int(plus_true[k].sum()):>6}{int((plus_true & plus)[k].sum()):>7}"
              f"{int((~plus_true & plus)[k].sum()):>7}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Benchmark: IKZF1 and co-deletion accuracy by simulation variant, over seeds, and pooled.

Not a test. Runs benchmarks/bench_ikzf1_accuracy.py once per variant (panel design x what the
simulated BAMs keep of the junction reads) and seed, each in --workdir/<panel>_<aligner>_<seed>
(a run whose patients_compared.tsv is there is kept with --reuse), then pools the runs' per-
patient tables (patients_compared.tsv) by variant and depth and scores them with the accuracy
bench's own measures (`headline`, `codeletions`). With the defaults it is the matrix of the
issue on harder simulation: the shipped panel with four read styles and its targeted part
(genes and flanks, no backbone) with two, three seeds of 100 patients at 30x, and one variant
also at 60x; about 25 minutes on two cores.

Table (TSV in --workdir, also printed): variants.tsv, one row per variant and depth, then the
full panel's read styles pooled and all variants pooled (at 30x): seeds, IKZF1 deletions in
>= 40% of cells (n, exact class, found), wildtype (n, specificity), IKZF1plus where the IKZF1
deletion and a qualifying co-deletion are in >= 40% of cells (n, found), IKZF1plus over all true
IKZF1plus patients (n, found), false IKZF1plus calls, co-deletion losses in >= 40% of cells
(n, found, with the true allelic state) and false co-deletion calls among the patients without
the loss (of n_none). Counts, not rates, so that rows add up and every rate can be rechecked.

With --karyotype every run also scores its calls with the workflow's karyotype step behind
the panel (bench_ikzf1_accuracy.py --karyotype: a VCF per tumour, genome bins from the BAM
index), and variants_karyotype.tsv and misses_karyotype.tsv are the same tables for those calls.

misses.tsv lists the patients behind the shortfalls at 30x or more, one row each: every IKZF1
deletion in >= 40% of cells not called with its exact class ("miss") and every wildtype
tumour called deleted ("false"), with its variant, seed, blast percentage, karyotype kind, the
true and called class and exons, and the call's evidence.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_ikzf1_accuracy as accuracy  # noqa: E402

# (panel, aligner, depths): the read styles keep both junction read kinds (local), no soft
# clips (end_to_end), no discordant pairs (proper_pairs) or neither.
DEFAULT_VARIANTS = (
    ("full", "local", "30"),
    ("full", "end_to_end", "30"),
    ("full", "proper_pairs", "30"),
    ("full", "end_to_end_proper_pairs", "30,60"),
    ("targeted", "local", "30"),
    ("targeted", "end_to_end_proper_pairs", "30"),
)
BOOLEAN_COLUMNS = ("exact", "called_deleted", "plus_agree", "plus_focal_agree", "all_clonal")
NUMBER_COLUMNS = ("depth", "blast_percent", "ikzf1_fraction")
COUNT_COLUMNS = (
    "fraction40_n",
    "fraction40_exact",
    "fraction40_found",
    "wildtype_n",
    "wildtype_not_deleted",
    "ikzf1plus40_n",
    "ikzf1plus40_found",
    "ikzf1plus_n",
    "ikzf1plus_found",
    "ikzf1plus_false_calls",
    "codeletion40_n",
    "codeletion40_found",
    "codeletion40_state",
    "codeletion_none_n",
    "codeletion_false_calls",
)


def read_compared(path: Path) -> pd.DataFrame:
    """A run's patients_compared.tsv with the types `accuracy.compare` gave it."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    for column in BOOLEAN_COLUMNS:
        if column in table.columns:
            table[column] = table[column].map({"True": True, "False": False})
    fractions = [c for c in table.columns if c.endswith("_fraction")]
    for column in (*NUMBER_COLUMNS, *fractions):
        table[column] = pd.to_numeric(table[column].replace("", None), errors="raise")
    return table


def counts(compared: pd.DataFrame) -> dict:
    """The COUNT_COLUMNS of one pool of patients (one depth), from the accuracy bench's rates
    and sizes (rates x n are whole numbers)."""
    head = accuracy.headline(compared).iloc[0]
    codel = accuracy.codeletions(compared)
    pooled = codel[codel["gene"] == "all"].iloc[0]

    def times(rate: str, n: str) -> int:
        return 0 if not head[n] else int(round(float(head[rate]) * int(head[n])))

    return {
        "fraction40_n": int(head["fraction40_n"]),
        "fraction40_exact": times("fraction40_exact", "fraction40_n"),
        "fraction40_found": times("fraction40_sensitivity", "fraction40_n"),
        "wildtype_n": int(head["wildtype_n"]),
        "wildtype_not_deleted": times("specificity", "wildtype_n"),
        "ikzf1plus40_n": int(head["ikzf1plus40_n"]),
        "ikzf1plus40_found": times("ikzf1plus40_sensitivity", "ikzf1plus40_n"),
        "ikzf1plus_n": int(head["ikzf1plus_n"]),
        "ikzf1plus_found": times("ikzf1plus_sensitivity", "ikzf1plus_n"),
        "ikzf1plus_false_calls": int(head["ikzf1plus_false_calls"]),
        "codeletion40_n": int(pooled["n_40"]),
        "codeletion40_found": int(pooled["found_40"]),
        "codeletion40_state": int(pooled["state_40"]),
        "codeletion_none_n": int(pooled["n_none"]),
        "codeletion_false_calls": int(pooled["false_calls"]),
    }


def variant_table(runs: dict[tuple[str, str, int], pd.DataFrame]) -> pd.DataFrame:
    """One row per variant and depth over its seeds, then the full panel's variants pooled
    and all variants pooled at 30x. ``runs`` maps (panel, aligner, seed) to a compared table."""
    frames = []
    for (panel, aligner, seed), compared in runs.items():
        frames.append(compared.assign(panel=panel, aligner=aligner, seed=seed))
    every = pd.concat(frames, ignore_index=True)
    rows = []
    for (panel, aligner, depth), group in every.groupby(["panel", "aligner", "depth"], sort=False):
        rows.append({"variant": f"{panel} {aligner}", "depth": depth,
                     "seeds": group["seed"].nunique(), **counts(group)})  # fmt: skip
    at30 = every[every["depth"] == 30]
    for name, pool in (
        ("full, all read styles", at30[at30["panel"] == "full"]),
        ("all variants", at30),
    ):
        if pool.empty or pool["aligner"].nunique() < 2:
            continue
        rows.append({"variant": name, "depth": 30, "seeds": pool["seed"].nunique(),
                     **counts(pool)})  # fmt: skip
    return pd.DataFrame(rows, columns=["variant", "depth", "seeds", *COUNT_COLUMNS])


MISS_COLUMNS = (
    "variant", "depth", "seed", "patient_id", "error", "blast_percent", "karyotype",
    "ikzf1_class", "ikzf1_exons_deleted", "ikzf1_fraction", "call_ikzf1_status",
    "call_ikzf1_class", "call_ikzf1_exons_deleted", "call_ikzf1_evidence",
)  # fmt: skip


def miss_table(runs: dict[tuple[str, str, int], pd.DataFrame]) -> pd.DataFrame:
    """The patients behind the IKZF1 shortfalls at 30x or more (MISS_COLUMNS): deletions in
    >= 40% of cells without their exact class (error "miss"), wildtype tumours called deleted
    ("false"); runs made before the karyotype column leave it empty."""
    rows = []
    for (panel, aligner, seed), compared in runs.items():
        table = compared[compared["depth"] >= 30]
        # the headline's own sets, so that the listing adds up to its shortfalls
        miss = accuracy.deleted_in_forty_percent(table) & ~table["exact"]
        false = accuracy.wildtype(table) & table["called_deleted"]
        for error, chosen in (("miss", miss), ("false", false)):
            picked = table[chosen].reindex(columns=MISS_COLUMNS)
            rows.append(picked.assign(variant=f"{panel} {aligner}", seed=seed, error=error))
    if not rows:
        return pd.DataFrame(columns=list(MISS_COLUMNS))
    out = pd.concat(rows, ignore_index=True).loc[:, list(MISS_COLUMNS)]
    return out.sort_values(["variant", "depth", "error", "seed", "patient_id"], kind="stable")


def run_one(panel: str, aligner: str, seed: int, depths: str, args, out: Path) -> None:
    command = [
        sys.executable, str(HERE / "bench_ikzf1_accuracy.py"), "--seed", str(seed),
        "--depths", depths, "--patients", str(args.patients),
        "--panel-normals", str(args.panel_normals), "--processes", str(args.processes),
        "--no-cnvkit", "--panel", panel, "--aligner", aligner, "--workdir", str(out),
    ] + (["--karyotype"] if args.karyotype else [])  # fmt: skip
    with open(out.with_suffix(".log"), "w") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT)
    if not args.keep_bams:
        for bams in out.glob("depth*/bams"):
            shutil.rmtree(bams)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="9001,9002,9003")
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--panel-normals", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--variants",
        default=";".join(f"{p}:{a}:{d}" for p, a, d in DEFAULT_VARIANTS),
        help="semicolon-separated panel:aligner:depths (depths comma-separated)",
    )
    parser.add_argument("--workdir", type=Path, default=HERE / "out/ikzf1_variants")
    parser.add_argument("--reuse", action="store_true", help="keep runs that are complete")
    parser.add_argument("--keep-bams", action="store_true", help="keep the simulated BAMs")
    parser.add_argument(
        "--karyotype",
        action="store_true",
        help="also run the karyotype step behind the panel (a VCF per tumour) and score the "
        "calls with its losses added: variants_karyotype.tsv, misses_karyotype.tsv",
    )
    args = parser.parse_args(argv)

    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    variants = [tuple(v.split(":")) for v in args.variants.split(";") if v.strip()]
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    # the panel's own calls, and with --karyotype the calls with the karyotype's losses added
    scorings = {"": "patients_compared.tsv"}
    if args.karyotype:
        scorings["_karyotype"] = "patients_compared_karyotype.tsv"
    runs = {suffix: {} for suffix in scorings}
    for panel, aligner, depths in variants:
        for seed in seeds:
            out = workdir / f"{panel}_{aligner}_{seed}"
            if not (args.reuse and all((out / name).exists() for name in scorings.values())):
                print(f"running {out.name} at {depths}x", flush=True)
                run_one(panel, aligner, seed, depths, args, out)
            for suffix, name in scorings.items():
                runs[suffix][(panel, aligner, seed)] = read_compared(out / name)
    for suffix in scorings:
        title = "by variant" + (", with the karyotype step" if suffix else "")
        accuracy.write_and_print(
            variant_table(runs[suffix]), workdir / f"variants{suffix}.tsv", title
        )
        misses = miss_table(runs[suffix])
        path = workdir / f"misses{suffix}.tsv"
        misses.to_csv(path, sep="\t", index=False, na_rep="")
        print(f"\n{len(misses)} patients behind the shortfalls: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

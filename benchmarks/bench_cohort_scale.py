"""The whole workflow on simulated cohorts of growing size: where the time goes.

For each size (default 100, 300, 688 patients; 40 normals: 20 panel normals and 20 matched,
30x, a quarter of the patients with RNA-seq) a fresh folder is simulated and run with
`snakemake --cores N`, and the table gives: wall time of the run after the simulation, time
per patient, jobs, the peak memory of the largest job (each rule script logs its own peak
resident memory as its last line), the largest process of the run's whole process tree
(wait4 of Snakemake: Snakemake itself or any job), and the
share of the wall time that is workflow overhead. A job's own work runs
from its start in Snakemake's log to the last write of its rule log (the script's end);
overhead is the wall time when no job is doing its own work (DAG building, job start-up,
Snakemake recording outputs). Per step, the summed own work and the summed bookkeeping
(script end to "Finished") of its jobs, and the largest job's peak memory.

Usage: python benchmarks/bench_cohort_scale.py [--sizes 100 300 688] [--cores 2] [--depth 30]
       [--out benchmarks/results/cohort_scale.tsv] [--keep DIR] [--simulated DIR]

``--simulated DIR`` takes each size's simulated cohort from a folder kept by an earlier run
(``--keep``, same sizes and seed): its files are hard-linked, not simulated again.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
STARTED = re.compile(r"^(?:local)?rule (\S+):$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
LOG = re.compile(r"^\s+log: (\S+?)(?: \(check log file\(s\) for error details\))?$")
FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\S+)\)$")
PEAK = re.compile(r"resources used: peak memory (\d+) MB, CPU ([\d.]+) s$")


def cohort_config(patients: int, seed: int, depth: int = 30) -> dict:
    name = f"scale{patients}"
    return {
        "cohorts": {
            name: {
                "build": "GRCh38",
                "simulate": {
                    "seed": seed,
                    "patients": patients,
                    "panel_normals": 20,
                    "matched_normals": 20,
                    "depth": depth,
                    "rna_fraction": 0.25,
                    "rna_only_fraction": 0.2,
                },
            }
        }
    }


def run(workdir: Path, config: dict, cores: int, *targets: str) -> tuple[float, float]:
    """Run Snakemake; wall seconds and the peak memory (MB) of the largest process in its tree."""
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
               "--cores", str(cores), "--", *targets]  # fmt: skip
    output = workdir / f"snakemake_{len(targets)}.out"
    started = time.monotonic()
    with output.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(output.read_text()[-6000:])
    return wall, usage.ru_maxrss / 1024


def job_peak_mb(log: object, workdir: Path) -> float:
    """The peak memory a rule script logged as its last line (NaN without one)."""
    if not isinstance(log, str) or not (workdir / log).is_file():
        return float("nan")
    lines = (workdir / log).read_text().splitlines()
    match = PEAK.search(lines[-1]) if lines else None
    return float(match[1]) if match else float("nan")


def parse_jobs(log_path: Path, workdir: Path) -> pd.DataFrame:
    """One row per job of a Snakemake log: rule, start, script end, finish (epoch seconds)."""
    jobs, stamp, current = {}, None, None
    for line in log_path.read_text().splitlines():
        if match := STAMP.match(line):
            stamp = datetime.strptime(match[1], "%a %b %d %H:%M:%S %Y").timestamp()
        elif match := STARTED.match(line):
            current = {"rule": match[1], "start": stamp, "log": None}
        elif current and (match := LOG.match(line)):
            current["log"] = match[1].split(", ")[0]
        elif current and (match := JOBID.match(line)):
            jobs[match[1]] = current
            current = None
        elif match := FINISHED.match(line):
            jobs[match[1]]["finish"] = stamp
    table = pd.DataFrame(jobs.values())
    table["script_end"] = [
        (workdir / log).stat().st_mtime if isinstance(log, str) else finish
        for log, finish in zip(table["log"], table["finish"], strict=True)
    ]
    table["peak_mb"] = [job_peak_mb(log, workdir) for log in table["log"]]
    # the log's timestamps have whole seconds: keep the script's end inside the job
    table["script_end"] = table[["script_end", "finish"]].min(axis=1).clip(lower=table["start"])
    return table


def busy_seconds(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of the intervals."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def kept_simulation(folder: Path, name: str) -> Path:
    """The simulated cohort ``name`` in a folder kept by an earlier run (--keep)."""
    found = sorted(folder.glob(f"{name}_*/results/{name}/simulated/samples.tsv"))
    if not found:
        raise SystemExit(f"{folder}: no {name}_*/results/{name}/simulated/samples.tsv")
    return found[-1].parent


def measure(
    patients: int,
    cores: int,
    seed: int,
    keep: Path | None,
    simulated: Path | None = None,
    depth: int = 30,
) -> tuple[dict, pd.DataFrame]:
    workdir = Path(tempfile.mkdtemp(prefix=f"scale{patients}_", dir=keep))
    config = cohort_config(patients, seed, depth)
    name = next(iter(config["cohorts"]))
    if simulated is None:
        simulate, _ = run(workdir, config, cores, f"results/{name}/simulated/samples.tsv")
    else:
        target = workdir / "results" / name / "simulated"
        target.parent.mkdir(parents=True)
        shutil.copytree(kept_simulation(simulated, name), target, copy_function=os.link)
        simulate = float("nan")
    logs_before = set((workdir / ".snakemake" / "log").glob("*.log"))
    wall, largest_process_mb = run(workdir, config, cores)
    (log,) = set((workdir / ".snakemake" / "log").glob("*.log")) - logs_before
    jobs = parse_jobs(log, workdir)
    work = jobs[jobs["rule"] != "all"]
    busy = busy_seconds(list(zip(work["start"], work["script_end"], strict=True)))
    steps = (
        work.assign(
            rule=work["rule"].str.replace(rf"_{name}(_\d+)?$", "", regex=True),
            own=work["script_end"] - work["start"],
            bookkeeping=work["finish"] - work["script_end"],
        )
        .groupby("rule")
        .agg(
            jobs=("own", "size"),
            own_s=("own", "sum"),
            bookkeeping_s=("bookkeeping", "sum"),
            peak_mb=("peak_mb", "max"),
        )
        .reset_index()
        .assign(patients=patients)
    )
    row = {
        "patients": patients,
        "normals": 40,
        "depth": depth,
        "simulate_s": round(simulate, 1),
        "wall_s": round(wall, 1),
        "s_per_patient": round(wall / patients, 3),
        "jobs": len(work),
        "overhead_share": round(1 - busy / wall, 3),
        "largest_job_mb": round(work["peak_mb"].max()),
        "largest_process_mb": round(largest_process_mb),
    }
    if keep is None:
        shutil.rmtree(workdir)
    return row, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 688])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument(
        "--depth", type=int, default=30, help="DNA depth; lower it to reach larger cohorts sooner"
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/cohort_scale.tsv")
    parser.add_argument("--keep", type=Path, help="keep the run folders under this folder")
    parser.add_argument(
        "--simulated", type=Path, help="take the simulated cohorts from a folder kept by --keep"
    )
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows, steps = [], []
    for size in args.sizes:
        row, step = measure(size, args.cores, args.seed, args.keep, args.simulated, args.depth)
        rows.append(row)
        steps.append(step)
        # written after every size, so a long run that is stopped keeps what it measured
        table, by_step = pd.DataFrame(rows), pd.concat(steps).round(1)
        table.to_csv(args.out, sep="\t", index=False)
        by_step.to_csv(args.out.with_name(args.out.stem + "_steps.tsv"), sep="\t", index=False)
        print(pd.DataFrame([row]).to_string(index=False), flush=True)
    print(table.to_string(index=False))
    print(by_step.to_string(index=False))


if __name__ == "__main__":
    main()

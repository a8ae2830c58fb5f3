"""Time R cmprsk (crr, cuminc) against ikaros.competing_risks on the same simulated data.

For each n (default 1,000 / 5,000 / 20,000; 5 covariates, 3 groups, 2 causes, ~30 % censored)
the data are written once, R times ``crr`` (with its default sandwich variance) and ``cuminc``
(curves and Gray's test) and Gray's test alone (cmprsk's Fortran ``crstm``, which ``cuminc``
calls per cause) with ``system.time``, and Python times ``fine_gray``, ``cuminc`` and
``gray_test``. Both sides report, per function, the best over ``--repeats`` batches of the mean
wall time and CPU time (user + system) per call in a batch of ``--calls`` calls (scaled by 5,000
/ n; ``crr`` runs once), so neither includes interpreter start-up; each side is measured
``--rounds`` times, alternating which goes first, and its best counts, as the load of a shared
machine changes over seconds; on a busy machine the CPU-time ratio is the steadier one. It also
times one Newton step (likelihood, score and information) of ``fine_gray`` at growing n to show
the per-step cost grows like n (log n), and checks the two fits agree. R calls slower than
``--r-timeout`` seconds are reported as not finished. Last, the start-up each side pays once per
process: a fresh interpreter that loads the library and runs one small ``cuminc`` (Python:
numba's compiled kernels read from its cache, after a warm-up run has written it; R:
``library(cmprsk)``).

Usage: python benchmarks/bench_competing_risks.py [--sizes 1000 5000 20000] [--r-timeout 900]
       [--functions crr cuminc gray] [--repeats 5] [--calls 50] [--rounds 3]
       [--step-sizes 5000 20000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from ikaros.competing_risks import cuminc, fine_gray, gray_test  # noqa: E402
from ikaros.competing_risks._censoring import censoring_weights  # noqa: E402
from ikaros.competing_risks._fg_likelihood import FixedDesign, SortedData  # noqa: E402

R_TIMER = r"""
suppressMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
X <- as.matrix(d[, paste0("x", 1:5)])
what <- args[2]
batches <- as.integer(args[3])
calls <- as.integer(args[4])
# Gray's test alone: cmprsk has no such entry point, so call the Fortran routine that cuminc
# calls once per cause (crstm) on time-sorted data, one stratum, rho = 0.
gray_only <- function(ftime, fstatus, group) {
  o <- order(ftime)
  ftime <- as.double(ftime[o]); fstatus <- fstatus[o]
  g <- as.integer(factor(group[o])); ng <- max(g); no <- length(ftime)
  causes <- sort(unique(fstatus[fstatus != 0]))
  stat <- double(length(causes))
  for (ii in seq_along(causes)) {
    code <- as.integer(ifelse(fstatus == 0, 0L, ifelse(fstatus == causes[ii], 1L, 2L)))
    z <- .Fortran("crstm", ftime, code, g, rep(1L, no), as.integer(no), 0, 1L,
      as.integer(ng), s = double(ng - 1), v = matrix(0, ng - 1, ng - 1), ftime, code, g,
      double(ng * (ng - 1) / 2), double(ng - 1), double(ng * (ng - 1) / 2),
      double((4 + 3 * ng) * ng), integer(4 * ng), PACKAGE = "cmprsk")
    stat[ii] <- drop(z$s %*% solve(z$v, z$s))
  }
  stat
}
run <- switch(what,
  crr = function() crr(d$time, d$status, X)$coef,
  cuminc = function() cuminc(d$time, d$status, d$group)$Tests[, "stat"],
  gray = function() gray_only(d$time, d$status, d$group)
)
# Best over batches of the mean time per call within a batch: wall (elapsed) and CPU
# (user + system, which a busy machine does not inflate); system.time has 1-10 ms steps.
best <- c(Inf, Inf)
for (b in seq_len(batches)) {
  tm <- system.time(for (i in seq_len(calls)) out <- run())
  best <- pmin(best, c(tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]]) / calls)
}
cat(sprintf("%.6g %.6g %s\n", best[1], best[2], paste(sprintf("%.17g", out), collapse = " ")))
"""


FUNCTION_NAMES = {"crr": "crr / fine_gray", "cuminc": "cuminc + Gray", "gray": "Gray's test alone"}


def simulate(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [
            rng.normal(size=n),
            rng.integers(0, 2, n),
            rng.normal(size=n),
            rng.uniform(0, 1, n),
            rng.integers(0, 2, n),
        ]
    )
    group = rng.integers(0, 3, n)
    rate = 0.05 * np.exp(x @ np.array([0.3, -0.4, 0.2, 0.5, 0.0]) + 0.2 * group)
    t = rng.exponential(1 / rate)
    c = rng.uniform(5, 80, n)
    cause = np.where(rng.uniform(size=n) < 0.55, 1, 2)
    frame = pd.DataFrame({"time": np.round(np.minimum(t, c), 3), "group": group})
    frame["status"] = np.where(t <= c, cause, 0)
    for k in range(5):
        frame[f"x{k + 1}"] = x[:, k]
    return frame


def time_r(csv: Path, script: Path, what: str, timeout: float, batches: int, calls: int):
    try:
        proc = subprocess.run(
            ["Rscript", str(script), str(csv), what, str(batches), str(calls)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, None, None
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    fields = proc.stdout.split()
    return float(fields[0]), float(fields[1]), np.array([float(v) for v in fields[2:]])


def best_of(fn, repeats: int, calls: int = 1) -> tuple[float, float, object]:
    """Best over ``repeats`` batches of the mean wall and CPU time per call (as in R)."""
    best_wall, best_cpu, value = np.inf, np.inf, None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            value = fn()
        best_wall = min(best_wall, (time.perf_counter() - wall) / calls)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / calls)
    return best_wall, best_cpu, value


def newton_step_seconds(frame: pd.DataFrame, repeats: int) -> float:
    """One evaluation of f, score and information (the cost of a Newton step)."""
    order = np.argsort(frame.time.to_numpy(), kind="stable")
    t = frame.time.to_numpy()[order]
    s = frame.status.to_numpy()[order]
    kind = np.where(s == 1, 1, np.where(s == 0, 0, 2))
    cg = np.zeros(len(t), dtype=np.int64)
    data = SortedData.build(t, kind, cg, 1, censoring_weights(t, kind == 0, cg, 1))
    x = frame[[f"x{k + 1}" for k in range(5)]].to_numpy()[order]
    design = FixedDesign(data, x - x.mean(axis=0))
    beta = np.full(5, 0.1)
    return best_of(lambda: design.moments(beta), repeats)[0]


STARTUP_PY = (
    "import numpy as np; from ikaros.competing_risks import cuminc; "
    "cuminc(np.arange(1.0, 9.0), np.array([1, 2, 0, 1, 1, 2, 0, 1]), np.arange(8) % 2)"
)
STARTUP_R = (
    "suppressMessages(library(cmprsk)); "
    "invisible(cuminc(1:8, c(1, 2, 0, 1, 1, 2, 0, 1), (0:7) %% 2))"
)


def startup_seconds(repeats: int) -> tuple[float, float]:
    """Best wall time of a fresh process loading the library and running one small cuminc."""
    commands = ([sys.executable, "-c", STARTUP_PY], ["Rscript", "-e", STARTUP_R])
    subprocess.run(commands[0], check=True)  # writes numba's cache if it is not there yet
    best = []
    for command in commands:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        best.append(min(times))
    return best[0], best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--functions", nargs="+", default=list(FUNCTION_NAMES))
    parser.add_argument("--repeats", type=int, default=5, help="batches; the best one counts")
    parser.add_argument(
        "--calls", type=int, default=50, help="cuminc/Gray calls per batch at n = 5,000"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="times each side is measured; the best counts"
    )
    parser.add_argument("--r-timeout", type=float, default=900.0)
    parser.add_argument("--step-sizes", type=int, nargs="+", default=[5000, 20000, 80000, 320000])
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "timer.R"
        script.write_text(R_TIMER)
        for n in args.sizes:
            frame = simulate(n)
            csv = Path(tmp) / f"n{n}.csv"
            frame.to_csv(csv, index=False, float_format="%.17g")
            x = frame[[f"x{k + 1}" for k in range(5)]]
            calls = max(1, args.calls * 5000 // n)  # about the same work per batch at every n
            ours = {
                "crr": lambda f=frame, x=x: fine_gray(f.time, f.status, x).coef,
                "cuminc": lambda f=frame: cuminc(f.time, f.status, f.group).tests.statistic,
                "gray": lambda f=frame: gray_test(f.time, f.status, f.group).statistic,
            }
            for what in args.functions:
                batches, per_batch = (1, 1) if what == "crr" else (args.repeats, calls)
                ours[what]()  # loads the compiled kernels (R's side loads cmprsk before timing)
                ours_s = ours_cpu = r_s = r_cpu = np.inf
                r_values = None
                for round_ in range(1 if what == "crr" else args.rounds):
                    # Odd rounds time R first, so that neither side always follows the other.
                    for side in ("ours", "R") if round_ % 2 == 0 else ("R", "ours"):
                        if side == "R" and r_s is None:
                            continue  # R did not finish in an earlier round: not again
                        if side == "ours":
                            wall, cpu, value = best_of(ours[what], args.repeats, per_batch)
                            ours_s, ours_cpu = min(ours_s, wall), min(ours_cpu, cpu)
                            continue
                        wall, cpu, r_values = time_r(
                            csv, script, what, args.r_timeout, batches, per_batch
                        )
                        if wall is None:
                            r_s = r_cpu = None
                            continue
                        r_s, r_cpu = min(r_s, wall), min(r_cpu, cpu)
                diff = (
                    np.max(np.abs(np.asarray(value) - r_values)) if r_values is not None else np.nan
                )
                rows.append(
                    {
                        "function": FUNCTION_NAMES[what],
                        "n": n,
                        "R_seconds": r_s,
                        "ours_seconds": ours_s,
                        "ratio_R_over_ours": r_s / ours_s if r_s is not None else np.nan,
                        "R_cpu": r_cpu,
                        "ours_cpu": ours_cpu,
                        "cpu_ratio": r_cpu / ours_cpu if r_cpu is not None else np.nan,
                        "max_abs_diff": diff,
                    }
                )
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.float_format", "{:.4g}".format):
        print("\nR cmprsk vs ikaros.competing_risks (5 covariates, 3 groups, 2 causes)")
        print(table.to_string(index=False))

    steps = []
    for n in args.step_sizes:
        sec = newton_step_seconds(simulate(n, seed=11), args.repeats)
        steps.append({"n": n, "step_seconds": sec, "us_per_n_log_n": 1e6 * sec / (n * np.log(n))})
    with pd.option_context("display.float_format", "{:.4g}".format):
        print("\nfine_gray: one Newton step (f, score, information)")
        print(pd.DataFrame(steps).to_string(index=False))

    python_s, r_s = startup_seconds(args.repeats)
    print(
        f"\nstart-up (fresh process, library loaded, one small cuminc): ikaros {python_s:.2f} s,"
        f" R cmprsk {r_s:.2f} s"
    )


if __name__ == "__main__":
    main()

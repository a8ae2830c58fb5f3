"""Coverage of Fine-Gray 95% confidence intervals on cohorts simulated with known sHRs.

Each replicate draws a cohort like the reference study (default 688 patients) with
``ikaros.outcome_simulation.simulate_cohort`` (covariates, then outcomes from a Fine-Gray model
whose true log-sHRs are ``OutcomeModel().coefficients``), fits the correctly specified model with
``ikaros.competing_risks.fine_gray`` (cmprsk crr algorithm, sandwich variance) and records
whether coef +- 1.96 SE covers each true coefficient. It prints the coverage per coefficient with
its Monte-Carlo standard error, the mean estimate and SE against the SD of the estimates, and
exits non-zero when any coverage falls outside [93%, 97%] (issue 6 acceptance).

With R replicates the Monte-Carlo SE of a 95% coverage is sqrt(0.95 x 0.05 / R): 1.5 points at
R = 200, 0.7 at R = 1000 (the default), so use at least 1000 to judge the 93-97% band.

Usage: python benchmarks/bench_finegray_ci_coverage.py [--cohorts 1000] [--patients 688]
       [--seed 1] [--low 0.93] [--high 0.97]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from ikaros.competing_risks import CompetingRisksInputError, fine_gray  # noqa: E402
from ikaros.outcome_simulation import (  # noqa: E402
    TERMS,
    OutcomeModel,
    model_design,
    simulate_cohort,
)

STATUS = {"relapse": 1, "death_in_remission": 2, "second_malignancy": 2, "censored": 0}


def replicate(seed: int, patients: int, model: OutcomeModel):
    cohort = simulate_cohort(patients, seed=seed, model=model)
    status = cohort["event"].map(STATUS).to_numpy()
    fit = fine_gray(cohort["followup_years"].to_numpy(), status, model_design(cohort))
    return fit, int((status == 1).sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", type=int, default=1000)
    parser.add_argument("--patients", type=int, default=688)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--low", type=float, default=0.93)
    parser.add_argument("--high", type=float, default=0.97)
    args = parser.parse_args()
    if args.cohorts < 200:
        parser.error("--cohorts: at least 200 cohorts")
    model = OutcomeModel()
    truth = model.coefficients.to_numpy()
    z = norm.ppf(0.975)
    covered, estimates, ses, events = [], [], [], []
    not_converged = failed = 0
    start = time.perf_counter()
    for r in range(args.cohorts):
        try:
            fit, n_events = replicate(args.seed * 1_000_003 + r, args.patients, model)
        except CompetingRisksInputError:
            failed += 1
            continue
        if not fit.converged:
            not_converged += 1
        covered.append(np.abs(fit.coef - truth) <= z * fit.se)
        estimates.append(fit.coef)
        ses.append(fit.se)
        events.append(n_events)
    elapsed = time.perf_counter() - start
    covered, estimates, ses = np.array(covered), np.array(estimates), np.array(ses)
    n = len(covered)
    rate = covered.mean(axis=0)
    table = pd.DataFrame(
        {
            "term": TERMS,
            "true_coef": truth,
            "true_shr": np.exp(truth),
            "mean_coef": estimates.mean(axis=0),
            "sd_coef": estimates.std(axis=0, ddof=1),
            "mean_se": ses.mean(axis=0),
            "coverage": rate,
            "mc_se": np.sqrt(rate * (1 - rate) / n),
        }
    )
    print(
        f"{n} cohorts of {args.patients} patients (seed {args.seed}); relapses per cohort: "
        f"median {np.median(events):.0f} (range {min(events)}-{max(events)}); "
        f"{not_converged} fits not converged (kept), {failed} not fitted; {elapsed:.1f} s"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    pooled = covered.mean()
    print(f"pooled coverage over {len(TERMS)} coefficients: {pooled:.4f}")
    outside = table[(table["coverage"] < args.low) | (table["coverage"] > args.high)]
    if len(outside):
        print(f"coverage outside [{args.low}, {args.high}] for: {', '.join(outside['term'])}")
        return 1
    print(f"all coverages within [{args.low}, {args.high}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())

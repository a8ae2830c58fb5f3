"""The workflow on a real SLURM scheduler (slurmctld + slurmd on this node, `.ci/slurm.sh`).

The mini cohort runs through `profiles/slurm` as a user would run it: the profile copied and
given this cluster's partition and status command; its tumours are called in three batches
(one in the local run), which must not change a byte. One job is cancelled with `scancel`
while it runs; the run stops naming it, keeps everything computed before it, and the same
command finishes the cohort with every table and figure equal to the local run's.
`.ci/run` starts the cluster and sets IKAROS_SLURM=1; elsewhere the test is skipped.
"""

import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from conftest import MINI, REPO

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]

if os.environ.get("IKAROS_SLURM") != "1":
    pytest.skip(
        "no SLURM cluster: run `.ci/slurm.sh start` and set IKAROS_SLURM=1",
        allow_module_level=True,
    )

CANCELLED_RULE = "call_copy_number_mini_1"


def cluster_profile(folder):
    """profiles/slurm with this cluster's settings, as the README tells users to edit it."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    profile["default-resources"].update(slurm_partition="main")
    profile["default-resources"].pop("slurm_account")
    profile.update({
        "slurm-no-account": True,  # the test cluster has no accounting database
        "slurm-status-command": "squeue",  # nor sacct answers without one
        "slurm-init-seconds-before-status-checks": 1,
        "seconds-between-status-checks": 2,
        "slurm-keep-successful-logs": True,
        "jobs": 2,
        "retries": 0,  # a cancelled job stops the run, as a killed one would on a cluster
    })  # fmt: skip
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return folder


def queued_jobs():
    """{job id: (state, comment)} of the jobs in the queue; the plugin's comment names the rule."""
    listing = subprocess.run(["squeue", "-h", "-o", "%i|%T|%k"], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    jobs = {}
    for line in listing.splitlines():
        job_id, state, comment = line.split("|", 2)
        jobs[job_id] = (state, comment)
    return jobs


def test_a_cohort_on_slurm_recovers_from_a_cancelled_job_to_the_local_results(mini_run, tmp_path):
    assert shutil.which("sbatch"), "IKAROS_SLURM=1 but sbatch is not on the PATH"
    assert subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0, "no cluster"
    workdir = tmp_path / "run"
    workdir.mkdir()
    # three copy-number batches of two tumours here, one batch of five in the local run
    config = {**MINI, "copy_number": {"tumours_per_job": 2}}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    profile = cluster_profile(tmp_path / "profile")
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
               "--profile", str(profile)]  # fmt: skip
    env = dict(os.environ, PYTHONHASHSEED="0")

    with (tmp_path / "first.out").open("w") as out:
        run = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        cancelled = None
        deadline = time.monotonic() + 900
        while run.poll() is None and cancelled is None:
            assert time.monotonic() < deadline, "the copy-number job never ran"
            for job_id, (state, comment) in queued_jobs().items():
                if state == "RUNNING" and comment == f"rule_{CANCELLED_RULE}":
                    subprocess.run(["scancel", job_id], check=True)
                    cancelled = job_id
            time.sleep(0.2)
        first_code = run.wait(timeout=600)
    first = (tmp_path / "first.out").read_text()
    assert cancelled, "the run ended before its copy-number job could be cancelled\n" + first
    assert first_code != 0, first
    assert f"Error in rule {CANCELLED_RULE}" in first and "CANCELLED" in first, first
    assert f"SLURM jobid {cancelled}" in first

    # nothing computed before the cancelled job is lost
    results = workdir / "results" / "mini"
    coverage = sorted((results / "coverage").glob("*.tsv"))
    assert len(coverage) == 10
    stamps = {path: path.stat().st_mtime_ns for path in coverage}
    assert not (results / "patients.tsv").exists()

    rerun = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    log = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, log
    assert f"rule {CANCELLED_RULE}:" in log and "rule count_coverage" not in log, log
    assert {path: path.stat().st_mtime_ns for path in coverage} == stamps

    # every checked table, SEG and figure equals the local run's
    checksums = mini_run / "results" / "mini" / "provenance" / "checksums.sha256"
    assert len(checksums.read_text().splitlines()) > 100
    check = subprocess.run(["sha256sum", "--check", "--quiet", str(checksums)], cwd=workdir,
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    # the jobs ran as SLURM jobs, each with its log
    logs = list((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert any(CANCELLED_RULE in str(path) for path in logs) and len(logs) >= 10

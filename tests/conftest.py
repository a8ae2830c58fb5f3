"""Shared test helpers: running the workflow in a scratch directory."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

# The small simulated cohort that the end-to-end tests run (6 patients, 3 panel normals).
MINI = {
    "cohorts": {
        "mini": {
            "build": "GRCh38",
            "simulate": {
                "seed": 314,
                "patients": 6,
                "panel_normals": 3,
                "matched_normals": 2,
                "depth": 20,
                "ikzf1_rate": 0.5,
                "rna_fraction": 0.5,
                "rna_only_fraction": 0.34,
            },
        }
    }
}


def run_snakemake(workdir, config, *args, timeout=900, extra_env=None):
    """Run the repository's Snakefile in `workdir` with `config`; return the CompletedProcess."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(config_path),
        *args,
    ]
    env = dict(os.environ, PYTHONHASHSEED="0", **(extra_env or {}))
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def snakemake_runner():
    return run_snakemake


@pytest.fixture(scope="session")
def mini_run(tmp_path_factory):
    """The mini cohort run locally on 2 cores: the reference for reruns elsewhere."""
    workdir = tmp_path_factory.mktemp("mini")
    result = run_snakemake(workdir, MINI, "--cores", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir

"""Shared test helpers: running the workflow in a scratch directory."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


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

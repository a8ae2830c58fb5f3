"""Where results come from: file digests, the git commit of the workflow, the installed
package versions and the config's seeds (recorded by the report and the provenance bundle,
``ikaros.bundle``).
"""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit(repo_dir: str | Path) -> dict:
    """HEAD commit and whether the tree has local changes; None when not a git checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo_dir), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True, timeout=20,
        ).stdout.strip()  # fmt: skip
        status = subprocess.run(
            ["git", "-C", str(repo_dir), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=20,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "modified": None}
    return {"commit": head, "modified": bool(status.strip())}


def installed_versions() -> dict[str, str]:
    """Every distribution installed in this Python environment, name -> version."""
    versions = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions[name.lower()] = dist.version
    return dict(sorted(versions.items()))


def seeds(config: dict, prefix: str = "") -> dict[str, object]:
    """Every `seed` key of the config, by its dotted path."""
    found = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            found.update(seeds(value, f"{path}."))
        elif key == "seed":
            found[path] = value
    return found


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None

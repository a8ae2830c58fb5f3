"""Every rule's conda environment lists python and every package its script imports.

The imports are followed through the ikaros library, so a module that starts using scipy
makes every environment whose scripts reach it fail here until scipy is added.
"""

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"

# Import name -> conda package name, where they differ.
CONDA_NAMES = {"allel": "scikit-allel", "yaml": "pyyaml", "sklearn": "scikit-learn"}

# Named rules at the top level, and anonymous rules (named by a `name:` directive) in loops.
RULE = re.compile(
    r"^(?P<indent>[ \t]*)(?:rule|checkpoint)(?: (?P<name>\w+))?:\n"
    r"(?P<body>(?:(?P=indent)[ \t]+.*\n|\n)*)",
    re.MULTILINE,
)
DIRECTIVE = r"^[ \t]+{}:\s*\n[ \t]+f?\"([^\"]+)\""


def rules_with_scripts():
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for match in RULE.finditer(smk.read_text()):
            body = match.group("body")
            name = match.group("name") or re.search(DIRECTIVE.format("name"), body, re.M).group(1)
            script = re.search(DIRECTIVE.format("script"), body, re.MULTILINE)
            if script is None:
                continue
            conda = re.search(DIRECTIVE.format("conda"), body, re.MULTILINE)
            yield pytest.param(
                smk.parent / script.group(1),
                smk.parent / conda.group(1) if conda else None,
                id=f"{smk.name}:{name}",
            )


def third_party_imports(path, seen=None):
    """Top-level third-party modules imported by a file and the ikaros modules it reaches."""
    seen = set() if seen is None else seen
    if path in seen:
        return set()
    seen.add(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top == "ikaros":
                for candidate in (SCRIPTS / f"{name.replace('.', '/')}.py",
                                  SCRIPTS / name.replace(".", "/") / "__init__.py"):  # fmt: skip
                    if candidate.is_file():
                        found |= third_party_imports(candidate, seen)
                package_init = SCRIPTS / "ikaros" / "__init__.py"
                found |= third_party_imports(package_init, seen)
            elif (SCRIPTS / f"{top}.py").is_file():  # a module beside the scripts
                found |= third_party_imports(SCRIPTS / f"{top}.py", seen)
            elif top not in sys.stdlib_module_names and top != "snakemake":
                found.add(top)
    return found


def env_packages(env_file):
    dependencies = yaml.safe_load(env_file.read_text())["dependencies"]
    names = set()
    for entry in dependencies:
        if isinstance(entry, str):
            names.add(re.split(r"[ =<>]", entry.strip())[0].lower())
        elif isinstance(entry, dict) and "pip" in entry:
            names |= {re.split(r"[ =<>]", e.strip())[0].lower() for e in entry["pip"]}
    return names


@pytest.mark.parametrize(("script", "env_file"), list(rules_with_scripts()))
def test_environment_covers_script_imports(script, env_file):
    assert env_file is not None, f"rule running {script.name} has no conda environment"
    assert script.is_file(), f"{script} does not exist"
    packages = env_packages(env_file)
    assert "python" in packages, f"{env_file.name} does not list python"
    needed = {CONDA_NAMES.get(name, name).lower() for name in third_party_imports(script)}
    missing = sorted(needed - packages)
    assert not missing, f"{env_file.name} lacks {missing} imported by {script.name}"


def test_every_environment_pins_its_packages():
    for env_file in sorted((REPO / "envs").glob("*.yaml")):
        for entry in yaml.safe_load(env_file.read_text())["dependencies"]:
            if isinstance(entry, str):
                assert "=" in entry, f"{env_file.name}: {entry!r} is not pinned"

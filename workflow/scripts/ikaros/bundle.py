"""A cohort's provenance bundle: what a reviewer needs to rerun the cohort and check its numbers.

``results/{cohort}/provenance/`` holds

- ``config.yaml``: the merged config reduced to the cohort (and the cohort it validates or is
  validated by), its sheet and table paths pointing into the bundle;
- ``samples.tsv``, ``clinical.tsv``: the sheets, data paths rewritten: small tables (SEG, CNVkit,
  gene counts, fusions, classifier calls, a custom panel) to their copies in ``inputs/``;
  BAM/CRAM/VCF and the reference FASTA to absolute paths (they are recorded, not copied);
- ``inputs/``: those copies; ``resources/``: the workflow's resource tables of the build;
- ``large_files.tsv``: each BAM/CRAM/VCF/FASTA with its size, the SHA-256 of its header (the
  whole file for a FASTA index), its index, the index's size and modification time (UTC);
- ``versions.json``: Python, every installed distribution, the ikaros version, the git commit
  with a flag for local changes, and the seeds of the config;
- ``checksums.sha256``: the result tables and figures, relative to the working directory,
  in the format of ``sha256sum -c``;
- ``reproduce.sh``: reruns the cohort from the bundle in a new directory and checks them.

Nothing here depends on the time of the run, so a rerun writes the same bundle, except for
paths when it runs elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shlex
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from ikaros.provenance import file_digest, git_commit, installed_versions, package_version, seeds

# sheet columns that hold small tables (copied) and large files (recorded)
COPIED_COLUMNS = ("cnvkit_cns", "cnvkit_cnr", "rna_counts", "fusions", "classifier_calls")
RECORDED_COLUMNS = ("dna_bam", "rna_bam", "vcf", "rna_vcf")
# cohort-level config keys: copied tables and recorded files
COPIED_KEYS = ("seg", "classifier_calls", "panel")
RECORDED_KEYS = ("reference_fasta",)
CHECKED_SUFFIXES = (".tsv", ".seg", ".png")
LARGE_FILE_COLUMNS = (
    "what", "path", "size_bytes", "header_sha256", "index", "index_size_bytes", "index_mtime_utc",
)  # fmt: skip
INDEX_SUFFIXES = (".bai", ".csi", ".crai", ".tbi", ".fai")


def _header_digest(path: Path) -> str:
    """SHA-256 of an alignment or variant file's header text (the whole file for others)."""
    import pysam

    name = path.name
    if name.endswith((".bam", ".cram")):
        with pysam.AlignmentFile(str(path), check_sq=False) as handle:
            text = str(handle.header)
    elif name.endswith((".vcf.gz", ".bcf", ".vcf")):
        with pysam.VariantFile(str(path)) as handle:
            text = str(handle.header)
    else:
        return file_digest(path)
    return hashlib.sha256(text.encode()).hexdigest()


def _index_of(path: Path) -> Path | None:
    for suffix in INDEX_SUFFIXES:
        for candidate in (Path(f"{path}{suffix}"), path.with_suffix(suffix)):
            if candidate.is_file():
                return candidate
    return None


def large_file_record(what: str, path: Path) -> dict:
    index = _index_of(path)
    stamp = (
        datetime.fromtimestamp(index.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if index
        else ""
    )
    return {
        "what": what,
        "path": str(path),
        "size_bytes": path.stat().st_size,
        "header_sha256": _header_digest(path),
        "index": str(index) if index else "",
        "index_size_bytes": index.stat().st_size if index else "",
        "index_mtime_utc": stamp,
    }


def _resolve(path: str, workdir: Path) -> Path:
    """A sheet or config path as the run read it (relative to its working directory)."""
    candidate = Path(path)
    return (candidate if candidate.is_absolute() else workdir / candidate).resolve()


def _read_text_sheet(path: Path) -> pd.DataFrame:
    """A sheet cell for cell as text (BOM dropped), so the copy differs only where rewritten."""
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8-sig",
                       comment="#")  # fmt: skip


def _copy_input(source: Path, inputs_dir: Path, name: str) -> str:
    """Copy a small input table into the bundle; returns its path as the rerun sees it."""
    inputs_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, inputs_dir / name)
    return f"bundle/inputs/{name}"


def _bundle_sheet(
    sheet: pd.DataFrame, workdir: Path, inputs_dir: Path, large: list
) -> pd.DataFrame:
    """The samples sheet with its data paths rewritten for the rerun (see module docstring)."""
    sheet = sheet.copy()
    for column in (*COPIED_COLUMNS, *RECORDED_COLUMNS):
        if column not in sheet.columns:
            continue
        for position, value in enumerate(sheet[column]):
            if not value.strip():
                continue
            source = _resolve(value.strip(), workdir)
            sample_id = sheet["sample_id"].iloc[position]
            if column in COPIED_COLUMNS:
                new = _copy_input(source, inputs_dir, f"{sample_id}.{column}.{source.name}")
            else:
                large.append(large_file_record(f"{sample_id} {column}", source))
                new = str(source)
            sheet.iloc[position, sheet.columns.get_loc(column)] = new
    return sheet


def _write_tsv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep="\t", index=False, lineterminator="\n")


def write_bundle(
    outdir: str | Path,
    cohort: str,
    config: dict,
    repo_dir: str | Path,
    workdir: str | Path = ".",
    sheets: dict | None = None,
) -> dict:
    """Write the bundle of `cohort` (see module docstring); returns the versions record.

    `sheets` maps samples/clinical to the sheets the run read (for a simulated cohort, the
    simulator's; they are copied for the record, the rerun simulates them again).
    """
    outdir, workdir, repo_dir = Path(outdir), Path(workdir).resolve(), Path(repo_dir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    settings = dict(config["cohorts"][cohort])
    build = settings["build"]
    inputs_dir = outdir / "inputs"
    large: list[dict] = []

    sheets = dict(sheets or {})
    if "simulate" not in settings:
        sheets = {"samples": settings["samples"], "clinical": settings["clinical"]}
    for kind, path in sheets.items():
        source = _resolve(str(path), workdir)
        if kind == "samples" and "simulate" not in settings:
            _write_tsv(_bundle_sheet(_read_text_sheet(source), workdir, inputs_dir, large),
                       outdir / "samples.tsv")  # fmt: skip
        else:
            shutil.copyfile(source, outdir / f"{kind}.tsv")
        if "simulate" not in settings:
            settings[kind] = f"bundle/{kind}.tsv"
    for key in COPIED_KEYS:
        if settings.get(key):
            source = _resolve(str(settings[key]), workdir)
            settings[key] = _copy_input(source, inputs_dir, f"{key}.{source.name}")
    for key in RECORDED_KEYS:
        if settings.get(key):
            source = _resolve(str(settings[key]), workdir)
            large.append(large_file_record(key, source))
            settings[key] = str(source)
    _write_tsv(pd.DataFrame(large, columns=list(LARGE_FILE_COLUMNS)), outdir / "large_files.tsv")

    resources = outdir / "resources"
    resources.mkdir(exist_ok=True)
    other_builds = {"GRCh37", "GRCh38"} - {build}
    for table in sorted((repo_dir / "resources").glob("*.tsv")):
        if not any(table.stem.endswith(f"_{other}") for other in other_builds):
            shutil.copyfile(table, resources / table.name)

    partner = _validation_partner(config, cohort)
    bundle_config = {key: value for key, value in config.items() if key != "cohorts"}
    bundle_config["cohorts"] = {cohort: settings}
    if partner:
        bundle_config["cohorts"][partner] = config["cohorts"][partner]
    (outdir / "config.yaml").write_text(yaml.safe_dump(bundle_config, sort_keys=False))

    record = {
        "cohort": cohort,
        "python": platform.python_version(),
        "ikaros": package_version("ikaros"),
        "git": git_commit(repo_dir),
        "workflow_dir": str(repo_dir),
        "seeds": seeds(config),
        "packages": installed_versions(),
    }
    (outdir / "versions.json").write_text(json.dumps(record, indent=2) + "\n")

    results = workdir / "results" / cohort
    checked = sorted(
        path.relative_to(workdir)
        for path in results.rglob("*")
        if path.suffix in CHECKED_SUFFIXES
        and path.is_file()
        and (outdir.resolve() not in path.resolve().parents)
    )
    (outdir / "checksums.sha256").write_text(
        "".join(f"{file_digest(workdir / path)}  {path}\n" for path in checked)
    )
    targets = [f"results/{cohort}/report.html", f"results/{cohort}/patients.tsv"]
    # the QC tables feed no other result: named, so that the rerun makes them to be checked
    targets += [str(path.relative_to(workdir)) for path in sorted(results.glob("qc/*.tsv"))]
    (outdir / "reproduce.sh").write_text(_reproduce_script(record, targets))
    (outdir / "reproduce.sh").chmod(0o755)
    return record


def _validation_partner(config: dict, cohort: str) -> str:
    validates = config["cohorts"][cohort].get("validates")
    if validates:
        return validates
    return next((name for name, s in config["cohorts"].items() if s.get("validates") == cohort), "")


def _reproduce_script(record: dict, targets: list[str]) -> str:
    commit = record["git"]["commit"] or "unknown"
    workflow = shlex.quote(record["workflow_dir"])
    return f"""#!/usr/bin/env bash
# Rerun cohort {record["cohort"]} from this bundle and check its tables and figures.
#   bash reproduce.sh [rerun_dir] [cores]
# The workflow is taken from $IKAROS_WORKFLOW, else from where the bundle was made
# ({record["workflow_dir"]}, commit {commit}). BAM/CRAM/VCF files are read where
# large_files.tsv says. Exits non-zero when any table or figure differs.
set -euo pipefail
bundle="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
workflow="${{IKAROS_WORKFLOW:-{workflow}}}"
rerun="${{1:-$PWD/ikaros-rerun-{record["cohort"]}}}"
cores="${{2:-2}}"
commit="$(git -C "$workflow" rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "$commit" != "{commit}" ]; then
    echo "warning: the workflow is at commit $commit; the bundle was made at {commit}" >&2
fi
(cd "$bundle/resources" && for table in *.tsv; do
    cmp -s "$table" "$workflow/resources/$table" ||
        echo "warning: resources/$table of the workflow differs from the bundle's" >&2
done)
mkdir -p "$rerun"
ln -sfn "$bundle" "$rerun/bundle"
python3 -m snakemake --snakefile "$workflow/Snakefile" --directory "$rerun" \\
    --configfile "$bundle/config.yaml" --cores "$cores" {" ".join(targets)}
cd "$rerun"
sha256sum --check --quiet "$bundle/checksums.sha256"
echo "cohort {record["cohort"]}: every checked table and figure is identical"
"""

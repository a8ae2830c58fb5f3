"""Samples and clinical sheets: reading, and the cross-row checks a JSON schema cannot express.

Per-column rules (types, enums, ranges, the safe-name pattern) live in ``config/schemas``
and are applied by the workflow with ``snakemake.utils.validate``. This module reads the
sheets the same way everywhere and checks what needs more than one row or the file system:
unique IDs, tumours with a patient, clinical rows for known patients, and the alignment
files themselves (present, indexed, of the configured build, not empty, CRAMs with a
reference). Every error names the file, the row or sample, the column and what is expected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ikaros.alignment_files import AlignmentFileError, inspect_alignment_file

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
SAMPLE_COLUMNS = ("sample_id", "patient_id", "role", "dna_bam", "blast_percent", "sex")
TEXT_COLUMNS = ("sample_id", "patient_id", "role", "dna_bam", "sex", "protocol", "subtype", "event")


class SheetError(ValueError):
    """A samples or clinical sheet breaks a rule; the message says where and what."""


def read_sheet(path: str | Path) -> pd.DataFrame:
    """Read a tab-separated sheet; only empty cells are missing ("NA" is a value)."""
    path = Path(path)
    if not path.is_file():
        raise SheetError(f"{path}: sheet not found")
    sheet = pd.read_csv(
        path,
        sep="\t",
        dtype={column: str for column in TEXT_COLUMNS},
        keep_default_na=False,
        na_values=[""],
        comment="#",
    )
    sheet.columns = [column.strip() for column in sheet.columns]
    for column in sheet.columns:
        if sheet[column].dtype == object:
            sheet[column] = sheet[column].str.strip()
    return sheet


def _row(sheet: pd.DataFrame, position: int) -> str:
    """Sheet row number as a user counts it in a text editor (header is line 1)."""
    return f"row {position + 2}"


def check_samples(samples: pd.DataFrame, source: str) -> None:
    """Cross-row checks of a samples sheet (after schema validation)."""
    for column in ("sample_id", "role", "dna_bam"):
        if column not in samples.columns:
            raise SheetError(f"{source}: missing column {column!r}")
    for position, sample_id in enumerate(samples["sample_id"]):
        if not isinstance(sample_id, str) or not SAFE_NAME.match(sample_id):
            raise SheetError(
                f"{source}: {_row(samples, position)}, column sample_id: {sample_id!r} is not a "
                "safe name (expected letters, digits, '_', '-', '.'; it becomes a path)"
            )
    duplicated = samples["sample_id"].duplicated(keep="first")
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        sample_id = samples["sample_id"].iloc[position]
        first = int((samples["sample_id"] == sample_id).to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{source}: {_row(samples, position)}, column sample_id: duplicate sample "
            f"{sample_id!r} (first seen in {_row(samples, first)}); sample IDs must be unique"
        )
    roles = samples["role"]
    bad_role = ~roles.isin(["tumor", "normal"])
    if bad_role.any():
        position = int(bad_role.to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{source}: {_row(samples, position)} (sample {samples['sample_id'].iloc[position]}), "
            f"column role: unknown role {roles.iloc[position]!r}; expected 'tumor' or 'normal'"
        )
    patient = (
        samples["patient_id"]
        if "patient_id" in samples.columns
        else pd.Series(pd.NA, index=samples.index)
    )
    orphan = (roles == "tumor") & patient.isna()
    if orphan.any():
        position = int(orphan.to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{source}: {_row(samples, position)} (sample {samples['sample_id'].iloc[position]}), "
            "column patient_id: a tumor sample needs a patient_id"
        )
    tumours_per_patient = samples.loc[roles == "tumor"].groupby(patient[roles == "tumor"]).size()
    repeated = tumours_per_patient[tumours_per_patient > 1]
    if len(repeated):
        raise SheetError(
            f"{source}: column patient_id: patient {repeated.index[0]!r} has "
            f"{int(repeated.iloc[0])} tumor samples; expected one tumor sample per patient"
        )
    normals_per_patient = samples.loc[roles == "normal"].groupby(patient[roles == "normal"]).size()
    repeated = normals_per_patient[normals_per_patient > 1]
    if len(repeated):
        raise SheetError(
            f"{source}: column patient_id: patient {repeated.index[0]!r} has "
            f"{int(repeated.iloc[0])} matched normal samples; expected at most one"
        )
    matched = set(patient[(roles == "normal") & patient.notna()])
    with_tumour = set(patient[roles == "tumor"])
    stray = sorted(matched - with_tumour)
    if stray:
        raise SheetError(
            f"{source}: column patient_id: normal sample(s) of patient {stray[0]!r}, who has no "
            "tumor sample; leave patient_id empty for a panel-of-normals sample"
        )


def check_clinical(clinical: pd.DataFrame, samples: pd.DataFrame, source: str) -> None:
    """One row per patient, and only patients that the samples sheet knows."""
    if "patient_id" not in clinical.columns:
        raise SheetError(f"{source}: missing column 'patient_id'")
    missing = clinical["patient_id"].isna()
    if missing.any():
        position = int(missing.to_numpy().nonzero()[0][0])
        raise SheetError(f"{source}: {_row(clinical, position)}, column patient_id: empty")
    duplicated = clinical["patient_id"].duplicated()
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{source}: {_row(clinical, position)}, column patient_id: duplicate patient "
            f"{clinical['patient_id'].iloc[position]!r}; expected one row per patient"
        )
    known = set(samples.loc[samples["role"] == "tumor", "patient_id"])
    unknown = ~clinical["patient_id"].isin(known)
    if unknown.any():
        position = int(unknown.to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{source}: {_row(clinical, position)}, column patient_id: patient "
            f"{clinical['patient_id'].iloc[position]!r} has no tumor sample in the samples sheet"
        )


def resolve_path(path: str, base_dir: str | Path) -> Path:
    """Relative sheet paths are relative to the working directory the workflow runs in."""
    candidate = Path(path)
    return candidate if candidate.is_absolute() else Path(base_dir) / candidate


def check_alignment_files(
    samples: pd.DataFrame,
    build: str,
    reference_fasta: str | None,
    source: str,
    base_dir: str | Path = ".",
) -> None:
    """Every dna_bam exists, is indexed, has the build's contigs and holds reads.

    Runs at parse time so that a bad file stops the workflow before any job starts.
    """
    for position, record in enumerate(samples.itertuples(index=False)):
        where = f"{source}: {_row(samples, position)} (sample {record.sample_id}), column dna_bam"
        path = resolve_path(record.dna_bam, base_dir)
        is_cram = path.suffix == ".cram"
        if is_cram and not reference_fasta:
            raise SheetError(
                f"{where}: {path} is a CRAM, but the cohort sets no reference_fasta; "
                "give the build's indexed FASTA as `reference_fasta` in the cohort's config"
            )
        try:
            inspect_alignment_file(path, build, reference_fasta if is_cram else None)
        except AlignmentFileError as error:
            raise SheetError(f"{where}: {error}") from None

"""Samples and clinical sheets: reading, and the cross-row checks a JSON schema cannot express.

Per-column rules (types, enums, ranges, the safe-name pattern) live in ``config/schemas``
and are applied by the workflow with ``snakemake.utils.validate``. This module reads the
sheets the same way everywhere and checks what needs more than one row or the file system:
unique IDs, tumours with a patient and some data, clinical rows for known patients, the
alignment files themselves (present, indexed, of the configured build, not empty, CRAMs with
a reference) and the segment files (CNVkit per sample, one SEG per cohort). Every error names
the file, the row or sample, the column and what is expected.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ikaros.alignment_files import AlignmentFileError, inspect_alignment_file
from ikaros.variants.vcf import VcfError, inspect_vcf

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
SAMPLE_COLUMNS = ("sample_id", "patient_id", "role", "dna_bam", "blast_percent", "sex")
# Optional data columns: a tumour needs at least one data source (or rows in the cohort's SEG).
DATA_COLUMNS = (
    "dna_bam", "rna_bam", "cnvkit_cns", "cnvkit_cnr", "rna_counts", "fusions", "classifier_calls",
)  # fmt: skip
ALIGNMENT_COLUMNS = ("dna_bam", "rna_bam")
TEXT_COLUMNS = (
    "sample_id", "patient_id", "role", *DATA_COLUMNS, "sex", "protocol", "subtype", "event",
)  # fmt: skip


class SheetError(ValueError):
    """A samples or clinical sheet breaks a rule; the message says where and what."""


def read_sheet(path: str | Path) -> pd.DataFrame:
    """Read a tab-separated sheet; only empty cells are missing ("NA" is a value)."""
    path = Path(path)
    if not path.is_file():
        raise SheetError(f"{path}: sheet not found")
    try:
        sheet = pd.read_csv(
            path,
            sep="\t",
            dtype={column: str for column in TEXT_COLUMNS},
            keep_default_na=False,
            na_values=[""],
            comment="#",
        )
    except pd.errors.EmptyDataError:  # no header line (0 bytes, or blank lines and a BOM)
        raise SheetError(f"{path}: the sheet is empty; expected a header line and one row per "
                         "sample or patient, tab-separated") from None  # fmt: skip
    if sheet.empty:
        raise SheetError(f"{path}: the sheet has a header but no rows")
    sheet.columns = [column.strip() for column in sheet.columns]
    for column in sheet.columns:
        if sheet[column].dtype == object:
            sheet[column] = sheet[column].str.strip()
    return sheet


def coerce_numeric_columns(
    sheet: pd.DataFrame, columns: list[str], source: str, key_column: str
) -> pd.DataFrame:
    """The sheet with `columns` as numbers, or an error at the first cell that is not one.

    Empty cells, `NA` and `NaN` (as R and pandas write them) are missing values. Done before
    the JSON schema, which would otherwise blame the first row of a column that pandas had to
    read as text because of one bad cell further down.
    """
    sheet = sheet.copy()
    for column in columns:
        if column not in sheet.columns or pd.api.types.is_numeric_dtype(sheet[column]):
            continue
        text = sheet[column].astype("string").str.strip()
        text = text.mask(text.isin(["NA", "NaN", "nan"]))
        numbers = pd.to_numeric(text, errors="coerce")
        bad = numbers.isna() & text.notna()
        if bad.any():
            position = int(bad.to_numpy().nonzero()[0][0])
            key = sheet[key_column].iloc[position] if key_column in sheet.columns else "?"
            raise SheetError(
                f"{source}: {_row(sheet, position)} ({key_column} {key}), column {column}: "
                f"{sheet[column].iloc[position]!r} is not a number (expected a number, or an "
                "empty cell or NA when unknown)"
            )
        sheet[column] = numbers.astype(float)
    return sheet


def _row(sheet: pd.DataFrame, position: int) -> str:
    """Sheet row number as a user counts it in a text editor (header is line 1)."""
    return f"row {position + 2}"


def data_column(samples: pd.DataFrame, column: str) -> pd.Series:
    """A data column of the sheet, all missing when the sheet does not have it."""
    if column in samples.columns:
        return samples[column]
    return pd.Series(pd.NA, index=samples.index, dtype=object)


def check_samples(
    samples: pd.DataFrame, source: str, seg_samples: frozenset[str] = frozenset()
) -> None:
    """Cross-row checks of a samples sheet (after schema validation).

    `seg_samples` are the sample IDs that have rows in the cohort's SEG file: data too.
    """
    for column in ("sample_id", "role"):
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
    _check_data_sources(samples, source, seg_samples)
    matched = set(patient[(roles == "normal") & patient.notna()])
    with_tumour = set(patient[roles == "tumor"])
    stray = sorted(matched - with_tumour)
    if stray:
        raise SheetError(
            f"{source}: column patient_id: normal sample(s) of patient {stray[0]!r}, who has no "
            "tumor sample; leave patient_id empty for a panel-of-normals sample"
        )


def _check_data_sources(samples: pd.DataFrame, source: str, seg_samples: frozenset[str]) -> None:
    """Normals need a DNA BAM (they feed the reference); tumours need some data; a CNVkit
    .cnr only comes with its .cns."""
    roles = samples["role"]
    dna = data_column(samples, "dna_bam")
    no_dna_normal = (roles == "normal") & dna.isna()
    if no_dna_normal.any():
        position = int(no_dna_normal.to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{source}: {_row(samples, position)} (sample {samples['sample_id'].iloc[position]}), "
            "column dna_bam: a normal sample needs a dna_bam (normals make the copy-number "
            "reference)"
        )
    has_data = samples["sample_id"].isin(seg_samples)
    for column in DATA_COLUMNS:
        has_data |= data_column(samples, column).notna()
    no_data = (roles == "tumor") & ~has_data
    if no_data.any():
        position = int(no_data.to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{source}: {_row(samples, position)} (sample {samples['sample_id'].iloc[position]}), "
            "columns dna_bam, rna_bam, cnvkit_cns, rna_counts, fusions, classifier_calls: a "
            "tumor sample needs at least one of them (or rows in the cohort's SEG file)"
        )
    orphan_cnr = (
        data_column(samples, "cnvkit_cnr").notna() & data_column(samples, "cnvkit_cns").isna()
    )
    if orphan_cnr.any():
        position = int(orphan_cnr.to_numpy().nonzero()[0][0])
        raise SheetError(
            f"{source}: {_row(samples, position)} (sample {samples['sample_id'].iloc[position]}), "
            "column cnvkit_cnr: a .cnr is only used with its .cns; fill cnvkit_cns too"
        )


def check_seg_samples(seg_ids: list[str], samples: pd.DataFrame, seg_path: str) -> None:
    """Every sample of the cohort's SEG file is a tumour sample of the sheet."""
    tumours = set(samples.loc[samples["role"] == "tumor", "sample_id"])
    unknown = [sample for sample in seg_ids if sample not in tumours]
    if unknown:
        raise SheetError(
            f"{seg_path}: column ID: sample(s) {', '.join(map(repr, unknown[:5]))} are not "
            "tumor samples of the samples sheet; every SEG ID must be a tumor sample_id"
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
    check_clinical_subtypes(clinical, source)


def check_clinical_subtypes(clinical: pd.DataFrame, source: str) -> None:
    """A clinical `subtype` is one of the project's tokens or a known spelling of one."""
    if "subtype" not in clinical.columns:
        return
    from ikaros.subtype_names import SUBTYPES
    from ikaros.subtypes.assign import CLINICAL_ALIASES, normalise_subtype

    for position, value in enumerate(clinical["subtype"]):
        if pd.isna(value) or str(value).strip() == "":
            continue
        if normalise_subtype(value) not in SUBTYPES:
            raise SheetError(
                f"{source}: {_row(clinical, position)} (patient "
                f"{clinical['patient_id'].iloc[position]}), column subtype: {value!r} is not a "
                f"subtype the project knows; expected one of {', '.join(SUBTYPES)} (or a spelling "
                f"of one: {', '.join(sorted(CLINICAL_ALIASES))}), or empty"
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
    """Every dna_bam and rna_bam exists, is indexed, has the build's contigs and holds reads;
    every CNVkit file exists.

    Runs at parse time so that a bad file stops the workflow before any job starts.
    """
    from ikaros.dna.segment_inputs import (
        SegmentInputError,
        check_cnr_header,
        check_segment_build,
        read_cns,
    )

    def check_cns(path):
        check_segment_build(read_cns(path), build, path, path.stem)

    for column, check in (("cnvkit_cns", check_cns), ("cnvkit_cnr", check_cnr_header)):
        for position, value in enumerate(data_column(samples, column)):
            if pd.isna(value):
                continue
            where = (f"{source}: {_row(samples, position)} (sample "
                     f"{samples['sample_id'].iloc[position]}), column {column}")  # fmt: skip
            if not resolve_path(value, base_dir).is_file():
                raise SheetError(f"{where}: {value}: file not found")
            try:
                check(resolve_path(value, base_dir))  # a .cns whole (small), a .cnr's header
            except SegmentInputError as error:
                raise SheetError(f"{where}: {error}") from None
    for column in ALIGNMENT_COLUMNS:
        for position, value in enumerate(data_column(samples, column)):
            if pd.notna(value):
                sample_id = samples["sample_id"].iloc[position]
                where = f"{source}: {_row(samples, position)} (sample {sample_id}), column {column}"
                _check_alignment_file(
                    where, value, build, reference_fasta, base_dir, genome=column == "dna_bam"
                )
    check_vcfs(samples, build, source, base_dir)


def check_vcfs(samples: pd.DataFrame, build: str, source: str, base_dir: str | Path = ".") -> None:
    """Every `vcf` is bgzipped and indexed, of the build, with allele depths and the tumour's
    sample (`vcf_sample`, the only one, or one named as the sample or patient)."""
    names = data_column(samples, "vcf_sample")
    patients = data_column(samples, "patient_id")
    for position, value in enumerate(data_column(samples, "vcf")):
        if pd.isna(value):
            continue
        sample_id = samples["sample_id"].iloc[position]
        where = f"{source}: {_row(samples, position)} (sample {sample_id}), column vcf"
        if samples["role"].iloc[position] != "tumor":
            raise SheetError(f"{where}: a VCF belongs to a tumor sample (its germline SNPs and "
                             "somatic calls); leave it empty for normals")  # fmt: skip
        _check_vcf(where, resolve_path(value, base_dir), build, sample_id,
                   patients.iloc[position], names.iloc[position])  # fmt: skip


def _check_vcf(where: str, path: Path, build: str, sample_id: str, patient, named) -> None:
    try:
        inspect_vcf(
            path, build, sample_id,
            "" if pd.isna(patient) else str(patient), "" if pd.isna(named) else str(named),
        )  # fmt: skip
    except VcfError as error:
        raise SheetError(f"{where}: {error}") from None


def check_rna_tables(
    samples: pd.DataFrame,
    source: str,
    base_dir: str | Path = ".",
    shared_classifier: str | None = None,
    labels: str | Path | None = None,
    gene_table: str | Path | None = None,
    gene_ids: str | Path | None = None,
    build: str | None = None,
) -> None:
    """Every `fusions` table is one of the known callers' formats; every classifier table
    (sheet column `classifier_calls`, the cohort's shared one) names sheet samples and labels
    the label map knows; every `rna_counts` table is a gene count table of human genes (with
    `gene_table` and `gene_ids`); every `rna_vcf` is an indexed VCF of the build holding the
    sample. Small files, read whole at parse time (VCFs: their headers)."""
    names, patients = data_column(samples, "vcf_sample"), data_column(samples, "patient_id")
    for position, value in enumerate(data_column(samples, "rna_vcf")):
        if pd.isna(value) or build is None:
            continue
        sample_id = samples["sample_id"].iloc[position]
        where = f"{source}: {_row(samples, position)} (sample {sample_id}), column rna_vcf"
        if pd.isna(data_column(samples, "rna_counts").iloc[position]):
            raise SheetError(f"{where}: an RNA VCF is used with the sample's rna_counts (the "
                             "ploidy from expression); fill rna_counts too")  # fmt: skip
        _check_vcf(where, resolve_path(value, base_dir), build, sample_id,
                   patients.iloc[position], names.iloc[position])  # fmt: skip
    counts = [(i, v) for i, v in enumerate(data_column(samples, "rna_counts")) if pd.notna(v)]
    if counts and gene_table is not None:
        from ikaros.rna.gene_counts import GeneCountError, read_gene_counts
        from ikaros.rna.gene_table import read_gene_ids, read_genes, symbol_of_ids

        genes, symbols = read_genes(gene_table), symbol_of_ids(read_gene_ids(gene_ids))
        for position, value in counts:
            where = (f"{source}: {_row(samples, position)} (sample "
                     f"{samples['sample_id'].iloc[position]}), column rna_counts")  # fmt: skip
            try:
                read_gene_counts(resolve_path(value, base_dir), genes, symbols)
            except GeneCountError as error:
                raise SheetError(f"{where}: {error}") from None
    from ikaros.rna.classifier_imports import (
        ClassifierImportError,
        import_classifier_calls,
        read_label_map,
    )
    from ikaros.rna.fusion_imports import FusionImportError, detect_caller

    for position, value in enumerate(data_column(samples, "fusions")):
        if pd.isna(value):
            continue
        where = (
            f"{source}: {_row(samples, position)} (sample {samples['sample_id'].iloc[position]})"
        )
        try:
            detect_caller(resolve_path(value, base_dir))
        except FusionImportError as error:
            raise SheetError(f"{where}, column fusions: {error}") from None
    label_map = None
    sample_ids = list(samples["sample_id"])
    tables = [
        (f"{source}: {_row(samples, i)} (sample {samples['sample_id'].iloc[i]}), column "
         "classifier_calls", value, samples["sample_id"].iloc[i])
        for i, value in enumerate(data_column(samples, "classifier_calls")) if pd.notna(value)
    ]  # fmt: skip
    if shared_classifier:
        tables.append(("config: classifier_calls", shared_classifier, None))
    for where, value, sample_id in tables:
        if label_map is None:
            label_map = read_label_map(labels)
        try:
            calls = import_classifier_calls(resolve_path(value, base_dir), label_map, sample_ids)
        except ClassifierImportError as error:
            raise SheetError(f"{where}: {error}") from None
        if sample_id is not None and sample_id not in set(calls["sample_id"]):
            raise SheetError(f"{where}: {value} has no row for sample {sample_id}")


def _check_alignment_file(
    where: str,
    value: str,
    build: str,
    reference_fasta: str | None,
    base_dir: str | Path,
    genome: bool = False,
) -> None:
    path = resolve_path(value, base_dir)
    is_cram = path.suffix == ".cram"
    if is_cram and not reference_fasta:
        raise SheetError(
            f"{where}: {path} is a CRAM, but the cohort sets no reference_fasta; "
            "give the build's indexed FASTA as `reference_fasta` in the cohort's config"
        )
    try:
        inspect_alignment_file(
            path, build, reference_fasta if is_cram else None, genome_library=genome
        )
    except AlignmentFileError as error:
        raise SheetError(f"{where}: {error}") from None

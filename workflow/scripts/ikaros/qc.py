"""Cohort QC: one row per sample from its coverage table and its samples-sheet record.

Columns of the QC table (TSV, empty cell = missing):

    sample_id  patient_id  role  fragments  median_depth  sex_sheet  sex_inferred
    chrx_ratio  chry_ratio  sex  flags

- ``fragments``: the coverage table's fragments summed over all bins (a fragment spanning two
  bins counts in both).
- ``median_depth``: median ``mean_depth`` over exon bins (empty when the panel has none).
- ``sex_inferred``: female | male | uncertain, from chrX/chrY control bins (`ikaros.sex`),
  inferred for every sample so a sheet error shows up as a mismatch.
- ``sex``: the sex used downstream: the sheet's when given, else the inferred one unless
  uncertain (then empty).
- ``flags``: semicolon-separated, empty when clean:
  ``few_fragments`` (fragments below ``min_fragments``), ``low_depth`` (median depth below
  ``min_median_depth``), ``no_exon_bins``, ``empty_bins`` (more than half of the panel's bins
  hold no fragment: not a genome library of this panel, e.g. an RNA-seq BAM),
  ``sex_mismatch`` (sheet and a certain inference disagree), ``sex_uncertain`` (no sheet sex
  and the inference is uncertain). A tumour with one of the depth flags (``DEPTH_FLAGS``) gets
  no copy-number call from its BAM: IKZF1 is ``not_assessable``, never wildtype.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from ikaros.sex import SEXES, SexThresholds, infer_sex

log = logging.getLogger(__name__)

QC_COLUMNS = (
    "sample_id",
    "patient_id",
    "role",
    "fragments",
    "median_depth",
    "sex_sheet",
    "sex_inferred",
    "chrx_ratio",
    "chry_ratio",
    "sex",
    "flags",
)


# QC flags that make a BAM's copy-number calls unusable (see module docstring)
DEPTH_FLAGS = ("few_fragments", "no_exon_bins", "low_depth", "empty_bins")
# a genome library of the panel covers nearly every bin; RNA-seq leaves introns and silent
# genes empty (1,322 of 1,831 bins of one RNA BAM given as DNA)
MAX_EMPTY_BIN_SHARE = 0.5


@dataclass(frozen=True)
class QcThresholds:
    min_median_depth: float = 10.0
    min_fragments: int = 5_000
    sex: SexThresholds = field(default_factory=SexThresholds)

    @classmethod
    def from_mapping(cls, values: Mapping | None, source: str = "qc thresholds") -> QcThresholds:
        """From config: ``min_median_depth``, ``min_fragments`` and the `SexThresholds` keys."""
        values = dict(values or {})
        own = {f.name for f in fields(cls)} - {"sex"}
        sex_keys = {f.name for f in fields(SexThresholds)}
        unknown = sorted(set(values) - own - sex_keys)
        if unknown:
            raise ValueError(
                f"{source}: unknown key(s) {', '.join(unknown)}; expected some of "
                + ", ".join(sorted(own | sex_keys))
            )
        for name in own & set(values):
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{source}: {name} must be a number >= 0, got {value!r}")
        sex = SexThresholds.from_mapping({k: v for k, v in values.items() if k in sex_keys}, source)
        return cls(**{k: values[k] for k in own & set(values)}, sex=sex)


def _text(value) -> str:
    """Sheet cell as text; missing (None, NaN) becomes empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def depth_flags(
    coverage: pd.DataFrame, thresholds: QcThresholds
) -> tuple[int, float | None, list[str]]:
    """Fragments, median exon depth and the DEPTH_FLAGS that a coverage table raises."""
    fragments = int(coverage["fragments"].sum())
    exon_depth = coverage.loc[coverage["kind"] == "exon", "mean_depth"]
    median_depth = float(exon_depth.median()) if len(exon_depth) else None
    flags = []
    if fragments < thresholds.min_fragments:
        flags.append("few_fragments")
    if median_depth is None:
        flags.append("no_exon_bins")
    elif median_depth < thresholds.min_median_depth:
        flags.append("low_depth")
    if len(coverage) and (coverage["fragments"] == 0).mean() > MAX_EMPTY_BIN_SHARE:
        flags.append("empty_bins")
    return fragments, median_depth, flags


def depth_failure(coverage: pd.DataFrame, thresholds: QcThresholds) -> str:
    """Why a coverage table cannot give copy-number calls; empty when it can."""
    fragments, median_depth, flags = depth_flags(coverage, thresholds)
    if not flags:
        return ""
    empty = int((coverage["fragments"] == 0).sum())
    depth = "no exon bins" if median_depth is None else f"median exon depth {median_depth:.1f}"
    return (
        f"failed QC ({', '.join(flags)}): {fragments} fragments (min "
        f"{thresholds.min_fragments}), {depth} (min {thresholds.min_median_depth:g}), "
        f"{empty} of {len(coverage)} bins without a fragment"
    )


def sample_qc(
    record: Mapping,
    coverage: pd.DataFrame,
    thresholds: QcThresholds | None = None,
    build: str | None = None,
) -> dict[str, object]:
    """The QC row of one sample (`record`: sample_id, patient_id, role, sex, ...)."""
    thresholds = thresholds or QcThresholds()
    sample_id = _text(record.get("sample_id"))
    sex_sheet = _text(record.get("sex")).lower()
    if sex_sheet not in ("", *SEXES):
        raise ValueError(
            f"sample {sample_id}, column sex: expected female, male or empty, got {sex_sheet!r}"
        )
    fragments, median_depth, flags = depth_flags(coverage, thresholds)
    call = infer_sex(coverage, thresholds.sex, build)
    if sex_sheet and call.sex in SEXES and call.sex != sex_sheet:
        flags.append("sex_mismatch")
    if not sex_sheet and call.sex not in SEXES:
        flags.append("sex_uncertain")
    return {
        "sample_id": sample_id,
        "patient_id": _text(record.get("patient_id")),
        "role": _text(record.get("role")),
        "fragments": fragments,
        "median_depth": median_depth,
        "sex_sheet": sex_sheet,
        "sex_inferred": call.sex,
        "chrx_ratio": call.chrx_ratio,
        "chry_ratio": call.chry_ratio,
        "sex": sex_sheet or (call.sex if call.sex in SEXES else ""),
        "flags": ";".join(flags),
    }


def cohort_qc(
    samples: pd.DataFrame | list[Mapping],
    coverages: Mapping[str, pd.DataFrame],
    thresholds: QcThresholds | None = None,
    build: str | None = None,
) -> pd.DataFrame:
    """The QC table, one row per sample in sheet order; `coverages` maps sample_id to table."""
    records = samples.to_dict("records") if isinstance(samples, pd.DataFrame) else list(samples)
    missing = [
        _text(r.get("sample_id")) for r in records if _text(r.get("sample_id")) not in coverages
    ]
    if missing:
        raise ValueError(f"no coverage table for sample(s) {', '.join(missing)}")
    rows = [sample_qc(r, coverages[_text(r.get("sample_id"))], thresholds, build) for r in records]
    table = pd.DataFrame(rows, columns=list(QC_COLUMNS))
    for row in rows:
        if row["flags"]:
            log.warning("sample %s flagged: %s", row["sample_id"], row["flags"])
    log.info("%d samples, %d flagged", len(rows), sum(bool(row["flags"]) for row in rows))
    return table


def write_qc(table: pd.DataFrame, path) -> None:
    """Write the QC table; ratios and depth to 4 decimals, missing values as empty cells."""
    out = table.loc[:, list(QC_COLUMNS)].copy()
    for column in ("median_depth", "chrx_ratio", "chry_ratio"):
        out[column] = pd.to_numeric(out[column]).round(4)
    out.to_csv(path, sep="\t", index=False, na_rep="", float_format="%.4f")

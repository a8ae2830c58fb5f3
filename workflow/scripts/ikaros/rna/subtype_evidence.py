"""A cohort's RNA subtype evidence per patient: fusions (own calls and imports) and imported
expression-classifier labels.

The cohort fusion table stacks every sample's calls (ikaros `fusions.tsv` of the RNA BAMs and the
imported Arriba / STAR-Fusion / FusionCatcher tables) with the patient of each sample. Per
patient, the strongest call (confidence, then split reads) names `fusion_subtype`; every call
is listed in `rna_fusions`, so that two fusions defining different subtypes stay visible for the
subtype step to weigh.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ikaros.rna.classifier_imports import CLASSIFIER_COLUMNS
from ikaros.rna.fusion_imports import IMPORT_COLUMNS

COHORT_FUSION_COLUMNS = ("patient_id", *IMPORT_COLUMNS)
RNA_SUBTYPE_COLUMNS = (
    "fusion_assessed",
    "rna_fusions",
    "fusion_subtype",
    "fusion_subclass",
    "fusion_confidence",
    "fusion_source",
    "classifier",
    "classifier_label",
    "classifier_subtype",
    "classifier_subclass",
    "expression_calls",
    "expression_subtypes",
    "rna_chromosome_count",
    "rna_ploidy_class",
    "rna_ploidy_evidence",
    "rna_allele_source",
)
_STRENGTH = {"high": 0, "medium": 1, "low": 2}


def cohort_fusions(tables: list[pd.DataFrame], patients: Mapping[str, str]) -> pd.DataFrame:
    """Every fusion call of the cohort with its patient (COHORT_FUSION_COLUMNS)."""
    parts = [t for t in tables if not t.empty]
    if not parts:
        return pd.DataFrame(columns=list(COHORT_FUSION_COLUMNS))
    table = pd.concat(parts, ignore_index=True).reindex(columns=list(IMPORT_COLUMNS))
    unknown = sorted(set(table["sample_id"]) - set(patients))
    if unknown:
        raise ValueError(f"fusion calls of sample(s) {', '.join(unknown)} not in the sheet")
    table.insert(0, "patient_id", table["sample_id"].map(patients))
    table["original_fusion"] = table["original_fusion"].fillna("")
    return table.loc[:, list(COHORT_FUSION_COLUMNS)]


def describe_fusion(call: Mapping) -> str:
    """`BCR::ABL1 e14a2 (b3a2) ex14>ex2 21 split/15 pairs in-frame high (arriba)`."""
    exons = ""
    if pd.notna(call["five_exon"]) and pd.notna(call["three_exon"]):
        exons = f" ex{int(call['five_exon'])}>ex{int(call['three_exon'])}"
    name = f" {call['breakpoint_name']}" if call.get("breakpoint_name") else ""
    frame = f" {call['reading_frame']}" if call["reading_frame"] != "unknown" else ""
    return (
        f"{call['fusion']}{name}{exons} {int(call['split_reads'])} split/"
        f"{int(call['spanning_pairs'])} pairs{frame} {call['confidence']} ({call['source']})"
    )


def _ranked(calls: pd.DataFrame) -> pd.DataFrame:
    strength = calls["confidence"].map(_STRENGTH).fillna(3)
    reads = pd.to_numeric(calls["split_reads"], errors="coerce").fillna(0)
    return (
        calls.assign(_s=strength, _r=-reads)
        .sort_values(["_s", "_r", "fusion"])
        .drop(columns=["_s", "_r"])
    )


def patient_rna_evidence(
    fusions: pd.DataFrame,
    classifier: pd.DataFrame,
    patients: Mapping[str, str],
    expression: pd.DataFrame | None = None,
    ploidy: pd.DataFrame | None = None,
    assessed: list[str] | None = None,
) -> pd.DataFrame:
    """One row per patient with RNA evidence: patient_id, then RNA_SUBTYPE_COLUMNS.
    `expression` is ikaros.rna.expression_evidence.marker_evidence output: its positive sets
    are listed (`DUX4_expressed (DUX4-r: DUX4 412 reads, level -2.10)`) with their subtypes.
    `ploidy` holds the expression karyotypes (sample_id chromosome_count ploidy_class
    ploidy_evidence allele_source); `assessed` the samples whose fusions were looked for (an
    RNA BAM scanned, or a caller's table imported): their patients get fusion_assessed true,
    found or not."""
    rows: dict[str, dict] = {}
    for sample in assessed or []:
        rows.setdefault(patients[sample], {})["fusion_assessed"] = "true"
    for row in (ploidy if ploidy is not None else pd.DataFrame()).itertuples(index=False):
        rows.setdefault(patients[row.sample_id], {}).update(
            {
                "rna_chromosome_count": row.chromosome_count,
                "rna_ploidy_class": row.ploidy_class,
                "rna_ploidy_evidence": row.ploidy_evidence,
                # "none" in the ploidy table: no RNA VCF
                "rna_allele_source": "" if row.allele_source == "none" else row.allele_source,
            }
        )
    if expression is not None:
        for sample, sets in expression.groupby("sample_id", sort=True):
            patient = patients.get(sample)
            if patient is None:
                raise ValueError(f"expression evidence of sample {sample!r} not in the sheet")
            positive = sets[sets["call"].isin(["expressed", "high"])]
            assessed = (sets["call"] != "not_assessable").any()
            rows.setdefault(patient, {}).update(
                {
                    "expression_calls": "; ".join(
                        f"{r.set} ({r.subtype}: {r.detail})" for r in positive.itertuples()
                    )
                    or ("none" if assessed else "not_assessable"),
                    "expression_subtypes": ",".join(dict.fromkeys(positive["subtype"])),
                }
            )
    for patient, calls in fusions.groupby("patient_id", sort=True):
        ranked = _ranked(calls)
        best = ranked.iloc[0]
        rows.setdefault(patient, {}).update(
            {
                "rna_fusions": "; ".join(describe_fusion(c) for _, c in ranked.iterrows()),
                "fusion_subtype": best["subtype"],
                "fusion_subclass": best["subclass"] if pd.notna(best["subclass"]) else "",
                "fusion_confidence": best["confidence"],
                "fusion_source": best["source"],
            }
        )
    for row in classifier.itertuples(index=False):
        patient = patients.get(row.sample_id)
        if patient is None:
            raise ValueError(f"classifier call of sample {row.sample_id!r} not in the sheet")
        rows.setdefault(patient, {}).update(
            {
                "classifier": row.classifier,
                "classifier_label": row.label,
                "classifier_subtype": row.subtype,
                "classifier_subclass": row.subclass,
            }
        )
    table = pd.DataFrame(
        [{"patient_id": p, **{c: values.get(c, "") for c in RNA_SUBTYPE_COLUMNS}}
         for p, values in sorted(rows.items())],
        columns=["patient_id", *RNA_SUBTYPE_COLUMNS],
    )  # fmt: skip
    return table


def empty_classifier_table() -> pd.DataFrame:
    return pd.DataFrame(columns=list(CLASSIFIER_COLUMNS))

"""The subtype hierarchy: one small function per rule, each reading one kind of evidence.

A patient's evidence is its row of patients.tsv (fusions, karyotype, driver variants,
marker expression, classifier label; docs/FORMATS.md). Each rule returns a `Finding` (the
subtype it points to, the evidence text, how strong it is) or None. The order of RULES is the
hierarchy, after WHO-HAEM5 and ICC 2022, where a defining genetic lesion outranks the others:

1. defining fusions (RNA calls and imports; BCR::ABL1, ETV6::RUNX1, TCF3::PBX1, TCF3::HLF,
   KMT2A-r, DUX4-r, MEF2D-r, ZNF384-r, NUTM1-r, the BCR::ABL1-like kinase fusions, PAX5 and
   ETV6 fusions);
2. ploidy and iAMP21 (near haploid, low hypodiploid, high hyperdiploid; iAMP21);
3. defining mutations (PAX5 P80R, IKZF1 N159Y, ZEB2 H1038R);
4. expression-defined classes (DUX4, NUTM1 or HLF expressed; CRLF2 high; the Ph-like
   signature, its class from the kinase/JAK-STAT/Ras evidence);
5. an imported classifier label (ALLSorts / ALLCatchR), when nothing above is found.

The first finding decides; later findings that point elsewhere are conflicts, reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

PLOIDY_SUBTYPES = {
    "near_haploid": "near haploid",
    "low_hypodiploid": "low hypodiploid",
    "high_hyperdiploid": "high hyperdiploid",
}
MUTATION_SUBTYPES = (
    ("pax5_p80r", "PAX5 P80R"),
    ("ikzf1_n159y", "IKZF1 N159Y"),
    ("zeb2_h1038r", "ZEB2/CEBP"),
)
SILENT_EXPRESSION = {"DUX4_expressed": "DUX4-r", "NUTM1_expressed": "NUTM1-r",
                     "HLF_expressed": "TCF3::HLF"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    rule: str
    subtype: str
    subclass: str
    evidence: str
    strength: str  # high | medium | low


def _text(row: pd.Series, column: str) -> str:
    value = row.get(column, "")
    return "" if pd.isna(value) else str(value)


def defining_fusion(row: pd.Series) -> Finding | None:
    subtype = _text(row, "fusion_subtype")
    if not subtype:
        return None
    strength = "high" if _text(row, "fusion_confidence") == "high" else "medium"
    strongest = _text(row, "rna_fusions").split(";")[0]
    return Finding("fusion", subtype, _text(row, "fusion_subclass"), strongest, strength)


def ploidy(row: pd.Series) -> Finding | None:
    klass = _text(row, "ploidy_class")
    subtype = PLOIDY_SUBTYPES.get(klass)
    if subtype is None:
        return None
    source = _text(row, "ploidy_source") or "dna"
    allele = _text(row, "allele_source")
    text = f"{_text(row, 'chromosome_count')} chromosomes ({klass}, {source}"
    text += f", {allele})" if allele else ")"
    return Finding("ploidy", subtype, "", text, "high" if allele else "medium")


def iamp21(row: pd.Series) -> Finding | None:
    if _text(row, "iamp21") != "true":
        return None
    return Finding("iamp21", "iAMP21", "", _text(row, "iamp21_evidence") or "iAMP21", "high")


def defining_mutation(row: pd.Series) -> Finding | None:
    for column, subtype in MUTATION_SUBTYPES:
        if _text(row, column) == "true":
            return Finding("mutation", subtype, "", f"{column} in the tumour VCF", "high")
    return None


def _ph_like_class(row: pd.Series) -> str:
    if _text(row, "jak_stat_mutation") == "true":
        return "other JAK-STAT"
    if _text(row, "ras_mutation") == "true":
        return "Ras"
    return "other"


def expression_class(row: pd.Series) -> Finding | None:
    calls = _text(row, "expression_calls")
    if not calls or calls in ("none", "not_assessable"):
        return None
    sets = {part.split(" (")[0].strip(): part.strip() for part in calls.split(";")}
    for name, subtype in SILENT_EXPRESSION.items():
        if name in sets:
            return Finding("expression", subtype, "", sets[name], "medium")
    if "CRLF2_high" in sets:
        return Finding("expression", "BCR::ABL1-like", "CRLF2-r", sets["CRLF2_high"], "medium")
    if "Ph_like_signature" in sets:
        return Finding("expression", "BCR::ABL1-like", _ph_like_class(row),
                       sets["Ph_like_signature"], "low")  # fmt: skip
    return None


def classifier_label(row: pd.Series) -> Finding | None:
    subtype = _text(row, "classifier_subtype")
    if not subtype or subtype in ("undetermined", "B-other"):
        return None
    label = f"{_text(row, 'classifier')} {_text(row, 'classifier_label')}"
    return Finding("classifier", subtype, _text(row, "classifier_subclass"), label, "low")


RULES = (defining_fusion, ploidy, iamp21, defining_mutation, expression_class, classifier_label)

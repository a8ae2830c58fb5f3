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
4. expression of genes silent in other B-ALL (DUX4, NUTM1, HLF);
5. a CRLF2 rearrangement (P2RY8::CRLF2, IGH::CRLF2): BCR::ABL1-like CRLF2-r, after the
   rules above because it also occurs in DUX4-r and iAMP21;
6. the Ph-like expression classes (CRLF2 high; the signature, its class from the
   kinase/JAK-STAT/Ras evidence);
7. an imported classifier label (ALLSorts / ALLCatchR), when nothing above is found.

The first finding decides; later findings that point elsewhere are conflicts, reported,
except secondary ones (a CRLF2 rearrangement or CRLF2 expression beside another subtype),
reported as co-occurring.
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
    # a lesion that also occurs in other subtypes: beside another subtype's finding it is
    # reported as co-occurring, not as a conflict
    secondary: bool = False


def _text(row: pd.Series, column: str) -> str:
    value = row.get(column, "")
    return "" if pd.isna(value) else str(value)


def defining_fusion(row: pd.Series) -> Finding | None:
    subtype = _text(row, "fusion_subtype")
    if not subtype or _text(row, "fusion_subclass") == "CRLF2-r":
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


def _expression_sets(row: pd.Series) -> dict[str, str]:
    calls = _text(row, "expression_calls")
    if not calls or calls in ("none", "not_assessable"):
        return {}
    return {part.split(" (")[0].strip(): part.strip() for part in calls.split(";")}


def silent_gene_expression(row: pd.Series) -> Finding | None:
    """DUX4, NUTM1 or HLF expressed: genes silent in other B-ALL, whose rearrangements
    (IGH::DUX4 above all) short reads often miss as fusions."""
    sets = _expression_sets(row)
    for name, subtype in SILENT_EXPRESSION.items():
        if name in sets:
            return Finding("expression", subtype, "", sets[name], "medium")
    return None


def crlf2_rearrangement(row: pd.Series) -> Finding | None:
    """P2RY8::CRLF2 or IGH::CRLF2: the CRLF2-r class of BCR::ABL1-like ALL, but also found in
    DUX4-r, iAMP21 and Down syndrome ALL (Russell et al., Blood 2009; Harvey et al., Blood
    2010; Roberts et al., NEJM 2014), so it defines no subtype when another is found; with the
    Ph-like expression signature it is BCR::ABL1-like with confidence."""
    if _text(row, "fusion_subclass") != "CRLF2-r":
        return None
    signature = "Ph_like_signature" in _expression_sets(row)
    strength = "high" if signature and _text(row, "fusion_confidence") == "high" else "medium"
    strongest = _text(row, "rna_fusions").split(";")[0]
    return Finding("fusion", "BCR::ABL1-like", "CRLF2-r", strongest, strength, secondary=True)


def ph_like_expression(row: pd.Series) -> Finding | None:
    sets = _expression_sets(row)
    if "CRLF2_high" in sets:
        return Finding("expression", "BCR::ABL1-like", "CRLF2-r", sets["CRLF2_high"], "medium",
                       secondary=True)  # fmt: skip
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


RULES = (
    defining_fusion, ploidy, iamp21, defining_mutation, silent_gene_expression,
    crlf2_rearrangement, ph_like_expression, classifier_label,
)  # fmt: skip

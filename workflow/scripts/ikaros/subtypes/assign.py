"""One subtype per patient from the rules' findings, with its evidence trail and conflicts.

The first finding of the hierarchy (`ikaros.subtypes.rules.RULES`) names the subtype; every
later finding that points to another subtype is a conflict, listed in `subtype_evidence` and
lowering `subtype_confidence` to low. Without any finding the patient is `B-other` when the
evidence could have shown the defining lesions (fusions were looked for in RNA, and the
ploidy is known), else `undetermined`, with what is missing. The clinical sheet's subtype, when
given, is reported beside the derived one (normalised to the project's tokens through
CLINICAL_ALIASES) and counted in the concordance table, never silently used.
"""

from __future__ import annotations

import pandas as pd

from ikaros.subtype_names import SUBTYPES
from ikaros.subtypes.rules import RULES, Finding

SUBTYPE_COLUMNS = (
    "subtype", "subtype_class", "subtype_group", "subtype_evidence", "subtype_confidence",
    "subtype_source", "clinical_subtype",
)  # fmt: skip
# spellings of clinical sheets and earlier tables -> the project's tokens
CLINICAL_ALIASES = {
    "ph": "BCR::ABL1", "ph+": "BCR::ABL1", "ph-like": "BCR::ABL1-like", "crlf2-r": "BCR::ABL1-like",
    "ph-like/crlf2-r": "BCR::ABL1-like", "etv6-runx1": "ETV6::RUNX1", "tcf3-pbx1": "TCF3::PBX1",
    "hyperdiploid": "high hyperdiploid", "high_hyperdiploid": "high hyperdiploid",
    "near_haploid": "near haploid", "low_hypodiploid": "low hypodiploid", "kmt2a": "KMT2A-r",
    "dux4": "DUX4-r", "mef2d": "MEF2D-r", "znf384": "ZNF384-r", "nutm1": "NUTM1-r",
    "pax5::p80r": "PAX5 P80R", "other": "B-other",
}  # fmt: skip


def normalise_subtype(value: str) -> str:
    """A clinical spelling as a project token ('' for empty; unknown spellings kept as given)."""
    text = str(value).strip()
    if not text or text.lower() == "nan":
        return ""
    for token in SUBTYPES:
        if text.casefold() == token.casefold():
            return token
    return CLINICAL_ALIASES.get(text.casefold(), text)


def _missing_evidence(row: pd.Series) -> list[str]:
    missing = []
    if str(row.get("fusion_assessed", "")) != "true":
        missing.append("no RNA fusion evidence (rna_bam or fusions)")
    klass = str(row.get("ploidy_class", ""))
    if klass in ("", "undetermined", "nan"):
        missing.append("ploidy not determined")
    elif _masked_hypodiploidy_open(row):
        missing.append(
            f"{row.get('chromosome_count')} chromosomes without allele data: a doubled "
            "hypodiploid clone (masked hypodiploidy) is not excluded"
        )
    return missing


def _masked_hypodiploidy_open(row: pd.Series) -> bool:
    """A doubled hypodiploid clone reads, by depth or expression alone, as a near-diploid or
    hyperdiploid karyotype with extra copies of the chromosomes it kept (Carroll et al. 2019);
    only allele fractions (LOH on most chromosomes) exclude it. A karyotype without gains
    cannot be one."""
    allele = str(row.get("allele_source", "") or "")
    if allele and allele.lower() not in ("nan", "none"):
        return False
    count = pd.to_numeric(row.get("chromosome_count"), errors="coerce")
    return bool(pd.notna(count) and count > 46)


def assign_subtype(row: pd.Series, risk_groups: dict) -> dict[str, str]:
    """SUBTYPE_COLUMNS of one patients-table row."""
    findings: list[Finding] = [f for rule in RULES if (f := rule(row)) is not None]
    clinical = normalise_subtype(row.get("clinical_subtype", ""))
    if findings:
        first = findings[0]
        different = [f for f in findings[1:] if f.subtype != first.subtype]
        conflicts = [f for f in different if not f.secondary]
        beside = [f for f in different if f.secondary]
        agreeing = [f for f in findings[1:] if f.subtype == first.subtype]
        parts = [f"{first.rule}: {first.evidence}"]
        parts += [f"also {f.rule}: {f.evidence}" for f in agreeing]
        parts += [f"with {f.rule}: {f.evidence} (co-occurring, not defining)" for f in beside]
        parts += [f"conflict, {f.rule} points to {f.subtype}: {f.evidence}" for f in conflicts]
        subtype, klass, source = first.subtype, first.subclass, first.rule
        confidence = "low" if conflicts else first.strength
    else:
        missing = _missing_evidence(row)
        subtype = "undetermined" if missing else "B-other"
        klass, source = "", ""
        parts = [("; ".join(missing)) if missing else
                 "no defining fusion, ploidy, mutation or expression class found"]  # fmt: skip
        confidence = "" if missing else "medium"
    group = risk_groups.get(subtype.casefold(), "intermediate") if subtype != "undetermined" else ""
    return {
        "subtype": subtype,
        "subtype_class": klass if subtype == "BCR::ABL1-like" else "",
        "subtype_group": group,
        "subtype_evidence": "; ".join(parts),
        "subtype_confidence": confidence,
        "subtype_source": source,
        "clinical_subtype": clinical,
    }


def assign_subtypes(patients: pd.DataFrame, risk_groups: dict) -> pd.DataFrame:
    """patient_id + SUBTYPE_COLUMNS for every row of the patients table."""
    lookup = {str(k).casefold(): v for k, v in risk_groups.items()}
    rows = [
        {"patient_id": row["patient_id"], **assign_subtype(row, lookup)}
        for _, row in patients.iterrows()
    ]
    return pd.DataFrame(rows, columns=["patient_id", *SUBTYPE_COLUMNS])


def concordance(subtypes: pd.DataFrame, other: pd.Series, name: str) -> pd.DataFrame:
    """Counts of (derived subtype, other subtype) for the patients where the other is given:
    columns derived, <name>, patients, agree."""
    given = other.fillna("").astype(str) != ""
    table = pd.DataFrame({"derived": subtypes.loc[given, "subtype"], name: other[given]})
    counts = table.value_counts().rename("patients").reset_index()
    counts["agree"] = counts["derived"] == counts[name]
    return counts.sort_values(["agree", "patients", "derived"], ascending=[True, False, True])


def analysis_subtypes(
    clinical: pd.DataFrame, patients: pd.DataFrame, column: str, source: str
) -> pd.DataFrame:
    """The clinical sheet with `column` set to the subtype the relapse analysis adjusts for:
    `derived` (the patients table's subtype; the clinical one, spelled as a project token,
    where it is undetermined, so that one subtype is not counted under two names),
    `derived_only` (undetermined left empty), or `clinical` (the sheet unchanged)."""
    if source == "clinical" or "subtype" not in patients.columns:
        return clinical
    derived = dict(zip(patients["patient_id"].astype(str), patients["subtype"], strict=True))
    out = clinical.copy()
    mine = out["patient_id"].astype(str).map(derived).fillna("undetermined")
    given = out[column] if column in out.columns else pd.Series("", index=out.index)
    fallback = (
        given.fillna("").map(normalise_subtype)
        if source == "derived"
        else pd.Series("", index=out.index)
    )
    out[column] = mine.where(mine != "undetermined", fallback)
    return out

"""Genomic IKZF1plus and the per-patient summary row.

IKZF1plus (Stanulla et al., J Clin Oncol 2018;36:1240-1249): an IKZF1 deletion co-occurring
with a deletion of CDKN2A, CDKN2B, PAX5 or PAR1 (the P2RY8::CRLF2 deletion), in the absence
of an ERG deletion. The pipeline reports the genomic part (MRD can be added by the cohort
analysis) in both variants of the reference study: with any IKZF1 deletion (``ikzf1plus``)
and with a focal IKZF1 deletion only (``ikzf1plus_focal``).

Each co-deletion is ``none``, ``mono`` or ``bi``; a gene the data cannot resolve is
``unresolved`` or ``not_assessable``. The answer is three-valued: True, False, or None when
the missing pieces could change it (e.g. IKZF1 deleted, no co-deletion found, but PAX5
unresolved). PAR1 is deleted when any of the genes removed by the classic PAR1 deletion
(CSF2RA, IL3RA, SLC25A6, ASMTL, P2RY8; or a panel gene named ``PAR1``) is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ikaros.dna.copy_number import CopyNumberCalls
from ikaros.dna.ikzf1 import Ikzf1Call

CODELETIONS = ("CDKN2A", "CDKN2B", "PAX5", "PAR1")
EXCLUSION = "ERG"
PAR1_GENES = ("PAR1", "CSF2RA", "IL3RA", "SLC25A6", "ASMTL", "P2RY8")
LOST = ("mono", "bi")
UNKNOWN = ("unresolved", "not_assessable")
PATIENT_COLUMNS = (
    "patient_id",
    "sample_id",
    "ikzf1_status",
    "ikzf1_class",
    "ikzf1_exons_deleted",
    "ikzf1_focal",
    "ikzf1_fraction",
    "ikzf1_allelic",
    "ikzf1_intronic_loss",
    "ikzf1_loss",
    "cdkn2a",
    "cdkn2b",
    "pax5",
    "par1",
    "erg",
    "ikzf1plus",
    "ikzf1plus_focal",
    "dna_evidence",
    "ikzf1_evidence",
    "notes",
)
EVIDENCE_PREFERENCE = ("BAM", "CNVkit", "SEG")


def gene_state(genes: pd.DataFrame, gene: str) -> str:
    """none | mono | bi | unresolved | not_assessable for one gene (PAR1 over its genes)."""
    names = PAR1_GENES if gene == "PAR1" else (gene,)
    states = genes.loc[genes["gene"].isin(names), "state"].tolist()
    if not states:
        return "not_assessable"
    for level in ("bi", "mono", "unresolved", "not_assessable"):
        if level in states:
            return level
    return "none"


def ikzf1plus(
    ikzf1_status: str, ikzf1_focal: bool | None, states: Mapping[str, str]
) -> tuple[bool | None, bool | None]:
    """(any-IKZF1 variant, focal-IKZF1 variant); None where the data cannot decide."""
    erg = states.get(EXCLUSION, "not_assessable")
    co = [states.get(g, "not_assessable") for g in CODELETIONS]
    if ikzf1_status == "wildtype" or erg in LOST:
        return False, False
    any_co = any(s in LOST for s in co)
    co_unknown = any(s in UNKNOWN for s in co)
    if not any_co and not co_unknown:
        return False, False
    if ikzf1_status != "deleted" or erg in UNKNOWN or not any_co:
        return None, (False if ikzf1_focal is False else None)
    if ikzf1_focal is None:
        return True, None
    return True, bool(ikzf1_focal)


def _text(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def sample_summary(
    patient_id: str, calls: CopyNumberCalls, ikzf1_call: Ikzf1Call
) -> dict[str, str]:
    """One patients-table row (PATIENT_COLUMNS, all as text) for one tumour sample."""
    states = {g: gene_state(calls.genes, g) for g in (*CODELETIONS, EXCLUSION)}
    plus, plus_focal = ikzf1plus(ikzf1_call.status, ikzf1_call.focal, states)
    notes = [f"{g} {s}" for g, s in states.items() if s in UNKNOWN]
    loss = ""
    if ikzf1_call.loss_start is not None:
        loss = f"{ikzf1_call.loss_chrom}:{ikzf1_call.loss_start}-{ikzf1_call.loss_end}"
    row = {
        "patient_id": patient_id,
        "sample_id": calls.sample_id,
        "ikzf1_status": ikzf1_call.status,
        "ikzf1_class": ikzf1_call.deletion_class,
        "ikzf1_exons_deleted": ikzf1_call.exons_text(),
        "ikzf1_focal": _text(ikzf1_call.focal),
        "ikzf1_fraction": _text(ikzf1_call.cell_fraction),
        "ikzf1_allelic": ikzf1_call.allelic,
        "ikzf1_intronic_loss": _text(ikzf1_call.intronic_loss),
        "ikzf1_loss": loss,
        **{g.lower(): (s if s not in UNKNOWN else "") for g, s in states.items()},
        "ikzf1plus": _text(plus),
        "ikzf1plus_focal": _text(plus_focal),
        "dna_evidence": calls.source,
        "ikzf1_evidence": ikzf1_call.evidence,
        "notes": "; ".join(notes),
    }
    return {column: row[column] for column in PATIENT_COLUMNS}


def patients_table(
    rows: Sequence[Mapping[str, str]], patients: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per patient: where a patient has several DNA sources, an assessable call is
    preferred, then BAM, then CNVkit, then SEG (the other sources are named in ``notes``).
    Patients listed in ``patients`` without any row get ``not_assessable``."""
    frame = pd.DataFrame(list(rows), columns=list(PATIENT_COLUMNS)).fillna("")
    rank = {source: k for k, source in enumerate(EVIDENCE_PREFERENCE)}
    frame["_rank"] = frame["dna_evidence"].map(lambda s: rank.get(s, len(rank))) + len(rank) * (
        frame["ikzf1_status"] == "not_assessable"
    )  # a BAM that failed QC gives way to the patient's CNVkit or SEG call
    chosen = []
    for _, group in frame.groupby("patient_id", sort=False):
        group = group.sort_values(["_rank", "sample_id"], kind="stable")
        best = group.iloc[0].copy()
        others = [f"{r.sample_id} ({r.dna_evidence})" for r in group.iloc[1:].itertuples()]
        if others:
            also = "also " + ", ".join(others)
            best["notes"] = f"{best['notes']}; {also}" if best["notes"] else also
        chosen.append(best)
    table = pd.DataFrame(chosen, columns=[*PATIENT_COLUMNS, "_rank"]).drop(columns="_rank")
    if patients is not None:
        seen = set(table["patient_id"])
        blank = dict.fromkeys(PATIENT_COLUMNS, "")
        extra = [
            {**blank, "patient_id": p, "ikzf1_status": "not_assessable", "notes": "no DNA data"}
            for p in patients
            if p not in seen
        ]
        table = pd.concat([table, pd.DataFrame(extra, columns=list(PATIENT_COLUMNS))])
    return table.sort_values("patient_id", kind="stable").reset_index(drop=True)

"""Truth fusions of a simulated cohort: which RNA tumours carry which defining fusion.

A patient whose truth lesions include a PAR1 deletion (the interstitial deletion that makes
P2RY8::CRLF2) carries P2RY8::CRLF2 in the deleted cells (with simulated subtypes, a Ph-like
patient only: in the others, whose subtype has its own fusion or markers, the PAR1 deletion
stays a DNA lesion; real CRLF2 rearrangements also occur in DUX4-r and iAMP21). When the
cohort's clinical sheet
gives each patient a simulated subtype (ikaros.simulate.design), the fusion is the one that
subtype is defined by (SUBTYPE_FUSIONS: ETV6::RUNX1, TCF3::PBX1, KMT2A, BCR::ABL1, the
Ph-like kinase fusions; none for hyperdiploid, DUX4 and other), drawn with probability
`fusion_rate`, so that DNA, RNA and the clinical sheet tell one story. Without subtypes, any
other RNA patient carries, with probability `fusion_rate`, one fusion of FUSIONS drawn by its
weight, in its blasts. The
breakpoint exons are those seen in patients (numbered on the shipped main transcripts:
RUNX1 exon 3 of the 9-exon model is the classic "exon 2" of the ETV6::RUNX1 literature).
The expected number of junction-crossing fragments is lognormal (median `median_fragments`,
log-scale sd 0.8) times the cell fraction, so that low-support fusions (2 to 10 fragments)
are common, as in real libraries. Everything is drawn from a stream of its own, (seed, 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ikaros.rna.simulate_fusions import TRUTH_FUSION_COLUMNS

# fusion, 5' gene, exon, 3' gene, exon, subtype, subclass, weight: relative frequencies of the
# defining fusions in pediatric B-ALL (Gu 2019; ETV6::RUNX1 about a quarter of patients)
FUSIONS = (
    ("ETV6::RUNX1", "ETV6", 5, "RUNX1", 3, "ETV6::RUNX1", "", 22.0),
    ("TCF3::PBX1", "TCF3", 16, "PBX1", 3, "TCF3::PBX1", "", 5.0),
    ("BCR::ABL1", "BCR", 14, "ABL1", 2, "BCR::ABL1", "", 1.5),
    ("BCR::ABL1", "BCR", 13, "ABL1", 2, "BCR::ABL1", "", 1.0),
    ("BCR::ABL1", "BCR", 1, "ABL1", 2, "BCR::ABL1", "", 0.5),
    ("KMT2A::AFF1", "KMT2A", 9, "AFF1", 4, "KMT2A-r", "", 2.0),
    ("KMT2A::MLLT1", "KMT2A", 10, "MLLT1", 2, "KMT2A-r", "", 1.0),
    ("EBF1::PDGFRB", "EBF1", 15, "PDGFRB", 11, "BCR::ABL1-like", "ABL-class", 1.0),
    ("PAX5::JAK2", "PAX5", 5, "JAK2", 19, "BCR::ABL1-like", "JAK2/EPOR", 0.5),
    ("EP300::ZNF384", "EP300", 6, "ZNF384", 3, "ZNF384-r", "", 1.5),
    ("TCF3::ZNF384", "TCF3", 13, "ZNF384", 3, "ZNF384-r", "", 1.0),
    ("MEF2D::BCL9", "MEF2D", 9, "BCL9", 10, "MEF2D-r", "", 1.0),
    ("PAX5::ETV6", "PAX5", 6, "ETV6", 3, "PAX5alt", "", 1.0),
    ("TCF3::HLF", "TCF3", 15, "HLF", 4, "TCF3::HLF", "", 0.5),
    ("ACIN1::NUTM1", "ACIN1", 5, "NUTM1", 3, "NUTM1-r", "", 0.5),
)
P2RY8_CRLF2 = ("P2RY8::CRLF2", "P2RY8", 1, "CRLF2", 1, "BCR::ABL1-like", "CRLF2-r")
# the simulator's clinical subtypes (ikaros.simulate.design.SUBTYPES) -> the FUSIONS rows
# that define them (drawn by weight)
SUBTYPE_FUSIONS = {
    "ETV6::RUNX1": ("ETV6::RUNX1",),
    "TCF3::PBX1": ("TCF3::PBX1",),
    "KMT2A": ("KMT2A::AFF1", "KMT2A::MLLT1"),
    "BCR::ABL1": ("BCR::ABL1",),
    "Ph-like": ("EBF1::PDGFRB", "PAX5::JAK2"),
}


def draw_fusions(
    samples: pd.DataFrame,
    lesions: pd.DataFrame,
    seed: int,
    fusion_rate: float,
    median_fragments: float = 20.0,
    subtypes: dict[str, str] | None = None,
) -> pd.DataFrame:
    """TRUTH_FUSION_COLUMNS rows for the tumours with an `rna_bam` (one patient, one row at
    most), in sheet order; `subtypes` maps patient_id -> simulated clinical subtype."""
    rng = np.random.default_rng([int(seed), 5])
    weights = np.array([f[-1] for f in FUSIONS])
    weights = weights / weights.sum()
    rows = []
    tumours = samples[(samples["role"] == "tumor") & samples["rna_bam"].notna()]
    for record in tumours.itertuples(index=False):
        mine = lesions[lesions["patient_id"] == record.patient_id]
        par1 = mine[mine["label"].astype(str).str.startswith("PAR1")]
        blasts = float(record.blast_percent) / 100 if pd.notna(record.blast_percent) else 0.8
        draw = rng.random()
        choice = int(rng.choice(len(FUSIONS), p=weights))
        support = float(np.exp(rng.normal(np.log(median_fragments), 0.8)))
        if subtypes is not None:
            candidates = [
                f
                for f in FUSIONS
                if f[0] in SUBTYPE_FUSIONS.get(subtypes.get(record.patient_id), ())
            ]
            if candidates:  # the subtype's own fusion, by weight
                mine_weights = np.array([f[-1] for f in candidates])
                choice_in = int(rng.choice(len(candidates), p=mine_weights / mine_weights.sum()))
        # with subtypes, the PAR1 deletion's P2RY8::CRLF2 is expressed in Ph-like patients only:
        # one fusion per patient, and another subtype's markers follow its own lesion
        crlf2 = not par1.empty and (
            subtypes is None or subtypes.get(record.patient_id) == "Ph-like"
        )
        if crlf2:
            fusion, fraction = P2RY8_CRLF2, float(par1["cell_fraction"].max())
        elif subtypes is not None:
            if not candidates or draw >= fusion_rate:
                continue
            fusion, fraction = candidates[choice_in][:-1], blasts
        elif draw < fusion_rate:
            fusion, fraction = FUSIONS[choice][:-1], blasts
        else:
            continue
        rows.append((record.patient_id, *fusion, round(fraction, 4), round(support * fraction, 3)))
    return pd.DataFrame(rows, columns=list(TRUTH_FUSION_COLUMNS))

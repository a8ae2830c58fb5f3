"""The B-ALL subtype tokens of the project (WHO-HAEM5 / ICC 2022 names) and BCR::ABL1-like classes.

Every table that names a subtype (the fusion-partner table, the classifier label maps, the
clinical sheet, the derived subtypes) uses exactly these strings.
"""

from __future__ import annotations

SUBTYPES = (
    "BCR::ABL1",
    "BCR::ABL1-like",
    "ETV6::RUNX1",
    "ETV6::RUNX1-like",
    "TCF3::PBX1",
    "TCF3::HLF",
    "KMT2A-r",
    "DUX4-r",
    "MEF2D-r",
    "ZNF384-r",
    "NUTM1-r",
    "PAX5alt",
    "PAX5 P80R",
    "IKZF1 N159Y",
    "ZEB2/CEBP",
    "high hyperdiploid",
    "low hypodiploid",
    "near haploid",
    "iAMP21",
    "B-other",
    "undetermined",
)
PH_LIKE_CLASSES = ("ABL-class", "JAK2/EPOR", "CRLF2-r", "other JAK-STAT", "Ras", "other")

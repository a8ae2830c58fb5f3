"""Protein consequences from VEP ``CSQ`` or SnpEff ``ANN`` annotations of a VCF record.

Both write one ``|``-separated entry per allele and transcript; the sub-field names come from
the INFO header (``Format: Allele|Consequence|...`` for VEP; ``'Allele | Annotation | ...'``
for SnpEff). Both use Sequence Ontology terms, joined by ``&`` when several apply. Per record
and gene, the entry used is VEP's ``PICK`` or ``CANONICAL`` transcript when flagged, else the
first protein-changing entry of the gene (SnpEff sorts entries by severity), else the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# SO terms that change the protein, and those of them that truncate it
TRUNCATING = frozenset(
    {
        "stop_gained",
        "frameshift_variant",
        "splice_acceptor_variant",
        "splice_donor_variant",
        "start_lost",
    }
)
PROTEIN_CHANGING = TRUNCATING | frozenset(
    {
        "missense_variant",
        "inframe_insertion",
        "inframe_deletion",
        "disruptive_inframe_insertion",
        "disruptive_inframe_deletion",
        "conservative_inframe_insertion",
        "conservative_inframe_deletion",
        "stop_lost",
        "protein_altering_variant",
    }
)

THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
    "Sec": "U", "Xaa": "X",
}  # fmt: skip
_THREE = re.compile("|".join(THREE_TO_ONE))

# sub-field names of the two tools for the same things
FIELDS = {
    "CSQ": {"allele": "Allele", "consequence": "Consequence", "gene": "SYMBOL",
            "transcript": "Feature", "hgvsc": "HGVSc", "hgvsp": "HGVSp"},
    "ANN": {"allele": "Allele", "consequence": "Annotation", "gene": "Gene_Name",
            "transcript": "Feature_ID", "hgvsc": "HGVS.c", "hgvsp": "HGVS.p"},
}  # fmt: skip


@dataclass(frozen=True)
class Consequence:
    gene: str
    consequence: str  # SO terms, `&`-joined
    transcript: str
    hgvsc: str
    protein_change: str  # one-letter, p.N159Y; "" when none

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(self.consequence.split("&"))

    @property
    def changes_protein(self) -> bool:
        return bool(self.terms & PROTEIN_CHANGING)

    @property
    def truncating(self) -> bool:
        return bool(self.terms & TRUNCATING)


def one_letter(hgvsp: str) -> str:
    """``ENSP00000331614.3:p.Asn159Tyr`` -> ``p.N159Y``; ``p.(Pro80Arg)`` -> ``p.P80R``."""
    text = hgvsp.split(":", 1)[-1].strip()
    if not text.startswith("p."):
        return ""
    body = text[2:].strip("()").replace("%3D", "=")
    return "p." + _THREE.sub(lambda m: THREE_TO_ONE[m.group(0)], body)


def parse_entries(value: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    entries = []
    for raw in (value or "").split(","):
        if not raw or raw == ".":
            continue
        parts = raw.split("|")
        entries.append({name: parts[k] if k < len(parts) else "" for k, name in enumerate(names)})
    return entries


def gene_consequences(
    values: list[str], names: tuple[str, ...], field: str, alt: str
) -> dict[str, Consequence]:
    """The chosen consequence per gene of one record's ALT allele, from its annotation values."""
    keys = FIELDS[field]
    entries = [e for v in values for e in parse_entries(v, names)]
    by_gene: dict[str, list[dict[str, str]]] = {}
    for entry in entries:
        allele = entry.get(keys["allele"], "")
        # VEP trims the shared first base of indels ("-" or the tail); keep what matches
        if allele and allele not in (alt, alt[1:] or "-", "-"):
            continue
        gene = entry.get(keys["gene"], "")
        if gene:
            by_gene.setdefault(gene, []).append(entry)
    chosen = {}
    for gene, options in by_gene.items():
        flagged = [e for e in options if e.get("PICK") == "1" or e.get("CANONICAL") == "YES"]
        changing = [
            e for e in options if set(e.get(keys["consequence"], "").split("&")) & PROTEIN_CHANGING
        ]
        entry = (flagged or changing or options)[0]
        chosen[gene] = Consequence(
            gene=gene,
            consequence=entry.get(keys["consequence"], ""),
            transcript=entry.get(keys["transcript"], ""),
            hgvsc=entry.get(keys["hgvsc"], "").split(":", 1)[-1],
            protein_change=one_letter(entry.get(keys["hgvsp"], "")),
        )
    return chosen

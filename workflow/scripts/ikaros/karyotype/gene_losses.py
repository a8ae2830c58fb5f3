"""The IKZF1plus genes that a tumour's chromosome and arm losses take.

A gene on a chromosome (or arm) that the tumour clone holds in fewer copies than normal has lost
those copies in every cell of the clone: monosomy 7 (or a 7p loss) removes IKZF1 exons 1-8 from
one allele, as MLPA, which defined IKZF1plus (Stanulla et al., J Clin Oncol 2018), reads it;
a loss of 9 or 9p removes one allele of CDKN2A, CDKN2B and PAX5, a loss of 21 or 21q one of ERG.
The copy-number calls over the panel read such losses against the sample's own copy-neutral
level, which a near-haploid clone (most chromosomes at one copy) puts on its monosomies: there
only the karyotype, whose genome-wide depth and SNP allele fractions tell one copy from two
(ikaros.karyotype.ploidy), sees them.

The arms are the genes' cytogenetic locations (HGNC): IKZF1 7p12.2, CDKN2A and CDKN2B 9p21.3,
PAX5 9p13.2, ERG 21q22.2. PAR1 is left out: the IKZF1plus PAR1 deletion is the interstitial
P2RY8::CRLF2 deletion, not the loss of a sex chromosome.
"""

from __future__ import annotations

GENE_ARMS = {
    "IKZF1": ("7", "p"),
    "CDKN2A": ("9", "p"),
    "CDKN2B": ("9", "p"),
    "PAX5": ("9", "p"),
    "ERG": ("21", "q"),
}
IKZF1_ALL_EXONS = tuple(range(1, 9))


def losses_taking(changes: str, gene: str) -> list[str]:
    """The changes of a karyotype's list (``-7``, ``-9p``, ``-21,-21``; as
    ikaros.karyotype.ploidy writes ``copy_number_changes``) that take ``gene``: losses of its
    chromosome or its arm, one per copy."""
    chromosome, arm = GENE_ARMS[gene]
    tokens = [token.strip() for token in str(changes).split(",")]
    return [t for t in tokens if t in (f"-{chromosome}", f"-{chromosome}{arm}")]


def gene_losses(changes: str) -> dict[str, int]:
    """Copies of each GENE_ARMS gene that the karyotype's losses take (genes with none left
    out)."""
    lost = {gene: len(losses_taking(changes, gene)) for gene in GENE_ARMS}
    return {gene: copies for gene, copies in lost.items() if copies > 0}


def describe(changes: str, gene: str) -> str:
    """The karyotype changes that take ``gene``, as written (``-7``, ``-9p,-9p``)."""
    return ",".join(losses_taking(changes, gene))

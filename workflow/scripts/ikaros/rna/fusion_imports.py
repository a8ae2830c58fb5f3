"""Fusion tables of the callers groups already run, read into the project's fusion-call format.

Formats, told apart by their header line:

- Arriba `fusions.tsv` (v1 and v2): `#gene1 gene2 strand1(gene/fusion) strand2(gene/fusion)
  breakpoint1 breakpoint2 ... split_reads1 split_reads2 discordant_mates ... confidence ...
  reading_frame`. gene1 is the 5' partner when the fusion strand is known (`+/+`, `-/-` after
  the slash); where it is not (`.`), both orders are tried against the partner table.
  Intergenic breakpoints name the neighbours, `GENE1(1234),GENE2(567)`: the closer one is taken.
- STAR-Fusion `star-fusion.fusion_predictions.tsv` (and `.abridged.tsv`): `#FusionName
  JunctionReadCount SpanningFragCount ... LeftGene LeftBreakpoint RightGene RightBreakpoint ...`;
  LeftGene (`BCR^ENSG00000186716.21`) is the 5' partner; `PROT_FUSION_TYPE` (INFRAME,
  FRAMESHIFT) where FusionInspector-style annotation was run.
- FusionCatcher `final-list_candidate-fusion-genes.txt`: `Gene_1_symbol(5end_fusion_partner)
  Gene_2_symbol(3end_fusion_partner) ... Spanning_pairs Spanning_unique_reads ...
  Fusion_point_for_gene_1(5end_fusion_partner) ...`; spanning unique reads are its split reads.

Rows whose pair matches the partner table become calls (the other rows are no subtype
evidence); the caller's own gene names are kept in `original_fusion`. Exons are taken from the
project's transcript models where a breakpoint falls on an exon boundary.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ikaros.rna.fusions import (
    FUSION_COLUMNS,
    bcr_abl1_name,
    exon_at_breakpoint,
    match_partner,
)
from ikaros.rna.gene_table import strip_version
from ikaros.rna.models import GeneModel
from ikaros.tables import header_line

IMPORT_COLUMNS = FUSION_COLUMNS + ("original_fusion",)
CALLERS = ("arriba", "star-fusion", "fusioncatcher")
# Previous HGNC symbols still written by older annotations (HGNC "previous symbols")
PREVIOUS_SYMBOLS = {
    "MLL": "KMT2A", "MLL1": "KMT2A", "AF4": "AFF1", "MLLT2": "AFF1", "ENL": "MLLT1",
    "AF9": "MLLT3", "AF10": "MLLT10", "AF1P": "EPS15", "E2A": "TCF3", "TEL": "ETV6",
    "AML1": "RUNX1", "CBFA2": "RUNX1", "C20orf112": "NOL4L", "CIZ": "ZNF384", "NMP4": "ZNF384",
    "CAN": "NUP214", "D4Z4": "DUX4", "EBF": "EBF1", "IGJ": "JCHAIN", "GPR110": "ADGRF1",
}  # fmt: skip
FUSIONCATCHER_POINTS = (
    "Fusion_point_for_gene_1(5end_fusion_partner)",
    "Fusion_point_for_gene_2(3end_fusion_partner)",
)
_IG = re.compile(r"^(IG[HKL])(V|D|J|C|A|E|G|M|@)")


class FusionImportError(ValueError):
    """A fusion table that is not one of the known callers' formats."""


def normalise_gene(name: str, symbols: dict[str, str] | None = None) -> str:
    """A caller's gene name as a project symbol: IG segments to their locus, Ensembl IDs and
    previous symbols translated."""
    name = name.strip()
    if "^" in name:  # STAR-Fusion: SYMBOL^ENSG...
        name = name.split("^")[0]
    if symbols and name.startswith("ENSG"):
        name = symbols.get(strip_version(name), name)
    match = _IG.match(name)
    if match or name in ("IGH", "IGK", "IGL"):
        return match.group(1) if match else name
    return PREVIOUS_SYMBOLS.get(name, name)


def _nearest_of_list(field: str) -> str:
    """Arriba's `GENE1(1234),GENE2(567)` -> the nearer gene; a plain name is kept."""
    options = re.findall(r"([^,()]+)\((\d+)\)", field)
    if not options:
        return field.split(",")[0]
    return min(options, key=lambda item: int(item[1]))[0]


def _position(field: str) -> tuple[str, int | None]:
    """`chr22:23290413`, `22:23290413:+`, `chr22:23290413:+` -> (chr22, 23290413)."""
    parts = str(field).split(":")
    if len(parts) < 2 or not parts[1].isdigit():
        return "", None
    chrom = parts[0] if parts[0].startswith("chr") else f"chr{parts[0]}"
    return chrom, int(parts[1])


def detect_caller(path: str | Path) -> str:
    path = Path(path)
    header = header_line(path, "fusion table", FusionImportError, " (no header line)")
    columns = header.lstrip("#").split("\t")
    if {"gene1", "gene2", "breakpoint1", "split_reads1", "discordant_mates"} <= set(columns):
        return "arriba"
    if {"FusionName", "JunctionReadCount", "SpanningFragCount", "LeftBreakpoint"} <= set(columns):
        return "star-fusion"
    if {"Gene_1_symbol(5end_fusion_partner)", "Spanning_unique_reads"} <= set(columns):
        return "fusioncatcher"
    raise FusionImportError(
        f"{path}: not a fusion table of a known caller (Arriba fusions.tsv, STAR-Fusion "
        f"star-fusion.fusion_predictions.tsv, FusionCatcher final-list_candidate-fusion-genes.txt"
        f"); its header starts {header[:120]!r}"
    )


def _read(path: Path) -> pd.DataFrame:
    table = pd.read_csv(
        path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8-sig", quoting=3
    )
    table.columns = [c.lstrip("#") for c in table.columns]
    return table


def _counts(table: pd.DataFrame, column: str, path: Path) -> pd.Series:
    values = pd.to_numeric(table[column].replace({".": "0", "": "0"}), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise FusionImportError(
            f"{path}: row {row + 2}, column {column}: expected a read count, got "
            f"{table[column].iloc[row]!r}"
        )
    return values.astype(int)


# per caller: gene, breakpoint and count columns, the reading-frame column and its values, the
# confidence column (None: the caller gives none), the column of its own fusion name (None:
# gene1::gene2)
FRAMES_AS_NAMED = {"in-frame": "in-frame", "out-of-frame": "out-of-frame"}
CALLER_COLUMNS = {
    "arriba": {
        "genes": ("gene1", "gene2"), "points": ("breakpoint1", "breakpoint2"),
        "split": ("split_reads1", "split_reads2"), "spanning": "discordant_mates",
        "frame": "reading_frame", "frames": FRAMES_AS_NAMED,
        "confidence": "confidence", "name": None,
    },
    "star-fusion": {
        "genes": ("LeftGene", "RightGene"), "points": ("LeftBreakpoint", "RightBreakpoint"),
        "split": ("JunctionReadCount",), "spanning": "SpanningFragCount",
        "frame": "PROT_FUSION_TYPE",
        "frames": {"INFRAME": "in-frame", "FRAMESHIFT": "out-of-frame"},
        "confidence": None, "name": "FusionName",
    },
    "fusioncatcher": {
        "genes": ("Gene_1_symbol(5end_fusion_partner)", "Gene_2_symbol(3end_fusion_partner)"),
        "points": FUSIONCATCHER_POINTS, "split": ("Spanning_unique_reads",),
        "spanning": "Spanning_pairs", "frame": "Predicted_effect",
        "frames": FRAMES_AS_NAMED, "confidence": None, "name": None,
    },
}  # fmt: skip


def _oriented(row: pd.Series, caller: str) -> bool:
    """Whether an Arriba row knows the transcribed strand of both partners (`+/+`, not `-/.`);
    the other callers always order 5' to 3'."""
    if caller != "arriba":
        return True
    strands = [row.get(f"strand{n}(gene/fusion)", "./.") for n in (1, 2)]
    return all(s.split("/")[-1] in ("+", "-") for s in strands)


def _standard_rows(path: Path, caller: str, symbols) -> list[dict]:
    """One dict per row: five, three, original, positions, split, spanning, frame, confidence,
    oriented (whether 5'/3' is known)."""
    table = _read(path)
    spec = CALLER_COLUMNS[caller]
    split = sum(_counts(table, column, path) for column in spec["split"])
    spanning = _counts(table, spec["spanning"], path)
    rows = []
    for i, row in table.iterrows():
        five, three = (row[column] for column in spec["genes"])
        confidence = row.get(spec["confidence"], "") if spec["confidence"] else ""
        rows.append(
            {
                # Arriba names the neighbours of an intergenic breakpoint: the nearer one
                "five": normalise_gene(_nearest_of_list(five), symbols),
                "three": normalise_gene(_nearest_of_list(three), symbols),
                "original": row[spec["name"]] if spec["name"] else f"{five}::{three}",
                "five_at": _position(row.get(spec["points"][0], "")),
                "three_at": _position(row.get(spec["points"][1], "")),
                "split": int(split[i]),
                "spanning": int(spanning[i]),
                "frame": spec["frames"].get(row.get(spec["frame"], ""), "unknown"),
                "confidence": confidence or "unknown",
                "oriented": _oriented(row, caller),
            }
        )
    return rows


def import_fusions(
    path: str | Path,
    sample_id: str,
    partners: pd.DataFrame,
    models: dict[str, GeneModel],
    symbols: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The known fusions of one caller table, as IMPORT_COLUMNS rows (`source` = the caller)."""
    path = Path(path)
    caller = detect_caller(path)
    out = []
    for row in _standard_rows(path, caller, symbols):
        orders = [(row["five"], row["three"], row["five_at"], row["three_at"])]
        if not row["oriented"]:
            orders.append((row["three"], row["five"], row["three_at"], row["five_at"]))
        for five, three, five_at, three_at in orders:
            match = match_partner(partners, five, three)
            if match is None:
                continue
            five_exon = (
                exon_at_breakpoint(models.get(five), five_at[1], True) if five_at[1] else None
            )
            three_exon = (
                exon_at_breakpoint(models.get(three), three_at[1], False) if three_at[1] else None
            )
            confidence = row["confidence"]
            if confidence == "unknown":
                confidence = "high" if row["split"] >= 3 and row["spanning"] >= 1 else "medium"
            out.append(
                {
                    "sample_id": sample_id,
                    "fusion": f"{five}::{three}",
                    "five_prime": five,
                    "three_prime": three,
                    "subtype": match["subtype"],
                    "subclass": match["subclass"],
                    "five_chrom": five_at[0],
                    "five_breakpoint": five_at[1],
                    "five_exon": five_exon,
                    "three_chrom": three_at[0],
                    "three_breakpoint": three_at[1],
                    "three_exon": three_exon,
                    "split_reads": row["split"],
                    "spanning_pairs": row["spanning"],
                    "breakpoint_split_reads": row["split"],
                    "other_breakpoints": 0,
                    "reading_frame": row["frame"],
                    "breakpoint_name": (
                        bcr_abl1_name(five_exon, three_exon)
                        if (five, three) == ("BCR", "ABL1")
                        else ""
                    ),  # fmt: skip
                    "confidence": confidence,
                    "source": caller,
                    "original_fusion": row["original"],
                }
            )
            break
    return pd.DataFrame(out, columns=list(IMPORT_COLUMNS))
